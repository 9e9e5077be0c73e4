//! buyerdesk's own database ("purchasing"): the only one it writes to.
//! Versioned migrations, buyers' overrides and the audit log. SQLite by
//! default; PostgreSQL or MySQL when several workstations share it.

pub mod authoring;
pub mod forecasts;
pub mod identity;
pub mod overrides;
pub mod quantity;
pub mod rules_versions;
mod saving;

use anyhow::{anyhow, Context, Result};

use crate::config::{Config, SourceKind};
use crate::sources::{with_pool_write, Access, Backend, Source};

pub use identity::{Gone, Identity, Refused};
pub use overrides::{Override, OverrideUnit, ReasonCode};

/// One schema change. Statements are idempotent (IF NOT EXISTS), so two
/// workstations migrating at the same moment do no harm.
struct Migration {
    version: i64,
    name: &'static str,
    statements: fn(Backend) -> Vec<String>,
    /// Statements a server may refuse for want of privileges (triggers on
    /// a MySQL server with binary logging): a warning in the log, not a
    /// failed start.
    optional: fn(Backend) -> Vec<String>,
    /// A change plain statements cannot make on every backend, run after
    /// `statements`.
    special: Option<Special>,
}

/// Schema changes that need to read the database first.
#[derive(Debug, Clone, Copy)]
enum Special {
    /// Widens the CHECK on `purchase_orders.status` to `PO_STATUSES_4`.
    PoStatuses,
}

/// The statuses a PO may have from migration 4 on (`unconfirmed` added).
const PO_STATUSES_4: &str = "'draft','pending_approval','approved','sending','unconfirmed','sent','acknowledged','received','closed','cancelled'";

fn auto_id(b: Backend) -> &'static str {
    match b {
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
        Backend::MySql => "BIGINT AUTO_INCREMENT PRIMARY KEY",
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
    }
}

fn real(b: Backend) -> &'static str {
    match b {
        Backend::Postgres => "DOUBLE PRECISION",
        Backend::MySql => "DOUBLE",
        Backend::Sqlite => "REAL",
    }
}

fn text(b: Backend) -> &'static str {
    match b {
        Backend::MySql => "VARCHAR(2000)",
        _ => "TEXT",
    }
}

fn big(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "INTEGER",
        _ => "BIGINT",
    }
}

/// Text that may be long (a whole PO's answer, an audit detail).
fn long_text(b: Backend) -> &'static str {
    match b {
        Backend::MySql => "MEDIUMTEXT",
        _ => "TEXT",
    }
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "overrides and audit log",
        statements: |b| {
            vec![
            format!(
                "CREATE TABLE IF NOT EXISTS overrides (\
                 product_id VARCHAR(64) NOT NULL PRIMARY KEY, \
                 order_qty {r} NOT NULL, entered_qty {r} NOT NULL, entered_unit VARCHAR(16) NOT NULL, \
                 suggested_qty {r} NOT NULL, reason VARCHAR(32) NOT NULL, note {t}, \
                 user_name VARCHAR(64) NOT NULL, set_at VARCHAR(32) NOT NULL)",
                r = real(b),
                t = text(b)
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS audit_log (id {id}, at VARCHAR(32) NOT NULL, \
                 user_name VARCHAR(64) NOT NULL, action VARCHAR(32) NOT NULL, \
                 product_id VARCHAR(64), detail {t})",
                id = auto_id(b),
                t = text(b)
            ),
        ]
        },
        optional: |_| Vec::new(),
        special: None,
    },
    Migration {
        version: 2,
        name: "purchase orders, send attempts, append-only audit log",
        statements: |b| {
            let mut v = Vec::new();
            match b {
            Backend::Postgres => v.push("CREATE SEQUENCE IF NOT EXISTS po_number_seq".to_string()),
            _ => v.push(format!(
                "CREATE TABLE IF NOT EXISTS po_numbers (id {id}, taken_at VARCHAR(32) NOT NULL, taken_by VARCHAR(64) NOT NULL)",
                id = auto_id(b)
            )),
        }
            v.push(format!(
            "CREATE TABLE IF NOT EXISTS purchase_orders (\
             po_number VARCHAR(32) NOT NULL PRIMARY KEY, seq {big} NOT NULL UNIQUE, \
             supplier_key VARCHAR(200) NOT NULL, supplier_id VARCHAR(200), supplier_name VARCHAR(200) NOT NULL, \
             currency VARCHAR(8) NOT NULL, total_cents {big} NOT NULL, status VARCHAR(24) NOT NULL, \
             approval_reason {t}, buyer VARCHAR(64) NOT NULL, created_at VARCHAR(32) NOT NULL, \
             expected_delivery VARCHAR(10) NOT NULL, approved_by VARCHAR(64), approved_at VARCHAR(32), \
             claim VARCHAR(200), claimed_at VARCHAR(32), sent_at VARCHAR(32), confirmation {t}, \
             last_error {t}, updated_at VARCHAR(32) NOT NULL, \
             CHECK (status IN ('draft','pending_approval','approved','sending','sent','acknowledged','received','closed','cancelled')), \
             CHECK (total_cents >= 0))",
            big = big(b),
            t = text(b)
        ));
            v.push(format!(
            "CREATE TABLE IF NOT EXISTS po_lines (\
             po_number VARCHAR(32) NOT NULL, line_no INTEGER NOT NULL, product_id VARCHAR(64) NOT NULL, \
             product_name VARCHAR(400), qty_stock {r} NOT NULL, stock_uom VARCHAR(32), qty_purchase {r} NOT NULL, \
             purchase_uom VARCHAR(32), pack {r} NOT NULL, unit_price {r} NOT NULL, amount_cents {big} NOT NULL, \
             lead_time_days {r} NOT NULL, expected_delivery VARCHAR(10) NOT NULL, suggested_qty {r} NOT NULL, \
             overridden INTEGER NOT NULL, \
             PRIMARY KEY (po_number, line_no), \
             CONSTRAINT po_lines_one_per_product UNIQUE (po_number, product_id), \
             CONSTRAINT po_lines_po FOREIGN KEY (po_number) REFERENCES purchase_orders (po_number), \
             CHECK (qty_stock > 0), CHECK (qty_purchase > 0))",
            r = real(b),
            big = big(b)
        ));
            // A product is on at most one open PO: its row is taken in the
            // transaction that drafts the PO and given back when the PO is
            // received, closed or cancelled. Two workstations drafting the same
            // product at once: one of them gets it, the other is told.
            v.push(
            "CREATE TABLE IF NOT EXISTS po_open_products (product_id VARCHAR(64) NOT NULL PRIMARY KEY, \
             po_number VARCHAR(32) NOT NULL, \
             CONSTRAINT po_open_products_po FOREIGN KEY (po_number) REFERENCES purchase_orders (po_number))"
                .to_string(),
        );
            v.push(format!(
            "CREATE TABLE IF NOT EXISTS po_send_attempts (id {id}, po_number VARCHAR(32) NOT NULL, \
             attempt INTEGER NOT NULL, at VARCHAR(32) NOT NULL, user_name VARCHAR(64) NOT NULL, \
             claim VARCHAR(200) NOT NULL, channel VARCHAR(400) NOT NULL, outcome VARCHAR(16) NOT NULL, \
             detail {t}, finished_at VARCHAR(32), \
             CONSTRAINT po_send_attempts_po FOREIGN KEY (po_number) REFERENCES purchase_orders (po_number))",
            id = auto_id(b),
            t = long_text(b)
        ));
            v
        },
        optional: |b| {
            match b {
        Backend::Postgres => vec![
            "CREATE OR REPLACE FUNCTION buyerdesk_append_only() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql"
                .to_string(),
            "CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION buyerdesk_append_only()"
                .to_string(),
        ],
        Backend::MySql => vec![
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW \
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only'"
                .to_string(),
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW \
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only'"
                .to_string(),
        ],
        Backend::Sqlite => vec![
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                .to_string(),
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                .to_string(),
        ],
    }
        },
        special: None,
    },
    Migration {
        version: 3,
        name: "ids compared byte for byte on MariaDB/MySQL",
        // MariaDB's default collation is case- and accent-insensitive:
        // PROD-001 and prod-001 were one key (an override saved for one
        // replaced the other's, and the second could never be drafted).
        // PostgreSQL and SQLite compare text byte for byte already.
        statements: |b| {
            match b {
            Backend::MySql => [
                ("overrides", "product_id", "VARCHAR(64)", "NOT NULL"),
                ("po_open_products", "product_id", "VARCHAR(64)", "NOT NULL"),
                ("po_lines", "product_id", "VARCHAR(64)", "NOT NULL"),
                ("audit_log", "product_id", "VARCHAR(64)", "NULL"),
                ("purchase_orders", "supplier_key", "VARCHAR(200)", "NOT NULL"),
            ]
            .iter()
            .map(|(table, column, kind, null)| {
                format!(
                    "ALTER TABLE {table} MODIFY {column} {kind} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin {null}"
                )
            })
            .collect(),
            _ => Vec::new(),
        }
        },
        optional: |_| Vec::new(),
        special: None,
    },
    Migration {
        version: 4,
        name: "an unconfirmed status for a PO that may have reached its supplier",
        statements: |_| Vec::new(),
        optional: |_| Vec::new(),
        special: Some(Special::PoStatuses),
    },
    Migration {
        version: 5,
        name: "the database's identity, each PO's send key",
        // One row (id 1): two workstations migrating at once both insert
        // if absent, and both read back the one identity that won
        // (`Store::ensure_identity`). A PO's send key is written when it is
        // drafted; POs drafted before keep NULL, read as their number (the
        // key they may already have gone out with).
        statements: |b| {
            vec![
                "CREATE TABLE IF NOT EXISTS buyerdesk_identity (id INTEGER NOT NULL PRIMARY KEY, \
                 identity VARCHAR(16) NOT NULL, created_at VARCHAR(32) NOT NULL, \
                 created_by VARCHAR(64) NOT NULL, CHECK (id = 1))"
                    .to_string(),
                match b {
                    Backend::Postgres => {
                        "ALTER TABLE purchase_orders ADD COLUMN IF NOT EXISTS send_key VARCHAR(64)"
                    }
                    // No IF NOT EXISTS on SQLite and MySQL: a workstation
                    // that finds the column added already goes on
                    // (`added_already`).
                    _ => "ALTER TABLE purchase_orders ADD COLUMN send_key VARCHAR(64)",
                }
                .to_string(),
            ]
        },
        optional: |_| Vec::new(),
        special: None,
    },
    Migration {
        version: 6,
        name: "overrides used once, saved against the revision a buyer started from",
        // An override's revision goes up at every save and clear; a clear
        // keeps the row as a tombstone (`cleared_at` set), so a save that
        // started before it sees who cleared it and when. The PO line that
        // orders an override records its revision: once that PO is sent,
        // the override is used (read with a join, `store::overrides`).
        statements: |b| {
            let add = |table: &str, column: &str| match b {
                Backend::Postgres => {
                    format!("ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}")
                }
                _ => format!("ALTER TABLE {table} ADD COLUMN {column}"),
            };
            vec![
                add(
                    "overrides",
                    &format!("revision {} NOT NULL DEFAULT 1", big(b)),
                ),
                add("overrides", "cleared_by VARCHAR(64)"),
                add("overrides", "cleared_at VARCHAR(32)"),
                add("po_lines", &format!("override_revision {}", big(b))),
                // The join that finds the PO an override was ordered on
                // (read at every refresh) looks lines up by product.
                match b {
                    // No IF NOT EXISTS on MySQL: a workstation that finds
                    // the index made already goes on (`added_already`).
                    Backend::MySql => "CREATE INDEX po_lines_product ON po_lines (product_id, override_revision)",
                    _ => "CREATE INDEX IF NOT EXISTS po_lines_product ON po_lines (product_id, override_revision)",
                }
                .to_string(),
                // Overrides saved before this migration (revision 1 now)
                // that a PO already ordered: its line (the buyer's
                // quantity, drafted after the override was set) records
                // them, so a sent PO uses them up at the upgrade as it
                // would have after it; else they would be ordered again.
                "UPDATE po_lines SET override_revision = 1 \
                 WHERE override_revision IS NULL AND overridden = 1 AND EXISTS (\
                 SELECT 1 FROM overrides o, purchase_orders p \
                 WHERE o.product_id = po_lines.product_id AND o.order_qty = po_lines.qty_stock \
                 AND p.po_number = po_lines.po_number AND o.set_at <= p.created_at)"
                    .to_string(),
            ]
        },
        optional: |_| Vec::new(),
        special: None,
    },
    Migration {
        version: 7,
        name: "PO notes, partial receipts, the rules' approval flag per line",
        statements: |b| {
            let add = match b {
                Backend::Postgres => "ADD COLUMN IF NOT EXISTS",
                // A workstation that finds a column added already goes on
                // (`added_already`).
                _ => "ADD COLUMN",
            };
            vec![
                format!("ALTER TABLE purchase_orders {add} note {}", text(b)),
                format!(
                    "ALTER TABLE po_lines {add} qty_received {} NOT NULL DEFAULT 0",
                    real(b)
                ),
                format!("ALTER TABLE po_lines {add} rules_approval INTEGER NOT NULL DEFAULT 0"),
            ]
        },
        optional: |_| Vec::new(),
        special: None,
    },
    Migration {
        version: 8,
        name: "rules versions",
        // Every text that became the rules in force, whole
        // (`store::rules_versions`). Numbers are taken in a transaction
        // (the newest plus one); two workstations taking the same one at
        // once: the primary key refuses the second, which tries again.
        statements: |b| {
            vec![format!(
                "CREATE TABLE IF NOT EXISTS rules_versions (number {big} NOT NULL PRIMARY KEY, \
                 at VARCHAR(32) NOT NULL, user_name VARCHAR(64) NOT NULL, how VARCHAR(200) NOT NULL, \
                 origin {t} NOT NULL, sha256 VARCHAR(64) NOT NULL, previous_sha256 VARCHAR(64), \
                 rule_count INTEGER NOT NULL, summary {t}, body {long} NOT NULL)",
                big = big(b),
                t = text(b),
                long = long_text(b)
            )]
        },
        optional: |_| Vec::new(),
        special: None,
    },
    Migration {
        version: 9,
        name: "forecasts",
        // One row per product: the forecast of its daily history with the
        // fingerprint of the history and horizon it came from
        // (`store::forecasts`, DOMAIN.md section 5). The scalars are
        // columns (for people and queries); `detail` holds the whole
        // forecast as JSON (candidates, path and note included), every
        // figure exact, and is what buyerdesk reads back.
        statements: |b| {
            vec![format!(
                "CREATE TABLE IF NOT EXISTS forecasts (product_id VARCHAR(64) {bin}NOT NULL PRIMARY KEY, \
                 fingerprint VARCHAR(64) NOT NULL, horizon_days INTEGER NOT NULL, \
                 computed_at VARCHAR(32) NOT NULL, demand_class VARCHAR(16) NOT NULL, \
                 method VARCHAR(16) NOT NULL, method_label VARCHAR(200) NOT NULL, \
                 forecast_daily {r} NOT NULL, sigma_horizon {r} NOT NULL, mae {r}, mase {r}, \
                 history_days INTEGER NOT NULL, origins INTEGER NOT NULL, weekly_cv {r}, \
                 yearly_qty {r} NOT NULL, adi {r}, cv2 {r}, abc_class VARCHAR(1), abc_value {r}, \
                 currency VARCHAR(8), detail {long} NOT NULL)",
                r = real(b),
                long = long_text(b),
                // Ids compared byte for byte (migration 3).
                bin = match b {
                    Backend::MySql => "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ",
                    _ => "",
                }
            )]
        },
        optional: |_| Vec::new(),
        special: None,
    },
];

/// Errors worth a second try: two writers met (deadlock, serialization,
/// SQLite busy).
pub(crate) fn is_contention(e: &anyhow::Error) -> bool {
    let t = format!("{e:#}").to_ascii_lowercase();
    [
        "deadlock",
        "could not serialize",
        "database is locked",
        "busy",
        "lock wait timeout",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// How often a migration that met another workstation's is run.
const MIGRATION_ATTEMPTS: u64 = 5;

/// A schema statement that lost a race with the same statement of another
/// workstation (PostgreSQL: the catalogue's unique indexes, "already
/// exists", "tuple concurrently updated"; MariaDB, whose DDL commits
/// statement by statement: migration 4's old CHECK dropped, or its new one
/// added, by both).
fn concurrent_ddl(e: &anyhow::Error) -> bool {
    let t = format!("{e:#}").to_ascii_lowercase();
    [
        "pg_type_typname_nsp_index",
        "pg_class_relname_nsp_index",
        "already exists",
        "tuple concurrently updated",
        "duplicate check constraint name",
        "can't drop constraint",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// An `ADD COLUMN` that another workstation migrating at the same moment
/// applied first.
fn added_already(statement: &str, e: &anyhow::Error) -> bool {
    let e = format!("{e:#}").to_ascii_lowercase();
    (statement.contains(" ADD COLUMN ") && e.contains("duplicate column"))
        || (statement.starts_with("CREATE INDEX ") && e.contains("duplicate key name"))
}

/// The longest user name the purchasing database keeps (VARCHAR(64)).
pub const USER_LIMIT: usize = 64;

/// The user every row is written by: refused when the purchasing database
/// cannot keep it whole (a value cut by the database, or refused by it at
/// the first draft, would stop every write of this workstation).
fn checked_user(config: &Config) -> Result<String> {
    let user = config.user();
    let n = user.chars().count();
    if n > USER_LIMIT {
        return Err(anyhow!(
            "the user name ({}...) is {n} characters long; the purchasing database keeps {USER_LIMIT}: set a shorter [general] user in the config",
            crate::text::printable(&user.chars().take(16).collect::<String>())
        ));
    }
    Ok(user)
}

/// The purchasing database, migrated (or, opened with `open_lazy`, to be
/// migrated on its first answer).
#[derive(Debug, Clone)]
pub struct Store {
    pub source: Source,
    pub user: String,
    migrated: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Read (or created) when the migrations were applied.
    identity: std::sync::Arc<std::sync::OnceLock<Identity>>,
    /// Where the database is, as the workstation remembers it (`None`: in
    /// memory).
    location: Option<String>,
    data_dir: std::path::PathBuf,
    /// `buyerdesk --init`: a database this workstation used may be created
    /// anew.
    init: bool,
    /// `[orders] four_eyes`: an approval by the PO's drafter is refused
    /// (read here, raw, so that every approval this store makes obeys it;
    /// `orders::OrdersConfig` checks the section at load).
    pub four_eyes: bool,
}

/// Where the purchasing database is; refused when it is an SQLite file
/// this workstation has used and that is gone (it is not created anew,
/// unless `--init`).
fn locate(config: &Config, resolved: &crate::config::ResolvedSource) -> Result<Option<String>> {
    let Some(location) = identity::location(resolved) else {
        return Ok(None);
    };
    let gone = identity::sqlite_file(&resolved.connect_url).is_some_and(|f| !f.exists());
    if gone && !config.file.general.init_purchasing {
        if let Some(remembered) = identity::remembered(&config.data_dir, &location)? {
            return Err(Refused {
                gone: Gone::Missing,
                location,
                remembered,
                found: None,
            }
            .into());
        }
    }
    Ok(Some(location))
}

impl Store {
    /// Connects (creating an SQLite file on a first run or with `--init`)
    /// and applies migrations. A database this workstation has used that
    /// is gone, empty or another one is refused (`Refused`).
    pub async fn open(config: &Config) -> Result<Store> {
        let store = Store::open_lazy(config).await?;
        let source = Source::connect(&store.source.resolved, Access::ReadWrite).await?;
        let store = Store { source, ..store };
        store.ensure_migrated().await?;
        Ok(store)
    }

    /// The store without connecting: for the screen, which starts while
    /// the purchasing database is down. Nothing is read or migrated until
    /// `ensure_migrated` succeeds (the live task calls it before each read
    /// until then). Fails only on an unusable URL, or a gone SQLite file
    /// this workstation has used.
    pub async fn open_lazy(config: &Config) -> Result<Store> {
        let resolved = config
            .resolve(SourceKind::Purchasing)
            .map_err(|e| anyhow!(e))?;
        let user = checked_user(config)?;
        let location = locate(config, &resolved)?;
        let source = Source::connect_lazy(&resolved, Access::ReadWrite).await?;
        Ok(Store {
            source,
            user,
            migrated: Default::default(),
            identity: Default::default(),
            location,
            data_dir: config.data_dir.clone(),
            init: config.file.general.init_purchasing,
            four_eyes: config
                .file
                .orders
                .get("four_eyes")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        })
    }

    /// Whether the migrations were applied by this process.
    pub fn is_migrated(&self) -> bool {
        self.migrated.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The database's identity (once migrated).
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.get()
    }

    /// The database's identity; an error before the migrations ran.
    pub fn identity_required(&self) -> Result<&Identity> {
        self.identity()
            .ok_or_else(|| anyhow!("the purchasing database is not open yet (no identity read)"))
    }

    /// Where the database is, as remembered (`None`: in memory).
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Applies the migrations unless this process already did; checks
    /// that the database is the one this workstation used there.
    pub async fn ensure_migrated(&self) -> Result<()> {
        if self.is_migrated() {
            return Ok(());
        }
        let remembered = match (&self.location, self.init) {
            (Some(location), false) => identity::remembered(&self.data_dir, location)?,
            _ => None,
        };
        let refused = |gone: Gone, found: Option<String>, remembered: &identity::Remembered| {
            anyhow::Error::from(Refused {
                gone,
                location: self.location.clone().unwrap_or_default(),
                remembered: remembered.clone(),
                found,
            })
        };
        if let Some(r) = &remembered {
            // Emptied (or dropped and created again): no migrations table.
            if self
                .source
                .table_columns("buyerdesk_migrations")
                .await?
                .is_empty()
            {
                return Err(refused(Gone::Empty, None, r));
            }
        }
        // PostgreSQL's CREATE ... IF NOT EXISTS is not safe against a
        // concurrent one (both see no table, the second fails on the
        // catalogue's unique index): the statements are idempotent, so
        // the migration is run again.
        let mut attempt = 1;
        loop {
            match self.migrate().await {
                Err(e) if attempt < MIGRATION_ATTEMPTS && concurrent_ddl(&e) => {
                    tracing::debug!(attempt, "purchasing database: migrating again: {e:#}");
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
                    attempt += 1;
                }
                r => break r?,
            }
        }
        let found = self.ensure_identity().await?;
        if let Some(r) = &remembered {
            if r.identity != found.identity {
                return Err(refused(Gone::Replaced, Some(found.identity), r));
            }
        }
        if let Some(location) = &self.location {
            identity::remember(&self.data_dir, location, &found.identity)?;
        }
        let _ = self.identity.set(found);
        self.migrated
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// The identity stored in the database, created if absent: inserted
    /// if absent (one row, id 1), then read back, so that two
    /// workstations migrating at once both end with the one that won.
    async fn ensure_identity(&self) -> Result<Identity> {
        let s = &self.source;
        let read = || async {
            let rows = s
                .fetch_text(
                    "SELECT identity, created_at, created_by FROM buyerdesk_identity WHERE id = 1",
                    &[],
                )
                .await?;
            Ok::<_, anyhow::Error>(rows.into_iter().next().map(|r| {
                let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
                Identity {
                    identity: get(0),
                    created_at: get(1),
                    created_by: get(2),
                }
            }))
        };
        if let Some(found) = read().await? {
            return Ok(found);
        }
        let sql = match s.backend {
            Backend::Postgres => "INSERT INTO buyerdesk_identity (id, identity, created_at, created_by) VALUES (1, $1, $2, $3) ON CONFLICT DO NOTHING",
            Backend::MySql => "INSERT IGNORE INTO buyerdesk_identity (id, identity, created_at, created_by) VALUES (1, ?, ?, ?)",
            Backend::Sqlite => "INSERT OR IGNORE INTO buyerdesk_identity (id, identity, created_at, created_by) VALUES (1, ?, ?, ?)",
        };
        let new = identity::new_identity();
        with_pool_write(
            s,
            sql,
            vec![Some(new.clone()), Some(now()), Some(self.user.clone())],
        )
        .await?;
        let found = read()
            .await?
            .ok_or_else(|| anyhow!("the purchasing database keeps no identity"))?;
        if found.identity == new {
            tracing::info!(identity = %found.identity, "purchasing database identity created");
        }
        Ok(found)
    }

    async fn migrate(&self) -> Result<()> {
        let s = &self.source;
        s.execute(
            "CREATE TABLE IF NOT EXISTS buyerdesk_migrations (version INTEGER NOT NULL PRIMARY KEY, \
             name VARCHAR(100) NOT NULL, applied_at VARCHAR(32) NOT NULL)",
        )
        .await?;
        let applied: Vec<i64> = s
            .fetch_text(
                &format!(
                    "SELECT {} FROM buyerdesk_migrations",
                    s.backend.as_text("version")
                ),
                &[],
            )
            .await?
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten()?.parse().ok())
            .collect();
        for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
            for statement in (m.statements)(s.backend) {
                match s.execute(&statement).await {
                    Err(e) if added_already(&statement, &e) => {}
                    r => r.with_context(|| format!("migration {} ({})", m.version, m.name))?,
                }
            }
            if let Some(special) = m.special {
                self.run_special(special)
                    .await
                    .with_context(|| format!("migration {} ({})", m.version, m.name))?;
            }
            for statement in (m.optional)(s.backend) {
                if let Err(e) = s.execute(&statement).await {
                    tracing::warn!(
                        version = m.version,
                        "purchasing database: optional step refused: {e:#}"
                    );
                }
            }
            let sql = match s.backend {
                Backend::Postgres => "INSERT INTO buyerdesk_migrations (version, name, applied_at) VALUES (CAST($1 AS INTEGER), $2, $3) ON CONFLICT DO NOTHING",
                Backend::MySql => "INSERT IGNORE INTO buyerdesk_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                Backend::Sqlite => "INSERT OR IGNORE INTO buyerdesk_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            };
            with_pool_write(
                s,
                sql,
                vec![
                    Some(m.version.to_string()),
                    Some(m.name.to_string()),
                    Some(now()),
                ],
            )
            .await?;
            tracing::info!(
                version = m.version,
                name = m.name,
                "purchasing database migrated"
            );
        }
        Ok(())
    }

    async fn run_special(&self, special: Special) -> Result<()> {
        match special {
            Special::PoStatuses => self.widen_po_statuses().await,
        }
    }

    /// Replaces the CHECK on `purchase_orders.status` (migration 2's list)
    /// with `PO_STATUSES_4`, in one transaction where the backend allows.
    /// Run twice (two workstations migrating at once), the second finds
    /// the new list and changes nothing.
    async fn widen_po_statuses(&self) -> Result<()> {
        let s = &self.source;
        let check = format!("CHECK (status IN ({PO_STATUSES_4}))");
        let mut tx = s.begin().await?;
        match s.backend {
            Backend::Postgres => {
                // PostgreSQL named migration 2's table constraint after
                // its one column. ALTER TABLE locks the table: a second
                // workstation waits, then replaces it with the same list.
                tx.exec(
                    "ALTER TABLE purchase_orders DROP CONSTRAINT IF EXISTS purchase_orders_status_check",
                    &[],
                )
                .await?;
                tx.exec(
                    &format!(
                        "ALTER TABLE purchase_orders ADD CONSTRAINT purchase_orders_status_check {check}"
                    ),
                    &[],
                )
                .await?;
            }
            Backend::MySql => {
                // MariaDB names unnamed CHECKs CONSTRAINT_n, MySQL
                // purchase_orders_chk_n: found by their text. (DDL is not
                // transactional here; each statement commits.)
                let rows = tx
                    .fetch(
                        "SELECT CAST(c.CONSTRAINT_NAME AS CHAR), CAST(c.CHECK_CLAUSE AS CHAR) \
                         FROM information_schema.CHECK_CONSTRAINTS c \
                         JOIN information_schema.TABLE_CONSTRAINTS t \
                           ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME \
                         WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = 'purchase_orders' \
                           AND t.CONSTRAINT_TYPE = 'CHECK'",
                        &[],
                    )
                    .await?;
                let mut current = false;
                for row in rows {
                    let (Some(Some(name)), Some(Some(clause))) = (row.first(), row.get(1)) else {
                        continue;
                    };
                    if !clause.contains("'cancelled'") {
                        continue;
                    }
                    if clause.contains("'unconfirmed'") {
                        current = true;
                        continue;
                    }
                    tx.exec(
                        &format!(
                            "ALTER TABLE purchase_orders DROP CONSTRAINT `{}`",
                            name.replace('`', "``")
                        ),
                        &[],
                    )
                    .await?;
                }
                if !current {
                    tx.exec(
                        &format!(
                            "ALTER TABLE purchase_orders ADD CONSTRAINT po_status_known {check}"
                        ),
                        &[],
                    )
                    .await?;
                }
            }
            Backend::Sqlite => {
                // SQLite cannot change a CHECK. Its documented way to drop
                // or loosen one (lang_altertable.html, section 7, the
                // simpler procedure): edit the table's stored text and
                // bump the schema version, in one transaction.
                let old = "'closed','cancelled')";
                let new = "'closed','cancelled','unconfirmed')";
                let version: i64 = tx
                    .fetch("PRAGMA schema_version", &[])
                    .await?
                    .first()
                    .and_then(|r| r.first().cloned().flatten())
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| anyhow!("SQLite did not give its schema version"))?;
                tx.exec("PRAGMA writable_schema = ON", &[]).await?;
                let changed = tx
                    .exec(
                        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) \
                         WHERE type = 'table' AND name = 'purchase_orders' AND instr(sql, ?) > 0 \
                         AND instr(sql, '''unconfirmed''') = 0",
                        &[Some(old.into()), Some(new.into()), Some(old.into())],
                    )
                    .await?;
                if changed == 1 {
                    tx.exec(&format!("PRAGMA schema_version = {}", version + 1), &[])
                        .await?;
                }
                tx.exec("PRAGMA writable_schema = OFF", &[]).await?;
            }
        }
        tx.commit().await
    }

    /// The schema version in force.
    pub async fn schema_version(&self) -> Result<i64> {
        let s = &self.source;
        let rows = s
            .fetch_text(
                &format!(
                    "SELECT {} FROM buyerdesk_migrations",
                    s.backend.as_text("MAX(version)")
                ),
                &[],
            )
            .await?;
        Ok(rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }
}

/// The time in the store's text form (UTC, RFC 3339, seconds).
/// The database server's clock as SQL, in `now()`'s text form
/// (`2026-11-21T10:00:00Z`): one clock for every workstation sharing the
/// purchasing database (the send lease must not trust each machine's own).
/// SQLite has no server: its clock is the machine's.
pub fn server_now_sql(b: Backend) -> &'static str {
    match b {
        Backend::Postgres => {
            "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        }
        Backend::MySql => "DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%sZ')",
        Backend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
    }
}

impl Store {
    /// The database server's clock now (`server_now_sql`).
    pub async fn server_now(&self) -> Result<String> {
        let rows = self
            .source
            .fetch_text(
                &format!("SELECT {}", server_now_sql(self.source.backend)),
                &[],
            )
            .await?;
        rows.into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .ok_or_else(|| anyhow!("the purchasing database gave no time"))
    }
}

pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

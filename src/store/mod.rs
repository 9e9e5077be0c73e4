//! buyerdesk's own database ("purchasing"): the only one it writes to.
//! Versioned migrations, buyers' overrides and the audit log. SQLite by
//! default; PostgreSQL or MySQL when several workstations share it.

pub mod overrides;

use anyhow::{anyhow, Context, Result};

use crate::config::{Config, SourceKind};
use crate::sources::{with_pool_write, Access, Backend, Source};

pub use overrides::{Override, OverrideUnit, ReasonCode};

/// One schema change. Statements are idempotent (IF NOT EXISTS), so two
/// workstations migrating at the same moment do no harm.
struct Migration {
    version: i64,
    name: &'static str,
    statements: fn(Backend) -> Vec<String>,
}

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

const MIGRATIONS: &[Migration] = &[Migration {
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
}];

/// The purchasing database, migrated.
#[derive(Debug, Clone)]
pub struct Store {
    pub source: Source,
    pub user: String,
}

impl Store {
    /// Connects (creating an SQLite file if needed) and applies migrations.
    pub async fn open(config: &Config) -> Result<Store> {
        let resolved = config
            .resolve(SourceKind::Purchasing)
            .map_err(|e| anyhow!(e))?;
        let source = Source::connect(&resolved, Access::ReadWrite).await?;
        let store = Store {
            source,
            user: config.user(),
        };
        store.migrate().await?;
        Ok(store)
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
                s.execute(&statement)
                    .await
                    .with_context(|| format!("migration {} ({})", m.version, m.name))?;
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
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

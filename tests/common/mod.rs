//! Test helpers: real databases on SQLite, PostgreSQL and MariaDB, each test
//! with its own uniquely named databases, dropped afterwards.
//!
//! PostgreSQL and MariaDB tests run when BUYERDESK_TEST_POSTGRES_URL /
//! BUYERDESK_TEST_MYSQL_URL point at a server (an admin URL, e.g.
//! postgres://postgres@127.0.0.1:5432/postgres). Without them they print
//! that they were skipped, except under CI=true, where a missing server is
//! a failure.
//!
//! Least privilege: when BUYERDESK_TEST_POSTGRES_READER / _WRITER (and
//! BUYERDESK_TEST_MYSQL_READER / _WRITER) name roles (`.ci/run` creates
//! them), buyerdesk reads every scratch source database through the reader
//! role, which may only SELECT, and writes the scratch purchasing database
//! through the writer role, which may only work inside that database. The
//! tests seed and change source rows with the admin URL (`admin_config`), so
//! a write by buyerdesk to a source fails the suite. The roles' password, if
//! any, is in BUYERDESK_TEST_ROLE_PASSWORD and reaches buyerdesk through
//! `password_env`, never through a URL.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod endpoint;
pub mod live;
pub mod proxy;

use buyerdesk::config::{Config, FileConfig, SourceKind, SourceSettings};
use sqlx::Executor;

/// The variable holding the test roles' password (optional).
pub const ROLE_PASSWORD_ENV: &str = "BUYERDESK_TEST_ROLE_PASSWORD";

/// Through which role buyerdesk reaches a scratch database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The admin URL itself (test fixtures, and runs without roles).
    Admin,
    /// A source: SELECT only.
    Reader,
    /// The purchasing database: creates and changes its own tables there.
    Writer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
    MySql,
}

impl Db {
    fn env(self) -> &'static str {
        match self {
            Db::Sqlite => "",
            Db::Postgres => "BUYERDESK_TEST_POSTGRES_URL",
            Db::MySql => "BUYERDESK_TEST_MYSQL_URL",
        }
    }

    /// The admin URL, or None (after saying the test is skipped).
    pub fn admin_url(self, test: &str) -> Option<String> {
        if self == Db::Sqlite {
            return Some(String::new());
        }
        match std::env::var(self.env()) {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!(
                        "{test}: CI=true but {} is not set: the real-server tests must run in CI",
                        self.env()
                    );
                }
                eprintln!(
                    "SKIPPED {test}: {} not set (no {:?} server for this run)",
                    self.env(),
                    self
                );
                None
            }
        }
    }

    /// The variable naming the least-privilege role of `role` on this server.
    pub fn role_env(self, role: Role) -> Option<&'static str> {
        match (self, role) {
            (Db::Postgres, Role::Reader) => Some("BUYERDESK_TEST_POSTGRES_READER"),
            (Db::Postgres, Role::Writer) => Some("BUYERDESK_TEST_POSTGRES_WRITER"),
            (Db::MySql, Role::Reader) => Some("BUYERDESK_TEST_MYSQL_READER"),
            (Db::MySql, Role::Writer) => Some("BUYERDESK_TEST_MYSQL_WRITER"),
            _ => None,
        }
    }

    /// The role's name when the run uses least-privilege roles, else None
    /// (buyerdesk then uses the admin URL, as before).
    pub fn role_name(self, role: Role) -> Option<String> {
        let var = self.role_env(role)?;
        std::env::var(var).ok().filter(|v| !v.trim().is_empty())
    }

    /// Like `admin_url`, for tests that are about the roles themselves:
    /// the admin URL and the role's name, or None (skipped; a failure under
    /// CI=true, which must prove least privilege).
    pub fn admin_and_role(self, test: &str, role: Role) -> Option<(String, String)> {
        let admin = self.admin_url(test)?;
        let var = self.role_env(role).expect("a server with roles");
        match self.role_name(role) {
            Some(name) => Some((admin, name)),
            None => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{test}: CI=true but {var} is not set: CI must run through the least-privilege roles (.ci/run creates them)");
                }
                eprintln!("SKIPPED {test}: {var} not set (no least-privilege role for this run)");
                None
            }
        }
    }
}

/// `name` as a MariaDB account.
fn mysql_account(name: &str) -> String {
    format!("'{name}'@'%'")
}

/// Gives `role` what it needs on the new scratch database `name`: the
/// reader SELECT on every table, now and later (tables the admin creates
/// afterwards, as tests seed after creating), the writer its own tables.
async fn grant(db: Db, admin: &str, name: &str, role: Role, role_name: &str) {
    match db {
        Db::Postgres => {
            let server = sqlx::PgPool::connect(admin)
                .await
                .expect("connect to the PostgreSQL admin URL");
            server
                .execute(format!("GRANT CONNECT ON DATABASE {name} TO {role_name}").as_str())
                .await
                .unwrap_or_else(|e| panic!("GRANT ON DATABASE {name} TO {role_name}: {e}"));
            server.close().await;
            let mut u = url::Url::parse(admin).unwrap();
            u.set_path(name);
            let inside = sqlx::PgPool::connect(u.as_str()).await.unwrap();
            let statements: Vec<String> = match role {
                Role::Reader => vec![
                    // Before PostgreSQL 15 everyone may create in public.
                    "REVOKE CREATE ON SCHEMA public FROM PUBLIC".into(),
                    format!("GRANT USAGE ON SCHEMA public TO {role_name}"),
                    format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role_name}"),
                    format!("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {role_name}"),
                ],
                Role::Writer => vec![
                    "REVOKE CREATE ON SCHEMA public FROM PUBLIC".into(),
                    format!("GRANT USAGE, CREATE ON SCHEMA public TO {role_name}"),
                ],
                Role::Admin => vec![],
            };
            for sql in statements {
                inside
                    .execute(sql.as_str())
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {sql}: {e}"));
            }
            inside.close().await;
        }
        Db::MySql => {
            let server = sqlx::MySqlPool::connect(admin)
                .await
                .expect("connect to the MariaDB admin URL");
            let privileges = match role {
                Role::Reader => "SELECT",
                // What the purchasing migrations and the store use, on that
                // database only (README, "Least privilege").
                _ => "SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, REFERENCES, TRIGGER",
            };
            let sql = format!(
                "GRANT {privileges} ON `{name}`.* TO {}",
                mysql_account(role_name)
            );
            server
                .execute(sql.as_str())
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            server.close().await;
        }
        Db::Sqlite => {}
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "bdt_{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

/// One scratch database; dropped when this value is dropped.
pub struct ScratchDb {
    pub db: Db,
    /// The URL buyerdesk uses: through the role when the run has one.
    pub url: String,
    /// The variable holding that URL's password, for `password_env`.
    pub password_env: Option<String>,
    /// The same database through the admin URL: for seeding and changing
    /// rows underneath buyerdesk.
    pub admin_url: String,
    /// The role's account, when `url` goes through one.
    pub role: Option<String>,
    admin: String,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl ScratchDb {
    /// A scratch database reached through the admin URL.
    pub async fn create(db: Db, admin: &str, prefix: &str) -> ScratchDb {
        Self::create_as(db, admin, prefix, Role::Admin).await
    }

    /// A scratch database that buyerdesk reaches through `role` when the
    /// run names one for this server (else through the admin URL).
    pub async fn create_as(db: Db, admin: &str, prefix: &str, role: Role) -> ScratchDb {
        let mut scratch = Self::create_plain(db, admin, prefix).await;
        let Some(role_name) = (role != Role::Admin).then(|| db.role_name(role)).flatten() else {
            return scratch;
        };
        grant(db, admin, &scratch.name, role, &role_name).await;
        let mut u = url::Url::parse(&scratch.admin_url).unwrap();
        u.set_username(&role_name).unwrap();
        u.set_password(None).unwrap();
        scratch.url = u.to_string();
        scratch.role = Some(role_name);
        scratch.password_env = std::env::var(ROLE_PASSWORD_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .map(|_| ROLE_PASSWORD_ENV.to_string());
        scratch
    }

    /// Points a config section at this database as buyerdesk reaches it.
    pub fn configure(&self, settings: &mut SourceSettings) {
        settings.url = Some(self.url.clone());
        settings.password_env = self.password_env.clone();
    }

    /// Runs a statement in this database as its administrator: what a
    /// buyerdesk role may not do (drop its tables, to empty it).
    #[allow(dead_code)]
    pub async fn admin_execute(&self, sql: &str) {
        match self.db {
            Db::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.admin_url).await.unwrap();
                pool.execute(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                pool.close().await;
            }
            Db::Postgres => {
                let pool = sqlx::PgPool::connect(&self.admin_url).await.unwrap();
                pool.execute(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                pool.close().await;
            }
            Db::MySql => {
                let pool = sqlx::MySqlPool::connect(&self.admin_url).await.unwrap();
                pool.execute(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                pool.close().await;
            }
        }
    }

    async fn create_plain(db: Db, admin: &str, prefix: &str) -> ScratchDb {
        let name = unique(prefix);
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!(
                    "sqlite://{}",
                    dir.path().join(format!("{name}.sqlite")).display()
                );
                ScratchDb {
                    db,
                    admin_url: url.clone(),
                    url,
                    password_env: None,
                    role: None,
                    admin: String::new(),
                    name,
                    _dir: Some(dir),
                }
            }
            Db::Postgres | Db::MySql => {
                let create = format!("CREATE DATABASE {name}");
                if db == Db::Postgres {
                    let pool = sqlx::PgPool::connect(admin)
                        .await
                        .expect("connect to the PostgreSQL admin URL");
                    pool.execute(create.as_str()).await.unwrap();
                    pool.close().await;
                } else {
                    let pool = sqlx::MySqlPool::connect(admin)
                        .await
                        .expect("connect to the MariaDB admin URL");
                    pool.execute(create.as_str()).await.unwrap();
                    pool.close().await;
                }
                let mut u = url::Url::parse(admin).unwrap();
                u.set_path(&name);
                ScratchDb {
                    db,
                    url: u.to_string(),
                    admin_url: u.to_string(),
                    password_env: None,
                    role: None,
                    admin: admin.to_string(),
                    name,
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if self.db == Db::Sqlite {
            return;
        }
        let (db, admin, name, role) = (
            self.db,
            self.admin.clone(),
            self.name.clone(),
            self.role.clone(),
        );
        // Drop runs outside any runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                match db {
                    Db::Postgres => {
                        if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                            let _ = pool
                                .execute(
                                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                                )
                                .await;
                        }
                    }
                    Db::MySql => {
                        if let Ok(pool) = sqlx::MySqlPool::connect(&admin).await {
                            // MariaDB keeps a database's grants after the
                            // database is gone: revoke them first.
                            if let Some(role) = role {
                                let _ = pool
                                    .execute(
                                        format!(
                                            "REVOKE ALL PRIVILEGES ON `{name}`.* FROM {}",
                                            mysql_account(&role)
                                        )
                                        .as_str(),
                                    )
                                    .await;
                            }
                            let _ = pool
                                .execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
                                .await;
                        }
                    }
                    Db::Sqlite => {}
                }
            })
        })
        .join();
    }
}

/// Four scratch databases (one per source) and a config pointing at them.
pub struct Setup {
    /// What buyerdesk is given: the sources through the reader role when
    /// the run has one.
    pub config: Config,
    /// The same databases through the admin URL: seed and change rows with
    /// this one.
    pub admin_config: Config,
    pub dbs: Vec<ScratchDb>,
    pub data_dir: tempfile::TempDir,
}

impl Setup {
    /// `backends` gives the backend of oms, inventory, supplier, uom.
    pub async fn new(test: &str, backends: [Db; 4]) -> Option<Setup> {
        let mut dbs = Vec::new();
        for (kind, db) in SourceKind::SOURCES.iter().zip(backends) {
            let admin = db.admin_url(test)?;
            dbs.push(ScratchDb::create_as(db, &admin, kind.name(), Role::Reader).await);
        }
        let data_dir = tempfile::tempdir().unwrap();
        let mut file = FileConfig::default();
        let mut admin_file = FileConfig::default();
        for (kind, db) in SourceKind::SOURCES.iter().zip(&dbs) {
            let s = file.source_mut(*kind);
            db.configure(s);
            s.connect_timeout_secs = 5.0;
            let a = admin_file.source_mut(*kind);
            a.url = Some(db.admin_url.clone());
            a.connect_timeout_secs = 5.0;
        }
        file.purchasing.url = Some(format!(
            "sqlite://{}",
            data_dir.path().join("purchasing.sqlite").display()
        ));
        admin_file.purchasing = file.purchasing.clone();
        let config = Config {
            file,
            origin: format!("{test} config"),
            data_dir: data_dir.path().to_path_buf(),
        };
        let admin_config = Config {
            file: admin_file,
            origin: format!("{test} admin config"),
            data_dir: data_dir.path().to_path_buf(),
        };
        Some(Setup {
            config,
            admin_config,
            dbs,
            data_dir,
        })
    }

    pub fn url(&self, kind: SourceKind) -> &str {
        &self.dbs[kind as usize].url
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_buyerdesk"))
}

/// The `[orders]` settings of a configuration (the config hands the
/// section over as written; orders read it).
#[allow(dead_code)]
pub fn orders_of(config: &Config) -> buyerdesk::orders::OrdersConfig {
    buyerdesk::orders::OrdersConfig::read(&config.file, &config.origin)
        .unwrap_or_else(|e| panic!("the test's [orders]: {e}"))
}

/// Changes a configuration's `[orders]` settings.
#[allow(dead_code)]
pub fn edit_orders(config: &mut Config, f: impl FnOnce(&mut buyerdesk::orders::OrdersConfig)) {
    let mut orders = orders_of(config);
    f(&mut orders);
    orders.write_to(&mut config.file);
}

/// Every table of the purchasing database, children first: dropping them
/// in this order empties it (a test of a database emptied under a
/// workstation).
#[allow(dead_code)]
pub const PURCHASING_TABLES: &[&str] = &[
    "po_open_products",
    "po_send_attempts",
    "po_lines",
    "purchase_orders",
    "audit_log",
    "overrides",
    "forecasts",
    "buyerdesk_identity",
    "buyerdesk_migrations",
];

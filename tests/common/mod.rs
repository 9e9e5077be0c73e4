//! Test helpers: real databases on SQLite, PostgreSQL and MariaDB, each test
//! with its own uniquely named databases, dropped afterwards.
//!
//! PostgreSQL and MariaDB tests run when BUYERDESK_TEST_POSTGRES_URL /
//! BUYERDESK_TEST_MYSQL_URL point at a server (an admin URL, e.g.
//! postgres://postgres@127.0.0.1:5432/postgres). Without them they print
//! that they were skipped, except under CI=true, where a missing server is
//! a failure.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod endpoint;
pub mod proxy;

use buyerdesk::config::{Config, FileConfig, SourceKind};
use sqlx::Executor;

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
    pub url: String,
    admin: String,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl ScratchDb {
    pub async fn create(db: Db, admin: &str, prefix: &str) -> ScratchDb {
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
                    url,
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
        let (db, admin, name) = (self.db, self.admin.clone(), self.name.clone());
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
    pub config: Config,
    pub dbs: Vec<ScratchDb>,
    pub data_dir: tempfile::TempDir,
}

impl Setup {
    /// `backends` gives the backend of oms, inventory, supplier, uom.
    pub async fn new(test: &str, backends: [Db; 4]) -> Option<Setup> {
        let mut dbs = Vec::new();
        for (kind, db) in SourceKind::SOURCES.iter().zip(backends) {
            let admin = db.admin_url(test)?;
            dbs.push(ScratchDb::create(db, &admin, kind.name()).await);
        }
        let data_dir = tempfile::tempdir().unwrap();
        let mut file = FileConfig::default();
        for (kind, db) in SourceKind::SOURCES.iter().zip(&dbs) {
            let s = file.source_mut(*kind);
            s.url = Some(db.url.clone());
            s.connect_timeout_secs = 5.0;
        }
        file.purchasing.url = Some(format!(
            "sqlite://{}",
            data_dir.path().join("purchasing.sqlite").display()
        ));
        let config = Config {
            file,
            origin: format!("{test} config"),
            data_dir: data_dir.path().to_path_buf(),
        };
        Some(Setup {
            config,
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

//! What the database benches share (plan, refresh, side_by_side, orders; tui
//! for the last two): the servers and their admin URLs, a config whose four
//! sources are bench databases, seeding them once, the BUYERDESK_BENCH_*
//! variables, the median of the runs, the process's memory, and the log
//! lines on stderr.
//!
//! Included by each bench with `mod common;`; a bench uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use buyerdesk::config::{Config, FileConfig, SourceKind};
use buyerdesk::demo;
use buyerdesk::sources::Sources;
use sqlx::Executor;

/// The database servers the benches run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Postgres,
    MariaDb,
    Sqlite,
}

impl Server {
    /// A name of BUYERDESK_BENCH_BACKENDS.
    pub fn parse(name: &str) -> Option<Server> {
        match name.trim() {
            "postgres" | "postgresql" | "pg" => Some(Server::Postgres),
            "mariadb" | "mysql" => Some(Server::MariaDb),
            "sqlite" => Some(Server::Sqlite),
            _ => None,
        }
    }

    /// Its name in the printed lines.
    pub fn name(self) -> &'static str {
        match self {
            Server::Postgres => "PostgreSQL",
            Server::MariaDb => "MariaDB",
            Server::Sqlite => "SQLite",
        }
    }

    /// The variable holding the server's admin URL.
    pub fn admin_var(self) -> &'static str {
        match self {
            Server::Postgres => "BUYERDESK_BENCH_POSTGRES_URL",
            Server::MariaDb => "BUYERDESK_BENCH_MYSQL_URL",
            Server::Sqlite => panic!("SQLite has no server and no admin URL"),
        }
    }

    /// The server's admin URL: its variable, or the local server's default.
    pub fn admin_url(self) -> String {
        let default = match self {
            Server::Postgres => "postgres://postgres@127.0.0.1:5432/postgres",
            Server::MariaDb => "mysql://root@127.0.0.1:3306/mysql",
            Server::Sqlite => panic!("SQLite has no server and no admin URL"),
        };
        env_text(self.admin_var(), default)
    }
}

/// A variable's number (`100_000` as well as `100000`), or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A variable's text, or `default`.
pub fn env_text(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// Where the SQLite bench databases are: BUYERDESK_BENCH_SQLITE_DIR, or
/// <tmp>/buyerdesk-bench.
pub fn sqlite_dir() -> PathBuf {
    std::env::var_os("BUYERDESK_BENCH_SQLITE_DIR")
        .map(Into::into)
        .unwrap_or_else(|| std::env::temp_dir().join("buyerdesk-bench"))
}

/// The four bench source databases on one server, and how buyerdesk is
/// set up to read them.
pub struct BenchDatabases {
    pub server: Server,
    /// `Some(n)`: the databases of `n` products,
    /// buyerdesk_bench_{n}_{oms,inventory,supplier,uom}; `None`:
    /// buyerdesk_bench_{oms,inventory,supplier,uom}, whatever their size.
    pub size: Option<usize>,
    pub query_timeout_secs: f64,
    /// The config's origin (in its error messages).
    pub origin: &'static str,
    /// buyerdesk's data directory, under the temporary directory.
    pub data_dir: &'static str,
}

/// Days of daily history seeded per product: BUYERDESK_BENCH_HISTORY_DAYS
/// (e.g. 0, 91, 730), default two years (`demo::HISTORY_DAYS`, the shape
/// issue 21 asks for: 46 million rows at 100,000 products, long to seed).
pub fn history_days() -> usize {
    env_usize("BUYERDESK_BENCH_HISTORY_DAYS", demo::HISTORY_DAYS as usize)
}

/// The part of a bench database's name that says its history when it is
/// not the default ("_h91"), so that databases of different history sizes
/// are seeded once each and never mistaken for one another.
pub fn history_suffix() -> String {
    match history_days() {
        d if d == demo::HISTORY_DAYS as usize => String::new(),
        d => format!("_h{d}"),
    }
}

impl BenchDatabases {
    fn database(&self, kind: SourceKind) -> String {
        let h = history_suffix();
        match self.size {
            Some(n) => format!("buyerdesk_bench_{n}{h}_{}", kind.name()),
            None => format!("buyerdesk_bench{h}_{}", kind.name()),
        }
    }

    /// A config whose four sources are these databases (created empty
    /// when missing).
    pub async fn config(&self) -> Config {
        let mut file = FileConfig::default();
        let names = SourceKind::SOURCES.map(|kind| (kind, self.database(kind)));
        let urls: Vec<String> = match self.server {
            Server::Postgres => {
                let admin = self.server.admin_url();
                let pool = sqlx::PgPool::connect(&admin)
                    .await
                    .expect("PostgreSQL for the benchmark (BUYERDESK_BENCH_POSTGRES_URL)");
                for (_, name) in &names {
                    let exists = sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(*) FROM pg_database WHERE datname = $1",
                    )
                    .bind(name)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                    if exists == 0 {
                        pool.execute(format!("CREATE DATABASE {name}").as_str())
                            .await
                            .unwrap();
                    }
                }
                pool.close().await;
                names.iter().map(|(_, name)| on(&admin, name)).collect()
            }
            Server::MariaDb => {
                let admin = self.server.admin_url();
                let pool = sqlx::MySqlPool::connect(&admin)
                    .await
                    .expect("MariaDB for the benchmark (BUYERDESK_BENCH_MYSQL_URL)");
                for (_, name) in &names {
                    pool.execute(format!("CREATE DATABASE IF NOT EXISTS {name}").as_str())
                        .await
                        .unwrap();
                }
                pool.close().await;
                names.iter().map(|(_, name)| on(&admin, name)).collect()
            }
            Server::Sqlite => {
                let dir = sqlite_dir();
                std::fs::create_dir_all(&dir).unwrap();
                (names.iter())
                    .map(|(_, name)| format!("sqlite://{}/{name}.sqlite", dir.display()))
                    .collect()
            }
        };
        for ((kind, _), url) in names.iter().zip(urls) {
            let s = file.source_mut(*kind);
            s.url = Some(url);
            s.query_timeout_secs = self.query_timeout_secs;
        }
        Config {
            file,
            origin: self.origin.into(),
            data_dir: std::env::temp_dir().join(self.data_dir),
        }
    }
}

/// The database `name` on the server of `admin` (an admin URL).
pub fn on(admin: &str, name: &str) -> String {
    let mut u = url::Url::parse(admin).unwrap();
    u.set_path(name);
    u.to_string()
}

/// Seeds the bench databases of `config` (on `server`) with `n` demo
/// products unless they hold them already; how long the seeding took when
/// it seeded (the caller says so).
pub async fn ensure_seeded(server: Server, config: &Config, n: usize) -> Option<Duration> {
    let seeded = match Sources::connect(config).await {
        Ok(s) => {
            let rows = s.oms.source.count_rows("oms_history").await.unwrap_or(0) as usize;
            s.close().await;
            // ~1% of products are missing from the OMS by design.
            rows > n * 97 / 100 && rows <= n
        }
        Err(_) => false,
    };
    if seeded {
        return None;
    }
    let days = history_days();
    eprintln!(
        "seeding {n} demo products with {days} days of daily history into {} (once)...",
        server.name()
    );
    let start = Instant::now();
    let last = (days != demo::HISTORY_DAYS as usize).then_some(days);
    demo::seed_with_history(config, n, demo::DEFAULT_SEED, true, false, last)
        .await
        .expect("seed");
    Some(start.elapsed())
}

/// The middle value of the runs (of an even number, the upper one).
pub fn median<T: PartialOrd>(mut values: Vec<T>) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).expect("measures are comparable"));
    values.swap_remove(values.len() / 2)
}

/// A memory figure of this process in kB from /proc/self/status (`field`
/// as written there: "VmHWM:", "VmRSS:"); None without /proc.
pub fn memory_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The peak resident memory of this process (VmHWM), kB.
pub fn peak_rss_kb() -> Option<u64> {
    memory_kb("VmHWM:")
}

/// kB in MB.
pub fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// buyerdesk's own log lines on stderr when RUST_LOG asks for them (e.g.
/// RUST_LOG=buyerdesk=info).
pub fn log_to_stderr_from_env() {
    if let Ok(filter) = std::env::var("RUST_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
}

//! Drafting and sending (file channel) purchase orders for 1,000 suppliers,
//! three products each, into a fresh purchasing database per run: SQLite
//! (a file in a temporary directory) and, when they answer, PostgreSQL
//! (BUYERDESK_BENCH_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres) and MariaDB
//! (BUYERDESK_BENCH_MYSQL_URL, default mysql://root@127.0.0.1:3306/mysql).
//! Three runs per backend; the median and the spread are printed.
//!
//!     cargo bench --bench orders
//!     BUYERDESK_BENCH_BACKENDS=postgres cargo bench --bench orders
//!
//! BUYERDESK_BENCH_SUPPLIERS changes the number of suppliers,
//! BUYERDESK_BENCH_RUNS the runs per backend (3). RUST_LOG=buyerdesk::orders::send=debug
//! prints where each batch's time went.

mod common;

use std::time::{Duration, Instant};

use buyerdesk::config::{Config, FileConfig};
use buyerdesk::orders::{build_drafts, DraftOptions, Sender};
use buyerdesk::plan::{self, PlanContext, ProductPlan, RuleSet};
use buyerdesk::store::Store;
use common::{env_text, env_usize, median, Server};
use sqlx::{Connection, Executor};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LINES_PER_PO: usize = 3;

fn suppliers() -> usize {
    env_usize("BUYERDESK_BENCH_SUPPLIERS", 1000)
}

/// PROD-001's plan (600 pieces = 50 boxes, 9,300.00) for every product of
/// every supplier.
fn plans(suppliers: usize) -> Vec<ProductPlan> {
    let inputs = plan::join(plan::fixtures::reference_rows());
    let base = plan::plan_all(&inputs, &PlanContext::default(), &RuleSet::embedded())
        .into_iter()
        .find(|p| &*p.product_id == "PROD-001")
        .unwrap();
    let mut out = Vec::with_capacity(suppliers * LINES_PER_PO);
    for s in 0..suppliers {
        for l in 0..LINES_PER_PO {
            let mut p = base.clone();
            p.product_id = format!("B{s:04}-{l}").into();
            p.supplier_id = Some(format!("SUP-B{s:04}").into());
            p.supplier_name = Some(format!("Bench Supplier {s:04}").into());
            out.push(p);
        }
    }
    out
}

struct Run {
    draft: Duration,
    send: Duration,
}

/// What the runs leave behind (outboxes, SQLite files, databases), removed
/// when the bench ends rather than between runs: on a file system without
/// a journal (ext4 here) a file created within a few minutes of many
/// deletions takes ext4's slow path past every recently freed inode, which
/// made each run's 2,000 documents slower to create than the last one's
/// (write 13 ms -> 280 ms per 500 files). BUYERDESK_BENCH_CLEAN_BETWEEN=1
/// removes them after each run instead, to see that.
#[derive(Default)]
struct Leftovers {
    dirs: Vec<tempfile::TempDir>,
    databases: Vec<(Server, String, String)>,
}

impl Leftovers {
    fn clean_between() -> bool {
        std::env::var("BUYERDESK_BENCH_CLEAN_BETWEEN").is_ok_and(|v| v == "1")
    }

    fn keep_dir(&mut self, dir: tempfile::TempDir) {
        if !Self::clean_between() {
            self.dirs.push(dir);
        }
    }

    async fn keep_database(&mut self, server: Server, admin: &str, name: String) {
        if Self::clean_between() {
            drop_database(server, admin, &name).await;
        } else {
            self.databases.push((server, admin.to_string(), name));
        }
    }

    async fn remove(self) {
        for (server, admin, name) in self.databases {
            drop_database(server, &admin, &name).await;
        }
    }
}

async fn one_run(purchasing_url: String, plans: &[ProductPlan], left: &mut Leftovers) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut file = FileConfig::default();
    file.purchasing.url = Some(purchasing_url);
    file.purchasing.pool_size = 8;
    file.general.user = Some("bench".into());
    let orders = buyerdesk::orders::OrdersConfig {
        outbox: Some(dir.path().join("outbox")),
        approval_threshold: 1e12.into(),
        ..Default::default()
    };
    orders.write_to(&mut file);
    let config = Config {
        file,
        origin: "orders bench".into(),
        data_dir: dir.path().to_path_buf(),
    };
    let store = Store::open(&config).await.unwrap();
    let refs: Vec<&ProductPlan> = plans.iter().collect();
    let start = Instant::now();
    let opts = DraftOptions {
        today: chrono::Local::now().date_naive(),
        approval_threshold: orders.approval_threshold.clone(),
        default_currency: "EUR".into(),
        open_products: store.open_products().await.unwrap(),
        allow_stale: Vec::new(),
    };
    let outcome = store.create_pos(build_drafts(&refs, &opts)).await.unwrap();
    let draft = start.elapsed();
    assert_eq!(outcome.created.len(), plans.len() / LINES_PER_PO);
    let sender = Sender::new(store.clone(), &config).unwrap();
    let start = Instant::now();
    let results = sender.send_all(true, &|_| {}).await.unwrap();
    let send = start.elapsed();
    assert_eq!(results.len(), outcome.created.len());
    assert!(results.iter().all(|(_, r)| r.is_ok()));
    let files = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(files, 2 * outcome.created.len());
    store.source.close().await;
    left.keep_dir(dir);
    Run { draft, send }
}

fn report(backend: &str, runs: &mut [Run], n: usize) {
    // The median, the fastest and the slowest.
    let spread = |v: Vec<Duration>| {
        let (min, max) = (*v.iter().min().unwrap(), *v.iter().max().unwrap());
        (median(v), min, max)
    };
    let (d, dmin, dmax) = spread(runs.iter().map(|r| r.draft).collect());
    let (s, smin, smax) = spread(runs.iter().map(|r| r.send).collect());
    println!(
        "{backend:<10} draft {n} POs ({} lines): {:>7.2} s (min {:.2}, max {:.2})  send (file): {:>7.2} s (min {:.2}, max {:.2})  per PO: draft {:.2} ms, send {:.2} ms",
        n * LINES_PER_PO,
        d.as_secs_f64(),
        dmin.as_secs_f64(),
        dmax.as_secs_f64(),
        s.as_secs_f64(),
        smin.as_secs_f64(),
        smax.as_secs_f64(),
        d.as_secs_f64() * 1000.0 / n as f64,
        s.as_secs_f64() * 1000.0 / n as f64,
    );
}

fn main() {
    // Where a batch's time went (claim, read, documents, finish) on
    // stderr, e.g. RUST_LOG=buyerdesk::orders=debug.
    common::log_to_stderr_from_env();
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // and gets a quick run.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = if quick { 10 } else { suppliers() };
    let plans = plans(n);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runs = if quick {
        1
    } else {
        env_usize("BUYERDESK_BENCH_RUNS", 3)
    };
    let backends = env_text("BUYERDESK_BENCH_BACKENDS", "sqlite,postgres,mariadb");
    rt.block_on(async {
        let mut left = Leftovers::default();
        for backend in backends.split(',').map(str::trim) {
            match backend {
                "sqlite" => {
                    let mut sqlite = Vec::new();
                    for _ in 0..runs {
                        let dir = tempfile::tempdir().unwrap();
                        let url = format!(
                            "sqlite://{}",
                            dir.path().join("purchasing.sqlite").display()
                        );
                        sqlite.push(one_run(url, &plans, &mut left).await);
                        left.keep_dir(dir);
                    }
                    report("sqlite", &mut sqlite, n);
                }
                "postgres" => server_runs(Server::Postgres, &plans, runs, n, &mut left).await,
                "mariadb" | "mysql" => {
                    server_runs(Server::MariaDb, &plans, runs, n, &mut left).await
                }
                other => panic!("unknown backend {other:?} in BUYERDESK_BENCH_BACKENDS"),
            }
        }
        left.remove().await;
    });
}

/// A server's name in the printed lines.
fn label(server: Server) -> &'static str {
    match server {
        Server::Postgres => "postgres",
        Server::MariaDb => "mariadb",
        Server::Sqlite => "sqlite",
    }
}

/// One statement on a fresh connection to the server's admin database.
async fn admin_sql(server: Server, admin: &str, sql: &str) -> Result<(), sqlx::Error> {
    match server {
        Server::Postgres => {
            let mut c = sqlx::PgConnection::connect(admin).await?;
            c.execute(sql).await.map(|_| ())
        }
        Server::MariaDb => {
            let mut c = sqlx::MySqlConnection::connect(admin).await?;
            c.execute(sql).await.map(|_| ())
        }
        Server::Sqlite => unreachable!("SQLite runs have no server"),
    }
}

async fn drop_database(server: Server, admin: &str, name: &str) {
    let sql = match server {
        Server::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        Server::MariaDb => format!("DROP DATABASE IF EXISTS {name}"),
        Server::Sqlite => unreachable!("SQLite runs have no server"),
    };
    admin_sql(server, admin, &sql).await.unwrap();
}

/// `runs` runs against a server, each into a database of its own;
/// skipped with a line saying so when the server does not answer.
async fn server_runs(
    server: Server,
    plans: &[ProductPlan],
    runs: usize,
    n: usize,
    left: &mut Leftovers,
) {
    let (label, var, admin) = (label(server), server.admin_var(), server.admin_url());
    if admin_sql(server, &admin, "SELECT 1").await.is_err() {
        println!("{label:<10} SKIPPED: no server at {var}");
        return;
    }
    let mut out = Vec::new();
    for i in 0..runs {
        let name = format!("buyerdesk_bench_orders_{}_{i}", std::process::id());
        drop_database(server, &admin, &name).await;
        admin_sql(server, &admin, &format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        out.push(one_run(common::on(&admin, &name), plans, left).await);
        left.keep_database(server, &admin, name).await;
    }
    report(label, &mut out, n);
}

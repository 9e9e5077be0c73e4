//! Issue 7: buyerdesk's batched plan side by side with a per-request
//! service and with the databases' own clients, and the plan's growth from
//! 1,000 to 1,000,000 products.
//!
//!     cargo bench --bench side_by_side                # PostgreSQL, 100,000 products
//!     BUYERDESK_BENCH_BACKENDS=postgres,mariadb,sqlite cargo bench --bench side_by_side
//!     cargo bench --bench side_by_side -- scaling     # 1k, 10k, 100k, 1M on PostgreSQL
//!     cargo bench --bench side_by_side -- seed        # only seed the databases
//!
//! Side by side, per backend, with BUYERDESK_BENCH_PRODUCTS products
//! (default 100000):
//! - buyerdesk: load of the four sources + join + rules + rationale
//!   (`live::plan_products`), median of BUYERDESK_BENCH_RUNS runs (default 5);
//! - a per-request service: for each product of an evenly spaced sample,
//!   four queries (one per source, `WHERE product_id = <bound parameter>`,
//!   one after the other), the rules parsed and an engine built, then that
//!   one product planned; the sample's time is extrapolated to all products.
//!   Once on the contract's tables as they are (no index: every query scans
//!   its table; BUYERDESK_BENCH_SAMPLE_SCAN products, default 200) and once
//!   with an index on `product_id` in each table, created for the run and
//!   dropped after (BUYERDESK_BENCH_SAMPLE products, default 2000);
//! - the raw fetch of buyerdesk's four queries by the database's own client
//!   (`psql -c "\copy (...) TO '/dev/null'"`, `mariadb -e`, `sqlite3`), the
//!   four clients run concurrently as buyerdesk runs its queries, timed from
//!   here, next to buyerdesk's load.
//!
//! Scaling: for each size of BUYERDESK_BENCH_SCALING (default
//! 1000,10000,100000,1000000) the bench runs itself again in a fresh
//! process (`--scaling-child N`), which plans all products
//! BUYERDESK_BENCH_RUNS times (default 3) and reports the times and its peak
//! memory (VmHWM); the results go to docs/scaling.csv
//! (`python3 benches/scaling_chart.py` draws docs/scaling.svg from it).
//!
//! Databases: buyerdesk_bench_{N}_{oms,inventory,supplier,uom} on
//! BUYERDESK_BENCH_POSTGRES_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres) and BUYERDESK_BENCH_MYSQL_URL
//! (default mysql://root@127.0.0.1:3306/mysql); SQLite files of the same names
//! in BUYERDESK_BENCH_SQLITE_DIR (default <tmp>/buyerdesk-bench). Each is
//! seeded once with `demo` (the seeding time is printed) and reused.
//!
//! buyerdesk reads PostgreSQL with `COPY (...) TO STDOUT` and SQLite files
//! through rusqlite (src/sources/bulk.rs); BUYERDESK_PLAIN_FETCH=1 runs the
//! same bench on sqlx's row-by-row path, for a before/after comparison.
//!
//! Without `--bench` (`cargo test --benches`) it only plans the reference
//! rows both ways, without a database.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use buyerdesk::config::{Config, SourceKind};
use buyerdesk::live;
use buyerdesk::plan::inputs::{InventoryRow, OmsRow, SupplierRow, UomRow};
use buyerdesk::plan::{self, Num, PlanContext, RuleSet, SourceRows};
use buyerdesk::sources::{self, Access, Backend, Source, Sources, TableShape};
use common::{env_text, env_usize, median, peak_rss_kb, BenchDatabases, Server};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn list(d: &[Duration]) -> String {
    d.iter()
        .map(|d| format!("{:.0}", ms(*d)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A config whose four sources are the bench databases of `n` products on
/// `db` (created empty when missing).
async fn bench_config(db: Server, n: usize) -> Config {
    BenchDatabases {
        server: db,
        size: Some(n),
        query_timeout_secs: 3600.0,
        origin: "side_by_side bench",
        data_dir: "buyerdesk-bench",
    }
    .config()
    .await
}

/// Seeds the bench databases unless they hold `n` products already; the
/// seeding time when it seeded.
async fn ensure_seeded(db: Server, config: &Config, n: usize) -> Option<Duration> {
    let took = common::ensure_seeded(db, config, n).await?;
    eprintln!(
        "seeded {n} products into {} in {:.1} s",
        db.name(),
        took.as_secs_f64()
    );
    Some(took)
}

/// One full plan of every product, as `buyerdesk plan` runs it.
struct FullPlan {
    total: Duration,
    load: Duration,
    rules: Duration,
    product_ids: Vec<String>,
}

async fn full_plan(sources: &Sources, rules: &RuleSet, keep_ids: bool) -> FullPlan {
    let start = Instant::now();
    let (plans, timings) = live::plan_products(sources, rules, &PlanContext::default(), &[])
        .await
        .expect("full plan");
    let total = start.elapsed();
    let product_ids = if keep_ids {
        plans.iter().map(|p| p.product_id.to_string()).collect()
    } else {
        Vec::new()
    };
    // Dropped outside the measurement, as the CLI exits without freeing.
    drop(plans);
    FullPlan {
        total,
        load: timings.load,
        rules: timings.rules,
        product_ids,
    }
}

/// The columns buyerdesk reads from each source's table: the required
/// ones and the optional ones found.
fn columns(shape: &TableShape, required: &[&'static str]) -> Vec<&'static str> {
    let mut cols = required.to_vec();
    cols.extend(shape.optional_found.iter().copied());
    cols
}

/// The four queries of a load, as buyerdesk builds them (no filter).
fn load_queries(sources: &Sources) -> Vec<(SourceKind, String)> {
    vec![
        (
            SourceKind::Oms,
            sources::select_text(
                sources.oms.source.backend,
                &sources.oms.shape,
                &columns(&sources.oms.shape, sources::oms::REQUIRED),
                None,
            ),
        ),
        (
            SourceKind::Inventory,
            sources::select_text(
                sources.inventory.source.backend,
                &sources.inventory.shape,
                &columns(&sources.inventory.shape, sources::inventory::REQUIRED),
                None,
            ),
        ),
        (
            SourceKind::Supplier,
            sources::select_text(
                sources.supplier.source.backend,
                &sources.supplier.shape,
                &columns(&sources.supplier.shape, sources::supplier::REQUIRED),
                None,
            ),
        ),
        (
            SourceKind::Uom,
            sources::select_text(
                sources.uom.source.backend,
                &sources.uom.shape,
                sources::uom::REQUIRED,
                None,
            ),
        ),
    ]
}

fn cell<'a>(row: &[Option<&'a str>], i: Option<usize>) -> Option<&'a str> {
    i.and_then(|i| row.get(i).copied().flatten())
}

fn text(row: &[Option<&str>], i: Option<usize>) -> Option<std::sync::Arc<str>> {
    cell(row, i).map(|s| s.trim().into())
}

/// What a per-request service does for one product: one query per source,
/// `WHERE product_id = ?`, one after the other.
struct PerProductQueries {
    sql: Vec<String>,
    cols: Vec<Vec<&'static str>>,
}

impl PerProductQueries {
    fn new(sources: &Sources) -> PerProductQueries {
        let shapes: [(&Source, &TableShape, Vec<&'static str>); 4] = [
            (
                &sources.oms.source,
                &sources.oms.shape,
                columns(&sources.oms.shape, sources::oms::REQUIRED),
            ),
            (
                &sources.inventory.source,
                &sources.inventory.shape,
                columns(&sources.inventory.shape, sources::inventory::REQUIRED),
            ),
            (
                &sources.supplier.source,
                &sources.supplier.shape,
                columns(&sources.supplier.shape, sources::supplier::REQUIRED),
            ),
            (
                &sources.uom.source,
                &sources.uom.shape,
                sources::uom::REQUIRED.to_vec(),
            ),
        ];
        let mut sql = Vec::new();
        let mut cols = Vec::new();
        for (source, shape, c) in shapes {
            sql.push(format!(
                "{} WHERE product_id = {}",
                sources::select_text(source.backend, shape, &c, None),
                source.backend.placeholder(1)
            ));
            cols.push(c);
        }
        PerProductQueries { sql, cols }
    }

    async fn load(&self, sources: &Sources, id: &str) -> SourceRows {
        let bind = [id.to_string()];
        let at = |k: usize, name: &str| self.cols[k].iter().position(|c| *c == name);
        let oms = sources
            .oms
            .source
            .fetch_map(&self.sql[0], &bind, |r| OmsRow {
                product_id: text(r, Some(0)).unwrap_or_default(),
                avg_daily_demand: Num::parse(cell(r, Some(1))),
                trend: text(r, Some(2)),
                product_name: cell(r, at(0, "product_name")).map(Into::into),
            })
            .await
            .unwrap();
        let (on_order, safety, updated) = (
            at(1, "on_order_qty"),
            at(1, "safety_stock"),
            at(1, "updated_at"),
        );
        let inventory = sources
            .inventory
            .source
            .fetch_map(&self.sql[1], &bind, |r| InventoryRow {
                product_id: text(r, Some(0)).unwrap_or_default(),
                available_qty: Num::parse(cell(r, Some(1))),
                reserved_qty: Num::parse(cell(r, Some(2))),
                warehouse_location: cell(r, Some(3)).map(Into::into),
                on_order_qty: on_order.map(|i| Num::parse(cell(r, Some(i)))),
                safety_stock: safety.map(|i| Num::parse(cell(r, Some(i)))),
                updated_at: cell(r, updated).map(Into::into),
            })
            .await
            .unwrap();
        let (sid, mult, active, review, cur) = (
            at(2, "supplier_id"),
            at(2, "order_multiple"),
            at(2, "is_active"),
            at(2, "review_period_days"),
            at(2, "currency"),
        );
        let suppliers = sources
            .supplier
            .source
            .fetch_map(&self.sql[2], &bind, |r| SupplierRow {
                product_id: text(r, Some(0)).unwrap_or_default(),
                supplier_name: text(r, Some(1)),
                unit_price: Num::parse(cell(r, Some(2))),
                moq: Num::parse(cell(r, Some(3))),
                lead_time: Num::parse(cell(r, Some(4))),
                supplier_id: text(r, sid),
                order_multiple: mult.map(|i| Num::parse(cell(r, Some(i)))),
                is_active: active.map(|i| cell(r, Some(i)).map(Into::into)),
                review_period_days: review.map(|i| Num::parse(cell(r, Some(i)))),
                currency: text(r, cur),
            })
            .await
            .unwrap();
        let uom = sources
            .uom
            .source
            .fetch_map(&self.sql[3], &bind, |r| UomRow {
                product_id: text(r, Some(0)).unwrap_or_default(),
                from_uom: text(r, Some(1)),
                to_uom: text(r, Some(2)),
                conversion_factor: Num::parse(cell(r, Some(3))),
            })
            .await
            .unwrap();
        SourceRows {
            oms,
            history: None,
            inventory,
            suppliers,
            uom,
        }
    }
}

/// A per-request service's time for a sample of products.
#[derive(Default)]
struct PerRequest {
    products: usize,
    queries: Duration,
    parse: Duration,
    plan: Duration,
}

impl PerRequest {
    fn total(&self) -> Duration {
        self.queries + self.parse + self.plan
    }

    fn per_product(&self) -> Duration {
        self.total() / self.products.max(1) as u32
    }
}

/// Plans one product as a per-request service does: its rules parsed and
/// an engine built for the request, then the product planned.
fn plan_one_request(rules_text: &str, rows: SourceRows) -> (Duration, Duration, usize) {
    let start = Instant::now();
    let rules = RuleSet::parse(rules_text, "per request").expect("rules");
    let mut planner = rules.engine();
    let parse = start.elapsed();
    let start = Instant::now();
    let inputs = plan::join(rows);
    let plans: Vec<_> = inputs
        .iter()
        .map(|p| plan::plan_product(p, &PlanContext::default(), &mut planner))
        .collect();
    (parse, start.elapsed(), plans.len())
}

async fn per_request(sources: &Sources, rules_text: &str, ids: &[String]) -> PerRequest {
    let queries = PerProductQueries::new(sources);
    let mut out = PerRequest::default();
    for id in ids {
        let start = Instant::now();
        let rows = queries.load(sources, id).await;
        out.queries += start.elapsed();
        let (parse, plan, planned) = plan_one_request(rules_text, rows);
        assert_eq!(planned, 1, "{id}: one plan per request");
        out.parse += parse;
        out.plan += plan;
        out.products += 1;
    }
    out
}

/// `n` product ids spread evenly over `all`.
fn sample(all: &[String], n: usize) -> Vec<String> {
    let n = n.min(all.len()).max(1);
    (0..n).map(|i| all[i * all.len() / n].clone()).collect()
}

const INDEXED: [(SourceKind, &str); 4] = [
    (SourceKind::Oms, "oms_history"),
    (SourceKind::Inventory, "inventory"),
    (SourceKind::Supplier, "suppliers"),
    (SourceKind::Uom, "uom_conversions"),
];

/// Creates (or drops) an index on `product_id` in each source table.
async fn product_id_indexes(config: &Config, create: bool) {
    for (kind, table) in INDEXED {
        let resolved = config.resolve(kind).unwrap();
        let source = Source::connect(&resolved, Access::ReadWrite).await.unwrap();
        let index = format!("bench_{table}_product_id");
        let sql = match (create, source.backend) {
            (true, _) => format!("CREATE INDEX IF NOT EXISTS {index} ON {table} (product_id)"),
            (false, Backend::MySql) => format!("DROP INDEX IF EXISTS {index} ON {table}"),
            (false, _) => format!("DROP INDEX IF EXISTS {index}"),
        };
        source.execute(&sql).await.unwrap();
        if create && source.backend == Backend::Postgres {
            source.execute(&format!("ANALYZE {table}")).await.unwrap();
        }
        source.close().await;
    }
}

/// The command line of the database's own client for one query of one
/// source, its output thrown away.
fn client_command(db: Server, config: &Config, kind: SourceKind, sql: Option<&str>) -> Command {
    let url = config.resolve(kind).unwrap().connect_url;
    match db {
        Server::Postgres => {
            let mut c = Command::new("psql");
            c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c"]);
            match sql {
                Some(sql) => c.arg(format!("\\copy ({sql}) TO '/dev/null'")),
                None => c.arg("SELECT 1"),
            };
            c
        }
        Server::MariaDb => {
            let u = url::Url::parse(&url).unwrap();
            let mut c = Command::new("mariadb");
            c.arg(format!("--host={}", u.host_str().unwrap_or("127.0.0.1")))
                .arg(format!("--port={}", u.port().unwrap_or(3306)))
                .arg(format!("--user={}", u.username()))
                .args(["--batch", "--skip-column-names", "--quick"])
                .arg(format!("--database={}", u.path().trim_start_matches('/')))
                .arg("-e")
                .arg(sql.unwrap_or("SELECT 1"));
            c
        }
        Server::Sqlite => {
            let file = url.trim_start_matches("sqlite://").to_string();
            let mut c = Command::new("sqlite3");
            c.arg("-readonly").arg(file).arg(sql.unwrap_or("SELECT 1"));
            c
        }
    }
}

/// Runs the four clients concurrently (as buyerdesk runs its four
/// queries); the time until the last one exits.
fn raw_fetch(
    db: Server,
    config: &Config,
    queries: &[(SourceKind, String)],
    real: bool,
) -> Duration {
    let start = Instant::now();
    let children: Vec<_> = queries
        .iter()
        .map(|(kind, sql)| {
            client_command(db, config, *kind, real.then_some(sql.as_str()))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the database's client (psql, mariadb, sqlite3)")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    start.elapsed()
}

/// Buyerdesk, the per-request service and the raw client fetch on one
/// backend.
async fn side_by_side(db: Server, n: usize) {
    let runs = env_usize("BUYERDESK_BENCH_RUNS", 5);
    let config = bench_config(db, n).await;
    let seeding = ensure_seeded(db, &config, n).await;
    let sources = Sources::connect(&config).await.expect("connect");
    let rules = live::load_rules(&config, None).unwrap();
    if live::needs_history(&rules) {
        eprintln!(
            "note: buyerdesk reads the history statistics (the forecasts' fingerprints); the raw fetch leaves that query out"
        );
    }
    println!("\n== {} , {n} products ==", db.name());
    if let Some(s) = seeding {
        println!("seeding (demo --products {n}): {:.1} s", s.as_secs_f64());
    }

    // (a) buyerdesk: one warm-up, then the runs.
    let warm = full_plan(&sources, &rules, true).await;
    let ids = warm.product_ids;
    let mut total = Vec::new();
    let mut load = Vec::new();
    let mut rules_t = Vec::new();
    for _ in 0..runs {
        let r = full_plan(&sources, &rules, false).await;
        total.push(r.total);
        load.push(r.load);
        rules_t.push(r.rules);
    }
    let (total_med, load_med, rules_med) = (
        median(total.clone()),
        median(load.clone()),
        median(rules_t.clone()),
    );
    println!(
        "buyerdesk full plan ({} products): median {:.0} ms (runs: {} ms); load {:.0} ms (runs: {}); rules+rationale {:.0} ms (runs: {})",
        ids.len(),
        ms(total_med),
        list(&total),
        ms(load_med),
        list(&load),
        ms(rules_med),
        list(&rules_t)
    );

    // (b) the per-request service, on the tables as they are (no index),
    // then with an index on product_id.
    let rules_text = rules.text.to_string();
    for (label, indexed, sample_size) in [
        (
            "no index (the contract's tables)",
            false,
            env_usize("BUYERDESK_BENCH_SAMPLE_SCAN", 200),
        ),
        (
            "index on product_id",
            true,
            env_usize("BUYERDESK_BENCH_SAMPLE", 2000),
        ),
    ] {
        if sample_size == 0 {
            continue;
        }
        if indexed {
            product_id_indexes(&config, true).await;
        }
        let ids = sample(&ids, sample_size);
        // A few requests first, so that connections are open.
        per_request(&sources, &rules_text, &ids[..ids.len().min(10)]).await;
        let r = per_request(&sources, &rules_text, &ids).await;
        if indexed {
            product_id_indexes(&config, false).await;
        }
        let each = r.per_product();
        let extrapolated = each * n as u32;
        println!(
            "per-request, {label}: {} products sampled in {:.0} ms: {:.3} ms per product (queries {:.3}, rules parsed {:.3}, plan {:.3}); extrapolated to {n}: {:.1} s = {:.0}x buyerdesk's full plan",
            r.products,
            ms(r.total()),
            ms(each),
            ms(r.queries) / r.products as f64,
            ms(r.parse) / r.products as f64,
            ms(r.plan) / r.products as f64,
            extrapolated.as_secs_f64(),
            extrapolated.as_secs_f64() / total_med.as_secs_f64()
        );
    }

    // (c) the database's own client fetching the same rows.
    let queries = load_queries(&sources);
    let startup: Vec<Duration> = (0..runs)
        .map(|_| raw_fetch(db, &config, &queries, false))
        .collect();
    let raw: Vec<Duration> = (0..runs)
        .map(|_| raw_fetch(db, &config, &queries, true))
        .collect();
    let raw_med = median(raw.clone());
    let startup_med = median(startup);
    println!(
        "raw fetch by the client (4 at once): median {:.0} ms (runs: {}), of which client start + connect + `SELECT 1` {:.0} ms; buyerdesk's load {:.0} ms = {:.2}x the raw fetch ({:.2}x without the client's start)",
        ms(raw_med),
        list(&raw),
        ms(startup_med),
        ms(load_med),
        load_med.as_secs_f64() / raw_med.as_secs_f64(),
        load_med.as_secs_f64() / raw_med.saturating_sub(startup_med).as_secs_f64()
    );
    for (kind, sql) in &queries {
        println!("  {kind}: {sql}");
    }
    sources.close().await;
    println!(
        "peak memory of this process (VmHWM): {} MB",
        peak_rss_kb().unwrap_or(0) / 1024
    );
}

/// One size of the scaling run, in this fresh process: the plan's times and
/// the process's peak memory.
async fn scaling_child(n: usize) {
    let runs = env_usize("BUYERDESK_BENCH_RUNS", 3);
    let config = bench_config(Server::Postgres, n).await;
    let sources = Sources::connect(&config).await.expect("connect");
    let rules = live::load_rules(&config, None).unwrap();
    let mut total = Vec::new();
    let mut load = Vec::new();
    let mut rules_t = Vec::new();
    let mut first_peak = 0;
    let mut products = 0;
    for i in 0..runs {
        let r = full_plan(&sources, &rules, i == 0).await;
        if i == 0 {
            products = r.product_ids.len();
            first_peak = peak_rss_kb().unwrap_or(0);
        }
        total.push(r.total);
        load.push(r.load);
        rules_t.push(r.rules);
    }
    println!(
        "scaling-result {n} {products} {:.1} {:.1} {:.1} {first_peak} {} {}",
        ms(median(total.clone())),
        ms(median(load)),
        ms(median(rules_t)),
        peak_rss_kb().unwrap_or(0),
        list(&total).replace(", ", "/")
    );
    sources.close().await;
}

/// The plan at every size, each in a fresh process; writes docs/scaling.csv.
async fn scaling() {
    let sizes: Vec<usize> = env_text("BUYERDESK_BENCH_SCALING", "1000,10000,100000,1000000")
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect();
    let exe = std::env::current_exe().unwrap();
    let mut csv = String::from(
        "products,planned,total_ms,load_ms,rules_ms,peak_mb_first_plan,peak_mb,seed_s,runs_ms\n",
    );
    println!("\n== scaling, PostgreSQL ==");
    println!("products | planned | full plan (median) | load | rules+rationale | peak memory | runs (ms)");
    for n in sizes {
        let config = bench_config(Server::Postgres, n).await;
        let seeded = ensure_seeded(Server::Postgres, &config, n).await;
        let out = Command::new(&exe)
            .args(["--bench", "--scaling-child", &n.to_string()])
            .stderr(Stdio::inherit())
            .output()
            .expect("the bench, again");
        assert!(out.status.success(), "scaling child for {n} failed");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("scaling-result "))
            .expect("a scaling result");
        let f: Vec<&str> = line.split_whitespace().collect();
        let kb = |s: &str| s.parse::<f64>().unwrap_or(0.0) / 1024.0;
        println!(
            "{n} | {} | {} ms | {} ms | {} ms | {:.0} MB (after the first plan {:.0} MB) | {}",
            f[1],
            f[2],
            f[3],
            f[4],
            kb(f[6]),
            kb(f[5]),
            f[7]
        );
        csv.push_str(&format!(
            "{n},{},{},{},{},{:.0},{:.0},{},{}\n",
            f[1],
            f[2],
            f[3],
            f[4],
            kb(f[5]),
            kb(f[6]),
            seeded.map_or(String::new(), |s| format!("{:.1}", s.as_secs_f64())),
            f[7]
        ));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scaling.csv");
    std::fs::write(path, csv).unwrap();
    println!("written: {path} (chart: python3 benches/scaling_chart.py)");
}

/// `cargo test --benches`: the reference rows planned both ways, no
/// database.
fn quick() {
    let rules = RuleSet::embedded();
    let batch = plan::plan_all(
        &plan::join(plan::fixtures::reference_rows()),
        &PlanContext::default(),
        &rules,
    );
    let rows = plan::fixtures::reference_rows();
    for p in &batch {
        let one = SourceRows {
            oms: rows
                .oms
                .iter()
                .filter(|r| r.product_id == p.product_id)
                .cloned()
                .collect(),
            history: None,
            inventory: rows
                .inventory
                .iter()
                .filter(|r| r.product_id == p.product_id)
                .cloned()
                .collect(),
            suppliers: rows
                .suppliers
                .iter()
                .filter(|r| r.product_id == p.product_id)
                .cloned()
                .collect(),
            uom: rows
                .uom
                .iter()
                .filter(|r| r.product_id == p.product_id)
                .cloned()
                .collect(),
        };
        let (_, _, planned) = plan_one_request(&rules.text, one);
        assert_eq!(planned, 1, "{}", p.product_id);
    }
    println!("side_by_side: quick mode (run it with `cargo bench --bench side_by_side`)");
}

fn main() {
    buyerdesk::disable_transparent_huge_pages();
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        quick();
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Some(i) = args.iter().position(|a| a == "--scaling-child") {
        let n = args[i + 1].parse().expect("a number of products");
        rt.block_on(scaling_child(n));
        return;
    }
    let words: Vec<&str> = args[1..]
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if words.contains(&"seed") {
        // Only the databases, for later runs (BUYERDESK_BENCH_PRODUCTS on
        // BUYERDESK_BENCH_BACKENDS).
        let n = env_usize("BUYERDESK_BENCH_PRODUCTS", 100_000);
        for name in env_text("BUYERDESK_BENCH_BACKENDS", "postgres").split(',') {
            let db = Server::parse(name).unwrap_or_else(|| panic!("unknown backend {name:?}"));
            rt.block_on(async {
                let config = bench_config(db, n).await;
                ensure_seeded(db, &config, n).await;
            });
        }
        return;
    }
    let do_scaling = words.contains(&"scaling") || words.contains(&"all");
    let do_side = words.is_empty() || words.contains(&"side") || words.contains(&"all");
    if do_side {
        let n = env_usize("BUYERDESK_BENCH_PRODUCTS", 100_000);
        for name in env_text("BUYERDESK_BENCH_BACKENDS", "postgres").split(',') {
            let db = Server::parse(name).unwrap_or_else(|| panic!("unknown backend {name:?}"));
            rt.block_on(side_by_side(db, n));
        }
    }
    if do_scaling {
        rt.block_on(scaling());
    }
}

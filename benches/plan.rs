//! Full plan of 100,000 demo products from PostgreSQL: the load of the four
//! sources, the rules with their rationale, and both together.
//!
//! Needs a PostgreSQL server: BUYERDESK_BENCH_POSTGRES_URL (an admin URL,
//! default postgres://postgres@127.0.0.1:5432/postgres). The first run
//! creates four databases buyerdesk_bench_{oms,inventory,supplier,uom} and
//! seeds them with `demo` (BUYERDESK_BENCH_PRODUCTS, default 100000).
//! Peak memory (VmHWM) is printed at the end.
//!
//!     cargo bench --bench plan

use std::time::Duration;

use buyerdesk::config::{Config, FileConfig, SourceKind};
use buyerdesk::plan::{self, PlanContext};
use buyerdesk::sources::Sources;
use buyerdesk::{demo, live};
use criterion::{criterion_group, Criterion};
use sqlx::Executor;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn admin_url() -> String {
    std::env::var("BUYERDESK_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn products() -> usize {
    std::env::var("BUYERDESK_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

async fn bench_config() -> Config {
    let admin = admin_url();
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("PostgreSQL for the benchmark (BUYERDESK_BENCH_POSTGRES_URL)");
    let mut file = FileConfig::default();
    for kind in SourceKind::SOURCES {
        let name = format!("buyerdesk_bench_{}", kind.name());
        let exists =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
                .bind(&name)
                .fetch_one(&pool)
                .await
                .unwrap();
        if exists == 0 {
            pool.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
        }
        let mut u = url::Url::parse(&admin).unwrap();
        u.set_path(&name);
        let s = file.source_mut(kind);
        s.url = Some(u.to_string());
        s.query_timeout_secs = 300.0;
    }
    pool.close().await;
    let dir = std::env::temp_dir().join("buyerdesk-bench");
    Config {
        file,
        origin: "bench".into(),
        data_dir: dir,
    }
}

async fn ensure_seeded(config: &Config) {
    let want = products();
    let seeded = match Sources::connect(config).await {
        Ok(s) => {
            let n = s.oms.source.count_rows("oms_history").await.unwrap_or(0) as usize;
            s.close().await;
            // ~1% of products are missing from the OMS by design.
            n > want * 97 / 100 && n <= want
        }
        Err(_) => false,
    };
    if !seeded {
        eprintln!("seeding {want} demo products into PostgreSQL (once)...");
        let t = std::time::Instant::now();
        demo::seed(config, want, demo::DEFAULT_SEED, true, false)
            .await
            .expect("seed");
        eprintln!("seeded in {:.1} s", t.elapsed().as_secs_f64());
    }
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn full_plan(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = rt.block_on(bench_config());
    rt.block_on(ensure_seeded(&config));
    let sources = rt.block_on(Sources::connect(&config)).expect("connect");
    let rules = live::load_rules(&config, None).unwrap();
    let n = products();

    let mut g = c.benchmark_group(format!("postgres_{n}_products"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(3));
    g.bench_function("load_four_sources", |b| {
        b.iter(|| rt.block_on(sources.load(None, false)).unwrap());
    });
    let rows = rt.block_on(sources.load(None, false)).unwrap();
    // The join alone (part of rules_and_rationale): one thread.
    g.bench_function("join", |b| {
        b.iter_batched(
            || rows.clone(),
            plan::join,
            criterion::BatchSize::LargeInput,
        );
    });
    g.bench_function("rules_and_rationale", |b| {
        b.iter_batched(
            || rows.clone(),
            |rows| {
                let inputs = plan::join(rows);
                plan::plan_all(&inputs, &PlanContext::default(), &rules)
            },
            criterion::BatchSize::LargeInput,
        );
    });
    // The plans are dropped outside the measurement (`iter_with_large_drop`),
    // as in the side-by-side bench: the CLI exits without freeing them and
    // the screen frees the previous plans off its hot path.
    g.bench_function("full_plan", |b| {
        b.iter_with_large_drop(|| {
            rt.block_on(live::plan_products(
                &sources,
                &rules,
                &Default::default(),
                &[],
            ))
            .unwrap()
        });
    });
    g.finish();
    rt.block_on(sources.close());
    if let Some(mb) = peak_rss_mb() {
        println!("peak RSS of the benchmark process (VmHWM): {mb:.0} MB");
    }
}

criterion_group!(benches, full_plan);

fn main() {
    buyerdesk::disable_transparent_huge_pages();
    benches();
    Criterion::default().configure_from_args().final_summary();
}

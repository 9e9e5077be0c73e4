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

mod common;

use std::time::Duration;

use buyerdesk::config::Config;
use buyerdesk::live;
use buyerdesk::plan::{self, PlanContext};
use buyerdesk::sources::Sources;
use common::{BenchDatabases, Server};
use criterion::{criterion_group, Criterion};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn products() -> usize {
    common::env_usize("BUYERDESK_BENCH_PRODUCTS", 100_000)
}

async fn bench_config() -> Config {
    BenchDatabases {
        server: Server::Postgres,
        size: None,
        query_timeout_secs: 300.0,
        origin: "bench",
        data_dir: "buyerdesk-bench",
    }
    .config()
    .await
}

async fn ensure_seeded(config: &Config) {
    if let Some(took) = common::ensure_seeded(Server::Postgres, config, products()).await {
        eprintln!("seeded in {:.1} s", took.as_secs_f64());
    }
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
    if let Some(mb) = common::peak_rss_kb().map(common::mb) {
        println!("peak RSS of the benchmark process (VmHWM): {mb:.0} MB");
    }
}

criterion_group!(benches, full_plan);

fn main() {
    buyerdesk::disable_transparent_huge_pages();
    benches();
    Criterion::default().configure_from_args().final_summary();
}

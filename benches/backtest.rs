//! The policy backtest (issue 21): the demo's 2,000 products replayed over
//! 90 days with the shipped rules, and the editor's F6 (the rules in force
//! and a draft on the same preparation). The products are the demo
//! generator's (MOQs, multiples, packs, bad rows), each given 455 days of
//! daily history (365 before the window, for the forecast) drawn from a
//! fixed generator around each product's OMS average: a third smooth, a
//! third erratic, a third intermittent.
//!
//!     cargo bench --bench backtest
//!     BACKTEST_PRODUCTS=10000 cargo bench --bench backtest
//!
//! Prints the median of 5 runs of each step; threads: all cores but one
//! (`rules::backtest::default_threads`), as the editor and the CLI run it.

use std::time::{Duration, Instant};

use buyerdesk::demo;
use buyerdesk::forecast::DailySeries;
use buyerdesk::plan::{join, RuleSet, DEFAULT_RULES};
use buyerdesk::rules::backtest::{self, Comparison, Product, Start};
use buyerdesk::sources::Backend;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HISTORY_DAYS: usize = 455;

fn products(n: usize) -> Vec<Product> {
    let inputs = join(demo::generate(n, 42, Backend::Sqlite).into_source_rows());
    let mut seed: u64 = 42;
    let mut uniform = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, inputs)| {
            // Around the OMS average the rules read (the demo's).
            let oms = (inputs.oms.first()).and_then(|r| r.avg_daily_demand.value());
            let level = oms.filter(|d| *d > 0.0).unwrap_or(1.0 + 50.0 * uniform());
            let qty = (0..HISTORY_DAYS)
                .map(|day| {
                    let week = 1.0 + 0.3 * ((day % 7) as f64 - 3.0) / 3.0;
                    let u = uniform();
                    match i % 3 {
                        0 => (level * week * (0.8 + 0.4 * u)).round(),
                        1 => (level * week * 3.0 * u * u).round(),
                        _ if u < 0.8 => 0.0,
                        _ => (level * 10.0 * uniform()).round(),
                    }
                })
                .collect();
            Product {
                inputs,
                series: DailySeries {
                    first_day: "2025-09-01".into(),
                    qty,
                },
            }
        })
        .collect()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time<T>(what: &str, mut f: impl FnMut() -> T) -> T {
    let mut runs = Vec::new();
    let mut out = None;
    for _ in 0..5 {
        let start = Instant::now();
        out = Some(f());
        runs.push(start.elapsed());
    }
    let m = median(runs.clone());
    eprintln!(
        "{what}: median {:.1} ms (runs: {})",
        m.as_secs_f64() * 1000.0,
        (runs.iter())
            .map(|r| format!("{:.0}", r.as_secs_f64() * 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.expect("ran")
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing:
    // a quick run there.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = std::env::var("BACKTEST_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 50 } else { 2_000 });
    let products = products(n);
    let threads = backtest::default_threads();
    eprintln!(
        "{} products x 90 days, {threads} thread(s) (cores: {})",
        products.len(),
        std::thread::available_parallelism().map_or(1, |c| c.get())
    );
    let prepared = time("prepare (windows, forecasts before the window)", || {
        backtest::prepare(&products, 90, Start::Policy, threads)
    });
    let in_force = RuleSet::embedded();
    let b = time("replay with the shipped rules", || {
        prepared.run(&in_force, threads)
    });
    let review_days: usize = b.products.iter().map(|p| p.days as usize).sum();
    let runs: u32 = b.products.iter().map(|p| p.rules_runs).sum();
    eprintln!(
        "  {} products replayed, {} skipped; {review_days} product-days, rules run {runs} times \
         ({:.0}% of the days: the others repeated a day's facts); total fill {}",
        b.products.len(),
        b.skipped.len(),
        100.0 * f64::from(runs) / review_days.max(1) as f64,
        backtest::percent(b.summary.total.fill_rate)
    );
    let draft = backtest_draft();
    let c = time("editor F6: prepare + in force + draft", || {
        let prepared = backtest::prepare(&products, 90, Start::Policy, threads);
        Comparison::run(&prepared, &in_force, &draft, threads)
    });
    eprintln!(
        "  fill {} -> {}",
        backtest::percent(c.in_force.summary.total.fill_rate),
        backtest::percent(c.draft.summary.total.fill_rate)
    );
}

/// The shipped rules with three more days of demand in the target.
fn backtest_draft() -> RuleSet {
    let from = "Product.avg_daily_demand * Product.review_period_days + Product.safety_stock;";
    assert!(DEFAULT_RULES.contains(from));
    let text = DEFAULT_RULES.replace(
        from,
        "Product.avg_daily_demand * Product.review_period_days + Product.safety_stock + Product.avg_daily_demand * 3;",
    );
    buyerdesk::rules::load(&text, "draft.grl").expect("the draft loads")
}

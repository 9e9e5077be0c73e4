//! Issue 4's two speed targets, so that editing rules feels live:
//! validation of a 100-rule file (under 50 ms; the file repeats the shipped
//! rules under new names, so every block reaches the engine's parser), and
//! the dry run of candidate rules over 10,000 demo products without a
//! database (under 300 ms).
//!
//!     cargo bench --bench rules

use std::sync::Arc;
use std::time::Duration;

use buyerdesk::demo;
use buyerdesk::plan::{join, plan_all, PlanContext, ProductInputs, RuleSet, DEFAULT_RULES};
use buyerdesk::rules::dryrun::compare;
use buyerdesk::rules::{dry_run, load, validate};
use buyerdesk::sources::Backend;
use criterion::{black_box, criterion_group, BatchSize, Criterion};

// As the binary: planning allocates many small values per product.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `n` rules: the shipped blocks in turn, each under a new name.
fn rules(n: usize) -> Vec<String> {
    let blocks: Vec<&str> = DEFAULT_RULES.split("\nrule \"").skip(1).collect();
    (0..n)
        .map(|i| format!("rule \"{i} {}", blocks[i % blocks.len()]))
        .collect()
}

fn bench(c: &mut Criterion) {
    let blocks = rules(100);
    let text = format!("// generated for the benchmark\n\n{}", blocks.join("\n"));
    let diagnostics = validate(&text, "bench.grl");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(text.matches("\nrule \"").count(), 100);
    c.bench_function("validate a 100-rule file", |b| {
        b.iter(|| validate(black_box(&text), "bench.grl"))
    });
    // Every rule with an error of its own: the engine's parser is skipped,
    // what is left is buyerdesk's scan and checks.
    let broken = text.replace("when\n", "when\n        Product.moqq > 0 &&\n");
    assert_eq!(validate(&broken, "bench.grl").len(), 100);
    c.bench_function("validate a 100-rule file, an error in every rule", |b| {
        b.iter(|| validate(black_box(&broken), "bench.grl"))
    });
    // The part of it that is the engine's own parser, block by block.
    c.bench_function("engine parser alone on the same 100 blocks", |b| {
        b.iter(|| {
            for block in &blocks {
                black_box(rust_rule_engine::GRLParser::parse_rules(black_box(block)).unwrap());
            }
        })
    });
}

/// `n` demo products (`demo --products n`, reference rows first), as a
/// load would return them, joined.
fn demo_products(n: usize, seed: u64) -> Vec<Arc<ProductInputs>> {
    join(demo::generate(n, seed, Backend::Sqlite).into_source_rows())
}

/// The shipped rules with `from` replaced by `to`, loaded as a rule author's
/// file is.
fn candidate(from: &str, to: &str) -> RuleSet {
    assert!(DEFAULT_RULES.contains(from), "{from}");
    load(&DEFAULT_RULES.replace(from, to), "candidate.grl").expect("the candidate loads")
}

fn bench_dry_run(c: &mut Criterion) {
    let products = demo_products(10_000, 42);
    assert_eq!(products.len(), 10_000);
    let ctx = PlanContext::default();
    let in_force = RuleSet::embedded();
    let threshold = candidate("Product.amount > 10000", "Product.amount > 50000");
    let rounding = candidate(
        "Product.rounding_multiple = Product.moq;",
        "Product.rounding_multiple = 1.0;",
    );
    // What each candidate changes, once, so the numbers are known to be real.
    for (name, rules) in [("threshold", &threshold), ("rounding", &rounding)] {
        let d = dry_run(&products, &ctx, &in_force, rules);
        eprintln!(
            "{name}: {} of {} products change (quantity {}, approval {}), {} failures",
            d.summary.changed,
            d.summary.products,
            d.summary.quantity_changed,
            d.summary.approval_changed,
            d.failures.len()
        );
        assert!(d.summary.changed > 0);
    }
    let mut g = c.benchmark_group("dry run, 10,000 products");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    // The result is dropped outside the measurement, as the CLI exits
    // without freeing it.
    g.bench_function("higher approval threshold", |b| {
        b.iter_batched(
            || (),
            |_| dry_run(&products, &ctx, &in_force, &threshold),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("rounding to whole units", |b| {
        b.iter_batched(
            || (),
            |_| dry_run(&products, &ctx, &in_force, &rounding),
            BatchSize::PerIteration,
        )
    });
    // Half of a dry run: one rule set over the same products.
    g.bench_function("plan_all alone (one rule set)", |b| {
        b.iter_batched(
            || (),
            |_| plan_all(&products, &ctx, &in_force),
            BatchSize::PerIteration,
        )
    });
    // The same with the policy before forecasts (7 rules instead of 14):
    // what the forecast rules cost, measured in the same run.
    let reference = load(
        include_str!("../rules/reference.grl"),
        "rules/reference.grl",
    )
    .expect("the reference policy loads");
    g.bench_function("plan_all alone, rules/reference.grl", |b| {
        b.iter_batched(
            || (),
            |_| plan_all(&products, &ctx, &reference),
            BatchSize::PerIteration,
        )
    });
    // The buyer's screen holds the plan of the rules in force already: only
    // the candidate is planned, then compared.
    let held = plan_all(&products, &ctx, &in_force);
    g.bench_function("candidate only, against the plan in force held", |b| {
        b.iter_batched(
            || (),
            |_| {
                let after = plan_all(&products, &ctx, &threshold);
                compare(&in_force.origin, &held, &threshold.origin, after)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench, bench_dry_run);

fn main() {
    // As the binary does first thing (docs/BENCHMARKS.md, issue 2).
    buyerdesk::disable_transparent_huge_pages();
    benches();
    Criterion::default().configure_from_args().final_summary();
}

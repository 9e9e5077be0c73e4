//! Issue 4's two speed targets, so that editing rules feels live:
//! validation of a 100-rule file (under 50 ms; the file repeats the shipped
//! rules under new names, so every block reaches the engine's parser), and
//! the dry run of candidate rules over 10,000 demo-like products without a
//! database (under 300 ms).
//!
//!     cargo bench --bench rules

use std::sync::Arc;
use std::time::Duration;

use criterion::{black_box, criterion_group, BatchSize, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use buyerdesk::plan::fixtures::reference_rows;
use buyerdesk::plan::inputs::{InventoryRow, OmsRow, SupplierRow, UomRow};
use buyerdesk::plan::{join, plan_all, Num, PlanContext, ProductInputs, RuleSet, DEFAULT_RULES};
use buyerdesk::rules::dryrun::compare;
use buyerdesk::rules::{dry_run, load, validate};

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

/// `n` products as `demo --products n` spreads them (DOMAIN.md reference
/// rows first; zero demand, stock-outs, backorders, several locations and
/// suppliers, inactive suppliers, order multiples, review periods, missing
/// UOM rows and a few bad cells), built as source rows in memory. It stands
/// in for `demo::DemoRows::into_source_rows`, which is on another branch;
/// once merged, this can call it instead.
fn demo_like_products(n: usize, seed: u64) -> Vec<Arc<ProductInputs>> {
    let mut rows = reference_rows();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let s = |v: &str| Some(v.to_string());
    let packs = [
        ("pieces", "box", 12.0),
        ("pieces", "case", 48.0),
        ("pieces", "pieces", 1.0),
        ("kg", "lb", 2.2046),
        ("liter", "gallon", 0.2642),
        ("meter", "roll", 50.0),
    ];
    for i in 4..=n {
        let id = format!("SKU-{i:07}");
        let demand = if rng.gen::<f64>() < 0.06 {
            0.0
        } else {
            ((rng.gen::<f64>() * 6.0).exp() / 4.0 * 100.0).round() / 100.0
        };
        let bad: f64 = rng.gen();
        if rng.gen::<f64>() >= 0.01 {
            rows.oms.push(OmsRow {
                product_id: id.clone(),
                product_name: Some(format!("Product {i}")),
                avg_daily_demand: if bad < 0.004 {
                    Num::Null
                } else {
                    Num::Value(demand)
                },
                trend: s(["increasing", "stable", "decreasing"][rng.gen_range(0..3)]),
            });
        }
        let cover = if rng.gen::<f64>() < 0.07 {
            0.0
        } else {
            rng.gen::<f64>() * 45.0
        };
        let avail = (demand * cover).round() - if rng.gen::<f64>() < 0.02 { 5.0 } else { 0.0 };
        let locations = if rng.gen::<f64>() < 0.1 { 2 } else { 1 };
        if rng.gen::<f64>() >= 0.005 {
            for loc in 0..locations {
                let part = if locations == 1 || loc == 1 {
                    avail
                        - if locations == 2 {
                            (avail / 2.0).floor()
                        } else {
                            0.0
                        }
                } else {
                    (avail / 2.0).floor()
                };
                rows.inventory.push(InventoryRow {
                    product_id: id.clone(),
                    available_qty: if (0.006..0.009).contains(&bad) {
                        Num::Invalid("n/a".into())
                    } else {
                        Num::Value(part)
                    },
                    reserved_qty: Num::Value((part.max(0.0) * rng.gen_range(0.0..0.2)).round()),
                    warehouse_location: Some(format!("WH-A-{:02}", rng.gen_range(1..40))),
                    on_order_qty: Some(Num::Value(if rng.gen::<f64>() < 0.2 {
                        (demand * rng.gen_range(1.0..10.0)).round()
                    } else {
                        0.0
                    })),
                    safety_stock: Some(Num::Value(if rng.gen::<f64>() < 0.5 {
                        (demand * rng.gen_range(0.0..5.0)).round()
                    } else {
                        0.0
                    })),
                    updated_at: s("2026-11-20 06:00:00"),
                });
            }
        }
        if rng.gen::<f64>() >= 0.005 {
            let suppliers = if rng.gen::<f64>() < 0.15 {
                rng.gen_range(2..4)
            } else {
                1
            };
            let base = ((rng.gen::<f64>() * 6.0).exp() / 2.0 * 100.0).round() / 100.0 + 0.1;
            for k in 0..suppliers {
                let sup = rng.gen_range(1..11);
                rows.suppliers.push(SupplierRow {
                    product_id: id.clone(),
                    supplier_name: Some(format!("Supplier {sup}")),
                    unit_price: if (0.009..0.011).contains(&bad) && k == 0 {
                        Num::Null
                    } else {
                        Num::Value((base * rng.gen_range(0.9..1.2) * 100.0).round() / 100.0)
                    },
                    moq: Num::Value(
                        [1.0, 10.0, 12.0, 20.0, 50.0, 100.0, 200.0, 500.0][rng.gen_range(0..8)],
                    ),
                    lead_time: Num::Value(if (0.011..0.012).contains(&bad) {
                        -3.0
                    } else {
                        rng.gen_range(2..46) as f64
                    }),
                    supplier_id: Some(format!("SUP-{sup:03}")),
                    order_multiple: Some(if rng.gen::<f64>() < 0.3 {
                        Num::Value([0.0, 5.0, 10.0, 25.0][rng.gen_range(0..4)])
                    } else {
                        Num::Null
                    }),
                    is_active: Some(s(if rng.gen::<f64>() < 0.04 { "0" } else { "1" })),
                    review_period_days: Some(Num::Value(if rng.gen::<f64>() < 0.3 {
                        7.0
                    } else {
                        0.0
                    })),
                    currency: s("USD"),
                });
            }
        }
        if rng.gen::<f64>() >= 0.03 {
            let (from, to, factor) = packs[rng.gen_range(0..packs.len())];
            rows.uom.push(UomRow {
                product_id: id.clone(),
                from_uom: s(from),
                to_uom: s(to),
                conversion_factor: Num::Value(if (0.012..0.014).contains(&bad) {
                    0.0
                } else {
                    factor
                }),
            });
        }
    }
    join(rows)
}

/// The shipped rules with `from` replaced by `to`, loaded as a rule author's
/// file is.
fn candidate(from: &str, to: &str) -> RuleSet {
    assert!(DEFAULT_RULES.contains(from), "{from}");
    load(&DEFAULT_RULES.replace(from, to), "candidate.grl").expect("the candidate loads")
}

fn bench_dry_run(c: &mut Criterion) {
    let products = demo_like_products(10_000, 42);
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

//! Replays with answers worked out by hand.

use super::*;
use crate::plan::fixtures::add_product;
use crate::plan::inputs::SourceRows;

/// One product: OMS average `d`, `available` on hand, supplier with lead
/// time `lead`, MOQ 1, price 2.00, pack 1; and its daily history.
fn product(id: &str, d: f64, available: f64, lead: f64, history: Vec<f64>) -> Product {
    let mut rows = SourceRows::default();
    add_product(
        &mut rows,
        id,
        id,
        d,
        "stable",
        (available, 0.0, "WH-1"),
        ("Supplier", 2.0, 1.0, lead),
        ("pieces", "box", 1.0),
    );
    Product {
        inputs: plan::join(rows).remove(0),
        series: DailySeries {
            first_day: "2026-01-01".into(),
            qty: history,
        },
    }
}

/// Rules that compute the requirement and never order.
fn never_orders() -> RuleSet {
    let text = "rule \"Requirement\" salience 100 no-loop {\n    when\n        Product.lead_time_days >= 0\n    then\n        Product.inventory_position = Product.available_qty + Product.on_order_qty;\n}\n";
    crate::rules::load(text, "never.grl").expect("valid rules")
}

fn only(b: &Backtest) -> &ProductResult {
    assert_eq!(b.products.len(), 1, "skipped: {:?}", b.skipped);
    &b.products[0]
}

#[test]
fn constant_demand_with_an_order_up_to_policy_is_filled_in_full() {
    // d 10, L 2: the default rules order up to 20 (d x L). The policy starts
    // from its own order from nothing (20); each evening it orders what
    // the day sold, which arrives two mornings later.
    let p = product("P-CONST", 10.0, 500.0, 2.0, vec![10.0; 150]);
    let b = backtest(&[p], &RuleSet::embedded(), 90, Start::Policy, 1);
    let r = only(&b);
    assert_eq!(r.days, 90);
    assert_eq!(r.start_stock, 20.0);
    assert_eq!(r.demand, 900.0);
    assert_eq!(r.served, 900.0);
    assert_eq!(r.fill_rate, Some(1.0));
    assert_eq!(r.stockout_days, 0);
    // Evening stock: 10 on day 0 (20 - 10), then 0 every day (10 arrives,
    // 10 sold).
    assert!((r.avg_stock - 10.0 / 90.0).abs() < 1e-12, "{}", r.avg_stock);
    assert_eq!(r.avg_stock_value.get(), Some(r.avg_stock * 2.0));
    // One order of 10 every evening.
    assert_eq!(r.orders.len(), 90);
    assert!(r.orders.iter().all(|o| o.qty == 10.0));
    assert_eq!(b.first_day, "2026-03-02");
    assert_eq!(b.last_day, "2026-05-30");
    // 60 days before the window: the forecast is of that history.
    assert_eq!(r.demand_class, Some(DemandClass::Smooth));
}

#[test]
fn a_policy_that_never_orders_from_no_stock_serves_nothing() {
    let p = product("P-NEVER", 10.0, 0.0, 2.0, vec![10.0; 100]);
    for start in [Start::Policy, Start::Current] {
        let b = backtest(std::slice::from_ref(&p), &never_orders(), 90, start, 1);
        let r = only(&b);
        assert_eq!(r.start_stock, 0.0, "{start:?}");
        assert_eq!(r.served, 0.0);
        assert_eq!(r.fill_rate, Some(0.0));
        assert_eq!(r.stockout_days, 90);
        assert!(r.orders.is_empty());
        assert_eq!(r.avg_stock, 0.0);
    }
}

#[test]
fn an_order_arrives_exactly_the_lead_time_later() {
    // 6 days of demand 4, L 3, no stock today, default rules (target 12):
    // day 0: 4 lost, order 12 (arrives day 3); days 1, 2: lost, position 12;
    // day 3: 12 arrive, 4 sold, 8 left, order 4 (arrives day 6);
    // day 4: 4 left, position 8, order 4; day 5: 0 left, order 4.
    let p = product("P-LEAD", 4.0, 0.0, 3.0, vec![4.0; 6]);
    let b = backtest(&[p], &RuleSet::embedded(), 6, Start::Current, 1);
    let r = only(&b);
    assert_eq!(r.demand, 24.0);
    assert_eq!(r.served, 12.0);
    assert_eq!(r.fill_rate, Some(0.5));
    assert_eq!(r.stockout_days, 3);
    assert!((r.avg_stock - (8.0 + 4.0) / 6.0).abs() < 1e-12);
    let orders: Vec<(&str, &str, f64)> = (r.orders.iter())
        .map(|o| (o.day.as_str(), o.arrives.as_str(), o.qty))
        .collect();
    assert_eq!(
        orders,
        vec![
            ("2026-01-01", "2026-01-04", 12.0),
            ("2026-01-04", "2026-01-07", 4.0),
            ("2026-01-05", "2026-01-08", 4.0),
            ("2026-01-06", "2026-01-09", 4.0),
        ]
    );
    // No history before the window: no class.
    assert_eq!(r.demand_class, None);
}

#[test]
fn a_review_period_orders_only_every_r_days() {
    let mut p = product("P-REVIEW", 5.0, 0.0, 1.0, vec![5.0; 60]);
    let mut inputs = ProductInputs::clone(&p.inputs);
    let mut suppliers = inputs.suppliers.to_vec();
    suppliers[0].review_period_days = Some(Num::Value(7.0));
    inputs.suppliers = suppliers.into_boxed_slice();
    p.inputs = Arc::new(inputs);
    let b = backtest(&[p], &RuleSet::embedded(), 28, Start::Policy, 1);
    let r = only(&b);
    let first = parse_day(&b.first_day).unwrap();
    for o in &r.orders {
        let t = (parse_day(&o.day).unwrap() - first).num_days();
        assert_eq!(t % 7, 0, "ordered on day {t}: {o:?}");
    }
    assert_eq!(r.orders.len(), 4);
    // Target d x (L + R) = 40 covers the 8 days to the next arrival.
    assert_eq!(r.fill_rate, Some(1.0));
}

#[test]
fn skipped_days_change_nothing() {
    // Lumpy demand: many days with the same facts.
    let qty: Vec<f64> = (0..150)
        .map(|i| {
            if i % 9 == 0 {
                30.0
            } else if i % 13 == 0 {
                7.0
            } else {
                0.0
            }
        })
        .collect();
    let p = product("P-LUMPY", 4.0, 10.0, 5.0, qty);
    let prepared = prepare(&[p], 90, Start::Policy, 1);
    let rules = RuleSet::embedded();
    let mut planner = rules.engine();
    let ready = &prepared.products[0];
    let with = replay(ready, &prepared.ctx, Start::Policy, &mut planner, true);
    let without = replay(ready, &prepared.ctx, Start::Policy, &mut planner, false);
    assert!(
        with.rules_runs < without.rules_runs,
        "{} runs",
        with.rules_runs
    );
    let same = |mut r: ProductResult| {
        r.rules_runs = 0;
        r
    };
    assert_eq!(same(with), same(without));
}

#[test]
fn groups_and_total_sum_from_the_products() {
    let mut products = vec![
        product("P-A", 10.0, 0.0, 2.0, vec![10.0; 150]),
        product(
            "P-B",
            3.0,
            50.0,
            4.0,
            (0..150).map(|i| (i % 5) as f64).collect(),
        ),
        product(
            "P-C",
            1.0,
            5.0,
            3.0,
            (0..150)
                .map(|i| if i % 6 == 0 { 4.0 } else { 0.0 })
                .collect(),
        ),
        product("P-D", 2.0, 0.0, 1.0, vec![2.0; 20]),
    ];
    // P-D is new: its 20 days end with the others' on 2026-05-30.
    products[3].series.first_day = "2026-05-11".into();
    // P-C is priced in another currency: never added to the others.
    let mut c = ProductInputs::clone(&products[2].inputs);
    let mut s = c.suppliers.to_vec();
    s[0].currency = Some("USD".into());
    c.suppliers = s.into_boxed_slice();
    products[2].inputs = Arc::new(c);
    let b = backtest(&products, &RuleSet::embedded(), 90, Start::Current, 2);
    assert_eq!(b.products.len(), 4);
    let key = |p: &ProductResult, list: u8| match list {
        0 => p.demand_class.map_or("none", |c| c.as_str()).to_string(),
        1 => p.abc.map_or("none", |c| c.as_str()).to_string(),
        _ => "total".to_string(),
    };
    let lists = [
        (0, b.summary.by_class.clone()),
        (1, b.summary.by_abc.clone()),
        (2, vec![b.summary.total.clone()]),
    ];
    for (list, groups) in lists {
        let listed: u32 = groups.iter().map(|g| g.products).sum();
        assert_eq!(listed, 4, "every product in one group of list {list}");
        for g in groups {
            let members: Vec<&ProductResult> = (b.products.iter())
                .filter(|p| key(p, list) == g.key)
                .collect();
            assert_eq!(g.products as usize, members.len(), "group {}", g.key);
            let demand: f64 = members.iter().map(|p| p.demand).sum();
            let served: f64 = members.iter().map(|p| p.served).sum();
            assert_eq!(g.demand, demand, "group {}", g.key);
            assert_eq!(g.served, served, "group {}", g.key);
            assert_eq!(g.fill_rate, (demand > 0.0).then(|| served / demand));
            let orders: usize = members.iter().map(|p| p.orders.len()).sum();
            assert_eq!(g.orders as usize, orders);
            let stockouts: u32 = members.iter().map(|p| p.stockout_days).sum();
            assert_eq!(g.stockout_days, stockouts);
            for currency in [None, Some("USD")] {
                let value: f64 = (members.iter())
                    .filter(|p| p.currency.as_deref() == currency)
                    .filter_map(|p| p.avg_stock_value.get())
                    .sum();
                assert!(
                    (g.value_in(currency) - value).abs() < 1e-9,
                    "group {}",
                    g.key
                );
            }
        }
    }
    assert_eq!(b.summary.total.avg_stock_value.len(), 2);
    // P-D's 20 days all fall in the window: no history before it.
    let d = b.products.iter().find(|p| &*p.product_id == "P-D").unwrap();
    assert_eq!((d.days, d.demand_class, d.abc), (20, None, None));
}

#[test]
fn products_without_history_or_supplier_are_skipped_with_the_reason() {
    let mut p = product("P-NOSUP", 1.0, 0.0, 1.0, vec![1.0; 30]);
    let mut inputs = ProductInputs::clone(&p.inputs);
    inputs.suppliers = Box::default();
    p.inputs = Arc::new(inputs);
    let mut q = product("P-NOHIST", 1.0, 0.0, 1.0, Vec::new());
    q.series.first_day = String::new();
    let b = backtest(&[p, q], &RuleSet::embedded(), 90, Start::Policy, 1);
    assert!(b.products.is_empty());
    let reasons: Vec<(&str, &str)> = (b.skipped.iter())
        .map(|s| (&*s.product_id, s.reason.as_str()))
        .collect();
    assert!(
        reasons.contains(&("P-NOHIST", "no daily history")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(id, r)| *id == "P-NOSUP" && r.contains("NO_SUPPLIER")),
        "{reasons:?}"
    );
}

#[test]
fn a_stopped_backtest_gives_up() {
    let p = product("P-STOP", 10.0, 0.0, 2.0, vec![10.0; 100]);
    let prepared = prepare(&[p], 90, Start::Policy, 1);
    let rules = RuleSet::embedded();
    let stop = AtomicBool::new(true);
    assert!(prepared.run_unless_stopped(&rules, 1, &stop).is_none());
    assert!(Comparison::run_unless_stopped(&prepared, &rules, &rules, 1, &stop).is_none());
    stop.store(false, Ordering::Relaxed);
    let c = Comparison::run_unless_stopped(&prepared, &rules, &rules, 1, &stop).unwrap();
    assert_eq!(c.in_force, c.draft, "the same rules, the same replay");
    assert_eq!(c.in_force, prepared.run(&rules, 1));
}

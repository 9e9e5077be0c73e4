//! Every figure buyerdesk prints adds up (issue 16, DOMAIN.md section 2):
//! each formula of each rationale step, as text and as JSON, evaluates to
//! the value printed after it, and each product's final figures hold
//! together (pack and amount identities, to the cent). Run over the
//! embedded demo (2,000 products) and products made to be awkward; the
//! 100,000-product run is `cargo test --release --test figures -- --ignored`.

use buyerdesk::demo;
use buyerdesk::plan::arithmetic::{check_text, evaluate_interval, within, Interval};
use buyerdesk::plan::{
    fixtures, join, plan_all, ExceptionCode, Num, PlanContext, ProductPlan, RuleSet, SourceRows,
};
use buyerdesk::sources::Backend;

/// What checking a set of plans found.
#[derive(Default)]
struct Tally {
    products: usize,
    equalities: usize,
    json_changes: usize,
    problems: Vec<String>,
}

impl Tally {
    fn fail(&mut self, product: &str, what: String) {
        if self.problems.len() < 40 {
            self.problems.push(format!("{product}: {what}"));
        }
    }
}

/// Checks one plan: its steps in words, its JSON changes, its final figures.
fn check_plan(p: &ProductPlan, t: &mut Tally) {
    t.products += 1;
    let id = &*p.product_id;
    for step in p.rationale.steps() {
        let text = step.text();
        let (bad, checked) = check_text(&text);
        t.equalities += checked;
        for m in bad {
            t.fail(id, format!("step \"{text}\": {m}"));
        }
    }
    // JSON: every change's numbers evaluate to its `new`.
    let json = serde_json::to_value(p).expect("a plan serialises");
    for step in json["rationale"].as_array().expect("rationale is a list") {
        for change in step["changes"].as_array().into_iter().flatten() {
            let numbers = change["numbers"].as_str().unwrap_or_default();
            let Some(new) = change["new"].as_f64() else {
                continue;
            };
            // A formula in numbers only (no names left): evaluate it.
            let expr = numbers.replace(" x ", " * ");
            let Some(value) = evaluate_interval(&expr) else {
                continue;
            };
            t.json_changes += 1;
            let field = change["field"].as_str().unwrap_or("?");
            let decimals = if field == "amount" { 2 } else { 6 };
            if !within(value, Interval { lo: new, hi: new }, decimals) {
                t.fail(
                    id,
                    format!("JSON change {field}: {numbers} = {value:?}, new is {new}"),
                );
            }
        }
    }
    if p.has(ExceptionCode::RuleError) {
        if p.order_qty != 0.0 || p.amount != 0.0 {
            t.fail(id, "RULE_ERROR with an order".into());
        }
        return;
    }
    // The final figures hold together.
    let pack = p.conversion_factor.unwrap_or(1.0);
    if p.order_qty > 0.0 {
        let packed = p.purchase_qty * pack;
        if (packed - p.order_qty).abs() > 1e-6 * p.order_qty.max(1.0) {
            t.fail(
                id,
                format!(
                    "purchase {} x pack {pack} = {packed} is not order {}",
                    p.purchase_qty, p.order_qty
                ),
            );
        }
        let priced = p.order_qty * p.unit_price.unwrap_or(f64::NAN);
        if (priced * 100.0).round() != (p.amount * 100.0).round() {
            t.fail(
                id,
                format!(
                    "order {} x price = {priced}, amount {}",
                    p.order_qty, p.amount
                ),
            );
        }
    } else if p.purchase_qty != 0.0 || p.amount != 0.0 {
        t.fail(
            id,
            format!(
                "no order, but purchase {} and amount {}",
                p.purchase_qty, p.amount
            ),
        );
    }
    if p.days_of_cover.is_some_and(|c| c < 0.0) {
        t.fail(id, format!("days of cover {:?}", p.days_of_cover));
    }
    // Cover is available / the demand the plan stands on (the forecast
    // where the rules used it), the one its exceptions print.
    if let (Some(a), Some(d)) = (p.available_qty.get(), p.demand_per_day()) {
        let want = (d > 0.0).then(|| (a / d).max(0.0));
        let same = match (p.days_of_cover.get(), want) {
            (Some(c), Some(w)) => (c - w).abs() <= 1e-9 * w.max(1.0),
            (c, w) => c == w,
        };
        if !same {
            t.fail(
                id,
                format!("days of cover {:?}, not {a} / {d}", p.days_of_cover),
            );
        }
    }
}

fn demo_plans(products: usize) -> Vec<ProductPlan> {
    let rows = demo::generate(products, demo::DEFAULT_SEED, Backend::Sqlite).into_source_rows();
    plan_all(&join(rows), &PlanContext::default(), &RuleSet::embedded())
}

fn check_all(plans: &[ProductPlan]) -> Tally {
    let mut t = Tally::default();
    for p in plans {
        check_plan(p, &mut t);
    }
    t
}

#[test]
fn every_formula_of_the_demo_adds_up_and_every_product_holds_together() {
    let plans = demo_plans(demo::EMBEDDED_PRODUCTS);
    let t = check_all(&plans);
    assert!(t.problems.is_empty(), "{}", t.problems.join("\n"));
    assert_eq!(t.products, demo::EMBEDDED_PRODUCTS);
    // Each ordering product prints about a dozen equalities: the check must
    // have read them, not skipped them.
    let ordering = plans.iter().filter(|p| p.order_qty > 0.0).count();
    assert!(ordering > 500, "{ordering} products order");
    assert!(
        t.equalities > 10 * ordering,
        "{} equalities checked for {ordering} ordering products",
        t.equalities
    );
    assert!(t.json_changes > 5 * ordering, "{}", t.json_changes);
}

#[test]
#[ignore = "100,000 products: run in release (cargo test --release --test figures -- --ignored)"]
fn every_formula_of_100_000_demo_products_adds_up() {
    let plans = demo_plans(100_000);
    let t = check_all(&plans);
    assert!(t.problems.is_empty(), "{}", t.problems.join("\n"));
    eprintln!(
        "{} products, {} equalities, {} JSON changes checked",
        t.products, t.equalities, t.json_changes
    );
}

/// Products made to be awkward: packs and prices with many decimals,
/// demands that do not divide, backorders, MOQ above the need, physical
/// conversions, inactive suppliers.
#[test]
fn awkward_numbers_add_up_too() {
    let mut rows = SourceRows::default();
    let packs = [1.0, 12.0, 0.2642, 2.2046, 0.001, 7.5, 1000.0];
    let prices = [0.01, 15.5, 42.75, 0.0125, 3.333, 1299.99, 0.0001];
    let demands = [0.0, 0.1, 1.0 / 3.0, 41.88, 150.0, 2777.77, 12345.678];
    let mut n = 0;
    for (i, &pack) in packs.iter().enumerate() {
        for (j, &price) in prices.iter().enumerate() {
            for (k, &d) in demands.iter().enumerate() {
                n += 1;
                let id = format!("EDGE-{n:04}");
                let avail = [-320.0, 0.0, 17.5, 500.0, 99_999.0][(i + j + k) % 5];
                let moq = [0.0, 1.0, 20.0, 100.0, 333.0][(i * 3 + k) % 5];
                let multiple = [None, Some(6.0), Some(0.5)][(j + k) % 3];
                let active = (i + j + k) % 11 != 0;
                let lead = [0.0, 1.0, 7.0, 21.0, 90.0][(j * 2 + k) % 5];
                fixtures::add_product(
                    &mut rows,
                    &id,
                    "awkward",
                    d,
                    "stable",
                    (avail, 3.0, "WH-1"),
                    ("Supplier", price, moq, lead),
                    ("liter", "gallon", pack),
                );
                let supplier = rows.suppliers.last_mut().expect("just added");
                supplier.order_multiple = multiple.map(Num::Value);
                supplier.is_active = Some(Some(if active { "1" } else { "0" }.into()));
            }
        }
    }
    let plans = plan_all(&join(rows), &PlanContext::default(), &RuleSet::embedded());
    assert_eq!(plans.len(), n);
    let t = check_all(&plans);
    assert!(t.problems.is_empty(), "{}", t.problems.join("\n"));
    assert!(t.equalities > 2 * n, "{}", t.equalities);
}

/// The demo's products with a daily history and a stored forecast each
/// (every class, ABC class, current and stale, awkward figures): every
/// formula of the forecast path adds up too, and the forecast steps
/// (class, method, forecast, sigma) are there.
#[test]
fn forecast_plans_add_up_too() {
    use buyerdesk::forecast::{
        fingerprint, Abc, Candidate, DemandClass, Forecast, Method, StoredForecast,
    };
    use buyerdesk::plan::inputs::HistoryStats;
    use std::sync::Arc;
    let rows = demo::generate(500, demo::DEFAULT_SEED, Backend::Sqlite).into_source_rows();
    let last = "2026-06-30";
    let classes = [
        DemandClass::Smooth,
        DemandClass::Erratic,
        DemandClass::Intermittent,
        DemandClass::Lumpy,
        DemandClass::Short,
    ];
    let mut ctx = PlanContext {
        history_last_day: Some(last.into()),
        ..Default::default()
    };
    let mut products = Vec::new();
    for (i, p) in join(rows).into_iter().enumerate() {
        let mut p = (*p).clone();
        let days = 60.0 + (i % 400) as f64;
        let daily = 0.37 + (i % 97) as f64 * 1.113;
        let first = (chrono::NaiveDate::parse_from_str(last, "%Y-%m-%d").unwrap()
            - chrono::Duration::days(days as i64 - 1))
        .format("%Y-%m-%d")
        .to_string();
        p.history = Some(Box::new(HistoryStats {
            product_id: p.product_id.clone(),
            days: Num::Value(days),
            sum_qty: Num::Value(daily * days),
            sum_sq_qty: Num::Value(daily * daily * days * 1.3),
            first_day: Some(first.as_str().into()),
            last_day: Some(last.into()),
            last_sale_day: Some(last.into()),
        }));
        p.history_table_exists = true;
        let lead = p
            .suppliers
            .first()
            .and_then(|s| s.lead_time.value())
            .unwrap_or(0.0);
        let horizon = (lead.ceil() as u32).max(1);
        let print = match i % 3 {
            0 => "an older history".to_string(),
            _ => fingerprint(
                days,
                daily * days,
                daily * daily * days * 1.3,
                &first,
                last,
                last,
                horizon,
            ),
        };
        let cand = |method: Method, label: &str, mae: f64| Candidate {
            method,
            label: label.into(),
            mae: Some(mae),
            mase: Some(mae / 1.7),
            note: None,
        };
        let forecast = Forecast {
            history_days: days as u32,
            class: classes[i % classes.len()],
            adi: Some(1.0 + (i % 7) as f64 * 0.37),
            cv2: Some((i % 11) as f64 * 0.093),
            method: Method::Ets,
            method_label: "ETS(A,Ad,N)".into(),
            forecast_daily: daily * 1.07,
            horizon_days: horizon,
            sigma_horizon: daily * (i % 13) as f64 * 0.731,
            mae: Some(1.3),
            mase: Some(0.76),
            candidates: vec![
                cand(Method::Ets, "ETS(A,Ad,N)", 1.3),
                cand(Method::Mean28, "28-day mean", 1.7),
            ],
            origins: 10,
            weekly_cv: Some((i % 5) as f64 * 0.3),
            yearly_qty: daily * 365.0,
            path: Vec::new(),
            note: None,
        };
        ctx.forecasts.insert(
            p.product_id.to_string(),
            Arc::new(StoredForecast {
                forecast,
                fingerprint: print,
                abc: [Some(Abc::A), Some(Abc::B), Some(Abc::C), None][i % 4],
                abc_value: Some(daily * 1234.5),
                currency: Some("EUR".into()),
                computed_at: "2026-06-30 04:00:00".into(),
            }),
        );
        products.push(Arc::new(p));
    }
    let plans = plan_all(&products, &ctx, &RuleSet::embedded());
    let t = check_all(&plans);
    assert!(t.problems.is_empty(), "{}", t.problems.join("\n"));
    // The forecast path was taken, and each product says which.
    let from_forecast = plans
        .iter()
        .filter(|p| p.rules_fired.iter().any(|r| &**r == "DemandFromForecast"))
        .count();
    assert!(
        from_forecast > 300,
        "{from_forecast} products planned from their forecast"
    );
    let raised = plans
        .iter()
        .filter(|p| {
            p.rules_fired
                .iter()
                .any(|r| &**r == "SafetyStockFromServiceLevel")
        })
        .count();
    assert!(
        raised > 100,
        "{raised} safety stocks from the service level"
    );
    for p in plans.iter().filter(|p| p.forecast.is_some()) {
        let f = p.forecast.as_ref().unwrap();
        let steps: Vec<String> = p
            .rationale
            .steps()
            .iter()
            .map(|s| s.text().into_owned())
            .collect();
        let want = match f.status.as_str() {
            "current" | "stale" => "Demand class: ",
            "short" => "Demand class: short",
            other => panic!("{}: status {other}", p.product_id),
        };
        assert!(
            steps.iter().any(|s| s.starts_with(want)),
            "{}: no {want:?} step in {steps:#?}",
            p.product_id
        );
        // JSON's demand is the one the rules used.
        if f.status.uses_forecast() && f.class != "short" {
            let used = p.demand_rate.get().expect("a demand rate");
            assert!(
                (used - f.forecast_daily).abs() < 1e-6,
                "{}: {used} vs {}",
                p.product_id,
                f.forecast_daily
            );
        }
    }
}

//! The dry run on the DOMAIN.md reference rows and two more products,
//! through the real rules: exact figures, old -> new.

use super::*;
use crate::plan::fixtures::{add_product, reference_rows};
use crate::plan::{join, Num, SourceRows, StepKind, DEFAULT_RULES};
use crate::rules::{load, validate};
use std::collections::BTreeMap;

/// PROD-001..003, PROD-004 (plenty of stock: never orders) and PROD-005
/// (out of stock: orders 500 = 50 boxes, 1,000.00).
fn rows() -> SourceRows {
    let mut rows = reference_rows();
    add_product(
        &mut rows,
        "PROD-004",
        "Quiet D",
        10.0,
        "stable",
        (5000.0, 0.0, "WH-D-01"),
        ("ABC Supplies Co.", 3.0, 10.0, 7.0),
        ("pieces", "box", 10.0),
    );
    add_product(
        &mut rows,
        "PROD-005",
        "Busy E",
        50.0,
        "stable",
        (0.0, 0.0, "WH-E-01"),
        ("XYZ Manufacturing", 2.0, 100.0, 10.0),
        ("pieces", "box", 10.0),
    );
    rows
}

fn products() -> Vec<Arc<ProductInputs>> {
    join(rows())
}

/// The shipped rules with `from` replaced by `to` (which must be there).
fn shipped_with(from: &str, to: &str) -> String {
    assert!(DEFAULT_RULES.contains(from), "shipped rules lack {from:?}");
    DEFAULT_RULES.replace(from, to)
}

fn run_on(products: &[Arc<ProductInputs>], candidate: &str) -> DryRun {
    let candidate = load(candidate, "candidate.grl").expect("the candidate loads");
    dry_run(
        products,
        &PlanContext::default(),
        &RuleSet::embedded(),
        &candidate,
    )
}

fn run(candidate: &str) -> DryRun {
    run_on(&products(), candidate)
}

fn change<'a>(d: &'a DryRun, id: &str) -> &'a ProductChange {
    d.changes
        .iter()
        .find(|c| c.product_id == id)
        .unwrap_or_else(|| panic!("{id} is not among the changes"))
}

fn changed_ids(d: &DryRun) -> Vec<&str> {
    d.changes.iter().map(|c| c.product_id.as_str()).collect()
}

/// 9,300.00 + 21,274.39 + 179,560.76 + 1,000.00
const TOTAL: f64 = 211135.15;

/// The total of the one currency (the fixtures' supplier rows name none).
fn total(d: &DryRun) -> (f64, f64) {
    assert_eq!(d.summary.totals.len(), 1, "{:?}", d.summary.totals);
    let t = &d.summary.totals[0];
    assert_eq!(t.currency, None);
    (t.amount_before, t.amount_after)
}

#[test]
fn identical_rules_change_nothing() {
    let d = run(DEFAULT_RULES);
    assert!(d.changes.is_empty(), "changes: {:?}", changed_ids(&d));
    assert!(d.failures.is_empty(), "{:?}", d.failures);
    let s = &d.summary;
    assert_eq!(s.products, 5);
    assert_eq!(
        (s.changed, s.quantity_changed, s.approval_changed),
        (0, 0, 0)
    );
    assert_eq!((s.exceptions_changed, s.amount_changed), (0, 0));
    assert_eq!(total(&d), (TOTAL, TOTAL));
    assert_eq!(
        (s.totals[0].orders_before, s.totals[0].orders_after),
        (4, 4)
    );
    assert_eq!((s.orders_before, s.orders_after), (4, 4));
    assert_eq!((s.approvals_before, s.approvals_after), (2, 2));
    assert_eq!(s.failed_products, 0);
    assert_eq!(s.in_force, "embedded rules/purchasing.grl");
    assert_eq!(s.candidate, "candidate.grl");
}

#[test]
fn raising_the_approval_threshold_changes_only_approval_of_prod_002() {
    let d = run(&shipped_with(
        "Product.amount > 10000",
        "Product.amount > 50000",
    ));
    assert_eq!(changed_ids(&d), ["PROD-002"]);
    let c = change(&d, "PROD-002");
    assert_eq!(c.changed, [Figure::RequiresApproval]);
    assert!(c.before.requires_approval && !c.after.requires_approval);
    assert_eq!((c.before.amount, c.after.amount), (21274.39, 21274.39));
    assert_eq!(c.after.order_qty, 850.9756);
    assert!(c.rule_failures.is_empty());
    let s = &d.summary;
    assert_eq!(
        (s.changed, s.approval_changed, s.quantity_changed),
        (1, 1, 0)
    );
    assert_eq!((s.approvals_before, s.approvals_after), (2, 1));
    assert_eq!(total(&d), (TOTAL, TOTAL));
    // The candidate's rationale: the approval rule no longer fires.
    let steps = c.rationale.steps();
    assert!(
        !steps
            .iter()
            .any(|s| s.rule.as_deref() == Some("ApprovalAboveThreshold")),
        "PROD-002 candidate rationale: {steps:#?}"
    );
    let check = steps.iter().find(|s| s.kind == StepKind::Check).unwrap();
    assert!(
        check.text().contains("; auto-approved (finite, >= 0"),
        "{}",
        check.text()
    );
}

#[test]
fn rounding_to_whole_units_instead_of_the_moq_changes_quantities() {
    let d = run(&shipped_with(
        "Product.rounding_multiple = Product.moq;",
        "Product.rounding_multiple = 1.0;",
    ));
    // PROD-005 needs exactly 500 = 50 boxes either way.
    assert_eq!(changed_ids(&d), ["PROD-001", "PROD-002", "PROD-003"]);
    let all = [Figure::OrderQty, Figure::PurchaseQty, Figure::Amount];
    // PROD-001: net 550 -> 46 boxes of 12 = 552 (was 600 = 50 boxes).
    let c = change(&d, "PROD-001");
    assert_eq!(c.changed, all);
    assert_eq!((c.before.order_qty, c.after.order_qty), (600.0, 552.0));
    assert_eq!((c.before.purchase_qty, c.after.purchase_qty), (50.0, 46.0));
    assert_eq!((c.before.amount, c.after.amount), (9300.0, 8556.0));
    // PROD-002: net 827 -> 376 lb-packs of 2.2046 = 828.9296.
    let c = change(&d, "PROD-002");
    assert_eq!(c.changed, all);
    assert_eq!(
        (c.before.order_qty, c.after.order_qty),
        (850.9756, 828.9296)
    );
    assert_eq!(
        (c.before.purchase_qty, c.after.purchase_qty),
        (386.0, 376.0)
    );
    assert_eq!((c.before.amount, c.after.amount), (21274.39, 20723.24));
    assert!(c.after.requires_approval, "PROD-002 still above 10,000");
    // PROD-003: net 4050 -> 15,330 gallons of 0.2642 = 4050.186 liters.
    let c = change(&d, "PROD-003");
    assert_eq!(
        (c.before.purchase_qty, c.after.purchase_qty),
        (15898.0, 15330.0)
    );
    assert_eq!(c.after.order_qty, 4050.186);
    let s = &d.summary;
    assert_eq!((s.changed, s.quantity_changed, s.amount_changed), (3, 3, 3));
    assert_eq!((s.approval_changed, s.exceptions_changed), (0, 0));
    assert_eq!(
        total(&d),
        (
            TOTAL,
            round_money(8556.0 + 20723.24 + c.after.amount + 1000.0)
        )
    );
    // The candidate's rationale shows the new multiple at work.
    let steps = change(&d, "PROD-001").rationale.steps();
    let texts: Vec<String> = steps.iter().map(|s| s.text().into_owned()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Rule MultipleIsMoq: rounding_multiple = 1")),
        "{texts:#?}"
    );
}

#[test]
fn a_looping_rule_is_reported_once_with_its_first_products_and_the_rest_still_compared() {
    let looping = format!(
        "{DEFAULT_RULES}\nrule \"Surcharge\" salience 10 {{\n    when\n        Product.amount > 0\n    then\n        Product.amount = Product.amount + Product.moq;\n}}\n"
    );
    // The validator lets it through with a warning: whether it loops
    // depends on the data (on `moq`; `+ 1` would be an error, certain to
    // loop).
    let diagnostics = validate(&looping, "candidate.grl");
    assert!(
        diagnostics.iter().all(|d| !d.is_error())
            && diagnostics.iter().any(|d| d.message.contains("no-loop")),
        "{diagnostics:?}"
    );
    let d = run(&looping);
    assert_eq!(d.failures.len(), 1, "{:?}", d.failures);
    let f = &d.failures[0];
    assert_eq!(f.rule.as_deref(), Some("Surcharge"));
    assert_eq!(f.kind, RuleFailureKind::CycleLimit);
    assert_eq!(f.count, 4, "every product with an order loops");
    assert_eq!(f.products, ["PROD-001", "PROD-002", "PROD-003"]);
    assert!(f.describe().starts_with("rule \"Surcharge\": fired "));
    // Each looping product: no order any more, RULE_ERROR added.
    assert_eq!(
        changed_ids(&d),
        ["PROD-001", "PROD-002", "PROD-003", "PROD-005"]
    );
    let c = change(&d, "PROD-005");
    assert_eq!((c.before.order_qty, c.after.order_qty), (500.0, 0.0));
    assert_eq!(
        c.exceptions_added_removed(),
        (vec![ExceptionCode::RuleError], vec![])
    );
    assert_eq!(c.rule_failures[0].rule.as_deref(), Some("Surcharge"));
    let s = &d.summary;
    assert_eq!((s.failed_products, s.exceptions_changed), (4, 4));
    assert_eq!((s.orders_before, s.orders_after), (4, 0));
    assert_eq!(total(&d), (TOTAL, 0.0));
    assert_eq!(
        (s.totals[0].orders_before, s.totals[0].orders_after),
        (4, 0)
    );
    // PROD-004 orders nothing: the rule never fires there, nothing changes.
    assert!(!changed_ids(&d).contains(&"PROD-004"));
}

#[test]
fn an_engine_error_names_its_rule_and_spares_the_products_it_does_not_touch() {
    let mut rows = rows();
    // PROD-005's supplier has an order multiple: the division works there.
    rows.suppliers.last_mut().unwrap().order_multiple = Some(Num::Value(5.0));
    let candidate = format!(
        "{DEFAULT_RULES}\nrule \"PacksPerMultiple\" salience 50 no-loop {{\n    when\n        Product.order_qty > 0\n    then\n        Product.target_qty = Product.order_qty / Product.order_multiple;\n}}\n"
    );
    let d = run_on(&join(rows), &candidate);
    assert_eq!(d.failures.len(), 1, "{:?}", d.failures);
    let f = &d.failures[0];
    assert_eq!(f.rule.as_deref(), Some("PacksPerMultiple"));
    assert_eq!(f.kind, RuleFailureKind::EngineError);
    assert!(f.message.contains("Division by zero"), "{}", f.message);
    assert_eq!((f.count, f.products.len()), (3, 3));
    assert_eq!(changed_ids(&d), ["PROD-001", "PROD-002", "PROD-003"]);
    assert_eq!(d.summary.failed_products, 3);
    assert_eq!(total(&d).1, 1000.0, "PROD-005 still orders");
}

#[test]
fn a_rule_refusing_two_results_of_a_product_counts_it_once() {
    let candidate = format!(
        "{DEFAULT_RULES}\nrule \"Rebate\" salience 50 no-loop {{\n    when\n        Product.order_qty > 0\n    then\n        Product.order_qty = Product.order_qty - Product.net_requirement - Product.moq;\n        Product.amount = Product.amount - Product.amount - Product.unit_price;\n}}\n"
    );
    let d = run(&candidate);
    assert_eq!(d.failures.len(), 1, "{:?}", d.failures);
    let f = &d.failures[0];
    assert_eq!(f.rule.as_deref(), Some("Rebate"));
    assert_eq!(f.kind, RuleFailureKind::BadResult);
    assert_eq!(f.count, 4);
    // PROD-001: 600 - 550 - 100 = -50.
    assert_eq!(
        f.message,
        "order_qty = -50 after the rules (must be a finite number >= 0)"
    );
    let c = change(&d, "PROD-001");
    assert_eq!(c.rule_failures.len(), 2, "{:?}", c.rule_failures);
    assert!(c.has(Figure::Exceptions) && c.has(Figure::OrderQty));
}

#[test]
fn compare_pairs_plain_plans_and_ignores_float_noise() {
    let products = products();
    let rules = RuleSet::embedded();
    let before = plan_all(&products, &PlanContext::default(), &rules);
    let mut after = before.clone();
    after[0].order_qty += 1e-9;
    after[1].amount += 0.001;
    after[4].requires_approval = true;
    let d = compare("a.grl", &before, "b.grl", after);
    assert_eq!(changed_ids(&d), ["PROD-005"]);
    assert_eq!(change(&d, "PROD-005").changed, [Figure::RequiresApproval]);
    assert_eq!(
        (d.summary.approvals_before, d.summary.approvals_after),
        (2, 3)
    );
}

#[test]
fn the_dry_run_serialises_summary_failures_and_changes_with_steps() {
    let d = run(&shipped_with(
        "Product.amount > 10000",
        "Product.amount > 50000",
    ));
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["summary"]["approval_changed"], 1);
    assert_eq!(
        v["summary"]["totals"],
        serde_json::json!([{"currency": null, "amount_before": TOTAL, "amount_after": TOTAL, "orders_before": 4, "orders_after": 4}])
    );
    assert_eq!(v["changes"][0]["currency"], serde_json::Value::Null);
    assert_eq!(v["failures"], serde_json::json!([]));
    let c = &v["changes"][0];
    assert_eq!(c["product_id"], "PROD-002");
    assert_eq!(c["changed"], serde_json::json!(["requires_approval"]));
    assert_eq!(c["before"]["requires_approval"], true);
    assert_eq!(c["after"]["requires_approval"], false);
    assert_eq!(c["after"]["order_qty"], 850.9756);
    assert_eq!(c["after"]["amount"], 21274.39);
    assert!(c.get("rule_failures").is_none());
    let steps = c["rationale"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["rule"] == "RoundUpAndPrice"));
}

/// PROD-001..005 with PROD-002 and PROD-005 bought in EUR, PROD-001 and
/// PROD-003 in USD, PROD-004 in CHF (it never orders).
fn mixed_products() -> Vec<Arc<ProductInputs>> {
    let mut rows = rows();
    for s in &mut rows.suppliers {
        let currency = match &*s.product_id {
            "PROD-002" | "PROD-005" => "EUR",
            "PROD-004" => "CHF",
            _ => "USD",
        };
        s.currency = Some(currency.into());
    }
    join(rows)
}

/// The sums a buyer would make: per currency, the amounts of the plans
/// with an order, each rounded to cents.
fn sums_per_currency(plans: &[ProductPlan]) -> BTreeMap<String, (f64, usize)> {
    let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for p in plans.iter().filter(|p| p.amount != 0.0 || p.needs_order()) {
        let e = sums
            .entry(p.currency.as_deref().unwrap_or("?").to_string())
            .or_default();
        e.0 = round_money(e.0 + round_money(p.amount));
        e.1 += usize::from(p.needs_order());
    }
    sums
}

#[test]
fn totals_are_per_currency_and_equal_the_sums_of_each_currencys_plans() {
    let products = mixed_products();
    let candidate = load(
        &shipped_with(
            "Product.rounding_multiple = Product.moq;",
            "Product.rounding_multiple = 1.0;",
        ),
        "candidate.grl",
    )
    .unwrap();
    let ctx = PlanContext::default();
    let before = plan_all(&products, &ctx, &RuleSet::embedded());
    let after = plan_all(&products, &ctx, &candidate);
    let (sums_before, sums_after) = (sums_per_currency(&before), sums_per_currency(&after));
    let d = dry_run(&products, &ctx, &RuleSet::embedded(), &candidate);
    let totals = &d.summary.totals;
    // CHF orders nothing: no total of it; EUR and USD in code order.
    let codes: Vec<&str> = totals.iter().map(|t| t.label()).collect();
    assert_eq!(codes, ["EUR", "USD"]);
    for t in totals {
        let code = t.label();
        assert_eq!(
            (t.amount_before, t.orders_before),
            sums_before[code],
            "{code} before"
        );
        assert_eq!(
            (t.amount_after, t.orders_after),
            sums_after[code],
            "{code} after"
        );
    }
    // The figures the reference rows give: EUR 21,274.39 + 1,000.00.
    assert_eq!(totals[0].amount_before, 22274.39);
    assert_eq!(totals[1].amount_before, 188860.76);
    // Each change names its currency, and the list says they mix.
    assert!(d.mixes_currencies());
    assert_eq!(change(&d, "PROD-002").currency.as_deref(), Some("EUR"));
    assert_eq!(change(&d, "PROD-001").currency.as_deref(), Some("USD"));
    assert_eq!(
        change(&d, "PROD-002").change_parts(true),
        [
            "order 850.9756 -> 828.9296",
            "purchase 386 lb -> 376 lb",
            "amount 21,274.39 -> 20,723.24 EUR"
        ]
    );
    assert_eq!(
        change(&d, "PROD-001").change_parts(false),
        [
            "order 600 -> 552",
            "purchase 50 boxes -> 46 boxes",
            "amount 9,300.00 -> 8,556.00"
        ]
    );
}

#[test]
fn products_without_a_currency_take_the_configured_one() {
    let mut rows = rows();
    for s in &mut rows.suppliers {
        if &*s.product_id == "PROD-002" {
            s.currency = Some("EUR".into());
        }
    }
    let products = join(rows);
    let mut d = run_on(
        &products,
        &shipped_with("Product.amount > 10000", "Product.amount > 50000"),
    );
    // Unnamed first (listed last), then EUR.
    let codes: Vec<Option<&str>> = d
        .summary
        .totals
        .iter()
        .map(|t| t.currency.as_deref())
        .collect();
    assert_eq!(codes, [Some("EUR"), None]);
    assert!(d.mixes_currencies());
    d.assume_currency("EUR");
    assert_eq!(d.summary.totals.len(), 1);
    let t = &d.summary.totals[0];
    assert_eq!(t.label(), "EUR");
    assert_eq!((t.amount_before, t.orders_before), (TOTAL, 4));
    assert!(!d.mixes_currencies());
    assert!(d
        .changes
        .iter()
        .all(|c| c.currency.as_deref() == Some("EUR")));
    // Another configured currency stays apart from EUR.
    let mut d = run_on(
        &products,
        &shipped_with("Product.amount > 10000", "Product.amount > 50000"),
    );
    d.assume_currency("USD");
    let totals: Vec<(&str, f64)> = (d.summary.totals.iter())
        .map(|t| (t.label(), t.amount_before))
        .collect();
    assert_eq!(
        totals,
        [("EUR", 21274.39), ("USD", round_money(TOTAL - 21274.39))]
    );
}

/// Raising the rules' threshold flags fewer lines, but the POs still wait
/// when their total is above `[orders] approval_threshold`: the dry run
/// says so, per currency.
#[test]
fn pos_still_wait_for_the_configured_threshold_after_the_rules_threshold_is_raised() {
    let mut d = run(&shipped_with(
        "Product.amount > 10000",
        "Product.amount > 50000",
    ));
    // One PO per supplier and currency, from the products that order.
    let (before, after) = d.po_groups.clone();
    assert_eq!(before.len(), after.len());
    let lines: usize = after.iter().map(|g| g.lines).sum();
    assert_eq!(
        lines, d.summary.orders_after,
        "every ordering product on a PO"
    );
    d.po_approvals("EUR", |_| 10_000.0);
    let p = d.summary.po_approvals.unwrap();
    assert_eq!(p.before.flagged_lines, d.summary.approvals_before);
    assert_eq!(p.after.flagged_lines, d.summary.approvals_before - 1);
    // Worked out from the groups: a PO waits when above 10,000.00 or
    // flagged.
    let waits = |gs: &[PoGroup]| {
        gs.iter()
            .filter(|g| g.amount_cents > 1_000_000 || g.flagged > 0)
            .count()
    };
    assert_eq!(p.before.pending, waits(&before));
    assert_eq!(p.after.pending, waits(&after));
    assert_eq!(
        p.after.above_threshold,
        after.iter().filter(|g| g.amount_cents > 1_000_000).count()
    );
    // PROD-002 (21,274.39) is no longer flagged, yet its PO still waits.
    assert_eq!(p.before.pending, p.after.pending, "{p:?}");
    assert!(p.after.above_threshold >= 1, "{p:?}");
    // With a threshold above every PO for its currency, only flagged
    // lines make a PO wait.
    d.po_approvals("EUR", |_| 1e12);
    let p = d.summary.po_approvals.unwrap();
    assert_eq!(p.after.above_threshold, 0);
    assert_eq!(
        p.after.pending,
        after.iter().filter(|g| g.flagged > 0).count()
    );
    assert!(p.after.pending < p.before.pending, "{p:?}");
}

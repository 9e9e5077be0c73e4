//! The DOMAIN.md worked examples and reference rows, checked field by field
//! through the real rules.

use super::inputs::*;
use super::numbers::Num;
use super::*;
use std::sync::Arc;

pub(crate) fn product(
    id: &str,
    d: f64,
    avail: f64,
    price: f64,
    moq: f64,
    lead: f64,
    uom: Option<(&str, &str, f64)>,
) -> ProductInputs {
    ProductInputs {
        product_id: id.into(),
        oms: Box::new([OmsRow {
            product_id: id.into(),
            product_name: None,
            avg_daily_demand: Num::Value(d),
            trend: Some("stable".into()),
        }]),
        history: None,
        history_table_exists: false,
        inventory: Box::new([InventoryRow {
            product_id: id.into(),
            available_qty: Num::Value(avail),
            reserved_qty: Num::Value(0.0),
            warehouse_location: Some("WH".into()),
            on_order_qty: None,
            safety_stock: None,
            updated_at: None,
        }]),
        suppliers: Box::new([SupplierRow {
            product_id: id.into(),
            supplier_name: Some("S".into()),
            unit_price: Num::Value(price),
            moq: Num::Value(moq),
            lead_time: Num::Value(lead),
            supplier_id: None,
            order_multiple: None,
            is_active: None,
            review_period_days: None,
            currency: None,
        }]),
        uom: uom
            .map(|(from, to, f)| {
                Box::new([UomRow {
                    product_id: id.into(),
                    from_uom: Some(from.into()),
                    to_uom: Some(to.into()),
                    conversion_factor: Num::Value(f),
                }]) as Box<[UomRow]>
            })
            .unwrap_or_default(),
    }
}

pub(crate) fn plan_one(p: &ProductInputs) -> ProductPlan {
    let rules = RuleSet::embedded();
    let mut planner = rules.engine();
    plan_product(&Arc::new(p.clone()), &PlanContext::default(), &mut planner)
}

#[track_caller]
fn assert_field(plan: &ProductPlan, field: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-9,
        "{}: {field} is {got}, expected {want}\nrationale: {:#?}",
        plan.product_id,
        plan.rationale
    );
}

#[test]
fn worked_reference_example() {
    // d 15.5, L 7, avail 20, moq 20 -> dlt 108.5, net 88.5, q = 100, 1599.00
    let p = plan_one(&product(
        "W",
        15.5,
        20.0,
        15.99,
        20.0,
        7.0,
        Some(("pcs", "pcs", 1.0)),
    ));
    assert_field(
        &p,
        "demand_during_lead_time",
        p.demand_during_lead_time.get().unwrap(),
        108.5,
    );
    assert_field(
        &p,
        "net_requirement",
        p.net_requirement.get().unwrap(),
        88.5,
    );
    assert_field(&p, "order_qty", p.order_qty, 100.0);
    assert_field(&p, "amount", numbers::round_money(p.amount), 1599.0);
    assert!(!p.requires_approval);
}

#[test]
fn reference_prod_001() {
    let p = plan_one(&product(
        "PROD-001",
        150.0,
        500.0,
        15.5,
        100.0,
        7.0,
        Some(("pieces", "box", 12.0)),
    ));
    assert_field(
        &p,
        "demand_during_lead_time",
        p.demand_during_lead_time.get().unwrap(),
        1050.0,
    );
    assert_field(
        &p,
        "net_requirement",
        p.net_requirement.get().unwrap(),
        550.0,
    );
    assert_field(&p, "order_qty", p.order_qty, 600.0);
    assert_field(&p, "purchase_qty", p.purchase_qty, 50.0);
    assert_field(&p, "amount", p.amount, 9300.0);
    assert!(!p.requires_approval, "PROD-001 is auto-approved");
    assert_eq!(p.purchase_uom.as_deref(), Some("box"));
    assert!(p.has(ExceptionCode::OrderLate));
    let fired: Vec<&str> = p.rules_fired.iter().map(|r| r.as_ref()).collect();
    // No daily history: the OMS average and the inventory's safety stock
    // (the rules of the service level fire, with sigma 0).
    assert_eq!(
        fired,
        [
            "DemandFromOmsAverage",
            "ServiceLevelC",
            "SafetyStockFromInventory",
            "Requirement",
            "OrderTheShortage",
            "MultipleIsMoq",
            "RoundUpAndPrice"
        ]
    );
    let steps = p.rationale.steps();
    let req = steps
        .iter()
        .find(|s| s.rule.as_deref() == Some("Requirement"))
        .unwrap();
    let fields: Vec<&str> = req.changes.iter().map(|c| c.field()).collect();
    assert_eq!(
        fields,
        [
            "inventory_position",
            "demand_during_lead_time",
            "target_qty",
            "net_requirement"
        ]
    );
    let dlt = &req.changes[1];
    assert_eq!(dlt.numbers(), "150 * 7");
    assert_eq!(dlt.formula(), "demand_rate * lead_time_days");
    assert_eq!(dlt.new, FactValue::Number(1050.0));
    assert_eq!(dlt.old, FactValue::Number(0.0));
    assert_eq!(
        req.changes[3].numbers(),
        "1050 - 500",
        "operands are the values when the action ran"
    );
    assert!(
        req.text().contains(
            "demand_during_lead_time = demand_rate * lead_time_days = 150 * 7 = 1050 (was 0)"
        ),
        "{}",
        req.text()
    );
    let round = steps
        .iter()
        .find(|s| s.rule.as_deref() == Some("RoundUpAndPrice"))
        .unwrap();
    assert_eq!(round.changes[0].numbers(), "ceil(550 / 100) x 100");
    assert_eq!(round.changes[1].numbers(), "ceil(600 / 12)");
    assert_eq!(round.changes[2].numbers(), "50 * 12");
    assert_eq!(round.changes[3].numbers(), "600 * 15.5");
    let check = steps.iter().find(|s| s.kind == StepKind::Check).unwrap();
    assert_eq!(
        check.text(),
        "Check: 50 boxes x 12 = 600 pieces; 600 pieces x 15.5 = 9,300.00; auto-approved (finite, >= 0, pack and amount agree: ok)"
    );
    let kinds: Vec<StepKind> = steps.iter().map(|s| s.kind).collect();
    let first_rule = kinds.iter().position(|k| *k == StepKind::Rule).unwrap();
    let check_at = kinds.iter().position(|k| *k == StepKind::Check).unwrap();
    assert!(kinds[..first_rule]
        .iter()
        .all(|k| matches!(k, StepKind::Input | StepKind::Derived | StepKind::Note)));
    assert!(
        check_at > first_rule
            && kinds[check_at + 1..]
                .iter()
                .all(|k| *k == StepKind::Exception)
    );
}

#[test]
fn reference_prod_002_physical_conversion_needs_approval() {
    let p = plan_one(&product(
        "PROD-002",
        80.5,
        300.0,
        25.0,
        50.0,
        14.0,
        Some(("kg", "lb", 2.2046)),
    ));
    assert_field(
        &p,
        "net_requirement",
        p.net_requirement.get().unwrap(),
        827.0,
    );
    assert_eq!(numbers::round_qty(p.order_qty), 850.9756);
    assert_field(&p, "purchase_qty", p.purchase_qty, 386.0);
    assert_field(&p, "amount", numbers::round_money(p.amount), 21274.39);
    assert!(p.requires_approval);
}

#[test]
fn reference_prod_003() {
    let p = plan_one(&product(
        "PROD-003",
        200.0,
        150.0,
        42.75,
        200.0,
        21.0,
        Some(("liter", "gallon", 0.2642)),
    ));
    assert_field(
        &p,
        "net_requirement",
        p.net_requirement.get().unwrap(),
        4050.0,
    );
    assert_field(&p, "purchase_qty", p.purchase_qty, 15898.0);
    assert_eq!(numbers::round_qty(p.order_qty), 4200.2516);
    assert!(p.requires_approval);
}

#[test]
fn no_shortage_means_no_order_even_with_moq() {
    let p = plan_one(&product("NOSHORT", 1.0, 1000.0, 2.0, 500.0, 7.0, None));
    assert_field(&p, "order_qty", p.order_qty, 0.0);
    assert_field(&p, "amount", p.amount, 0.0);
    assert!(p.has(ExceptionCode::UomMissing));
}

#[test]
fn second_product_on_same_engine_still_fires_rules() {
    let rules = RuleSet::embedded();
    let mut planner = rules.engine();
    let a = plan_product(
        &Arc::new(product("A", 150.0, 500.0, 15.5, 100.0, 7.0, None)),
        &PlanContext::default(),
        &mut planner,
    );
    let b = plan_product(
        &Arc::new(product("B", 150.0, 500.0, 15.5, 100.0, 7.0, None)),
        &PlanContext::default(),
        &mut planner,
    );
    assert_eq!(a.order_qty, 600.0);
    assert_eq!(
        b.order_qty, 600.0,
        "no-loop tracking must be reset per product"
    );
}

#[test]
fn order_multiple_wins_over_moq() {
    let mut p = product("MULT", 10.0, 0.0, 1.0, 5.0, 10.0, None);
    p.suppliers[0].order_multiple = Some(Num::Value(30.0));
    let plan = plan_one(&p);
    // net 100, max(100, 5) = 100, ceil(100/30)*30 = 120
    assert_field(&plan, "order_qty", plan.order_qty, 120.0);
    assert!(plan.has(ExceptionCode::Stockout));
}

#[test]
fn inactive_supplier_orders_nothing_and_is_flagged() {
    let mut p = product("INACT", 10.0, 0.0, 1.0, 5.0, 10.0, None);
    p.suppliers[0].is_active = Some(Some("0".into()));
    let plan = plan_one(&p);
    assert_field(&plan, "order_qty", plan.order_qty, 0.0);
    assert!(plan.has(ExceptionCode::SupplierInactive));
}

#[test]
fn bad_rows_are_flagged_without_an_order() {
    let mut null_demand = product("NULLD", 1.0, 0.0, 1.0, 1.0, 1.0, None);
    null_demand.oms[0].avg_daily_demand = Num::Null;
    let mut text_price = product("TEXTP", 1.0, 0.0, 1.0, 1.0, 1.0, None);
    text_price.suppliers[0].unit_price = Num::Invalid("abc".into());
    let negative_lead = product("NEGL", 1.0, 0.0, 1.0, 1.0, -3.0, None);
    let mut no_inventory = product("NOINV", 1.0, 0.0, 1.0, 1.0, 1.0, None);
    no_inventory.inventory = Box::default();
    for p in [null_demand, text_price, negative_lead, no_inventory] {
        let plan = plan_one(&p);
        assert!(
            plan.has(ExceptionCode::BadData),
            "{}: expected BAD_DATA, got {:?}",
            p.product_id,
            plan.exceptions
        );
        assert_eq!(
            plan.order_qty, 0.0,
            "{}: no order for bad data",
            p.product_id
        );
        assert!(
            plan.rules_fired.is_empty(),
            "{}: rules must not run",
            p.product_id
        );
    }
}

#[test]
fn negative_available_is_a_backorder_not_bad_data() {
    let plan = plan_one(&product("BACK", 10.0, -20.0, 1.0, 1.0, 5.0, None));
    assert!(!plan.has(ExceptionCode::BadData));
    assert!(plan.has(ExceptionCode::Stockout));
    // target 50, IP -20, net 70
    assert_field(&plan, "order_qty", plan.order_qty, 70.0);
}

#[test]
fn missing_supplier_and_invalid_uom() {
    let mut nosup = product("NOSUP", 10.0, 0.0, 1.0, 1.0, 5.0, None);
    nosup.suppliers = Box::default();
    let plan = plan_one(&nosup);
    assert!(plan.has(ExceptionCode::NoSupplier));
    assert_eq!(plan.order_qty, 0.0);

    let plan = plan_one(&product(
        "BADUOM",
        10.0,
        0.0,
        1.0,
        1.0,
        5.0,
        Some(("pcs", "box", 0.0)),
    ));
    assert!(plan.has(ExceptionCode::UomInvalid));
    assert_eq!(plan.order_qty, 0.0);
}

#[test]
fn cheapest_active_supplier_wins_and_others_are_named() {
    let mut p = product("MULTI", 10.0, 0.0, 5.0, 1.0, 5.0, None);
    let mut cheap_inactive = p.suppliers[0].clone();
    cheap_inactive.supplier_name = Some("Cheap".into());
    cheap_inactive.unit_price = Num::Value(1.0);
    cheap_inactive.is_active = Some(Some("false".into()));
    let mut cheaper_active = p.suppliers[0].clone();
    cheaper_active.supplier_name = Some("Better".into());
    cheaper_active.unit_price = Num::Value(4.0);
    p.suppliers = [p.suppliers[0].clone(), cheap_inactive, cheaper_active].into();
    let plan = plan_one(&p);
    assert_eq!(plan.supplier_name.as_deref(), Some("Better"));
    assert!(plan
        .rationale
        .steps()
        .iter()
        .any(|s| s.text().contains("Not chosen: 'S'")));
    assert!(plan
        .rationale
        .steps()
        .iter()
        .any(|s| s.text().contains("Not chosen: 'Cheap'")));
}

#[test]
fn no_demand_and_overshoot() {
    let plan = plan_one(&product("NODEM", 0.0, 10.0, 1.0, 1.0, 5.0, None));
    assert!(plan.has(ExceptionCode::NoDemand));
    assert!(plan.days_of_cover.is_none());
    // need 6 (1/day x 6 days), MOQ 100 -> 94 units = 94 days beyond the need
    let plan = plan_one(&product("OVER", 1.0, 0.0, 1.0, 100.0, 6.0, None));
    assert!(plan.has(ExceptionCode::Overshoot), "{:?}", plan.exceptions);
}

#[test]
fn plan_all_matches_single_threaded_and_keeps_order() {
    let products: Vec<Arc<ProductInputs>> = (0..2000)
        .map(|i| {
            product(
                &format!("P{i:05}"),
                (i % 50) as f64,
                (i % 300) as f64,
                1.5,
                10.0,
                7.0,
                Some(("pcs", "box", 6.0)),
            )
        })
        .map(Arc::new)
        .collect();
    let rules = RuleSet::embedded();
    let all = plan_all(&products, &PlanContext::default(), &rules);
    assert_eq!(all.len(), products.len());
    let mut planner = rules.engine();
    for (i, p) in products.iter().enumerate().step_by(97) {
        let single = plan_product(p, &PlanContext::default(), &mut planner);
        assert_eq!(all[i], single, "{}", p.product_id);
    }
}

#[test]
fn rules_set_knows_which_fields_it_reads_ignoring_comments() {
    let rules = RuleSet::embedded();
    assert!(rules.uses_field("order_qty"));
    assert!(
        !rules.uses_field("demand_sigma"),
        "only the header comment mentions it"
    );
    let text = "// Product.history_days in a comment\nrule \"A\" salience 1 no-loop {\n when Product.demand_sigma > 1 /* Product.trend */\n then Product.order_qty = 1;\n}\n";
    let r = RuleSet::parse(text, "t").unwrap();
    assert!(r.uses_field("demand_sigma"));
    assert!(!r.uses_field("history_days"));
    assert!(!r.uses_field("trend"));
    assert!(r.needs_history(), "demand_sigma is the history's");
    // The shipped rules read the forecast: the history is needed to check
    // a stored forecast's fingerprint; the reference policy needs none.
    assert!(RuleSet::embedded().needs_history());
    let reference =
        RuleSet::parse(include_str!("../../rules/reference.grl"), "reference.grl").unwrap();
    assert!(!reference.needs_history());
}

#[test]
fn a_rule_that_keeps_firing_is_a_rule_error_not_a_silent_result() {
    let text = format!(
        "{}\nrule \"Loops\" salience 1 {{\n    when\n        Product.moq > 0\n    then\n        Product.amount = Product.amount + 1;\n}}\n",
        DEFAULT_RULES
    );
    let rules = RuleSet::parse(&text, "looping.grl").unwrap();
    let mut planner = rules.engine();
    let p = Arc::new(product("LOOP", 150.0, 500.0, 15.5, 100.0, 7.0, None));
    let plan = plan_product(&p, &PlanContext::default(), &mut planner);
    assert!(plan.has(ExceptionCode::RuleError), "{:?}", plan.exceptions);
    assert_eq!(
        plan.order_qty, 0.0,
        "no order from rules that did not finish"
    );
    assert!(plan
        .exception_details
        .iter()
        .any(|e| e.message.contains("no-loop")));
    assert_eq!(
        plan.rule_failures.len(),
        1,
        "LOOP: only Loops fired more than once: {:?}",
        plan.rule_failures
    );
    let f = &plan.rule_failures[0];
    assert_eq!(f.rule.as_deref(), Some("Loops"), "LOOP: {f:?}");
    assert_eq!(f.kind, RuleFailureKind::CycleLimit);
    assert!(
        f.message
            .starts_with("fired 100 times: the rules ran 100 cycles"),
        "LOOP: {}",
        f.message
    );
}

#[test]
fn many_rules_that_keep_firing_stop_at_the_firing_budget_with_the_rule_named() {
    // 400 pairs of rules without no-loop whose conditions their actions
    // leave true: 800 firings a cycle. Before the budget each product ran
    // 100 cycles (80,000 firings, each recorded in its trace).
    let mut text = DEFAULT_RULES.to_string();
    for i in 0..400 {
        text.push_str(&format!(
            "\nrule \"Up{i}\" salience 1 {{\n    when\n        Product.moq > 0\n    then\n        Product.amount = Product.amount + 1;\n}}\n\
             rule \"Down{i}\" salience 1 {{\n    when\n        Product.moq > 0\n    then\n        Product.amount = Product.amount - 1;\n}}\n"
        ));
    }
    let rules = RuleSet::parse(&text, "pairs.grl").unwrap();
    let mut planner = rules.engine();
    for n in 0..3 {
        let p = Arc::new(product(
            &format!("P{n}"),
            150.0,
            500.0,
            15.5,
            100.0,
            7.0,
            None,
        ));
        let plan = plan_product(&p, &PlanContext::default(), &mut planner);
        assert!(plan.has(ExceptionCode::RuleError), "{:?}", plan.exceptions);
        assert_eq!(plan.order_qty, 0.0);
        assert!(
            plan.rules_fired.len() <= crate::plan::engine::FIRING_BUDGET + 20,
            "{}: the run stopped at the budget, not after {} firings",
            p.product_id,
            plan.rules_fired.len()
        );
        // The ten that fired most are named, the others counted.
        assert_eq!(plan.rule_failures.len(), 11, "{:?}", plan.rule_failures);
        let last = plan.rule_failures.last().unwrap();
        assert_eq!(last.rule, None);
        assert!(
            last.message.starts_with("and ")
                && last.message.ends_with(" more rules fired more than once"),
            "{}",
            last.message
        );
        for f in &plan.rule_failures[..10] {
            assert_eq!(f.kind, RuleFailureKind::CycleLimit, "{f:?}");
            let rule = f.rule.as_deref().unwrap_or("");
            assert!(
                rule.starts_with("Up") || rule.starts_with("Down"),
                "charged to a looping rule: {f:?}"
            );
            assert!(
                f.message.contains("the rules stopped after 1000 firings")
                    && f.message.contains("no-loop"),
                "{}",
                f.message
            );
        }
    }
    // The shipped rules (all no-loop) are not counted: a product after the
    // looping ones plans as before.
    let mut shipped = RuleSet::embedded().engine();
    let p = Arc::new(product("OK", 150.0, 500.0, 15.5, 100.0, 7.0, None));
    let plan = plan_product(&p, &PlanContext::default(), &mut shipped);
    assert!(!plan.has(ExceptionCode::RuleError), "{:?}", plan.exceptions);
}

/// The shipped rules with `extra` appended.
fn shipped_and(extra: &str) -> RuleSet {
    RuleSet::parse(&format!("{DEFAULT_RULES}\n{extra}"), "extra.grl").unwrap()
}

#[test]
fn an_engine_error_is_charged_to_the_rule_whose_action_failed() {
    // Salience 65 runs between MultipleIs* (70) and RoundUpAndPrice (60):
    // rules fire before and after it would, only its action fails.
    let rules = shipped_and(
        "rule \"DividesByOrderMultiple\" salience 65 no-loop {\n    when\n        Product.order_qty > 0\n    then\n        Product.target_qty = Product.order_qty / Product.order_multiple;\n}\n",
    );
    let mut planner = rules.engine();
    let p = Arc::new(product("DIV", 150.0, 500.0, 15.5, 100.0, 7.0, None));
    let plan = plan_product(&p, &PlanContext::default(), &mut planner);
    assert!(
        plan.has(ExceptionCode::RuleError),
        "DIV: {:?}",
        plan.exceptions
    );
    assert_eq!(plan.order_qty, 0.0, "DIV: no order from failed rules");
    let f = &plan.rule_failures[0];
    assert_eq!(
        f.rule.as_deref(),
        Some("DividesByOrderMultiple"),
        "DIV: {f:?}"
    );
    assert_eq!(f.kind, RuleFailureKind::EngineError);
    assert!(f.message.contains("Division by zero"), "DIV: {}", f.message);
    let detail = &plan
        .exception_details
        .iter()
        .find(|e| e.code == ExceptionCode::RuleError)
        .unwrap()
        .message;
    assert!(
        detail.starts_with("rule \"DividesByOrderMultiple\": failed: "),
        "DIV: {detail}"
    );
    // The rules that ran before it are in the trace; the failed one is not.
    let fired: Vec<&str> = plan.rules_fired.iter().map(|r| r.as_ref()).collect();
    assert_eq!(fired.last(), Some(&"MultipleIsMoq"), "DIV: {fired:?}");

    // A product with an order multiple passes, on the same engine, and a
    // second failing product is charged to the same rule again.
    let mut ok = product("OK", 150.0, 500.0, 15.5, 100.0, 7.0, None);
    ok.suppliers[0].order_multiple = Some(Num::Value(10.0));
    let plan = plan_product(&Arc::new(ok), &PlanContext::default(), &mut planner);
    assert!(
        plan.rule_failures.is_empty(),
        "OK: {:?}",
        plan.rule_failures
    );
    assert!(plan.order_qty > 0.0, "OK: order_qty {}", plan.order_qty);
    let plan = plan_product(&p, &PlanContext::default(), &mut planner);
    assert_eq!(
        plan.rule_failures[0].rule.as_deref(),
        Some("DividesByOrderMultiple")
    );
}

#[test]
fn a_refused_result_is_charged_to_the_last_rule_that_wrote_it() {
    let rules = shipped_and(
        "rule \"Discount\" salience 50 no-loop {\n    when\n        Product.amount > 0\n    then\n        Product.amount = Product.amount - Product.order_qty * Product.unit_price - Product.unit_price;\n}\n",
    );
    let mut planner = rules.engine();
    let p = Arc::new(product("NEG", 150.0, 500.0, 15.5, 100.0, 7.0, None));
    let plan = plan_product(&p, &PlanContext::default(), &mut planner);
    assert_eq!(plan.rule_failures.len(), 1, "NEG: {:?}", plan.rule_failures);
    let f = &plan.rule_failures[0];
    assert_eq!(f.rule.as_deref(), Some("Discount"), "NEG: {f:?}");
    assert_eq!(f.kind, RuleFailureKind::BadResult);
    assert_eq!(
        f.message,
        "amount = -15.5 after the rules (must be a finite number >= 0)"
    );
    assert_eq!(plan.amount, 0.0);
    // Products the rule does not break keep no failure.
    let quiet = Arc::new(product("QUIET", 1.0, 500.0, 15.5, 100.0, 7.0, None));
    let plan = plan_product(&quiet, &PlanContext::default(), &mut planner);
    assert!(
        plan.rule_failures.is_empty(),
        "QUIET: {:?}",
        plan.rule_failures
    );
    assert!(!plan.has(ExceptionCode::RuleError));
}

#[test]
fn a_failed_plan_serialises_its_rule_failures_and_a_good_one_does_not() {
    let p = plan_one(&product("OK", 150.0, 500.0, 15.5, 100.0, 7.0, None));
    let v = serde_json::to_value(&p).unwrap();
    assert!(v.get("rule_failures").is_none(), "OK: {v}");
    let rules = shipped_and(
        "rule \"Loops\" salience 1 {\n    when\n        Product.moq > 0\n    then\n        Product.amount = Product.amount + 1;\n}\n",
    );
    let mut planner = rules.engine();
    let p = Arc::new(product("LOOP", 150.0, 500.0, 15.5, 100.0, 7.0, None));
    let plan = plan_product(&p, &PlanContext::default(), &mut planner);
    let v = serde_json::to_value(&plan).unwrap();
    assert_eq!(v["rule_failures"][0]["rule"], "Loops");
    assert_eq!(v["rule_failures"][0]["kind"], "cycle_limit");
}

#[test]
fn only_a_field_one_no_loop_rule_writes_is_taken_from_the_result() {
    let shipped = RuleSet::embedded();
    assert_eq!(
        shipped.values_from_the_result(),
        [
            "Requirement: inventory_position",
            "Requirement: demand_during_lead_time",
            "Requirement: target_qty",
            "Requirement: net_requirement",
            "RoundUpAndPrice: purchase_qty",
            "RoundUpAndPrice: amount",
            "ApprovalAboveThreshold: requires_approval",
        ],
        "order_qty (four writers) and rounding_multiple (two) are read when their rule fires"
    );
    // A second writer of `amount`, and a rule without no-loop.
    let more = shipped_and(
        "rule \"Surcharge\" salience 10 no-loop {\n when Product.amount > 0\n then Product.amount = Product.amount + 5;\n}\n\
         rule \"Flag\" salience 5 {\n when Product.amount > 100000000\n then Product.requires_approval = true;\n}\n",
    );
    let got = more.values_from_the_result();
    assert!(!got.iter().any(|s| s.ends_with(": amount")), "{got:?}");
    assert!(
        !got.iter().any(|s| s.ends_with(": requires_approval")),
        "{got:?}"
    );
    assert!(
        got.contains(&"RoundUpAndPrice: purchase_qty".to_string()),
        "{got:?}"
    );
}

#[test]
fn values_taken_from_the_result_are_the_values_read_when_the_rule_fired() {
    let extra = "rule \"Surcharge\" salience 10 no-loop {\n when Product.amount > 500\n then Product.amount = Product.amount + 5;\n Product.safety_stock = Product.amount;\n}\n";
    for rules in [RuleSet::embedded(), shipped_and(extra)] {
        let (mut fast, mut every) = (rules.engine(), rules.reading_every_value().engine());
        let mut fired = 0;
        for i in 0..1500 {
            let mut p = product(
                &format!("P{i:05}"),
                (i % 41) as f64 * 1.5,
                (i % 307) as f64 - 20.0,
                0.5 + (i % 13) as f64 * 7.0,
                (i % 4) as f64 * 25.0,
                (i % 9) as f64 * 3.0,
                (i % 3 == 0).then_some(("pcs", "box", 6.0)),
            );
            if i % 5 == 0 {
                p.suppliers[0].order_multiple = Some(Num::Value(12.0));
            }
            let p = Arc::new(p);
            let ctx = PlanContext::default();
            let a = plan_product(&p, &ctx, &mut fast);
            let b = plan_product(&p, &ctx, &mut every);
            fired += a.rules_fired.len();
            assert_eq!(a, b, "{}", p.product_id);
        }
        assert!(fired > 4000, "the products make the rules fire: {fired}");
    }
}

/// PROD-001's figures (600 pieces = 50 boxes, 9,300.00) with `extra` rules.
fn prod_001_with(extra: &str) -> ProductPlan {
    let rules = shipped_and(extra);
    let mut planner = rules.engine();
    let p = Arc::new(product(
        "PROD-001",
        150.0,
        500.0,
        15.5,
        100.0,
        7.0,
        Some(("pieces", "box", 12.0)),
    ));
    plan_product(&p, &PlanContext::default(), &mut planner)
}

fn rule_error(plan: &ProductPlan) -> &str {
    &plan
        .exception_details
        .iter()
        .find(|e| e.code == ExceptionCode::RuleError)
        .unwrap_or_else(|| panic!("{}: no RULE_ERROR: {:?}", plan.product_id, plan.exceptions))
        .message
}

#[test]
fn a_rule_that_raises_the_order_after_pricing_is_a_rule_error_naming_the_fields() {
    let plan = prod_001_with(
        "rule \"Raise\" salience 50 no-loop {\n when Product.order_qty > 0\n then Product.order_qty = Product.order_qty + 60;\n}\n",
    );
    let message = rule_error(&plan);
    // purchase 50 x 12 = 600 but order 660; 660 x 15.5 is not 9,300.00.
    assert!(
        message.contains("purchase_qty (last written by rule \"RoundUpAndPrice\") 50 x pack 12 = 600, but order_qty (last written by rule \"Raise\") is 660"),
        "{message}"
    );
    assert!(
        message.contains("order_qty (last written by rule \"Raise\") 660 x unit_price 15.5 = 10,230.00, but amount (last written by rule \"RoundUpAndPrice\") is 9,300.00"),
        "{message}"
    );
    assert!(plan
        .rule_failures
        .iter()
        .all(|f| f.rule.as_deref() == Some("Raise") && f.kind == RuleFailureKind::Disagree));
    assert_eq!(
        (plan.order_qty, plan.purchase_qty, plan.amount),
        (0.0, 0.0, 0.0)
    );
    assert!(!plan.requires_approval);
    let check = plan.rationale.steps();
    assert!(
        !check.iter().any(|s| s.text().contains(": ok)")),
        "no step says ok: {check:#?}"
    );
}

#[test]
fn a_rule_that_zeroes_the_order_after_pricing_is_a_rule_error() {
    let plan = prod_001_with(
        "rule \"Zero\" salience 50 no-loop {\n when Product.order_qty > 0\n then Product.order_qty = 0;\n}\n",
    );
    let message = rule_error(&plan);
    assert!(message.contains("is 0"), "{message}");
    assert!(message.contains("amount (last written by rule \"RoundUpAndPrice\") is 9,300.00"));
    assert_eq!((plan.order_qty, plan.amount), (0.0, 0.0));
    assert!(!plan.requires_approval, "no approval on no order");
}

#[test]
fn a_consistent_change_by_a_rule_author_goes_through_untouched() {
    // Two more boxes, priced: every identity still holds.
    let plan = prod_001_with(
        "rule \"TwoMoreBoxes\" salience 50 no-loop {\n when Product.order_qty > 0\n then Product.purchase_qty = Product.purchase_qty + 2;\n Product.order_qty = Product.purchase_qty * Product.pack_size;\n Product.amount = Product.order_qty * Product.unit_price;\n}\n",
    );
    assert!(plan.rule_failures.is_empty(), "{:?}", plan.rule_failures);
    assert_eq!(
        (plan.order_qty, plan.purchase_qty, plan.amount),
        (624.0, 52.0, 9672.0)
    );
    // And its steps show what each action computed: 50 + 2, then 52 x 12.
    let steps = plan.rationale.steps();
    let step = steps
        .iter()
        .find(|s| s.rule.as_deref() == Some("TwoMoreBoxes"))
        .unwrap();
    let text = step.text();
    assert!(
        text.contains("purchase_qty = purchase_qty + 2 = 50 + 2 = 52 (was 50)"),
        "{text}"
    );
    assert!(
        text.contains("order_qty = purchase_qty * pack_size = 52 * 12 = 624 (was 600)"),
        "{text}"
    );
    assert!(
        text.contains("= 624 * 15.5 = 9,672.00 (was 9,300.00)"),
        "{text}"
    );
}

#[test]
fn each_step_shows_what_it_computed_when_a_rule_writes_a_field_twice() {
    // PROD-003: 4050 rounds to 4200 by the MOQ, then to 15898 gallons =
    // 4200.2516 liters; the first step must say 4200.
    let p = product(
        "PROD-003",
        200.0,
        150.0,
        42.75,
        200.0,
        21.0,
        Some(("liter", "gallon", 0.2642)),
    );
    let plan = plan_one(&p);
    let steps = plan.rationale.steps();
    let round = steps
        .iter()
        .find(|s| s.rule.as_deref() == Some("RoundUpAndPrice"))
        .unwrap();
    let news: Vec<String> = round.changes.iter().map(|c| c.new.to_string()).collect();
    assert_eq!(news, ["4200", "15898", "4200.2516", "179560.7559"]);
    let olds: Vec<String> = round.changes.iter().map(|c| c.old.to_string()).collect();
    assert_eq!(olds, ["4050", "0", "4200", "0"]);
    assert_eq!(round.changes[1].numbers(), "ceil(4200 / 0.2642)");
}

#[test]
fn an_inactive_supplier_says_cannot_order_with_the_need() {
    let mut p = product("INACT", 10.0, 0.0, 1.0, 5.0, 12.0, None);
    p.suppliers[0].is_active = Some(Some("0".into()));
    let plan = plan_one(&p);
    let steps = plan.rationale.steps();
    let texts: Vec<String> = steps.iter().map(|s| s.text().into_owned()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t == "Check: cannot order: the supplier is inactive; 120 units needed"),
        "{texts:#?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("no order needed")),
        "{texts:#?}"
    );
    let inactive = plan
        .exception_details
        .iter()
        .find(|e| e.code == ExceptionCode::SupplierInactive)
        .unwrap();
    assert!(
        inactive.message.ends_with("; 120 units needed"),
        "{}",
        inactive.message
    );
}

#[test]
fn a_product_that_cannot_be_planned_says_cannot_order_and_what_it_needs() {
    let mut bad_moq = product("BADMOQ", 10.0, 0.0, 1.0, 5.0, 12.0, None);
    bad_moq.suppliers[0].moq = Num::Invalid("ten".into());
    let plan = plan_one(&bad_moq);
    let texts: Vec<String> = (plan.rationale.steps().iter())
        .map(|s| s.text().into_owned())
        .collect();
    // BAD_DATA on the only supplier row: no supplier is chosen, no lead time.
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Cannot order: BAD_DATA (below); rules not run; ")),
        "{texts:#?}"
    );
    let mut no_supplier = product("NOSUP", 10.0, -5.0, 1.0, 5.0, 12.0, None);
    no_supplier.suppliers = Box::default();
    let plan = plan_one(&no_supplier);
    let texts: Vec<String> = (plan.rationale.steps().iter())
        .map(|s| s.text().into_owned())
        .collect();
    assert!(
        texts.iter().any(|t| t
            == "Cannot order: NO_SUPPLIER (below); rules not run; stock is out (-5 available, demand 10/day); the need cannot be computed without a lead time"),
        "{texts:#?}"
    );
}

#[test]
fn a_backorder_has_zero_days_of_cover_never_negative() {
    let plan = plan_one(&product("BACK", 10.0, -161.0, 1.0, 1.0, 5.0, None));
    assert_eq!(plan.days_of_cover, Some(0.0));
    let texts: Vec<String> = (plan.rationale.steps().iter())
        .map(|s| s.text().into_owned())
        .collect();
    assert!(
        texts.contains(&"Days of cover = 0: a backorder of 161 (available -161)".to_string()),
        "{texts:#?}"
    );
    assert!(texts
        .iter()
        .any(|t| t.contains("available -161 (none reserved): a backorder")));
}

#[test]
fn a_draft_po_is_on_po_and_an_approved_one_is_open_po() {
    let p = Arc::new(product("P", 150.0, 500.0, 15.5, 100.0, 7.0, None));
    let rules = RuleSet::embedded();
    let mut planner = rules.engine();
    let mut ctx = PlanContext::default();
    ctx.unapproved_po_refs
        .insert("P".into(), vec!["PO-000007 (draft, 600)".into()]);
    let plan = plan_product(&p, &ctx, &mut planner);
    assert!(plan.has(ExceptionCode::OnPo) && !plan.has(ExceptionCode::OpenPo));
    assert_eq!(plan.order_qty, 600.0, "a draft is not on order yet");
    ctx.unapproved_po_refs.clear();
    ctx.own_open_po_qty.insert("P".into(), 600.0);
    ctx.open_po_refs
        .insert("P".into(), vec!["PO-000007 (approved, 600)".into()]);
    let plan = plan_product(&p, &ctx, &mut planner);
    assert!(plan.has(ExceptionCode::OpenPo) && !plan.has(ExceptionCode::OnPo));
    assert_eq!(plan.order_qty, 0.0);
    let open = &plan
        .exception_details
        .iter()
        .find(|e| e.code == ExceptionCode::OpenPo)
        .unwrap()
        .message;
    assert_eq!(
        open,
        "open buyerdesk POs cover 600 units (counted as on order): PO-000007 (approved, 600)"
    );
}

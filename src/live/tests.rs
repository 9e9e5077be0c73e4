use super::*;
use crate::plan::fixtures;

#[test]
fn texts_rank_in_order_with_ties_equal_and_none_first() {
    let texts = [Some("b"), None, Some("a"), Some("b"), Some("c"), None];
    assert_eq!(ranks(texts.into_iter()), vec![2, 0, 1, 2, 3, 0]);
    assert!(ranks(std::iter::empty()).is_empty());
}

#[test]
fn names_are_merged_from_the_new_plans_and_the_last_snapshot() {
    let old = plan::join(fixtures::reference_rows());
    let plans = plan::plan_all(&old, &PlanContext::default(), &RuleSet::embedded());
    let old_names: Vec<PlanNames> = plans.iter().map(names_of).collect();
    // PROD-002 planned again with another name: ranked again.
    let mut renamed = plans[1].clone();
    renamed.product_name = Some("Another".into());
    let (names, moved) = merge_names(
        &old,
        old_names.clone(),
        &old,
        &[1],
        std::slice::from_ref(&renamed),
    )
    .unwrap();
    assert!(moved, "a name changed");
    assert_eq!(names[1].0.as_deref(), Some("Another"));
    assert_eq!(names[0], old_names[0]);
    // Planned again with the same names: the ranks stay.
    let (names, moved) = merge_names(
        &old,
        old_names.clone(),
        &old,
        &[1],
        std::slice::from_ref(&plans[1]),
    )
    .unwrap();
    assert!(!moved);
    assert_eq!(names, old_names);
    // A product gone: ranked again.
    let fewer: Vec<_> = old[..2].to_vec();
    let (names, moved) = merge_names(&old, old_names.clone(), &fewer, &[], &[]).unwrap();
    assert!(moved);
    assert_eq!(names, old_names[..2].to_vec());
}

fn note(qty: f64) -> OverrideNote {
    OverrideNote {
        revision: None,
        used_by: None,
        order_qty: qty,
        reason: "PROMO".into(),
    }
}

#[test]
fn the_diff_names_new_changed_and_removed_products_and_changed_overrides() {
    let old = plan::join(fixtures::reference_rows());
    let mut rows = fixtures::reference_rows();
    // PROD-002's stock changes, PROD-003 goes, PROD-009 comes.
    rows.inventory[1].available_qty = crate::plan::Num::Value(1.0);
    rows.oms.retain(|r| &*r.product_id != "PROD-003");
    rows.inventory.retain(|r| &*r.product_id != "PROD-003");
    rows.suppliers.retain(|r| &*r.product_id != "PROD-003");
    fixtures::add_product(
        &mut rows,
        "PROD-009",
        "New",
        1.0,
        "stable",
        (1.0, 0.0, "WH"),
        ("S", 1.0, 1.0, 1.0),
        ("pieces", "pieces", 1.0),
    );
    let new = plan::join(rows);
    let none = HashMap::new();
    let diff = diff_inputs(&old, &new, &none, &none);
    let changed: Vec<&str> = diff
        .changed
        .iter()
        .map(|&i| new[i].product_id.as_ref())
        .collect();
    assert_eq!(changed, vec!["PROD-002", "PROD-009"]);
    assert_eq!(diff.removed, vec!["PROD-003".to_string()]);

    // Same inputs: nothing to do, unless an override changed.
    assert_eq!(diff_inputs(&new, &new, &none, &none), InputsDiff::default());
    let set: HashMap<String, OverrideNote> = [("PROD-001".to_string(), note(700.0))].into();
    let diff = diff_inputs(&new, &new, &none, &set);
    assert_eq!(diff.changed, vec![0], "PROD-001's override is new");
    let other: HashMap<String, OverrideNote> = [("PROD-001".to_string(), note(800.0))].into();
    assert_eq!(diff_inputs(&new, &new, &set, &other).changed, vec![0]);
    assert_eq!(diff_inputs(&new, &new, &set, &none).changed, vec![0]);
}

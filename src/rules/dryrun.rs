//! The dry run: candidate rules planned on every product beside the rules in
//! force, and the difference a rule author must see before applying them.
//! Pure: no I/O. Run-time failures of the candidate (an engine error, the
//! cycle limit, a refused result) are gathered per rule; they stop nothing.

use std::sync::Arc;

use serde::Serialize;

use crate::plan::numbers::{round_money, round_qty, ser_money};
use crate::plan::{
    plan_all, ExceptionCode, PlanContext, ProductInputs, ProductPlan, Rationale, RuleFailure,
    RuleFailureKind, RuleSet,
};

/// How many products a failing rule names (its count has them all).
pub const FIRST_PRODUCTS: usize = 3;

/// What the candidate rules would change.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    pub summary: Summary,
    /// The candidate's run-time failures, one entry per rule and kind, in
    /// the order the products first showed them.
    pub failures: Vec<FailingRule>,
    /// One entry per product whose figures change, in the products' order.
    pub changes: Vec<ProductChange>,
}

/// The dry run in numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Where the rules in force and the candidate came from.
    pub in_force: String,
    pub candidate: String,
    pub products: usize,
    /// Products with any figure changed.
    pub changed: usize,
    /// Products whose order_qty or purchase_qty changes.
    pub quantity_changed: usize,
    pub approval_changed: usize,
    /// Products whose exception codes change.
    pub exceptions_changed: usize,
    pub amount_changed: usize,
    /// Total of the suggested orders, each rounded to cents.
    #[serde(serialize_with = "ser_money")]
    pub amount_before: f64,
    #[serde(serialize_with = "ser_money")]
    pub amount_after: f64,
    /// Products with an order suggested.
    pub orders_before: usize,
    pub orders_after: usize,
    /// Products whose order requires approval.
    pub approvals_before: usize,
    pub approvals_after: usize,
    /// Products on which the candidate rules failed (RULE_ERROR).
    pub failed_products: usize,
}

/// The figures of one product's plan that the dry run compares, rounded
/// as they are shown (quantities to 6 decimals, money to cents): float
/// noise is no change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub order_qty: f64,
    pub purchase_qty: f64,
    pub amount: f64,
    pub requires_approval: bool,
    pub exceptions: Vec<ExceptionCode>,
}

impl Figures {
    fn of(plan: &ProductPlan) -> Figures {
        Figures {
            order_qty: round_qty(plan.order_qty),
            purchase_qty: round_qty(plan.purchase_qty),
            amount: round_money(plan.amount),
            requires_approval: plan.requires_approval,
            exceptions: plan.exceptions.to_vec(),
        }
    }

    /// The figures that differ.
    fn changed(&self, new: &Figures) -> Vec<Figure> {
        let mut out = Vec::new();
        if self.order_qty != new.order_qty {
            out.push(Figure::OrderQty);
        }
        if self.purchase_qty != new.purchase_qty {
            out.push(Figure::PurchaseQty);
        }
        if self.amount != new.amount {
            out.push(Figure::Amount);
        }
        if self.requires_approval != new.requires_approval {
            out.push(Figure::RequiresApproval);
        }
        if self.exceptions != new.exceptions {
            out.push(Figure::Exceptions);
        }
        out
    }
}

/// A figure the dry run compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    OrderQty,
    PurchaseQty,
    Amount,
    RequiresApproval,
    Exceptions,
}

/// One product whose figures change: old (rules in force) and new
/// (candidate), with the candidate's rationale.
#[derive(Debug, Clone, Serialize)]
pub struct ProductChange {
    pub product_id: String,
    pub product_name: Option<String>,
    pub stock_uom: Option<String>,
    pub purchase_uom: Option<String>,
    /// Which figures differ, in the order of `Figures`.
    pub changed: Vec<Figure>,
    pub before: Figures,
    pub after: Figures,
    /// The candidate's failures on this product.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_failures: Vec<RuleFailure>,
    /// The candidate's rationale (its steps, when serialised).
    pub rationale: Rationale,
}

impl ProductChange {
    pub fn has(&self, figure: Figure) -> bool {
        self.changed.contains(&figure)
    }

    /// Exception codes the candidate adds, and the ones it takes away.
    pub fn exceptions_added_removed(&self) -> (Vec<ExceptionCode>, Vec<ExceptionCode>) {
        let added = (self.after.exceptions.iter())
            .filter(|c| !self.before.exceptions.contains(c))
            .copied()
            .collect();
        let removed = (self.before.exceptions.iter())
            .filter(|c| !self.after.exceptions.contains(c))
            .copied()
            .collect();
        (added, removed)
    }
}

/// One candidate rule failing at run time, on how many products.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailingRule {
    /// `None` when the failure cannot be charged to one rule.
    pub rule: Option<Arc<str>>,
    pub kind: RuleFailureKind,
    /// The failure on the first product.
    pub message: String,
    /// The first products it failed on (at most `FIRST_PRODUCTS`).
    pub products: Vec<String>,
    /// Every product it failed on.
    pub count: usize,
}

impl FailingRule {
    /// The message as `RuleFailure::describe` gives it, the rule first.
    pub fn describe(&self) -> String {
        RuleFailure {
            rule: self.rule.clone(),
            kind: self.kind,
            message: self.message.clone(),
        }
        .describe()
    }
}

/// Plans every product with the rules in force and with the candidate
/// (each on every core, `plan_all`) and compares them.
pub fn dry_run(
    products: &[Arc<ProductInputs>],
    ctx: &PlanContext,
    in_force: &RuleSet,
    candidate: &RuleSet,
) -> DryRun {
    let before = plan_all(products, ctx, in_force);
    let after = plan_all(products, ctx, candidate);
    compare(&in_force.origin, &before, &candidate.origin, after)
}

/// Compares two plans of the same products, in the same order (as
/// `plan_all` returns them). `before` is only read, so a caller that holds
/// the plan of the rules in force (the buyer's screen) plans only the
/// candidate. Panics if the products differ: that is a caller's mistake,
/// never the data's.
pub fn compare(
    in_force: &str,
    before: &[ProductPlan],
    candidate: &str,
    after: Vec<ProductPlan>,
) -> DryRun {
    assert_eq!(
        before.len(),
        after.len(),
        "dry run: both plans must hold the same products"
    );
    let mut summary = Summary {
        in_force: in_force.to_string(),
        candidate: candidate.to_string(),
        products: before.len(),
        changed: 0,
        quantity_changed: 0,
        approval_changed: 0,
        exceptions_changed: 0,
        amount_changed: 0,
        amount_before: 0.0,
        amount_after: 0.0,
        orders_before: 0,
        orders_after: 0,
        approvals_before: 0,
        approvals_after: 0,
        failed_products: 0,
    };
    let mut failures: Vec<FailingRule> = Vec::new();
    let mut changes = Vec::new();
    for (old, new) in before.iter().zip(after) {
        assert_eq!(
            old.product_id, new.product_id,
            "dry run: both plans must list the products in the same order"
        );
        let (old_figures, new_figures) = (Figures::of(old), Figures::of(&new));
        summary.amount_before += old_figures.amount;
        summary.amount_after += new_figures.amount;
        summary.orders_before += usize::from(old.needs_order());
        summary.orders_after += usize::from(new.needs_order());
        summary.approvals_before += usize::from(old.requires_approval);
        summary.approvals_after += usize::from(new.requires_approval);
        if !new.rule_failures.is_empty() {
            summary.failed_products += 1;
        }
        for (i, f) in new.rule_failures.iter().enumerate() {
            // A rule refusing two results of one product counts it once.
            let seen = new.rule_failures[..i]
                .iter()
                .any(|e| e.rule == f.rule && e.kind == f.kind);
            if !seen {
                gather(&mut failures, f, &new.product_id);
            }
        }
        let changed = old_figures.changed(&new_figures);
        if changed.is_empty() {
            continue;
        }
        summary.changed += 1;
        let has = |f: Figure| usize::from(changed.contains(&f));
        summary.quantity_changed += has(Figure::OrderQty).max(has(Figure::PurchaseQty));
        summary.approval_changed += has(Figure::RequiresApproval);
        summary.exceptions_changed += has(Figure::Exceptions);
        summary.amount_changed += has(Figure::Amount);
        changes.push(ProductChange {
            product_id: new.product_id.to_string(),
            product_name: new.product_name.as_deref().map(str::to_string),
            stock_uom: new.stock_uom.as_deref().map(str::to_string),
            purchase_uom: new.purchase_uom.as_deref().map(str::to_string),
            changed,
            before: old_figures,
            after: new_figures,
            rule_failures: new.rule_failures.into_vec(),
            rationale: new.rationale,
        });
    }
    summary.amount_before = round_money(summary.amount_before);
    summary.amount_after = round_money(summary.amount_after);
    DryRun {
        summary,
        failures,
        changes,
    }
}

fn gather(failures: &mut Vec<FailingRule>, f: &RuleFailure, product_id: &str) {
    match failures
        .iter_mut()
        .find(|g| g.rule == f.rule && g.kind == f.kind)
    {
        Some(g) => {
            g.count += 1;
            if g.products.len() < FIRST_PRODUCTS {
                g.products.push(product_id.to_string());
            }
        }
        None => failures.push(FailingRule {
            rule: f.rule.clone(),
            kind: f.kind,
            message: f.message.clone(),
            products: vec![product_id.to_string()],
            count: 1,
        }),
    }
}

#[cfg(test)]
mod tests;

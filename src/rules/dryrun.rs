//! The dry run: candidate rules planned on every product beside the rules in
//! force, and the difference a rule author must see before applying them.
//! Pure: no I/O. Run-time failures of the candidate (an engine error, the
//! cycle limit, a refused result) are gathered per rule; they stop nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::coverage::{Coverage, CoverageDiff};
use crate::plan::numbers::purchase_text;

use crate::plan::numbers::{fmt_money, fmt_qty, round_money, round_qty, ser_money};
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
    /// Per rule, on how many products it fired and changed something,
    /// with the rules in force and with the candidate (`rules::coverage`;
    /// filled by `dry_run`, which holds both rule sets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageDiff>,
    /// With `dry_run_detailed` (`rules test --product`): each product,
    /// changed or not, with the rules fired and the figures before and
    /// after.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductDetail>,
    /// The POs drafting every product that needs an order would make,
    /// before and after (for `po_approvals`).
    #[serde(skip)]
    pub po_groups: (Vec<PoGroup>, Vec<PoGroup>),
}

/// The lines one PO of a supplier and currency would have: what approval
/// needs to know of it.
#[derive(Debug, Clone, PartialEq)]
pub struct PoGroup {
    pub currency: Option<String>,
    pub amount_cents: i64,
    pub lines: usize,
    /// Lines the rules flag (`requires_approval`).
    pub flagged: usize,
}

/// How many POs (one per supplier and currency, from every product that
/// needs an order) and lines would need approval, with one set of rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PoApprovalCounts {
    pub pos: usize,
    /// POs needing approval: above the threshold of their currency or with
    /// a flagged line.
    pub pending: usize,
    /// POs above the threshold of their currency (`[orders]
    /// approval_threshold`), whatever the rules say.
    pub above_threshold: usize,
    /// Lines the rules flag.
    pub flagged_lines: usize,
}

/// `PoApprovalCounts` with the rules in force and with the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoApprovals {
    pub before: PoApprovalCounts,
    pub after: PoApprovalCounts,
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
    /// The suggested orders' amounts per currency (never added across
    /// currencies), by currency code.
    pub totals: Vec<CurrencyTotal>,
    /// Products with an order suggested.
    pub orders_before: usize,
    pub orders_after: usize,
    /// Products whose order requires approval.
    pub approvals_before: usize,
    pub approvals_after: usize,
    /// Products on which the candidate rules failed (RULE_ERROR).
    pub failed_products: usize,
    /// POs and lines needing approval, with `[orders] approval_threshold`
    /// (filled by `DryRun::po_approvals`, which knows the thresholds).
    pub po_approvals: Option<PoApprovals>,
}

/// The suggested orders of one currency, before and after: the sum of
/// their amounts, each rounded to cents, and how many there are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrencyTotal {
    /// `None`: the supplier rows name no currency (the configured
    /// `[orders] currency` applies: `DryRun::assume_currency`).
    pub currency: Option<String>,
    #[serde(serialize_with = "ser_money")]
    pub amount_before: f64,
    #[serde(serialize_with = "ser_money")]
    pub amount_after: f64,
    pub orders_before: usize,
    pub orders_after: usize,
}

impl CurrencyTotal {
    /// The currency's code, or "(no currency)".
    pub fn label(&self) -> &str {
        self.currency.as_deref().unwrap_or(NO_CURRENCY)
    }
}

/// How a product or total whose supplier rows name no currency is labelled.
pub const NO_CURRENCY: &str = "(no currency)";

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
    /// The currency of its amounts (`None`: its supplier rows name none).
    pub currency: Option<String>,
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

impl DryRun {
    /// Products and totals whose supplier rows name no currency take
    /// `currency` (the configured `[orders] currency`, as drafting does).
    pub fn assume_currency(&mut self, currency: &str) {
        for c in &mut self.changes {
            c.currency.get_or_insert_with(|| currency.to_string());
        }
        for p in &mut self.products {
            p.currency.get_or_insert_with(|| currency.to_string());
        }
        let Some(at) = self
            .summary
            .totals
            .iter()
            .position(|t| t.currency.is_none())
        else {
            return;
        };
        let unnamed = self.summary.totals.remove(at);
        match (self.summary.totals.iter_mut()).find(|t| t.currency.as_deref() == Some(currency)) {
            Some(t) => {
                t.amount_before = round_money(t.amount_before + unnamed.amount_before);
                t.amount_after = round_money(t.amount_after + unnamed.amount_after);
                t.orders_before += unnamed.orders_before;
                t.orders_after += unnamed.orders_after;
            }
            None => self.summary.totals.push(CurrencyTotal {
                currency: Some(currency.to_string()),
                ..unnamed
            }),
        }
        self.summary
            .totals
            .sort_by(|a, b| a.currency.cmp(&b.currency));
    }

    /// Whether the amounts are in more than one currency (a list of them
    /// then shows the currency beside each amount).
    pub fn mixes_currencies(&self) -> bool {
        let mut seen: Vec<Option<&str>> = (self.summary.totals.iter())
            .map(|t| t.currency.as_deref())
            .chain(self.changes.iter().map(|c| c.currency.as_deref()))
            .collect();
        seen.sort();
        seen.dedup();
        seen.len() > 1
    }
}

impl ProductChange {
    /// The currency's code, or "(no currency)".
    pub fn currency_label(&self) -> &str {
        self.currency.as_deref().unwrap_or(NO_CURRENCY)
    }

    /// `+RULE_ERROR`, `-ORDER_LATE`: the codes the candidate adds, then
    /// the ones it takes away.
    pub fn exception_changes(&self) -> Vec<String> {
        let (added, removed) = self.exceptions_added_removed();
        (added.iter().map(|e| format!("+{e}")))
            .chain(removed.iter().map(|e| format!("-{e}")))
            .collect()
    }

    /// What changed, a part per figure: `order 600 -> 552`, `purchase 50
    /// boxes -> 46 boxes`, `amount 9,300.00 -> 8,556.00` (`... USD` with
    /// `mixed`, when the list holds more than one currency), `approval yes
    /// -> no`, `+RULE_ERROR`. Units come from the sources as they are:
    /// make the text printable before it reaches a terminal.
    pub fn change_parts(&self, mixed: bool) -> Vec<String> {
        let (old, new) = (&self.before, &self.after);
        let purchase = |qty: f64| purchase_text(qty, self.purchase_uom.as_deref());
        let mut parts = Vec::new();
        for figure in &self.changed {
            match figure {
                Figure::OrderQty => parts.push(format!(
                    "order {} -> {}",
                    fmt_qty(old.order_qty),
                    fmt_qty(new.order_qty)
                )),
                Figure::PurchaseQty => parts.push(format!(
                    "purchase {} -> {}",
                    purchase(old.purchase_qty),
                    purchase(new.purchase_qty)
                )),
                Figure::Amount => parts.push(format!(
                    "amount {} -> {}{}",
                    fmt_money(old.amount),
                    fmt_money(new.amount),
                    if mixed {
                        format!(" {}", self.currency_label())
                    } else {
                        String::new()
                    }
                )),
                Figure::RequiresApproval => parts.push(format!(
                    "approval {} -> {}",
                    yes_no(old.requires_approval),
                    yes_no(new.requires_approval)
                )),
                Figure::Exceptions => parts.extend(self.exception_changes()),
            }
        }
        parts
    }

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
    planned_and_compared(products, ctx, in_force, candidate, false)
}

/// Both rule sets planned on `products`, compared, with each rule's
/// coverage and, when `detailed`, every product's detail.
fn planned_and_compared(
    products: &[Arc<ProductInputs>],
    ctx: &PlanContext,
    in_force: &RuleSet,
    candidate: &RuleSet,
    detailed: bool,
) -> DryRun {
    let before = plan_all(products, ctx, in_force);
    let after = plan_all(products, ctx, candidate);
    let details = match detailed {
        true => (before.iter().zip(&after))
            .map(|(old, new)| ProductDetail::of(old, new))
            .collect(),
        false => Vec::new(),
    };
    let coverage = CoverageDiff {
        in_force: Coverage::count(in_force, &before),
        candidate: Coverage::count(candidate, &after),
    };
    let mut d = compare(&in_force.origin, &before, &candidate.origin, after);
    d.coverage = Some(coverage);
    d.products = details;
    d
}

/// One product as `rules test --product` shows it: the rules that fired
/// and the figures with the rules in force and with the candidate, each
/// with its rationale.
#[derive(Debug, Clone, Serialize)]
pub struct ProductDetail {
    pub product_id: String,
    pub product_name: Option<String>,
    pub stock_uom: Option<String>,
    pub purchase_uom: Option<String>,
    pub currency: Option<String>,
    pub rules_fired_before: Vec<String>,
    pub rules_fired_after: Vec<String>,
    pub before: Figures,
    pub after: Figures,
    /// Which figures differ.
    pub changed: Vec<Figure>,
    pub rationale_before: Rationale,
    pub rationale_after: Rationale,
}

impl ProductDetail {
    fn of(old: &ProductPlan, new: &ProductPlan) -> ProductDetail {
        let names = |p: &ProductPlan| p.rules_fired.iter().map(|r| r.to_string()).collect();
        let (before, after) = (Figures::of(old), Figures::of(new));
        ProductDetail {
            product_id: new.product_id.to_string(),
            product_name: new.product_name.as_deref().map(str::to_string),
            stock_uom: new.stock_uom.as_deref().map(str::to_string),
            purchase_uom: new.purchase_uom.as_deref().map(str::to_string),
            currency: (new.currency.as_deref().or(old.currency.as_deref())).map(str::to_string),
            rules_fired_before: names(old),
            rules_fired_after: names(new),
            changed: before.changed(&after),
            before,
            after,
            rationale_before: old.rationale.clone(),
            rationale_after: new.rationale.clone(),
        }
    }

    /// `order 600, purchase 50 box, amount 9,300.00, approval no,
    /// exceptions ORDER_LATE`, of the figures before (`after` false) or
    /// after. Units come from the sources: make it printable.
    pub fn figures_text(&self, after: bool) -> String {
        let f = if after { &self.after } else { &self.before };
        let exceptions: Vec<&str> = f.exceptions.iter().map(|e| e.as_str()).collect();
        format!(
            "order {}, purchase {}, amount {}{}, approval {}, exceptions {}",
            fmt_qty(f.order_qty),
            purchase_text(f.purchase_qty, self.purchase_uom.as_deref()),
            fmt_money(f.amount),
            self.currency
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default(),
            yes_no(f.requires_approval),
            if exceptions.is_empty() {
                "none".to_string()
            } else {
                exceptions.join(" ")
            }
        )
    }
}

/// `dry_run` with every product's detail (`DryRun::products`): for a few
/// products (`rules test --product`), as each keeps both rationales.
pub fn dry_run_detailed(
    products: &[Arc<ProductInputs>],
    ctx: &PlanContext,
    in_force: &RuleSet,
    candidate: &RuleSet,
) -> DryRun {
    planned_and_compared(products, ctx, in_force, candidate, true)
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
        totals: Vec::new(),
        orders_before: 0,
        orders_after: 0,
        approvals_before: 0,
        approvals_after: 0,
        failed_products: 0,
        po_approvals: None,
    };
    let mut groups: (PoGroups, PoGroups) = Default::default();
    let mut failures: Vec<FailingRule> = Vec::new();
    let mut changes = Vec::new();
    // Per currency, in cents: (before, after, orders before, orders after).
    let mut totals: BTreeMap<Option<Arc<str>>, (i64, i64, usize, usize)> = BTreeMap::new();
    for (old, new) in before.iter().zip(after) {
        assert_eq!(
            old.product_id, new.product_id,
            "dry run: both plans must list the products in the same order"
        );
        let (old_figures, new_figures) = (Figures::of(old), Figures::of(&new));
        if old_figures.amount != 0.0 || old.needs_order() {
            let t = totals.entry(old.currency.clone()).or_default();
            t.0 += cents(old_figures.amount);
            t.2 += usize::from(old.needs_order());
        }
        if new_figures.amount != 0.0 || new.needs_order() {
            let t = totals.entry(new.currency.clone()).or_default();
            t.1 += cents(new_figures.amount);
            t.3 += usize::from(new.needs_order());
        }
        group(&mut groups.0, old);
        group(&mut groups.1, &new);
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
            currency: (new.currency.as_deref().or(old.currency.as_deref())).map(str::to_string),
            changed,
            before: old_figures,
            after: new_figures,
            rule_failures: new.rule_failures.into_vec(),
            rationale: new.rationale,
        });
    }
    // BTreeMap: None first, then by code; the unnamed currency goes last.
    summary.totals = totals
        .into_iter()
        .map(
            |(currency, (before, after, orders_before, orders_after))| CurrencyTotal {
                currency: currency.as_deref().map(str::to_string),
                amount_before: before as f64 / 100.0,
                amount_after: after as f64 / 100.0,
                orders_before,
                orders_after,
            },
        )
        .collect();
    let unnamed_first = summary.totals.first().is_some_and(|t| t.currency.is_none());
    summary.totals.rotate_left(usize::from(unnamed_first));
    DryRun {
        summary,
        failures,
        changes,
        coverage: None,
        products: Vec::new(),
        po_groups: (
            groups.0.into_values().collect(),
            groups.1.into_values().collect(),
        ),
    }
}

/// (supplier, currency) -> the PO drafting would make of them.
type PoGroups = BTreeMap<(Arc<str>, Option<Arc<str>>), PoGroup>;

/// Puts a product that needs an order on its supplier's PO, as drafting
/// groups them (by supplier and currency).
fn group(groups: &mut PoGroups, plan: &ProductPlan) {
    if !plan.needs_order() {
        return;
    }
    let Some(supplier) = plan.supplier_id.clone().or(plan.supplier_name.clone()) else {
        return;
    };
    let g = groups
        .entry((supplier, plan.currency.clone()))
        .or_insert_with(|| PoGroup {
            currency: plan.currency.as_deref().map(str::to_string),
            amount_cents: 0,
            lines: 0,
            flagged: 0,
        });
    g.amount_cents += cents(round_money(plan.amount));
    g.lines += 1;
    g.flagged += usize::from(plan.requires_approval);
}

impl DryRun {
    /// Counts the POs and lines that would need approval with the rules in
    /// force and with the candidate: a PO needs it when a line is flagged
    /// or its total is above `threshold_of` its currency (`[orders]
    /// approval_threshold`; `default_currency` for suppliers naming none).
    /// So a rule author who raises the rules' threshold sees the POs that
    /// still wait because of the configured one.
    pub fn po_approvals(&mut self, default_currency: &str, threshold_of: impl Fn(&str) -> f64) {
        let count = |groups: &[PoGroup]| {
            let mut c = PoApprovalCounts::default();
            for g in groups {
                let currency = g.currency.as_deref().unwrap_or(default_currency);
                let limit = cents(round_money(threshold_of(currency)));
                let above = g.amount_cents > limit;
                c.pos += 1;
                c.above_threshold += usize::from(above);
                c.pending += usize::from(above || g.flagged > 0);
                c.flagged_lines += g.flagged;
            }
            c
        };
        self.summary.po_approvals = Some(PoApprovals {
            before: count(&self.po_groups.0),
            after: count(&self.po_groups.1),
        });
    }
}

/// An amount already rounded to cents, in cents: sums of cents carry no
/// float error.
fn cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
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

//! The purchasing plan: pure domain, no I/O. Source rows in, one
//! `ProductPlan` per product out, each with its rationale and exceptions.

pub mod arithmetic;
pub mod demand;
pub mod engine;
pub mod facts;
pub mod fixtures;
pub mod inputs;
pub mod numbers;
pub mod packs;
mod prepare;
pub mod projection;
pub mod rationale;
pub mod steps;
mod stock;

use std::collections::HashMap;
use std::sync::Arc;

use rust_rule_engine::Value;
use serde::Serialize;

pub use engine::{Planner, RuleRun, RuleSet, RulesError, DEFAULT_RULES, EMBEDDED_ORIGIN};
pub use inputs::{join, ProductInputs, SourceRows};
pub use numbers::Num;
pub use rationale::{
    ActionFormula, Change, Exception, ExceptionCode, FactValue, Rationale, Step, StepKind,
};

pub use numbers::OptNum;
use numbers::{fmt_qty, fmt_units, ser_money, ser_opt_money, ser_opt_qty, ser_qty};

/// Cover added by rounding beyond which OVERSHOOT is raised (DOMAIN.md 3).
pub const OVERSHOOT_DAYS: f64 = 30.0;

/// The plan for one product: its inputs, what the rules decided, why, and
/// what a buyer must look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductPlan {
    // The texts are shared with the product's source rows (`Arc`s).
    pub product_id: Arc<str>,
    pub product_name: Option<Arc<str>>,
    pub supplier_id: Option<Arc<str>>,
    pub supplier_name: Option<Arc<str>>,
    pub trend: Option<Arc<str>>,
    #[serde(serialize_with = "ser_opt_qty")]
    pub avg_daily_demand: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub demand_sigma: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub available_qty: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub reserved_qty: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub on_order_qty: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub safety_stock: OptNum,
    /// Demand per day the rules used (`demand_rate`: the forecast, or the
    /// OMS average); unknown when the rules set none.
    #[serde(serialize_with = "ser_opt_qty")]
    pub demand_rate: OptNum,
    /// Safety stock the rules' target used (`safety_stock_used`).
    #[serde(serialize_with = "ser_opt_qty")]
    pub safety_stock_used: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub inventory_position: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub days_of_cover: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub lead_time_days: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub review_period_days: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub demand_during_lead_time: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub target_qty: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub net_requirement: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub moq: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub order_multiple: OptNum,
    #[serde(serialize_with = "ser_opt_qty")]
    pub rounding_multiple: OptNum,
    /// Suggested order, stock units (0: no order).
    #[serde(serialize_with = "ser_qty")]
    pub order_qty: f64,
    /// The buyer's quantity (stock units) when the suggestion is
    /// overridden; `order_qty` stays the suggestion.
    #[serde(serialize_with = "ser_opt_qty")]
    pub override_qty: OptNum,
    /// The revision of that override (see `OverrideNote::revision`).
    pub override_revision: Option<i64>,
    /// The buyer's override a sent PO already ordered, in words ("buyer's
    /// 708 ordered on PO-000001 (sent ...)"): it no longer applies.
    pub override_used: Option<Arc<str>>,
    /// Suggested order, purchase units.
    #[serde(serialize_with = "ser_qty")]
    pub purchase_qty: f64,
    pub purchase_uom: Option<Arc<str>>,
    pub stock_uom: Option<Arc<str>>,
    #[serde(serialize_with = "ser_opt_qty")]
    pub conversion_factor: OptNum,
    #[serde(serialize_with = "ser_opt_money")]
    pub unit_price: OptNum,
    pub currency: Option<Arc<str>>,
    #[serde(serialize_with = "ser_money")]
    pub amount: f64,
    pub requires_approval: bool,
    /// Exception codes, sorted and unique.
    pub exceptions: Box<[ExceptionCode]>,
    /// Each exception with its explanation.
    pub exception_details: Arc<[Exception]>,
    /// Names of the rules that fired, in order.
    pub rules_fired: Box<[Arc<str>]>,
    /// What went wrong in the rules (behind a `RULE_ERROR`), each charged
    /// to a rule where buyerdesk can tell which.
    #[serde(skip_serializing_if = "<[RuleFailure]>::is_empty")]
    pub rule_failures: Box<[RuleFailure]>,
    /// The forecast the demand came from, and the service level the rules
    /// chose (`null` when the rules could not run).
    pub forecast: Option<Box<demand::ForecastSummary>>,
    pub rationale: Rationale,
}

/// One way the rules failed on a product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFailure {
    /// The rule at fault: the one whose action failed, the one that kept
    /// firing, or the last one that wrote a refused value. `None` when no
    /// rule can be named (a value no rule wrote, a failure outside actions).
    pub rule: Option<Arc<str>>,
    pub kind: RuleFailureKind,
    /// What happened, without the rule's name.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleFailureKind {
    /// The engine returned an error (an action on a missing field, a
    /// division by zero, a failed buyerdesk action).
    EngineError,
    /// The rules ran up to the engine's cycle limit.
    CycleLimit,
    /// A result the checks after the rules refused (not a number, negative,
    /// not finite, not true/false).
    BadResult,
    /// Results that disagree with each other (`purchase_qty x pack !=
    /// order_qty`, `order_qty x unit_price != amount`).
    Disagree,
}

impl RuleFailureKind {
    /// The kind in a few words, for reports.
    pub fn label(self) -> &'static str {
        match self {
            RuleFailureKind::EngineError => "engine error",
            RuleFailureKind::CycleLimit => "cycle limit",
            RuleFailureKind::BadResult => "refused result",
            RuleFailureKind::Disagree => "figures disagree",
        }
    }
}

impl RuleFailure {
    /// The failure in words, the rule first.
    pub fn describe(&self) -> String {
        match &self.rule {
            Some(rule) => format!("rule \"{rule}\": {}", self.message),
            None => self.message.clone(),
        }
    }
}

impl ProductPlan {
    fn empty(product_id: &Arc<str>) -> ProductPlan {
        ProductPlan {
            product_id: Arc::clone(product_id),
            product_name: None,
            supplier_id: None,
            supplier_name: None,
            trend: None,
            avg_daily_demand: OptNum::NONE,
            demand_sigma: OptNum::NONE,
            available_qty: OptNum::NONE,
            reserved_qty: OptNum::NONE,
            on_order_qty: OptNum::NONE,
            safety_stock: OptNum::NONE,
            demand_rate: OptNum::NONE,
            safety_stock_used: OptNum::NONE,
            inventory_position: OptNum::NONE,
            days_of_cover: OptNum::NONE,
            lead_time_days: OptNum::NONE,
            review_period_days: OptNum::NONE,
            demand_during_lead_time: OptNum::NONE,
            target_qty: OptNum::NONE,
            net_requirement: OptNum::NONE,
            moq: OptNum::NONE,
            order_multiple: OptNum::NONE,
            rounding_multiple: OptNum::NONE,
            order_qty: 0.0,
            override_qty: OptNum::NONE,
            override_revision: None,
            override_used: None,
            purchase_qty: 0.0,
            purchase_uom: None,
            stock_uom: None,
            conversion_factor: OptNum::NONE,
            unit_price: OptNum::NONE,
            currency: None,
            amount: 0.0,
            requires_approval: false,
            exceptions: Box::default(),
            exception_details: Arc::from(Vec::new()),
            rules_fired: Box::default(),
            rule_failures: Box::default(),
            forecast: None,
            rationale: Rationale::default(),
        }
    }

    /// Sets the exceptions: codes sorted and unique, one copy of the
    /// details shared with the rationale's exception steps.
    pub(crate) fn set_exceptions(&mut self, exceptions: Vec<Exception>) {
        let mut codes: Vec<ExceptionCode> = exceptions.iter().map(|e| e.code).collect();
        codes.sort();
        codes.dedup();
        self.exceptions = codes.into_boxed_slice();
        let details: Arc<[Exception]> = exceptions.into();
        self.rationale.set_exceptions(Arc::clone(&details));
        self.exception_details = details;
    }

    /// Puts a buyer's override on the plan (or takes it off with `None`),
    /// as planning with that override would have.
    pub fn apply_override(&mut self, note: Option<&OverrideNote>) {
        let mut exceptions: Vec<Exception> = self
            .exception_details
            .iter()
            .filter(|e| e.code != ExceptionCode::Overridden)
            .cloned()
            .collect();
        let (applies, used) = match note {
            Some(o) if o.used_by.is_some() => (None, Some(o)),
            n => (n, None),
        };
        self.override_qty = applies.map(|o| o.order_qty).into();
        self.override_revision = applies.and_then(|o| o.revision);
        self.override_used = used.map(used_text);
        if let Some(o) = applies {
            exceptions.push(override_exception(self.order_qty, o));
        }
        self.set_exceptions(exceptions);
    }

    pub fn has(&self, code: ExceptionCode) -> bool {
        self.exceptions.contains(&code)
    }

    /// What an order of this product takes, in stock units, purchase
    /// units and money: the buyer's quantity when overridden, else the
    /// suggestion.
    pub fn ordered(&self) -> (f64, f64, f64) {
        match self.override_qty.get() {
            None => (self.order_qty, self.purchase_qty, self.amount),
            Some(q) => {
                let pack = self.conversion_factor.filter(|f| *f > 0.0).unwrap_or(1.0);
                (
                    q,
                    numbers::round_qty(q / pack),
                    self.unit_price
                        .map(|price| numbers::round_money(q * price))
                        .unwrap_or(0.0),
                )
            }
        }
    }

    /// The buyer should order something.
    pub fn needs_order(&self) -> bool {
        self.order_qty > 0.0
    }
}

/// A buyer's override as the plan shows it (the purchasing store owns the
/// full record).
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideNote {
    /// The buyer's quantity, stock units.
    pub order_qty: f64,
    /// The override's revision in the purchasing database (what a PO line
    /// records when it orders it, and what a save is checked against).
    pub revision: Option<i64>,
    /// The sent PO that ordered this override, in words ("PO-000001 (sent
    /// 2026-12-05T12:00:00Z)"): it no longer applies (used once).
    pub used_by: Option<String>,
    /// Reason code, note, who and when, in words.
    pub reason: String,
}

/// What the plan needs besides the source rows.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    /// Buyers' overrides by product id (from the purchasing database).
    pub overrides: HashMap<String, OverrideNote>,
    /// Open quantity of buyerdesk's own POs per product (approved or sent,
    /// not closed), in stock units.
    pub own_open_po_qty: HashMap<String, f64>,
    /// The approved or sent buyerdesk POs each product is on, in words
    /// ("PO-000123 (sent, 600)"): OPEN_PO.
    pub open_po_refs: HashMap<String, Vec<String>>,
    /// The buyerdesk POs not yet approved (draft, pending approval) each
    /// product is on, in words ("PO-000124 (draft, 600)"): ON_PO.
    pub unapproved_po_refs: HashMap<String, Vec<String>>,
    /// Sources whose last refresh failed: the plan uses their last data and
    /// says so (SOURCE_STALE).
    pub stale_sources: Vec<StaleSource>,
    /// Stored forecasts by product id (from the purchasing database,
    /// DOMAIN.md section 5). A product with history and no forecast here
    /// is planned from the OMS average, and says so.
    pub forecasts: HashMap<String, Arc<crate::forecast::StoredForecast>>,
    /// The last day of the whole daily-history table (`YYYY-MM-DD`): with a
    /// product's history statistics it gives the fingerprint its stored
    /// forecast must match to be current.
    pub history_last_day: Option<String>,
}

/// What follows the source's name in a SOURCE_STALE exception's message.
pub const STALE_MESSAGE: &str = " did not answer the last refresh";

/// The sources a plan's SOURCE_STALE exceptions name (oms, inventory...).
pub fn stale_sources_of(plan: &ProductPlan) -> Vec<&str> {
    plan.exception_details
        .iter()
        .filter(|e| e.code == ExceptionCode::SourceStale)
        .filter_map(|e| {
            e.message
                .split_once(STALE_MESSAGE)
                .map(|(source, _)| source)
        })
        .collect()
}

/// A source that did not answer the last refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleSource {
    /// The source's name (oms, inventory, supplier, uom).
    pub source: String,
    /// When its data was last read, in words ("10:31:50").
    pub as_of: String,
    /// Why the refresh failed (URL redacted).
    pub error: String,
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v {
        Some(Value::Number(n)) => Some(*n),
        Some(Value::Integer(i)) => Some(*i as f64),
        _ => None,
    }
}

/// Plans one product with an engine of this thread.
pub fn plan_product(
    inputs: &Arc<ProductInputs>,
    ctx: &PlanContext,
    planner: &mut Planner,
) -> ProductPlan {
    let open_po = ctx
        .own_open_po_qty
        .get(&*inputs.product_id)
        .copied()
        .unwrap_or(0.0);
    let lookup = demand::ForecastLookup::of(inputs, ctx);
    let prepare::Prepared {
        mut plan,
        facts,
        mut exceptions,
        forecast,
        ..
    } = prepare::prepare(inputs, open_po, &lookup, false);
    plan.rationale = Rationale::from_inputs(Arc::clone(inputs), open_po, lookup);
    match facts {
        None => {
            let text = stock::cannot_order(&plan, &exceptions);
            plan.rationale.push(Step::simple(StepKind::Check, text));
        }
        Some(facts) => {
            let run = planner.run(&facts);
            if let Some(resolved) = &forecast {
                plan.forecast = Some(Box::new(resolved.summary_after(&facts, &run.result)));
            }
            let table = std::sync::Arc::clone(planner.table());
            apply_rules(&mut plan, facts, table, run, &mut exceptions);
            let needed = plan.net_requirement.unwrap_or(0.0);
            if needed > 0.0 {
                for e in exceptions
                    .iter_mut()
                    .filter(|e| e.code == ExceptionCode::SupplierInactive)
                {
                    e.message = format!(
                        "{}; {} needed",
                        e.message,
                        fmt_units(needed, plan.stock_uom.as_deref())
                    );
                }
            }
        }
    }
    stock::set_days_of_cover(&mut plan);
    stock::raise_stock_exceptions(&plan, &mut exceptions);
    match ctx.overrides.get(&*inputs.product_id) {
        // Used once: a sent PO ordered it; the suggestion is fresh.
        Some(o) if o.used_by.is_some() => plan.override_used = Some(used_text(o)),
        Some(o) => {
            plan.override_qty = Some(o.order_qty).into();
            plan.override_revision = o.revision;
            exceptions.push(override_exception(plan.order_qty, o));
        }
        None => {}
    }
    for stale in &ctx.stale_sources {
        exceptions.push(Exception {
            code: ExceptionCode::SourceStale,
            message: format!(
                "{}{STALE_MESSAGE} ({}); its figures are from {}",
                stale.source, stale.error, stale.as_of
            ),
        });
    }
    let refs = ctx.open_po_refs.get(&*inputs.product_id);
    if open_po > 0.0 || refs.is_some() {
        let on = refs.map(|r| r.join(", ")).unwrap_or_default();
        exceptions.push(Exception {
            code: ExceptionCode::OpenPo,
            message: format!(
                "open buyerdesk POs cover {} (counted as on order): {on}",
                fmt_units(open_po, plan.stock_uom.as_deref())
            ),
        });
    }
    if let Some(refs) = ctx.unapproved_po_refs.get(&*inputs.product_id) {
        exceptions.push(Exception {
            code: ExceptionCode::OnPo,
            message: format!(
                "on {}: not counted as on order until approved",
                refs.join(", ")
            ),
        });
    }
    plan.set_exceptions(exceptions);
    plan.rationale.shrink();
    plan
}

fn apply_rules(
    plan: &mut ProductPlan,
    facts: facts::ProductFacts,
    table: Arc<engine::RuleTable>,
    run: RuleRun,
    exceptions: &mut Vec<Exception>,
) {
    plan.rules_fired = (run.trace.fired.iter())
        .filter_map(|&id| table.rule_name(id).cloned())
        .collect();
    let unit_price = facts.unit_price;
    let RuleRun {
        trace,
        result,
        error,
        failed_rule,
        cycles,
        over_budget,
    } = run;
    let get = |name: &str| number(result.get(name));
    // Outputs the rules may leave alone (the reference policy sets none).
    let set = |name: &str| get(name).filter(|v| *v != 0.0 || wrote(&table, &trace, name));
    plan.demand_rate = set("demand_rate").into();
    plan.safety_stock_used = set("safety_stock_used").into();
    plan.inventory_position = get("inventory_position").into();
    plan.demand_during_lead_time = get("demand_during_lead_time").into();
    plan.target_qty = get("target_qty").into();
    plan.net_requirement = get("net_requirement").into();
    plan.rounding_multiple = get("rounding_multiple").into();

    let mut failures = Vec::new();
    if over_budget.is_some() {
        failures.extend(looping_failures(
            &table,
            &trace,
            &format!(
                "the rules stopped after {} firings of rules without no-loop, the budget for one product",
                engine::FIRING_BUDGET
            ),
        ));
    } else if let Some(e) = &error {
        let rule = failed_rule.and_then(|id| table.rule_name(id)).cloned();
        failures.push(RuleFailure {
            message: if rule.is_some() {
                format!("failed: {e}")
            } else {
                format!("the rules failed: {e}")
            },
            rule,
            kind: RuleFailureKind::EngineError,
        });
    }
    if cycles >= engine::MAX_CYCLES {
        failures.extend(looping_failures(
            &table,
            &trace,
            &format!("the rules ran {cycles} cycles, the engine's limit"),
        ));
    }
    let mut refused = |field: &str, message: String| {
        failures.push(RuleFailure {
            rule: table.last_writer(&trace, field).cloned(),
            kind: RuleFailureKind::BadResult,
            message,
        })
    };
    let mut checked = |name: &str| -> f64 {
        match get(name) {
            Some(v) if v.is_finite() && v >= 0.0 => v,
            Some(v) => {
                refused(
                    name,
                    format!("{name} = {v} after the rules (must be a finite number >= 0)"),
                );
                0.0
            }
            None => {
                refused(name, format!("{name} is not a number after the rules"));
                0.0
            }
        }
    };
    let order_qty = checked("order_qty");
    let purchase_qty = checked("purchase_qty");
    let amount = checked("amount");
    let requires_approval = match result.get("requires_approval") {
        Some(Value::Boolean(b)) => *b,
        other => {
            refused(
                "requires_approval",
                format!("requires_approval is not true/false after the rules ({other:?})"),
            );
            false
        }
    };
    if failures.is_empty() {
        failures.extend(disagreements(
            &table,
            &trace,
            Figures {
                order_qty,
                purchase_qty,
                amount,
                pack: facts.pack_size,
                unit_price,
            },
        ));
    }
    plan.rationale.set_rules(table, trace);
    if failures.is_empty() {
        plan.order_qty = order_qty;
        plan.purchase_qty = purchase_qty;
        plan.amount = amount;
        plan.requires_approval = requires_approval;
        plan.rationale.set_check(rationale::CheckedOrder {
            order_qty,
            purchase_qty,
            pack: facts.pack_size,
            unit_price,
            currency: plan.currency.clone(),
            amount,
            requires_approval,
            needed: plan.net_requirement.unwrap_or(0.0).max(0.0),
            supplier_active: facts.supplier_active,
        });
    } else {
        let problems: Vec<String> = failures.iter().map(RuleFailure::describe).collect();
        for p in &problems {
            plan.rationale
                .push(Step::simple(StepKind::Check, format!("Check failed: {p}")));
        }
        exceptions.push(Exception {
            code: ExceptionCode::RuleError,
            message: format!("{}; no order suggested", problems.join("; ")),
        });
        plan.rule_failures = failures.into_boxed_slice();
    }
}

/// A rule of the trace wrote `field`.
fn wrote(table: &engine::RuleTable, trace: &engine::RuleTrace, field: &str) -> bool {
    table.last_write(trace, field).is_some()
}

/// The figures the rules left, as the checks after the rules read them.
struct Figures {
    order_qty: f64,
    purchase_qty: f64,
    amount: f64,
    pack: f64,
    unit_price: f64,
}

/// Quantities agree when they are the same to 6 decimals (the precision
/// every output shows), relative to their size.
fn same_qty(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

/// Money agrees when it is the same to the cent.
fn same_money(a: f64, b: f64) -> bool {
    numbers::round_money(a) == numbers::round_money(b)
}

/// The identities of DOMAIN.md section 2 the rules' results must satisfy:
/// `purchase_qty x pack = order_qty` and `amount = order_qty x unit_price`
/// to the cent. Each one broken names its fields, the rule that last wrote
/// each, and is charged to the rule that wrote last of them.
fn disagreements(
    table: &engine::RuleTable,
    trace: &engine::RuleTrace,
    f: Figures,
) -> Vec<RuleFailure> {
    let writer = |field: &str| table.last_write(trace, field);
    let by = |field: &str| match writer(field) {
        Some((_, rule)) => format!("{field} (last written by rule \"{rule}\")"),
        None => format!("{field} (written by no rule)"),
    };
    // The rule that wrote last of the fields involved.
    let blame = |fields: &[&str]| {
        fields
            .iter()
            .filter_map(|f| writer(f))
            .max_by_key(|(at, _)| *at)
            .map(|(_, rule)| Arc::clone(rule))
    };
    let mut out = Vec::new();
    // "written (by) value x factor value = computed, but target (by) is value"
    let mut disagree = |(written, value): (&str, String),
                        (factor, by_value): (&str, String),
                        computed: String,
                        (target, is): (&str, String)| {
        out.push(RuleFailure {
            rule: blame(&[written, target]),
            kind: RuleFailureKind::Disagree,
            message: format!(
                "the figures disagree: {} {value} x {factor} {by_value} = {computed}, but {} is {is}",
                by(written),
                by(target),
            ),
        })
    };
    let packed = f.purchase_qty * f.pack;
    if !same_qty(packed, f.order_qty) {
        disagree(
            ("purchase_qty", fmt_qty(f.purchase_qty)),
            ("pack", fmt_qty(f.pack)),
            fmt_qty(packed),
            ("order_qty", fmt_qty(f.order_qty)),
        );
    }
    let priced = f.order_qty * f.unit_price;
    if !same_money(priced, f.amount) {
        disagree(
            ("order_qty", fmt_qty(f.order_qty)),
            ("unit_price", fmt_qty(f.unit_price)),
            numbers::fmt_money(priced),
            ("amount", numbers::fmt_money(f.amount)),
        );
    }
    out
}

/// A run that reached the cycle limit or the firing budget (`stopped` says
/// which) is charged to the rules that fired more than once: only a rule
/// without no-loop fires again.
/// How many looping rules a product's failures name.
const LOOPING_NAMED: usize = 10;

fn looping_failures(
    table: &engine::RuleTable,
    trace: &engine::RuleTrace,
    stopped: &str,
) -> Vec<RuleFailure> {
    // Counted by rule id, in the order each first fired.
    let mut counts = vec![0usize; table.len()];
    let mut order = Vec::new();
    for &id in &trace.fired {
        let n = &mut counts[usize::from(id)];
        if *n == 0 {
            order.push(id);
        }
        *n += 1;
    }
    let mut repeated: Vec<(u16, usize)> = order
        .into_iter()
        .map(|id| (id, counts[usize::from(id)]))
        .filter(|(_, n)| *n > 1)
        .collect();
    // The rules that fired most are named; past `LOOPING_NAMED`, one
    // failure counts the others (400 looping pairs would give every
    // product 800 failures).
    repeated.sort_by_key(|r| std::cmp::Reverse(r.1));
    let others = repeated.len().saturating_sub(LOOPING_NAMED);
    let mut looping: Vec<RuleFailure> = repeated
        .into_iter()
        .take(LOOPING_NAMED)
        .filter_map(|(id, n)| {
            Some(RuleFailure {
                rule: Some(Arc::clone(table.rule_name(id)?)),
                kind: RuleFailureKind::CycleLimit,
                message: format!(
                    "fired {n} times: {stopped}: a rule without no-loop keeps firing while its condition holds"
                ),
            })
        })
        .collect();
    if others > 0 {
        looping.push(RuleFailure {
            rule: None,
            kind: RuleFailureKind::CycleLimit,
            message: format!("and {others} more rules fired more than once"),
        });
    }
    if looping.is_empty() {
        return vec![RuleFailure {
            rule: None,
            kind: RuleFailureKind::CycleLimit,
            message: format!("{stopped}: a rule without no-loop keeps firing"),
        }];
    }
    looping
}

/// "buyer's 708 ordered on PO-000001 (sent 2026-12-05T12:00:00Z)".
fn used_text(o: &OverrideNote) -> Arc<str> {
    format!(
        "buyer's {} ordered on {}",
        fmt_qty(o.order_qty),
        o.used_by.as_deref().unwrap_or("a PO")
    )
    .into()
}

fn override_exception(suggested: f64, o: &OverrideNote) -> Exception {
    Exception {
        code: ExceptionCode::Overridden,
        message: format!(
            "buyer's quantity {} (suggested {}): {}",
            fmt_qty(o.order_qty),
            fmt_qty(suggested),
            o.reason
        ),
    }
}

/// Plans every product, the rules running on as many threads as the machine
/// has cores, one engine per thread. Output keeps the input order.
pub fn plan_all(
    products: &[Arc<ProductInputs>],
    ctx: &PlanContext,
    rules: &RuleSet,
) -> Vec<ProductPlan> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    plan_all_on(products, ctx, rules, threads)
}

/// `plan_all` on at most `threads` threads (the screen's background refresh
/// leaves a core to the screen).
pub fn plan_all_on(
    products: &[Arc<ProductInputs>],
    ctx: &PlanContext,
    rules: &RuleSet,
    threads: usize,
) -> Vec<ProductPlan> {
    let threads = threads.min(products.len().div_ceil(256)).max(1);
    if threads == 1 {
        let mut planner = rules.engine();
        return products
            .iter()
            .map(|p| plan_product(p, ctx, &mut planner))
            .collect();
    }
    let chunk = products.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = products.chunks(chunk);
        let first = parts.next().unwrap_or_default();
        let handles: Vec<_> = parts
            .map(|part| {
                scope.spawn(move || {
                    let mut planner = rules.engine();
                    part.iter()
                        .map(|p| plan_product(p, ctx, &mut planner))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // The first part is planned here, into a list with room for all:
        // the other parts are appended without a growing copy of 100,000
        // plans (a collect through `flat_map` doubled its way there).
        let mut plans = Vec::with_capacity(products.len());
        let mut planner = rules.engine();
        plans.extend(first.iter().map(|p| plan_product(p, ctx, &mut planner)));
        for h in handles {
            plans.extend(h.join().expect("a planning thread panicked"));
        }
        plans
    })
}

/// Products that need an order or have exceptions come first, then by id.
pub fn sort_for_buyers(plans: &mut [ProductPlan]) {
    plans.sort_by(|a, b| {
        let rank = |p: &ProductPlan| u8::from(!p.needs_order() && p.exceptions.is_empty());
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

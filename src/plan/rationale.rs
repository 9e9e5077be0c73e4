//! The step-by-step explanation of one product's plan and its exception codes.

use std::borrow::Cow;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::Serialize;

use super::engine::{RuleTable, RuleTrace};
use super::inputs::ProductInputs;
use super::numbers::{fmt_money, fmt_qty, fmt_units, round_money, round_qty};

/// Exception codes (DOMAIN.md section 3). The codes are stable: they appear in
/// the list, in JSON and in CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExceptionCode {
    Stockout,
    BelowSafety,
    OrderLate,
    NoSupplier,
    SupplierInactive,
    UomMissing,
    UomInvalid,
    BadData,
    NoDemand,
    Overshoot,
    OpenPo,
    Overridden,
    SourceStale,
    /// The rules failed at run time, hit the cycle limit, or left figures
    /// that disagree (DOMAIN.md section 2).
    RuleError,
    /// On a buyerdesk PO not yet approved (a draft or pending approval).
    OnPo,
}

impl ExceptionCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionCode::Stockout => "STOCKOUT",
            ExceptionCode::BelowSafety => "BELOW_SAFETY",
            ExceptionCode::OrderLate => "ORDER_LATE",
            ExceptionCode::NoSupplier => "NO_SUPPLIER",
            ExceptionCode::SupplierInactive => "SUPPLIER_INACTIVE",
            ExceptionCode::UomMissing => "UOM_MISSING",
            ExceptionCode::UomInvalid => "UOM_INVALID",
            ExceptionCode::BadData => "BAD_DATA",
            ExceptionCode::NoDemand => "NO_DEMAND",
            ExceptionCode::Overshoot => "OVERSHOOT",
            ExceptionCode::OpenPo => "OPEN_PO",
            ExceptionCode::Overridden => "OVERRIDDEN",
            ExceptionCode::SourceStale => "SOURCE_STALE",
            ExceptionCode::RuleError => "RULE_ERROR",
            ExceptionCode::OnPo => "ON_PO",
        }
    }

    /// Exceptions after which no order is suggested.
    pub fn blocks_order(self) -> bool {
        matches!(
            self,
            ExceptionCode::BadData
                | ExceptionCode::NoSupplier
                | ExceptionCode::UomInvalid
                | ExceptionCode::RuleError
        )
    }
}

impl std::fmt::Display for ExceptionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exception with its explanation in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exception {
    pub code: ExceptionCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// A value read from a source.
    Input,
    /// A value buyerdesk derived before the rules (statistics, cover).
    Derived,
    /// A rule that fired, with the fields it changed.
    Rule,
    /// A check on the results after the rules.
    Check,
    /// An exception raised for the product.
    Exception,
    /// Anything else worth knowing (defaults used, rows ignored).
    Note,
}

/// A value of the `Product` fact, as the rationale shows it. 16 bytes (the
/// rare text boxed): every plan keeps the values its rules wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    Number(f64),
    Bool(bool),
    Text(Box<String>),
    Null,
}

impl FactValue {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FactValue::Number(n) => Some(*n),
            _ => None,
        }
    }
}

impl std::fmt::Display for FactValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FactValue::Number(n) => f.write_str(&fmt_qty(*n)),
            FactValue::Bool(b) => write!(f, "{b}"),
            FactValue::Text(t) => write!(f, "\"{t}\""),
            FactValue::Null => f.write_str("null"),
        }
    }
}

impl Serialize for FactValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FactValue::Number(n) => round_qty(*n).serialize(s),
            FactValue::Bool(b) => b.serialize(s),
            FactValue::Text(t) => t.serialize(s),
            FactValue::Null => s.serialize_none(),
        }
    }
}

/// A piece of a formula: literal text or a `Product.<field>` reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Text(String),
    Field(String),
}

/// One action of a rule, parsed once per rules version and shared by the
/// rationale of every product.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFormula {
    /// The field written (without `Product.`), if any.
    pub target: Option<String>,
    /// `Product.<target>`, the engine's path.
    pub target_path: Option<String>,
    /// The formula as the rule author wrote it, without `Product.`.
    pub formula: String,
    pub tokens: Vec<Token>,
    /// `RoundUpToMultiple`, which leaves the value as it is when the
    /// multiple is not positive (its numbers then say so instead of showing
    /// a division by zero).
    pub round_up: bool,
}

/// A field changed by a rule: old -> new, with the formula and its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub action: Arc<ActionFormula>,
    pub old: FactValue,
    pub new: FactValue,
    /// Values of the formula's fields, in the order they appear.
    pub operands: Vec<FactValue>,
}

/// Fields that hold money: their values are shown and serialised rounded
/// to cents (DOMAIN.md section 2), with the cents always shown.
const MONEY_FIELDS: [&str; 1] = ["amount"];

impl Change {
    pub fn field(&self) -> &str {
        self.action.target.as_deref().unwrap_or("")
    }

    fn is_money(&self) -> bool {
        MONEY_FIELDS.contains(&self.field())
    }

    /// A value this change wrote or replaced, as people read it.
    fn show(&self, v: &FactValue) -> String {
        match v {
            FactValue::Number(n) if self.is_money() => fmt_money(*n),
            other => other.to_string(),
        }
    }

    /// A value this change wrote or replaced, as JSON carries it.
    fn json(&self, v: &FactValue) -> FactValue {
        match v {
            FactValue::Number(n) if self.is_money() => FactValue::Number(round_money(*n)),
            other => other.clone(),
        }
    }

    pub fn formula(&self) -> &str {
        &self.action.formula
    }

    /// The formula with each field replaced by its value ("150 * 7").
    pub fn numbers(&self) -> String {
        if let (true, [value, .., multiple]) = (self.action.round_up, &self.operands[..]) {
            if multiple.as_f64().is_some_and(|m| m <= 0.0) {
                return format!("{value} (multiple {multiple}: not rounded)");
            }
        }
        let mut out = String::new();
        let mut operands = self.operands.iter();
        for t in &self.action.tokens {
            match t {
                Token::Text(s) => out.push_str(s),
                Token::Field(_) => match operands.next() {
                    Some(v) => out.push_str(&v.to_string()),
                    None => out.push('?'),
                },
            }
        }
        out.trim().to_string()
    }

    /// "field = formula = numbers = new (was old)", without repeats.
    pub fn describe(&self) -> String {
        let (new, old, numbers) = (self.show(&self.new), self.show(&self.old), self.numbers());
        let formula = self.formula();
        if formula == numbers || numbers.is_empty() {
            format!("{} = {new} (was {old})", self.field())
        } else if numbers == new {
            format!("{} = {formula} = {new} (was {old})", self.field())
        } else {
            format!(
                "{} = {formula} = {numbers} = {new} (was {old})",
                self.field()
            )
        }
    }
}

impl Serialize for Change {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("Change", 5)?;
        m.serialize_field("field", self.field())?;
        m.serialize_field("old", &self.json(&self.old))?;
        m.serialize_field("new", &self.json(&self.new))?;
        m.serialize_field("formula", self.formula())?;
        m.serialize_field("numbers", &self.numbers())?;
        m.end()
    }
}

/// One numbered step of the rationale. Rule steps are kept as data and put
/// into words only when shown (`text()`), which keeps planning 100,000
/// products cheap.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    text: String,
    pub source: Option<&'static str>,
    pub rule: Option<Arc<str>>,
    pub changes: Vec<Change>,
}

impl Step {
    pub fn input(source: &'static str, text: impl Into<String>) -> Step {
        Step {
            kind: StepKind::Input,
            text: text.into(),
            source: Some(source),
            rule: None,
            changes: Vec::new(),
        }
    }

    pub fn simple(kind: StepKind, text: impl Into<String>) -> Step {
        Step {
            kind,
            text: text.into(),
            source: None,
            rule: None,
            changes: Vec::new(),
        }
    }

    pub fn rule(rule: Arc<str>, changes: Vec<Change>) -> Step {
        Step {
            kind: StepKind::Rule,
            text: String::new(),
            source: None,
            rule: Some(rule),
            changes,
        }
    }

    /// The step in words.
    pub fn text(&self) -> Cow<'_, str> {
        match &self.rule {
            Some(rule) if self.kind == StepKind::Rule => {
                let detail: Vec<String> = self.changes.iter().map(Change::describe).collect();
                let detail = if detail.is_empty() {
                    "fired".to_string()
                } else {
                    detail.join("; ")
                };
                Cow::Owned(format!("Rule {rule}: {detail}"))
            }
            _ => Cow::Borrowed(&self.text),
        }
    }
}

impl Serialize for Step {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", &self.kind)?;
        m.serialize_entry("text", &self.text())?;
        if let Some(source) = self.source {
            m.serialize_entry("source", source)?;
        }
        if let Some(rule) = &self.rule {
            m.serialize_entry("rule", rule.as_ref())?;
        }
        if !self.changes.is_empty() {
            m.serialize_entry("changes", &self.changes)?;
        }
        m.end()
    }
}

/// The rationale of one product. Planning keeps only what it needs to put
/// it into words later: the product's source rows (the input steps are read
/// from them again), the rule trace (replayed from the initial facts) and
/// the few steps written after the rules (checks, exceptions).
#[derive(Debug, Clone, Default)]
pub struct Rationale {
    inputs: Option<(Arc<ProductInputs>, f64)>,
    replay: Option<Box<Replay>>,
    /// The results that passed the checks after the rules.
    check: Option<CheckedOrder>,
    /// The product's exceptions (shared with the plan), shown last.
    exceptions: Option<Arc<[Exception]>>,
    /// Steps after the rule steps.
    after: Vec<Step>,
}

/// The order as the checks after the rules accepted it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedOrder {
    pub order_qty: f64,
    pub purchase_qty: f64,
    /// Stock units per purchase unit.
    pub pack: f64,
    /// Per stock unit.
    pub unit_price: f64,
    pub currency: Option<Arc<str>>,
    pub amount: f64,
    pub requires_approval: bool,
    /// What the calculation found missing (net requirement, >= 0).
    pub needed: f64,
    pub supplier_active: bool,
}

impl CheckedOrder {
    /// The checks in words, each identity as a formula that evaluates to
    /// what it prints: "40 box x 12 = 480 pieces; 480 pieces x 2.03 =
    /// 974.40 USD".
    fn step(&self, stock_uom: Option<&str>, purchase_uom: Option<&str>) -> Step {
        let currency = self
            .currency
            .as_deref()
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        let text = if self.order_qty > 0.0 {
            format!(
                "Check: {} x {} = {}; {} x {}{currency} = {}{currency}; {} (finite, >= 0, pack and amount agree: ok)",
                fmt_units(self.purchase_qty, purchase_uom),
                fmt_qty(self.pack),
                fmt_units(self.order_qty, stock_uom),
                fmt_units(self.order_qty, stock_uom),
                fmt_qty(self.unit_price),
                fmt_money(self.amount),
                if self.requires_approval {
                    "requires approval"
                } else {
                    "auto-approved"
                }
            )
        } else if self.needed > 0.0 && !self.supplier_active {
            format!(
                "Check: cannot order: the supplier is inactive; {} needed",
                fmt_units(self.needed, stock_uom)
            )
        } else if self.needed > 0.0 {
            format!(
                "Check: the rules ordered nothing; the calculation found {} missing (finite, >= 0: ok)",
                fmt_units(self.needed, stock_uom)
            )
        } else {
            "Check: no order needed: stock and open orders cover the target (finite, >= 0: ok)"
                .to_string()
        };
        Step::simple(StepKind::Check, text)
    }
}

/// The initial facts are not kept: they are read again from the inputs.
/// The trace is kept packed: a plan keeps it for as long as it is shown.
#[derive(Debug, Clone)]
struct Replay {
    table: Arc<RuleTable>,
    fired: Box<[u16]>,
    /// The values the rules wrote, 8 bytes each (`pack`).
    values: Box<[u64]>,
    /// The values that do not fit in 8 bytes (texts), in order.
    others: Box<[FactValue]>,
}

/// The high bits of a packed value that is not a number: a signalling NaN
/// pattern that no arithmetic produces; the low 32 bits say what it is.
const PACKED_TAG: u64 = 0x7FF0_ABCD_0000_0000;
const PACKED_NULL: u64 = 0;
const PACKED_FALSE: u64 = 1;
const PACKED_TRUE: u64 = 2;
/// `others[k]` is packed as `PACKED_OTHER + k`.
const PACKED_OTHER: u64 = 3;

impl Replay {
    fn new(table: Arc<RuleTable>, trace: RuleTrace) -> Replay {
        let mut others = Vec::new();
        let values = (trace.values.into_iter())
            .map(|v| match v {
                FactValue::Number(n) if n.to_bits() & !0xFFFF_FFFF != PACKED_TAG => n.to_bits(),
                FactValue::Null => PACKED_TAG | PACKED_NULL,
                FactValue::Bool(false) => PACKED_TAG | PACKED_FALSE,
                FactValue::Bool(true) => PACKED_TAG | PACKED_TRUE,
                // A text, or a number with the tag's bits: kept whole.
                other => {
                    others.push(other);
                    PACKED_TAG | (PACKED_OTHER + others.len() as u64 - 1)
                }
            })
            .collect();
        Replay {
            table,
            fired: trace.fired.into_boxed_slice(),
            values,
            others: others.into_boxed_slice(),
        }
    }

    /// The trace as the rules left it.
    fn trace(&self) -> RuleTrace {
        let unpack = |&bits: &u64| {
            if bits & !0xFFFF_FFFF != PACKED_TAG {
                return FactValue::Number(f64::from_bits(bits));
            }
            match bits & 0xFFFF_FFFF {
                PACKED_NULL => FactValue::Null,
                PACKED_FALSE => FactValue::Bool(false),
                PACKED_TRUE => FactValue::Bool(true),
                k => (self.others.get((k - PACKED_OTHER) as usize).cloned())
                    .unwrap_or(FactValue::Null),
            }
        };
        RuleTrace {
            fired: self.fired.to_vec(),
            values: self.values.iter().map(unpack).collect(),
        }
    }
}

impl Rationale {
    /// A rationale whose input steps are read from `inputs` when shown
    /// (`own_open_po_qty` as the plan had it).
    pub(crate) fn from_inputs(inputs: Arc<ProductInputs>, own_open_po_qty: f64) -> Rationale {
        Rationale {
            inputs: Some((inputs, own_open_po_qty)),
            ..Default::default()
        }
    }

    /// Adds a step after the input and rule steps.
    pub fn push(&mut self, step: Step) {
        self.after.push(step);
    }

    /// Records the rules' trace; its steps come right after the input steps.
    pub(crate) fn set_rules(&mut self, table: Arc<RuleTable>, trace: RuleTrace) {
        self.replay = Some(Box::new(Replay::new(table, trace)));
    }

    /// Records the exceptions, shown as the last steps.
    pub(crate) fn set_exceptions(&mut self, exceptions: Arc<[Exception]>) {
        self.exceptions = Some(exceptions);
    }

    /// Records the results that passed the checks after the rules.
    pub(crate) fn set_check(&mut self, check: CheckedOrder) {
        self.check = Some(check);
    }

    /// Gives back unused capacity once the plan is complete.
    pub(crate) fn shrink(&mut self) {
        self.after.shrink_to_fit();
    }

    /// Every step, in order, in words.
    pub fn steps(&self) -> Vec<Step> {
        let (mut out, initial, uoms) = match &self.inputs {
            Some((inputs, open_po)) => {
                let p = super::prepare::prepare(inputs, *open_po, true);
                (p.steps, p.facts, (p.plan.stock_uom, p.plan.purchase_uom))
            }
            None => (Vec::new(), None, (None, None)),
        };
        if let (Some(r), Some(initial)) = (&self.replay, initial) {
            out.extend(r.table.render(&initial, &r.trace()));
        }
        if let Some(check) = &self.check {
            out.push(check.step(uoms.0.as_deref(), uoms.1.as_deref()));
        }
        out.extend_from_slice(&self.after);
        for e in self.exceptions.iter().flat_map(|e| e.iter()) {
            out.push(Step::simple(
                StepKind::Exception,
                format!("{}: {}", e.code, e.message),
            ));
        }
        out
    }
}

impl PartialEq for Rationale {
    fn eq(&self, other: &Self) -> bool {
        self.steps() == other.steps()
    }
}

impl Serialize for Rationale {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.steps().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_trace_gives_back_every_value_bit_for_bit() {
        let table = Arc::clone(crate::plan::RuleSet::embedded().engine().table());
        let tagged = f64::from_bits(PACKED_TAG | 7);
        let values = vec![
            FactValue::Number(600.0),
            FactValue::Number(-0.0),
            FactValue::Number(f64::INFINITY),
            FactValue::Number(f64::NAN),
            FactValue::Number(tagged),
            FactValue::Bool(true),
            FactValue::Bool(false),
            FactValue::Null,
            FactValue::Text(Box::new("stable".into())),
        ];
        let trace = RuleTrace {
            fired: vec![0, 3, 1],
            values: values.clone(),
        };
        let back = Replay::new(table, trace).trace();
        assert_eq!(back.fired, [0, 3, 1]);
        assert_eq!(back.values.len(), values.len());
        for (got, want) in back.values.iter().zip(&values) {
            match (got, want) {
                (FactValue::Number(a), FactValue::Number(b)) => {
                    assert_eq!(a.to_bits(), b.to_bits(), "{want:?}")
                }
                _ => assert_eq!(got, want),
            }
        }
    }
}

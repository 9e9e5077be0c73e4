//! The rationale's vocabulary: exception codes, steps and their kinds, the
//! values facts take, the formulas and changes a rule step shows. Below the
//! engine, which records them, and the rationale, which puts them in words.

use std::borrow::Cow;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::Serialize;

use super::numbers::{fmt_money, fmt_qty, round_money, round_qty};

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

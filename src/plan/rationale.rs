//! The step-by-step explanation of one product's plan and its exception codes.

use serde::Serialize;

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
    /// The rules failed at run time or produced an impossible result
    /// (not finite, negative). Not in DOMAIN.md's list: see README.
    RuleError,
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

/// A field changed by a rule: old -> new, with the formula and its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub field: String,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
    pub formula: String,
    pub numbers: String,
}

/// One numbered step of the rationale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

impl Step {
    pub fn input(source: impl Into<String>, text: impl Into<String>) -> Step {
        Step {
            kind: StepKind::Input,
            text: text.into(),
            source: Some(source.into()),
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
}

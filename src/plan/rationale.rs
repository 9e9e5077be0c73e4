//! The step-by-step explanation of one product's plan: the steps replayed
//! from the rule trace and the product's rows, in words (its vocabulary is
//! `steps`).

use std::sync::Arc;

use serde::Serialize;

use super::demand::ForecastLookup;
use super::engine::{RuleTable, RuleTrace};
use super::inputs::ProductInputs;
use super::numbers::{fmt_money, fmt_qty, fmt_units};
pub use super::steps::*;

/// The rationale of one product. Planning keeps only what it needs to put
/// it into words later: the product's source rows (the input steps are read
/// from them again), the rule trace (replayed from the initial facts) and
/// the few steps written after the rules (checks, exceptions).
#[derive(Debug, Clone, Default)]
pub struct Rationale {
    inputs: Option<(Arc<ProductInputs>, f64, ForecastLookup)>,
    replay: Option<Box<Replay>>,
    /// The results that passed the checks after the rules.
    check: Option<CheckedOrder>,
    /// The product's exceptions (shared with the plan), shown last.
    exceptions: Option<Arc<[Exception]>>,
    /// Days of cover, shown after the input steps: computed after the
    /// rules, which decide the demand it divides by.
    cover: Option<Step>,
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
    pub(crate) fn from_inputs(
        inputs: Arc<ProductInputs>,
        own_open_po_qty: f64,
        forecast: ForecastLookup,
    ) -> Rationale {
        Rationale {
            inputs: Some((inputs, own_open_po_qty, forecast)),
            ..Default::default()
        }
    }

    /// Adds a step after the input and rule steps.
    pub fn push(&mut self, step: Step) {
        self.after.push(step);
    }

    /// Records the days-of-cover step (shown after the input steps).
    pub(crate) fn set_cover(&mut self, step: Step) {
        self.cover = Some(step);
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

    /// The rules that wrote `field` (`RuleTable::writers`).
    pub fn writers(&self, field: &str) -> Vec<Arc<str>> {
        match &self.replay {
            Some(r) => r.table.writers(&r.trace(), field),
            None => Vec::new(),
        }
    }

    /// The rules that fired, in order, each with whether it changed a
    /// field (`RuleTable::effects`): empty when the rules did not run (no
    /// facts: bad data, no supplier).
    pub fn rule_effects(&self) -> Vec<(u16, bool)> {
        let (Some((inputs, open_po, lookup)), Some(r)) = (&self.inputs, &self.replay) else {
            return Vec::new();
        };
        match super::prepare::prepare(inputs, *open_po, lookup, false).facts {
            Some(initial) => r.table.effects(&initial, &r.trace()),
            None => Vec::new(),
        }
    }

    /// Every step, in order, in words.
    pub fn steps(&self) -> Vec<Step> {
        let (mut out, initial, uoms) = match &self.inputs {
            Some((inputs, open_po, lookup)) => {
                let p = super::prepare::prepare(inputs, *open_po, lookup, true);
                (p.steps, p.facts, (p.plan.stock_uom, p.plan.purchase_uom))
            }
            None => (Vec::new(), None, (None, None)),
        };
        out.extend(self.cover.iter().cloned());
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

//! Per-rule coverage of a dry run: on how many products each rule fired,
//! and on how many it changed something (a write whose value differs from
//! the field's value before it). A rule that never fires, or fires and
//! never changes anything, is flagged: it is dead weight or a mistake (a
//! condition on a value the field never has). Pure: no I/O.

use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::plan::{ProductPlan, RuleSet};

/// One rule's counts over the products of a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCoverage {
    pub rule: String,
    /// Products on which it fired at least once.
    pub fired: usize,
    /// Products on which one of its firings changed a field.
    pub changed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<Flag>,
}

/// Why a rule is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    NeverFired,
    NeverChanged,
}

/// The coverage of one set of rules, its rules in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub origin: String,
    pub products: usize,
    pub rules: Vec<RuleCoverage>,
}

/// The coverage with the rules in force and with the candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageDiff {
    pub in_force: Coverage,
    pub candidate: Coverage,
}

impl RuleCoverage {
    /// "fired on 0 of the 1066 products" / "fired on 12 products, changed nothing".
    pub fn flag_text(&self, products: usize) -> Option<String> {
        Some(match self.flag? {
            Flag::NeverFired => format!(
                "rule \"{}\" never fired on the {products} product{} of the dry run",
                self.rule,
                if products == 1 { "" } else { "s" }
            ),
            Flag::NeverChanged => format!(
                "rule \"{}\" fired on {} product{} of the dry run but never changed anything",
                self.rule,
                self.fired,
                if self.fired == 1 { "" } else { "s" }
            ),
        })
    }
}

impl Coverage {
    /// Counts, for each rule of `rules`, the products of `plans` (planned
    /// with `rules`) on which it fired and changed something. Products the
    /// rules did not run on (bad data) count in `products` and fire nothing.
    pub fn count(rules: &RuleSet, plans: &[ProductPlan]) -> Coverage {
        let n = rules.rule_names.len();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(plans.len().div_ceil(256))
            .max(1);
        let chunk = plans.len().div_ceil(threads).max(1);
        let (fired, changed) = std::thread::scope(|scope| {
            let parts: Vec<_> = plans
                .chunks(chunk)
                .map(|part| scope.spawn(move || count_part(n, part)))
                .collect();
            let mut fired = vec![0usize; n];
            let mut changed = vec![0usize; n];
            for p in parts {
                let (f, c) = p.join().expect("a coverage thread panicked");
                for i in 0..n {
                    fired[i] += f[i];
                    changed[i] += c[i];
                }
            }
            (fired, changed)
        });
        // Before forecasts are stored (DOMAIN.md section 5), a rule whose
        // condition reads them cannot fire, or fires on the zeros that
        // stand for no forecast: that is no fault of the rule.
        let forecasts = plans.iter().any(|p| {
            (p.forecast.as_deref())
                .is_some_and(|f| f.status.uses_forecast() || f.abc_class.is_some())
        });
        let counted = (rules.rule_names.iter().enumerate())
            .map(|(i, name)| RuleCoverage {
                rule: name.clone(),
                fired: fired[i],
                changed: changed[i],
                flag: if changed[i] == 0 && !forecasts && reads_forecast(&rules.text, name) {
                    None
                } else if fired[i] == 0 {
                    Some(Flag::NeverFired)
                } else if changed[i] == 0 {
                    Some(Flag::NeverChanged)
                } else {
                    None
                },
            })
            .collect();
        Coverage {
            origin: rules.origin.clone(),
            products: plans.len(),
            rules: counted,
        }
    }

    /// The flagged rules, never-fired first, each group in file order.
    pub fn flagged(&self) -> Vec<&RuleCoverage> {
        let mut out: Vec<&RuleCoverage> = self.rules.iter().filter(|r| r.flag.is_some()).collect();
        out.sort_by_key(|r| r.flag);
        out
    }

    /// The flags as validator warnings at each rule's `rule` keyword in
    /// `text` (the file these rules were read from, named `file`).
    pub fn warnings(&self, text: &str, file: &str) -> Vec<Diagnostic> {
        let positions = super::validate::rule_positions(text);
        let mut out: Vec<Diagnostic> = (self.rules.iter())
            .filter_map(|r| {
                let message = r.flag_text(self.products)?;
                let (line, col) = (positions.iter())
                    .find(|(name, ..)| *name == r.rule)
                    .map_or((1, 1), |&(_, line, col)| (line, col));
                Some(Diagnostic {
                    file: file.to_string(),
                    severity: Severity::Warning,
                    line,
                    col,
                    hint: Some(match r.flag {
                        Some(Flag::NeverFired) => {
                            "its condition held on no product: check its values and fields (`rules test --product ID --why` shows one product's facts)".into()
                        }
                        _ => "each firing wrote the values the fields already had: remove the rule or check what it computes".into(),
                    }),
                    message,
                    rule: Some(r.rule.clone()),
                })
            })
            .collect();
        out.sort_by_key(|d| (d.line, d.col));
        out
    }
}

/// Fields whose values come from a stored forecast
/// (`plan::facts::FORECAST_FIELDS`), or are computed from them by the
/// shipped rules.
fn forecast_field(cond: &str) -> bool {
    (crate::plan::facts::FORECAST_FIELDS.iter())
        .chain(&["service_safety_stock"])
        .any(|f| cond.contains(&format!("Product.{f}")))
}

/// Whether the condition of rule `name` in `text` reads a forecast field
/// (the text between its `when` and `then`; a rule not found reads none).
fn reads_forecast(text: &str, name: &str) -> bool {
    let head = format!("rule \"{name}\"");
    let Some(at) = text.find(&head) else {
        return false;
    };
    let rest = &text[at + head.len()..];
    let Some(when) = rest.find("when") else {
        return false;
    };
    let cond = &rest[when..];
    let cond = &cond[..cond.find("then").unwrap_or(cond.len())];
    forecast_field(cond)
}

/// One line of the coverage side by side: a rule of the candidate (in its
/// file order), then the rules only the rules in force have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageLine {
    pub rule: String,
    /// (fired, changed) with the rules in force; `None`: not a rule there.
    pub in_force: Option<(usize, usize)>,
    pub candidate: Option<(usize, usize)>,
    /// The candidate's flag.
    pub flag: Option<Flag>,
}

impl CoverageDiff {
    /// The rules side by side, the candidate's in file order, then the ones
    /// it removes.
    pub fn lines(&self) -> Vec<CoverageLine> {
        let counts = |r: &RuleCoverage| (r.fired, r.changed);
        let find = |c: &Coverage, name: &str| c.rules.iter().find(|r| r.rule == name).map(counts);
        let mut out: Vec<CoverageLine> = (self.candidate.rules.iter())
            .map(|r| CoverageLine {
                rule: r.rule.clone(),
                in_force: find(&self.in_force, &r.rule),
                candidate: Some(counts(r)),
                flag: r.flag,
            })
            .collect();
        out.extend(
            (self.in_force.rules.iter())
                .filter(|r| find(&self.candidate, &r.rule).is_none())
                .map(|r| CoverageLine {
                    rule: r.rule.clone(),
                    in_force: Some(counts(r)),
                    candidate: None,
                    flag: None,
                }),
        );
        out
    }
}

impl Flag {
    /// "never fires" / "changes nothing".
    pub fn label(self) -> &'static str {
        match self {
            Flag::NeverFired => "never fires",
            Flag::NeverChanged => "changes nothing",
        }
    }
}

/// Fired and changed counts of one slice of plans.
fn count_part(n: usize, plans: &[ProductPlan]) -> (Vec<usize>, Vec<usize>) {
    let mut fired = vec![0usize; n];
    let mut changed = vec![0usize; n];
    // The last product (index + 1) each rule was counted for: a rule
    // firing twice on one product counts it once.
    let mut fired_on = vec![0usize; n];
    let mut changed_on = vec![0usize; n];
    for (k, plan) in plans.iter().enumerate() {
        let mark = k + 1;
        for (id, did_change) in plan.rationale.rule_effects() {
            let i = usize::from(id);
            if i >= n {
                continue;
            }
            if fired_on[i] != mark {
                fired_on[i] = mark;
                fired[i] += 1;
            }
            if did_change && changed_on[i] != mark {
                changed_on[i] = mark;
                changed[i] += 1;
            }
        }
    }
    (fired, changed)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::plan::{join, plan_all, PlanContext};

    const RULES: &str = r#"
rule "Never" salience 30 no-loop {
    when Product.trend == "sideways"
    then Product.order_qty = 1.0;
}

rule "Same" salience 20 no-loop {
    when Product.lead_time_days >= 0.0
    then Product.requires_approval = false;
}

rule "Order" salience 10 no-loop {
    when Product.avg_daily_demand > 100.0
    then Product.order_qty = Product.moq;
}
"#;

    fn reference() -> Vec<Arc<crate::plan::ProductInputs>> {
        join(crate::plan::fixtures::reference_rows())
    }

    #[test]
    fn a_rule_reading_the_forecast_is_not_flagged_before_forecasts_exist() {
        let text = format!(
            "{RULES}\nrule \"ClassA\" salience 5 no-loop {{\n    when Product.abc_class == \"A\"\n    then Product.order_qty = 2.0;\n}}\n"
        );
        let rules = crate::rules::load(&text, "t.grl").expect("valid rules");
        let plans = plan_all(&reference(), &PlanContext::default(), &rules);
        let c = Coverage::count(&rules, &plans);
        let flag = |name: &str| c.rules.iter().find(|r| r.rule == name).unwrap().flag;
        // No product has a forecast: ClassA cannot fire, Never could have.
        assert_eq!(flag("ClassA"), None);
        assert_eq!(flag("Never"), Some(Flag::NeverFired));
        // With a forecast ranked A somewhere, a rule that still never fires is flagged.
        let mut with = plans.clone();
        let mut summary = crate::plan::demand::ForecastSummary {
            abc_class: Some("B"),
            ..crate::plan::demand::ForecastSummary::current_for_tests("smooth")
        };
        with[0].forecast = Some(Box::new(summary.clone()));
        let c = Coverage::count(&rules, &with);
        assert_eq!(
            c.rules.iter().find(|r| r.rule == "ClassA").unwrap().flag,
            Some(Flag::NeverFired)
        );
        summary.status = crate::plan::demand::ForecastStatus::NotReady;
        summary.abc_class = None;
        with[0].forecast = Some(Box::new(summary));
        let c = Coverage::count(&rules, &with);
        assert_eq!(
            c.rules.iter().find(|r| r.rule == "ClassA").unwrap().flag,
            None
        );
    }

    #[test]
    fn counts_rules_that_never_fire_fire_without_change_and_change() {
        let rules = crate::rules::load(RULES, "t.grl").expect("valid rules");
        let inputs = reference();
        let plans = plan_all(&inputs, &PlanContext::default(), &rules);
        let c = Coverage::count(&rules, &plans);
        assert_eq!(c.products, 3);
        let by = |name: &str| c.rules.iter().find(|r| r.rule == name).unwrap().clone();
        let never = by("Never");
        assert_eq!(
            (never.fired, never.changed, never.flag),
            (0, 0, Some(Flag::NeverFired))
        );
        let same = by("Same");
        // requires_approval starts false: writing false changes nothing.
        assert_eq!(
            (same.fired, same.changed, same.flag),
            (3, 0, Some(Flag::NeverChanged))
        );
        // Demand above 100: PROD-001 (150) and PROD-003 (200), order_qty 0 -> moq.
        let expected = (inputs.iter())
            .filter(|p| {
                p.oms.iter().any(|o| {
                    matches!(o.avg_daily_demand, crate::plan::numbers::Num::Value(d) if d > 100.0)
                })
            })
            .count();
        let order = by("Order");
        assert_eq!(
            (order.fired, order.changed, order.flag),
            (expected, expected, None)
        );
        assert_eq!(expected, 2);
        // File order kept; flagged: never-fired first.
        let names: Vec<&str> = c.rules.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(names, ["Never", "Same", "Order"]);
        let flagged: Vec<&str> = c.flagged().iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(flagged, ["Never", "Same"]);
    }

    #[test]
    fn a_write_of_the_same_value_is_no_change_but_a_later_different_one_is() {
        let text = r#"
rule "ZeroOrder" salience 20 no-loop {
    when Product.lead_time_days >= 0.0
    then Product.order_qty = 0.0;
}
rule "MoqOrder" salience 10 no-loop {
    when Product.lead_time_days >= 0.0
    then Product.order_qty = Product.moq;
}
"#;
        let rules = crate::rules::load(text, "t.grl").expect("valid rules");
        let plans = plan_all(&reference(), &PlanContext::default(), &rules);
        let c = Coverage::count(&rules, &plans);
        // order_qty starts at 0: writing 0 changes nothing; writing the
        // MOQ (100, 50, 200) does.
        assert_eq!((c.rules[0].fired, c.rules[0].changed), (3, 0));
        assert_eq!((c.rules[1].fired, c.rules[1].changed), (3, 3));
    }

    #[test]
    fn flags_become_warnings_at_the_rule_line() {
        let rules = crate::rules::load(RULES, "t.grl").expect("valid rules");
        let plans = plan_all(&reference(), &PlanContext::default(), &rules);
        let w = Coverage::count(&rules, &plans).warnings(RULES, "t.grl");
        let text: Vec<String> = w.iter().map(|d| d.to_string()).collect();
        let line_of = |name: &str| {
            RULES
                .lines()
                .position(|l| l.contains(&format!("rule \"{name}\"")))
                .unwrap()
                + 1
        };
        assert_eq!(w.len(), 2, "{text:?}");
        assert!(text[0].starts_with(&format!(
            "t.grl:{}:1: warning: rule \"Never\" never fired on the 3 products of the dry run",
            line_of("Never")
        )));
        assert!(text[1].starts_with(&format!(
            "t.grl:{}:1: warning: rule \"Same\" fired on 3 products of the dry run but never changed anything",
            line_of("Same")
        )));
        assert!(w.iter().all(|d| !d.is_error()));
    }

    #[test]
    fn the_shipped_rules_on_the_reference_products() {
        let rules = RuleSet::embedded();
        let plans = plan_all(&reference(), &PlanContext::default(), &rules);
        let c = Coverage::count(&rules, &plans);
        assert_eq!(c.rules.len(), rules.rule_names.len());
        // Each count is at most the products, changed at most fired, and
        // a rule fired on a product is in that product's rules_fired.
        for r in &c.rules {
            assert!(r.changed <= r.fired && r.fired <= 3, "{r:?}");
            let on = (plans.iter())
                .filter(|p| p.rules_fired.iter().any(|f| **f == *r.rule))
                .count();
            assert_eq!(on, r.fired, "{}", r.rule);
        }
    }
}

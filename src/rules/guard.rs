//! The guard every apply of rules goes through (the editor's Ctrl-S, `rules
//! apply`, `$EDITOR` and a file changed on disk): given the dry run of the
//! candidate against the rules in force, it refuses a candidate that fails
//! on products where the rules in force do not, or that removes more than
//! half of the orders. Pure: no I/O.

use std::fmt;

use crate::plan::ExceptionCode;

use super::DryRun;

/// How many newly failing products a refusal names (its count has them all).
pub const NAMED_PRODUCTS: usize = 3;

/// Why the guard refused a candidate: what a person reads before deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Products on which the candidate fails (RULE_ERROR) and the rules in
    /// force do not.
    pub newly_failing: usize,
    /// The first of them (at most `NAMED_PRODUCTS`), each with the rule
    /// that failed on it (`None`: not charged to one rule).
    pub first: Vec<(String, Option<String>)>,
    pub orders_before: usize,
    pub orders_after: usize,
}

impl Refusal {
    /// More than half of the orders would go.
    pub fn removes_orders(&self) -> bool {
        removes_more_than_half(self.orders_before, self.orders_after)
    }
}

fn removes_more_than_half(before: usize, after: usize) -> bool {
    after * 2 < before
}

/// `Ok` when the candidate may be applied without a question; otherwise the
/// summary of what it would break.
pub fn guard(dry_run: &DryRun) -> Result<(), Refusal> {
    let failing: Vec<_> = (dry_run.changes.iter())
        .filter(|c| {
            c.after.exceptions.contains(&ExceptionCode::RuleError)
                && !c.before.exceptions.contains(&ExceptionCode::RuleError)
        })
        .collect();
    let (before, after) = (dry_run.summary.orders_before, dry_run.summary.orders_after);
    if failing.is_empty() && !removes_more_than_half(before, after) {
        return Ok(());
    }
    Err(Refusal {
        newly_failing: failing.len(),
        first: (failing.iter().take(NAMED_PRODUCTS))
            .map(|c| {
                let rule =
                    (c.rule_failures.first()).and_then(|f| f.rule.as_deref().map(str::to_string));
                (c.product_id.clone(), rule)
            })
            .collect(),
        orders_before: before,
        orders_after: after,
    })
}

impl fmt::Display for Refusal {
    /// "Orders 1066 -> 0 (more than half removed)" and, when the candidate
    /// newly fails, "Newly failing on N products: ID (rule "R"), ... and M
    /// more"; product ids and rule names escaped for a terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Orders {} -> {}", self.orders_before, self.orders_after)?;
        if self.removes_orders() {
            write!(f, " (more than half removed)")?;
        }
        if self.newly_failing > 0 {
            let named: Vec<String> = (self.first.iter())
                .map(|(id, rule)| {
                    let id = crate::text::printable(id);
                    match rule {
                        Some(r) => format!("{id} (rule \"{}\")", crate::text::printable(r)),
                        None => id.into_owned(),
                    }
                })
                .collect();
            let more = self.newly_failing - self.first.len();
            write!(
                f,
                "\nNewly failing (RULE_ERROR) on {} product{}: {}",
                self.newly_failing,
                if self.newly_failing == 1 { "" } else { "s" },
                named.join(", ")
            )?;
            if more > 0 {
                write!(f, " and {more} more")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::reference_rows;
    use crate::plan::{join, PlanContext, RuleSet, DEFAULT_RULES};

    const SAFETY_MARGIN: &str = "rule \"SafetyMargin\" salience 65 { when Product.order_qty > 0 then Product.order_qty = Product.order_qty * 1.05 + Product.moq; }\n";

    fn run(candidate: &str) -> DryRun {
        let in_force = crate::rules::load(DEFAULT_RULES, "in force").unwrap();
        let candidate: RuleSet = crate::rules::load(candidate, "candidate").unwrap();
        let inputs = join(reference_rows());
        crate::rules::dry_run(&inputs, &PlanContext::default(), &in_force, &candidate)
    }

    #[test]
    fn the_shipped_rules_pass_against_themselves() {
        assert_eq!(guard(&run(DEFAULT_RULES)), Ok(()));
    }

    #[test]
    fn a_rule_that_zeroes_every_order_is_refused_with_its_summary() {
        let d = run(&format!("{DEFAULT_RULES}\n{SAFETY_MARGIN}"));
        let refusal = guard(&d).unwrap_err();
        assert!(d.summary.orders_before > 0);
        assert_eq!(refusal.orders_before, d.summary.orders_before);
        assert_eq!(refusal.orders_after, d.summary.orders_after);
        assert!(refusal.orders_after * 2 < refusal.orders_before);
        assert_eq!(refusal.newly_failing, d.summary.failed_products);
        assert_eq!(
            refusal.first.len(),
            NAMED_PRODUCTS.min(refusal.newly_failing)
        );
        assert_eq!(refusal.first[0].1.as_deref(), Some("SafetyMargin"));
        let text = refusal.to_string();
        assert!(
            text.starts_with(&format!(
                "Orders {} -> {} (more than half removed)",
                d.summary.orders_before, d.summary.orders_after
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("on {} products", refusal.newly_failing)),
            "{text}"
        );
        assert!(
            text.contains(&format!("{} (rule \"SafetyMargin\")", refusal.first[0].0)),
            "{text}"
        );
    }

    #[test]
    fn removing_half_passes_and_more_than_half_is_refused() {
        assert!(!removes_more_than_half(4, 2));
        assert!(removes_more_than_half(4, 1));
        assert!(removes_more_than_half(3, 1));
        assert!(!removes_more_than_half(0, 0));
        assert!(!removes_more_than_half(3, 5));
    }

    #[test]
    fn a_harmless_change_passes() {
        let harmless = format!("{DEFAULT_RULES}\n// a comment only\n");
        assert_eq!(guard(&run(&harmless)), Ok(()));
    }
}

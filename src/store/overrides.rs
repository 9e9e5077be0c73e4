//! A buyer's quantity kept beside the suggestion, with a reason; checked
//! before it is saved, saved with an audit row in the same transaction.

use crate::plan::numbers::fmt_qty;
use anyhow::Result;
use serde::Serialize;

use super::{now, Store};
use crate::sources::{with_pool_write_all, Backend};

pub use super::quantity::{parse_quantity, quantity_words, OverrideUnit, PackOffers, QtyError};
pub use super::saving::{Base, Conflict, OverrideRow, Saved, UsedBy};

/// Why a buyer overrides (DOMAIN.md section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    Promo,
    SupplierConstraint,
    OverstockRisk,
    CustomerOrder,
    DataError,
    Other,
}

impl ReasonCode {
    pub const ALL: [ReasonCode; 6] = [
        ReasonCode::Promo,
        ReasonCode::SupplierConstraint,
        ReasonCode::OverstockRisk,
        ReasonCode::CustomerOrder,
        ReasonCode::DataError,
        ReasonCode::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Promo => "PROMO",
            ReasonCode::SupplierConstraint => "SUPPLIER_CONSTRAINT",
            ReasonCode::OverstockRisk => "OVERSTOCK_RISK",
            ReasonCode::CustomerOrder => "CUSTOMER_ORDER",
            ReasonCode::DataError => "DATA_ERROR",
            ReasonCode::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A saved override.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Override {
    pub product_id: String,
    /// The buyer's quantity in stock units (what an order uses).
    pub order_qty: f64,
    /// As typed, in `entered_unit`.
    pub entered_qty: f64,
    pub entered_unit: OverrideUnit,
    /// The suggestion when the override was made.
    pub suggested_qty: f64,
    pub reason: ReasonCode,
    pub note: Option<String>,
    pub user: String,
    pub set_at: String,
}

impl Override {
    /// "227 (PROMO)" or "227 (PROMO: spring promotion)", as written (the
    /// note escaped by whoever shows it on a terminal).
    pub fn short(&self) -> String {
        format!(
            "{} ({}{})",
            fmt_qty(self.order_qty),
            self.reason.as_str(),
            self.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        )
    }

    /// The override as a plan shows it.
    pub fn note_for_plan(&self) -> crate::plan::OverrideNote {
        crate::plan::OverrideNote {
            order_qty: self.order_qty,
            revision: None,
            used_by: None,
            reason: format!(
                "{}{}, by {} at {}",
                self.reason.as_str(),
                self.note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                self.user,
                self.set_at
            ),
        }
    }
}

impl Store {
    /// Records an action of this store's user in the audit log.
    pub async fn audit(&self, action: &str, product_id: Option<&str>, detail: &str) -> Result<()> {
        self.audit_by(&self.user, action, product_id, detail).await
    }

    /// Records an action of `user` in the audit log.
    pub async fn audit_by(
        &self,
        user: &str,
        action: &str,
        product_id: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        with_pool_write_all(
            &self.source,
            vec![(
                audit_sql(self.source.backend),
                vec![
                    Some(now()),
                    Some(user.to_string()),
                    Some(action.to_string()),
                    product_id.map(str::to_string),
                    Some(detail.to_string()),
                ],
            )],
        )
        .await
    }

    /// The audit log, oldest first: (at, user, action, product, detail).
    pub async fn audit_log(&self) -> Result<Vec<Vec<Option<String>>>> {
        let b = self.source.backend;
        let cols: Vec<String> = ["at", "user_name", "action", "product_id", "detail"]
            .iter()
            .map(|c| b.as_text(c))
            .collect();
        self.source
            .fetch_text(
                &format!("SELECT {} FROM audit_log ORDER BY id", cols.join(", ")),
                &[],
            )
            .await
    }
}

pub(crate) fn audit_sql(b: Backend) -> String {
    let p = |n: usize| b.placeholder(n);
    format!(
        "INSERT INTO audit_log (at, user_name, action, product_id, detail) VALUES ({}, {}, {}, {}, {})",
        p(1), p(2), p(3), p(4), p(5)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::plan::inputs::ProductInputs;
    use crate::plan::{self, ExceptionCode, PlanContext, ProductPlan, RuleSet};

    /// PROD-001 of the reference rows.
    fn prod_001_inputs() -> Arc<ProductInputs> {
        let inputs = plan::join(plan::fixtures::reference_rows());
        inputs
            .into_iter()
            .find(|p| &*p.product_id == "PROD-001")
            .unwrap()
    }

    fn plan_001(ctx: &PlanContext) -> ProductPlan {
        plan::plan_product(&prod_001_inputs(), ctx, &mut RuleSet::embedded().engine())
    }

    #[test]
    fn typed_quantities_are_checked_with_a_message_that_says_what_is_wrong() {
        let p = plan_001(&PlanContext::default());
        assert_eq!(parse_quantity("708", OverrideUnit::Stock, &p), Ok(708.0));
        assert_eq!(
            parse_quantity(" 60 ", OverrideUnit::Purchase, &p),
            Ok(720.0),
            "60 boxes of 12"
        );
        assert_eq!(
            parse_quantity("0", OverrideUnit::Stock, &p),
            Ok(0.0),
            "ordering nothing is a decision"
        );
        for (input, unit, expected) in [
            ("", OverrideUnit::Stock, "enter a quantity"),
            ("7OO", OverrideUnit::Stock, "'7OO' is not a number"),
            ("abc", OverrideUnit::Stock, "not a number"),
            ("-5", OverrideUnit::Stock, "cannot be negative"),
            ("1,200", OverrideUnit::Stock, "no thousands separators"),
            ("NaN", OverrideUnit::Stock, "not a number"),
            ("inf", OverrideUnit::Stock, "not a number"),
            ("2.5", OverrideUnit::Purchase, "order whole boxes"),
            (
                "600000",
                OverrideUnit::Stock,
                "more than ten years of demand",
            ),
            ("5e12", OverrideUnit::Stock, "more than a billion"),
        ] {
            let err = parse_quantity(input, unit, &p).unwrap_err();
            assert!(err.message.contains(expected), "{input:?}: {err}");
        }
    }

    #[test]
    fn a_quantity_between_packs_is_refused_with_the_nearest_whole_packs() {
        let p = plan_001(&PlanContext::default());
        let err = parse_quantity("700", OverrideUnit::Stock, &p).unwrap_err();
        assert_eq!(
            err.message,
            "700 pieces is 58.33 boxes: order 696 (58 boxes) or 708 (59 boxes)"
        );
        let o = err.offers.expect("offers");
        // The offers are whole boxes of 12 either side of 700.
        assert_eq!((o.lower, o.lower_packs), (58.0 * 12.0, 58.0));
        assert_eq!((o.upper, o.upper_packs), (59.0 * 12.0, 59.0));
        assert!(o.lower < 700.0 && 700.0 < o.upper);
        let err = parse_quantity("2.5", OverrideUnit::Purchase, &p).unwrap_err();
        assert_eq!(
            err.message,
            "2.5 boxes: order whole boxes: 2 boxes (24 pieces) or 3 boxes (36 pieces)"
        );
        let o = err.offers.unwrap();
        assert_eq!((o.lower, o.upper), (24.0, 36.0));
        assert_eq!((o.lower_packs, o.upper_packs), (2.0, 3.0));
        // Each offer is accepted as typed, in either unit.
        for (qty, packs) in [(o.lower, o.lower_packs), (o.upper, o.upper_packs)] {
            assert_eq!(
                parse_quantity(&qty.to_string(), OverrideUnit::Stock, &p),
                Ok(qty)
            );
            assert_eq!(
                parse_quantity(&packs.to_string(), OverrideUnit::Purchase, &p),
                Ok(qty)
            );
        }
        // Below one pack: nothing, or one box.
        let o = parse_quantity("5", OverrideUnit::Stock, &p)
            .unwrap_err()
            .offers
            .unwrap();
        assert_eq!((o.lower, o.upper), (0.0, 12.0));
    }

    #[test]
    fn without_a_valid_pack_size_whole_stock_units_are_ordered() {
        let mut p = plan_001(&PlanContext::default());
        p.conversion_factor = crate::plan::numbers::OptNum::NONE;
        assert_eq!(parse_quantity("700", OverrideUnit::Stock, &p), Ok(700.0));
        let err = parse_quantity("52.5", OverrideUnit::Stock, &p).unwrap_err();
        assert!(
            err.message.contains("no valid pack size") && err.message.contains("order 52 or 53"),
            "{err}"
        );
        let err = parse_quantity("5", OverrideUnit::Purchase, &p).unwrap_err();
        assert!(err.message.contains("enter stock units"), "{err}");
    }

    #[test]
    fn an_override_shows_beside_the_suggestion() {
        let o = Override {
            product_id: "PROD-001".into(),
            order_qty: 700.0,
            entered_qty: 700.0,
            entered_unit: OverrideUnit::Stock,
            suggested_qty: 600.0,
            reason: ReasonCode::Promo,
            note: Some("spring promotion".into()),
            user: "jdoe".into(),
            set_at: "2026-11-21T10:00:00Z".into(),
        };
        let mut ctx = PlanContext::default();
        ctx.overrides.insert("PROD-001".into(), o.note_for_plan());
        let with = plan_001(&ctx);
        assert_eq!(with.order_qty, 600.0, "the suggestion stays");
        assert_eq!(with.override_qty, Some(700.0));
        assert!(with.has(ExceptionCode::Overridden));
        let msg = &with
            .exception_details
            .iter()
            .find(|e| e.code == ExceptionCode::Overridden)
            .unwrap()
            .message;
        assert_eq!(msg, "buyer's quantity 700 (suggested 600): PROMO (spring promotion), by jdoe at 2026-11-21T10:00:00Z");
        assert_eq!(plan_001(&PlanContext::default()).override_qty, None);
    }

    /// Used once: an override a sent PO ordered no longer applies; the
    /// plan keeps the suggestion and says which PO took it.
    #[test]
    fn a_used_override_no_longer_applies_and_names_its_po() {
        let row = OverrideRow {
            ov: Override {
                product_id: "PROD-001".into(),
                order_qty: 708.0,
                entered_qty: 708.0,
                entered_unit: OverrideUnit::Stock,
                suggested_qty: 600.0,
                reason: ReasonCode::Promo,
                note: None,
                user: "jdoe".into(),
                set_at: "2026-11-21T10:00:00Z".into(),
            },
            revision: 4,
            used_by: Some(UsedBy {
                po_number: "PO-000001".into(),
                status: "sent".into(),
                sent_at: Some("2026-11-21T11:00:00Z".into()),
            }),
        };
        let mut ctx = PlanContext::default();
        ctx.overrides.insert("PROD-001".into(), row.note_for_plan());
        let p = plan_001(&ctx);
        assert_eq!((p.order_qty, p.override_qty.get()), (600.0, None));
        assert!(!p.has(ExceptionCode::Overridden));
        assert_eq!(
            p.override_used.as_deref(),
            Some("buyer's 708 ordered on PO-000001 (sent 2026-11-21T11:00:00Z)")
        );
        let mut again = plan_001(&PlanContext::default());
        again.apply_override(Some(&row.note_for_plan()));
        assert_eq!(again.override_qty.get(), None, "apply_override agrees");
        assert!(again.override_used.is_some());
        let applies = OverrideRow {
            used_by: None,
            ..row
        };
        let p = plan_001(&PlanContext {
            overrides: [("PROD-001".to_string(), applies.note_for_plan())].into(),
            ..Default::default()
        });
        assert_eq!(
            (p.override_qty.get(), p.override_revision),
            (Some(708.0), Some(4))
        );
    }
}

//! A buyer's quantity kept beside the suggestion, with a reason; checked
//! before it is saved, saved with an audit row in the same transaction.

use anyhow::{bail, Result};
use serde::Serialize;

use super::{now, Store};
use crate::plan::numbers::fmt_qty;
use crate::plan::ProductPlan;
use crate::sources::{with_pool_write_all, Backend};

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

/// The unit a buyer typed the quantity in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OverrideUnit {
    Stock,
    Purchase,
}

impl OverrideUnit {
    fn as_str(self) -> &'static str {
        match self {
            OverrideUnit::Stock => "stock",
            OverrideUnit::Purchase => "purchase",
        }
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
    /// The override as a plan shows it.
    pub fn note_for_plan(&self) -> crate::plan::OverrideNote {
        crate::plan::OverrideNote {
            order_qty: self.order_qty,
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

/// Ten years of demand: more is refused as absurd.
const MAX_DAYS_OF_DEMAND: f64 = 3650.0;
const MAX_UNITS: f64 = 1e9;

/// Reads a quantity a buyer typed for `plan`, in stock or purchase units.
/// Returns the quantity in stock units, or a message for the popup saying
/// what is wrong.
pub fn parse_quantity(input: &str, unit: OverrideUnit, plan: &ProductPlan) -> Result<f64, String> {
    let t = input.trim();
    if t.is_empty() {
        return Err("enter a quantity".into());
    }
    if t.contains(',') {
        return Err(format!(
            "'{t}': use a point for decimals and no thousands separators"
        ));
    }
    let qty: f64 = match t.parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        _ => return Err(format!("'{t}' is not a number")),
    };
    if qty < 0.0 {
        return Err(format!("{t}: a quantity cannot be negative"));
    }
    let stock = match unit {
        OverrideUnit::Stock => qty,
        OverrideUnit::Purchase => {
            if qty.fract() != 0.0 {
                return Err(format!(
                    "{t}: order whole {}",
                    crate::plan::numbers::unit_word(
                        2.0,
                        plan.purchase_uom.as_deref().unwrap_or("purchase units")
                    )
                ));
            }
            match plan.conversion_factor.get() {
                Some(f) if f > 0.0 => qty * f,
                _ if plan.purchase_uom == plan.stock_uom => qty,
                _ => return Err("this product has no valid pack size: enter stock units".into()),
            }
        }
    };
    if stock > MAX_UNITS {
        return Err(format!(
            "{t}: more than a billion units is not a plausible order"
        ));
    }
    let demand = plan.avg_daily_demand.unwrap_or(0.0);
    if demand > 0.0 && stock > demand * MAX_DAYS_OF_DEMAND {
        return Err(format!(
            "{t}: more than ten years of demand ({}/day); check the figure",
            fmt_qty(demand)
        ));
    }
    Ok(stock)
}

impl Store {
    /// Saves (or replaces) the override of one product, with an audit row,
    /// in one transaction.
    pub async fn set_override(&self, o: &Override) -> Result<()> {
        if o.reason == ReasonCode::Other
            && o.note.as_deref().map(str::trim).unwrap_or("").is_empty()
        {
            bail!("{}: reason OTHER needs a note", o.product_id);
        }
        let b = self.source.backend;
        let real = |n: usize| match b {
            Backend::Postgres => format!("CAST(${n} AS DOUBLE PRECISION)"),
            _ => "?".into(),
        };
        let p = |n: usize| b.placeholder(n);
        let insert = format!(
            "INSERT INTO overrides (product_id, order_qty, entered_qty, entered_unit, suggested_qty, reason, note, user_name, set_at) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
            p(1), real(2), real(3), p(4), real(5), p(6), p(7), p(8), p(9)
        );
        let audit = audit_sql(b);
        let detail = format!(
            "{} (suggested {}) {}{}",
            fmt_qty(o.order_qty),
            fmt_qty(o.suggested_qty),
            o.reason.as_str(),
            o.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        );
        with_pool_write_all(
            &self.source,
            vec![
                (
                    format!("DELETE FROM overrides WHERE product_id = {}", p(1)),
                    vec![Some(o.product_id.clone())],
                ),
                (
                    insert,
                    vec![
                        Some(o.product_id.clone()),
                        Some(o.order_qty.to_string()),
                        Some(o.entered_qty.to_string()),
                        Some(o.entered_unit.as_str().into()),
                        Some(o.suggested_qty.to_string()),
                        Some(o.reason.as_str().into()),
                        o.note.clone(),
                        Some(o.user.clone()),
                        Some(o.set_at.clone()),
                    ],
                ),
                (
                    audit,
                    vec![
                        Some(now()),
                        Some(o.user.clone()),
                        Some("override_set".into()),
                        Some(o.product_id.clone()),
                        Some(detail),
                    ],
                ),
            ],
        )
        .await
    }

    /// Removes a product's override (audited). No override: nothing to do.
    pub async fn clear_override(&self, product_id: &str) -> Result<()> {
        let b = self.source.backend;
        with_pool_write_all(
            &self.source,
            vec![
                (
                    format!(
                        "DELETE FROM overrides WHERE product_id = {}",
                        b.placeholder(1)
                    ),
                    vec![Some(product_id.to_string())],
                ),
                (
                    audit_sql(b),
                    vec![
                        Some(now()),
                        Some(self.user.clone()),
                        Some("override_cleared".into()),
                        Some(product_id.to_string()),
                        None,
                    ],
                ),
            ],
        )
        .await
    }

    /// Every override, by product id.
    pub async fn overrides(&self) -> Result<Vec<Override>> {
        let b = self.source.backend;
        let cols = [
            "product_id",
            "order_qty",
            "entered_qty",
            "entered_unit",
            "suggested_qty",
            "reason",
            "note",
            "user_name",
            "set_at",
        ];
        let select: Vec<String> = cols.iter().map(|c| b.as_text(c)).collect();
        let sql = format!(
            "SELECT {} FROM overrides ORDER BY product_id",
            select.join(", ")
        );
        let rows = self.source.fetch_text(&sql, &[]).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let get = |i: usize| r.get(i).cloned().flatten();
            let num = |i: usize| get(i).and_then(|v| v.parse::<f64>().ok());
            let (Some(product_id), Some(order_qty), Some(entered_qty), Some(suggested_qty)) =
                (get(0), num(1), num(2), num(4))
            else {
                tracing::warn!("purchasing.overrides: unreadable row skipped");
                continue;
            };
            out.push(Override {
                product_id,
                order_qty,
                entered_qty,
                entered_unit: if get(3).as_deref() == Some("purchase") {
                    OverrideUnit::Purchase
                } else {
                    OverrideUnit::Stock
                },
                suggested_qty,
                reason: get(5)
                    .as_deref()
                    .and_then(ReasonCode::parse)
                    .unwrap_or(ReasonCode::Other),
                note: get(6),
                user: get(7).unwrap_or_default(),
                set_at: get(8).unwrap_or_default(),
            });
        }
        Ok(out)
    }

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
    use crate::plan::{self, ExceptionCode, PlanContext, RuleSet};

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
        assert_eq!(parse_quantity("700", OverrideUnit::Stock, &p), Ok(700.0));
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
            assert!(err.contains(expected), "{input:?}: {err}");
        }
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
}

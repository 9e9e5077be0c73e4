//! A quantity a buyer types for an override, checked as an order will be:
//! a number, not negative, plausible, and a whole number of packs in
//! either unit. A quantity between packs is refused with the two nearest
//! whole-pack quantities (`PackOffers`), for the popup and the CLI to
//! offer.

use serde::Serialize;

use crate::plan::numbers::{fmt_qty, fmt_units, round_qty};
use crate::plan::packs::{not_whole, whole_packs, Typed};
use crate::plan::ProductPlan;

/// The unit a buyer typed the quantity in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OverrideUnit {
    Stock,
    Purchase,
}

impl OverrideUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            OverrideUnit::Stock => "stock",
            OverrideUnit::Purchase => "purchase",
        }
    }

    pub fn parse(s: &str) -> Option<OverrideUnit> {
        match s.trim().to_ascii_lowercase().as_str() {
            "stock" => Some(OverrideUnit::Stock),
            "purchase" => Some(OverrideUnit::Purchase),
            _ => None,
        }
    }
}

pub use crate::plan::packs::PackOffers;

/// Why a typed quantity is refused; `offers` when it is only not a whole
/// number of packs.
#[derive(Debug, Clone, PartialEq)]
pub struct QtyError {
    pub message: String,
    pub offers: Option<PackOffers>,
}

impl std::fmt::Display for QtyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QtyError {}

fn refuse(message: String) -> QtyError {
    QtyError {
        message,
        offers: None,
    }
}

/// Ten years of demand: more is refused as absurd.
const MAX_DAYS_OF_DEMAND: f64 = 3650.0;
const MAX_UNITS: f64 = 1e9;

/// The pack an order of `plan` is made of, in stock units: its conversion
/// factor; 1 stock unit when the product has no valid pack size (with the
/// reason, for the buyer), as drafting counts it.
pub fn pack_of(plan: &ProductPlan) -> (f64, Option<&'static str>) {
    match plan.conversion_factor.get() {
        Some(f) if f.is_finite() && f > 0.0 => (f, None),
        _ if plan.purchase_uom == plan.stock_uom => (1.0, None),
        _ => (
            1.0,
            Some("this product has no valid pack size: whole stock units are ordered"),
        ),
    }
}

/// The purchase unit's name, or "purchase units".
pub fn purchase_unit(plan: &ProductPlan) -> &str {
    plan.purchase_uom
        .as_deref()
        .or(plan.stock_uom.as_deref())
        .unwrap_or("purchase units")
}

/// `stock` in purchase units: packs, rounded as drafting rounds them.
pub fn in_packs(stock: f64, plan: &ProductPlan) -> f64 {
    round_qty(stock / pack_of(plan).0)
}

/// "708 pieces = 59 boxes" (the purchase side left out when the product
/// has no valid pack size).
pub fn quantity_words(stock: f64, plan: &ProductPlan) -> String {
    let stock_text = fmt_units(stock, plan.stock_uom.as_deref());
    match pack_of(plan) {
        (_, Some(_)) => stock_text,
        _ if plan.purchase_uom.is_none() || plan.purchase_uom == plan.stock_uom => stock_text,
        _ => format!(
            "{stock_text} = {}",
            fmt_units(in_packs(stock, plan), Some(purchase_unit(plan)))
        ),
    }
}

/// Reads a quantity a buyer typed for `plan`, in stock or purchase units.
/// Returns the quantity in stock units, or why it is refused (with the
/// nearest whole packs when it lies between two).
pub fn parse_quantity(
    input: &str,
    unit: OverrideUnit,
    plan: &ProductPlan,
) -> Result<f64, QtyError> {
    let t = input.trim();
    if t.is_empty() {
        return Err(refuse("enter a quantity".into()));
    }
    if t.contains(',') {
        return Err(refuse(format!(
            "'{t}': use a point for decimals and no thousands separators"
        )));
    }
    let qty: f64 = match t.parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        _ => return Err(refuse(format!("'{t}' is not a number"))),
    };
    if qty < 0.0 {
        return Err(refuse(format!("{t}: a quantity cannot be negative")));
    }
    let (pack, no_pack) = pack_of(plan);
    if unit == OverrideUnit::Purchase && no_pack.is_some() {
        return Err(refuse(
            "this product has no valid pack size: enter stock units".into(),
        ));
    }
    let stock = match unit {
        OverrideUnit::Stock => qty,
        OverrideUnit::Purchase => qty * pack,
    };
    if stock > MAX_UNITS {
        return Err(refuse(format!(
            "{t}: more than a billion units is not a plausible order"
        )));
    }
    let demand = plan.demand_per_day().unwrap_or(0.0);
    if demand > 0.0 && stock > demand * MAX_DAYS_OF_DEMAND {
        return Err(refuse(format!(
            "{t}: more than ten years of demand ({}/day); check the figure",
            fmt_qty(demand)
        )));
    }
    match whole_packs(stock, pack) {
        Ok(packs) => Ok(round_qty(packs * pack)),
        Err(offers) => Err(QtyError {
            message: match no_pack {
                Some(why) => format!(
                    "{}: {why}; order {} or {}",
                    fmt_units(qty, plan.stock_uom.as_deref()),
                    fmt_qty(offers.lower),
                    fmt_qty(offers.upper)
                ),
                None => not_whole(
                    Typed {
                        qty,
                        in_stock: unit == OverrideUnit::Stock,
                        stock_uom: plan.stock_uom.as_deref(),
                        purchase_uom: purchase_unit(plan),
                        zero: true,
                    },
                    &offers,
                ),
            },
            offers: Some(offers),
        }),
    }
}

//! Whole packs: an order is a whole number of the supplier's packs. A
//! quantity between two is refused in one wording wherever it is typed or
//! found (the override popup and `override set`, a PO line's edit,
//! drafting), offering the two nearest whole-pack quantities.

use serde::Serialize;

use super::numbers::{fmt_qty, fmt_units, round_qty, unit_word};

/// The two whole-pack quantities nearest a quantity between packs, in
/// stock units, with the number of packs of each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PackOffers {
    pub lower: f64,
    pub lower_packs: f64,
    pub upper: f64,
    pub upper_packs: f64,
}

/// `stock` (stock units) in packs of `pack` stock units: the whole number
/// of packs, or the two nearest whole-pack quantities.
pub fn whole_packs(stock: f64, pack: f64) -> Result<f64, PackOffers> {
    let packs = round_qty(stock / pack);
    if (packs - packs.round()).abs() <= 1e-6 {
        return Ok(packs.round());
    }
    Err(PackOffers {
        lower: round_qty(packs.floor() * pack),
        lower_packs: packs.floor(),
        upper: round_qty(packs.ceil() * pack),
        upper_packs: packs.ceil(),
    })
}

/// How a quantity between packs was given, for the words of its refusal.
#[derive(Debug, Clone, Copy)]
pub struct Typed<'a> {
    /// As typed (or found), in `in_stock` units.
    pub qty: f64,
    /// In stock units (pieces), else in purchase units (boxes).
    pub in_stock: bool,
    pub stock_uom: Option<&'a str>,
    pub purchase_uom: &'a str,
    /// Whether ordering nothing is a choice (an override may be 0; a PO
    /// line orders something): else an offer of 0 packs is left out.
    pub zero: bool,
}

/// The refusal: "700 pieces is 58.33 boxes: order 696 (58 boxes) or 708
/// (59 boxes)" when typed in stock units, "2.5 boxes: order whole boxes: 2
/// boxes (24 pieces) or 3 boxes (36 pieces)" in purchase units.
pub fn not_whole(t: Typed<'_>, o: &PackOffers) -> String {
    let packs_text = |n: f64| format!("{} {}", fmt_qty(n), unit_word(n, t.purchase_uom));
    let lower = t.zero || o.lower_packs > 0.0;
    if t.in_stock {
        let packs = round_qty(t.qty / (o.upper / o.upper_packs));
        let offer = |q: f64, n: f64| format!("{} ({})", fmt_qty(q), packs_text(n));
        let upper = offer(o.upper, o.upper_packs);
        format!(
            "{} is {} {}: order {}",
            fmt_units(t.qty, t.stock_uom),
            fmt_qty((packs * 100.0).round() / 100.0),
            unit_word(2.0, t.purchase_uom),
            match lower {
                true => format!("{} or {upper}", offer(o.lower, o.lower_packs)),
                false => upper,
            }
        )
    } else {
        let offer = |q: f64, n: f64| format!("{} ({})", packs_text(n), fmt_units(q, t.stock_uom));
        let upper = offer(o.upper, o.upper_packs);
        format!(
            "{} {}: order whole {}: {}",
            fmt_qty(t.qty),
            unit_word(t.qty, t.purchase_uom),
            unit_word(2.0, t.purchase_uom),
            match lower {
                true => format!("{} or {upper}", offer(o.lower, o.lower_packs)),
                false => upper,
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(qty: f64, in_stock: bool, zero: bool) -> Typed<'static> {
        Typed {
            qty,
            in_stock,
            stock_uom: Some("pieces"),
            purchase_uom: "box",
            zero,
        }
    }

    #[test]
    fn a_quantity_between_packs_offers_the_two_nearest_in_one_wording() {
        assert_eq!(whole_packs(708.0, 12.0), Ok(59.0));
        let o = whole_packs(700.0, 12.0).unwrap_err();
        assert_eq!(
            (o.lower, o.lower_packs, o.upper, o.upper_packs),
            (696.0, 58.0, 708.0, 59.0)
        );
        assert_eq!(
            not_whole(typed(700.0, true, true), &o),
            "700 pieces is 58.33 boxes: order 696 (58 boxes) or 708 (59 boxes)"
        );
        let o = whole_packs(2.5 * 12.0, 12.0).unwrap_err();
        assert_eq!(
            not_whole(typed(2.5, false, true), &o),
            "2.5 boxes: order whole boxes: 2 boxes (24 pieces) or 3 boxes (36 pieces)"
        );
        // Below one pack: 0 is offered only where ordering nothing is a
        // choice.
        let o = whole_packs(5.0, 12.0).unwrap_err();
        assert_eq!(
            not_whole(typed(5.0, true, true), &o),
            "5 pieces is 0.42 boxes: order 0 (0 boxes) or 12 (1 box)"
        );
        assert_eq!(
            not_whole(typed(5.0, true, false), &o),
            "5 pieces is 0.42 boxes: order 12 (1 box)"
        );
        // Each offer is whole packs and multiplies out.
        for stock in [1.0, 11.0, 13.0, 700.0, 1_000_001.0] {
            if let Err(o) = whole_packs(stock, 12.0) {
                assert_eq!(o.lower, o.lower_packs * 12.0);
                assert_eq!(o.upper, o.upper_packs * 12.0);
                assert!(o.lower < stock && stock < o.upper && o.upper - o.lower == 12.0);
            }
        }
    }
}

//! Changing a draft and receiving a PO, the pure part: a new quantity in
//! whole packs, a line worked out again, a receipt checked against what
//! was ordered. The store (`store/editing.rs`) applies them under the
//! PO's row lock.

use super::draft::MAX_LINE_CENTS;
use super::{cents_text, LineFigures, PoLine};
use crate::plan::numbers::{fmt_qty, fmt_units, round_qty};
use crate::plan::packs::{not_whole, whole_packs, Typed};

/// The unit a quantity typed for a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QtyUnit {
    /// The supplier's unit (boxes, rolls): whole numbers.
    #[default]
    Purchase,
    /// The stock unit (pieces, metres): whole packs of them.
    Stock,
}

impl QtyUnit {
    pub fn parse(s: &str) -> Option<QtyUnit> {
        match s.trim().to_ascii_lowercase().as_str() {
            "purchase" => Some(QtyUnit::Purchase),
            "stock" => Some(QtyUnit::Stock),
            _ => None,
        }
    }
}

/// The purchase quantity `qty` (in `unit`) stands for on `line`, or why it
/// cannot be ordered, offering the nearest whole packs ("700 pieces is
/// 58.33 boxes: order 696 (58 boxes) or 708 (59 boxes)").
pub fn whole_purchase_qty(line: &PoLine, qty: f64, unit: QtyUnit) -> Result<f64, String> {
    let purchase_uom = line.purchase_uom.as_deref().or(Some("purchase units"));
    let stock_uom = line.stock_uom.as_deref();
    let written = match unit {
        QtyUnit::Purchase => fmt_units(qty, purchase_uom),
        QtyUnit::Stock => fmt_units(qty, stock_uom),
    };
    if !qty.is_finite() {
        return Err(format!("{written} is not a quantity"));
    }
    if qty <= 0.0 {
        return Err(format!(
            "{written}: a line orders more than 0; remove the line instead (--remove {})",
            line.line_no
        ));
    }
    let pack = if line.pack > 0.0 { line.pack } else { 1.0 };
    let stock = match unit {
        QtyUnit::Purchase => qty * pack,
        QtyUnit::Stock => qty,
    };
    whole_packs(stock, pack).map_err(|offers| {
        not_whole(
            Typed {
                qty,
                in_stock: unit == QtyUnit::Stock,
                stock_uom,
                purchase_uom: purchase_uom.unwrap_or("purchase units"),
                zero: false,
            },
            &offers,
        )
    })
}

/// `line` ordering `qty_purchase` instead: its stock quantity and amount
/// worked out again as drafting works them out (`LineFigures`).
pub fn with_quantity(line: &PoLine, qty_purchase: f64) -> Result<PoLine, String> {
    let figures = LineFigures::new(qty_purchase, line.pack, line.stock_unit_price)
        .and_then(|f| Some((f, f.amount_cents()?)))
        .filter(|(_, cents)| (0..=MAX_LINE_CENTS).contains(cents));
    let Some((f, amount_cents)) = figures else {
        return Err(format!(
            "line {}: {} x {} is out of range",
            line.line_no,
            fmt_qty(qty_purchase),
            line.stock_unit_price
        ));
    };
    Ok(PoLine {
        qty_purchase,
        qty_stock: f.stock_quantity.to_f64(),
        amount_cents,
        ..line.clone()
    })
}

/// "line 2 PROD-002: 50 -> 40 box (600 -> 480 pieces), 9300.00 -> 7440.00"
/// (the audit's before -> after of a line).
pub fn line_change(before: &PoLine, after: &PoLine) -> String {
    format!(
        "line {} {}: {} -> {} ({} -> {}), {} -> {}",
        before.line_no,
        crate::text::printable(&before.product_id),
        fmt_qty(before.qty_purchase),
        fmt_units(after.qty_purchase, after.purchase_uom.as_deref()),
        fmt_qty(before.qty_stock),
        fmt_units(after.qty_stock, after.stock_uom.as_deref()),
        cents_text(before.amount_cents),
        cents_text(after.amount_cents)
    )
}

/// What is still on order of a line, in purchase units.
pub fn outstanding(line: &PoLine) -> f64 {
    round_qty((line.qty_purchase - line.qty_received).max(0.0))
}

/// The received quantities after `receipts` (line number, purchase units;
/// a line may come more than once): (line number, received before, after)
/// per line received, or why not (a line the PO does not have, a quantity
/// not above 0, more than was ordered).
pub fn apply_receipts(
    number: &str,
    lines: &[PoLine],
    receipts: &[(u32, f64)],
) -> Result<Vec<(u32, f64, f64)>, String> {
    let mut out: Vec<(u32, f64, f64)> = Vec::new();
    for &(line_no, qty) in receipts {
        let Some(line) = lines.iter().find(|l| l.line_no == line_no) else {
            let have: Vec<String> = lines.iter().map(|l| l.line_no.to_string()).collect();
            return Err(format!(
                "{number} has no line {line_no} (its lines: {})",
                have.join(", ")
            ));
        };
        if !(qty.is_finite() && qty > 0.0) {
            return Err(format!(
                "{number} line {line_no}: a receipt is a quantity above 0, not {}",
                fmt_qty(qty)
            ));
        }
        let i = match out.iter().position(|(n, _, _)| *n == line_no) {
            Some(i) => i,
            None => {
                out.push((line_no, line.qty_received, line.qty_received));
                out.len() - 1
            }
        };
        let after = round_qty(out[i].2 + qty);
        if after > line.qty_purchase + 1e-6 {
            let uom = line.purchase_uom.as_deref();
            return Err(format!(
                "{number} line {line_no} ({}): {} ordered, {} received already; receiving {} more would be {}, over what was ordered (at most {} more)",
                crate::text::printable(&line.product_id),
                fmt_units(line.qty_purchase, uom),
                fmt_qty(out[i].1),
                fmt_qty(round_qty(after - out[i].1)),
                fmt_qty(after),
                fmt_units(outstanding(line), uom)
            ));
        }
        out[i].2 = after;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes() -> PoLine {
        crate::orders::document::tests::po_with("Widget", "ABC Supplies Co.").lines[0].clone()
    }

    #[test]
    fn a_quantity_must_be_whole_packs_in_either_unit_offering_the_nearest() {
        let l = boxes(); // 50 boxes of 12 pieces at 15.50 a piece
        assert_eq!(whole_purchase_qty(&l, 59.0, QtyUnit::Purchase), Ok(59.0));
        assert_eq!(whole_purchase_qty(&l, 708.0, QtyUnit::Stock), Ok(59.0));
        let e = whole_purchase_qty(&l, 700.0, QtyUnit::Stock).unwrap_err();
        // The fixture's purchase unit is "@box".
        assert_eq!(
            e, "700 pieces is 58.33 @box: order 696 (58 @box) or 708 (59 @box)",
            "{e}"
        );
        let e = whole_purchase_qty(&l, 58.5, QtyUnit::Purchase).unwrap_err();
        assert!(
            e.contains("(696 pieces) or 59") && e.contains("(708 pieces)"),
            "{e}"
        );
        let e = whole_purchase_qty(&l, 0.0, QtyUnit::Purchase).unwrap_err();
        assert!(e.contains("remove the line instead (--remove 1)"), "{e}");
        assert!(whole_purchase_qty(&l, f64::NAN, QtyUnit::Purchase).is_err());
        // Below one pack: only the one pack is offered.
        let e = whole_purchase_qty(&l, 5.0, QtyUnit::Stock).unwrap_err();
        assert!(
            e.starts_with("5 pieces is 0.42") && e.contains(": order 12 (1 "),
            "{e}"
        );
    }

    #[test]
    fn a_new_quantity_multiplies_out_as_drafting_does() {
        let l = boxes();
        let n = with_quantity(&l, 40.0).unwrap();
        // 40 boxes x (12 x 15.50) = 7,440.00; 480 pieces.
        assert_eq!(n.amount_cents, 40 * 12 * 1550);
        assert_eq!(n.qty_stock, 480.0);
        assert_eq!(
            line_change(&l, &n),
            "line 1 PROD-001: 50 -> 40 @box (600 -> 480 pieces), 9300.00 -> 7440.00"
        );
    }

    #[test]
    fn receipts_add_up_per_line_and_never_pass_what_was_ordered() {
        let mut l = boxes();
        l.qty_received = 10.0;
        let lines = [l];
        assert_eq!(
            apply_receipts("PO-000001", &lines, &[(1, 15.0), (1, 5.0)]),
            Ok(vec![(1, 10.0, 30.0)])
        );
        let e = apply_receipts("PO-000001", &lines, &[(1, 30.0), (1, 11.0)]).unwrap_err();
        assert!(
            e.contains("50 @box ordered, 10 received already; receiving 41 more would be 51, over what was ordered (at most 40 @box more)"),
            "{e}"
        );
        let e = apply_receipts("PO-000001", &lines, &[(3, 1.0)]).unwrap_err();
        assert_eq!(e, "PO-000001 has no line 3 (its lines: 1)");
        assert!(apply_receipts("PO-000001", &lines, &[(1, -1.0)]).is_err());
        assert_eq!(outstanding(&lines[0]), 40.0);
    }
}

//! What a supplier receives: the PO as JSON (the file channel's `.json` and
//! the http channel's body) and as CSV (one row per line). Made from the
//! stored PO only, so a re-send carries the same document.
//!
//! Every line states quantity, unit and unit price in the same unit, the
//! PURCHASE unit (15898 gallon at 11.29455 a gallon = 179,560.76); the
//! stock-unit figures follow, labelled as such (`stock_quantity`,
//! `stock_unit`, `stock_unit_price`), with the pack size between the two.
//! The figures are exact decimals (see `LineFigures`), so `quantity x
//! unit_price = amount` and `stock_quantity x stock_unit_price = amount` to
//! the cent, and the lines add up to `total`.

use serde_json::{json, Value};

use super::{cents_text, printable, Exact, PoLine, PurchaseOrder};
use crate::plan::numbers::round_qty;

/// How a document's prices read, stated in the JSON document itself.
pub const PRICE_BASIS: &str = "quantity and unit_price are per unit (the purchase unit); \
     amount = quantity x unit_price, rounded to the cent; stock_quantity = quantity x \
     pack_size, in stock_unit, at stock_unit_price per stock_unit";

/// A line's figures as the documents print them: the same text in the
/// JSON, the CSV, `po show` and on the PO screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineText {
    /// Purchase units (whole).
    pub quantity: String,
    /// Per purchase unit, every decimal it has (at least 2: "186.00").
    pub unit_price: String,
    /// The stored amount (2 decimals).
    pub amount: String,
    /// Stock units per purchase unit.
    pub pack: String,
    pub stock_quantity: String,
    /// Per stock unit, as the source holds it (at least 2 decimals).
    pub stock_unit_price: String,
}

/// The text of `l`'s figures (see `LineText`).
pub fn line_text(l: &PoLine) -> LineText {
    let plain =
        |v: f64| Exact::from_f64(round_qty(v)).map_or_else(|| v.to_string(), |e| e.to_string());
    match l.figures() {
        Some(f) => LineText {
            quantity: f.quantity.to_string(),
            unit_price: f.unit_price.text_min_decimals(2),
            amount: cents_text(l.amount_cents),
            pack: f.pack.to_string(),
            stock_quantity: f.stock_quantity.to_string(),
            stock_unit_price: f.stock_unit_price.text_min_decimals(2),
        },
        // A stored line with figures out of range: as stored.
        None => LineText {
            quantity: plain(l.qty_purchase),
            unit_price: l.unit_price().text_min_decimals(2),
            amount: cents_text(l.amount_cents),
            pack: l.pack.to_string(),
            stock_quantity: plain(l.qty_stock),
            stock_unit_price: l.stock_unit_price.to_string(),
        },
    }
}

/// A decimal text as a JSON number: integers as integers, the rest as
/// the nearest `f64` (whose shortest form is the same text).
fn number(text: &str) -> Value {
    text.parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The PO as the supplier's JSON document.
pub fn json_document(po: &PurchaseOrder) -> Value {
    let lines: Vec<Value> = po
        .lines
        .iter()
        .map(|l| {
            let t = line_text(l);
            json!({
                "line": l.line_no,
                "product_id": l.product_id,
                "description": l.product_name,
                "quantity": number(&t.quantity),
                "unit": l.purchase_uom,
                "unit_price": number(&t.unit_price),
                "amount": number(&t.amount),
                "pack_size": number(&t.pack),
                "stock_quantity": number(&t.stock_quantity),
                "stock_unit": l.stock_uom,
                "stock_unit_price": number(&t.stock_unit_price),
                "expected_delivery": l.expected_delivery,
            })
        })
        .collect();
    json!({
        "po_number": po.po_number,
        "idempotency_key": po.send_key,
        "supplier": {"id": po.supplier_id, "name": po.supplier_name},
        "buyer": po.buyer,
        "created_at": po.created_at,
        "approved_by": po.approved_by,
        "approved_at": po.approved_at,
        "currency": po.currency,
        "expected_delivery": po.expected_delivery,
        "price_basis": PRICE_BASIS,
        "lines": lines,
        "total": number(&cents_text(po.total_cents)),
    })
}

/// The JSON document as bytes (pretty, with a final newline).
pub fn json_bytes(po: &PurchaseOrder) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(&json_document(po)).expect("a JSON value serializes");
    v.push(b'\n');
    v
}

/// The CSV's columns: the purchase-unit figures first, then the stock-unit
/// ones.
pub const CSV_HEADER: [&str; 15] = [
    "po_number",
    "line",
    "supplier",
    "product_id",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "currency",
    "pack_size",
    "stock_quantity",
    "stock_unit",
    "stock_unit_price",
    "expected_delivery",
];

/// The PO as CSV: a header row, then one row per line, the same figures as
/// the JSON; every cell made safe (`crate::text::csv_cell`: control
/// characters escaped, a text a spreadsheet would run as a formula kept as
/// text).
pub fn csv_bytes(po: &PurchaseOrder) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    let text = |t: Option<&str>| t.unwrap_or("").to_string();
    for l in &po.lines {
        let t = line_text(l);
        crate::text::write_csv_record(
            &mut w,
            [
                text(Some(&po.po_number)),
                l.line_no.to_string(),
                text(Some(&po.supplier_name)),
                text(Some(&l.product_id)),
                text(l.product_name.as_deref()),
                t.quantity,
                text(l.purchase_uom.as_deref()),
                t.unit_price,
                t.amount,
                text(Some(&po.currency)),
                t.pack,
                t.stock_quantity,
                text(l.stock_uom.as_deref()),
                t.stock_unit_price,
                text(Some(&l.expected_delivery)),
            ],
        )?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// A quantity with its unit for people: every digit, thousands grouped,
/// the unit's word agreeing with the number ("15,898 gallons", "1 box",
/// "4,200.2516 liters"), the unit's text escaped.
pub fn units_text(quantity: Exact, unit: Option<&str>) -> String {
    let unit = unit
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .unwrap_or("units");
    let word = crate::plan::numbers::unit_word(quantity.to_f64(), unit);
    format!("{} {}", quantity.grouped(0), printable(&word))
}

/// A line's figures as people read them, on the screen's PO and in `po
/// show`: quantities with their units, money with thousands separators,
/// prices with every decimal they have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineWords {
    /// "20 boxes": purchase units.
    pub quantity: String,
    /// Per purchase unit.
    pub unit_price: String,
    pub amount: String,
    /// "240 pieces": the same quantity in stock units.
    pub stock_quantity: String,
    /// Per stock unit.
    pub stock_unit_price: String,
}

/// `l`'s figures in words (see `LineWords`), made from `line_text`.
pub fn line_words(l: &PoLine) -> LineWords {
    let t = line_text(l);
    let exact = |s: &str| Exact::parse(s).unwrap_or(Exact::ZERO);
    let money = |s: &str| Exact::parse(s).map_or_else(|| s.to_string(), |e| e.grouped(2));
    LineWords {
        quantity: units_text(exact(&t.quantity), l.purchase_uom.as_deref()),
        unit_price: money(&t.unit_price),
        amount: money(&t.amount),
        stock_quantity: units_text(exact(&t.stock_quantity), l.stock_uom.as_deref()),
        stock_unit_price: money(&t.stock_unit_price),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::orders::{PoLine, PoStatus};

    pub(crate) fn po_with(name: &str, supplier: &str) -> PurchaseOrder {
        let line = PoLine {
            line_no: 1,
            product_id: "PROD-001".into(),
            product_name: Some(name.into()),
            qty_stock: 600.0,
            stock_uom: Some("pieces".into()),
            qty_purchase: 50.0,
            purchase_uom: Some("@box".into()),
            pack: 12.0,
            stock_unit_price: 15.5,
            amount_cents: 930_000,
            lead_time_days: 7.0,
            expected_delivery: "2026-12-12".into(),
            suggested_qty: 600.0,
            overridden: false,
            requires_approval: false,
            qty_received: 0.0,
        };
        PurchaseOrder {
            po_number: "PO-000001".into(),
            send_key: "PO-000001-7QK2M9XA3B".into(),
            supplier_id: None,
            supplier_name: supplier.into(),
            currency: "USD".into(),
            total_cents: 930_000,
            status: PoStatus::Approved,
            approval_reason: None,
            buyer: "buyer".into(),
            created_at: "2026-12-05T08:00:00Z".into(),
            expected_delivery: "2026-12-12".into(),
            approved_by: None,
            approved_at: None,
            sent_at: None,
            confirmation: None,
            last_error: None,
            claim: None,
            claimed_at: None,
            updated_at: "2026-12-05T08:00:00Z".into(),
            line_count: 1,
            note: None,
            lines: vec![line],
        }
    }

    #[test]
    fn the_supplier_csv_keeps_formulas_and_control_characters_as_text() {
        let po = po_with(
            "=HYPERLINK(\"http://evil\")\u{1b}[2J",
            "+Evil Supplies\r\nx",
        );
        let bytes = csv_bytes(&po).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        let mut reader = csv::Reader::from_reader(&bytes[..]);
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[2], "'+Evil Supplies\\u{d}\\u{a}x");
        assert_eq!(&row[4], "'=HYPERLINK(\"http://evil\")\\u{1b}[2J");
        assert_eq!(&row[6], "'@box");
        // The figures are untouched: 50 x 186 = 9,300.00.
        assert_eq!((&row[5], &row[7], &row[8]), ("50", "186.00", "9300.00"));
    }
}

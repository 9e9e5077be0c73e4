//! What a supplier receives: the PO as JSON (the file channel's `.json` and
//! the http channel's body) and as CSV (one row per line). Made from the
//! stored PO only, so a re-send carries the same document.

use serde_json::{json, Value};

use super::{cents_text, PurchaseOrder};
use crate::plan::numbers::{round_money, round_qty};

fn money(cents: i64) -> Value {
    // Two decimals as a JSON number, without float noise.
    cents_text(cents)
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn qty(v: f64) -> Value {
    json!(round_qty(v))
}

/// The PO as the supplier's JSON document.
pub fn json_document(po: &PurchaseOrder) -> Value {
    let lines: Vec<Value> = po
        .lines
        .iter()
        .map(|l| {
            json!({
                "line": l.line_no,
                "product_id": l.product_id,
                "description": l.product_name,
                "quantity": qty(l.qty_purchase),
                "unit": l.purchase_uom,
                "stock_quantity": qty(l.qty_stock),
                "stock_unit": l.stock_uom,
                "pack_size": qty(l.pack),
                "unit_price": l.unit_price,
                "price_per_unit": round_money(l.unit_price * l.pack),
                "amount": money(l.amount_cents),
                "expected_delivery": l.expected_delivery,
            })
        })
        .collect();
    json!({
        "po_number": po.po_number,
        "supplier": {"id": po.supplier_id, "name": po.supplier_name},
        "buyer": po.buyer,
        "created_at": po.created_at,
        "approved_by": po.approved_by,
        "approved_at": po.approved_at,
        "currency": po.currency,
        "expected_delivery": po.expected_delivery,
        "lines": lines,
        "total": money(po.total_cents),
    })
}

/// The JSON document as bytes (pretty, with a final newline).
pub fn json_bytes(po: &PurchaseOrder) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(&json_document(po)).expect("a JSON value serializes");
    v.push(b'\n');
    v
}

/// The PO as CSV: a header row, then one row per line.
pub fn csv_bytes(po: &PurchaseOrder) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "po_number",
        "line",
        "supplier",
        "product_id",
        "description",
        "quantity",
        "unit",
        "stock_quantity",
        "stock_unit",
        "unit_price",
        "currency",
        "amount",
        "expected_delivery",
    ])?;
    for l in &po.lines {
        w.write_record([
            po.po_number.as_str(),
            &l.line_no.to_string(),
            po.supplier_name.as_str(),
            l.product_id.as_str(),
            l.product_name.as_deref().unwrap_or(""),
            &round_qty(l.qty_purchase).to_string(),
            l.purchase_uom.as_deref().unwrap_or(""),
            &round_qty(l.qty_stock).to_string(),
            l.stock_uom.as_deref().unwrap_or(""),
            &l.unit_price.to_string(),
            po.currency.as_str(),
            &cents_text(l.amount_cents),
            l.expected_delivery.as_str(),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

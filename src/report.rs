//! Plan output for people and programs: an aligned table, JSON, CSV.

use std::io::Write;

use anyhow::Result;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use crate::plan::numbers::{fmt_money, fmt_qty, round_money, round_qty};
use crate::plan::ProductPlan;

/// The JSON array, one object per product, rationale included.
/// Written as it is produced: the rationale of 100,000 products is some
/// 500 MB of JSON, never held in memory whole.
pub fn write_json(plans: &[ProductPlan], out: impl std::io::Write) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, plans)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

const CSV_HEADER: &[&str] = &[
    "product_id",
    "product_name",
    "supplier_id",
    "supplier_name",
    "avg_daily_demand",
    "available_qty",
    "on_order_qty",
    "inventory_position",
    "days_of_cover",
    "lead_time_days",
    "target_qty",
    "net_requirement",
    "order_qty",
    "stock_uom",
    "purchase_qty",
    "purchase_uom",
    "unit_price",
    "currency",
    "amount",
    "requires_approval",
    "exceptions",
];

/// CSV, one row per product, exceptions joined with ';'.
pub fn write_csv(plans: &[ProductPlan], out: impl std::io::Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER)?;
    let q = |v: Option<f64>| v.map(|x| round_qty(x).to_string()).unwrap_or_default();
    for p in plans {
        let codes: Vec<&str> = p.exceptions.iter().map(|c| c.as_str()).collect();
        w.write_record([
            p.product_id.clone(),
            p.product_name.clone().unwrap_or_default(),
            p.supplier_id.clone().unwrap_or_default(),
            p.supplier_name.clone().unwrap_or_default(),
            q(p.avg_daily_demand),
            q(p.available_qty),
            q(p.on_order_qty),
            q(p.inventory_position),
            q(p.days_of_cover),
            q(p.lead_time_days),
            q(p.target_qty),
            q(p.net_requirement),
            round_qty(p.order_qty).to_string(),
            p.stock_uom.clone().unwrap_or_default(),
            round_qty(p.purchase_qty).to_string(),
            p.purchase_uom.clone().unwrap_or_default(),
            p.unit_price
                .map(|v| format!("{:.2}", round_money(v)))
                .unwrap_or_default(),
            p.currency.clone().unwrap_or_default(),
            format!("{:.2}", round_money(p.amount)),
            p.requires_approval.to_string(),
            codes.join(";"),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The table for people: aligned columns, products that need an order or
/// have exceptions first (the caller sorts).
pub fn table(plans: &[ProductPlan]) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header([
        "Product",
        "Name",
        "Supplier",
        "Demand/d",
        "Avail",
        "On order",
        "Cover d",
        "Order qty",
        "Purchase",
        "Amount",
        "Appr",
        "Exceptions",
    ]);
    let dash = || "-".to_string();
    for p in plans {
        let codes: Vec<&str> = p.exceptions.iter().map(|c| c.as_str()).collect();
        t.add_row([
            p.product_id.clone(),
            p.product_name.clone().unwrap_or_default(),
            p.supplier_name.clone().unwrap_or_else(dash),
            p.avg_daily_demand.map(fmt_qty).unwrap_or_else(dash),
            p.available_qty.map(fmt_qty).unwrap_or_else(dash),
            p.on_order_qty.map(fmt_qty).unwrap_or_else(dash),
            p.days_of_cover
                .map(|c| format!("{c:.1}"))
                .unwrap_or_else(dash),
            fmt_qty(p.order_qty),
            if p.purchase_qty > 0.0 {
                format!(
                    "{} {}",
                    fmt_qty(p.purchase_qty),
                    p.purchase_uom.as_deref().unwrap_or("")
                )
            } else {
                "0".into()
            },
            fmt_money(p.amount),
            if p.requires_approval {
                "yes".into()
            } else {
                String::new()
            },
            codes.join(" "),
        ]);
    }
    for i in [3, 4, 5, 6, 7, 8, 9] {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t.to_string()
}

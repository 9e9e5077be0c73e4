//! Plan output for people and programs: an aligned table, JSON, CSV; and
//! the dry run of candidate rules as a table or JSON.

use std::io::Write;

use anyhow::Result;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use crate::plan::numbers::{fmt_money, fmt_qty, fmt_qty_short, round_money, round_qty};
use crate::plan::ProductPlan;
use crate::rules::dryrun::{DryRun, Figure, ProductChange};

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
            p.product_id.to_string(),
            text(&p.product_name),
            text(&p.supplier_id),
            text(&p.supplier_name),
            q(p.avg_daily_demand.get()),
            q(p.available_qty.get()),
            q(p.on_order_qty.get()),
            q(p.inventory_position.get()),
            q(p.days_of_cover.get()),
            q(p.lead_time_days.get()),
            q(p.target_qty.get()),
            q(p.net_requirement.get()),
            round_qty(p.order_qty).to_string(),
            text(&p.stock_uom),
            round_qty(p.purchase_qty).to_string(),
            text(&p.purchase_uom),
            p.unit_price
                .map(|v| format!("{:.2}", round_money(v)))
                .unwrap_or_default(),
            text(&p.currency),
            format!("{:.2}", round_money(p.amount)),
            p.requires_approval.to_string(),
            codes.join(";"),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// A text column, empty when unknown.
fn text(v: &Option<std::sync::Arc<str>>) -> String {
    v.as_deref().unwrap_or_default().to_string()
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
            p.product_id.to_string(),
            text(&p.product_name),
            p.supplier_name.as_deref().map_or_else(dash, str::to_string),
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

/// The dry run as JSON: summary, failures per rule, and each changed
/// product old -> new with the candidate's rationale. Written as it is
/// produced.
pub fn write_dry_run_json(dry_run: &DryRun, out: impl std::io::Write) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, dry_run)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn plural(n: usize, what: &str) -> String {
    format!(
        "{} {what}{}",
        fmt_qty_short(n as f64),
        if n == 1 { "" } else { "s" }
    )
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `old -> new` when they differ, else the value once.
fn old_new(changed: bool, old: String, new: String) -> String {
    if changed {
        format!("{old} -> {new}")
    } else {
        new
    }
}

/// The dry run for people: a summary block, the candidate's failures per
/// rule, then one line per changed product (each figure old -> new where
/// it changed, as it is where it did not; exception codes added `+` and
/// removed `-`). With `why`, the candidate's rationale under each product.
pub fn dry_run_table(d: &DryRun, why: bool) -> String {
    use std::fmt::Write as _;
    let s = &d.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Dry run of {} against {}: {}",
        s.candidate,
        s.in_force,
        plural(s.products, "product")
    );
    let changed = if s.changed == 0 {
        "none".to_string()
    } else {
        format!(
            "{} (quantity {}, approval {}, exceptions {}, amount {})",
            plural(s.changed, "product"),
            fmt_qty_short(s.quantity_changed as f64),
            fmt_qty_short(s.approval_changed as f64),
            fmt_qty_short(s.exceptions_changed as f64),
            fmt_qty_short(s.amount_changed as f64)
        )
    };
    let counts =
        |a: usize, b: usize| format!("{} -> {}", fmt_qty_short(a as f64), fmt_qty_short(b as f64));
    let difference = round_money(s.amount_after - s.amount_before);
    let failures = if d.failures.is_empty() {
        "none".to_string()
    } else {
        format!(
            "{} on {}",
            plural(d.failures.len(), "rule"),
            plural(s.failed_products, "product")
        )
    };
    for (label, value) in [
        ("Changed", changed),
        ("Orders", counts(s.orders_before, s.orders_after)),
        (
            "Requires approval",
            counts(s.approvals_before, s.approvals_after),
        ),
        (
            "Total amount",
            format!(
                "{} -> {} ({}{})",
                fmt_money(s.amount_before),
                fmt_money(s.amount_after),
                if difference < 0.0 { "" } else { "+" },
                fmt_money(difference)
            ),
        ),
        ("Rule failures", failures),
    ] {
        let _ = writeln!(out, "{:<19}{value}", format!("{label}:"));
    }
    for f in &d.failures {
        let kind = f.kind.label();
        let rule = match &f.rule {
            Some(r) => format!("rule \"{r}\""),
            None => "no single rule".to_string(),
        };
        let which = if f.count > f.products.len() {
            "first "
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {rule} ({kind}) on {}: {which}{}\n    {}",
            plural(f.count, "product"),
            f.products.join(", "),
            f.message
        );
    }
    if d.changes.is_empty() {
        return out;
    }
    out.push('\n');
    let header = [
        "Product",
        "Name",
        "Order qty",
        "Purchase",
        "Amount",
        "Approval",
        "Exceptions",
    ];
    let rows: Vec<[String; 7]> = d.changes.iter().map(change_row).collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Figures right-aligned, words left-aligned; no trailing spaces.
    let line = |cells: [&str; 7]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            if (2..=4).contains(&i) {
                let _ = write!(l, "{cell:>w$}");
            } else {
                let _ = write!(l, "{cell:<w$}");
            }
        }
        l.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header));
    for (row, change) in rows.iter().zip(&d.changes) {
        let _ = writeln!(out, "{}", line(row.each_ref().map(String::as_str)));
        if why {
            for (n, step) in change.rationale.steps().iter().enumerate() {
                let _ = writeln!(out, "    {:>2}. {}", n + 1, step.text());
            }
        }
    }
    out
}

fn change_row(c: &ProductChange) -> [String; 7] {
    let (old, new) = (&c.before, &c.after);
    let purchase = |qty: f64| {
        if qty > 0.0 {
            match c.purchase_uom.as_deref() {
                Some(uom) => format!("{} {uom}", fmt_qty(qty)),
                None => fmt_qty(qty),
            }
        } else {
            "0".to_string()
        }
    };
    let (added, removed) = c.exceptions_added_removed();
    let exceptions: Vec<String> = (added.iter().map(|e| format!("+{e}")))
        .chain(removed.iter().map(|e| format!("-{e}")))
        .collect();
    [
        c.product_id.clone(),
        c.product_name.clone().unwrap_or_default(),
        old_new(
            c.has(Figure::OrderQty),
            fmt_qty(old.order_qty),
            fmt_qty(new.order_qty),
        ),
        old_new(
            c.has(Figure::PurchaseQty),
            purchase(old.purchase_qty),
            purchase(new.purchase_qty),
        ),
        old_new(
            c.has(Figure::Amount),
            fmt_money(old.amount),
            fmt_money(new.amount),
        ),
        old_new(
            c.has(Figure::RequiresApproval),
            yes_no(old.requires_approval).into(),
            yes_no(new.requires_approval).into(),
        ),
        exceptions.join(" "),
    ]
}

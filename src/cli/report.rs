//! Plan output for people and programs: an aligned table, JSON, CSV; and
//! the dry run of candidate rules as a table or JSON.

use std::io::Write;

use anyhow::Result;
pub mod fit;

use crate::plan::numbers::purchase_text;
use crate::plan::numbers::{fmt_money, fmt_qty, fmt_qty_short, round_money, round_qty};
use crate::plan::ProductPlan;
use crate::rules::dryrun::{DryRun, Figure, ProductChange};
pub use fit::{Column, Fit, Table};

/// The JSON array, one object per product, rationale included.
/// Written as it is produced: the rationale of 100,000 products is some
/// 500 MB of JSON, never held in memory whole.
pub fn write_json(plans: &[ProductPlan], out: impl std::io::Write) -> Result<()> {
    use serde::Serializer as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut json = serde_json::Serializer::pretty(&mut out);
    json.collect_seq(plans.iter().map(PlanJson::of))?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// A plan as JSON: its fields, and what an order of the buyer's quantity
/// takes in purchase units and money (`null` without an override), as the
/// screen's row shows it.
#[derive(serde::Serialize)]
struct PlanJson<'a> {
    #[serde(flatten)]
    plan: &'a ProductPlan,
    override_purchase_qty: Option<f64>,
    override_amount: Option<f64>,
}

impl<'a> PlanJson<'a> {
    fn of(plan: &'a ProductPlan) -> PlanJson<'a> {
        let (_, purchase, amount) = plan.ordered();
        let overridden = plan.override_qty.is_some();
        PlanJson {
            plan,
            override_purchase_qty: overridden.then_some(round_qty(purchase)),
            override_amount: overridden.then_some(round_money(amount)),
        }
    }
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
    "override_qty",
    "override_purchase_qty",
    "override_amount",
    "demand_rate",
    "safety_stock_used",
    "forecast_status",
    "demand_class",
    "forecast_method",
    "abc_class",
    "xyz_class",
];

/// CSV, one row per product, exceptions joined with ';'.
pub fn write_csv(plans: &[ProductPlan], out: impl std::io::Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER)?;
    let q = |v: Option<f64>| v.map(|x| round_qty(x).to_string()).unwrap_or_default();
    for p in plans {
        let codes: Vec<&str> = p.exceptions.iter().map(|c| c.as_str()).collect();
        let forecast = p.forecast.as_deref();
        // Every cell made safe for a spreadsheet (`crate::text::csv_cell`).
        crate::text::write_csv_record(
            &mut w,
            [
                fit::printable(&p.product_id).into_owned(),
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
                // The buyer's quantity and what it takes; empty without.
                q(p.override_qty.get()),
                q(p.override_qty.get().map(|_| p.ordered().1)),
                p.override_qty
                    .get()
                    .map(|_| format!("{:.2}", round_money(p.ordered().2)))
                    .unwrap_or_default(),
                q(p.demand_rate.get()),
                q(p.safety_stock_used.get()),
                forecast
                    .map(|f| f.status.as_str())
                    .unwrap_or_default()
                    .into(),
                forecast.map(|f| f.class).unwrap_or_default().into(),
                forecast.map(|f| f.method).unwrap_or_default().into(),
                forecast
                    .and_then(|f| f.abc_class)
                    .unwrap_or_default()
                    .into(),
                forecast
                    .and_then(|f| f.xyz_class)
                    .unwrap_or_default()
                    .into(),
            ],
        )?;
    }
    w.flush()?;
    Ok(())
}

/// A text column, empty when unknown, made printable (`crate::text::printable`): a
/// control character in a cell would reach the terminal or spreadsheet that
/// shows it.
fn text(v: &Option<std::sync::Arc<str>>) -> String {
    fit::printable(v.as_deref().unwrap_or_default()).into_owned()
}

/// The table for people: products that need an order or have exceptions
/// first (the caller sorts). Without a width, every column on one line
/// per product; with one, columns are left out by `PLAN_COLUMNS`' ranks
/// (said in a line at the end), names shortened and exception codes
/// wrapped, never an id or a figure cut. Amounts carry their currency
/// when the list holds more than one (`default_currency` for a supplier
/// that names none).
pub fn table(plans: &[ProductPlan], fit: &Fit, default_currency: &str) -> String {
    let mut t = Table::new(plan_columns());
    let currency = |p: &ProductPlan| -> Option<String> {
        match p.currency.as_deref() {
            Some(c) => Some(c.to_string()),
            None => (p.amount != 0.0).then(|| default_currency.to_string()),
        }
    };
    let mut currencies: Vec<String> = plans.iter().filter_map(currency).collect();
    currencies.sort();
    currencies.dedup();
    let mixed = currencies.len() > 1;
    let code_width = currencies
        .iter()
        .map(|c| fit::width_of(c))
        .max()
        .unwrap_or(0);
    let dash = || "-".to_string();
    for p in plans {
        let codes: Vec<&str> = p.exceptions.iter().map(|c| c.as_str()).collect();
        // The buyer's quantity where there is one, beside the suggestion
        // ("600 -> 708"), and what it takes, as the screen's row.
        let (ordered, purchase, ordered_amount) = p.ordered();
        let amount = if mixed {
            let code = currency(p).unwrap_or_default();
            format!("{} {code:<code_width$}", fmt_money(ordered_amount))
        } else {
            fmt_money(ordered_amount)
        };
        let order = match p.override_qty.get() {
            Some(_) => format!("{} -> {}", fmt_qty(p.order_qty), fmt_qty(ordered)),
            None => fmt_qty(p.order_qty),
        };
        t.row(vec![
            p.product_id.to_string(),
            text(&p.product_name),
            p.supplier_name.as_deref().map_or_else(dash, str::to_string),
            // The demand the plan stands on (the forecast where the rules
            // used it): the one Cover d divides by.
            p.demand_per_day().map(fmt_qty).unwrap_or_else(dash),
            forecast_class(p),
            forecast_method(p),
            p.available_qty.map(fmt_qty).unwrap_or_else(dash),
            p.on_order_qty.map(fmt_qty).unwrap_or_else(dash),
            p.days_of_cover
                .map(|c| format!("{c:.1}"))
                .unwrap_or_else(dash),
            order,
            purchase_text(purchase, p.purchase_uom.as_deref()),
            amount,
            if p.requires_approval {
                "yes".into()
            } else {
                String::new()
            },
            codes.join(" "),
        ]);
    }
    let rendered = t.render(fit);
    let mut out = rendered.text.clone();
    out.push_str(&rendered.dropped_note(fit));
    out
}

/// The table's demand class: the class and ABC class of a forecast the
/// plan used ("smooth A"), or why none was ("short", "not ready"); "-"
/// without daily history.
fn forecast_class(p: &ProductPlan) -> String {
    use crate::plan::demand::ForecastStatus::*;
    let Some(f) = p.forecast.as_deref() else {
        return "-".into();
    };
    let class = match f.status {
        None => return "-".into(),
        NotReady => "not ready",
        Short => "short",
        Current | Stale => f.class,
    };
    match f.abc_class {
        Some(abc) => format!("{class} {abc}"),
        Option::None => class.to_string(),
    }
}

/// The table's forecast method ("ets", "croston_sba"; "-" without one).
fn forecast_method(p: &ProductPlan) -> String {
    match p.forecast.as_deref() {
        Some(f) if f.status.uses_forecast() => f.method.to_string(),
        _ => "-".into(),
    }
}

/// The plan table's columns. On a narrow terminal they are left out in
/// this order: Method, Class, On order, Supplier, Cover d, Avail, Demand/d, Name,
/// Purchase, Appr; Product, Order qty, Amount and Exceptions always show.
pub fn plan_columns() -> Vec<Column> {
    use fit::{Align::*, Cut::*};
    vec![
        Column::new("Product", Left, Never, 0),
        Column::new("Name", Left, Ellipsis(18), 4),
        Column::new("Supplier", Left, Ellipsis(12), 8),
        Column::new("Demand/d", Right, Never, 5),
        Column::new("Class", Left, Never, 10),
        Column::new("Method", Left, Never, 11),
        Column::new("Avail", Right, Never, 6),
        Column::new("On order", Right, Never, 9),
        Column::new("Cover d", Right, Never, 7),
        Column::new("Order qty", Right, Never, 0),
        Column::new("Purchase", Right, Never, 3),
        Column::new("Amount", Right, Never, 0),
        Column::new("Appr", Left, Never, 2),
        Column::new("Exceptions", Left, Wrap, 0),
    ]
}

/// Lines of text wrapped at the width, each keeping its indent and its
/// continuation indented 4 more (compiler-style diagnostics on a
/// terminal); without a width, as they are.
pub fn wrap_lines(text: &str, fit: &Fit) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let body = line.trim_start_matches(' ');
        let indent = &line[..line.len() - body.len()];
        for l in fit::wrap_indented(&fit::printable(body), fit, indent, &format!("{indent}    ")) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
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

/// The dry run for people: a summary block (the totals per currency),
/// the candidate's failures per rule, then the changed products: a table
/// (each figure old -> new where it changed, as it is where it did not;
/// exception codes added `+` and removed `-`; the currency beside each
/// amount when they mix), or, when its figures do not fit the width, one
/// entry per product naming only what changed. With `why`, the
/// candidate's rationale under each product.
pub fn dry_run_table(d: &DryRun, why: bool, fit: &Fit) -> String {
    use std::fmt::Write as _;
    let s = &d.summary;
    let mut out = String::new();
    let mut say = |lines: Vec<String>| {
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    };
    say(fit::wrap_indented(
        &format!(
            "Dry run of {} against {}: {}",
            fit::printable(&s.candidate),
            fit::printable(&s.in_force),
            plural(s.products, "product")
        ),
        fit,
        "",
        "  ",
    ));
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
    let failures = if d.failures.is_empty() {
        "none".to_string()
    } else {
        format!(
            "{} on {}",
            plural(d.failures.len(), "rule"),
            plural(s.failed_products, "product")
        )
    };
    let mut summary = vec![
        ("Changed".to_string(), changed),
        (
            "Orders".to_string(),
            counts(s.orders_before, s.orders_after),
        ),
        (
            "Requires approval".to_string(),
            counts(s.approvals_before, s.approvals_after),
        ),
    ];
    if let Some(p) = &s.po_approvals {
        summary.push((
            "POs needing approval".to_string(),
            format!(
                "{} of {} -> {} of {} ({} above [orders] approval_threshold, {} flagged by the rules)",
                p.before.pending,
                plural(p.before.pos, "PO"),
                p.after.pending,
                plural(p.after.pos, "PO"),
                p.after.above_threshold,
                plural(p.after.flagged_lines, "line")
            ),
        ));
    }
    if s.totals.is_empty() {
        summary.push(("Total amount".to_string(), "none: no orders".to_string()));
    }
    for t in &s.totals {
        let difference = round_money(t.amount_after - t.amount_before);
        summary.push((
            format!("Total amount {}", fit::printable(t.label())),
            format!(
                "{} -> {} ({}{})",
                fmt_money(t.amount_before),
                fmt_money(t.amount_after),
                if difference < 0.0 { "" } else { "+" },
                fmt_money(difference)
            ),
        ));
    }
    summary.push(("Rule failures".to_string(), failures));
    let label_width = (summary.iter())
        .map(|(l, _)| fit::width_of(l) + 2)
        .max()
        .unwrap_or(0)
        .max(19);
    for (label, value) in summary {
        let label = format!("{label}:");
        let first = format!("{label:<label_width$}");
        say(fit::wrap_indented(
            &value,
            fit,
            &first,
            &" ".repeat(label_width),
        ));
    }
    for f in &d.failures {
        let kind = f.kind.label();
        let rule = match &f.rule {
            Some(r) => format!("rule \"{}\"", fit::printable(r)),
            None => "no single rule".to_string(),
        };
        let which = if f.count > f.products.len() {
            "first "
        } else {
            ""
        };
        say(fit::wrap_indented(
            &format!(
                "{rule} ({kind}) on {}: {which}{}",
                plural(f.count, "product"),
                fit::printable(&f.products.join(", "))
            ),
            fit,
            "  ",
            "      ",
        ));
        say(fit::wrap_indented(
            &fit::printable(&f.message),
            fit,
            "    ",
            "    ",
        ));
    }
    if d.changes.is_empty() {
        return out;
    }
    out.push('\n');
    let mixed = d.mixes_currencies();
    let mut t = Table::new(dry_run_columns());
    for c in &d.changes {
        t.row(change_row(c, mixed));
    }
    let rendered = t.render(fit);
    let why_lines = |out: &mut String, change: &ProductChange| {
        if why {
            for (n, step) in change.rationale.steps().iter().enumerate() {
                let first = format!("    {:>2}. ", n + 1);
                for l in fit::wrap_indented(&fit::printable(&step.text()), fit, &first, "        ")
                {
                    let _ = writeln!(out, "{l}");
                }
            }
        }
    };
    if !rendered.overflow {
        // The table, with the rationale under each product's lines.
        let mut lines = rendered.text.lines();
        for l in lines.by_ref().take(2) {
            let _ = writeln!(out, "{l}");
        }
        let mut changes = d.changes.iter();
        let mut current = None;
        for l in lines {
            if !l.starts_with(' ') {
                if let Some(c) = current {
                    why_lines(&mut out, c);
                }
                current = changes.next();
            }
            let _ = writeln!(out, "{l}");
        }
        if let Some(c) = current {
            why_lines(&mut out, c);
        }
        out.push_str(&rendered.dropped_note(fit));
        return out;
    }
    // Too narrow for the figures side by side: each product with what
    // changed, wrapped at the figures.
    for c in &d.changes {
        let parts = c.change_parts(mixed);
        let id = fit::printable(&c.product_id);
        let name = c
            .product_name
            .as_deref()
            .map(|n| format!(" ({})", fit::printable(n)))
            .unwrap_or_default();
        let _ = writeln!(out, "{id}{name}");
        let width = fit.width.unwrap_or(usize::MAX);
        for l in fit::pack(&parts, ", ", width, "  ", "  ") {
            let _ = writeln!(out, "{}", fit::printable(&l));
        }
        why_lines(&mut out, c);
    }
    out
}

/// Per rule, "fired/changed" products with the rules in force and with
/// the candidate, the candidate's flags beside (`rules::coverage`).
pub fn coverage_table(c: &crate::rules::coverage::CoverageDiff, fit: &Fit) -> String {
    use fit::{Align::*, Cut::*};
    let mut t = Table::new(vec![
        Column::new("Rule", Left, Wrap, 0),
        Column::new("In force", Right, Never, 0),
        Column::new("Candidate", Right, Never, 0),
        Column::new("Flag", Left, Wrap, 0),
    ]);
    let pair = |p: Option<(usize, usize)>| match p {
        Some((fired, changed)) => format!("{fired}/{changed}"),
        None => "-".to_string(),
    };
    for l in c.lines() {
        t.row(vec![
            l.rule.clone(),
            pair(l.in_force),
            pair(l.candidate),
            l.flag.map(|f| f.label().to_string()).unwrap_or_default(),
        ]);
    }
    let mut out = String::from("\n");
    for l in fit::wrap_indented(
        &format!(
            "Rule coverage: on how many of the {} each rule fired/changed something",
            plural(c.candidate.products, "product")
        ),
        fit,
        "",
        "  ",
    ) {
        out.push_str(&l);
        out.push('\n');
    }
    let rendered = t.render(fit);
    out.push_str(&rendered.text);
    out.push_str(&rendered.dropped_note(fit));
    out
}

/// `rules test --product`: each asked product with the rules that fired
/// and its figures with the rules in force and with the candidate; with
/// `why`, both rationales. Empty without `--product`.
pub fn product_details(d: &DryRun, why: bool, fit: &Fit) -> String {
    let mut out = String::new();
    let mut say = |lines: Vec<String>| {
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    };
    let (old, new) = (
        fit::printable(&d.summary.in_force).into_owned(),
        fit::printable(&d.summary.candidate).into_owned(),
    );
    for p in &d.products {
        say(vec![String::new()]);
        let name = p
            .product_name
            .as_deref()
            .map(|n| format!(" ({})", fit::printable(n)))
            .unwrap_or_default();
        let verdict = if p.changed.is_empty() {
            "unchanged"
        } else {
            "changed"
        };
        say(fit::wrap_indented(
            &format!("{}{name}: {verdict}", fit::printable(&p.product_id)),
            fit,
            "",
            "  ",
        ));
        for (label, origin, rules, after, rationale) in [
            (
                "In force",
                &old,
                &p.rules_fired_before,
                false,
                &p.rationale_before,
            ),
            (
                "Candidate",
                &new,
                &p.rules_fired_after,
                true,
                &p.rationale_after,
            ),
        ] {
            let fired = if rules.is_empty() {
                "no rule fired".to_string()
            } else {
                format!("fired {}", rules.join(", "))
            };
            say(fit::wrap_indented(
                &fit::printable(&format!("{label} ({origin}): {fired}")),
                fit,
                "  ",
                "      ",
            ));
            say(fit::wrap_indented(
                &fit::printable(&p.figures_text(after)),
                fit,
                "    ",
                "      ",
            ));
            if why {
                for (n, step) in rationale.steps().iter().enumerate() {
                    let first = format!("    {:>2}. ", n + 1);
                    say(fit::wrap_indented(
                        &fit::printable(&step.text()),
                        fit,
                        &first,
                        "        ",
                    ));
                }
            }
        }
    }
    out
}

/// The dry run's product columns: Name is left out first (then the table
/// gives way to one entry per product).
fn dry_run_columns() -> Vec<Column> {
    use fit::{Align::*, Cut::*};
    vec![
        Column::new("Product", Left, Never, 0),
        Column::new("Name", Left, Ellipsis(12), 1),
        Column::new("Order qty", Right, Never, 0),
        Column::new("Purchase", Right, Never, 0),
        Column::new("Amount", Right, Never, 0),
        Column::new("Approval", Left, Never, 0),
        Column::new("Exceptions", Left, Wrap, 0),
    ]
}

fn change_row(c: &ProductChange, mixed: bool) -> Vec<String> {
    let (old, new) = (&c.before, &c.after);
    let purchase = |qty: f64| purchase_text(qty, c.purchase_uom.as_deref());
    let mut amount = old_new(
        c.has(Figure::Amount),
        fmt_money(old.amount),
        fmt_money(new.amount),
    );
    if mixed {
        amount = format!("{amount} {}", c.currency_label());
    }
    vec![
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
        amount,
        old_new(
            c.has(Figure::RequiresApproval),
            yes_no(old.requires_approval).into(),
            yes_no(new.requires_approval).into(),
        ),
        c.exception_changes().join(" "),
    ]
}

#[cfg(test)]
mod tests;

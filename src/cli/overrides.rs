//! `buyerdesk override ...`: set, clear, list and import buyers'
//! overrides, checked as the screen's popup checks them (the product is
//! planned first, for its pack, price and demand). Each says what it did
//! and whether it succeeded (the caller turns that into the exit code).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use super::report::fit::{Column, Fit, Table};
use crate::config::Config;
use crate::plan::numbers::{fmt_money, fmt_qty, fmt_units, round_money};
use crate::plan::ProductPlan;
use crate::sources::Sources;
use crate::store::overrides::{
    parse_quantity, quantity_words, Base, Conflict, Override, OverrideRow, OverrideUnit, ReasonCode,
};
use crate::store::quantity::{in_packs, purchase_unit};
use crate::store::Store;
use crate::text::printable;

/// The reason a user typed, checked.
pub fn reason_arg(s: &str) -> Result<ReasonCode> {
    ReasonCode::parse(&s.trim().to_ascii_uppercase()).ok_or_else(|| {
        anyhow!(
            "--reason '{}': one of {}",
            printable(s),
            ReasonCode::ALL.map(|r| r.as_str()).join(", ")
        )
    })
}

/// Plans `products` (all when empty) with the overrides that apply now.
async fn plans_of(config: &Config, store: &Store, products: &[String]) -> Result<Vec<ProductPlan>> {
    let rules = crate::live::cli_rules(config).await?;
    let ctx = crate::live::plan_context(store).await?;
    let sources = Sources::connect(config).await?;
    let planned = crate::live::plan_products(&sources, &rules, &ctx, products).await;
    sources.close().await;
    Ok(planned?.0)
}

/// The currency of a plan's amounts.
fn currency_of(config: &Config, plan: &ProductPlan) -> String {
    plan.currency
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| crate::orders::OrdersConfig::currency_of(&config.file))
}

/// "708 pieces = 59 boxes, 10,974.00 USD".
fn figures(config: &Config, plan: &ProductPlan, stock: f64) -> String {
    let amount = plan
        .unit_price
        .get()
        .map(|price| {
            format!(
                ", {} {}",
                fmt_money(round_money(stock * price)),
                printable(&currency_of(config, plan))
            )
        })
        .unwrap_or_else(|| ", no unit price".into());
    format!(
        "{}{amount}",
        printable(&quantity_words(stock, plan)).into_owned()
    )
}

/// "227 (PROMO: spring promotion), set by buyer2 at 2026-12-05T12:01:03Z".
fn described(o: &Override) -> String {
    format!(
        "{}, set by {} at {}",
        printable(&o.short()),
        printable(&o.user),
        printable(&o.set_at)
    )
}

/// `override set PRODUCT QTY --reason CODE [--unit U] [--note T] [--force]`.
#[allow(clippy::too_many_arguments)]
pub async fn set(
    config: &Config,
    product: &str,
    qty: &str,
    reason: &str,
    unit: OverrideUnit,
    note: Option<&str>,
    force: bool,
    out: &mut impl Write,
) -> Result<bool> {
    let reason = reason_arg(reason)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if reason == ReasonCode::Other && note.is_none() {
        bail!("--reason OTHER needs a --note saying why");
    }
    let store = Store::open(config).await?;
    let plans = plans_of(config, &store, &[product.to_string()]).await?;
    let plan = plans
        .iter()
        .find(|p| &*p.product_id == product.trim())
        .ok_or_else(|| anyhow!("{}: no source knows this product", printable(product)))?;
    let id = printable(&plan.product_id).into_owned();
    let stock = parse_quantity(qty, unit, plan).map_err(|e| anyhow!("{id}: {e}"))?;
    let o = Override {
        product_id: plan.product_id.to_string(),
        order_qty: stock,
        entered_qty: qty.trim().parse().unwrap_or(stock),
        entered_unit: unit,
        suggested_qty: plan.order_qty,
        reason,
        note: note.map(str::to_string),
        user: store.user.clone(),
        set_at: crate::store::now(),
    };
    let base = if force {
        Base::Any
    } else {
        Base::Seen(plan.override_revision)
    };
    let saved = match store.save_override(&o, base).await {
        Ok(s) => s,
        Err(e) => {
            store.source.close().await;
            return Err(match e.downcast_ref::<Conflict>() {
                Some(c) => anyhow!(
                    "{}; nothing saved (--force overwrites it)",
                    printable(&c.to_string())
                ),
                None => e,
            });
        }
    };
    store.source.close().await;
    writeln!(
        out,
        "{id}: saved {} (suggested {}), {}{}",
        figures(config, plan, stock),
        printable(&fmt_units(plan.order_qty, plan.stock_uom.as_deref())),
        reason.as_str(),
        note.map(|n| format!(": {}", printable(n)))
            .unwrap_or_default()
    )?;
    if let Some(r) = saved.replaced.filter(|r| r.user != o.user) {
        writeln!(
            out,
            "replaced {}'s override: {}",
            printable(&r.user),
            described(&r)
        )?;
    }
    Ok(true)
}

/// `override clear PRODUCT`: false when there was none.
pub async fn clear(
    config: &Config,
    product: &str,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<bool> {
    let store = Store::open(config).await?;
    let cleared = store.clear_override(product.trim()).await?;
    store.source.close().await;
    let id = printable(product.trim()).into_owned();
    match cleared {
        Some(o) => {
            writeln!(out, "{id}: cleared the override {}", described(&o))?;
            Ok(true)
        }
        None => {
            writeln!(err, "buyerdesk: {id} has no override to clear")?;
            Ok(false)
        }
    }
}

/// One override as `override list --format json` writes it.
#[derive(Debug, Serialize)]
pub struct Listed {
    pub product_id: String,
    /// The buyer's quantity in stock units.
    pub order_qty: f64,
    pub stock_uom: Option<String>,
    /// In purchase units (`None`: the product is not planned now).
    pub purchase_qty: Option<f64>,
    pub purchase_uom: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub suggested_qty: f64,
    pub reason: ReasonCode,
    pub note: Option<String>,
    pub user: String,
    pub set_at: String,
    pub revision: i64,
    /// Whether it applies (no sent PO ordered it).
    pub applies: bool,
    pub used_by: Option<crate::store::overrides::UsedBy>,
}

fn listed(config: &Config, row: &OverrideRow, plan: Option<&ProductPlan>) -> Listed {
    let o = &row.ov;
    Listed {
        product_id: o.product_id.clone(),
        order_qty: o.order_qty,
        stock_uom: plan.and_then(|p| p.stock_uom.as_deref().map(str::to_string)),
        purchase_qty: plan.map(|p| in_packs(o.order_qty, p)),
        purchase_uom: plan.map(|p| purchase_unit(p).to_string()),
        amount: plan
            .and_then(|p| p.unit_price.get())
            .map(|price| round_money(o.order_qty * price)),
        currency: plan.map(|p| currency_of(config, p)),
        suggested_qty: o.suggested_qty,
        reason: o.reason,
        note: o.note.clone(),
        user: o.user.clone(),
        set_at: o.set_at.clone(),
        revision: row.revision,
        applies: row.used_by.is_none(),
        used_by: row.used_by.clone(),
    }
}

/// `override list [--format table|json]`.
/// Without the sources (down, or a product they no longer know) the list
/// still shows what the purchasing database holds, its purchase units and
/// amounts as `-`, and says why on stderr.
pub async fn list(
    config: &Config,
    json: bool,
    fit: &Fit,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<bool> {
    let store = Store::open(config).await?;
    let rows = store.override_rows().await?;
    let ids: Vec<String> = rows.iter().map(|r| r.ov.product_id.clone()).collect();
    let plans = if ids.is_empty() {
        Vec::new()
    } else {
        match plans_of(config, &store, &ids).await {
            Ok(plans) => plans,
            Err(e) => {
                writeln!(
                    err,
                    "buyerdesk: without purchase units and amounts: {}",
                    printable(&format!("{e:#}"))
                )?;
                Vec::new()
            }
        }
    };
    store.source.close().await;
    let by_id: HashMap<&str, &ProductPlan> = plans.iter().map(|p| (&*p.product_id, p)).collect();
    let items: Vec<Listed> = rows
        .iter()
        .map(|r| listed(config, r, by_id.get(r.ov.product_id.as_str()).copied()))
        .collect();
    if json {
        serde_json::to_writer_pretty(&mut *out, &items)?;
        writeln!(out)?;
        return Ok(true);
    }
    if items.is_empty() {
        writeln!(out, "no overrides")?;
        return Ok(true);
    }
    write!(out, "{}", list_table(&items, fit))?;
    Ok(true)
}

/// The overrides for people: one line per product; the note and who took
/// it (the PO) last. Narrow terminals leave out Note, Set at, Suggested.
pub fn list_table(items: &[Listed], fit: &Fit) -> String {
    use super::report::fit::{Align::*, Cut::*};
    let mut t = Table::new(vec![
        Column::new("Product", Left, Never, 0),
        Column::new("Qty", Right, Never, 0),
        Column::new("Purchase", Right, Never, 0),
        Column::new("Amount", Right, Never, 0),
        Column::new("Cur", Left, Never, 0),
        Column::new("Suggested", Right, Never, 5),
        Column::new("Reason", Left, Never, 0),
        Column::new("User", Left, Ellipsis(10), 3),
        Column::new("Set at", Left, Never, 4),
        Column::new("Status", Left, Wrap, 0),
        Column::new("Note", Left, Wrap, 6),
    ]);
    for i in items {
        let unit = |q: f64, u: &Option<String>| fmt_units(q, u.as_deref());
        t.row(vec![
            i.product_id.clone(),
            unit(i.order_qty, &i.stock_uom),
            i.purchase_qty
                .map(|q| unit(q, &i.purchase_uom))
                .unwrap_or_else(|| "-".into()),
            i.amount.map(fmt_money).unwrap_or_else(|| "-".into()),
            i.currency.clone().unwrap_or_default(),
            fmt_qty(i.suggested_qty),
            i.reason.as_str().to_string(),
            i.user.clone(),
            i.set_at.clone(),
            match &i.used_by {
                Some(u) => format!("used by {}", u.describe()),
                None => "applies".into(),
            },
            i.note.clone().unwrap_or_default(),
        ]);
    }
    let r = t.render(fit);
    format!("{}{}", r.text, r.dropped_note(fit))
}

/// The header `override import` reads.
pub const IMPORT_HEADER: [&str; 5] = ["product_id", "qty", "unit", "reason", "note"];

/// `override import FILE.csv`: every row checked first; any bad row and
/// nothing is saved (each named with its line and why); else all are
/// saved in one transaction.
pub async fn import(
    config: &Config,
    file: &Path,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<bool> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| anyhow!("{}: not UTF-8 text", file.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: line 1", file.display()))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if header != IMPORT_HEADER {
        bail!(
            "{}: line 1: the header must be {} (found {})",
            file.display(),
            IMPORT_HEADER.join(","),
            printable(&header.join(","))
        );
    }
    let store = Store::open(config).await?;
    let plans = plans_of(config, &store, &[]).await;
    let plans = match plans {
        Ok(p) => p,
        Err(e) => {
            store.source.close().await;
            return Err(e);
        }
    };
    let by_id: HashMap<&str, &ProductPlan> = plans.iter().map(|p| (&*p.product_id, p)).collect();
    let mut good: Vec<(u64, Override)> = Vec::new();
    let mut bad: Vec<(u64, String)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                bad.push((line, format!("unreadable: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        match check_row(&record, &by_id, &store.user) {
            Ok(o) => match seen.insert(o.product_id.clone(), line) {
                Some(first) => bad.push((
                    line,
                    format!("{}: already on line {first}", printable(&o.product_id)),
                )),
                None => good.push((line, o)),
            },
            Err(why) => bad.push((line, why)),
        }
    }
    if !bad.is_empty() {
        store.source.close().await;
        for (line, why) in &bad {
            writeln!(err, "{}: line {line}: {}", file.display(), printable(why))?;
        }
        writeln!(
            err,
            "buyerdesk: {} bad row{} of {}; nothing imported",
            bad.len(),
            if bad.len() == 1 { "" } else { "s" },
            bad.len() + good.len()
        )?;
        return Ok(false);
    }
    if good.is_empty() {
        store.source.close().await;
        writeln!(
            err,
            "buyerdesk: {}: no rows; nothing imported",
            file.display()
        )?;
        return Ok(false);
    }
    let list: Vec<Override> = good.iter().map(|(_, o)| o.clone()).collect();
    let saved = store.save_overrides_all(&list).await;
    store.source.close().await;
    let saved = saved?;
    for ((line, o), s) in good.iter().zip(&saved) {
        let plan = by_id[o.product_id.as_str()];
        writeln!(
            out,
            "line {line}: {}: {} {}{}",
            printable(&o.product_id),
            figures(config, plan, o.order_qty),
            o.reason.as_str(),
            s.replaced
                .as_ref()
                .filter(|r| r.user != o.user)
                .map(|r| format!(
                    " (replaced {}'s {})",
                    printable(&r.user),
                    fmt_qty(r.order_qty)
                ))
                .unwrap_or_default()
        )?;
    }
    writeln!(
        out,
        "imported {} override{}",
        saved.len(),
        if saved.len() == 1 { "" } else { "s" }
    )?;
    Ok(true)
}

/// One row of an import, checked; why it is refused otherwise.
fn check_row(
    record: &csv::StringRecord,
    plans: &HashMap<&str, &ProductPlan>,
    user: &str,
) -> Result<Override, String> {
    let cell = |i: usize| record.get(i).unwrap_or("").trim();
    if record.len() != IMPORT_HEADER.len() {
        return Err(format!(
            "{} cells, {} expected ({})",
            record.len(),
            IMPORT_HEADER.len(),
            IMPORT_HEADER.join(",")
        ));
    }
    let id = cell(0);
    if id.is_empty() {
        return Err("no product_id".into());
    }
    let plan = plans
        .get(id)
        .ok_or_else(|| format!("{id}: no source knows this product"))?;
    let unit = match cell(2) {
        "" => OverrideUnit::Stock,
        u => {
            OverrideUnit::parse(u).ok_or_else(|| format!("{id}: unit '{u}': stock or purchase"))?
        }
    };
    let stock = parse_quantity(cell(1), unit, plan).map_err(|e| format!("{id}: {e}"))?;
    let reason = match cell(3) {
        "" => return Err(format!("{id}: no reason (there is no default)")),
        r => reason_arg(r)
            .map_err(|e| format!("{id}: {}", e.to_string().replace("--reason", "reason")))?,
    };
    let note = Some(cell(4)).filter(|n| !n.is_empty());
    if reason == ReasonCode::Other && note.is_none() {
        return Err(format!("{id}: reason OTHER needs a note"));
    }
    Ok(Override {
        product_id: id.to_string(),
        order_qty: stock,
        entered_qty: cell(1).parse().unwrap_or(stock),
        entered_unit: unit,
        suggested_qty: plan.order_qty,
        reason,
        note: note.map(str::to_string),
        user: user.to_string(),
        set_at: crate::store::now(),
    })
}

/// Widths the list is checked at.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::report::fit;

    #[test]
    fn the_list_keeps_ids_and_figures_whole_at_80_columns() {
        let item = Listed {
            product_id: "PROD-001".into(),
            order_qty: 708.0,
            stock_uom: Some("pieces".into()),
            purchase_qty: Some(59.0),
            purchase_uom: Some("box".into()),
            amount: Some(10974.0),
            currency: Some("USD".into()),
            suggested_qty: 600.0,
            reason: ReasonCode::Promo,
            note: Some("spring =HYPERLINK(\"x\")\u{1b}[31m".into()),
            user: "alice".into(),
            set_at: "2026-12-05T12:00:00Z".into(),
            revision: 1,
            applies: false,
            used_by: Some(crate::store::overrides::UsedBy {
                po_number: "PO-000001".into(),
                status: "sent".into(),
                sent_at: Some("2026-12-05T12:10:00Z".into()),
            }),
        };
        for width in [80, 120] {
            let text = list_table(std::slice::from_ref(&item), &Fit::width(width));
            for l in text.lines() {
                assert!(fit::width_of(l) <= width, "{width}: {l}");
            }
            for whole in [
                "PROD-001",
                "708 pieces",
                "59 boxes",
                "10,974.00",
                "PROMO",
                "PO-000001",
            ] {
                assert!(text.contains(whole), "{width}: {whole} in\n{text}");
            }
            assert!(!text.contains('\u{1b}'), "escapes are shown, not sent");
        }
    }
}

//! `buyerdesk po edit`, `po receive --line N --qty Q` and `po approve
//! --all-pending`: changing drafts, partial receipts and approving in
//! bulk. Each prints the figures it changed as the store worked them out
//! (a line's `quantity x unit price = amount`, the PO's total).

use std::io::Write;

use anyhow::{anyhow, Result};

use super::po::{po_arg, Confirm};
use crate::config::Config;
use crate::orders::{
    document, fmt_totals, printable, totals_by_currency, OrdersConfig, PoLine, PurchaseOrder,
    QtyUnit,
};
use crate::plan::numbers::{fmt_money, fmt_qty};
use crate::store::Store;

/// What `po edit` changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Line N to this quantity, in this unit.
    Qty { line: u32, qty: f64, unit: QtyUnit },
    /// Line N removed.
    Remove { line: u32 },
    /// The PO's note (empty: cleared).
    Note(String),
}

/// "line 1 PROD-001: 40 @box x 186.00 = 7,440.00".
fn line_sum(l: &PoLine) -> String {
    let w = document::line_words(l);
    format!(
        "line {} {}: {} x {} = {}",
        l.line_no,
        printable(&l.product_id),
        w.quantity,
        w.unit_price,
        w.amount
    )
}

/// "total 7,440.00 USD, draft" and, when it waits, why.
fn po_sum(po: &PurchaseOrder) -> String {
    let mut s = format!(
        "{} total {} {}, {}",
        po.po_number,
        fmt_money(po.total()),
        printable(&po.currency),
        po.status
    );
    if let Some(r) = &po.approval_reason {
        s.push_str(&format!(" (needs approval: {})", printable(r)));
    }
    s
}

/// `po edit PO --line N --qty Q [--unit] | --remove N | --note TEXT`.
pub async fn edit(config: &Config, number: &str, what: Edit, out: &mut impl Write) -> Result<bool> {
    let number = po_arg(number)?;
    let threshold = OrdersConfig::read(&config.file, &config.origin)?.approval_threshold;
    let store = Store::open(config).await?;
    let result = match &what {
        Edit::Qty { line, qty, unit } => {
            store
                .edit_line_qty(&number, *line, *qty, *unit, &threshold)
                .await
        }
        Edit::Remove { line } => store.remove_line(&number, *line, &threshold).await,
        Edit::Note(text) => store.set_note(&number, text).await,
    };
    store.source.close().await;
    let po = result?;
    match &what {
        Edit::Qty { line, .. } => {
            if let Some(l) = po.lines.iter().find(|l| l.line_no == *line) {
                writeln!(out, "{}", line_sum(l))?;
            }
        }
        Edit::Remove { line } => writeln!(out, "{number} line {line} removed")?,
        Edit::Note(_) => writeln!(
            out,
            "{number} note: {}",
            po.note.as_deref().map(printable).unwrap_or("(none)".into())
        )?,
    }
    writeln!(out, "{}", po_sum(&po))?;
    Ok(true)
}

/// `po receive PO --line N --qty Q` (repeatable): partial receipts, in
/// purchase units.
pub async fn receive_lines(
    config: &Config,
    number: &str,
    receipts: &[(u32, f64)],
    out: &mut impl Write,
) -> Result<bool> {
    let number = po_arg(number)?;
    let store = Store::open(config).await?;
    let result = store.receive_lines(&number, receipts).await;
    store.source.close().await;
    let po = result?;
    for l in &po.lines {
        let uom = l.purchase_uom.as_deref().map(printable).unwrap_or_default();
        writeln!(
            out,
            "line {} {}: received {} of {} {uom}, {} still on order",
            l.line_no,
            printable(&l.product_id),
            fmt_qty(l.qty_received),
            fmt_qty(l.qty_purchase),
            fmt_qty(crate::orders::edit::outstanding(l))
        )?;
    }
    writeln!(
        out,
        "{} is {}{}",
        po.po_number,
        po.status,
        if po.status == crate::orders::PoStatus::Received {
            "; its products are free for new POs"
        } else {
            ""
        }
    )?;
    Ok(true)
}

/// `po approve --all-pending`: every PO pending approval (drafts need
/// none: they are sent on the buyer's confirmation), after one question
/// naming their number, total per currency and suppliers. With four eyes,
/// the POs this user drafted are refused and named; the others approved.
/// False (exit 1) when any was refused.
pub async fn approve_all_pending(
    config: &Config,
    confirm: Confirm,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<bool> {
    let store = Store::open(config).await?;
    let pending = store
        .pos(Some(crate::orders::PoStatus::PendingApproval))
        .await?;
    if pending.is_empty() {
        writeln!(out, "nothing to approve: no PO is pending approval")?;
        store.source.close().await;
        return Ok(true);
    }
    let question = approve_question(&pending);
    let said = confirm.ask(&question, "Approving");
    if !matches!(said, Ok(true)) {
        store.source.close().await;
    }
    if !said? {
        writeln!(out, "nothing approved")?;
        return Ok(false);
    }
    let mut numbers: Vec<String> = pending.iter().map(|p| p.po_number.clone()).collect();
    numbers.sort();
    let outcome = store.approve_all(&numbers).await;
    store.source.close().await;
    let outcome = outcome?;
    for po in &outcome.approved {
        writeln!(
            out,
            "{} approved by {}: {} {} to {}",
            po.po_number,
            printable(po.approved_by.as_deref().unwrap_or("")),
            fmt_money(po.total()),
            printable(&po.currency),
            printable(&po.supplier_name)
        )?;
    }
    for (n, why) in &outcome.refused {
        let why = printable(why);
        if why.starts_with(n.as_str()) {
            writeln!(err, "{why}")?;
        } else {
            writeln!(err, "{n}: {why}")?;
        }
    }
    writeln!(
        out,
        "{} approved ({}), {} refused",
        outcome.approved.len(),
        fmt_totals(&totals_by_currency(
            outcome
                .approved
                .iter()
                .map(|p| (p.currency.as_str(), p.total_cents))
        )),
        outcome.refused.len()
    )?;
    Ok(outcome.refused.is_empty())
}

/// "Approve 3 POs pending approval, 12,000.00 EUR + 21,274.39 USD, to ABC
/// Supplies Co., XYZ Ltd?".
pub fn approve_question(pos: &[PurchaseOrder]) -> String {
    bulk_question("Approve", " pending approval", pos)
}

/// "{verb} 3 POs{what}, 12,000.00 EUR + 21,274.39 USD, to ABC Supplies Co.,
/// XYZ Ltd?": the count, the total per currency and the suppliers.
pub fn bulk_question(verb: &str, what: &str, pos: &[PurchaseOrder]) -> String {
    let mut suppliers: Vec<String> = pos
        .iter()
        .map(|p| printable(&p.supplier_name).into_owned())
        .collect();
    suppliers.sort();
    suppliers.dedup();
    format!(
        "{verb} {} PO{}{what}, {}, to {}?",
        pos.len(),
        if pos.len() == 1 { "" } else { "s" },
        fmt_totals(&totals_by_currency(
            pos.iter().map(|p| (p.currency.as_str(), p.total_cents))
        )),
        suppliers.join(", ")
    )
}

/// Reads `--line N --qty Q` pairs (repeatable, in order).
pub fn receipts(lines: &[u32], qtys: &[f64]) -> Result<Vec<(u32, f64)>> {
    if lines.len() != qtys.len() {
        return Err(anyhow!(
            "give one --qty for each --line ({} --line, {} --qty)",
            lines.len(),
            qtys.len()
        ));
    }
    Ok(lines.iter().copied().zip(qtys.iter().copied()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bulk_question_names_count_totals_per_currency_and_suppliers() {
        let mut a = crate::orders::document::tests::po_with("Widget", "ABC Supplies Co.");
        let mut b = a.clone();
        b.currency = "EUR".into();
        b.total_cents = 1_200_000;
        b.supplier_name = "XYZ\x1b[2J Ltd".into();
        a.total_cents = 930_000;
        let q = approve_question(&[a.clone(), b, a]);
        assert_eq!(
            q,
            "Approve 3 POs pending approval, 12,000.00 EUR + 18,600.00 USD, to ABC Supplies Co., XYZ\\u{1b}[2J Ltd?"
                .replace("\\u{1b}", &printable("\x1b"))
        );
        assert!(receipts(&[1, 2], &[3.0]).is_err());
        assert_eq!(
            receipts(&[1, 2], &[3.0, 4.5]).unwrap(),
            [(1, 3.0), (2, 4.5)]
        );
    }
}

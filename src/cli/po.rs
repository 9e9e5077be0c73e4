//! `buyerdesk po ...`: each prints what it did and says whether it
//! succeeded (the caller turns that into the exit code).

use std::io::Write;

use anyhow::{anyhow, Result};
use comfy_table::{CellAlignment, ContentArrangement, Table};

use super::report::fit::{self, Column, Fit, Table as TextTable};
use crate::config::Config;
use crate::orders::drafting::draft_plans;
use crate::orders::{
    document, fmt_totals, parse_po_number, printable, totals_by_currency, DraftOutcome, PoStatus,
    Progress, PurchaseOrder, SendAttempt, Sender, TakenElsewhere,
};
use crate::plan::numbers::fmt_money;
use crate::plan::ProductPlan;
use crate::sources::Sources;
use crate::store::Store;

/// The number a user typed, checked.
pub fn po_arg(s: &str) -> Result<String> {
    parse_po_number(s).ok_or_else(|| anyhow!("'{s}' is not a PO number (PO-000123)"))
}

/// How many ids a note names on a terminal before "... and N more" (a
/// list of more than 3): a PO and its note take at most 3 lines at 80
/// columns.
const NOTE_IDS: usize = 2;

/// The list of POs for people: one line per PO, the note (why the last
/// send failed, why it waits for an approval) as the last column when it
/// fits, else under its PO; then the totals per currency. On a narrow
/// terminal, columns are left out in this order: Age, Delivery, Lines,
/// Supplier (shortened first); PO, Status, Total and Cur always show.
/// Piped (`Fit::WHOLE`): every column, every note whole.
pub fn po_table(pos: &[PurchaseOrder], now: chrono::DateTime<chrono::Utc>, fit: &Fit) -> String {
    use super::report::fit::{Align::*, Cut::*};
    let columns = |note: bool| {
        let mut c = vec![
            Column::new("PO", Left, Never, 0),
            Column::new("Status", Left, Never, 0),
            Column::new("Supplier", Left, Ellipsis(12), 2),
            Column::new("Lines", Right, Never, 3),
            Column::new("Total", Right, Never, 0),
            Column::new("Cur", Left, Never, 0),
            Column::new("Delivery", Left, Never, 4),
            Column::new("Age", Right, Never, 5),
        ];
        if note {
            c.push(Column::new("Note", Left, Never, 0));
        }
        c
    };
    let notes: Vec<String> = pos
        .iter()
        .map(|po| {
            let note = po
                .last_error
                .as_deref()
                .map(|e| match po.status {
                    PoStatus::Unconfirmed => {
                        format!("may have reached the supplier, send again (same key): {e}")
                    }
                    _ => format!("last send failed: {e}"),
                })
                .or_else(|| {
                    (po.status == PoStatus::PendingApproval)
                        .then(|| po.approval_reason.clone())
                        .flatten()
                })
                .unwrap_or_default();
            if fit.limited() {
                fit::shorten_lists(&note, NOTE_IDS, NOTE_IDS + 1).into_owned()
            } else {
                note
            }
        })
        .collect();
    let table = |note: bool| {
        let mut t = TextTable::new(columns(note));
        for (po, n) in pos.iter().zip(&notes) {
            let mut cells = vec![
                po.po_number.clone(),
                po.status.to_string(),
                po.supplier_name.clone(),
                po.line_count.to_string(),
                fmt_money(po.total()),
                po.currency.clone(),
                po.expected_delivery.clone(),
                crate::text::age_since(&po.created_at, now),
            ];
            if note {
                cells.push(n.clone());
            }
            t.row(cells);
        }
        t.render(fit)
    };
    let inline = table(true);
    let mut out = if !fit.limited() || (!inline.overflow && inline.dropped.is_empty()) {
        inline.text
    } else {
        // The notes under their POs, wrapped at the width.
        let rendered = table(false);
        let mut out = String::new();
        let mut lines = rendered.text.lines();
        for l in lines.by_ref().take(2) {
            out.push_str(l);
            out.push('\n');
        }
        let mut notes = notes.iter();
        let mut pending: Option<&String> = None;
        let flush = |out: &mut String, note: Option<&String>| {
            if let Some(n) = note.filter(|n| !n.is_empty()) {
                for l in fit::wrap_indented(&fit::printable(n), fit, "    ", "    ") {
                    out.push_str(&l);
                    out.push('\n');
                }
            }
        };
        for l in lines {
            if !l.starts_with(' ') {
                flush(&mut out, pending.take());
                pending = notes.next();
            }
            out.push_str(l);
            out.push('\n');
        }
        flush(&mut out, pending);
        out.push_str(&rendered.dropped_note(fit));
        out
    };
    out.push_str(&currency_totals(pos));
    out
}

/// The listed POs' totals, one line per currency (never added across
/// currencies); cancelled POs are not counted.
fn currency_totals(pos: &[PurchaseOrder]) -> String {
    let mut totals: std::collections::BTreeMap<&str, (i64, usize)> = Default::default();
    for po in pos.iter().filter(|p| p.status != PoStatus::Cancelled) {
        let t = totals.entry(po.currency.as_str()).or_default();
        t.0 += po.total_cents;
        t.1 += 1;
    }
    let mut out = String::new();
    if totals.is_empty() {
        return out;
    }
    out.push('\n');
    let amounts: Vec<String> = totals
        .values()
        .map(|(cents, _)| fmt_money(*cents as f64 / 100.0))
        .collect();
    let code_w = (totals.keys())
        .map(|c| fit::width_of(&fit::printable(c)))
        .max()
        .unwrap_or(0);
    let amount_w = amounts.iter().map(String::len).max().unwrap_or(0);
    for ((currency, (_, count)), amount) in totals.iter().zip(&amounts) {
        out.push_str(&format!(
            "Total {:<code_w$}  {amount:>amount_w$}  {count} PO{}\n",
            fit::printable(currency),
            if *count == 1 { "" } else { "s" }
        ));
    }
    if pos.iter().any(|p| p.status == PoStatus::Cancelled) {
        out.push_str("Cancelled POs are not in the totals.\n");
    }
    out
}

fn print_outcome(out: &mut impl Write, outcome: &DraftOutcome) -> Result<()> {
    for po in &outcome.created {
        writeln!(
            out,
            "{}  {}  {} line{}  {} {}  {}  delivery {}{}",
            po.po_number,
            printable(&po.supplier_name),
            po.line_count,
            if po.line_count == 1 { "" } else { "s" },
            fmt_money(po.total()),
            printable(&po.currency),
            po.status,
            po.expected_delivery,
            po.approval_reason
                .as_deref()
                .map(|r| format!("  (needs approval: {})", printable(r)))
                .unwrap_or_default()
        )?;
    }
    if !outcome.skipped.is_empty() {
        writeln!(out, "left out ({}):", outcome.skipped.len())?;
        for s in &outcome.skipped {
            writeln!(
                out,
                "  {}  {}",
                printable(&s.product_id),
                printable(&s.reason)
            )?;
        }
    }
    let totals =
        totals_by_currency((outcome.created.iter()).map(|p| (p.currency.as_str(), p.total_cents)));
    writeln!(
        out,
        "{} PO{} drafted, {} product{} left out{}",
        outcome.created.len(),
        if outcome.created.len() == 1 { "" } else { "s" },
        outcome.skipped.len(),
        if outcome.skipped.len() == 1 { "" } else { "s" },
        if outcome.created.is_empty() {
            String::new()
        } else {
            // Per currency, never one sum.
            format!("; together {}", fmt_totals(&totals))
        }
    )?;
    Ok(())
}

/// `po draft`: plans the named products (or all), drafts one PO per
/// supplier. Fails when no PO was drafted.
pub async fn draft(
    config: &Config,
    products: &[String],
    all_needed: bool,
    out: &mut impl Write,
) -> Result<bool> {
    if products.is_empty() && !all_needed {
        return Err(anyhow!(
            "name the products (--product ID, repeatable) or use --all-needed"
        ));
    }
    let rules = crate::live::cli_rules(config).await?;
    let store = Store::open(config).await?;
    let ctx = crate::live::plan_context(&store).await?;
    let sources = Sources::connect(config).await?;
    let (plans, _) = crate::live::plan_products(&sources, &rules, &ctx, products).await?;
    sources.close().await;
    let chosen: Vec<&ProductPlan> = if products.is_empty() {
        plans
            .iter()
            .filter(|p| p.needs_order() || p.override_qty.is_some_and(|q| q > 0.0))
            .collect()
    } else {
        plans.iter().collect()
    };
    let outcome = draft_plans(config, &store, &chosen).await?;
    print_outcome(out, &outcome)?;
    store.source.close().await;
    Ok(!outcome.created.is_empty())
}

/// `po list`.
pub async fn list(
    config: &Config,
    status: Option<PoStatus>,
    json: bool,
    fit: &Fit,
    out: &mut impl Write,
) -> Result<bool> {
    let store = Store::open(config).await?;
    let pos = store.pos(status).await?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &pos)?;
        writeln!(out)?;
    } else if pos.is_empty() {
        writeln!(
            out,
            "no POs{}",
            status
                .map(|s| format!(" with status {s}"))
                .unwrap_or_default()
        )?;
    } else {
        write!(out, "{}", po_table(&pos, chrono::Utc::now(), fit))?;
    }
    store.source.close().await;
    Ok(true)
}

/// The PO with its lines and its send attempts, for people.
pub fn po_text(po: &PurchaseOrder, attempts: &[SendAttempt]) -> String {
    let mut s = String::new();
    let mut line = |t: String| {
        s.push_str(&t);
        s.push('\n');
    };
    // Names, errors and answers come from sources, suppliers and the
    // config: escaped before they reach the terminal.
    let p = |t: &str| printable(t).into_owned();
    line(format!(
        "{}  {}  {}{}",
        po.po_number,
        po.status,
        p(&po.supplier_name),
        po.supplier_id
            .as_deref()
            .map(|i| format!(" ({})", p(i)))
            .unwrap_or_default()
    ));
    line(format!(
        "total {} {}, {} line{}, expected delivery {}",
        fmt_money(po.total()),
        p(&po.currency),
        po.line_count,
        if po.line_count == 1 { "" } else { "s" },
        po.expected_delivery
    ));
    line(format!("drafted by {} at {}", p(&po.buyer), po.created_at));
    line(format!(
        "send key {} (the Idempotency-Key and the outbox's file names)",
        p(&po.send_key)
    ));
    if let Some(r) = &po.approval_reason {
        line(format!("needs approval: {}", p(r)));
    }
    if let Some(n) = &po.note {
        line(format!("note: {}", p(n)));
    }
    if let (Some(by), Some(at)) = (&po.approved_by, &po.approved_at) {
        line(format!("approved by {} at {at}", p(by)));
    }
    if let Some(at) = &po.sent_at {
        line(format!(
            "sent at {at}: {}",
            p(po.confirmation.as_deref().unwrap_or(""))
        ));
    }
    if let Some(e) = &po.last_error {
        line(match po.status {
            PoStatus::Unconfirmed => format!(
                "unconfirmed: the last send may have reached the supplier (po send {} sends it again with the same key): {}",
                po.po_number,
                p(e)
            ),
            _ => format!("last send failed: {}", p(e)),
        });
    }
    if let Some(c) = &po.claim {
        line(format!(
            "being sent by {} since {}",
            p(c),
            po.claimed_at.as_deref().unwrap_or("?")
        ));
    }
    line(lines_table(po));
    if !attempts.is_empty() {
        line("send attempts:".into());
        for a in attempts {
            line(format!(
                "  {} #{} {} via {} by {}: {}",
                a.at,
                a.attempt,
                a.outcome,
                p(&a.channel),
                p(&a.user),
                p(a.detail.as_deref().unwrap_or(""))
            ));
        }
    }
    s
}

/// The lines of a PO as `po show` prints them: quantity, unit price
/// (per purchase unit) and amount as in the supplier's documents, so each
/// row reads `quantity x unit price = amount`; then the same quantity in
/// stock units at the price per stock unit; then what the lines add up to.
fn lines_table(po: &PurchaseOrder) -> String {
    let mut t = Table::new();
    // Rules above and below and under the header, none between rows.
    t.load_preset("  ── ══      ──    ")
        .set_content_arrangement(ContentArrangement::Disabled);
    // Received so far, once the supplier has the PO.
    let receipts = matches!(
        po.status,
        PoStatus::Sent | PoStatus::Acknowledged | PoStatus::Received | PoStatus::Closed
    );
    let mut header = vec![
        "#",
        "Product",
        "Name",
        "Quantity",
        "Unit price",
        "Amount",
        "Stock quantity",
        "Stock unit price",
        "Delivery",
    ];
    if receipts {
        header.push("Received");
    }
    t.set_header(header);
    for l in &po.lines {
        let words = document::line_words(l);
        let mut row = vec![
            l.line_no.to_string(),
            printable(&l.product_id).into_owned(),
            printable(l.product_name.as_deref().unwrap_or("")).into_owned(),
            format!(
                "{}{}",
                words.quantity,
                if l.overridden { " (buyer's)" } else { "" }
            ),
            words.unit_price,
            words.amount,
            words.stock_quantity,
            words.stock_unit_price,
            l.expected_delivery.clone(),
        ];
        if receipts {
            row.push(format!(
                "{} of {}",
                crate::plan::numbers::fmt_qty(l.qty_received),
                crate::plan::numbers::fmt_qty(l.qty_purchase)
            ));
        }
        t.add_row(row);
    }
    for i in [0, 3, 4, 5, 6, 7, 9] {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let sum: i64 = po.lines.iter().map(|l| l.amount_cents).sum();
    let currency = printable(&po.currency);
    let check = if sum == po.total_cents {
        format!(
            "quantity x unit price = amount (unit price per purchase unit); the lines add up to the total, {} {currency}",
            fmt_money(sum as f64 / 100.0)
        )
    } else {
        format!(
            "quantity x unit price = amount (unit price per purchase unit); the lines add up to {} {currency}, NOT the total {} {currency}",
            fmt_money(sum as f64 / 100.0),
            fmt_money(po.total())
        )
    };
    format!("{t}\n{check}")
}

/// `po show`.
pub async fn show(config: &Config, number: &str, json: bool, out: &mut impl Write) -> Result<bool> {
    let number = po_arg(number)?;
    let store = Store::open(config).await?;
    let po = store.po_required(&number).await?;
    let attempts = store.send_attempts(&number).await?;
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({"po": po, "send_attempts": attempts}),
        )?;
        writeln!(out)?;
    } else {
        write!(out, "{}", po_text(&po, &attempts))?;
    }
    store.source.close().await;
    Ok(true)
}

/// How `po approve` gets its explicit confirmation.
pub enum Confirm {
    /// `--yes`: the command line is the confirmation.
    Given,
    /// Ask on the terminal; a line starting with y approves.
    Ask,
    /// Neither (no terminal, no --yes): refused.
    Missing,
}

impl Confirm {
    /// Whether the person said yes to `question`: `--yes` did; on a
    /// terminal a line starting with y does; neither is an error saying
    /// what `doing` needs.
    pub fn ask(self, question: &str, doing: &str) -> Result<bool> {
        match self {
            Confirm::Given => Ok(true),
            Confirm::Missing => Err(anyhow!(
                "{question} {doing} needs an explicit confirmation: run it on a terminal, or add --yes"
            )),
            Confirm::Ask => {
                eprint!("{question} [y/N] ");
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer)?;
                Ok(answer.trim_start().to_ascii_lowercase().starts_with('y'))
            }
        }
    }
}

/// `po approve`: only with an explicit confirmation (`--yes`, or y on the
/// terminal after the PO's total and supplier are shown).
pub async fn approve(
    config: &Config,
    number: &str,
    confirm: Confirm,
    out: &mut impl Write,
) -> Result<bool> {
    let number = po_arg(number)?;
    let store = Store::open(config).await?;
    let current = store.po_required(&number).await?;
    let question = format!(
        "Approve {number}: {} {} to {}{}?",
        fmt_money(current.total()),
        current.currency,
        current.supplier_name,
        current
            .approval_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    if !confirm.ask(&question, "Approving")? {
        writeln!(out, "{number} not approved")?;
        store.source.close().await;
        return Ok(false);
    }
    let po = store.approve(&number).await?;
    writeln!(
        out,
        "{} approved by {} at {}: {} {} to {}",
        po.po_number,
        po.approved_by.as_deref().unwrap_or(""),
        po.approved_at.as_deref().unwrap_or(""),
        fmt_money(po.total()),
        po.currency,
        po.supplier_name
    )?;
    store.source.close().await;
    Ok(true)
}

/// What `po receive|close|cancel` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    Receive,
    Close,
    /// `even_if_sent`: the buyer's word that a PO that may have reached
    /// its supplier is cancelled anyway.
    Cancel {
        even_if_sent: bool,
    },
}

/// `po receive|close|cancel`.
pub async fn change_status(
    config: &Config,
    number: &str,
    change: StatusChange,
    out: &mut impl Write,
) -> Result<bool> {
    let number = po_arg(number)?;
    let store = Store::open(config).await?;
    let po = match change {
        StatusChange::Receive => store.receive(&number).await?,
        StatusChange::Close => store.close(&number).await?,
        StatusChange::Cancel { even_if_sent } => store.cancel(&number, even_if_sent).await?,
    };
    writeln!(
        out,
        "{} is {} ({}, {} {}); its products are free for new POs",
        po.po_number,
        po.status,
        po.supplier_name,
        fmt_money(po.total()),
        po.currency
    )?;
    store.source.close().await;
    Ok(true)
}

/// Which POs `po send` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendWhich {
    /// The one named.
    One,
    /// `--all-approved`: the approved ones (and the unconfirmed, again).
    Approved,
    /// `--all`: those and the drafts within the threshold, after one
    /// question (drafts go out without approval only on the buyer's word).
    All,
}

/// `po send PO`, `po send --all-approved` or `po send --all`. First, sends
/// that a crash cut off are finished (same key). Fails when any send
/// failed.
pub async fn send(
    config: &Config,
    number: Option<&str>,
    which: SendWhich,
    confirm: Confirm,
    out: &mut (impl Write + Send),
    err: &mut (impl Write + Send),
) -> Result<bool> {
    let all_approved = which != SendWhich::One;
    let number = match (number, which) {
        (Some(n), SendWhich::One) => Some(po_arg(n)?),
        (None, SendWhich::Approved | SendWhich::All) => None,
        (Some(_), _) => {
            return Err(anyhow!(
                "name one PO or use --all-approved / --all, not both"
            ))
        }
        (None, SendWhich::One) => {
            return Err(anyhow!(
                "name the PO to send, or use --all-approved or --all"
            ))
        }
    };
    let store = Store::open(config).await?;
    let sender = Sender::new(store.clone(), config)?;
    let progress = |p: Progress| {
        if let Progress::Retrying {
            po,
            attempt,
            wait,
            reason,
        } = p
        {
            // stderr, unbuffered: a person watching sees the retries.
            eprintln!(
                "{po}: attempt {attempt} failed ({reason}); retrying in {:.1} s",
                wait.as_secs_f64()
            );
        }
    };
    let mut results = sender.recover(&progress).await?;
    match number {
        Some(n) => {
            if !results.iter().any(|(p, _)| *p == n) {
                let po = store.po_required(&n).await?;
                let r = if po.status == PoStatus::Draft && po.approval_reason.is_none() {
                    // Sending never approves: a draft goes out without an
                    // approval, on the buyer's explicit word.
                    let question = format!(
                        "Send {n}, {} {}, {} (a draft within the threshold, sent without approval)?",
                        fmt_money(po.total()),
                        printable(&po.currency),
                        printable(&po.supplier_name)
                    );
                    match confirm.ask(&question, "Sending a draft") {
                        Ok(true) => {
                            sender
                                .send_confirmed_as_seen(&n, po.total_cents, &progress)
                                .await
                        }
                        Ok(false) => {
                            writeln!(out, "{n} not sent")?;
                            store.source.close().await;
                            return Ok(false);
                        }
                        Err(e) => Err(e),
                    }
                } else {
                    sender.send(&n, &progress).await
                };
                results.push((n, r));
            }
        }
        None if which == SendWhich::All => {
            let mut pos = store.pos(Some(PoStatus::Approved)).await?;
            pos.extend(store.pos(Some(PoStatus::Unconfirmed)).await?);
            pos.extend(
                (store.pos(Some(PoStatus::Draft)).await?)
                    .into_iter()
                    .filter(|p| p.approval_reason.is_none()),
            );
            if !pos.is_empty() {
                let drafts = pos.iter().filter(|p| p.status == PoStatus::Draft).count();
                let question = super::po_edit::bulk_question(
                    "Send",
                    &format!(
                        " ({drafts} of them drafts within the threshold, sent without approval)"
                    ),
                    &pos,
                );
                if !confirm.ask(&question, "Sending drafts")? {
                    writeln!(out, "nothing sent")?;
                    store.source.close().await;
                    return Ok(false);
                }
            }
            // Exactly the POs the question named: a draft as it was shown
            // (one changed since is refused), each with its own result.
            for po in pos {
                let n = po.po_number.clone();
                if results.iter().any(|(p, _)| *p == n) {
                    continue; // finished above, as a crash left it
                }
                let r = match po.status {
                    PoStatus::Draft => {
                        sender
                            .send_confirmed_as_seen(&n, po.total_cents, &progress)
                            .await
                    }
                    _ => sender.send(&n, &progress).await,
                };
                results.push((n, r));
            }
        }
        None => results.extend(sender.send_all(false, &progress).await?),
    }
    let mut ok = true;
    if results.is_empty() {
        writeln!(
            out,
            "nothing to send: no approved PO{}",
            match which {
                SendWhich::All => " and no draft within the threshold",
                _ => "",
            }
        )?;
    }
    for (n, r) in &results {
        match r {
            Ok(o) => writeln!(
                out,
                "{n} sent via {} ({} attempt{}{}): {}",
                o.channel,
                o.attempts,
                if o.attempts == 1 { "" } else { "s" },
                o.took_over_from
                    .as_deref()
                    .map(|c| format!(", finishing the send of {c}"))
                    .unwrap_or_default(),
                o.confirmation
            )?,
            Err(e) if e.downcast_ref::<TakenElsewhere>().is_some() && all_approved => {
                writeln!(out, "{n}: left to the workstation that took it first")?;
            }
            Err(e) => {
                ok = false;
                let text = format!("{e:#}");
                if text.starts_with(n.as_str()) {
                    writeln!(err, "{text}")?;
                } else {
                    writeln!(err, "{n}: {text}")?;
                }
            }
        }
    }
    store.source.close().await;
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconfirmed_po_says_it_may_be_with_the_supplier_not_that_it_failed() {
        let mut po = crate::orders::document::tests::po_with("Widget", "ABC Supplies Co.");
        po.status = PoStatus::Unconfirmed;
        po.last_error = Some("no answer within 1s (send_timeout_secs)".into());
        let fit = Fit {
            width: Some(100),
            ascii: false,
        };
        let now = chrono::Utc::now();
        let table = po_table(std::slice::from_ref(&po), now, &fit);
        assert!(
            table.contains("unconfirmed")
                && table.contains("may have reached the supplier, send again (same key)")
                && !table.contains("last send failed"),
            "{table}"
        );
        let text = po_text(&po, &[]);
        assert!(
            text.contains("unconfirmed: the last send may have reached the supplier (po send PO-000001 sends it again with the same key)"),
            "{text}"
        );
        po.status = PoStatus::Approved;
        assert!(po_table(&[po], now, &fit).contains("last send failed"));
    }
}

//! Changing a PO after drafting: a line's quantity, a line removed, the
//! note (drafts and POs pending approval only, the approval worked out
//! again), receipts (whole or per line), and approving every PO pending
//! approval. Each change reads the PO under its row lock (PostgreSQL and
//! MariaDB: `FOR UPDATE`; SQLite: the transaction's write lock), so two
//! workstations changing one PO wait on each other and neither change is
//! lost; each writes its audit row (before -> after) in the same
//! transaction.

use super::*;
use crate::orders::draft::approval_reason;
use crate::orders::edit::{apply_receipts, line_change, whole_purchase_qty, QtyUnit};
use crate::orders::ApprovalThreshold;
use crate::plan::numbers::{fmt_qty, fmt_units};

/// The statuses a PO may be edited in.
const EDITABLE: [PoStatus; 2] = [PoStatus::Draft, PoStatus::PendingApproval];

/// The longest note the purchasing database keeps (VARCHAR(2000) on
/// MariaDB), in characters.
pub const NOTE_LIMIT: usize = 2000;

/// What `approve_all` did: the POs approved, and those refused with why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApprovalOutcome {
    pub approved: Vec<PurchaseOrder>,
    /// (PO number, why it was not approved).
    pub refused: Vec<(String, String)>,
}

impl Store {
    /// The PO with its lines, its row locked until `tx` ends.
    async fn po_locked(&self, tx: &mut Tx, number: &str) -> Result<PurchaseOrder> {
        let b = self.source.backend;
        let lock = match b {
            Backend::Postgres | Backend::MySql => " FOR UPDATE",
            // The transaction holds the database's write lock already.
            Backend::Sqlite => "",
        };
        let found = tx
            .fetch(
                &format!(
                    "SELECT po_number FROM purchase_orders WHERE po_number = {}{lock}",
                    self.p(1)
                ),
                &[Some(number.to_string())],
            )
            .await?;
        if found.is_empty() {
            bail!("{number}: no such PO");
        }
        let rows = tx
            .fetch(
                &format!(
                    "SELECT {} FROM purchase_orders WHERE po_number = {}",
                    select_list(b, &PO_COLUMNS),
                    self.p(1)
                ),
                &[Some(number.to_string())],
            )
            .await?;
        let mut po = rows
            .first()
            .and_then(|r| parse_po(r))
            .ok_or_else(|| anyhow!("{number}: unreadable PO row"))?;
        let lines = tx
            .fetch(
                &format!(
                    "SELECT {} FROM po_lines l WHERE l.po_number = {} ORDER BY l.line_no",
                    LINE_COLUMNS
                        .iter()
                        .map(|c| b.as_text(&format!("l.{c}")))
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.p(1)
                ),
                &[Some(number.to_string())],
            )
            .await?;
        po.lines = lines.iter().filter_map(|r| parse_line(r)).collect();
        Ok(po)
    }

    /// The locked PO when it may be edited (draft, pending approval).
    async fn editable(&self, tx: &mut Tx, number: &str) -> Result<PurchaseOrder> {
        let po = self.po_locked(tx, number).await?;
        if !EDITABLE.contains(&po.status) {
            bail!(
                "{number} is {}: only a draft or a PO pending approval can be edited{}",
                po.status,
                match po.status {
                    PoStatus::Approved =>
                        " (it was approved as it is; cancel it and draft again to change it)",
                    _ => "",
                }
            );
        }
        Ok(po)
    }

    /// Writes `lines` (changed) and the PO's total, approval reason and
    /// status worked out again from all of them; the audit detail's tail
    /// ("total a -> b CUR; status x -> y").
    /// An edit's audit row written in its transaction, the transaction
    /// committed, and the PO read back as it now is.
    async fn audited(
        &self,
        mut tx: Tx,
        number: &str,
        action: &str,
        product: Option<&str>,
        detail: String,
    ) -> Result<PurchaseOrder> {
        let (a, ab) = audit_row(self.source.backend, &self.user, action, product, detail);
        tx.exec(&a, &ab).await?;
        tx.commit().await?;
        self.po_required(number).await
    }

    /// `product_id` is no longer held by PO `number`: new POs may order it.
    async fn free_product(&self, tx: &mut Tx, number: &str, product_id: &str) -> Result<()> {
        tx.exec(
            &format!(
                "DELETE FROM po_open_products WHERE po_number = {} AND product_id = {}",
                self.p(1),
                self.p(2)
            ),
            &[Some(number.to_string()), Some(product_id.to_string())],
        )
        .await?;
        Ok(())
    }

    async fn rework(
        &self,
        tx: &mut Tx,
        before: &PurchaseOrder,
        lines: &[PoLine],
        threshold: &ApprovalThreshold,
    ) -> Result<String> {
        let total_cents: i64 = lines.iter().map(|l| l.amount_cents).sum();
        // Lines drafted before schema 7 carry no flag: the products the
        // reason names as flagged by the rules stay flagged.
        let mut lines = lines.to_vec();
        if !lines.iter().any(|l| l.requires_approval) {
            if let Some(named) = before
                .approval_reason
                .as_deref()
                .and_then(|r| r.split("the rules ask approval for ").nth(1))
            {
                let ids: Vec<&str> = named.split(", ").map(str::trim).collect();
                for l in &mut lines {
                    l.requires_approval |= ids.contains(&l.product_id.as_str());
                }
            }
        }
        let reason = approval_reason(total_cents, &before.currency, threshold, &lines);
        let status = if reason.is_some() {
            PoStatus::PendingApproval
        } else {
            PoStatus::Draft
        };
        let changed = tx
            .exec(
                &format!(
                    "UPDATE purchase_orders SET total_cents = {}, approval_reason = {}, status = {}, updated_at = {} \
                     WHERE po_number = {} AND status IN ('draft','pending_approval')",
                    self.num(1, "BIGINT"),
                    self.p(2),
                    self.p(3),
                    self.p(4),
                    self.p(5)
                ),
                &[
                    Some(total_cents.to_string()),
                    reason.clone(),
                    Some(status.as_str().to_string()),
                    Some(now()),
                    Some(before.po_number.clone()),
                ],
            )
            .await?;
        if changed != 1 {
            bail!(
                "{}: changed by another workstation meanwhile",
                before.po_number
            );
        }
        let mut tail = format!(
            "; total {} -> {} {}",
            cents_text(before.total_cents),
            cents_text(total_cents),
            before.currency
        );
        if status != before.status {
            tail.push_str(&format!("; status {} -> {status}", before.status));
        }
        if let Some(r) = &reason {
            tail.push_str(&format!("; needs approval: {r}"));
        }
        Ok(tail)
    }

    /// Sets line `line_no` of a draft or pending PO to `qty` (in `unit`;
    /// whole packs), working out the total and the approval again: a PO
    /// that drops under its threshold (and has no line the rules flag)
    /// goes back to draft, one that rises above it waits for approval.
    pub async fn edit_line_qty(
        &self,
        number: &str,
        line_no: u32,
        qty: f64,
        unit: QtyUnit,
        threshold: &ApprovalThreshold,
    ) -> Result<PurchaseOrder> {
        let mut tx = self.source.begin().await?;
        let po = self.editable(&mut tx, number).await?;
        let i = line_index(&po, line_no)?;
        let before = &po.lines[i];
        let purchase = whole_purchase_qty(before, qty, unit)
            .map_err(|e| anyhow!("{number} line {line_no} ({}): {e}", before.product_id))?;
        let after = crate::orders::edit::with_quantity(before, purchase)
            .map_err(|e| anyhow!("{number}: {e}"))?;
        tx.exec(
            &format!(
                "UPDATE po_lines SET qty_purchase = {}, qty_stock = {}, amount_cents = {} \
                 WHERE po_number = {} AND line_no = {}",
                self.num(1, "DOUBLE PRECISION"),
                self.num(2, "DOUBLE PRECISION"),
                self.num(3, "BIGINT"),
                self.p(4),
                self.num(5, "INTEGER")
            ),
            &[
                Some(after.qty_purchase.to_string()),
                Some(after.qty_stock.to_string()),
                Some(after.amount_cents.to_string()),
                Some(number.to_string()),
                Some(line_no.to_string()),
            ],
        )
        .await?;
        let mut lines = po.lines.clone();
        lines[i] = after.clone();
        let tail = self.rework(&mut tx, &po, &lines, threshold).await?;
        let detail = format!("{number} {}{tail}", line_change(before, &after));
        let product = before.product_id.clone();
        self.audited(tx, number, "po_line_changed", Some(&product), detail)
            .await
    }

    /// Removes line `line_no` of a draft or pending PO; its product is free
    /// for new POs. The last line is not removed: the PO is cancelled.
    pub async fn remove_line(
        &self,
        number: &str,
        line_no: u32,
        threshold: &ApprovalThreshold,
    ) -> Result<PurchaseOrder> {
        let mut tx = self.source.begin().await?;
        let po = self.editable(&mut tx, number).await?;
        let i = line_index(&po, line_no)?;
        if po.lines.len() == 1 {
            bail!(
                "{number} line {line_no} is its only line: cancel the PO instead (buyerdesk po cancel {number})"
            );
        }
        let gone = po.lines[i].clone();
        tx.exec(
            &format!(
                "DELETE FROM po_lines WHERE po_number = {} AND line_no = {}",
                self.p(1),
                self.num(2, "INTEGER")
            ),
            &[Some(number.to_string()), Some(line_no.to_string())],
        )
        .await?;
        self.free_product(&mut tx, number, &gone.product_id).await?;
        let mut lines = po.lines.clone();
        lines.remove(i);
        let tail = self.rework(&mut tx, &po, &lines, threshold).await?;
        let detail = format!(
            "{number} line {line_no} {} removed ({}, {}){tail}",
            gone.product_id,
            fmt_units(gone.qty_purchase, gone.purchase_uom.as_deref()),
            cents_text(gone.amount_cents)
        );
        self.audited(
            tx,
            number,
            "po_line_removed",
            Some(&gone.product_id),
            detail,
        )
        .await
    }

    /// Sets (or, empty, clears) the note of a draft or pending PO.
    pub async fn set_note(&self, number: &str, note: &str) -> Result<PurchaseOrder> {
        let note = note.trim();
        let n = note.chars().count();
        if n > NOTE_LIMIT {
            bail!("{number}: the note is {n} characters long; the purchasing database keeps {NOTE_LIMIT}");
        }
        let mut tx = self.source.begin().await?;
        let po = self.editable(&mut tx, number).await?;
        let new = (!note.is_empty()).then(|| note.to_string());
        tx.exec(
            &format!(
                "UPDATE purchase_orders SET note = {}, updated_at = {} WHERE po_number = {}",
                self.p(1),
                self.p(2),
                self.p(3)
            ),
            &[new.clone(), Some(now()), Some(number.to_string())],
        )
        .await?;
        let show = |n: &Option<String>| match n {
            Some(t) => format!("\"{t}\""),
            None => "(none)".to_string(),
        };
        let detail = format!("{number} note: {} -> {}", show(&po.note), show(&new));
        self.audited(tx, number, "po_note", None, detail).await
    }

    /// The supplier delivered everything still on order: every line
    /// received in full, the PO `received`, its products free.
    pub async fn receive(&self, number: &str) -> Result<PurchaseOrder> {
        let mut tx = self.source.begin().await?;
        let po = self.receivable(&mut tx, number).await?;
        let receipts: Vec<(u32, f64)> = po
            .lines
            .iter()
            .filter(|l| crate::orders::edit::outstanding(l) > 0.0)
            .map(|l| (l.line_no, crate::orders::edit::outstanding(l)))
            .collect();
        self.record_receipts(&mut tx, &po, &receipts).await?;
        tx.commit().await?;
        self.po_required(number).await
    }

    /// Partial receipts: (line number, purchase units) each added to what
    /// the line received so far, never past what was ordered. A line
    /// received in full frees its product; when every line is, the PO
    /// becomes `received`.
    pub async fn receive_lines(
        &self,
        number: &str,
        receipts: &[(u32, f64)],
    ) -> Result<PurchaseOrder> {
        if receipts.is_empty() {
            bail!("{number}: name the lines received (--line N --qty Q)");
        }
        let mut tx = self.source.begin().await?;
        let po = self.receivable(&mut tx, number).await?;
        self.record_receipts(&mut tx, &po, receipts).await?;
        tx.commit().await?;
        self.po_required(number).await
    }

    async fn receivable(&self, tx: &mut Tx, number: &str) -> Result<PurchaseOrder> {
        let po = self.po_locked(tx, number).await?;
        if !matches!(po.status, PoStatus::Sent | PoStatus::Acknowledged) {
            bail!(
                "{number} is {}: only a sent or acknowledged PO is received",
                po.status
            );
        }
        Ok(po)
    }

    async fn record_receipts(
        &self,
        tx: &mut Tx,
        po: &PurchaseOrder,
        receipts: &[(u32, f64)],
    ) -> Result<()> {
        let number = po.po_number.as_str();
        let b = self.source.backend;
        let received = apply_receipts(number, &po.lines, receipts).map_err(|e| anyhow!(e))?;
        let mut audit: Vec<(Option<&str>, String)> = Vec::new();
        for (line_no, before, after) in &received {
            let line = po
                .lines
                .iter()
                .find(|l| l.line_no == *line_no)
                .expect("apply_receipts checked the line");
            tx.exec(
                &format!(
                    "UPDATE po_lines SET qty_received = {} WHERE po_number = {} AND line_no = {}",
                    self.num(1, "DOUBLE PRECISION"),
                    self.p(2),
                    self.num(3, "INTEGER")
                ),
                &[
                    Some(after.to_string()),
                    Some(number.to_string()),
                    Some(line_no.to_string()),
                ],
            )
            .await?;
            let full = *after >= line.qty_purchase - 1e-6;
            if full {
                self.free_product(tx, number, &line.product_id).await?;
            }
            let uom = line.purchase_uom.as_deref();
            audit.push((
                Some(line.product_id.as_str()),
                format!(
                    "{number} line {line_no} {}: received {} (received {} -> {} of {} ordered{})",
                    line.product_id,
                    fmt_units(after - before, uom),
                    fmt_qty(*before),
                    fmt_qty(*after),
                    fmt_units(line.qty_purchase, uom),
                    if full {
                        "; in full, the product is free for new POs".to_string()
                    } else {
                        format!(
                            "; {} still on order",
                            fmt_units(line.qty_purchase - after, uom)
                        )
                    }
                ),
            ));
        }
        self.audit_many(tx, "po_line_received", &audit).await?;
        let all_in = po.lines.iter().all(|l| {
            let now = received
                .iter()
                .find(|(n, _, _)| *n == l.line_no)
                .map_or(l.qty_received, |r| r.2);
            now >= l.qty_purchase - 1e-6
        });
        if all_in
            && !self
                .transition_in(
                    tx,
                    number,
                    &[PoStatus::Sent, PoStatus::Acknowledged],
                    PoStatus::Received,
                    &[],
                    "po_received",
                    format!("{number} received (every line in full)"),
                )
                .await?
        {
            bail!("{number}: changed by another workstation meanwhile");
        }
        let _ = b;
        Ok(())
    }

    /// Approves each of `numbers` (POs pending approval), each in its own
    /// transaction: the ones approved, and the ones refused with why (four
    /// eyes, approved or cancelled by another workstation meanwhile).
    pub async fn approve_all(&self, numbers: &[String]) -> Result<ApprovalOutcome> {
        let mut out = ApprovalOutcome::default();
        for n in numbers {
            match self.approve_from(n, &[PoStatus::PendingApproval]).await {
                Ok(po) => out.approved.push(po),
                Err(e) => out.refused.push((n.clone(), format!("{e:#}"))),
            }
        }
        Ok(out)
    }
}

/// "PO-000001 has no line 4 (its lines: 1, 2)".
/// Where line `line_no` is in `po`; else an error naming the lines it has.
fn line_index(po: &PurchaseOrder, line_no: u32) -> Result<usize> {
    po.lines
        .iter()
        .position(|l| l.line_no == line_no)
        .ok_or_else(|| {
            let have: Vec<String> = po.lines.iter().map(|l| l.line_no.to_string()).collect();
            anyhow!(
                "{} has no line {line_no} (its lines: {})",
                po.po_number,
                have.join(", ")
            )
        })
}

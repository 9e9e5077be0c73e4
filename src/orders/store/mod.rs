//! Purchase orders in the purchasing database: numbering, drafting under
//! the one-open-PO-per-product lock, status changes, send claims and
//! attempts, each with its audit row in the same transaction.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Result};
use serde::Serialize;

use super::draft::{DraftPlan, PoDraft, Skipped};
use super::{cents_text, po_number, PoLine, PoStatus, PurchaseOrder};
use crate::sources::{Backend, Tx};
use crate::store::identity::send_key;
use crate::store::overrides::audit_sql;
use crate::store::{now, Store};

mod drafting;
mod editing;
mod sending;
mod status;

pub use editing::ApprovalOutcome;

/// What drafting saved, and what it left out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DraftOutcome {
    pub created: Vec<PurchaseOrder>,
    pub skipped: Vec<Skipped>,
}

/// A PO that may be with its supplier although no answer confirmed it:
/// cancelling it here does not cancel it there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{po} may have reached {supplier} ({why}): cancelling it here does not cancel it there, the supplier may deliver it while its products are ordered again; send it again with the same key (buyerdesk po send {po}; a 409 confirms the supplier has it) or ask the supplier, and cancel only if they do not have it (buyerdesk po cancel {po} --even-if-sent)"
)]
pub struct MayHaveReached {
    pub po: String,
    pub supplier: String,
    /// The attempt that may have reached the supplier, in words (escaped).
    pub why: String,
}

/// One try at handing a PO to its channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendAttempt {
    pub attempt: u32,
    pub at: String,
    pub user: String,
    pub claim: String,
    pub channel: String,
    /// started (under way, or cut off before its outcome was known), ok,
    /// not_reached, unknown (may have reached the supplier), rejected,
    /// cut_off (its process ended mid-attempt); retry and failed in rows
    /// written before schema version 4 distinguished not_reached from unknown.
    pub outcome: String,
    pub detail: Option<String>,
    pub finished_at: Option<String>,
}

/// A product's open POs as the plan sees them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OpenPo {
    /// Stock units on approved or sent POs (counted as on order).
    pub counted_qty: f64,
    /// "PO-000123 (sent, 600)" for each approved or sent PO line of the
    /// product (counted as on order: OPEN_PO).
    pub refs: Vec<String>,
    /// "PO-000124 (draft, 600)" for each line on a PO not yet approved
    /// (not counted as on order: ON_PO).
    pub unapproved_refs: Vec<String>,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: String,
    pub user: String,
    pub action: String,
    pub product_id: Option<String>,
    pub detail: Option<String>,
}

const PO_COLUMNS: [&str; 22] = [
    "po_number",
    "supplier_id",
    "supplier_name",
    "currency",
    "total_cents",
    "status",
    "approval_reason",
    "buyer",
    "created_at",
    "expected_delivery",
    "approved_by",
    "approved_at",
    "sent_at",
    "confirmation",
    "last_error",
    "claim",
    "claimed_at",
    "updated_at",
    "seq",
    "(SELECT COUNT(*) FROM po_lines l WHERE l.po_number = purchase_orders.po_number)",
    "send_key",
    "note",
];

const LINE_COLUMNS: [&str; 17] = [
    "line_no",
    "product_id",
    "product_name",
    "qty_stock",
    "stock_uom",
    "qty_purchase",
    "purchase_uom",
    "pack",
    "unit_price",
    "amount_cents",
    "lead_time_days",
    "expected_delivery",
    "suggested_qty",
    "overridden",
    "po_number",
    "qty_received",
    "rules_approval",
];

/// One PO of a batch send: number, attempt id, channel, and the
/// confirmation or the reason it failed.
pub type BatchOutcome = (String, i64, String, Result<String, String>);

/// POs drafted in one transaction.
const DRAFTS_PER_TRANSACTION: usize = 250;

/// Rows written by one multi-row statement: at 15 values a row, far below
/// every backend's limit on bound values (SQLite's is 32,766).
const ROWS_PER_STATEMENT: usize = 500;

use crate::store::is_contention;

fn select_list(b: Backend, cols: &[&str]) -> String {
    cols.iter()
        .map(|c| b.as_text(c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_po(r: &[Option<String>]) -> Option<PurchaseOrder> {
    let get = |i: usize| r.get(i).cloned().flatten();
    let po_number = get(0)?;
    Some(PurchaseOrder {
        // NULL: drafted before keys carried the database's identity; its
        // number is the key it may already have gone out with.
        send_key: get(20).unwrap_or_else(|| po_number.clone()),
        po_number,
        supplier_id: get(1),
        supplier_name: get(2).unwrap_or_default(),
        currency: get(3).unwrap_or_default(),
        total_cents: get(4)?.parse().ok()?,
        status: PoStatus::parse(&get(5)?)?,
        approval_reason: get(6),
        buyer: get(7).unwrap_or_default(),
        created_at: get(8).unwrap_or_default(),
        expected_delivery: get(9).unwrap_or_default(),
        approved_by: get(10),
        approved_at: get(11),
        sent_at: get(12),
        confirmation: get(13),
        last_error: get(14),
        claim: get(15),
        claimed_at: get(16),
        updated_at: get(17).unwrap_or_default(),
        line_count: get(19).and_then(|v| v.parse().ok()).unwrap_or(0),
        note: get(21),
        lines: Vec::new(),
    })
}

fn parse_line(r: &[Option<String>]) -> Option<PoLine> {
    let get = |i: usize| r.get(i).cloned().flatten();
    let num = |i: usize| get(i).and_then(|v| v.parse::<f64>().ok());
    Some(PoLine {
        line_no: get(0)?.parse().ok()?,
        product_id: get(1)?,
        product_name: get(2),
        qty_stock: num(3)?,
        stock_uom: get(4),
        qty_purchase: num(5)?,
        purchase_uom: get(6),
        pack: num(7)?,
        stock_unit_price: num(8)?,
        amount_cents: get(9)?.parse().ok()?,
        lead_time_days: num(10)?,
        expected_delivery: get(11).unwrap_or_default(),
        suggested_qty: num(12)?,
        overridden: get(13).as_deref() == Some("1"),
        qty_received: num(15).unwrap_or(0.0),
        requires_approval: get(16).as_deref() == Some("1"),
    })
}

/// The audit detail of an approval: amount, supplier and why it was
/// needed.
fn approval_detail(po: &PurchaseOrder) -> String {
    let why = po
        .approval_reason
        .as_deref()
        .map(|r| format!(" (needed: {r})"))
        .unwrap_or_else(|| " (within the threshold)".into());
    format!(
        "{} {}: {} {}{why}",
        po.po_number,
        po.supplier_name,
        cents_text(po.total_cents),
        po.currency
    )
}

/// The audit row as statement + binds.
fn audit_row(
    b: Backend,
    user: &str,
    action: &str,
    product_id: Option<&str>,
    detail: String,
) -> (String, Vec<Option<String>>) {
    (
        audit_sql(b),
        vec![
            Some(now()),
            Some(user.to_string()),
            Some(action.to_string()),
            product_id.map(str::to_string),
            Some(detail),
        ],
    )
}

/// The bound values of one statement and their placeholders, numbered as
/// the backend wants them (values are always bound, never written into
/// the SQL).
struct Binds {
    backend: Backend,
    binds: Vec<Option<String>>,
}

impl Binds {
    fn new(backend: Backend) -> Binds {
        Binds {
            backend,
            binds: Vec::new(),
        }
    }

    /// Binds a text; its placeholder.
    fn bind(&mut self, value: &str) -> String {
        self.bind_opt(Some(value))
    }

    fn bind_opt(&mut self, value: Option<&str>) -> String {
        self.binds.push(value.map(str::to_string));
        self.backend.placeholder(self.binds.len())
    }

    /// Binds a number (sent as text, cast where the backend needs it).
    fn bind_num(&mut self, value: &str, ty: &str) -> String {
        let p = self.bind(value);
        as_number(self.backend, p, ty)
    }

    /// Binds each value: their placeholders, comma-separated.
    fn list<'a>(&mut self, values: impl Iterator<Item = &'a str>) -> String {
        let ps: Vec<String> = values.map(|v| self.bind(v)).collect();
        ps.join(", ")
    }

    fn list_num<'a>(&mut self, values: impl Iterator<Item = &'a str>, ty: &str) -> String {
        let ps: Vec<String> = values.map(|v| self.bind_num(v, ty)).collect();
        ps.join(", ")
    }
}

/// A text placeholder read as a number of type `ty`: PostgreSQL binds
/// text strictly, the others convert it themselves.
fn as_number(backend: Backend, placeholder: String, ty: &str) -> String {
    match backend {
        Backend::Postgres => format!("CAST({placeholder} AS {ty})"),
        _ => placeholder,
    }
}

impl Store {
    fn p(&self, n: usize) -> String {
        self.source.backend.placeholder(n)
    }

    /// A placeholder read as a number (PostgreSQL binds text).
    fn num(&self, n: usize, ty: &str) -> String {
        as_number(self.source.backend, self.p(n), ty)
    }

    /// Products on an open PO: product id -> "PO-000123 (sent)".
    pub async fn open_products(&self) -> Result<HashMap<String, String>> {
        let b = self.source.backend;
        let rows = self
            .source
            .fetch_text(
                &format!(
                    "SELECT {}, {}, {} FROM po_open_products o JOIN purchase_orders p ON p.po_number = o.po_number",
                    b.as_text("o.product_id"),
                    b.as_text("o.po_number"),
                    b.as_text("p.status")
                ),
                &[],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let mut it = r.into_iter();
                let (id, po, status) = (it.next()??, it.next()??, it.next()??);
                Some((id, format!("{po} ({status})")))
            })
            .collect())
    }

    /// Each product's open POs: the quantity counted as on order (what is
    /// not received yet) and what the plan names.
    pub async fn open_pos_by_product(&self) -> Result<HashMap<String, OpenPo>> {
        let b = self.source.backend;
        let rows = self
            .source
            .fetch_text(
                &format!(
                    "SELECT {}, {}, {}, {}, {}, {} FROM po_lines l JOIN purchase_orders p ON p.po_number = l.po_number \
                     WHERE p.status IN ({}) ORDER BY l.product_id, p.seq",
                    b.as_text("l.product_id"),
                    b.as_text("l.po_number"),
                    b.as_text("p.status"),
                    b.as_text("l.qty_stock"),
                    b.as_text("l.qty_received"),
                    b.as_text("l.pack"),
                    // Constants of ours, not data: every status that
                    // counts as on order or as a draft (ON_PO).
                    PoStatus::ALL
                        .iter()
                        .filter(|s| s.counts_on_order() || s.is_unapproved())
                        .map(|s| format!("'{}'", s.as_str()))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                &[],
            )
            .await?;
        let mut out: HashMap<String, OpenPo> = HashMap::new();
        for r in rows {
            let mut it = r.into_iter();
            let (Some(Some(id)), Some(Some(po)), Some(Some(status)), Some(Some(qty))) =
                (it.next(), it.next(), it.next(), it.next())
            else {
                continue;
            };
            let (Some(status), Ok(qty)) = (PoStatus::parse(&status), qty.parse::<f64>()) else {
                continue;
            };
            // What is not received yet (partial receipts, purchase units
            // x pack); a line received in full is no longer on order.
            let num = |v: Option<Option<String>>| {
                v.flatten()
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            let (received, pack) = (num(it.next()), num(it.next()));
            let qty = crate::plan::numbers::round_qty(qty - received * pack);
            if qty <= 0.0 {
                continue;
            }
            let e = out.entry(id).or_default();
            let words = format!("{po} ({status}, {})", crate::plan::numbers::fmt_qty(qty));
            if status.counts_on_order() {
                e.counted_qty += qty;
                e.refs.push(words);
            } else {
                e.unapproved_refs.push(words);
            }
        }
        Ok(out)
    }

    /// POs, newest first; only those of `status` when given.
    pub async fn pos(&self, status: Option<PoStatus>) -> Result<Vec<PurchaseOrder>> {
        match status {
            Some(st) => {
                let filter = format!("purchase_orders.status = {}", self.p(1));
                self.select_pos(&filter, "seq DESC", &[st.as_str().to_string()])
                    .await
            }
            None => self.select_pos("1 = 1", "seq DESC", &[]).await,
        }
    }

    /// One PO with its lines.
    pub async fn po(&self, number: &str) -> Result<Option<PurchaseOrder>> {
        let filter = format!("purchase_orders.po_number = {}", self.p(1));
        let binds = [number.to_string()];
        Ok(self
            .select_pos_with_lines(&filter, &binds)
            .await?
            .into_iter()
            .next())
    }

    /// The POs matching `filter` (a condition on `purchase_orders`, its
    /// columns qualified), in `order`, without their lines.
    async fn select_pos(
        &self,
        filter: &str,
        order: &str,
        binds: &[String],
    ) -> Result<Vec<PurchaseOrder>> {
        let rows = self
            .source
            .fetch_text(
                &format!(
                    "SELECT {} FROM purchase_orders WHERE {filter} ORDER BY {order}",
                    select_list(self.source.backend, &PO_COLUMNS)
                ),
                binds,
            )
            .await?;
        Ok(rows.iter().filter_map(|r| parse_po(r)).collect())
    }

    /// The POs matching `filter` (as `select_pos`), oldest first, with
    /// their lines: two queries whatever their number.
    async fn select_pos_with_lines(
        &self,
        filter: &str,
        binds: &[String],
    ) -> Result<Vec<PurchaseOrder>> {
        let b = self.source.backend;
        let mut pos = self.select_pos(filter, "seq", binds).await?;
        let lines = self
            .source
            .fetch_text(
                &format!(
                    "SELECT {} FROM po_lines l JOIN purchase_orders ON purchase_orders.po_number = l.po_number \
                     WHERE {filter} ORDER BY l.po_number, l.line_no",
                    LINE_COLUMNS
                        .iter()
                        .map(|c| b.as_text(&format!("l.{c}")))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                binds,
            )
            .await?;
        let mut by_po: HashMap<String, Vec<PoLine>> = HashMap::new();
        for r in &lines {
            if let (Some(line), Some(Some(po))) = (parse_line(r), r.get(14)) {
                by_po.entry(po.clone()).or_default().push(line);
            }
        }
        for po in &mut pos {
            po.lines = by_po.remove(&po.po_number).unwrap_or_default();
            po.line_count = po.lines.len();
        }
        Ok(pos)
    }

    /// A PO that must exist: "PO-000999: no such PO".
    pub async fn po_required(&self, number: &str) -> Result<PurchaseOrder> {
        self.po(number)
            .await?
            .ok_or_else(|| anyhow!("{number}: no such PO"))
    }

    /// The send attempts of a PO, oldest first.
    pub async fn send_attempts(&self, number: &str) -> Result<Vec<SendAttempt>> {
        let b = self.source.backend;
        let rows = self
            .source
            .fetch_text(
                &format!(
                    "SELECT {} FROM po_send_attempts WHERE po_number = {} ORDER BY id",
                    select_list(
                        b,
                        &[
                            "attempt",
                            "at",
                            "user_name",
                            "claim",
                            "channel",
                            "outcome",
                            "detail",
                            "finished_at"
                        ]
                    ),
                    self.p(1)
                ),
                &[number.to_string()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let get = |i: usize| r.get(i).cloned().flatten();
                Some(SendAttempt {
                    attempt: get(0)?.parse().ok()?,
                    at: get(1).unwrap_or_default(),
                    user: get(2).unwrap_or_default(),
                    claim: get(3).unwrap_or_default(),
                    channel: get(4).unwrap_or_default(),
                    outcome: get(5).unwrap_or_default(),
                    finished_at: get(7),
                    detail: get(6),
                })
            })
            .collect())
    }

    /// The audit log, oldest first; from `since` (an RFC 3339 time or a
    /// date) when given.
    pub async fn audit_entries(&self, since: Option<&str>) -> Result<Vec<AuditEntry>> {
        let b = self.source.backend;
        let (filter, binds) = match since {
            Some(s) => (format!(" WHERE at >= {}", self.p(1)), vec![s.to_string()]),
            None => (String::new(), Vec::new()),
        };
        let rows = self
            .source
            .fetch_text(
                &format!(
                    "SELECT {} FROM audit_log{filter} ORDER BY id",
                    select_list(b, &["at", "user_name", "action", "product_id", "detail"])
                ),
                &binds,
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let get = |i: usize| r.get(i).cloned().flatten();
                AuditEntry {
                    at: get(0).unwrap_or_default(),
                    user: get(1).unwrap_or_default(),
                    action: get(2).unwrap_or_default(),
                    product_id: get(3),
                    detail: get(4),
                }
            })
            .collect())
    }
}

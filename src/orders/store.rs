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

const PO_COLUMNS: [&str; 21] = [
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
];

const LINE_COLUMNS: [&str; 15] = [
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
];

/// One PO of a batch send: number, attempt id, channel, and the
/// confirmation or the reason it failed.
pub type BatchOutcome = (String, i64, String, Result<String, String>);

/// POs drafted in one transaction.
const DRAFTS_PER_TRANSACTION: usize = 250;

/// Rows written by one multi-row statement: at 15 values a row, far below
/// every backend's limit on bound values (SQLite's is 32,766).
const ROWS_PER_STATEMENT: usize = 500;

/// Errors worth a second try: two writers met (deadlock, serialization,
/// SQLite busy).
fn is_contention(e: &anyhow::Error) -> bool {
    let t = format!("{e:#}").to_ascii_lowercase();
    [
        "deadlock",
        "could not serialize",
        "database is locked",
        "busy",
        "lock wait timeout",
    ]
    .iter()
    .any(|w| t.contains(w))
}

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

    /// Each product's open POs: the quantity counted as on order and what
    /// the plan names.
    pub async fn open_pos_by_product(&self) -> Result<HashMap<String, OpenPo>> {
        let b = self.source.backend;
        let rows = self
            .source
            .fetch_text(
                &format!(
                    "SELECT {}, {}, {}, {} FROM po_lines l JOIN purchase_orders p ON p.po_number = l.po_number \
                     WHERE p.status IN ({}) ORDER BY l.product_id, p.seq",
                    b.as_text("l.product_id"),
                    b.as_text("l.po_number"),
                    b.as_text("p.status"),
                    b.as_text("l.qty_stock"),
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

    /// Saves the drafts: each PO gets its number and takes its products in
    /// one transaction; a product another PO holds (perhaps drafted on
    /// another workstation a moment ago) is left out with the reason.
    pub async fn create_pos(&self, plan: DraftPlan) -> Result<DraftOutcome> {
        let mut out = DraftOutcome {
            created: Vec::new(),
            skipped: plan.skipped,
        };
        // A few hundred POs per transaction: one commit (one sync) for all
        // of them, and never a long hold on the locks.
        for chunk in plan.pos.chunks(DRAFTS_PER_TRANSACTION) {
            let mut tries = 0;
            loop {
                tries += 1;
                match self.create_chunk(chunk).await {
                    Ok((created, skipped)) => {
                        out.created.extend(created);
                        out.skipped.extend(skipped);
                        break;
                    }
                    Err(e) if tries < 5 && is_contention(&e) => {
                        tracing::info!("drafting: retrying after {e:#}");
                        tokio::time::sleep(std::time::Duration::from_millis(20 * tries)).await;
                    }
                    Err(e) => {
                        let first = chunk
                            .first()
                            .map(|d| d.supplier_name.as_str())
                            .unwrap_or("");
                        return Err(e.context(format!("drafting the POs (from {first})")));
                    }
                }
            }
        }
        Ok(out)
    }

    /// One transaction of drafts, a few statements for all of them (on
    /// loopback a statement's round trip costs more than the server's work
    /// for it): the numbers, the headers, the products taken, the lines,
    /// the audit rows. Built from what was written (no read back).
    async fn create_chunk(&self, drafts: &[PoDraft]) -> Result<(Vec<PurchaseOrder>, Vec<Skipped>)> {
        let b = self.source.backend;
        let mut tx = self.source.begin().await?;
        let seqs = self.next_numbers(&mut tx, drafts.len()).await?;
        let numbers: Vec<String> = seqs.iter().map(|&s| po_number(s)).collect();
        // Written once, here, and never worked out again.
        let identity = self.identity_required()?.identity.as_str();
        let at = now();
        let status_of = |d: &PoDraft| {
            if d.approval_reason.is_some() {
                PoStatus::PendingApproval
            } else {
                PoStatus::Draft
            }
        };
        // The headers first: the product locks refer to them. The total is
        // the draft's; lowered below where another PO holds a product.
        let heads: Vec<(&PoDraft, &String, i64)> = drafts
            .iter()
            .zip(&numbers)
            .zip(&seqs)
            .map(|((d, n), &seq)| (d, n, seq))
            .collect();
        self.insert_rows(
            &mut tx,
            "INSERT INTO purchase_orders (po_number, seq, supplier_key, supplier_id, supplier_name, currency, \
             total_cents, status, approval_reason, buyer, created_at, expected_delivery, updated_at, send_key)",
            "",
            &heads,
            |q, &(d, number, seq)| {
                let key = d.supplier_id.as_deref().unwrap_or(&d.supplier_name);
                vec![
                    q.bind(number),
                    q.bind_num(&seq.to_string(), "BIGINT"),
                    q.bind(key),
                    q.bind_opt(d.supplier_id.as_deref()),
                    q.bind(&d.supplier_name),
                    q.bind(&d.currency),
                    q.bind_num(&d.total_cents.to_string(), "BIGINT"),
                    q.bind(status_of(d).as_str()),
                    q.bind_opt(d.approval_reason.as_deref()),
                    q.bind(&self.user),
                    q.bind(&at),
                    q.bind(&d.expected_delivery),
                    q.bind(&at),
                    q.bind(&send_key(number, identity)),
                ]
            },
        )
        .await?;
        // Every product of the transaction in id order: two drafters take
        // them in the same order, so they wait on each other instead of
        // deadlocking. A product another open PO holds is not taken.
        let mut wanted: Vec<(&str, &str)> = drafts
            .iter()
            .zip(&numbers)
            .flat_map(|(d, n)| {
                d.lines
                    .iter()
                    .map(move |l| (l.product_id.as_str(), n.as_str()))
            })
            .collect();
        wanted.sort_unstable();
        let (take, take_end) = match b {
            Backend::Postgres => ("INSERT INTO", " ON CONFLICT DO NOTHING"),
            Backend::MySql => ("INSERT IGNORE INTO", ""),
            Backend::Sqlite => ("INSERT OR IGNORE INTO", ""),
        };
        self.insert_rows(
            &mut tx,
            &format!("{take} po_open_products (product_id, po_number)"),
            take_end,
            &wanted,
            |q, (product, number)| vec![q.bind(product), q.bind(number)],
        )
        .await?;
        // Who holds each product now: one of these POs, or another one
        // (named in the reason when this transaction can see it).
        let mut holders: HashMap<String, (String, String)> = HashMap::new();
        for part in wanted.chunks(ROWS_PER_STATEMENT) {
            let mut q = Binds::new(b);
            let sql = format!(
                "SELECT {}, {}, {} FROM po_open_products o JOIN purchase_orders p ON p.po_number = o.po_number \
                 WHERE o.product_id IN ({})",
                b.as_text("o.product_id"),
                b.as_text("o.po_number"),
                b.as_text("p.status"),
                q.list(part.iter().map(|(product, _)| *product))
            );
            for r in tx.fetch(&sql, &q.binds).await? {
                let mut it = r.into_iter();
                if let (Some(Some(product)), Some(Some(po)), Some(Some(status))) =
                    (it.next(), it.next(), it.next())
                {
                    holders.insert(product, (po, status));
                }
            }
        }
        let mut created = Vec::new();
        let mut skipped = Vec::new();
        let mut empty: Vec<&str> = Vec::new();
        let mut lowered: Vec<(&str, i64)> = Vec::new();
        for (i, d) in drafts.iter().enumerate() {
            let number = &numbers[i];
            let mut lines: Vec<&PoLine> = d.lines.iter().collect();
            lines.sort_by(|a, b| a.product_id.cmp(&b.product_id));
            let mut kept = Vec::with_capacity(lines.len());
            for l in lines {
                match holders.get(&l.product_id) {
                    Some((po, _)) if po == number => kept.push(PoLine {
                        line_no: kept.len() as u32 + 1,
                        ..l.clone()
                    }),
                    held => skipped.push(Skipped {
                        product_id: l.product_id.clone(),
                        reason: format!(
                            "already on {}",
                            held.map(|(po, status)| format!("{po} ({status})"))
                                .unwrap_or_else(|| "another PO".into())
                        ),
                    }),
                }
            }
            if kept.is_empty() {
                // Nothing left to order from this supplier: no PO. The
                // number is spent (numbers are never reused).
                empty.push(number);
                continue;
            }
            let total_cents: i64 = kept.iter().map(|l| l.amount_cents).sum();
            if total_cents != d.total_cents {
                lowered.push((number, total_cents));
            }
            created.push(PurchaseOrder {
                send_key: send_key(number, identity),
                po_number: number.clone(),
                supplier_id: d.supplier_id.clone(),
                supplier_name: d.supplier_name.clone(),
                currency: d.currency.clone(),
                total_cents,
                status: status_of(d),
                // Worked out on the draft's total; lines taken by another
                // PO may have lowered it.
                approval_reason: d.approval_reason.clone(),
                buyer: self.user.clone(),
                created_at: at.clone(),
                expected_delivery: d.expected_delivery.clone(),
                approved_by: None,
                approved_at: None,
                sent_at: None,
                confirmation: None,
                last_error: None,
                claim: None,
                claimed_at: None,
                updated_at: at.clone(),
                line_count: kept.len(),
                lines: kept,
            });
        }
        for part in empty.chunks(ROWS_PER_STATEMENT) {
            let mut q = Binds::new(b);
            let sql = format!(
                "DELETE FROM purchase_orders WHERE po_number IN ({})",
                q.list(part.iter().copied())
            );
            tx.exec(&sql, &q.binds).await?;
        }
        for (number, total_cents) in &lowered {
            tx.exec(
                &format!(
                    "UPDATE purchase_orders SET total_cents = {} WHERE po_number = {}",
                    self.num(1, "BIGINT"),
                    self.p(2)
                ),
                &[Some(total_cents.to_string()), Some(number.to_string())],
            )
            .await?;
        }
        let lines: Vec<(&str, &PoLine)> = created
            .iter()
            .flat_map(|po| po.lines.iter().map(move |l| (po.po_number.as_str(), l)))
            .collect();
        self.insert_rows(
            &mut tx,
            "INSERT INTO po_lines (po_number, line_no, product_id, product_name, qty_stock, stock_uom, qty_purchase, \
             purchase_uom, pack, unit_price, amount_cents, lead_time_days, expected_delivery, suggested_qty, overridden)",
            "",
            &lines,
            |q, (number, l)| {
                vec![
                    q.bind(number),
                    q.bind_num(&l.line_no.to_string(), "INTEGER"),
                    q.bind(&l.product_id),
                    q.bind_opt(l.product_name.as_deref()),
                    q.bind_num(&l.qty_stock.to_string(), "DOUBLE PRECISION"),
                    q.bind_opt(l.stock_uom.as_deref()),
                    q.bind_num(&l.qty_purchase.to_string(), "DOUBLE PRECISION"),
                    q.bind_opt(l.purchase_uom.as_deref()),
                    q.bind_num(&l.pack.to_string(), "DOUBLE PRECISION"),
                    q.bind_num(&l.stock_unit_price.to_string(), "DOUBLE PRECISION"),
                    q.bind_num(&l.amount_cents.to_string(), "BIGINT"),
                    q.bind_num(&l.lead_time_days.to_string(), "DOUBLE PRECISION"),
                    q.bind(&l.expected_delivery),
                    q.bind_num(&l.suggested_qty.to_string(), "DOUBLE PRECISION"),
                    q.bind_num(if l.overridden { "1" } else { "0" }, "INTEGER"),
                ]
            },
        )
        .await?;
        let audit: Vec<(Option<&str>, String)> = created
            .iter()
            .map(|po| {
                let products: Vec<&str> = po.lines.iter().map(|l| l.product_id.as_str()).collect();
                (
                    None,
                    format!(
                        "{} {}: {} {} ({}){}",
                        po.po_number,
                        po.supplier_name,
                        cents_text(po.total_cents),
                        po.currency,
                        products.join(", "),
                        po.approval_reason
                            .as_deref()
                            .map(|r| format!("; needs approval: {r}"))
                            .unwrap_or_default()
                    ),
                )
            })
            .collect();
        self.audit_many(&mut tx, "po_drafted", &audit).await?;
        tx.commit().await?;
        for po in &created {
            tracing::info!(po = %po.po_number, supplier = %po.supplier_name, lines = po.line_count, "PO drafted");
        }
        Ok((created, skipped))
    }

    /// `n` new PO numbers (sequence values), lowest first.
    async fn next_numbers(&self, tx: &mut Tx, n: usize) -> Result<Vec<i64>> {
        let parse = |rows: crate::sources::TextRows| -> Result<Vec<i64>> {
            rows.iter()
                .map(|r| {
                    r.first()
                        .cloned()
                        .flatten()
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| anyhow!("the PO number sequence gave no number"))
                })
                .collect()
        };
        let mut seqs = match self.source.backend {
            Backend::Postgres => parse(
                tx.fetch(
                    "SELECT CAST(nextval('po_number_seq') AS TEXT) FROM generate_series(1, CAST($1 AS INTEGER))",
                    &[Some(n.to_string())],
                )
                .await?,
            )?,
            Backend::Sqlite => {
                let mut out = Vec::with_capacity(n);
                let all: Vec<usize> = (0..n).collect();
                for part in all.chunks(ROWS_PER_STATEMENT) {
                    let mut q = Binds::new(Backend::Sqlite);
                    let at = now();
                    let rows: Vec<String> = part
                        .iter()
                        .map(|_| format!("({}, {})", q.bind(&at), q.bind(&self.user)))
                        .collect();
                    let sql = format!(
                        "INSERT INTO po_numbers (taken_at, taken_by) VALUES {} RETURNING CAST(id AS TEXT)",
                        rows.join(", ")
                    );
                    out.extend(parse(tx.fetch(&sql, &q.binds).await?)?);
                }
                out
            }
            // MySQL has no RETURNING (MariaDB's is not MySQL's), and the ids
            // of a multi-row insert are consecutive only in some lock modes:
            // one insert per number.
            Backend::MySql => {
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    out.push(
                        tx.insert_id(
                            "INSERT INTO po_numbers (taken_at, taken_by) VALUES (?, ?)",
                            &[Some(now()), Some(self.user.clone())],
                        )
                        .await?,
                    );
                }
                out
            }
        };
        if seqs.len() != n {
            bail!(
                "the PO number sequence gave {} numbers for {n} POs",
                seqs.len()
            );
        }
        seqs.sort_unstable();
        Ok(seqs)
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

    /// Changes a PO's status from one of `from` to `to` with `sets` (extra
    /// `column = value` pairs) and an audit row, in one transaction. A PO
    /// in another status is refused with a message naming its status.
    async fn transition(
        &self,
        number: &str,
        from: &[PoStatus],
        to: PoStatus,
        sets: &[(&str, Option<String>)],
        action: &str,
        detail: String,
    ) -> Result<PurchaseOrder> {
        let mut tx = self.source.begin().await?;
        if !self
            .transition_in(&mut tx, number, from, to, sets, action, detail)
            .await?
        {
            drop(tx);
            let po = self.po_required(number).await?;
            bail!(
                "{number} is {}: it cannot become {to} (only from {})",
                po.status,
                from.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            );
        }
        tx.commit().await?;
        self.po_required(number).await
    }

    /// `transition` within `tx`: false (nothing written) when the PO is in
    /// none of the `from` statuses.
    #[allow(clippy::too_many_arguments)]
    async fn transition_in(
        &self,
        tx: &mut Tx,
        number: &str,
        from: &[PoStatus],
        to: PoStatus,
        sets: &[(&str, Option<String>)],
        action: &str,
        detail: String,
    ) -> Result<bool> {
        let b = self.source.backend;
        let mut binds: Vec<Option<String>> = vec![Some(to.as_str().into()), Some(now())];
        let mut assign = format!("status = {}, updated_at = {}", self.p(1), self.p(2));
        for (col, v) in sets {
            binds.push(v.clone());
            assign.push_str(&format!(", {col} = {}", self.p(binds.len())));
        }
        binds.push(Some(number.to_string()));
        let mut sql = format!(
            "UPDATE purchase_orders SET {assign} WHERE po_number = {}",
            self.p(binds.len())
        );
        let list: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
        sql.push_str(&format!(" AND status IN ({})", list.join(",")));
        if tx.exec(&sql, &binds).await? != 1 {
            return Ok(false);
        }
        if !to.is_open() {
            tx.exec(
                &format!(
                    "DELETE FROM po_open_products WHERE po_number = {}",
                    self.p(1)
                ),
                &[Some(number.to_string())],
            )
            .await?;
        }
        let (a, ab) = audit_row(b, &self.user, action, None, detail);
        tx.exec(&a, &ab).await?;
        Ok(true)
    }

    /// An approval by this store's user: the columns it sets.
    fn approval_sets(&self) -> [(&'static str, Option<String>); 2] {
        [
            ("approved_by", Some(self.user.clone())),
            ("approved_at", Some(now())),
        ]
    }

    /// Approves a draft or a PO waiting for approval; records who and when.
    pub async fn approve(&self, number: &str) -> Result<PurchaseOrder> {
        let po = self.po_required(number).await?;
        self.transition(
            number,
            &[PoStatus::Draft, PoStatus::PendingApproval],
            PoStatus::Approved,
            &self.approval_sets(),
            "po_approved",
            approval_detail(&po),
        )
        .await
    }

    /// The supplier delivered: the PO no longer counts as on order.
    pub async fn receive(&self, number: &str) -> Result<PurchaseOrder> {
        self.transition(
            number,
            &[PoStatus::Sent, PoStatus::Acknowledged],
            PoStatus::Received,
            &[],
            "po_received",
            format!("{number} received"),
        )
        .await
    }

    pub async fn close(&self, number: &str) -> Result<PurchaseOrder> {
        self.transition(
            number,
            &[PoStatus::Sent, PoStatus::Acknowledged, PoStatus::Received],
            PoStatus::Closed,
            &[],
            "po_closed",
            format!("{number} closed"),
        )
        .await
    }

    /// Cancels a PO not yet sent. A sent PO is closed instead: buyerdesk
    /// sends no cancellations to suppliers. A PO that may have reached its
    /// supplier (unconfirmed, or an attempt whose outcome is unknown) is
    /// cancelled only with `even_if_sent`, the buyer's word that the risk
    /// was weighed (`MayHaveReached` otherwise).
    pub async fn cancel(&self, number: &str, even_if_sent: bool) -> Result<PurchaseOrder> {
        let po = self.po_required(number).await?;
        if matches!(
            po.status,
            PoStatus::Sending | PoStatus::Sent | PoStatus::Acknowledged
        ) {
            bail!(
                "{number} is {}: the supplier has it (or is getting it); cancel with the supplier, then `po close {number}`",
                po.status
            );
        }
        let mut from = vec![
            PoStatus::Draft,
            PoStatus::PendingApproval,
            PoStatus::Approved,
        ];
        let mut detail = format!("{number} cancelled (was {})", po.status);
        if let Some(risk) = self.may_have_reached(&po).await? {
            if !even_if_sent {
                return Err(risk.into());
            }
            // Only in the state the buyer was warned of: an approved PO
            // whose send began since is refused by the transition.
            from = vec![po.status];
            detail.push_str(&format!(
                "; the buyer cancelled it knowing the supplier may have it ({})",
                risk.why
            ));
        }
        self.transition(
            number,
            &from,
            PoStatus::Cancelled,
            &[],
            "po_cancelled",
            detail,
        )
        .await
    }

    /// Why `po` may be with its supplier although unconfirmed: `None` when
    /// no attempt can have reached it.
    pub async fn may_have_reached(&self, po: &PurchaseOrder) -> Result<Option<MayHaveReached>> {
        if !matches!(po.status, PoStatus::Approved | PoStatus::Unconfirmed) {
            return Ok(None);
        }
        let attempts = self.send_attempts(&po.po_number).await?;
        let last = attempts
            .iter()
            .rev()
            .find(|a| super::may_have_reached(&a.outcome));
        if last.is_none() && po.status != PoStatus::Unconfirmed {
            return Ok(None);
        }
        let why = match last {
            Some(a) => format!(
                "attempt {} at {} via {}: {}{}",
                a.attempt,
                a.at,
                a.channel,
                a.outcome,
                a.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            None => po
                .last_error
                .clone()
                .unwrap_or_else(|| "its send ended without a confirmation".into()),
        };
        Ok(Some(MayHaveReached {
            po: po.po_number.clone(),
            supplier: crate::text::printable(&po.supplier_name).into_owned(),
            why: crate::text::printable(&why).into_owned(),
        }))
    }

    /// Drafts within the threshold approved on sending, in one
    /// transaction (each with its audit row); the numbers approved. A
    /// draft another workstation approved, sent or cancelled a moment ago
    /// is left as it is. A few statements for all of them.
    pub async fn approve_drafts(&self, pos: &[PurchaseOrder]) -> Result<Vec<String>> {
        let b = self.source.backend;
        let within: Vec<&PurchaseOrder> =
            pos.iter().filter(|p| p.approval_reason.is_none()).collect();
        if within.is_empty() {
            return Ok(Vec::new());
        }
        let at = now();
        let mut tx = self.source.begin().await?;
        let mut approved = Vec::new();
        for part in within.chunks(ROWS_PER_STATEMENT) {
            let mut q = Binds::new(b);
            let assign = format!(
                "status = 'approved', updated_at = {}, approved_by = {}, approved_at = {}",
                q.bind(&at),
                q.bind(&self.user),
                q.bind(&at)
            );
            let list = q.list(part.iter().map(|p| p.po_number.as_str()));
            let these: std::collections::HashSet<String> = match b {
                // The rows changed, said by the statement that changed them.
                Backend::Postgres | Backend::Sqlite => {
                    let sql = format!(
                        "UPDATE purchase_orders SET {assign} WHERE status = 'draft' AND po_number IN ({list}) \
                         RETURNING {}",
                        b.as_text("po_number")
                    );
                    tx.fetch(&sql, &q.binds)
                        .await?
                        .into_iter()
                        .filter_map(|r| r.into_iter().next().flatten())
                        .collect()
                }
                // No RETURNING: the drafts are read and locked first.
                Backend::MySql => {
                    let mut r = Binds::new(b);
                    let sql = format!(
                        "SELECT po_number FROM purchase_orders WHERE status = 'draft' AND po_number IN ({}) FOR UPDATE",
                        r.list(part.iter().map(|p| p.po_number.as_str()))
                    );
                    let drafts: std::collections::HashSet<String> = tx
                        .fetch(&sql, &r.binds)
                        .await?
                        .into_iter()
                        .filter_map(|r| r.into_iter().next().flatten())
                        .collect();
                    if !drafts.is_empty() {
                        let sql = format!(
                            "UPDATE purchase_orders SET {assign} WHERE status = 'draft' AND po_number IN ({list})"
                        );
                        tx.exec(&sql, &q.binds).await?;
                    }
                    drafts
                }
            };
            let audit: Vec<(Option<&str>, String)> = part
                .iter()
                .filter(|p| these.contains(&p.po_number))
                .map(|p| (None, approval_detail(p)))
                .collect();
            self.audit_many(&mut tx, "po_approved", &audit).await?;
            approved.extend(
                part.iter()
                    .filter(|p| these.contains(&p.po_number))
                    .map(|p| p.po_number.clone()),
            );
        }
        tx.commit().await?;
        Ok(approved)
    }

    /// Claims approved POs for sending and logs each one's first attempt
    /// as `started`, in one transaction: (number, attempt id) of those
    /// claimed (another workstation may have taken some). A few statements
    /// for the whole batch, not a few per PO: on loopback each statement
    /// costs about as much as writing a PO's documents.
    pub async fn claim_batch(
        &self,
        numbers: &[(String, String)],
        claim: &str,
    ) -> Result<Vec<(String, i64)>> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let b = self.source.backend;
        let at = now();
        let mut tx = self.source.begin().await?;
        let mut q = Binds::new(b);
        // The claim's time from the server's clock: every workstation
        // judges the lease by the same clock.
        let sql = format!(
            "UPDATE purchase_orders SET status = 'sending', claim = {}, claimed_at = {}, updated_at = {} \
             WHERE status = 'approved' AND po_number IN ({})",
            q.bind(claim),
            crate::store::server_now_sql(b),
            q.bind(&at),
            q.list(numbers.iter().map(|(n, _)| n.as_str()))
        );
        tx.exec(&sql, &q.binds).await?;
        let ours = self
            .claimed_in(
                &mut tx,
                claim,
                numbers.iter().map(|(n, _)| n.as_str()),
                false,
            )
            .await?;
        let claimed: Vec<&(String, String)> =
            numbers.iter().filter(|(n, _)| ours.contains(n)).collect();
        if claimed.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        self.insert_rows(
            &mut tx,
            "INSERT INTO po_send_attempts (po_number, attempt, at, user_name, claim, channel, outcome)",
            "",
            &claimed,
            |q, (number, channel)| {
                vec![
                    q.bind(number),
                    q.bind_num("1", "INTEGER"),
                    q.bind(&at),
                    q.bind(&self.user),
                    q.bind(claim),
                    q.bind(channel),
                    "'started'".to_string(),
                ]
            },
        )
        .await?;
        let mut q = Binds::new(b);
        let sql = format!(
            "SELECT {}, po_number FROM po_send_attempts \
             WHERE claim = {} AND outcome = 'started' AND po_number IN ({})",
            b.as_text("id"),
            q.bind(claim),
            q.list(claimed.iter().map(|(n, _)| n.as_str()))
        );
        let ids: HashMap<String, i64> = tx
            .fetch(&sql, &q.binds)
            .await?
            .into_iter()
            .filter_map(|r| {
                let id = r.first()?.as_deref()?.parse().ok()?;
                Some((r.get(1)?.clone()?, id))
            })
            .collect();
        let audit: Vec<(Option<&str>, String)> = claimed
            .iter()
            .map(|(number, _)| (None, format!("{number}: sending (by {claim})")))
            .collect();
        self.audit_many(&mut tx, "po_send_started", &audit).await?;
        tx.commit().await?;
        claimed
            .iter()
            .map(|(number, _)| match ids.get(number) {
                Some(&id) => Ok((number.clone(), id)),
                None => Err(anyhow::anyhow!("{number}: its send attempt was not logged")),
            })
            .collect()
    }

    /// Which of `numbers` are being sent under `claim` (locked until the
    /// transaction ends where the backend locks rows, so that no takeover
    /// slips in between this read and the writes that follow it).
    async fn claimed_in<'a>(
        &self,
        tx: &mut Tx,
        claim: &str,
        numbers: impl Iterator<Item = &'a str>,
        lock: bool,
    ) -> Result<std::collections::HashSet<String>> {
        let b = self.source.backend;
        let mut q = Binds::new(b);
        let lock = match (lock, b) {
            (true, Backend::Postgres | Backend::MySql) => " FOR UPDATE",
            // SQLite: the transaction holds the write lock already.
            _ => "",
        };
        let sql = format!(
            "SELECT po_number FROM purchase_orders WHERE status = 'sending' AND claim = {} AND po_number IN ({}){lock}",
            q.bind(claim),
            q.list(numbers)
        );
        Ok(tx
            .fetch(&sql, &q.binds)
            .await?
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect())
    }

    /// Inserts one row per item, `ROWS_PER_STATEMENT` rows a statement:
    /// `head` is "INSERT ... INTO t (cols)", `tail` what follows the values
    /// (" ON CONFLICT DO NOTHING" or ""), `row` binds an item's values and
    /// gives their placeholders.
    async fn insert_rows<T>(
        &self,
        tx: &mut Tx,
        head: &str,
        tail: &str,
        items: &[T],
        mut row: impl FnMut(&mut Binds, &T) -> Vec<String>,
    ) -> Result<()> {
        for part in items.chunks(ROWS_PER_STATEMENT) {
            let mut q = Binds::new(self.source.backend);
            let rows: Vec<String> = part
                .iter()
                .map(|item| format!("({})", row(&mut q, item).join(", ")))
                .collect();
            let sql = format!("{head} VALUES {}{tail}", rows.join(", "));
            tx.exec(&sql, &q.binds).await?;
        }
        Ok(())
    }

    /// Audit rows, as few statements as it takes: (product, detail) each.
    async fn audit_many(
        &self,
        tx: &mut Tx,
        action: &str,
        rows: &[(Option<&str>, String)],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let at = now();
        self.insert_rows(
            tx,
            "INSERT INTO audit_log (at, user_name, action, product_id, detail)",
            "",
            rows,
            |q, (product, detail)| {
                vec![
                    q.bind(&at),
                    q.bind(&self.user),
                    q.bind(action),
                    q.bind_opt(*product),
                    q.bind(detail),
                ]
            },
        )
        .await
    }

    /// The POs `claim` is sending, with their lines (two queries).
    pub async fn claimed_pos(&self, claim: &str) -> Result<Vec<PurchaseOrder>> {
        let filter = format!(
            "purchase_orders.status = 'sending' AND purchase_orders.claim = {}",
            self.p(1)
        );
        self.select_pos_with_lines(&filter, &[claim.to_string()])
            .await
    }

    /// The outcome of each claimed PO's attempt, in one transaction: `Ok`
    /// (the confirmation) marks it sent, `Err` (the reason) gives it back
    /// as approved with its error. The numbers whose claim was no longer
    /// ours are returned. A few statements for the whole batch.
    pub async fn finish_batch(
        &self,
        claim: &str,
        outcomes: &[BatchOutcome],
    ) -> Result<Vec<String>> {
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        let b = self.source.backend;
        let at = now();
        let mut tx = self.source.begin().await?;
        let ours = self
            .claimed_in(&mut tx, claim, outcomes.iter().map(|o| o.0.as_str()), true)
            .await?;
        // Every attempt's outcome, ours or not: it happened.
        let outcome_of = |r: &Result<String, String>| match r {
            Ok(_) => "ok",
            Err(_) => "rejected",
        };
        // Placeholders in the order of the text: `?` backends bind by
        // position.
        let mut q = Binds::new(b);
        let mut sql = String::from("UPDATE po_send_attempts SET outcome = CASE id");
        for (_, id, _, r) in outcomes {
            let id = q.bind_num(&id.to_string(), "BIGINT");
            sql.push_str(&format!(" WHEN {id} THEN {}", q.bind(outcome_of(r))));
        }
        sql.push_str(" END, detail = CASE id");
        for (_, id, _, r) in outcomes {
            let id = q.bind_num(&id.to_string(), "BIGINT");
            let detail = match r {
                Ok(confirmation) => confirmation,
                Err(reason) => reason,
            };
            sql.push_str(&format!(" WHEN {id} THEN {}", q.bind(detail)));
        }
        let ids: Vec<String> = outcomes.iter().map(|o| o.1.to_string()).collect();
        sql.push_str(&format!(
            " END, finished_at = {} WHERE id IN ({})",
            q.bind(&at),
            q.list_num(ids.iter().map(String::as_str), "BIGINT")
        ));
        tx.exec(&sql, &q.binds).await?;
        let attempts: Vec<(Option<&str>, String)> = outcomes
            .iter()
            .map(|(number, _, channel, r)| {
                let detail = match r {
                    Ok(c) => c,
                    Err(e) => e,
                };
                let outcome = outcome_of(r);
                (
                    None,
                    format!("{number} attempt 1 via {channel}: {outcome}: {detail}"),
                )
            })
            .collect();
        self.audit_many(&mut tx, "po_send_attempt", &attempts)
            .await?;
        let (sent, failed): (Vec<&BatchOutcome>, Vec<&BatchOutcome>) = outcomes
            .iter()
            .filter(|o| ours.contains(&o.0))
            .partition(|o| o.3.is_ok());
        if !sent.is_empty() {
            let mut q = Binds::new(b);
            let mut sql = format!(
                "UPDATE purchase_orders SET status = 'sent', updated_at = {}, sent_at = {}, \
                 confirmation = CASE po_number",
                q.bind(&at),
                q.bind(&at)
            );
            for (number, _, _, r) in &sent {
                let c = r.as_ref().map(String::as_str).unwrap_or_default();
                sql.push_str(&format!(" WHEN {} THEN {}", q.bind(number), q.bind(c)));
            }
            sql.push_str(&format!(
                " END, last_error = NULL, claim = NULL, claimed_at = NULL \
                 WHERE status = 'sending' AND claim = {} AND po_number IN ({})",
                q.bind(claim),
                q.list(sent.iter().map(|o| o.0.as_str()))
            ));
            tx.exec(&sql, &q.binds).await?;
            let audit: Vec<(Option<&str>, String)> = sent
                .iter()
                .map(|(number, _, _, r)| {
                    let c = r.as_ref().map(String::as_str).unwrap_or_default();
                    (None, format!("{number} sent: {c}"))
                })
                .collect();
            self.audit_many(&mut tx, "po_sent", &audit).await?;
        }
        if !failed.is_empty() {
            let mut q = Binds::new(b);
            let mut sql = format!(
                "UPDATE purchase_orders SET status = 'approved', updated_at = {}, \
                 last_error = CASE po_number",
                q.bind(&at)
            );
            for (number, _, _, r) in &failed {
                let e = r.as_ref().err().map(String::as_str).unwrap_or_default();
                sql.push_str(&format!(" WHEN {} THEN {}", q.bind(number), q.bind(e)));
            }
            sql.push_str(&format!(
                " END, claim = NULL, claimed_at = NULL \
                 WHERE status = 'sending' AND claim = {} AND po_number IN ({})",
                q.bind(claim),
                q.list(failed.iter().map(|o| o.0.as_str()))
            ));
            tx.exec(&sql, &q.binds).await?;
            let audit: Vec<(Option<&str>, String)> = failed
                .iter()
                .map(|(number, _, _, r)| {
                    let e = r.as_ref().err().map(String::as_str).unwrap_or_default();
                    (None, format!("{number} not sent: {e}"))
                })
                .collect();
            self.audit_many(&mut tx, "po_send_failed", &audit).await?;
        }
        tx.commit().await?;
        Ok(outcomes
            .iter()
            .filter(|o| !ours.contains(&o.0))
            .map(|o| o.0.clone())
            .collect())
    }

    /// Takes a PO for sending: approved -> sending with `claim`, or a
    /// `sending` PO whose claim was `stale_claim` (a crashed or expired
    /// sender). False when another process got there first.
    pub async fn claim_send(
        &self,
        number: &str,
        claim: &str,
        stale_claim: Option<&str>,
    ) -> Result<bool> {
        let mut tx = self.source.begin().await?;
        if !self.claim_in(&mut tx, number, claim, stale_claim).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// `claim_send` within `tx`, with its audit row.
    async fn claim_in(
        &self,
        tx: &mut Tx,
        number: &str,
        claim: &str,
        stale_claim: Option<&str>,
    ) -> Result<bool> {
        let b = self.source.backend;
        let at = now();
        let (cond, mut binds) = match stale_claim {
            // An unconfirmed PO is sent again like an approved one.
            None => ("status IN ('approved','unconfirmed')".to_string(), vec![]),
            Some(old) => (
                format!("status = 'sending' AND claim = {}", self.p(4)),
                vec![Some(old.to_string())],
            ),
        };
        let mut all = vec![
            Some(claim.to_string()),
            Some(at.clone()),
            Some(number.to_string()),
        ];
        all.append(&mut binds);
        // The claim's time from the server's clock (`server_now_sql`).
        let changed = tx
            .exec(
                &format!(
                    "UPDATE purchase_orders SET status = 'sending', claim = {}, claimed_at = {}, updated_at = {} \
                     WHERE po_number = {} AND {cond}",
                    self.p(1),
                    crate::store::server_now_sql(b),
                    self.p(2),
                    self.p(3)
                ),
                &all,
            )
            .await?;
        if changed != 1 {
            return Ok(false);
        }
        let mut cut_off = 0;
        if let Some(old) = stale_claim {
            cut_off = tx
                .exec(
                    &format!(
                        "UPDATE po_send_attempts SET outcome = 'cut_off', finished_at = {}, \
                         detail = 'the sending process ended before the outcome was known' \
                         WHERE po_number = {} AND claim = {} AND outcome = 'started'",
                        self.p(1),
                        self.p(2),
                        self.p(3)
                    ),
                    &[Some(now()), Some(number.to_string()), Some(old.to_string())],
                )
                .await?;
        }
        let detail = match stale_claim {
            None => format!("{number}: sending (by {claim})"),
            Some(old) => format!(
                "{number}: taken over from {old} (by {claim}; {cut_off} attempt(s) cut off), sending again with the same key"
            ),
        };
        let (a, ab) = audit_row(b, &self.user, "po_send_started", None, detail);
        tx.exec(&a, &ab).await?;
        Ok(true)
    }

    /// Logs an attempt as `started`; its id.
    async fn insert_started(
        &self,
        tx: &mut Tx,
        number: &str,
        attempt: u32,
        claim: &str,
        channel: &str,
        at: &str,
    ) -> Result<i64> {
        let insert = format!(
            "INSERT INTO po_send_attempts (po_number, attempt, at, user_name, claim, channel, outcome) \
             VALUES ({}, {}, {}, {}, {}, {}, 'started')",
            self.p(1),
            self.num(2, "INTEGER"),
            self.p(3),
            self.p(4),
            self.p(5),
            self.p(6)
        );
        tx.insert_id(
            &insert,
            &[
                Some(number.to_string()),
                Some(attempt.to_string()),
                Some(at.to_string()),
                Some(self.user.clone()),
                Some(claim.to_string()),
                Some(channel.to_string()),
            ],
        )
        .await
    }

    /// Renews `claim` on a PO it is sending: false when the claim is no
    /// longer ours.
    async fn renew_claim(&self, tx: &mut Tx, number: &str, claim: &str) -> Result<bool> {
        let ours = tx
            .exec(
                &format!(
                    "UPDATE purchase_orders SET claimed_at = {} WHERE po_number = {} AND status = 'sending' AND claim = {}",
                    crate::store::server_now_sql(self.source.backend),
                    self.p(1),
                    self.p(2)
                ),
                &[Some(number.to_string()), Some(claim.to_string())],
            )
            .await?;
        Ok(ours == 1)
    }

    /// Logs the start of an attempt (outcome `started`) and renews the
    /// claim: its id, or `None` when the claim is no longer ours. An
    /// attempt its process never finished stays `started` until a takeover
    /// marks it `cut_off`.
    pub async fn start_attempt(
        &self,
        number: &str,
        claim: &str,
        attempt: u32,
        channel: &str,
    ) -> Result<Option<i64>> {
        let at = now();
        let mut tx = self.source.begin().await?;
        if !self.renew_claim(&mut tx, number, claim).await? {
            return Ok(None);
        }
        let id = self
            .insert_started(&mut tx, number, attempt, claim, channel, &at)
            .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Logs an attempt's outcome (with its audit row). False when the claim
    /// is no longer ours (another process took the PO over).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_attempt(
        &self,
        id: i64,
        number: &str,
        claim: &str,
        attempt: u32,
        channel: &str,
        outcome: &str,
        detail: &str,
    ) -> Result<bool> {
        let mut tx = self.source.begin().await?;
        let ours = self
            .log_attempt(
                &mut tx, id, number, claim, attempt, channel, outcome, detail,
            )
            .await?;
        tx.commit().await?;
        Ok(ours)
    }

    /// The attempt that the channel confirmed, logged, and the PO marked
    /// sent, in one transaction. False when the claim is no longer ours.
    pub async fn record_sent(
        &self,
        id: i64,
        number: &str,
        claim: &str,
        attempt: u32,
        channel: &str,
        confirmation: &str,
    ) -> Result<bool> {
        let mut tx = self.source.begin().await?;
        let ours = self
            .log_attempt(
                &mut tx,
                id,
                number,
                claim,
                attempt,
                channel,
                "ok",
                confirmation,
            )
            .await?
            && self
                .finish_in(
                    &mut tx,
                    number,
                    claim,
                    PoStatus::Sent,
                    Some(confirmation),
                    None,
                )
                .await?;
        if ours {
            tx.commit().await?;
        }
        Ok(ours)
    }

    #[allow(clippy::too_many_arguments)]
    async fn log_attempt(
        &self,
        tx: &mut Tx,
        id: i64,
        number: &str,
        claim: &str,
        attempt: u32,
        channel: &str,
        outcome: &str,
        detail: &str,
    ) -> Result<bool> {
        let b = self.source.backend;
        let at = now();
        tx.exec(
            &format!(
                "UPDATE po_send_attempts SET outcome = {}, detail = {}, finished_at = {} WHERE id = {}",
                self.p(1),
                self.p(2),
                self.p(3),
                self.num(4, "BIGINT")
            ),
            &[
                Some(outcome.to_string()),
                Some(detail.to_string()),
                Some(at.clone()),
                Some(id.to_string()),
            ],
        )
        .await?;
        let (a, ab) = audit_row(
            b,
            &self.user,
            "po_send_attempt",
            None,
            format!("{number} attempt {attempt} via {channel}: {outcome}: {detail}"),
        );
        tx.exec(&a, &ab).await?;
        self.renew_claim(tx, number, claim).await
    }

    /// sending -> approved after a send that failed: it can be sent again.
    pub async fn release_send(&self, number: &str, claim: &str, error: &str) -> Result<bool> {
        self.finish_send(number, claim, PoStatus::Approved, None, Some(error))
            .await
    }

    /// sending -> unconfirmed after a send that ended without the
    /// supplier's confirmation when an attempt may have reached it.
    pub async fn leave_unconfirmed(&self, number: &str, claim: &str, error: &str) -> Result<bool> {
        self.finish_send(number, claim, PoStatus::Unconfirmed, None, Some(error))
            .await
    }

    async fn finish_send(
        &self,
        number: &str,
        claim: &str,
        to: PoStatus,
        confirmation: Option<&str>,
        error: Option<&str>,
    ) -> Result<bool> {
        let mut tx = self.source.begin().await?;
        let ours = self
            .finish_in(&mut tx, number, claim, to, confirmation, error)
            .await?;
        if ours {
            tx.commit().await?;
        }
        Ok(ours)
    }

    async fn finish_in(
        &self,
        tx: &mut Tx,
        number: &str,
        claim: &str,
        to: PoStatus,
        confirmation: Option<&str>,
        error: Option<&str>,
    ) -> Result<bool> {
        let b = self.source.backend;
        let at = now();
        let sent_at = (to == PoStatus::Sent).then(|| at.clone());
        let changed = tx
            .exec(
                &format!(
                    "UPDATE purchase_orders SET status = {}, updated_at = {}, sent_at = COALESCE({}, sent_at), \
                     confirmation = COALESCE({}, confirmation), last_error = {}, claim = NULL, claimed_at = NULL \
                     WHERE po_number = {} AND status = 'sending' AND claim = {}",
                    self.p(1),
                    self.p(2),
                    self.p(3),
                    self.p(4),
                    self.p(5),
                    self.p(6),
                    self.p(7)
                ),
                &[
                    Some(to.as_str().into()),
                    Some(at),
                    sent_at,
                    confirmation.map(str::to_string),
                    error.map(str::to_string),
                    Some(number.to_string()),
                    Some(claim.to_string()),
                ],
            )
            .await?;
        if changed != 1 {
            return Ok(false);
        }
        let (action, detail) = match to {
            PoStatus::Sent => (
                "po_sent",
                format!("{number} sent: {}", confirmation.unwrap_or("")),
            ),
            PoStatus::Unconfirmed => (
                "po_unconfirmed",
                format!(
                    "{number} unconfirmed (an attempt may have reached the supplier): {}",
                    error.unwrap_or("")
                ),
            ),
            _ => (
                "po_send_failed",
                format!("{number} not sent: {}", error.unwrap_or("")),
            ),
        };
        let (a, ab) = audit_row(b, &self.user, action, None, detail);
        tx.exec(&a, &ab).await?;
        Ok(true)
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

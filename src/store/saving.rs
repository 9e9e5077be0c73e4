//! Saving and clearing overrides against the revision a buyer started
//! from, and reading them with the PO that used them.
//!
//! Every save and clear raises the row's revision; a clear leaves the row
//! as a tombstone (`cleared_at`), so a save that started before it is
//! told who cleared it. The row is read locked (`FOR UPDATE` on PostgreSQL
//! and MariaDB, SQLite's write lock taken at `BEGIN IMMEDIATE`), so two
//! savers cannot both win. An override is used once the PO line recording
//! its revision is on a sent (acknowledged, received, closed) PO: worked
//! out at read time, so sending needs no hook.

use anyhow::Result;
use serde::Serialize;

use super::overrides::{audit_sql, Override, OverrideUnit, ReasonCode};
use super::{now, Store};
use crate::plan::numbers::fmt_qty;
use crate::sources::{Backend, Tx};

/// PO statuses after which the override a line ordered is used up.
pub const USED_STATUSES: &str = "'sent','acknowledged','received','closed'";

/// What a save is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// The revision the buyer started from (`None`: no override applied
    /// then). Anything else saved or cleared since refuses the save.
    Seen(Option<i64>),
    /// Whatever is there is replaced (`override set --force`).
    Any,
}

/// The PO that took an override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsedBy {
    pub po_number: String,
    pub status: String,
    pub sent_at: Option<String>,
}

impl UsedBy {
    /// "PO-000001 (sent 2026-12-05T12:00:00Z)".
    pub fn describe(&self) -> String {
        match &self.sent_at {
            Some(at) => format!("{} ({} {at})", self.po_number, self.status),
            None => format!("{} ({})", self.po_number, self.status),
        }
    }
}

/// A saved override with its revision and, when a sent PO ordered it,
/// that PO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideRow {
    #[serde(flatten)]
    pub ov: Override,
    pub revision: i64,
    pub used_by: Option<UsedBy>,
}

impl OverrideRow {
    /// The override as a plan shows it, with its revision (what a PO line
    /// records when it orders it).
    pub fn note_for_plan(&self) -> crate::plan::OverrideNote {
        crate::plan::OverrideNote {
            revision: Some(self.revision),
            used_by: self.used_by.as_ref().map(UsedBy::describe),
            ..self.ov.note_for_plan()
        }
    }
}

/// A save refused because the override changed since the buyer started:
/// who, what and when. Saving again with `Base::Seen(Some(revision))`
/// overwrites it knowingly.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub product_id: String,
    pub user: String,
    /// "set 227 pieces (PROMO)" or "cleared the override (227, PROMO)".
    pub what: String,
    pub at: String,
    /// The revision now: the base of a knowing overwrite.
    pub revision: i64,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} {} at {} after you opened this",
            self.product_id,
            self.user,
            self.what,
            self.at.replace('T', " ").replace('Z', " UTC")
        )
    }
}

impl std::error::Error for Conflict {}

/// What a save did: the new revision and the override it replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub revision: i64,
    pub replaced: Option<Override>,
}

/// A row of `overrides` as stored, tombstones included.
struct Stored {
    ov: Override,
    revision: i64,
    cleared: Option<(String, String)>,
}

const COLUMNS: [&str; 12] = [
    "product_id",
    "order_qty",
    "entered_qty",
    "entered_unit",
    "suggested_qty",
    "reason",
    "note",
    "user_name",
    "set_at",
    "revision",
    "cleared_by",
    "cleared_at",
];

fn select(b: Backend, prefix: &str) -> String {
    COLUMNS
        .iter()
        .map(|c| b.as_text(&format!("{prefix}{c}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_stored(r: &[Option<String>]) -> Option<Stored> {
    let get = |i: usize| r.get(i).cloned().flatten();
    let num = |i: usize| get(i).and_then(|v| v.parse::<f64>().ok());
    let ov = Override {
        product_id: get(0)?,
        order_qty: num(1)?,
        entered_qty: num(2)?,
        entered_unit: match get(3).as_deref() {
            Some("purchase") => OverrideUnit::Purchase,
            _ => OverrideUnit::Stock,
        },
        suggested_qty: num(4)?,
        reason: get(5)
            .as_deref()
            .and_then(ReasonCode::parse)
            .unwrap_or(ReasonCode::Other),
        note: get(6),
        user: get(7).unwrap_or_default(),
        set_at: get(8).unwrap_or_default(),
    };
    Some(Stored {
        ov,
        revision: get(9).and_then(|v| v.parse().ok()).unwrap_or(1),
        cleared: get(11).map(|at| (get(10).unwrap_or_default(), at)),
    })
}

fn real(b: Backend, n: usize) -> String {
    match b {
        Backend::Postgres => format!("CAST(${n} AS DOUBLE PRECISION)"),
        _ => "?".into(),
    }
}

fn int(b: Backend, n: usize) -> String {
    match b {
        Backend::Postgres => format!("CAST(${n} AS BIGINT)"),
        Backend::MySql => "CAST(? AS SIGNED)".into(),
        Backend::Sqlite => "CAST(? AS INTEGER)".into(),
    }
}

/// Two writers met, or a row inserted by another writer at the same
/// moment: worth reading again (the second try sees the other's row).
fn retry_worthy(e: &anyhow::Error) -> bool {
    let t = format!("{e:#}").to_ascii_lowercase();
    super::is_contention(e) || t.contains("duplicate") || t.contains("unique")
}

impl Store {
    /// The row of `product_id`, locked until `tx` ends.
    async fn stored(&self, tx: &mut Tx, product_id: &str) -> Result<Option<Stored>> {
        let b = self.source.backend;
        let lock = match b {
            Backend::Sqlite => "",
            _ => " FOR UPDATE",
        };
        let rows = tx
            .fetch(
                &format!(
                    "SELECT {} FROM overrides WHERE product_id = {}{lock}",
                    select(b, ""),
                    b.placeholder(1)
                ),
                &[Some(product_id.to_string())],
            )
            .await?;
        Ok(rows.first().and_then(|r| parse_stored(r)))
    }

    /// The sent PO that ordered revision `revision` of `product_id`'s
    /// override.
    async fn used_by(
        &self,
        tx: &mut Tx,
        product_id: &str,
        revision: i64,
    ) -> Result<Option<UsedBy>> {
        let b = self.source.backend;
        let rows = tx
            .fetch(
                &format!(
                    "SELECT {}, {}, {} FROM po_lines l JOIN purchase_orders p ON p.po_number = l.po_number \
                     WHERE l.product_id = {} AND l.override_revision = {} AND p.status IN ({USED_STATUSES}) \
                     ORDER BY p.seq",
                    b.as_text("p.po_number"),
                    b.as_text("p.status"),
                    b.as_text("p.sent_at"),
                    b.placeholder(1),
                    int(b, 2)
                ),
                &[Some(product_id.to_string()), Some(revision.to_string())],
            )
            .await?;
        Ok(rows.first().and_then(|r| {
            Some(UsedBy {
                po_number: r.first().cloned().flatten()?,
                status: r.get(1).cloned().flatten().unwrap_or_default(),
                sent_at: r.get(2).cloned().flatten(),
            })
        }))
    }

    /// Saves the override of one product, checked against `base`: when
    /// it changed since, nothing is saved and the error is a `Conflict`
    /// (downcast it) naming who changed what and when; the refusal is
    /// audited. The save is audited in the same transaction, naming
    /// another user's override it replaced.
    pub async fn save_override(&self, o: &Override, base: Base) -> Result<Saved> {
        if o.reason == ReasonCode::Other
            && o.note.as_deref().map(str::trim).unwrap_or("").is_empty()
        {
            anyhow::bail!("{}: reason OTHER needs a note", o.product_id);
        }
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_save(o, base).await {
                Ok(Ok(saved)) => return Ok(saved),
                Ok(Err(conflict)) => {
                    self.audit_by(
                        &o.user,
                        "override_refused",
                        Some(&o.product_id),
                        &format!(
                            "{} not saved: {} {} at {} (revision {})",
                            o.short(),
                            conflict.user,
                            conflict.what,
                            conflict.at,
                            conflict.revision
                        ),
                    )
                    .await?;
                    return Err(conflict.into());
                }
                Err(e) if tries < 4 && retry_worthy(&e) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20 * tries)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn try_save(&self, o: &Override, base: Base) -> Result<Result<Saved, Conflict>> {
        let mut tx = self.source.begin().await?;
        let saved = self.save_in(&mut tx, o, base).await?;
        if saved.is_ok() {
            tx.commit().await?;
        }
        Ok(saved)
    }

    /// Saves several overrides in one transaction, whatever is there
    /// (`override import`): all of them, or none. Each is audited, naming
    /// another user's override it replaced.
    pub async fn save_overrides_all(&self, list: &[Override]) -> Result<Vec<Saved>> {
        if let Some(o) = list.iter().find(|o| {
            o.reason == ReasonCode::Other
                && o.note.as_deref().map(str::trim).unwrap_or("").is_empty()
        }) {
            anyhow::bail!("{}: reason OTHER needs a note", o.product_id);
        }
        let mut tries = 0;
        loop {
            tries += 1;
            let attempt = async {
                let mut tx = self.source.begin().await?;
                let mut out = Vec::with_capacity(list.len());
                for o in list {
                    match self.save_in(&mut tx, o, Base::Any).await? {
                        Ok(saved) => out.push(saved),
                        Err(c) => anyhow::bail!("{c}"),
                    }
                }
                tx.commit().await?;
                Ok::<_, anyhow::Error>(out)
            };
            match attempt.await {
                Err(e) if tries < 4 && retry_worthy(&e) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20 * tries)).await;
                }
                r => return r,
            }
        }
    }

    /// One save within `tx` (see `save_override`); not committed.
    async fn save_in(
        &self,
        tx: &mut Tx,
        o: &Override,
        base: Base,
    ) -> Result<Result<Saved, Conflict>> {
        let b = self.source.backend;
        let p = |n: usize| b.placeholder(n);
        let tx = &mut *tx;
        let current = self.stored(tx, &o.product_id).await?;
        let live = match &current {
            Some(s) if s.cleared.is_none() => Some(&s.ov),
            _ => None,
        };
        let conflict = match (base, &current) {
            (Base::Any, _) | (Base::Seen(_), None) => None,
            (Base::Seen(Some(r)), Some(s)) if s.revision == r => None,
            (Base::Seen(None), Some(s)) if s.cleared.is_some() => None,
            (Base::Seen(None), Some(s))
                if self.used_by(tx, &o.product_id, s.revision).await?.is_some() =>
            {
                None
            }
            (Base::Seen(_), Some(s)) => Some(match &s.cleared {
                Some((user, at)) => Conflict {
                    product_id: o.product_id.clone(),
                    user: user.clone(),
                    what: format!("cleared the override ({})", s.ov.short()),
                    at: at.clone(),
                    revision: s.revision,
                },
                None => Conflict {
                    product_id: o.product_id.clone(),
                    user: s.ov.user.clone(),
                    what: format!("set {}", s.ov.short()),
                    at: s.ov.set_at.clone(),
                    revision: s.revision,
                },
            }),
        };
        if let Some(c) = conflict {
            return Ok(Err(c));
        }
        let revision = current.as_ref().map_or(1, |s| s.revision + 1);
        let values = vec![
            Some(o.order_qty.to_string()),
            Some(o.entered_qty.to_string()),
            Some(o.entered_unit.as_str().into()),
            Some(o.suggested_qty.to_string()),
            Some(o.reason.as_str().into()),
            o.note.clone(),
            Some(o.user.clone()),
            Some(o.set_at.clone()),
            Some(revision.to_string()),
            Some(o.product_id.clone()),
        ];
        let sql = if current.is_some() {
            format!(
                "UPDATE overrides SET order_qty = {}, entered_qty = {}, entered_unit = {}, suggested_qty = {}, \
                 reason = {}, note = {}, user_name = {}, set_at = {}, revision = {}, cleared_by = NULL, \
                 cleared_at = NULL WHERE product_id = {}",
                real(b, 1), real(b, 2), p(3), real(b, 4), p(5), p(6), p(7), p(8), int(b, 9), p(10)
            )
        } else {
            format!(
                "INSERT INTO overrides (order_qty, entered_qty, entered_unit, suggested_qty, reason, note, \
                 user_name, set_at, revision, product_id) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                real(b, 1), real(b, 2), p(3), real(b, 4), p(5), p(6), p(7), p(8), int(b, 9), p(10)
            )
        };
        tx.exec(&sql, &values).await?;
        let replaced = live.filter(|r| r.user != o.user);
        let detail = format!(
            "{} (suggested {}) {}{}{}",
            fmt_qty(o.order_qty),
            fmt_qty(o.suggested_qty),
            o.reason.as_str(),
            o.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default(),
            replaced
                .map(|r| format!("; replacing {}'s {} of {}", r.user, r.short(), r.set_at))
                .unwrap_or_default()
        );
        tx.exec(
            &audit_sql(b),
            &[
                Some(now()),
                Some(o.user.clone()),
                Some("override_set".into()),
                Some(o.product_id.clone()),
                Some(detail),
            ],
        )
        .await?;
        let replaced = live.cloned();
        Ok(Ok(Saved { revision, replaced }))
    }

    /// Saves (or replaces) the override of one product whatever is there
    /// (`Base::Any`), audited.
    pub async fn set_override(&self, o: &Override) -> Result<()> {
        self.save_override(o, Base::Any).await.map(|_| ())
    }

    /// Clears a product's override (audited, naming what was cleared);
    /// the row stays as a tombstone with a new revision. `None`: there
    /// was none to clear.
    pub async fn clear_override(&self, product_id: &str) -> Result<Option<Override>> {
        self.clear_override_seen(product_id, Base::Any).await
    }

    /// Clears a product's override as `clear_override`, checked against
    /// the revision the buyer saw (`Base::Seen`): an override changed
    /// since is not cleared, and the error is a `Conflict` naming the
    /// change.
    pub async fn clear_override_seen(
        &self,
        product_id: &str,
        base: Base,
    ) -> Result<Option<Override>> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_clear(product_id, base).await {
                Err(e)
                    if tries < 4 && e.downcast_ref::<Conflict>().is_none() && retry_worthy(&e) =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(20 * tries)).await;
                }
                r => return r,
            }
        }
    }

    async fn try_clear(&self, product_id: &str, base: Base) -> Result<Option<Override>> {
        let b = self.source.backend;
        let p = |n: usize| b.placeholder(n);
        let mut tx = self.source.begin().await?;
        let Some(s) = self.stored(&mut tx, product_id).await? else {
            return Ok(None);
        };
        if s.cleared.is_some() {
            return Ok(None);
        }
        if let Base::Seen(seen) = base {
            if seen != Some(s.revision) {
                return Err(Conflict {
                    product_id: product_id.to_string(),
                    user: s.ov.user.clone(),
                    what: format!("set {}", s.ov.short()),
                    at: s.ov.set_at.clone(),
                    revision: s.revision,
                }
                .into());
            }
        }
        let at = now();
        tx.exec(
            &format!(
                "UPDATE overrides SET cleared_by = {}, cleared_at = {}, revision = {} WHERE product_id = {}",
                p(1),
                p(2),
                int(b, 3),
                p(4)
            ),
            &[
                Some(self.user.clone()),
                Some(at.clone()),
                Some((s.revision + 1).to_string()),
                Some(product_id.to_string()),
            ],
        )
        .await?;
        tx.exec(
            &audit_sql(b),
            &[
                Some(at),
                Some(self.user.clone()),
                Some("override_cleared".into()),
                Some(product_id.to_string()),
                Some(format!(
                    "cleared {}'s {} of {}",
                    s.ov.user,
                    s.ov.short(),
                    s.ov.set_at
                )),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(s.ov))
    }

    /// Every override not cleared, by product id, with its revision and
    /// the sent PO that used it.
    pub async fn override_rows(&self) -> Result<Vec<OverrideRow>> {
        let b = self.source.backend;
        let sql = format!(
            "SELECT {}, {}, {}, {} FROM overrides o LEFT JOIN \
             (SELECT l.product_id, l.override_revision, p.po_number, p.status, p.sent_at, p.seq \
              FROM po_lines l JOIN purchase_orders p ON p.po_number = l.po_number \
              WHERE l.override_revision IS NOT NULL AND p.status IN ({USED_STATUSES})) u \
             ON u.product_id = o.product_id AND u.override_revision = o.revision \
             WHERE o.cleared_at IS NULL ORDER BY o.product_id, u.seq",
            select(b, "o."),
            b.as_text("u.po_number"),
            b.as_text("u.status"),
            b.as_text("u.sent_at"),
        );
        let rows = self.source.fetch_text(&sql, &[]).await?;
        let mut out: Vec<OverrideRow> = Vec::with_capacity(rows.len());
        for r in rows {
            let Some(s) = parse_stored(&r) else {
                tracing::warn!("purchasing.overrides: unreadable row skipped");
                continue;
            };
            if out
                .last()
                .is_some_and(|l| l.ov.product_id == s.ov.product_id)
            {
                continue;
            }
            let get = |i: usize| r.get(i).cloned().flatten();
            out.push(OverrideRow {
                ov: s.ov,
                revision: s.revision,
                used_by: get(12).map(|po_number| UsedBy {
                    po_number,
                    status: get(13).unwrap_or_default(),
                    sent_at: get(14),
                }),
            });
        }
        Ok(out)
    }

    /// The overrides that apply (not cleared, not used by a sent PO); the
    /// plans read `override_rows`, whose used ones they show as used.
    pub async fn applicable_overrides(&self) -> Result<Vec<OverrideRow>> {
        let mut rows = self.override_rows().await?;
        rows.retain(|r| r.used_by.is_none());
        Ok(rows)
    }

    /// The overrides that apply, by product id.
    pub async fn overrides(&self) -> Result<Vec<Override>> {
        Ok(self
            .applicable_overrides()
            .await?
            .into_iter()
            .map(|r| r.ov)
            .collect())
    }
}

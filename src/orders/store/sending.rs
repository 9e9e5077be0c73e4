//! Sending's writes: claims (one PO, or a batch), each attempt logged,
//! the outcome marked with the claim still held.

use super::*;

/// A draft that may be sent without approval: within the threshold of its
/// currency and flagged by no rule (`approval_reason` NULL).
const DRAFT_WITHIN: &str = "(status = 'draft' AND approval_reason IS NULL)";

/// The audit's words for a draft sent without approval.
const WITHOUT_APPROVAL: &str =
    "; a draft within the threshold, sent without approval on the buyer's confirmation";

/// The status of a PO whose send failed: approved when it was approved,
/// a draft when it was a draft sent on the buyer's confirmation (no
/// approver recorded).
const BACK_TO: &str = "CASE WHEN approved_by IS NULL THEN 'draft' ELSE 'approved' END";

impl Store {
    /// Claims approved POs for sending (and, with `drafts`, drafts within
    /// the threshold, which the buyer confirmed sending without approval:
    /// no approval is written) and logs each one's first attempt as
    /// `started`, in one transaction: (number, attempt id) of those
    /// claimed (another workstation may have taken some). A few statements
    /// for the whole batch, not a few per PO: on loopback each statement
    /// costs about as much as writing a PO's documents.
    pub async fn claim_batch(
        &self,
        numbers: &[(String, String)],
        claim: &str,
        drafts: bool,
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
        // Which drafts were claimed: read first (MariaDB has no RETURNING),
        // under the transaction's locks.
        let mut drafts_claimed = std::collections::HashSet::new();
        if drafts {
            let mut r = Binds::new(b);
            let lock = match b {
                Backend::Postgres | Backend::MySql => " FOR UPDATE",
                Backend::Sqlite => "",
            };
            let sql = format!(
                "SELECT po_number FROM purchase_orders WHERE {DRAFT_WITHIN} AND po_number IN ({}){lock}",
                r.list(numbers.iter().map(|(n, _)| n.as_str()))
            );
            drafts_claimed = tx
                .fetch(&sql, &r.binds)
                .await?
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect();
        }
        let which = if drafts {
            format!("(status = 'approved' OR {DRAFT_WITHIN})")
        } else {
            "status = 'approved'".to_string()
        };
        let sql = format!(
            "UPDATE purchase_orders SET status = 'sending', claim = {}, claimed_at = {}, updated_at = {} \
             WHERE {which} AND po_number IN ({})",
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
            .map(|(number, _)| {
                let how = if drafts_claimed.contains(number) {
                    WITHOUT_APPROVAL
                } else {
                    ""
                };
                (None, format!("{number}: sending (by {claim}){how}"))
            })
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
    pub(super) async fn claimed_in<'a>(
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
    pub(super) async fn insert_rows<T>(
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
    pub(super) async fn audit_many(
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
                "UPDATE purchase_orders SET status = {BACK_TO}, updated_at = {}, \
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

    /// Takes a draft within the threshold for sending, on the buyer's
    /// confirmation: draft -> sending, no approval written, the audit row
    /// saying so. False when it is no longer such a draft (edited above
    /// the threshold, approved, cancelled, taken by another workstation)
    /// or, with `seen_total` (the total in cents the buyer confirmed), when
    /// an edit changed its total since.
    pub async fn claim_draft(
        &self,
        number: &str,
        claim: &str,
        seen_total: Option<i64>,
    ) -> Result<bool> {
        let b = self.source.backend;
        let mut tx = self.source.begin().await?;
        let mut binds = vec![
            Some(claim.to_string()),
            Some(now()),
            Some(number.to_string()),
        ];
        let mut seen = String::new();
        if let Some(total) = seen_total {
            binds.push(Some(total.to_string()));
            seen = format!(" AND total_cents = {}", self.num(4, "BIGINT"));
        }
        let changed = tx
            .exec(
                &format!(
                    "UPDATE purchase_orders SET status = 'sending', claim = {}, claimed_at = {}, updated_at = {} \
                     WHERE po_number = {} AND {DRAFT_WITHIN}{seen}",
                    self.p(1),
                    crate::store::server_now_sql(b),
                    self.p(2),
                    self.p(3)
                ),
                &binds,
            )
            .await?;
        if changed != 1 {
            return Ok(false);
        }
        let detail = format!("{number}: sending (by {claim}){WITHOUT_APPROVAL}");
        let (a, ab) = audit_row(b, &self.user, "po_send_started", None, detail);
        tx.exec(&a, &ab).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// `claim_send` within `tx`, with its audit row.
    pub(super) async fn claim_in(
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
    pub(super) async fn insert_started(
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
    pub(super) async fn renew_claim(&self, tx: &mut Tx, number: &str, claim: &str) -> Result<bool> {
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
    pub(super) async fn log_attempt(
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

    /// sending -> approved after a send that failed: it can be sent again
    /// (a draft sent on the buyer's confirmation goes back to draft).
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

    pub(super) async fn finish_send(
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

    pub(super) async fn finish_in(
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
        // A failed send goes back to where it came from: a draft sent on
        // the buyer's confirmation stays a draft (sending never approves).
        let status = if to == PoStatus::Approved {
            format!(
                "CASE WHEN approved_by IS NULL THEN 'draft' ELSE {} END",
                self.p(1)
            )
        } else {
            self.p(1)
        };
        let changed = tx
            .exec(
                &format!(
                    "UPDATE purchase_orders SET status = {status}, updated_at = {}, sent_at = COALESCE({}, sent_at), \
                     confirmation = COALESCE({}, confirmation), last_error = {}, claim = NULL, claimed_at = NULL \
                     WHERE po_number = {} AND status = 'sending' AND claim = {}",
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
}

//! Sending a PO exactly once. The PO is claimed (approved -> sending) by
//! this process, handed to its channel with its key as the idempotency
//! key (retried with backoff on 5xx, network errors, 408 and 429,
//! honouring `Retry-After`; never on another 4xx), and marked sent only
//! once the channel confirmed: a 2xx, or a 409 to a key an earlier attempt
//! may have delivered (the supplier already has it). Each attempt is
//! logged with what is known of it: `ok`, `not_reached` (no connection,
//! 408, 429, 503), `unknown` (it may have reached the supplier: no answer
//! in time, a connection cut after the order went out, another 5xx) or
//! `rejected`. A send that ends unconfirmed after an attempt that may have
//! reached the supplier leaves the PO `unconfirmed`, not approved: sent
//! again with the same key, cancelled only with a confirmation naming the
//! risk. Redirects are never followed (a 3xx is a refusal naming its
//! Location); answers are read up to 64 KiB and shown escaped. A PO left
//! `sending` by a process that died is taken over and sent again with the
//! same key and the same document.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use super::document::{csv_bytes, json_bytes};
use super::settings::{Channel, OrdersConfig};
use super::{PoStatus, PurchaseOrder};
use crate::config::Config;
use crate::store::Store;
use crate::text::printable;

mod answer;
mod batch;

use answer::*;
use batch::*;

/// What a send reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Attempt `attempt` of `of` is under way.
    Attempt {
        po: String,
        attempt: u32,
        of: u32,
        channel: String,
    },
    /// The attempt failed in a way worth retrying; the next one follows
    /// after `wait`.
    Retrying {
        po: String,
        attempt: u32,
        wait: Duration,
        reason: String,
    },
}

/// A PO the channel took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendOutcome {
    pub po_number: String,
    pub channel: String,
    /// What the channel answered.
    pub confirmation: String,
    pub attempts: u32,
    /// The process whose send this one finished (crash recovery).
    pub took_over_from: Option<String>,
}

/// A PO another process claimed first: not a failure of this one (two
/// workstations sending all approved POs at once).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{po} is {status}: {detail}")]
pub struct TakenElsewhere {
    pub po: String,
    pub status: PoStatus,
    pub detail: String,
}

impl TakenElsewhere {
    /// Another workstation claimed `po` first; it is now `status`.
    fn first(po: impl Into<String>, status: PoStatus) -> TakenElsewhere {
        TakenElsewhere {
            po: po.into(),
            status,
            detail: "another workstation took it first".into(),
        }
    }
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub enum SendError {
    /// Worth another try with the same key (5xx, network, timeout; 429
    /// and 408, where the supplier asked to come back later): after the
    /// backoff, and at least the wait the supplier asked for (its
    /// `Retry-After`, capped) when it asked.
    Retry(String, Option<Duration>),
    /// Worth another try with the same key, but the attempt may have
    /// reached the supplier and nothing said whether it took the PO (no
    /// answer within the timeout or a connection cut after the order went
    /// out, a 5xx other than 503). A send that ends without confirmation
    /// after one leaves the PO `unconfirmed`, never `approved`.
    Unknown(String),
    /// The supplier answered 409 to a key an earlier attempt may have
    /// delivered (its outcome unknown): it already holds the PO.
    AlreadyHad(String),
    /// Another try would fail the same way (4xx, a file that cannot be
    /// written, a missing token).
    Permanent(String),
}

/// Sends POs for one process. Cheap to clone; clones share the claim.
#[derive(Clone)]
pub struct Sender {
    pub store: Store,
    pub orders: OrdersConfig,
    pub data_dir: PathBuf,
    client: reqwest::Client,
    /// This process's claim: `host:pid:nonce`.
    pub claim: String,
    in_flight: Arc<Mutex<HashSet<String>>>,
}

fn this_host() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
        .replace(':', "_")
}

/// The process that wrote `claim` is on this machine and no longer runs.
fn claimant_gone(claim: &str) -> bool {
    let mut parts = claim.rsplitn(3, ':');
    let (_nonce, pid, host) = (parts.next(), parts.next(), parts.next());
    let (Some(pid), Some(host)) = (pid.and_then(|p| p.parse::<i32>().ok()), host) else {
        return false;
    };
    if host != this_host() || pid <= 0 || pid as u32 == std::process::id() {
        return false;
    }
    #[cfg(unix)]
    {
        // SAFETY: kill with signal 0 sends nothing; it only checks the pid.
        let r = unsafe { libc::kill(pid, 0) };
        r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// How long before `now` (both read from the database server's clock,
/// `store::server_now_sql`) the time `at` was; a time after `now` (written
/// by a claimer whose clock ran ahead, before claims took the server's
/// time) is no age at all, never an expired claim.
fn age(at: &str, now: &str) -> Option<Duration> {
    let t = chrono::DateTime::parse_from_rfc3339(at).ok()?;
    let now = chrono::DateTime::parse_from_rfc3339(now).ok()?;
    Some((now - t).to_std().unwrap_or(Duration::ZERO))
}

/// The buyer's word on sending a draft without approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DraftWord {
    /// None given: a draft is refused.
    No,
    Yes,
    /// Yes, to the draft of this total (cents) the question showed.
    AsSeen(i64),
}

impl Sender {
    pub fn new(store: Store, config: &Config) -> Result<Sender> {
        let orders = OrdersConfig::read(&config.file, &config.origin)?;
        // Redirects are not followed: see `deliver`.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(orders.send_timeout())
            .connect_timeout(orders.send_timeout())
            .user_agent(concat!("buyerdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot set up the HTTP client")?;
        let nonce: u32 = rand::random();
        Ok(Sender {
            store,
            orders,
            data_dir: config.data_dir.clone(),
            client,
            claim: format!("{}:{}:{nonce:08x}", this_host(), std::process::id()),
            in_flight: Arc::default(),
        })
    }

    /// The channel of a PO's supplier.
    pub fn channel(&self, po: &PurchaseOrder) -> Channel {
        self.orders
            .channel_for(po.supplier_id.as_deref(), &po.supplier_name, &self.data_dir)
    }

    /// A `sending` PO whose sender is gone (this machine, process ended),
    /// whose claim expired (`send_lease_secs`, judged by the database
    /// server's clock `now`, never this machine's), or that this process
    /// left behind (its send was cut off by a store error).
    fn may_take_over(&self, po: &PurchaseOrder, now: &str) -> bool {
        let Some(claim) = po.claim.as_deref() else {
            return true;
        };
        if claim == self.claim {
            return !self.in_flight.lock().unwrap().contains(&po.po_number);
        }
        claimant_gone(claim)
            || po
                .claimed_at
                .as_deref()
                .and_then(|at| age(at, now))
                .is_none_or(|a| a > self.orders.lease())
    }

    /// Sends one approved (or unconfirmed, or cut-off) PO (see the
    /// module). Sending never approves: a draft is refused here (see
    /// `send_confirmed`), a PO waiting for approval too.
    pub async fn send(
        &self,
        number: &str,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SendOutcome> {
        self.send_as(number, DraftWord::No, progress).await
    }

    /// `send`, and a draft within the threshold too, which the buyer
    /// confirmed sending without approval (the CLI's y/N or `--yes`, the
    /// screen's question): draft -> sending -> sent, no approver recorded,
    /// the audit saying it was sent within the threshold without approval.
    pub async fn send_confirmed(
        &self,
        number: &str,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SendOutcome> {
        self.send_as(number, DraftWord::Yes, progress).await
    }

    /// `send_confirmed` of the draft as the buyer saw it: refused when an
    /// edit (another workstation's) changed its total from `seen_total`
    /// (cents) since the question.
    pub async fn send_confirmed_as_seen(
        &self,
        number: &str,
        seen_total: i64,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SendOutcome> {
        self.send_as(number, DraftWord::AsSeen(seen_total), progress)
            .await
    }

    async fn send_as(
        &self,
        number: &str,
        word: DraftWord,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SendOutcome> {
        let draft_confirmed = word != DraftWord::No;
        let seen_total = match word {
            DraftWord::AsSeen(total) => Some(total),
            _ => None,
        };
        let mut po = self.store.po_required(number).await?;
        let mut took_over_from = None;
        match po.status {
            PoStatus::Draft if po.approval_reason.is_none() && !draft_confirmed => bail!(
                "{number} is a draft within the threshold: it is sent without approval only on the buyer's confirmation (buyerdesk po send {number} asks on a terminal; --yes in scripts), or approve it first (buyerdesk po approve {number})"
            ),
            PoStatus::Draft if po.approval_reason.is_none() => {
                if !self
                    .store
                    .claim_draft(number, &self.claim, seen_total)
                    .await?
                {
                    let now = self.store.po_required(number).await?;
                    if now.status == PoStatus::PendingApproval || now.approval_reason.is_some() {
                        bail!(
                            "{number} needs an approval first ({}): buyerdesk po approve {number}",
                            now.approval_reason.as_deref().unwrap_or("above the threshold")
                        );
                    }
                    if now.status == PoStatus::Draft
                        && seen_total.is_some_and(|t| t != now.total_cents)
                    {
                        bail!(
                            "{number} not sent: it was changed after the confirmation (now {} {}, updated at {}); look at it again and send it again",
                            crate::plan::numbers::fmt_money(now.total()),
                            crate::text::printable(&now.currency),
                            now.updated_at
                        );
                    }
                    return Err(TakenElsewhere::first(number.to_string(), now.status).into());
                }
                // Read again under the claim: an edit made since the first
                // read is what goes out (no edit passes the claim).
                po = self.store.po_required(number).await?;
            }
            PoStatus::Draft | PoStatus::PendingApproval => bail!(
                "{number} needs an approval first ({}): buyerdesk po approve {number}",
                po.approval_reason
                    .as_deref()
                    .unwrap_or("above the threshold")
            ),
            PoStatus::Approved | PoStatus::Unconfirmed => self.claim_fresh(number).await?,
            PoStatus::Sending => {
                let now = self.store.server_now().await?;
                if !self.may_take_over(&po, &now) {
                    return Err(TakenElsewhere {
                        po: number.to_string(),
                        status: po.status,
                        detail: format!(
                            "being sent by {} since {}; it is taken over once that process is gone (same machine) or after send_lease_secs ({:?})",
                            po.claim.as_deref().unwrap_or("?"),
                            po.claimed_at.as_deref().unwrap_or("?"),
                            self.orders.lease()
                        ),
                    }
                    .into());
                }
                let old = po.claim.clone().unwrap_or_default();
                if !self
                    .store
                    .claim_send(number, &self.claim, Some(&old))
                    .await?
                {
                    bail!("{number}: another process took it over first");
                }
                took_over_from = Some(old);
            }
            PoStatus::Sent | PoStatus::Acknowledged | PoStatus::Received | PoStatus::Closed => {
                return Err(TakenElsewhere {
                    po: number.to_string(),
                    status: po.status,
                    detail: format!(
                        "sent at {}; it is never sent twice",
                        po.sent_at.as_deref().unwrap_or("?")
                    ),
                }
                .into());
            }
            PoStatus::Cancelled => bail!("{number} is cancelled"),
        }
        self.in_flight.lock().unwrap().insert(number.to_string());
        // The claim changed only the status and the claim: the document
        // made from `po` is the one every attempt (and a re-send) carries.
        let result = self.deliver_claimed(po, progress, took_over_from).await;
        self.in_flight.lock().unwrap().remove(number);
        result
    }

    async fn claim_fresh(&self, number: &str) -> Result<()> {
        if self.store.claim_send(number, &self.claim, None).await? {
            Ok(())
        } else {
            let now = self.store.po_required(number).await?;
            Err(TakenElsewhere::first(number.to_string(), now.status).into())
        }
    }

    async fn deliver_claimed(
        &self,
        po: PurchaseOrder,
        progress: &(dyn Fn(Progress) + Send + Sync),
        took_over_from: Option<String>,
    ) -> Result<SendOutcome> {
        let number = po.po_number.as_str();
        let channel = self.channel(&po);
        let channel_text = channel.describe();
        let json = json_bytes(&po);
        let csv = csv_bytes(&po)?;
        let of = self.orders.send_attempts;
        // The key went out before in an attempt that may have reached the
        // supplier (cut off, timed out, a 5xx; or the PO was left
        // unconfirmed): a 409 now means the supplier has it. An attempt
        // that certainly did not reach it (refused connection, 408, 429,
        // 503) or that it refused (4xx) does not count: a 409 to a key that
        // never reached the supplier is a refusal, and stays one.
        let mut repeated = po.status == PoStatus::Unconfirmed
            || self
                .store
                .send_attempts(number)
                .await?
                .iter()
                .any(|a| super::may_have_reached(&a.outcome));
        for attempt in 1..=of {
            progress(Progress::Attempt {
                po: number.to_string(),
                attempt,
                of,
                channel: channel_text.clone(),
            });
            let Some(id) = self
                .store
                .start_attempt(number, &self.claim, attempt, &channel_text)
                .await?
            else {
                bail!("{number}: another process took the send over; it sends with the same key");
            };
            let result = self
                .deliver(&po, &channel, &json, &csv, repeated)
                .await
                .or_else(|e| match e {
                    SendError::AlreadyHad(said) => Ok(said),
                    e => Err(e),
                });
            repeated |= matches!(result, Err(SendError::Unknown(_)));
            let (outcome, detail) = match &result {
                Ok(c) => ("ok", c.clone()),
                Err(SendError::Retry(r, _)) => (super::NOT_REACHED, r.clone()),
                Err(SendError::Unknown(r)) => ("unknown", r.clone()),
                Err(SendError::Permanent(r)) => (super::REJECTED, r.clone()),
                Err(SendError::AlreadyHad(_)) => unreachable!("taken as sent above"),
            };
            tracing::info!(po = number, attempt, outcome, "send attempt: {detail}");
            // The confirmed attempt and the mark go in one transaction.
            let ours = match &result {
                Ok(confirmation) => {
                    self.store
                        .record_sent(
                            id,
                            number,
                            &self.claim,
                            attempt,
                            &channel_text,
                            confirmation,
                        )
                        .await?
                }
                Err(_) => {
                    self.store
                        .record_attempt(
                            id,
                            number,
                            &self.claim,
                            attempt,
                            &channel_text,
                            outcome,
                            &detail,
                        )
                        .await?
                }
            };
            if !ours {
                bail!("{number}: another process took the send over; it sends with the same key");
            }
            match result {
                Ok(confirmation) => {
                    return Ok(SendOutcome {
                        po_number: number.to_string(),
                        channel: channel_text,
                        confirmation,
                        attempts: attempt,
                        took_over_from,
                    });
                }
                Err(e @ (SendError::Retry(..) | SendError::Unknown(_))) if attempt < of => {
                    // At least the wait the supplier asked for, if it did.
                    let (reason, asked) = match e {
                        SendError::Retry(reason, asked) => (reason, asked),
                        SendError::Unknown(reason) => (reason, None),
                        _ => unreachable!("matched above"),
                    };
                    let wait = self.orders.backoff(attempt).max(asked.unwrap_or_default());
                    progress(Progress::Retrying {
                        po: number.to_string(),
                        attempt,
                        wait,
                        reason,
                    });
                    tokio::time::sleep(wait).await;
                }
                Err(SendError::Retry(reason, _) | SendError::Unknown(reason)) => {
                    let error = format!("{reason} (gave up after {attempt} attempts)");
                    return Err(self.give_up(number, repeated, error).await?);
                }
                Err(SendError::Permanent(reason)) => {
                    return Err(self.give_up(number, repeated, reason).await?);
                }
                Err(SendError::AlreadyHad(_)) => unreachable!("taken as sent above"),
            }
        }
        unreachable!("send_attempts is at least 1")
    }

    /// Ends a send the supplier did not confirm: the PO goes back to
    /// approved when no attempt can have reached the supplier, or is left
    /// unconfirmed (sent again with the same key, cancelled only with a
    /// confirmation naming the risk). The error to report.
    async fn give_up(&self, number: &str, reached: bool, error: String) -> Result<anyhow::Error> {
        if !reached {
            self.store.release_send(number, &self.claim, &error).await?;
            return Ok(anyhow!("{number} not sent: {error}"));
        }
        self.store
            .leave_unconfirmed(number, &self.claim, &error)
            .await?;
        Ok(anyhow!(
            "{number} unconfirmed: {error}; an attempt may have reached the supplier, so it may hold this PO: send it again with the same key (buyerdesk po send {number}; a 409 then confirms it), or ask the supplier before cancelling"
        ))
    }

    /// One attempt through the channel.
    async fn deliver(
        &self,
        po: &PurchaseOrder,
        channel: &Channel,
        json: &[u8],
        csv: &[u8],
        repeated: bool,
    ) -> Result<String, SendError> {
        match channel {
            Channel::File { outbox } => {
                let outbox = outbox.clone();
                let (json, csv) = (json.to_vec(), csv.to_vec());
                // Named by the send key: two purchasing databases'
                // PO-000001 are two documents.
                let number = po.send_key.clone();
                tokio::task::spawn_blocking(move || {
                    crate::files::sweep_leftovers(&outbox);
                    let csv_path = outbox.join(format!("{number}.csv"));
                    let json_path = outbox.join(format!("{number}.json"));
                    // Each file appears whole or not at all; the JSON last,
                    // so a reader that waits for it finds the CSV too.
                    // Never over a document with other content.
                    crate::files::write_new_document(&csv_path, &csv)
                        .and_then(|()| crate::files::write_new_document(&json_path, &json))
                        .map(|()| {
                            format!(
                                "wrote {number}.json and {number}.csv in {}",
                                outbox.display()
                            )
                        })
                        .map_err(|e| SendError::Permanent(format!("{e:#}")))
                })
                .await
                .map_err(|e| SendError::Permanent(format!("the file channel failed: {e}")))?
            }
            Channel::Http { url, token_env } => {
                let mut request = self
                    .client
                    .post(url)
                    .header("Idempotency-Key", &po.send_key)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(json.to_vec());
                if let Some(var) = token_env {
                    let token = std::env::var(var).map_err(|_| {
                        SendError::Permanent(format!(
                            "the supplier's token variable {var} (token_env) is not set"
                        ))
                    })?;
                    request = request.bearer_auth(token);
                }
                let timeout = self.orders.send_timeout();
                // A connection never made cannot have delivered the PO;
                // any other failure may have come after the body went out.
                let response = request.send().await.map_err(|e| {
                    let connect = e.is_connect();
                    let words = describe_reqwest(e, timeout);
                    match connect {
                        true => SendError::Retry(words, None),
                        false => SendError::Unknown(words),
                    }
                })?;
                let answer = Answer::read(response, ANSWER_KEPT, timeout).await;
                let said = answer.said();
                let status = answer.status;
                if status.is_success() {
                    Ok(said)
                } else if status.is_redirection() {
                    // Never followed: a 301/302 would turn the POST into a
                    // bodyless GET, a 307/308 would hand the PO to another
                    // origin; neither is the supplier confirming it.
                    Err(SendError::Permanent(format!(
                        "{said} (a redirect to {}: not followed; set the supplier's url to where it should go)",
                        answer.location.as_deref().unwrap_or("no Location")
                    )))
                } else if status == reqwest::StatusCode::CONFLICT && repeated {
                    Err(SendError::AlreadyHad(format!(
                        "{said} (the supplier already had this key (409): an earlier attempt reached it)"
                    )))
                } else if matches!(status.as_u16(), 408 | 429 | 503) {
                    // The supplier says it did not take the request (408:
                    // not read whole; 429: too many; 503: not serving).
                    let cap = self.orders.retry_after_cap();
                    let (asked, note) = match answer.retry_after {
                        Some(a) if a > cap => (
                            Some(cap),
                            format!(
                                " (Retry-After {} s, waiting at most {} s)",
                                a.as_secs(),
                                cap.as_secs()
                            ),
                        ),
                        Some(a) => (Some(a), format!(" (Retry-After {} s)", a.as_secs())),
                        None => (None, String::new()),
                    };
                    Err(SendError::Retry(format!("{said}{note}"), asked))
                } else if status.is_server_error() {
                    // It failed while handling the order: it may have
                    // stored it first.
                    Err(SendError::Unknown(said))
                } else {
                    Err(SendError::Permanent(said))
                }
            }
        }
    }

    /// Every `sending` PO this process may take over (see `send`), sent
    /// again with the same key: what a crash left behind.
    pub async fn recover(
        &self,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<Vec<(String, Result<SendOutcome>)>> {
        let mut out = Vec::new();
        let now = self.store.server_now().await?;
        for po in self.store.pos(Some(PoStatus::Sending)).await? {
            if self.may_take_over(&po, &now) {
                tracing::info!(po = %po.po_number, claim = ?po.claim, "recovering a send that was cut off");
                let r = self.send(&po.po_number, progress).await;
                out.push((po.po_number, r));
            }
        }
        Ok(out)
    }

    /// Sends every approved PO (and every draft within the threshold when
    /// `drafts` is set: the buyer confirmed sending them without approval;
    /// none is approved). POs for the file channel go in batches (one
    /// claim transaction, one sync of the documents, one transaction
    /// marking them); the others a few at a time, each on its own.
    pub async fn send_all(
        &self,
        drafts: bool,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<Vec<(String, Result<SendOutcome>)>> {
        use futures::StreamExt;
        let mut pos = self.store.pos(Some(PoStatus::Approved)).await?;
        if drafts {
            pos.extend(
                self.store
                    .pos(Some(PoStatus::Draft))
                    .await?
                    .into_iter()
                    .filter(|p| p.approval_reason.is_none()),
            );
        }
        pos.sort_by(|a, b| a.po_number.cmp(&b.po_number));
        let (files, mut others): (Vec<PurchaseOrder>, Vec<PurchaseOrder>) = pos
            .into_iter()
            .partition(|p| matches!(self.channel(p), Channel::File { .. }));
        // Unconfirmed POs are sent again, each on its own (same key).
        others.extend(self.store.pos(Some(PoStatus::Unconfirmed)).await?);
        let mut results = Vec::new();
        for chunk in files.chunks(SENDS_PER_BATCH) {
            results.extend(self.send_file_batch(chunk, drafts, progress).await?);
        }
        let numbers: Vec<String> = others.into_iter().map(|p| p.po_number).collect();
        let singles = futures::stream::iter(numbers)
            .map(|n| async move {
                // Listed a moment ago; another workstation may have sent it
                // since.
                let r = match self.store.po_required(&n).await {
                    Ok(po)
                        if matches!(
                            po.status,
                            PoStatus::Approved | PoStatus::Draft | PoStatus::Unconfirmed
                        ) =>
                    {
                        let word = if drafts {
                            DraftWord::Yes
                        } else {
                            DraftWord::No
                        };
                        self.send_as(&n, word, progress).await
                    }
                    Ok(po) => Err(TakenElsewhere::first(n.clone(), po.status).into()),
                    Err(e) => Err(e),
                };
                (n, r)
            })
            .buffered(4)
            .collect::<Vec<_>>()
            .await;
        results.extend(singles);
        results.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_of_a_process_that_ended_on_this_machine_is_gone() {
        let host = this_host();
        // pid 1 runs; a pid far above pid_max does not.
        assert!(!claimant_gone(&format!("{host}:1:abc")));
        assert!(claimant_gone(&format!("{host}:999999999:abc")));
        // Another machine's process cannot be checked from here.
        assert!(!claimant_gone("elsewhere:999999999:abc"));
        assert!(!claimant_gone("garbage"));
        // This process is not gone.
        assert!(!claimant_gone(&format!(
            "{host}:{}:abc",
            std::process::id()
        )));
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        assert_eq!(retry_after(" 7 "), Some(Duration::from_secs(7)));
        let in_a_minute = (chrono::Utc::now() + chrono::Duration::seconds(60)).to_rfc2822();
        let wait = retry_after(&in_a_minute).unwrap();
        assert!((Duration::from_secs(55)..=Duration::from_secs(60)).contains(&wait));
        // A date gone by: no wait beyond the backoff.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
        assert_eq!(retry_after("-5"), None);
    }

    #[test]
    fn answers_are_cut_to_one_short_line() {
        assert_eq!(short("a\n  b\tc", 10), "a b c");
        assert_eq!(short("abcdefghijk", 5), "abcde...");
    }
}

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

/// The most of a supplier's answer that is read: the rest is never read
/// (a 300 MB answer costs 64 KiB).
const ANSWER_KEPT: usize = 64 * 1024;

/// A supplier's answer, read up to a bound.
struct Answer {
    status: reqwest::StatusCode,
    /// The `Location` header, printable.
    location: Option<String>,
    /// `Retry-After` in seconds (or as an HTTP date).
    retry_after: Option<Duration>,
    /// The first `ANSWER_KEPT` bytes of the body.
    body: Vec<u8>,
    /// Why the body is not whole: longer than kept, or cut off.
    cut: Option<String>,
}

impl Answer {
    /// Reads at most `kept` bytes of the body, then stops (the connection
    /// is dropped with the rest unread). The status has arrived: a body cut
    /// off midway leaves it standing, with a note.
    async fn read(mut response: reqwest::Response, kept: usize, timeout: Duration) -> Answer {
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let location = header(reqwest::header::LOCATION).map(|l| printable(&l).into_owned());
        let retry_after = header(reqwest::header::RETRY_AFTER).and_then(|v| retry_after(&v));
        let status = response.status();
        let mut body = Vec::new();
        let mut cut = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = kept - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        cut = Some(format!(
                            "answer longer than {} KiB: the rest was not read",
                            kept / 1024
                        ));
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    cut = Some(format!(
                        "the answer was cut off: {}",
                        describe_reqwest(e, timeout)
                    ));
                    break;
                }
            }
        }
        Answer {
            status,
            location,
            retry_after,
            body,
            cut,
        }
    }

    /// `HTTP 201: the answer's first line...`, printable, with the note
    /// when the body was not read whole.
    fn said(&self) -> String {
        let b = short(&String::from_utf8_lossy(&self.body), 200);
        let mut said = format!("HTTP {}", self.status.as_u16());
        if !b.is_empty() {
            said.push_str(": ");
            said.push_str(&printable(&b));
        }
        if let Some(cut) = &self.cut {
            said.push_str(&format!(" ({cut})"));
        }
        said
    }
}

/// A `Retry-After` value: seconds, or an HTTP date (the wait until then).
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or_default(),
    )
}

/// One line of at most `n` characters from an answer body.
fn short(text: &str, n: usize) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > n {
        format!("{}...", one.chars().take(n).collect::<String>())
    } else {
        one
    }
}

/// A network error in words, with its causes, without the URL (it may
/// hold a token in its query).
fn describe_reqwest(e: reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {timeout:?} (send_timeout_secs)");
    }
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl Sender {
    pub fn new(store: Store, config: &Config) -> Result<Sender> {
        let orders = config.file.orders.clone();
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

    /// Sends one PO (see the module). A draft within the threshold is
    /// approved on the way; a PO waiting for approval is refused.
    pub async fn send(
        &self,
        number: &str,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SendOutcome> {
        let mut po = self.store.po_required(number).await?;
        let mut took_over_from = None;
        match po.status {
            PoStatus::Draft if po.approval_reason.is_none() => {
                po = self.store.approve(number).await?;
                self.claim_fresh(number).await?;
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
                Err(SendError::Retry(reason, asked)) if attempt < of => {
                    let wait = self.orders.backoff(attempt).max(asked.unwrap_or_default());
                    progress(Progress::Retrying {
                        po: number.to_string(),
                        attempt,
                        wait,
                        reason,
                    });
                    tokio::time::sleep(wait).await;
                }
                Err(SendError::Unknown(reason)) if attempt < of => {
                    let wait = self.orders.backoff(attempt);
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
    /// `drafts` is set). POs for the file channel go in batches (one claim
    /// transaction, one sync of the documents, one transaction marking
    /// them); the others a few at a time, each on its own.
    pub async fn send_all(
        &self,
        drafts: bool,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<Vec<(String, Result<SendOutcome>)>> {
        use futures::StreamExt;
        let mut pos = self.store.pos(Some(PoStatus::Approved)).await?;
        if drafts {
            let within: Vec<PurchaseOrder> = self
                .store
                .pos(Some(PoStatus::Draft))
                .await?
                .into_iter()
                .filter(|p| p.approval_reason.is_none())
                .collect();
            let approved = self.store.approve_drafts(&within).await?;
            pos.extend(
                within
                    .into_iter()
                    .filter(|p| approved.contains(&p.po_number)),
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
            results.extend(self.send_file_batch(chunk, progress).await?);
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
                        self.send(&n, progress).await
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

    /// One batch of file-channel POs, exactly once as for one PO: claimed
    /// (and the attempt logged `started`) before anything is written, the
    /// documents written whole or not at all, marked sent only once they
    /// are on disk.
    async fn send_file_batch(
        &self,
        pos: &[PurchaseOrder],
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<Vec<(String, Result<SendOutcome>)>> {
        let wanted: Vec<(String, String)> = pos
            .iter()
            .map(|p| (p.po_number.clone(), self.channel(p).describe()))
            .collect();
        let started = std::time::Instant::now();
        let claimed = self.store.claim_batch(&wanted, &self.claim).await?;
        let claim_time = started.elapsed();
        let ids: std::collections::HashMap<String, i64> = claimed.into_iter().collect();
        let mut results = Vec::new();
        for p in pos.iter().filter(|p| !ids.contains_key(&p.po_number)) {
            let now = self.store.po_required(&p.po_number).await?;
            results.push((
                p.po_number.clone(),
                Err(TakenElsewhere::first(p.po_number.clone(), now.status).into()),
            ));
        }
        if ids.is_empty() {
            return Ok(results);
        }
        self.in_flight.lock().unwrap().extend(ids.keys().cloned());
        let outcome = self.write_claimed(&ids, progress, claim_time).await;
        {
            let mut in_flight = self.in_flight.lock().unwrap();
            for n in ids.keys() {
                in_flight.remove(n);
            }
        }
        results.extend(outcome?);
        Ok(results)
    }

    async fn write_claimed(
        &self,
        ids: &std::collections::HashMap<String, i64>,
        progress: &(dyn Fn(Progress) + Send + Sync),
        claim_time: Duration,
    ) -> Result<Vec<(String, Result<SendOutcome>)>> {
        let started = std::time::Instant::now();
        let mut pos: Vec<PurchaseOrder> = self
            .store
            .claimed_pos(&self.claim)
            .await?
            .into_iter()
            .filter(|p| ids.contains_key(&p.po_number))
            .collect();
        pos.sort_by(|a, b| a.po_number.cmp(&b.po_number));
        let mut docs = Vec::with_capacity(pos.len());
        let mut channels = Vec::with_capacity(pos.len());
        for po in &pos {
            let channel = self.channel(po);
            let Channel::File { outbox } = &channel else {
                unreachable!("only file-channel POs are batched")
            };
            progress(Progress::Attempt {
                po: po.po_number.clone(),
                attempt: 1,
                of: self.orders.send_attempts,
                channel: channel.describe(),
            });
            docs.push(PoDocuments {
                number: po.send_key.clone(),
                outbox: outbox.clone(),
                csv: csv_bytes(po)?,
                json: json_bytes(po),
            });
            channels.push(channel.describe());
        }
        let read_time = started.elapsed();
        let started = std::time::Instant::now();
        let written = tokio::task::spawn_blocking(move || write_documents(docs))
            .await
            .map_err(|e| anyhow!("the file channel failed: {e}"))?;
        let write_time = started.elapsed();
        let outcomes: Vec<crate::orders::store::BatchOutcome> = pos
            .iter()
            .zip(written)
            .zip(channels)
            .map(|((po, w), channel)| (po.po_number.clone(), ids[&po.po_number], channel, w))
            .collect();
        for (n, _, _, r) in &outcomes {
            let outcome = if r.is_ok() { "ok" } else { "rejected" };
            tracing::info!(po = %n, attempt = 1, outcome, "send attempt (batch)");
        }
        let started = std::time::Instant::now();
        let lost = self.store.finish_batch(&self.claim, &outcomes).await?;
        tracing::debug!(
            pos = outcomes.len(),
            claim_ms = claim_time.as_secs_f64() * 1e3,
            read_and_build_ms = read_time.as_secs_f64() * 1e3,
            write_ms = write_time.as_secs_f64() * 1e3,
            finish_ms = started.elapsed().as_secs_f64() * 1e3,
            "file batch sent"
        );
        Ok(outcomes
            .into_iter()
            .map(|(n, _, channel, r)| {
                let result = if lost.contains(&n) {
                    Err(anyhow!(
                        "{n}: another process took the send over; it sends with the same key"
                    ))
                } else {
                    match r {
                        Ok(confirmation) => Ok(SendOutcome {
                            po_number: n.clone(),
                            channel,
                            confirmation,
                            attempts: 1,
                            took_over_from: None,
                        }),
                        Err(reason) => Err(anyhow!("{n} not sent: {reason}")),
                    }
                };
                (n, result)
            })
            .collect())
    }
}

/// File-channel POs sent in one batch.
const SENDS_PER_BATCH: usize = 250;

/// A PO's two documents for the file channel.
struct PoDocuments {
    /// The send key: the documents' name.
    number: String,
    outbox: PathBuf,
    csv: Vec<u8>,
    json: Vec<u8>,
}

/// Writes each PO's CSV and JSON so that neither ever shows in part: all
/// go to temporary files (0600) first, then one sync of each file system
/// holding an outbox, then each PO's CSV and JSON are renamed to their
/// names (the JSON last), then each outbox folder is synced. Per PO: the
/// confirmation, or why its documents were not written (and nothing of it
/// is left behind).
fn write_documents(docs: Vec<PoDocuments>) -> Vec<Result<String, String>> {
    use std::io::Write;
    let started = std::time::Instant::now();
    let mut results: Vec<Result<String, String>> = Vec::with_capacity(docs.len());
    let mut temps: Vec<Option<[(PathBuf, PathBuf); 2]>> = Vec::with_capacity(docs.len());
    let mut folders: Vec<PathBuf> = Vec::new();
    for d in &docs {
        let write = || -> Result<[(PathBuf, PathBuf); 2], String> {
            if !folders_contains(&folders, &d.outbox) {
                crate::files::create_private_dir(&d.outbox).map_err(|e| {
                    format!("{}: cannot create the folder: {e}", d.outbox.display())
                })?;
                crate::files::sweep_leftovers(&d.outbox);
            }
            let mut pair = Vec::with_capacity(2);
            for (ext, bytes) in [("csv", &d.csv), ("json", &d.json)] {
                let name = format!("{}.{ext}", d.number);
                // Created exclusively, never through a link planted at
                // its name (`crate::files::create_temp_file`).
                let written = crate::files::create_temp_file(&d.outbox, &name).and_then(
                    |(tmp, mut f)| match f.write_all(bytes) {
                        Ok(()) => Ok(tmp),
                        Err(e) => {
                            let _ = std::fs::remove_file(&tmp);
                            Err(e)
                        }
                    },
                );
                let tmp = match written {
                    Ok(tmp) => tmp,
                    Err(e) => {
                        for (t, _) in &pair {
                            let _ = std::fs::remove_file(t);
                        }
                        return Err(format!(
                            "{}: cannot write: {e}",
                            d.outbox.join(&name).display()
                        ));
                    }
                };
                pair.push((tmp, d.outbox.join(name)));
            }
            let [a, b]: [(PathBuf, PathBuf); 2] = pair.try_into().expect("two documents");
            Ok([a, b])
        };
        match write() {
            Ok(pair) => {
                if !folders_contains(&folders, &d.outbox) {
                    folders.push(d.outbox.clone());
                }
                temps.push(Some(pair));
                results.push(Ok(String::new()));
            }
            Err(e) => {
                temps.push(None);
                results.push(Err(e));
            }
        }
    }
    let write_time = started.elapsed();
    let started = std::time::Instant::now();
    // Every temporary file's content on disk before any final name exists.
    let mut unsynced: Vec<PathBuf> = Vec::new();
    for f in &folders {
        if let Err(e) = sync_file_system(f) {
            tracing::warn!("{}: cannot sync: {e}", f.display());
            unsynced.push(f.clone());
        }
    }
    let sync_time = started.elapsed();
    let started = std::time::Instant::now();
    for ((d, pair), result) in docs.iter().zip(&temps).zip(results.iter_mut()) {
        let Some(pair) = pair else { continue };
        if folders_contains(&unsynced, &d.outbox) {
            for (tmp, _) in pair {
                let _ = std::fs::remove_file(tmp);
            }
            *result = Err(format!(
                "{}: the documents could not be synced to disk",
                d.outbox.display()
            ));
            continue;
        }
        // Never over a document with other content (`place_new_file`).
        let renamed = pair
            .iter()
            .try_for_each(|(tmp, name)| crate::files::place_new_file(tmp, name));
        *result = match renamed {
            Ok(()) => Ok(format!(
                "wrote {n}.json and {n}.csv in {}",
                d.outbox.display(),
                n = d.number
            )),
            Err(e) => {
                for (tmp, _) in pair {
                    let _ = std::fs::remove_file(tmp);
                }
                Err(format!(
                    "{}: cannot rename into place: {e}",
                    d.outbox.display()
                ))
            }
        };
    }
    let rename_time = started.elapsed();
    let started = std::time::Instant::now();
    // The renames survive a crash once the folders are synced.
    for f in &folders {
        if let Ok(dir) = std::fs::File::open(f) {
            let _ = dir.sync_all();
        }
    }
    tracing::debug!(
        files = 2 * docs.len(),
        write_ms = write_time.as_secs_f64() * 1e3,
        sync_ms = sync_time.as_secs_f64() * 1e3,
        rename_ms = rename_time.as_secs_f64() * 1e3,
        folder_sync_ms = started.elapsed().as_secs_f64() * 1e3,
        "documents written"
    );
    results
}

fn folders_contains(folders: &[PathBuf], f: &std::path::Path) -> bool {
    folders.iter().any(|x| x == f)
}

/// Flushes the file system holding `folder` (Linux: syncfs, one sync for
/// all the files written there; elsewhere: sync, for all of them).
fn sync_file_system(folder: &std::path::Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let dir = std::fs::File::open(folder)?;
        // SAFETY: syncfs takes an open descriptor and touches no memory.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        // SAFETY: sync takes no arguments.
        unsafe { libc::sync() };
        let _ = folder;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = folder;
        Ok(())
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

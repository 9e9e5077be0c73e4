//! The live snapshot: a background task that keeps the four sources and the
//! purchasing store refreshed, re-plans the products whose inputs or
//! overrides changed, and reports to the screen by messages. The screen never
//! waits on it: a source that is slow or down delays only its own chip.
//!
//! A source that fails a refresh keeps its last rows (rebuilt from the
//! previous snapshot's inputs), its products are marked SOURCE_STALE, and it
//! is tried again with backoff (1 s, 2 s, 4 s ... up to the refresh interval
//! or a minute, whichever is shorter) until it answers: such a retry reads
//! only the sources that are down and due, and plans again only when one of
//! them came back. Every refresh also tries every source that is down. A
//! read either succeeds whole or changes nothing: a source cut off in the
//! middle of its rows keeps its previous rows, all of them.
//!
//! The inventory, where its table has `updated_at` (PostgreSQL, MySQL/
//! MariaDB), is read whole only at the first read, after a failure and at
//! every `FULL_RELOAD_EVERY`-th refresh; in between a refresh reads only the
//! products whose rows were stamped since the last read (on the database's
//! clock, with a margin) and merges them into the last snapshot. The full
//! reloads pick up what a stamp does not show: rows changed without a new
//! `updated_at`, and deleted rows.
//!
//! Before it reads a source whole, a refresh asks the database for a
//! fingerprint of the rows it would read (`Source::fingerprint`: their
//! number and the sum of a hash of each, computed on the server; PostgreSQL
//! and MySQL/MariaDB). When it equals the fingerprint taken before the last
//! read, the source has not changed: nothing is sent, parsed or planned
//! for it. The inventory's changed-rows read is skipped the same way, and
//! its periodic full reload still happens. SQLite sources are always read.
//! `BUYERDESK_NO_FINGERPRINTS=1` turns the fingerprints off (benchmarks).
//!
//! When the only new rows are the inventory's changed products, the new
//! snapshot is the last one with those products' inputs replaced
//! (`plan::inputs::patch_inventory`): the others are shared, not joined
//! again, and the diff compares them by pointer.
//!
//! It also owns the rules in force: rules applied from the app
//! (`LiveCommand::ApplyRules`) or changed on disk (the rules file is
//! watched) replace them, and every product is planned again at once with
//! the new ones. Invalid rules on disk never replace the rules in force.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::{DateTime, Local};
use tokio::sync::mpsc;

use crate::config::{Config, SourceKind};
use crate::plan::inputs::{HistoryStats, InventoryRow, OmsRow, ProductIndex, SupplierRow, UomRow};
use crate::plan::{self, OverrideNote, PlanContext, ProductInputs, ProductPlan, RuleSet};
use crate::plan::{SourceRows, StaleSource};
use crate::sources::{self, inventory, oms, supplier, uom, Backend};
use crate::store::Store;
use sha2::Digest;

/// How a source answered its last attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not connected yet; the first attempt is under way.
    Connecting,
    /// The last refresh read it.
    Up,
    /// The last attempt failed.
    Down,
}

/// What the header chip and the sources popup show of one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    pub kind: SourceKind,
    /// From the URL; `None` when the URL itself is unusable.
    pub backend: Option<Backend>,
    /// The URL with any password replaced.
    pub url: String,
    pub state: LinkState,
    /// When its data was last read successfully.
    pub last_ok: Option<DateTime<Local>>,
    /// Round trip of the last successful read (the whole query).
    pub rtt: Option<Duration>,
    /// Rows of the last successful read.
    pub rows: Option<usize>,
    /// The last read found the source's fingerprint as before: nothing was
    /// sent or planned for it (its rows are those of the last read).
    pub unchanged: bool,
    /// Why the last attempt failed (URL redacted).
    pub error: Option<String>,
    /// While it is down: when it is tried next (backoff, see
    /// `retry_delay`).
    pub retry_at: Option<DateTime<Local>>,
}

impl SourceStatus {
    fn new(config: &Config, kind: SourceKind) -> SourceStatus {
        let (backend, url, error) = match config.resolve(kind) {
            Ok(r) => (
                sources::Backend::of_url(&r.connect_url).ok(),
                r.redacted_url,
                None,
            ),
            Err(e) => (None, String::new(), Some(e)),
        };
        SourceStatus {
            kind,
            backend,
            url,
            state: if error.is_some() {
                LinkState::Down
            } else {
                LinkState::Connecting
            },
            last_ok: None,
            rtt: None,
            rows: None,
            unchanged: false,
            error,
            retry_at: None,
        }
    }

    /// The data on screen is older than the last attempt: the source failed
    /// after an earlier success.
    pub fn is_stale(&self) -> bool {
        self.state == LinkState::Down && self.last_ok.is_some()
    }

    fn ok(&mut self, rtt: Duration, rows: usize, at: DateTime<Local>) {
        self.state = LinkState::Up;
        self.last_ok = Some(at);
        self.rtt = Some(rtt);
        self.rows = Some(rows);
        self.error = None;
        self.retry_at = None;
    }

    /// The attempt failed; `failures` counts this one.
    fn failed(&mut self, e: &anyhow::Error, failures: u32, every: Duration) {
        self.state = LinkState::Down;
        self.error = Some(format!("{e:#}"));
        self.retry_at = chrono::Duration::from_std(retry_delay(failures, every))
            .ok()
            .map(|d| Local::now() + d);
    }

    /// Down and due for another try at `now`.
    fn due(&self, now: DateTime<Local>) -> bool {
        self.state == LinkState::Down && self.retry_at.is_none_or(|t| t <= now)
    }
}

/// The first retry of a source that is down comes this long after the
/// failure; every further failure doubles the wait.
pub const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest wait between two tries of a source that is down (shorter
/// when the refresh interval is).
pub const RETRY_MAX: Duration = Duration::from_secs(60);

/// How long after its `failures`-th failure in a row a source is tried
/// again: 1 s, 2 s, 4 s ... capped at the refresh interval and a minute.
pub fn retry_delay(failures: u32, every: Duration) -> Duration {
    let doubled = RETRY_FIRST.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    doubled
        .min(every.min(RETRY_MAX))
        .max(Duration::from_millis(100))
}

/// New and changed plans from one refresh.
#[derive(Debug)]
pub struct PlanUpdate {
    /// When the refresh began: what the screen saved after it is newer.
    pub started: DateTime<Local>,
    /// Every product is in `plans` (first load, stale set or rules changed).
    pub full: bool,
    pub plans: Vec<ProductPlan>,
    /// Products no source lists any more.
    pub removed: Vec<String>,
    /// Products whose inputs or override changed (not counting `full`).
    pub changed: usize,
    pub load: Duration,
    pub planning: Duration,
    /// Every product's rank by name and by supplier in the snapshot after
    /// this update (in id order, as the screen keeps its plans): made here,
    /// off the screen's thread, so that sorting by a text column compares
    /// integers. `None`: the screen ranks the texts itself.
    pub ranks: Option<Arc<TextRanks>>,
}

/// Each product's rank among all products' names and among their supplier
/// names (0: none, which sorts first; equal texts, equal ranks), indexed as
/// the products sorted by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextRanks {
    pub name: Vec<u32>,
    pub supplier: Vec<u32>,
}

impl TextRanks {
    /// The ranks of these plans (in id order).
    pub fn of(plans: &[ProductPlan]) -> TextRanks {
        TextRanks {
            name: ranks(plans.iter().map(|p| p.product_name.as_deref())),
            supplier: ranks(plans.iter().map(|p| p.supplier_name.as_deref())),
        }
    }

    fn of_names(names: &[PlanNames]) -> TextRanks {
        TextRanks {
            name: ranks(names.iter().map(|n| n.0.as_deref())),
            supplier: ranks(names.iter().map(|n| n.1.as_deref())),
        }
    }
}

/// The rank of each text among them, in `Option<&str>`'s order.
fn ranks<'a>(texts: impl Iterator<Item = Option<&'a str>>) -> Vec<u32> {
    let mut keyed: Vec<(Option<&str>, u32)> = texts.zip(0u32..).collect();
    keyed.sort_unstable();
    let mut out = vec![0u32; keyed.len()];
    let (mut rank, mut previous) = (0u32, None);
    for (k, (text, i)) in keyed.iter().enumerate() {
        if text.is_some() && (k == 0 || previous != Some(*text)) {
            rank += 1;
        }
        previous = Some(*text);
        out[*i as usize] = if text.is_some() { rank } else { 0 };
    }
    out
}

/// A product's name and supplier name, as planned.
type PlanNames = (Option<Arc<str>>, Option<Arc<str>>);

fn names_of(p: &ProductPlan) -> PlanNames {
    (p.product_name.clone(), p.supplier_name.clone())
}

/// The names of every product of `new` (sorted by id): from `plans` where
/// it was planned (`changed[k]` is `plans[k]`'s index in `new`), else as
/// they were in `old` (aligned with `old_names`). Whether any name is not
/// where it was.
fn merge_names(
    old: &[Arc<ProductInputs>],
    old_names: Vec<PlanNames>,
    new: &[Arc<ProductInputs>],
    changed: &[usize],
    plans: &[ProductPlan],
) -> Option<(Vec<PlanNames>, bool)> {
    let same_products = old.len() == new.len()
        && old_names.len() == old.len()
        && old
            .iter()
            .zip(new)
            .all(|(o, n)| Arc::ptr_eq(o, n) || o.product_id == n.product_id);
    if same_products {
        // The usual refresh: the planned products' names updated in place.
        let mut names = old_names;
        let mut moved = false;
        for (&j, plan) in changed.iter().zip(plans) {
            let planned = names_of(plan);
            if names[j] != planned {
                names[j] = planned;
                moved = true;
            }
        }
        return Some((names, moved));
    }
    let mut out = Vec::with_capacity(new.len());
    let mut moved = old.len() != new.len() || old_names.len() != old.len();
    let (mut c, mut i) = (0, 0);
    for (j, p) in new.iter().enumerate() {
        while old.get(i).is_some_and(|o| o.product_id < p.product_id) {
            i += 1;
            moved = true;
        }
        let same_product = old.get(i).is_some_and(|o| o.product_id == p.product_id);
        if changed.get(c) == Some(&j) {
            let names = names_of(&plans[c]);
            moved |= !same_product || old_names.get(i) != Some(&names);
            out.push(names);
            c += 1;
        } else {
            // Not planned again: it was in the last snapshot.
            out.push(old_names.get(i).filter(|_| same_product)?.clone());
        }
        if same_product {
            i += 1;
        } else {
            moved = true;
        }
    }
    Some((out, moved))
}

/// What the background task tells the screen.
#[derive(Debug)]
pub enum LiveEvent {
    /// The state of the five sources changed.
    Sources(Vec<SourceStatus>),
    /// A refresh produced plans.
    Plans(PlanUpdate),
    /// The daily demand of one product (for the sparkline), oldest first.
    History {
        request: u64,
        product_id: String,
        days: Result<Vec<(String, f64)>, String>,
    },
}

/// What the background task tells the screen about the rules in force.
/// (Apart from `LiveEvent` so that a screen which does not show them yet
/// need not match them.)
#[derive(Debug, Clone, PartialEq)]
pub enum RulesEvent {
    /// The answer to `LiveCommand::ApplyRules`: "<path>: N rules" now in
    /// force (a full re-plan follows), or why nothing was written: the
    /// validator's errors as a compiler prints them (`file:line:col: error:
    /// ...`), or the write or audit failure.
    RulesApplied {
        request: u64,
        result: Result<String, String>,
    },
    /// The rules file changed on disk (another editor, a git pull): `Ok`
    /// with its path when it is now in force (a full re-plan follows), `Err`
    /// with the diagnostics (compiler style) or the read error when the
    /// rules in force stay.
    RulesReloaded(Result<String, String>),
    /// The answer to `LiveCommand::DryRun`: what the candidate rules would
    /// change on every product of the current snapshot, or why they were
    /// not tried (the validator's errors, no snapshot yet).
    DryRun {
        request: u64,
        result: Result<SharedDryRun, String>,
    },
}

/// A dry run's result, shared (compared by identity).
#[derive(Debug, Clone)]
pub struct SharedDryRun(pub Arc<crate::rules::DryRun>);

impl PartialEq for SharedDryRun {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// How long the rules file must be quiet before it is read: an editor's
/// save is several events (create, write, rename).
pub const RULES_RELOAD_DEBOUNCE: Duration = Duration::from_millis(300);

/// What the screen asks of the background task.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveCommand {
    /// Refresh now (after the running refresh, if one runs).
    Refresh,
    /// The daily demand of a product, answered with the same request id.
    History { request: u64, product_id: String },
    /// Make `text` the rules in force: validated, written to the rules file
    /// with its history and an audit row (`authoring::apply`), then every
    /// product planned again. Answered by `RulesEvent::RulesApplied` with
    /// the same request id. Sent during a refresh, it waits for its end.
    ApplyRules { request: u64, text: String },
    /// Try `text` on every product beside the rules in force, changing
    /// nothing. Answered by `RulesEvent::DryRun` with the same request id.
    DryRun { request: u64, text: String },
}

/// Every this many inventory reads, one reads the table whole even where
/// changed rows can be read by their `updated_at`: rows changed without a
/// new stamp, and deleted rows, are seen at the latest then.
pub const FULL_RELOAD_EVERY: u32 = 10;

/// Days of history the sparkline shows.
pub const HISTORY_DAYS: u32 = 60;

/// Starts the background task on the current tokio runtime. It refreshes at
/// once, then every `every`, and on `LiveCommand::Refresh`; it ends when the
/// command sender is dropped. Its `RulesEvent`s are dropped (see
/// `spawn_with_rules_events`).
pub fn spawn(
    config: Config,
    rules: RuleSet,
    store: Store,
    every: Duration,
) -> (
    mpsc::UnboundedSender<LiveCommand>,
    mpsc::UnboundedReceiver<LiveEvent>,
) {
    let (commands, events, _) = spawn_with_rules_events(config, rules, store, every);
    (commands, events)
}

/// `spawn`, with a third receiver for what happens to the rules in force.
pub fn spawn_with_rules_events(
    config: Config,
    rules: RuleSet,
    store: Store,
    every: Duration,
) -> (
    mpsc::UnboundedSender<LiveCommand>,
    mpsc::UnboundedReceiver<LiveEvent>,
    mpsc::UnboundedReceiver<RulesEvent>,
) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let (rules_tx, rules_rx) = mpsc::unbounded_channel();
    let worker = Worker::new(config, rules, store, every);
    tokio::spawn(run(worker, every, cmd_rx, event_tx, rules_tx));
    (cmd_tx, event_rx, rules_rx)
}

async fn run(
    worker: Worker,
    every: Duration,
    mut commands: mpsc::UnboundedReceiver<LiveCommand>,
    events: mpsc::UnboundedSender<LiveEvent>,
    rules_events: mpsc::UnboundedSender<RulesEvent>,
) {
    let _ = events.send(LiveEvent::Sources(worker.statuses()));
    let oms = Arc::clone(&worker.oms_for_history);
    let mut running: Option<tokio::task::JoinHandle<Worker>> = None;
    let mut again = false;
    let mut next = tokio::time::Instant::now();
    // Rules applied while the worker is out refreshing, in order.
    let mut queued_rules: Vec<(u64, String)> = Vec::new();
    let mut queued_dry_runs: Vec<(u64, String)> = Vec::new();
    let (disk_tx, mut disk_changes) = mpsc::unbounded_channel();
    let _watcher = watch_rules_file(&worker.config.rules_path(), disk_tx);
    // The worker is here while idle, in `running`'s task while it refreshes.
    let mut idle = Some(worker);
    macro_rules! worker {
        () => {
            idle.as_mut().expect("only used while no refresh runs")
        };
    }
    let mut reload_at: Option<tokio::time::Instant> = None;
    let mut reload_queued = false;
    // The next retry of the sources that are down, when it comes before
    // the next refresh; and whether the refresh under way is such a retry.
    let mut retry: Option<tokio::time::Instant> = None;
    let mut running_retry = false;
    macro_rules! start_refresh {
        ($partial:expr) => {{
            let events = events.clone();
            let mut w = idle.take().expect("no refresh runs");
            let partial = $partial;
            running_retry = partial;
            retry = None;
            running = Some(tokio::spawn(async move {
                w.refresh(&events, partial).await;
                w
            }));
        }};
    }
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => break,
                Some(LiveCommand::Refresh) => {
                    if running.is_some() {
                        again = true;
                    } else {
                        next = tokio::time::Instant::now();
                    }
                }
                Some(LiveCommand::History { request, product_id }) => {
                    let source = oms.lock().expect("not poisoned").clone();
                    let events = events.clone();
                    tokio::spawn(async move {
                        let days = match source {
                            Some(s) => s
                                .daily_demand(&product_id, HISTORY_DAYS)
                                .await
                                .map_err(|e| format!("{e:#}")),
                            None => Err("the OMS source is not connected".to_string()),
                        };
                        let _ = events.send(LiveEvent::History { request, product_id, days });
                    });
                }
                Some(LiveCommand::DryRun { request, text }) => {
                    if running.is_some() {
                        queued_dry_runs.push((request, text));
                    } else {
                        worker!().start_dry_run(request, &text, &rules_events);
                    }
                }
                Some(LiveCommand::ApplyRules { request, text }) => {
                    if running.is_some() {
                        queued_rules.push((request, text));
                    } else if worker!().apply_rules(request, &text, &rules_events).await {
                        next = tokio::time::Instant::now();
                    }
                }
            },
            Some(()) = disk_changes.recv() => {
                reload_at = Some(tokio::time::Instant::now() + RULES_RELOAD_DEBOUNCE);
            }
            _ = tokio::time::sleep_until(reload_at.unwrap_or(next)), if reload_at.is_some() => {
                reload_at = None;
                if running.is_some() {
                    reload_queued = true;
                } else if worker!().reload_rules(&rules_events) {
                    next = tokio::time::Instant::now();
                }
            }
            done = async { running.as_mut().expect("guarded").await }, if running.is_some() => {
                running = None;
                match done {
                    Ok(w) => idle = Some(w),
                    Err(e) => {
                        // A panic in planning: the screen keeps its data.
                        tracing::error!("refresh task failed: {e}");
                        return;
                    }
                }
                for (request, text) in std::mem::take(&mut queued_dry_runs) {
                    worker!().start_dry_run(request, &text, &rules_events);
                }
                let mut switched = false;
                for (request, text) in std::mem::take(&mut queued_rules) {
                    switched |= worker!().apply_rules(request, &text, &rules_events).await;
                }
                if std::mem::take(&mut reload_queued) {
                    switched |= worker!().reload_rules(&rules_events);
                }
                let was_retry = std::mem::take(&mut running_retry);
                if std::mem::take(&mut again) || switched {
                    next = tokio::time::Instant::now();
                } else if !was_retry {
                    // A retry of the sources that are down does not put
                    // off the next refresh of them all.
                    next = tokio::time::Instant::now() + every;
                }
                retry = worker!()
                    .next_retry()
                    .map(|wait| tokio::time::Instant::now() + wait)
                    .filter(|at| *at < next);
            }
            _ = tokio::time::sleep_until(next), if running.is_none() => {
                start_refresh!(false);
            }
            _ = tokio::time::sleep_until(retry.unwrap_or(next)), if running.is_none() && retry.is_some() => {
                start_refresh!(true);
            }
        }
    }
    if let Some(task) = running {
        task.abort();
    }
    if let Some(w) = idle {
        w.close().await;
    }
}

/// One source's connection and the rows of its last successful read.
struct Slot<S, R> {
    source: Option<S>,
    status: SourceStatus,
    /// Whether a read ever succeeded (its rows are in the last inputs).
    loaded: bool,
    fresh: Option<R>,
    /// Failed attempts in a row (the backoff).
    failures: u32,
    /// The fingerprint taken before the last successful read.
    fingerprint: Option<String>,
    /// The last attempt found the source as it was read before.
    unchanged: bool,
}

impl<S, R> Slot<S, R> {
    fn new(config: &Config, kind: SourceKind) -> Self {
        Slot {
            source: None,
            status: SourceStatus::new(config, kind),
            loaded: false,
            fresh: None,
            failures: 0,
            fingerprint: None,
            unchanged: false,
        }
    }
}

/// The OMS read: demand rows and, when the rules need them, the history
/// statistics.
type OmsRows = (Vec<OmsRow>, Option<Vec<HistoryStats>>);

/// An inventory read: every row, or every row of the products changed
/// since the last read.
struct InventoryRead {
    rows: Vec<InventoryRow>,
    /// `rows` are only the changed products' rows, to merge into the last
    /// snapshot.
    changed_only: bool,
    /// The database's clock when the read began, where changed rows can be
    /// read (the next read asks for rows stamped since).
    clock: Option<String>,
}

/// The refresh state, owned by whichever task runs the refresh.
struct Worker {
    config: Config,
    rules: RuleSet,
    store: Store,
    oms: Slot<oms::OmsSource, OmsRows>,
    inventory: Slot<inventory::InventorySource, InventoryRead>,
    /// The database's clock at the last inventory read, where changed rows
    /// can be read by their `updated_at`.
    inventory_clock: Option<String>,
    /// Reads of only the changed inventory rows left before a full one.
    inventory_changed_reads_left: u32,
    supplier: Slot<supplier::SupplierSource, Vec<SupplierRow>>,
    uom: Slot<uom::UomSource, Vec<UomRow>>,
    purchasing: SourceStatus,
    /// Failed reads of the purchasing store in a row (the backoff).
    purchasing_failures: u32,
    /// The overrides and open POs were read once: plans without them
    /// would show suggestions the buyers already changed.
    purchasing_loaded: bool,
    /// The refresh interval (caps the backoff).
    every: Duration,
    /// The OMS source for history requests answered between refreshes.
    oms_for_history: Arc<Mutex<Option<oms::OmsSource>>>,
    /// The last snapshot's inputs, sorted by product id.
    inputs: Vec<Arc<ProductInputs>>,
    /// Where each product of `inputs` is, by id.
    index: ProductIndex,
    /// Each product's names as planned, aligned with `inputs`, and their
    /// ranks.
    names: Vec<PlanNames>,
    ranks: Option<Arc<TextRanks>>,
    overrides: HashMap<String, OverrideNote>,
    /// The overrides the last snapshot was planned with.
    planned_overrides: HashMap<String, OverrideNote>,
    /// buyerdesk's open POs per product, as last read and as planned.
    open_pos: HashMap<String, crate::orders::OpenPo>,
    planned_open_pos: HashMap<String, crate::orders::OpenPo>,
    stale: Vec<StaleSource>,
    planned: bool,
    /// The rules changed since the last plans: plan every product again.
    rules_changed: bool,
    /// The rules file on disk was refused at its last reload.
    disk_refused: bool,
}

impl Worker {
    fn new(config: Config, rules: RuleSet, store: Store, every: Duration) -> Worker {
        let mut purchasing = SourceStatus::new(&config, SourceKind::Purchasing);
        // Opened while it was down, it is tried at the first refresh.
        if store.is_migrated() {
            purchasing.state = LinkState::Up;
        }
        purchasing.backend = Some(store.source.backend);
        purchasing.url = store.source.resolved.redacted_url.clone();
        Worker {
            oms: Slot::new(&config, SourceKind::Oms),
            inventory: Slot::new(&config, SourceKind::Inventory),
            inventory_clock: None,
            inventory_changed_reads_left: 0,
            supplier: Slot::new(&config, SourceKind::Supplier),
            uom: Slot::new(&config, SourceKind::Uom),
            purchasing,
            purchasing_failures: 0,
            purchasing_loaded: false,
            every,
            config,
            rules,
            store,
            oms_for_history: Arc::new(Mutex::new(None)),
            inputs: Vec::new(),
            index: ProductIndex::new(),
            names: Vec::new(),
            ranks: None,
            overrides: HashMap::new(),
            planned_overrides: HashMap::new(),
            open_pos: HashMap::new(),
            planned_open_pos: HashMap::new(),
            stale: Vec::new(),
            planned: false,
            rules_changed: false,
            disk_refused: false,
        }
    }

    /// Applies rules sent by the screen and answers; on success they are
    /// the rules in force and the next refresh plans every product.
    /// Returns whether they were switched.
    async fn apply_rules(
        &mut self,
        request: u64,
        text: &str,
        rules_events: &mpsc::UnboundedSender<RulesEvent>,
    ) -> bool {
        let result = crate::authoring::apply(&self.config, &self.store, text, &self.store.user)
            .await
            .map_err(|e| e.to_string());
        let (switched, result) = match result {
            Ok(applied) => {
                let summary = applied.summary();
                self.switch_rules(applied.rules);
                (true, Ok(summary))
            }
            Err(e) => {
                tracing::warn!("rules not applied: {e}");
                (false, Err(e))
            }
        };
        let _ = rules_events.send(RulesEvent::RulesApplied { request, result });
        switched
    }

    /// Starts a dry run of `text` on the last snapshot, on a blocking
    /// thread; the answer goes to `rules_events`.
    fn start_dry_run(
        &self,
        request: u64,
        text: &str,
        rules_events: &mpsc::UnboundedSender<RulesEvent>,
    ) {
        let refuse = |why: String| {
            let _ = rules_events.send(RulesEvent::DryRun {
                request,
                result: Err(why),
            });
        };
        if !self.planned {
            return refuse("no products yet: the sources have not all answered".to_string());
        }
        let origin = self.config.rules_path().display().to_string();
        let candidate = match crate::rules::load(text, &origin) {
            Ok(rules) => rules,
            Err(e) => return refuse(e.to_string()),
        };
        let in_force = self.rules.clone();
        let inputs = self.inputs.clone();
        let mut ctx = PlanContext {
            overrides: self.overrides.clone(),
            stale_sources: self.stale.clone(),
            ..Default::default()
        };
        crate::app::set_open_pos(&mut ctx, self.open_pos.clone());
        let events = rules_events.clone();
        let currency = self.config.file.orders.currency.clone();
        tokio::task::spawn_blocking(move || {
            let mut result = crate::rules::dry_run(&inputs, &ctx, &in_force, &candidate);
            result.assume_currency(&currency);
            let _ = events.send(RulesEvent::DryRun {
                request,
                result: Ok(SharedDryRun(Arc::new(result))),
            });
        });
    }

    /// Reads the rules file after a change on disk: valid rules become the
    /// rules in force; invalid ones are reported and change nothing.
    /// Returns whether the rules were switched.
    fn reload_rules(&mut self, rules_events: &mpsc::UnboundedSender<RulesEvent>) -> bool {
        let path = self.config.rules_path();
        let origin = path.display().to_string();
        let result = match std::fs::read_to_string(&path) {
            Ok(text) if *self.rules.text == *text => {
                // Our own apply, or the file put back as it is in force.
                if !std::mem::take(&mut self.disk_refused) {
                    return false;
                }
                Ok(None)
            }
            Ok(text) => crate::rules::load(&text, &origin)
                .map(Some)
                .map_err(|e| format!("{e}\nthe rules in force stay")),
            Err(e) => Err(format!(
                "{origin}: cannot read the rules file: {e}; the rules in force stay"
            )),
        };
        let (switched, event) = match result {
            Ok(rules) => {
                self.disk_refused = false;
                let switched = rules.is_some();
                if let Some(rules) = rules {
                    // A rules change made outside the app is audited too
                    // (by the workstation that picked it up).
                    let hash = sha2::Sha256::digest(rules.text.as_bytes());
                    let hash: String = hash.iter().map(|b| format!("{b:02x}")).collect();
                    let detail = format!(
                        "{origin}: {} rules, sha256 {hash} (changed on disk, picked up by this workstation)",
                        rules.rule_names.len()
                    );
                    let store = self.store.clone();
                    tokio::spawn(async move {
                        if let Err(e) = store.audit("rules_reloaded", None, &detail).await {
                            tracing::warn!("the rules reload was not audited: {e:#}");
                        }
                    });
                    self.switch_rules(rules);
                }
                (switched, Ok(origin))
            }
            Err(e) => {
                tracing::warn!("rules file changed on disk and refused: {e}");
                self.disk_refused = true;
                (false, Err(e))
            }
        };
        let _ = rules_events.send(RulesEvent::RulesReloaded(event));
        switched
    }

    fn switch_rules(&mut self, rules: RuleSet) {
        tracing::info!(
            "rules in force: {}",
            crate::authoring::rules_summary(&rules)
        );
        self.rules = rules;
        self.rules_changed = true;
    }

    fn statuses(&self) -> Vec<SourceStatus> {
        vec![
            self.oms.status.clone(),
            self.inventory.status.clone(),
            self.supplier.status.clone(),
            self.uom.status.clone(),
            self.purchasing.clone(),
        ]
    }

    async fn close(&self) {
        if let Some(s) = &self.oms.source {
            s.source.close().await;
        }
        if let Some(s) = &self.inventory.source {
            s.source.close().await;
        }
        if let Some(s) = &self.supplier.source {
            s.source.close().await;
        }
        if let Some(s) = &self.uom.source {
            s.source.close().await;
        }
        self.store.source.close().await;
    }

    /// When the next source that is down is due for a retry (zero when
    /// one is overdue); `None` when every source is up.
    fn next_retry(&self) -> Option<Duration> {
        let now = Local::now();
        [
            &self.oms.status,
            &self.inventory.status,
            &self.supplier.status,
            &self.uom.status,
            &self.purchasing,
        ]
        .into_iter()
        .filter(|s| s.state == LinkState::Down)
        .map(|s| {
            s.retry_at
                .and_then(|t| (t - now).to_std().ok())
                .unwrap_or(Duration::ZERO)
        })
        .min()
    }

    /// One refresh: read every source (connecting those that are not),
    /// re-plan what changed, report. A `retry` reads only the sources that
    /// are down and due, and plans only when one of them answered.
    ///
    /// The sources are read concurrently and the refresh waits for all of
    /// them: a source that hangs holds it up to its own query (or connect)
    /// timeout, after which it counts as failed and the others' fresh rows
    /// are planned.
    async fn refresh(&mut self, events: &mpsc::UnboundedSender<LiveEvent>, retry: bool) {
        if std::env::var("BUYERDESK_DEBUG_PANIC").as_deref() == Ok("live") {
            panic!("BUYERDESK_DEBUG_PANIC=live: a panic on purpose in the background task");
        }
        let (config, rules, store) = (&self.config, &self.rules, &self.store);
        let started = Local::now();
        let clock = Instant::now();
        let with_history = crate::app::needs_history(rules);
        let every = self.every;
        // In a retry, only the sources that are down and due.
        let due = |s: &SourceStatus| match !retry || s.due(started) {
            true => Due::Yes,
            false => Due::Not,
        };
        let read_purchasing = due(&self.purchasing) != Due::Not;
        let came_back = |s: &SourceStatus| s.state != LinkState::Up;
        let was_down = [
            came_back(&self.oms.status),
            came_back(&self.inventory.status),
            came_back(&self.supplier.status),
            came_back(&self.uom.status),
            came_back(&self.purchasing),
        ];
        let (oms_due, inventory_due, supplier_due, uom_due) = (
            due(&self.oms.status),
            due(&self.inventory.status),
            due(&self.supplier.status),
            due(&self.uom.status),
        );
        // Only the changed inventory rows, when the last snapshot holds
        // the rest and no full reload is due.
        let inventory_since = (self.planned
            && self.inventory.status.state == LinkState::Up
            && self.inventory_changed_reads_left > 0)
            .then(|| self.inventory_clock.clone())
            .flatten();
        // The periodic full reload reads even an unchanged inventory.
        let inventory_due = match inventory_due {
            Due::Yes
                if self.planned
                    && self.inventory.status.state == LinkState::Up
                    && self.inventory_changed_reads_left == 0 =>
            {
                Due::Whole
            }
            due => due,
        };
        let (_, _, _, _, overrides_r) = tokio::join!(
            read(
                &mut self.oms,
                config,
                SourceKind::Oms,
                with_history,
                None,
                every,
                oms_due
            ),
            read(
                &mut self.inventory,
                config,
                SourceKind::Inventory,
                false,
                inventory_since,
                every,
                inventory_due
            ),
            read(
                &mut self.supplier,
                config,
                SourceKind::Supplier,
                false,
                None,
                every,
                supplier_due
            ),
            read(
                &mut self.uom,
                config,
                SourceKind::Uom,
                false,
                None,
                every,
                uom_due
            ),
            async {
                if !read_purchasing {
                    return None;
                }
                let t = Instant::now();
                Some(
                    async {
                        // Opened while it was down: migrated on its first
                        // answer.
                        store.ensure_migrated().await?;
                        let overrides = store.overrides().await?;
                        let open_pos = store.open_pos_by_product().await?;
                        Ok::<_, anyhow::Error>((overrides, open_pos, t.elapsed()))
                    }
                    .await,
                )
            },
        );
        *self.oms_for_history.lock().expect("not poisoned") = self.oms.source.clone();
        if let Some(read) = &self.inventory.fresh {
            self.inventory_clock = read.clock.clone();
            self.inventory_changed_reads_left = match read.changed_only {
                true => self.inventory_changed_reads_left.saturating_sub(1),
                false => FULL_RELOAD_EVERY - 1,
            };
        } else if self.inventory.unchanged {
            // A read skipped still counts towards the full reload, which
            // catches rows changed without a new stamp before the last read.
            self.inventory_changed_reads_left = self.inventory_changed_reads_left.saturating_sub(1);
        }
        match overrides_r {
            None => {}
            Some(Ok((list, open_pos, rtt))) => {
                self.purchasing_failures = 0;
                self.purchasing_loaded = true;
                self.purchasing.ok(rtt, list.len(), Local::now());
                self.overrides = list
                    .into_iter()
                    .map(|o| (o.product_id.clone(), o.note_for_plan()))
                    .collect();
                self.open_pos = open_pos;
            }
            Some(Err(e)) => {
                tracing::warn!("purchasing store: {e:#}");
                self.purchasing_failures += 1;
                self.purchasing.failed(&e, self.purchasing_failures, every);
            }
        }
        let load = clock.elapsed();
        let statuses = self.statuses();
        let is_up = [
            self.oms.status.state,
            self.inventory.status.state,
            self.supplier.status.state,
            self.uom.status.state,
            self.purchasing.state,
        ]
        .map(|s| s == LinkState::Up);
        let any_came_back = was_down.iter().zip(is_up).any(|(down, up)| *down && up);
        if retry && !any_came_back {
            // Still down: nothing new to plan.
            let _ = events.send(LiveEvent::Sources(statuses));
            return;
        }
        let waiting = [
            self.oms.loaded,
            self.inventory.loaded,
            self.supplier.loaded,
            self.uom.loaded,
            self.purchasing_loaded,
        ]
        .contains(&false);
        if waiting {
            // Planning without a source would suggest orders from nothing,
            // and without the purchasing store ignore the overrides.
            let _ = events.send(LiveEvent::Sources(statuses));
            return;
        }
        let rules = rules.clone();
        let stale = self.stale_sources();
        let fresh = Fresh {
            oms: self.oms.fresh.take(),
            inventory: self.inventory.fresh.take(),
            suppliers: self.supplier.fresh.take(),
            uom: self.uom.fresh.take(),
        };
        let previous = std::mem::take(&mut self.inputs);
        let index = std::mem::take(&mut self.index);
        let full = !self.planned || self.rules_changed || stale != self.stale;
        let mut ctx = PlanContext {
            overrides: self.overrides.clone(),
            stale_sources: stale.clone(),
            ..Default::default()
        };
        crate::app::set_open_pos(&mut ctx, self.open_pos.clone());
        let old_overrides = std::mem::take(&mut self.planned_overrides);
        let old_open_pos = std::mem::take(&mut self.planned_open_pos);
        let new_open_pos = self.open_pos.clone();
        let old_names = std::mem::take(&mut self.names);
        let old_ranks = self.ranks.take();
        let plan_clock = Instant::now();
        let planned = tokio::task::spawn_blocking(move || {
            let mut parts = PlanParts::default();
            let t = Instant::now();
            let (inputs, index) = fresh.snapshot(&previous, index);
            parts.snapshot = t.elapsed();
            let t = Instant::now();
            let mut diff = diff_inputs(&previous, &inputs, &old_overrides, &ctx.overrides);
            // Products whose buyerdesk POs changed (drafted, sent, received).
            let po_changed: std::collections::HashSet<&String> = old_open_pos
                .keys()
                .chain(new_open_pos.keys())
                .filter(|id| old_open_pos.get(*id) != new_open_pos.get(*id))
                .collect();
            if !po_changed.is_empty() {
                for id in po_changed {
                    if let Ok(i) = inputs.binary_search_by(|p| (*p.product_id).cmp(id.as_str())) {
                        diff.changed.push(i);
                    }
                }
                diff.changed.sort_unstable();
                diff.changed.dedup();
            }
            let to_plan: Vec<Arc<ProductInputs>> = if full {
                inputs.clone()
            } else {
                diff.changed
                    .iter()
                    .map(|&i| Arc::clone(&inputs[i]))
                    .collect()
            };
            // One core stays with the screen, so keys and drawing keep
            // their pace while a large refresh is planned.
            parts.diff = t.elapsed();
            let t = Instant::now();
            let plans = plan::plan_all_on(&to_plan, &ctx, &rules, background_threads());
            parts.rules = t.elapsed();
            let t = Instant::now();
            // The ranks by name and supplier, ranked again only when a
            // name changed or products came or went.
            let (names, ranks) = if full {
                let names: Vec<PlanNames> = plans.iter().map(names_of).collect();
                let ranks = Arc::new(TextRanks::of_names(&names));
                (names, Some(ranks))
            } else {
                match merge_names(&previous, old_names, &inputs, &diff.changed, &plans) {
                    Some((names, false)) if old_ranks.is_some() => (names, old_ranks),
                    Some((names, _)) => {
                        let ranks = Arc::new(TextRanks::of_names(&names));
                        (names, Some(ranks))
                    }
                    None => (Vec::new(), None),
                }
            };
            drop(previous);
            parts.names = t.elapsed();
            (inputs, index, diff, plans, names, ranks, parts)
        })
        .await;
        let (inputs, index, diff, plans, names, ranks, parts) = match planned {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("planning failed: {e}");
                return;
            }
        };
        let planning = plan_clock.elapsed();
        tracing::info!(
            products = inputs.len(),
            changed = diff.changed.len(),
            removed = diff.removed.len(),
            full,
            load_ms = load.as_millis() as u64,
            plan_ms = planning.as_millis() as u64,
            reads = %self.read_times(),
            snapshot_ms = parts.snapshot.as_millis() as u64,
            diff_ms = parts.diff.as_millis() as u64,
            rules_ms = parts.rules.as_millis() as u64,
            names_ms = parts.names.as_millis() as u64,
            "refreshed"
        );
        self.inputs = inputs;
        self.index = index;
        self.names = names;
        self.ranks = ranks.clone();
        self.planned_overrides = self.overrides.clone();
        self.planned_open_pos = self.open_pos.clone();
        self.stale = stale;
        self.planned = true;
        self.rules_changed = false;
        let _ = events.send(LiveEvent::Sources(statuses));
        let _ = events.send(LiveEvent::Plans(PlanUpdate {
            started,
            full,
            plans,
            removed: diff.removed,
            changed: diff.changed.len(),
            load,
            planning,
            ranks,
        }));
    }

    /// Each source's last read time, and whether it was found unchanged.
    fn read_times(&self) -> String {
        let slot = |name: &str, status: &SourceStatus, unchanged: bool| {
            let ms = status.rtt.map_or(0, |d| d.as_millis());
            let how = if unchanged { " unchanged" } else { "" };
            format!("{name} {ms} ms{how}")
        };
        [
            slot("oms", &self.oms.status, self.oms.unchanged),
            slot(
                "inventory",
                &self.inventory.status,
                self.inventory.unchanged,
            ),
            slot("supplier", &self.supplier.status, self.supplier.unchanged),
            slot("uom", &self.uom.status, self.uom.unchanged),
        ]
        .join(", ")
    }

    fn stale_sources(&self) -> Vec<StaleSource> {
        [
            &self.oms.status,
            &self.inventory.status,
            &self.supplier.status,
            &self.uom.status,
        ]
        .into_iter()
        .filter(|s| s.is_stale())
        .map(|s| StaleSource {
            source: s.kind.name().to_string(),
            as_of: s
                .last_ok
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_default(),
            error: s.error.clone().unwrap_or_default(),
        })
        .collect()
    }
}

/// Where a refresh's planning time went (logged).
#[derive(Default)]
struct PlanParts {
    /// The new snapshot: patched or joined.
    snapshot: Duration,
    /// Compared with the last one.
    diff: Duration,
    /// The changed products planned.
    rules: Duration,
    /// Names merged and ranked.
    names: Duration,
}

/// What a refresh read: `None` where a source did not answer, was not due,
/// or had not changed (the last snapshot's rows stand for it).
struct Fresh {
    oms: Option<OmsRows>,
    inventory: Option<InventoryRead>,
    suppliers: Option<Vec<SupplierRow>>,
    uom: Option<Vec<UomRow>>,
}

/// The threads a background refresh joins and plans on: all cores but one,
/// which stays with the screen so that keys and drawing keep their pace.
fn background_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_sub(1).max(1)
}

impl Fresh {
    /// The new snapshot's inputs, sorted by id: the last snapshot patched
    /// when only some products' inventory rows are new, else a join of the
    /// fresh rows and the last snapshot's rows of the other sources.
    ///
    /// With the snapshot, its index (`index` is the last one's): the same
    /// when the products did not move, else built anew.
    fn snapshot(
        self,
        last: &[Arc<ProductInputs>],
        index: ProductIndex,
    ) -> (Vec<Arc<ProductInputs>>, ProductIndex) {
        let joined = |inputs: Vec<Arc<ProductInputs>>| {
            let index = plan::inputs::index_of(&inputs);
            (inputs, index)
        };
        let only_inventory_changes = !last.is_empty()
            && self.oms.is_none()
            && self.suppliers.is_none()
            && self.uom.is_none()
            && self.inventory.as_ref().is_none_or(|r| r.changed_only);
        if !only_inventory_changes {
            return joined(plan::inputs::join_on(self.rows(last), background_threads()));
        }
        let Some(read) = self.inventory else {
            return (last.to_vec(), index);
        };
        match plan::inputs::patch_inventory(last, &index, read.rows) {
            Ok(inputs) => (inputs, index),
            // A new product: join everything.
            Err(rows) => joined(plan::inputs::join_on(
                Fresh {
                    inventory: Some(InventoryRead { rows, ..read }),
                    ..self
                }
                .rows(last),
                background_threads(),
            )),
        }
    }

    /// This refresh's rows: fresh where the source answered, else the rows
    /// of the last snapshot.
    fn rows(self, last: &[Arc<ProductInputs>]) -> SourceRows {
        let (oms, history) = self.oms.unwrap_or_else(|| {
            let history_table = last.first().is_some_and(|p| p.history_table_exists);
            (
                last.iter().flat_map(|p| p.oms.iter().cloned()).collect(),
                history_table.then(|| {
                    (last.iter())
                        .filter_map(|p| p.history.as_deref().cloned())
                        .collect()
                }),
            )
        });
        SourceRows {
            oms,
            history,
            inventory: match self.inventory {
                Some(read) if read.changed_only => {
                    // The changed products' rows replace theirs, all of
                    // them; the others' stay as last read.
                    let changed: std::collections::HashSet<Arc<str>> =
                        read.rows.iter().map(|r| r.product_id.clone()).collect();
                    last.iter()
                        .filter(|p| !changed.contains(&p.product_id))
                        .flat_map(|p| p.inventory.iter().cloned())
                        .chain(read.rows)
                        .collect()
                }
                Some(read) => read.rows,
                None => last
                    .iter()
                    .flat_map(|p| p.inventory.iter().cloned())
                    .collect(),
            },
            suppliers: self.suppliers.unwrap_or_else(|| {
                (last.iter())
                    .flat_map(|p| p.suppliers.iter().cloned())
                    .collect()
            }),
            uom: self
                .uom
                .unwrap_or_else(|| last.iter().flat_map(|p| p.uom.iter().cloned()).collect()),
        }
    }
}

/// Watches the folder of the rules file (an editor may replace the file,
/// which a watch on the file itself would lose) and signals on `changes`
/// when something happens to that file. `None`, after a warning, when the
/// watch cannot be set up: the app runs on, without reloads.
fn watch_rules_file(
    path: &std::path::Path,
    changes: mpsc::UnboundedSender<()>,
) -> Option<notify::RecommendedWatcher> {
    use notify::event::{AccessKind, AccessMode, EventKind};
    use notify::Watcher;
    let name = path.file_name()?.to_os_string();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let watched = (|| {
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
                Ok(event) => {
                    // Reads (ours included) are not changes.
                    let change = match event.kind {
                        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
                        EventKind::Access(_) => false,
                        _ => true,
                    };
                    if change
                        && event
                            .paths
                            .iter()
                            .any(|p| p.file_name() == Some(name.as_os_str()))
                    {
                        let _ = changes.send(());
                    }
                }
                Err(e) => tracing::warn!("rules file watch: {e}"),
            })?;
        watcher.watch(&dir, notify::RecursiveMode::NonRecursive)?;
        Ok::<_, notify::Error>(watcher)
    })();
    match watched {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(
                "{}: not watched ({e}); rules changed on disk are read at the next start",
                path.display()
            );
            None
        }
    }
}

/// Connects the slot's source if needed and reads it; the outcome goes into
/// the slot's status (and its rows into `fresh`, only when the whole read
/// succeeded). Nothing happens when it is not `due`.
async fn read<S>(
    slot: &mut Slot<S, S::Rows>,
    config: &Config,
    kind: SourceKind,
    with_history: bool,
    since: Option<String>,
    every: Duration,
    due: Due,
) where
    S: Opened + Clone,
{
    slot.unchanged = false;
    if due == Due::Not {
        return;
    }
    let clock = Instant::now();
    let known = match slot.loaded && due != Due::Whole && fingerprints_on() {
        true => slot.fingerprint.clone(),
        false => None,
    };
    let result = async {
        let source = match &slot.source {
            Some(s) => s.clone(),
            None => {
                let s = S::open(config, kind).await?;
                slot.source = Some(s.clone());
                s
            }
        };
        // Taken before the rows: a change made while they are read shows
        // in the next fingerprint, so it is read then rather than missed.
        let fingerprint = match fingerprints_on() {
            true => source.fingerprint(with_history).await?,
            false => None,
        };
        if fingerprint.is_some() && fingerprint == known {
            return Ok((None, fingerprint));
        }
        Ok((
            Some(source.load_all(with_history, since).await?),
            fingerprint,
        ))
    }
    .await;
    match result {
        Ok((None, _)) => {
            slot.failures = 0;
            let rows = slot.status.rows.unwrap_or(0);
            slot.status.ok(clock.elapsed(), rows, Local::now());
            slot.status.unchanged = true;
            slot.fresh = None;
            slot.unchanged = true;
        }
        Ok((Some((rows, n)), fingerprint)) => {
            slot.failures = 0;
            slot.status.ok(clock.elapsed(), n, Local::now());
            slot.status.unchanged = false;
            slot.fresh = Some(rows);
            slot.loaded = true;
            slot.fingerprint = fingerprint;
        }
        Err(e) => {
            tracing::warn!("{kind} source: {e:#}");
            slot.failures += 1;
            slot.status.failed(&e, slot.failures, every);
            slot.fresh = None;
            slot.fingerprint = None;
            // Opened again at the next attempt: its columns are detected
            // anew, so a table whose optional column was dropped (or
            // added) while the screen runs is read as it is now, instead
            // of failing until a restart.
            slot.source = None;
        }
    }
}

/// Whether a refresh reads a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Not,
    /// Unless its fingerprint shows it unchanged.
    Yes,
    /// Whatever its fingerprint shows (the inventory's periodic reload).
    Whole,
}

/// Whether refreshes skip unchanged sources by their fingerprint
/// (`BUYERDESK_NO_FINGERPRINTS=1`: never, for benchmarks).
fn fingerprints_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("BUYERDESK_NO_FINGERPRINTS").as_deref() != Ok("1"))
}

/// A source type that can be connected from the config and read whole.
trait Opened: Sized {
    type Rows;
    fn open(
        config: &Config,
        kind: SourceKind,
    ) -> impl std::future::Future<Output = Result<Self>> + Send;
    /// All its rows, and how many (the OMS with the history statistics
    /// when `with_history`; the inventory only the products changed
    /// since the database's clock read `since`, where it can).
    fn load_all(
        &self,
        with_history: bool,
        since: Option<String>,
    ) -> impl std::future::Future<Output = Result<(Self::Rows, usize)>> + Send;
    /// What a whole read would return, summarised by the database
    /// (`Source::fingerprint`); `None` where it cannot be.
    fn fingerprint(
        &self,
        with_history: bool,
    ) -> impl std::future::Future<Output = Result<Option<String>>> + Send;
}

impl Opened for oms::OmsSource {
    type Rows = OmsRows;
    async fn open(config: &Config, kind: SourceKind) -> Result<Self> {
        oms::OmsSource::open(sources::connect_source(config, kind).await?, config).await
    }
    async fn load_all(&self, with_history: bool, _: Option<String>) -> Result<(OmsRows, usize)> {
        let (rows, history) = tokio::try_join!(self.load(None), async {
            if with_history {
                self.load_history(None).await
            } else {
                Ok(None)
            }
        })?;
        let n = rows.len();
        Ok(((rows, history), n))
    }
    async fn fingerprint(&self, with_history: bool) -> Result<Option<String>> {
        oms::OmsSource::fingerprint(self, with_history).await
    }
}

/// The sources read with one query and no options.
macro_rules! opened {
    ($source:ty, $rows:ty) => {
        impl Opened for $source {
            type Rows = Vec<$rows>;
            async fn open(config: &Config, kind: SourceKind) -> Result<Self> {
                <$source>::open(sources::connect_source(config, kind).await?).await
            }
            async fn load_all(
                &self,
                _with_history: bool,
                _since: Option<String>,
            ) -> Result<(Vec<$rows>, usize)> {
                let rows = self.load(None).await?;
                let n = rows.len();
                Ok((rows, n))
            }
            async fn fingerprint(&self, _with_history: bool) -> Result<Option<String>> {
                <$source>::fingerprint(self).await
            }
        }
    };
}

impl Opened for inventory::InventorySource {
    type Rows = InventoryRead;
    async fn open(config: &Config, kind: SourceKind) -> Result<Self> {
        inventory::InventorySource::open(sources::connect_source(config, kind).await?).await
    }
    async fn load_all(&self, _: bool, since: Option<String>) -> Result<(InventoryRead, usize)> {
        // The clock is read before the rows: a row stamped while they are
        // read is read again next time rather than missed.
        let clock = match self.reads_changed_rows() {
            true => Some(self.clock().await?),
            false => None,
        };
        let (rows, changed_only) = match (&clock, since) {
            (Some(_), Some(since)) => (self.load_changed_since(&since).await?, true),
            _ => (self.load(None).await?, false),
        };
        let n = rows.len();
        let read = InventoryRead {
            rows,
            changed_only,
            clock,
        };
        Ok((read, n))
    }
    async fn fingerprint(&self, _with_history: bool) -> Result<Option<String>> {
        // Where changed rows can be read by their stamp, that read is
        // about as cheap as a fingerprint and returns nothing when nothing
        // changed; the periodic full reload reads whatever the stamps say.
        if self.reads_changed_rows() {
            return Ok(None);
        }
        inventory::InventorySource::fingerprint(self).await
    }
}
opened!(supplier::SupplierSource, SupplierRow);
opened!(uom::UomSource, UomRow);

/// Which products of a new snapshot need planning again.
#[derive(Debug, Default, PartialEq)]
pub struct InputsDiff {
    /// Indices into the new inputs: new products, changed inputs, changed
    /// overrides.
    pub changed: Vec<usize>,
    /// Ids of products that are gone.
    pub removed: Vec<String>,
}

/// Compares two snapshots' inputs (both sorted by id) and overrides.
pub fn diff_inputs(
    old: &[Arc<ProductInputs>],
    new: &[Arc<ProductInputs>],
    old_overrides: &HashMap<String, OverrideNote>,
    new_overrides: &HashMap<String, OverrideNote>,
) -> InputsDiff {
    let mut diff = InputsDiff::default();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            // The same inputs, shared by a patched snapshot: only the
            // override can differ (and the maps are usually empty).
            (Some(o), Some(n)) if Arc::ptr_eq(o, n) => {
                if !old_overrides.is_empty() || !new_overrides.is_empty() {
                    let id = &*n.product_id;
                    if old_overrides.get(id) != new_overrides.get(id) {
                        diff.changed.push(j);
                    }
                }
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.product_id == n.product_id => {
                let id = &*n.product_id;
                if o != n || old_overrides.get(id) != new_overrides.get(id) {
                    diff.changed.push(j);
                }
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.product_id < n.product_id => {
                diff.removed.push(o.product_id.to_string());
                i += 1;
            }
            (Some(o), None) => {
                diff.removed.push(o.product_id.to_string());
                i += 1;
            }
            (_, Some(_)) => {
                diff.changed.push(j);
                j += 1;
            }
            (None, None) => unreachable!("loop condition"),
        }
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures;

    #[test]
    fn texts_rank_in_order_with_ties_equal_and_none_first() {
        let texts = [Some("b"), None, Some("a"), Some("b"), Some("c"), None];
        assert_eq!(ranks(texts.into_iter()), vec![2, 0, 1, 2, 3, 0]);
        assert!(ranks(std::iter::empty()).is_empty());
    }

    #[test]
    fn names_are_merged_from_the_new_plans_and_the_last_snapshot() {
        let old = plan::join(fixtures::reference_rows());
        let plans = plan::plan_all(&old, &PlanContext::default(), &RuleSet::embedded());
        let old_names: Vec<PlanNames> = plans.iter().map(names_of).collect();
        // PROD-002 planned again with another name: ranked again.
        let mut renamed = plans[1].clone();
        renamed.product_name = Some("Another".into());
        let (names, moved) = merge_names(
            &old,
            old_names.clone(),
            &old,
            &[1],
            std::slice::from_ref(&renamed),
        )
        .unwrap();
        assert!(moved, "a name changed");
        assert_eq!(names[1].0.as_deref(), Some("Another"));
        assert_eq!(names[0], old_names[0]);
        // Planned again with the same names: the ranks stay.
        let (names, moved) = merge_names(
            &old,
            old_names.clone(),
            &old,
            &[1],
            std::slice::from_ref(&plans[1]),
        )
        .unwrap();
        assert!(!moved);
        assert_eq!(names, old_names);
        // A product gone: ranked again.
        let fewer: Vec<_> = old[..2].to_vec();
        let (names, moved) = merge_names(&old, old_names.clone(), &fewer, &[], &[]).unwrap();
        assert!(moved);
        assert_eq!(names, old_names[..2].to_vec());
    }

    fn note(qty: f64) -> OverrideNote {
        OverrideNote {
            order_qty: qty,
            reason: "PROMO".into(),
        }
    }

    #[test]
    fn the_diff_names_new_changed_and_removed_products_and_changed_overrides() {
        let old = plan::join(fixtures::reference_rows());
        let mut rows = fixtures::reference_rows();
        // PROD-002's stock changes, PROD-003 goes, PROD-009 comes.
        rows.inventory[1].available_qty = crate::plan::Num::Value(1.0);
        rows.oms.retain(|r| &*r.product_id != "PROD-003");
        rows.inventory.retain(|r| &*r.product_id != "PROD-003");
        rows.suppliers.retain(|r| &*r.product_id != "PROD-003");
        fixtures::add_product(
            &mut rows,
            "PROD-009",
            "New",
            1.0,
            "stable",
            (1.0, 0.0, "WH"),
            ("S", 1.0, 1.0, 1.0),
            ("pieces", "pieces", 1.0),
        );
        let new = plan::join(rows);
        let none = HashMap::new();
        let diff = diff_inputs(&old, &new, &none, &none);
        let changed: Vec<&str> = diff
            .changed
            .iter()
            .map(|&i| new[i].product_id.as_ref())
            .collect();
        assert_eq!(changed, vec!["PROD-002", "PROD-009"]);
        assert_eq!(diff.removed, vec!["PROD-003".to_string()]);

        // Same inputs: nothing to do, unless an override changed.
        assert_eq!(diff_inputs(&new, &new, &none, &none), InputsDiff::default());
        let set: HashMap<String, OverrideNote> = [("PROD-001".to_string(), note(700.0))].into();
        let diff = diff_inputs(&new, &new, &none, &set);
        assert_eq!(diff.changed, vec![0], "PROD-001's override is new");
        let other: HashMap<String, OverrideNote> = [("PROD-001".to_string(), note(800.0))].into();
        assert_eq!(diff_inputs(&new, &new, &set, &other).changed, vec![0]);
        assert_eq!(diff_inputs(&new, &new, &set, &none).changed, vec![0]);
    }
}

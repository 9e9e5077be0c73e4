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
//!
//! After each refresh, the products whose stored forecast does not match
//! their history and horizon (its fingerprint) go to a forecaster task
//! that runs beside it (`forecasting/`): the refresh never waits for it,
//! and the products whose forecast it stored are planned again, at most
//! once a second, when the rules read a forecast fact.

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

mod diff;
pub mod fixtures;
pub mod forecasting;
mod guard;
pub mod load;
mod reading;
mod status;
mod update;
mod worker;

pub use diff::*;
pub use load::*;
use reading::*;
pub use status::*;
pub use update::*;
use worker::*;

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
    /// How far the background forecasts are (for the message line).
    Forecasts(forecasting::ForecastProgress),
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
    /// The answer to `LiveCommand::ApplyRules` (not confirmed) when the
    /// guard (`rules::guard`) refused `text`: nothing was written; `summary`
    /// says what it would break, for the author to confirm or not.
    ApplyRefused {
        request: u64,
        text: String,
        summary: String,
    },
    /// The answer to `LiveCommand::DryRun`: what the candidate rules would
    /// change on every product of the current snapshot, or why they were
    /// not tried (the validator's errors, no snapshot yet).
    DryRun {
        request: u64,
        result: Result<SharedDryRun, String>,
    },
    /// The answer to `LiveCommand::RulesVersions`: every rules version
    /// kept, oldest first, with its text.
    Versions {
        request: u64,
        result: Result<Vec<crate::store::rules_versions::RulesVersion>, String>,
    },
    /// The answer to `LiveCommand::ApplyRules` when the rules in force
    /// changed since the editor's `base` (another workstation, the disk):
    /// nothing was written; `diff` is the unified diff of the base against
    /// the rules in force, for the author to apply over it or not.
    ApplyOverNewer {
        request: u64,
        text: String,
        diff: String,
        /// The rules in force now (the author's new base if they go on).
        in_force: String,
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
    /// Unless `confirmed`, the guard (`rules::guard`) runs first: a refusal
    /// writes nothing and is answered by `RulesEvent::ApplyRefused`.
    ApplyRules {
        request: u64,
        text: String,
        confirmed: bool,
    },
    /// Every rules version kept (`store::rules_versions`), answered by
    /// `RulesEvent::Versions` with the same request id.
    RulesVersions { request: u64 },
    /// `ApplyRules` from an editor that started from the rules `base`
    /// (its version, by hash): when the rules in force are other rules now, the
    /// worker answers `RulesEvent::ApplyOverNewer` and writes nothing;
    /// otherwise as `ApplyRules`.
    ApplyRulesFrom {
        request: u64,
        text: String,
        /// The rules text the editor started from.
        base: String,
        /// As `ApplyRules`: the author confirmed past the guard.
        confirmed: bool,
        /// The text is rules version N loaded in the editor: recorded as
        /// "restored from N".
        restored_from: Option<i64>,
    },
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
    spawn_checking_disk(config, rules, store, every, false)
}

/// `spawn_with_rules_events`; with `check_disk`, the rules file on disk
/// (which differed from the last recorded version at start, so `rules` is
/// that version) is read once the first plans are made and goes in force
/// only through the guard (`reload_rules`).
pub fn spawn_checking_disk(
    config: Config,
    rules: RuleSet,
    store: Store,
    every: Duration,
    check_disk: bool,
) -> (
    mpsc::UnboundedSender<LiveCommand>,
    mpsc::UnboundedReceiver<LiveEvent>,
    mpsc::UnboundedReceiver<RulesEvent>,
) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let (rules_tx, rules_rx) = mpsc::unbounded_channel();
    let mut worker = Worker::new(config, rules, store, every);
    worker.check_disk_after_plan = check_disk;
    let (stored_tx, stored_rx) = mpsc::unbounded_channel();
    if forecasting::background_forecasts_on() {
        worker.forecasting.work = Some(forecasting::spawn_forecaster(
            worker.store.clone(),
            Arc::clone(&worker.forecasting.shared),
            worker.forecasting.give_way.clone(),
            event_tx.clone(),
            stored_tx,
        ));
    }
    tokio::spawn(run(worker, every, cmd_rx, event_tx, rules_tx, stored_rx));
    (cmd_tx, event_rx, rules_rx)
}

async fn run(
    worker: Worker,
    every: Duration,
    mut commands: mpsc::UnboundedReceiver<LiveCommand>,
    events: mpsc::UnboundedSender<LiveEvent>,
    rules_events: mpsc::UnboundedSender<RulesEvent>,
    mut forecasts_stored: mpsc::UnboundedReceiver<()>,
) {
    let _ = events.send(LiveEvent::Sources(worker.statuses()));
    // A re-plan for forecasts stored: when it is due, and when the last
    // one started (one a second at most).
    let mut replan_at: Option<tokio::time::Instant> = None;
    let mut last_replan = tokio::time::Instant::now() - forecasting::REPLAN_EVERY;
    let oms = Arc::clone(&worker.oms_for_history);
    // The rules in force, read while the worker is out refreshing (an
    // apply over newer rules is told at once).
    let in_force_text = Arc::clone(&worker.in_force_text);
    let worker_store = worker.store.clone();
    let mut running: Option<tokio::task::JoinHandle<Worker>> = None;
    let mut again = false;
    let mut next = tokio::time::Instant::now();
    // Rules applied while the worker is out refreshing, in order.
    let mut queued_rules: Vec<(u64, String, bool, String)> = Vec::new();
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
                Some(LiveCommand::RulesVersions { request }) => {
                    let store = worker_store.clone();
                    let rules_events = rules_events.clone();
                    tokio::spawn(async move {
                        let result = store
                            .rules_versions_with_text()
                            .await
                            .map_err(|e| format!("rules versions: {e:#}"));
                        let _ = rules_events.send(RulesEvent::Versions { request, result });
                    });
                }
                Some(LiveCommand::ApplyRulesFrom { request, text, base, confirmed, restored_from }) => {
                    let in_force = in_force_text.lock().expect("not poisoned").clone();
                    let how = match restored_from {
                        Some(n) => format!("restored from {n}"),
                        None => "applied in the app".to_string(),
                    };
                    if *in_force != *base {
                        let diff = crate::store::rules_versions::short_diff(&base, &in_force);
                        let in_force = in_force.to_string();
                        let _ = rules_events.send(RulesEvent::ApplyOverNewer { request, text, diff, in_force });
                    } else if running.is_some() {
                        queued_rules.push((request, text, confirmed, how));
                    } else if worker!().apply_rules(request, &text, confirmed, &how, &rules_events).await {
                        next = tokio::time::Instant::now();
                    }
                }
                Some(LiveCommand::ApplyRules { request, text, confirmed }) => {
                    let how = "applied in the app".to_string();
                    if running.is_some() {
                        queued_rules.push((request, text, confirmed, how));
                    } else if worker!().apply_rules(request, &text, confirmed, &how, &rules_events).await {
                        next = tokio::time::Instant::now();
                    }
                }
            },
            Some(()) = forecasts_stored.recv() => {
                if replan_at.is_none() {
                    replan_at = Some(tokio::time::Instant::now().max(last_replan + forecasting::REPLAN_EVERY));
                }
            }
            // Not when a refresh is due: it plans the new forecasts too,
            // and would wait for the re-plan.
            _ = tokio::time::sleep_until(replan_at.unwrap_or(next)), if replan_at.is_some() && running.is_none() && next > tokio::time::Instant::now() => {
                replan_at = None;
                last_replan = tokio::time::Instant::now();
                let events = events.clone();
                let mut w = idle.take().expect("no refresh runs");
                // Like a retry, it does not put off the next refresh.
                running_retry = true;
                running = Some(tokio::spawn(async move {
                    w.replan_forecasts(&events).await;
                    w
                }));
            }
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
                for (request, text, confirmed, how) in std::mem::take(&mut queued_rules) {
                    switched |= worker!()
                        .apply_rules(request, &text, confirmed, &how, &rules_events)
                        .await;
                }
                let check_disk = worker!().planned && std::mem::take(&mut worker!().check_disk_after_plan);
                if std::mem::take(&mut reload_queued) || check_disk {
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

#[cfg(test)]
mod tests;

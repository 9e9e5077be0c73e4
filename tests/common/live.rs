//! Waiting on the live task (tests/live.rs, tests/faults.rs): its next
//! event, plans, or report of the sources, each within `WAIT`; a writer on
//! a source's database; a product's plan in an update.

use std::time::Duration;

use buyerdesk::config::SourceKind;
use buyerdesk::live::{self, LinkState, LiveCommand, LiveEvent, PlanUpdate, SourceStatus};
use buyerdesk::plan::{ProductPlan, RuleSet};
use buyerdesk::sources::{Access, Source};
use buyerdesk::store::Store;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::Setup;

/// How long each event may take: long enough for a loaded CI machine, and
/// a failure names what was awaited rather than hanging.
pub const WAIT: Duration = Duration::from_secs(60);

/// The live task's next event, within `WAIT`; `awaited` says what the
/// caller waits for, for the failure's message.
async fn next_event_for(rx: &mut UnboundedReceiver<LiveEvent>, awaited: &str) -> LiveEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no {awaited} from the live task within {WAIT:?}"))
        .expect("the live task is running")
}

/// The live task's next event, whatever it is, within `WAIT`.
pub async fn next_event(rx: &mut UnboundedReceiver<LiveEvent>) -> LiveEvent {
    next_event_for(rx, "event").await
}

/// Waits for the next plans, returning the sources' state reported before
/// them.
pub async fn next_plans(rx: &mut UnboundedReceiver<LiveEvent>) -> (Vec<SourceStatus>, PlanUpdate) {
    let mut sources = Vec::new();
    loop {
        match next_event_for(rx, "plans").await {
            LiveEvent::Sources(s) => sources = s,
            LiveEvent::Plans(p) => return (sources, p),
            LiveEvent::History { .. } | LiveEvent::Forecasts(_) => {}
        }
    }
}

/// The next refresh's plans and the sources report sent before them,
/// passing over plans that no sources report preceded: the re-plans for
/// forecasts the background forecaster stored between refreshes (the demo
/// has daily history, so they can come at any time).
pub async fn next_refresh_plans(
    rx: &mut UnboundedReceiver<LiveEvent>,
) -> (Vec<SourceStatus>, PlanUpdate) {
    loop {
        let (sources, plans) = next_plans(rx).await;
        if !sources.is_empty() {
            return (sources, plans);
        }
    }
}

/// Waits for a report of the sources in which `kind` is in `state`; with
/// `no_plans`, plans sent before it are a failure, else they are passed
/// over.
pub async fn sources_with(
    rx: &mut UnboundedReceiver<LiveEvent>,
    kind: SourceKind,
    state: LinkState,
    no_plans: bool,
) -> Vec<SourceStatus> {
    let awaited = format!("report of {kind} {state:?}");
    loop {
        match next_event_for(rx, &awaited).await {
            LiveEvent::Sources(s) if s[kind as usize].state == state => return s,
            LiveEvent::Plans(p) if no_plans => panic!("planned while {kind} is down: {p:?}"),
            _ => {}
        }
    }
}

/// A writer on a source's database, through the admin URL (buyerdesk
/// itself may only read it) and around any proxy, with the default query
/// timeout of 30 s whatever the test gives buyerdesk.
pub async fn writer(setup: &Setup, kind: SourceKind) -> Source {
    let mut config = setup.admin_config.clone();
    config.file.source_mut(kind).query_timeout_secs = 30.0;
    let resolved = config.resolve(kind).unwrap();
    Source::connect(&resolved, Access::ReadWrite).await.unwrap()
}

/// `id`'s plan in `update`.
pub fn plan_of<'a>(update: &'a PlanUpdate, id: &str) -> &'a ProductPlan {
    update
        .plans
        .iter()
        .find(|p| &*p.product_id == id)
        .unwrap_or_else(|| panic!("{id} not in the update"))
}

/// The live task on `setup`'s config with the shipped rules and `store`.
pub fn spawn_live(
    setup: &Setup,
    store: Store,
) -> (UnboundedSender<LiveCommand>, UnboundedReceiver<LiveEvent>) {
    // An hour between refreshes: whatever happens sooner is asked for or a
    // retry.
    live::spawn(
        setup.config.clone(),
        RuleSet::embedded(),
        store,
        Duration::from_secs(3600),
    )
}

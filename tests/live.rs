//! The live snapshot behind the buyer's screen, against real databases: the
//! first plans, a refresh that re-plans only what changed, a source that
//! fails (last data kept, products SOURCE_STALE) and comes back, a source
//! down at start, another workstation's override read on refresh, rules
//! applied from the app switched at once.

mod common;

use std::time::Duration;

use buyerdesk::config::SourceKind;
use buyerdesk::live::{
    self, LinkState, LiveCommand, LiveEvent, PlanUpdate, RulesEvent, SourceStatus,
};
use buyerdesk::plan::{ExceptionCode, RuleSet};
use buyerdesk::store::{Override, OverrideUnit, ReasonCode, Store};
use common::live::{next_event, next_plans, plan_of, sources_with, spawn_live, writer};
use common::{Db, Setup};
use tokio::sync::mpsc::UnboundedReceiver;

/// The live task on `products` demo products, the four sources on `db`,
/// refreshing only when asked; `None` when `db`'s server is not there
/// (`Setup::new` says it was skipped).
async fn live_on(
    test: &str,
    db: Db,
    products: usize,
) -> Option<(
    Setup,
    tokio::sync::mpsc::UnboundedSender<LiveCommand>,
    UnboundedReceiver<LiveEvent>,
)> {
    let setup = Setup::new(test, [db; 4]).await?;
    buyerdesk::demo::seed(&setup.admin_config, products, 7, false, false)
        .await
        .unwrap();
    let store = Store::open(&setup.config).await.unwrap();
    let (tx, rx) = spawn_live(&setup, store);
    Some((setup, tx, rx))
}

async fn refresh_cycle(test: &str, db: Db) {
    let Some((setup, tx, mut rx)) = live_on(test, db, 50).await else {
        return;
    };

    // First plans: every product, every source up.
    let (sources, first) = next_plans(&mut rx).await;
    assert!(first.full, "{test}: the first plans are a full set");
    assert_eq!(first.plans.len(), 50, "{test}: 50 demo products");
    assert_eq!(sources.len(), 5);
    for s in &sources {
        assert_eq!(s.state, LinkState::Up, "{test}: {} is up: {s:?}", s.kind);
        assert!(s.last_ok.is_some() && s.rtt.is_some(), "{test}: {s:?}");
    }
    let p1 = plan_of(&first, "PROD-001");
    assert_eq!(p1.order_qty, 600.0, "{test}: PROD-001 suggests 600");
    assert!(!p1.has(ExceptionCode::SourceStale));

    // One row changes: only that product is planned again.
    let inventory = writer(&setup, SourceKind::Inventory).await;
    inventory
        .execute(
            "UPDATE inventory SET available_qty = 900, updated_at = CURRENT_TIMESTAMP \
             WHERE product_id = 'PROD-001'",
        )
        .await
        .unwrap();
    tx.send(LiveCommand::Refresh).unwrap();
    let (_, update) = next_plans(&mut rx).await;
    assert!(!update.full, "{test}: a partial update");
    let ids: Vec<&str> = update.plans.iter().map(|p| p.product_id.as_ref()).collect();
    assert_eq!(ids, vec!["PROD-001"], "{test}: only PROD-001 changed");
    assert_eq!(update.changed, 1);
    let p1 = plan_of(&update, "PROD-001");
    assert_eq!(p1.available_qty, Some(900.0), "{test}");
    // 150/day x 7 days = 1,050 - 900 = 150, MOQ 100 -> 200, boxes of 12
    // -> 17 boxes = 204.
    assert_eq!(p1.order_qty, 204.0, "{test}: PROD-001 now suggests 204");

    // Nothing changed: nothing re-planned.
    tx.send(LiveCommand::Refresh).unwrap();
    let (_, update) = next_plans(&mut rx).await;
    assert!(
        update.plans.is_empty() && !update.full,
        "{test}: {update:?}"
    );

    // The inventory table disappears: the refresh fails for inventory only,
    // its last data stays, every product is marked SOURCE_STALE.
    inventory
        .execute("ALTER TABLE inventory RENAME TO inventory_gone")
        .await
        .unwrap();
    tx.send(LiveCommand::Refresh).unwrap();
    let (sources, update) = next_plans(&mut rx).await;
    let inv = &sources[SourceKind::Inventory as usize];
    assert_eq!(inv.state, LinkState::Down, "{test}: {inv:?}");
    assert!(inv.is_stale(), "{test}: it had data before");
    let error = inv.error.as_deref().unwrap_or("");
    assert!(
        error.contains("inventory"),
        "{test}: error names it: {error}"
    );
    for s in sources.iter().filter(|s| s.kind != SourceKind::Inventory) {
        assert_eq!(s.state, LinkState::Up, "{test}: {} still up", s.kind);
    }
    assert!(update.full, "{test}: the stale mark changes every product");
    assert_eq!(update.plans.len(), 50);
    for p in &update.plans {
        assert!(
            p.has(ExceptionCode::SourceStale),
            "{test}: {} marked SOURCE_STALE",
            p.product_id
        );
    }
    let p1 = plan_of(&update, "PROD-001");
    assert_eq!(
        p1.available_qty,
        Some(900.0),
        "{test}: the last inventory data is kept"
    );
    assert_eq!(p1.order_qty, 204.0, "{test}");
    let stale = p1
        .exception_details
        .iter()
        .find(|e| e.code == ExceptionCode::SourceStale)
        .unwrap();
    assert!(
        stale.message.starts_with("inventory did not answer"),
        "{test}: {}",
        stale.message
    );

    // Back again: up, the mark gone.
    inventory
        .execute("ALTER TABLE inventory_gone RENAME TO inventory")
        .await
        .unwrap();
    tx.send(LiveCommand::Refresh).unwrap();
    let (sources, update) = next_plans(&mut rx).await;
    assert_eq!(sources[SourceKind::Inventory as usize].state, LinkState::Up);
    assert!(update.full);
    assert!(
        update
            .plans
            .iter()
            .all(|p| !p.has(ExceptionCode::SourceStale)),
        "{test}: no product stale any more"
    );

    // Another workstation overrides PROD-002: the next refresh shows it.
    let other = Store::open(&setup.config).await.unwrap();
    other
        .set_override(&Override {
            product_id: "PROD-002".into(),
            order_qty: 1000.0,
            entered_qty: 1000.0,
            entered_unit: OverrideUnit::Stock,
            suggested_qty: 850.98,
            reason: ReasonCode::Promo,
            note: None,
            user: "bob".into(),
            set_at: buyerdesk::store::now(),
        })
        .await
        .unwrap();
    tx.send(LiveCommand::Refresh).unwrap();
    let (_, update) = next_plans(&mut rx).await;
    let ids: Vec<&str> = update.plans.iter().map(|p| p.product_id.as_ref()).collect();
    assert_eq!(ids, vec!["PROD-002"], "{test}");
    assert_eq!(update.plans[0].override_qty, Some(1000.0));

    // The daily demand of a product, for the sparkline (the reference
    // products have none: DOMAIN.md section 5): the first with sales.
    let with_sales = buyerdesk::demo::generate(50, 7, buyerdesk::sources::Backend::Sqlite)
        .history
        .into_iter()
        .find(|j| {
            !buyerdesk::demo::history_for(7, &j.product_id, j.avg_daily_demand, j.trend)
                .qty
                .is_empty()
        })
        .expect("a product with history")
        .product_id;
    tx.send(LiveCommand::History {
        request: 9,
        product_id: with_sales.as_str().into(),
    })
    .unwrap();
    loop {
        if let LiveEvent::History {
            request,
            product_id,
            days,
        } = next_event(&mut rx).await
        {
            assert_eq!((request, product_id.as_ref()), (9, with_sales.as_str()));
            let days = days.unwrap();
            assert!(!days.is_empty(), "{test}: the demo has daily history");
            assert!(days.len() <= live::HISTORY_DAYS as usize);
            assert!(
                days.windows(2).all(|w| w[0].0 < w[1].0),
                "{test}: oldest first"
            );
            break;
        }
    }
    drop(tx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_refresh_cycle() {
    refresh_cycle("sqlite_refresh_cycle", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refresh_cycle() {
    refresh_cycle("postgres_refresh_cycle", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_refresh_cycle() {
    refresh_cycle("mariadb_refresh_cycle", Db::MySql).await;
}

/// A source that is not there at start: the others connect, the screen is
/// told which one is missing and why, and no plan is made from three
/// sources; once it exists, the next refresh plans everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_down_at_start_is_named_and_recovers() {
    let Some(mut setup) = Setup::new("down_at_start", [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 10, 7, false, false)
        .await
        .unwrap();
    let real = setup.url(SourceKind::Oms).to_string();
    let missing = format!("{real}.missing");
    setup.config.file.oms.url = Some(missing.clone());
    let store = Store::open(&setup.config).await.unwrap();
    let (tx, mut rx) = spawn_live(&setup, store);
    let sources = sources_with(&mut rx, SourceKind::Oms, LinkState::Down, false).await;
    let oms = &sources[SourceKind::Oms as usize];
    assert!(!oms.is_stale(), "never read, so down rather than stale");
    let error = oms.error.as_deref().unwrap();
    assert!(error.contains("oms source"), "the error names it: {error}");
    for s in &sources[1..4] {
        assert_eq!(s.state, LinkState::Up, "{} read: {s:?}", s.kind);
    }
    // No plans were sent from three sources.
    while let Ok(event) = rx.try_recv() {
        assert!(
            !matches!(event, LiveEvent::Plans(_)),
            "planned without the OMS"
        );
    }
    let path = real.trim_start_matches("sqlite://");
    std::fs::copy(path, missing.trim_start_matches("sqlite://")).unwrap();
    tx.send(LiveCommand::Refresh).unwrap();
    let (sources, update) = next_plans(&mut rx).await;
    assert_eq!(sources[SourceKind::Oms as usize].state, LinkState::Up);
    assert_eq!(update.plans.len(), 10);
    assert!(update.full);
}

/// Waits for the next report about the rules in force.
async fn next_rules_event(rx: &mut UnboundedReceiver<RulesEvent>) -> RulesEvent {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("a rules report within 60 s")
        .expect("the live task is running")
}

/// Rules applied from the app: the threshold raised, PROD-002 planned again
/// at once without an approval; then a broken text refused with its line
/// and column, and nothing planned again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_rules_switch_the_plans_at_once() {
    let Some(setup) = Setup::new("apply_rules", [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 10, 7, false, false)
        .await
        .unwrap();
    let store = Store::open(&setup.config).await.unwrap();
    let (tx, mut rx, mut rules_rx) = live::spawn_with_rules_events(
        setup.config.clone(),
        RuleSet::embedded(),
        store.clone(),
        Duration::from_secs(3600),
    );
    let (_, first) = next_plans(&mut rx).await;
    let p2 = plan_of(&first, "PROD-002");
    assert!(
        p2.requires_approval && p2.amount > 10000.0 && p2.amount <= 50000.0,
        "PROD-002 needs an approval under the shipped rules: {} {}",
        p2.requires_approval,
        p2.amount
    );

    let raised =
        buyerdesk::plan::DEFAULT_RULES.replace("Product.amount > 10000", "Product.amount > 50000");
    tx.send(LiveCommand::ApplyRules {
        request: 1,
        text: raised.clone(),
        confirmed: false,
    })
    .unwrap();
    let path = setup.config.rules_path();
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::RulesApplied {
            request: 1,
            result: Ok(summary),
        } => assert!(
            summary.starts_with(&format!("{}: ", path.display())) && summary.ends_with(" rules"),
            "{summary}"
        ),
        other => panic!("rules applied: {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), raised);
    let (_, update) = next_plans(&mut rx).await;
    assert!(update.full, "new rules re-plan every product");
    assert_eq!(update.plans.len(), 10);
    let p2 = plan_of(&update, "PROD-002");
    assert!(
        !p2.requires_approval,
        "PROD-002 ({}) is under the new threshold of 50,000",
        p2.amount
    );

    // A broken text: refused with line and column, nothing written, the
    // rules in force stay (no full re-plan).
    let broken = raised.replace("Product.amount > 50000", "Product.amount <> 50000");
    let line = broken.lines().position(|l| l.contains("<> 50000")).unwrap() + 1;
    tx.send(LiveCommand::ApplyRules {
        request: 2,
        text: broken,
        confirmed: false,
    })
    .unwrap();
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::RulesApplied {
            request: 2,
            result: Err(e),
        } => assert!(
            e.contains(&format!("{}:{line}:", path.display())) && e.contains(": error: "),
            "the error gives file:line:col: {e}"
        ),
        other => panic!("broken rules refused: {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), raised);
    tx.send(LiveCommand::Refresh).unwrap();
    let (_, update) = next_plans(&mut rx).await;
    assert!(
        !update.full && update.plans.is_empty(),
        "nothing planned again: {update:?}"
    );
    let audited = store
        .audit_log()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r[2].as_deref() == Some("rules_applied"))
        .count();
    assert_eq!(audited, 1);
    drop(tx);
}

/// The rules file changed on disk: an invalid file is refused with its line
/// and column and changes nothing; a valid one is put in force and every
/// product planned again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_changed_on_disk_are_reloaded_only_when_valid() {
    without_background_forecasts();
    let Some(setup) = Setup::new("reload_rules", [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 10, 7, false, false)
        .await
        .unwrap();
    let store = Store::open(&setup.config).await.unwrap();
    let (tx, mut rx, mut rules_rx) = live::spawn_with_rules_events(
        setup.config.clone(),
        RuleSet::embedded(),
        store,
        Duration::from_secs(3600),
    );
    let (_, first) = next_plans(&mut rx).await;
    assert!(plan_of(&first, "PROD-002").requires_approval);
    let path = setup.config.rules_path();

    let raised =
        buyerdesk::plan::DEFAULT_RULES.replace("Product.amount > 10000", "Product.amount > 50000");
    let broken = raised.replace("Product.amount > 50000", "Product.amount === 50000");
    let line = broken
        .lines()
        .position(|l| l.contains("=== 50000"))
        .unwrap()
        + 1;
    std::fs::write(&path, &broken).unwrap();
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::RulesReloaded(Err(e)) => assert!(
            e.contains(&format!("{}:{line}:", path.display())) && e.contains(": error: "),
            "the error gives file:line:col: {e}"
        ),
        other => panic!("invalid rules on disk refused: {other:?}"),
    }
    tx.send(LiveCommand::Refresh).unwrap();
    let (_, update) = next_plans(&mut rx).await;
    assert!(
        !update.full && update.plans.is_empty(),
        "the rules in force stay: {update:?}"
    );

    std::fs::write(&path, &raised).unwrap();
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::RulesReloaded(Ok(origin)) => {
            assert_eq!(origin, path.display().to_string())
        }
        other => panic!("valid rules on disk reloaded: {other:?}"),
    }
    let (_, update) = next_plans(&mut rx).await;
    assert!(update.full, "every product planned with the new rules");
    assert_eq!(update.plans.len(), 10);
    assert!(
        !plan_of(&update, "PROD-002").requires_approval,
        "PROD-002 is under the new threshold"
    );
    // The change made outside the app is in the audit log; the refused
    // one is not.
    let audit = Store::open(&setup.config).await.unwrap();
    let mut reloads = Vec::new();
    for _ in 0..50 {
        reloads = audit
            .audit_entries(None)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "rules_reloaded")
            .collect();
        if !reloads.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reloads.len(), 1, "{reloads:?}");
    let detail = reloads[0].detail.as_deref().unwrap();
    assert!(
        detail.contains(&path.display().to_string()) && detail.contains("sha256 "),
        "{detail}"
    );
    drop(tx);
}

/// These tests count the plan updates a rules change sends; the forecasts
/// stored in the background re-plan products too (on their own, as partial
/// updates), so they run without them. No test of this file needs them.
fn without_background_forecasts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::env::set_var("BUYERDESK_NO_BACKGROUND_FORECASTS", "1"));
}

/// The example, plus the MOQ (so the validator only warns: the
/// guard is what stops it): a rule that zeroes every order.
const SAFETY_MARGIN: &str = "rule \"SafetyMargin\" salience 65 { when Product.order_qty > 0 then Product.order_qty = Product.order_qty * 1.05 + Product.moq; }\n";

/// Rules that newly fail on products are refused by the guard: sent from
/// the screen unconfirmed, answered with the summary and nothing written;
/// confirmed, applied. Written to the rules file on disk (another editor,
/// `$EDITOR`), refused with the summary: the rules in force stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_the_guard_refuses_are_asked_about_or_kept_out() {
    without_background_forecasts();
    let Some(setup) = Setup::new("guarded_rules", [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 10, 7, false, false)
        .await
        .unwrap();
    let store = Store::open(&setup.config).await.unwrap();
    let (tx, mut rx, mut rules_rx) = live::spawn_with_rules_events(
        setup.config.clone(),
        RuleSet::embedded(),
        store,
        Duration::from_secs(3600),
    );
    let (_, first) = next_plans(&mut rx).await;
    let orders = (first.plans.iter()).filter(|p| p.order_qty > 0.0).count();
    assert!(orders > 0, "the demo orders something");
    let path = setup.config.rules_path();
    let margin = format!("{}{SAFETY_MARGIN}", buyerdesk::plan::DEFAULT_RULES);

    // On disk first: refused, the rules in force stay.
    std::fs::write(&path, &margin).unwrap();
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::RulesReloaded(Err(e)) => {
            assert!(
                e.contains(&format!("Orders {orders} -> 0 (more than half removed)")),
                "{e}"
            );
            assert!(e.contains("rule \"SafetyMargin\""), "{e}");
            assert!(e.ends_with("the rules in force stay"), "{e}");
        }
        other => panic!("harmful rules on disk refused: {other:?}"),
    }
    tx.send(LiveCommand::Refresh).unwrap();
    let (_, update) = next_plans(&mut rx).await;
    assert!(
        !update.full && update.plans.is_empty(),
        "the rules in force stay: {update:?}"
    );
    std::fs::remove_file(&path).unwrap();
    // The answers to the screen, past the removal's reload (if it comes).
    async fn answer(rx: &mut UnboundedReceiver<RulesEvent>) -> RulesEvent {
        loop {
            match next_rules_event(rx).await {
                RulesEvent::RulesReloaded(_) => continue,
                e => return e,
            }
        }
    }

    // From the screen, unconfirmed: the question's summary, nothing written.
    tx.send(LiveCommand::ApplyRules {
        request: 1,
        text: margin.clone(),
        confirmed: false,
    })
    .unwrap();
    match answer(&mut rules_rx).await {
        RulesEvent::ApplyRefused {
            request: 1,
            text,
            summary,
        } => {
            assert_eq!(text, margin);
            assert!(
                summary.starts_with(&format!("Orders {orders} -> 0 (more than half removed)")),
                "{summary}"
            );
        }
        other => panic!("refused by the guard: {other:?}"),
    }
    assert!(!path.exists(), "nothing written");

    // Confirmed: applied, every product planned again (now failing).
    tx.send(LiveCommand::ApplyRules {
        request: 2,
        text: margin.clone(),
        confirmed: true,
    })
    .unwrap();
    match answer(&mut rules_rx).await {
        RulesEvent::RulesApplied {
            request: 2,
            result: Ok(_),
        } => {}
        other => panic!("applied once confirmed: {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), margin);
    let (_, update) = next_plans(&mut rx).await;
    assert!(update.full);
    assert_eq!(update.plans.iter().filter(|p| p.order_qty > 0.0).count(), 0);
    // The author's confirmation is audited with what the guard said.
    let audit = Store::open(&setup.config).await.unwrap();
    let confirmed: Vec<_> = (audit.audit_entries(None).await.unwrap().into_iter())
        .filter(|e| e.action == "rules_apply_confirmed")
        .collect();
    assert_eq!(confirmed.len(), 1, "{confirmed:?}");
    let detail = confirmed[0].detail.as_deref().unwrap();
    assert!(
        detail.contains(&format!("applied although: Orders {orders} -> 0")),
        "{detail}"
    );
    drop(tx);
}

/// Rules applied while a refresh runs (the worker is out planning) wait
/// for it, then are put in force and planned at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_applied_during_a_refresh_are_applied_after_it() {
    let Some(setup) = Setup::new("apply_during_refresh", [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 200, 7, false, false)
        .await
        .unwrap();
    let store = Store::open(&setup.config).await.unwrap();
    let (tx, mut rx, mut rules_rx) = live::spawn_with_rules_events(
        setup.config.clone(),
        RuleSet::embedded(),
        store,
        Duration::from_secs(3600),
    );
    let (_, first) = next_plans(&mut rx).await;
    assert!(plan_of(&first, "PROD-002").requires_approval);
    // A refresh of 200 products takes longer than this pause.
    tx.send(LiveCommand::Refresh).unwrap();
    tokio::time::sleep(Duration::from_millis(2)).await;
    let raised =
        buyerdesk::plan::DEFAULT_RULES.replace("Product.amount > 10000", "Product.amount > 50000");
    tx.send(LiveCommand::ApplyRules {
        request: 7,
        text: raised,
        confirmed: false,
    })
    .unwrap();
    // The refresh under way ends with the old rules (nothing changed, so
    // nothing planned); the apply follows and plans everything again.
    let (_, update) = next_plans(&mut rx).await;
    let update = if update.full {
        update
    } else {
        assert!(update.plans.is_empty(), "{update:?}");
        next_plans(&mut rx).await.1
    };
    assert!(update.full, "the apply re-plans every product");
    assert!(!plan_of(&update, "PROD-002").requires_approval);
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::RulesApplied {
            request: 7,
            result: Ok(_),
        } => {}
        other => panic!("rules applied: {other:?}"),
    }
    drop(tx);
}

/// The inventory read by `updated_at`: a row with a new stamp is read at
/// the next refresh (alone: the others are not read again); a row changed
/// without a new stamp, and a deleted row, are seen at the periodic full
/// reload, not before.
async fn changed_inventory_rows(test: &str, db: Db) {
    let Some((setup, tx, mut rx)) = live_on(test, db, 50).await else {
        return;
    };
    let (sources, first) = next_plans(&mut rx).await;
    assert!(first.full, "{test}: the first plans are a full set");
    let all_rows = sources[SourceKind::Inventory as usize].rows.unwrap();
    assert!(
        all_rows >= 50,
        "{test}: the first read is whole: {all_rows}"
    );

    // A row with a new stamp: read, alone, at the next refresh.
    let inventory = writer(&setup, SourceKind::Inventory).await;
    inventory
        .execute(
            "UPDATE inventory SET available_qty = 900, updated_at = CURRENT_TIMESTAMP \
             WHERE product_id = 'PROD-001'",
        )
        .await
        .unwrap();
    tx.send(LiveCommand::Refresh).unwrap();
    let (sources, update) = next_plans(&mut rx).await;
    assert_eq!(
        sources[SourceKind::Inventory as usize].rows,
        Some(1),
        "{test}: only PROD-001's row was read"
    );
    let ids: Vec<&str> = update.plans.iter().map(|p| p.product_id.as_ref()).collect();
    assert_eq!(ids, vec!["PROD-001"], "{test}: PROD-001 changed");
    assert_eq!(plan_of(&update, "PROD-001").available_qty, Some(900.0));

    // Changed without a stamp, and deleted: not seen by the reads of
    // changed rows, seen by the full reload when it is due.
    inventory
        .execute("UPDATE inventory SET available_qty = 901 WHERE product_id = 'PROD-002'")
        .await
        .unwrap();
    inventory
        .execute("DELETE FROM inventory WHERE product_id = 'PROD-003'")
        .await
        .unwrap();
    // One read of changed rows is done; the full reload is the
    // FULL_RELOAD_EVERY-th read.
    for k in 2..live::FULL_RELOAD_EVERY {
        tx.send(LiveCommand::Refresh).unwrap();
        let (sources, update) = next_plans(&mut rx).await;
        assert!(
            update.plans.is_empty(),
            "{test}: refresh {k} reads changed rows only and sees nothing new: {:?}",
            update
                .plans
                .iter()
                .map(|p| &p.product_id)
                .collect::<Vec<_>>()
        );
        let rows = sources[SourceKind::Inventory as usize].rows.unwrap();
        assert!(rows < all_rows, "{test}: refresh {k} read {rows} rows");
    }
    tx.send(LiveCommand::Refresh).unwrap();
    let (sources, update) = next_plans(&mut rx).await;
    let rows = sources[SourceKind::Inventory as usize].rows.unwrap();
    assert!(
        rows >= 49,
        "{test}: the full reload reads every row: {rows}"
    );
    let ids: Vec<&str> = update.plans.iter().map(|p| p.product_id.as_ref()).collect();
    assert_eq!(
        ids,
        vec!["PROD-002", "PROD-003"],
        "{test}: the full reload sees the unstamped change and the deletion"
    );
    assert_eq!(plan_of(&update, "PROD-002").available_qty, Some(901.0));
    let p3 = plan_of(&update, "PROD-003");
    assert!(
        p3.available_qty.is_none() && p3.has(ExceptionCode::BadData),
        "{test}: PROD-003 has no inventory row any more: {:?} {:?}",
        p3.available_qty,
        p3.exceptions
    );
    drop(tx);
}

/// A changed row brings all of its product's rows, whatever spaces
/// surround the ids: a product's other locations, unchanged, are read
/// with it (PostgreSQL finds them by their id as stored when no id had
/// spaces at the last whole read, else by the trimmed id), and so is a
/// new row whose id has spaces.
async fn changed_rows_bring_their_products_other_rows(test: &str, db: Db) {
    let Some(setup) = Setup::new(test, [db; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 20, 7, false, false)
        .await
        .unwrap();
    let inventory = writer(&setup, SourceKind::Inventory).await;
    // A row stamped at `updated_at` (SQL).
    let row = |id: &str, location: &str, qty: u32, updated_at: &str| {
        format!(
            "INSERT INTO inventory (product_id, available_qty, reserved_qty, \
             warehouse_location, on_order_qty, safety_stock, updated_at) \
             VALUES ('{id}', {qty}, 0, '{location}', 0, 0, {updated_at})"
        )
    };
    let old_row = |id: &str, location: &str, qty: u32| row(id, location, qty, "'2000-01-01'");
    let stamp = |id: &str, qty: u32| {
        format!(
            "UPDATE inventory SET available_qty = {qty}, updated_at = CURRENT_TIMESTAMP \
             WHERE product_id = '{id}' AND warehouse_location <> 'WH-Z-99'"
        )
    };
    let live = || async {
        let store = Store::open(&setup.config).await.unwrap();
        let (tx, mut rx) = spawn_live(&setup, store);
        let (_, first) = next_plans(&mut rx).await;
        assert!(first.full);
        (tx, rx)
    };
    let stock = |update: &PlanUpdate, id: &str| plan_of(update, id).available_qty;

    // No id with spaces at the first (whole) read.
    for (id, qty) in [("PROD-001", 1000), ("PROD-002", 3000)] {
        inventory
            .execute(&old_row(id, "WH-Z-99", qty))
            .await
            .unwrap();
    }
    let (tx, mut rx) = live().await;
    inventory.execute(&stamp("PROD-001", 5)).await.unwrap();
    // PROD-002 gains a row written with spaces around its id.
    inventory
        .execute(&row("PROD-002 ", "WH-Y-01", 7, "CURRENT_TIMESTAMP"))
        .await
        .unwrap();
    let (sources, update) = refresh(&tx, &mut rx).await;
    let read = sources[SourceKind::Inventory as usize].rows;
    assert_eq!(
        stock(&update, "PROD-001"),
        Some(1005.0),
        "{test}: both rows"
    );
    let p2 = plan_of(&update, "PROD-002").available_qty.unwrap_or(0.0);
    assert!(p2 > 3007.0, "{test}: PROD-002's rows, old and new: {p2}");
    // PROD-001's two rows, and PROD-002's three (the demo's, the old one,
    // the new one).
    assert_eq!(read, Some(5), "{test}: rows read");
    drop(tx);

    // An id with spaces at the whole read: the trimmed ids are compared.
    inventory
        .execute(&old_row(" PROD-003", "WH-Z-99", 9000))
        .await
        .unwrap();
    let (tx, mut rx) = live().await;
    inventory.execute(&stamp("PROD-003", 9)).await.unwrap();
    let (sources, update) = refresh(&tx, &mut rx).await;
    assert_eq!(
        stock(&update, "PROD-003"),
        Some(9009.0),
        "{test}: both rows"
    );
    assert_eq!(
        sources[SourceKind::Inventory as usize].rows,
        Some(7),
        "{test}: PROD-003's two rows, and the five above (stamped within \
         the changed-rows read's margin)"
    );
    drop(tx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_changed_rows_bring_their_products_other_rows() {
    changed_rows_bring_their_products_other_rows(
        "postgres_changed_rows_bring_their_products_other_rows",
        Db::Postgres,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_changed_rows_bring_their_products_other_rows() {
    changed_rows_bring_their_products_other_rows(
        "mariadb_changed_rows_bring_their_products_other_rows",
        Db::MySql,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_changed_inventory_rows() {
    changed_inventory_rows("postgres_changed_inventory_rows", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_changed_inventory_rows() {
    changed_inventory_rows("mariadb_changed_inventory_rows", Db::MySql).await;
}

/// Asks for a refresh and waits for its plans.
async fn refresh(
    tx: &tokio::sync::mpsc::UnboundedSender<LiveCommand>,
    rx: &mut UnboundedReceiver<LiveEvent>,
) -> (Vec<SourceStatus>, PlanUpdate) {
    tx.send(LiveCommand::Refresh).unwrap();
    next_plans(rx).await
}

/// Fingerprints: a refresh skips the sources whose rows did not change and
/// reads those that did, however small the change (one price, NULL against
/// an empty text, two values swapped between rows).
async fn unchanged_sources_are_skipped(test: &str, db: Db) {
    let Some((setup, tx, mut rx)) = live_on(test, db, 50).await else {
        return;
    };
    let (sources, _) = next_plans(&mut rx).await;
    assert!(
        sources.iter().all(|s| !s.unchanged),
        "{test}: read whole first"
    );
    let supplier_rows = sources[SourceKind::Supplier as usize].rows;
    let unchanged = |sources: &[SourceStatus]| -> Vec<SourceKind> {
        (sources.iter().filter(|s| s.unchanged).map(|s| s.kind)).collect()
    };
    let planned = |update: &PlanUpdate| -> Vec<String> {
        (update.plans.iter().map(|p| p.product_id.to_string())).collect()
    };

    let (sources, update) = refresh(&tx, &mut rx).await;
    assert_eq!(
        unchanged(&sources),
        vec![SourceKind::Oms, SourceKind::Supplier, SourceKind::Uom],
        "{test}: nothing changed, nothing read (the inventory reads its changed rows)"
    );
    assert!(update.plans.is_empty(), "{test}: {:?}", planned(&update));
    assert_eq!(
        sources[SourceKind::Supplier as usize].rows,
        supplier_rows,
        "{test}: the rows of the last read"
    );

    let supplier = writer(&setup, SourceKind::Supplier).await;
    supplier
        .execute("UPDATE suppliers SET unit_price = unit_price + 1 WHERE product_id = 'PROD-001'")
        .await
        .unwrap();
    let (sources, update) = refresh(&tx, &mut rx).await;
    assert_eq!(
        unchanged(&sources),
        vec![SourceKind::Oms, SourceKind::Uom],
        "{test}: one price changed: the suppliers are read"
    );
    assert_eq!(planned(&update), vec!["PROD-001"], "{test}");
    assert_eq!(
        plan_of(&update, "PROD-001").unit_price,
        Some(16.5),
        "{test}"
    );

    let oms = writer(&setup, SourceKind::Oms).await;
    for (value, expected) in [("NULL", None), ("''", Some(""))] {
        oms.execute(&format!(
            "UPDATE oms_history SET product_name = {value} WHERE product_id = 'PROD-002'"
        ))
        .await
        .unwrap();
        let (sources, update) = refresh(&tx, &mut rx).await;
        assert_eq!(
            unchanged(&sources),
            vec![SourceKind::Supplier, SourceKind::Uom],
            "{test}: the name set to {value}: the OMS is read"
        );
        assert_eq!(planned(&update), vec!["PROD-002"], "{test}: {value}");
        let name = plan_of(&update, "PROD-002").product_name.as_deref();
        assert!(
            name == expected || (expected == Some("") && name.is_none()),
            "{test}: {value} read as {name:?}"
        );
    }

    // Two products' conversion factors swapped: the same values, in other
    // rows.
    let uom = writer(&setup, SourceKind::Uom).await;
    // (the demo's PROD-001 is 12 pieces to a box, PROD-002 2.2046 kg to a lb)
    let swap = "UPDATE uom_conversions SET conversion_factor = CASE product_id \
                WHEN 'PROD-001' THEN 2.2046 ELSE 12 END \
                WHERE product_id IN ('PROD-001', 'PROD-002')";
    uom.execute(swap).await.unwrap();
    let (sources, update) = refresh(&tx, &mut rx).await;
    assert_eq!(
        unchanged(&sources),
        vec![SourceKind::Oms, SourceKind::Supplier],
        "{test}: factors swapped: the UOM is read"
    );
    assert_eq!(planned(&update), vec!["PROD-001", "PROD-002"], "{test}");
    drop(tx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unchanged_sources_are_skipped() {
    unchanged_sources_are_skipped("postgres_unchanged_sources_are_skipped", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_unchanged_sources_are_skipped() {
    unchanged_sources_are_skipped("mariadb_unchanged_sources_are_skipped", Db::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sources_are_read_every_time() {
    let test = "sqlite_sources_are_read_every_time";
    let Some((_setup, tx, mut rx)) = live_on(test, Db::Sqlite, 20).await else {
        return;
    };
    next_plans(&mut rx).await;
    tx.send(LiveCommand::Refresh).unwrap();
    let (sources, _) = next_plans(&mut rx).await;
    assert!(
        sources.iter().all(|s| !s.unchanged),
        "{test}: no fingerprints on SQLite: {sources:?}"
    );
}

/// An optional column dropped while the screen runs (a DBA's migration on
/// the supplier system): the refresh that meets it fails and says so, the
/// next one detects the table anew and reads it without that column,
/// instead of staying stale until a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_optional_column_dropped_while_running_is_detected_again() {
    let Some((setup, tx, mut rx)) = live_on("optional_column_dropped", Db::Sqlite, 20).await else {
        return;
    };
    let (_, first) = next_plans(&mut rx).await;
    assert_eq!(first.plans.len(), 20);
    let supplier = writer(&setup, SourceKind::Supplier).await;
    supplier
        .execute("ALTER TABLE suppliers DROP COLUMN order_multiple")
        .await
        .unwrap();
    supplier
        .execute("UPDATE suppliers SET unit_price = 16.5 WHERE product_id = 'PROD-001'")
        .await
        .unwrap();
    // Within three refreshes the supplier source is read again, up.
    let mut recovered = None;
    for _ in 0..3 {
        tx.send(LiveCommand::Refresh).unwrap();
        let sources = loop {
            if let LiveEvent::Sources(s) = next_event(&mut rx).await {
                break s;
            }
        };
        let s = &sources[SourceKind::Supplier as usize];
        if s.state == LinkState::Up && s.error.is_none() {
            recovered = Some(s.clone());
            break;
        }
    }
    let s = recovered.expect("the supplier source recovers without a restart");
    assert!(s.rows.is_some_and(|n| n > 0), "{s:?}");
    // And the new price is planned.
    let plans = loop {
        let (_, update) = next_plans(&mut rx).await;
        if update.plans.iter().any(|p| &*p.product_id == "PROD-001") {
            break update;
        }
    };
    let p1 = plan_of(&plans, "PROD-001");
    assert_eq!(p1.unit_price, Some(16.5));
    assert!(!p1.has(ExceptionCode::SourceStale), "{:?}", p1.exceptions);
}

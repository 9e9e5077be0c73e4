//! The live task and the rules history: an apply from an editor whose base
//! is no longer in force is answered with the difference (nothing
//! written); the versions are listed for the editor; a restore loaded in
//! the editor is recorded as one; and a rules file changed on disk while
//! the screen was closed goes in force only through the guard.

mod common;

use std::time::Duration;

use buyerdesk::live::{self, LiveCommand, RulesEvent};
use buyerdesk::plan::RuleSet;
use buyerdesk::store::rules_versions::sha256_hex;
use buyerdesk::store::Store;
use common::live::{next_plans, plan_of};
use common::{Db, Setup};
use tokio::sync::mpsc::UnboundedReceiver;

async fn next_rules_event(rx: &mut UnboundedReceiver<RulesEvent>) -> RulesEvent {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("a rules report within 60 s")
        .expect("the live task is running")
}

fn raised(to: &str) -> String {
    buyerdesk::plan::DEFAULT_RULES
        .replace("Product.amount > 10000", &format!("Product.amount > {to}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_over_newer_rules_is_answered_with_the_difference() {
    let Some(setup) = Setup::new("apply_over_newer", [Db::Sqlite; 4]).await else {
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
    next_plans(&mut rx).await;
    let shipped = buyerdesk::plan::DEFAULT_RULES.to_string();

    // An editor opened on the shipped rules applies 50000: in force.
    tx.send(LiveCommand::ApplyRulesFrom {
        request: 1,
        text: raised("50000"),
        base: shipped.clone(),
        confirmed: false,
        restored_from: None,
    })
    .unwrap();
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::RulesApplied {
            request: 1,
            result: Ok(_),
        } => {}
        other => panic!("applied: {other:?}"),
    }
    // A second editor, also opened on the shipped rules, applies 20000:
    // the rules in force changed since it began; nothing written.
    tx.send(LiveCommand::ApplyRulesFrom {
        request: 2,
        text: raised("20000"),
        base: shipped.clone(),
        confirmed: false,
        restored_from: None,
    })
    .unwrap();
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::ApplyOverNewer {
            request: 2,
            text,
            diff,
            in_force,
        } => {
            assert_eq!(text, raised("20000"));
            assert_eq!(in_force, raised("50000"));
            assert!(diff.contains("-        Product.amount > 10000"), "{diff}");
            assert!(diff.contains("+        Product.amount > 50000"), "{diff}");
        }
        other => panic!("asked first: {other:?}"),
    }
    let path = setup.config.rules_path();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), raised("50000"));

    // The versions, for the editor's panel.
    tx.send(LiveCommand::RulesVersions { request: 9 }).unwrap();
    let versions = match next_rules_event(&mut rules_rx).await {
        RulesEvent::Versions {
            request: 9,
            result: Ok(v),
        } => v,
        other => panic!("versions: {other:?}"),
    };
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].text, raised("50000"));
    assert_eq!(versions[0].info.how, "applied in the app");
    assert!(
        versions[0]
            .info
            .summary
            .as_deref()
            .is_some_and(|s| s.starts_with("orders ")),
        "{:?}",
        versions[0].info
    );

    // Going on over them (the new base), then restoring the shipped rules
    // loaded as version N: recorded as a restore.
    tx.send(LiveCommand::ApplyRulesFrom {
        request: 3,
        text: raised("20000"),
        base: raised("50000"),
        confirmed: false,
        restored_from: None,
    })
    .unwrap();
    assert!(matches!(
        next_rules_event(&mut rules_rx).await,
        RulesEvent::RulesApplied {
            request: 3,
            result: Ok(_)
        }
    ));
    tx.send(LiveCommand::ApplyRulesFrom {
        request: 4,
        text: raised("50000"),
        base: raised("20000"),
        confirmed: false,
        restored_from: Some(1),
    })
    .unwrap();
    assert!(matches!(
        next_rules_event(&mut rules_rx).await,
        RulesEvent::RulesApplied {
            request: 4,
            result: Ok(_)
        }
    ));
    let all = store.rules_versions().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].how, "restored from 1");
    assert_eq!(all[2].sha256, sha256_hex(&raised("50000")));
    assert_eq!(
        all[2].previous.as_deref(),
        Some(sha256_hex(&raised("20000")).as_str())
    );
    let log = store.audit_log().await.unwrap();
    assert!(
        log.iter().any(|r| r[2].as_deref() == Some("rules_restored")
            && r[4].as_deref().is_some_and(|d| d.contains("version 3,"))),
        "{log:?}"
    );
    drop(tx);
}

/// The rules file was changed while no screen ran: the screen starts with
/// the last recorded version, and the file goes in force only once the
/// guard has tried it on the first plans (a harmless change: it does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_while_closed_goes_through_the_guard_at_start() {
    let Some(setup) = Setup::new("changed_while_closed", [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 10, 7, false, false)
        .await
        .unwrap();
    let store = Store::open(&setup.config).await.unwrap();
    let path = setup.config.rules_path();
    // The first start records the file as version 1.
    std::fs::write(&path, raised("50000")).unwrap();
    let start = live::screen_rules(&setup.config, &store).await.unwrap();
    assert!(!start.check_disk && start.broken.is_none());
    let first = store.rules_versions().await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].how, "first seen at start");

    // Changed by hand, then a start: version 1 first, the guard decides.
    std::fs::write(&path, raised("20000")).unwrap();
    let start = live::screen_rules(&setup.config, &store).await.unwrap();
    assert!(start.check_disk);
    assert_eq!(
        *start.rules.text,
        *raised("50000"),
        "the last recorded version"
    );
    let (_tx, mut rx, mut rules_rx) = live::spawn_checking_disk(
        setup.config.clone(),
        start.rules,
        store.clone(),
        Duration::from_secs(3600),
        true,
    );
    let (_, first_plans) = next_plans(&mut rx).await;
    assert!(
        !plan_of(&first_plans, "PROD-002").requires_approval,
        "planned with 50000"
    );
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::RulesReloaded(Ok(p)) => assert_eq!(p, path.display().to_string()),
        other => panic!("the file tried and taken: {other:?}"),
    }
    // Recorded as a change on disk (the audit is written by a task).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let all = store.rules_versions().await.unwrap();
        if all.len() == 2 {
            assert_eq!(all[1].how, "changed on disk");
            assert_eq!(all[1].sha256, sha256_hex(&raised("20000")));
            assert!(all[1].summary.is_some(), "the guard's dry run");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Another workstation sharing the rules file applies rules: it writes the
/// file, then records its version. This workstation picks the file up
/// (through its guard) without recording the same text a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_another_apply_recorded_is_not_recorded_again() {
    let Some(setup) = Setup::new("recorded_elsewhere", [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 10, 7, false, false)
        .await
        .unwrap();
    let store = Store::open(&setup.config).await.unwrap();
    let path = setup.config.rules_path();
    std::fs::write(&path, raised("50000")).unwrap();
    let start = live::screen_rules(&setup.config, &store).await.unwrap();
    assert_eq!(store.rules_versions().await.unwrap().len(), 1);
    let (_tx, mut rx, mut rules_rx) = live::spawn_with_rules_events(
        setup.config.clone(),
        start.rules,
        store.clone(),
        Duration::from_secs(3600),
    );
    next_plans(&mut rx).await;

    // The other apply: the file first, its version a moment later.
    let text = raised("20000");
    std::fs::write(&path, &text).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let new = buyerdesk::store::rules_versions::NewVersion {
        user: "bob",
        how: "rules apply",
        origin: &path.display().to_string(),
        text: &text,
        rules: 7,
        summary: None,
    };
    let theirs = store
        .record_rules_version(&new, &[("rules_applied", String::new())])
        .await
        .unwrap();
    match next_rules_event(&mut rules_rx).await {
        RulesEvent::RulesReloaded(Ok(_)) => {}
        other => panic!("the file taken: {other:?}"),
    }
    // The pick-up is audited, naming their version; no second version.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let log = store.audit_log().await.unwrap();
        let picked = log
            .iter()
            .find(|r| r[2].as_deref() == Some("rules_reloaded"));
        if let Some(row) = picked {
            let detail = row[4].as_deref().unwrap_or_default();
            assert!(
                detail.contains(&format!("version {}, recorded by its apply", theirs.number)),
                "{detail}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{log:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = store.rules_versions().await.unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[1].how, "rules apply");
}

/// The embedded rules (no rules file) are what they are in this build:
/// a version of them recorded by an older build, with other text, is not
/// used instead (there is no file for the guard to try).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_rules_recorded_by_an_older_build_do_not_replace_these() {
    let Some(setup) = Setup::new("embedded_older", [Db::Sqlite; 4]).await else {
        return;
    };
    let store = Store::open(&setup.config).await.unwrap();
    assert!(!setup.config.rules_path().exists());
    let older = raised("50000");
    let new = buyerdesk::store::rules_versions::NewVersion {
        user: "alice",
        how: "first seen at start",
        origin: buyerdesk::plan::EMBEDDED_ORIGIN,
        text: &older,
        rules: 7,
        summary: None,
    };
    store
        .record_rules_version(&new, &[("rules_recorded", String::new())])
        .await
        .unwrap();
    let start = live::screen_rules(&setup.config, &store).await.unwrap();
    assert!(!start.check_disk);
    assert_eq!(*start.rules.text, *buyerdesk::plan::DEFAULT_RULES);
}

//! Faults between buyerdesk and its databases, injected by a TCP proxy on
//! 127.0.0.1 (tests/common/proxy.rs) in front of the real PostgreSQL and
//! MariaDB servers: a source down at start, a source dropped in the middle
//! of a refresh, a stalled source, the purchasing database down at start,
//! and the purchasing database lost while saving an override or sending a
//! PO. Each runs on PostgreSQL and on MariaDB (skipped without their
//! servers, like the other real-database tests; a failure under CI=true).
//! Timeouts are short (1-2 s) so that every test takes seconds.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use buyerdesk::config::SourceKind;
use buyerdesk::live::{LinkState, LiveCommand};
use buyerdesk::orders::drafting::draft_plans;
use buyerdesk::orders::{ChannelKind, PoStatus, Sender, SupplierChannel};
use buyerdesk::plan::{ExceptionCode, ProductPlan, RuleSet};
use buyerdesk::sources::{Access, Source, Sources};
use buyerdesk::store::{Override, OverrideUnit, ReasonCode, Store};
use common::live::{
    next_plans, next_refresh_plans, plan_of, sources_with, spawn_live, writer, WAIT,
};
use common::proxy::{Mode, Proxy};
use common::{Db, ScratchDb, Setup};

/// Four scratch sources on `db`, seeded with `products` demo products, one
/// of them (`kind`) reached through a proxy; short timeouts everywhere.
struct Faulty {
    setup: Setup,
    proxy: Proxy,
    /// The proxied source's own URL (for writing to it behind the proxy).
    direct: String,
}

async fn faulty(test: &str, db: Db, kind: SourceKind, products: usize) -> Option<Faulty> {
    let mut setup = Setup::new(test, [db; 4]).await?;
    buyerdesk::demo::seed(&setup.admin_config, products, 7, false, false)
        .await
        .unwrap();
    for k in SourceKind::SOURCES {
        let s = setup.config.file.source_mut(k);
        s.connect_timeout_secs = 1.0;
        s.query_timeout_secs = 2.0;
    }
    let direct = setup.url(kind).to_string();
    let proxy = Proxy::for_url(&direct).await;
    setup.config.file.source_mut(kind).url = Some(proxy.url(&direct));
    Some(Faulty {
        setup,
        proxy,
        direct,
    })
}

// ---------------------------------------------------------------------------
// A source down at start.

/// The inventory server refuses connections at start: the screen is told
/// which source and why (URL without its password), nothing is planned from
/// three sources, the source is tried again with growing waits without any
/// refresh being asked for, and once the server is back the plans come by
/// themselves.
async fn source_down_at_start(test: &str, db: Db) {
    let Some(mut f) = faulty(test, db, SourceKind::Inventory, 10).await else {
        return;
    };
    // The password must never show: the test role's (through
    // password_env), or, where the admin connects under trust, one put in
    // the URL.
    let secret = match &f.setup.config.file.inventory.password_env {
        Some(var) => std::env::var(var).ok(),
        None if db == Db::Postgres => {
            let mut u = url::Url::parse(&f.proxy.url(&f.direct)).unwrap();
            u.set_password(Some("s3cret-pw")).unwrap();
            f.setup.config.file.inventory.url = Some(u.to_string());
            Some("s3cret-pw".to_string())
        }
        None => None,
    };
    f.proxy.set(Mode::Refuse);
    let store = Store::open(&f.setup.config).await.unwrap();
    let (_tx, mut rx) = spawn_live(&f.setup, store);

    // Two failed attempts, the second after a longer wait than the first.
    let mut waits = Vec::new();
    let mut attempts_seen = f.proxy.accepted();
    while waits.len() < 2 {
        let sources = sources_with(&mut rx, SourceKind::Inventory, LinkState::Down, true).await;
        let inv = &sources[SourceKind::Inventory as usize];
        if f.proxy.accepted() == attempts_seen && !waits.is_empty() {
            continue; // the same attempt reported again
        }
        attempts_seen = f.proxy.accepted();
        let error = inv.error.as_deref().unwrap_or("");
        assert!(
            error.contains("inventory source") && error.contains(&f.proxy.port.to_string()),
            "{test}: the error names the source and its URL: {error}"
        );
        if let Some(secret) = &secret {
            assert!(
                !error.contains(secret.as_str()),
                "{test}: password shown: {error}"
            );
        }
        assert!(!inv.is_stale(), "{test}: never read: down, not stale");
        let retry_at = inv.retry_at.expect("the next try is announced");
        let wait = (retry_at - chrono::Local::now()).num_milliseconds();
        assert!((0..=4_500).contains(&wait), "{test}: next try in {wait} ms");
        waits.push(wait);
        for s in sources.iter().filter(|s| s.kind != SourceKind::Inventory) {
            assert_eq!(s.state, LinkState::Up, "{test}: {} is read: {s:?}", s.kind);
        }
    }
    assert!(
        waits[1] > waits[0],
        "{test}: the wait grows (backoff): {waits:?}"
    );
    assert!(f.proxy.accepted() >= 2, "{test}: tried again, unasked");

    // Back: the plans come without a refresh being asked for.
    f.proxy.set(Mode::Pass);
    let (sources, update) = next_refresh_plans(&mut rx).await;
    let inv = &sources[SourceKind::Inventory as usize];
    assert_eq!(inv.state, LinkState::Up, "{test}: {inv:?}");
    assert_eq!((inv.retry_at, &inv.error), (None, &None), "{test}");
    assert!(update.full, "{test}");
    assert_eq!(update.plans.len(), 10, "{test}");
    assert!(
        update
            .plans
            .iter()
            .all(|p| !p.has(ExceptionCode::SourceStale)),
        "{test}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_source_down_at_start_recovers_by_itself() {
    source_down_at_start("postgres_source_down_at_start", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_source_down_at_start_recovers_by_itself() {
    source_down_at_start("mariadb_source_down_at_start", Db::MySql).await;
}

// ---------------------------------------------------------------------------
// A source dropped in the middle of a refresh.

/// Every inventory row changes, then the inventory connection is killed
/// while its rows are on the way (the link slowed, the drop after the first
/// 4 KB of the answer): the refresh keeps the previous inventory rows, all
/// of them (not one new row is used), marks every product SOURCE_STALE with
/// the time of its data, and once the server is back the new rows come in
/// by themselves.
async fn dropped_mid_refresh(test: &str, db: Db) {
    let Some(f) = faulty(test, db, SourceKind::Inventory, 300).await else {
        return;
    };
    let store = Store::open(&f.setup.config).await.unwrap();
    let (tx, mut rx) = spawn_live(&f.setup, store);
    let (_, first) = next_plans(&mut rx).await;
    assert_eq!(first.plans.len(), 300, "{test}");
    let before: HashMap<String, Option<f64>> = first
        .plans
        .iter()
        .map(|p| (p.product_id.to_string(), p.available_qty.get()))
        .collect();
    let inventory = writer(&f.setup, SourceKind::Inventory).await;
    inventory
        .execute(
            "UPDATE inventory SET available_qty = available_qty + 1000, \
             updated_at = CURRENT_TIMESTAMP",
        )
        .await
        .unwrap();

    f.proxy.set(Mode::Slow(Duration::from_millis(150)));
    f.proxy.down_after(4096);
    tx.send(LiveCommand::Refresh).unwrap();

    let (sources, update) = next_refresh_plans(&mut rx).await;
    assert_eq!(f.proxy.mode(), Mode::Refuse, "{test}: the cut came");
    let inv = &sources[SourceKind::Inventory as usize];
    assert_eq!(inv.state, LinkState::Down, "{test}: {inv:?}");
    assert!(inv.is_stale(), "{test}: it had data: stale");
    assert!(inv.retry_at.is_some(), "{test}: the next try is announced");
    assert!(update.full, "{test}: the stale mark changes every product");
    assert_eq!(update.plans.len(), 300, "{test}");
    let as_of = inv.last_ok.unwrap().format("%H:%M:%S").to_string();
    for p in &update.plans {
        assert_eq!(
            p.available_qty, before[&*p.product_id],
            "{test}: {} available_qty is from the last complete read",
            p.product_id
        );
        let stale = p
            .exception_details
            .iter()
            .find(|e| e.code == ExceptionCode::SourceStale)
            .unwrap_or_else(|| panic!("{test}: {} not SOURCE_STALE", p.product_id));
        assert!(
            stale.message.starts_with("inventory did not answer")
                && stale
                    .message
                    .ends_with(&format!("its figures are from {as_of}")),
            "{test}: {}: {}",
            p.product_id,
            stale.message
        );
    }

    // Back: read again by itself, every row new, nothing stale.
    f.proxy.set(Mode::Pass);
    let (sources, update) = next_refresh_plans(&mut rx).await;
    assert_eq!(
        sources[SourceKind::Inventory as usize].state,
        LinkState::Up,
        "{test}"
    );
    assert!(update.full);
    for p in &update.plans {
        assert!(!p.has(ExceptionCode::SourceStale), "{test}");
        // +1000 per inventory row (a product may have several locations).
        if let (Some(was), Some(now)) = (before[&*p.product_id], p.available_qty.get()) {
            let added = now - was;
            assert!(
                added >= 1000.0 && added % 1000.0 == 0.0,
                "{test}: {} has its new rows: {was} -> {now}",
                p.product_id
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_source_dropped_mid_refresh_keeps_its_last_rows_whole() {
    dropped_mid_refresh("postgres_dropped_mid_refresh", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_source_dropped_mid_refresh_keeps_its_last_rows_whole() {
    dropped_mid_refresh("mariadb_dropped_mid_refresh", Db::MySql).await;
}

/// The link dies while a whole-table read is on its way (slowed, the drop
/// after the first 64 KB: past any connection set-up, inside the rows). On
/// PostgreSQL that read is a `COPY ... TO STDOUT` (sources::bulk): a copy
/// cut midway is an error, never the rows that came before the cut taken
/// for the whole table; once the server is back, the same read is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_whole_table_copy_cut_midway_is_an_error() {
    let test = "postgres_copy_cut_midway";
    let Some(f) = faulty(test, Db::Postgres, SourceKind::Inventory, 300).await else {
        return;
    };
    // Timeouts long enough for the slowed link: the cut ends the read.
    let mut config = f.setup.config.clone();
    let settings = config.file.source_mut(SourceKind::Inventory);
    settings.connect_timeout_secs = 10.0;
    settings.query_timeout_secs = 30.0;
    let resolved = config.resolve(SourceKind::Inventory).unwrap();
    let source = Source::connect(&resolved, Access::ReadOnly).await.unwrap();
    let sql = "SELECT CAST(product_id AS TEXT), CAST(available_qty AS TEXT), \
               repeat(CAST(warehouse_location AS TEXT), 200) FROM inventory";
    if !buyerdesk::sources::bulk::plain_fetch_from_env() {
        assert_eq!(
            source.fetch_path(sql, &[]),
            buyerdesk::sources::FetchPath::Copy,
            "{test}"
        );
    }
    let whole = source.fetch_text(sql, &[]).await.unwrap();
    assert!(whole.len() >= 300, "{test}: {} rows", whole.len());

    f.proxy.set(Mode::Slow(Duration::from_millis(150)));
    f.proxy.down_after(65536);
    let read = source.fetch_text(sql, &[]).await;
    assert_eq!(f.proxy.mode(), Mode::Refuse, "{test}: the cut came");
    match read {
        Ok(rows) => panic!(
            "{test}: a read cut midway returned {} rows (of {}) as if whole",
            rows.len(),
            whole.len()
        ),
        Err(e) => {
            let e = e.to_string();
            assert!(e.starts_with("inventory source ("), "{test}: {e}");
        }
    }

    f.proxy.set(Mode::Pass);
    let again = source.fetch_text(sql, &[]).await.unwrap();
    assert_eq!(again, whole, "{test}: read whole once back");
    source.close().await;
}

// ---------------------------------------------------------------------------
// A stalled source.

/// The inventory server stops answering (connections open, nothing
/// forwarded): the refresh ends when inventory's query timeout (1 s) fires,
/// the OMS change read in that same refresh is planned, inventory keeps its
/// last rows and is marked stale; when the link passes again it recovers
/// by itself.
async fn stalled_source(test: &str, db: Db) {
    let Some(mut f) = faulty(test, db, SourceKind::Inventory, 20).await else {
        return;
    };
    f.setup.config.file.inventory.query_timeout_secs = 1.0;
    let store = Store::open(&f.setup.config).await.unwrap();
    let (tx, mut rx) = spawn_live(&f.setup, store);
    let (_, first) = next_plans(&mut rx).await;
    let p1 = plan_of(&first, "PROD-001");
    assert_eq!(
        (p1.avg_daily_demand.get(), p1.available_qty.get()),
        (Some(150.0), Some(500.0))
    );
    let oms = writer(&f.setup, SourceKind::Oms).await;
    oms.execute("UPDATE oms_history SET avg_daily_demand = 300 WHERE product_id = 'PROD-001'")
        .await
        .unwrap();
    let inventory = writer(&f.setup, SourceKind::Inventory).await;
    inventory
        .execute(
            "UPDATE inventory SET available_qty = 900, updated_at = CURRENT_TIMESTAMP \
             WHERE product_id = 'PROD-001'",
        )
        .await
        .unwrap();

    f.proxy.set(Mode::Stall);
    let clock = Instant::now();
    tx.send(LiveCommand::Refresh).unwrap();
    let (sources, update) = next_refresh_plans(&mut rx).await;
    let took = clock.elapsed();
    assert!(
        took < Duration::from_secs(6),
        "{test}: the refresh waited {took:?} for a stalled source"
    );
    let inv = &sources[SourceKind::Inventory as usize];
    assert_eq!(inv.state, LinkState::Down, "{test}: {inv:?}");
    let error = inv.error.as_deref().unwrap_or("");
    assert!(
        error.contains("inventory source") && error.contains("timed out"),
        "{test}: {error}"
    );
    for s in sources.iter().filter(|s| s.kind != SourceKind::Inventory) {
        assert_eq!(
            s.state,
            LinkState::Up,
            "{test}: {} refreshed: {s:?}",
            s.kind
        );
    }
    let p1 = plan_of(&update, "PROD-001");
    assert_eq!(
        p1.avg_daily_demand,
        Some(300.0),
        "{test}: the OMS change read in the same refresh is planned"
    );
    assert_eq!(
        p1.available_qty,
        Some(500.0),
        "{test}: inventory's last rows are kept"
    );
    assert!(p1.has(ExceptionCode::SourceStale), "{test}");

    f.proxy.set(Mode::Pass);
    loop {
        let (sources, update) = next_refresh_plans(&mut rx).await;
        if sources[SourceKind::Inventory as usize].state == LinkState::Up {
            let p1 = plan_of(&update, "PROD-001");
            assert_eq!(p1.available_qty, Some(900.0), "{test}");
            assert!(!p1.has(ExceptionCode::SourceStale), "{test}");
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stalled_source_times_out_alone() {
    stalled_source("postgres_stalled_source", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_stalled_source_times_out_alone() {
    stalled_source("mariadb_stalled_source", Db::MySql).await;
}

// ---------------------------------------------------------------------------
// The purchasing database.

/// SQLite sources (50 demo products) and a purchasing database on `db`
/// reached through a proxy.
struct Purchasing {
    setup: Setup,
    proxy: Arc<Proxy>,
    _db: ScratchDb,
}

async fn purchasing(test: &str, db: Db) -> Option<Purchasing> {
    let admin = db.admin_url(test)?;
    let mut setup = Setup::new(test, [Db::Sqlite; 4]).await?;
    buyerdesk::demo::seed(&setup.admin_config, 50, 7, false, false)
        .await
        .unwrap();
    let scratch = ScratchDb::create(db, &admin, "purchasing").await;
    let proxy = Proxy::for_url(&scratch.url).await;
    let p = &mut setup.config.file.purchasing;
    p.url = Some(proxy.url(&scratch.url));
    p.connect_timeout_secs = 1.0;
    p.query_timeout_secs = 2.0;
    setup.config.file.general.user = Some("alice".into());
    let mut o = common::orders_of(&setup.config);
    o.outbox = Some(setup.data_dir.path().join("outbox"));
    o.retry_backoff_secs = 0.05;
    o.send_timeout_secs = 5.0;
    o.write_to(&mut setup.config.file);
    Some(Purchasing {
        setup,
        proxy: Arc::new(proxy),
        _db: scratch,
    })
}

/// The purchasing database refuses connections at start: `Store::open`
/// fails (as `buyerdesk` did before it started the screen without it);
/// the screen's store opens lazily, the live task names it as down with
/// the next try, plans nothing without the overrides, and plans once the
/// database is back, having migrated it.
async fn purchasing_down_at_start(test: &str, db: Db) {
    let Some(p) = purchasing(test, db).await else {
        return;
    };
    p.proxy.set(Mode::Refuse);
    let error = Store::open(&p.setup.config).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("purchasing source"),
        "{test}: {error:#}"
    );
    let store = Store::open_lazy(&p.setup.config).await.unwrap();
    assert!(!store.is_migrated());
    let (_tx, mut rx) = spawn_live(&p.setup, store.clone());
    let sources = sources_with(&mut rx, SourceKind::Purchasing, LinkState::Down, true).await;
    let pur = &sources[SourceKind::Purchasing as usize];
    let error = pur.error.as_deref().unwrap_or("");
    assert!(error.contains("purchasing source"), "{test}: {error}");
    assert!(pur.retry_at.is_some(), "{test}: the next try is announced");
    for s in &sources[..4] {
        assert_eq!(s.state, LinkState::Up, "{test}: {} read: {s:?}", s.kind);
    }

    p.proxy.set(Mode::Pass);
    let (sources, update) = next_refresh_plans(&mut rx).await;
    assert_eq!(
        sources[SourceKind::Purchasing as usize].state,
        LinkState::Up,
        "{test}"
    );
    assert_eq!(update.plans.len(), 50, "{test}");
    assert!(store.is_migrated(), "{test}: migrated on its first answer");
    store.set_override(&override_of(720.0)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_purchasing_down_at_start_is_named_and_recovers() {
    purchasing_down_at_start("postgres_purchasing_down_at_start", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_purchasing_down_at_start_is_named_and_recovers() {
    purchasing_down_at_start("mariadb_purchasing_down_at_start", Db::MySql).await;
}

/// The screen's path: the purchasing database this workstation used was
/// down at start (the store opened lazily) and comes back emptied. The
/// live task's first migration refuses it instead of creating the tables
/// anew: the purchasing chip stays down with the refusal (the place, the
/// identity remembered, `--init`), nothing is planned, no table created.
async fn purchasing_back_emptied(test: &str, db: Db) {
    let Some(p) = purchasing(test, db).await else {
        return;
    };
    let used = Store::open(&p.setup.config).await.unwrap();
    let identity = used.identity().unwrap().identity.clone();
    let mut tables = common::PURCHASING_TABLES.to_vec();
    tables.push(if db == Db::Postgres {
        "SEQUENCE po_number_seq"
    } else {
        "po_numbers"
    });
    for table in tables {
        let drop = match table.strip_prefix("SEQUENCE ") {
            Some(sequence) => format!("DROP SEQUENCE {sequence}"),
            None => format!("DROP TABLE {table}"),
        };
        used.source.execute(&drop).await.unwrap();
    }
    used.source.close().await;

    p.proxy.set(Mode::Refuse);
    let error = Store::open(&p.setup.config).await.unwrap_err();
    assert!(
        error.downcast_ref::<buyerdesk::store::Refused>().is_none(),
        "{test}: down, not refused: {error:#}"
    );
    let store = Store::open_lazy(&p.setup.config).await.unwrap();
    let (_tx, mut rx) = spawn_live(&p.setup, store.clone());
    sources_with(&mut rx, SourceKind::Purchasing, LinkState::Down, true).await;
    p.proxy.set(Mode::Pass);
    let deadline = Instant::now() + WAIT;
    let error = loop {
        assert!(Instant::now() < deadline, "{test}: never refused");
        let sources = sources_with(&mut rx, SourceKind::Purchasing, LinkState::Down, true).await;
        let error = sources[SourceKind::Purchasing as usize]
            .error
            .clone()
            .unwrap_or_default();
        if error.contains("is empty") {
            break error;
        }
    };
    assert!(
        error.contains(&format!("as identity {identity} since"))
            && error.contains("buyerdesk --init"),
        "{test}: {error}"
    );
    assert!(!store.is_migrated(), "{test}");
    let look = Source::connect(
        &p.setup.config.resolve(SourceKind::Purchasing).unwrap(),
        Access::ReadWrite,
    )
    .await
    .unwrap();
    assert!(
        look.table_columns("buyerdesk_migrations")
            .await
            .unwrap()
            .is_empty(),
        "{test}: no table created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_purchasing_back_emptied_is_refused_on_the_screen() {
    purchasing_back_emptied("postgres_purchasing_back_emptied", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_purchasing_back_emptied_is_refused_on_the_screen() {
    purchasing_back_emptied("mariadb_purchasing_back_emptied", Db::MySql).await;
}

fn override_of(qty: f64) -> Override {
    Override {
        product_id: "PROD-001".into(),
        order_qty: qty,
        entered_qty: qty,
        entered_unit: OverrideUnit::Stock,
        suggested_qty: 600.0,
        reason: ReasonCode::Promo,
        note: None,
        user: "alice".into(),
        set_at: buyerdesk::store::now(),
    }
}

/// The purchasing database is lost while an override is saved (down
/// before the call; then cut while the statements are on the way): each
/// save fails with an error that names the purchasing database, nothing
/// is saved, and the same save succeeds once the database is back.
async fn override_lost(test: &str, db: Db) {
    let Some(p) = purchasing(test, db).await else {
        return;
    };
    let store = Store::open(&p.setup.config).await.unwrap();
    p.proxy.down();
    let error = store.set_override(&override_of(720.0)).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("purchasing source"),
        "{test}: {error:#}"
    );

    p.proxy.set(Mode::Pass);
    store.overrides().await.unwrap();
    p.proxy.set(Mode::Stall);
    let saving = {
        let store = store.clone();
        tokio::spawn(async move { store.set_override(&override_of(720.0)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.proxy.down();
    let result = saving.await.expect("no panic");
    assert!(result.is_err(), "{test}: a save cut off is not a success");

    p.proxy.set(Mode::Pass);
    let saved = store.overrides().await.unwrap();
    assert!(
        saved.iter().all(|o| o.product_id != "PROD-001"),
        "{test}: nothing saved: {saved:?}"
    );
    // The buyer tries again: saved.
    store.set_override(&override_of(720.0)).await.unwrap();
    let saved = store.overrides().await.unwrap();
    let o = saved.iter().find(|o| o.product_id == "PROD-001").unwrap();
    assert_eq!(o.order_qty, 720.0, "{test}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_override_lost_is_not_saved_and_can_be_retried() {
    override_lost("postgres_override_lost", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_override_lost_is_not_saved_and_can_be_retried() {
    override_lost("mariadb_override_lost", Db::MySql).await;
}

/// A supplier endpoint that records the idempotency keys it gets and, when
/// armed, takes the purchasing database down before it answers (the PO
/// reached the supplier; buyerdesk cannot record it).
#[derive(Clone)]
struct Supplier {
    keys: Arc<Mutex<Vec<String>>>,
    cut_purchasing: Arc<AtomicBool>,
    proxy: Arc<Proxy>,
}

async fn supplier_endpoint(supplier: Supplier) -> String {
    let app =
        axum::Router::new()
            .route(
                "/po",
                axum::routing::post(
                    |axum::extract::State(s): axum::extract::State<Supplier>,
                     headers: HeaderMap| async move {
                        let key = headers
                            .get("idempotency-key")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        s.keys.lock().unwrap().push(key.clone());
                        if s.cut_purchasing.swap(false, Ordering::SeqCst) {
                            s.proxy.down();
                        }
                        (StatusCode::CREATED, format!("{{\"accepted\":\"{key}\"}}"))
                    },
                ),
            )
            .with_state(supplier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/po", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    url
}

/// The purchasing database is lost while a PO is sent: down before the
/// send (nothing happens, the PO is as it was), then lost after the
/// supplier took the PO but before buyerdesk recorded it: the send fails
/// and says so, the PO is not marked sent, and sending it again (same
/// idempotency key, the PO number) marks it sent.
async fn send_lost(test: &str, db: Db) {
    let Some(mut p) = purchasing(test, db).await else {
        return;
    };
    let supplier = Supplier {
        keys: Arc::default(),
        cut_purchasing: Arc::default(),
        proxy: Arc::clone(&p.proxy),
    };
    let url = supplier_endpoint(supplier.clone()).await;
    common::edit_orders(&mut p.setup.config, |o| {
        o.suppliers.insert(
            "ABC Supplies Co.".into(),
            SupplierChannel {
                channel: ChannelKind::Http,
                url: Some(url),
                outbox: None,
                token_env: None,
            },
        );
    });
    let config = &p.setup.config;
    let store = Store::open(config).await.unwrap();
    let ctx = buyerdesk::live::plan_context(&store).await.unwrap();
    let sources = Sources::connect(config).await.unwrap();
    let (plans, _) = buyerdesk::live::plan_products(
        &sources,
        &RuleSet::embedded(),
        &ctx,
        &["PROD-001".to_string()],
    )
    .await
    .unwrap();
    sources.close().await;
    let chosen: Vec<&ProductPlan> = plans.iter().collect();
    let drafted = draft_plans(config, &store, &chosen).await.unwrap();
    let number = drafted.created[0].po_number.clone();
    let sender = Sender::new(store.clone(), config).unwrap();

    // Down before the send: refused, nothing changed, nothing sent.
    p.proxy.down();
    let error = sender.send_confirmed(&number, &|_| {}).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("purchasing source"),
        "{test}: {error:#}"
    );
    p.proxy.set(Mode::Pass);
    let po = store.po_required(&number).await.unwrap();
    assert_eq!(po.status, PoStatus::Draft, "{test}");
    assert!(supplier.keys.lock().unwrap().is_empty(), "{test}");

    // Lost between the supplier's answer and the mark.
    supplier.cut_purchasing.store(true, Ordering::SeqCst);
    let error = sender.send_confirmed(&number, &|_| {}).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("purchasing source"),
        "{test}: the buyer is told the purchasing database failed: {error:#}"
    );
    p.proxy.set(Mode::Pass);
    let po = store.po_required(&number).await.unwrap();
    assert_ne!(po.status, PoStatus::Sent, "{test}: not marked sent");
    assert_eq!(po.sent_at, None, "{test}");

    // Again: the same key, marked sent this time.
    let outcome = sender.send_confirmed(&number, &|_| {}).await.unwrap();
    assert_eq!(outcome.po_number, number);
    let po = store.po_required(&number).await.unwrap();
    assert_eq!(po.status, PoStatus::Sent, "{test}");
    assert!(po.sent_at.is_some());
    let keys = supplier.keys.lock().unwrap().clone();
    assert_eq!(
        keys,
        vec![po.send_key.clone(), po.send_key.clone()],
        "{test}: the supplier saw the same key twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_send_lost_is_not_marked_sent_and_can_be_retried() {
    send_lost("postgres_send_lost", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_send_lost_is_not_marked_sent_and_can_be_retried() {
    send_lost("mariadb_send_lost", Db::MySql).await;
}

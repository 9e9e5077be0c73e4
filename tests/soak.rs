//! Soak: the live task refreshing four PostgreSQL sources every 0.3 s for a
//! bounded time (BUYERDESK_SOAK_SECS, default 60) while a writer changes
//! rows underneath and the inventory source is bounced again and again
//! (its table renamed away, or its database closed to connections and its
//! sessions killed), then restored. Every plan update is checked against
//! what the database held when that refresh ran, the products are
//! SOURCE_STALE with the last good data while inventory is down, and the
//! process's resident memory stays flat. Loopback only.

mod common;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use buyerdesk::config::SourceKind;
use buyerdesk::live::{self, LinkState, LiveEvent, PlanUpdate, SourceStatus};
use buyerdesk::plan::{ExceptionCode, RuleSet};
use buyerdesk::store::Store;
use chrono::{DateTime, Local};
use common::{Db, Setup};
use sqlx::Executor;
use tokio::sync::mpsc::UnboundedReceiver;

/// The products the writer changes, and their rows' value for write `i`
/// (write 0 is the demo's reference row).
const WATCHED: [(&str, i64, i64); 2] = [("PROD-001", 500, 1000), ("PROD-002", 300, 5000)];

fn value_of(product: usize, i: i64) -> i64 {
    if i == 0 {
        WATCHED[product].1
    } else {
        WATCHED[product].2 + i
    }
}

/// Which write a product's available quantity shows.
fn write_of(product: usize, qty: f64) -> Option<i64> {
    let q = qty as i64;
    if q as f64 != qty {
        return None;
    }
    if q == WATCHED[product].1 {
        return Some(0);
    }
    let i = q - WATCHED[product].2;
    (i > 0).then_some(i)
}

/// The writer's side of the story: writes begun, and when each one was
/// committed.
#[derive(Default)]
struct Writes {
    begun: AtomicI64,
    committed_at: Mutex<Vec<DateTime<Local>>>,
}

impl Writes {
    /// The last write committed before `t`: a refresh that began at `t`
    /// must see it (or a later one).
    fn floor(&self, t: DateTime<Local>) -> i64 {
        let at = self.committed_at.lock().unwrap();
        at.partition_point(|c| *c < t) as i64
    }
    fn last(&self) -> i64 {
        self.committed_at.lock().unwrap().len() as i64
    }
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads the live task's events and checks every plan update.
struct Observer {
    rx: UnboundedReceiver<LiveEvent>,
    writes: Arc<Writes>,
    sources: Vec<SourceStatus>,
    /// The write the plans last showed.
    seen: i64,
    /// Whether the last plans had the inventory down (stale).
    stale: bool,
    updates: usize,
    stale_updates: usize,
    products: usize,
}

impl Observer {
    /// The next plan update, checked.
    async fn next(&mut self) -> PlanUpdate {
        loop {
            let event = tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
                .await
                .expect("a refresh within 60 s")
                .expect("the live task is running");
            match event {
                LiveEvent::Sources(s) => self.sources = s,
                LiveEvent::Plans(update) => {
                    self.check(&update);
                    return update;
                }
                LiveEvent::History { .. } | LiveEvent::Forecasts(_) => {}
            }
        }
    }

    fn inventory(&self) -> &SourceStatus {
        &self.sources[SourceKind::Inventory as usize]
    }

    fn check(&mut self, update: &PlanUpdate) {
        self.updates += 1;
        let n = self.updates;
        for s in &self.sources {
            if s.kind != SourceKind::Inventory {
                assert_eq!(
                    s.state,
                    LinkState::Up,
                    "update {n}: {} went down: {s:?}",
                    s.kind
                );
            }
        }
        // The two watched rows change in one statement: a refresh shows
        // both from the same write, or neither.
        let shown: Vec<Option<i64>> = WATCHED
            .iter()
            .enumerate()
            .map(|(k, (id, _, _))| {
                update
                    .plans
                    .iter()
                    .find(|p| &*p.product_id == *id)
                    .map(|p| {
                        let qty = p.available_qty.get().unwrap_or_else(|| {
                            panic!("update {n}: {id}: available_qty is missing")
                        });
                        write_of(k, qty).unwrap_or_else(|| {
                        panic!("update {n}: {id}: available_qty {qty} is no value the writer wrote")
                    })
                    })
            })
            .collect();
        match (shown[0], shown[1]) {
            (None, None) => {}
            (Some(a), Some(b)) => {
                assert_eq!(
                    a, b,
                    "update {n}: PROD-001 shows write {a}, PROD-002 write {b}: not one snapshot"
                );
                let begun = self.writes.begun.load(Ordering::SeqCst);
                assert!(
                    a <= begun,
                    "update {n}: write {a} shown, only {begun} begun"
                );
                assert!(
                    a >= self.seen,
                    "update {n}: PROD-001 available_qty went back from write {} to {a}",
                    self.seen
                );
                self.seen = a;
            }
            _ => panic!("update {n}: only one of PROD-001/PROD-002 re-planned: {shown:?}"),
        }
        match self.inventory().state {
            LinkState::Up => {
                for p in &update.plans {
                    assert!(
                        !p.has(ExceptionCode::SourceStale),
                        "update {n}: {} SOURCE_STALE with every source up",
                        p.product_id
                    );
                }
                if self.stale {
                    assert!(update.full, "update {n}: back up: every product again");
                }
                // Every write committed before this refresh began is in it.
                let floor = self.writes.floor(update.started);
                assert!(
                    self.seen >= floor,
                    "update {n}: PROD-001 shows write {}, but write {floor} was committed before the refresh began",
                    self.seen
                );
                self.stale = false;
            }
            LinkState::Down => {
                assert!(
                    self.inventory().is_stale(),
                    "update {n}: inventory down after data"
                );
                if !self.stale {
                    assert!(
                        update.full,
                        "update {n}: the stale mark changes every product"
                    );
                    assert_eq!(update.plans.len(), self.products, "update {n}");
                    self.stale_updates += 1;
                }
                for p in &update.plans {
                    assert!(
                        p.has(ExceptionCode::SourceStale),
                        "update {n}: {} not SOURCE_STALE while inventory is down",
                        p.product_id
                    );
                }
                self.stale = true;
            }
            LinkState::Connecting => panic!("update {n}: inventory still connecting"),
        }
    }

    /// Reads plan updates until the inventory is in `state` in one, within
    /// `limit`.
    async fn until_inventory(&mut self, state: LinkState, limit: Duration) -> PlanUpdate {
        let deadline = Instant::now() + limit;
        loop {
            let update = self.next().await;
            if self.inventory().state == state {
                return update;
            }
            assert!(
                Instant::now() < deadline,
                "inventory not {state:?} within {limit:?}: {:?}",
                self.inventory()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_soak_refresh_under_writes_and_bounces() {
    let test = "postgres_soak";
    let Some(setup) = Setup::new(test, [Db::Postgres; 4]).await else {
        return;
    };
    let secs: u64 = std::env::var("BUYERDESK_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let products = 100;
    buyerdesk::demo::seed(&setup.admin_config, products, 7, false, false)
        .await
        .unwrap();
    let admin = std::env::var("BUYERDESK_TEST_POSTGRES_URL").unwrap();
    let server = sqlx::PgPool::connect(&admin).await.unwrap();
    let inventory_db = url::Url::parse(&setup.dbs[SourceKind::Inventory as usize].admin_url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    let rows = sqlx::PgPool::connect(&setup.dbs[SourceKind::Inventory as usize].admin_url)
        .await
        .unwrap();
    for (id, reference, _) in WATCHED {
        let found: Vec<(i32,)> =
            sqlx::query_as("SELECT available_qty FROM inventory WHERE product_id = $1")
                .bind(id)
                .fetch_all(&rows)
                .await
                .unwrap();
        assert_eq!(found, vec![(reference as i32,)], "{id}: one inventory row");
    }

    let store = Store::open(&setup.config).await.unwrap();
    let (tx, rx) = live::spawn(
        setup.config.clone(),
        RuleSet::embedded(),
        store,
        Duration::from_millis(300),
    );
    let writes = Arc::new(Writes::default());
    let mut observer = Observer {
        rx,
        writes: Arc::clone(&writes),
        sources: Vec::new(),
        seen: 0,
        stale: false,
        updates: 0,
        stale_updates: 0,
        products,
    };
    let first = observer.next().await;
    assert!(
        first.full && first.plans.len() == products,
        "{test}: first plans"
    );

    // The writer: one statement changes both watched rows; holding `pause`
    // stops it between two writes.
    let pause = Arc::new(tokio::sync::Mutex::new(()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (pause, stop, writes, rows) = (
            Arc::clone(&pause),
            Arc::clone(&stop),
            Arc::clone(&writes),
            rows.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                {
                    let _writing = pause.lock().await;
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let i = writes.begun.fetch_add(1, Ordering::SeqCst) + 1;
                    let sql = format!(
                        "UPDATE inventory SET available_qty = CASE product_id WHEN '{}' THEN {} ELSE {} END, updated_at = CURRENT_TIMESTAMP WHERE product_id IN ('{}', '{}')",
                        WATCHED[0].0,
                        value_of(0, i),
                        value_of(1, i),
                        WATCHED[0].0,
                        WATCHED[1].0
                    );
                    rows.execute(sql.as_str())
                        .await
                        .unwrap_or_else(|e| panic!("write {i}: {e}"));
                    writes.committed_at.lock().unwrap().push(Local::now());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // Warm-up: a few refreshes under writes, then the memory baseline.
    for _ in 0..10 {
        observer.next().await;
    }
    let rss_start = rss_kib();
    let started = Instant::now();
    let mut bounces = 0;
    while started.elapsed() < Duration::from_secs(secs) {
        // Writes under refreshes.
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            observer.next().await;
        }
        // The writer pauses: the next refresh that begins shows exactly
        // its last write.
        let paused = pause.lock().await;
        let last = writes.last();
        observer.next().await;
        observer.next().await;
        assert_eq!(
            observer.seen, last,
            "{test}: after the writer paused, PROD-001 shows write {} instead of the last, {last}",
            observer.seen
        );

        // The inventory source goes away.
        let by_connections = bounces % 2 == 1;
        if by_connections {
            server
                .execute(format!("ALTER DATABASE {inventory_db} ALLOW_CONNECTIONS false").as_str())
                .await
                .unwrap();
            server
                .execute(format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{inventory_db}' AND pid <> pg_backend_pid()").as_str())
                .await
                .unwrap();
        } else {
            rows.execute("ALTER TABLE inventory RENAME TO inventory_bounced")
                .await
                .unwrap();
        }
        let down = observer
            .until_inventory(LinkState::Down, Duration::from_secs(30))
            .await;
        let p1 = down
            .plans
            .iter()
            .find(|p| &*p.product_id == WATCHED[0].0)
            .expect("PROD-001 in the stale update");
        assert_eq!(
            p1.available_qty,
            Some(value_of(0, last) as f64),
            "{test}: the last good inventory data is kept while it is down"
        );
        let error = observer.inventory().error.clone().unwrap_or_default();
        assert!(error.contains("inventory source"), "{test}: {error}");
        // Down for a few more refreshes.
        for _ in 0..3 {
            observer.next().await;
        }

        // Back again.
        if by_connections {
            server
                .execute(format!("ALTER DATABASE {inventory_db} ALLOW_CONNECTIONS true").as_str())
                .await
                .unwrap();
        } else {
            rows.execute("ALTER TABLE inventory_bounced RENAME TO inventory")
                .await
                .unwrap();
        }
        observer
            .until_inventory(LinkState::Up, Duration::from_secs(30))
            .await;
        assert_eq!(observer.seen, last, "{test}: back up with the same data");
        bounces += 1;
        drop(paused);
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.expect("the writer did not panic");
    // A last refresh sees the final write.
    let last = writes.last();
    observer.next().await;
    observer.next().await;
    assert_eq!(observer.seen, last, "{test}: the final write is shown");
    let rss_end = rss_kib();
    drop(tx);
    rows.close().await;
    server.close().await;

    eprintln!(
        "{test}: {:.0} s, {} plan updates, {} writes, {bounces} bounces ({} stale periods), VmRSS {} KiB after warm-up, {} KiB at the end",
        started.elapsed().as_secs_f64(),
        observer.updates,
        last,
        observer.stale_updates,
        rss_start.map_or("?".into(), |v| v.to_string()),
        rss_end.map_or("?".into(), |v| v.to_string()),
    );
    assert!(bounces >= 1, "{test}: at least one bounce");
    if let (Some(a), Some(b)) = (rss_start, rss_end) {
        assert!(
            b < a + 50 * 1024,
            "{test}: resident memory grew from {a} KiB to {b} KiB"
        );
    }
}

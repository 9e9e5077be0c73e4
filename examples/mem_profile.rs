//! What the screen process holds, for a heap profiler: the live task on the
//! products of `cargo bench --bench refresh` (seeded by that bench, not
//! here), the screen's `App` applying the first plans and `ROUNDS` refreshes
//! (default 2) where 1% of the inventory changed. Uses the system allocator
//! (not mimalloc), so that heaptrack or valgrind see every allocation:
//!
//!     cargo build --release --example mem_profile
//!     heaptrack target/release/examples/mem_profile
//!
//! Also prints the sizes of the per-product types.

use std::time::Duration;

use buyerdesk::config::{Config, FileConfig, SourceKind};
use buyerdesk::live::{self, LiveCommand, LiveEvent, PlanUpdate};
use buyerdesk::plan::inputs::{HistoryStats, InventoryRow, OmsRow, SupplierRow, UomRow};
use buyerdesk::plan::{Num, ProductInputs, ProductPlan, Rationale};
use buyerdesk::sources::{Access, Source};
use buyerdesk::store::Store;
use buyerdesk::tui::App;
use sqlx::Executor;
use tokio::sync::mpsc::UnboundedReceiver;

fn config() -> Config {
    let admin = std::env::var("BUYERDESK_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut file = FileConfig::default();
    for kind in SourceKind::SOURCES {
        let mut u = url::Url::parse(&admin).unwrap();
        u.set_path(&format!("buyerdesk_bench_{}", kind.name()));
        let s = file.source_mut(kind);
        s.url = Some(u.to_string());
        s.query_timeout_secs = 300.0;
    }
    Config {
        file,
        origin: "mem_profile".into(),
        data_dir: std::env::temp_dir().join("buyerdesk-mem-profile"),
    }
}

async fn next_plans(rx: &mut UnboundedReceiver<LiveEvent>, app: &mut App) -> PlanUpdate {
    loop {
        match rx.recv().await.expect("the live task runs") {
            LiveEvent::Sources(s) => app.apply_sources(s),
            LiveEvent::Plans(p) => return p,
            LiveEvent::History { .. } => {}
        }
    }
}

fn main() {
    use std::mem::size_of;
    println!("size_of: Num {}, Option<Num> {}, OmsRow {}, HistoryStats {}, InventoryRow {}, SupplierRow {}, UomRow {}, ProductInputs {}, ProductPlan {}, Rationale {}",
        size_of::<Num>(), size_of::<Option<Num>>(), size_of::<OmsRow>(), size_of::<HistoryStats>(),
        size_of::<InventoryRow>(), size_of::<SupplierRow>(), size_of::<UomRow>(),
        size_of::<ProductInputs>(), size_of::<ProductPlan>(), size_of::<Rationale>());
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let config = config();
        let inventory = Source::connect(&config.resolve(SourceKind::Inventory).unwrap(), Access::ReadWrite)
            .await
            .unwrap();
        let store = Store::open(&config).await.expect("purchasing store");
        let rules = buyerdesk::app::load_rules(&config, None).unwrap();
        let (tx, mut rx) = live::spawn(config.clone(), rules, store, Duration::from_secs(3600));
        let mut app = App::waiting();
        let first = next_plans(&mut rx, &mut app).await;
        println!("{} products", first.plans.len());
        app.apply_update(first);
        for round in 0..rounds {
            inventory
                .execute(&format!(
                    "UPDATE inventory SET available_qty = available_qty + 1, updated_at = now() \
                     WHERE abs(hashtext(product_id)) % 100 = {}",
                    round % 100
                ))
                .await
                .unwrap();
            tx.send(LiveCommand::Refresh).unwrap();
            let update = next_plans(&mut rx, &mut app).await;
            app.apply_update(update);
        }
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        for l in status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")) {
            println!("{l}");
        }
        drop(tx);
        inventory.close().await;
    });
}

//! What the screen process holds, for a heap profiler: the live task on the
//! products of `cargo bench --bench refresh` (seeded by that bench, not
//! here), the screen's `App` applying the first plans and `ROUNDS` refreshes
//! (default 2) where 1% of the inventory changed. Uses the system allocator
//! (not mimalloc), so that heaptrack or valgrind see every allocation:
//!
//!     cargo build --release --example mem_profile
//!     heaptrack target/release/examples/mem_profile
//!
//! Also prints the sizes of the per-product types, and the resident memory
//! after each step. `MEM_PROFILE_MIMALLOC=1` uses mimalloc instead (as the
//! binary and the benches do), to compare the allocators' resident memory.

use std::time::Duration;

use buyerdesk::config::{Config, FileConfig, SourceKind};
use buyerdesk::live::{self, LiveCommand, LiveEvent, PlanUpdate};
use buyerdesk::plan::inputs::{HistoryStats, InventoryRow, OmsRow, SupplierRow, UomRow};
use buyerdesk::plan::{Num, ProductInputs, ProductPlan, Rationale};
use buyerdesk::sources::{Access, Source};
use buyerdesk::store::Store;
use buyerdesk::tui::App;
use tokio::sync::mpsc::UnboundedReceiver;

/// The system allocator, or mimalloc with `MEM_PROFILE_MIMALLOC=1`: chosen
/// at the first allocation (before `main`, on one thread), then fixed.
struct Switch;

static CHOICE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

fn use_mimalloc() -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    match CHOICE.load(Relaxed) {
        0 => {
            // SAFETY: getenv with a NUL-terminated name; it does not allocate.
            let set = unsafe { !libc::getenv(c"MEM_PROFILE_MIMALLOC".as_ptr()).is_null() };
            CHOICE.store(if set { 2 } else { 1 }, Relaxed);
            set
        }
        c => c == 2,
    }
}

// SAFETY: every call goes to the one allocator chosen before the first
// allocation, so each block is freed by the allocator that made it.
unsafe impl std::alloc::GlobalAlloc for Switch {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if use_mimalloc() {
            mimalloc::MiMalloc.alloc(layout)
        } else {
            std::alloc::System.alloc(layout)
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if use_mimalloc() {
            mimalloc::MiMalloc.dealloc(ptr, layout)
        } else {
            std::alloc::System.dealloc(ptr, layout)
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        if use_mimalloc() {
            mimalloc::MiMalloc.realloc(ptr, layout, size)
        } else {
            std::alloc::System.realloc(ptr, layout, size)
        }
    }
}

#[global_allocator]
static GLOBAL: Switch = Switch;

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

fn memory(when: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |field: &str| {
        (status.lines().find(|l| l.starts_with(field)))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    println!(
        "{when}: VmRSS {} MB, VmHWM {} MB",
        kb("VmRSS:"),
        kb("VmHWM:")
    );
}

async fn next_plans(rx: &mut UnboundedReceiver<LiveEvent>, app: &mut App) -> PlanUpdate {
    loop {
        match rx.recv().await.expect("the live task runs") {
            LiveEvent::Sources(s) => app.apply_sources(s),
            LiveEvent::Plans(p) => return p,
            LiveEvent::History { .. } | LiveEvent::Forecasts(_) => {}
        }
    }
}

fn main() {
    use std::mem::size_of;
    buyerdesk::disable_transparent_huge_pages();
    println!("size_of: Num {}, Option<Num> {}, OmsRow {}, HistoryStats {}, InventoryRow {}, SupplierRow {}, UomRow {}, ProductInputs {}, ProductPlan {}, Rationale {}",
        size_of::<Num>(), size_of::<Option<Num>>(), size_of::<OmsRow>(), size_of::<HistoryStats>(),
        size_of::<InventoryRow>(), size_of::<SupplierRow>(), size_of::<UomRow>(),
        size_of::<ProductInputs>(), size_of::<ProductPlan>(), size_of::<Rationale>());
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = config();
        let inventory = Source::connect(
            &config.resolve(SourceKind::Inventory).unwrap(),
            Access::ReadWrite,
        )
        .await
        .unwrap();
        let store = Store::open(&config).await.expect("purchasing store");
        let rules = buyerdesk::live::load_rules(&config, None).unwrap();
        let (tx, mut rx) = live::spawn(config.clone(), rules, store, Duration::from_secs(3600));
        let mut app = App::waiting();
        let first = next_plans(&mut rx, &mut app).await;
        println!("{} products", first.plans.len());
        memory("first plans made");
        app.apply_update(first);
        memory("first plans applied");
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
            memory(&format!("round {round} planned"));
            app.apply_update(update);
        }
        memory("end");
        drop(tx);
        inventory.close().await;
    });
}

//! A refresh of 100,000 demo products in PostgreSQL where 1% of the
//! inventory rows changed (issue 7, target 150 ms), run as the screen runs
//! it: the live task (`live::spawn`) reads every source, diffs with the last
//! snapshot and plans what changed; the screen's state (`App`) applies each
//! update. Then the peak memory (VmHWM) of the process, which holds what
//! the screen process holds: the live task's snapshot and the screen's
//! plans.
//!
//! Needs a PostgreSQL server: BUYERDESK_BENCH_POSTGRES_URL (an admin URL,
//! default postgres://postgres@127.0.0.1:5432/postgres); uses (and seeds
//! once) the databases of `cargo bench --bench plan`. Each round updates
//! 1% of the inventory rows (available_qty + 1, updated_at = now), asks for
//! a refresh and times it: "load" and "plan" as the live task measured
//! them (refresh start to plans ready), "apply" on the screen's side.
//! BUYERDESK_BENCH_ROUNDS (default 9) rounds; medians are printed. The
//! rounds come back to back, so each changed-rows read also returns the
//! earlier rounds' rows still within its 60 s margin (round k reads about
//! (k + 1)% of the rows, as a steady 1% per 15 s refresh interval would);
//! BUYERDESK_BENCH_PAUSE_SECS=61 waits that long between rounds, so that
//! each reads only its own 1%.
//! RUST_LOG=buyerdesk=info prints the live task's log lines (the parts of
//! each refresh's planning time); BUYERDESK_NO_FINGERPRINTS=1 reads every
//! source whole on every refresh, as before fingerprints.
//!
//! Forecasts run in the background as on the screen (issue 21);
//! BUYERDESK_NO_BACKGROUND_FORECASTS=1 turns them off, for a comparison.
//! BUYERDESK_BENCH_HISTORY_DAYS=91 seeds (once) databases with the last 91
//! days of daily history only (default 730: 46 million rows at 100,000).
//!
//!     cargo bench --bench refresh

mod common;

use std::time::{Duration, Instant};

use buyerdesk::config::{Config, SourceKind};
use buyerdesk::live::{self, LiveCommand, LiveEvent, PlanUpdate};
use buyerdesk::sources::{Access, Source};
use buyerdesk::store::Store;
use buyerdesk::tui::App;
use common::{env_usize, median, BenchDatabases, Server};
use tokio::sync::mpsc::UnboundedReceiver;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn bench_config() -> Config {
    BenchDatabases {
        server: Server::Postgres,
        size: None,
        query_timeout_secs: 300.0,
        origin: "bench",
        data_dir: "buyerdesk-bench-refresh",
    }
    .config()
    .await
}

async fn ensure_seeded(config: &Config, want: usize) {
    if let Some(took) = common::ensure_seeded(Server::Postgres, config, want).await {
        eprintln!("seeded in {:.1} s", took.as_secs_f64());
    }
}

async fn next_plans(rx: &mut UnboundedReceiver<LiveEvent>, app: &mut App) -> PlanUpdate {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(300), rx.recv())
            .await
            .expect("plans within 300 s")
            .expect("the live task runs");
        match event {
            LiveEvent::Sources(s) => app.apply_sources(s),
            LiveEvent::Plans(p) => return p,
            LiveEvent::History { .. } | LiveEvent::Forecasts(_) => {}
        }
    }
}

fn main() {
    buyerdesk::disable_transparent_huge_pages();
    // The live task's own log lines (where a refresh's time went) on
    // stderr, e.g. RUST_LOG=buyerdesk=info.
    common::log_to_stderr_from_env();
    let products = env_usize("BUYERDESK_BENCH_PRODUCTS", 100_000);
    let rounds = env_usize("BUYERDESK_BENCH_ROUNDS", 9);
    let pause = Duration::from_secs(env_usize("BUYERDESK_BENCH_PAUSE_SECS", 0) as u64);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = bench_config().await;
        ensure_seeded(&config, products).await;
        let inventory = Source::connect(
            &config.resolve(SourceKind::Inventory).unwrap(),
            Access::ReadWrite,
        )
        .await
        .unwrap();
        let store = Store::open(&config).await.expect("purchasing store");
        let rules = live::load_rules(&config, None).unwrap();
        let (tx, mut rx) = live::spawn(config.clone(), rules, store, Duration::from_secs(3600));
        let mut app = App::waiting();
        let t = Instant::now();
        let first = next_plans(&mut rx, &mut app).await;
        let n = first.plans.len();
        eprintln!(
            "first plans: {n} products in {:.0} ms (load {} ms, plan {} ms)",
            t.elapsed().as_secs_f64() * 1e3,
            first.load.as_millis(),
            first.planning.as_millis()
        );
        app.apply_update(first);
        let (mut loads, mut plans, mut totals, mut applies, mut walls) =
            (vec![], vec![], vec![], vec![], vec![]);
        let mut forecast_replans = 0;
        let forecasting = live::forecasting::background_forecasts_on();
        eprintln!(
            "forecasts in the background: {} ({} days of daily history; BUYERDESK_NO_BACKGROUND_FORECASTS=1 turns them off)",
            if forecasting { "on" } else { "off" },
            common::history_days()
        );
        for round in 0..rounds {
            if round > 0 && pause > Duration::ZERO {
                tokio::time::sleep(pause).await;
            }
            // 1% of the rows: those whose hash falls in this round's bucket.
            inventory
                .execute(&format!(
                    "UPDATE inventory SET available_qty = available_qty + 1, updated_at = now() \
                     WHERE abs(hashtext(product_id)) % 100 = {}",
                    round % 100
                ))
                .await
                .unwrap();
            let wall = Instant::now();
            tx.send(LiveCommand::Refresh).unwrap();
            // Re-plans for forecasts stored in the background (no source
            // read: `load` 0) are applied as the screen applies them, not
            // counted as the refresh.
            let update = loop {
                let u = next_plans(&mut rx, &mut app).await;
                if !u.load.is_zero() {
                    break u;
                }
                forecast_replans += 1;
                app.apply_update(u);
            };
            let changed = update.changed;
            let (load, planning) = (update.load, update.planning);
            let a = Instant::now();
            app.apply_update(update);
            let apply = a.elapsed();
            let wall = wall.elapsed();
            eprintln!(
                "round {round}: {changed} changed, load {:.1} ms, plan {:.1} ms, \
                 load+plan {:.1} ms, apply {:.1} ms, refresh asked to applied {:.1} ms",
                load.as_secs_f64() * 1e3,
                planning.as_secs_f64() * 1e3,
                (load + planning).as_secs_f64() * 1e3,
                apply.as_secs_f64() * 1e3,
                wall.as_secs_f64() * 1e3,
            );
            loads.push(load.as_secs_f64() * 1e3);
            plans.push(planning.as_secs_f64() * 1e3);
            totals.push((load + planning).as_secs_f64() * 1e3);
            applies.push(apply.as_secs_f64() * 1e3);
            walls.push(wall.as_secs_f64() * 1e3);
        }
        println!(
            "refresh of {n} products, 1% of inventory rows changed, {rounds} rounds, medians:"
        );
        println!("  load (read the sources)          {:.1} ms", median(loads));
        println!("  plan (diff, join, plan changed)  {:.1} ms", median(plans));
        println!(
            "  refresh start to plans ready     {:.1} ms",
            median(totals)
        );
        println!(
            "  apply on the screen's state      {:.1} ms",
            median(applies)
        );
        println!("  refresh asked to applied (wall)  {:.1} ms", median(walls));
        println!(
            "forecasts in the background: {}; {forecast_replans} re-plans for stored forecasts applied between the rounds",
            if forecasting { "on" } else { "off" }
        );
        if let Some(mb) = common::memory_kb("VmRSS:").map(common::mb) {
            println!(
                "resident memory with the live snapshot and the screen's plans (VmRSS): {mb:.0} MB"
            );
        }
        if let Some(mb) = common::peak_rss_kb().map(common::mb) {
            println!("peak RSS of the process (VmHWM): {mb:.0} MB");
        }
        drop(tx);
        inventory.close().await;
    });
}

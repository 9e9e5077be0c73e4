//! One key-to-frame cycle of the buyer's screen on 100,000 demo products:
//! the key to its action, the update of the state and the drawing of the
//! frame, as the terminal loop does for every key (issue 3, target 16 ms).
//!
//! No database: the demo rows (`demo::generate`, SQLite flavour) are
//! planned in memory with the embedded rules, then drawn into ratatui's
//! `TestBackend` (which keeps the frame in memory; writing it to a real
//! terminal is not measured). BUYERDESK_BENCH_PRODUCTS overrides the count.
//! Each case runs at 120x40 and at 80x24. Then a refresh arriving: 1% and
//! all of the plans applied and drawn, and a key while a refresh is planned
//! on another core. Peak memory (VmHWM) is printed at the end.
//!
//! BUYERDESK_BENCH_BACKGROUND_FORECASTS=1 runs forecasts in the background
//! all along, as the live task's forecaster does after a refresh (issue 21:
//! keys and refreshes unchanged with forecasts running): batches of
//! `live::forecasting::BATCH` demo products, their daily history
//! (BUYERDESK_BENCH_HISTORY_DAYS days of it, default 730) generated in
//! memory, forecast by `compute_batch` on `forecast_threads()` threads (every
//! core) at the forecaster's idle priority, round after round until the
//! bench ends.
//!
//!     cargo bench --bench tui
//!     BUYERDESK_BENCH_BACKGROUND_FORECASTS=1 cargo bench --bench tui
//!     BUYERDESK_BENCH_BACKGROUND_FORECASTS=1 BUYERDESK_BENCH_FORECAST_THREADS=1 \
//!         cargo bench --bench tui    # one thread at nice 10, as before

mod common;

use std::time::{Duration, Instant};

use buyerdesk::demo;
use buyerdesk::live::{PlanUpdate, TextRanks};
use buyerdesk::plan::{self, PlanContext, RuleSet};
use buyerdesk::sources::Backend;
use buyerdesk::tui::{keys, view, App, QuickFilter};
use buyerdesk::tui::{Action, Column};
use criterion::{criterion_group, BenchmarkGroup, Criterion, SamplingMode};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn products() -> usize {
    common::env_usize("BUYERDESK_BENCH_PRODUCTS", 100_000)
}

/// The ranks by name and supplier the live task makes with the plans;
/// none with BUYERDESK_BENCH_NO_RANKS=1 (the screen then ranks texts
/// itself at each sort, as before issue 7).
fn ranked(plans: &[buyerdesk::plan::ProductPlan]) -> Option<std::sync::Arc<TextRanks>> {
    let off = std::env::var("BUYERDESK_BENCH_NO_RANKS").is_ok_and(|v| v == "1");
    (!off).then(|| std::sync::Arc::new(TextRanks::of(plans)))
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// What the terminal loop does for one key: action, update, one frame.
fn cycle(app: &mut App, terminal: &mut Terminal<TestBackend>, key: KeyEvent) {
    if let Some(action) = keys::action_for(app, key) {
        app.update(action);
    }
    terminal.draw(|f| view::draw(f, app)).expect("draw");
}

/// `iters` presses of `key`, each followed by an unmeasured `undo` key
/// that puts the screen back as it was: the time of the presses alone.
fn press_and_undo(
    app: &mut App,
    terminal: &mut Terminal<TestBackend>,
    iters: u64,
    press: KeyCode,
    undo: KeyCode,
) -> Duration {
    let mut measured = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        cycle(app, terminal, key(press));
        measured += start.elapsed();
        cycle(app, terminal, key(undo));
    }
    measured
}

/// Back to the first screen: all products, default order, first selected.
fn reset(app: &mut App, terminal: &mut Terminal<TestBackend>) {
    app.filter.clear();
    app.filter_editing = false;
    app.quick = QuickFilter::All;
    app.detail_open = false;
    app.detail_scroll = 0;
    app.sort = (Column::Exceptions, false);
    app.rebuild_view();
    app.selected = 0;
    app.offset = 0;
    terminal.draw(|f| view::draw(f, app)).expect("draw");
}

/// The product with the longest rationale among those with an order: the
/// most rules fired, then the most exceptions.
fn rich_product(app: &App) -> usize {
    (0..app.view.len())
        .max_by_key(|&k| {
            let p = &app.plans[app.view[k]];
            (p.needs_order(), p.rules_fired.len(), p.exceptions.len())
        })
        .expect("products")
}

fn cases(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    app: &mut App,
    size: (u16, u16),
) {
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).expect("terminal");
    let last = |app: &App| app.view.len().saturating_sub(1);

    reset(app, &mut terminal);
    g.bench_function("down", |b| {
        b.iter(|| {
            if app.selected >= last(app) {
                app.selected = 0;
            }
            cycle(app, &mut terminal, key(KeyCode::Down));
        })
    });

    reset(app, &mut terminal);
    g.bench_function("page_down", |b| {
        b.iter(|| {
            if app.selected + app.page >= last(app) {
                app.selected = 0;
            }
            cycle(app, &mut terminal, key(KeyCode::PageDown));
        })
    });

    // '8' from the default order re-sorts all products; the '0' back to
    // the default order is not measured (pressing '8' again would only
    // reverse the order).
    reset(app, &mut terminal);
    assert_eq!(
        keys::action_for(app, key(KeyCode::Char('8'))),
        Some(Action::SortBy(Column::Order))
    );
    g.bench_function("sort_by_order", |b| {
        b.iter_custom(|iters| {
            press_and_undo(
                app,
                &mut terminal,
                iters,
                KeyCode::Char('8'),
                KeyCode::Char('0'),
            )
        })
    });
    assert_eq!(
        app.sort,
        (Column::Exceptions, false),
        "'0' restores the default order"
    );

    // A text column: '3' sorts by supplier (ten names, so mostly ties).
    assert_eq!(
        keys::action_for(app, key(KeyCode::Char('3'))),
        Some(Action::SortBy(Column::Supplier))
    );
    g.bench_function("sort_by_supplier", |b| {
        b.iter_custom(|iters| {
            press_and_undo(
                app,
                &mut terminal,
                iters,
                KeyCode::Char('3'),
                KeyCode::Char('0'),
            )
        })
    });

    // '2' sorts by name: a text column of mostly distinct texts.
    assert_eq!(
        keys::action_for(app, key(KeyCode::Char('2'))),
        Some(Action::SortBy(Column::Name))
    );
    g.bench_function("sort_by_name", |b| {
        b.iter_custom(|iters| {
            press_and_undo(
                app,
                &mut terminal,
                iters,
                KeyCode::Char('2'),
                KeyCode::Char('0'),
            )
        })
    });

    // The first character of a filter: 's' is in every id (SKU-...), so
    // every product is matched and sorted again, the worst case. The
    // backspace that empties the filter again is not measured.
    reset(app, &mut terminal);
    cycle(app, &mut terminal, key(KeyCode::Char('/')));
    assert!(app.filter_editing, "'/' opens the filter prompt");
    g.bench_function("filter_first_char", |b| {
        b.iter_custom(|iters| {
            press_and_undo(
                app,
                &mut terminal,
                iters,
                KeyCode::Char('s'),
                KeyCode::Backspace,
            )
        })
    });
    assert_eq!(app.filter, "", "the filter is emptied after each press");

    // Enter on a product with a long rationale, from the list; the Esc
    // back to the list is not measured.
    reset(app, &mut terminal);
    app.selected = rich_product(app);
    cycle(app, &mut terminal, key(KeyCode::Enter));
    assert!(app.detail_open, "Enter opens the detail pane");
    cycle(app, &mut terminal, key(KeyCode::Esc));
    g.bench_function("open_detail", |b| {
        b.iter_custom(|iters| {
            press_and_undo(app, &mut terminal, iters, KeyCode::Enter, KeyCode::Esc)
        })
    });

    // Down in the open detail scrolls the rationale a line; at the end it
    // starts again from the top.
    cycle(app, &mut terminal, key(KeyCode::Enter));
    assert!(app.detail_open, "Enter opens the detail pane");
    g.bench_function("detail_scroll_down", |b| {
        let mut before = u16::MAX;
        b.iter(|| {
            if app.detail_scroll == before {
                app.detail_scroll = 0;
            }
            before = app.detail_scroll;
            cycle(app, &mut terminal, key(KeyCode::Down));
        })
    });
}

/// A refresh arriving while the screen runs: its plans applied (changed
/// cells noted, the list sorted again) and the frame drawn; and a key while
/// a refresh is planned on the other core.
fn refresh_cases(c: &mut Criterion, app: &mut App, inputs: &[std::sync::Arc<plan::ProductInputs>]) {
    let n = app.plans.len();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    reset(app, &mut terminal);
    let mut g = c.benchmark_group(format!("refresh_{n}_products_120x40"));
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    // The names do not change in these updates: ranked once.
    let ranks = ranked(&app.plans);
    let update = |plans: Vec<buyerdesk::plan::ProductPlan>, full: bool| PlanUpdate {
        started: chrono::Local::now(),
        full,
        changed: plans.len(),
        plans,
        removed: Vec::new(),
        load: Duration::ZERO,
        planning: Duration::ZERO,
        // Made by the live task with the plans, off the screen's thread.
        ranks: ranks.clone(),
    };
    // 1% of the products changed: their stock went up by one.
    let step = 100;
    let mut bump = 0.0;
    g.bench_function("apply_1_percent", |b| {
        b.iter_custom(|iters| {
            let mut measured = Duration::ZERO;
            for _ in 0..iters {
                bump += 1.0;
                let plans = app
                    .plans
                    .iter()
                    .step_by(step)
                    .map(|p| {
                        let mut p = p.clone();
                        p.available_qty = p.available_qty.map(|a| a + bump).into();
                        p
                    })
                    .collect();
                let u = update(plans, false);
                let start = Instant::now();
                app.apply_update(u);
                terminal.draw(|f| view::draw(f, app)).expect("draw");
                measured += start.elapsed();
            }
            measured
        })
    });
    // Every product replaced (a source went stale or came back).
    g.bench_function("apply_all", |b| {
        b.iter_custom(|iters| {
            let mut measured = Duration::ZERO;
            for _ in 0..iters {
                let u = update(app.plans.clone(), true);
                // Refreshes come seconds apart: the list replaced by the
                // last one is freed (on a thread of its own) before the
                // next arrives. Back to back, that freeing took the second
                // core from the measured apply.
                std::thread::sleep(Duration::from_millis(150));
                let start = Instant::now();
                app.apply_update(u);
                terminal.draw(|f| view::draw(f, app)).expect("draw");
                measured += start.elapsed();
            }
            measured
        })
    });
    // Down in the list while another thread plans every product again,
    // as the background refresh does (on all but one core).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let planner = {
        let stop = std::sync::Arc::clone(&stop);
        let inputs = inputs.to_vec();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .saturating_sub(1)
            .max(1);
        std::thread::spawn(move || {
            let rules = RuleSet::embedded();
            let mut rounds = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let plans = plan::plan_all_on(&inputs, &PlanContext::default(), &rules, threads);
                std::hint::black_box(plans);
                rounds += 1;
            }
            rounds
        })
    };
    reset(app, &mut terminal);
    g.bench_function("down_while_planning", |b| {
        b.iter(|| {
            if app.selected + 1 >= app.view.len() {
                app.selected = 0;
            }
            cycle(app, &mut terminal, key(KeyCode::Down));
        })
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds = planner.join().expect("planner");
    eprintln!("{rounds} background plans of {n} products ran during down_while_planning");
    g.finish();
}

/// Forecasts computed in the background until `stop`: the forecaster's
/// work (`compute_batch`, one batch of `BATCH` products at a time, on
/// `forecast_threads()` threads at idle priority) over the demo's
/// products with history, round after round. Returns the forecasts made.
fn background_forecasts(
    jobs: Vec<demo::HistoryJob>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<usize> {
    use buyerdesk::live::forecasting::{compute_batch, forecast_threads, Job, Priority, BATCH};
    let days = common::history_days();
    // BUYERDESK_BENCH_FORECAST_THREADS=1: the forecaster before issue 21's
    // fourth session (one thread, all cores but the screen's, nice 10),
    // for the comparison in docs/BENCHMARKS.md.
    let (threads, priority) = match std::env::var("BUYERDESK_BENCH_FORECAST_THREADS") {
        Ok(n) => (n.parse().expect("a number of threads"), Priority::Low),
        Err(_) => (forecast_threads(), Priority::Idle),
    };
    eprintln!("background forecasts on {threads} threads at {priority:?} priority");
    std::thread::spawn(move || {
        let mut made = 0;
        'rounds: loop {
            for batch in jobs.chunks(BATCH) {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break 'rounds;
                }
                // The series as the OMS query hands them over: the last
                // `days` days.
                let series: std::collections::HashMap<String, buyerdesk::forecast::DailySeries> =
                    batch
                        .iter()
                        .map(|j| {
                            let mut s = demo::history_for(
                                demo::DEFAULT_SEED,
                                &j.product_id,
                                j.avg_daily_demand,
                                j.trend,
                            );
                            let skip = s.qty.len().saturating_sub(days);
                            if skip > 0 {
                                let first =
                                    chrono::NaiveDate::parse_from_str(&s.first_day, "%Y-%m-%d")
                                        .expect("a day")
                                        + chrono::Duration::days(skip as i64);
                                s.first_day = first.format("%Y-%m-%d").to_string();
                                s.qty.drain(..skip);
                            }
                            (j.product_id.clone(), s)
                        })
                        .filter(|(_, s)| !s.qty.is_empty())
                        .collect();
                let work: Vec<Job> = batch
                    .iter()
                    .map(|j| Job {
                        product_id: j.product_id.clone(),
                        horizon: 14,
                        fingerprint: String::new(),
                        oms_average: Some(j.avg_daily_demand),
                    })
                    .collect();
                made += std::hint::black_box(compute_batch(
                    &work,
                    &series,
                    threads,
                    priority,
                    &Default::default(),
                ))
                .len();
            }
        }
        made
    })
}

fn key_to_frame(c: &mut Criterion) {
    let n = products();
    let start = Instant::now();
    let demo_rows = demo::generate(n, demo::DEFAULT_SEED, Backend::Sqlite);
    let forecasting = std::env::var("BUYERDESK_BENCH_BACKGROUND_FORECASTS").is_ok_and(|v| v == "1");
    let stop_forecasts = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let forecaster = forecasting.then(|| {
        eprintln!(
            "forecasts running in the background: {} products with {} days of history",
            demo_rows.history.len(),
            common::history_days()
        );
        background_forecasts(
            demo_rows.history.clone(),
            std::sync::Arc::clone(&stop_forecasts),
        )
    });
    let rows = demo_rows.into_source_rows();
    let inputs = plan::join(rows);
    let plans = plan::plan_all(&inputs, &PlanContext::default(), &RuleSet::embedded());
    let mut app = App::new(plans);
    app.ranks = ranked(&app.plans);
    eprintln!(
        "{} products planned in {:.1} s (not measured)",
        app.plans.len(),
        start.elapsed().as_secs_f64()
    );
    for (w, h) in [(120, 40), (80, 24)] {
        let mut g = c.benchmark_group(format!("tui_{n}_products_{w}x{h}"));
        g.sampling_mode(SamplingMode::Flat)
            .sample_size(20)
            .measurement_time(Duration::from_secs(4))
            .warm_up_time(Duration::from_secs(1));
        cases(&mut g, &mut app, (w, h));
        g.finish();
    }
    refresh_cases(c, &mut app, &inputs);
    drop(inputs);
    if let Some(f) = forecaster {
        stop_forecasts.store(true, std::sync::atomic::Ordering::Relaxed);
        let made = f.join().expect("the background forecasts");
        println!(
            "{made} forecasts made in the background during the benchmark ({:.0} s)",
            start.elapsed().as_secs_f64()
        );
    }
    if let Some(mb) = common::memory_kb("VmRSS:").map(common::mb) {
        println!("resident memory with the screen's state (VmRSS): {mb:.0} MB");
    }
    if let Some(mb) = common::peak_rss_kb().map(common::mb) {
        println!("peak RSS of the benchmark process (VmHWM): {mb:.0} MB");
    }
}

criterion_group!(benches, key_to_frame);

fn main() {
    buyerdesk::disable_transparent_huge_pages();
    benches();
    Criterion::default().configure_from_args().final_summary();
}

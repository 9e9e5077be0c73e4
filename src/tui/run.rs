//! The terminal loop: one tokio `select!` over keys, background results
//! (refreshes, store answers, history), a clock and the signals. Draws are
//! coalesced (every ready message is handled before one draw), wrapped in
//! synchronized updates, and made only when something changed. The terminal
//! is restored on quit, on SIGTERM/SIGHUP/SIGINT, and on panic; Ctrl-Z
//! suspends.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::Local;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::crossterm::QueueableCommand;
/// The screen's terminal: crossterm with its size capped
/// (`backend::CappedBackend`).
type ScreenTerminal = ratatui::Terminal<super::backend::CappedBackend<std::io::Stdout>>;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use super::keys::action_for;
use super::view;
use crate::live::{self, LiveCommand, LiveEvent, RulesEvent};
use crate::orders::{Progress, Sender, Skipped};
use crate::plan::ProductPlan;
use crate::store::Store;
use crate::tui::action::Action;
use crate::tui::action::StoreRequest;
use crate::tui::screens::orders::OrderRequest;
use crate::tui::screens::orders::OrdersAnswer;
use crate::tui::screens::orders::PoChange;
use crate::tui::state::App;

/// Raw mode and the alternate screen while it lives; restored on drop, so
/// every way out of the loop (an error included) gives the terminal back.
struct Screen {
    /// Dropped by hand (`Drop for Screen`): ratatui's terminal shows the
    /// cursor when dropped and prints its failure with `eprintln!`, which
    /// panics once the terminal is gone (a dropped SSH link).
    terminal: std::mem::ManuallyDrop<ScreenTerminal>,
}

/// Whether this process holds the terminal (raw mode, alternate screen):
/// it is given back once, so a second restore never moves the cursor of
/// the shell's screen (leaving the alternate screen twice does).
static TERMINAL_TAKEN: AtomicBool = AtomicBool::new(false);

/// Gives the terminal back if this process holds it.
/// Whether the terminal is still there (false once giving it back failed:
/// the SSH link dropped).
fn give_back_terminal() -> bool {
    if TERMINAL_TAKEN.swap(false, Ordering::SeqCst) {
        // Not `ratatui::restore`, which prints its error with `eprintln!`:
        // with the terminal gone (a dropped SSH link) that panics, inside
        // a drop or a panic hook, and the process aborts.
        if let Err(e) = ratatui::try_restore() {
            tracing::warn!("cannot give the terminal back: {e}");
            return false;
        }
    }
    true
}

/// Raw mode and the alternate screen, without ratatui's panic hook (which
/// `Screen::enter` replaces by one that knows the screen's thread).
fn take_terminal() -> ScreenTerminal {
    TERMINAL_TAKEN.store(true, Ordering::SeqCst);
    let taken = ratatui::crossterm::terminal::enable_raw_mode().and_then(|()| {
        ratatui::crossterm::execute!(
            std::io::stdout(),
            ratatui::crossterm::terminal::EnterAlternateScreen
        )
    });
    if let Err(e) = taken {
        tracing::warn!("cannot set up the terminal: {e}");
    }
    ratatui::Terminal::new(super::backend::CappedBackend(
        ratatui::backend::CrosstermBackend::new(std::io::stdout()),
    ))
    .expect("a crossterm terminal never fails to build")
}

impl Screen {
    /// Takes the terminal. A panic on the screen's thread gives it back
    /// before the report is printed; a panic on another thread (the
    /// background task, a planning thread) is logged and printed nowhere:
    /// the screen notices the task is gone and leaves, restoring the
    /// terminal, with a message that names the log.
    fn enter() -> Screen {
        let screen_thread = std::thread::current().id();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == screen_thread {
                give_back_terminal();
                previous(info);
            } else {
                let backtrace = std::backtrace::Backtrace::force_capture();
                tracing::error!("panic: {info}\n{backtrace}");
            }
        }));
        Screen {
            terminal: std::mem::ManuallyDrop::new(take_terminal()),
        }
    }

    /// One frame, sent to the terminal as a single synchronized update so
    /// that a slow link never shows half a frame.
    fn draw(&mut self, app: &mut App) -> Result<()> {
        let mut out = std::io::stdout();
        out.queue(BeginSynchronizedUpdate)?;
        self.terminal.draw(|f| view::draw(f, app))?;
        out.queue(EndSynchronizedUpdate)?;
        out.flush()?;
        Ok(())
    }

    /// Gives the terminal back while `away` runs (the shell after Ctrl-Z,
    /// $EDITOR), then takes it again and redraws from scratch.
    fn away<T>(&mut self, away: impl FnOnce() -> T) -> Result<T> {
        give_back_terminal();
        let result = away();
        let old = std::mem::replace(
            &mut self.terminal,
            std::mem::ManuallyDrop::new(take_terminal()),
        );
        drop(std::mem::ManuallyDrop::into_inner(old));
        self.terminal.clear()?;
        Ok(result)
    }

    /// Ctrl-Z: stops until the shell resumes us.
    fn suspend(&mut self) -> Result<()> {
        self.away(|| {
            // SAFETY: raising a signal on our own process has no memory
            // effects; SIGTSTP's default action stops the process until
            // SIGCONT.
            unsafe {
                libc::raise(libc::SIGTSTP);
            }
        })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if give_back_terminal() {
            // SAFETY: dropped once, here, and never used again.
            unsafe { std::mem::ManuallyDrop::drop(&mut self.terminal) };
        }
        // Else the terminal is gone: its buffers are left to the process's
        // end rather than dropped (its drop would write to the lost
        // terminal and panic).
    }
}

/// Reads keys on a thread of its own (crossterm's reads block) and hands
/// them to the loop; stops when the loop is gone.
fn spawn_input(tx: mpsc::UnboundedSender<Event>, input: Arc<InputControl>) {
    std::thread::spawn(move || {
        while !input.stop.load(Ordering::Relaxed) {
            // Paused while another program ($EDITOR) owns the terminal.
            if input.paused.load(Ordering::Relaxed) {
                input.idle.store(true, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            input.idle.store(false, Ordering::Relaxed);
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => match event::read() {
                    Ok(e) => {
                        if tx.send(e).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!("reading the terminal: {e}");
                        return;
                    }
                },
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!("reading the terminal: {e}");
                    return;
                }
            }
        }
    });
}

/// Stops or pauses the key reader.
#[derive(Default)]
struct InputControl {
    stop: AtomicBool,
    paused: AtomicBool,
    /// The reader saw the pause and reads nothing.
    idle: AtomicBool,
}

/// Runs $VISUAL or $EDITOR (else vi) on the rules file, the screen given
/// back meanwhile and the key reader paused. A missing file is first
/// written with the rules in force. When the editor saves, the live task's
/// watcher validates the file and uses it only without errors.
fn edit_rules_file(
    screen: &mut Screen,
    input: &InputControl,
    path: &std::path::Path,
    rules_in_force: &str,
) -> Result<String> {
    if !path.exists() {
        crate::files::write_atomically(path, rules_in_force.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    input.paused.store(true, Ordering::Relaxed);
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while !input.idle.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let editor = std::env::var("VISUAL")
        .ok()
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    // The variable may hold arguments ("code -w").
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi").to_string();
    let status = screen.away(|| {
        std::process::Command::new(&program)
            .args(words)
            .arg(path)
            .status()
    });
    input.paused.store(false, Ordering::Relaxed);
    let status = status?;
    Ok(match status {
        Ok(s) if s.success() => format!(
            "Back from {program}: {} is checked when saved, used only without errors",
            path.display()
        ),
        Ok(s) => format!("{program} ended with {s}"),
        Err(e) => format!("Could not run {program} ($VISUAL / $EDITOR): {e}"),
    })
}

/// Runs a store request on a task; the answer comes back as an action.
fn send(store: &Store, request: StoreRequest, done: mpsc::UnboundedSender<Action>) {
    let store = store.clone();
    tokio::spawn(async move {
        let (product_id, result) = match request {
            StoreRequest::Set(o, base) => (
                o.product_id.clone(),
                store
                    .save_override(&o, base)
                    .await
                    .map(|saved| Some((o, saved.revision))),
            ),
            StoreRequest::Clear(id, seen) => {
                let base = crate::store::overrides::Base::Seen(seen);
                let cleared = store.clear_override_seen(&id, base).await;
                (id, cleared.map(|_| None))
            }
        };
        // Another workstation's newer change: the screen says who, what and
        // when, and may save over it knowingly.
        let result = match result {
            Err(e) => match e.downcast::<crate::store::overrides::Conflict>() {
                Ok(conflict) => {
                    let _ = done.send(Action::StoreConflict {
                        product_id,
                        conflict,
                    });
                    return;
                }
                Err(e) => Err(e),
            },
            ok => ok,
        };
        let result = result.map_err(|e| format!("{e:#}"));
        if let Err(e) = &result {
            tracing::warn!(product = %product_id, "purchasing store: {e}");
        }
        let _ = done.send(Action::StoreDone { product_id, result });
    });
}

/// What the purchase-order tasks work with.
#[derive(Clone)]
struct OrdersWork {
    config: crate::config::Config,
    store: Store,
    /// Why POs cannot be sent, when the sender could not be set up.
    sender: Result<Sender, String>,
}

/// `[orders] approval_threshold`, read when a PO is edited.
fn threshold(work: &OrdersWork) -> Result<crate::orders::ApprovalThreshold, String> {
    crate::orders::OrdersConfig::read(&work.config.file, &work.config.origin)
        .map(|o| o.approval_threshold)
        .map_err(|e| e.to_string())
}

impl OrdersWork {
    fn new(config: &crate::config::Config, store: &Store) -> OrdersWork {
        OrdersWork {
            config: config.clone(),
            store: store.clone(),
            sender: Sender::new(store.clone(), config).map_err(|e| format!("{e:#}")),
        }
    }
}

/// Forwards a send's progress to the loop, as actions.
fn progress_to(done: &mpsc::UnboundedSender<Action>) -> impl Fn(Progress) + Send + Sync {
    let done = done.clone();
    move |p| {
        let _ = done.send(OrdersAnswer::Progress(p).into());
    }
}

fn error_text(e: anyhow::Error) -> String {
    format!("{e:#}")
}

/// Runs a purchase-order request on a task; the answer comes back as an
/// action. `plans` are the plans on screen of a draft's products.
fn run_order(
    work: &OrdersWork,
    request: OrderRequest,
    plans: Vec<ProductPlan>,
    done: mpsc::UnboundedSender<Action>,
) {
    let work = work.clone();
    tokio::spawn(async move {
        let answer = match request {
            // One after the other, each answered as it finishes (the
            // screen counts them); the last answer is sent below.
            OrderRequest::ApproveAll(numbers) => {
                let mut last = None;
                for number in numbers {
                    if let Some(answer) = last.take() {
                        let _ = done.send(Action::from(answer));
                    }
                    last = Some(OrdersAnswer::Changed {
                        result: work.store.approve(&number).await.map_err(error_text),
                        number,
                        change: PoChange::Approve,
                    });
                }
                let Some(answer) = last else { return };
                answer
            }
            OrderRequest::SendAll(numbers) => {
                let mut last = None;
                for (number, confirmed_total) in numbers {
                    if let Some(answer) = last.take() {
                        let _ = done.send(Action::from(answer));
                    }
                    let result = send_one(&work, &number, confirmed_total, &done).await;
                    if let Err(e) = &result {
                        tracing::warn!(po = %number, "send: {e}");
                    }
                    last = Some(OrdersAnswer::Sent { number, result });
                }
                let Some(answer) = last else { return };
                answer
            }
            OrderRequest::List { request } => OrdersAnswer::Listed {
                request,
                result: work.store.pos(None).await.map_err(error_text),
            },
            OrderRequest::Load { request, number } => {
                let result = async {
                    let po = work.store.po_required(&number).await?;
                    let attempts = work.store.send_attempts(&number).await?;
                    anyhow::Ok((po, attempts))
                }
                .await
                .map_err(error_text);
                OrdersAnswer::Loaded {
                    request,
                    number,
                    result,
                }
            }
            OrderRequest::Draft {
                products,
                allow_stale,
            } => {
                let chosen: Vec<&ProductPlan> = plans.iter().collect();
                let result = crate::orders::drafting::draft_plans_allowing_stale(
                    &work.config,
                    &work.store,
                    &chosen,
                    &allow_stale,
                )
                .await
                .map(|outcome| {
                    let mut skipped = outcome.skipped;
                    // Selected, but gone from the plan since.
                    for id in &products {
                        if !plans.iter().any(|p| *p.product_id == **id) {
                            skipped.push(Skipped {
                                product_id: id.clone(),
                                reason: "not in the plan any more".to_string(),
                            });
                        }
                    }
                    (outcome.created, skipped)
                })
                .map_err(error_text);
                OrdersAnswer::Drafted { products, result }
            }
            OrderRequest::Approve(number) => OrdersAnswer::Changed {
                result: work.store.approve(&number).await.map_err(error_text),
                number,
                change: PoChange::Approve,
            },
            OrderRequest::Cancel(number, even_if_sent) => OrdersAnswer::Changed {
                result: work
                    .store
                    .cancel(&number, even_if_sent)
                    .await
                    .map_err(error_text),
                number,
                change: PoChange::Cancel,
            },
            OrderRequest::EditQty { number, line, qty } => OrdersAnswer::Changed {
                result: match threshold(&work) {
                    Ok(t) => work
                        .store
                        .edit_line_qty(&number, line, qty, crate::orders::QtyUnit::Purchase, &t)
                        .await
                        .map_err(error_text),
                    Err(e) => Err(e),
                },
                number,
                change: PoChange::Edit,
            },
            OrderRequest::RemoveLine { number, line } => OrdersAnswer::Changed {
                result: match threshold(&work) {
                    Ok(t) => work
                        .store
                        .remove_line(&number, line, &t)
                        .await
                        .map_err(error_text),
                    Err(e) => Err(e),
                },
                number,
                change: PoChange::Edit,
            },
            OrderRequest::SetNote { number, note } => OrdersAnswer::Changed {
                result: work
                    .store
                    .set_note(&number, &note)
                    .await
                    .map_err(error_text),
                number,
                change: PoChange::Edit,
            },
            OrderRequest::Receive(number) => OrdersAnswer::Changed {
                result: work.store.receive(&number).await.map_err(error_text),
                number,
                change: PoChange::Receive,
            },
            OrderRequest::ReceiveLine { number, line, qty } => OrdersAnswer::Changed {
                result: work
                    .store
                    .receive_lines(&number, &[(line, qty)])
                    .await
                    .map_err(error_text),
                number,
                change: PoChange::Receive,
            },
            OrderRequest::Send(number, confirmed_total) => {
                let result = send_one(&work, &number, confirmed_total, &done).await;
                OrdersAnswer::Sent { number, result }
            }
        };
        if let OrdersAnswer::Sent {
            number,
            result: Err(e),
        } = &answer
        {
            tracing::warn!(po = %number, "send: {e}");
        }
        let _ = done.send(answer.into());
    });
}

/// Sends one PO; `confirmed_total`: a draft within the threshold the
/// buyer said yes to, at this total (cents), sent without approval.
async fn send_one(
    work: &OrdersWork,
    number: &str,
    confirmed_total: Option<i64>,
    done: &mpsc::UnboundedSender<Action>,
) -> Result<crate::orders::SendOutcome, String> {
    match (&work.sender, confirmed_total) {
        (Ok(sender), Some(total)) => sender
            .send_confirmed_as_seen(number, total, &progress_to(done))
            .await
            .map_err(error_text),
        (Ok(sender), None) => sender
            .send(number, &progress_to(done))
            .await
            .map_err(error_text),
        (Err(e), _) => Err(format!("{number} not sent: {e}")),
    }
}

/// Finishes the sends a crash cut off (same key), on a task; what it did
/// comes back as an action.
fn recover_sends(work: &OrdersWork, done: mpsc::UnboundedSender<Action>) {
    let Ok(sender) = work.sender.clone() else {
        return;
    };
    tokio::spawn(async move {
        let result = sender
            .recover(&progress_to(&done))
            .await
            .map(|sent| {
                sent.into_iter()
                    .map(|(number, r)| (number, r.map_err(error_text)))
                    .collect()
            })
            .map_err(error_text);
        let _ = done.send(OrdersAnswer::Recovered(result).into());
    });
}

/// What the screen needs to run.
pub struct Setup {
    pub config: crate::config::Config,
    pub rules: crate::plan::RuleSet,
    /// The rules file on disk has errors: `rules` is the last good version
    /// (or, without one, the embedded rules, and no plan is shown).
    pub broken: Option<crate::live::BrokenRules>,
    /// The rules file differs from the last recorded version: `rules` is
    /// that version, and the file goes in force only through the guard.
    pub check_disk: bool,
    pub store: Store,
    pub theme: super::theme::Theme,
    /// Seconds between background refreshes.
    pub refresh: Duration,
    /// Keys per screen (the config's `[keys]` over the built-in ones).
    pub keymap: super::keymap::Keymap,
}

/// Runs the buyer's screen until the buyer quits (or a signal ends it).
/// The first frame is drawn before any source has answered.
pub async fn run(setup: Setup) -> Result<()> {
    let mut app = App::waiting();
    app.theme = setup.theme;
    app.keymap = setup.keymap;
    app.rules_text = setup.rules.text.to_string();
    app.rules_origin = setup.rules.origin.clone();
    app.user = setup.store.user.clone();
    app.start_with_broken_rules(setup.broken.clone());
    let store = setup.store.clone();
    let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
    // Ctrl-C is a key in raw mode; a SIGINT comes from outside (kill -INT).
    let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let mut screen = Screen::enter();
    app.now = Local::now();
    screen.draw(&mut app)?;

    let config = setup.config.clone();
    app.orders.settings = (&crate::orders::OrdersConfig::read(&config.file, &config.origin)
        .unwrap_or_default())
        .into();
    let orders = OrdersWork::new(&config, &store);
    if let Err(e) = &orders.sender {
        app.message = Some(format!("POs cannot be sent: {e}"));
    }
    app.rules_draft = crate::store::authoring::load_draft(&config);
    let mut saved_draft = app.rules_draft.clone();
    let (live_tx, mut live_rx, mut rules_rx) = live::spawn_checking_disk(
        setup.config,
        setup.rules,
        setup.store,
        setup.refresh,
        setup.check_disk,
    );
    let mut apply_request = 0u64;
    // Set when the editor's backtest is no longer wanted (a newer one, the
    // text changed, the panel closed, the app left): it stops.
    let mut backtest_stop = Arc::new(AtomicBool::new(false));
    let (key_tx, mut key_rx) = mpsc::unbounded_channel();
    let input = Arc::new(InputControl::default());
    spawn_input(key_tx, Arc::clone(&input));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    recover_sends(&orders, done_tx.clone());
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    // A panic on purpose, to check that the terminal is restored and the
    // report logged (README, "Troubleshooting").
    let debug_panic = std::env::var("BUYERDESK_DEBUG_PANIC").ok();
    let result: Result<()> = async {
        loop {
            let mut dirty = false;
            let mut suspend = false;
            tokio::select! {
                Some(e) = key_rx.recv() => {
                    if debug_panic.as_deref() == Some("ui") {
                        panic!("BUYERDESK_DEBUG_PANIC=ui: a panic on purpose at the first key");
                    }
                    dirty |= on_event(&mut app, e, &mut suspend);
                    // Keys typed ahead are handled before the next draw.
                    while let Ok(e) = key_rx.try_recv() {
                        dirty |= on_event(&mut app, e, &mut suspend);
                    }
                }
                e = live_rx.recv() => {
                    // The background task ends only when the screen does:
                    // closed before, it failed (a panic, logged).
                    let Some(e) = e else {
                        anyhow::bail!(
                            "the background task that reads the databases stopped unexpectedly; the report is in the log file"
                        );
                    };
                    on_live(&mut app, e);
                    while let Ok(e) = live_rx.try_recv() {
                        on_live(&mut app, e);
                    }
                    dirty = true;
                }
                Some(e) = rules_rx.recv() => {
                    match e {
                        RulesEvent::RulesApplied { request, result } if request == apply_request => {
                            // The rules in force are now the file written.
                            if result.is_ok() {
                                app.rules_origin = config.rules_path().display().to_string();
                            }
                            app.rules_applied(result);
                        }
                        RulesEvent::ApplyRefused { request, text, summary } if request == apply_request => {
                            app.rules_apply_refused(text, summary);
                        }
                        RulesEvent::ApplyOverNewer { request, text, diff, in_force } if request == apply_request => {
                            app.rules_apply_over_newer(text, diff, in_force);
                        }
                        RulesEvent::Versions { request, result } => app.versions_loaded(request, result),
                        RulesEvent::RulesApplied { .. }
                        | RulesEvent::ApplyRefused { .. }
                        | RulesEvent::ApplyOverNewer { .. } => {}
                        RulesEvent::DryRun { request, result } => app.dry_run_done(request, result),
                        RulesEvent::RulesReloaded(result) => {
                            let result = result.and_then(|path| {
                                std::fs::read_to_string(&path)
                                    .map(|text| (path.clone(), text))
                                    .map_err(|e| format!("{path}: {e}"))
                            });
                            app.rules_reloaded(result);
                        }
                    }
                    dirty = true;
                }
                Some(answer) = done_rx.recv() => {
                    app.update(answer);
                    dirty = true;
                }
                _ = clock.tick() => dirty |= app.tick(Local::now()),
                // The editor validates once typing pauses.
                _ = tokio::time::sleep(Duration::from_millis(
                    crate::tui::screens::editor::VALIDATE_AFTER_MS as u64,
                )), if app.editor.as_ref().is_some_and(|e| e.edited.is_some()) => {
                    dirty |= app.validate_editor_if_due(Local::now());
                }
                _ = sigterm.recv() => {
                    tracing::info!("SIGTERM: leaving");
                    break;
                }
                _ = sighup.recv() => {
                    tracing::info!("SIGHUP (terminal gone): leaving");
                    break;
                }
                _ = sigint.recv() => {
                    tracing::info!("SIGINT: leaving");
                    break;
                }
            }
            if app.should_quit {
                break;
            }
            if let Some(request) = app.pending.take() {
                send(&store, request, done_tx.clone());
            }
            for request in std::mem::take(&mut app.orders_wanted) {
                let plans = match &request {
                    OrderRequest::Draft { products, .. } => products
                        .iter()
                        .filter_map(|id| app.plan_by_id(id).cloned())
                        .collect(),
                    _ => Vec::new(),
                };
                run_order(&orders, request, plans, done_tx.clone());
            }
            if std::mem::take(&mut app.refresh_requested) {
                let _ = live_tx.send(LiveCommand::Refresh);
            }
            if let Some((request, product_id)) = app.history_wanted.take() {
                let _ = live_tx.send(LiveCommand::History {
                    request,
                    product_id,
                });
            }
            if let Some((request, text)) = app.dry_run_wanted.take() {
                let _ = live_tx.send(LiveCommand::DryRun { request, text });
            }
            if let Some((request, text)) = app.fixtures_wanted.take() {
                // Parsing the rules and planning the cases: off the screen's thread.
                let (done, config) = (done_tx.clone(), config.clone());
                let origin = app.editor.as_ref().map(|e| e.origin.clone()).unwrap_or_default();
                tokio::task::spawn_blocking(move || {
                    let result = live::fixtures::run_for_editor(&config, &text, &origin);
                    let _ = done.send(Action::FixturesDone { request, result });
                });
            }
            let backtest_running = (app.editor.as_ref().and_then(|e| e.backtest.as_ref()))
                .is_some_and(|b| matches!(b, crate::tui::screens::editor::BacktestState::Running(_)));
            if !backtest_running || app.backtest_wanted.is_some() {
                backtest_stop.store(true, Ordering::Relaxed);
            }
            if let Some((request, text)) = app.backtest_wanted.take() {
                backtest_stop = Arc::new(AtomicBool::new(false));
                let stop = Arc::clone(&backtest_stop);
                let (done, config) = (done_tx.clone(), config.clone());
                let in_force = (app.rules_text.clone(), app.rules_origin.clone());
                let origin = app.editor.as_ref().map(|e| e.origin.clone()).unwrap_or_default();
                tokio::spawn(async move {
                    let result = editor_backtest(&config, in_force, &text, &origin, stop).await;
                    let _ = done.send(Action::BacktestDone { request, result });
                });
            }
            if let Some((text, confirmed)) = app.rules_apply_wanted.take() {
                apply_request += 1;
                // The editor's base (the rules it started from): applying
                // over newer rules asks first.
                let _ = live_tx.send(match app.editor.as_ref() {
                    Some(editor) => LiveCommand::ApplyRulesFrom {
                        request: apply_request,
                        base: editor.in_force.clone(),
                        restored_from: editor.restored_from(&text),
                        text,
                        confirmed,
                    },
                    None => LiveCommand::ApplyRules {
                        request: apply_request,
                        text,
                        confirmed,
                    },
                });
            }
            if let Some(request) = app.rules_versions.wanted.take() {
                let _ = live_tx.send(LiveCommand::RulesVersions { request });
            }
            // Unapplied rule edits live in a draft file: they survive a quit
            // or a crash (written after each pause in typing, not each key).
            let editing = app.editor.as_ref().is_some_and(|e| e.edited.is_some());
            if !editing {
                if let Err(e) = persist_draft(&config, &app, &mut saved_draft) {
                    app.message = Some(format!("The rules draft was not saved: {e:#}"));
                }
            }
            if std::mem::take(&mut app.external_editor_wanted) {
                let path = config.rules_path();
                let said = tokio::task::block_in_place(|| {
                    edit_rules_file(&mut screen, &input, &path, &app.rules_text)
                });
                app.message = Some(match said {
                    Ok(text) => text,
                    Err(e) => format!("{e:#}"),
                });
                dirty = true;
            }
            if suspend {
                screen.suspend()?;
                dirty = true;
            }
            if dirty {
                app.now = Local::now();
                app.clock_text = view::clock_text(&app);
                if let Err(e) = screen.draw(&mut app) {
                    // A background message drawn after the link dropped,
                    // before SIGHUP arrived: leaving, as on SIGHUP.
                    if terminal_gone(&e) {
                        tracing::info!("the terminal is gone ({e:#}): leaving");
                        break;
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }
    .await;
    // However the loop ended (q, a signal, an error), rule edits not yet in
    // the draft file go there now.
    let _ = persist_draft(&config, &app, &mut saved_draft);
    input.stop.store(true, Ordering::Relaxed);
    backtest_stop.store(true, Ordering::Relaxed);
    drop(screen);
    result
}

/// A write to the terminal failed because the terminal is gone (a dropped
/// SSH link: EIO, ENXIO, a broken pipe).
fn terminal_gone(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| {
            io.kind() == std::io::ErrorKind::BrokenPipe
                || matches!(io.raw_os_error(), Some(libc::EIO) | Some(libc::ENXIO))
        })
}

/// Writes the app's unapplied rule edits to the draft file (or removes it)
/// when they differ from what was last written. A failure is logged and
/// returned; it is not tried again until the edits change.
fn persist_draft(
    config: &crate::config::Config,
    app: &App,
    saved: &mut Option<String>,
) -> Result<()> {
    let draft = app.draft_text();
    if draft == *saved {
        return Ok(());
    }
    let written = match &draft {
        Some(text) => crate::store::authoring::save_draft(config, text),
        None => crate::store::authoring::discard_draft(config),
    };
    *saved = draft;
    written.inspect_err(|e| tracing::warn!("rules draft: {e:#}"))
}

/// A terminal event; true when the screen changed.
fn on_event(app: &mut App, event: Event, suspend: &mut bool) -> bool {
    match event {
        // Ctrl-Z suspends, unless the screen binds it (the editor: undo).
        Event::Key(key)
            if is_suspend(key)
                && (app.keymap)
                    .action(
                        crate::tui::keys::screen(app),
                        crate::tui::keymap::Key::from_event(&key),
                    )
                    .is_none() =>
        {
            *suspend = true;
            false
        }
        Event::Key(key) => match action_for(app, key) {
            Some(action) => {
                // Edits are timed from the key, not from the last frame.
                app.now = Local::now();
                app.update(action);
                true
            }
            None => false,
        },
        Event::Resize(_, _) => true,
        _ => false,
    }
}

fn is_suspend(key: KeyEvent) -> bool {
    key.kind != KeyEventKind::Release
        && key.code == KeyCode::Char('z')
        && key.modifiers.contains(KeyModifiers::CONTROL)
}

fn on_live(app: &mut App, event: LiveEvent) {
    match event {
        LiveEvent::Sources(s) => app.apply_sources(s),
        // The rules file is broken and no good version is kept: no plan
        // until rules are applied (the re-plan after it is full).
        LiveEvent::Plans(_) if app.without_rules() => {}
        LiveEvent::Plans(update) => {
            app.now = Local::now();
            app.apply_update(update);
            if app.message.as_deref() == Some(crate::tui::state::REFRESHING) {
                app.message = None;
            }
        }
        LiveEvent::History {
            request,
            product_id,
            days,
        } => app.apply_history(request, product_id, days),
        // The message line says how far the background forecasts are,
        // unless it says something else.
        LiveEvent::Forecasts(progress) => {
            // (The broken rules file's banner goes first.)
            let ours = app.rules_broken.is_none()
                && (app.message.as_deref()).is_none_or(|m| m.starts_with("forecasts: "));
            if ours {
                let finished = progress.done && progress.error.is_none();
                app.message = (!finished).then(|| progress.line());
            }
        }
    }
}

/// The editor's backtest (F6): the rules in force against the draft `text`,
/// each loaded as the validator passes it.
async fn editor_backtest(
    config: &crate::config::Config,
    (in_force, in_force_origin): (String, String),
    text: &str,
    origin: &str,
    stop: Arc<AtomicBool>,
) -> Result<std::sync::Arc<crate::rules::backtest::Comparison>, String> {
    let load =
        |text: &str, origin: &str| crate::rules::load(text, origin).map_err(|e| e.to_string());
    let (in_force, draft) = (load(&in_force, &in_force_origin)?, load(text, origin)?);
    let days = crate::rules::backtest::DEFAULT_DAYS;
    live::backtest_comparison(config, in_force, draft, days, stop)
        .await
        .map(std::sync::Arc::new)
        .map_err(|e| format!("{e:#}"))
}

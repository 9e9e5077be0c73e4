//! The buyerdesk command line. No subcommand: the buyer's screen (until the
//! TUI lands, the plan table). `plan`, `demo`, `doctor`, `rules check`,
//! `rules test`.

use buyerdesk::tui::keymap::Keymap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use buyerdesk::cli::backtest::{Format as BacktestFormat, StartArg};
use buyerdesk::cli::plan::{print_plan, Format};
use buyerdesk::cli::rules::{check_rules, test_rules, TestFormat};
use buyerdesk::cli::{doctor, report};
use buyerdesk::config::{Config, ConfigError};
use buyerdesk::{demo, live, orders};

// Planning builds many small values per product; mimalloc is markedly
// faster than the system allocator for that (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(name = "buyerdesk", version, about = "A terminal buyer workstation: what to reorder, and why.", long_about = None)]
struct Cli {
    /// Configuration file (default: config.toml in the platform config
    /// directory, else the built-in config.example.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Draw the screen with ASCII only (no box drawing, no arrows).
    #[arg(long, global = true)]
    ascii: bool,
    /// Fit tables to N columns (0: no limit). Default: on a terminal its
    /// width (COLUMNS when set); piped, no limit (every column, every id).
    #[arg(long, global = true, value_name = "N")]
    width: Option<usize>,
    /// Start a new purchasing database on purpose where the one this
    /// workstation used is gone or empty (without it, such a database is
    /// refused: a new one would number POs from PO-000001 again).
    #[arg(long, global = true)]
    init: bool,
    /// A rules file with errors stops the commands that plan (exit 1)
    /// instead of their using the last good rules version with a warning.
    #[arg(long, global = true)]
    strict: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Plan every product (or the ones named) and print the result.
    Plan {
        /// Only this product (repeatable).
        #[arg(long = "product", value_name = "ID")]
        products: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// GRL rules file to use instead of the configured rules.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
    /// Compute every product's demand forecast (or the ones named) from
    /// its daily history again, store it, and print it.
    Forecast {
        /// Only this product (repeatable).
        #[arg(long = "product", value_name = "ID")]
        products: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Create and fill demo databases (the embedded SQLite demo, or with
    /// --config the configured databases).
    Demo {
        /// Number of products, the three DOMAIN.md reference rows included.
        #[arg(long, default_value_t = demo::EMBEDDED_PRODUCTS)]
        products: usize,
        /// Seed of the generator (same seed, same data).
        #[arg(long, default_value_t = demo::DEFAULT_SEED)]
        seed: u64,
        /// Drop and recreate tables that already hold rows.
        #[arg(long)]
        force: bool,
        /// Print the contract's CREATE TABLE statements for this backend
        /// (postgres, mysql or sqlite) and exit.
        #[arg(long, value_name = "BACKEND", value_parser = ["postgres", "mysql", "sqlite"])]
        schema: Option<String>,
    },
    /// Check each source: backend, version, URL (password redacted),
    /// latency, row counts, optional columns.
    Doctor,
    /// Replay the last N days of daily history with the rules in force (or
    /// FILE): fill rate reached and average stock held per demand class, per
    /// ABC class and in total (per product with --product, JSON or CSV).
    Backtest {
        /// Days replayed, counted back from the history's last day.
        #[arg(long, default_value_t = buyerdesk::rules::backtest::DEFAULT_DAYS,
              value_parser = clap::value_parser!(u32).range(1..=3660))]
        days: u32,
        /// GRL rules file to replay instead of the rules in force.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Only this product (repeatable); shown one by one with its orders.
        #[arg(long = "product", value_name = "ID")]
        products: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = BacktestFormat::Table)]
        format: BacktestFormat,
        /// Where each product's stock starts: the stock its rules order from
        /// nothing (policy), or today's available quantity (current).
        #[arg(long, value_enum, default_value_t = StartArg::Policy)]
        start: StartArg,
    },
    /// Rule file tools.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Purchase orders: draft, list, show, approve, send, receive, close,
    /// cancel.
    Po {
        #[command(subcommand)]
        command: PoCommand,
    },
    /// Buyers' overrides: set, clear, list, import (checked as the
    /// screen's popup checks them).
    Override {
        #[command(subcommand)]
        command: OverrideCommand,
    },
    /// The audit log: overrides, rules changes, drafts, approvals, send
    /// attempts and status changes, oldest first.
    Audit {
        /// Only entries from this date (2026-11-21), time
        /// (2026-11-21T10:00:00Z) or age (30m, 2h, 7d).
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
    },
}

#[derive(Subcommand, Debug)]
enum OverrideCommand {
    /// Set the buyer's quantity of a product (whole packs; a quantity
    /// between packs is refused with the nearest whole packs). Refused
    /// when another workstation changed the override meanwhile, unless
    /// --force.
    Set {
        product: String,
        /// The quantity, in --unit.
        qty: String,
        /// Why: PROMO, SUPPLIER_CONSTRAINT, OVERSTOCK_RISK, CUSTOMER_ORDER,
        /// DATA_ERROR or OTHER (with --note). There is no default.
        #[arg(long, value_name = "CODE")]
        reason: String,
        /// The unit QTY is in: stock (pieces, kg, ...) or purchase (boxes,
        /// ...).
        #[arg(long, value_enum, default_value_t = UnitArg::Stock)]
        unit: UnitArg,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Replace whatever override is there, whoever saved it.
        #[arg(long)]
        force: bool,
    },
    /// Clear a product's override (exit 1 when it has none).
    Clear { product: String },
    /// Every override: quantity in stock and purchase units, amount,
    /// reason, note, who, when, and the PO that used it.
    List {
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
    },
    /// Set overrides from a CSV file with the header
    /// product_id,qty,unit,reason,note: every row is checked first; one
    /// bad row (each is named with its line) and nothing is saved.
    Import { file: PathBuf },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
enum UnitArg {
    Stock,
    Purchase,
}

#[derive(Subcommand, Debug)]
enum PoCommand {
    /// Draft one PO per supplier from the named products, or from every
    /// product that needs an order.
    Draft {
        /// A product to order (repeatable).
        #[arg(long = "product", value_name = "ID")]
        products: Vec<String>,
        /// Every product with a suggestion or a buyer's quantity above 0.
        #[arg(long, conflicts_with = "products")]
        all_needed: bool,
    },
    /// List POs, newest first.
    List {
        /// Only POs in this status (draft, pending_approval, approved,
        /// sending, sent, acknowledged, received, closed, cancelled).
        #[arg(long, value_name = "S")]
        status: Option<String>,
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
    },
    /// One PO with its lines and send attempts.
    Show {
        po: String,
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
    },
    /// Approve a PO, or every PO pending approval (records who and when).
    /// Asks for a confirmation on a terminal; elsewhere --yes is the
    /// confirmation. With [orders] four_eyes = true, the buyer who drafted
    /// a PO may not approve it (exit 1 when any is refused).
    Approve {
        #[arg(
            required_unless_present = "all_pending",
            conflicts_with = "all_pending"
        )]
        po: Option<String>,
        /// Every PO pending approval, after one question naming their
        /// number, total per currency and suppliers (drafts need no
        /// approval: they are sent on the buyer's confirmation).
        #[arg(long)]
        all_pending: bool,
        /// Approve without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Send one PO, or every approved PO (and again every unconfirmed one,
    /// with the same key), through its supplier's channel. Sending never
    /// approves: a draft within the threshold is sent without approval
    /// only on a confirmation (asked on a terminal, --yes in scripts); a
    /// PO pending approval is refused.
    Send {
        po: Option<String>,
        #[arg(long)]
        all_approved: bool,
        /// Every approved PO and every draft within the threshold, after
        /// one question naming their count, total per currency and
        /// suppliers (the screen's S with nothing selected).
        #[arg(long, conflicts_with = "all_approved")]
        all: bool,
        /// Send drafts within the threshold without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Change a draft or a PO pending approval: a line's quantity (whole
    /// packs), remove a line, or its note. The total and the approval are
    /// worked out again.
    #[command(group(clap::ArgGroup::new("change").required(true).args(["line", "remove", "note"])))]
    Edit {
        po: String,
        /// The line whose quantity changes (with --qty).
        #[arg(long, value_name = "N", requires = "qty")]
        line: Option<u32>,
        /// The line's new quantity.
        #[arg(
            long,
            value_name = "Q",
            requires = "line",
            allow_negative_numbers = true
        )]
        qty: Option<f64>,
        /// The unit of --qty: purchase (default) or stock.
        #[arg(
            long,
            value_name = "UNIT",
            default_value = "purchase",
            requires = "qty"
        )]
        unit: String,
        /// Remove this line (its product is free for new POs).
        #[arg(long, value_name = "N")]
        remove: Option<u32>,
        /// The PO's note ("" clears it).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// The supplier delivered: everything, or (--line N --qty Q,
    /// repeatable) part of some lines, in purchase units; the rest stays on
    /// order.
    Receive {
        po: String,
        /// A line received (with a --qty each).
        #[arg(long = "line", value_name = "N")]
        lines: Vec<u32>,
        /// The quantity of that line received, in purchase units.
        #[arg(long = "qty", value_name = "Q", allow_negative_numbers = true)]
        qtys: Vec<f64>,
    },
    /// Close a sent or received PO.
    Close { po: String },
    /// Cancel a PO not yet sent.
    Cancel {
        po: String,
        /// Cancel a PO whose send may have reached the supplier
        /// (unconfirmed): the supplier may still deliver it.
        #[arg(long)]
        even_if_sent: bool,
    },
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// Validate a GRL file: print every error and warning as
    /// file:line:col, then list its rules (exit 1 on any error).
    Check {
        /// The GRL file (default: the rules in force: `[general] rules`,
        /// else the file applied in the app, else the embedded rules).
        file: Option<PathBuf>,
    },
    /// Dry run: plan every product with the rules in force and with FILE,
    /// and print what FILE would change (exit 1 if FILE has errors).
    Test {
        /// The candidate GRL file (default: the rules in force).
        file: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
        /// Under each changed product, the candidate's rationale (the JSON
        /// always has it).
        #[arg(long)]
        why: bool,
        /// Only this product, shown with the rules fired and the figures
        /// before and after (repeatable).
        #[arg(long = "product", value_name = "ID")]
        products: Vec<String>,
        /// Run the fixture cases (rules/tests/*.toml) with FILE instead of
        /// the dry run: PATH is a file or folder (default: the tests/
        /// folder beside FILE or the rules in force, else the shipped
        /// fixtures). Exit 1 on any failed case.
        #[arg(long, value_name = "PATH", num_args = 0..=1)]
        fixtures: Option<Option<PathBuf>>,
    },
    /// Make FILE the rules in force (as the editor's apply does: the file
    /// replaced is kept in history, the change audited), after validating
    /// it and trying it on every product: refused (exit 1, with what it
    /// would break) when it fails on products where the rules in force do
    /// not, or removes more than half of the orders, unless --yes.
    Apply {
        /// The GRL file to put in force.
        file: PathBuf,
        /// Apply even though the dry run shows new failures or most orders
        /// gone (the explicit confirmation).
        #[arg(long)]
        yes: bool,
    },
    /// Every rules version kept (applied, restored, changed on disk, first
    /// seen): number, time, user, how, hash, previous, rules, dry-run
    /// summary; the one in force marked.
    History {
        /// Output format (JSON has the full hashes).
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
    },
    /// Compare two rules versions: the unified text diff, then the dry run
    /// of B against A on the current sources.
    Diff {
        /// A version number, or `file` (the rules file on disk).
        a: String,
        /// A version number, or `file`.
        b: String,
    },
    /// Put version V back in force, through the same guard as `rules
    /// apply` (refused unless harmless or --yes); recorded as a new version
    /// "restored from V".
    Restore {
        /// The version number (see `rules history`).
        version: i64,
        /// Restore even though the dry run shows new failures or most
        /// orders gone.
        #[arg(long)]
        yes: bool,
    },
}

/// Logs go to a file, never to the terminal (the TUI owns it).
fn init_logging(config: &Config) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = config
        .file
        .general
        .log_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("buyerdesk.log"));
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    buyerdesk::files::create_private_dir(&dir).ok()?;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).ok()?;
    // Text from sources and suppliers quoted in a log line is escaped.
    let (writer, guard) = tracing_appender::non_blocking(buyerdesk::text::EscapingWriter(file));
    let filter = tracing_subscriber::EnvFilter::try_from_env("BUYERDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

/// A panic is written to the log with its location and backtrace; the
/// terminal (restored first by the screen's own hook) gets one short
/// message that says where the report is.
/// `eprintln!` that never panics: with the terminal gone (a dropped SSH
/// link closes it) a failed write to stderr is ignored, not a second panic
/// that aborts.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn log_panics(log: PathBuf) {
    std::panic::set_hook(Box::new(move |info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        tracing::error!("panic: {info}\n{backtrace}");
        errln!(
            "buyerdesk: internal error: {info}\nThe report, with its backtrace, is in {}",
            log.display()
        );
    }));
}

fn main() -> ExitCode {
    buyerdesk::disable_transparent_huge_pages();
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return config_error(&e),
    };
    config.file.general.init_purchasing = cli.init;
    // [keys] and [orders] are the screen's and the orders' to read, but a
    // mistake in them is a config error like any other: said at once, with
    // its line.
    let keymap = match Keymap::from_file(&config.file, &config.origin) {
        Ok(k) => k,
        Err(e) => return config_error(&e),
    };
    if let Err(e) = buyerdesk::orders::OrdersConfig::from_file(&config.file, &config.origin) {
        return config_error(&e);
    }
    let _guard = init_logging(&config);
    log_panics(
        config
            .file
            .general
            .log_file
            .clone()
            .unwrap_or_else(|| config.data_dir.join("buyerdesk.log")),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            errln!("buyerdesk: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli, config, keymap));
    // The background forecaster may be inside a batch on a blocking
    // thread (up to 500 products): its stored batches are whole, the one
    // under way is simply not stored and is computed again next start.
    // Dropping the runtime would wait for it (CI saw a quit take over 10 s
    // in a debug build).
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(code) => code,
        // The reader stopped early (| head): nothing more to say.
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            errln!("buyerdesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_error(e: &ConfigError) -> ExitCode {
    errln!("{e}");
    ExitCode::from(2)
}

use buyerdesk::cli::stdout;

/// Whether a command reads the four sources (and so needs the embedded
/// demo's databases when the config points at it).
fn reads_sources(command: &Option<Command>) -> bool {
    match command {
        None
        | Some(Command::Plan { .. })
        | Some(Command::Forecast { .. })
        | Some(Command::Backtest { .. })
        | Some(Command::Doctor) => true,
        Some(Command::Rules { command }) => matches!(
            command,
            // Fixtures are planned without any database.
            RulesCommand::Test { fixtures: None, .. }
                | RulesCommand::Apply { .. }
                | RulesCommand::Diff { .. }
                | RulesCommand::Restore { .. }
        ),
        Some(Command::Po { command }) => matches!(command, PoCommand::Draft { .. }),
        Some(Command::Override { command }) => !matches!(command, OverrideCommand::Clear { .. }),
        Some(_) => false,
    }
}

async fn run(cli: Cli, config: Config, keymap: Keymap) -> Result<ExitCode> {
    // The sources never create the embedded demo: it is made here, before
    // anything connects.
    if reads_sources(&cli.command) {
        buyerdesk::demo::ensure_embedded_if_used(&config).await?;
    }
    live::set_strict(cli.strict);
    let theme = buyerdesk::tui::theme::Theme::from_env(cli.ascii);
    let fit = report::fit::terminal_fit(cli.width, std::io::stdout().is_terminal(), cli.ascii);
    match cli.command {
        None => {
            // The buyer's screen needs a terminal; piped, it prints the table.
            if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
                return print_plan(&config, &[], Format::Table, None, &fit).await;
            }
            // The screen opens without its purchasing database: it names it
            // as down and the live task retries it with backoff.
            let store = match buyerdesk::store::Store::open(&config).await {
                Ok(store) => store,
                // Not down: not the database this workstation used.
                Err(e) if e.downcast_ref::<buyerdesk::store::Refused>().is_some() => return Err(e),
                Err(e) => {
                    tracing::warn!("purchasing database down at start: {e:#}");
                    buyerdesk::store::Store::open_lazy(&config).await?
                }
            };
            // A broken rules file: the last good version (rules history).
            let start = live::screen_rules(&config, &store).await?;
            if start.broken.is_some() && cli.strict {
                anyhow::bail!(
                    "{} (--strict)",
                    start.broken.as_ref().map(|b| b.line()).unwrap_or_default()
                );
            }
            let refresh = config.refresh_interval();
            buyerdesk::tui::run::run(buyerdesk::tui::run::Setup {
                config,
                rules: start.rules,
                broken: start.broken,
                check_disk: start.check_disk,
                store,
                theme,
                refresh,
                keymap,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Plan {
            products,
            format,
            rules,
        }) => print_plan(&config, &products, format, rules, &fit).await,
        Some(Command::Forecast { products, format }) => {
            buyerdesk::cli::forecast::run(&config, &products, format, &fit).await
        }
        Some(Command::Backtest {
            days,
            rules,
            products,
            format,
            start,
        }) => {
            let args = buyerdesk::cli::backtest::Args {
                days,
                rules,
                products,
                format,
                start,
            };
            buyerdesk::cli::backtest::run(&config, args, &fit).await
        }
        Some(Command::Demo {
            schema: Some(backend),
            ..
        }) => buyerdesk::cli::demo::schema(&backend),
        Some(Command::Demo {
            products,
            seed,
            force,
            schema: None,
        }) => buyerdesk::cli::demo::seed(&config, products, seed, force).await,
        Some(Command::Doctor) => {
            let (report, ok) = doctor::run(&config).await;
            writeln!(stdout(), "{report}")?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Some(Command::Rules {
            command: RulesCommand::Check { file },
        }) => check_rules(&config, file),
        Some(Command::Rules {
            command:
                RulesCommand::Test {
                    file,
                    format,
                    why,
                    products,
                    fixtures,
                },
        }) => {
            let args = buyerdesk::cli::rules::TestArgs {
                file,
                format,
                why,
                products,
                fixtures,
            };
            test_rules(&config, args, &fit).await
        }
        Some(Command::Rules {
            command: RulesCommand::Apply { file, yes },
        }) => buyerdesk::cli::rules::apply_rules(&config, &file, yes).await,
        Some(Command::Rules {
            command: RulesCommand::History { format },
        }) => buyerdesk::cli::rules_history::history(&config, format, &fit).await,
        Some(Command::Rules {
            command: RulesCommand::Diff { a, b },
        }) => buyerdesk::cli::rules_history::diff(&config, &a, &b, &fit).await,
        Some(Command::Rules {
            command: RulesCommand::Restore { version, yes },
        }) => buyerdesk::cli::rules_history::restore(&config, version, yes).await,
        Some(Command::Po { command }) => po_command(&config, command, &fit).await,
        Some(Command::Override { command }) => override_command(&config, command, &fit).await,
        Some(Command::Audit { since, format }) => {
            let ok = buyerdesk::cli::audit::audit(
                &config,
                since.as_deref(),
                format == TestFormat::Json,
                &fit,
                &mut stdout(),
            )
            .await?;
            Ok(exit(ok))
        }
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn po_command(config: &Config, command: PoCommand, fit: &report::Fit) -> Result<ExitCode> {
    use buyerdesk::cli::po::{self, StatusChange};
    use buyerdesk::cli::po_edit;
    // The confirmation of a change: --yes, else a question on a terminal,
    // else refused.
    let confirm_of = |yes: bool| {
        if yes {
            po::Confirm::Given
        } else if std::io::stdin().is_terminal() {
            po::Confirm::Ask
        } else {
            po::Confirm::Missing
        }
    };
    let mut out = stdout();
    let ok = match command {
        PoCommand::Draft {
            products,
            all_needed,
        } => po::draft(config, &products, all_needed, &mut out).await?,
        PoCommand::List { status, format } => {
            let status = status
                .map(|s| {
                    orders::PoStatus::parse(s.trim()).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--status '{s}': one of {}",
                            orders::PoStatus::ALL
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
                })
                .transpose()?;
            po::list(config, status, format == TestFormat::Json, fit, &mut out).await?
        }
        PoCommand::Show { po: n, format } => {
            po::show(config, &n, format == TestFormat::Json, &mut out).await?
        }
        PoCommand::Approve {
            po: n,
            all_pending,
            yes,
        } => {
            let confirm = confirm_of(yes);
            match n {
                Some(n) if !all_pending => po::approve(config, &n, confirm, &mut out).await?,
                _ => {
                    let mut err = std::io::stderr();
                    po_edit::approve_all_pending(config, confirm, &mut out, &mut err).await?
                }
            }
        }
        PoCommand::Send {
            po: n,
            all_approved,
            all,
            yes,
        } => {
            let which = match (all, all_approved) {
                (true, _) => po::SendWhich::All,
                (false, true) => po::SendWhich::Approved,
                (false, false) => po::SendWhich::One,
            };
            drop(out);
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            let confirm = confirm_of(yes);
            po::send(config, n.as_deref(), which, confirm, &mut out, &mut err).await?
        }
        PoCommand::Edit {
            po: n,
            line,
            qty,
            unit,
            remove,
            note,
        } => {
            let what = match (line, qty, remove, note) {
                (Some(line), Some(qty), None, None) => po_edit::Edit::Qty {
                    line,
                    qty,
                    unit: orders::QtyUnit::parse(&unit)
                        .ok_or_else(|| anyhow::anyhow!("--unit '{unit}': purchase or stock"))?,
                },
                (None, None, Some(line), None) => po_edit::Edit::Remove { line },
                (None, None, None, Some(text)) => po_edit::Edit::Note(text),
                _ => anyhow::bail!(
                    "one change at a time: --line N --qty Q, --remove N or --note TEXT"
                ),
            };
            po_edit::edit(config, &n, what, &mut out).await?
        }
        PoCommand::Receive { po: n, lines, qtys } => {
            if lines.is_empty() && qtys.is_empty() {
                po::change_status(config, &n, StatusChange::Receive, &mut out).await?
            } else {
                let receipts = po_edit::receipts(&lines, &qtys)?;
                po_edit::receive_lines(config, &n, &receipts, &mut out).await?
            }
        }
        PoCommand::Close { po: n } => {
            po::change_status(config, &n, StatusChange::Close, &mut out).await?
        }
        PoCommand::Cancel {
            po: n,
            even_if_sent,
        } => po::change_status(config, &n, StatusChange::Cancel { even_if_sent }, &mut out).await?,
    };
    Ok(exit(ok))
}

async fn override_command(
    config: &Config,
    command: OverrideCommand,
    fit: &report::Fit,
) -> Result<ExitCode> {
    use buyerdesk::cli::overrides;
    use buyerdesk::store::OverrideUnit;
    let (mut out, mut err) = (stdout(), std::io::stderr());
    let ok = match command {
        OverrideCommand::Set {
            product,
            qty,
            reason,
            unit,
            note,
            force,
        } => {
            let unit = match unit {
                UnitArg::Stock => OverrideUnit::Stock,
                UnitArg::Purchase => OverrideUnit::Purchase,
            };
            overrides::set(
                config,
                &product,
                &qty,
                &reason,
                unit,
                note.as_deref(),
                force,
                &mut out,
            )
            .await?
        }
        OverrideCommand::Clear { product } => {
            overrides::clear(config, &product, &mut out, &mut err).await?
        }
        OverrideCommand::List { format } => {
            overrides::list(config, format == TestFormat::Json, fit, &mut out, &mut err).await?
        }
        OverrideCommand::Import { file } => {
            overrides::import(config, &file, &mut out, &mut err).await?
        }
    };
    Ok(exit(ok))
}

/// Whether the error is a reader that stopped early (`| head`): the one
/// place every command's output goes through, since all write to stdout
/// with `?` and the error comes back to `main`.
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let kind = if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            Some(io.kind())
        } else if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
            json.io_error_kind()
        } else if let Some(csv) = cause.downcast_ref::<csv::Error>() {
            match csv.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            }
        } else {
            None
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

//! `buyerdesk rules check` and `buyerdesk rules test`: the validator's
//! diagnostics, compiler-style, and the dry run of a file against the rules
//! in force.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;

use super::report;
use super::stdout;
use crate::config::Config;
use crate::live;
use crate::plan::{self, RuleSet};
use crate::sources::Sources;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    Table,
    Json,
}

pub(super) fn read_rules_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read the rules file: {e}", path.display()))?;
    crate::rules::lexer::decode(&bytes)
        .map(str::to_string)
        .map_err(|e| anyhow::anyhow!("{}: {e}; save the file as UTF-8", path.display()))
}

/// "1 error", "2 warnings".
fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Validates and loads a rules file as `rules check` reports it: on any
/// error, every diagnostic and the verdict are written to `out` and `None`
/// comes back.
pub(super) fn load_checked(
    text: &str,
    origin: &str,
    diagnostics: &[crate::rules::Diagnostic],
    out: &mut impl Write,
) -> Result<Option<RuleSet>> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        for d in diagnostics {
            writeln!(out, "{d}")?;
        }
        writeln!(
            out,
            "{origin}: {}, {}: the rules cannot be used",
            counted(errors, "error"),
            counted(diagnostics.len() - errors, "warning")
        )?;
        return Ok(None);
    }
    match crate::rules::load(text, origin) {
        Ok(rules) => Ok(Some(rules)),
        // The engine read other rules than the validator (rules::load).
        Err(crate::rules::LoadError::Invalid { diagnostics, .. }) => {
            for d in &diagnostics {
                writeln!(out, "{d}")?;
            }
            writeln!(out, "{origin}: the rules cannot be used")?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// `rules check`: every diagnostic on stdout, compiler-style; exit 1 on any
/// error.
pub fn check_rules(config: &Config, file: Option<PathBuf>) -> Result<ExitCode> {
    // The rules in force, as the screen and `plan` load them: the
    // configured file, else the one applied in the app, else the embedded.
    let (text, origin) = match file.or_else(|| config.rules_file_in_force()) {
        Some(p) => (read_rules_file(&p)?, p.display().to_string()),
        None => (
            plan::DEFAULT_RULES.to_string(),
            plan::EMBEDDED_ORIGIN.to_string(),
        ),
    };
    let diagnostics = crate::rules::validate(&text, &origin);
    let mut out = stdout();
    if crate::rules::has_errors(&diagnostics) {
        load_checked(&text, &origin, &diagnostics, &mut out)?;
        return Ok(ExitCode::FAILURE);
    }
    for d in &diagnostics {
        writeln!(out, "{d}")?;
    }
    let Some(rules) = load_checked(&text, &origin, &diagnostics, &mut out)? else {
        return Ok(ExitCode::FAILURE);
    };
    let warned = if diagnostics.is_empty() {
        String::new()
    } else {
        format!(", {}", counted(diagnostics.len(), "warning"))
    };
    writeln!(
        out,
        "{origin}: {}{warned}: {}",
        counted(rules.rule_names.len(), "rule"),
        rules.rule_names.join(", ")
    )?;
    Ok(ExitCode::SUCCESS)
}

/// What `rules test` was asked.
#[derive(Debug, Clone)]
pub struct TestArgs {
    /// The candidate rules (default: the rules in force).
    pub file: Option<PathBuf>,
    pub format: TestFormat,
    pub why: bool,
    /// `--product ID` (repeatable): the dry run on these products only,
    /// each shown in detail.
    pub products: Vec<String>,
    /// `--fixtures [PATH]`: run fixture files instead of the dry run
    /// (`Some(None)`: the default folder).
    pub fixtures: Option<Option<PathBuf>>,
}

/// A dry run as the CLI prints it: amounts without a currency in `[orders]
/// currency`, the POs that would wait for approval with `[orders]
/// approval_threshold`, the changed products by id.
pub(super) fn settle(config: &Config, dry_run: &mut crate::rules::DryRun) -> Result<()> {
    dry_run.assume_currency(&crate::orders::OrdersConfig::currency_of(&config.file));
    let orders = crate::orders::OrdersConfig::read(&config.file, &config.origin)?;
    dry_run.po_approvals(&orders.currency, |c| orders.approval_threshold.of(c));
    dry_run
        .changes
        .sort_by(|a, b| a.product_id.cmp(&b.product_id));
    Ok(())
}

/// `rules test`: the dry run of FILE (default: the rules in force) against
/// the rules in force on every product (or on `--product` ones), with the
/// coverage of each rule; or, with `--fixtures`, FILE run on fixture
/// cases. FILE's errors are printed as `rules check` prints them (exit 1);
/// its warnings, and the coverage's, come first (on stderr with `--format
/// json`).
pub async fn test_rules(config: &Config, args: TestArgs, fit: &report::Fit) -> Result<ExitCode> {
    let file = args.file.clone().or_else(|| config.rules_file_in_force());
    let (text, origin) = match &file {
        Some(p) => (read_rules_file(p)?, p.display().to_string()),
        None => (
            plan::DEFAULT_RULES.to_string(),
            plan::EMBEDDED_ORIGIN.to_string(),
        ),
    };
    let diagnostics = crate::rules::validate(&text, &origin);
    let candidate = {
        match load_checked(&text, &origin, &diagnostics, &mut stdout())? {
            Some(rules) => rules,
            None => return Ok(ExitCode::FAILURE),
        }
    };
    if let Some(path) = &args.fixtures {
        return super::rules_fixtures::run(
            &candidate,
            path.as_deref(),
            file.as_deref(),
            args.format,
            fit,
        );
    }
    let in_force = live::cli_rules(config).await?;
    let store = crate::store::Store::open(config).await?;
    let ctx = live::plan_context(&store).await?;
    store.source.close().await;
    let sources = Sources::connect(config).await?;
    let dry_run = if args.products.is_empty() {
        live::dry_run(&sources, &in_force, &candidate, &ctx).await
    } else {
        live::dry_run_on(&sources, &in_force, &candidate, &ctx, &args.products).await
    };
    sources.close().await;
    let mut dry_run = match dry_run {
        Ok(d) => d,
        // An unknown product: the message names it; exit 1.
        Err(e) if !args.products.is_empty() => {
            write!(stdout(), "{}", report::wrap_lines(&format!("{e:#}"), fit))?;
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e),
    };
    let mut warnings = diagnostics;
    if let Some(c) = &dry_run.coverage {
        warnings.extend(c.candidate.warnings(&text, &origin));
    }
    if !warnings.is_empty() {
        let warnings: String = warnings.iter().map(|d| format!("{d}\n")).collect();
        match args.format {
            TestFormat::Table => writeln!(stdout(), "{}", report::wrap_lines(&warnings, fit))?,
            TestFormat::Json => eprint!("{}", crate::text::printable(&warnings)),
        }
    }
    settle(config, &mut dry_run)?;
    let mut out = stdout();
    match args.format {
        TestFormat::Json => report::write_dry_run_json(&dry_run, out)?,
        TestFormat::Table => {
            out.write_all(report::dry_run_table(&dry_run, args.why, fit).as_bytes())?;
            if let Some(c) = &dry_run.coverage {
                out.write_all(report::coverage_table(c, fit).as_bytes())?;
            }
            out.write_all(report::product_details(&dry_run, args.why, fit).as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `rules apply FILE [--yes]`: FILE validated (errors printed as `rules
/// check` prints them, exit 1), tried on every product beside the rules in
/// force, and refused (exit 1, the guard's summary printed) when it newly
/// fails on products or removes more than half of the orders, unless
/// `yes`. Otherwise FILE becomes the rules in force as the editor applies
/// it (`authoring::apply`: history, atomic write, audit row).
pub async fn apply_rules(config: &Config, file: &Path, yes: bool) -> Result<ExitCode> {
    let text = read_rules_file(file)?;
    let origin = file.display().to_string();
    apply_text(config, &text, &origin, yes, "rules apply", "rules_applied").await
}

/// The guarded apply of `text` (read from `origin`) shared by `rules
/// apply` and `rules restore`: validated, tried beside the rules in
/// force, refused (audited `rules_refused`, exit 1) unless harmless or
/// `yes`, then recorded as a rules version by `how` and audited as
/// `action`.
pub(super) async fn apply_text(
    config: &Config,
    text: &str,
    origin: &str,
    yes: bool,
    how: &str,
    action: &str,
) -> Result<ExitCode> {
    let diagnostics = crate::rules::validate(text, origin);
    let mut out = stdout();
    let Some(candidate) = load_checked(text, origin, &diagnostics, &mut out)? else {
        return Ok(ExitCode::FAILURE);
    };
    for d in &diagnostics {
        writeln!(out, "{d}")?;
    }
    let in_force = live::cli_rules(config).await?;
    let store = crate::store::Store::open(config).await?;
    let ctx = live::plan_context(&store).await?;
    let sources = Sources::connect(config).await?;
    let dry_run = live::dry_run(&sources, &in_force, &candidate, &ctx).await;
    sources.close().await;
    let dry_run = dry_run?;
    let refusal = crate::rules::guard(&dry_run).err();
    if let Some(refusal) = &refusal {
        if !yes {
            writeln!(
                out,
                "{origin}: not applied: against {} these rules would hurt the plan:\n{refusal}\n\
                 See every change with `buyerdesk rules test {origin}`; apply anyway with --yes",
                in_force.origin
            )?;
            let detail = crate::store::rules_versions::refused_detail(
                origin,
                text,
                Some(how),
                &refusal.to_string(),
            );
            if let Err(e) = store.audit("rules_refused", None, &detail).await {
                writeln!(out, "the refusal was not audited: {e:#}")?;
            }
            store.source.close().await;
            return Ok(ExitCode::FAILURE);
        }
    }
    // The rules replaced stay restorable, even when no version was kept
    // before this first apply.
    live::record_first_version(&store, &in_force, "in force before the first apply").await;
    let user = store.user.clone();
    let recording = crate::store::authoring::Recording {
        user: &user,
        how,
        action,
        summary: Some(crate::store::rules_versions::summary_line(&dry_run.summary)),
        confirmed: refusal.as_ref().map(ToString::to_string),
    };
    let applied = crate::store::authoring::apply_recorded(config, &store, text, &recording).await;
    store.source.close().await;
    match applied {
        Ok(applied) => {
            if let Some(refusal) = &refusal {
                writeln!(out, "Applied with --yes although:\n{refusal}")?;
            }
            writeln!(
                out,
                "Applied {origin} as {}, rules version {} ({} rules, sha256 {}); orders {} -> {}",
                applied.path.display(),
                applied.version.number,
                applied.rules.rule_names.len(),
                applied.version.short(),
                dry_run.summary.orders_before,
                dry_run.summary.orders_after
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            writeln!(out, "{origin}: not applied: {e}")?;
            Ok(ExitCode::FAILURE)
        }
    }
}

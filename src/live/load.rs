//! Glue between sources and plan: connect, load a snapshot, plan it.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use crate::config::Config;
use crate::plan::{self, PlanContext, ProductPlan, RuleSet};
use crate::rules::DryRun;
use crate::sources::Sources;

/// Timings of one full plan, for the benchmark and the log.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanTimings {
    pub load: Duration,
    pub rules: Duration,
}

/// Loads the rules from --rules, the configured `[general] rules` (an
/// error if it is missing), `<data_dir>/purchasing.grl` when it exists (the
/// rules applied from the app), or the embedded default. A file with any
/// validation error is refused.
pub fn load_rules(config: &Config, explicit: Option<&std::path::Path>) -> Result<RuleSet> {
    let path = explicit
        .map(|p| p.to_path_buf())
        .or_else(|| config.rules_file_in_force());
    match path {
        None => Ok(RuleSet::embedded()),
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| anyhow::anyhow!("{}: cannot read the rules file: {e}", p.display()))?;
            Ok(crate::rules::load(&text, &p.display().to_string())?)
        }
    }
}

/// Whether a load aggregates the daily history (the costliest query of a
/// load): always, where the table exists, since the stored forecasts are
/// matched to the history they came from by its statistics (their
/// fingerprint, DOMAIN.md section 5), whatever the rules read.
pub fn needs_history(_rules: &RuleSet) -> bool {
    true
}

/// Loads the sources (all products, or only `products`) and plans them.
pub async fn plan_products(
    sources: &Sources,
    rules: &RuleSet,
    ctx: &PlanContext,
    products: &[String],
) -> Result<(Vec<ProductPlan>, PlanTimings)> {
    let start = Instant::now();
    let filter = product_filter(products)?;
    let rows = sources
        .load(
            (!filter.is_empty()).then_some(filter.as_slice()),
            needs_history(rules),
        )
        .await?;
    let load = start.elapsed();
    let start = Instant::now();
    let inputs = plan::join(rows);
    let join = start.elapsed();
    refuse_unknown(&filter, &inputs)?;
    let dated = super::forecasting::with_last_day(sources, ctx, &inputs, filter.is_empty()).await?;
    let ctx = dated.as_ref().unwrap_or(ctx);
    let plans = tokio::task::block_in_place(|| plan::plan_all(&inputs, ctx, rules));
    let rules_time = start.elapsed();
    tracing::info!(
        products = plans.len(),
        load_ms = load.as_millis() as u64,
        join_ms = join.as_millis() as u64,
        rules_ms = rules_time.as_millis() as u64,
        "planned"
    );
    Ok((
        plans,
        PlanTimings {
            load,
            rules: rules_time,
        },
    ))
}

/// The product ids named on the command line, trimmed; one holding a
/// control character (no product id has one) is refused.
pub(super) fn product_filter(ids: &[String]) -> Result<Vec<String>> {
    let filter: Vec<String> = ids.iter().map(|p| p.trim().to_string()).collect();
    if let Some(bad) = filter.iter().find(|p| p.chars().any(char::is_control)) {
        bail!("product id {bad:?} holds a control character: no product id has one");
    }
    Ok(filter)
}

/// An error naming the ids of `filter` that no source knows.
pub(super) fn refuse_unknown(
    filter: &[String],
    inputs: &[std::sync::Arc<plan::ProductInputs>],
) -> Result<()> {
    let unknown: Vec<&str> = filter
        .iter()
        .filter(|id| !inputs.iter().any(|p| *p.product_id == ***id))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        bail!(
            "unknown product(s): {} (not in the OMS, inventory or supplier source)",
            crate::text::printable(&unknown.join(", "))
        );
    }
    Ok(())
}

/// The dry run on the products `ids` only, each with its detail
/// (`rules::dryrun::dry_run_detailed`); an id no source knows is an error
/// naming it.
pub async fn dry_run_on(
    sources: &Sources,
    in_force: &RuleSet,
    candidate: &RuleSet,
    ctx: &PlanContext,
    ids: &[String],
) -> Result<DryRun> {
    let filter = product_filter(ids)?;
    let rows = sources
        .load(
            Some(filter.as_slice()),
            needs_history(in_force) || needs_history(candidate),
        )
        .await?;
    let inputs = plan::join(rows);
    refuse_unknown(&filter, &inputs)?;
    let dated = super::forecasting::with_last_day(sources, ctx, &inputs, false).await?;
    let ctx = dated.as_ref().unwrap_or(ctx);
    Ok(tokio::task::block_in_place(|| {
        crate::rules::dryrun::dry_run_detailed(&inputs, ctx, in_force, candidate)
    }))
}

/// Loads every product from the sources and runs the dry run of
/// `candidate` beside `in_force` (`rules::dry_run`).
pub async fn dry_run(
    sources: &Sources,
    in_force: &RuleSet,
    candidate: &RuleSet,
    ctx: &PlanContext,
) -> Result<DryRun> {
    let start = Instant::now();
    let rows = sources
        .load(None, needs_history(in_force) || needs_history(candidate))
        .await?;
    let load = start.elapsed();
    let start = Instant::now();
    let inputs = plan::join(rows);
    let dated = super::forecasting::with_last_day(sources, ctx, &inputs, true).await?;
    let ctx = dated.as_ref().unwrap_or(ctx);
    let dry_run =
        tokio::task::block_in_place(|| crate::rules::dry_run(&inputs, ctx, in_force, candidate));
    tracing::info!(
        products = inputs.len(),
        changed = dry_run.summary.changed,
        load_ms = load.as_millis() as u64,
        dry_run_ms = start.elapsed().as_millis() as u64,
        "dry run of {} against {}",
        candidate.origin,
        in_force.origin
    );
    Ok(dry_run)
}

/// What the plan needs from the purchasing database: the buyers' overrides,
/// buyerdesk's own open POs and the stored forecasts (read, never
/// computed: `buyerdesk forecast` and the screen compute them).
pub async fn plan_context(store: &crate::store::Store) -> Result<PlanContext> {
    let overrides = store.override_rows().await?;
    let mut ctx = PlanContext {
        overrides: overrides
            .into_iter()
            .map(|o| (o.ov.product_id.clone(), o.note_for_plan()))
            .collect(),
        forecasts: store.forecasts().await?,
        ..Default::default()
    };
    set_open_pos(&mut ctx, store.open_pos_by_product().await?);
    Ok(ctx)
}

/// Puts the open POs (`Store::open_pos_by_product`) into a plan context.
pub fn set_open_pos(
    ctx: &mut PlanContext,
    open: std::collections::HashMap<String, crate::orders::OpenPo>,
) {
    ctx.own_open_po_qty.clear();
    ctx.open_po_refs.clear();
    ctx.unapproved_po_refs.clear();
    for (id, po) in open {
        if po.counted_qty > 0.0 {
            ctx.own_open_po_qty.insert(id.clone(), po.counted_qty);
        }
        if !po.unapproved_refs.is_empty() {
            ctx.unapproved_po_refs
                .insert(id.clone(), po.unapproved_refs);
        }
        if !po.refs.is_empty() {
            ctx.open_po_refs.insert(id, po.refs);
        }
    }
}

/// The rules file in force has errors: what the screen and the CLI say,
/// and what they use instead.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokenRules {
    /// The broken file.
    pub path: std::path::PathBuf,
    /// Its text (for the editor; lossy when not UTF-8).
    pub text: String,
    /// The first error, "file:line:col: error: message".
    pub first_error: String,
    /// Where it is: "file:line:col" (the file alone when it is not UTF-8).
    pub at: String,
    /// The rules version used instead (`None`: none kept).
    pub version: Option<i64>,
}

impl BrokenRules {
    /// One line: "<file:line:col: error>; using rules version N" (or "no
    /// good rules version kept: no plan").
    pub fn line(&self) -> String {
        let used = match self.version {
            Some(v) => format!("using the last good rules version {v}"),
            None => "no good rules version kept: no plan until it is fixed".to_string(),
        };
        format!("{}; {used}", crate::text::printable(&self.first_error))
    }

    /// The screen's banner, what matters first (a line is cut at the
    /// terminal's width): where, which version is used, then the error.
    pub fn banner(&self) -> String {
        let used = match self.version {
            Some(v) => format!("using version {v}"),
            None => "no good version kept: no plan".to_string(),
        };
        let message = (self.first_error)
            .strip_prefix(&format!("{}: ", self.at))
            .unwrap_or(&self.first_error);
        crate::text::printable(&format!(
            "RULES FILE BROKEN at {}; {used}; R opens it. {message}",
            self.at
        ))
        .into_owned()
    }
}

/// The rules in force as the screen and the planning commands start with
/// them: `load_rules`, except that a rules file with errors is replaced by
/// the last good version kept in the purchasing store (the newest recorded
/// for that path, else the newest) and said in `broken`. `rules` is `None`
/// only when the file is broken and no version is kept.
#[derive(Debug)]
pub struct StartRules {
    pub rules: Option<RuleSet>,
    pub broken: Option<BrokenRules>,
}

/// `load_rules` with the fallback of `StartRules`; `store` may be down (no
/// fallback then: the file's error is returned as before).
pub async fn load_rules_or_last_good(
    config: &Config,
    store: Option<&crate::store::Store>,
) -> Result<StartRules> {
    let Some(path) = config.rules_file_in_force() else {
        return Ok(StartRules {
            rules: Some(RuleSet::embedded()),
            broken: None,
        });
    };
    let origin = path.display().to_string();
    let bytes = std::fs::read(&path)
        .map_err(|e| anyhow::anyhow!("{origin}: cannot read the rules file: {e}"))?;
    let (text, (error, at)) = match crate::rules::lexer::decode(&bytes) {
        Ok(text) => match crate::rules::load(text, &origin) {
            Ok(rules) => {
                return Ok(StartRules {
                    rules: Some(rules),
                    broken: None,
                })
            }
            Err(e) => (text.to_string(), first_error(&e)),
        },
        Err(e) => (
            String::from_utf8_lossy(&bytes).into_owned(),
            (
                format!("{origin}: {e}; save the file as UTF-8"),
                origin.clone(),
            ),
        ),
    };
    let last = match store {
        Some(store) => store.last_rules_version(&origin).await?,
        None => None,
    };
    let rules = match &last {
        Some(v) => Some(crate::rules::load(&v.text, &origin).map_err(|e| {
            anyhow::anyhow!("{error}; rules version {} fails too: {e}", v.info.number)
        })?),
        None if store.is_some() => None,
        None => anyhow::bail!("{error}"),
    };
    Ok(StartRules {
        rules,
        broken: Some(BrokenRules {
            path,
            text,
            first_error: error,
            at,
            version: last.map(|v| v.info.number),
        }),
    })
}

/// The first error of a refused load, as a compiler prints it, and where
/// it is ("file:line:col").
fn first_error(e: &crate::rules::LoadError) -> (String, String) {
    match e {
        crate::rules::LoadError::Invalid {
            origin,
            diagnostics,
        } => match diagnostics.iter().find(|d| d.is_error()) {
            // One line: the hint after the message.
            Some(d) => (
                (d.to_string().lines().map(str::trim))
                    .collect::<Vec<_>>()
                    .join("; "),
                format!("{origin}:{}:{}", d.line, d.col),
            ),
            None => (
                format!("{origin}: the rules were not loaded"),
                origin.clone(),
            ),
        },
        other => {
            let text = other.to_string();
            let first = text.lines().next().unwrap_or_default().to_string();
            let at = first.split(": ").next().unwrap_or_default().to_string();
            (first, at)
        }
    }
}

/// The rules the planning commands use: the file in force, or (broken)
/// the last good version with a warning on stderr, or with `strict` an
/// error. Audited as `rules_broken_on_start`. A valid file that differs
/// from the newest version recorded for its path (changed by hand since)
/// is not used unguarded: that version is, with a warning (`rules apply`
/// puts the file in force through the guard).
pub async fn cli_rules(config: &Config) -> Result<RuleSet> {
    let strict = STRICT.load(std::sync::atomic::Ordering::Relaxed);
    let store = crate::store::Store::open(config).await.ok();
    let start = load_rules_or_last_good(config, store.as_ref()).await?;
    let Some(broken) = &start.broken else {
        let rules = start.rules.expect("valid rules");
        let Some(store) = &store else {
            return Ok(rules);
        };
        let last = store.last_rules_version(&rules.origin).await.ok().flatten();
        store.source.close().await;
        if let Some((number, kept)) = recorded_if_changed(&rules, last) {
            let origin = crate::text::printable(&rules.origin);
            eprintln!(
                "buyerdesk: warning: {origin} differs from rules version {number} (the last recorded, changed since): using version {number}; put the file in force with `buyerdesk rules apply {origin}`"
            );
            return Ok(kept);
        }
        return Ok(rules);
    };
    if strict || start.rules.is_none() {
        if let Some(store) = &store {
            store.source.close().await;
        }
        anyhow::bail!(
            "{}{}",
            crate::text::printable(&broken.first_error),
            if strict { " (--strict)" } else { "" }
        );
    }
    eprintln!("buyerdesk: warning: {}", broken.line());
    if let Some(store) = &store {
        audit_broken(store, broken).await;
        store.source.close().await;
    }
    Ok(start.rules.expect("checked"))
}

/// The rules file in force changed by hand since `last`, the newest version
/// recorded for it: that version's number and rules, to use until the
/// file goes in force through the guard. `None` when the file is the
/// version, `last` is another file's, it no longer loads, or the rules are
/// the embedded ones (no file for a guard to try).
fn recorded_if_changed(
    rules: &RuleSet,
    last: Option<crate::store::rules_versions::RulesVersion>,
) -> Option<(i64, RuleSet)> {
    if rules.origin == plan::EMBEDDED_ORIGIN {
        return None;
    }
    let hash = crate::store::rules_versions::sha256_hex(&rules.text);
    let last = last.filter(|l| l.info.origin == rules.origin && l.info.sha256 != hash)?;
    let kept = crate::rules::load(&last.text, &rules.origin).ok()?;
    Some((last.info.number, kept))
}

/// `rules_broken_on_start`: the broken file's first error and the version
/// used instead.
pub async fn audit_broken(store: &crate::store::Store, broken: &BrokenRules) {
    let detail = broken.line();
    if let Err(e) = store.audit("rules_broken_on_start", None, &detail).await {
        tracing::warn!("the broken rules file was not audited: {e:#}");
    }
}

/// `buyerdesk --strict`: a broken rules file stops the planning commands
/// (`cli_rules`) instead of falling back to the last good version.
static STRICT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets `--strict` for this process (main, before any command runs).
pub fn set_strict(strict: bool) {
    STRICT.store(strict, std::sync::atomic::Ordering::Relaxed);
}

/// The rules the screen starts with (`screen_rules`).
#[derive(Debug)]
pub struct ScreenRules {
    pub rules: RuleSet,
    /// The rules file is broken (`rules` is the last good version, or the
    /// embedded rules when none is kept: the screen shows no plan).
    pub broken: Option<BrokenRules>,
    /// The file differs from the last version recorded for it: `rules` is
    /// that version; the live task's guard decides on the file.
    pub check_disk: bool,
}

/// Records `rules` (the rules in force) as the first version when the
/// store keeps none yet, so that the rules an apply replaces can always be
/// listed, compared and restored. A failure is logged: it never stops
/// the start or the apply.
pub async fn record_first_version(store: &crate::store::Store, rules: &RuleSet, how: &str) {
    match store.rules_versions().await {
        Ok(kept) if kept.is_empty() => {}
        Ok(_) => return,
        Err(e) => {
            tracing::warn!("the rules versions could not be read: {e:#}");
            return;
        }
    }
    let new = crate::store::rules_versions::NewVersion {
        user: &store.user,
        how,
        origin: &rules.origin,
        text: &rules.text,
        rules: rules.rule_names.len(),
        summary: None,
    };
    if let Err(e) = store
        .record_rules_version(&new, &[("rules_recorded", String::new())])
        .await
    {
        tracing::warn!("the rules in force were not recorded: {e:#}");
    }
}

/// The rules the screen starts with: the file in force; broken, the last
/// good version (audited `rules_broken_on_start`); changed since the last
/// version recorded for it, that version (the file goes through the guard
/// once the first plans are made). With no version kept at all, the rules
/// in force are recorded as the first ("first seen at start"). The store
/// may be down: the file is used as it is then.
pub async fn screen_rules(config: &Config, store: &crate::store::Store) -> Result<ScreenRules> {
    let up = store.is_migrated().then_some(store);
    let start = load_rules_or_last_good(config, up).await?;
    if let Some(broken) = start.broken {
        if let Some(store) = up {
            audit_broken(store, &broken).await;
        }
        return Ok(ScreenRules {
            rules: start.rules.unwrap_or_else(RuleSet::embedded),
            broken: Some(broken),
            check_disk: false,
        });
    }
    let rules = start.rules.expect("valid rules");
    let Some(store) = up else {
        return Ok(ScreenRules {
            rules,
            broken: None,
            check_disk: false,
        });
    };
    match store.last_rules_version(&rules.origin).await? {
        None => record_first_version(store, &rules, "first seen at start").await,
        last => {
            if let Some((number, kept)) = recorded_if_changed(&rules, last) {
                tracing::info!(
                    version = number,
                    "{}: differs from the last recorded version: it goes through the guard",
                    rules.origin
                );
                return Ok(ScreenRules {
                    rules: kept,
                    broken: None,
                    check_disk: true,
                });
            }
        }
    }
    Ok(ScreenRules {
        rules,
        broken: None,
        check_disk: false,
    })
}

/// The products the policy backtest replays (`rules::backtest`): every
/// product (or the ones in `ids`) with its daily history, the series
/// running to the history table's last day. `None` when the OMS source has
/// no history table; an id no source knows is an error naming it.
pub async fn backtest_products(
    sources: &Sources,
    ids: &[String],
) -> Result<Option<Vec<crate::rules::backtest::Product>>> {
    let filter = product_filter(ids)?;
    let only = (!filter.is_empty()).then_some(filter.as_slice());
    let rows = sources.load(only, true).await?;
    let Some(history) = &rows.history else {
        return Ok(None);
    };
    // The table's last day, every product's (a product that stopped
    // selling runs to it in zeros).
    let all;
    let stats = match only {
        None => history,
        Some(_) => {
            all = sources.oms.load_history(None).await?.unwrap_or_default();
            &all
        }
    };
    let last_day = (stats.iter())
        .filter_map(|h| h.last_day.as_deref())
        .max()
        .map(str::to_string);
    let inputs = plan::join(rows);
    refuse_unknown(&filter, &inputs)?;
    let Some(last_day) = last_day else {
        return Ok(Some(Vec::new()));
    };
    let series = sources.oms.load_series(only, &last_day).await?;
    let mut by_id: std::collections::HashMap<std::sync::Arc<str>, crate::forecast::DailySeries> =
        series
            .map(|s| s.series)
            .unwrap_or_default()
            .into_iter()
            .collect();
    Ok(Some(
        inputs
            .into_iter()
            .filter_map(|p| {
                let series = by_id.remove(&p.product_id)?;
                Some(crate::rules::backtest::Product { inputs: p, series })
            })
            .collect(),
    ))
}

/// The editor's last backtest of the rules in force: (rules text, origin,
/// days), the products it replayed, and its answer.
type InForceBacktest = (
    (String, String, u32),
    Vec<crate::rules::backtest::Product>,
    crate::rules::backtest::Backtest,
);
static LAST_IN_FORCE: std::sync::Mutex<Option<InForceBacktest>> = std::sync::Mutex::new(None);

/// The editor's backtest (F6): the rules in force and the draft, both
/// already loaded, replayed over the last `days` days of every product's
/// history on all cores but one (`rules::backtest`), from a connection of
/// its own. Given up (an error) once `stop` is set.
pub async fn backtest_comparison(
    config: &Config,
    in_force: RuleSet,
    draft: RuleSet,
    days: u32,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<crate::rules::backtest::Comparison> {
    use crate::rules::backtest;
    let sources = Sources::connect(config).await?;
    let products = backtest_products(&sources, &[]).await;
    sources.close().await;
    let Some(products) = products? else {
        bail!("no daily history: the OMS source has no oms_daily_demand table");
    };
    if products.is_empty() {
        bail!("no product has daily history");
    }
    let comparison = tokio::task::spawn_blocking(move || {
        let threads = backtest::default_threads();
        let prepared = backtest::prepare(&products, days, backtest::Start::Policy, threads);
        // The rules in force on the same products: the last answer (the
        // replay is a function of these), so that an author's second F6
        // replays only the draft.
        let key = (in_force.text.to_string(), in_force.origin.clone(), days);
        let mut last = LAST_IN_FORCE.lock().unwrap_or_else(|p| p.into_inner());
        let cached = (last.as_ref())
            .filter(|(k, p, _)| *k == key && *p == products)
            .map(|(_, _, b)| b.clone());
        drop(last);
        let in_force = match cached {
            Some(b) => b,
            None => prepared.run_unless_stopped(&in_force, threads, &stop)?,
        };
        let draft = prepared.run_unless_stopped(&draft, threads, &stop)?;
        last = LAST_IN_FORCE.lock().unwrap_or_else(|p| p.into_inner());
        *last = Some((key, products, in_force.clone()));
        Some(backtest::Comparison { in_force, draft })
    })
    .await?;
    comparison.ok_or_else(|| anyhow::anyhow!("stopped: no longer wanted"))
}

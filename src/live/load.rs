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
        .or_else(|| config.file.general.rules.clone())
        .or_else(|| Some(config.rules_path()).filter(|p| p.exists()));
    match path {
        None => Ok(RuleSet::embedded()),
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| anyhow::anyhow!("{}: cannot read the rules file: {e}", p.display()))?;
            Ok(crate::rules::load(&text, &p.display().to_string())?)
        }
    }
}

/// The daily history is aggregated (the costliest query of a load) only
/// when the rules read its statistics.
pub fn needs_history(rules: &RuleSet) -> bool {
    rules.uses_field("demand_sigma") || rules.uses_field("history_days")
}

/// Loads the sources (all products, or only `products`) and plans them.
pub async fn plan_products(
    sources: &Sources,
    rules: &RuleSet,
    ctx: &PlanContext,
    products: &[String],
) -> Result<(Vec<ProductPlan>, PlanTimings)> {
    let start = Instant::now();
    let filter: Vec<String> = products.iter().map(|p| p.trim().to_string()).collect();
    if let Some(bad) = filter.iter().find(|p| p.chars().any(char::is_control)) {
        bail!("product id {bad:?} holds a control character: no product id has one");
    }
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

/// An error naming the ids of `filter` that no source knows.
fn refuse_unknown(filter: &[String], inputs: &[std::sync::Arc<plan::ProductInputs>]) -> Result<()> {
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
    let filter: Vec<String> = ids.iter().map(|p| p.trim().to_string()).collect();
    if let Some(bad) = filter.iter().find(|p| p.chars().any(char::is_control)) {
        bail!(
            "product id {} holds a control character: no product id has one",
            crate::text::printable(bad)
        );
    }
    let rows = sources
        .load(
            Some(filter.as_slice()),
            needs_history(in_force) || needs_history(candidate),
        )
        .await?;
    let inputs = plan::join(rows);
    refuse_unknown(&filter, &inputs)?;
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

/// What the plan needs from the purchasing database: the buyers' overrides
/// and buyerdesk's own open POs.
pub async fn plan_context(store: &crate::store::Store) -> Result<PlanContext> {
    let overrides = store.override_rows().await?;
    let mut ctx = PlanContext {
        overrides: overrides
            .into_iter()
            .map(|o| (o.ov.product_id.clone(), o.note_for_plan()))
            .collect(),
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

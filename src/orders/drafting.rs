//! Drafting against the store: the options a draft takes from the config
//! and the purchasing database, and drafting plans into saved POs.

use anyhow::Result;

use super::{build_drafts, DraftOptions, DraftOutcome};
use crate::config::Config;
use crate::plan::ProductPlan;
use crate::store::Store;

/// Today in the buyer's time zone.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Drafting options from the config and the store.
pub async fn draft_options(config: &Config, store: &Store) -> Result<DraftOptions> {
    let orders = super::OrdersConfig::read(&config.file, &config.origin)?;
    Ok(DraftOptions {
        today: today(),
        approval_threshold: orders.approval_threshold,
        default_currency: orders.currency,
        open_products: store.open_products().await?,
        allow_stale: Vec::new(),
    })
}

/// Drafts POs from `plans` and saves them (products with stale data are
/// left out).
pub async fn draft_plans(
    config: &Config,
    store: &Store,
    plans: &[&ProductPlan],
) -> Result<DraftOutcome> {
    draft_plans_allowing_stale(config, store, plans, &[]).await
}

/// `draft_plans`, drafting also from the last data of the stale sources
/// the buyer confirmed (`DraftOptions::allow_stale`).
pub async fn draft_plans_allowing_stale(
    config: &Config,
    store: &Store,
    plans: &[&ProductPlan],
    allow_stale: &[String],
) -> Result<DraftOutcome> {
    let mut opts = draft_options(config, store).await?;
    opts.allow_stale = allow_stale.to_vec();
    if !allow_stale.is_empty() {
        tracing::info!(
            "drafting with the buyer's confirmation to use the last data of: {}",
            allow_stale.join(", ")
        );
    }
    let drafts = build_drafts(plans, &opts);
    store.create_pos(drafts).await
}

//! `buyerdesk plan`: every product (or the ones named) planned with the
//! rules in force (or a file), as a table, JSON or CSV.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;

use super::report;
use super::stdout;
use crate::config::Config;
use crate::live;
use crate::plan;
use crate::sources::Sources;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

pub async fn print_plan(
    config: &Config,
    products: &[String],
    format: Format,
    rules: Option<PathBuf>,
    fit: &report::Fit,
) -> Result<ExitCode> {
    let rules = match rules {
        Some(path) => live::load_rules(config, Some(&path))?,
        None => live::cli_rules(config).await?,
    };
    let store = crate::store::Store::open(config).await?;
    let ctx = live::plan_context(&store).await?;
    store.source.close().await;
    let sources = Sources::connect(config).await?;
    let (mut plans, _timings) = live::plan_products(&sources, &rules, &ctx, products).await?;
    sources.close().await;
    let out = stdout();
    let written = match format {
        Format::Json => report::write_json(&plans, out),
        Format::Csv => report::write_csv(&plans, out),
        Format::Table => {
            plan::sort_for_buyers(&mut plans);
            let table = report::table(
                &plans,
                fit,
                &crate::orders::OrdersConfig::currency_of(&config.file),
            );
            let mut out = out;
            out.write_all(table.as_bytes()).map_err(anyhow::Error::from)
        }
    };
    // Freeing 100,000 plans one by one takes longer than the process exit
    // that frees them at once.
    std::mem::forget(plans);
    written?;
    Ok(ExitCode::SUCCESS)
}

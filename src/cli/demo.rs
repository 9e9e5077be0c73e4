//! `buyerdesk demo`: the demo databases filled (or the contract's tables
//! printed for a backend).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;

use super::stdout;
use crate::config::Config;
use crate::demo;
use crate::sources::Backend;

/// `demo --schema BACKEND`: the contract's CREATE TABLE statements.
pub fn schema(backend: &str) -> Result<ExitCode> {
    let backend = Backend::of_url(&format!("{backend}://"))?;
    write!(stdout(), "{}", demo::schema_sql(backend))?;
    Ok(ExitCode::SUCCESS)
}

/// `demo`: fills the demo databases; what it wrote on stderr.
pub async fn seed(config: &Config, products: usize, seed: u64, force: bool) -> Result<ExitCode> {
    let start = std::time::Instant::now();
    let summary = demo::seed(
        config,
        products,
        seed,
        force,
        std::io::stderr().is_terminal(),
    )
    .await?;
    // A closed stderr is no reason to fail a seed that worked.
    let _ = writeln!(
        std::io::stderr(),
        "demo: {} products ({} OMS, {} history, {} inventory, {} supplier, {} UOM rows) in {:.1} s",
        summary.products,
        summary.oms_rows,
        summary.history_rows,
        summary.inventory_rows,
        summary.supplier_rows,
        summary.uom_rows,
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

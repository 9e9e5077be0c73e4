//! `buyerdesk doctor`: what each source is, whether it answers, and what its
//! tables hold.

use std::fmt::Write;

use anyhow::{anyhow, Result};

use crate::config::{Config, SourceKind};
use crate::sources::{self, Access, Source};

/// The report, and whether every source answered.
pub async fn run(config: &Config) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    let _ = writeln!(out, "config: {}", config.origin);
    let checks = SourceKind::ALL.map(|kind| async move { (kind, check(config, kind).await) });
    for (kind, result) in futures::future::join_all(checks).await {
        match result {
            Ok(text) => out.push_str(&text),
            Err(e) => {
                ok = false;
                let _ = writeln!(out, "\n[{kind}] UNREACHABLE\n  {e:#}");
            }
        }
    }
    (out, ok)
}

async fn check(config: &Config, kind: SourceKind) -> Result<String> {
    let resolved = config.resolve(kind).map_err(|e| anyhow!(e))?;
    let source = if kind == SourceKind::Purchasing {
        Source::connect(&resolved, Access::ReadWrite).await?
    } else {
        sources::connect_source(config, kind).await?
    };
    let (version, rtt) = source.ping().await?;
    let mut out = String::new();
    let _ = writeln!(out, "\n[{kind}] up");
    let _ = writeln!(out, "  backend:  {} {}", source.backend.name(), version);
    let _ = writeln!(
        out,
        "  url:      {} (from {})",
        resolved.redacted_url, resolved.origin
    );
    let _ = writeln!(out, "  latency:  {:.1} ms", rtt.as_secs_f64() * 1000.0);
    let tables: &[(&str, &[&str], &[&str])] = match kind {
        SourceKind::Oms => &[
            (
                "oms_history",
                sources::oms::REQUIRED,
                sources::oms::OPTIONAL,
            ),
            ("oms_daily_demand", sources::oms::HISTORY_COLUMNS, &[]),
        ],
        SourceKind::Inventory => &[(
            "inventory",
            sources::inventory::REQUIRED,
            sources::inventory::OPTIONAL,
        )],
        SourceKind::Supplier => &[(
            "suppliers",
            sources::supplier::REQUIRED,
            sources::supplier::OPTIONAL,
        )],
        SourceKind::Uom => &[("uom_conversions", sources::uom::REQUIRED, &[])],
        SourceKind::Purchasing => &[],
    };
    if resolved.settings.query.is_some() {
        let _ = writeln!(out, "  query:    configured override");
    }
    for (table, required, optional) in tables {
        let cols = source.table_columns(table).await?;
        if cols.is_empty() {
            let note = if *table == "oms_daily_demand" {
                "absent (optional table)"
            } else {
                "MISSING"
            };
            let _ = writeln!(out, "  {table}: {note}");
            continue;
        }
        let rows = source.count_rows(table).await?;
        let missing_req: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !cols.contains(*c))
            .collect();
        let found: Vec<&str> = optional
            .iter()
            .copied()
            .filter(|c| cols.contains(*c))
            .collect();
        let missing: Vec<&str> = optional
            .iter()
            .copied()
            .filter(|c| !cols.contains(*c))
            .collect();
        let _ = writeln!(out, "  {table}: {rows} rows");
        if !missing_req.is_empty() {
            let _ = writeln!(
                out,
                "    REQUIRED COLUMNS MISSING: {}",
                missing_req.join(", ")
            );
        }
        if !optional.is_empty() {
            let list = |v: &[&str]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            let _ = writeln!(out, "    optional found:   {}", list(&found));
            let _ = writeln!(out, "    optional missing: {}", list(&missing));
        }
    }
    source.close().await;
    Ok(out)
}

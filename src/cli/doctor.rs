//! `buyerdesk doctor`: what each source is, whether it answers, and what its
//! tables hold.

use std::fmt::Write;

use anyhow::{anyhow, Result};

use crate::config::{Config, SourceKind};
use crate::sources;
use crate::store::identity::send_key;
use crate::store::Store;

/// The report, and whether every source answered.
pub async fn run(config: &Config) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    let _ = writeln!(out, "config: {}", config.origin);
    let checks = SourceKind::ALL.map(|kind| async move { (kind, check(config, kind).await) });
    for (kind, result) in futures::future::join_all(checks).await {
        match result {
            Ok((text, usable)) => {
                ok &= usable;
                out.push_str(&text);
            }
            Err(e) => {
                ok = false;
                // Reached, but not the database this workstation used there.
                let state = if e.downcast_ref::<crate::store::Refused>().is_some() {
                    "REFUSED"
                } else {
                    "UNREACHABLE"
                };
                let _ = writeln!(out, "\n[{kind}] {state}\n  {e:#}");
            }
        }
    }
    (out, ok)
}

/// One source's section, and whether `plan` can use it.
async fn check(config: &Config, kind: SourceKind) -> Result<(String, bool)> {
    let resolved = config.resolve(kind).map_err(|e| anyhow!(e))?;
    // The purchasing database opened as every command opens it: migrated,
    // its identity read, refused when it is not the one this workstation
    // used there.
    let store = if kind == SourceKind::Purchasing {
        Some(Store::open(config).await?)
    } else {
        None
    };
    let source = match &store {
        Some(store) => store.source.clone(),
        None => sources::connect_source(config, kind).await?,
    };
    let (version, rtt) = source.ping().await?;
    let mut out = String::new();
    let mut usable = true;
    let _ = writeln!(out, "\n[{kind}] up");
    let _ = writeln!(out, "  backend:  {} {}", source.backend.name(), version);
    let _ = writeln!(
        out,
        "  url:      {} (from {})",
        resolved.redacted_url, resolved.origin
    );
    let _ = writeln!(out, "  latency:  {:.1} ms", rtt.as_secs_f64() * 1000.0);
    if let Some(identity) = store.as_ref().and_then(|s| s.identity()) {
        let p = crate::text::printable;
        let _ = writeln!(
            out,
            "  identity: {} (created {} by {})",
            p(&identity.identity),
            p(&identity.created_at),
            p(&identity.created_by)
        );
        let _ = writeln!(
            out,
            "  keys:     {} (Idempotency-Key and outbox file names; POs drafted before the identity: their number)",
            p(&send_key("PO-000123", &identity.identity))
        );
    }
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
    for (i, (table, required, optional)) in tables.iter().enumerate() {
        // The first table may be replaced by `query`, the OMS history by
        // `history_query`: check what buyerdesk will really read.
        let query = if i == 0 {
            resolved.settings.query.as_deref()
        } else {
            resolved.settings.history_query.as_deref()
        };
        let optional_table = *table == "oms_daily_demand";
        let (label, cols, count_from) = match query {
            Some(q) => match source.query_columns(q).await {
                Ok(cols) => (
                    format!("{table} (configured query)"),
                    cols,
                    format!("({q}) AS src"),
                ),
                Err(e) => {
                    usable = false;
                    let _ = writeln!(out, "  {table}: CONFIGURED QUERY FAILS: {e:#}");
                    continue;
                }
            },
            None => (
                table.to_string(),
                source.table_columns(table).await?,
                table.to_string(),
            ),
        };
        if cols.is_empty() {
            usable &= optional_table;
            let note = if optional_table {
                "absent (optional table)"
            } else {
                "MISSING"
            };
            let _ = writeln!(out, "  {label}: {note}");
            continue;
        }
        let rows = source.count_rows(&count_from).await?;
        let pick = |names: &[&'static str], present: bool| -> Vec<&'static str> {
            names
                .iter()
                .copied()
                .filter(|c| cols.contains(*c) == present)
                .collect()
        };
        let missing_required = pick(required, false);
        let _ = writeln!(out, "  {label}: {rows} rows");
        if !missing_required.is_empty() {
            usable = false;
            let _ = writeln!(
                out,
                "    REQUIRED COLUMNS MISSING: {}",
                missing_required.join(", ")
            );
        }
        if !optional.is_empty() {
            let list = |v: Vec<&str>| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            let _ = writeln!(out, "    optional found:   {}", list(pick(optional, true)));
            let _ = writeln!(out, "    optional missing: {}", list(pick(optional, false)));
        }
    }
    source.close().await;
    Ok((out, usable))
}

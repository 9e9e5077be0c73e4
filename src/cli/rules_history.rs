//! `buyerdesk rules history`, `rules diff A B` and `rules restore V`: the
//! rules versions kept in the purchasing store (`store::rules_versions`),
//! listed, compared (text and outcome) and put back in force through the
//! same guard as `rules apply`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::report::{self, fit, Fit};
use super::rules::TestFormat;
use super::stdout;
use crate::config::Config;
use crate::live;
use crate::store::rules_versions::{sha256_hex, unified_diff, VersionInfo};
use crate::store::Store;

/// The hash of the rules in force as the planning commands load them
/// (the file, or the embedded rules); `None` when the file cannot be read.
fn in_force_hash(config: &Config) -> Option<String> {
    match config.rules_file_in_force() {
        Some(p) => std::fs::read_to_string(p).ok().map(|t| sha256_hex(&t)),
        None => Some(sha256_hex(crate::plan::DEFAULT_RULES)),
    }
}

/// The number of the version in force: the newest whose hash is the rules
/// in force's; else (the file broken or changed unrecorded) none.
fn in_force_number(versions: &[VersionInfo], hash: Option<&str>) -> Option<i64> {
    let hash = hash?;
    versions
        .iter()
        .rev()
        .find(|v| v.sha256 == hash)
        .map(|v| v.number)
}

/// `rules history`: every version, oldest first, the one in force marked.
pub async fn history(config: &Config, format: TestFormat, fit: &Fit) -> Result<ExitCode> {
    let store = Store::open(config).await?;
    let versions = store.rules_versions().await;
    store.source.close().await;
    let versions = versions?;
    let current = in_force_number(&versions, in_force_hash(config).as_deref());
    let mut out = stdout();
    match format {
        TestFormat::Json => {
            #[derive(serde::Serialize)]
            struct Row<'a> {
                #[serde(flatten)]
                version: &'a VersionInfo,
                in_force: bool,
            }
            let rows: Vec<Row> = versions
                .iter()
                .map(|v| Row {
                    version: v,
                    in_force: Some(v.number) == current,
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        TestFormat::Table => out.write_all(history_table(&versions, current, fit).as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The history as an aligned table; the summary last, wrapped under its
/// column when the width is limited.
pub fn history_table(versions: &[VersionInfo], current: Option<i64>, fit: &Fit) -> String {
    if versions.is_empty() {
        return "No rules version recorded yet: one is kept at every apply, restore, \
                change on disk picked up, and at the first start.\n"
            .to_string();
    }
    let header = [
        "", "version", "time", "user", "how", "sha256", "previous", "rules",
    ];
    let rows: Vec<[String; 8]> = versions
        .iter()
        .map(|v| {
            [
                if Some(v.number) == current { "*" } else { "" }.to_string(),
                v.number.to_string(),
                fit::printable(&v.at).into_owned(),
                fit::printable(&v.user).into_owned(),
                fit::printable(&v.how).into_owned(),
                v.short().to_string(),
                v.previous
                    .as_deref()
                    .map(|p| crate::store::rules_versions::short(p).to_string())
                    .unwrap_or_else(|| "-".to_string()),
                v.rules.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(fit::width_of);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(fit::width_of(cell));
        }
    }
    let line = |cells: [&str; 8], summary: &str| {
        let mut head = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - fit::width_of(cell);
            // Numbers to the right, text to the left.
            if i == 1 || i == 7 {
                head.push_str(&" ".repeat(pad));
                head.push_str(cell);
            } else {
                head.push_str(cell);
                head.push_str(&" ".repeat(pad));
            }
            head.push_str("  ");
        }
        let beside = fit::width_of(&head);
        let mut out = String::new();
        let lines = match fit.width {
            Some(width) if beside + 20 > width => {
                let mut l = vec![head.trim_end().to_string()];
                if !summary.is_empty() {
                    l.extend(fit::wrap_indented(summary, fit, "    ", "    "));
                }
                l
            }
            Some(_) => fit::wrap_indented(summary, fit, &head, &" ".repeat(beside)),
            None => vec![format!("{head}{summary}")],
        };
        for l in lines {
            out.push_str(l.trim_end());
            out.push('\n');
        }
        out
    };
    let mut out = line(header, "summary");
    for (row, v) in rows.iter().zip(versions) {
        let summary = v.summary.as_deref().map(fit::printable).unwrap_or_default();
        out.push_str(&line(row.each_ref().map(String::as_str), &summary));
    }
    if current.is_some() {
        out.push_str("* in force\n");
    }
    out
}

/// A version named on the command line: its number, or `file` (the rules
/// file on disk in force).
async fn text_of(config: &Config, store: &Store, which: &str) -> Result<(String, String)> {
    if which == "file" {
        let path = config.rules_path();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow!("{}: cannot read the rules file: {e}", path.display()))?;
        return Ok((path.display().to_string(), text));
    }
    let number: i64 = which.parse().map_err(|_| {
        anyhow!("'{which}': give a version number (see `buyerdesk rules history`) or `file`")
    })?;
    let version = store
        .rules_version(number)
        .await?
        .ok_or_else(|| anyhow!("no rules version {number} (see `buyerdesk rules history`)"))?;
    Ok((format!("version {number}"), version.text))
}

/// `rules diff A B`: the text diff, then the dry run of B against A on the
/// current sources (the `rules test` table).
pub async fn diff(config: &Config, a: &str, b: &str, fit: &Fit) -> Result<ExitCode> {
    let store = Store::open(config).await?;
    let texts = async {
        let a = text_of(config, &store, a).await?;
        let b = text_of(config, &store, b).await?;
        Ok::<_, anyhow::Error>((a, b))
    }
    .await;
    let ((a_name, a_text), (b_name, b_text)) = match texts {
        Ok(t) => t,
        Err(e) => {
            store.source.close().await;
            return Err(e);
        }
    };
    let mut out = stdout();
    let text_diff = unified_diff(&a_name, &a_text, &b_name, &b_text);
    if text_diff.is_empty() {
        writeln!(out, "{a_name} and {b_name}: the same text")?;
    } else {
        for line in text_diff.lines() {
            writeln!(out, "{}", fit::printable(line))?;
        }
    }
    let load = |text: &str, name: &str| {
        crate::rules::load(text, name).map_err(|e| anyhow!("{name} cannot be loaded: {e}"))
    };
    let (a_rules, b_rules) = match (load(&a_text, &a_name), load(&b_text, &b_name)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            store.source.close().await;
            writeln!(out, "\nNo outcome diff: {e}")?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let ctx = live::plan_context(&store).await;
    store.source.close().await;
    let ctx = ctx?;
    let sources = crate::sources::Sources::connect(config).await?;
    let dry_run = live::dry_run(&sources, &a_rules, &b_rules, &ctx).await;
    sources.close().await;
    let mut dry_run = dry_run?;
    super::rules::settle(config, &mut dry_run)?;
    writeln!(
        out,
        "\nOutcome of {b_name} against {a_name} on the current sources:"
    )?;
    out.write_all(report::dry_run_table(&dry_run, false, fit).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `rules restore V [--yes]`: version V through the same path as `rules
/// apply` (validated, dry run, guard), recorded as a new version "restored
/// from V".
pub async fn restore(config: &Config, number: i64, yes: bool) -> Result<ExitCode> {
    let store = Store::open(config).await?;
    let version = store.rules_version(number).await;
    store.source.close().await;
    let version = version?
        .ok_or_else(|| anyhow!("no rules version {number} (see `buyerdesk rules history`)"))?;
    let how = format!("restored from {number}");
    super::rules::apply_text(
        config,
        &version.text,
        &format!("rules version {number}"),
        yes,
        &how,
        "rules_restored",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(number: i64, summary: Option<&str>) -> VersionInfo {
        VersionInfo {
            number,
            at: "2026-12-05T10:00:00Z".into(),
            user: "alice".into(),
            how: "rules apply".into(),
            origin: "/data/purchasing.grl".into(),
            sha256: format!("{number:064x}"),
            previous: (number > 1).then(|| format!("{:064x}", number - 1)),
            rules: 7,
            summary: summary.map(str::to_string),
        }
    }

    #[test]
    fn the_table_marks_the_version_in_force_and_shows_12_digits() {
        let versions = [version(1, None), version(2, Some("orders 5 -> 4"))];
        let table = history_table(&versions, Some(2), &Fit::width(120));
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[0].contains("version") && lines[0].contains("summary"),
            "{table}"
        );
        assert!(lines[2].starts_with('*'), "{table}");
        assert!(lines[2].contains(&versions[1].sha256[..12]), "{table}");
        assert!(
            !lines[2].contains(&versions[1].sha256[..13]),
            "12 digits shown: {table}"
        );
        assert!(
            lines[2].contains(&versions[0].sha256[..12]),
            "previous: {table}"
        );
        assert!(lines[2].ends_with("orders 5 -> 4"), "{table}");
        assert!(lines[1].starts_with(' '), "{table}");
        assert_eq!(lines.last(), Some(&"* in force"));
        assert!(table.lines().all(|l| fit::width_of(l) <= 120), "{table}");
    }

    #[test]
    fn the_version_in_force_is_the_newest_with_its_hash() {
        let mut versions = vec![version(1, None), version(2, None), version(3, None)];
        versions[2].sha256 = versions[0].sha256.clone();
        assert_eq!(
            in_force_number(&versions, Some(&versions[0].sha256.clone())),
            Some(3)
        );
        assert_eq!(in_force_number(&versions, Some("ff")), None);
    }

    #[test]
    fn the_unified_diff_shows_the_changed_line() {
        let a = "rule A\nthreshold 10000\nend\n";
        let b = "rule A\nthreshold 50000\nend\n";
        let d = unified_diff("version 1", a, "version 2", b);
        assert!(d.starts_with("--- version 1\n+++ version 2\n"), "{d}");
        assert!(d.contains("-threshold 10000\n+threshold 50000\n"), "{d}");
    }
}

//! Rules versions: every text that became the rules in force (applied in
//! the app, `rules apply`, `rules restore`, a file change on disk picked
//! up, the first rules file seen at start), kept whole in the purchasing
//! store with its number, time, user, how, origin path, SHA-256, the hash
//! of the version before it, its rule count and the dry-run summary line.
//! The store is the history: `rules history`, `rules diff`, `rules
//! restore` and the editor's history panel read it, and a broken rules
//! file on disk falls back to the last good version kept here.

use anyhow::{anyhow, Result};
use sha2::{Digest, Sha256};

use super::{now, Store};
use crate::sources::Backend;

/// One version as listed (without its text).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    pub number: i64,
    /// UTC, RFC 3339, seconds.
    pub at: String,
    pub user: String,
    /// "applied in the app", "rules apply", "restored from 3", "changed on
    /// disk", "first seen at start".
    pub how: String,
    /// The rules file it was applied to or read from.
    pub origin: String,
    /// The full SHA-256 of the text, in hex.
    pub sha256: String,
    /// The SHA-256 of the version in force before it (`None`: the first).
    pub previous: Option<String>,
    pub rules: i64,
    /// The dry run's summary line, when one was made.
    pub summary: Option<String>,
}

impl VersionInfo {
    /// The first 12 hex digits of the hash, as shown in tables.
    pub fn short(&self) -> &str {
        short(&self.sha256)
    }
}

/// A version with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesVersion {
    pub info: VersionInfo,
    pub text: String,
}

/// What a new version is recorded with.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub user: &'a str,
    pub how: &'a str,
    pub origin: &'a str,
    pub text: &'a str,
    pub rules: usize,
    pub summary: Option<&'a str>,
}

/// The full SHA-256 of `text`, in hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first 12 hex digits of a hash (the whole when shorter).
pub fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The unified diff of two texts (3 lines of context), `a` and `b` named
/// in its header; empty when they are the same.
pub fn unified_diff(a_name: &str, a: &str, b_name: &str, b: &str) -> String {
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(3)
        .header(a_name, b_name)
        .to_string()
}

/// How many lines `short_diff` keeps.
pub const SHORT_DIFF_LINES: usize = 12;

/// The changed lines of `base` -> `in_force` (one line of context), at
/// most `SHORT_DIFF_LINES`, then "... N more lines": what an author reads
/// before applying over rules that changed since they began.
pub fn short_diff(base: &str, in_force: &str) -> String {
    let full = similar::TextDiff::from_lines(base, in_force)
        .unified_diff()
        .context_radius(1)
        .to_string();
    let lines: Vec<&str> = full.lines().collect();
    let mut out: Vec<String> = lines
        .iter()
        .take(SHORT_DIFF_LINES)
        .map(|l| crate::text::printable(l).into_owned())
        .collect();
    if lines.len() > SHORT_DIFF_LINES {
        out.push(format!("... {} more lines", lines.len() - SHORT_DIFF_LINES));
    }
    out.join("\n")
}

/// A dry run's summary on one line: "orders 1066 -> 1066, 12 products
/// changed, 0 failing".
pub fn summary_line(summary: &crate::rules::dryrun::Summary) -> String {
    format!(
        "orders {} -> {}, {} of {} products changed, {} failing",
        summary.orders_before,
        summary.orders_after,
        summary.changed,
        summary.products,
        summary.failed_products
    )
}

/// The audit detail naming a version: "<origin>: version N, R rules,
/// sha256 <full>, previous <full|none>".
pub fn audit_detail(info: &VersionInfo) -> String {
    format!(
        "{}: version {}, {} rules, sha256 {}, previous {}",
        info.origin,
        info.number,
        info.rules,
        info.sha256,
        info.previous.as_deref().unwrap_or("none")
    )
}

/// The audit detail of rules the guard refused (`rules_refused`): "<origin>:
/// sha256 <full> (<how>): <why, on one line>"; `how` left out when `None`.
pub fn refused_detail(origin: &str, text: &str, how: Option<&str>, why: &str) -> String {
    let how = how.map(|h| format!(" ({h})")).unwrap_or_default();
    format!(
        "{origin}: sha256 {}{how}: {}",
        sha256_hex(text),
        why.replace('\n', "; ")
    )
}

const COLUMNS: [&str; 9] = [
    "number",
    "at",
    "user_name",
    "how",
    "origin",
    "sha256",
    "previous_sha256",
    "rule_count",
    "summary",
];

fn select(b: Backend, with_text: bool) -> String {
    let mut cols: Vec<String> = COLUMNS.iter().map(|c| b.as_text(c)).collect();
    if with_text {
        cols.push(b.as_text("body"));
    }
    format!("SELECT {} FROM rules_versions", cols.join(", "))
}

fn parse(row: Vec<Option<String>>) -> Result<RulesVersion> {
    let get = |i: usize| row.get(i).cloned().flatten();
    let number = get(0)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("rules_versions: a row without a number"))?;
    Ok(RulesVersion {
        info: VersionInfo {
            number,
            at: get(1).unwrap_or_default(),
            user: get(2).unwrap_or_default(),
            how: get(3).unwrap_or_default(),
            origin: get(4).unwrap_or_default(),
            sha256: get(5).unwrap_or_default(),
            previous: get(6),
            rules: get(7).and_then(|v| v.parse().ok()).unwrap_or(0),
            summary: get(8),
        },
        text: get(9).unwrap_or_default(),
    })
}

/// How often recording a version is tried when another workstation took
/// the same number at the same moment.
const ATTEMPTS: u32 = 20;

fn taken(e: &anyhow::Error) -> bool {
    let t = format!("{e:#}").to_ascii_lowercase();
    t.contains("unique") || t.contains("duplicate") || super::is_contention(e)
}

impl Store {
    /// Records `new` as the next version (the newest number plus one; its
    /// previous hash the newest version's), with audit rows in the same
    /// transaction: each `(action, extra)` writes `action` with
    /// `audit_detail` of the version, then `extra` when not empty. All or
    /// nothing: a version is never kept unaudited.
    pub async fn record_rules_version(
        &self,
        new: &NewVersion<'_>,
        audits: &[(&str, String)],
    ) -> Result<VersionInfo> {
        let mut attempt = 1;
        loop {
            match self.try_record(new, audits).await {
                Err(e) if attempt < ATTEMPTS && taken(&e) => {
                    tracing::debug!(attempt, "rules version: number taken, again: {e:#}");
                    // A little apart, so the writers that met do not meet
                    // again.
                    let jitter = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| u64::from(d.subsec_nanos() % 20));
                    let wait = 10 * u64::from(attempt) + jitter;
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    async fn try_record(
        &self,
        new: &NewVersion<'_>,
        audits: &[(&str, String)],
    ) -> Result<VersionInfo> {
        let b = self.source.backend;
        let p = |n: usize| b.placeholder(n);
        let mut tx = self.source.begin().await?;
        let newest = tx
            .fetch(
                &format!(
                    "SELECT {}, {} FROM rules_versions ORDER BY number DESC LIMIT 1{}",
                    b.as_text("number"),
                    b.as_text("sha256"),
                    // The newest row locked: a second writer waits for this
                    // one (SQLite's BEGIN IMMEDIATE does the same).
                    match b {
                        Backend::Sqlite => "",
                        _ => " FOR UPDATE",
                    }
                ),
                &[],
            )
            .await?;
        let (last, previous) = match newest.into_iter().next() {
            Some(row) => (
                row.first()
                    .cloned()
                    .flatten()
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0),
                row.get(1).cloned().flatten(),
            ),
            None => (0, None),
        };
        let info = VersionInfo {
            number: last + 1,
            at: now(),
            user: new.user.to_string(),
            how: new.how.to_string(),
            origin: new.origin.to_string(),
            sha256: sha256_hex(new.text),
            previous,
            rules: new.rules as i64,
            summary: new.summary.map(str::to_string),
        };
        let number = match b {
            Backend::Postgres => format!("CAST({} AS BIGINT)", p(1)),
            _ => p(1),
        };
        let count = match b {
            Backend::Postgres => format!("CAST({} AS INTEGER)", p(8)),
            _ => p(8),
        };
        tx.exec(
            &format!(
                "INSERT INTO rules_versions ({}, body) VALUES ({number}, {}, {}, {}, {}, {}, {}, {count}, {}, {})",
                COLUMNS.join(", "),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7),
                p(9),
                p(10)
            ),
            &[
                Some(info.number.to_string()),
                Some(info.at.clone()),
                Some(info.user.clone()),
                Some(info.how.clone()),
                Some(info.origin.clone()),
                Some(info.sha256.clone()),
                info.previous.clone(),
                Some(info.rules.to_string()),
                info.summary.clone(),
                Some(new.text.to_string()),
            ],
        )
        .await?;
        for (action, extra) in audits {
            let mut detail = audit_detail(&info);
            if !extra.is_empty() {
                detail.push_str(": ");
                detail.push_str(extra);
            }
            tx.exec(
                &super::overrides::audit_sql(b),
                &[
                    Some(info.at.clone()),
                    Some(new.user.to_string()),
                    Some(action.to_string()),
                    None,
                    Some(detail),
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(info)
    }

    /// Every version, oldest first, without their text.
    pub async fn rules_versions(&self) -> Result<Vec<VersionInfo>> {
        let sql = format!("{} ORDER BY number", select(self.source.backend, false));
        let rows = self.source.fetch_text(&sql, &[]).await?;
        rows.into_iter().map(|r| parse(r).map(|v| v.info)).collect()
    }

    /// Every version with its text, oldest first (the editor's panel).
    pub async fn rules_versions_with_text(&self) -> Result<Vec<RulesVersion>> {
        let sql = format!("{} ORDER BY number", select(self.source.backend, true));
        let rows = self.source.fetch_text(&sql, &[]).await?;
        rows.into_iter().map(parse).collect()
    }

    /// One version with its text.
    pub async fn rules_version(&self, number: i64) -> Result<Option<RulesVersion>> {
        let b = self.source.backend;
        let sql = format!(
            "{} WHERE number = {}",
            select(b, true),
            match b {
                Backend::Postgres => "CAST($1 AS BIGINT)".to_string(),
                _ => b.placeholder(1),
            }
        );
        let rows = self.source.fetch_text(&sql, &[number.to_string()]).await?;
        rows.into_iter().next().map(parse).transpose()
    }

    /// The newest version recorded for `origin` (the rules file's path),
    /// else the newest of all; `None` when none is kept.
    pub async fn last_rules_version(&self, origin: &str) -> Result<Option<RulesVersion>> {
        let b = self.source.backend;
        let for_origin = format!(
            "{} WHERE origin = {} ORDER BY number DESC LIMIT 1",
            select(b, true),
            b.placeholder(1)
        );
        let rows = self
            .source
            .fetch_text(&for_origin, &[origin.to_string()])
            .await?;
        if let Some(row) = rows.into_iter().next() {
            return parse(row).map(Some);
        }
        let newest = format!("{} ORDER BY number DESC LIMIT 1", select(b, true));
        let rows = self.source.fetch_text(&newest, &[]).await?;
        rows.into_iter().next().map(parse).transpose()
    }
}

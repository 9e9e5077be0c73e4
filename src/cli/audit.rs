//! `buyerdesk audit`: the audit log, oldest first, as a table or JSON.

use std::io::Write;

use anyhow::{anyhow, Result};

use super::report::fit::{self, Fit};
use crate::config::Config;
use crate::orders::AuditEntry;
use crate::store::Store;

/// `audit [--since T]`.
pub async fn audit(
    config: &Config,
    since: Option<&str>,
    json: bool,
    fit: &Fit,
    out: &mut impl Write,
) -> Result<bool> {
    let since = since.map(normalize_since).transpose()?;
    let store = Store::open(config).await?;
    let entries = store.audit_entries(since.as_deref()).await?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &entries)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", audit_text(&entries, fit))?;
        if entries.is_empty() {
            writeln!(out, "no audit entries")?;
        }
    }
    store.source.close().await;
    Ok(true)
}

/// How many ids an audit entry names on a terminal before "... and N
/// more".
const AUDIT_IDS: usize = 3;

/// The audit log for people, oldest first: time, user, action, then the
/// detail. Money is written as every table writes it (the log keeps what
/// was stored). Piped (`Fit::WHOLE`): one line per entry, whole. On a
/// terminal: lists of more than 5 ids are shortened with a count, and the
/// detail is wrapped at the width, beside the action when 30 columns are
/// left there, else under it.
pub fn audit_text(entries: &[AuditEntry], fit: &Fit) -> String {
    let mut out = String::new();
    let user_w = entries
        .iter()
        .map(|e| fit::width_of(&fit::printable(&e.user)))
        .max()
        .unwrap_or(0)
        .max(10);
    let action_w = entries
        .iter()
        .map(|e| fit::width_of(&e.action))
        .max()
        .unwrap_or(0)
        .max(18);
    for e in entries {
        let raw = format!(
            "{}{}",
            e.product_id
                .as_deref()
                .map(|p| format!("{p}: "))
                .unwrap_or_default(),
            e.detail.as_deref().unwrap_or("")
        );
        let detail = fit::money_in_text(&raw);
        let detail = fit::printable(&detail);
        let Some(width) = fit.width else {
            out.push_str(&format!(
                "{}  {:<10} {:<18} {detail}\n",
                fit::printable(&e.at),
                fit::printable(&e.user),
                fit::printable(&e.action),
            ));
            continue;
        };
        let detail = fit::shorten_lists(&detail, AUDIT_IDS, AUDIT_IDS + 2);
        let head = format!(
            "{}  {:<user_w$}  {:<action_w$}  ",
            fit::printable(&e.at),
            fit::printable(&e.user),
            fit::printable(&e.action),
        );
        let beside = fit::width_of(&head);
        let lines = if beside + 30 <= width {
            fit::wrap_indented(&detail, fit, &head, &" ".repeat(beside))
        } else {
            let mut lines = vec![head.trim_end().to_string()];
            lines.extend(fit::wrap_indented(&detail, fit, "    ", "    "));
            lines
        };
        for l in lines {
            out.push_str(l.trim_end());
            out.push('\n');
        }
    }
    out
}

/// `--since`: a date (2026-11-21), an RFC 3339 time, or an age (30m, 2h,
/// 7d), as the audit log's UTC text.
pub fn normalize_since(s: &str) -> Result<String> {
    let t = s.trim();
    let fmt = |dt: chrono::DateTime<chrono::Utc>| dt.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(format!("{d}T00:00:00Z"));
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(fmt(dt.with_timezone(&chrono::Utc)));
    }
    let (num, unit) = t.split_at(t.len().saturating_sub(1));
    if let Ok(n) = num.parse::<i64>() {
        let secs = match unit {
            "s" => Some(n),
            "m" => Some(n * 60),
            "h" => Some(n * 3600),
            "d" => Some(n * 86400),
            _ => None,
        };
        if let Some(secs) = secs.filter(|s| *s >= 0) {
            return Ok(fmt(chrono::Utc::now() - chrono::Duration::seconds(secs)));
        }
    }
    Err(anyhow!(
        "--since '{s}': give a date (2026-11-21), a time (2026-11-21T10:00:00Z) or an age (30m, 2h, 7d)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_date_a_time_or_an_age() {
        assert_eq!(
            normalize_since("2026-11-21").unwrap(),
            "2026-11-21T00:00:00Z"
        );
        assert_eq!(
            normalize_since("2026-11-21T11:30:00+01:00").unwrap(),
            "2026-11-21T10:30:00Z"
        );
        let two_hours = normalize_since("2h").unwrap();
        assert!(two_hours < crate::store::now());
        for bad in ["yesterday", "5x", "-3d", ""] {
            let e = normalize_since(bad).unwrap_err().to_string();
            assert!(e.contains("give a date"), "{bad}: {e}");
        }
    }
}

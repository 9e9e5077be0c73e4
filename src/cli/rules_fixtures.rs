//! `buyerdesk rules test [FILE] --fixtures [PATH]`: the fixture cases run
//! with FILE's rules, each case pass or fail; a failure names the field,
//! expected and got, and the rules that wrote it. No database: the cases
//! are the sources' rows (`rules::fixtures`).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::report::{self, fit};
use super::rules::TestFormat;
use super::stdout;
use crate::plan::RuleSet;
use crate::rules::fixtures::{self, CaseResult};

#[derive(Serialize)]
struct FixturesJson<'a> {
    rules: &'a str,
    passed: usize,
    failed: usize,
    /// Fixture files that could not be read as fixtures, `file:line:col:
    /// error: ...`.
    errors: Vec<String>,
    cases: Vec<CaseResult>,
}

/// Runs the fixtures with `rules` and prints each case; exit 1 on any
/// failed case or unreadable fixture file.
pub fn run(
    rules: &RuleSet,
    path: Option<&Path>,
    rules_file: Option<&Path>,
    format: TestFormat,
    fit: &fit::Fit,
) -> Result<ExitCode> {
    let files = match crate::live::fixtures::fixture_files(path, rules_file) {
        Ok(f) => f,
        Err(e) => {
            write!(stdout(), "{}", report::wrap_lines(&format!("{e:#}"), fit))?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let outcome = crate::live::fixtures::run_files(rules, &files);
    let failed = outcome.failed();
    let (cases, errors) = (outcome.cases, outcome.errors);
    let mut out = stdout();
    match format {
        TestFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &FixturesJson {
                    rules: &rules.origin,
                    passed: cases.len() - failed,
                    failed,
                    errors: errors.clone(),
                    cases,
                },
            )?;
            writeln!(out)?;
        }
        TestFormat::Table => {
            out.write_all(table(rules, &files, &errors, &cases, fit).as_bytes())?
        }
    }
    Ok(if failed > 0 || !errors.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The results for people: the rules and files, then `PASS`/`FAIL` with
/// each case's place and name, each mismatch under a failed case, the
/// fixture files that could not be read, and the count.
pub fn table(
    rules: &RuleSet,
    files: &[(String, String)],
    errors: &[String],
    cases: &[CaseResult],
    fit: &fit::Fit,
) -> String {
    let mut out = String::new();
    let mut say = |lines: Vec<String>| {
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    };
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    say(fit::wrap_indented(
        &fit::printable(&format!(
            "Fixtures {} with {}:",
            names.join(", "),
            rules.origin
        )),
        fit,
        "",
        "  ",
    ));
    for c in cases {
        let mark = if c.passed() { "PASS" } else { "FAIL" };
        let place = format!("{}:{}", short_name(&c.file), c.line);
        say(fit::wrap_indented(
            &fit::printable(&format!("{place} {}", c.name)),
            fit,
            &format!("{mark}  "),
            "      ",
        ));
        for m in &c.mismatches {
            say(fit::wrap_indented(
                &fit::printable(&m.to_string()),
                fit,
                "      ",
                "        ",
            ));
        }
    }
    for e in errors {
        say(fit::wrap_indented(&fit::printable(e), fit, "", "  "));
    }
    let mut total = fixtures::summary(cases);
    if !errors.is_empty() {
        total.push_str(&format!(
            ", {} fixture file{} unreadable",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ));
    }
    say(vec![total]);
    out
}

/// A fixture file's name without its folders (the header names them).
fn short_name(file: &str) -> &str {
    let file = file.strip_suffix(" (shipped)").unwrap_or(file);
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}

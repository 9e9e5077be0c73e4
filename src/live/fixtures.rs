//! Finding and reading rule fixture files (`rules::fixtures` runs them,
//! purely): for `rules test --fixtures` and the editor's F7.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::config::Config;
use crate::plan::RuleSet;
use crate::rules::fixtures::{self, CaseResult};

/// The fixture files to run, (name shown, text): PATH (a file, or every
/// `*.toml` of a folder, by name), else the `tests/` folder beside the
/// rules file, else the fixtures shipped with the embedded rules.
pub fn fixture_files(
    path: Option<&Path>,
    rules_file: Option<&Path>,
) -> Result<Vec<(String, String)>> {
    let beside = rules_file
        .and_then(Path::parent)
        .map(|dir| dir.join("tests"))
        .filter(|d| d.is_dir());
    let dir = match (path, beside) {
        (Some(p), _) if p.is_file() => return Ok(vec![read(p)?]),
        (Some(p), _) if !p.exists() => bail!("{}: no such fixture file or folder", p.display()),
        (Some(p), _) => p.to_path_buf(),
        (None, Some(d)) => d,
        (None, None) => {
            return Ok((fixtures::SHIPPED.iter())
                .map(|(name, text)| (format!("{name} (shipped)"), text.to_string()))
                .collect())
        }
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("{}: cannot list the fixtures", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}: no fixture file (*.toml) in this folder", dir.display());
    }
    files.iter().map(|p| read(p)).collect()
}

fn read(p: &Path) -> Result<(String, String)> {
    let text = std::fs::read_to_string(p)
        .with_context(|| format!("{}: cannot read the fixture file", p.display()))?;
    Ok((p.display().to_string(), text))
}

/// What running the fixtures gave: every case, and the files that could
/// not be read as fixtures (`file:line:col: error: ...`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FixturesOutcome {
    /// The fixture files, as named.
    pub files: Vec<String>,
    pub cases: Vec<CaseResult>,
    pub errors: Vec<String>,
}

impl FixturesOutcome {
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.passed()).count()
    }
}

/// Runs `files` with `rules`.
pub fn run_files(rules: &RuleSet, files: &[(String, String)]) -> FixturesOutcome {
    let mut out = FixturesOutcome {
        files: files.iter().map(|(n, _)| n.clone()).collect(),
        ..Default::default()
    };
    for (name, text) in files {
        match fixtures::run_text(text, name, rules) {
            Ok(results) => out.cases.extend(results),
            Err(e) => out.errors.push(e.to_string()),
        }
    }
    out
}

/// The editor's F7: its text (`origin` names it) run on the fixtures
/// beside the rules in force (else the shipped ones). Errors in the text
/// or the files come back as one message.
pub fn run_for_editor(
    config: &Config,
    text: &str,
    origin: &str,
) -> Result<FixturesOutcome, String> {
    let rules = crate::rules::load(text, origin).map_err(|e| e.to_string())?;
    let in_force = config.rules_file_in_force();
    let files = fixture_files(None, in_force.as_deref()).map_err(|e| format!("{e:#}"))?;
    Ok(run_files(&rules, &files))
}

//! GRL rule files: validation with `file:line:col` diagnostics, loading
//! only rules that pass it, and the dry run of candidate rules against the
//! rules in force. Pure: no I/O, no async, no UI.
//!
//! rust-rule-engine's parser accepts most broken input silently (shared
//! RULES.md), so every file a user wrote goes through `validate` before the
//! engine sees it; `load` refuses a file with any error. Depends on `plan`
//! (the fact schema, `RuleSet`), never the other way round.

pub mod backtest;
pub mod coverage;
pub mod dryrun;
pub mod fixtures;
pub mod guard;
pub mod lexer;
mod validate;

use std::fmt;

use crate::plan::{RuleSet, RulesError};

pub use dryrun::{dry_run, DryRun};
pub use guard::{guard, Refusal};
pub use validate::{validate, SALIENCE_MAX};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The engine would refuse the rules, misread them silently, or fail at
    /// run time: such a file is never loaded.
    Error,
    /// A risk or a matter of style: the file still loads.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem in a rules file, where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it.
    pub file: String,
    pub severity: Severity,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters. It may be one past the last character
    /// of the line when it marks where something is missing (a `;`).
    pub col: usize,
    pub message: String,
    pub hint: Option<String>,
    /// The rule the problem is in, when it is in one.
    pub rule: Option<String>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `file:line:col: error: message`, then `  hint: ...` on its own line, as a
/// compiler prints it.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.col, self.severity, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Whether any diagnostic is an error (the file must not be used).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// Why `load` refused a rules file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// The validator found errors; `diagnostics` holds all it found,
    /// warnings included.
    #[error("{}", invalid_text(origin, diagnostics))]
    Invalid {
        origin: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// The engine refused rules the validator passed.
    #[error(transparent)]
    Engine(#[from] RulesError),
}

fn invalid_text(origin: &str, diagnostics: &[Diagnostic]) -> String {
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    format!(
        "{origin}: the rules were not loaded: {} error{}\n{}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        errors.join("\n")
    )
}

/// Validates a rules file and, when it holds no error, gives the engine the
/// rules it read block by block while validating: the engine never parses
/// the whole file (its splitter takes time growing with the square of the
/// file, and reads what buyerdesk's scan does not), so it runs exactly the
/// blocks that were checked. Warnings do not stop it (`validate` lists
/// them).
pub fn load(text: &str, origin: &str) -> Result<RuleSet, LoadError> {
    let (diagnostics, parsed) = validate::validate_for_engine(text, origin);
    if has_errors(&diagnostics) {
        return Err(LoadError::Invalid {
            origin: origin.to_string(),
            diagnostics,
        });
    }
    // Every block of a file without errors went through the engine's
    // parser; this only guards that promise.
    let parsed = parsed.ok_or_else(|| RulesError::Parse {
        origin: origin.to_string(),
        message: "a rule was not read by the engine's parser".into(),
    })?;
    // The rules keep the text as written (the editor, history and audit
    // show it); the engine saw it with its comments blanked.
    Ok(RuleSet::from_parsed(parsed, text, origin)?)
}

/// "<origin>: N rule(s)".
pub fn summary(rules: &crate::plan::RuleSet) -> String {
    let n = rules.rule_names.len();
    format!(
        "{}: {n} rule{}",
        rules.origin,
        if n == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod robustness;

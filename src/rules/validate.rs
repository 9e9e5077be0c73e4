//! The validator: splits a GRL file into rule blocks by a real scan (strings
//! and comments understood), checks each block against what the engine
//! really does (shared RULES.md and rust-rule-engine 1.21.10's regex parser)
//! and against the fact schema, then hands each clean block to the engine's
//! own parser and maps its verdict to the block's position.
//!
//! Severity: whatever makes the engine refuse the file, misread it without a
//! word, or fail at run time is an error; a risk that depends on the data,
//! or a matter of style, is a warning.

use std::collections::HashMap;

use rust_rule_engine::GRLParser;

mod action;
mod blocks;
mod body;
mod chars;
pub mod condition;
mod intent;
mod parse;

use super::lexer::{lex, Kind, Token};
use super::{Diagnostic, Severity};
use crate::plan::engine::MAX_CYCLES;
use crate::plan::facts::{schema_field, FactKind, FACT_SCHEMA};

/// buyerdesk's salience range is 0..=SALIENCE_MAX, whole numbers. The engine
/// reads a negative salience as 0 and a fraction as its whole part (errors);
/// above i32::MAX it refuses the file (error); between SALIENCE_MAX and
/// that it runs as written (a warning: keep saliences small and spaced).
pub const SALIENCE_MAX: i64 = 1000;

/// Validates a GRL rules file; `file` is the name shown in diagnostics.
/// Never panics; diagnostics come sorted by position.
pub fn validate(text: &str, file: &str) -> Vec<Diagnostic> {
    validate_for_engine(text, file).0
}

/// `validate`, with the rules the engine's parser read, block by block, in
/// file order: `Some` when the file holds no error (each block was handed
/// to the engine alone, and read as buyerdesk reads it).
pub(crate) fn validate_for_engine(
    text: &str,
    file: &str,
) -> (Vec<Diagnostic>, Option<Vec<rust_rule_engine::Rule>>) {
    let mut v = Validator::new(text);
    v.run();
    let clean = !v.found.iter().any(|f| f.severity == Severity::Error);
    let rules = if clean {
        v.blocks.iter_mut().map(|b| b.parsed.take()).collect()
    } else {
        None
    };
    (v.finish(file), rules)
}

/// A diagnostic before its position is turned into a line and column.
struct Found {
    at: usize,
    severity: Severity,
    message: String,
    hint: Option<String>,
}

/// One `rule ... { ... }` block as buyerdesk reads it.
#[derive(Default)]
struct Block {
    /// Index of the `rule` keyword in `code`.
    rule_tok: usize,
    name: Option<String>,
    name_at: usize,
    open: Option<usize>,
    close: Option<usize>,
    /// Byte range of the block, from `rule` to its `}` (or to where it was
    /// cut short).
    start: usize,
    end: usize,
    /// Indices in `code` of the body's tokens (stray braces left out).
    body: Vec<usize>,
    no_loop: bool,
    salience: Option<i64>,
    /// Fields the condition reads and the actions write.
    reads: Vec<&'static str>,
    writes: Vec<&'static str>,
    actions: usize,
    /// A write that leaves the rule's own condition true: where it is and
    /// the field it writes.
    certain_loop: Option<(usize, String)>,
    /// The rule as the engine's parser read this block, when the block had
    /// no error and the engine read it as buyerdesk does.
    parsed: Option<rust_rule_engine::Rule>,
}

/// A value's type as far as the validator can tell.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Val {
    /// `int_literal`: a number written without a point or exponent, which
    /// the engine keeps as an Integer (never equal to the f64 facts).
    Num {
        int_literal: bool,
    },
    Bool,
    Text,
    Null,
    Unknown,
}

impl Val {
    fn of_field(kind: FactKind) -> Val {
        match kind {
            FactKind::Number => Val::Num { int_literal: false },
            FactKind::Bool => Val::Bool,
            FactKind::Text => Val::Text,
        }
    }

    fn is_num(self) -> bool {
        matches!(self, Val::Num { .. })
    }

    fn word(self) -> &'static str {
        match self {
            Val::Num { .. } => "a number",
            Val::Bool => "true/false",
            Val::Text => "text",
            Val::Null => "null",
            Val::Unknown => "a value",
        }
    }
}

struct Validator<'a> {
    text: &'a str,
    /// Tokens without comments.
    code: Vec<Token>,
    comments: Vec<Token>,
    /// The text with its comments blanked, as the engine is given it.
    engine_text: String,
    found: Vec<Found>,
    blocks: Vec<Block>,
}

fn is_punct(t: &Token, text: &str, p: &str) -> bool {
    t.kind == Kind::Punct && t.text(text) == p
}

fn is_word(t: &Token, text: &str, w: &str) -> bool {
    t.kind == Kind::Ident && t.text(text) == w
}

/// `true` or `false` in any case: rust-rule-engine 1.21.10 reads every
/// spelling (`TRUE`, `True`) as the boolean, in conditions and in actions.
fn is_bool_word(w: &str) -> bool {
    w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false")
}

/// Levenshtein distance, on characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The candidate nearest to `word`, if it is near enough to be a typo.
fn nearest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn field_names() -> impl Iterator<Item = &'static str> {
    FACT_SCHEMA.iter().map(|f| f.name)
}

fn writable_names() -> String {
    FACT_SCHEMA
        .iter()
        .filter(|f| f.writable)
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn shown(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 40 {
        format!("{}...", one_line.chars().take(40).collect::<String>())
    } else {
        one_line
    }
}

/// Attributes the engine knows but buyerdesk refuses, and why.
const UNSUPPORTED_ATTRIBUTES: &[(&str, &str)] = &[
    (
        "lock-on-active",
        "buyerdesk resets rule tracking per product; use no-loop",
    ),
    (
        "agenda-group",
        "a rule in an agenda group without focus never fires, and buyerdesk gives none focus",
    ),
    (
        "activation-group",
        "only one rule of the group would fire, silently",
    ),
    (
        "date-effective",
        "the rule would switch itself on by the clock, not by a reviewed change",
    ),
    (
        "date-expires",
        "the rule would switch itself off by the clock, not by a reviewed change",
    ),
];

impl<'a> Validator<'a> {
    fn new(text: &'a str) -> Validator<'a> {
        let (comments, code): (Vec<Token>, Vec<Token>) =
            lex(text).into_iter().partition(Token::is_trivia);
        Validator {
            text,
            code,
            engine_text: super::lexer::blank(text, comments.iter()),
            comments,
            found: Vec::new(),
            blocks: Vec::new(),
        }
    }

    fn error(&mut self, at: usize, message: impl Into<String>, hint: Option<String>) {
        self.found.push(Found {
            at,
            severity: Severity::Error,
            message: message.into(),
            hint,
        });
    }

    fn warning(&mut self, at: usize, message: impl Into<String>, hint: Option<String>) {
        self.found.push(Found {
            at,
            severity: Severity::Warning,
            message: message.into(),
            hint,
        });
    }

    fn run(&mut self) {
        self.check_literals();
        let odd = self.check_characters();
        self.split();
        for b in 0..self.blocks.len() {
            let (start, end) = (self.blocks[b].start, self.blocks[b].end);
            let odd_inside = odd[odd.partition_point(|&a| a < start)..]
                .first()
                .is_some_and(|&a| a < end.max(start + 1));
            // One error for a look-alike or a slip; the rest would follow
            // from it.
            if odd_inside || self.check_meant(b) {
                continue;
            }
            self.check_strings(b);
            self.check_body(b);
            self.check_zero_division(b);
            self.check_text_values(b);
        }
        self.check_names();
        self.check_no_loop();
        let mut errors: Vec<usize> = self
            .found
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.at)
            .collect();
        errors.sort_unstable();
        self.check_with_engine(&errors);
        if self.blocks.is_empty() {
            self.error(
                0,
                "the file holds no rule",
                Some(
                    "a rules file needs at least one `rule \"Name\" salience 10 no-loop { when ... then ...; }`"
                        .into(),
                ),
            );
        }
    }

    /// A boolean spelt other than `true`/`false`: the engine reads it right,
    /// a warning asks for the one spelling (`is_bool_word`).
    fn check_bool_spelling(&mut self, t: &Token) {
        let word = t.text(self.text);
        let meant = word.to_ascii_lowercase();
        if word != meant {
            self.warning(
                t.start,
                format!("`{word}` is read as {meant}, but buyerdesk's rules write `{meant}`"),
                Some(format!("write `{meant}`")),
            );
        }
    }

    /// Strings and comments that do not end, and escapes the engine keeps.
    fn check_literals(&mut self) {
        let mut found = Vec::new();
        for t in self.code.iter().chain(&self.comments) {
            match t.kind {
                Kind::Str if !t.terminated => found.push((
                    t.start,
                    "unterminated string: it runs to the end of the line",
                    "close it with the same quote it opens with",
                )),
                Kind::Str => {
                    if let Some(at) = t.escape_at {
                        found.push((
                            at,
                            "the engine does not understand `\\` escapes: it keeps the backslash and compares other text",
                            "remove the escape; names and values cannot contain a quote",
                        ));
                    }
                }
                Kind::BlockComment if !t.terminated => found.push((
                    t.start,
                    "unterminated comment: this `/*` is never closed",
                    "close it with `*/`",
                )),
                _ => {}
            }
        }
        for (at, message, hint) in found {
            self.error(at, message, Some(hint.into()));
        }
    }

    fn finish(mut self, file: &str) -> Vec<Diagnostic> {
        self.found.sort_by_key(|f| f.at);
        let starts = line_starts(self.text);
        let mut out = Vec::with_capacity(self.found.len());
        for f in self.found {
            // Blocks come in order: the last one starting at or before
            // `at` (a search, not a scan: many findings stay linear).
            let rule = self.blocks[..self.blocks.partition_point(|b| b.start <= f.at)]
                .last()
                .filter(|b| f.at < b.end.max(b.start + 1))
                .and_then(|b| b.name.clone());
            let (line, col) = position_with(self.text, &starts, f.at);
            out.push(Diagnostic {
                file: file.to_string(),
                severity: f.severity,
                line,
                col,
                message: f.message,
                hint: f.hint,
                rule,
            });
        }
        out
    }
}

/// The engine's reading of one block, compared with buyerdesk's: the rule
/// it read, or a message and a hint when they differ or the engine refuses
/// it.
fn engine_verdict(
    block_text: &str,
    block: &Block,
) -> Result<rust_rule_engine::Rule, (String, Option<String>)> {
    // The engine's parser slices strings by byte offsets; a panic in it must
    // not take the validator (or the editor) down.
    let parsed = std::panic::catch_unwind(|| GRLParser::parse_rules(block_text));
    let rules = match parsed {
        Err(_) => {
            return Err((
                "the rule engine crashed on this rule".into(),
                Some(
                    "simplify the rule's text; please report this file to the buyerdesk team"
                        .into(),
                ),
            ))
        }
        Ok(Err(e)) => {
            let message = e.to_string();
            let message: String = message.chars().take(160).collect();
            return Err((
                format!("the rule engine refuses this rule: {message}"),
                Some("check the rule against `rule \"Name\" salience 10 no-loop { when <condition> then <actions>; }`".into()),
            ));
        }
        Ok(Ok(rules)) => rules,
    };
    let count = rules.len();
    let Ok([rule]) = <[rust_rule_engine::Rule; 1]>::try_from(rules) else {
        return Err((
            format!("the engine reads {count} rules in this block"),
            None,
        ));
    };
    let mut differences = Vec::new();
    if block.name.as_deref() != Some(rule.name.as_str()) {
        differences.push(format!("name \"{}\"", rule.name));
    }
    if i64::from(rule.salience) != block.salience.unwrap_or(0) {
        differences.push(format!("salience {}", rule.salience));
    }
    if rule.no_loop != block.no_loop {
        differences.push(format!("no-loop {}", rule.no_loop));
    }
    if rule.actions.len() != block.actions {
        differences.push(format!("{} actions", rule.actions.len()));
    }
    if differences.is_empty() {
        Ok(rule)
    } else {
        Err((
            format!(
                "the engine reads this rule differently: {}",
                differences.join(", ")
            ),
            Some("simplify the rule's text; please report this file to the buyerdesk team".into()),
        ))
    }
}

/// `s` holds `word` with whitespace on both sides (as the engine's
/// `\s+then\s+` finds it).
fn has_spaced_word(s: &str, word: &str) -> bool {
    s.match_indices(word).any(|(i, _)| {
        s[..i].ends_with(char::is_whitespace)
            && s[i + word.len()..].starts_with(char::is_whitespace)
    })
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Where each rule's `rule` keyword is (1-based line and column), by name,
/// in file order: coverage warnings point there.
pub(crate) fn rule_positions(text: &str) -> Vec<(String, usize, usize)> {
    let mut v = Validator::new(text);
    v.split();
    let starts = line_starts(text);
    (v.blocks.iter())
        .filter_map(|b| {
            let (line, col) = position_with(text, &starts, b.start);
            Some((b.name.clone()?, line, col))
        })
        .collect()
}

fn position_with(text: &str, starts: &[usize], at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let line = starts.partition_point(|&s| s <= at).max(1);
    let start = starts[line - 1];
    let col = text.get(start..at).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// 1-based line and character column of a byte offset.
#[cfg(test)]
fn position(text: &str, at: usize) -> (usize, usize) {
    position_with(text, &line_starts(text), at)
}

#[cfg(test)]
pub(super) fn engine_verdict_for_test(block_text: &str) -> Option<String> {
    let block = Block {
        name: Some("A".into()),
        salience: Some(1),
        no_loop: true,
        actions: 1,
        ..Block::default()
    };
    engine_verdict(block_text, &block).err().map(|(m, _)| m)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("moq", "moq"), 0);
        assert_eq!(distance("moqq", "moq"), 1);
        assert_eq!(distance("ordr_qty", "order_qty"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(nearest("ordr_qty", field_names()), Some("order_qty"));
        assert_eq!(nearest("zzzzzz", field_names()), None);
    }

    #[test]
    fn positions_count_characters_from_one() {
        let text = "ab\nçd\n";
        assert_eq!(position(text, 0), (1, 1));
        assert_eq!(position(text, 2), (1, 3));
        assert_eq!(position(text, 3), (2, 1));
        assert_eq!(position(text, 5), (2, 2));
        assert_eq!(position(text, text.len()), (3, 1));
    }

    #[test]
    fn spaced_word_is_found_only_between_spaces() {
        assert!(has_spaced_word("a then b", "then"));
        assert!(!has_spaced_word("athen b", "then"));
        assert!(!has_spaced_word("then b", "then"));
    }
}

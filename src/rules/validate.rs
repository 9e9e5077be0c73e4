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
pub mod condition;

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
    let mut v = Validator::new(text);
    v.run();
    v.finish(file)
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
    found: Vec<Found>,
    blocks: Vec<Block>,
}

fn is_punct(t: &Token, text: &str, p: &str) -> bool {
    t.kind == Kind::Punct && t.text(text) == p
}

fn is_word(t: &Token, text: &str, w: &str) -> bool {
    t.kind == Kind::Ident && t.text(text) == w
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
        let (comments, code) = lex(text).into_iter().partition(Token::is_trivia);
        Validator {
            text,
            code,
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
        self.split();
        self.check_comments();
        for b in 0..self.blocks.len() {
            self.check_strings(b);
            self.check_body(b);
        }
        self.check_names();
        self.check_no_loop();
        for b in 0..self.blocks.len() {
            self.check_with_engine(b);
        }
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

    /// Finds the rule blocks; reports text outside them and missing or
    /// extra braces.
    fn split(&mut self) {
        let mut i = 0;
        while i < self.code.len() {
            if is_word(&self.code[i], self.text, "rule") {
                i = self.parse_block(i);
            } else {
                i = self.stray(i);
            }
        }
    }

    /// Text outside any rule, starting at `code[i]`; returns where the next
    /// rule may start.
    fn stray(&mut self, i: usize) -> usize {
        let t = &self.code[i];
        let word = t.text(self.text);
        let at = t.start;
        if is_punct(t, self.text, "}") {
            self.error(
                at,
                "extra `}`: it closes no rule",
                Some("remove it, or look above for a rule that closed early".into()),
            );
            return i + 1;
        }
        if self.looks_like_rule(i) {
            self.error(
                at,
                format!("`{word}` is not a keyword: the engine skips this block without a word"),
                Some("did you mean `rule` (lower case)?".into()),
            );
        } else {
            self.error(
                at,
                format!(
                    "text outside a rule (`{}`): the engine ignores it without a word",
                    shown(word)
                ),
                Some("put it inside a rule, or make it a comment with `//`".into()),
            );
        }
        // Skip to the next rule, over any braces the stray text opens.
        let mut depth = 0usize;
        let mut j = i + 1;
        while let Some(t) = self.code.get(j) {
            if depth == 0 && (is_word(t, self.text, "rule") || self.looks_like_rule(j)) {
                break;
            }
            if is_punct(t, self.text, "{") {
                depth += 1;
            } else if is_punct(t, self.text, "}") {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            j += 1;
        }
        j
    }

    /// `code[i]` is a misspelt `rule` keyword followed by a name.
    fn looks_like_rule(&self, i: usize) -> bool {
        let t = &self.code[i];
        t.kind == Kind::Ident
            && self
                .code
                .get(i + 1)
                .is_some_and(|n| matches!(n.kind, Kind::Str | Kind::Ident))
            && nearest(t.text(self.text), ["rule"]).is_some()
    }

    /// Reads `rule NAME attributes { body }` from `code[i]`; returns the
    /// index after the block.
    fn parse_block(&mut self, i: usize) -> usize {
        let text = self.text;
        let rule = self.code[i].clone();
        let mut block = Block {
            rule_tok: i,
            start: rule.start,
            end: rule.end,
            name_at: rule.start,
            ..Block::default()
        };
        if !text[rule.end..]
            .chars()
            .next()
            .is_some_and(char::is_whitespace)
        {
            self.error(
                rule.end,
                "the engine needs a space after `rule`: without it the rule is skipped",
                Some("write `rule \"Name\"`".into()),
            );
        }
        let mut j = i + 1;
        match self.code.get(j) {
            Some(t) if t.kind == Kind::Str => {
                let content = t.str_content(text);
                block.name_at = t.start;
                if !text[t.start..].starts_with('"') {
                    self.error(
                        t.start,
                        "the rule's name must be in double quotes: the engine skips this rule",
                        Some(format!("write \"{content}\"")),
                    );
                } else if content.is_empty() {
                    self.error(
                        t.start,
                        "empty rule name: the engine skips this rule",
                        Some("name the rule after what it decides".into()),
                    );
                } else if t.terminated && t.escape_at.is_none() {
                    block.name = Some(content.to_string());
                }
                j += 1;
            }
            Some(t) if t.kind == Kind::Ident && !is_word(t, text, "rule") => {
                block.name = Some(t.text(text).to_string());
                block.name_at = t.start;
                j += 1;
            }
            other => {
                let at = other.map_or(rule.end, |t| t.start);
                self.error(
                    at,
                    "expected the rule's name after `rule`",
                    Some("write `rule \"Name\" salience 10 no-loop {`".into()),
                );
            }
        }
        j = self.parse_header(&mut block, j);
        if block.open.is_some() {
            j = self.parse_braces(&mut block, j);
        } else if self
            .code
            .get(j)
            .is_some_and(|t| is_word(t, self.text, "when"))
        {
            // No `{`: read the body up to the closing brace anyway.
            j = self.parse_braces(&mut block, j);
        }
        block.end = match block.close {
            Some(c) => self.code[c].end,
            None => self
                .code
                .get(j.saturating_sub(1))
                .map_or(rule.end, |t| t.end),
        };
        self.blocks.push(block);
        j
    }

    /// The attributes between the name and `{`.
    fn parse_header(&mut self, block: &mut Block, mut j: usize) -> usize {
        let text = self.text;
        loop {
            let Some(t) = self.code.get(j) else {
                let at = self.code.get(j.saturating_sub(1)).map_or(0, |t| t.end);
                self.error(
                    at,
                    "the rule has no body: expected `{`",
                    Some("write `{ when <condition> then <actions>; }`".into()),
                );
                return j;
            };
            if is_punct(t, text, "{") {
                block.open = Some(j);
                return j + 1;
            }
            if ["when", "then", "rule"].iter().any(|w| is_word(t, text, w))
                || is_punct(t, text, "}")
            {
                self.error(
                    t.start,
                    format!("expected `{{` before `{}`", t.text(text)),
                    Some("a rule's body is in braces: `rule \"Name\" salience 10 no-loop { when ... }`".into()),
                );
                return j;
            }
            if t.kind != Kind::Ident {
                let message = if t.kind == Kind::Str {
                    "buyerdesk does not use rule descriptions: put it in a comment".to_string()
                } else {
                    format!("unexpected `{}` in the rule's header", shown(t.text(text)))
                };
                self.error(
                    t.start,
                    message,
                    Some("a header holds `salience N` and `no-loop`".into()),
                );
                j += 1;
                continue;
            }
            // A hyphenated word: `no-loop` is three tokens with no space.
            let first = j;
            let mut last = j;
            while let (Some(dash), Some(next)) = (self.code.get(last + 1), self.code.get(last + 2))
            {
                if is_punct(dash, text, "-")
                    && dash.start == self.code[last].end
                    && next.kind == Kind::Ident
                    && next.start == dash.end
                {
                    last += 2;
                } else {
                    break;
                }
            }
            let at = self.code[first].start;
            let word = &text[at..self.code[last].end];
            j = last + 1;
            match word {
                "no-loop" => block.no_loop = true,
                "salience" => {
                    if block.salience.is_some() {
                        self.error(
                            at,
                            "salience given twice: the engine uses the first",
                            Some("keep one".into()),
                        );
                    }
                    j = self.parse_salience(block, at, j);
                }
                _ => {
                    if let Some((_, why)) = UNSUPPORTED_ATTRIBUTES.iter().find(|(a, _)| *a == word)
                    {
                        self.error(
                            at,
                            format!("buyerdesk does not support `{word}`: {why}"),
                            Some("remove it".into()),
                        );
                        if self.code.get(j).is_some_and(|t| t.kind == Kind::Str) {
                            j += 1;
                        }
                    } else {
                        let hint = match nearest(word, ["salience", "no-loop"]) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "a header holds `salience N` and `no-loop`".into(),
                        };
                        self.error(
                            at,
                            format!(
                                "unknown attribute `{word}`: the engine ignores it without a word"
                            ),
                            Some(hint),
                        );
                    }
                }
            }
        }
    }

    fn parse_salience(&mut self, block: &mut Block, word_at: usize, j: usize) -> usize {
        let text = self.text;
        let range =
            format!("buyerdesk's range is 0 to {SALIENCE_MAX}, whole numbers; higher runs first");
        match self.code.get(j) {
            Some(t) if is_punct(t, text, "-") => {
                self.error(
                    t.start,
                    "negative salience: the engine reads it as 0",
                    Some(range),
                );
                j + 1 + usize::from(self.code.get(j + 1).is_some_and(|n| n.kind == Kind::Number))
            }
            Some(t) if t.kind == Kind::Number => {
                let digits = t.text(text);
                if digits.contains(['.', 'e', 'E']) {
                    self.error(
                        t.start,
                        format!("salience {digits} is not a whole number: the engine reads only the digits before the point"),
                        Some(range),
                    );
                    return j + 1;
                }
                match digits.parse::<i64>() {
                    Ok(n) if n <= i64::from(i32::MAX) => {
                        block.salience = Some(n);
                        if n > SALIENCE_MAX {
                            self.warning(
                                t.start,
                                format!(
                                    "salience {n} is outside buyerdesk's range 0 to {SALIENCE_MAX}"
                                ),
                                Some(range),
                            );
                        }
                    }
                    _ => self.error(
                        t.start,
                        format!("salience {digits} is too large: the engine refuses the file"),
                        Some(range),
                    ),
                }
                j + 1
            }
            other => {
                self.error(
                    other.map_or(word_at, |t| t.start),
                    "salience needs a whole number",
                    Some(range),
                );
                j
            }
        }
    }

    /// The body up to the matching `}`. A `rule` keyword inside it means
    /// the closing brace is missing.
    fn parse_braces(&mut self, block: &mut Block, mut j: usize) -> usize {
        let text = self.text;
        let mut depth = 0usize;
        while let Some(t) = self.code.get(j) {
            if is_punct(t, text, "}") {
                if depth == 0 {
                    block.close = Some(j);
                    return j + 1;
                }
                depth -= 1;
            } else if is_punct(t, text, "{") {
                self.error(
                    t.start,
                    "unexpected `{` inside a rule: the engine ends the rule at the first `}` and drops the rest",
                    Some("remove the inner braces".into()),
                );
                depth += 1;
            } else if is_word(t, text, "rule") {
                let line = t.line;
                self.report_unclosed(block, Some(line));
                return j;
            } else {
                block.body.push(j);
            }
            j += 1;
        }
        self.report_unclosed(block, None);
        j
    }

    fn report_unclosed(&mut self, block: &Block, next_rule_line: Option<usize>) {
        let at = block
            .open
            .map_or(self.code[block.rule_tok].start, |o| self.code[o].start);
        let name = block.name.as_deref().unwrap_or("this rule");
        let hint = match next_rule_line {
            Some(line) => format!(
                "close \"{name}\" with `}}` before the next rule (line {line}): the engine would swallow it"
            ),
            None => format!("close \"{name}\" with `}}` at its end: the engine skips it"),
        };
        self.error(at, "this `{` is never closed", Some(hint));
    }

    fn in_block(&self, at: usize) -> Option<&Block> {
        self.blocks.iter().find(|b| b.start <= at && at < b.end)
    }

    /// The word "rule" in comments; comments inside rules the engine does
    /// not skip.
    fn check_comments(&mut self) {
        let text = self.text;
        let mut found = Vec::new();
        for c in &self.comments {
            let content = c.text(text);
            // The engine splits rules with `rule\s+("[^"]+"|[a-zA-Z_]\w*).*?\}`
            // over the raw text, comments included.
            let phantom = content.match_indices("rule").find(|(off, _)| {
                let rest = &text[c.start + off + 4..];
                let after = rest.trim_start();
                if after.len() == rest.len() {
                    return false;
                }
                match after.chars().next() {
                    Some('"') => after[1..].find('"').is_some_and(|p| p > 0),
                    Some(ch) => ch.is_ascii_alphabetic() || ch == '_',
                    None => false,
                }
            });
            if let Some((off, _)) = phantom {
                found.push(Found {
                    at: c.start + off,
                    severity: Severity::Error,
                    message: "the word `rule` followed by a name in a comment: the engine does not skip comments and starts a phantom rule here".into(),
                    hint: Some("reword the comment (\"this block\", \"Rule\")".into()),
                });
            }
            let Some(block) = self.in_block(c.start) else {
                continue;
            };
            let in_header = block.open.is_none_or(|o| c.start < self.code[o].start);
            let (message, hint) = if c.kind == Kind::BlockComment {
                (
                    "a `/* */` comment inside a rule reaches the engine as code".to_string(),
                    "use `//` on a line of its own, or move it above the rule",
                )
            } else if !c.first_on_line {
                (
                    "a `//` comment after code inside a rule reaches the engine as code: the condition never matches or the action fails".to_string(),
                    "move the comment to a line of its own",
                )
            } else if content.contains('}') || (in_header && content.contains('{')) {
                (
                    "a brace inside a comment in a rule: the engine's splitter does not skip comments".to_string(),
                    "remove the brace from the comment",
                )
            } else {
                continue;
            };
            found.push(Found {
                at: c.start,
                severity: Severity::Error,
                message,
                hint: Some(hint.into()),
            });
        }
        self.found.extend(found);
    }

    /// Text inside strings that the engine's regexes split on.
    fn check_strings(&mut self, b: usize) {
        let text = self.text;
        let block = &self.blocks[b];
        let open = block.open.map_or(usize::MAX, |o| self.code[o].start);
        let then_at = block
            .body
            .iter()
            .map(|&i| &self.code[i])
            .find(|t| is_word(t, text, "then"))
            .map_or(usize::MAX, |t| t.start);
        let mut found = Vec::new();
        let tokens = self.code[block.rule_tok..]
            .iter()
            .take_while(|t| t.start < block.end)
            .filter(|t| t.kind == Kind::Str);
        for t in tokens.filter(|t| t.terminated) {
            let s = t.str_content(text);
            let inside = t.start > open;
            let splitter = if s.contains('}') {
                Some("`}` (it ends the rule)")
            } else if !inside && s.contains('{') {
                Some("`{`")
            } else if inside && t.start < then_at && (s.contains("&&") || s.contains("||")) {
                Some("`&&` or `||`")
            } else if inside && t.start < then_at && has_spaced_word(s, "then") {
                Some("the word `then`")
            } else if t.start > then_at && s.contains(';') {
                Some("`;`")
            } else {
                None
            };
            if let Some(what) = splitter {
                found.push(Found {
                    at: t.start,
                    severity: Severity::Error,
                    message: format!(
                        "this string holds {what}: the engine's parser splits on it even inside quotes"
                    ),
                    hint: Some("reword the text".into()),
                });
            }
        }
        self.found.extend(found);
    }

    /// `when <condition> then <actions>`.
    fn check_body(&mut self, b: usize) {
        let text = self.text;
        let body: Vec<Token> = self.blocks[b]
            .body
            .iter()
            .map(|&i| self.code[i].clone())
            .collect();
        let block_end = self.blocks[b].close.map(|c| self.code[c].clone());
        let end_at = block_end.as_ref().map_or(self.blocks[b].end, |t| t.start);
        if self.blocks[b].open.is_none() && self.blocks[b].close.is_none() && body.is_empty() {
            return; // already reported: no body at all
        }
        let Some(first) = body.first() else {
            self.error(
                end_at,
                "empty rule: expected `when <condition> then <actions>`",
                None,
            );
            return;
        };
        let Some(w) = body.iter().position(|t| is_word(t, text, "when")) else {
            self.error(
                first.start,
                format!("expected `when` before `{}`", shown(first.text(text))),
                Some("a rule reads `when <condition> then <actions>`".into()),
            );
            return;
        };
        if w > 0 {
            self.error(
                first.start,
                format!("unexpected `{}` before `when`", shown(first.text(text))),
                Some("a rule's body starts with `when`".into()),
            );
        }
        let when = body[w].clone();
        if !text[when.end..].starts_with(char::is_whitespace) {
            self.error(
                when.end,
                "the engine needs a space after `when`",
                Some("write `when Product.field > 0`".into()),
            );
        }
        let Some(t) = body[w + 1..]
            .iter()
            .position(|t| is_word(t, text, "then"))
            .map(|p| p + w + 1)
        else {
            self.error(
                end_at,
                "missing `then`: a rule reads `when <condition> then <actions>`",
                None,
            );
            // Where the condition ends is unknown: checking it would only
            // add noise.
            return;
        };
        let then = body[t].clone();
        let before_ok = text[..then.start]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace);
        let after_ok = text[then.end..].starts_with(char::is_whitespace);
        if !before_ok || !after_ok {
            self.error(
                then.start,
                "the engine needs a space before and after `then`",
                None,
            );
        }
        if t == w + 1 {
            self.error(
                then.start,
                "the condition is empty",
                Some("write `when Product.field > 0 then ...`".into()),
            );
        } else {
            let reads = self.check_condition(&body[w + 1..t], then.start);
            self.blocks[b].reads = reads;
        }
        if t + 1 == body.len() {
            self.error(
                end_at,
                "no action after `then`: the engine refuses the rule",
                Some("write `Product.field = value;`".into()),
            );
            return;
        }
        let (writes, actions) = self.check_actions(&body[t + 1..]);
        self.blocks[b].writes = writes;
        self.blocks[b].actions = actions;
    }

    /// A `Product.field` path: known object, known field, and for a write an
    /// output field.
    fn check_field(
        &mut self,
        t: &Token,
        write: bool,
    ) -> Option<&'static crate::plan::facts::FactField> {
        let path = t.text(self.text);
        let mut parts = path.split('.');
        let object = parts.next().unwrap_or_default();
        let field = parts.next().unwrap_or_default();
        let extra = parts.next();
        let consequence = if write {
            "the engine fails at run time with the facts half changed"
        } else {
            "the engine reads it as null and the rule never fires"
        };
        if object != "Product" {
            let hint = match schema_field(field) {
                Some(f) => format!("did you mean `Product.{}`?", f.name),
                None => "rules see one object: `Product`".into(),
            };
            self.error(
                t.start,
                format!("unknown object `{object}` in `{path}`: {consequence}"),
                Some(hint),
            );
            return None;
        }
        if extra.is_some() {
            self.error(
                t.start,
                format!("`{path}`: facts have no nested fields; {consequence}"),
                Some(format!("write `Product.{field}`")),
            );
            return None;
        }
        let Some(f) = schema_field(field) else {
            let hint = match nearest(field, field_names()) {
                Some(n) => format!("did you mean `Product.{n}`?"),
                None => "the fields are listed in README.md, \"Writing GRL\"".into(),
            };
            self.error(
                t.start,
                format!("unknown field `{path}`: {consequence}"),
                Some(hint),
            );
            return None;
        };
        if write && !f.writable {
            self.error(
                t.start,
                format!("`{path}` is an input buyerdesk prepares: rules may not change it"),
                Some(format!("write one of the outputs: {}", writable_names())),
            );
            return None;
        }
        Some(f)
    }

    /// A bare word where a value is expected.
    fn unknown_name(&mut self, t: &Token, in_action: bool) {
        let word = t.text(self.text);
        let consequence = if in_action {
            "the engine fails at run time"
        } else {
            "the engine reads it as null and the condition never matches"
        };
        let hint = if schema_field(word).is_some() {
            Some(format!("write `Product.{word}`"))
        } else {
            Some(nearest(word, field_names()).map_or_else(
                || format!("text goes in double quotes: \"{word}\""),
                |n| format!("did you mean `Product.{n}`?"),
            ))
        };
        self.error(
            t.start,
            format!("unknown name `{word}`: {consequence}"),
            hint,
        );
    }

    /// Duplicate rule names.
    fn check_names(&mut self) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut found = Vec::new();
        for b in &self.blocks {
            let Some(name) = b.name.as_deref() else {
                continue;
            };
            match seen.get(name) {
                Some(&first) => found.push((b.name_at, name.to_string(), first)),
                None => {
                    seen.insert(name, b.name_at);
                }
            }
        }
        for (at, name, first) in found {
            let (line, col) = position(self.text, first);
            self.error(
                at,
                format!("duplicate rule name \"{name}\": the engine refuses the second"),
                Some(format!(
                    "the first is at line {line}, column {col}; rename one"
                )),
            );
        }
    }

    /// Rules without `no-loop`. Without it a rule fires again on every cycle
    /// while its condition holds. When nothing in the file writes a field
    /// the condition reads, it holds for ever: certain (error). Otherwise
    /// it depends on the data (warning).
    fn check_no_loop(&mut self) {
        let written: Vec<&str> = self
            .blocks
            .iter()
            .flat_map(|b| b.writes.iter().copied())
            .collect();
        let mut found = Vec::new();
        for b in &self.blocks {
            if b.no_loop || b.reads.is_empty() {
                continue;
            }
            let at = b.open.map_or(b.name_at, |o| self.code[o].start);
            let name = b.name.as_deref().unwrap_or("Name");
            let hint = Some(format!("add it: `rule \"{name}\" ... no-loop {{`"));
            if b.reads.iter().any(|r| written.contains(r)) {
                found.push((at, Severity::Warning, format!("no `no-loop`: while its condition holds the rule fires again on every cycle, up to the engine's limit of {MAX_CYCLES}"), hint));
            } else {
                found.push((at, Severity::Error, format!("no `no-loop`, and no rule writes a field its condition reads: it fires on every cycle up to the engine's limit of {MAX_CYCLES}"), hint));
            }
        }
        for (at, severity, message, hint) in found {
            self.found.push(Found {
                at,
                severity,
                message,
                hint,
            });
        }
    }

    /// Hands a block with no error of its own to the engine's parser and
    /// compares what the engine read with what buyerdesk read. A block with
    /// errors is left out: the engine's verdict would only repeat them.
    fn check_with_engine(&mut self, b: usize) {
        let block = &self.blocks[b];
        if block.close.is_none() {
            return;
        }
        let (start, end) = (block.start, block.end);
        if self
            .found
            .iter()
            .any(|f| f.severity == Severity::Error && start <= f.at && f.at < end)
        {
            return;
        }
        if let Some((message, hint)) = engine_verdict(&self.text[start..end], block) {
            self.error(start, message, hint);
        }
    }

    fn finish(mut self, file: &str) -> Vec<Diagnostic> {
        self.found.sort_by_key(|f| f.at);
        let starts = line_starts(self.text);
        let mut out = Vec::with_capacity(self.found.len());
        for f in self.found {
            let rule = self
                .blocks
                .iter()
                .find(|b| b.start <= f.at && f.at < b.end.max(b.start + 1))
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

/// The engine's reading of one block, compared with buyerdesk's: a message
/// and a hint when they differ or the engine refuses it.
fn engine_verdict(block_text: &str, block: &Block) -> Option<(String, Option<String>)> {
    // The engine's parser slices strings by byte offsets; a panic in it must
    // not take the validator (or the editor) down.
    let parsed = std::panic::catch_unwind(|| GRLParser::parse_rules(block_text));
    let rules = match parsed {
        Err(_) => {
            return Some((
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
            return Some((
                format!("the rule engine refuses this rule: {message}"),
                Some("check the rule against `rule \"Name\" salience 10 no-loop { when <condition> then <actions>; }`".into()),
            ));
        }
        Ok(Ok(rules)) => rules,
    };
    let [rule] = rules.as_slice() else {
        return Some((
            format!("the engine reads {} rules in this block", rules.len()),
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
        None
    } else {
        Some((
            format!(
                "the engine reads this rule differently: {}",
                differences.join(", ")
            ),
            Some("simplify the rule's text; please report this file to the buyerdesk team".into()),
        ))
    }
}

/// Compares the rules the engine read in the whole file (`engine_names`, as
/// `RuleSet::parse` reports them) with the blocks buyerdesk's scan finds,
/// in order: an error at the first block where they differ. A safety net
/// behind the checks on comments, strings and text outside rules, run where
/// the whole file is parsed anyway (`rules::load`): the engine's splitter is
/// too slow on large files to run on every validation.
pub(crate) fn split_difference(
    text: &str,
    file: &str,
    engine_names: &[String],
) -> Option<Diagnostic> {
    let mut v = Validator::new(text);
    v.split();
    v.found.clear();
    let names: Vec<Option<&str>> = v.blocks.iter().map(|b| b.name.as_deref()).collect();
    let first = (0..engine_names.len().max(names.len()))
        .find(|&i| engine_names.get(i).map(String::as_str) != names.get(i).copied().flatten())?;
    let read = match engine_names.get(first) {
        Some(name) => format!("a rule named \"{name}\" here"),
        None => "no rule here".into(),
    };
    let message = format!(
        "the engine splits the file into rules differently: it reads {read} ({} rules in all, buyerdesk {})",
        engine_names.len(),
        names.len()
    );
    let at = v.blocks.get(first).map_or_else(
        || v.blocks.last().map_or(0, |l| l.end.saturating_sub(1)),
        |block| block.start,
    );
    v.error(
        at,
        message,
        Some("look for `rule` followed by a name in comments or strings near here".into()),
    );
    v.finish(file).into_iter().next()
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

fn position_with(text: &str, starts: &[usize], at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let line = starts.partition_point(|&s| s <= at).max(1);
    let start = starts[line - 1];
    let col = text.get(start..at).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// 1-based line and character column of a byte offset.
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
    engine_verdict(block_text, &block).map(|(m, _)| m)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn split_difference_finds_rules_the_engine_reads_differently() {
        let engine_names = |text: &str| -> Vec<String> {
            GRLParser::parse_rules(text)
                .unwrap()
                .into_iter()
                .map(|r| r.name)
                .collect()
        };
        let block = "rule \"R\" salience 1 no-loop {\n when Product.moq > 0\n then Product.amount = 1;\n}\n";
        assert_eq!(split_difference(block, "t.grl", &engine_names(block)), None);
        // A phantom rule from a comment: the engine reads "fires", not "R".
        let phantom = format!("// this rule fires\n{block}");
        let d = split_difference(&phantom, "t.grl", &engine_names(&phantom)).expect("a difference");
        assert_eq!((d.severity, d.line, d.col), (Severity::Error, 2, 1));
        assert!(
            d.message
                .contains("a rule named \"fires\" here (1 rules in all, buyerdesk 1)"),
            "{d}"
        );
        // The engine reads fewer rules than buyerdesk.
        let two = format!("{block}{}", block.replace("\"R\"", "\"S\""));
        let d = split_difference(&two, "t.grl", &["R".to_string()]).unwrap();
        assert_eq!((d.line, d.col), (5, 1));
        assert!(d.message.contains("no rule here"), "{d}");
    }

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

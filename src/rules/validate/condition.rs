//! Conditions (`when ... then`): misspelt operators, unknown names and
//! fields, then the structure over normalised symbols: comparisons joined by
//! `&&`/`||`, grouped by parentheses, with values of matching kinds.

use super::{is_bool_word, is_punct, shown, Val, Validator};
use crate::plan::facts::schema_field;
use crate::rules::lexer::{Kind, Token};

/// A token of a condition, operators normalised so that the structure can
/// be checked past a wrong spelling already reported (`and` reads as `&&`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sym {
    And,
    Or,
    Not,
    Cmp(&'static str),
    Arith,
    Open,
    Close,
    Other,
}

/// The largest condition buyerdesk hands to the rule engine: the engine's
/// parser (regular expressions) takes time that grows with the cube of a
/// condition's length (measured: 25 comparisons 0.1 s, 100 comparisons 7 s,
/// 200 comparisons 57 s in a debug build), and it reads every rules file
/// on every start. A rule over the budget is refused with its name, before
/// the engine sees it.
pub const MAX_CONDITION_CHARS: usize = 1_200;
pub const MAX_COMPARISONS: usize = 40;
pub const MAX_NESTING: usize = 12;

const COND_WORDS: &[&str] = &[
    "contains",
    "not_contains",
    "startsWith",
    "endsWith",
    "matches",
];

impl Validator<'_> {
    /// Checks one condition; returns the fields it reads.
    pub(super) fn check_condition(&mut self, toks: &[Token], end_at: usize) -> Vec<&'static str> {
        let text = self.text;
        if self.over_budget(toks) {
            return Vec::new();
        }
        let mut flagged = vec![false; toks.len()];
        let mut syms = Vec::with_capacity(toks.len());
        let mut reads = Vec::new();
        for (i, t) in toks.iter().enumerate() {
            let s = t.text(text);
            let next_is_open = toks.get(i + 1).is_some_and(|n| is_punct(n, text, "("));
            let mut bad = |v: &mut Self, message: String, hint: &str| {
                v.error(t.start, message, Some(hint.into()));
                flagged[i] = true;
            };
            let sym = match (t.kind, s) {
                (Kind::Ident, w) if w.eq_ignore_ascii_case("and") => {
                    bad(self, format!("`{w}` is not an operator: the engine reads the rest as one value and the condition never matches"), "use `&&`");
                    Sym::And
                }
                (Kind::Ident, w) if w.eq_ignore_ascii_case("or") => {
                    bad(self, format!("`{w}` is not an operator: the engine reads the rest as one value and the condition never matches"), "use `||`");
                    Sym::Or
                }
                (Kind::Ident, w) if w.eq_ignore_ascii_case("not") => {
                    bad(self, format!("`{w}` is not an operator"), "use `!( ... )`");
                    Sym::Not
                }
                (Kind::Punct, "<>") => {
                    bad(self, "`<>` is not an operator: the engine accepts it and the condition never matches".into(), "use `!=`");
                    Sym::Cmp("!=")
                }
                (Kind::Punct, "===") => {
                    bad(self, "`===` is not an operator: the engine accepts it and the condition never matches".into(), "use `==`");
                    Sym::Cmp("==")
                }
                (Kind::Punct, "!==") => {
                    bad(
                        self,
                        "`!==` is not an operator: the engine misreads it".into(),
                        "use `!=`",
                    );
                    Sym::Cmp("!=")
                }
                (Kind::Punct, "=") => {
                    bad(
                        self,
                        "`=` assigns: the engine refuses it in a condition".into(),
                        "compare with `==`",
                    );
                    Sym::Cmp("==")
                }
                (Kind::Punct, "&") => {
                    bad(self, "`&` is not an operator".into(), "use `&&`");
                    Sym::And
                }
                (Kind::Punct, "|") => {
                    bad(self, "`|` is not an operator".into(), "use `||`");
                    Sym::Or
                }
                (Kind::Punct, "&&") => Sym::And,
                (Kind::Punct, "||") => Sym::Or,
                (Kind::Punct, "!") => Sym::Not,
                (Kind::Punct, "(") => Sym::Open,
                (Kind::Punct, ")") => Sym::Close,
                (Kind::Punct, "==") => Sym::Cmp("=="),
                (Kind::Punct, "!=") => Sym::Cmp("!="),
                (Kind::Punct, ">") => Sym::Cmp(">"),
                (Kind::Punct, ">=") => Sym::Cmp(">="),
                (Kind::Punct, "<") => Sym::Cmp("<"),
                (Kind::Punct, "<=") => Sym::Cmp("<="),
                (Kind::Punct, "+" | "-" | "*" | "/" | "%") => Sym::Arith,
                (Kind::Ident, w) if COND_WORDS.contains(&w) => Sym::Cmp("text"),
                (Kind::Ident, w) if next_is_open => {
                    bad(self, format!("function call `{w}(...)`: buyerdesk registers no functions for conditions, so it never matches"), "compare fields directly, or compute the value into an output field in an earlier rule");
                    Sym::Other
                }
                (Kind::Ident, w) if is_bool_word(w) => {
                    self.check_bool_spelling(t);
                    Sym::Other
                }
                (Kind::Ident, "null") => Sym::Other,
                (Kind::Ident, _) => {
                    self.unknown_name(t, false);
                    flagged[i] = true;
                    Sym::Other
                }
                (Kind::Path, _) => {
                    if next_is_open {
                        bad(self, format!("method call `{s}(...)`: the engine does not call methods in conditions"), "compare the field directly");
                    } else if let Some(f) = self.check_field(t, false) {
                        reads.push(f.name);
                    } else {
                        flagged[i] = true;
                    }
                    Sym::Other
                }
                (Kind::Number | Kind::Str, _) => Sym::Other,
                _ => {
                    bad(
                        self,
                        format!("unexpected `{}` in a condition", shown(s)),
                        "a condition compares fields and values, joined with `&&` and `||`",
                    );
                    Sym::Other
                }
            };
            syms.push(sym);
        }
        let mut parser = CondParser {
            v: self,
            toks,
            syms: &syms,
            flagged: &flagged,
            pos: 0,
            depth: 0,
            stopped: false,
            end_at,
        };
        parser.or();
        if !parser.stopped && parser.pos < toks.len() {
            let t = &toks[parser.pos];
            let message = if syms[parser.pos] == Sym::Close {
                "this `)` closes nothing".to_string()
            } else {
                format!("expected `&&` or `||` before `{}`", shown(t.text(text)))
            };
            parser.structural(parser.pos, message, None);
        }
        reads
    }
}

impl Validator<'_> {
    /// Refuses a condition past the budget (`MAX_CONDITION_CHARS`,
    /// `MAX_COMPARISONS`, `MAX_NESTING`), counted in one pass over its
    /// tokens: true when it is over.
    fn over_budget(&mut self, toks: &[Token]) -> bool {
        let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
            return false;
        };
        let text = self.text;
        let chars = text[first.start..last.end].chars().count();
        let (mut comparisons, mut depth, mut deepest) = (0usize, 0usize, 0usize);
        for t in toks.iter().filter(|t| t.kind == Kind::Punct) {
            match t.text(text) {
                "==" | "!=" | ">" | ">=" | "<" | "<=" => comparisons += 1,
                "(" => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ")" => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        let hint = "split it into several rules (each can set an output field the next one reads)";
        let over = if comparisons > MAX_COMPARISONS {
            format!("the condition has {comparisons} comparisons; buyerdesk allows at most {MAX_COMPARISONS}")
        } else if deepest > MAX_NESTING {
            format!("the condition nests parentheses {deepest} deep; buyerdesk allows at most {MAX_NESTING}")
        } else if chars > MAX_CONDITION_CHARS {
            format!("the condition is {chars} characters long; buyerdesk allows at most {MAX_CONDITION_CHARS}")
        } else {
            return false;
        };
        self.error(
            first.start,
            format!("{over}: the rule engine's parser takes time growing with the cube of a condition's length"),
            Some(hint.into()),
        );
        true
    }
}

/// Checks the structure of one condition over normalised symbols. It stops
/// at the first structural problem; problems already reported on a token
/// (a misspelt operator, an unknown field) are not reported again.
struct CondParser<'p, 'a> {
    v: &'p mut Validator<'a>,
    toks: &'p [Token],
    syms: &'p [Sym],
    flagged: &'p [bool],
    pos: usize,
    depth: usize,
    stopped: bool,
    /// Where the condition ends (the `then`).
    end_at: usize,
}

impl CondParser<'_, '_> {
    fn peek(&self) -> Option<Sym> {
        self.syms.get(self.pos).copied()
    }

    fn structural(&mut self, i: usize, message: String, hint: Option<String>) {
        self.stopped = true;
        if self.flagged.get(i).copied().unwrap_or(false) {
            return;
        }
        let at = self.toks.get(i).map_or(self.end_at, |t| t.start);
        self.v.error(at, message, hint);
    }

    fn matching_close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, s) in self.syms.iter().enumerate().skip(open) {
            match s {
                Sym::Open => depth += 1,
                Sym::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn or(&mut self) {
        self.and();
        while !self.stopped && self.peek() == Some(Sym::Or) {
            self.pos += 1;
            self.and();
        }
    }

    fn and(&mut self) {
        self.unary();
        while !self.stopped && self.peek() == Some(Sym::And) {
            self.pos += 1;
            self.unary();
        }
    }

    fn unary(&mut self) {
        if self.stopped {
            return;
        }
        match self.peek() {
            Some(Sym::Not) => {
                self.pos += 1;
                self.unary();
            }
            Some(Sym::Open) => {
                let open = self.pos;
                let Some(close) = self.matching_close(open) else {
                    self.structural(open, "this `(` is never closed".into(), None);
                    return;
                };
                if matches!(self.syms.get(close + 1), Some(Sym::Arith | Sym::Cmp(_))) {
                    self.structural(
                        open,
                        "parentheses around arithmetic in a condition: the engine cannot evaluate them".into(),
                        Some("compute the value into an output field in an earlier rule, or write it without parentheses".into()),
                    );
                    return;
                }
                self.pos += 1;
                self.depth += 1;
                self.or();
                if self.stopped {
                    return;
                }
                if self.peek() == Some(Sym::Close) {
                    self.pos += 1;
                    self.depth -= 1;
                } else {
                    let message = match self.toks.get(self.pos) {
                        Some(t) => format!(
                            "expected `&&`, `||` or `)` before `{}`",
                            shown(t.text(self.v.text))
                        ),
                        None => "expected `)`".into(),
                    };
                    self.structural(self.pos, message, None);
                }
            }
            None => self.structural(
                self.pos,
                "expected a condition".into(),
                Some("write `Product.field > 0`".into()),
            ),
            _ => self.comparison(),
        }
    }

    fn comparison(&mut self) {
        let start = self.pos;
        let Some((left, left_is_field)) = self.operand() else {
            return;
        };
        let Some(Sym::Cmp(op)) = self.peek() else {
            let hint = match left {
                Val::Bool => Some(format!(
                    "write `{} == true`",
                    self.toks[start].text(self.v.text)
                )),
                _ => Some("write `Product.field > 0`".into()),
            };
            self.structural(
                start,
                "a condition must compare two values: the engine refuses a bare value".into(),
                hint,
            );
            return;
        };
        if !left_is_field {
            self.structural(
                start,
                "the engine needs a field on the left of a comparison".into(),
                Some("write `Product.field > 0`".into()),
            );
            return;
        }
        let op_at = self.pos;
        self.pos += 1;
        if self.pos >= self.toks.len() || !self.starts_operand() {
            let message = format!(
                "expected a value after `{}`",
                self.toks[op_at].text(self.v.text)
            );
            self.structural(op_at, message, None);
            return;
        }
        let Some((right, _)) = self.operand() else {
            return;
        };
        self.check_compare(left, op, right, op_at);
        match self.peek() {
            None | Some(Sym::And | Sym::Or) => {}
            Some(Sym::Close) if self.depth > 0 => {}
            Some(_) => {
                let t = &self.toks[self.pos];
                let message = format!(
                    "expected `&&` or `||` before `{}`",
                    shown(t.text(self.v.text))
                );
                self.structural(self.pos, message, None);
            }
        }
    }

    fn starts_operand(&self) -> bool {
        !matches!(
            self.peek(),
            None | Some(Sym::And | Sym::Or | Sym::Close | Sym::Cmp(_))
        )
    }

    /// `term (arith term)*`; the value's type, and whether it starts with a
    /// field.
    fn operand(&mut self) -> Option<(Val, bool)> {
        let (mut val, is_field) = self.term()?;
        while self.peek() == Some(Sym::Arith) {
            let op_at = self.pos;
            self.pos += 1;
            if !self.starts_operand() {
                let message = format!(
                    "expected a value after `{}`",
                    self.toks[op_at].text(self.v.text)
                );
                self.structural(op_at, message, None);
                return None;
            }
            let (right, _) = self.term()?;
            val = if val.is_num() && right.is_num() || val == Val::Unknown || right == Val::Unknown
            {
                Val::Num { int_literal: false }
            } else {
                Val::Unknown
            };
        }
        Some((val, is_field))
    }

    fn term(&mut self) -> Option<(Val, bool)> {
        let text = self.v.text;
        let i = self.pos;
        let Some(t) = self.toks.get(i) else {
            self.structural(i, "expected a value".into(), None);
            return None;
        };
        let s = t.text(text);
        match (self.syms[i], t.kind) {
            (Sym::Arith, _) if s == "-" => {
                if self.toks.get(i + 1).is_some_and(|n| n.kind == Kind::Number) {
                    self.pos += 2;
                    Some((
                        Val::Num {
                            int_literal: !self.toks[i + 1].text(text).contains(['.', 'e', 'E']),
                        },
                        false,
                    ))
                } else {
                    self.structural(
                        i,
                        "a minus sign before a field: the engine never matches".into(),
                        Some("write `0 - Product.field`".into()),
                    );
                    None
                }
            }
            (Sym::Open, _) => {
                self.structural(
                    i,
                    "parentheses around arithmetic in a condition: the engine cannot evaluate them".into(),
                    Some("compute the value into an output field in an earlier rule, or write it without parentheses".into()),
                );
                None
            }
            (Sym::Other, Kind::Path) => {
                self.pos += 1;
                if self
                    .toks
                    .get(self.pos)
                    .is_some_and(|n| is_punct(n, text, "("))
                {
                    self.skip_call();
                    return Some((Val::Unknown, true));
                }
                let val = s
                    .strip_prefix("Product.")
                    .and_then(schema_field)
                    .map_or(Val::Unknown, |f| Val::of_field(f.kind));
                Some((val, true))
            }
            (Sym::Other, Kind::Number) => {
                self.pos += 1;
                Some((
                    Val::Num {
                        int_literal: !s.contains(['.', 'e', 'E']),
                    },
                    false,
                ))
            }
            (Sym::Other, Kind::Str) => {
                self.pos += 1;
                Some((Val::Text, false))
            }
            (Sym::Other, Kind::Ident) => {
                self.pos += 1;
                if self
                    .toks
                    .get(self.pos)
                    .is_some_and(|n| is_punct(n, text, "("))
                {
                    self.skip_call();
                    return Some((Val::Unknown, false));
                }
                let val = match s {
                    w if is_bool_word(w) => Val::Bool,
                    "null" => Val::Null,
                    _ => Val::Unknown,
                };
                Some((val, false))
            }
            _ => {
                self.structural(i, format!("expected a value, found `{}`", shown(s)), None);
                None
            }
        }
    }

    /// Past `(...)` of a call already reported.
    fn skip_call(&mut self) {
        match self.matching_close(self.pos) {
            Some(close) => self.pos = close + 1,
            None => self.structural(self.pos, "this `(` is never closed".into(), None),
        }
    }

    fn check_compare(&mut self, left: Val, op: &str, right: Val, op_at: usize) {
        if self.flagged.get(op_at).copied().unwrap_or(false)
            || left == Val::Unknown
            || right == Val::Unknown
        {
            return;
        }
        let at = self.toks[op_at].start;
        let shown_op = self.toks[op_at].text(self.v.text).to_string();
        match op {
            "==" | "!=" => {
                let int_literal = matches!(left, Val::Num { int_literal: true })
                    || matches!(right, Val::Num { int_literal: true });
                if left.is_num() && right.is_num() && int_literal {
                    let outcome = if op == "==" {
                        "never true"
                    } else {
                        "always true"
                    };
                    self.v.error(
                        at,
                        format!("`{shown_op}` between a number and a whole-number literal is {outcome} in the engine (10.0 == 10 is false)"),
                        Some("compare with `<=` and `>=` instead (`<= 0` rather than `== 0`)".into()),
                    );
                } else if left.is_num() && right.is_num() {
                    self.v.warning(
                        at,
                        format!("`{shown_op}` on numbers compares floating-point values exactly"),
                        Some("compare with `<=` and `>=`, or within a tolerance".into()),
                    );
                } else if left != right {
                    self.v.error(
                        at,
                        format!(
                            "`{shown_op}` between {} and {}: the engine never finds them equal",
                            left.word(),
                            right.word()
                        ),
                        None,
                    );
                }
            }
            "text" => {
                if left != Val::Text || right != Val::Text {
                    self.v.error(
                        at,
                        format!(
                            "`{shown_op}` works on text, not on {}",
                            if left != Val::Text {
                                left.word()
                            } else {
                                right.word()
                            }
                        ),
                        None,
                    );
                }
            }
            _ => {
                if !left.is_num() || !right.is_num() {
                    self.v.error(
                        at,
                        format!(
                            "`{shown_op}` compares numbers, not {}: the condition never matches",
                            if left.is_num() {
                                right.word()
                            } else {
                                left.word()
                            }
                        ),
                        None,
                    );
                }
            }
        }
    }
}

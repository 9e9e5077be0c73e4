//! Actions (after `then`): assignments to output fields, buyerdesk's two
//! registered actions, and what the engine's evaluator cannot do
//! (parentheses, minus signs, functions, `Log`).

use super::{field_names, is_bool_word, is_punct, nearest, shown, writable_names, Val, Validator};
use crate::plan::engine::CUSTOM_ACTIONS;
use crate::plan::facts::schema_field;
use crate::rules::lexer::{Kind, Token};

impl Validator<'_> {
    /// The actions after `then`; returns the fields written and how many
    /// actions there are.
    pub(super) fn check_actions(&mut self, toks: &[Token]) -> (Vec<&'static str>, usize) {
        let mut a = ActionParser {
            v: self,
            toks,
            pos: 0,
            writes: Vec::new(),
            count: 0,
        };
        a.statements();
        (a.writes, a.count)
    }
}

/// Checks the actions one statement at a time.
struct ActionParser<'p, 'a> {
    v: &'p mut Validator<'a>,
    toks: &'p [Token],
    pos: usize,
    writes: Vec<&'static str>,
    count: usize,
}

impl ActionParser<'_, '_> {
    fn text(&self) -> &str {
        self.v.text
    }

    fn punct_at(&self, i: usize, p: &str) -> bool {
        self.toks
            .get(i)
            .is_some_and(|t| is_punct(t, self.v.text, p))
    }

    fn is_assign_op(&self, i: usize) -> bool {
        self.toks.get(i).is_some_and(|t| {
            t.kind == Kind::Punct
                && matches!(
                    t.text(self.v.text),
                    "=" | "+=" | "-=" | "*=" | "/=" | "==" | "==="
                )
        })
    }

    /// A statement starts at `i`: `Product.x =` or `Name(`.
    fn starts_statement(&self, i: usize) -> bool {
        self.toks
            .get(i)
            .is_some_and(|t| matches!(t.kind, Kind::Ident | Kind::Path))
            && (self.is_assign_op(i + 1) || self.punct_at(i + 1, "("))
    }

    fn skip_to_semicolon(&mut self) {
        while self.pos < self.toks.len() && !self.punct_at(self.pos, ";") {
            self.pos += 1;
        }
    }

    fn matching_close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, t) in self.toks.iter().enumerate().skip(open) {
            if is_punct(t, self.v.text, "(") {
                depth += 1;
            } else if is_punct(t, self.v.text, ")") {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
        }
        None
    }

    fn statements(&mut self) {
        loop {
            while self.punct_at(self.pos, ";") {
                self.pos += 1;
            }
            let Some(t) = self.toks.get(self.pos).cloned() else {
                return;
            };
            self.count += 1;
            let ok = if matches!(t.kind, Kind::Ident | Kind::Path)
                && self.punct_at(self.pos + 1, "(")
            {
                self.call()
            } else if matches!(t.kind, Kind::Ident | Kind::Path) && self.is_assign_op(self.pos + 1)
            {
                self.assignment()
            } else {
                self.v.error(
                    t.start,
                    format!("expected an action, found `{}`", shown(t.text(self.text()))),
                    Some("an action is `Product.field = value;`, `RoundUpToMultiple(\"field\", value, multiple);` or `CeilDivide(\"field\", numerator, denominator);`".into()),
                );
                false
            };
            if ok {
                self.end_statement();
            } else {
                self.skip_to_semicolon();
            }
        }
    }

    /// After an action: `;`, the end of the rule, or a missing `;`.
    fn end_statement(&mut self) {
        let prev = &self.toks[self.pos - 1];
        let (prev_end, prev_line) = (prev.end, prev.end_line);
        match self.toks.get(self.pos) {
            Some(t) if is_punct(t, self.v.text, ";") => self.pos += 1,
            None => self.v.warning(
                prev_end,
                "missing `;` after the last action",
                Some("the engine accepts it here, but end every action with `;`".into()),
            ),
            Some(t) if t.line > prev_line && self.starts_statement(self.pos) => self.v.error(
                prev_end,
                "missing `;`: the engine reads the next line as part of this value and fails at run time",
                Some("end each action with `;`".into()),
            ),
            Some(t) => {
                let s = t.text(self.v.text);
                let message = format!("unexpected `{}`: expected an operator or `;`", shown(s));
                let compares = t.kind == Kind::Punct
                    && matches!(s, "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||");
                let hint = compares.then(|| {
                    "an action cannot compare: put the comparison in a rule's condition and assign true/false there".to_string()
                });
                self.v.error(t.start, message, hint);
                self.skip_to_semicolon();
            }
        }
    }

    fn assignment(&mut self) -> bool {
        let target = self.toks[self.pos].clone();
        let op = self.toks[self.pos + 1].clone();
        self.pos += 2;
        let field = if target.kind == Kind::Path {
            let f = self.v.check_field(&target, true);
            if let Some(f) = f {
                self.writes.push(f.name);
            }
            f
        } else {
            self.v.unknown_name(&target, true);
            None
        };
        match op.text(self.v.text) {
            "=" => {}
            "==" | "===" => {
                self.v.error(
                    op.start,
                    "`==` compares: in an action the engine stores garbage",
                    Some("assign with `=`".into()),
                );
            }
            other => {
                self.v.error(
                    op.start,
                    format!(
                        "`{other}` is not arithmetic in the engine: it turns the field into a list"
                    ),
                    Some("write `Product.field = Product.field + value`".into()),
                );
            }
        }
        if self.pos >= self.toks.len() || self.punct_at(self.pos, ";") {
            self.v.error(op.start, "expected a value after `=`", None);
            return false;
        }
        let Some(val) = self.value() else {
            return false;
        };
        // A value that goes on (`Product.amount > 10000`) is reported by
        // end_statement; its kind so far says nothing.
        let complete = self.pos >= self.toks.len()
            || self.punct_at(self.pos, ";")
            || self.starts_statement(self.pos);
        if let Some(f) = field.filter(|_| complete) {
            let target_val = Val::of_field(f.kind);
            let fits =
                val == Val::Unknown || target_val.is_num() && val.is_num() || target_val == val;
            if !fits {
                self.v.error(
                    op.start,
                    format!(
                        "`Product.{}` holds {}, not {}",
                        f.name,
                        target_val.word(),
                        val.word()
                    ),
                    None,
                );
            }
        }
        true
    }

    /// A value in an action: fields, non-negative numbers, text, true/false,
    /// joined by `+ - * / %`. The engine's evaluator knows nothing else.
    fn value(&mut self) -> Option<Val> {
        let mut val = self.value_term()?;
        let mut arith = false;
        while let Some(t) = self.toks.get(self.pos) {
            if !(t.kind == Kind::Punct
                && matches!(t.text(self.v.text), "+" | "-" | "*" | "/" | "%"))
            {
                break;
            }
            let op_start = t.start;
            self.pos += 1;
            if self.pos >= self.toks.len() || self.punct_at(self.pos, ";") {
                self.v
                    .error(op_start, "expected a value after the operator", None);
                return None;
            }
            let right = self.value_term()?;
            arith = true;
            if right == Val::Unknown {
                val = Val::Unknown;
            }
        }
        Some(if arith && val != Val::Unknown {
            Val::Num { int_literal: false }
        } else {
            val
        })
    }

    fn value_term(&mut self) -> Option<Val> {
        let t = self.toks.get(self.pos)?.clone();
        let s = t.text(self.v.text);
        match t.kind {
            Kind::Punct if s == "-" => {
                self.v.error(
                    t.start,
                    "a minus sign (negative literal) in an action: the engine fails at run time",
                    Some("subtract instead: `0 - 5`, `Product.a - Product.b`".into()),
                );
                self.pos += 1;
                self.value_term().map(|_| Val::Unknown)
            }
            Kind::Punct if s == "(" => {
                self.v.error(
                    t.start,
                    "parentheses in an action: the engine cannot evaluate them and fails at run time",
                    Some("split the formula: compute the inner part into an output field in an earlier action".into()),
                );
                match self.matching_close(self.pos) {
                    Some(c) => {
                        self.pos = c + 1;
                        Some(Val::Unknown)
                    }
                    None => None,
                }
            }
            Kind::Ident | Kind::Path if self.punct_at(self.pos + 1, "(") => {
                self.v.error(
                    t.start,
                    format!("function call `{s}(...)` in an action: the engine has no functions there and fails at run time"),
                    Some("round up with the actions RoundUpToMultiple(\"field\", value, multiple) and CeilDivide(\"field\", numerator, denominator); take a maximum with two rules and conditions".into()),
                );
                match self.matching_close(self.pos + 1) {
                    Some(c) => {
                        self.pos = c + 1;
                        Some(Val::Unknown)
                    }
                    None => None,
                }
            }
            Kind::Path => {
                self.pos += 1;
                Some(
                    self.v
                        .check_field(&t, false)
                        .map_or(Val::Unknown, |f| Val::of_field(f.kind)),
                )
            }
            Kind::Number => {
                self.pos += 1;
                Some(Val::Num {
                    int_literal: !s.contains(['.', 'e', 'E']),
                })
            }
            Kind::Str => {
                self.pos += 1;
                Some(Val::Text)
            }
            Kind::Ident if is_bool_word(s) => {
                self.pos += 1;
                self.v.check_bool_spelling(&t);
                Some(Val::Bool)
            }
            Kind::Ident => {
                self.pos += 1;
                self.v.unknown_name(&t, true);
                Some(Val::Unknown)
            }
            _ => {
                self.v.error(
                    t.start,
                    format!("expected a value, found `{}`", shown(s)),
                    None,
                );
                None
            }
        }
    }

    /// `Name(args)`: only buyerdesk's actions are allowed.
    fn call(&mut self) -> bool {
        let name_tok = self.toks[self.pos].clone();
        let name = name_tok.text(self.v.text).to_string();
        let open = self.pos + 1;
        let Some(close) = self.matching_close(open) else {
            self.v
                .error(self.toks[open].start, "this `(` is never closed", None);
            self.pos = self.toks.len();
            return false;
        };
        if name.eq_ignore_ascii_case("log") {
            self.v.error(
                name_tok.start,
                "Log(...) prints to the terminal and corrupts the buyer's screen",
                Some("remove it: the rationale already shows which rules fired and what they changed".into()),
            );
            self.pos = close + 1;
            return true;
        }
        if !CUSTOM_ACTIONS.contains(&name.as_str()) {
            let mut hint = String::new();
            if let Some(n) = nearest(&name, CUSTOM_ACTIONS) {
                hint = format!("did you mean `{n}`? ");
            }
            hint.push_str("buyerdesk provides RoundUpToMultiple(\"field\", value, multiple) and CeilDivide(\"field\", numerator, denominator)");
            self.v.error(
                name_tok.start,
                format!("unknown action `{name}`: the engine fails at run time with the facts half changed"),
                Some(hint),
            );
            self.pos = close + 1;
            return true;
        }
        // Arguments, split at the commas between `(` and `)`.
        let mut args: Vec<(usize, usize)> = Vec::new();
        let mut from = open + 1;
        for i in open + 1..close {
            if self.punct_at(i, ",") {
                args.push((from, i));
                from = i + 1;
            }
        }
        if from < close || !args.is_empty() {
            args.push((from, close));
        }
        if args.len() != 3 {
            self.v.error(
                name_tok.start,
                format!("`{name}` takes 3 arguments, not {}", args.len()),
                Some(format!("write `{name}(\"field\", Product.a, Product.b)`")),
            );
            self.pos = close + 1;
            return true;
        }
        self.target_argument(args[0]);
        for &(from, to) in &args[1..] {
            if from == to {
                self.v.error(self.toks[to].start, "missing argument", None);
                continue;
            }
            let saved = self.pos;
            let sub = &self.toks[from..to];
            let mut inner = ActionParser {
                v: &mut *self.v,
                toks: sub,
                pos: 0,
                writes: Vec::new(),
                count: 0,
            };
            let val = inner.value();
            let rest = inner.pos;
            if let Some(extra) = sub.get(rest).filter(|_| val.is_some()) {
                let message = format!(
                    "unexpected `{}` in an argument",
                    shown(extra.text(self.v.text))
                );
                self.v.error(extra.start, message, None);
            } else if let Some(v) = val.filter(|v| *v != Val::Unknown && !v.is_num()) {
                self.v.error(
                    sub[0].start,
                    format!("`{name}` needs a number here, not {}", v.word()),
                    None,
                );
            }
            self.pos = saved;
        }
        self.pos = close + 1;
        true
    }

    /// The first argument of buyerdesk's actions: an output field's name in
    /// quotes, without `Product.`.
    fn target_argument(&mut self, (from, to): (usize, usize)) {
        let Some(t) = self.toks.get(from).cloned().filter(|_| from < to) else {
            let at = self.toks.get(from).map_or(0, |t| t.start);
            self.v.error(at, "missing the target field's name", None);
            return;
        };
        if t.kind != Kind::Str || to - from != 1 {
            let name = t
                .text(self.v.text)
                .trim_start_matches("Product.")
                .to_string();
            self.v.error(
                t.start,
                "the first argument names the field to write, in quotes",
                Some(format!("write \"{name}\"")),
            );
            return;
        }
        let name = t.str_content(self.v.text).to_string();
        if let Some(bare) = name.strip_prefix("Product.") {
            self.v.error(
                t.start,
                format!("\"{name}\" has a dot: the engine replaces it with the field's value"),
                Some(format!("write \"{bare}\"")),
            );
            return;
        }
        match schema_field(&name) {
            None => {
                let hint = match nearest(&name, field_names()) {
                    Some(n) => format!("did you mean \"{n}\"?"),
                    None => format!("write one of the outputs: {}", writable_names()),
                };
                self.v.error(
                    t.start,
                    format!("unknown field \"{name}\": the action fails at run time"),
                    Some(hint),
                );
            }
            Some(f) if !f.writable => self.v.error(
                t.start,
                format!("\"{name}\" is an input buyerdesk prepares: rules may not change it"),
                Some(format!("write one of the outputs: {}", writable_names())),
            ),
            Some(f) => self.writes.push(f.name),
        }
    }
}

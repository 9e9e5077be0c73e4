//! Inside a block: strings, the body's `when` and `then`, the
//! fields named, unknown names and rules that may keep firing.

use super::*;

impl Validator<'_> {
    /// Text inside strings that the engine's regexes split on.
    pub(super) fn check_strings(&mut self, b: usize) {
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
    pub(super) fn check_body(&mut self, b: usize) {
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
        self.blocks[b].certain_loop = intent::certain_loop(text, &body[w + 1..t], &body[t + 1..]);
        self.blocks[b].writes = writes;
        self.blocks[b].actions = actions;
    }

    /// A `Product.field` path: known object, known field, and for a write an
    /// output field.
    pub(super) fn check_field(
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
    pub(super) fn unknown_name(&mut self, t: &Token, in_action: bool) {
        let word = t.text(self.text);
        let consequence = if in_action {
            "the engine fails at run time"
        } else {
            "the engine reads it as null and the condition never matches"
        };
        let meant = match word.to_lowercase().as_str() {
            "true" | "wahr" | "vrai" | "verdadero" | "vero" | "yes" | "ja" | "oui" => Some("true"),
            "false" | "falsch" | "faux" | "falso" | "no" | "nein" | "non" => Some("false"),
            _ => None,
        };
        let hint = if let Some(meant) = meant {
            Some(format!("write `{meant}` (lower case)"))
        } else if schema_field(word).is_some() {
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

    /// Duplicate rule names, and names equal but for case (the engine keeps
    /// both, and which one a change reaches is a matter of luck).
    pub(super) fn check_names(&mut self) {
        let mut seen: HashMap<String, (usize, &str)> = HashMap::new();
        let mut found = Vec::new();
        for b in &self.blocks {
            let Some(name) = b.name.as_deref() else {
                continue;
            };
            match seen.get(&name.to_lowercase()) {
                Some(&(first, first_name)) => {
                    found.push((b.name_at, name.to_string(), first, first_name.to_string()))
                }
                None => {
                    seen.insert(name.to_lowercase(), (b.name_at, name));
                }
            }
        }
        let starts = line_starts(self.text);
        for (at, name, first, first_name) in found {
            let (line, col) = position_with(self.text, &starts, first);
            let message = if name == first_name {
                format!("duplicate rule name \"{name}\": the engine refuses the second")
            } else {
                format!("rule names \"{first_name}\" and \"{name}\" differ only in case: the engine keeps both, and a reader takes them for one rule")
            };
            self.error(
                at,
                message,
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
    pub(super) fn check_no_loop(&mut self) {
        // A set: a list searched once per rule grows with the square of the
        // file.
        let written: std::collections::HashSet<&str> = self
            .blocks
            .iter()
            .flat_map(|b| b.writes.iter().copied())
            .collect();
        let mut found = Vec::new();
        let starts = line_starts(self.text);
        for b in &self.blocks {
            if b.no_loop || b.reads.is_empty() {
                continue;
            }
            let at = b.open.map_or(b.name_at, |o| self.code[o].start);
            let name = b.name.as_deref().unwrap_or("Name");
            let hint = Some(format!("add it: `rule \"{name}\" ... no-loop {{`"));
            if let Some((write_at, field)) = &b.certain_loop {
                let (line, col) = position_with(self.text, &starts, *write_at);
                found.push((b.start, Severity::Error, format!("no `no-loop`, and the write to `{field}` at line {line}, column {col} cannot make the rule's condition false: it fires on every cycle up to the engine's limit of {MAX_CYCLES} and the product fails"), hint));
            } else if b.reads.iter().any(|r| written.contains(r)) {
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
}

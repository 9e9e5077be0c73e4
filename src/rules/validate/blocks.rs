//! Splitting a file into rule blocks: the header (name, attributes,
//! salience), the braces, and text outside any rule.

use super::*;

impl Validator<'_> {
    /// Finds the rule blocks; reports text outside them and missing or
    /// extra braces.
    pub(super) fn split(&mut self) {
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
    pub(super) fn stray(&mut self, i: usize) -> usize {
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
    pub(super) fn looks_like_rule(&self, i: usize) -> bool {
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
    pub(super) fn parse_block(&mut self, i: usize) -> usize {
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
    pub(super) fn parse_header(&mut self, block: &mut Block, mut j: usize) -> usize {
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

    pub(super) fn parse_salience(&mut self, block: &mut Block, word_at: usize, j: usize) -> usize {
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
    pub(super) fn parse_braces(&mut self, block: &mut Block, mut j: usize) -> usize {
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

    pub(super) fn report_unclosed(&mut self, block: &Block, next_rule_line: Option<usize>) {
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
}

//! Characters that look like GRL but are not (curly quotes, dashes,
//! non-breaking and zero-width spaces, control characters), each named with
//! its code point at its own line and column; and what an author meant by
//! `10_000`, `=>` or `than`. A block with such a mistake gets that one error
//! and no other from its body (they would all follow from it).

use super::*;

/// The name of a character that has no place in GRL code, and whether it is
/// a look-alike (harmless in a comment or a string) rather than invisible.
fn suspicious(c: char) -> Option<(&'static str, bool)> {
    Some(match c {
        '\u{0}' => ("NUL", false),
        '\t' | '\n' | '\r' => return None,
        '\u{1}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => ("control character", false),
        '\u{a0}' => ("no-break space", false),
        '\u{ad}' => ("soft hyphen", false),
        '\u{2000}'..='\u{200a}' => ("typographic space", false),
        '\u{200b}' => ("zero-width space", false),
        '\u{200c}' => ("zero-width non-joiner", false),
        '\u{200d}' => ("zero-width joiner", false),
        '\u{200e}' => ("left-to-right mark", false),
        '\u{200f}' => ("right-to-left mark", false),
        '\u{202a}'..='\u{202e}' => ("bidirectional formatting character", false),
        '\u{2066}'..='\u{2069}' => ("bidirectional isolate", false),
        '\u{202f}' => ("narrow no-break space", false),
        '\u{205f}' => ("medium mathematical space", false),
        '\u{2060}' => ("word joiner", false),
        '\u{3000}' => ("ideographic space", false),
        '\u{feff}' => ("zero-width no-break space (byte order mark)", false),
        '\u{2010}' => ("hyphen", true),
        '\u{2011}' => ("non-breaking hyphen", true),
        '\u{2012}' => ("figure dash", true),
        '\u{2013}' => ("en dash", true),
        '\u{2014}' => ("em dash", true),
        '\u{2015}' => ("horizontal bar", true),
        '\u{2212}' => ("minus sign", true),
        '\u{2018}' => ("left single quotation mark", true),
        '\u{2019}' => ("right single quotation mark", true),
        '\u{201a}' => ("single low-9 quotation mark", true),
        '\u{201c}' => ("left double quotation mark", true),
        '\u{201d}' => ("right double quotation mark", true),
        '\u{201e}' => ("double low-9 quotation mark", true),
        '\u{ab}' => ("left-pointing double angle quotation mark", true),
        '\u{bb}' => ("right-pointing double angle quotation mark", true),
        _ => return None,
    })
}

fn is_curly_quote(c: char) -> bool {
    matches!(c, '\u{2018}'..='\u{201f}' | '\u{ab}' | '\u{bb}')
}

/// What to write instead.
fn replacement(c: char) -> &'static str {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{ad}' => "write `-` (or remove it)",
        '\u{2018}'..='\u{201f}' | '\u{ab}' | '\u{bb}' => {
            "write straight double quotes: \"Name\" (a word processor replaced them)"
        }
        '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => {
            "replace it with a plain space"
        }
        _ => {
            "delete it (it is invisible: delete the characters around this column and retype them)"
        }
    }
}

impl Validator<'_> {
    /// One pass over the text. Returns the offsets reported, in order.
    pub(super) fn check_characters(&mut self) -> Vec<usize> {
        let text = self.text;
        // Strings and comments, in order: look-alikes there are text.
        let mut quiet: Vec<(usize, usize, bool)> = self
            .code
            .iter()
            .filter(|t| t.kind == Kind::Str)
            .chain(&self.comments)
            .map(|t| (t.start, t.end, t.is_trivia()))
            .collect();
        quiet.sort_unstable();
        let mut q = 0;
        let mut curly_line = None;
        let mut line = 1;
        let mut at = Vec::new();
        for (i, c) in text.char_indices() {
            if c == '\n' {
                line += 1;
                continue;
            }
            let Some((name, look_alike)) = suspicious(c) else {
                continue;
            };
            if i == 0 && c == '\u{feff}' {
                continue; // a byte order mark at the start is allowed
            }
            while q < quiet.len() && quiet[q].1 <= i {
                q += 1;
            }
            let in_text = q < quiet.len() && quiet[q].0 <= i;
            if look_alike && in_text && !is_curly_quote(c) {
                continue;
            }
            // The engine never reads a comment (it is blanked): a space or a
            // zero-width character there is harmless. Control characters and
            // bidirectional ones still hide or reorder what a reader sees.
            let in_comment = in_text && quiet[q].2;
            let reorders = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if in_comment && !c.is_control() && !reorders {
                continue;
            }
            if is_curly_quote(c) {
                if in_text || curly_line == Some(line) {
                    continue; // one error for a pair of curly quotes
                }
                curly_line = Some(line);
            }
            let code = u32::from(c);
            let what = if look_alike {
                "a look-alike GRL does not read"
            } else {
                "an invisible character the engine does not read as a space"
            };
            self.error(
                i,
                format!("U+{code:04X} {name}: {what}"),
                Some(replacement(c).into()),
            );
            at.push(i);
        }
        at
    }

    /// `10_000`, `10,000`, `10 000`, `=>`, `=<`, `than`: errors with the
    /// text the author meant. Returns whether the block had one.
    pub(super) fn check_meant(&mut self, b: usize) -> bool {
        let text = self.text;
        let block = &self.blocks[b];
        let toks: Vec<&Token> = self.code[block.rule_tok..]
            .iter()
            .take_while(|t| t.start < block.end)
            .collect();
        let has_then = toks.iter().any(|t| is_word(t, text, "then"));
        let mut depth = 0usize;
        let mut found: Option<(usize, String, String)> = None;
        for (i, t) in toks.iter().enumerate() {
            let next = toks.get(i + 1);
            let after = toks.get(i + 2);
            let s = t.text(text);
            if is_punct(t, text, "(") {
                depth += 1;
            } else if is_punct(t, text, ")") {
                depth = depth.saturating_sub(1);
            }
            let three_digits = |n: &Token| {
                n.kind == Kind::Number
                    && n.text(text).len() == 3
                    && n.text(text).bytes().all(|d| d.is_ascii_digit())
            };
            let whole = |n: &Token| {
                n.kind == Kind::Number && n.text(text).bytes().all(|d| d.is_ascii_digit())
            };
            if whole(t) {
                let grouped = match (next, after) {
                    (Some(u), _)
                        if u.kind == Kind::Ident
                            && u.start == t.end
                            && u.text(text).starts_with('_')
                            && u.text(text)
                                .bytes()
                                .all(|d| d == b'_' || d.is_ascii_digit()) =>
                    {
                        Some(u.end)
                    }
                    (Some(c), Some(n))
                        if depth == 0
                            && is_punct(c, text, ",")
                            && c.start == t.end
                            && three_digits(n) =>
                    {
                        Some(n.end)
                    }
                    (Some(n), _)
                        if three_digits(n)
                            && n.line == t.line
                            && text[t.end..n.start].bytes().all(|b| b == b' ') =>
                    {
                        Some(n.end)
                    }
                    _ => None,
                };
                if let Some(end) = grouped {
                    let written = &text[t.start..end];
                    let digits: String = written.chars().filter(char::is_ascii_digit).collect();
                    found = Some((
                        t.start,
                        format!("`{written}`: GRL numbers have no digit separators"),
                        format!("write `{digits}`"),
                    ));
                    break;
                }
            }
            if is_punct(t, text, "=") {
                if let Some(n) = next.filter(|n| n.start == t.end) {
                    let meant = match n.text(text) {
                        ">" | ">=" => Some(">="),
                        "<" | "<=" => Some("<="),
                        _ => None,
                    };
                    if let Some(meant) = meant {
                        found = Some((
                            t.start,
                            format!("`={}` is not an operator", n.text(text)),
                            format!("write `{meant}`"),
                        ));
                        break;
                    }
                }
            }
            if !has_then && t.kind == Kind::Ident && s.eq_ignore_ascii_case("than") {
                found = Some((
                    t.start,
                    format!("`{s}` where the rule needs `then`"),
                    "write `then`".into(),
                ));
                break;
            }
        }
        let Some((at, message, hint)) = found else {
            return false;
        };
        self.error(at, message, Some(hint));
        true
    }
}

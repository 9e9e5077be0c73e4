//! Tokens of a GRL file with their byte offsets and lines: words, field paths,
//! numbers, strings (with escapes), comments and operators. The lexer never
//! fails: what it cannot read becomes an `Unknown` token for the validator to
//! report where it stands.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A word: `rule`, `when`, `salience`, `and`, `RoundUpToMultiple`.
    Ident,
    /// Words joined by dots without spaces: `Product.order_qty`.
    Path,
    /// `12`, `0.5`, `.5`, `1e3`.
    Number,
    /// `"..."` or `'...'`, quotes included.
    Str,
    /// `// ...` up to the end of the line.
    LineComment,
    /// `/* ... */`.
    BlockComment,
    /// An operator or punctuation: `&&`, `==`, `{`, `;`.
    Punct,
    /// A character GRL has no use for.
    Unknown,
}

/// One token. Lines are 1-based.
#[derive(Debug, Clone)]
pub struct Token {
    pub kind: Kind,
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    pub line: usize,
    /// The line the token ends on.
    pub end_line: usize,
    /// Strings and block comments: the closing delimiter was found. A
    /// string ends at the end of its line at the latest.
    pub terminated: bool,
    /// Strings: byte offset of the first backslash escape.
    pub escape_at: Option<usize>,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.start..self.end]
    }

    /// A string's content without its quotes (as far as it goes).
    pub fn str_content<'a>(&self, source: &'a str) -> &'a str {
        let t = self.text(source);
        let inner = &t[1.min(t.len())..];
        if self.terminated && !inner.is_empty() {
            &inner[..inner.len() - 1]
        } else {
            inner
        }
    }

    pub fn is_trivia(&self) -> bool {
        matches!(self.kind, Kind::LineComment | Kind::BlockComment)
    }
}

/// Operators, longest first so that `===` is not read as `==` `=`.
const PUNCTS: &[&str] = &[
    "===", "!==", "&&", "||", "==", "!=", "<>", "<=", ">=", "+=", "-=", "*=", "/=", "{", "}", "(",
    ")", ";", ",", ".", "!", "&", "|", "<", ">", "=", "+", "-", "*", "/", "%", "[", "]", "$", ":",
    "?", "@", "#",
];

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A cursor over the text that keeps the line.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.text[self.pos..].chars().nth(n)
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }
}

/// The text as the engine is given it: every comment replaced by spaces
/// (line breaks kept, so lines and byte offsets stay where they were). The
/// engine's regex parser does not know comments: the word "rule" or a `}`
/// in one would otherwise start or end a rule.
pub fn blank_comments(text: &str) -> String {
    blank(text, lex(text).iter().filter(|t| t.is_trivia()))
}

/// `text` with the given comment tokens (in order) blanked.
pub fn blank<'t>(text: &str, comments: impl Iterator<Item = &'t Token>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for t in comments {
        out.push_str(&text[done..t.start]);
        for c in t.text(text).chars() {
            match c {
                '\n' | '\r' => out.push(c),
                _ => out.extend(std::iter::repeat_n(' ', c.len_utf8())),
            }
        }
        done = t.end;
    }
    out.push_str(&text[done..]);
    out
}

/// A rules file's bytes as text, or where they stop being UTF-8: "line 3,
/// byte 12 of the line (byte 80 of the file): 0xE9" (a Latin-1 `é`).
pub fn decode(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let before = &bytes[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        format!(
            "not UTF-8 text: line {line}, byte {} of the line (byte {} of the file) is 0x{:02X}",
            at - line_start + 1,
            at + 1,
            bytes[at]
        )
    })
}

/// Splits the text into tokens; whitespace (and a byte order mark) is
/// dropped.
pub fn lex(text: &str) -> Vec<Token> {
    let mut cur = Cursor {
        text,
        pos: 0,
        line: 1,
    };
    let mut tokens = Vec::with_capacity(text.len() / 4);
    while let Some(c) = cur.peek() {
        if c.is_whitespace() || c == '\u{feff}' {
            cur.bump();
            continue;
        }
        let (start, line) = (cur.pos, cur.line);
        let mut terminated = true;
        let mut escape_at = None;
        let kind = if cur.rest().starts_with("//") {
            while cur.peek().is_some_and(|c| c != '\n') {
                cur.bump();
            }
            Kind::LineComment
        } else if cur.rest().starts_with("/*") {
            cur.bump();
            cur.bump();
            terminated = false;
            while cur.peek().is_some() {
                if cur.rest().starts_with("*/") {
                    cur.bump();
                    cur.bump();
                    terminated = true;
                    break;
                }
                cur.bump();
            }
            Kind::BlockComment
        } else if c == '"' || c == '\'' {
            cur.bump();
            terminated = false;
            while let Some(n) = cur.peek() {
                if n == '\n' {
                    break;
                }
                if n == '\\' {
                    escape_at.get_or_insert(cur.pos);
                    cur.bump();
                    if cur.peek().is_some_and(|e| e != '\n') {
                        cur.bump();
                    }
                    continue;
                }
                cur.bump();
                if n == c {
                    terminated = true;
                    break;
                }
            }
            Kind::Str
        } else if c.is_ascii_digit()
            || (c == '.' && cur.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
        {
            lex_number(&mut cur);
            Kind::Number
        } else if is_word_start(c) {
            let mut kind = Kind::Ident;
            loop {
                while cur.peek().is_some_and(is_word_char) {
                    cur.bump();
                }
                if cur.peek() == Some('.') && cur.peek_at(1).is_some_and(is_word_start) {
                    cur.bump();
                    kind = Kind::Path;
                } else {
                    break;
                }
            }
            kind
        } else if let Some(p) = PUNCTS.iter().find(|p| cur.rest().starts_with(**p)) {
            for _ in 0..p.len() {
                cur.bump();
            }
            Kind::Punct
        } else {
            cur.bump();
            Kind::Unknown
        };
        tokens.push(Token {
            kind,
            start,
            end: cur.pos,
            line,
            end_line: cur.line,
            terminated,
            escape_at,
        });
    }
    tokens
}

fn lex_number(cur: &mut Cursor<'_>) {
    while cur.peek().is_some_and(|d| d.is_ascii_digit()) {
        cur.bump();
    }
    if cur.peek() == Some('.') && cur.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
        cur.bump();
        while cur.peek().is_some_and(|d| d.is_ascii_digit()) {
            cur.bump();
        }
    }
    if matches!(cur.peek(), Some('e' | 'E')) {
        let digit_at = match cur.peek_at(1) {
            Some('+' | '-') => 2,
            _ => 1,
        };
        if cur.peek_at(digit_at).is_some_and(|d| d.is_ascii_digit()) {
            for _ in 0..digit_at {
                cur.bump();
            }
            while cur.peek().is_some_and(|d| d.is_ascii_digit()) {
                cur.bump();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String, usize, usize)> {
        lex(text)
            .iter()
            .map(|t| {
                let col = text[..t.start]
                    .chars()
                    .rev()
                    .take_while(|c| *c != '\n')
                    .count()
                    + 1;
                (t.kind, t.text(text).to_string(), t.line, col)
            })
            .collect()
    }

    #[test]
    fn tokens_carry_line_and_character_column() {
        let text = "rule \"Ä b\" {\n  when Product.moq >= 1.5e3 // x\n}";
        let k = kinds(text);
        assert_eq!(k[0], (Kind::Ident, "rule".into(), 1, 1));
        assert_eq!(k[1], (Kind::Str, "\"Ä b\"".into(), 1, 6));
        assert_eq!(k[2], (Kind::Punct, "{".into(), 1, 12));
        assert_eq!(k[3], (Kind::Ident, "when".into(), 2, 3));
        assert_eq!(k[4], (Kind::Path, "Product.moq".into(), 2, 8));
        assert_eq!(k[5], (Kind::Punct, ">=".into(), 2, 20));
        assert_eq!(k[6], (Kind::Number, "1.5e3".into(), 2, 23));
        assert_eq!(k[7], (Kind::LineComment, "// x".into(), 2, 29));
        assert_eq!(k[8], (Kind::Punct, "}".into(), 3, 1));
    }

    #[test]
    fn strings_keep_escapes_and_stop_at_the_end_of_their_line() {
        let text = "\"a\\\"b\" \"open\nnext";
        let toks = lex(text);
        assert_eq!(toks[0].text(text), "\"a\\\"b\"");
        assert!(toks[0].terminated);
        assert_eq!(toks[0].escape_at, Some(2));
        assert_eq!(toks[1].text(text), "\"open");
        assert!(!toks[1].terminated);
        assert_eq!(toks[2].text(text), "next");
        assert_eq!(toks[2].line, 2);
    }

    #[test]
    fn comments_hide_braces_and_quotes() {
        let text = "/* { \" */ x // } \"\ny";
        let k = kinds(text);
        assert_eq!(k.len(), 4);
        assert_eq!(k[0].0, Kind::BlockComment);
        assert_eq!(k[2].0, Kind::LineComment);
        assert_eq!(k[3], (Kind::Ident, "y".into(), 2, 1));
    }

    #[test]
    fn blanked_comments_keep_every_offset_and_line() {
        let text = "a // rule \"X\" { é }\nb /* }\n rule */ c \"// kept\"";
        let blank = blank_comments(text);
        assert_eq!(blank.len(), text.len());
        assert_eq!(
            blank,
            "a                   \nb     \n         c \"// kept\""
        );
    }

    #[test]
    fn decode_names_the_line_and_byte_of_invalid_utf8() {
        assert_eq!(decode("a\nb".as_bytes()), Ok("a\nb"));
        let latin1 = b"rule \"A\"\n// caf\xe9\n";
        assert_eq!(
            decode(latin1),
            Err("not UTF-8 text: line 2, byte 7 of the line (byte 16 of the file) is 0xE9".into())
        );
    }

    #[test]
    fn longest_operator_wins() {
        let text = "a === b <> c !== d";
        let ops: Vec<String> = kinds(text)
            .into_iter()
            .filter(|k| k.0 == Kind::Punct)
            .map(|k| k.1)
            .collect();
        assert_eq!(ops, ["===", "<>", "!=="]);
    }
}

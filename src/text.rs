//! Text for people, wherever it is shown (the CLI, the screen): text from
//! outside made printable, widths in terminal columns, wrapping that never
//! breaks a word (an id, a figure), long lists shortened with a count. It
//! imports nothing of buyerdesk: figures are written by plan::numbers.

use std::borrow::Cow;

/// The columns `text` takes on a terminal.
pub fn width_of(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// The columns one character takes (0 for a control character).
pub fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Characters text from outside may not bring to a terminal, a log line or
/// a CSV cell: control characters (an escape sequence would drive the
/// terminal, a newline would forge a row) and the invisible marks that
/// reorder or hide text (bidirectional overrides, zero-width characters).
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Text from outside (a source row, a supplier's answer, $USER, the
/// config) as a terminal, a document or a CSV may show it: the hidden
/// characters (`is_hidden`) are written as escapes (`\u{1b}`) instead of
/// being obeyed, so the text shows what it holds.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A cell of a CSV buyerdesk writes: `printable`, and a text a spreadsheet
/// would run as a formula (starting with `=`, `+`, `@`, a tab, a carriage
/// return, or `-` when the cell is not a number: OWASP's CSV injection
/// rule) is kept as text by a leading `'`. Numbers, negative ones included,
/// are left as they are.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let risky = match text.as_bytes().first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => true,
        Some(b'-') => text.trim().parse::<f64>().is_err(),
        _ => false,
    };
    match (risky, printable(text)) {
        (false, shown) => shown,
        (true, shown) => Cow::Owned(format!("'{shown}")),
    }
}

/// Writes one CSV record with every cell made safe (`csv_cell`).
pub fn write_csv_record<W: std::io::Write, S: AsRef<str>>(
    w: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = S>,
) -> csv::Result<()> {
    w.write_record(cells.into_iter().map(|c| csv_cell(c.as_ref()).into_owned()))
}

/// A writer for log files: every hidden character (`is_hidden`) but the
/// newline that ends a log line is written as an escape, so text from a
/// source or a supplier quoted in a log line cannot drive the terminal of
/// whoever reads the log with `cat` or `tail -f`. Each `write` is escaped
/// whole (the log formatter writes one event per call).
pub struct EscapingWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for EscapingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        if !text.chars().any(|c| c != '\n' && is_hidden(c)) {
            self.0.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut out = String::with_capacity(text.len() + 16);
        for line in text.split_inclusive('\n') {
            let (body, end) = match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line, ""),
            };
            out.push_str(&printable(body));
            out.push_str(end);
        }
        self.0.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `printable` for a screen cell, where every column counts: each hidden
/// character is shown as `?`.
pub fn masked(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_hidden) {
        Cow::Owned(
            text.chars()
                .map(|c| if is_hidden(c) { '?' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` in lines of at most `width` columns, broken at spaces only: a
/// word longer than the width has a line of its own, whole.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && width_of(&line) + 1 + width_of(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` wrapped at spaces into lines of at most `width` columns, the
/// first keeping its own leading spaces and the others indented by
/// `indent` (a hanging indent: a step's continuation stays under it).
pub fn hanging(text: &str, width: usize, indent: usize) -> Vec<String> {
    let body = text.trim_start();
    let lead = text.len() - body.len();
    let first = wrap(body, width.saturating_sub(lead).max(10));
    let mut out = vec![format!("{}{}", &text[..lead], first[0])];
    if first.len() > 1 {
        let rest = first[1..].join(" ");
        let pad = " ".repeat(indent);
        out.extend(
            wrap(&rest, width.saturating_sub(indent).max(10))
                .into_iter()
                .map(|l| format!("{pad}{l}")),
        );
    }
    out
}

/// `parts` joined with `sep` into lines of at most `width` columns, broken
/// only between parts (a part wider than a line is broken at its spaces):
/// the first line starts with `first`, the others with `rest`.
pub fn pack(parts: &[String], sep: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let room = width
        .saturating_sub(width_of(first).max(width_of(rest)))
        .max(1);
    let sep_trimmed = sep.trim_end();
    let mut bodies: Vec<String> = Vec::new();
    let mut line = String::new();
    for (k, part) in parts.iter().enumerate() {
        let piece = if k + 1 < parts.len() {
            format!("{part}{sep_trimmed}")
        } else {
            part.clone()
        };
        let joiner = &sep[sep_trimmed.len()..];
        if !line.is_empty() && width_of(&line) + width_of(joiner) + width_of(&piece) > room {
            bodies.push(std::mem::take(&mut line));
        }
        if width_of(&piece) > room {
            let mut words = wrap(&piece, room);
            let last = words.pop().unwrap_or_default();
            if !line.is_empty() {
                bodies.push(std::mem::take(&mut line));
            }
            bodies.extend(words);
            line = last;
            continue;
        }
        if !line.is_empty() {
            line.push_str(joiner);
        }
        line.push_str(&piece);
    }
    if !line.is_empty() || bodies.is_empty() {
        bodies.push(line);
    }
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| format!("{}{b}", if i == 0 { first } else { rest }))
        .collect()
}

/// Lists of more than `more_than` items (`PROD-1, PROD-2, PROD-3, ...`,
/// items without spaces) shortened to their first `keep` items and a
/// count: `PROD-1, PROD-2, ... and 75 more`.
pub fn shorten_lists(text: &str, keep: usize, more_than: usize) -> Cow<'_, str> {
    let mut segments: Vec<&str> = text.split(", ").collect();
    if segments.len() <= more_than {
        return Cow::Borrowed(text);
    }
    let keep = keep.clamp(1, more_than.max(1));
    // An item inside a list: one word, nothing else.
    let whole_item = |s: &str| !s.is_empty() && !s.contains([' ', ';', '(', ')']);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // Whether segments[i] goes on from the text before it (what followed a
    // shortened list's last item) rather than after a ", ".
    let mut glued = true;
    while i < segments.len() {
        if !glued {
            out.push_str(", ");
        }
        glued = false;
        // segments[i] ends with the first item (its last word); whole
        // single-word segments follow; the segment after them starts with
        // the last item (up to a space or a closing mark).
        let mut end = i + 1;
        while end < segments.len() && whole_item(segments[end]) {
            end += 1;
        }
        let tail = segments.get(end).and_then(|s| {
            let n = s.find([' ', ';', ')', ':', '(']).unwrap_or(s.len());
            (n > 0).then_some(n)
        });
        let items = (end - i) + usize::from(tail.is_some());
        if items <= more_than {
            out.push_str(segments[i]);
            i += 1;
            continue;
        }
        out.push_str(&segments[i..i + keep].join(", "));
        out.push_str(&format!(", ... and {} more", items - keep));
        i = end;
        if let Some(n) = tail {
            // What follows the last item goes on, and may start a list.
            segments[end] = &segments[end][n..];
            glued = true;
        }
    }
    Cow::Owned(out)
}

/// "5m", "3h", "2d" since an RFC 3339 time.
pub fn age_since(at: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(at) else {
        return "?".into();
    };
    let secs = (now - t.with_timezone(&chrono::Utc)).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests;

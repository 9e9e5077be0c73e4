//! PostgreSQL's COPY text format, read as it streams in: rows end with a
//! newline, cells are separated by tabs, `\N` alone is NULL, and a
//! backslash escapes the byte after it (`\b \f \n \r \t \v`, one to three
//! octal digits, `x` and one or two hex digits; any other byte stands for
//! itself, a tab or newline included). A row may be split across chunks;
//! only an unfinished row is kept between them. A cell without a backslash
//! is handed out borrowed from the chunk, an escaped one from a scratch
//! buffer. What PostgreSQL sends is UTF-8 (sqlx sets client_encoding); text
//! that is not is an error, as it is for sqlx's own decoding.
//!
//! PostgreSQL sends no `\.` end marker over the v3 protocol (the stream
//! itself ends), so `\.` is read as any other escape: a `.`.

use super::MAX_COLUMNS;

/// Why the COPY data could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CopyTextError {
    #[error("COPY data: a row has more than {MAX_COLUMNS} columns")]
    TooWide,
    #[error("COPY data: a row has {got} columns where the first had {expected}")]
    Width { expected: usize, got: usize },
    #[error("COPY data: column {column} is not valid UTF-8")]
    NotUtf8 { column: usize },
    #[error("COPY data ended inside a row")]
    Unfinished,
}

/// Where a cell's text is.
#[derive(Clone, Copy)]
enum Span {
    Null,
    /// In the row as received.
    Raw(usize, usize),
    /// In the scratch buffer, unescaped.
    Unescaped(usize, usize),
}

/// The reader's state between chunks.
#[derive(Default)]
pub struct CopyTextReader {
    /// The start of a row whose newline has not arrived yet.
    partial: Vec<u8>,
    /// The last chunk ended with a backslash whose escaped byte is still to
    /// come.
    escape_pending: bool,
    /// Unescaped cells of the current row.
    scratch: Vec<u8>,
    /// The number of columns of the first row.
    width: Option<usize>,
}

impl CopyTextReader {
    /// Reads one chunk, handing every row it completes to `on_row`.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        on_row: &mut impl FnMut(&[Option<&str>]),
    ) -> Result<(), CopyTextError> {
        let mut row_start = 0;
        let mut i = 0;
        if self.escape_pending && !chunk.is_empty() {
            self.escape_pending = false;
            i = 1;
        }
        while let Some(k) = memchr::memchr2(b'\n', b'\\', &chunk[i.min(chunk.len())..]) {
            let at = i + k;
            if chunk[at] == b'\\' {
                if at + 1 == chunk.len() {
                    self.escape_pending = true;
                    break;
                }
                i = at + 2;
                continue;
            }
            if self.partial.is_empty() {
                self.row(&chunk[row_start..at], on_row)?;
            } else {
                self.partial.extend_from_slice(&chunk[row_start..at]);
                let line = std::mem::take(&mut self.partial);
                let result = self.row(&line, on_row);
                self.partial = line;
                self.partial.clear();
                result?;
            }
            row_start = at + 1;
            i = at + 1;
        }
        self.partial.extend_from_slice(&chunk[row_start..]);
        Ok(())
    }

    /// The end of the data: an unfinished row is an error (a cut stream is
    /// never taken for a whole one).
    pub fn finish(&self) -> Result<(), CopyTextError> {
        if self.partial.is_empty() && !self.escape_pending {
            Ok(())
        } else {
            Err(CopyTextError::Unfinished)
        }
    }

    /// One row, without its newline.
    fn row(
        &mut self,
        line: &[u8],
        on_row: &mut impl FnMut(&[Option<&str>]),
    ) -> Result<(), CopyTextError> {
        let text = std::str::from_utf8(line).map_err(|e| CopyTextError::NotUtf8 {
            column: line[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\t')
                .count(),
        })?;
        let mut cells: [Option<&str>; MAX_COLUMNS] = [None; MAX_COLUMNS];
        let n = if memchr::memchr(b'\\', line).is_none() {
            // No backslash: no NULL, no escape, every tab separates.
            let mut n = 0;
            for cell in text.split('\t') {
                *cells.get_mut(n).ok_or(CopyTextError::TooWide)? = Some(cell);
                n += 1;
            }
            n
        } else {
            let mut spans = [Span::Null; MAX_COLUMNS];
            let n = split_escaped(line, &mut spans, &mut self.scratch)?;
            for (column, (cell, span)) in cells.iter_mut().zip(&spans[..n]).enumerate() {
                *cell = match *span {
                    Span::Null => None,
                    Span::Raw(a, b) => Some(&text[a..b]),
                    Span::Unescaped(a, b) => Some(
                        std::str::from_utf8(&self.scratch[a..b])
                            .map_err(|_| CopyTextError::NotUtf8 { column })?,
                    ),
                };
            }
            n
        };
        match self.width {
            None => self.width = Some(n),
            Some(expected) if expected != n => {
                return Err(CopyTextError::Width { expected, got: n })
            }
            Some(_) => {}
        }
        on_row(&cells[..n]);
        Ok(())
    }
}

/// Splits a row that has backslashes into cells: escaped cells are
/// unescaped into `scratch` (cleared first). The number of cells.
fn split_escaped(
    line: &[u8],
    spans: &mut [Span; MAX_COLUMNS],
    scratch: &mut Vec<u8>,
) -> Result<usize, CopyTextError> {
    scratch.clear();
    let mut n = 0;
    let mut start = 0;
    loop {
        // The end of this cell: the first tab not escaped.
        let mut end = start;
        let mut escaped = false;
        while end < line.len() && line[end] != b'\t' {
            if line[end] == b'\\' {
                escaped = true;
                end += 1;
            }
            end += 1;
        }
        let end = end.min(line.len());
        let raw = &line[start..end];
        let span = if raw == b"\\N" {
            Span::Null
        } else if !escaped {
            Span::Raw(start, end)
        } else {
            let from = scratch.len();
            unescape(raw, scratch);
            Span::Unescaped(from, scratch.len())
        };
        *spans.get_mut(n).ok_or(CopyTextError::TooWide)? = span;
        n += 1;
        if end >= line.len() {
            return Ok(n);
        }
        start = end + 1;
    }
}

fn octal(b: u8) -> Option<u8> {
    matches!(b, b'0'..=b'7').then(|| b - b'0')
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Appends the unescaped bytes of one cell, as PostgreSQL's COPY FROM reads
/// them.
fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        let Some(k) = memchr::memchr(b'\\', &raw[i..]) else {
            out.extend_from_slice(&raw[i..]);
            return;
        };
        out.extend_from_slice(&raw[i..i + k]);
        i += k + 1;
        let Some(&c) = raw.get(i) else {
            // A backslash ending the row: nothing follows it to escape.
            return;
        };
        i += 1;
        let byte = match c {
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'0'..=b'7' => {
                let mut value = u32::from(c - b'0');
                for _ in 0..2 {
                    match raw.get(i).copied().and_then(octal) {
                        Some(d) => {
                            value = value * 8 + u32::from(d);
                            i += 1;
                        }
                        None => break,
                    }
                }
                (value & 0xff) as u8
            }
            b'x' => match raw.get(i).copied().and_then(hex) {
                Some(d) => {
                    i += 1;
                    let mut value = d;
                    if let Some(d) = raw.get(i).copied().and_then(hex) {
                        value = value * 16 + d;
                        i += 1;
                    }
                    value
                }
                None => b'x',
            },
            other => other,
        };
        out.push(byte);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rows = Vec<Vec<Option<String>>>;

    fn read(chunks: &[&[u8]]) -> Result<Rows, CopyTextError> {
        let mut reader = CopyTextReader::default();
        let mut rows = Vec::new();
        for chunk in chunks {
            reader.feed(chunk, &mut |cells| {
                rows.push(cells.iter().map(|c| c.map(str::to_string)).collect())
            })?;
        }
        reader.finish()?;
        Ok(rows)
    }

    fn row(cells: &[Option<&str>]) -> Vec<Option<String>> {
        cells.iter().map(|c| c.map(str::to_string)).collect()
    }

    #[test]
    fn plain_rows_and_nulls() {
        let rows = read(&[b"a\tb\tc\n\\N\t\tx\n"]).unwrap();
        assert_eq!(
            rows,
            vec![
                row(&[Some("a"), Some("b"), Some("c")]),
                row(&[None, Some(""), Some("x")]),
            ]
        );
        assert_eq!(read(&[b""]).unwrap(), Rows::new());
        assert_eq!(read(&[b"\n"]).unwrap(), vec![row(&[Some("")])]);
        assert_eq!(read(&[b"\\N\n"]).unwrap(), vec![row(&[None])]);
    }

    #[test]
    fn escapes() {
        let cases: [(&[u8], &[Option<&str>]); 6] = [
            (
                b"\\\\N\ta\\tb\\nc\\rd\\\\e\\bf\\fg\\vh\n",
                &[Some("\\N"), Some("a\tb\nc\rd\\e\u{8}f\u{c}g\u{b}h")],
            ),
            (
                b"\\101\\x41\\x4a\\7\\0101\\xg\\q\\.\n",
                &[Some("AAJ\u{7}\u{8}1xgq.")],
            ),
            (
                b"caf\\303\\251\t\\xc3\\xa9\tcaf\xc3\xa9\n",
                &[Some("café"), Some("é"), Some("café")],
            ),
            // A backslash before a real tab or newline makes it data.
            (b"a\\\tb\tc\\\nd\n", &[Some("a\tb"), Some("c\nd")]),
            (b"x\\N\t\\\\\t\\N\n", &[Some("xN"), Some("\\"), None]),
            (b"\\N\t\\N\n", &[None, None]),
        ];
        for (data, want) in cases {
            assert_eq!(
                read(&[data]).unwrap(),
                vec![row(want)],
                "{}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn octal_wraps_to_a_byte_and_bad_utf8_is_an_error() {
        // \777 is 511: PostgreSQL keeps the low byte, 0xff, not UTF-8.
        assert_eq!(
            read(&[b"ok\t\\777\n"]),
            Err(CopyTextError::NotUtf8 { column: 1 })
        );
        assert_eq!(
            read(&[b"ok\tb\xff\n"]),
            Err(CopyTextError::NotUtf8 { column: 1 })
        );
        // Each escaped cell must be UTF-8 by itself.
        assert_eq!(
            read(&[b"\\303\t\\251\n"]),
            Err(CopyTextError::NotUtf8 { column: 0 })
        );
    }

    #[test]
    fn a_cut_stream_is_an_error() {
        assert_eq!(read(&[b"a\tb\n", b"c\t"]), Err(CopyTextError::Unfinished));
        assert_eq!(read(&[b"a\\"]), Err(CopyTextError::Unfinished));
        assert_eq!(read(&[b"a\\", b"\n"]), Err(CopyTextError::Unfinished));
    }

    #[test]
    fn rows_must_keep_their_width() {
        assert_eq!(
            read(&[b"a\tb\nc\n"]),
            Err(CopyTextError::Width {
                expected: 2,
                got: 1
            })
        );
        let wide = vec!["x"; MAX_COLUMNS + 1].join("\t") + "\n";
        assert_eq!(read(&[wide.as_bytes()]), Err(CopyTextError::TooWide));
        let wide = vec!["\\N"; MAX_COLUMNS + 1].join("\t") + "\n";
        assert_eq!(read(&[wide.as_bytes()]), Err(CopyTextError::TooWide));
    }

    /// Every split of the data into two chunks, and into one byte per
    /// chunk, reads the same rows as the whole.
    #[test]
    fn a_row_split_at_every_byte_reads_the_same() {
        let data: &[u8] = b"PROD-1\t12.50\t\\N\tcaf\xc3\xa9\n\
            \\\\N\ta\\tb\\nc\\\\\t\\x41\\101\t\n\
            x\\\ty\t-0.000001\t\xe2\x82\xac\xf0\x9f\x98\x80\t\\N\n";
        let whole = read(&[data]).unwrap();
        assert_eq!(whole.len(), 3);
        assert_eq!(
            whole[1],
            row(&[Some("\\N"), Some("a\tb\nc\\"), Some("AA"), Some("")])
        );
        for at in 0..=data.len() {
            let (a, b) = data.split_at(at);
            assert_eq!(read(&[a, b]).unwrap(), whole, "split at byte {at}");
        }
        let bytes: Vec<&[u8]> = data.chunks(1).collect();
        assert_eq!(read(&bytes).unwrap(), whole, "one byte per chunk");
    }
}

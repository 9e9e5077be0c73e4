//! Output for a terminal of a given width: tables that drop whole columns
//! by a stated priority (never a part of an id or a figure) and wrap
//! lines at words. Without a width (output piped), everything is printed
//! whole, one line per row. The text helpers are `crate::text`'s.

use std::borrow::Cow;

pub use crate::plan::numbers::money_in_text;
use crate::text::char_width;
pub use crate::text::{pack, printable, shorten_lists, width_of, wrap};

/// How wide the output may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// `None`: no limit (output piped, or `--width 0`): every column, every
    /// id, one line per row.
    pub width: Option<usize>,
    /// Rules drawn with `-` instead of `─`, text shortened with `~`
    /// instead of `…`.
    pub ascii: bool,
}

impl Fit {
    /// No limit: every column (piped output).
    pub const WHOLE: Fit = Fit {
        width: None,
        ascii: false,
    };

    pub fn width(width: usize) -> Fit {
        Fit {
            width: Some(width),
            ascii: false,
        }
    }

    /// Whether lists are shortened and text wrapped (a terminal).
    pub fn limited(&self) -> bool {
        self.width.is_some()
    }

    fn ellipsis(&self) -> &'static str {
        if self.ascii {
            "~"
        } else {
            "…"
        }
    }

    fn rule(&self) -> char {
        if self.ascii {
            '-'
        } else {
            '─'
        }
    }
}

/// The columns a terminal shows: `--width N` wins (0: no limit); else on a
/// terminal, `COLUMNS` when it holds a number, else the terminal's width;
/// piped, no limit.
pub fn terminal_fit(width_option: Option<usize>, stdout_is_terminal: bool, ascii: bool) -> Fit {
    let width = match width_option {
        Some(0) => None,
        Some(w) => Some(w),
        None if stdout_is_terminal => std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w > 0)
            .or_else(|| {
                ratatui::crossterm::terminal::size()
                    .ok()
                    .map(|(w, _)| usize::from(w))
                    .filter(|w| *w > 0)
            }),
        None => None,
    };
    Fit { width, ascii }
}

/// `text` cut to `width` columns, the cut shown by `ellipsis`.
fn shorten(text: &str, width: usize, ellipsis: &str) -> String {
    if width_of(text) <= width {
        return text.to_string();
    }
    let room = width.saturating_sub(width_of(ellipsis));
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    format!("{}{ellipsis}", out.trim_end())
}

/// `text` as one line, or without a width, broken at spaces into lines of
/// the width: the first starts with `first`, the others with `rest`
/// (usually spaces, a hanging indent).
pub fn wrap_indented(text: &str, fit: &Fit, first: &str, rest: &str) -> Vec<String> {
    let Some(width) = fit.width else {
        return vec![format!("{first}{text}")];
    };
    let room = width
        .saturating_sub(width_of(first).max(width_of(rest)))
        .max(1);
    wrap(text, room)
        .into_iter()
        .enumerate()
        .map(|(i, l)| format!("{}{l}", if i == 0 { first } else { rest }))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// What a column may do to its cells when the width is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Nothing: ids, figures, codes are printed whole.
    Never,
    /// Shortened with an ellipsis, down to this many columns (names).
    Ellipsis(usize),
    /// Broken at spaces onto more lines, each word whole (a list of codes,
    /// a note).
    Wrap,
}

/// One column of a `Table`.
#[derive(Debug, Clone)]
pub struct Column {
    pub title: &'static str,
    pub align: Align,
    pub cut: Cut,
    /// 0: always shown. Otherwise, when the width is short, the column
    /// with the highest rank is left out first.
    pub drop: u8,
}

impl Column {
    pub fn new(title: &'static str, align: Align, cut: Cut, drop: u8) -> Column {
        Column {
            title,
            align,
            cut,
            drop,
        }
    }
}

/// A table of text cells, laid out for a `Fit`: a header, a rule under
/// each column (which also shows where the column starts and ends), then
/// the rows; no trailing spaces.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
}

/// A laid-out table.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Header, rule and rows, each line ending with `\n`.
    pub text: String,
    /// The titles of the columns left out, in the table's order.
    pub dropped: Vec<&'static str>,
    /// Some line is still wider than the width (the columns that cannot be
    /// left out or cut do not fit).
    pub overflow: bool,
}

impl Rendered {
    /// Which columns were left out, wrapped at the width and ending with a
    /// newline; empty when none were.
    pub fn dropped_note(&self, fit: &Fit) -> String {
        let Some(width) = fit.width.filter(|_| !self.dropped.is_empty()) else {
            return String::new();
        };
        let text = format!(
            "Not shown at {width} columns: {} (every column shows piped or with --width 0)",
            self.dropped.join(", ")
        );
        wrap_indented(&text, fit, "", "")
            .into_iter()
            .map(|l| l + "\n")
            .collect()
    }
}

const GAP: &str = "  ";

impl Table {
    pub fn new(columns: Vec<Column>) -> Table {
        Table {
            columns,
            rows: Vec::new(),
        }
    }

    /// Adds a row: one cell per column, made printable.
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        let cells = cells
            .into_iter()
            .map(|c| match printable(&c) {
                Cow::Borrowed(_) => c,
                Cow::Owned(o) => o,
            })
            .collect();
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The widest cell of each column, its title included.
    fn natural(&self) -> Vec<usize> {
        (0..self.columns.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| width_of(&r[i]))
                    .chain([width_of(self.columns[i].title)])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// The narrowest each column can be: its title, and for a wrapped
    /// column its longest word.
    fn minimal(&self, natural: &[usize]) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let title = width_of(c.title);
                match c.cut {
                    Cut::Never => natural[i],
                    Cut::Ellipsis(min) => natural[i].min(min.max(title)),
                    Cut::Wrap => self
                        .rows
                        .iter()
                        .flat_map(|r| r[i].split(' ').map(width_of))
                        .chain([title])
                        .max()
                        .unwrap_or(0),
                }
            })
            .collect()
    }

    /// The table laid out for `fit`: without a width every column at its
    /// widest; with one, the columns with the highest `drop` rank left out
    /// until the rest fits, names shortened and codes wrapped as needed.
    pub fn render(&self, fit: &Fit) -> Rendered {
        let natural = self.natural();
        let mut shown: Vec<usize> = (0..self.columns.len()).collect();
        let mut widths = natural.clone();
        if let Some(width) = fit.width {
            let minimal = self.minimal(&natural);
            let needed = |shown: &[usize]| {
                shown.iter().map(|&i| minimal[i]).sum::<usize>()
                    + GAP.len() * shown.len().saturating_sub(1)
            };
            while needed(&shown) > width {
                // The highest rank goes first; of equal ranks, the rightmost.
                let Some(pos) = (0..shown.len())
                    .filter(|&p| self.columns[shown[p]].drop > 0)
                    .max_by_key(|&p| (self.columns[shown[p]].drop, p))
                else {
                    break;
                };
                shown.remove(pos);
            }
            for &i in &shown {
                widths[i] = minimal[i];
            }
            // What is left goes to the columns that were narrowed: first
            // the shortened ones (a cut hides text, a wrap only takes more
            // lines), the most important first.
            let mut spare = width.saturating_sub(needed(&shown));
            let mut by_rank = shown.clone();
            by_rank.sort_by_key(|&i| {
                let shortened = matches!(self.columns[i].cut, Cut::Ellipsis(_));
                (!shortened, self.columns[i].drop)
            });
            for i in by_rank {
                let more = (natural[i] - widths[i]).min(spare);
                widths[i] += more;
                spare -= more;
            }
        }
        let dropped = (0..self.columns.len())
            .filter(|i| !shown.contains(i))
            .map(|i| self.columns[i].title)
            .collect();
        let mut text = String::new();
        let line = |cells: Vec<(usize, &str)>| {
            let mut l = String::new();
            for (k, (i, cell)) in cells.into_iter().enumerate() {
                if k > 0 {
                    l.push_str(GAP);
                }
                let pad = widths[i].saturating_sub(width_of(cell));
                match self.columns[i].align {
                    Align::Left => {
                        l.push_str(cell);
                        l.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        l.push_str(&" ".repeat(pad));
                        l.push_str(cell);
                    }
                }
            }
            let mut l = l.trim_end().to_string();
            l.push('\n');
            l
        };
        text.push_str(&line(
            shown.iter().map(|&i| (i, self.columns[i].title)).collect(),
        ));
        let rules: Vec<String> = shown
            .iter()
            .map(|&i| fit.rule().to_string().repeat(widths[i]))
            .collect();
        text.push_str(&line(
            shown
                .iter()
                .zip(&rules)
                .map(|(&i, r)| (i, r.as_str()))
                .collect(),
        ));
        for row in &self.rows {
            let cells: Vec<Vec<String>> = shown
                .iter()
                .map(|&i| {
                    let cell = &row[i];
                    match (fit.width, self.columns[i].cut) {
                        (None, _) | (_, Cut::Never) => vec![cell.clone()],
                        (Some(_), Cut::Ellipsis(_)) => {
                            vec![shorten(cell, widths[i], fit.ellipsis())]
                        }
                        (Some(_), Cut::Wrap) => wrap(cell, widths[i]),
                    }
                })
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for k in 0..height {
                text.push_str(&line(
                    shown
                        .iter()
                        .zip(&cells)
                        .map(|(&i, c)| (i, c.get(k).map_or("", String::as_str)))
                        .collect(),
                ));
            }
        }
        let overflow = fit
            .width
            .is_some_and(|w| text.lines().any(|l| width_of(l) > w));
        Rendered {
            text,
            dropped,
            overflow,
        }
    }
}

#[cfg(test)]
mod tests;

//! The editor's text as drawn: the rows in view (`top`, `left`, kept by the
//! editor itself, never guessed from the widget), a gutter of its own (the
//! problem mark and the line number) that horizontal scrolling never
//! moves, and each row's characters styled (GRL keywords bold, the search
//! matches, the selection, the cursor). Characters a terminal would obey
//! or hide are shown as visible stand-ins.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::search::Match;
use super::RuleEditor;
use crate::rules::Diagnostic;
use crate::tui::theme::Theme;

/// Columns a tab stands for in the text.
pub const TAB: usize = 4;

/// GRL's keywords, bold in the text.
const KEYWORDS: [&str; 5] = ["rule", "salience", "no-loop", "when", "then"];

/// The part of the text on screen: its first row and column (in terminal
/// columns), and how many rows and columns the last frame had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub top: usize,
    pub left: usize,
    pub height: usize,
    pub width: usize,
}

impl Default for Viewport {
    fn default() -> Self {
        // Until the first frame: a page of a 24-row terminal.
        Viewport {
            top: 0,
            left: 0,
            height: 16,
            width: 70,
        }
    }
}

/// `first` moved as little as possible for `at` to be within `first ..
/// first + len`.
fn follow(first: usize, at: usize, len: usize) -> usize {
    let len = len.max(1);
    if at < first {
        at
    } else if at >= first + len {
        at + 1 - len
    } else {
        first
    }
}

/// How one character of the text is shown: itself, a tab as spaces, and a
/// character a terminal would obey or hide (`text::is_hidden`, or one of no
/// width) as a visible stand-in.
fn shown(c: char, column: usize) -> (String, bool) {
    if c == '\t' {
        return (" ".repeat(TAB - column % TAB), false);
    }
    if crate::text::is_hidden(c) || crate::text::char_width(c) == 0 {
        return ("\u{fffd}".to_string(), true);
    }
    (c.to_string(), false)
}

/// The terminal column where character `col` of `line` starts.
pub fn column_of(line: &str, col: usize) -> usize {
    let mut at = 0;
    for c in line.chars().take(col) {
        let (s, _) = shown(c, at);
        at += crate::text::width_of(&s);
    }
    at
}

/// Where the GRL keywords are in `line`, as (start, end) character
/// indices: whole words only (`ruled` is not `rule`).
fn keywords(line: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = line.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !word(chars[i]) || (i > 0 && (word(chars[i - 1]) || chars[i - 1] == '-')) {
            i += 1;
            continue;
        }
        let end = (i..chars.len())
            .find(|&j| !(word(chars[j]) || chars[j] == '-'))
            .unwrap_or(chars.len());
        let text: String = chars[i..end].iter().collect();
        // `no-loop` holds a dash; `when-` does not make `when` a keyword.
        let text = text.trim_end_matches('-');
        if KEYWORDS.contains(&text) {
            found.push((i, i + text.chars().count()));
        }
        i = end.max(i + 1);
    }
    found
}

impl RuleEditor {
    /// The viewport for a text area of `height` x `width` (gutter left
    /// out): moved as little as possible to keep the cursor in view, and
    /// kept for the next frame and for paging.
    pub fn fit_view(&mut self, height: usize, width: usize) -> Viewport {
        let (row, col) = self.textarea.cursor();
        let lines = self.textarea.lines();
        let last = lines.len().saturating_sub(1);
        let v = &mut self.view;
        v.height = height.max(1);
        v.width = width.max(1);
        v.top = follow(v.top.min(last), row, v.height);
        let x = column_of(&lines[row], col);
        v.left = follow(v.left, x, v.width);
        *v
    }

    /// PageDown (`down`) or PageUp: the view and the cursor move by the
    /// rows the last frame showed.
    pub fn page(&mut self, down: bool) {
        let page = self.view.height.max(1);
        let (row, col) = self.textarea.cursor();
        let last = self.textarea.lines().len().saturating_sub(1);
        let (top, row) = if down {
            let most = (last + 1).saturating_sub(page);
            (
                (self.view.top + page).min(most.max(self.view.top)),
                (row + page).min(last),
            )
        } else {
            (self.view.top.saturating_sub(page), row.saturating_sub(page))
        };
        self.view.top = top;
        self.jump(row, col);
    }

    /// Puts the cursor at `row`, `col` (0-based; the column clamped to the
    /// line).
    pub fn jump(&mut self, row: usize, col: usize) {
        self.textarea.move_cursor(tui_textarea::CursorMove::Jump(
            u16::try_from(row).unwrap_or(u16::MAX),
            u16::try_from(col).unwrap_or(u16::MAX),
        ));
    }
}

/// The gutter's width for `lines` lines: the mark, the number, a space.
pub fn gutter_width(lines: usize) -> u16 {
    u16::try_from(lines.max(1).to_string().len() + 2).unwrap_or(u16::MAX)
}

/// Draws the text in `area`: the gutter left, the rows of the viewport
/// right. `matches` (the search's) are highlighted instead of keywords.
pub(in crate::tui) fn draw_text(
    frame: &mut Frame,
    editor: &mut RuleEditor,
    area: Rect,
    theme: &Theme,
    matches: Option<&[Match]>,
) {
    let lines_len = editor.textarea.lines().len();
    let gutter = gutter_width(lines_len).min(area.width);
    let text_width = usize::from(area.width - gutter);
    let view = editor.fit_view(usize::from(area.height), text_width);
    let (cursor_row, cursor_col) = editor.textarea.cursor();
    let selection = editor.textarea.selection_range();
    let digits = usize::from(gutter) - 2;
    let mut gutter_rows: Vec<Line> = Vec::new();
    let mut text_rows: Vec<Line> = Vec::new();
    for row in view.top..(view.top + view.height).min(lines_len) {
        gutter_rows.push(gutter_line(
            &editor.diagnostics,
            row,
            row == cursor_row,
            digits,
            theme,
        ));
        let line = &editor.textarea.lines()[row];
        let chars = line.chars().count();
        let mut styles = vec![Style::new(); chars + 1];
        match matches {
            Some(found) => {
                for m in found.iter().filter(|m| m.row == row) {
                    for s in &mut styles[m.start..m.end.min(chars)] {
                        *s = s.add_modifier(Modifier::REVERSED);
                    }
                }
            }
            None => {
                for (start, end) in keywords(line) {
                    for s in &mut styles[start..end] {
                        *s = s.add_modifier(Modifier::BOLD);
                    }
                }
            }
        }
        if let Some(((r0, c0), (r1, c1))) = selection {
            for (i, s) in styles.iter_mut().enumerate() {
                if (row, i) >= (r0, c0) && (row, i) < (r1, c1) {
                    *s = s.add_modifier(Modifier::UNDERLINED);
                }
            }
        }
        if row == cursor_row {
            styles[cursor_col.min(chars)] = styles[cursor_col.min(chars)]
                .add_modifier(Modifier::REVERSED)
                .remove_modifier(Modifier::UNDERLINED);
        }
        text_rows.push(row_line(line, &styles, view.left, view.width, theme));
    }
    let [gutter_area, text_area] = ratatui::layout::Layout::horizontal([
        ratatui::layout::Constraint::Length(gutter),
        ratatui::layout::Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(gutter_rows), gutter_area);
    frame.render_widget(Paragraph::new(text_rows), text_area);
}

/// One row of the gutter: `●` (error) or `○` (warning) on a line with a
/// problem, then the line number (the cursor's not dimmed).
fn gutter_line(
    diagnostics: &[Diagnostic],
    row: usize,
    current: bool,
    digits: usize,
    theme: &Theme,
) -> Line<'static> {
    let worst = diagnostics
        .iter()
        .filter(|d| d.line == row + 1)
        .map(Diagnostic::is_error)
        .max();
    let mark = match worst {
        Some(true) => Span::styled(
            theme.sym("●", "E"),
            theme.danger().add_modifier(Modifier::BOLD),
        ),
        Some(false) => Span::raw(theme.sym("○", "W")),
        None => Span::raw(" "),
    };
    let number = format!("{:>digits$} ", row + 1);
    let style = if current {
        Style::new()
    } else {
        Style::new().add_modifier(Modifier::DIM)
    };
    Line::from(vec![mark, Span::styled(number, style)])
}

/// One row of text from terminal column `left`, `width` columns wide, with
/// a style per character (and one for the cell after the last, where the
/// cursor may stand).
fn row_line(
    line: &str,
    styles: &[Style],
    left: usize,
    width: usize,
    theme: &Theme,
) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut at = 0;
    let right = left + width;
    let mut push = |text: String, style: Style| match spans.last_mut() {
        Some(last) if last.style == style => last.content.to_mut().push_str(&text),
        _ => spans.push(Span::styled(text, style)),
    };
    for (i, c) in line.chars().enumerate() {
        let (text, stand_in) = shown(c, at);
        let w = crate::text::width_of(&text);
        let style = if stand_in {
            styles[i].patch(theme.danger())
        } else {
            styles[i]
        };
        if at >= left && at + w <= right {
            push(text, style);
        } else if at < right && at + w > left {
            // A wide character cut by an edge of the view.
            let cells = (at + w).min(right) - at.max(left);
            push(" ".repeat(cells), style);
        }
        at += w;
        if at >= right {
            return Line::from(spans);
        }
    }
    if at >= left && at < right && styles[styles.len() - 1] != Style::new() {
        push(" ".to_string(), styles[styles.len() - 1]);
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_whole_words() {
        let line = "rule \"R\" salience 5 no-loop { when Product.ruled then x; rules";
        let words: Vec<String> = keywords(line)
            .into_iter()
            .map(|(s, e)| line.chars().skip(s).take(e - s).collect())
            .collect();
        assert_eq!(words, ["rule", "salience", "no-loop", "when", "then"]);
        assert!(keywords("whenever thenceforth rule_x").is_empty());
    }

    #[test]
    fn the_view_follows_the_cursor_by_as_little_as_it_can() {
        assert_eq!(follow(0, 5, 10), 0);
        assert_eq!(follow(0, 10, 10), 1);
        assert_eq!(follow(20, 5, 10), 5);
        assert_eq!(follow(3, 12, 10), 3);
    }

    #[test]
    fn tabs_and_hidden_characters_take_their_shown_width() {
        assert_eq!(column_of("\tab", 1), TAB);
        assert_eq!(column_of("ab\tc", 3), TAB);
        // A zero-width space is shown (as U+FFFD), so it takes a column.
        assert_eq!(column_of("a\u{200b}b", 2), 2);
        let (s, stand_in) = shown('\u{1b}', 0);
        assert!(stand_in && !s.contains('\u{1b}'));
    }

    /// Scrolled sideways, a row starts at the view's left column; a wide
    /// character cut by the edge is a space, never half a glyph.
    #[test]
    fn a_row_is_cut_at_the_view_in_terminal_columns() {
        let theme = Theme::from_env(false);
        let line = "abcdef";
        let styles = vec![Style::new(); 7];
        let text = |l: Line| {
            l.spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(text(row_line(line, &styles, 2, 3, &theme)), "cde");
        let wide = "a漢b";
        let styles = vec![Style::new(); 4];
        assert_eq!(text(row_line(wide, &styles, 2, 3, &theme)), " b");
    }

    #[test]
    fn paging_moves_the_view_and_the_cursor_by_a_page() {
        let text: String = (1..=100).map(|i| format!("// line {i}\n")).collect();
        let mut editor = RuleEditor::open(&text, "t.grl", &text);
        editor.fit_view(10, 40);
        editor.page(true);
        assert_eq!((editor.view.top, editor.textarea.cursor().0), (10, 10));
        editor.page(true);
        editor.page(false);
        assert_eq!((editor.view.top, editor.textarea.cursor().0), (10, 10));
        for _ in 0..20 {
            editor.page(true);
        }
        // The last page stays full; the cursor on the last line.
        assert_eq!((editor.view.top, editor.textarea.cursor().0), (90, 99));
        let v = editor.fit_view(10, 40);
        assert_eq!(v.top, 90);
    }
}

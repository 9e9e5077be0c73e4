//! The tables the screens share (the product list, the purchase orders):
//! only the visible slice of rows is built, the selection follows the
//! cursor, the header and the selected row look alike everywhere (bold
//! and underlined; reverse video and bold, never colour alone).

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

/// The first row to show so that `selected` is in a window of `height`
/// rows starting at `offset` (scrolling as little as possible), and no
/// row left empty below the last of `len` while rows above are hidden (a
/// window that grew, or a list that shrank, shows more rows, not blanks).
pub fn keep_in_view(selected: usize, offset: usize, height: usize, len: usize) -> usize {
    let offset = if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    };
    offset.min(len.saturating_sub(height))
}

/// The rows `offset..` that fit in `height` of `len`.
pub fn visible(offset: usize, height: usize, len: usize) -> std::ops::Range<usize> {
    offset.min(len)..(offset + height).min(len)
}

/// A cell, right-aligned when it holds a figure.
pub fn cell(line: Line<'static>, right: bool) -> Cell<'static> {
    Cell::from(if right { line.right_aligned() } else { line })
}

/// The header row's look.
pub fn header(cells: impl IntoIterator<Item = Cell<'static>>) -> Row<'static> {
    Row::new(cells).style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED))
}

/// The selected row's look.
pub fn selected(row: Row<'static>) -> Row<'static> {
    row.style(Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD))
}

/// Draws the table: columns of the given widths, one space between them.
pub fn draw<'a>(
    frame: &mut Frame,
    area: Rect,
    header: Row<'a>,
    rows: impl IntoIterator<Item = Row<'a>>,
    widths: impl IntoIterator<Item = u16>,
) {
    let constraints: Vec<Constraint> = widths.into_iter().map(Constraint::Length).collect();
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .column_spacing(1),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_stays_in_view_scrolling_as_little_as_possible() {
        assert_eq!(keep_in_view(0, 0, 10, 100), 0);
        assert_eq!(keep_in_view(9, 0, 10, 100), 0);
        assert_eq!(keep_in_view(10, 0, 10, 100), 1);
        assert_eq!(keep_in_view(3, 5, 10, 100), 3);
        assert_eq!(keep_in_view(14, 5, 10, 100), 5);
        // A window grown to 15 rows over 20: rows 5..20, none empty.
        assert_eq!(keep_in_view(19, 16, 15, 20), 5);
        // Everything fits: from the first.
        assert_eq!(keep_in_view(19, 16, 40, 20), 0);
        assert_eq!(visible(5, 10, 8), 5..8);
        assert_eq!(visible(20, 10, 8), 8..8);
    }
}

//! The terminal as the screen sees it: crossterm's backend with the size it
//! reports capped, so a terminal that claims to be 10,000 x 10,000 (a
//! hostile or broken client's window-size report) does not make ratatui
//! allocate gigabytes of cell buffers; the screen draws in the top-left
//! corner of it instead.

use std::io;

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// The largest screen drawn, in columns and rows: beyond any real terminal
/// (a 4K display in a small font is about 600 x 200), and 1,000,000 cells
/// at most, a few tens of MB of buffers.
pub const MAX_COLUMNS: u16 = 2000;
pub const MAX_ROWS: u16 = 500;

/// `CrosstermBackend` with its size capped at `MAX_COLUMNS` x `MAX_ROWS`.
pub struct CappedBackend<W: io::Write>(pub CrosstermBackend<W>);

/// `size` within the cap.
pub fn capped(size: Size) -> Size {
    Size {
        width: size.width.min(MAX_COLUMNS),
        height: size.height.min(MAX_ROWS),
    }
}

impl<W: io::Write> Backend for CappedBackend<W> {
    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.0.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.0.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.0.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.0.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.0.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.0.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.0.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.0.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.0.size().map(capped)
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        let mut w = self.0.window_size()?;
        w.columns_rows = capped(w.columns_rows);
        Ok(w)
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claimed_giant_terminal_is_drawn_within_the_cap() {
        let giant = capped(Size {
            width: 10_000,
            height: 10_000,
        });
        assert_eq!((giant.width, giant.height), (MAX_COLUMNS, MAX_ROWS));
        let real = capped(Size {
            width: 120,
            height: 40,
        });
        assert_eq!((real.width, real.height), (120, 40));
        // The cap's buffers: two of them, each cell well under 100 bytes.
        let cells = usize::from(MAX_COLUMNS) * usize::from(MAX_ROWS);
        assert!(cells * 2 * std::mem::size_of::<Cell>() < 200 << 20);
    }
}

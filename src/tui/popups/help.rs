//! The `?` help popup, built from the live keymap.

use crate::tui::keymap::Screen;
use crate::tui::popups::draw_popup;
use crate::tui::state::App;
use crate::tui::view::*;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

/// The help of the screen it was opened from, built from the App's keymap
/// (so it shows the keys really bound); on the list, the legend of every
/// column and flag follows. It scrolls when it does not fit (80x24).
pub(in crate::tui) fn draw_help(frame: &mut Frame, app: &mut App, body: Rect) {
    let t = app.theme;
    let subject = crate::tui::keys::screen_below_help(app);
    let width = body.width.min(78);
    let inner_width = usize::from(width.saturating_sub(2));
    let room = body.height.saturating_sub(2);
    let mut texts = app
        .keymap
        .help_lines(subject, &t, inner_width, usize::from(room));
    if subject == Screen::List {
        texts.extend(crate::tui::screens::list::legend_lines(app, inner_width));
    }
    let total = u16::try_from(texts.len()).unwrap_or(u16::MAX);
    app.help_page = room.max(1);
    app.help_scroll = app.help_scroll.min(total.saturating_sub(room));
    let first = usize::from(app.help_scroll);
    let lines: Vec<Line> = texts
        .into_iter()
        .skip(first)
        .take(usize::from(room))
        .map(Line::from)
        .collect();
    let close = app.keymap.keys_phrase(Screen::Help, "close", &t);
    let scroll = if total > room {
        let down = app.keymap.keys_phrase(Screen::Help, "down", &t);
        format!(
            "; lines {}-{} of {total}{}",
            first + 1,
            first + lines.len(),
            if down.is_empty() {
                String::new()
            } else {
                format!(", {down} scrolls")
            }
        )
    } else {
        String::new()
    };
    let place = Place {
        width,
        height: lines.len() as u16 + 2,
        top: 0,
    };
    draw_popup(
        frame,
        body,
        place,
        &t,
        format!(" Keys of {} ({close} closes{scroll}) ", subject.title()),
        lines,
    );
}

//! Popups over a screen: each owns its drawing (and its state, where it has
//! one). `draw_popup` frames them all alike.

use crate::tui::state::App;
use crate::tui::theme::Theme;
use crate::tui::view::*;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

pub mod confirm;
use confirm::draw_confirm;
pub mod drafted;
pub mod filter;
pub mod help;
pub mod override_form;
pub mod sources;

pub(in crate::tui) fn draw_popup(
    frame: &mut Frame,
    body: Rect,
    place: Place,
    theme: &Theme,
    title: String,
    lines: Vec<Line>,
) {
    let width = body.width.min(place.width);
    let top = place.top.min(body.height);
    let area = Rect {
        x: body.x + (body.width - width) / 2,
        y: body.y + top,
        width,
        height: place.height.min(body.height - top),
    };
    let block = Block::bordered().border_set(theme.border()).title(title);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The confirmation, over whatever is below.
pub fn draw_popups(frame: &mut Frame, app: &mut App, body: Rect) {
    if app.orders.input.is_some() {
        crate::tui::screens::order_edit::draw_po_input(frame, app, body);
    }
    if app.orders.confirm.is_some() {
        draw_confirm(frame, app, body);
    }
}

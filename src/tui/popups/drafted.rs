//! What a draft made: the POs created and the products left out, scrollable.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::orders::{fmt_totals, printable, totals_by_currency, PurchaseOrder, Skipped};
use crate::plan::numbers::fmt_money;
use crate::tui::action::*;
use crate::tui::keymap::Screen;
use crate::tui::state::*;

/// What drafting did, shown until the buyer closes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftedPanel {
    pub created: Vec<PurchaseOrder>,
    pub skipped: Vec<Skipped>,
    pub scroll: u16,
}

impl DraftedPanel {
    /// "3 POs drafted, 2 products left out".
    pub fn summary(&self) -> String {
        drafted_summary(self.created.len(), self.skipped.len())
    }
}

pub(in crate::tui) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn drafted_summary(created: usize, skipped: usize) -> String {
    format!(
        "{} drafted, {} left out",
        plural(created, "PO", "POs"),
        plural(skipped, "product", "products")
    )
}

impl App {
    /// Keys while the drafting result is shown: scroll, close.
    pub(in crate::tui) fn update_drafted(&mut self, action: Action) {
        let Some(panel) = self.orders.drafted.as_mut() else {
            return;
        };
        match action {
            Action::Up => panel.scroll = panel.scroll.saturating_sub(1),
            Action::Down => panel.scroll = panel.scroll.saturating_add(1),
            Action::PageUp => panel.scroll = panel.scroll.saturating_sub(10),
            Action::PageDown => panel.scroll = panel.scroll.saturating_add(10),
            Action::Back => self.orders.drafted = None,
            Action::Quit => self.should_quit = true,
            _ => {}
        }
    }
}

/// Lines of at most `width` characters, broken at spaces; the lines after
/// the first indented by `indent`.
pub(in crate::tui) fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    // Nothing on the line yet but its indent.
    let mut fresh = true;
    for word in text.split(' ') {
        if !fresh && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    lines.push(line);
    lines
}

pub(in crate::tui) fn drafted_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let Some(panel) = app.orders.drafted.as_ref() else {
        return Vec::new();
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = Vec::new();
    if !panel.created.is_empty() {
        // What they come to first, per currency (never one sum).
        let totals = totals_by_currency(
            panel
                .created
                .iter()
                .map(|p| (p.currency.as_str(), p.total_cents)),
        );
        for l in wrap(&format!("Drafted: {}", fmt_totals(&totals)), width, 4) {
            lines.push(Line::styled(l, bold));
        }
        let supplier = (panel.created.iter())
            .map(|p| printable(&p.supplier_name).chars().count())
            .max()
            .unwrap_or(0);
        let amount = (panel.created.iter())
            .map(|p| fmt_money(p.total()).len())
            .max()
            .unwrap_or(0);
        for po in &panel.created {
            let text = format!(
                "  {}  {:<supplier$}  {:>amount$} {}  {}",
                po.po_number,
                printable(&po.supplier_name),
                fmt_money(po.total()),
                printable(&po.currency),
                po.status
            );
            // Wrapped, never cut: the amount stays whole.
            for l in wrap(&text, width, 4) {
                lines.push(Line::from(l));
            }
        }
    }
    lines.push(Line::styled("Left out:", bold));
    let id = (panel.skipped.iter())
        .map(|s| s.product_id.chars().count())
        .max()
        .unwrap_or(0);
    for s in &panel.skipped {
        let text = format!(
            "  {:<id$}  {}",
            printable(&s.product_id),
            printable(&s.reason)
        );
        for l in wrap(&text, width, id + 4) {
            lines.push(Line::from(l));
        }
    }
    lines
}

/// What drafting did, in a panel below the list of POs: the POs, then
/// each product left out with the reason; scrolls when long.
pub(in crate::tui) fn draw_drafted(
    frame: &mut Frame,
    app: &mut App,
    area: Rect,
    lines: Vec<Line<'static>>,
) {
    let theme = app.theme;
    let close = app.keymap.keys_phrase(Screen::Drafted, "close", &theme);
    let Some(panel) = app.orders.drafted.as_mut() else {
        return;
    };
    let title = format!(" {} ({close} closes) ", panel.summary());
    let block = Block::new()
        .borders(Borders::TOP)
        .border_set(theme.border())
        .title(title);
    let visible = block.inner(area).height;
    panel.scroll = panel
        .scroll
        .min((lines.len() as u16).saturating_sub(visible));
    frame.render_widget(
        Paragraph::new(lines).block(block).scroll((panel.scroll, 0)),
        area,
    );
}

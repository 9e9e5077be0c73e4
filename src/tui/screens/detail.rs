//! The detail pane: one product's figures and its rationale as numbered
//! steps.

use crate::plan::numbers::{fmt_money, fmt_units};
use crate::plan::StepKind;
use crate::text::masked;
use crate::tui::keymap::Screen;
use crate::tui::state::App;
use crate::tui::view::*;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

/// The detail: the rationale's steps and the charts, side by side on a
/// wide screen; on a narrow one `v` switches between them. Beside the
/// list (`beside_list`) it has a border on its left, so that no list cell
/// runs into it.
pub(in crate::tui) fn draw_detail(frame: &mut Frame, app: &mut App, area: Rect, beside_list: bool) {
    let Some(p) = app.selected_plan() else {
        return;
    };
    let title = format!(
        " {} {} - {} ",
        masked(&p.product_id),
        masked(p.product_name.as_deref().unwrap_or("")),
        masked(p.supplier_name.as_deref().unwrap_or("no supplier"))
    );
    let borders = match beside_list {
        true => Borders::TOP | Borders::LEFT,
        false => Borders::TOP,
    };
    let block = Block::new()
        .borders(borders)
        .border_set(app.theme.border())
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Very wide: the charts beside the steps. Wide and tall: the charts in
    // a strip below them. Otherwise v switches between the two.
    let chart_block = || {
        Block::new()
            .borders(Borders::TOP)
            .border_set(app.theme.border())
    };
    if area.width >= 150 && area.height >= 30 {
        let [steps, charts] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(52)]).areas(inner);
        let block = Block::new()
            .borders(Borders::LEFT)
            .border_set(app.theme.border());
        let inside = block.inner(charts);
        let lines = crate::tui::widgets::charts::chart_lines(app, p, inside.width, inside.height);
        frame.render_widget(Paragraph::new(lines).block(block), charts);
        draw_steps(frame, app, steps);
    } else if area.width >= 120 && area.height >= 34 {
        let [steps, strip] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(14)]).areas(inner);
        let block = chart_block();
        let inside = block.inner(strip);
        frame.render_widget(block, strip);
        let [demand, projection] =
            Layout::horizontal([Constraint::Length(40), Constraint::Fill(1)])
                .spacing(2)
                .areas(inside);
        let lines = crate::tui::widgets::charts::demand_panel(app, p, demand.width, demand.height);
        frame.render_widget(Paragraph::new(lines), demand);
        let lines = crate::tui::widgets::charts::projection_panel(
            app,
            p,
            projection.width,
            projection.height,
        );
        frame.render_widget(Paragraph::new(lines), projection);
        draw_steps(frame, app, steps);
    } else if app.charts_open {
        let lines = crate::tui::widgets::charts::chart_lines(app, p, inner.width, inner.height);
        frame.render_widget(Paragraph::new(lines), inner);
    } else {
        draw_steps(frame, app, inner);
    }
}

/// Where an input came from and how old it is: "[oms.oms_history, 4s ago]".
pub(in crate::tui) fn source_tag(app: &App, source: &str) -> String {
    let name = source.split('.').next().unwrap_or(source);
    let status = app.sources.iter().find(|s| s.kind.name() == name);
    match status.and_then(|s| s.last_ok.map(|t| (s, t))) {
        Some((s, t)) => {
            let age = age((app.now - t).num_seconds());
            if s.is_stale() {
                format!(" [{source}, STALE: read {age} ago]")
            } else {
                format!(" [{source}, {age} ago]")
            }
        }
        None => format!(" [{source}]"),
    }
}

/// The rationale as numbered steps, scrollable.
pub(in crate::tui) fn draw_steps(frame: &mut Frame, app: &mut App, area: Rect) {
    let Some(p) = app.selected_plan() else {
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    let summary = if p.order_qty > 0.0 {
        format!(
            "Suggested order: {} = {}, {}{}{}",
            masked(&fmt_units(p.order_qty, p.stock_uom.as_deref())),
            masked(&fmt_units(p.purchase_qty, p.purchase_uom.as_deref())),
            fmt_money(p.amount),
            p.currency
                .as_deref()
                .map(|c| format!(" {}", masked(c)))
                .unwrap_or_default(),
            if p.requires_approval {
                ", requires approval"
            } else {
                ""
            }
        )
    } else {
        "No order suggested".to_string()
    };
    lines.push(Line::styled(
        summary,
        Style::new().add_modifier(Modifier::BOLD),
    ));
    if let Some(used) = &p.override_used {
        lines.push(Line::from(format!(
            "{} (used: it no longer applies)",
            masked(used)
        )));
    }
    if let Some(o) = p.override_qty.get() {
        let clear = app
            .keymap
            .keys_phrase(Screen::Detail, "clear_override", &app.theme);
        let how = if clear.is_empty() {
            String::new()
        } else {
            format!("; {clear} clears it")
        };
        lines.push(Line::styled(
            format!(
                "Buyer's quantity: {} (overrides the suggestion{how})",
                masked(&fmt_units(o, p.stock_uom.as_deref()))
            ),
            Style::new().add_modifier(Modifier::BOLD),
        ));
    }
    // Each step wrapped at spaces with a hanging indent, so a formula never
    // breaks inside a number and its continuation lines stay under it.
    let width = usize::from(area.width);
    let mut hang = |text: String, indent: usize, style: Style| {
        for line in crate::text::hanging(&text, width, indent) {
            lines.push(Line::styled(line, style));
        }
    };
    for (n, step) in p.rationale.steps().iter().enumerate() {
        let number = format!("{:>2}. ", n + 1);
        let source = step.source.map(|s| source_tag(app, s)).unwrap_or_default();
        match step.kind {
            StepKind::Rule => {
                hang(
                    format!(
                        "{number}Rule {} fired:",
                        step.rule.as_deref().unwrap_or("?")
                    ),
                    4,
                    Style::new(),
                );
                for c in &step.changes {
                    hang(format!("      {}", masked(&c.describe())), 8, Style::new());
                }
            }
            StepKind::Exception => hang(
                format!("{number}{}", masked(&step.text())),
                4,
                app.theme.danger(),
            ),
            _ => hang(
                format!("{number}{}{source}", masked(&step.text())),
                4,
                Style::new(),
            ),
        }
    }
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    // Keep the last screenful reachable, no further.
    let total = u16::try_from(paragraph.line_count(area.width)).unwrap_or(u16::MAX);
    app.detail_scroll = app.detail_scroll.min(total.saturating_sub(area.height));
    app.page = usize::from(area.height.max(1));
    frame.render_widget(paragraph.scroll((app.detail_scroll, 0)), area);
}

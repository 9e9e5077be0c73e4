//! The list of purchase orders: its columns, fitted to the width, the
//! totals per currency and the highlighted PO's note.

use crate::tui::widgets::table;
use std::collections::BTreeMap;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Wrap};
use ratatui::Frame;

use super::*;
use crate::orders::{fmt_totals, printable, totals_by_currency, PoStatus, PurchaseOrder};
use crate::plan::numbers::fmt_money;
use crate::tui::keymap::Screen;
use crate::tui::popups::drafted::{drafted_lines, draw_drafted};
use crate::tui::screens::order::draw_po;
use crate::tui::state::App;
use crate::tui::theme::Theme;

/// The list of POs, or the open PO over it; after a draft, what it did in
/// a panel below the list.
pub fn draw_orders(frame: &mut Frame, app: &mut App, area: Rect) {
    if app.orders.detail.is_some() {
        draw_po(frame, app, area);
    } else if app.orders.drafted.is_some() {
        let lines = drafted_lines(app, usize::from(area.width));
        let height = (lines.len() as u16 + 1).min(area.height * 3 / 5);
        let [list, panel] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(height)]).areas(area);
        draw_po_list(frame, app, list);
        draw_drafted(frame, app, panel, lines);
    } else {
        draw_po_list(frame, app, area);
    }
}

pub(in crate::tui) fn now_utc(app: &App) -> chrono::DateTime<chrono::Utc> {
    app.now.with_timezone(&chrono::Utc)
}

/// `text` in at most `width` characters, cut with an ellipsis after a
/// whole word, so that no figure shows in part ("total 21,274.…" would
/// read as another number); a single word too long is cut.
pub(in crate::tui) fn fit(theme: &Theme, text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let more = theme.sym("…", "~");
    let keep = width.saturating_sub(1);
    let cut: String = text.chars().take(keep).collect();
    // The first character dropped starts a new word: the cut is whole.
    let whole = text.chars().nth(keep) == Some(' ');
    match cut.rfind(' ') {
        _ if whole => cut.trim_end().to_string() + more,
        Some(i) if i > 0 => cut[..i].trim_end().to_string() + " " + more,
        _ => cut + more,
    }
}

/// A status in the list: `pending_approval` is long for 80 columns.
pub(in crate::tui) fn status_text(status: PoStatus, wide: bool) -> &'static str {
    match status {
        PoStatus::PendingApproval if !wide => "pending",
        PoStatus::Acknowledged if !wide => "acked",
        s => s.as_str(),
    }
}

pub(in crate::tui) fn is_trouble(orders: &OrdersState, po: &PurchaseOrder) -> bool {
    !orders.sending.contains_key(&po.po_number) && po.last_error.is_some()
}

pub(in crate::tui) struct PoColumn {
    title: &'static str,
    /// Shares what is left with the other filled columns.
    fill: Option<u16>,
    right: bool,
}

/// The columns; `marks`: a first one for the selection's mark (`Space`),
/// while some PO is selected.
pub(in crate::tui) fn po_columns(wide: bool, marks: bool) -> Vec<PoColumn> {
    let c = |title, fill, right| PoColumn { title, fill, right };
    let mut cols = Vec::new();
    if marks {
        cols.push(c("", None, false));
    }
    cols.extend([
        c("PO", None, false),
        c("Status", None, false),
        c("Supplier", Some(1), false),
    ]);
    if wide {
        cols.push(c("Lines", None, true));
    }
    cols.push(c("Total", None, true));
    cols.push(c("Cur", None, false));
    if wide {
        cols.push(c("Delivery", None, false));
        cols.push(c("Age", None, true));
    }
    cols.push(c("Note", Some(1), false));
    cols
}

pub(in crate::tui) fn po_cell(
    title: &str,
    po: &PurchaseOrder,
    orders: &OrdersState,
    now: chrono::DateTime<chrono::Utc>,
    wide: bool,
) -> String {
    match title {
        "" if orders.marked.contains(&po.po_number) => "*".to_string(),
        "" => String::new(),
        "PO" => po.po_number.clone(),
        "Status" => status_text(po.status, wide).to_string(),
        "Supplier" => printable(&po.supplier_name).into_owned(),
        "Lines" => po.line_count.to_string(),
        "Total" => fmt_money(po.total()),
        "Cur" => po.currency.clone(),
        "Delivery" => po.expected_delivery.clone(),
        "Age" => crate::text::age_since(&po.created_at, now),
        _ => orders.note(po),
    }
}

pub(in crate::tui) fn draw_po_list(frame: &mut Frame, app: &mut App, area: Rect) {
    let theme = app.theme;
    let orders = &app.orders;
    let title = if orders.loaded {
        match orders.marked.len() {
            0 => format!(" Purchase orders: {}, newest first ", orders.pos.len()),
            n => format!(
                " Purchase orders: {}, newest first, {n} selected ",
                orders.pos.len()
            ),
        }
    } else {
        " Purchase orders: reading... ".to_string()
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_set(theme.border())
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if orders.pos.is_empty() {
        let text = match (&orders.error, orders.loaded) {
            (Some(e), _) => format!("The POs could not be read: {e}"),
            (None, false) => "Reading the POs...".to_string(),
            (None, true) => {
                let select = app
                    .keymap
                    .keys_phrase(Screen::List, "toggle_select", &theme);
                let draft = app.keymap.keys_phrase(Screen::List, "draft_orders", &theme);
                format!(
                    "No purchase orders yet. On the product list, select products ({select}) and draft POs ({draft})."
                )
            }
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
        return;
    }
    // The highlighted PO in a sentence below the table: what narrow
    // screens leave out, and its note in full (cut in its cell).
    let now = now_utc(app);
    let about = orders.selected_po().map(|po| {
        let note = orders.note(po);
        let mut text = format!(
            "{}: {}, drafted by {} {} ago, delivery {}",
            po.po_number,
            if po.line_count == 1 {
                "1 line".to_string()
            } else {
                format!("{} lines", po.line_count)
            },
            po.buyer,
            crate::text::age_since(&po.created_at, now),
            po.expected_delivery
        );
        if !note.is_empty() {
            text = format!("{text}; {note}");
        }
        let style = if is_trouble(orders, po) {
            theme.danger()
        } else {
            Style::new()
        };
        Paragraph::new(Line::styled(text, style)).wrap(Wrap { trim: false })
    });
    let about_height = about
        .as_ref()
        .map_or(0, |p| p.line_count(inner.width).clamp(1, 3) as u16);
    // What the open POs add up to, per currency (never one sum).
    let totals = Paragraph::new(open_totals_text(&orders.pos)).wrap(Wrap { trim: true });
    let totals_height = (totals.line_count(inner.width) as u16).clamp(1, 3);
    let [table_area, totals_area, note_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(totals_height),
        Constraint::Length(about_height),
    ])
    .areas(inner);
    let wide = area.width >= 120;
    let cols = po_columns(wide, !app.orders.marked.is_empty());
    let height = usize::from(table_area.height.saturating_sub(1));
    let orders = &mut app.orders;
    orders.page = height.max(1);
    orders.offset = table::keep_in_view(orders.selected, orders.offset, height, orders.pos.len());
    let orders = &app.orders;
    let visible: Vec<Vec<String>> = orders.pos
        [table::visible(orders.offset, height, orders.pos.len())]
    .iter()
    .map(|po| {
        cols.iter()
            .map(|c| match po_cell(c.title, po, orders, now, wide) {
                m if c.title.is_empty() && !m.is_empty() => theme.sym("✓", "*").to_string(),
                cell => cell,
            })
            .collect()
    })
    .collect();
    // Fixed columns as wide as their widest visible cell; the rest is
    // shared by the supplier and the note.
    let mut widths: Vec<u16> = cols
        .iter()
        .enumerate()
        .map(|(k, c)| {
            visible
                .iter()
                .map(|cells| cells[k].chars().count())
                .max()
                .unwrap_or(0)
                .max(c.title.len()) as u16
        })
        .collect();
    let fixed: u16 = cols
        .iter()
        .zip(&widths)
        .filter(|(c, _)| c.fill.is_none())
        .map(|(_, w)| *w)
        .sum::<u16>()
        + cols.len() as u16
        - 1;
    let room = table_area.width.saturating_sub(fixed);
    let shares: u16 = cols.iter().filter_map(|c| c.fill).sum();
    let mut left = room;
    for (k, c) in cols.iter().enumerate() {
        if let Some(share) = c.fill {
            // The supplier needs no more than its longest name; the note
            // takes the rest.
            let w = if c.title == "Note" {
                left
            } else {
                (room * share / shares).min(widths[k])
            };
            widths[k] = w;
            left = left.saturating_sub(w);
        }
    }
    let header = table::header(
        cols.iter()
            .map(|c| table::cell(Line::from(c.title), c.right)),
    );
    let rows = visible.into_iter().enumerate().map(|(i, cells)| {
        let po = &orders.pos[orders.offset + i];
        let row =
            Row::new(cols.iter().zip(cells).zip(&widths).map(|((c, t), w)| {
                table::cell(Line::from(fit(&theme, &t, usize::from(*w))), c.right)
            }));
        if orders.offset + i == orders.selected {
            table::selected(row)
        } else if is_trouble(orders, po) {
            row.style(theme.danger())
        } else if matches!(po.status, PoStatus::Cancelled | PoStatus::Closed) {
            row.style(Style::new().add_modifier(Modifier::DIM))
        } else {
            row
        }
    });
    table::draw(frame, table_area, header, rows, widths.iter().copied());
    frame.render_widget(totals, totals_area);
    if let Some(about) = about {
        frame.render_widget(about, note_area);
    }
}

/// "5 open POs: 53,224.90 EUR + 21,274.39 USD; not counted: 1 cancelled":
/// the open POs' totals, per currency.
pub fn open_totals_text(pos: &[PurchaseOrder]) -> String {
    let open: Vec<&PurchaseOrder> = pos.iter().filter(|p| p.status.is_open()).collect();
    let totals = totals_by_currency(open.iter().map(|p| (p.currency.as_str(), p.total_cents)));
    let mut text = match open.len() {
        0 => "No open PO".to_string(),
        1 => format!("1 open PO: {}", fmt_totals(&totals)),
        n => format!("{n} open POs: {}", fmt_totals(&totals)),
    };
    // The others, by status: "not counted: 1 cancelled, 2 received".
    let mut done: BTreeMap<PoStatus, usize> = BTreeMap::new();
    for p in pos.iter().filter(|p| !p.status.is_open()) {
        *done.entry(p.status).or_default() += 1;
    }
    if !done.is_empty() {
        let each: Vec<String> = done.iter().map(|(s, n)| format!("{n} {s}")).collect();
        text += &format!("; not counted: {}", each.join(", "));
    }
    text
}

//! Drawing the purchase orders: the list of POs (rows built for the
//! visible slice only), one PO with its lines and send attempts, the
//! confirmation popup and the drafting result.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::keymap::Screen;
use super::orders::{needs_approval, ConfirmAction, OrdersState, PoDetail};
use super::state::App;
use super::theme::Theme;
use super::view::{draw_popup, Place};
use crate::orders::commands::age_text;
use crate::orders::{PoStatus, PurchaseOrder};
use crate::plan::numbers::{fmt_money, fmt_qty, fmt_qty_short};

/// The list of POs, or the open PO over it.
/// After a draft, what it did in a panel below the list.
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

/// The confirmation, over whatever is below.
pub fn draw_popups(frame: &mut Frame, app: &mut App, body: Rect) {
    if app.orders.confirm.is_some() {
        draw_confirm(frame, app, body);
    }
}

fn now_utc(app: &App) -> chrono::DateTime<chrono::Utc> {
    app.now.with_timezone(&chrono::Utc)
}

/// `text` in at most `width` characters, cut with an ellipsis.
fn fit(theme: &Theme, text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let more = theme.sym("…", "~");
    let keep = width.saturating_sub(1);
    text.chars().take(keep).collect::<String>() + more
}

/// A status in the list: `pending_approval` is long for 80 columns.
fn status_text(status: PoStatus, wide: bool) -> &'static str {
    match status {
        PoStatus::PendingApproval if !wide => "pending",
        PoStatus::Acknowledged if !wide => "acked",
        s => s.as_str(),
    }
}

fn is_trouble(orders: &OrdersState, po: &PurchaseOrder) -> bool {
    !orders.sending.contains_key(&po.po_number) && po.last_error.is_some()
}

struct PoColumn {
    title: &'static str,
    /// Shares what is left with the other filled columns.
    fill: Option<u16>,
    right: bool,
}

fn po_columns(wide: bool) -> Vec<PoColumn> {
    let c = |title, fill, right| PoColumn { title, fill, right };
    let mut cols = vec![
        c("PO", None, false),
        c("Status", None, false),
        c("Supplier", Some(1), false),
    ];
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

fn po_cell(
    title: &str,
    po: &PurchaseOrder,
    orders: &OrdersState,
    now: chrono::DateTime<chrono::Utc>,
    wide: bool,
) -> String {
    match title {
        "PO" => po.po_number.clone(),
        "Status" => status_text(po.status, wide).to_string(),
        "Supplier" => po.supplier_name.clone(),
        "Lines" => po.line_count.to_string(),
        "Total" => fmt_money(po.total()),
        "Cur" => po.currency.clone(),
        "Delivery" => po.expected_delivery.clone(),
        "Age" => age_text(&po.created_at, now),
        _ => orders.note(po),
    }
}

fn draw_po_list(frame: &mut Frame, app: &mut App, area: Rect) {
    let theme = app.theme;
    let orders = &app.orders;
    let title = if orders.loaded {
        format!(" Purchase orders: {}, newest first ", orders.pos.len())
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
            age_text(&po.created_at, now),
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
    let [table_area, note_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(about_height)]).areas(inner);
    let wide = area.width >= 120;
    let cols = po_columns(wide);
    let height = usize::from(table_area.height.saturating_sub(1));
    let orders = &mut app.orders;
    orders.page = height.max(1);
    if orders.selected < orders.offset {
        orders.offset = orders.selected;
    } else if orders.selected >= orders.offset + height {
        orders.offset = orders.selected + 1 - height;
    }
    let orders = &app.orders;
    let end = (orders.offset + height).min(orders.pos.len());
    let visible: Vec<Vec<String>> = orders.pos[orders.offset..end]
        .iter()
        .map(|po| {
            cols.iter()
                .map(|c| po_cell(c.title, po, orders, now, wide))
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
    let header = Row::new(cols.iter().map(|c| {
        let line = Line::from(c.title);
        Cell::from(if c.right { line.right_aligned() } else { line })
    }))
    .style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let rows = visible.into_iter().enumerate().map(|(i, cells)| {
        let po = &orders.pos[orders.offset + i];
        let row = Row::new(cols.iter().zip(cells).zip(&widths).map(|((c, t), w)| {
            let line = Line::from(fit(&theme, &t, usize::from(*w)));
            Cell::from(if c.right { line.right_aligned() } else { line })
        }));
        if orders.offset + i == orders.selected {
            row.style(Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD))
        } else if is_trouble(orders, po) {
            row.style(theme.danger())
        } else if matches!(po.status, PoStatus::Cancelled | PoStatus::Closed) {
            row.style(Style::new().add_modifier(Modifier::DIM))
        } else {
            row
        }
    });
    let constraints: Vec<Constraint> = widths.iter().map(|w| Constraint::Length(*w)).collect();
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .column_spacing(1),
        table_area,
    );
    if let Some(about) = about {
        frame.render_widget(about, note_area);
    }
}

/// `2026-11-21T09:58:00Z (2m ago)`.
fn at_text(at: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    format!("{at} ({} ago)", age_text(at, now))
}

fn draw_po(frame: &mut Frame, app: &mut App, area: Rect) {
    let theme = app.theme;
    let now = now_utc(app);
    let Some(detail) = app.orders.detail.as_ref() else {
        return;
    };
    let Some(po) = detail.po.as_ref() else {
        frame.render_widget(
            Paragraph::new(format!("{}: reading...", detail.number)),
            area,
        );
        return;
    };
    let title = format!(
        " {}  {}  {}{} ",
        po.po_number,
        po.status,
        po.supplier_name,
        po.supplier_id
            .as_deref()
            .map(|i| format!(" ({i})"))
            .unwrap_or_default()
    );
    let block = Block::new()
        .borders(Borders::TOP)
        .border_set(theme.border())
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = vec![Line::styled(
        format!(
            "Total {} {}, {} line{}, expected delivery {}",
            fmt_money(po.total()),
            po.currency,
            po.line_count,
            if po.line_count == 1 { "" } else { "s" },
            po.expected_delivery
        ),
        bold,
    )];
    lines.push(Line::from(format!(
        "Drafted by {} at {}",
        po.buyer,
        at_text(&po.created_at, now)
    )));
    if let Some(r) = &po.approval_reason {
        let pending = needs_approval(po);
        let keys = app.keymap.keys_phrase(Screen::Order, "approve", &theme);
        let text = if pending && !keys.is_empty() {
            format!("Needs approval: {r} ({keys} approves)")
        } else {
            format!("Needed approval: {r}")
        };
        lines.push(if pending {
            Line::styled(text, bold)
        } else {
            Line::from(text)
        });
    }
    if let (Some(by), Some(at)) = (&po.approved_by, &po.approved_at) {
        lines.push(Line::from(format!(
            "Approved by {by} at {}",
            at_text(at, now)
        )));
    }
    if let Some(at) = &po.sent_at {
        lines.push(Line::from(format!(
            "Sent at {}: {}",
            at_text(at, now),
            po.confirmation.as_deref().unwrap_or("")
        )));
    }
    if let Some(progress) = app.orders.sending.get(&po.po_number) {
        lines.push(Line::styled(format!("Now {progress}"), bold));
    } else if let Some(e) = &po.last_error {
        lines.push(Line::styled(
            format!("Last send failed: {e}"),
            theme.danger(),
        ));
    }
    if let Some(e) = &detail.error {
        lines.push(Line::styled(format!("Lines not read: {e}"), theme.danger()));
    }
    lines.push(Line::from(""));
    lines.extend(line_table(&theme, detail, po, usize::from(inner.width)));
    lines.push(Line::from(""));
    lines.extend(attempt_lines(detail));
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    // The last screenful stays reachable, no further.
    let total = u16::try_from(paragraph.line_count(inner.width)).unwrap_or(u16::MAX);
    let height = inner.height;
    app.orders.page = usize::from(height.max(1));
    let Some(detail) = app.orders.detail.as_mut() else {
        return;
    };
    detail.scroll = detail.scroll.min(total.saturating_sub(height));
    frame.render_widget(paragraph.scroll((detail.scroll, 0)), inner);
}

/// The lines of a PO as a table of text, columns as wide as their cells;
/// the name is dropped when the screen is too narrow for it.
fn line_table(
    theme: &Theme,
    detail: &PoDetail,
    po: &PurchaseOrder,
    width: usize,
) -> Vec<Line<'static>> {
    if po.lines.is_empty() {
        return vec![Line::from(if detail.loaded {
            "No lines."
        } else {
            "Reading the lines..."
        })];
    }
    const TITLES: [&str; 8] = [
        "#",
        "Product",
        "Name",
        "Qty",
        "Stock qty",
        "Price",
        "Amount",
        "Delivery",
    ];
    // Numbers are right-aligned.
    const RIGHT: [bool; 8] = [true, false, false, true, true, true, true, false];
    let rows: Vec<[String; 8]> = po
        .lines
        .iter()
        .map(|l| {
            [
                l.line_no.to_string(),
                l.product_id.clone(),
                l.product_name.clone().unwrap_or_default(),
                format!(
                    "{} {}",
                    fmt_qty_short(l.qty_purchase),
                    l.purchase_uom.as_deref().unwrap_or("")
                )
                .trim_end()
                .to_string(),
                format!(
                    "{}{}",
                    fmt_qty(l.qty_stock),
                    if l.overridden { "*" } else { "" }
                ),
                fmt_qty(l.unit_price),
                fmt_money(l.amount_cents as f64 / 100.0),
                l.expected_delivery.clone(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..8)
        .map(|k| {
            rows.iter()
                .map(|r| r[k].chars().count())
                .max()
                .unwrap_or(0)
                .max(TITLES[k].chars().count())
        })
        .collect();
    let others: usize = (widths.iter().enumerate())
        .filter(|(k, _)| *k != 2)
        .map(|(_, w)| w)
        .sum::<usize>()
        + 7;
    // Names that do not fit whole go on a line of their own, below.
    let name_column = others + widths[2] <= width;
    let shown: Vec<usize> = (0..8).filter(|&k| k != 2 || name_column).collect();
    let cells = |texts: &[String]| {
        shown
            .iter()
            .map(|&k| {
                let t = fit(theme, &texts[k], widths[k]);
                if RIGHT[k] {
                    format!("{t:>w$}", w = widths[k])
                } else {
                    format!("{t:<w$}", w = widths[k])
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end()
            .to_string()
    };
    let titles: Vec<String> = TITLES.iter().map(|t| t.to_string()).collect();
    let mut out = vec![Line::styled(
        cells(&titles),
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    )];
    for r in &rows {
        out.push(Line::from(cells(r)));
        if !name_column && !r[2].is_empty() {
            let indent = " ".repeat(widths[0] + 1);
            out.push(Line::styled(
                format!("{indent}{}", r[2]),
                Style::new().add_modifier(Modifier::DIM),
            ));
        }
    }
    if po.lines.iter().any(|l| l.overridden) {
        out.push(Line::from("* the buyer's quantity, not the suggestion"));
    }
    out
}

fn attempt_lines(detail: &PoDetail) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let Some(first) = detail.attempts.first() else {
        return vec![Line::styled(
            if detail.loaded {
                "Send attempts: none yet"
            } else {
                "Send attempts: reading..."
            },
            bold,
        )];
    };
    // One channel and one buyer (the usual case): said once, above.
    let same = detail
        .attempts
        .iter()
        .all(|a| a.channel == first.channel && a.user == first.user);
    let mut out = vec![Line::styled(
        if same {
            format!("Send attempts via {} by {}", first.channel, first.user)
        } else {
            "Send attempts".to_string()
        },
        bold,
    )];
    for a in &detail.attempts {
        let via = if same {
            String::new()
        } else {
            format!("{} by {}: ", a.channel, a.user)
        };
        out.push(Line::from(format!(
            "{}  #{}  {:<8} {via}{}",
            a.at,
            a.attempt,
            a.outcome,
            a.detail.as_deref().unwrap_or("")
        )));
    }
    out
}

fn draw_confirm(frame: &mut Frame, app: &App, body: Rect) {
    let Some(confirm) = &app.orders.confirm else {
        return;
    };
    let theme = &app.theme;
    let yes = app.keymap.keys_phrase(Screen::Confirm, "yes", theme);
    let no = app.keymap.keys_phrase(Screen::Confirm, "no", theme);
    let (title, does) = match &confirm.action {
        ConfirmAction::Approve(n) => (format!(" Approve {n} "), "approves"),
        ConfirmAction::Cancel(n) => (format!(" Cancel {n} "), "cancels it"),
        ConfirmAction::DraftAll(_) => (" Draft POs ".to_string(), "drafts them"),
        ConfirmAction::DraftStale { .. } => (
            " Draft POs from stale data ".to_string(),
            "drafts them from the last data",
        ),
    };
    let lines = vec![
        Line::styled(
            confirm.question.clone(),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Line::from(""),
        Line::from(format!("{yes} {does}; {no}: nothing changes")),
    ];
    let width = body.width.min(70);
    // Room for the question, wrapped.
    let question_lines = confirm
        .question
        .chars()
        .count()
        .div_ceil(usize::from(width.saturating_sub(2)).max(1)) as u16;
    // Below the middle: the highlighted row stays in sight.
    let place = Place {
        width,
        height: question_lines + 4,
        top: body.height / 2,
    };
    draw_popup(frame, body, place, theme, title, lines);
}

/// Lines of at most `width` characters, broken at spaces; the lines after
/// the first indented by `indent`.
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
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

fn drafted_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let theme = app.theme;
    let Some(panel) = app.orders.drafted.as_ref() else {
        return Vec::new();
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = Vec::new();
    if !panel.created.is_empty() {
        lines.push(Line::styled("Drafted:", bold));
        let supplier = (panel.created.iter())
            .map(|p| p.supplier_name.chars().count())
            .max()
            .unwrap_or(0);
        for po in &panel.created {
            let text = format!(
                "  {}  {:<supplier$}  {:>12} {}  {}",
                po.po_number,
                po.supplier_name,
                fmt_money(po.total()),
                po.currency,
                po.status
            );
            lines.push(Line::from(fit(&theme, &text, width)));
        }
    }
    lines.push(Line::styled("Left out:", bold));
    let id = (panel.skipped.iter())
        .map(|s| s.product_id.chars().count())
        .max()
        .unwrap_or(0);
    for s in &panel.skipped {
        let text = format!("  {:<id$}  {}", s.product_id, s.reason);
        for l in wrap(&text, width, id + 4) {
            lines.push(Line::from(l));
        }
    }
    lines
}

/// What drafting did, in a panel below the list of POs: the POs, then
/// each product left out with the reason; scrolls when long.
fn draw_drafted(frame: &mut Frame, app: &mut App, area: Rect, lines: Vec<Line<'static>>) {
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

//! Drawing the purchase orders: the list of POs (rows built for the
//! visible slice only), one PO with its lines and send attempts, the
//! confirmation popup and the drafting result.

use std::collections::BTreeMap;

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
use crate::orders::{
    document, fmt_totals, printable, totals_by_currency, Exact, PoLine, PoStatus, PurchaseOrder,
};
use crate::plan::numbers::fmt_money;

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

/// `text` in at most `width` characters, cut with an ellipsis after a
/// whole word, so that no figure shows in part ("total 21,274.…" would
/// read as another number); a single word too long is cut.
fn fit(theme: &Theme, text: &str, width: usize) -> String {
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
        "Supplier" => printable(&po.supplier_name).into_owned(),
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
        printable(&po.supplier_name),
        po.supplier_id
            .as_deref()
            .map(|i| format!(" ({})", printable(i)))
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
    lines.extend(line_table(detail, po, usize::from(inner.width)));
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

/// A PO line's cells on the screen.
struct LineCells {
    no: String,
    product: String,
    name: String,
    /// "20 boxes" (purchase units; `*` when the buyer's).
    quantity: String,
    /// Per purchase unit, every decimal.
    price: String,
    amount: String,
    /// "240 pieces x 1.25": the same quantity in stock units at the price
    /// per stock unit.
    stock: String,
    /// The stock unit is the purchase unit (a pack of 1).
    same_units: bool,
    delivery: String,
}

fn line_cells(l: &PoLine) -> LineCells {
    let t = document::line_text(l);
    let exact = |s: &str| Exact::parse(s).unwrap_or(Exact::ZERO);
    LineCells {
        no: l.line_no.to_string(),
        product: printable(&l.product_id).into_owned(),
        name: printable(l.product_name.as_deref().unwrap_or("")).into_owned(),
        quantity: format!(
            "{}{}",
            document::units_text(exact(&t.quantity), l.purchase_uom.as_deref()),
            if l.overridden { "*" } else { "" }
        ),
        price: exact(&t.unit_price).grouped(2),
        amount: fmt_money(l.amount_cents as f64 / 100.0),
        stock: format!(
            "{} x {}",
            document::units_text(exact(&t.stock_quantity), l.stock_uom.as_deref()),
            exact(&t.stock_unit_price).grouped(2)
        ),
        delivery: l.expected_delivery.clone(),
        same_units: l.pack == 1.0 && l.purchase_uom == l.stock_uom,
    }
}

/// The lines of a PO as a table of text: each row reads `quantity x unit
/// price = amount` in purchase units, as the supplier's documents do, then
/// the same in stock units. Columns are as wide as their widest cell and
/// never cut: the stock-unit figures, the name and the delivery date are
/// shown in that order of priority as long as they fit, and what does not
/// fit goes to a line of its own below the row.
fn line_table(detail: &PoDetail, po: &PurchaseOrder, width: usize) -> Vec<Line<'static>> {
    if po.lines.is_empty() {
        return vec![Line::from(if detail.loaded {
            "No lines."
        } else {
            "Reading the lines..."
        })];
    }
    let rows: Vec<LineCells> = po.lines.iter().map(line_cells).collect();
    let titles = LineCells {
        no: "#".into(),
        product: "Product".into(),
        name: "Name".into(),
        quantity: "Quantity".into(),
        price: "Unit price".into(),
        amount: "Amount".into(),
        stock: "In stock units".into(),
        delivery: "Delivery".into(),
        same_units: false,
    };
    let w = |f: fn(&LineCells) -> &String| {
        rows.iter()
            .chain([&titles])
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
    };
    let (no, product, name, quantity, price, amount, stock, delivery) = (
        w(|r| &r.no),
        w(|r| &r.product),
        w(|r| &r.name),
        w(|r| &r.quantity),
        w(|r| &r.price),
        w(|r| &r.amount),
        w(|r| &r.stock),
        w(|r| &r.delivery),
    );
    // "# Product Quantity x Unit price = Amount" always; the rest by room.
    let mut used = no + 1 + product + 1 + quantity + 3 + price + 3 + amount;
    let mut room_for = |w: usize| {
        let fits = used + w <= width;
        if fits {
            used += w;
        }
        fits
    };
    let show_stock = room_for(2 + stock);
    let show_name = room_for(1 + name);
    let show_delivery = room_for(2 + delivery);
    let row_text = |r: &LineCells, x: &str, eq: &str| {
        let mut t = format!("{:>no$} {:<product$} ", r.no, r.product);
        if show_name {
            t += &format!("{:<name$} ", r.name);
        }
        t += &format!(
            "{:>quantity$} {x} {:>price$} {eq} {:>amount$}",
            r.quantity, r.price, r.amount
        );
        if show_stock {
            t += &format!("  {:<stock$}", r.stock);
        }
        if show_delivery {
            t += &format!("  {}", r.delivery);
        }
        t.trim_end().to_string()
    };
    let mut out = vec![Line::styled(
        row_text(&titles, " ", " "),
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    )];
    for r in &rows {
        out.push(Line::from(row_text(r, "x", "=")));
        let mut below = Vec::new();
        if !show_name && !r.name.is_empty() {
            below.push(r.name.clone());
        }
        // (not when it says the row again: a pack of 1 in the same unit)
        if !show_stock && !r.same_units {
            below.push(format!("in stock units {}", r.stock));
        }
        // (said in the header when it is the PO's)
        if !show_delivery && r.delivery != po.expected_delivery {
            below.push(format!("delivery {}", r.delivery));
        }
        if !below.is_empty() {
            out.push(Line::styled(
                format!("{}{}", " ".repeat(no + 1), below.join("; ")),
                Style::new().add_modifier(Modifier::DIM),
            ));
        }
    }
    let sum: i64 = po.lines.iter().map(|l| l.amount_cents).sum();
    let currency = printable(&po.currency);
    out.push(Line::from(if sum == po.total_cents {
        format!(
            "Unit prices are per purchase unit; the lines add up to the total, {} {currency}",
            fmt_money(sum as f64 / 100.0)
        )
    } else {
        format!(
            "Unit prices are per purchase unit; the lines add up to {} {currency}, NOT the total",
            fmt_money(sum as f64 / 100.0)
        )
    }));
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
        ConfirmAction::CancelUnconfirmed(n) => (
            format!(" Cancel {n}: the supplier may have it "),
            "cancels it here only",
        ),
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
    // Room for the question, wrapped as the popup wraps it.
    let question_lines = u16::try_from(
        Paragraph::new(confirm.question.as_str())
            .wrap(Wrap { trim: false })
            .line_count(width.saturating_sub(2)),
    )
    .unwrap_or(u16::MAX);
    let height = question_lines.saturating_add(4);
    // Below the middle (the highlighted row stays in sight), unless the
    // question needs the room.
    let place = Place {
        width,
        height,
        top: (body.height / 2).min(body.height.saturating_sub(height)),
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

//! One purchase order: its header, its lines (each one multiplied out) and
//! its send attempts.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::orders::{document, printable, PoLine, PurchaseOrder, SendAttempt};
use crate::plan::numbers::fmt_money;
use crate::tui::keymap::Screen;
use crate::tui::screens::orders::*;
use crate::tui::state::*;

/// The open PO.
#[derive(Debug, Clone, PartialEq)]
pub struct PoDetail {
    pub number: String,
    /// The request its lines and attempts answer.
    pub request: u64,
    /// The list's row until the store answers (then with its lines).
    pub po: Option<PurchaseOrder>,
    pub attempts: Vec<SendAttempt>,
    /// Its lines and attempts have arrived.
    pub loaded: bool,
    pub error: Option<String>,
    /// First line shown (the view stops it at the last screenful).
    pub scroll: u16,
    /// The line `]`/`[` select, which `e`, `D` and `L` act on (index).
    pub selected_line: usize,
}

/// `2026-11-21T09:58:00Z (2m ago)`.
pub(in crate::tui) fn at_text(at: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    format!("{at} ({} ago)", crate::text::age_since(at, now))
}

pub(in crate::tui) fn draw_po(frame: &mut Frame, app: &mut App, area: Rect) {
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
    if let Some(note) = &po.note {
        lines.push(Line::from(format!("Note: {}", printable(note))));
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
pub(in crate::tui) struct LineCells {
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

pub(in crate::tui) fn line_cells(l: &PoLine) -> LineCells {
    let words = document::line_words(l);
    LineCells {
        no: l.line_no.to_string(),
        product: printable(&l.product_id).into_owned(),
        name: printable(l.product_name.as_deref().unwrap_or("")).into_owned(),
        quantity: format!("{}{}", words.quantity, if l.overridden { "*" } else { "" }),
        price: words.unit_price,
        amount: words.amount,
        stock: format!("{} x {}", words.stock_quantity, words.stock_unit_price),
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
pub(in crate::tui) fn line_table(
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
    // Received so far, once the supplier has the PO.
    let receipts = matches!(
        po.status,
        crate::orders::PoStatus::Sent
            | crate::orders::PoStatus::Acknowledged
            | crate::orders::PoStatus::Received
            | crate::orders::PoStatus::Closed
    );
    for (i, (r, l)) in rows.iter().zip(&po.lines).enumerate() {
        let text = row_text(r, "x", "=");
        // The line `e`, `D` and `L` act on: reverse video and bold.
        out.push(if detail.loaded && i == detail.selected_line {
            Line::styled(
                text,
                Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            )
        } else {
            Line::from(text)
        });
        let mut below = Vec::new();
        if receipts {
            below.push(format!(
                "received {} of {}",
                crate::plan::numbers::fmt_qty(l.qty_received),
                crate::plan::numbers::fmt_units(l.qty_purchase, l.purchase_uom.as_deref())
            ));
        }
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

pub(in crate::tui) fn attempt_lines(detail: &PoDetail) -> Vec<Line<'static>> {
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

//! Drawing: the header and the source chips, the detail pane with the
//! rationale as numbered steps, the popups (help, sources, override) and
//! the footer. The product list is `list_view`.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use chrono::{DateTime, Local};

use super::keymap::Screen;
use super::state::{App, FormField, OverrideForm, QuickFilter};
use super::theme::Theme;
use crate::config::SourceKind;
use crate::live::{LinkState, SourceStatus};
use crate::plan::numbers::{fmt_money, fmt_units};
use crate::plan::{ExceptionCode, StepKind};
use crate::sources::Backend;
use crate::store::overrides::{OverrideUnit, ReasonCode};
use crate::text::masked;

/// Below this the screen says so instead of drawing a broken layout.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Short badge of an exception for the list.
pub fn badge(code: ExceptionCode) -> &'static str {
    match code {
        ExceptionCode::Stockout => "OUT",
        ExceptionCode::BelowSafety => "SAFETY",
        ExceptionCode::OrderLate => "LATE",
        ExceptionCode::NoSupplier => "NOSUP",
        ExceptionCode::SupplierInactive => "INACTIVE",
        ExceptionCode::UomMissing => "UOM?",
        ExceptionCode::UomInvalid => "UOM!",
        ExceptionCode::BadData => "BAD",
        ExceptionCode::NoDemand => "NODEMAND",
        ExceptionCode::Overshoot => "OVER",
        ExceptionCode::OpenPo => "PO",
        ExceptionCode::Overridden => "OVR",
        ExceptionCode::SourceStale => "STALE",
        ExceptionCode::RuleError => "RULE",
        ExceptionCode::OnPo => "DRAFT",
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "The terminal is {}x{}; buyerdesk needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, chips, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, app, header);
    draw_chips(frame, app, chips);
    if app.editor.is_some() {
        draw_editor(frame, app, body);
    } else if app.orders.open {
        super::orders_view::draw_orders(frame, app, body);
    } else if !app.loaded {
        draw_waiting(frame, app, body);
    } else if app.detail_open {
        draw_detail(frame, app, body);
    } else {
        super::list_view::draw_list(frame, app, body);
    }
    draw_footer(frame, app, footer);
    if let Some(form) = &app.form {
        draw_override(frame, app, form, body);
    }
    super::orders_view::draw_popups(frame, app, body);
    if app.sources_open {
        draw_sources(frame, app, body);
    }
    if app.help_open {
        draw_help(frame, app, body);
    }
}

/// The rule editor: the text with line numbers and, left of them, a mark
/// on each line with a problem; the problems listed below; a status line.
fn draw_editor(frame: &mut Frame, app: &mut App, body: Rect) {
    let theme = app.theme;
    let Some(editor) = app.editor.as_mut() else {
        return;
    };
    let problems: Vec<&crate::rules::Diagnostic> = editor.diagnostics.iter().collect();
    let dry_lines = dry_run_lines(editor.dry_run.as_ref(), usize::from(body.width));
    let listed = if dry_lines.is_empty() {
        problems.len().clamp(1, 6) as u16
    } else {
        (dry_lines.len() as u16).min(body.height / 2)
    };
    let [text_area, panel] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(listed + 2)]).areas(body);
    let title = format!(
        " Rules: {}{} ",
        editor.origin,
        if editor.is_edited() { " (edited)" } else { "" }
    );
    let block = Block::bordered().border_set(theme.border()).title(title);
    let inner = block.inner(text_area);
    frame.render_widget(block, text_area);
    let [gutter, text] =
        Layout::horizontal([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    // The widget scrolls just enough to keep the cursor in view; the marks
    // follow the same rule.
    let height = usize::from(text.height.max(1));
    let (row, _) = editor.textarea.cursor();
    if row < editor.top {
        editor.top = row;
    } else if row >= editor.top + height {
        editor.top = row + 1 - height;
    }
    let marks: Vec<Line> = (editor.top..editor.top + height)
        .map(|line| {
            let worst = problems
                .iter()
                .filter(|d| d.line == line + 1)
                .map(|d| d.is_error())
                .max();
            match worst {
                Some(true) => Line::styled(
                    theme.sym("●", "E"),
                    theme.danger().add_modifier(Modifier::BOLD),
                ),
                Some(false) => Line::from(theme.sym("○", "W")),
                None => Line::from(""),
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(marks), gutter);
    frame.render_widget(&editor.textarea, text);

    let mut lines: Vec<Line> = problems
        .iter()
        .filter(|_| dry_lines.is_empty())
        .take(usize::from(listed))
        .map(|d| {
            let text = format!(
                "{}:{}: {}: {}{}",
                d.line,
                d.col,
                if d.is_error() { "error" } else { "warning" },
                d.message,
                d.hint
                    .as_deref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            );
            if d.is_error() {
                Line::styled(text, theme.danger())
            } else {
                Line::from(text)
            }
        })
        .collect();
    let showing_dry_run = !dry_lines.is_empty();
    lines.extend(dry_lines);
    if problems.is_empty() && !showing_dry_run {
        lines.push(Line::from(if editor.edited.is_some() {
            "Checking..."
        } else {
            "No errors or warnings: Ctrl-S applies."
        }));
    }
    let errors = editor.errors();
    let summary = match &editor.status {
        Some(s) => s.clone(),
        None => format!("{errors} error(s), {} warning(s)", problems.len() - errors),
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_set(theme.border())
        .title(format!(" {summary} "));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        panel,
    );
}

/// A dry run in the editor: the summary, the totals per currency, the
/// failures per rule, then one entry per changed product (old -> new, the
/// currency beside each amount when they mix), each broken into lines of
/// the panel's width between figures, never inside one.
fn dry_run_lines(state: Option<&super::editor::DryRunState>, width: usize) -> Vec<Line<'static>> {
    use super::editor::DryRunState;
    use crate::text::{pack, printable};
    let d = match state {
        None => return Vec::new(),
        Some(DryRunState::Running(_)) => {
            return vec![Line::from("Trying the rules on every product...")];
        }
        Some(DryRunState::Failed(e)) => {
            return vec![Line::from(format!(
                "Not tried: {}",
                printable(e.lines().next().unwrap_or(""))
            ))];
        }
        Some(DryRunState::Done(d)) => &d.0,
    };
    let width = width.max(20);
    let s = &d.summary;
    let words = |text: &str| -> Vec<String> { text.split(' ').map(str::to_string).collect() };
    let mut lines: Vec<Line<'static>> = pack(
        &words(&format!(
            "Dry run: {} of {} products change (quantity {}, approval {}, exceptions {})",
            s.changed, s.products, s.quantity_changed, s.approval_changed, s.exceptions_changed
        )),
        " ",
        width,
        "",
        "  ",
    )
    .into_iter()
    .map(|l| Line::styled(l, Style::new().add_modifier(Modifier::BOLD)))
    .collect();
    // Never one total over currencies: a total per currency, named unless
    // the only one is unnamed.
    let mut totals = vec![
        format!("Orders {} -> {}", s.orders_before, s.orders_after),
        format!("approvals {} -> {}", s.approvals_before, s.approvals_after),
    ];
    for t in &s.totals {
        let label = if s.totals.len() == 1 && t.currency.is_none() {
            String::new()
        } else {
            format!("{} ", printable(t.label()))
        };
        totals.push(format!(
            "total {label}{} -> {}",
            fmt_money(t.amount_before),
            fmt_money(t.amount_after)
        ));
    }
    lines.extend(
        pack(&totals, ", ", width, "", "  ")
            .into_iter()
            .map(Line::from),
    );
    for f in &d.failures {
        let text = format!(
            "{} failed on {} product(s), first {}: {}",
            f.rule.as_deref().map_or("A rule".to_string(), |r| format!(
                "Rule \"{}\"",
                printable(r)
            )),
            f.count,
            printable(f.products.first().map(String::as_str).unwrap_or("?")),
            printable(&f.message)
        );
        lines.extend(
            pack(&words(&text), " ", width, "", "  ")
                .into_iter()
                .map(Line::from),
        );
    }
    let mixed = d.mixes_currencies();
    for c in &d.changes {
        let id = format!("{:<12} ", printable(&c.product_id));
        let parts: Vec<String> = (c.change_parts(mixed).iter())
            .map(|p| printable(p).into_owned())
            .collect();
        let rest = " ".repeat(crate::text::width_of(&id));
        lines.extend(
            pack(&parts, ", ", width, &id, &rest)
                .into_iter()
                .map(Line::from),
        );
    }
    lines
}

/// An age in a few characters: 4s, 12m, 3h, 2d.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

fn rtt_text(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0 => "<1ms".to_string(),
        1..=9999 => format!("{ms}ms"),
        _ => format!("{}s", ms / 1000),
    }
}

fn short_backend(b: Option<Backend>) -> &'static str {
    match b {
        Some(Backend::Postgres) => "pg",
        Some(Backend::MySql) => "mysql",
        Some(Backend::Sqlite) => "sqlite",
        None => "?",
    }
}

fn short_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Oms => "oms",
        SourceKind::Inventory => "inv",
        SourceKind::Supplier => "sup",
        SourceKind::Uom => "uom",
        SourceKind::Purchasing => "pur",
    }
}

/// The state of a source in a word (the chip's colour only repeats it).
fn state_word(s: &SourceStatus) -> &'static str {
    match s.state {
        LinkState::Connecting => "connecting",
        LinkState::Up => "up",
        LinkState::Down if s.last_ok.is_some() => "STALE",
        LinkState::Down => "DOWN",
    }
}

/// The ages the header shows; the screen is redrawn when they change.
pub fn clock_text(app: &App) -> String {
    app.sources
        .iter()
        .map(|s| {
            let read = s
                .last_ok
                .map(|t| age((app.now - t).num_seconds()))
                .unwrap_or_default();
            match retry_text(s, app.now) {
                Some(retry) => format!("{read} {retry}"),
                None => read,
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How much a chip says: the widest form that fits the line is used.
#[derive(Clone, Copy)]
struct ChipForm {
    long_name: bool,
    backend: bool,
    rtt: bool,
    /// Say "up" (narrow screens leave it out: only trouble is spelled).
    up: bool,
}

fn chip_text(s: &SourceStatus, now: DateTime<Local>, form: ChipForm) -> String {
    let mut parts = vec![if form.long_name {
        s.kind.name().to_string()
    } else {
        short_name(s.kind).to_string()
    }];
    if form.backend {
        parts.push(short_backend(s.backend).to_string());
    }
    if form.up || s.state != LinkState::Up {
        parts.push(state_word(s).to_string());
    }
    if let Some(t) = s.last_ok {
        parts.push(age((now - t).num_seconds()));
    }
    if form.rtt {
        if let Some(retry) = retry_text(s, now) {
            parts.push(retry);
        }
    }
    if form.rtt && s.state == LinkState::Up {
        if let Some(r) = s.rtt {
            parts.push(rtt_text(r));
        }
    }
    parts.join(" ")
}

fn chip_style(theme: &Theme, s: &SourceStatus) -> Style {
    match s.state {
        LinkState::Up => Style::new(),
        LinkState::Connecting => Style::new().add_modifier(Modifier::DIM),
        LinkState::Down => theme.danger().add_modifier(Modifier::BOLD),
    }
}

/// "retry in 8s" while a source that is down waits for its next try.
fn retry_text(s: &SourceStatus, now: DateTime<Local>) -> Option<String> {
    if s.state != LinkState::Down {
        return None;
    }
    let at = s.retry_at?;
    let ms = (at - now).num_milliseconds().max(0);
    Some(format!("retry in {}", age((ms + 999) / 1000)))
}

/// One chip per source: name, backend, state, age of the last good read,
/// round trip. `i` shows the details and the errors.
fn draw_chips(frame: &mut Frame, app: &App, area: Rect) {
    if app.sources.is_empty() {
        return;
    }
    let sep = app.theme.sym(" │ ", " | ");
    let form = |long_name, backend, rtt, up| ChipForm {
        long_name,
        backend,
        rtt,
        up,
    };
    let forms = [
        form(true, true, true, true),
        form(false, true, true, true),
        form(false, true, false, true),
        form(false, true, false, false),
        form(false, false, false, false),
    ];
    let width = usize::from(area.width);
    let mut texts = Vec::new();
    for form in forms {
        texts = app
            .sources
            .iter()
            .map(|s| chip_text(s, app.now, form))
            .collect();
        let total: usize = texts.iter().map(|t| t.chars().count()).sum::<usize>()
            + sep.chars().count() * (texts.len() - 1);
        if total <= width {
            break;
        }
    }
    let mut spans = Vec::new();
    for (k, (s, text)) in app.sources.iter().zip(texts).enumerate() {
        if k > 0 {
            spans.push(Span::styled(sep, Style::new().add_modifier(Modifier::DIM)));
        }
        spans.push(Span::styled(text, chip_style(&app.theme, s)));
    }
    frame.render_widget(Line::from(spans), area);
}

/// Before the first plans: what each source is doing.
fn draw_waiting(frame: &mut Frame, app: &App, area: Rect) {
    let mut lines = vec![
        Line::styled(
            "Loading products: waiting for every source to answer once.",
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Line::from(""),
    ];
    // The purchasing database is listed when it holds the plans up (its
    // overrides are read before any plan is shown).
    for s in app
        .sources
        .iter()
        .filter(|s| s.kind != SourceKind::Purchasing || s.state != LinkState::Up)
    {
        let what = match (&s.state, &s.error, s.rows) {
            (LinkState::Up, _, Some(n)) => format!("read, {n} rows"),
            (LinkState::Down, Some(e), _) => match retry_text(s, app.now) {
                Some(retry) => format!("DOWN: {e} ({retry}; r now)"),
                None => format!("DOWN: {e} (tried again every refresh; r now)"),
            },
            _ => "connecting...".to_string(),
        };
        lines.push(Line::from(format!("{:<10} {what}", s.kind.name())));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// Each source in full: backend, URL (redacted), state, last good read,
/// round trip, rows, and the error of the last attempt.
fn draw_sources(frame: &mut Frame, app: &App, body: Rect) {
    let mut lines = Vec::new();
    for s in &app.sources {
        let when = match s.last_ok {
            Some(t) => format!(
                "read at {} ({} ago)",
                t.format("%H:%M:%S"),
                age((app.now - t).num_seconds())
            ),
            None => "never read".to_string(),
        };
        let rtt = s.rtt.map(|r| format!(", round trip {}", rtt_text(r)));
        let rows = s.rows.map(|n| match s.kind {
            SourceKind::Purchasing => format!(", {n} overrides"),
            // Its fingerprint was as before: nothing read or planned.
            _ if s.unchanged => format!(", {n} rows, unchanged"),
            _ => format!(", {n} rows"),
        });
        let retry = retry_text(s, app.now).map(|r| format!(", {r}"));
        lines.push(Line::styled(
            format!(
                "{} ({}): {}, {when}{}{}{}",
                s.kind.name(),
                s.backend.map(Backend::name).unwrap_or("?"),
                state_word(s),
                rtt.unwrap_or_default(),
                rows.unwrap_or_default(),
                retry.unwrap_or_default()
            ),
            chip_style(&app.theme, s).add_modifier(Modifier::BOLD),
        ));
        lines.push(Line::from(format!("  {}", s.url)));
        if let Some(e) = &s.error {
            lines.push(Line::styled(format!("  error: {e}"), app.theme.danger()));
        }
    }
    if let Some(r) = &app.last_refresh {
        lines.push(Line::from(format!(
            "Last refresh {}: {} product(s) changed{}",
            r.at.format("%H:%M:%S"),
            r.changed,
            if r.full { " (all re-planned)" } else { "" }
        )));
    }
    let place = Place {
        width: 110,
        height: body.height,
        top: 0,
    };
    draw_popup(
        frame,
        body,
        place,
        &app.theme,
        " Sources (i or Esc closes, r refreshes) ".to_string(),
        lines,
    );
}

/// The help of the screen it was opened from, built from the App's keymap
/// (so it shows the keys really bound); on the list, the legend of every
/// column and flag follows. It scrolls when it does not fit (80x24).
fn draw_help(frame: &mut Frame, app: &mut App, body: Rect) {
    let t = app.theme;
    let subject = super::keys::screen_below_help(app);
    let width = body.width.min(78);
    let inner_width = usize::from(width.saturating_sub(2));
    let room = body.height.saturating_sub(2);
    let mut texts = app
        .keymap
        .help_lines(subject, &t, inner_width, usize::from(room));
    if subject == Screen::List {
        texts.extend(super::list_view::legend_lines(app, inner_width));
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

fn draw_override(frame: &mut Frame, app: &App, form: &OverrideForm, body: Rect) {
    let Some(p) = app.plan_by_id(&form.product_id) else {
        return;
    };
    let stock = masked(p.stock_uom.as_deref().unwrap_or("units"));
    let purchase = masked(p.purchase_uom.as_deref().unwrap_or(&stock)).into_owned();
    let mark = |f: FormField| if form.field == f { "> " } else { "  " };
    let unit = match form.unit {
        OverrideUnit::Stock => format!("[{stock}]  {purchase} "),
        OverrideUnit::Purchase => format!(" {stock}  [{purchase}]"),
    };
    let reasons: Vec<String> = ReasonCode::ALL
        .iter()
        .filter(|r| **r == form.reason)
        .map(|r| format!("< {} >", r.as_str()))
        .collect();
    let mut lines = vec![
        Line::from(format!(
            "Suggested: {} = {}",
            masked(&fmt_units(p.order_qty, p.stock_uom.as_deref())),
            masked(&fmt_units(p.purchase_qty, Some(&purchase)))
        )),
        Line::from(format!(
            "{}Quantity: {}_",
            mark(FormField::Quantity),
            form.quantity
        )),
        Line::from(format!("{}Unit:     {unit}", mark(FormField::Unit))),
        Line::from(format!(
            "{}Reason:   {}",
            mark(FormField::Reason),
            reasons.join("")
        )),
        Line::from(format!("{}Note:     {}_", mark(FormField::Note), form.note)),
        Line::from(""),
    ];
    match (&form.error, form.saving) {
        (Some(e), _) => lines.push(Line::styled(
            e.clone(),
            app.theme.danger().add_modifier(Modifier::BOLD),
        )),
        (None, true) => lines.push(Line::from("Saving...")),
        (None, false) => lines.push(Line::from("")),
    }
    // Its keys are in the footer, built from the keymap.
    let place = Place {
        width: 72,
        height: 10,
        top: 1,
    };
    draw_popup(
        frame,
        body,
        place,
        &app.theme,
        format!(" Override {} ", masked(&p.product_id)),
        lines,
    );
}

/// A bordered box over whatever is below it.
/// Where a popup goes: at most this wide and high, centred, `top` lines
/// below the top of the body.
pub(super) struct Place {
    pub width: u16,
    pub height: u16,
    pub top: u16,
}

pub(super) fn draw_popup(
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

/// The counts, the selection and the filters; on a narrow screen the name
/// goes first, then the filters' description is shortened: a count is
/// never cut.
fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let (needs, flagged) = app.counts;
    let mut counts = if app.loaded {
        format!(
            "{} products, {needs} to order, {flagged} flagged",
            app.plans.len()
        )
    } else {
        "loading...".to_string()
    };
    if !app.for_order.is_empty() {
        counts.push_str(&format!(", {} selected", app.for_order.len()));
    }
    let mut shown = Vec::new();
    match &app.quick {
        QuickFilter::All => {}
        QuickFilter::NeedsOrder => shown.push("needs an order".to_string()),
        QuickFilter::HasExceptions => shown.push("has exceptions".to_string()),
        QuickFilter::Supplier(s) => shown.push(format!("supplier {}", masked(s))),
    }
    if !app.filter.is_empty() {
        shown.push(format!("\"{}\"", masked(&app.filter)));
    }
    let filtered = (!shown.is_empty()).then(|| format!("  | {} shown", app.view.len()));
    let what = shown.join(", ");
    let width = usize::from(area.width);
    let len = |s: &str| Span::raw(s).width();
    let brand = "buyerdesk  ";
    let used = len(&counts) + filtered.as_deref().map_or(0, len);
    let mut spans = Vec::new();
    let described = if what.is_empty() { 0 } else { 2 + len(&what) };
    if used + len(brand) + described <= width {
        spans.push(Span::styled(
            "buyerdesk",
            Style::new().add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::raw("  "));
    }
    spans.push(Span::raw(counts));
    if let Some(filtered) = filtered {
        let room = width.saturating_sub(spans.iter().map(Span::width).sum::<usize>());
        let room = room.saturating_sub(len(&filtered) + 2);
        let what = if len(&what) <= room {
            what
        } else {
            let keep: String = what.chars().take(room.saturating_sub(1)).collect();
            format!("{keep}{}", app.theme.sym("…", "~"))
        };
        spans.push(Span::raw(format!("{filtered}: {what}")));
    }
    frame.render_widget(Line::from(spans), area);
}

/// The detail: the rationale's steps and the charts, side by side on a
/// wide screen; on a narrow one `v` switches between them.
fn draw_detail(frame: &mut Frame, app: &mut App, area: Rect) {
    let Some(p) = app.selected_plan() else {
        return;
    };
    let title = format!(
        " {} {} - {} ",
        masked(&p.product_id),
        masked(p.product_name.as_deref().unwrap_or("")),
        masked(p.supplier_name.as_deref().unwrap_or("no supplier"))
    );
    let block = Block::new()
        .borders(Borders::TOP)
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
        let lines = super::charts::chart_lines(app, p, inside.width, inside.height);
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
        let lines = super::charts::demand_panel(app, p, demand.width);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), demand);
        let lines = super::charts::projection_panel(app, p, projection.width, projection.height);
        frame.render_widget(Paragraph::new(lines), projection);
        draw_steps(frame, app, steps);
    } else if app.charts_open {
        let lines = super::charts::chart_lines(app, p, inner.width, inner.height);
        frame.render_widget(Paragraph::new(lines), inner);
    } else {
        draw_steps(frame, app, inner);
    }
}

/// Where an input came from and how old it is: "[oms.oms_history, 4s ago]".
fn source_tag(app: &App, source: &str) -> String {
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
fn draw_steps(frame: &mut Frame, app: &mut App, area: Rect) {
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

fn draw_footer(frame: &mut Frame, app: &App, area: Rect) {
    if let Some(message) = &app.message {
        frame.render_widget(
            Line::styled(message.clone(), Style::new().add_modifier(Modifier::BOLD)),
            area,
        );
        return;
    }
    let screen = super::keys::screen(app);
    let prompt = if screen == Screen::Filter {
        format!("/{}_   ", app.filter)
    } else {
        String::new()
    };
    let room = usize::from(area.width).saturating_sub(prompt.chars().count());
    let text = prompt + &app.keymap.footer(screen, &app.theme, room);
    frame.render_widget(
        Line::styled(text, Style::new().add_modifier(Modifier::DIM)),
        area,
    );
}

//! The frame: the header and the source chips, the body (the screen in
//! front, drawn by `screens/`), the popups on top (`popups/`) and the
//! footer; "terminal too small" below 80x24.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use chrono::{DateTime, Local};

use super::keymap::Screen;
use super::theme::Theme;
use crate::config::SourceKind;
use crate::live::{LinkState, SourceStatus};
use crate::plan::ExceptionCode;
use crate::sources::Backend;
use crate::text::masked;
use crate::tui::action::QuickFilter;
use crate::tui::popups::help::draw_help;
use crate::tui::popups::override_form::draw_override;
use crate::tui::popups::sources::draw_sources;
use crate::tui::screens::detail::draw_detail;
use crate::tui::screens::editor::draw_editor;
use crate::tui::state::App;

/// From this width on the list and the detail show side by side.
pub const SIDE_BY_SIDE: u16 = 120;

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
    app.too_small = area.width < MIN_WIDTH || area.height < MIN_HEIGHT;
    if app.too_small {
        let text = format!(
            "The terminal is {}x{}; buyerdesk needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    // A message gets its own line above the keys, which stay.
    let footer_height = if app.footer_message().is_some() { 2 } else { 1 };
    let [header, chips, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(footer_height),
    ])
    .areas(area);
    draw_header(frame, app, header);
    draw_chips(frame, app, chips);
    if app.editor.is_some() {
        draw_editor(frame, app, body);
    } else if app.orders.open {
        crate::tui::screens::orders::draw_orders(frame, app, body);
    } else if !app.loaded {
        draw_waiting(frame, app, body);
    } else if app.detail_open && body.width >= SIDE_BY_SIDE {
        // Wide: the list on the left, the selected product's detail on
        // the right, following the selection.
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(body);
        crate::tui::screens::list::draw_list(frame, app, list);
        draw_detail(frame, app, detail, true);
    } else if app.detail_open {
        draw_detail(frame, app, body, false);
    } else {
        crate::tui::screens::list::draw_list(frame, app, body);
    }
    draw_footer(frame, app, footer);
    if let Some(form) = &app.form {
        draw_override(frame, app, form, body);
    }
    crate::tui::popups::draw_popups(frame, app, body);
    if app.sources_open {
        draw_sources(frame, app, body);
    }
    if app.help_open {
        draw_help(frame, app, body);
    }
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

pub(in crate::tui) fn rtt_text(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0 => "<1ms".to_string(),
        1..=9999 => format!("{ms}ms"),
        _ => format!("{}s", ms / 1000),
    }
}

pub(in crate::tui) fn short_backend(b: Option<Backend>) -> &'static str {
    match b {
        Some(Backend::Postgres) => "pg",
        Some(Backend::MySql) => "mysql",
        Some(Backend::Sqlite) => "sqlite",
        None => "?",
    }
}

pub(in crate::tui) fn short_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Oms => "oms",
        SourceKind::Inventory => "inv",
        SourceKind::Supplier => "sup",
        SourceKind::Uom => "uom",
        SourceKind::Purchasing => "pur",
    }
}

/// The state of a source in a word (the chip's colour only repeats it).
pub(in crate::tui) fn state_word(s: &SourceStatus) -> &'static str {
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
pub(in crate::tui) struct ChipForm {
    long_name: bool,
    backend: bool,
    rtt: bool,
    /// Say "up" (narrow screens leave it out: only trouble is spelled).
    up: bool,
}

pub(in crate::tui) fn chip_text(s: &SourceStatus, now: DateTime<Local>, form: ChipForm) -> String {
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

pub(in crate::tui) fn chip_style(theme: &Theme, s: &SourceStatus) -> Style {
    match s.state {
        LinkState::Up => Style::new(),
        LinkState::Connecting => Style::new().add_modifier(Modifier::DIM),
        LinkState::Down => theme.danger().add_modifier(Modifier::BOLD),
    }
}

/// "retry in 8s" while a source that is down waits for its next try.
pub(in crate::tui) fn retry_text(s: &SourceStatus, now: DateTime<Local>) -> Option<String> {
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

/// A bordered box over whatever is below it.
/// Where a popup goes: at most this wide and high, centred, `top` lines
/// below the top of the body.
pub(super) struct Place {
    pub width: u16,
    pub height: u16,
    pub top: u16,
}

/// The counts, the selection and the filters; on a narrow screen the name
/// goes first, then the filters' description is shortened: a count is
/// never cut.
fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let (needs, flagged) = app.counts;
    let mut counts = if app.loaded {
        let on_po = match (app.on_po, app.show_on_po) {
            (0, _) => String::new(),
            (n, false) => format!(", {n} on POs"),
            (n, true) => format!(", {n} on POs (listed)"),
        };
        format!(
            "{} products, {needs} to order{on_po}, {flagged} flagged",
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
    if let Some(note) = &app.filter_note {
        shown.push(note.clone());
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

fn draw_footer(frame: &mut Frame, app: &App, area: Rect) {
    let area = match app.footer_message() {
        Some(message) if area.height > 1 => {
            let [line, keys] =
                Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
            frame.render_widget(
                Line::styled(message, Style::new().add_modifier(Modifier::BOLD)),
                line,
            );
            keys
        }
        _ => area,
    };
    let screen = super::keys::screen(app);
    let prompt = if screen == Screen::Filter {
        crate::tui::popups::filter::prompt(app)
    } else {
        String::new()
    };
    let room = usize::from(area.width).saturating_sub(prompt.chars().count());
    // The versions panel (F9) takes its own keys, not the editor's.
    let text = if screen == Screen::Editor && app.rules_versions.open {
        "Up/Down choose  Enter load  Esc close".to_string()
    } else {
        prompt + &app.keymap.footer(screen, &app.theme, room)
    };
    frame.render_widget(
        Line::styled(text, Style::new().add_modifier(Modifier::DIM)),
        area,
    );
}

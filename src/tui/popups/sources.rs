//! The sources popup: each source's link, rows, timing and last error.

use crate::config::SourceKind;
use crate::sources::Backend;
use crate::tui::popups::draw_popup;
use crate::tui::state::App;
use crate::tui::view::*;
use crate::tui::view::{chip_style, retry_text, rtt_text, state_word};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::Frame;

/// Each source in full: backend, URL (redacted), state, last good read,
/// round trip, rows, and the error of the last attempt.
pub(in crate::tui) fn draw_sources(frame: &mut Frame, app: &App, body: Rect) {
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

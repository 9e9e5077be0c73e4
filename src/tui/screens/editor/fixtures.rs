//! The rule fixtures in the editor (F7): the request's state and the
//! panel's lines, failed cases first with what differs, then the passed
//! ones.

use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use crate::live::fixtures::FixturesOutcome;
use crate::text::{pack, printable};

/// The fixtures asked for in the editor.
#[derive(Debug, Clone, PartialEq)]
pub enum FixturesState {
    /// Sent with this request id; waiting.
    Running(u64),
    Done(FixturesOutcome),
    Failed(String),
}

pub(in crate::tui) fn fixture_lines(state: &FixturesState, width: usize) -> Vec<Line<'static>> {
    let width = width.max(20);
    let words = |text: &str| -> Vec<String> { text.split(' ').map(str::to_string).collect() };
    let o = match state {
        FixturesState::Running(_) => return vec![Line::from("Running the fixtures...")],
        FixturesState::Failed(e) => {
            return pack(
                &words(&printable(&format!("Fixtures not run: {e}"))),
                " ",
                width,
                "",
                "  ",
            )
            .into_iter()
            .map(Line::from)
            .collect()
        }
        FixturesState::Done(o) => o,
    };
    let failed = o.failed();
    let mut head = format!(
        "Fixtures: {} passed, {failed} failed",
        o.cases.len() - failed
    );
    if !o.errors.is_empty() {
        head.push_str(&format!(", {} file(s) unreadable", o.errors.len()));
    }
    head.push_str(&format!(" ({})", o.files.join(", ")));
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line<'static>> = pack(&words(&printable(&head)), " ", width, "", "  ")
        .into_iter()
        .map(|l| Line::styled(l, bold))
        .collect();
    let short = |file: &str| -> String {
        let file = file.strip_suffix(" (shipped)").unwrap_or(file);
        file.rsplit(['/', '\\']).next().unwrap_or(file).to_string()
    };
    for e in &o.errors {
        lines.extend(
            pack(&words(&printable(e)), " ", width, "", "  ")
                .into_iter()
                .map(|l| Line::styled(l, bold)),
        );
    }
    let (fails, passes): (Vec<_>, Vec<_>) = o.cases.iter().partition(|c| !c.passed());
    for c in fails.iter().chain(&passes) {
        let mark = if c.passed() { "PASS " } else { "FAIL " };
        let text = printable(&format!("{}:{} {}", short(&c.file), c.line, c.name)).into_owned();
        let style = if c.passed() { Style::new() } else { bold };
        lines.extend(
            pack(&words(&text), " ", width, mark, "     ")
                .into_iter()
                .map(|l| Line::styled(l, style)),
        );
        for m in &c.mismatches {
            lines.extend(
                pack(
                    &words(&printable(&m.to_string())),
                    " ",
                    width,
                    "     ",
                    "       ",
                )
                .into_iter()
                .map(Line::from),
            );
        }
    }
    lines
}

//! The coverage part of the editor's dry-run panel: the flagged rules
//! first (never fire, change nothing), then every rule's products
//! fired/changed, compactly, with the count in force where it differs.

use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use crate::rules::coverage::{CoverageDiff, Flag};
use crate::text::{pack, printable};

/// The flagged rules, a line per flag (before the changed products).
pub(in crate::tui) fn flagged_lines(c: &CoverageDiff, width: usize) -> Vec<Line<'static>> {
    let lines = c.lines();
    let mut out = Vec::new();
    for (flag, label) in [
        (Flag::NeverFired, "Never fire"),
        (Flag::NeverChanged, "Change nothing"),
    ] {
        let names: Vec<String> = (lines.iter())
            .filter(|l| l.flag == Some(flag))
            .map(|l| printable(&l.rule).into_owned())
            .collect();
        if names.is_empty() {
            continue;
        }
        // The label rides on the first name: `pack` keeps the width of its
        // first-line prefix on every line.
        let mut names = names;
        names[0] = format!("{label} ({}): {}", names.len(), names[0]);
        out.extend(
            pack(&names, ", ", width, "", "  ")
                .into_iter()
                .map(|l| Line::styled(l, Style::new().add_modifier(Modifier::BOLD))),
        );
    }
    out
}

/// Every rule's products fired/changed, packed (after the changed
/// products: the list a rule author reads last).
pub(in crate::tui) fn coverage_lines(c: &CoverageDiff, width: usize) -> Vec<Line<'static>> {
    let lines = c.lines();
    let mut out = Vec::new();
    let pair = |(fired, changed): (usize, usize)| format!("{fired}/{changed}");
    let mut parts: Vec<String> = (lines.iter())
        .map(|l| {
            let name = printable(&l.rule).into_owned();
            match (l.in_force, l.candidate) {
                (Some(a), Some(b)) if a == b => format!("{name} {}", pair(b)),
                (Some(a), Some(b)) => format!("{name} {} (was {})", pair(b), pair(a)),
                (None, Some(b)) => format!("{name} {} (new)", pair(b)),
                (Some(a), None) => format!("{name} removed (was {})", pair(a)),
                (None, None) => name,
            }
        })
        .collect();
    if let Some(first) = parts.first_mut() {
        *first = format!(
            "Rules, products fired/changed of {}: {first}",
            c.candidate.products
        );
    }
    out.extend(
        pack(&parts, ", ", width, "", "  ")
            .into_iter()
            .map(Line::from),
    );
    out
}

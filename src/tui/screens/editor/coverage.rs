//! The coverage part of the editor's dry-run panel: the flagged rules
//! first (never fire, change nothing), then every rule's products
//! fired/changed, compactly, with the count in force where it differs.

use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use crate::rules::coverage::{CoverageDiff, Flag};
use crate::text::{pack, printable};

pub(in crate::tui) fn coverage_lines(c: &CoverageDiff, width: usize) -> Vec<Line<'static>> {
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
        let first = format!("{label} ({}): ", names.len());
        let rest = " ".repeat(2);
        out.extend(
            pack(&names, ", ", width, &first, &rest)
                .into_iter()
                .map(|l| Line::styled(l, Style::new().add_modifier(Modifier::BOLD))),
        );
    }
    let pair = |(fired, changed): (usize, usize)| format!("{fired}/{changed}");
    let parts: Vec<String> = (lines.iter())
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
    let first = format!(
        "Rules, products fired/changed of {}: ",
        c.candidate.products
    );
    out.extend(
        pack(&parts, ", ", width, &first, "  ")
            .into_iter()
            .map(Line::from),
    );
    out
}

//! The editor's rules versions panel (F9): the versions kept in the
//! purchasing store (number, time, user, how, rules, dry-run summary),
//! asked of the live task (`LiveCommand::RulesVersions`, the screen runs no
//! SQL); Enter loads one's text into the editor, to try with F5 and apply
//! with Ctrl-S (recorded as "restored from N"). Also the question asked
//! when the rules in force changed since the editor began.

use ratatui::crossterm::event::KeyCode;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::store::rules_versions::RulesVersion;
use crate::text::printable;
use crate::tui::action::Action;
use crate::tui::state::App;

/// The panel's state.
#[derive(Debug, Clone, Default)]
pub struct VersionsState {
    /// The panel is shown.
    pub open: bool,
    /// The last request id; an answer to an older one is dropped.
    pub request: u64,
    /// A request for the loop to send.
    pub wanted: Option<u64>,
    /// The versions, newest first (`None`: asked, no answer yet), or why
    /// they could not be read.
    pub list: Option<Result<Vec<RulesVersion>, String>>,
    /// The highlighted row.
    pub selected: usize,
}

impl super::RuleEditor {
    /// The version this text restores: the one loaded from the panel, when
    /// the text is still its text.
    pub fn restored_from(&self, text: &str) -> Option<i64> {
        self.loaded_version
            .as_ref()
            .filter(|(_, t)| t.trim_end() == text.trim_end())
            .map(|(n, _)| *n)
    }
}

impl App {
    /// F9: shows the panel and asks for the versions.
    pub(in crate::tui) fn open_versions(&mut self) {
        let v = &mut self.rules_versions;
        v.request += 1;
        v.wanted = Some(v.request);
        v.open = true;
        v.list = None;
        v.selected = 0;
    }

    /// The live task's answer; newest first.
    pub fn versions_loaded(&mut self, request: u64, result: Result<Vec<RulesVersion>, String>) {
        let v = &mut self.rules_versions;
        if request != v.request {
            return;
        }
        v.list = Some(result.map(|mut all| {
            all.reverse();
            all
        }));
        v.selected = 0;
    }

    /// Keys while the panel is open: up/down move, Enter loads, Esc (or
    /// F9) closes; every other key does nothing. True when the key was the
    /// panel's.
    pub(in crate::tui) fn versions_action(&mut self, action: &Action) -> bool {
        if !self.rules_versions.open {
            return false;
        }
        let v = &mut self.rules_versions;
        let count = match &v.list {
            Some(Ok(list)) => list.len(),
            _ => 0,
        };
        match action {
            Action::CloseEditor | Action::RulesVersions => v.open = false,
            Action::Quit => return false,
            Action::EditorKey(key) => match key.code {
                KeyCode::Esc => v.open = false,
                KeyCode::Up | KeyCode::Char('k') => v.selected = v.selected.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => {
                    v.selected = (v.selected + 1).min(count.saturating_sub(1))
                }
                KeyCode::Enter => self.load_version(),
                _ => {}
            },
            _ => {}
        }
        true
    }

    /// Enter: the highlighted version's text in the editor (an edit of
    /// the rules in force, as typed text is).
    fn load_version(&mut self) {
        let v = &mut self.rules_versions;
        let Some(Ok(list)) = &v.list else {
            return;
        };
        let Some(version) = list.get(v.selected).cloned() else {
            return;
        };
        v.open = false;
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        // A fresh editor on the version's text, the base kept: an apply
        // still compares with the rules the author started from.
        *editor = super::RuleEditor::open(&version.text, &editor.origin, &editor.in_force);
        editor.loaded_version = Some((version.info.number, version.text.clone()));
        editor.status = Some(format!(
            "Version {} loaded: F5 tries it, Ctrl-S restores it",
            version.info.number
        ));
    }

    /// The rules in force changed since the editor began: nothing applied;
    /// the author is asked, with the difference in front of them.
    pub fn rules_apply_over_newer(&mut self, text: String, diff: String, in_force: String) {
        let Some(editor) = self.editor.as_mut() else {
            self.message =
                Some("Rules not applied: the rules in force changed meanwhile".to_string());
            return;
        };
        editor.applying = false;
        editor.status = Some("Not applied yet: the rules in force changed".to_string());
        self.orders.confirm = Some(crate::tui::popups::confirm::Confirm {
            action: crate::tui::popups::confirm::ConfirmAction::ApplyOverNewer(text, in_force),
            question: format!(
                "The rules in force changed since you began (another workstation or the file \
                 on disk):\n{diff}\nApply yours over them?"
            ),
        });
    }
}

/// The panel, over the editor's text: one row per version, the
/// highlighted one reversed and bold.
pub(in crate::tui) fn draw_versions(frame: &mut Frame, app: &App, body: Rect) {
    let v = &app.rules_versions;
    if !v.open || app.editor.is_none() {
        return;
    }
    let theme = &app.theme;
    let width = body.width.saturating_sub(4).max(20);
    let height = body.height.saturating_sub(4).max(5);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(body);
    let [_, area, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(width),
        Constraint::Fill(1),
    ])
    .areas(middle);
    let block = Block::bordered()
        .border_set(theme.border())
        .title(" Rules versions (Enter loads, Esc closes) ");
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let rows = usize::from(inner.height);
    let lines: Vec<Line> = match &v.list {
        None => vec![Line::from("Reading the versions...")],
        Some(Err(e)) => vec![Line::from(format!(
            "The versions cannot be read: {}",
            printable(e.lines().next().unwrap_or(""))
        ))],
        Some(Ok(list)) if list.is_empty() => vec![Line::from(
            "No version kept yet: one is kept at every apply and restore.",
        )],
        Some(Ok(list)) => {
            let in_force = crate::store::rules_versions::sha256_hex(&app.rules_text);
            let current = list
                .iter()
                .find(|r| r.info.sha256 == in_force)
                .map(|r| r.info.number);
            // Two lines a version (the row, the dry-run summary under
            // it); the highlighted one stays in sight.
            let shown = (rows.saturating_sub(1) / 2).max(1);
            let first = v.selected.saturating_sub(shown - 1);
            let mut lines = vec![Line::styled(
                format!(
                    "{:<2}{:>4}  {:<20} {:<10} {:<20} {:>5}",
                    "", "no.", "time", "user", "how", "rules"
                ),
                Style::new().add_modifier(Modifier::DIM),
            )];
            for (i, r) in list.iter().enumerate().skip(first).take(shown) {
                let info = &r.info;
                let row = format!(
                    "{:<2}{:>4}  {:<20} {:<10} {:<20} {:>5}",
                    if Some(info.number) == current {
                        "*"
                    } else {
                        ""
                    },
                    info.number,
                    printable(&info.at),
                    cut(&printable(&info.user), 10),
                    cut(&printable(&info.how), 20),
                    info.rules,
                );
                let summary = format!(
                    "{:8}{}",
                    "",
                    printable(info.summary.as_deref().unwrap_or("(no dry run)"))
                );
                let style = if i == v.selected {
                    Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
                } else {
                    Style::new()
                };
                lines.push(Line::styled(row, style));
                lines.push(Line::styled(summary, style));
            }
            lines
        }
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `text` in at most `n` columns, "~" marking a cut.
fn cut(text: &str, n: usize) -> String {
    if crate::text::width_of(text) <= n {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        if crate::text::width_of(&out) + crate::text::char_width(c) + 1 > n {
            break;
        }
        out.push(c);
    }
    out.push('~');
    out
}

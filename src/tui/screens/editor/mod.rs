//! The rule editor's state: the GRL text in a tui-textarea, the validator's
//! diagnostics for it (made as the author types, after a pause), and what
//! the editor asked for (apply), its keys and its drawing (the text, the
//! diagnostics, the dry run). No I/O: the terminal loop sends requests.

use chrono::{DateTime, Local};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use tui_textarea::{CursorMove, TextArea};

use crate::plan::numbers::fmt_money;
use crate::rules::{self, Diagnostic, Severity};
use crate::tui::action::*;
use crate::tui::state::first_line;
use crate::tui::state::*;

pub mod history;
// The editor's basics: undo/redo, search, go-to-line, paging, completion,
// and the text drawn with a gutter of its own.
mod basics;
pub mod completion;
pub mod search;
pub mod view;
pub use basics::{changed_lines, EditorCommand};
mod backtest;
mod coverage;
mod fixtures;

pub(in crate::tui) use backtest::{backtest_lines, BacktestState};
pub(in crate::tui) use coverage::{coverage_lines, flagged_lines};
pub(in crate::tui) use fixtures::{fixture_lines, FixturesState};

/// How long typing must pause before the text is validated again.
pub const VALIDATE_AFTER_MS: i64 = 300;

/// The rule editor.
pub struct RuleEditor {
    pub textarea: TextArea<'static>,
    /// The file the text is for (as diagnostics name it).
    pub origin: String,
    /// The rules in force when the editor was opened (to tell an edit).
    pub in_force: String,
    /// The validator's findings on the text as it was at `validated`.
    pub diagnostics: Vec<Diagnostic>,
    /// When the text last changed, while it waits to be validated.
    pub edited: Option<DateTime<Local>>,
    /// What the editor says at the bottom (applied, refused, ...).
    pub status: Option<String>,
    /// Sent for applying; waiting for the answer.
    pub applying: bool,
    /// The part of the text on screen (kept by the editor: `view.rs`).
    pub view: view::Viewport,
    /// The search or go-to-line prompt, when open.
    pub prompt: Option<search::Prompt>,
    /// The last text searched for (F3 repeats it).
    pub last_search: Option<String>,
    /// The list of field names after `Product.`, when open.
    pub completion: Option<completion::Completion>,
    /// The last dry run of this text (dropped when the text changes).
    pub dry_run: Option<DryRunState>,
    /// The rules version loaded from the history panel (F9): its number
    /// and text (an apply of that text is a restore).
    pub loaded_version: Option<(i64, String)>,
    /// The last run of the fixtures on this text (F7; dropped when the
    /// text changes).
    pub fixtures: Option<FixturesState>,
    /// The last backtest of this text against the rules in force (F6;
    /// dropped when the text changes, closed by Esc).
    pub backtest: Option<BacktestState>,
}

/// A dry run asked for in the editor.
#[derive(Debug, Clone, PartialEq)]
pub enum DryRunState {
    /// Sent with this request id; waiting.
    Running(u64),
    Done(crate::live::SharedDryRun),
    Failed(String),
}

impl std::fmt::Debug for RuleEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEditor")
            .field("origin", &self.origin)
            .field("lines", &self.textarea.lines().len())
            .field("diagnostics", &self.diagnostics.len())
            .finish()
    }
}

impl RuleEditor {
    /// An editor on `text` (a draft, or the rules in force), validated.
    pub fn open(text: &str, origin: &str, in_force: &str) -> RuleEditor {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut textarea = TextArea::new(if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        });
        // Drawn by `view.rs` (gutter, keywords, matches), not by the widget.
        textarea.set_cursor_line_style(Style::new());
        let mut editor = RuleEditor {
            textarea,
            origin: origin.to_string(),
            in_force: in_force.to_string(),
            diagnostics: Vec::new(),
            edited: None,
            status: None,
            applying: false,
            view: view::Viewport::default(),
            prompt: None,
            last_search: None,
            completion: None,
            dry_run: None,
            loaded_version: None,
            fixtures: None,
            backtest: None,
        };
        editor.validate();
        editor
    }

    /// The text as a file holds it.
    pub fn text(&self) -> String {
        let mut text = self.textarea.lines().join("\n");
        text.push('\n');
        text
    }

    /// The text differs from the rules in force.
    pub fn is_edited(&self) -> bool {
        self.text().trim_end() != self.in_force.trim_end()
    }

    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Validates the text now.
    pub fn validate(&mut self) {
        self.diagnostics = rules::validate(&self.text(), &self.origin);
        self.edited = None;
    }

    /// The text changed at `now`: validation waits for a pause.
    pub fn changed(&mut self, now: DateTime<Local>) {
        self.edited = Some(now);
        self.status = None;
        self.dry_run = None;
        self.fixtures = None;
        self.backtest = None;
    }

    /// Validation is due (typing paused long enough).
    pub fn validation_due(&self, now: DateTime<Local>) -> bool {
        self.edited
            .is_some_and(|at| (now - at).num_milliseconds() >= VALIDATE_AFTER_MS)
    }

    /// Moves the cursor to the first diagnostic after it (wrapping round),
    /// errors before warnings.
    pub fn next_problem(&mut self) -> Option<&Diagnostic> {
        let (row, col) = self.textarea.cursor();
        let here = (row + 1, col + 1);
        let pick = |errors_only: bool| {
            let mut all: Vec<&Diagnostic> = self
                .diagnostics
                .iter()
                .filter(|d| !errors_only || d.severity == Severity::Error)
                .collect();
            all.sort_by_key(|d| (d.line, d.col));
            all.iter()
                .find(|d| (d.line, d.col) > here)
                .or(all.first())
                .map(|d| (d.line, d.col))
        };
        let (line, col) = pick(true).or_else(|| pick(false))?;
        self.textarea.move_cursor(CursorMove::Jump(
            u16::try_from(line.saturating_sub(1)).unwrap_or(u16::MAX),
            u16::try_from(col.saturating_sub(1)).unwrap_or(u16::MAX),
        ));
        self.diagnostics
            .iter()
            .find(|d| d.line == line && d.col == col)
    }
}

impl App {
    pub(in crate::tui) fn update_editor(&mut self, action: Action) {
        let now = self.now;
        if self.versions_action(&action) {
            return;
        }
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        // Undo, search, go-to-line, paging, completion (`basics.rs`).
        if editor.basics(&action, now) {
            return;
        }
        match action {
            Action::RulesVersions => self.open_versions(),
            // Esc closes the backtest panel first.
            Action::CloseEditor if editor.backtest.is_some() => {
                editor.backtest = None;
                editor.status = None;
            }
            Action::RunBacktest => {
                editor.validate();
                let errors = editor.errors();
                if errors > 0 {
                    editor.status = Some(format!(
                        "Backtest not run: {errors} error(s); F2 goes to the next one"
                    ));
                } else {
                    editor.dry_run = None;
                    editor.fixtures = None;
                    self.dry_run_request += 1;
                    editor.backtest = Some(BacktestState::Running(self.dry_run_request));
                    editor.status = Some("Replaying the history...".to_string());
                    self.backtest_wanted = Some((self.dry_run_request, editor.text()));
                }
            }
            // An answer to an older request (the text changed since) is dropped.
            Action::BacktestDone { request, result }
                if editor
                    .backtest
                    .as_ref()
                    .is_some_and(|b| b.is_running(request)) =>
            {
                editor.status = None;
                editor.backtest = Some(match result {
                    Ok(c) => BacktestState::Done(c),
                    Err(e) => BacktestState::Failed(e),
                });
            }
            Action::CloseEditor | Action::Quit => {
                // Edits are kept, never lost by leaving.
                self.rules_draft = editor.is_edited().then(|| editor.text());
                self.editor = None;
                if self.rules_draft.is_some() {
                    self.message = Some("Rule edits kept as a draft (R reopens them)".to_string());
                }
                if action == Action::Quit {
                    self.should_quit = true;
                }
            }
            Action::EditorKey(key) if editor.textarea.input(key) => editor.changed(now),
            Action::NextProblem => {
                if editor.edited.is_some() {
                    editor.validate();
                }
                editor.status = match editor.next_problem() {
                    Some(d) => Some(format!("{}:{}: {}", d.line, d.col, d.message)),
                    None => Some("No errors or warnings".to_string()),
                };
            }
            // Asks first (`basics.rs`).
            Action::DiscardEdits => self.ask_discard_rule_edits(),
            Action::DryRun => {
                editor.validate();
                let errors = editor.errors();
                if errors > 0 {
                    editor.status = Some(format!(
                        "Not tried: {errors} error(s); F2 goes to the next one"
                    ));
                } else {
                    editor.fixtures = None;
                    editor.backtest = None;
                    self.dry_run_request += 1;
                    editor.dry_run = Some(crate::tui::screens::editor::DryRunState::Running(
                        self.dry_run_request,
                    ));
                    editor.status = Some("Trying the rules on every product...".to_string());
                    self.dry_run_wanted = Some((self.dry_run_request, editor.text()));
                }
            }
            Action::RunFixtures => {
                editor.validate();
                let errors = editor.errors();
                if errors > 0 {
                    editor.status = Some(format!(
                        "Fixtures not run: {errors} error(s); F2 goes to the next one"
                    ));
                } else {
                    editor.dry_run = None;
                    editor.backtest = None;
                    self.dry_run_request += 1;
                    editor.fixtures = Some(FixturesState::Running(self.dry_run_request));
                    editor.status = Some("Running the fixtures...".to_string());
                    self.fixtures_wanted = Some((self.dry_run_request, editor.text()));
                }
            }
            // An answer to an older request (the text changed since) is dropped.
            Action::FixturesDone { request, result }
                if editor.fixtures == Some(FixturesState::Running(request)) =>
            {
                editor.status = None;
                editor.fixtures = Some(match result {
                    Ok(outcome) => FixturesState::Done(outcome),
                    Err(e) => FixturesState::Failed(e),
                });
            }
            Action::ApplyRules => {
                editor.validate();
                let errors = editor.errors();
                if errors > 0 {
                    editor.status = Some(format!(
                        "Not applied: {errors} error(s); F2 goes to the next one"
                    ));
                } else if !editor.is_edited() && self.rules_broken.is_none() {
                    // (A broken file on disk is written even with the text
                    // in force: that fixes it.)
                    editor.status =
                        Some("Nothing to apply: these are the rules in force".to_string());
                } else {
                    editor.applying = true;
                    editor.status = Some("Applying...".to_string());
                    self.rules_apply_wanted = Some((editor.text(), false));
                }
            }
            _ => {}
        }
    }

    /// The answer to applying the editor's rules: in force (the plan is
    /// re-made with them; the draft goes), or why not (the editor stays
    /// open with the text).
    pub fn rules_applied(&mut self, result: Result<String, String>) {
        let Some(editor) = self.editor.as_mut() else {
            // Left meanwhile: say it on the list.
            self.message = Some(match result {
                Ok(summary) => format!("Rules applied: {summary}"),
                Err(e) => format!("Rules not applied: {}", first_line(&e)),
            });
            return;
        };
        editor.applying = false;
        match result {
            Ok(summary) => {
                self.rules_text = editor.text();
                self.rules_broken = None;
                editor.in_force = self.rules_text.clone();
                // The title and the diagnostics name the file now in force.
                editor.origin = self.rules_origin.clone();
                self.rules_draft = None;
                editor.status = Some(format!(
                    "Applied: {summary}; the plan is being re-made with them"
                ));
            }
            Err(e) => {
                editor.status = Some(format!("Not applied: {}", first_line(&e)));
            }
        }
    }

    /// The guard refused the editor's rules (`text`): nothing applied yet;
    /// the author is asked, with what they would break in front of them.
    pub fn rules_apply_refused(&mut self, text: String, summary: String) {
        let Some(editor) = self.editor.as_mut() else {
            self.message = Some(format!("Rules not applied: {}", first_line(&summary)));
            return;
        };
        editor.applying = false;
        editor.status = Some("Not applied yet: these rules would hurt the plan".to_string());
        self.orders.confirm = Some(crate::tui::popups::confirm::Confirm {
            action: crate::tui::popups::confirm::ConfirmAction::ApplyRules(text),
            question: format!("These rules would hurt the plan:\n{summary}\nApply them anyway?"),
        });
    }

    /// A dry run answered; an answer to an older request (the text changed
    /// since) is dropped.
    pub fn dry_run_done(
        &mut self,
        request: u64,
        result: Result<crate::live::SharedDryRun, String>,
    ) {
        use crate::tui::screens::editor::DryRunState;
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        if editor.dry_run != Some(DryRunState::Running(request)) {
            return;
        }
        editor.status = None;
        // Rules that never fire or never change anything: warnings at
        // their lines, beside the validator's (F2 reaches them).
        if let Ok(d) = &result {
            if let Some(c) = &d.0.coverage {
                let text = editor.text();
                editor
                    .diagnostics
                    .extend(c.candidate.warnings(&text, &editor.origin));
                editor.diagnostics.sort_by_key(|d| (d.line, d.col));
            }
        }
        editor.dry_run = Some(match result {
            Ok(d) => DryRunState::Done(d),
            Err(e) => DryRunState::Failed(e),
        });
    }

    /// The rules file changed on disk: now in force (`text` read from it),
    /// or refused (the rules in force stay).
    pub fn rules_reloaded(&mut self, result: Result<(String, String), String>) {
        self.message = Some(match result {
            Ok((path, text)) => {
                self.rules_text = text;
                self.rules_broken = None;
                self.rules_origin = path.clone();
                format!("Rules reloaded from {path}; the plan is being re-made")
            }
            Err(e) => format!("Rules on disk not used: {}", first_line(&e)),
        });
    }

    /// What the draft file should hold now: the open editor's edits, else
    /// the edits left when it was closed.
    pub fn draft_text(&self) -> Option<String> {
        match &self.editor {
            Some(e) => e.is_edited().then(|| e.text()),
            None => self.rules_draft.clone(),
        }
    }

    /// Validates the editor's text if typing paused long enough; true when
    /// it did (the screen changes).
    pub fn validate_editor_if_due(&mut self, now: DateTime<Local>) -> bool {
        match self.editor.as_mut() {
            Some(editor) if editor.validation_due(now) => {
                editor.validate();
                true
            }
            _ => false,
        }
    }
}

/// The rule editor: the text with line numbers and, left of them, a mark
/// on each line with a problem; the problems listed below; a status line.
pub(in crate::tui) fn draw_editor(frame: &mut Frame, app: &mut App, body: Rect) {
    let theme = app.theme;
    let Some(editor) = app.editor.as_mut() else {
        return;
    };
    let problems: Vec<crate::rules::Diagnostic> = editor.diagnostics.clone();
    let dry_lines = match (&editor.fixtures, &editor.backtest) {
        (Some(f), _) => fixture_lines(f, usize::from(body.width)),
        (None, Some(b)) => backtest_lines(b, usize::from(body.width)),
        (None, None) => dry_run_lines(editor.dry_run.as_ref(), usize::from(body.width)),
    };
    let listed = if dry_lines.is_empty() {
        problems.len().clamp(1, 6) as u16
    } else {
        (dry_lines.len() as u16).min(body.height / 2)
    };
    let [text_area, panel] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(listed + 2)]).areas(body);
    // The rules in force (the file an apply wrote) and whether the text
    // differs from them; the cursor's line and column on the right.
    let edited = editor.is_edited();
    let title = format!(
        " Rules: {} ({}) ",
        crate::text::printable(
            if editor.origin == app.rules_origin || app.rules_origin.is_empty() {
                &editor.origin
            } else {
                &app.rules_origin
            }
        ),
        if edited { "edited" } else { "in force" }
    );
    let (row, col) = editor.textarea.cursor();
    let position = format!(
        " {}:{} of {} ",
        row + 1,
        col + 1,
        editor.textarea.lines().len()
    );
    let block = Block::bordered()
        .border_set(theme.border())
        .title(title)
        .title(Line::from(position).right_aligned());
    let inner = block.inner(text_area);
    frame.render_widget(block, text_area);
    // The prompt (search, go-to-line) takes the text's last row.
    let [text, prompt_row] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(u16::from(editor.prompt.is_some())),
    ])
    .areas(inner);
    let matches = editor.search_matches();
    view::draw_text(frame, editor, text, &theme, matches.as_deref());
    search::draw_prompt(frame, editor, prompt_row, &theme, matches.as_deref());
    completion::draw_completion(frame, editor, text, &theme);

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
    history::draw_versions(frame, app, body);
}

/// A dry run in the editor: the summary, the totals per currency, the
/// failures per rule, then one entry per changed product (old -> new, the
/// currency beside each amount when they mix), each broken into lines of
/// the panel's width between figures, never inside one.
pub(in crate::tui) fn dry_run_lines(
    state: Option<&crate::tui::screens::editor::DryRunState>,
    width: usize,
) -> Vec<Line<'static>> {
    use crate::text::{pack, printable};
    use crate::tui::screens::editor::DryRunState;
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
    if let Some(p) = &s.po_approvals {
        totals.push(format!(
            "POs needing approval {} -> {} of {} ({} above [orders] approval_threshold)",
            p.before.pending, p.after.pending, p.after.pos, p.after.above_threshold
        ));
    }
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
    if let Some(c) = &d.coverage {
        lines.extend(flagged_lines(c, width));
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
    if let Some(c) = &d.coverage {
        lines.extend(coverage_lines(c, width));
    }
    lines
}

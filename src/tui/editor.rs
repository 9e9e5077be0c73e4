//! The rule editor's state: the GRL text in a tui-textarea, the validator's
//! diagnostics for it (made as the author types, after a pause), and what
//! the editor asked for (apply). No I/O: the terminal loop sends requests.

use chrono::{DateTime, Local};
use ratatui::style::{Modifier, Style};
use tui_textarea::{CursorMove, TextArea};

use crate::rules::{self, Diagnostic, Severity};

/// How long typing must pause before the text is validated again.
pub const VALIDATE_AFTER_MS: i64 = 300;

/// GRL's keywords, highlighted in the text.
const KEYWORDS: &str = r"\b(rule|salience|no-loop|when|then)\b";

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
    /// The first line on screen (kept by the view as the widget scrolls).
    pub top: usize,
    /// The last dry run of this text (dropped when the text changes).
    pub dry_run: Option<DryRunState>,
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
        textarea.set_line_number_style(Style::new().add_modifier(Modifier::DIM));
        textarea.set_cursor_line_style(Style::new());
        textarea.set_search_style(Style::new().add_modifier(Modifier::BOLD));
        // The pattern is a constant; it compiles.
        let _ = textarea.set_search_pattern(KEYWORDS);
        let mut editor = RuleEditor {
            textarea,
            origin: origin.to_string(),
            in_force: in_force.to_string(),
            diagnostics: Vec::new(),
            edited: None,
            status: None,
            applying: false,
            top: 0,
            dry_run: None,
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

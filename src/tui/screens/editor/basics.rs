//! The editor's commands besides typing: undo and redo (the textarea's own
//! history), the search and go-to-line prompts, the first and last line,
//! paging (the view kept by the editor, `view.rs`), completion, and F8's
//! question before the edits are thrown away.

use chrono::{DateTime, Local};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::CursorMove;

use super::search::PromptKind;
use super::RuleEditor;
use crate::tui::action::Action;
use crate::tui::popups::confirm::{Confirm, ConfirmAction};
use crate::tui::state::App;

/// What the editor's keys ask for besides typing (bound in
/// `keymap/built_in.rs`, so help and `[keys.editor]` know them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorCommand {
    Undo,
    Redo,
    /// Open the search prompt.
    Find,
    FindNext,
    FindPrevious,
    /// Open the go-to-line prompt.
    GoToLine,
    FirstLine,
    LastLine,
    /// Tab: complete after `Product.`, else indent.
    Complete,
    /// Ctrl-Space: complete after `Product.`, else say where it works.
    CompleteList,
}

/// Lines added and removed from `before` to `after` (a line changed counts
/// once each way): the common start and end set aside, the rest compared
/// line by line (longest common subsequence), or, for a very large
/// middle, counted whole.
pub fn changed_lines(before: &str, after: &str) -> (usize, usize) {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = (a[head..].iter().rev())
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        return (b.len(), a.len());
    }
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    let common = row[b.len()];
    (b.len() - common, a.len() - common)
}

fn lines(n: usize) -> String {
    format!("{n} line{}", if n == 1 { "" } else { "s" })
}

impl RuleEditor {
    /// An editor command or a key that the prompt, the completion list or
    /// paging takes; false when the action is not for them (the editor's
    /// update goes on with it).
    pub fn basics(&mut self, action: &Action, now: DateTime<Local>) -> bool {
        let changed = match action {
            Action::Editor(command) => self.command(*command),
            Action::CloseEditor if self.prompt.is_some() => {
                self.close_prompt();
                false
            }
            Action::CloseEditor if self.completion.is_some() => {
                self.completion = None;
                false
            }
            Action::EditorKey(key) if self.prompt.is_some() => {
                self.prompt_key(*key);
                false
            }
            Action::EditorKey(key) if self.completion.is_some() => {
                match self.completion_key(*key) {
                    Some(changed) => changed,
                    None => {
                        let changed = self.textarea.input(*key);
                        self.refresh_completion();
                        changed
                    }
                }
            }
            Action::EditorKey(key) if paging(key).is_some() => {
                self.page(paging(key) == Some(true));
                false
            }
            _ => return false,
        };
        if changed {
            self.changed(now);
        }
        true
    }

    /// Runs `command`; true when the text changed.
    fn command(&mut self, command: EditorCommand) -> bool {
        use EditorCommand as C;
        match command {
            C::Undo | C::Redo => {
                let undo = command == C::Undo;
                self.completion = None;
                let done = if undo {
                    self.textarea.undo()
                } else {
                    self.textarea.redo()
                };
                if !done {
                    self.status = Some(
                        if undo {
                            "Nothing to undo"
                        } else {
                            "Nothing to redo"
                        }
                        .to_string(),
                    );
                }
                done
            }
            C::Find => {
                match &self.prompt {
                    // Ctrl-F again: the next match.
                    Some(p) if p.kind == PromptKind::Find => {
                        self.status = Some(self.find(true, false));
                    }
                    _ => self.open_prompt(PromptKind::Find),
                }
                false
            }
            C::FindNext | C::FindPrevious => {
                self.status = Some(self.find(command == C::FindNext, false));
                false
            }
            C::GoToLine => {
                self.open_prompt(PromptKind::GoToLine);
                false
            }
            C::FirstLine => {
                self.completion = None;
                self.textarea.move_cursor(CursorMove::Top);
                self.textarea.move_cursor(CursorMove::Head);
                false
            }
            C::LastLine => {
                self.completion = None;
                self.textarea.move_cursor(CursorMove::Bottom);
                self.textarea.move_cursor(CursorMove::End);
                false
            }
            C::Complete | C::CompleteList if self.prompt.is_some() => false,
            C::Complete => self.complete(true),
            C::CompleteList => self.complete(false),
        }
    }
}

/// PageDown (true) or PageUp (false), also as the textarea's emacs keys
/// (Ctrl-V, Alt-V), which would otherwise scroll a view it never drew.
fn paging(key: &KeyEvent) -> Option<bool> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::PageDown => Some(true),
        KeyCode::PageUp => Some(false),
        KeyCode::Char('v') if ctrl && !alt => Some(true),
        KeyCode::Char('v') if alt && !ctrl => Some(false),
        _ => None,
    }
}

impl App {
    /// F8: asks first, naming how many lines the edits changed; nothing to
    /// ask when the text is the rules in force.
    pub(in crate::tui) fn ask_discard_rule_edits(&mut self) {
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        if !editor.is_edited() {
            editor.status = Some("Nothing to discard: these are the rules in force".to_string());
            return;
        }
        let (added, removed) = changed_lines(&editor.in_force, &editor.text());
        self.orders.confirm = Some(Confirm {
            action: ConfirmAction::DiscardRuleEdits,
            question: format!(
                "Discard your edits: {} added, {} removed against the rules in force? \
                 The draft goes too; the text becomes the rules in force.",
                lines(added),
                lines(removed)
            ),
        });
    }

    /// F8 confirmed: the edits and the draft go; the text is the rules in
    /// force again.
    pub(in crate::tui) fn discard_rule_edits(&mut self) {
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        let mut fresh = RuleEditor::open(&editor.in_force, &editor.origin, &editor.in_force);
        fresh.status = Some("Edits discarded: these are the rules in force".to_string());
        fresh.last_search = editor.last_search.take();
        *editor = fresh;
        self.rules_draft = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_counts_each_way() {
        assert_eq!(changed_lines("a\nb\nc\n", "a\nb\nc\n"), (0, 0));
        assert_eq!(changed_lines("a\nb\nc\n", "a\nB\nc\n"), (1, 1));
        assert_eq!(changed_lines("a\nb\nc\n", "a\nb\nx\ny\nc\n"), (2, 0));
        assert_eq!(changed_lines("a\nb\nc\n", "c\n"), (0, 2));
        assert_eq!(changed_lines("", "a\n"), (1, 0));
        // Moved: one out, one in.
        assert_eq!(changed_lines("a\nb\nc\nd\n", "b\nc\nd\na\n"), (1, 1));
    }

    fn key(code: KeyCode, modifiers: KeyModifiers) -> Action {
        Action::EditorKey(KeyEvent::new(code, modifiers))
    }

    #[test]
    fn undo_and_redo_walk_the_textareas_history() {
        let text = "abc\n";
        let mut editor = RuleEditor::open(text, "t.grl", text);
        let now = Local::now();
        editor
            .textarea
            .input(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE));
        assert!(editor.basics(&Action::Editor(EditorCommand::Undo), now));
        assert_eq!(editor.text(), text);
        assert_eq!(editor.edited, Some(now), "undone: checked again");
        editor.basics(&Action::Editor(EditorCommand::Undo), now);
        assert_eq!(editor.status.as_deref(), Some("Nothing to undo"));
        editor.basics(&Action::Editor(EditorCommand::Redo), now);
        assert_eq!(editor.text(), "xabc\n");
        editor.basics(&Action::Editor(EditorCommand::Redo), now);
        assert_eq!(editor.status.as_deref(), Some("Nothing to redo"));
    }

    #[test]
    fn first_and_last_line_and_the_prompts_take_their_keys() {
        let text = "one\ntwo\nthree end\n";
        let mut editor = RuleEditor::open(text, "t.grl", text);
        let now = Local::now();
        editor.basics(&Action::Editor(EditorCommand::LastLine), now);
        assert_eq!(editor.textarea.cursor(), (2, 9));
        editor.basics(&Action::Editor(EditorCommand::FirstLine), now);
        assert_eq!(editor.textarea.cursor(), (0, 0));
        editor.basics(&Action::Editor(EditorCommand::GoToLine), now);
        assert!(editor.basics(&key(KeyCode::Char('2'), KeyModifiers::NONE), now));
        assert_eq!(editor.text(), text, "typed into the prompt, not the text");
        assert!(
            editor.basics(&Action::CloseEditor, now),
            "Esc closes the prompt"
        );
        assert_eq!(editor.prompt, None);
        assert!(!editor.basics(&Action::CloseEditor, now), "then leaves");
        // Ctrl-V pages as PageDown does (never the textarea's own scroll).
        assert!(editor.basics(&key(KeyCode::Char('v'), KeyModifiers::CONTROL), now));
        assert_eq!(editor.textarea.cursor().0, 2);
    }
}

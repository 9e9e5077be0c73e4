//! The editor's one-line prompts: search (Ctrl-F: the matches highlighted,
//! the cursor on the first one as the author types, Enter/F3/Ctrl-N the
//! next, Up/Shift-F3/Ctrl-P the previous) and go-to-line (Ctrl-G: a number, or a message
//! saying why not). The search is plain text, case ignored.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::theme::Theme;

use super::RuleEditor;

/// Where a match is: its row and its characters `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub row: usize,
    pub start: usize,
    pub end: usize,
}

/// What the prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Find,
    GoToLine,
}

/// The prompt under the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
    /// Why the last Enter did nothing (no such line, no match).
    pub error: Option<String>,
    /// Where the cursor was when the prompt opened: the search starts
    /// there, and Esc on go-to-line goes back nowhere else.
    pub origin: (usize, usize),
}

fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Every match of `query` in `lines`, case ignored, in order; none for an
/// empty query.
pub fn find_all(lines: &[String], query: &str) -> Vec<Match> {
    let query: Vec<char> = query.chars().map(fold).collect();
    if query.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (row, line) in lines.iter().enumerate() {
        let chars: Vec<char> = line.chars().map(fold).collect();
        let mut start = 0;
        while start + query.len() <= chars.len() {
            if chars[start..start + query.len()] == query[..] {
                found.push(Match {
                    row,
                    start,
                    end: start + query.len(),
                });
                start += query.len();
            } else {
                start += 1;
            }
        }
    }
    found
}

/// The number typed for go-to-line, or what is wrong with it.
pub fn line_number(text: &str, lines: usize) -> Result<usize, String> {
    let text = text.trim();
    match text.parse::<usize>() {
        Ok(n) if (1..=lines).contains(&n) => Ok(n),
        Ok(_) => Err(format!("No line {text}: lines are 1 to {lines}")),
        Err(_) if text.is_empty() => Err("Type a line number".to_string()),
        Err(_) => Err(format!(
            "Not a line number: {}",
            crate::text::printable(text)
        )),
    }
}

impl RuleEditor {
    /// Opens the prompt (the search keeps the last query, selected for
    /// typing over).
    pub fn open_prompt(&mut self, kind: PromptKind) {
        let text = match kind {
            PromptKind::Find => self.last_search.clone().unwrap_or_default(),
            PromptKind::GoToLine => String::new(),
        };
        self.completion = None;
        self.prompt = Some(Prompt {
            kind,
            text,
            error: None,
            origin: self.textarea.cursor(),
        });
    }

    /// The search's matches while the search prompt is open (drawn
    /// highlighted instead of the keywords).
    pub fn search_matches(&self) -> Option<Vec<Match>> {
        match &self.prompt {
            Some(p) if p.kind == PromptKind::Find => Some(find_all(self.textarea.lines(), &p.text)),
            _ => None,
        }
    }

    /// The query to look for: the prompt's, else the last one.
    fn query(&self) -> Option<String> {
        match &self.prompt {
            Some(p) if p.kind == PromptKind::Find => Some(p.text.clone()),
            _ => self.last_search.clone(),
        }
        .filter(|q| !q.is_empty())
    }

    /// Moves the cursor to the next match after it (`forward`) or the one
    /// before, wrapping round; `here` counts a match at the cursor. Says
    /// which match of how many, or that there is none.
    pub fn find(&mut self, forward: bool, here: bool) -> String {
        let Some(query) = self.query() else {
            return "Nothing to look for: Ctrl-F searches".to_string();
        };
        self.last_search = Some(query.clone());
        let found = find_all(self.textarea.lines(), &query);
        let cursor = self.textarea.cursor();
        let at = |m: &Match| (m.row, m.start);
        let pick = if forward {
            (found.iter())
                .position(|m| {
                    if here {
                        at(m) >= cursor
                    } else {
                        at(m) > cursor
                    }
                })
                .or((!found.is_empty()).then_some(0))
        } else {
            (found.iter())
                .rposition(|m| at(m) < cursor)
                .or(found.len().checked_sub(1))
        };
        let shown = crate::text::printable(&query).into_owned();
        let message = match pick {
            Some(i) => {
                let m = found[i];
                self.jump(m.row, m.start);
                format!("\"{shown}\": {} of {}", i + 1, found.len())
            }
            None => format!("\"{shown}\": not found"),
        };
        if let Some(p) = self.prompt.as_mut() {
            p.error = pick.is_none().then(|| message.clone());
        }
        message
    }

    /// A key while the prompt is open: typing, Backspace, Enter (the next
    /// match, or the line), Up/Down (previous/next match).
    pub fn prompt_key(&mut self, key: KeyEvent) {
        let Some(prompt) = self.prompt.as_mut() else {
            return;
        };
        let kind = prompt.kind;
        let typing = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match key.code {
            KeyCode::Char(c) if typing => {
                prompt.text.push(c);
                prompt.error = None;
                if kind == PromptKind::Find {
                    let origin = prompt.origin;
                    self.jump(origin.0, origin.1);
                    self.status = Some(self.find(true, true));
                }
            }
            KeyCode::Backspace => {
                prompt.text.pop();
                prompt.error = None;
                if kind == PromptKind::Find {
                    let origin = prompt.origin;
                    self.jump(origin.0, origin.1);
                    if !self.prompt.as_ref().is_some_and(|p| p.text.is_empty()) {
                        self.status = Some(self.find(true, true));
                    }
                }
            }
            KeyCode::Enter | KeyCode::Down if kind == PromptKind::Find => {
                self.status = Some(self.find(true, false));
            }
            KeyCode::Up if kind == PromptKind::Find => {
                self.status = Some(self.find(false, false));
            }
            KeyCode::Enter => {
                let lines = self.textarea.lines().len();
                match line_number(&prompt.text, lines) {
                    Ok(n) => {
                        self.jump(n - 1, 0);
                        self.prompt = None;
                        self.status = Some(format!("Line {n} of {lines}"));
                    }
                    Err(e) => prompt.error = Some(e),
                }
            }
            _ => {}
        }
    }

    /// Esc in the prompt: closed; the cursor stays where the search put it.
    pub fn close_prompt(&mut self) {
        if let Some(p) = self.prompt.take() {
            if p.kind == PromptKind::Find && !p.text.is_empty() {
                self.last_search = Some(p.text);
            }
        }
    }
}

/// The prompt's row: what it asks, the text typed (a block for the
/// cursor), then the count of matches or why Enter did nothing, then its
/// keys.
pub(in crate::tui) fn draw_prompt(
    frame: &mut Frame,
    editor: &RuleEditor,
    area: Rect,
    theme: &Theme,
    matches: Option<&[Match]>,
) {
    let Some(prompt) = &editor.prompt else {
        return;
    };
    let (label, keys) = match prompt.kind {
        PromptKind::Find => ("Find: ", "Enter/F3/^N next, Up/^P previous, Esc closes"),
        PromptKind::GoToLine => ("Go to line: ", "Enter goes, Esc closes"),
    };
    let typed = crate::text::printable(&prompt.text).into_owned();
    let mut spans = vec![
        Span::styled(label, Style::new().add_modifier(Modifier::BOLD)),
        Span::raw(typed),
        Span::styled(" ", Style::new().add_modifier(Modifier::REVERSED)),
        Span::raw("  "),
    ];
    match (&prompt.error, matches) {
        (Some(e), _) => spans.push(Span::styled(format!("{e}  "), theme.danger())),
        (None, Some(found)) if !prompt.text.is_empty() => {
            let cursor = editor.textarea.cursor();
            let at = found.iter().position(|m| (m.row, m.start) == cursor);
            spans.push(Span::raw(match at {
                Some(i) => format!("{} of {}  ", i + 1, found.len()),
                None => format!("{} found  ", found.len()),
            }));
        }
        _ => {}
    }
    spans.push(Span::styled(keys, Style::new().add_modifier(Modifier::DIM)));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn matches_ignore_case_and_do_not_overlap() {
        let found = find_all(&lines("Product.moq\n  product.MOQ moqmoq"), "moq");
        let at: Vec<(usize, usize)> = found.iter().map(|m| (m.row, m.start)).collect();
        assert_eq!(at, [(0, 8), (1, 10), (1, 14), (1, 17)]);
        assert!(find_all(&lines("abc"), "").is_empty());
        let found = find_all(&lines("Ärger ärger"), "ÄR");
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn a_bad_line_number_says_why() {
        assert_eq!(line_number(" 7 ", 10), Ok(7));
        assert_eq!(
            line_number("0", 10),
            Err("No line 0: lines are 1 to 10".to_string())
        );
        assert_eq!(
            line_number("11", 10),
            Err("No line 11: lines are 1 to 10".to_string())
        );
        assert_eq!(
            line_number("x1", 10),
            Err("Not a line number: x1".to_string())
        );
        assert_eq!(line_number("", 10), Err("Type a line number".to_string()));
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_search_moves_as_the_author_types_and_wraps_round() {
        let text = "a moq\nb\nc moq d MOQ\n";
        let mut editor = RuleEditor::open(text, "t.grl", text);
        editor.jump(1, 0);
        editor.open_prompt(PromptKind::Find);
        for c in "mo".chars() {
            editor.prompt_key(key(KeyCode::Char(c)));
        }
        assert_eq!(
            editor.textarea.cursor(),
            (2, 2),
            "first match after the cursor"
        );
        editor.prompt_key(key(KeyCode::Enter));
        assert_eq!(editor.textarea.cursor(), (2, 8));
        assert_eq!(editor.status.as_deref(), Some("\"mo\": 3 of 3"));
        editor.prompt_key(key(KeyCode::Enter));
        assert_eq!(editor.textarea.cursor(), (0, 2), "wrapped round");
        editor.prompt_key(key(KeyCode::Up));
        assert_eq!(editor.textarea.cursor(), (2, 8), "back, wrapped round");
        editor.prompt_key(key(KeyCode::Char('x')));
        assert_eq!(editor.status.as_deref(), Some("\"mox\": not found"));
        assert!(editor.prompt.as_ref().unwrap().error.is_some());
        editor.prompt_key(key(KeyCode::Backspace));
        editor.close_prompt();
        assert_eq!(editor.search_matches(), None, "keywords again");
        // F3 after the prompt closed: the last query.
        editor.jump(0, 0);
        assert_eq!(editor.find(true, false), "\"mo\": 1 of 3");
        assert_eq!(editor.textarea.cursor(), (0, 2));
    }

    #[test]
    fn go_to_line_jumps_or_keeps_the_prompt_with_a_message() {
        let text = "a\nb\nc\n";
        let mut editor = RuleEditor::open(text, "t.grl", text);
        editor.open_prompt(PromptKind::GoToLine);
        editor.prompt_key(key(KeyCode::Char('9')));
        editor.prompt_key(key(KeyCode::Enter));
        let prompt = editor.prompt.as_ref().expect("still open");
        assert_eq!(prompt.error.as_deref(), Some("No line 9: lines are 1 to 3"));
        assert_eq!(editor.textarea.cursor(), (0, 0));
        editor.prompt_key(key(KeyCode::Backspace));
        editor.prompt_key(key(KeyCode::Char('3')));
        editor.prompt_key(key(KeyCode::Enter));
        assert_eq!(editor.prompt, None);
        assert_eq!(editor.textarea.cursor(), (2, 0));
    }
}

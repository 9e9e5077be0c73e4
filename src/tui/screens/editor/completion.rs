//! Completion of the fact's field names after `Product.` (Tab or
//! Ctrl-Space): the fields of `plan::facts::FACT_SCHEMA` (the schema the
//! validator checks against) whose name starts with what is typed, then
//! those that contain it, each with whether rules may write it and its
//! description. Up/Down choose, Enter or Tab inserts, Esc closes; typing
//! goes on filtering.

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::view::{column_of, gutter_width};
use super::RuleEditor;
use crate::plan::facts::{FactField, FactKind, FACT_SCHEMA};
use crate::tui::theme::Theme;

/// The completion list, open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The highlighted entry of `candidates`.
    pub selected: usize,
}

/// Rows the list shows at most.
const SHOWN: usize = 6;

/// What is typed after `Product.` right before the cursor (`None` when the
/// cursor does not follow `Product.` and a name's start).
pub fn typed_field(line: &str, col: usize) -> Option<String> {
    let before: Vec<char> = line.chars().take(col).collect();
    let start = before
        .iter()
        .rposition(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |i| i + 1);
    let object: String = before[..start].iter().collect();
    let rest = object.strip_suffix("Product.")?;
    // `MyProduct.` is not the fact.
    (!rest.ends_with(is_name_char)).then(|| before[start..].iter().collect())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The fields offered for `typed`: those starting with it, then those
/// containing it (case ignored), in the schema's order.
pub fn candidates(typed: &str) -> Vec<&'static FactField> {
    let typed = typed.to_ascii_lowercase();
    let starts = FACT_SCHEMA.iter().filter(|f| f.name.starts_with(&typed));
    let contains =
        (FACT_SCHEMA.iter()).filter(|f| !f.name.starts_with(&typed) && f.name.contains(&typed));
    starts.chain(contains).collect()
}

fn kind_name(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Number => "number",
        FactKind::Bool => "true/false",
        FactKind::Text => "text",
    }
}

impl RuleEditor {
    /// The fields offered now, if the cursor follows `Product.`.
    pub fn completion_candidates(&self) -> Option<(String, Vec<&'static FactField>)> {
        let (row, col) = self.textarea.cursor();
        let typed = typed_field(&self.textarea.lines()[row], col)?;
        let found = candidates(&typed);
        Some((typed, found))
    }

    /// Tab or Ctrl-Space: opens the list after `Product.`; elsewhere Tab
    /// indents (returns true when the text changed) and Ctrl-Space says
    /// where completion works.
    pub fn complete(&mut self, tab: bool) -> bool {
        if self.completion.is_some() {
            return self.insert_completion();
        }
        match self.completion_candidates() {
            Some(_) => {
                self.completion = Some(Completion { selected: 0 });
                false
            }
            None if tab => self.textarea.insert_tab(),
            None => {
                self.status = Some("Completion offers field names after `Product.`".to_string());
                false
            }
        }
    }

    /// Enter or Tab in the list: the highlighted name replaces what was
    /// typed of it; the list closes. True when the text changed.
    pub fn insert_completion(&mut self) -> bool {
        let Some(list) = self.completion.take() else {
            return false;
        };
        let Some((typed, found)) = self.completion_candidates() else {
            return false;
        };
        let Some(field) = found.get(list.selected) else {
            return false;
        };
        // The rest of the name only, when what is typed starts it: one
        // edit, which one undo takes back.
        match field.name.strip_prefix(typed.as_str()) {
            Some(rest) => {
                self.textarea.insert_str(rest);
            }
            None => {
                for _ in typed.chars() {
                    self.textarea.delete_char();
                }
                self.textarea.insert_str(field.name);
            }
        }
        true
    }

    /// A key while the list is open: Up/Down choose; Enter inserts (Tab and
    /// Esc are actions). Returns `None` when the key is for the text (the
    /// list follows what it types, `refresh_completion`), else whether the
    /// text changed.
    pub fn completion_key(&mut self, key: KeyEvent) -> Option<bool> {
        let count = self.completion_candidates().map_or(0, |(_, c)| c.len());
        let list = self.completion.as_mut()?;
        match key.code {
            KeyCode::Up => {
                list.selected = list
                    .selected
                    .checked_sub(1)
                    .unwrap_or(count.saturating_sub(1));
                Some(false)
            }
            KeyCode::Down => {
                list.selected = if list.selected + 1 >= count {
                    0
                } else {
                    list.selected + 1
                };
                Some(false)
            }
            KeyCode::Enter => Some(self.insert_completion()),
            _ => None,
        }
    }

    /// After a key typed into the text: the list closes when the cursor no
    /// longer follows `Product.`, and keeps its choice within the list.
    pub fn refresh_completion(&mut self) {
        let count = match self.completion_candidates() {
            Some((_, found)) => found.len(),
            None => {
                self.completion = None;
                return;
            }
        };
        if let Some(list) = self.completion.as_mut() {
            list.selected = list.selected.min(count.saturating_sub(1));
        }
    }
}

/// The list under the cursor's row (above it when there is no room
/// below), within `area` (the text's, gutter included).
pub(in crate::tui) fn draw_completion(
    frame: &mut Frame,
    editor: &RuleEditor,
    area: Rect,
    theme: &Theme,
) {
    let Some(list) = &editor.completion else {
        return;
    };
    let Some((typed, found)) = editor.completion_candidates() else {
        return;
    };
    let (row, col) = editor.textarea.cursor();
    let view = editor.view;
    let gutter = usize::from(gutter_width(editor.textarea.lines().len()));
    let line = &editor.textarea.lines()[row];
    let x = column_of(line, col - typed.chars().count()).saturating_sub(view.left) + gutter;
    let shown = found.len().clamp(1, SHOWN);
    let height = u16::try_from(shown + 2).unwrap_or(u16::MAX);
    let below = u16::try_from(row.saturating_sub(view.top) + 1).unwrap_or(u16::MAX);
    let y = if below + height <= area.height {
        below
    } else {
        below.saturating_sub(height + 1)
    };
    let x = u16::try_from(x).unwrap_or(u16::MAX);
    let first = list.selected.saturating_sub(SHOWN - 1);
    let name_width = found.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let texts: Vec<String> = found
        .iter()
        .map(|f| {
            format!(
                "{:<name_width$}  {}{}: {}",
                f.name,
                if f.writable { "output, " } else { "" },
                kind_name(f.kind),
                f.doc
            )
        })
        .collect();
    // As wide as the longest entry, within the text's area.
    let widest = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    let width = u16::try_from(widest + 2)
        .unwrap_or(u16::MAX)
        .clamp(30, area.width.max(1));
    let x = x.min(area.width.saturating_sub(width));
    let rect = Rect {
        x: area.x + x,
        y: area.y + y.min(area.height.saturating_sub(height)),
        width,
        height: height.min(area.height),
    };
    let mut lines: Vec<Line> = texts
        .iter()
        .enumerate()
        .skip(first)
        .take(SHOWN)
        .map(|(i, text)| {
            let text = text.clone();
            if i == list.selected {
                Line::styled(
                    text,
                    Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                )
            } else {
                Line::from(text)
            }
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::from(format!(
            "no field holds \"{}\"",
            crate::text::printable(&typed)
        )));
    }
    let title = format!(
        " Product.{} ({} of {}) ",
        typed,
        found.len().min(list.selected + 1),
        found.len()
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().border_set(theme.border()).title(title)),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    #[test]
    fn completion_is_offered_right_after_product_dot_only() {
        assert_eq!(typed_field("  Product.or", 12).as_deref(), Some("or"));
        assert_eq!(typed_field("Product.", 8).as_deref(), Some(""));
        assert_eq!(typed_field("x(Product.mo", 12).as_deref(), Some("mo"));
        assert_eq!(typed_field("MyProduct.mo", 12), None);
        assert_eq!(typed_field("Product.moq ", 12), None);
        assert_eq!(typed_field("Product.moq", 3), None);
    }

    #[test]
    fn candidates_start_with_what_is_typed_then_contain_it() {
        let names: Vec<&str> = candidates("order").iter().map(|f| f.name).collect();
        assert_eq!(names, ["order_multiple", "order_qty", "on_order_qty"]);
        assert_eq!(candidates("").len(), FACT_SCHEMA.len());
        assert!(candidates("zzz").is_empty());
        // Every candidate is a field the validator knows.
        for f in candidates("qty") {
            assert!(crate::plan::facts::schema_field(f.name).is_some());
        }
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_chosen_name_replaces_what_was_typed() {
        let text = "x\n";
        let mut editor = RuleEditor::open(text, "t.grl", text);
        editor.textarea.insert_str("when Product.ord");
        assert!(!editor.complete(true), "the list opens; nothing typed yet");
        assert_eq!(editor.completion, Some(Completion { selected: 0 }));
        assert_eq!(editor.completion_key(key(KeyCode::Down)), Some(false));
        assert_eq!(editor.completion_key(key(KeyCode::Enter)), Some(true));
        assert_eq!(editor.textarea.lines()[0], "when Product.order_qtyx");
        assert_eq!(editor.completion, None);
        // Away from `Product.`, Tab indents.
        editor.textarea.insert_str(" ");
        assert!(editor.complete(true));
        assert_eq!(editor.completion, None);
        // Typing on filters; a space closes the list.
        editor.textarea.insert_str("Product.");
        editor.complete(false);
        editor.textarea.insert_char('m');
        editor.refresh_completion();
        let (typed, found) = editor.completion_candidates().unwrap();
        assert_eq!((typed.as_str(), found[0].name), ("m", "moq"));
        editor.textarea.insert_char(' ');
        editor.refresh_completion();
        assert_eq!(editor.completion, None);
    }
}

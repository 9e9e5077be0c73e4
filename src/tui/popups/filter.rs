//! The filters: the `/` prompt (the text typed, shown in the footer) and
//! the quick filters (needs an order, has exceptions, this supplier).

use crate::tui::action::{Action, QuickFilter};
use crate::tui::state::App;

impl App {
    /// A filter's key.
    pub(in crate::tui) fn update_filter(&mut self, action: Action) {
        match action {
            Action::StartFilter => self.filter_editing = true,
            Action::FilterInput(c) => {
                self.filter.push(c);
                self.rebuild_view();
            }
            Action::FilterBackspace => {
                self.filter.pop();
                self.rebuild_view();
            }
            Action::FilterDone => self.filter_editing = false,
            Action::ClearFilter => {
                self.filter.clear();
                self.filter_editing = false;
                self.quick = QuickFilter::All;
                self.rebuild_view();
            }
            Action::Quick(q) => {
                self.quick = if self.quick == q { QuickFilter::All } else { q };
                self.rebuild_view();
            }
            Action::ToggleSupplierFilter => {
                self.quick = match (
                    &self.quick,
                    self.selected_plan()
                        .and_then(|p| p.supplier_name.as_deref().map(str::to_string)),
                ) {
                    (QuickFilter::Supplier(_), _) | (_, None) => QuickFilter::All,
                    (_, Some(name)) => QuickFilter::Supplier(name),
                };
                self.rebuild_view();
            }
            _ => {}
        }
    }
}

/// The `/` prompt as the footer shows it while the buyer types.
pub(in crate::tui) fn prompt(app: &App) -> String {
    format!("/{}_   ", app.filter)
}

/// The text filter read as words: `abc:`, `xyz:` and `class:` words keep
/// the products of those classes (several values with commas: `abc:A,B`;
/// `-` is unranked or without a class); the other words are matched as
/// text against the id, the name and the supplier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFilter {
    /// Lowercase; empty: no text to match.
    pub needle: String,
    /// Bits of the levels `sort::class_key` gives (ABC, XYZ, demand
    /// class); `None`: that class is not filtered on.
    pub abc: Option<u16>,
    pub xyz: Option<u16>,
    pub class: Option<u16>,
    /// What was not understood, in words (shown in the header): ignored,
    /// not silently matching nothing.
    pub problems: Vec<String>,
}

/// The values each class word takes, in `sort::class_key`'s order (`-`
/// is the last level: unranked, no class).
const ABC: [&str; 4] = ["a", "b", "c", "-"];
const XYZ: [&str; 4] = ["x", "y", "z", "-"];

impl ParsedFilter {
    pub fn parse(filter: &str) -> ParsedFilter {
        let mut parsed = ParsedFilter::default();
        let mut words: Vec<&str> = Vec::new();
        let mut any_token = false;
        for word in filter.split_whitespace() {
            let Some((key, value)) = word.split_once(':') else {
                words.push(word);
                continue;
            };
            let key_l = key.to_ascii_lowercase();
            let value_l = value.to_lowercase();
            let levels: Vec<&str> = match key_l.as_str() {
                "abc" => ABC.to_vec(),
                "xyz" => XYZ.to_vec(),
                "class" => {
                    let mut all = crate::tui::sort::DEMAND_CLASSES.to_vec();
                    all.push("-");
                    all
                }
                _ => {
                    // A word like `clas:lumpy` is matched as text, but said.
                    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphabetic()) {
                        parsed.problems.push(format!(
                            "{}: is not a filter (abc:, xyz:, class:), matched as text",
                            crate::text::masked(key)
                        ));
                    }
                    words.push(word);
                    continue;
                }
            };
            any_token = true;
            let mut mask = 0u16;
            let named = match key_l.as_str() {
                "class" => levels.join(", "),
                _ => levels.join(", ").to_uppercase(),
            };
            for typed in value.split(',').filter(|v| !v.is_empty()) {
                let v = typed.to_lowercase();
                let v = v.as_str();
                // A demand class may be shortened while unique (`class:int`).
                let found: Vec<usize> = (0..levels.len())
                    .filter(|&k| levels[k] == v || (v.len() >= 2 && levels[k].starts_with(v)))
                    .collect();
                match found.as_slice() {
                    [k] => mask |= 1 << k,
                    _ => parsed.problems.push(format!(
                        "{key_l}:{} unknown ({named}), ignored",
                        crate::text::masked(typed),
                    )),
                }
            }
            if value_l.split(',').all(str::is_empty) {
                parsed.problems.push(format!("{key_l}: takes {named}"));
            }
            if mask != 0 {
                let slot = match key_l.as_str() {
                    "abc" => &mut parsed.abc,
                    "xyz" => &mut parsed.xyz,
                    _ => &mut parsed.class,
                };
                // Two words on one class: either value.
                *slot = Some(slot.unwrap_or(0) | mask);
            }
        }
        parsed.needle = if any_token {
            words.join(" ").to_lowercase()
        } else {
            filter.to_lowercase()
        };
        parsed
    }

    /// Whether a filter on classes is set.
    pub fn on_classes(&self) -> bool {
        self.abc.is_some() || self.xyz.is_some() || self.class.is_some()
    }

    /// Whether a product's classes (`sort::class_key`) pass.
    pub fn classes_match(&self, key: u32) -> bool {
        let pass = |mask: Option<u16>, level: u32| mask.is_none_or(|m| m & (1 << level) != 0);
        pass(self.abc, key >> 8) && pass(self.xyz, (key >> 4) & 0xF) && pass(self.class, key & 0xF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_words_filter_and_the_rest_is_text() {
        let p = ParsedFilter::parse("abc:A bolt XYZ:z,y class:lumpy");
        assert_eq!(p.needle, "bolt");
        assert_eq!(p.abc, Some(1));
        assert_eq!(p.xyz, Some(0b110));
        assert_eq!(p.class, Some(1 << 3));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        // A (0), Z (2), lumpy (3) passes; B does not.
        assert!(p.classes_match(2 << 4 | 3));
        assert!(!p.classes_match(1 << 8 | 2 << 4 | 3));
        // Unranked is `-`, the last level.
        let p = ParsedFilter::parse("abc:-");
        assert!(p.classes_match(3 << 8) && !p.classes_match(0));
        // A unique start of a demand class.
        assert_eq!(ParsedFilter::parse("class:int").class, Some(1 << 2));
        // No class word: the text as typed, spaces and all.
        assert_eq!(ParsedFilter::parse("Steel  Bolt ").needle, "steel  bolt ");
    }

    #[test]
    fn unknown_words_are_said_not_silently_matching_nothing() {
        let p = ParsedFilter::parse("abc:Q");
        assert_eq!(p.abc, None, "ignored");
        assert_eq!(p.problems, ["abc:Q unknown (A, B, C, -), ignored"]);
        let p = ParsedFilter::parse("clas:lumpy");
        assert_eq!(p.needle, "clas:lumpy");
        assert!(p.problems[0].starts_with("clas: is not a filter"), "{p:?}");
        let p = ParsedFilter::parse("class:");
        assert!(p.problems[0].starts_with("class: takes smooth"), "{p:?}");
        // An id with a colon and digits is text, said nothing about.
        let p = ParsedFilter::parse("12:30");
        assert!(p.problems.is_empty() && p.needle == "12:30");
    }
}

//! The keys in words: the footer, the `?` help, a phrase naming the keys of
//! an action.

use super::*;

impl Keymap {
    /// The keys of one action in a sentence: `Esc, ? or q`; empty when
    /// it has none.
    pub fn keys_phrase(&self, screen: Screen, name: &str, theme: &Theme) -> String {
        let labels: Vec<String> = self
            .binding(screen, name)
            .map(|b| b.keys.iter().map(|k| k.label(theme)).collect())
            .unwrap_or_default();
        match labels.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }

    /// The footer: the screen's main keys (`↑↓ move  Enter why  ...`), as
    /// many as fit in `width` columns; help and quit, last, stay.
    pub fn footer(&self, screen: Screen, theme: &Theme, width: usize) -> String {
        let mut groups: Vec<(Vec<String>, &str)> = Vec::new();
        for b in self.bindings(screen) {
            let (Some(word), Some(key)) = (b.footer, b.keys.first()) else {
                continue;
            };
            match groups.last_mut() {
                Some((keys, w)) if *w == word => keys.push(key.label(theme)),
                _ => groups.push((vec![key.label(theme)], word)),
            }
        }
        let mut entries: Vec<String> = groups
            .into_iter()
            .map(|(keys, word)| {
                let keys = join_keys(&keys);
                if word.is_empty() {
                    keys
                } else {
                    format!("{keys} {word}")
                }
            })
            .collect();
        let len = |e: &[String]| e.iter().map(|s| s.chars().count() + 2).sum::<usize>();
        while entries.len() > 2 && len(&entries) > width + 2 {
            entries.remove(entries.len() - 3);
        }
        let text = entries.join("  ");
        text.chars().take(width).collect()
    }

    /// The help of a screen: every bound action with its keys, in one
    /// column when it fits in `height` lines, else two; sorting (on the
    /// list) as one paragraph. Lines are at most `width` columns.
    pub fn help_lines(
        &self,
        screen: Screen,
        theme: &Theme,
        width: usize,
        height: usize,
    ) -> Vec<String> {
        let entries: Vec<(String, &str)> = self
            .bindings(screen)
            .iter()
            .filter(|b| !b.keys.is_empty() && !matches!(b.action, Action::SortBy(_)))
            .map(|b| (label_of(b, theme, " "), b.help))
            .collect();
        let mut after = Vec::new();
        let sorts: Vec<String> = self
            .bindings(screen)
            .iter()
            .filter(|b| !b.keys.is_empty() && matches!(b.action, Action::SortBy(_)))
            .map(|b| format!("{} {}", label_of(b, theme, "/"), b.help))
            .collect();
        if !sorts.is_empty() {
            after.extend(wrap(
                &format!("Sort (again: reverse): {}", sorts.join(", ")),
                width,
                2,
            ));
        }
        if screen.takes_text() {
            let field = match screen {
                Screen::Filter => "the filter",
                Screen::Editor => "the rules",
                _ => "the field",
            };
            after.push(format!("Other keys type into {field}."));
        }
        let one = column(&entries, width);
        let mut lines = if one.len() + after.len() <= height || width < 40 {
            one
        } else {
            let half = entries.len().div_ceil(2);
            let (left, right) = entries.split_at(half);
            // Each column as wide as its longest entry when both fit side
            // by side, else halves (and long entries wrap).
            let natural = |e: &[(String, &str)]| {
                let label = e.iter().map(|x| x.0.chars().count()).max().unwrap_or(0);
                label + 1 + e.iter().map(|x| x.1.chars().count()).max().unwrap_or(0)
            };
            let left_width = if natural(left) + 1 + natural(right) <= width {
                natural(left)
            } else {
                width.div_ceil(2)
            };
            let left = column(left, left_width);
            let right = column(right, width - left_width - 1);
            (0..left.len().max(right.len()))
                .map(|i| {
                    let l = left.get(i).cloned().unwrap_or_default();
                    let r = right.get(i).map(String::as_str).unwrap_or("");
                    format!("{l:<left_width$} {r}").trim_end().to_string()
                })
                .collect()
        };
        lines.extend(after);
        if lines.len() > height {
            lines.truncate(height.saturating_sub(1));
            lines.push(theme.sym("…", "...").to_string());
        }
        lines
    }
}

/// The keys of a binding for the help; `quit` shows Ctrl-C too, which
/// always quits.
pub(super) fn label_of(b: &Binding, theme: &Theme, separator: &str) -> String {
    let mut labels: Vec<String> = b.keys.iter().map(|k| k.label(theme)).collect();
    if b.action == Action::Quit && !b.keys.contains(&Key::CTRL_C) {
        labels.push(Key::CTRL_C.label(theme));
    }
    labels.join(separator)
}

/// `↑↓` for arrows side by side, `n e s c` for letters, `↑ ^N` otherwise.
pub(super) fn join_keys(keys: &[String]) -> String {
    let symbol = |k: &str| {
        let mut c = k.chars();
        matches!((c.next(), c.next()), (Some(ch), None) if !ch.is_alphanumeric() && !ch.is_ascii())
    };
    let mut out = String::new();
    for (i, k) in keys.iter().enumerate() {
        if i > 0 && !(symbol(k) && symbol(&keys[i - 1])) {
            out.push(' ');
        }
        out.push_str(k);
    }
    out
}

/// Entries as `label help`, labels aligned, long ones wrapped under their
/// help text.
pub(super) fn column(entries: &[(String, &str)], width: usize) -> Vec<String> {
    let label = entries
        .iter()
        .map(|e| e.0.chars().count())
        .max()
        .unwrap_or(0)
        .min(width / 2);
    entries
        .iter()
        .flat_map(|(k, h)| {
            let pad = label.saturating_sub(k.chars().count());
            wrap(&format!("{k}{} {h}", " ".repeat(pad)), width, label + 1)
        })
        .collect()
}

/// Breaks text at spaces into lines of at most `width` characters; lines
/// after the first start with `indent` spaces. A word longer than a line
/// is cut.
pub(in crate::tui) fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    // Nothing on the line yet but its indent.
    let mut fresh = true;
    for word in text.split(' ') {
        let w = word.chars().count();
        if !fresh && len + 1 + w > width {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            len = indent;
            fresh = true;
        }
        if !fresh {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += w;
        fresh = false;
    }
    lines.push(line);
    lines
        .into_iter()
        .map(|l| l.chars().take(width).collect())
        .collect()
}

pub(super) fn column_name(c: Column) -> &'static str {
    match c {
        Column::Product => "product",
        Column::Name => "name",
        Column::Supplier => "supplier",
        Column::Demand => "demand",
        Column::Available => "available",
        Column::OnOrder => "on order",
        Column::Cover => "cover",
        Column::Order => "order",
        Column::Amount => "amount (per currency)",
        Column::Exceptions => "needs attention",
        Column::Class => "class: ABC, XYZ, demand",
    }
}

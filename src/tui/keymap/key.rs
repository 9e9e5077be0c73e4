//! One key as the config writes it (`ctrl-s`, `PgDn`, `F5`) and as the
//! help shows it.

use super::*;

/// One key with its modifiers, normalized so that what the config says and
/// what the terminal sends compare equal: `G` is `G` with or without SHIFT
/// reported, and with ctrl the case of a letter does not count (terminals
/// send the same byte for ctrl-d and ctrl-D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

/// Key names for the config, as written in messages and docs.
pub(super) const NAMED: [(&str, KeyCode); 16] = [
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Backspace", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
    ("Space", KeyCode::Char(' ')),
];

/// Other spellings accepted for the names above.
pub(super) const ALIASES: [(&str, &str); 7] = [
    ("PgUp", "PageUp"),
    ("PgDn", "PageDown"),
    ("PgDown", "PageDown"),
    ("Return", "Enter"),
    ("Escape", "Esc"),
    ("Del", "Delete"),
    ("Ins", "Insert"),
];

pub(super) const MODIFIERS: [(&str, KeyModifiers); 3] = [
    ("ctrl-", KeyModifiers::CONTROL),
    ("alt-", KeyModifiers::ALT),
    ("shift-", KeyModifiers::SHIFT),
];

impl Key {
    /// Ctrl-C: always quits, on every screen; it cannot be bound.
    pub const CTRL_C: Key = Key {
        code: KeyCode::Char('c'),
        modifiers: KeyModifiers::CONTROL,
    };

    /// Parses a key as the config writes it: one character (`j`, `G`, `?`),
    /// a name (`Down`, `PageDown`, `Enter`, `Esc`, `Space`, `F5`, ...), with
    /// `ctrl-`, `alt-` or `shift-` in front.
    pub fn parse(spec: &str) -> Result<Key, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = spec;
        while let Some((prefix, m)) = MODIFIERS.iter().find(|(p, _)| {
            rest.len() > p.len() && rest.is_char_boundary(p.len()) && {
                rest[..p.len()].eq_ignore_ascii_case(p)
            }
        }) {
            modifiers |= *m;
            rest = &rest[prefix.len()..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err("an empty key name".to_string()),
            (Some(c), None) => KeyCode::Char(c),
            _ => named(rest).ok_or_else(|| match rest.split_once('-') {
                Some((m, ""))
                    if MODIFIERS
                        .iter()
                        .any(|(p, _)| p[..p.len() - 1].eq_ignore_ascii_case(m)) =>
                {
                    format!("'{spec}': no key after the modifier (e.g. ctrl-d)")
                }
                Some((m, _)) if !m.is_empty() => {
                    format!("unknown modifier '{m}-' in '{spec}': use ctrl-, alt- or shift-")
                }
                _ => format!(
                    "unknown key '{spec}': use one character (j, G, ?) or one of {}, F1-F12, \
                     with ctrl-, alt- or shift- in front",
                    NAMED.map(|(n, _)| n).join(", ")
                ),
            })?,
        };
        let mut key = Key { code, modifiers };
        if modifiers.contains(KeyModifiers::SHIFT) {
            match code {
                KeyCode::Char(c) if c.is_ascii_alphabetic() => {
                    key.code = KeyCode::Char(c.to_ascii_uppercase());
                }
                KeyCode::Char(_) => {
                    return Err(format!(
                        "'{spec}': write the character itself rather than shift- and a character"
                    ))
                }
                KeyCode::Tab => key.code = KeyCode::BackTab,
                _ => {}
            }
        }
        Ok(key.normalized())
    }

    /// The key a terminal event stands for.
    pub fn from_event(event: &KeyEvent) -> Key {
        Key {
            code: event.code,
            modifiers: event.modifiers,
        }
        .normalized()
    }

    pub(super) fn normalized(mut self) -> Key {
        match self.code {
            KeyCode::Char(c) => {
                // The character says whether shift was held.
                self.modifiers.remove(KeyModifiers::SHIFT);
                if self.modifiers.contains(KeyModifiers::CONTROL) {
                    self.code = KeyCode::Char(c.to_ascii_lowercase());
                }
            }
            KeyCode::BackTab => self.modifiers.remove(KeyModifiers::SHIFT),
            _ => {}
        }
        self
    }

    /// A key that types a character in a text field.
    pub fn types_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }

    /// As the footer and the help show it: `↑`, `^D`, `PgDn`, `Space`.
    pub fn label(&self, theme: &Theme) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.modifiers.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => theme.sym("↑", "Up").to_string(),
            KeyCode::Down => theme.sym("↓", "Down").to_string(),
            KeyCode::Left => theme.sym("←", "Left").to_string(),
            KeyCode::Right => theme.sym("→", "Right").to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::BackTab => "Shift-Tab".to_string(),
            KeyCode::Delete => "Del".to_string(),
            KeyCode::Insert => "Ins".to_string(),
            _ => code_name(self.code),
        };
        let mut label = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            label.push_str(match self.code {
                KeyCode::Char(' ') => "Ctrl-",
                KeyCode::Char(_) => "^",
                _ => "Ctrl-",
            });
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            label.push_str("Alt-");
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            label.push_str("Shift-");
        }
        label + &name
    }
}

pub(super) fn named(name: &str) -> Option<KeyCode> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map_or(name, |(_, canonical)| canonical);
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Some(*code);
    }
    let digits = name.strip_prefix(['f', 'F'])?;
    match digits.parse::<u8>() {
        Ok(n @ 1..=12) if !digits.starts_with('0') => Some(KeyCode::F(n)),
        _ => None,
    }
}

pub(super) fn code_name(code: KeyCode) -> String {
    match code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        _ => NAMED
            .iter()
            .find(|(_, c)| *c == code)
            .map_or_else(|| format!("{code:?}"), |(n, _)| n.to_string()),
    }
}

/// As the config writes it: `ctrl-d`, `PageDown`, `G`.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (prefix, m) in MODIFIERS {
            if self.modifiers.contains(m) {
                f.write_str(prefix)?;
            }
        }
        f.write_str(&code_name(self.code))
    }
}

//! The keymap: for every screen, its actions as data (a stable name, the
//! keys, the help text, the footer word). `keys::action_for` reads it, and
//! the footer and the `?` help are built from it, so both always show the
//! keys really bound. The config's `[keys]` section, on top of a preset,
//! changes only the actions it names.

use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::theme::Theme;
use crate::tui::action::Action;
use crate::tui::action::Column;
use crate::tui::action::QuickFilter;

/// Where keys go: the screen, or the popup on top of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    List,
    Detail,
    /// The `/` prompt: unbound keys type into the filter.
    Filter,
    /// The override popup: unbound keys type into its field.
    Override,
    Help,
    Sources,
    /// The rule editor: unbound keys edit the text.
    Editor,
    /// The purchase orders.
    Orders,
    /// One purchase order: its lines and send attempts.
    Order,
    /// A yes/no question (approve, cancel, draft every product).
    Confirm,
    /// What drafting did: the POs and the products left out.
    Drafted,
    /// The small input of the open PO (a quantity, the note): unbound keys
    /// type into it.
    PoInput,
}

impl Screen {
    pub const ALL: [Screen; 12] = [
        Screen::List,
        Screen::Detail,
        Screen::Filter,
        Screen::Override,
        Screen::Help,
        Screen::Sources,
        Screen::Editor,
        Screen::Orders,
        Screen::Order,
        Screen::Confirm,
        Screen::Drafted,
        Screen::PoInput,
    ];

    /// Its name in the config: `[keys.list]`.
    pub fn name(self) -> &'static str {
        match self {
            Screen::List => "list",
            Screen::Detail => "detail",
            Screen::Filter => "filter",
            Screen::Override => "override",
            Screen::Help => "help",
            Screen::Sources => "sources",
            Screen::Editor => "editor",
            Screen::Orders => "orders",
            Screen::Order => "order",
            Screen::Confirm => "confirm",
            Screen::Drafted => "drafted",
            Screen::PoInput => "po_input",
        }
    }

    /// As the help's title names it.
    pub fn title(self) -> &'static str {
        match self {
            Screen::List => "the list",
            Screen::Detail => "the detail",
            Screen::Filter => "the filter prompt",
            Screen::Override => "the override popup",
            Screen::Help => "the help",
            Screen::Sources => "the sources popup",
            Screen::Editor => "the rule editor",
            Screen::Orders => "the purchase orders",
            Screen::Order => "the purchase order",
            Screen::Confirm => "the confirmation",
            Screen::Drafted => "the drafting result",
            Screen::PoInput => "the PO input",
        }
    }

    fn from_name(name: &str) -> Option<Screen> {
        Screen::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Printable keys type text here, so they cannot be bound.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Screen::Filter | Screen::Override | Screen::Editor | Screen::PoInput
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

mod built_in;
mod config;
mod help;
mod key;

pub use config::{KeysConfig, KeysValue};
pub(in crate::tui) use help::wrap;
use help::*;
pub use key::*;

/// One action of one screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// Its stable name in the config: `down`, `open_detail`.
    pub name: &'static str,
    pub action: Action,
    /// The first one is the one the footer shows.
    pub keys: Vec<Key>,
    pub help: &'static str,
    /// Its word in the footer, if it is one of the screen's main keys.
    /// Neighbours with the same word share it (`↑↓ move`); an empty word
    /// shows the key alone.
    pub footer: Option<&'static str>,
}

fn bind(
    name: &'static str,
    action: Action,
    keys: &[&str],
    help: &'static str,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        name,
        action,
        keys: keys
            .iter()
            .map(|k| Key::parse(k).unwrap_or_else(|e| panic!("built-in key {k}: {e}")))
            .collect(),
        help,
        footer,
    }
}

/// Every screen's bindings.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    /// Indexed by `Screen::index`.
    screens: Vec<Vec<Binding>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::built_in()
    }
}

/// The presets `[keys] preset` can name, and the file each one is.
pub const PRESETS: [(&str, &str); 2] = [
    ("default", ""),
    ("vim", include_str!("../../../assets/keymaps/vim.toml")),
];

/// Where the preset files are in the repository (for messages).
pub const PRESET_DIR: &str = "assets/keymaps";

/// A `[keys]` section (or a preset file) that cannot be used, and where:
/// the caller turns `path` into a line of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct KeysError {
    /// The preset whose file is wrong; `None`: the config file.
    pub preset: Option<&'static str>,
    /// The dotted path of the entry (`keys.list.down`) or of the table
    /// (`keys.lsit`); in a preset file, from its top (`list.down`).
    pub path: String,
    /// The key as written, when one of an entry's keys is wrong.
    pub key: Option<String>,
    pub message: String,
}

impl Keymap {
    pub fn bindings(&self, screen: Screen) -> &[Binding] {
        &self.screens[screen.index()]
    }

    pub fn binding(&self, screen: Screen, name: &str) -> Option<&Binding> {
        self.bindings(screen).iter().find(|b| b.name == name)
    }

    /// The action `key` is bound to on `screen`.
    pub fn action(&self, screen: Screen, key: Key) -> Option<Action> {
        self.bindings(screen)
            .iter()
            .find(|b| b.keys.contains(&key))
            .map(|b| b.action.clone())
    }
}

#[cfg(test)]
mod tests;

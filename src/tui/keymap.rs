//! The keymap: for every screen, its actions as data (a stable name, the
//! keys, the help text, the footer word). `keys::action_for` reads it, and
//! the footer and the `?` help are built from it, so both always show the
//! keys really bound. The config's `[keys]` section, on top of a preset,
//! changes only the actions it names.

use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::state::{Action, Column, QuickFilter};
use super::theme::Theme;

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
}

impl Screen {
    pub const ALL: [Screen; 11] = [
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
        }
    }

    fn from_name(name: &str) -> Option<Screen> {
        Screen::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Printable keys type text here, so they cannot be bound.
    pub fn takes_text(self) -> bool {
        matches!(self, Screen::Filter | Screen::Override | Screen::Editor)
    }

    fn index(self) -> usize {
        self as usize
    }
}

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
const NAMED: [(&str, KeyCode); 16] = [
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
const ALIASES: [(&str, &str); 7] = [
    ("PgUp", "PageUp"),
    ("PgDn", "PageDown"),
    ("PgDown", "PageDown"),
    ("Return", "Enter"),
    ("Escape", "Esc"),
    ("Del", "Delete"),
    ("Ins", "Insert"),
];

const MODIFIERS: [(&str, KeyModifiers); 3] = [
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

    fn normalized(mut self) -> Key {
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

fn named(name: &str) -> Option<KeyCode> {
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

fn code_name(code: KeyCode) -> String {
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
    ("vim", include_str!("../../assets/keymaps/vim.toml")),
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
    /// buyerdesk's own keys: arrows and vim's hjkl both.
    pub fn built_in() -> Keymap {
        use Action as A;
        let move_keys = |help_up, help_down, footer| {
            vec![
                bind("up", A::Up, &["Up", "k"], help_up, footer),
                bind("down", A::Down, &["Down", "j"], help_down, footer),
            ]
        };
        let mut list = move_keys("up", "down", Some("move"));
        list.extend([
            bind("page_up", A::PageUp, &["PageUp", "ctrl-b"], "page up", None),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "page down",
                None,
            ),
            bind("top", A::Top, &["Home", "g"], "first product", None),
            bind("bottom", A::Bottom, &["End", "G"], "last product", None),
            bind(
                "open_detail",
                A::OpenDetail,
                &["Enter", "l", "Right"],
                "why: the rationale",
                Some("why"),
            ),
            bind(
                "back",
                A::Back,
                &["Esc", "h", "Left"],
                "clear the message",
                None,
            ),
            bind(
                "filter",
                A::StartFilter,
                &["/"],
                "filter: id, name, supplier",
                Some("filter"),
            ),
            bind(
                "needs_order",
                A::Quick(QuickFilter::NeedsOrder),
                &["n"],
                "only those needing an order",
                Some(""),
            ),
            bind(
                "has_exceptions",
                A::Quick(QuickFilter::HasExceptions),
                &["!"],
                "only those with exceptions",
                Some(""),
            ),
            bind(
                "this_supplier",
                A::ToggleSupplierFilter,
                &["s"],
                "only this product's supplier",
                Some(""),
            ),
            bind(
                "clear_filter",
                A::ClearFilter,
                &["c"],
                "clear the filters",
                Some(""),
            ),
        ]);
        // Number keys sort by the list's columns, left to right.
        for (name, column, key) in [
            ("sort_product", Column::Product, "1"),
            ("sort_name", Column::Name, "2"),
            ("sort_supplier", Column::Supplier, "3"),
            ("sort_demand", Column::Demand, "4"),
            ("sort_available", Column::Available, "5"),
            ("sort_on_order", Column::OnOrder, "6"),
            ("sort_cover", Column::Cover, "7"),
            ("sort_order", Column::Order, "8"),
            ("sort_amount", Column::Amount, "9"),
            ("sort_attention", Column::Exceptions, "0"),
        ] {
            list.push(bind(
                name,
                A::SortBy(column),
                &[key],
                column_name(column),
                None,
            ));
        }
        let override_ = bind(
            "override",
            A::OpenOverride,
            &["o"],
            "override the quantity",
            Some("override"),
        );
        let clear_override = |footer| {
            bind(
                "clear_override",
                A::ClearOverride,
                &["x"],
                "clear the override",
                footer,
            )
        };
        let refresh = bind(
            "refresh",
            A::Refresh,
            &["r"],
            "refresh every source now",
            None,
        );
        let sources = bind(
            "sources",
            A::ToggleSources,
            &["i"],
            "sources: state, age, errors",
            None,
        );
        let help = |keys: &[&str]| bind("help", A::ToggleHelp, keys, "this help", Some("help"));
        let quit = bind("quit", A::Quit, &["q"], "quit", Some("quit"));
        list.extend([
            override_.clone(),
            clear_override(Some("clear")),
            bind(
                "toggle_select",
                A::ToggleSelect,
                &["Space"],
                "select / unselect to order",
                None,
            ),
            bind(
                "select_all_needed",
                A::SelectAllNeeded,
                &["a"],
                "select all needing an order",
                None,
            ),
            bind(
                "clear_selection",
                A::ClearSelection,
                &["u"],
                "unselect all",
                None,
            ),
            refresh.clone(),
            sources.clone(),
            bind(
                "draft_orders",
                A::DraftOrders,
                &["P"],
                "draft POs (selected, else all)",
                None,
            ),
            bind("orders", A::OpenOrders, &["O"], "the purchase orders", None),
            bind(
                "rules",
                A::OpenEditor,
                &["R"],
                "edit the rules",
                Some("rules"),
            ),
            bind(
                "rules_in_editor",
                A::ExternalEditor,
                &["e"],
                "the rules file in $EDITOR",
                None,
            ),
            help(&["?"]),
            quit.clone(),
        ]);

        let mut detail = move_keys("scroll up", "scroll down", Some("scroll"));
        detail.extend([
            bind(
                "page_up",
                A::PageUp,
                &["PageUp", "ctrl-b"],
                "page up",
                Some("scroll"),
            ),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "page down",
                Some("scroll"),
            ),
            bind("top", A::Top, &["Home", "g"], "first step", None),
            bind("bottom", A::Bottom, &["End", "G"], "last step", None),
            bind(
                "back",
                A::Back,
                &["Esc", "h", "Left"],
                "back to the list",
                Some("back"),
            ),
            override_,
            clear_override(None),
            bind(
                "charts",
                A::ToggleCharts,
                &["v"],
                "charts or steps (80x24)",
                Some("charts"),
            ),
            refresh,
            sources,
            help(&["?"]),
            quit,
        ]);

        let filter = vec![
            bind(
                "done",
                A::FilterDone,
                &["Enter"],
                "keep the filter",
                Some("keep"),
            ),
            bind(
                "cancel",
                A::ClearFilter,
                &["Esc"],
                "clear the filter",
                Some("cancel"),
            ),
            bind(
                "backspace",
                A::FilterBackspace,
                &["Backspace"],
                "delete the last character",
                None,
            ),
            bind("up", A::Up, &["Up"], "up the list", None),
            bind("down", A::Down, &["Down"], "down the list", None),
            help(&["F1"]),
        ];

        let override_popup = vec![
            bind("save", A::FormSubmit, &["Enter"], "save", Some("save")),
            bind(
                "next_field",
                A::FormNextField,
                &["Tab", "Down"],
                "next field",
                Some("next"),
            ),
            bind(
                "previous_field",
                A::FormPrevField,
                &["BackTab", "Up"],
                "previous field",
                None,
            ),
            bind(
                "previous_choice",
                A::FormChoice(false),
                &["Left"],
                "previous unit or reason",
                Some("change"),
            ),
            bind(
                "next_choice",
                A::FormChoice(true),
                &["Right"],
                "next unit or reason (Space too)",
                Some("change"),
            ),
            bind(
                "backspace",
                A::FormBackspace,
                &["Backspace"],
                "delete the last character",
                None,
            ),
            bind("cancel", A::Back, &["Esc"], "cancel", Some("cancel")),
            help(&["F1"]),
        ];

        // The help (with the list's legend) scrolls on a small screen.
        let mut help_popup = move_keys("scroll up", "scroll down", Some("scroll"));
        help_popup.extend([
            bind("page_up", A::PageUp, &["PageUp", "ctrl-b"], "page up", None),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "page down",
                None,
            ),
            bind("top", A::Top, &["Home", "g"], "top", None),
            bind("bottom", A::Bottom, &["End", "G"], "end", None),
            bind(
                "close",
                A::ToggleHelp,
                &["Esc", "?", "q"],
                "close the help",
                Some("close"),
            ),
        ]);
        let sources_popup = vec![bind(
            "close",
            A::ToggleSources,
            &["Esc", "i", "q"],
            "close the sources",
            Some("close"),
        )];

        let editor = vec![
            bind(
                "close",
                A::CloseEditor,
                &["Esc"],
                "leave (edits kept as a draft)",
                Some("leave"),
            ),
            bind(
                "apply",
                A::ApplyRules,
                &["ctrl-s"],
                "apply (only without errors)",
                Some("apply"),
            ),
            bind(
                "next_problem",
                A::NextProblem,
                &["F2"],
                "next error, then warning",
                Some("next error"),
            ),
            bind(
                "dry_run",
                A::DryRun,
                &["F5"],
                "try on every product (changes nothing)",
                Some("try"),
            ),
            bind(
                "discard",
                A::DiscardEdits,
                &["F8"],
                "discard the edits (and the draft)",
                None,
            ),
            help(&["F1"]),
        ];

        // The keys acting on a PO, the same on the list of POs and on one.
        let po_keys = |reload_help| {
            [
                bind(
                    "approve",
                    A::ApprovePo,
                    &["A"],
                    "approve (asks first)",
                    Some("approve"),
                ),
                bind(
                    "send",
                    A::SendPo,
                    &["S"],
                    "send to the supplier (again: retry)",
                    Some("send"),
                ),
                bind(
                    "cancel",
                    A::CancelPo,
                    &["X"],
                    "cancel (asks first)",
                    Some("cancel"),
                ),
                bind("reload", A::ReloadOrders, &["r"], reload_help, None),
            ]
        };
        let mut orders = move_keys("up", "down", Some("move"));
        orders.extend([
            bind("page_up", A::PageUp, &["PageUp", "ctrl-b"], "page up", None),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "page down",
                None,
            ),
            bind("top", A::Top, &["Home", "g"], "newest PO", None),
            bind("bottom", A::Bottom, &["End", "G"], "oldest PO", None),
            bind(
                "open",
                A::OpenDetail,
                &["Enter", "l", "Right"],
                "the PO: lines and send attempts",
                Some("open"),
            ),
        ]);
        orders.extend(po_keys("read the POs again"));
        orders.extend([
            bind(
                "back",
                A::Back,
                &["Esc", "q", "h", "Left"],
                "back to the products",
                Some("back"),
            ),
            help(&["?"]),
        ]);

        let mut order = move_keys("scroll up", "scroll down", Some("scroll"));
        order.extend([
            bind(
                "page_up",
                A::PageUp,
                &["PageUp", "ctrl-b"],
                "page up",
                Some("scroll"),
            ),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "page down",
                Some("scroll"),
            ),
            bind("top", A::Top, &["Home", "g"], "top", None),
            bind("bottom", A::Bottom, &["End", "G"], "end", None),
        ]);
        order.extend(po_keys("read the PO again"));
        order.extend([
            bind(
                "back",
                A::Back,
                &["Esc", "q", "h", "Left"],
                "back to the POs",
                Some("back"),
            ),
            help(&["?"]),
        ]);

        let confirm = vec![
            bind("yes", A::Confirm(true), &["y"], "yes", Some("yes")),
            bind("no", A::Confirm(false), &["n", "Esc"], "no", Some("no")),
        ];
        let drafted = vec![
            bind("up", A::Up, &["Up", "k"], "scroll up", Some("scroll")),
            bind(
                "down",
                A::Down,
                &["Down", "j"],
                "scroll down",
                Some("scroll"),
            ),
            bind("page_up", A::PageUp, &["PageUp"], "page up", None),
            bind("page_down", A::PageDown, &["PageDown"], "page down", None),
            bind(
                "close",
                A::Back,
                &["Esc", "Enter", "q"],
                "close: the POs",
                Some("close"),
            ),
        ];

        let mut screens = vec![Vec::new(); Screen::ALL.len()];
        for (screen, bindings) in [
            (Screen::List, list),
            (Screen::Detail, detail),
            (Screen::Filter, filter),
            (Screen::Override, override_popup),
            (Screen::Help, help_popup),
            (Screen::Sources, sources_popup),
            (Screen::Editor, editor),
            (Screen::Orders, orders),
            (Screen::Order, order),
            (Screen::Confirm, confirm),
            (Screen::Drafted, drafted),
        ] {
            screens[screen.index()] = bindings;
        }
        Keymap { screens }
    }

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

    /// The built-in keys, then the preset `[keys]` names, then the
    /// section's own entries.
    pub fn from_config(keys: &KeysConfig) -> Result<Keymap, KeysError> {
        let mut keymap = Keymap::built_in();
        if let Some((_, value)) = keys.entries.iter().find(|(name, _)| name == "preset") {
            let error = |message: String| KeysError {
                preset: None,
                path: "keys.preset".to_string(),
                key: None,
                message,
            };
            let KeysValue::Text(name) = value else {
                return Err(error(
                    "[keys] preset: a name, e.g. preset = \"vim\"".to_string(),
                ));
            };
            let Some(&(name, text)) = PRESETS.iter().find(|(n, _)| *n == name.as_str()) else {
                return Err(error(format!(
                    "[keys] preset: unknown preset '{name}' (there are {})",
                    PRESETS.map(|(n, _)| n).join(", ")
                )));
            };
            let layer: KeysConfig = toml::from_str(text).map_err(|e| KeysError {
                preset: Some(name),
                path: String::new(),
                key: None,
                message: e.to_string(),
            })?;
            keymap.apply(&layer, None).map_err(|e| KeysError {
                preset: Some(name),
                ..e
            })?;
        }
        keymap.apply(keys, Some("keys"))?;
        Ok(keymap)
    }

    /// Gives each action a layer names exactly the keys it lists. Entries at
    /// the top of the layer are for the list and the detail; a table is for
    /// one screen and wins over the top. `section` is the layer's table in
    /// the config file (`keys`), `None` for a preset file.
    fn apply(&mut self, layer: &KeysConfig, section: Option<&str>) -> Result<(), KeysError> {
        let path = |parts: &[&str]| {
            section
                .into_iter()
                .chain(parts.iter().copied())
                .collect::<Vec<_>>()
                .join(".")
        };
        // How messages name a table: `[keys.list]`, `[keys]`, or in a
        // preset file `[list]` and "the top level".
        let table = |screen: Option<&str>| match path(screen.as_slice()) {
            p if p.is_empty() => "the top level".to_string(),
            p => format!("[{p}]"),
        };
        let err = |path: String, message: String| KeysError {
            preset: None,
            path,
            key: None,
            message,
        };
        // (screen, action, where it was named): what this layer set, for
        // messages about clashes.
        let mut named: Vec<(Screen, &'static str, String, String)> = Vec::new();
        let mut tables = Vec::new();
        for (name, value) in &layer.entries {
            if let KeysValue::Table(entries) = value {
                tables.push((name, entries));
                continue;
            }
            if name == "preset" && section.is_some() {
                continue;
            }
            let on: Vec<Screen> = [Screen::List, Screen::Detail]
                .into_iter()
                .filter(|s| self.binding(*s, name).is_some())
                .collect();
            if on.is_empty() {
                return Err(err(
                    path(&[name]),
                    format!(
                        "{}: unknown action '{name}'; the list and the detail have {}",
                        table(None),
                        self.names(&[Screen::List, Screen::Detail]).join(", ")
                    ),
                ));
            }
            let here = format!("{} {name}", table(None));
            let keys = self.keys_of(value, Screen::List, &here, path(&[name]))?;
            for screen in on {
                let set = self.set(screen, name, keys.clone());
                named.push((screen, set, path(&[name]), table(None)));
            }
        }
        for (screen_name, entries) in tables {
            let Some(screen) = Screen::from_name(screen_name) else {
                return Err(err(
                    path(&[screen_name]),
                    format!(
                        "{}: unknown screen '{screen_name}' (there are {})",
                        table(Some(screen_name)),
                        Screen::ALL.map(Screen::name).join(", ")
                    ),
                ));
            };
            let here = table(Some(screen.name()));
            for (name, value) in entries {
                let at = path(&[screen.name(), name]);
                if matches!(value, KeysValue::Table(_)) {
                    return Err(err(
                        at,
                        format!("{here} {name}: a list of keys, not a table"),
                    ));
                }
                if self.binding(screen, name).is_none() {
                    return Err(err(
                        at,
                        format!(
                            "{here}: unknown action '{name}'; {} has {}",
                            screen.title(),
                            self.names(&[screen]).join(", ")
                        ),
                    ));
                }
                let keys = self.keys_of(value, screen, &format!("{here} {name}"), at.clone())?;
                let set = self.set(screen, name, keys);
                named.push((screen, set, at, here.clone()));
            }
        }
        // One key, one action per screen. The clash is reported where this
        // layer named one of the actions involved.
        for (screen, action, at, here) in &named {
            let Some(binding) = self.binding(*screen, action) else {
                continue;
            };
            for key in &binding.keys {
                let other = self
                    .bindings(*screen)
                    .iter()
                    .find(|b| b.name != *action && b.keys.contains(key));
                if let Some(other) = other {
                    return Err(err(
                        at.clone(),
                        format!(
                            "{here} {action}: '{key}' is also bound to {} on {}; \
                             give {} other keys too",
                            other.name,
                            screen.title(),
                            other.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Replaces the keys of one action; returns its name.
    fn set(&mut self, screen: Screen, name: &str, keys: Vec<Key>) -> &'static str {
        let binding = self.screens[screen.index()]
            .iter_mut()
            .find(|b| b.name == name)
            .expect("checked by the caller");
        binding.keys = keys;
        binding.name
    }

    /// The keys an entry lists, parsed and checked for `screen`. `here`
    /// names the entry in messages, `path` is where it is.
    fn keys_of(
        &self,
        value: &KeysValue,
        screen: Screen,
        here: &str,
        path: String,
    ) -> Result<Vec<Key>, KeysError> {
        let specs: &[String] = match value {
            KeysValue::Text(s) => std::slice::from_ref(s),
            KeysValue::Keys(list) => list,
            KeysValue::Table(_) => unreachable!("tables are screens"),
        };
        let mut keys = Vec::new();
        for spec in specs {
            let problem = |message: String| KeysError {
                preset: None,
                path: path.clone(),
                key: Some(spec.clone()),
                message: format!("{here}: {message}"),
            };
            let key = Key::parse(spec).map_err(problem)?;
            if key == Key::CTRL_C {
                return Err(problem(
                    "ctrl-c always quits; it cannot be bound".to_string(),
                ));
            }
            if screen.takes_text() && key.types_text() {
                return Err(problem(format!(
                    "'{spec}' types into {}; bind a named key or one with ctrl- or alt-",
                    screen.title()
                )));
            }
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    /// The action names of the screens, each once, in table order.
    fn names(&self, screens: &[Screen]) -> Vec<&'static str> {
        let mut names = Vec::new();
        for s in screens {
            for b in self.bindings(*s) {
                if !names.contains(&b.name) {
                    names.push(b.name);
                }
            }
        }
        names
    }

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
fn label_of(b: &Binding, theme: &Theme, separator: &str) -> String {
    let mut labels: Vec<String> = b.keys.iter().map(|k| k.label(theme)).collect();
    if b.action == Action::Quit && !b.keys.contains(&Key::CTRL_C) {
        labels.push(Key::CTRL_C.label(theme));
    }
    labels.join(separator)
}

/// `↑↓` for arrows side by side, `n e s c` for letters, `↑ ^N` otherwise.
fn join_keys(keys: &[String]) -> String {
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
fn column(entries: &[(String, &str)], width: usize) -> Vec<String> {
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
pub(super) fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
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

fn column_name(c: Column) -> &'static str {
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
    }
}

/// The `[keys]` section as written (or a preset file), entries in file
/// order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeysConfig {
    pub entries: Vec<(String, KeysValue)>,
}

/// The value of one entry.
#[derive(Debug, Clone, PartialEq)]
pub enum KeysValue {
    /// `down = "j"`, or `preset = "vim"`.
    Text(String),
    /// `down = ["j", "Down"]`
    Keys(Vec<String>),
    /// `[keys.detail]`: a screen's entries.
    Table(Vec<(String, KeysValue)>),
}

impl<'de> Deserialize<'de> for KeysConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match KeysValue::deserialize(deserializer)? {
            KeysValue::Table(entries) => Ok(KeysConfig { entries }),
            _ => Err(de::Error::custom("[keys] must be a table")),
        }
    }
}

impl<'de> Deserialize<'de> for KeysValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = KeysValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key, a list of keys, or a table of actions")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeysValue, E> {
                Ok(KeysValue::Text(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeysValue, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<String>()? {
                    keys.push(key);
                }
                Ok(KeysValue::Keys(keys))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeysValue, A::Error> {
                let mut entries = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    entries.push((name, map.next_value::<KeysValue>()?));
                }
                Ok(KeysValue::Table(entries))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(spec: &str) -> Key {
        Key::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    /// A keymap from a config file's text (its `[keys]` section).
    fn keymap(text: &str) -> Result<Keymap, KeysError> {
        #[derive(serde::Deserialize)]
        struct File {
            #[serde(default)]
            keys: KeysConfig,
        }
        let file: File = toml::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        Keymap::from_config(&file.keys)
    }

    fn keys_of(map: &Keymap, screen: Screen, name: &str) -> Vec<String> {
        map.binding(screen, name)
            .unwrap_or_else(|| panic!("{screen:?} has no {name}"))
            .keys
            .iter()
            .map(Key::to_string)
            .collect()
    }

    /// The (screen, action) pairs whose keys differ between two keymaps.
    fn changed(a: &Keymap, b: &Keymap) -> Vec<(Screen, &'static str)> {
        let mut out = Vec::new();
        for screen in Screen::ALL {
            assert_eq!(a.bindings(screen).len(), b.bindings(screen).len());
            for (x, y) in a.bindings(screen).iter().zip(b.bindings(screen)) {
                assert_eq!(
                    (x.name, &x.action, x.help),
                    (y.name, &y.action, y.help),
                    "only keys change"
                );
                if x.keys != y.keys {
                    out.push((screen, x.name));
                }
            }
        }
        out
    }

    #[test]
    fn keys_parse_from_characters_names_and_modifiers() {
        let ctrl = KeyModifiers::CONTROL;
        for (spec, code, modifiers) in [
            ("j", KeyCode::Char('j'), KeyModifiers::NONE),
            ("G", KeyCode::Char('G'), KeyModifiers::NONE),
            ("?", KeyCode::Char('?'), KeyModifiers::NONE),
            ("-", KeyCode::Char('-'), KeyModifiers::NONE),
            ("ctrl-d", KeyCode::Char('d'), ctrl),
            // Terminals cannot tell ctrl-D from ctrl-d.
            ("CTRL-D", KeyCode::Char('d'), ctrl),
            ("ctrl--", KeyCode::Char('-'), ctrl),
            ("alt-x", KeyCode::Char('x'), KeyModifiers::ALT),
            ("ctrl-alt-Up", KeyCode::Up, ctrl | KeyModifiers::ALT),
            ("Down", KeyCode::Down, KeyModifiers::NONE),
            ("down", KeyCode::Down, KeyModifiers::NONE),
            ("PageDown", KeyCode::PageDown, KeyModifiers::NONE),
            ("PgDn", KeyCode::PageDown, KeyModifiers::NONE),
            ("Enter", KeyCode::Enter, KeyModifiers::NONE),
            ("Return", KeyCode::Enter, KeyModifiers::NONE),
            ("Esc", KeyCode::Esc, KeyModifiers::NONE),
            ("Space", KeyCode::Char(' '), KeyModifiers::NONE),
            ("F5", KeyCode::F(5), KeyModifiers::NONE),
            ("f12", KeyCode::F(12), KeyModifiers::NONE),
            ("shift-Tab", KeyCode::BackTab, KeyModifiers::NONE),
            ("shift-g", KeyCode::Char('G'), KeyModifiers::NONE),
            ("shift-Up", KeyCode::Up, KeyModifiers::SHIFT),
        ] {
            assert_eq!(key(spec), Key { code, modifiers }, "{spec}");
            // What Display writes parses back to the same key.
            assert_eq!(key(&key(spec).to_string()), key(spec), "{spec}");
        }
    }

    #[test]
    fn unknown_keys_and_modifiers_are_named_in_the_error() {
        for (spec, expected) in [
            ("", "an empty key name"),
            ("Pagedwn", "unknown key 'Pagedwn'"),
            ("F13", "unknown key 'F13'"),
            ("F0", "unknown key 'F0'"),
            ("F05", "unknown key 'F05'"),
            ("cmd-x", "unknown modifier 'cmd-' in 'cmd-x'"),
            ("ctrl-", "'ctrl-': no key after the modifier"),
            ("ctrl-alt-", "'ctrl-alt-': no key after the modifier"),
            ("shift-?", "write the character itself"),
        ] {
            let e = Key::parse(spec).unwrap_err();
            assert!(e.contains(expected), "{spec:?}: {e}");
        }
        assert!(Key::parse("Pagedwn")
            .unwrap_err()
            .contains("PageDown, Home, End, Enter, Esc"));
    }

    #[test]
    fn terminal_events_match_the_keys_the_config_writes() {
        let event = |code, modifiers| Key::from_event(&KeyEvent::new(code, modifiers));
        assert_eq!(
            event(KeyCode::Char('G'), KeyModifiers::SHIFT),
            key("G"),
            "shift reported"
        );
        assert_eq!(event(KeyCode::Char('G'), KeyModifiers::NONE), key("G"));
        assert_eq!(
            event(
                KeyCode::Char('D'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            ),
            key("ctrl-d")
        );
        assert_eq!(event(KeyCode::BackTab, KeyModifiers::SHIFT), key("BackTab"));
        assert_ne!(event(KeyCode::Char('d'), KeyModifiers::NONE), key("ctrl-d"));
        assert_ne!(event(KeyCode::Up, KeyModifiers::SHIFT), key("Up"));
    }

    #[test]
    fn labels_in_unicode_and_ascii() {
        let unicode = Theme::default();
        let ascii = Theme {
            color: true,
            ascii: true,
        };
        for (spec, u, a) in [
            ("Up", "↑", "Up"),
            ("Right", "→", "Right"),
            ("ctrl-d", "^D", "^D"),
            ("PageDown", "PgDn", "PgDn"),
            ("Space", "Space", "Space"),
            ("alt-Left", "Alt-←", "Alt-Left"),
            ("ctrl-Space", "Ctrl-Space", "Ctrl-Space"),
            ("F1", "F1", "F1"),
        ] {
            assert_eq!(
                (key(spec).label(&unicode), key(spec).label(&ascii)),
                (u.to_string(), a.to_string()),
                "{spec}"
            );
        }
    }

    #[test]
    fn the_built_in_keymap_is_consistent() {
        let map = Keymap::built_in();
        for screen in Screen::ALL {
            let bindings = map.bindings(screen);
            assert!(!bindings.is_empty(), "{screen:?}");
            for (i, b) in bindings.iter().enumerate() {
                assert!(
                    b.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{screen:?}: {} is not snake_case",
                    b.name
                );
                for other in &bindings[i + 1..] {
                    assert_ne!(b.name, other.name, "{screen:?}: named twice");
                    for k in &b.keys {
                        assert!(
                            !other.keys.contains(k),
                            "{screen:?}: {k} is bound to {} and {}",
                            b.name,
                            other.name
                        );
                    }
                }
                for k in &b.keys {
                    assert!(
                        !(screen.takes_text() && k.types_text()),
                        "{screen:?}: {k} would type"
                    );
                    assert_ne!(*k, Key::CTRL_C);
                }
            }
        }
        assert_eq!(map.action(Screen::List, key("j")), Some(Action::Down));
        assert_eq!(map.action(Screen::Detail, key("G")), Some(Action::Bottom));
        assert_eq!(
            map.action(Screen::List, key("0")),
            Some(Action::SortBy(Column::Exceptions))
        );
        assert_eq!(
            map.action(Screen::Detail, key("0")),
            None,
            "no sorting there"
        );
        assert_eq!(map.action(Screen::Filter, key("j")), None, "j types");
        assert_eq!(map, keymap("").unwrap(), "no [keys]: the built-in keys");
        assert_eq!(
            map,
            keymap("[keys]\npreset = \"default\"\n").unwrap(),
            "the default preset is the built-in keys"
        );
    }

    #[test]
    fn an_entry_changes_only_the_action_it_names() {
        let base = Keymap::built_in();
        // At the top of [keys]: the list and the detail.
        let map = keymap("[keys]\ndown = [\"ctrl-n\"]\n").unwrap();
        assert_eq!(
            changed(&base, &map),
            [(Screen::List, "down"), (Screen::Detail, "down")]
        );
        assert_eq!(keys_of(&map, Screen::List, "down"), ["ctrl-n"]);
        assert_eq!(map.action(Screen::List, key("j")), None, "j replaced");
        assert_eq!(map.action(Screen::List, key("k")), Some(Action::Up));
        assert_eq!(keys_of(&map, Screen::Filter, "down"), ["Down"]);

        // A table: that screen only; a single key may be a string.
        let map = keymap("[keys.detail]\ndown = \"ctrl-e\"\n").unwrap();
        assert_eq!(changed(&base, &map), [(Screen::Detail, "down")]);
        assert_eq!(keys_of(&map, Screen::Detail, "down"), ["ctrl-e"]);

        // The table wins over the top for its screen, whatever the order.
        let map = keymap(
            "[keys.list]\nquit = [\"Q\"]\n[keys]\nquit = [\"ctrl-q\", \"q\"]\npreset = \"default\"\n",
        );
        // (TOML refuses [keys] after [keys.list]? No: it is allowed.)
        let map = map.unwrap();
        assert_eq!(keys_of(&map, Screen::List, "quit"), ["Q"]);
        assert_eq!(keys_of(&map, Screen::Detail, "quit"), ["ctrl-q", "q"]);

        // Swapping two actions' keys is fine: clashes are checked once the
        // whole section applies. An empty list unbinds.
        let map = keymap("[keys.list]\nup = [\"j\"]\ndown = [\"k\"]\nrefresh = []\n").unwrap();
        assert_eq!(
            changed(&base, &map),
            [
                (Screen::List, "up"),
                (Screen::List, "down"),
                (Screen::List, "refresh")
            ]
        );
        assert_eq!(map.action(Screen::List, key("r")), None);
        assert_eq!(map.action(Screen::List, key("j")), Some(Action::Up));

        // Keys listed twice count once; a text screen takes named keys.
        let map = keymap(
            "[keys.override]\nsave = [\"Enter\", \"ctrl-s\", \"ctrl-S\"]\n[keys.filter]\ndone = [\"Enter\", \"alt-j\"]\n",
        )
        .unwrap();
        assert_eq!(keys_of(&map, Screen::Override, "save"), ["Enter", "ctrl-s"]);
        assert_eq!(
            map.action(Screen::Filter, key("alt-j")),
            Some(Action::FilterDone)
        );
    }

    fn error(text: &str) -> KeysError {
        match keymap(text) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e,
        }
    }

    /// Where an error is: the entry's path and the key as written.
    fn at(e: &KeysError) -> (&str, Option<&str>) {
        (e.path.as_str(), e.key.as_deref())
    }

    #[test]
    fn mistakes_are_refused_and_say_where() {
        let e = error("[keys]\ndwon = [\"j\"]\n");
        assert_eq!(at(&e), ("keys.dwon", None));
        assert!(
            e.message.starts_with(
                "[keys]: unknown action 'dwon'; the list and the detail have up, down,"
            ),
            "{e:?}"
        );

        let e = error("[keys.filter]\nopen_detail = [\"F2\"]\n");
        assert_eq!(at(&e), ("keys.filter.open_detail", None));
        assert!(
            e.message.contains("the filter prompt has done, cancel"),
            "{e:?}"
        );

        let e = error("[keys]\ndown = [\"j\", \"PgDwn\"]\n");
        assert_eq!(at(&e), ("keys.down", Some("PgDwn")));
        assert!(
            e.message.starts_with("[keys] down: unknown key 'PgDwn'"),
            "{e:?}"
        );

        let e = error("[keys.lsit]\ndown = [\"j\"]\n");
        assert_eq!(at(&e), ("keys.lsit", None));
        assert!(
            e.message.contains(
                "unknown screen 'lsit' (there are list, detail, filter, override, help, sources, editor, orders, order, confirm, drafted)"
            ),
            "{e:?}"
        );

        // One key, two actions, on one screen: k is still up's.
        let e = error("[keys.list]\ndown = [\"j\", \"k\"]\n");
        assert_eq!(at(&e), ("keys.list.down", None));
        assert_eq!(
            e.message,
            "[keys.list] down: 'k' is also bound to up on the list; give up other keys too"
        );
        // ... also when the top of [keys] makes the clash.
        let e = error("[keys]\nback = [\"v\"]\n");
        assert_eq!(at(&e), ("keys.back", None));
        assert!(
            e.message
                .contains("'v' is also bound to charts on the detail"),
            "{e:?}"
        );

        let e = error("[keys]\nrefresh = [\"ctrl-c\"]\n");
        assert!(e.message.contains("ctrl-c always quits"), "{e:?}");

        let e = error("[keys.filter]\ndone = [\"Enter\", \"x\"]\n");
        assert_eq!(at(&e), ("keys.filter.done", Some("x")));
        assert!(
            e.message.contains("'x' types into the filter prompt"),
            "{e:?}"
        );

        let e = error("[keys]\npreset = \"emacs\"\n");
        assert_eq!(at(&e), ("keys.preset", None));
        assert!(
            e.message
                .contains("unknown preset 'emacs' (there are default, vim)"),
            "{e:?}"
        );

        let e = error("[keys.list.more]\ndown = [\"j\"]\n");
        assert_eq!(at(&e), ("keys.list.more", None));
        assert!(e.message.contains("a list of keys, not a table"), "{e:?}");
        assert!(error("[keys]\npreset = [\"vim\"]\n")
            .message
            .contains("preset: a name"));
        // Errors are about the user's file, not a preset's.
        assert_eq!(error("[keys]\npreset = \"vim\"\nx = []\n").preset, None);
        // Dotted keys work as well as tables.
        let map = keymap("[keys]\nlist.down = [\"ctrl-n\"]\n").unwrap();
        assert_eq!(keys_of(&map, Screen::List, "down"), ["ctrl-n"]);
        assert_eq!(keys_of(&map, Screen::Detail, "down"), ["Down", "j"]);
    }

    #[test]
    fn the_vim_preset_changes_exactly_the_keys_it_names() {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == "vim").unwrap();
        let base = Keymap::built_in();
        let vim = keymap("[keys]\npreset = \"vim\"\n").unwrap();
        // What the file names, screen by screen.
        let file: KeysConfig = toml::from_str(text).unwrap();
        let mut named = Vec::new();
        for (name, value) in &file.entries {
            match value {
                KeysValue::Table(entries) => {
                    let screen = Screen::from_name(name).unwrap();
                    for (action, _) in entries {
                        named.push((screen, action.clone()));
                    }
                }
                _ => {
                    for screen in [Screen::List, Screen::Detail] {
                        named.push((screen, name.clone()));
                    }
                }
            }
        }
        let mut changed: Vec<(Screen, String)> = changed(&base, &vim)
            .into_iter()
            .map(|(s, n)| (s, n.to_string()))
            .collect();
        let key_of = |(s, n): &(Screen, String)| (s.index(), n.clone());
        changed.sort_by_key(key_of);
        named.sort_by_key(key_of);
        assert_eq!(changed, named, "the preset changes what it names, no more");
        for (screen, action, keys) in [
            (
                Screen::List,
                "page_down",
                &["PageDown", "ctrl-f", "ctrl-d"][..],
            ),
            (Screen::Detail, "page_up", &["PageUp", "ctrl-b", "ctrl-u"]),
            (Screen::Detail, "down", &["Down", "j", "ctrl-e"]),
            (Screen::Detail, "up", &["Up", "k", "ctrl-y"]),
            (Screen::List, "down", &["Down", "j", "ctrl-n"]),
            (Screen::Override, "next_field", &["Tab", "Down", "ctrl-n"]),
        ] {
            assert_eq!(keys_of(&vim, screen, action), keys, "{screen:?} {action}");
        }
        // It keeps buyerdesk's own keys for what it names.
        for screen in Screen::ALL {
            for b in base.bindings(screen) {
                let now = vim.binding(screen, b.name).unwrap();
                for k in &b.keys {
                    assert!(now.keys.contains(k), "{screen:?} {} lost {k}", b.name);
                }
            }
        }
    }

    #[test]
    fn user_entries_apply_on_top_of_the_preset() {
        let vim = keymap("[keys]\npreset = \"vim\"\n").unwrap();
        let map = keymap(
            "[keys]\npreset = \"vim\"\npage_down = [\"Space\"]\n[keys.list]\ntoggle_select = [\"t\"]\n[keys.detail]\ndown = [\"ctrl-n\"]\n",
        )
        .unwrap();
        assert_eq!(
            changed(&vim, &map),
            [
                (Screen::List, "page_down"),
                (Screen::List, "toggle_select"),
                (Screen::Detail, "down"),
                (Screen::Detail, "page_down"),
            ]
        );
        assert_eq!(keys_of(&map, Screen::Detail, "down"), ["ctrl-n"]);
        assert_eq!(
            keys_of(&map, Screen::Detail, "up"),
            ["Up", "k", "ctrl-y"],
            "the preset's other keys stay"
        );
        assert_eq!(map.action(Screen::List, key("ctrl-d")), None);
        assert_eq!(
            map.action(Screen::List, key("Space")),
            Some(Action::PageDown)
        );
    }

    #[test]
    fn the_footer_shows_the_main_keys_and_fits() {
        let map = Keymap::built_in();
        let theme = Theme::default();
        assert_eq!(
            map.footer(Screen::List, &theme, 80),
            "↑↓ move  Enter why  / filter  n ! s c  o override  x clear  ? help  q quit"
        );
        assert_eq!(
            map.footer(Screen::Detail, &theme, 80),
            "↑↓ PgUp PgDn scroll  Esc back  o override  v charts  ? help  q quit"
        );
        let ascii = Theme {
            color: true,
            ascii: true,
        };
        assert_eq!(
            map.footer(Screen::Override, &ascii, 80),
            "Enter save  Tab next  Left Right change  Esc cancel  F1 help"
        );
        assert_eq!(map.footer(Screen::Help, &theme, 80), "↑↓ scroll  Esc close");
        assert_eq!(
            map.keys_phrase(Screen::Help, "close", &theme),
            "Esc, ? or q"
        );
        assert_eq!(map.keys_phrase(Screen::List, "filter", &theme), "/");
        assert_eq!(map.keys_phrase(Screen::List, "bottom", &theme), "End or G");
        // Narrow: entries go from the middle; help and quit stay.
        let narrow = map.footer(Screen::List, &theme, 40);
        assert_eq!(narrow, "↑↓ move  Enter why  ? help  q quit");
        assert_eq!(
            map.footer(Screen::List, &theme, 44),
            "↑↓ move  Enter why  / filter  ? help  q quit",
            "44 columns: one more"
        );
        assert_eq!(map.footer(Screen::List, &theme, 10), "? help  q ");
        // A remap shows; an unbound action is left out.
        let map =
            keymap("[keys]\ndown = [\"ctrl-n\", \"j\"]\n[keys.list]\nopen_detail = []\n").unwrap();
        assert!(
            map.footer(Screen::List, &theme, 80)
                .starts_with("↑ ^N move  / filter"),
            "{}",
            map.footer(Screen::List, &theme, 80)
        );
    }

    #[test]
    fn the_help_lists_every_binding_within_80x24() {
        let theme = Theme::default();
        for map in [
            Keymap::built_in(),
            keymap("[keys]\npreset = \"vim\"\n").unwrap(),
        ] {
            for screen in Screen::ALL {
                // The popup's inside at 80x24: 76 wide, 20 high.
                let lines = map.help_lines(screen, &theme, 76, 20);
                assert!(lines.len() <= 20, "{screen:?}: {lines:#?}");
                let text = lines.join("\n");
                assert!(!text.contains('…'), "{screen:?} cut:\n{text}");
                for line in &lines {
                    assert!(line.chars().count() <= 76, "{line:?}");
                }
                if screen == Screen::List {
                    // Two columns side by side, no entry wrapped.
                    assert!(text.contains("only this product's supplier"), "{text}");
                }
                for b in map.bindings(screen) {
                    let sep = if matches!(b.action, Action::SortBy(_)) {
                        "/"
                    } else {
                        " "
                    };
                    let label = label_of(b, &theme, sep);
                    let entry = format!("{label} {}", b.help);
                    // Labels are padded to line up; compare without it.
                    let squeezed = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
                    assert!(
                        squeezed(&text).contains(&squeezed(&entry)),
                        "{screen:?} lacks {entry:?}:\n{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_readme_names_every_action_and_screen() {
        let readme = include_str!("../../README.md");
        let keys = &readme[readme.find("\n## Keys\n").expect("a Keys section")..];
        let example = include_str!("../../config.example.toml");
        let map = Keymap::built_in();
        for screen in Screen::ALL {
            assert!(
                keys.contains(&format!("`[keys.{}]`", screen.name())),
                "{screen:?}"
            );
            assert!(example.contains(screen.name()), "{screen:?}");
            for b in map.bindings(screen) {
                assert!(
                    keys.contains(&format!("`{}`", b.name)),
                    "README's Keys section lacks {screen:?} {}",
                    b.name
                );
            }
        }
        for (name, _) in NAMED {
            assert!(
                keys.contains(&format!("`{name}`")),
                "README lacks key {name}"
            );
            assert!(
                example.contains(name),
                "config.example.toml lacks key {name}"
            );
        }
    }

    #[test]
    fn wrapping_keeps_words_and_indents() {
        assert_eq!(wrap("abc def ghi", 7, 2), ["abc def", "  ghi"]);
        assert_eq!(wrap("abcdefghij", 4, 0), ["abcd"]);
        assert_eq!(wrap("a  b", 10, 0), ["a  b"], "padding kept");
        assert_eq!(
            join_keys(&["↑".into(), "↓".into(), "PgUp".into()]),
            "↑↓ PgUp"
        );
        assert_eq!(join_keys(&["n".into(), "e".into()]), "n e");
    }
}

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
        e.message
            .starts_with("[keys]: unknown action 'dwon'; the list and the detail have up, down,"),
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
            "unknown screen 'lsit' (there are list, detail, filter, override, help, sources, editor, orders, order, confirm, drafted, po_input)"
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
        (Screen::Detail, "scroll_down", &["shift-Down", "ctrl-e"]),
        (Screen::Detail, "scroll_up", &["shift-Up", "ctrl-y"]),
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
        "[keys]\npreset = \"vim\"\npage_down = [\"Space\"]\ntoggle_select = [\"t\"]\n[keys.detail]\ndown = [\"ctrl-n\"]\n",
    )
    .unwrap();
    assert_eq!(
        changed(&vim, &map),
        [
            (Screen::List, "toggle_select"),
            (Screen::List, "page_down"),
            (Screen::Detail, "down"),
            (Screen::Detail, "toggle_select"),
            (Screen::Detail, "page_down"),
        ]
    );
    assert_eq!(keys_of(&map, Screen::Detail, "down"), ["ctrl-n"]);
    assert_eq!(
        keys_of(&map, Screen::Detail, "scroll_up"),
        ["shift-Up", "ctrl-y"],
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
        "↑↓ move  Space select  P draft  O POs  Enter why  / filter  ? help  q quit"
    );
    assert_eq!(
        map.footer(Screen::List, &theme, 120),
        "↑↓ move  Space select  P draft  O POs  Enter why  / filter  n ! s c  o override  x clear  R rules  ? help  q quit",
        "the keys that move the day forward first; the rest where there is room"
    );
    assert_eq!(
        map.footer(Screen::Detail, &theme, 80),
        "↑↓ product  Space select  P draft  PgUp PgDn scroll  v charts  ? help  q quit"
    );
    let ascii = Theme {
        color: true,
        ascii: true,
    };
    // Spelled out, the offers' keys no longer fit: the popup names them
    // beside the offers.
    assert_eq!(
        map.footer(Screen::Override, &ascii, 80),
        "Enter save  Tab next  Left Right change  ^U clear  Esc cancel  F1 help"
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
    assert_eq!(narrow, "↑↓ move  Space select  ? help  q quit");
    assert_eq!(
        map.footer(Screen::List, &theme, 48),
        "↑↓ move  Space select  P draft  ? help  q quit",
        "48 columns: one more"
    );
    assert_eq!(map.footer(Screen::List, &theme, 10), "? help  q ");
    // A remap shows; an unbound action is left out.
    let map =
        keymap("[keys]\ndown = [\"ctrl-n\", \"j\"]\n[keys.list]\nopen_detail = []\n").unwrap();
    assert!(
        map.footer(Screen::List, &theme, 80)
            .starts_with("↑ ^N move  Space select  P draft  O POs  / filter"),
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
    let readme = include_str!("../../../README.md");
    let keys = &readme[readme.find("\n## Keys\n").expect("a Keys section")..];
    let example = include_str!("../../../config.example.toml");
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

#[test]
fn key_binding_mistakes_name_their_line() {
    let line = |text: &str| {
        let file = crate::config::parse(text, "c.toml").unwrap();
        let e = Keymap::from_file(&file, "c.toml").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:"), "{e}");
        (e.line, e.message)
    };
    let (n, message) = line(
        "[oms]\npool_size = 4\n\n[keys]\npreset = \"vim\"\ndown = [\"j\", \"Down\"]\ndwon = [\"j\"]\n",
    );
    assert_eq!(n, 7, "{message}");
    assert!(
        message.starts_with("[keys]: unknown action 'dwon'"),
        "{message}"
    );
    // A list over several lines: the line of the wrong key.
    let (n, message) = line("[keys.detail]\ndown = [\n  \"j\",\n  \"PgDwn\",\n]\nup = [\"k\"]\n");
    assert_eq!(n, 4, "{message}");
    assert!(message.contains("unknown key 'PgDwn'"), "{message}");
    // The same action in another table is not the one meant.
    let (n, message) =
        line("[keys.detail]\ndown = [\"F2\"]\n[keys.list]\ndown = [\"F2\", \"k\"]\n");
    assert_eq!(n, 4, "{message}");
    assert!(
        message.contains("'k' is also bound to up on the list"),
        "{message}"
    );
    // Dotted keys and table names.
    let (n, message) = line("[keys]\nquit = [\"q\"]\nlist.down = [\"Nope\"]\n");
    assert_eq!(n, 3, "{message}");
    let (n, message) = line("[general]\n\n[keys.lsit]\ndown = [\"j\"]\n");
    assert_eq!(n, 3, "{message}");
    assert!(message.contains("unknown screen 'lsit'"), "{message}");
    let (n, message) = line("[keys]\n\npreset = \"emacs\"\n");
    assert_eq!(n, 3, "{message}");
    // A value of the wrong type is TOML's error, with its line.
    let (n, message) = line("[keys]\ndown = 5\n");
    assert_eq!(n, 2, "{message}");
    assert!(message.contains("a list of keys"), "{message}");
}

#[test]
fn the_keys_section_gives_the_keymap() {
    use crate::config::{parse, Config};
    let from = |text: &str| Keymap::from_file(&parse(text, "t.toml").unwrap(), "t.toml").unwrap();
    let keymap = &from("[keys]\npreset = \"vim\"\n[keys.detail]\ndown = [\"ctrl-n\"]\n");
    let key = |s: &str| Key::parse(s).unwrap();
    assert_eq!(
        keymap.action(Screen::Detail, key("ctrl-n")),
        Some(Action::Down)
    );
    assert_eq!(keymap.action(Screen::Detail, key("j")), None);
    assert_eq!(
        keymap.action(Screen::List, key("ctrl-d")),
        Some(Action::PageDown),
        "the preset's"
    );
    // The embedded config (config.example.toml) names the default preset.
    let embedded = Config::embedded();
    assert_eq!(
        Keymap::from_file(&embedded.file, &embedded.origin).unwrap(),
        Keymap::built_in()
    );
    assert_eq!(from(""), Keymap::built_in());
}

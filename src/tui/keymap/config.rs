//! `[keys]` and the preset files: read from the TOML the config hands
//! over, laid on top of the built-in keys.

use super::*;
use crate::config::{ConfigError, FileConfig};

impl Keymap {
    /// The keymap a configuration asks for: its `[keys]` (read from the
    /// file's text, so that a mistake has its line) on top of the preset it
    /// names and the built-in keys. A mistake is a `ConfigError` naming the
    /// file (or the preset's file) and the line.
    pub fn from_file(file: &FileConfig, origin: &str) -> Result<Keymap, ConfigError> {
        #[derive(serde::Deserialize)]
        struct Doc {
            #[serde(default)]
            keys: KeysConfig,
        }
        let keys = if file.text.is_empty() {
            KeysConfig::deserialize(toml::Value::Table(file.keys.clone())).map_err(|e| {
                ConfigError {
                    file: origin.to_string(),
                    line: 1,
                    message: e.to_string(),
                }
            })?
        } else {
            let doc: Doc = toml::from_str(&file.text).map_err(|e| ConfigError {
                file: origin.to_string(),
                line: e
                    .span()
                    .map(|s| crate::config::line_of_offset(&file.text, s.start))
                    .unwrap_or(1),
                message: e.message().trim().to_string(),
            })?;
            doc.keys
        };
        Keymap::from_config(&keys).map_err(|e| {
            let (name, text) = match e.preset {
                None => (origin.to_string(), file.text.as_str()),
                // Shipped and tested, so this is buyerdesk's fault, but say
                // where.
                Some(name) => (
                    format!("{PRESET_DIR}/{name}.toml (preset \"{name}\")"),
                    PRESETS
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or("", |(_, t)| *t),
                ),
            };
            ConfigError {
                file: name,
                line: line_of_keys_error(text, &e),
                message: e.message,
            }
        })
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
    pub(super) fn apply(
        &mut self,
        layer: &KeysConfig,
        section: Option<&str>,
    ) -> Result<(), KeysError> {
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
    pub(super) fn set(&mut self, screen: Screen, name: &str, keys: Vec<Key>) -> &'static str {
        let binding = self.screens[screen.index()]
            .iter_mut()
            .find(|b| b.name == name)
            .expect("checked by the caller");
        binding.keys = keys;
        binding.name
    }

    /// The keys an entry lists, parsed and checked for `screen`. `here`
    /// names the entry in messages, `path` is where it is.
    pub(super) fn keys_of(
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
    pub(super) fn names(&self, screens: &[Screen]) -> Vec<&'static str> {
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

/// The line of a `[keys]` mistake: its entry, or the line of the entry's
/// list where the wrong key is written.
pub(super) fn line_of_keys_error(text: &str, e: &KeysError) -> usize {
    let line = crate::config::line_of_path(text, &e.path);
    let Some(spec) = &e.key else {
        return line;
    };
    let quoted = [format!("\"{spec}\""), format!("'{spec}'")];
    text.lines()
        .enumerate()
        .skip(line - 1)
        .take_while(|(i, l)| {
            // The entry's own lines: up to the next entry or table.
            let t = l.trim_start();
            *i + 1 == line || !(t.contains('=') || t.starts_with('['))
        })
        .find(|(_, l)| quoted.iter().any(|q| l.contains(q.as_str())))
        .map_or(line, |(i, _)| i + 1)
}

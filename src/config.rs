//! Configuration: config.toml (from --config, the platform config dir, or the
//! embedded config.example.toml) plus the environment overrides that keep
//! passwords out of files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The built-in configuration: config.example.toml itself, so the documented
/// defaults are the real ones.
pub const EMBEDDED_CONFIG: &str = include_str!("../config.example.toml");

/// The five databases buyerdesk talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    Oms,
    Inventory,
    Supplier,
    Uom,
    Purchasing,
}

impl SourceKind {
    pub const ALL: [SourceKind; 5] = [
        SourceKind::Oms,
        SourceKind::Inventory,
        SourceKind::Supplier,
        SourceKind::Uom,
        SourceKind::Purchasing,
    ];
    /// The four read-only sources.
    pub const SOURCES: [SourceKind; 4] = [
        SourceKind::Oms,
        SourceKind::Inventory,
        SourceKind::Supplier,
        SourceKind::Uom,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Oms => "oms",
            SourceKind::Inventory => "inventory",
            SourceKind::Supplier => "supplier",
            SourceKind::Uom => "uom",
            SourceKind::Purchasing => "purchasing",
        }
    }

    fn env_prefix(self) -> &'static str {
        match self {
            SourceKind::Oms => "OMS",
            SourceKind::Inventory => "INVENTORY",
            SourceKind::Supplier => "SUPPLIER",
            SourceKind::Uom => "UOM",
            SourceKind::Purchasing => "PURCHASING",
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn default_pool_size() -> u32 {
    4
}
fn default_connect_timeout() -> f64 {
    5.0
}
fn default_query_timeout() -> f64 {
    30.0
}

/// One `[source]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    pub url: Option<String>,
    pub password_env: Option<String>,
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: f64,
    #[serde(default = "default_query_timeout")]
    pub query_timeout_secs: f64,
    pub query: Option<String>,
    /// OMS only: replaces the optional daily history table.
    pub history_query: Option<String>,
}

impl Default for SourceSettings {
    fn default() -> Self {
        SourceSettings {
            url: None,
            password_env: None,
            pool_size: default_pool_size(),
            connect_timeout_secs: default_connect_timeout(),
            query_timeout_secs: default_query_timeout(),
            query: None,
            history_query: None,
        }
    }
}

/// The `[general]` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct General {
    pub user: Option<String>,
    pub rules: Option<PathBuf>,
    pub log_file: Option<PathBuf>,
    /// Seconds between the screen's background refreshes (default 15).
    pub refresh_secs: Option<f64>,
    /// Not a key of the file: `buyerdesk --init`, which lets a purchasing
    /// database this workstation has used, now gone or empty, be created
    /// anew (`store::Refused`).
    #[serde(skip)]
    pub init_purchasing: bool,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub general: General,
    #[serde(default)]
    pub oms: SourceSettings,
    #[serde(default)]
    pub inventory: SourceSettings,
    #[serde(default)]
    pub supplier: SourceSettings,
    #[serde(default)]
    pub uom: SourceSettings,
    #[serde(default)]
    pub purchasing: SourceSettings,
    /// `[orders]` as written: purchase orders read it
    /// (`orders::OrdersConfig::from_file`).
    #[serde(default)]
    pub orders: toml::Table,
    /// `[keys]` as written: the screen reads it (`tui::keymap::Keymap::
    /// from_file`, from `text` so that its mistakes have their line).
    #[serde(default)]
    pub keys: toml::Table,
    /// The text this was parsed from ("" when built in code): the sections
    /// other parts read (`[keys]`) give their mistakes a line with it.
    #[serde(skip)]
    pub text: String,
}

impl FileConfig {
    pub fn source(&self, kind: SourceKind) -> &SourceSettings {
        match kind {
            SourceKind::Oms => &self.oms,
            SourceKind::Inventory => &self.inventory,
            SourceKind::Supplier => &self.supplier,
            SourceKind::Uom => &self.uom,
            SourceKind::Purchasing => &self.purchasing,
        }
    }

    pub fn source_mut(&mut self, kind: SourceKind) -> &mut SourceSettings {
        match kind {
            SourceKind::Oms => &mut self.oms,
            SourceKind::Inventory => &mut self.inventory,
            SourceKind::Supplier => &mut self.supplier,
            SourceKind::Uom => &mut self.uom,
            SourceKind::Purchasing => &mut self.purchasing,
        }
    }
}

/// A configuration file that cannot be used: `file:line: message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub file: FileConfig,
    /// Where it came from: a path, or "embedded config.example.toml".
    pub origin: String,
    /// Platform data directory (demo databases, purchasing store, log).
    pub data_dir: PathBuf,
}

/// The line (from 1) of a byte offset in `text`.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of `key` inside `[section]`, for messages about values.
fn line_of_key(text: &str, section: &str, key: &str) -> usize {
    line_of_path(text, &format!("{section}.{key}"))
}

/// The first line of the entry or table at a dotted path (`oms.pool_size`,
/// `keys.list.down`, `keys.list`), written under a `[table]` header or as a
/// dotted key (`list.down = ...` under `[keys]`); 1 when it is not found (in
/// an inline table).
pub fn line_of_path(text: &str, path: &str) -> usize {
    let normalize = |p: &str| {
        p.split('.')
            .map(|part| part.trim().trim_matches(['"', '\'']))
            .collect::<Vec<_>>()
            .join(".")
    };
    let within = |p: &str| p == path || p.starts_with(&format!("{path}."));
    let mut table = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') {
            continue;
        }
        if t.starts_with('[') {
            table = normalize(t.trim_start_matches('[').split(']').next().unwrap_or(""));
            if within(&table) {
                return i + 1;
            }
        } else if let Some((key, _)) = t.split_once('=') {
            let key = normalize(key);
            let full = if table.is_empty() {
                key
            } else {
                format!("{table}.{key}")
            };
            if within(&full) {
                return i + 1;
            }
        }
    }
    1
}

/// Parses config text; `file` names it in messages.
pub fn parse(text: &str, file: &str) -> Result<FileConfig, ConfigError> {
    let mut cfg: FileConfig = toml::from_str(text).map_err(|e| ConfigError {
        file: file.to_string(),
        line: e.span().map(|s| line_of_offset(text, s.start)).unwrap_or(1),
        message: match e.message().trim() {
            // toml says nothing for some characters (a NUL byte).
            "" => "not valid TOML here (a control character?)".to_string(),
            // It may quote what was written: never a password.
            m => scrub_credentials(m),
        },
    })?;
    if let Some(v) = cfg.general.refresh_secs {
        if !(v.is_finite() && (1.0..=86_400.0).contains(&v)) {
            return Err(ConfigError {
                file: file.to_string(),
                line: line_of_key(text, "general", "refresh_secs"),
                message: format!(
                    "[general] refresh_secs: must be a number of seconds from 1 to 86400, not {v}"
                ),
            });
        }
    }
    for kind in SourceKind::ALL {
        let s = cfg.source(kind);
        let err = |key: &str, message: String| ConfigError {
            file: file.to_string(),
            line: line_of_key(text, kind.name(), key),
            message: format!("[{}] {key}: {message}", kind.name()),
        };
        if s.pool_size == 0 || s.pool_size > 1000 {
            return Err(err(
                "pool_size",
                format!("must be between 1 and 1000, not {}", s.pool_size),
            ));
        }
        for (key, v) in [
            ("connect_timeout_secs", s.connect_timeout_secs),
            ("query_timeout_secs", s.query_timeout_secs),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
                return Err(err(
                    key,
                    format!("must be a number of seconds above 0, not {v}"),
                ));
            }
        }
        if let Some(url) = &s.url {
            if let Some(message) = url_problem(url) {
                return Err(err("url", message));
            }
        }
        if s.history_query.is_some() && kind != SourceKind::Oms {
            return Err(err(
                "history_query",
                "only the [oms] section has a history table".into(),
            ));
        }
        if s.query.is_some() && kind == SourceKind::Purchasing {
            return Err(err(
                "query",
                "the purchasing database is buyerdesk's own; it has no query".into(),
            ));
        }
    }
    cfg.text = text.to_string();
    Ok(cfg)
}

fn url_problem(url: &str) -> Option<String> {
    let scheme = url.split(':').next().unwrap_or("");
    if !matches!(
        scheme,
        "postgres" | "postgresql" | "mysql" | "mariadb" | "sqlite"
    ) {
        return Some(format!(
            "unsupported URL scheme '{scheme}' (use postgres://, mysql:// or sqlite://)"
        ));
    }
    if let Ok(u) = url::Url::parse(url) {
        if u.password().is_some() {
            return Some(
                "the URL holds a password; put it in the variable named by password_env".into(),
            );
        }
    }
    None
}

/// The platform data directory, or BUYERDESK_DATA_DIR.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BUYERDESK_DATA_DIR") {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "buyerdesk")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".buyerdesk"))
}

fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "buyerdesk").map(|d| d.config_dir().join("config.toml"))
}

impl Config {
    /// Loads --config FILE, else the platform config.toml, else the embedded
    /// default.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let (text, origin) = match explicit {
            Some(path) => (
                std::fs::read_to_string(path).map_err(|e| ConfigError {
                    file: path.display().to_string(),
                    line: 1,
                    message: format!("cannot read the config file: {e}"),
                })?,
                path.display().to_string(),
            ),
            None => match default_config_path().filter(|p| p.is_file()) {
                Some(path) => (
                    std::fs::read_to_string(&path).map_err(|e| ConfigError {
                        file: path.display().to_string(),
                        line: 1,
                        message: format!("cannot read the config file: {e}"),
                    })?,
                    path.display().to_string(),
                ),
                None => (
                    EMBEDDED_CONFIG.to_string(),
                    "embedded config.example.toml".to_string(),
                ),
            },
        };
        let file = parse(&text, &origin)?;
        Ok(Config {
            file,
            origin,
            data_dir: default_data_dir(),
        })
    }

    /// The embedded default configuration.
    pub fn embedded() -> Config {
        Config {
            file: parse(EMBEDDED_CONFIG, "embedded config.example.toml")
                .expect("embedded config parses"),
            origin: "embedded config.example.toml".into(),
            data_dir: default_data_dir(),
        }
    }

    pub fn demo_dir(&self) -> PathBuf {
        self.data_dir.join("demo")
    }

    /// The rules file the app applies to and watches: `[general] rules`
    /// when set, else `<data_dir>/purchasing.grl`.
    pub fn rules_path(&self) -> PathBuf {
        self.file
            .general
            .rules
            .clone()
            .unwrap_or_else(|| self.data_dir.join("purchasing.grl"))
    }

    /// The rules file in force, as the screen and the commands load it: the
    /// configured one (an error later if it is missing), else the one
    /// applied in the app when it exists; `None`: the embedded rules.
    pub fn rules_file_in_force(&self) -> Option<PathBuf> {
        (self.file.general.rules.clone()).or_else(|| Some(self.rules_path()).filter(|p| p.exists()))
    }

    /// How often the screen refreshes its sources.
    pub fn refresh_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.file.general.refresh_secs.unwrap_or(15.0))
    }

    pub fn user(&self) -> String {
        self.file
            .general
            .user
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into())
    }

    /// Resolves a source's URL with the process environment.
    pub fn resolve(&self, kind: SourceKind) -> Result<ResolvedSource, String> {
        let env: HashMap<String, String> = std::env::vars().collect();
        self.resolve_with(kind, &|k| env.get(k).cloned())
    }

    /// Resolves a source's URL: BUYERDESK_<SOURCE>_URL, else the reference
    /// deployment's <SOURCE>_DB_* variables, else `url` + `password_env`,
    /// else the embedded demo SQLite file.
    pub fn resolve_with(
        &self,
        kind: SourceKind,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ResolvedSource, String> {
        let settings = self.file.source(kind).clone();
        let prefix = kind.env_prefix();
        let nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let mut password = settings.password_env.as_deref().and_then(nonempty);
        let mut embedded_demo = false;
        let (url, origin) = if let Some(u) = nonempty(&format!("BUYERDESK_{prefix}_URL")) {
            (u, format!("BUYERDESK_{prefix}_URL"))
        } else if let Some(host) = nonempty(&format!("{prefix}_DB_HOST")) {
            let port = nonempty(&format!("{prefix}_DB_PORT"));
            let mysql = port.as_deref() == Some("3306")
                || settings
                    .url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("mysql") || u.starts_with("mariadb"));
            let scheme = if mysql { "mysql" } else { "postgres" };
            let port = port.unwrap_or_else(|| if mysql { "3306".into() } else { "5432".into() });
            let user = nonempty(&format!("{prefix}_DB_USER"));
            let name =
                nonempty(&format!("{prefix}_DB_NAME")).unwrap_or_else(|| kind.name().to_string());
            if let Some(p) = nonempty(&format!("{prefix}_DB_PASSWORD")) {
                password = Some(p);
            }
            let mut u = url::Url::parse(&format!("{scheme}://{host}:{port}/"))
                .map_err(|e| format!("{prefix}_DB_HOST/{prefix}_DB_PORT do not form a URL: {e}"))?;
            u.set_path(&name);
            // The variables name no TLS settings: those of the configured
            // `url` (sslmode, sslrootcert, ssl-mode, ssl-ca, ...) still apply.
            let query = settings
                .url
                .as_deref()
                .and_then(|c| url::Url::parse(c).ok())
                .and_then(|c| c.query().map(str::to_string));
            u.set_query(query.as_deref());
            if let Some(user) = user {
                u.set_username(&user)
                    .map_err(|_| format!("{prefix}_DB_USER cannot be used in a URL"))?;
            }
            (u.to_string(), format!("{prefix}_DB_* variables"))
        } else if let Some(u) = &settings.url {
            (u.clone(), format!("[{}] url", kind.name()))
        } else {
            let file = match kind {
                SourceKind::Purchasing => self.data_dir.join("purchasing.sqlite"),
                _ => self.demo_dir().join(format!("{}.sqlite", kind.name())),
            };
            embedded_demo = true;
            (
                format!("sqlite://{}", file.display()),
                "embedded demo".to_string(),
            )
        };
        if let Some(problem) = url_problem(&url).filter(|p| !p.contains("holds a password")) {
            return Err(format!("{} source ({origin}): {problem}", kind.name()));
        }
        // A password in BUYERDESK_*_URL is accepted (it is not a file) but
        // kept apart so that it is never shown.
        let mut full = url.clone();
        if let Ok(mut u) = url::Url::parse(&url) {
            if let Some(p) = u.password() {
                password = Some(percent_decode(p));
                let _ = u.set_password(None);
                full = u.to_string();
            }
        }
        let connect_url = match (&password, url::Url::parse(&full)) {
            (Some(p), Ok(mut u)) if !full.starts_with("sqlite") => {
                u.set_password(Some(p)).map_err(|_| {
                    format!(
                        "{} source: cannot put the password into the URL",
                        kind.name()
                    )
                })?;
                u.to_string()
            }
            _ => full.clone(),
        };
        Ok(ResolvedSource {
            kind,
            redacted_url: redact_url(&full),
            connect_url,
            password,
            origin,
            embedded_demo,
            settings,
        })
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A source ready to connect to. `connect_url` holds the password and is
/// never shown; everything user-facing uses `redacted_url`.
#[derive(Clone)]
pub struct ResolvedSource {
    pub kind: SourceKind,
    pub connect_url: String,
    pub redacted_url: String,
    pub password: Option<String>,
    /// Where the URL came from (for doctor).
    pub origin: String,
    pub embedded_demo: bool,
    pub settings: SourceSettings,
}

impl std::fmt::Debug for ResolvedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedSource")
            .field("kind", &self.kind)
            .field("url", &self.redacted_url)
            .field("origin", &self.origin)
            .finish()
    }
}

impl ResolvedSource {
    /// Removes the password from any text (error messages from drivers).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.replace(&self.connect_url, &self.redacted_url);
        if let Some(p) = self.password.as_deref().filter(|p| p.len() >= 2) {
            out = out.replace(p, "***");
        }
        out
    }
}

/// The URL with any password (userinfo or query parameter) replaced by ***.
/// Every other query parameter (sslmode, sslrootcert, ssl-mode, ssl-ca, ...)
/// stays as written, so that the TLS settings in force can be checked.
/// Any `scheme://user:password@` in free text with the password replaced
/// by `***` (a config error may quote what was written).
pub fn scrub_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '/'))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(a), Some(c)) if c < a => {
                out.push_str(&authority[..c]);
                out.push_str(":***");
                out.push_str(&authority[a..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            if let Some(query) = u.query() {
                let redacted: Vec<String> = query
                    .split('&')
                    .map(|pair| {
                        let key = pair.split('=').next().unwrap_or("");
                        let key = percent_decode(&key.replace('+', " ")).to_ascii_lowercase();
                        if key.contains("pass") {
                            format!("{}=***", pair.split('=').next().unwrap_or(""))
                        } else {
                            pair.to_string()
                        }
                    })
                    .collect();
                u.set_query(Some(&redacted.join("&")));
            }
            u.to_string()
        }
        // Not a URL we can parse: show only the scheme.
        Err(_) => format!(
            "{}://(unparsable URL)",
            url.split(':').next().unwrap_or("?")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Config {
        Config {
            file: parse(text, "test.toml").unwrap(),
            origin: "test.toml".into(),
            data_dir: PathBuf::from("/data"),
        }
    }

    #[test]
    fn embedded_config_parses_and_uses_the_demo() {
        let c = Config {
            data_dir: PathBuf::from("/data"),
            ..Config::embedded()
        };
        let r = c.resolve_with(SourceKind::Inventory, &|_| None).unwrap();
        assert_eq!(r.connect_url, "sqlite:///data/demo/inventory.sqlite");
        assert!(r.embedded_demo);
        assert_eq!(c.file.uom.pool_size, 2);
        // Any configured or overridden URL is not the embedded demo, even a
        // file in the data directory.
        let env = |k: &str| {
            (k == "BUYERDESK_INVENTORY_URL")
                .then(|| "sqlite:///data/demo/inventory.sqlite".to_string())
        };
        assert!(
            !c.resolve_with(SourceKind::Inventory, &env)
                .unwrap()
                .embedded_demo
        );
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let e = parse("[oms]\npool_size = 4\nurl = \"postgres://x\n", "bad.toml").unwrap_err();
        assert_eq!(e.file, "bad.toml");
        assert_eq!(e.line, 3, "{e}");
        assert!(e.to_string().starts_with("bad.toml:3: "), "{e}");
    }

    #[test]
    fn unknown_key_and_bad_values_name_their_line() {
        let e = parse("[oms]\n\npool_sise = 4\n", "c.toml").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("pool_sise"), "{e}");
        let e = parse(
            "[inventory]\nurl = \"sqlite://x\"\npool_size = 0\n",
            "c.toml",
        )
        .unwrap_err();
        assert_eq!((e.line, e.message.contains("pool_size")), (3, true), "{e}");
        let e = parse("[uom]\nurl = \"oracle://db/x\"\n", "c.toml").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("[uom]\nurl = \"postgres://u:secret@db/x\"\n", "c.toml").unwrap_err();
        assert!(
            e.message.contains("password_env") && !e.message.contains("secret"),
            "{e}"
        );
        let e = parse("[oms]\nquery_timeout_secs = \"ten\"\n", "c.toml").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn environment_overrides_in_order() {
        let c = cfg("[oms]\nurl = \"postgres://bd@file-host/oms\"\npassword_env = \"OMS_PW\"\n");
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let r = c
            .resolve_with(SourceKind::Oms, &env(&[("OMS_PW", "s3cret")]))
            .unwrap();
        assert_eq!(r.connect_url, "postgres://bd:s3cret@file-host/oms");
        assert_eq!(r.redacted_url, "postgres://bd@file-host/oms");
        let r = c
            .resolve_with(
                SourceKind::Oms,
                &env(&[
                    ("OMS_DB_HOST", "ref-host"),
                    ("OMS_DB_PORT", "5433"),
                    ("OMS_DB_USER", "svc"),
                    ("OMS_DB_PASSWORD", "pw"),
                    ("OMS_DB_NAME", "omsdb"),
                ]),
            )
            .unwrap();
        assert_eq!(r.connect_url, "postgres://svc:pw@ref-host:5433/omsdb");
        assert!(!r.redacted_url.contains("pw@"));
        let r = c
            .resolve_with(
                SourceKind::Oms,
                &env(&[
                    ("OMS_DB_HOST", "ref-host"),
                    ("BUYERDESK_OMS_URL", "mysql://a:b@over:3306/o"),
                ]),
            )
            .unwrap();
        assert_eq!(r.connect_url, "mysql://a:b@over:3306/o");
        assert_eq!(r.redacted_url, "mysql://a@over:3306/o");
        assert_eq!(
            r.scrub("error near mysql://a:b@over:3306/o"),
            "error near mysql://a@over:3306/o"
        );
        let r = c
            .resolve_with(
                SourceKind::Inventory,
                &env(&[("INVENTORY_DB_HOST", "h"), ("INVENTORY_DB_PORT", "3306")]),
            )
            .unwrap();
        assert_eq!(r.connect_url, "mysql://h:3306/inventory");
    }

    #[test]
    fn tls_parameters_survive_every_route() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let pg_tls = "sslmode=verify-full&sslrootcert=/etc/ssl/certs/corp-ca.pem";
        let c = cfg(&format!(
            "[oms]\nurl = \"postgres://bd@oms-db:5432/oms?{pg_tls}\"\npassword_env = \"OMS_PW\"\n\
             [inventory]\nurl = \"mysql://bd@inv-db:3306/inventory?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ssl/corp%20ca.pem\"\n"
        ));
        // `url` + `password_env`: the password goes in, the query stays.
        let r = c
            .resolve_with(SourceKind::Oms, &env(&[("OMS_PW", "s3cr&t")]))
            .unwrap();
        assert_eq!(
            r.connect_url,
            format!("postgres://bd:s3cr&t@oms-db:5432/oms?{pg_tls}")
        );
        assert_eq!(
            r.redacted_url,
            format!("postgres://bd@oms-db:5432/oms?{pg_tls}")
        );
        // What sqlx is given really asks for TLS with that CA file.
        let opts: sqlx::postgres::PgConnectOptions = r.connect_url.parse().unwrap();
        assert!(matches!(
            opts.get_ssl_mode(),
            sqlx::postgres::PgSslMode::VerifyFull
        ));
        let r = c.resolve_with(SourceKind::Inventory, &|_| None).unwrap();
        assert!(
            r.connect_url
                .ends_with("?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ssl/corp%20ca.pem"),
            "{}",
            r.connect_url
        );
        assert_eq!(r.redacted_url, r.connect_url);

        // <SOURCE>_DB_* variables: host, user and password from them, the
        // TLS settings from the configured url.
        let r = c
            .resolve_with(
                SourceKind::Oms,
                &env(&[
                    ("OMS_DB_HOST", "ref-host"),
                    ("OMS_DB_USER", "svc"),
                    ("OMS_DB_PASSWORD", "pw"),
                ]),
            )
            .unwrap();
        assert_eq!(
            r.connect_url,
            format!("postgres://svc:pw@ref-host:5432/oms?{pg_tls}")
        );
        assert_eq!(
            r.redacted_url,
            format!("postgres://svc@ref-host:5432/oms?{pg_tls}")
        );

        // BUYERDESK_<SOURCE>_URL, with its password: kept apart, query kept.
        let r = c
            .resolve_with(
                SourceKind::Inventory,
                &env(&[(
                    "BUYERDESK_INVENTORY_URL",
                    "mysql://svc:hunter2@db:3306/inv?ssl-mode=REQUIRED&ssl-ca=%2Fca.pem",
                )]),
            )
            .unwrap();
        assert_eq!(
            r.redacted_url,
            "mysql://svc@db:3306/inv?ssl-mode=REQUIRED&ssl-ca=%2Fca.pem"
        );
        assert!(r.connect_url.contains("svc:hunter2@"));
        let opts: sqlx::mysql::MySqlConnectOptions = r.connect_url.parse().unwrap();
        assert!(format!("{opts:?}").contains("Required"), "{opts:?}");
        assert!(!format!("{r:?}").contains("hunter2"));
        assert_eq!(
            r.scrub(&format!("failed: {} (hunter2)", r.connect_url)),
            "failed: mysql://svc@db:3306/inv?ssl-mode=REQUIRED&ssl-ca=%2Fca.pem (***)"
        );
    }

    #[test]
    fn redaction_hides_passwords_everywhere() {
        assert_eq!(
            redact_url("postgres://u:p@h:5432/d"),
            "postgres://u:***@h:5432/d"
        );
        assert_eq!(
            redact_url("mysql://u@h/d?password=x&ssl-mode=required"),
            "mysql://u@h/d?password=***&ssl-mode=required"
        );
        assert_eq!(
            redact_url("sqlite:///tmp/a.sqlite"),
            "sqlite:///tmp/a.sqlite"
        );
        // TLS settings stay as written; a password anywhere goes.
        assert_eq!(
            redact_url(
                "postgres://u:p@h/d?sslmode=verify-ca&sslrootcert=/etc/ca.pem&sslpassword=k"
            ),
            "postgres://u:***@h/d?sslmode=verify-ca&sslrootcert=/etc/ca.pem&sslpassword=***"
        );
        assert_eq!(
            redact_url("mysql://u@h/d?ssl-mode=VERIFY_CA&ssl-ca=%2Fetc%2Fca.pem&Pass%77ord=x"),
            "mysql://u@h/d?ssl-mode=VERIFY_CA&ssl-ca=%2Fetc%2Fca.pem&Pass%77ord=***"
        );
    }
}

/// Mutated and arbitrary config files: the loader never panics, and every
/// refusal names a line of the file.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn passwords_in_quoted_text_are_scrubbed() {
        assert_eq!(
            scrub_credentials("unknown field `postgres://u:p@h/db`, expected"),
            "unknown field `postgres://u:***@h/db`, expected"
        );
        assert_eq!(
            scrub_credentials("a mysql://root@h:3306/x and http://h:80/y"),
            "a mysql://root@h:3306/x and http://h:80/y"
        );
        assert_eq!(scrub_credentials("no url"), "no url");
        let e = parse("\"postgres://u:s3cret@h/db\" = 1\n", "t.toml").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }

    /// Pieces that make TOML and our checks go wrong.
    fn token() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "=",
                "[",
                "]",
                "[[",
                "\"",
                "'",
                "\n",
                "#",
                ".",
                ",",
                "{",
                "}",
                "-1",
                "0",
                "1e400",
                "nan",
                "inf",
                "true",
                "\"http\"",
                "\"fax\"",
                "\"ftp://x\"",
                "\"postgres://u:p@h/db\"",
                "url",
                "channel",
                "[orders]",
                "[orders.suppliers.X]",
                "[keys]",
                "[keys.list]",
                "preset = \"vim\"",
                "down = [\"ctrl-c\"]",
                "refresh_secs = 0",
                "send_attempts = 99",
                "[purchasing]\nquery = \"x\"",
                "é",
                "\u{0}",
                "🦀",
            ])
            .prop_map(str::to_string),
            "[ -~]{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn a_mutated_config_never_panics_and_errors_name_a_line(
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..8, token()), 1..6)
        ) {
            let mut text = EMBEDDED_CONFIG.to_string();
            for (at, remove, insert) in edits {
                let mut i = at.index(text.len() + 1).min(text.len());
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                let mut end = (i + remove).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(i..end, &insert);
            }
            if let Err(e) = parse(&text, "mutated.toml") {
                let lines = text.lines().count().max(1);
                prop_assert!(e.line >= 1 && e.line <= lines + 1, "line {} of {lines}: {e}", e.line);
                prop_assert!(!e.message.is_empty());
                prop_assert!(!e.to_string().contains("u:p@"), "no credentials echoed: {e}");
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = parse(&text, "arbitrary.toml");
        }
    }
}

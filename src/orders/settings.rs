//! `[orders]` in config.toml: the approval threshold, how POs reach each
//! supplier, and how sending retries.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{line_of_offset, line_of_path, scrub_credentials, ConfigError, FileConfig};

/// How a PO reaches its supplier.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// `PO-000123.json` and `PO-000123.csv` written into an outbox directory.
    #[default]
    File,
    /// The JSON POSTed to the supplier's endpoint.
    Http,
}

impl ChannelKind {
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::File => "file",
            ChannelKind::Http => "http",
        }
    }
}

fn default_threshold() -> ApprovalThreshold {
    ApprovalThreshold::from(DEFAULT_THRESHOLD)
}

/// The threshold of a currency `[orders] approval_threshold` does not name.
pub const DEFAULT_THRESHOLD: f64 = 10_000.0;

/// `[orders] approval_threshold`: one amount for every currency
/// (`approval_threshold = 10000`), or one per currency with a default for
/// the others (`approval_threshold = { default = 10000, EUR = 9000 }`, or
/// the sub-table `[orders.approval_threshold]`). A PO whose total is above
/// the threshold of its currency needs an approval.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalThreshold {
    /// Every currency not named in `currencies` (10,000 when the table has
    /// no `default`).
    pub default: f64,
    /// Currency code (as written, compared without case) -> threshold.
    pub currencies: BTreeMap<String, f64>,
}

impl From<f64> for ApprovalThreshold {
    fn from(default: f64) -> ApprovalThreshold {
        ApprovalThreshold {
            default,
            currencies: BTreeMap::new(),
        }
    }
}

impl ApprovalThreshold {
    /// The threshold of `currency`.
    pub fn of(&self, currency: &str) -> f64 {
        let c = currency.trim();
        self.currencies
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(c))
            .map_or(self.default, |(_, v)| *v)
    }

    /// (key under `approval_threshold`, message) of the first value that
    /// is wrong.
    fn check(&self) -> Result<(), (String, String)> {
        let amount = |v: f64| v.is_finite() && v >= 0.0;
        if !amount(self.default) {
            return Err((
                "approval_threshold".into(),
                "approval_threshold must be an amount of 0 or more".into(),
            ));
        }
        for (code, v) in &self.currencies {
            let well_formed =
                (1..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
            if !well_formed {
                return Err((
                    format!("approval_threshold.{code}"),
                    format!(
                        "approval_threshold: '{}' is not a currency code such as EUR (or default)",
                        crate::text::printable(code)
                    ),
                ));
            }
            if !amount(*v) {
                return Err((
                    format!("approval_threshold.{code}"),
                    format!("approval_threshold.{code} must be an amount of 0 or more"),
                ));
            }
        }
        Ok(())
    }
}

impl Serialize for ApprovalThreshold {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.currencies.is_empty() {
            return s.serialize_f64(self.default);
        }
        let mut all = self.currencies.clone();
        all.insert("default".into(), self.default);
        all.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ApprovalThreshold {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Every(f64),
            PerCurrency(BTreeMap<String, f64>),
        }
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "approval_threshold must be an amount (10000) or a table of amounts per currency ({ default = 10000, EUR = 9000 })",
            )
        })? {
            Raw::Every(v) => Ok(ApprovalThreshold::from(v)),
            Raw::PerCurrency(mut m) => Ok(ApprovalThreshold {
                default: m.remove("default").unwrap_or(DEFAULT_THRESHOLD),
                currencies: m,
            }),
        }
    }
}
fn default_currency() -> String {
    "EUR".into()
}
fn default_timeout() -> f64 {
    10.0
}
fn default_attempts() -> u32 {
    5
}
fn default_backoff() -> f64 {
    1.0
}
/// The longest a supplier's `Retry-After` is waited for between two
/// attempts (also at most half the lease).
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);

fn default_lease() -> f64 {
    300.0
}

/// The `[orders]` section.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OrdersConfig {
    /// A PO whose total is above the threshold of its currency needs an
    /// explicit approval.
    #[serde(default = "default_threshold")]
    pub approval_threshold: ApprovalThreshold,
    /// An approval by the buyer who drafted the PO is refused.
    #[serde(default)]
    pub four_eyes: bool,
    /// The currency of a supplier whose rows name none.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// The file channel's directory (default: `<data_dir>/outbox`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox: Option<PathBuf>,
    /// The channel of a supplier that has no `[orders.suppliers."..."]`.
    #[serde(default)]
    pub channel: ChannelKind,
    /// With `channel = "http"`: the endpoint of those suppliers (one
    /// purchasing hub for all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// With `channel = "http"`: the variable holding their bearer token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// One HTTP attempt gives up after this many seconds.
    #[serde(default = "default_timeout")]
    pub send_timeout_secs: f64,
    /// Attempts per send (the first included) on 5xx and network errors.
    #[serde(default = "default_attempts")]
    pub send_attempts: u32,
    /// The wait before the first retry; it doubles for each next one.
    #[serde(default = "default_backoff")]
    pub retry_backoff_secs: f64,
    /// A PO left `sending` by another process is taken over after this many
    /// seconds (at once when that process was on this machine and is gone).
    #[serde(default = "default_lease")]
    pub send_lease_secs: f64,
    /// Per supplier, by supplier id or name.
    #[serde(default)]
    pub suppliers: BTreeMap<String, SupplierChannel>,
}

impl OrdersConfig {
    /// The `[orders]` of a configuration, checked (at load: `main`). The
    /// config hands the section over as written; a mistake is a
    /// `ConfigError` with the line of the file it is on.
    pub fn from_file(file: &FileConfig, origin: &str) -> Result<OrdersConfig, ConfigError> {
        let orders = OrdersConfig::read(file, origin)?;
        orders.check().map_err(|(key, message)| {
            // A key inside an inline table (approval_threshold = { EUR = .. })
            // has no line of its own: the line of the table that holds it.
            let mut path = format!("orders.{key}");
            let mut line = line_of_path(&file.text, &path);
            while line == 1 {
                match path.rsplit_once('.') {
                    Some((parent, _)) if parent != "orders" => {
                        path = parent.to_string();
                        line = line_of_path(&file.text, &path);
                    }
                    _ => break,
                }
            }
            ConfigError {
                file: origin.to_string(),
                line,
                message,
            }
        })?;
        Ok(orders)
    }

    /// The `[orders]` of a configuration as written, without the checks
    /// of its values (made at load): what the parts that send and draft
    /// read.
    pub fn read(file: &FileConfig, origin: &str) -> Result<OrdersConfig, ConfigError> {
        let error = |line: usize, message: String| ConfigError {
            file: origin.to_string(),
            line,
            message,
        };
        let orders =
            OrdersConfig::deserialize(toml::Value::Table(file.orders.clone())).map_err(|e| {
                // Read again from the text, which knows where the mistake is.
                #[derive(Deserialize)]
                struct Doc {
                    #[serde(default)]
                    #[allow(dead_code)]
                    orders: OrdersConfig,
                }
                match toml::from_str::<Doc>(&file.text) {
                    Err(t) => error(
                        t.span()
                            .map(|s| line_of_offset(&file.text, s.start))
                            .unwrap_or(1),
                        scrub_credentials(t.message().trim()),
                    ),
                    Ok(_) => error(
                        line_of_path(&file.text, "orders"),
                        scrub_credentials(&e.to_string()),
                    ),
                }
            })?;
        Ok(orders)
    }

    /// The currency of suppliers whose rows name none (the default when the
    /// section has a mistake: it was refused at load already).
    pub fn currency_of(file: &FileConfig) -> String {
        OrdersConfig::read(file, "")
            .map(|o| o.currency)
            .unwrap_or_else(|_| default_currency())
    }

    /// Puts these settings in a configuration's `[orders]` (code that
    /// builds a configuration: tests, benchmarks).
    pub fn write_to(&self, file: &mut FileConfig) {
        file.orders = toml::Table::try_from(self).expect("the [orders] settings are TOML");
    }
}

impl Default for OrdersConfig {
    fn default() -> Self {
        OrdersConfig {
            approval_threshold: default_threshold(),
            four_eyes: false,
            currency: default_currency(),
            outbox: None,
            channel: ChannelKind::File,
            url: None,
            token_env: None,
            send_timeout_secs: default_timeout(),
            send_attempts: default_attempts(),
            retry_backoff_secs: default_backoff(),
            send_lease_secs: default_lease(),
            suppliers: BTreeMap::new(),
        }
    }
}

/// `[orders.suppliers."ABC Supplies Co."]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SupplierChannel {
    pub channel: ChannelKind,
    /// The http channel's endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The file channel's directory (default: the `[orders]` outbox).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox: Option<PathBuf>,
    /// Name of the environment variable holding a bearer token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
}

/// Where a PO goes, resolved for one supplier.
#[derive(Debug, Clone, PartialEq)]
pub enum Channel {
    File {
        outbox: PathBuf,
    },
    Http {
        url: String,
        token_env: Option<String>,
    },
}

impl Channel {
    pub fn kind(&self) -> ChannelKind {
        match self {
            Channel::File { .. } => ChannelKind::File,
            Channel::Http { .. } => ChannelKind::Http,
        }
    }

    /// Where, in words (an endpoint without its query string).
    pub fn describe(&self) -> String {
        match self {
            Channel::File { outbox } => format!("file {}", outbox.display()),
            Channel::Http { url, .. } => format!("http {}", url.split('?').next().unwrap_or(url)),
        }
    }
}

impl OrdersConfig {
    /// Checks the values; (key, message) of the first that is wrong.
    pub fn check(&self) -> Result<(), (String, String)> {
        let positive = |key: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err((
                    key.to_string(),
                    format!("{key} must be a positive number of seconds"),
                ))
            }
        };
        self.approval_threshold.check()?;
        let c = self.currency.trim();
        if c.is_empty() || c.len() > 8 {
            return Err((
                "currency".into(),
                "currency must be a code such as EUR or USD".into(),
            ));
        }
        positive("send_timeout_secs", self.send_timeout_secs)?;
        positive("retry_backoff_secs", self.retry_backoff_secs)?;
        positive("send_lease_secs", self.send_lease_secs)?;
        if !(1..=20).contains(&self.send_attempts) {
            return Err((
                "send_attempts".into(),
                "send_attempts must be between 1 and 20".into(),
            ));
        }
        let longest = self.longest_send().as_secs_f64();
        if self.send_lease_secs <= longest {
            return Err((
                "send_lease_secs".into(),
                format!(
                    "send_lease_secs ({}) must exceed the longest a send can take: {} attempts x send_timeout_secs {} + {} s of waits between them (backoff, or a supplier's Retry-After up to 60 s) = {} s; a shorter lease lets another workstation take over a send still under way and post it twice",
                    self.send_lease_secs,
                    self.send_attempts,
                    self.send_timeout_secs,
                    (longest - f64::from(self.send_attempts) * self.send_timeout_secs).round(),
                    longest.ceil()
                ),
            ));
        }
        check_channel("channel", "[orders]", self.channel, self.url.as_deref())?;
        for (name, s) in &self.suppliers {
            check_channel(
                &format!("suppliers.{name}"),
                &format!("supplier \"{name}\""),
                s.channel,
                s.url.as_deref(),
            )?;
        }
        Ok(())
    }

    /// The channel of a supplier (by id, then name), else the default.
    pub fn channel_for(
        &self,
        supplier_id: Option<&str>,
        supplier_name: &str,
        data_dir: &std::path::Path,
    ) -> Channel {
        let default_outbox = self
            .outbox
            .clone()
            .unwrap_or_else(|| data_dir.join("outbox"));
        let configured = supplier_id
            .and_then(|id| self.suppliers.get(id))
            .or_else(|| self.suppliers.get(supplier_name));
        match configured {
            Some(SupplierChannel {
                channel: ChannelKind::Http,
                url: Some(url),
                token_env,
                ..
            }) => Channel::Http {
                url: url.clone(),
                token_env: token_env.clone(),
            },
            Some(s) => Channel::File {
                outbox: s.outbox.clone().unwrap_or(default_outbox),
            },
            None => match (self.channel, &self.url) {
                (ChannelKind::Http, Some(url)) => Channel::Http {
                    url: url.clone(),
                    token_env: self.token_env.clone(),
                },
                _ => Channel::File {
                    outbox: default_outbox,
                },
            },
        }
    }

    pub fn send_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.send_timeout_secs)
    }

    /// The wait before retry `n` (1 = the first retry): doubling, at most a
    /// minute.
    pub fn backoff(&self, n: u32) -> Duration {
        let secs = self.retry_backoff_secs * 2f64.powi(n.saturating_sub(1).min(16) as i32);
        Duration::from_secs_f64(secs.min(60.0))
    }

    /// The longest one send can take: every attempt timing out, with the
    /// longest wait between them (the backoff, or a supplier's Retry-After
    /// up to `RETRY_AFTER_MAX` and half the lease). The send lease must be
    /// longer.
    pub fn longest_send(&self) -> Duration {
        let retry_after = self.retry_after_cap();
        let waits: Duration = (1..self.send_attempts)
            .map(|n| self.backoff(n).max(retry_after))
            .sum();
        self.send_timeout() * self.send_attempts + waits
    }

    /// The longest a supplier's `Retry-After` is waited for: at most
    /// `RETRY_AFTER_MAX`, and half the lease, so that the claim cannot
    /// expire meanwhile.
    pub fn retry_after_cap(&self) -> Duration {
        RETRY_AFTER_MAX.min(self.lease() / 2)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs_f64(self.send_lease_secs)
    }
}

/// A channel and its url agree: http needs an http(s) URL without
/// credentials; file takes none.
fn check_channel(
    key: &str,
    who: &str,
    channel: ChannelKind,
    url: Option<&str>,
) -> Result<(), (String, String)> {
    let err = |m: String| Err((key.to_string(), format!("{who}: {m}")));
    match (channel, url) {
        (ChannelKind::Http, None) => err("the http channel needs a url".into()),
        (ChannelKind::Http, Some(url)) => {
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {
                    if !u.username().is_empty() || u.password().is_some() {
                        err("the url holds credentials; put a token in the variable named by token_env".into())
                    } else {
                        Ok(())
                    }
                }
                _ => err(format!("'{url}' is not an http:// or https:// URL")),
            }
        }
        (ChannelKind::File, Some(_)) => err("url is for the http channel".into()),
        (ChannelKind::File, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<OrdersConfig, String> {
        let file = crate::config::parse(text, "t.toml").map_err(|e| e.to_string())?;
        OrdersConfig::from_file(&file, "t.toml").map_err(|e| e.to_string())
    }

    #[test]
    fn settings_written_into_a_config_read_back_the_same() {
        let mut o =
            parse("[orders.suppliers.X]\nchannel = \"http\"\nurl = \"https://x.example/po\"\n")
                .unwrap();
        o.send_attempts = 2;
        o.outbox = Some("/srv/outbox".into());
        let mut file = crate::config::FileConfig::default();
        o.write_to(&mut file);
        assert_eq!(OrdersConfig::from_file(&file, "code").unwrap(), o);
    }

    #[test]
    fn channels_come_from_the_supplier_then_the_default() {
        let o = parse(
            "[orders]\napproval_threshold = 5000\n[orders.suppliers.\"ABC Supplies Co.\"]\nchannel = \"http\"\nurl = \"https://abc.example/po\"\ntoken_env = \"ABC_TOKEN\"\n[orders.suppliers.SUP-9]\nchannel = \"file\"\noutbox = \"/srv/sup9\"\n",
        )
        .unwrap();
        assert_eq!(o.approval_threshold, 5000.0.into());
        let dir = std::path::Path::new("/data");
        assert_eq!(
            o.channel_for(Some("SUP-001"), "ABC Supplies Co.", dir),
            Channel::Http {
                url: "https://abc.example/po".into(),
                token_env: Some("ABC_TOKEN".into())
            }
        );
        assert_eq!(
            o.channel_for(Some("SUP-9"), "Other", dir),
            Channel::File {
                outbox: "/srv/sup9".into()
            }
        );
        assert_eq!(
            o.channel_for(None, "Anyone", dir),
            Channel::File {
                outbox: "/data/outbox".into()
            }
        );
        assert_eq!(o.backoff(1), Duration::from_secs(1));
        assert_eq!(o.backoff(3), Duration::from_secs(4));
        assert_eq!(o.backoff(40), Duration::from_secs(60));
    }

    #[test]
    fn the_approval_threshold_is_one_amount_or_one_per_currency_with_a_default() {
        let every = parse("[orders]\napproval_threshold = 5000\n").unwrap();
        assert_eq!(every.approval_threshold.of("EUR"), 5000.0);
        assert_eq!(every.approval_threshold.of("JPY"), 5000.0);
        assert!(!every.four_eyes);
        for text in [
            "[orders]\nfour_eyes = true\napproval_threshold = { default = 10000, EUR = 9000, JPY = 1500000 }\n",
            "[orders]\nfour_eyes = true\n[orders.approval_threshold]\ndefault = 10000\nEUR = 9000\nJPY = 1500000\n",
        ] {
            let o = parse(text).unwrap();
            assert!(o.four_eyes, "{text}");
            assert_eq!(o.approval_threshold.of("EUR"), 9000.0, "{text}");
            assert_eq!(o.approval_threshold.of("eur"), 9000.0, "{text}");
            assert_eq!(o.approval_threshold.of("JPY"), 1_500_000.0, "{text}");
            assert_eq!(o.approval_threshold.of("USD"), 10_000.0, "{text}");
            // Written back and read again: the same settings.
            let mut file = crate::config::FileConfig::default();
            o.write_to(&mut file);
            assert_eq!(OrdersConfig::from_file(&file, "code").unwrap(), o);
        }
        // No default in the table: 10,000 for the currencies not named.
        let o = parse("[orders]\napproval_threshold = { EUR = 9000 }\n").unwrap();
        assert_eq!(o.approval_threshold.of("GBP"), 10_000.0);
        assert_eq!(
            OrdersConfig::default().approval_threshold.of("EUR"),
            10_000.0
        );
    }

    #[test]
    fn wrong_values_are_refused_with_the_line() {
        for (text, expected) in [
            ("[orders]\napproval_threshold = -1\n", "t.toml:2: approval_threshold must be"),
            (
                "[orders]\napproval_threshold = { default = 5000, EUR = -1 }\n",
                "t.toml:2: approval_threshold.EUR must be an amount of 0 or more",
            ),
            (
                "[orders]\nfour_eyes = true\n[orders.approval_threshold]\ndefault = 1\n\"E R\" = 5\n",
                "t.toml:5: approval_threshold: 'E R' is not a currency code",
            ),
            (
                "[orders]\napproval_threshold = \"lots\"\n",
                "t.toml:2: approval_threshold must be an amount (10000) or a table",
            ),
            ("[orders]\nsend_attempts = 0\n", "t.toml:2: send_attempts must be between 1 and 20"),
            ("[orders]\nchannel = \"http\"\n", "t.toml:2: [orders]: the http channel needs a url"),
            (
                "[orders]\n\n[orders.suppliers.X]\nchannel = \"http\"\nurl = \"https://u:p@x.example/\"\n",
                "t.toml:3: supplier \"X\": the url holds credentials",
            ),
            (
                "[orders.suppliers.X]\nchannel = \"http\"\nurl = \"ftp://x\"\n",
                "is not an http:// or https:// URL",
            ),
            ("[orders]\nchannel = \"fax\"\n", "unknown variant `fax`"),
            (
                "[orders]\nsend_timeout_secs = 900\nsend_lease_secs = 1\n",
                "t.toml:3: send_lease_secs (1) must exceed the longest a send can take: 5 attempts x send_timeout_secs 900 + 15 s of waits",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
    }
}

//! Each source's link as the screen shows it: up, down, stale, with the
//! backoff between retries.

use super::*;

/// How a source answered its last attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not connected yet; the first attempt is under way.
    Connecting,
    /// The last refresh read it.
    Up,
    /// The last attempt failed.
    Down,
}

/// What the header chip and the sources popup show of one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    pub kind: SourceKind,
    /// From the URL; `None` when the URL itself is unusable.
    pub backend: Option<Backend>,
    /// The URL with any password replaced.
    pub url: String,
    pub state: LinkState,
    /// When its data was last read successfully.
    pub last_ok: Option<DateTime<Local>>,
    /// Round trip of the last successful read (the whole query).
    pub rtt: Option<Duration>,
    /// Rows of the last successful read.
    pub rows: Option<usize>,
    /// The last read found the source's fingerprint as before: nothing was
    /// sent or planned for it (its rows are those of the last read).
    pub unchanged: bool,
    /// Why the last attempt failed (URL redacted).
    pub error: Option<String>,
    /// While it is down: when it is tried next (backoff, see
    /// `retry_delay`).
    pub retry_at: Option<DateTime<Local>>,
}

impl SourceStatus {
    pub(super) fn new(config: &Config, kind: SourceKind) -> SourceStatus {
        let (backend, url, error) = match config.resolve(kind) {
            Ok(r) => (
                sources::Backend::of_url(&r.connect_url).ok(),
                r.redacted_url,
                None,
            ),
            Err(e) => (None, String::new(), Some(e)),
        };
        SourceStatus {
            kind,
            backend,
            url,
            state: if error.is_some() {
                LinkState::Down
            } else {
                LinkState::Connecting
            },
            last_ok: None,
            rtt: None,
            rows: None,
            unchanged: false,
            error,
            retry_at: None,
        }
    }

    /// The data on screen is older than the last attempt: the source failed
    /// after an earlier success.
    pub fn is_stale(&self) -> bool {
        self.state == LinkState::Down && self.last_ok.is_some()
    }

    pub(super) fn ok(&mut self, rtt: Duration, rows: usize, at: DateTime<Local>) {
        self.state = LinkState::Up;
        self.last_ok = Some(at);
        self.rtt = Some(rtt);
        self.rows = Some(rows);
        self.error = None;
        self.retry_at = None;
    }

    /// The attempt failed; `failures` counts this one.
    pub(super) fn failed(&mut self, e: &anyhow::Error, failures: u32, every: Duration) {
        self.state = LinkState::Down;
        self.error = Some(format!("{e:#}"));
        self.retry_at = chrono::Duration::from_std(retry_delay(failures, every))
            .ok()
            .map(|d| Local::now() + d);
    }

    /// Down and due for another try at `now`.
    pub(super) fn due(&self, now: DateTime<Local>) -> bool {
        self.state == LinkState::Down && self.retry_at.is_none_or(|t| t <= now)
    }
}

/// The first retry of a source that is down comes this long after the
/// failure; every further failure doubles the wait.
pub const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest wait between two tries of a source that is down (shorter
/// when the refresh interval is).
pub const RETRY_MAX: Duration = Duration::from_secs(60);

/// How long after its `failures`-th failure in a row a source is tried
/// again: 1 s, 2 s, 4 s ... capped at the refresh interval and a minute.
pub fn retry_delay(failures: u32, every: Duration) -> Duration {
    let doubled = RETRY_FIRST.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    doubled
        .min(every.min(RETRY_MAX))
        .max(Duration::from_millis(100))
}

//! A supplier's HTTP answer, read up to a bound, and what it said in one
//! printable line; `Retry-After`; network errors in words.

use super::*;

/// The most of a supplier's answer that is read: the rest is never read
/// (a 300 MB answer costs 64 KiB).
pub(super) const ANSWER_KEPT: usize = 64 * 1024;

/// A supplier's answer, read up to a bound.
pub(super) struct Answer {
    pub(super) status: reqwest::StatusCode,
    /// The `Location` header, printable.
    pub(super) location: Option<String>,
    /// `Retry-After` in seconds (or as an HTTP date).
    pub(super) retry_after: Option<Duration>,
    /// The first `ANSWER_KEPT` bytes of the body.
    pub(super) body: Vec<u8>,
    /// Why the body is not whole: longer than kept, or cut off.
    pub(super) cut: Option<String>,
}

impl Answer {
    /// Reads at most `kept` bytes of the body, then stops (the connection
    /// is dropped with the rest unread). The status has arrived: a body cut
    /// off midway leaves it standing, with a note.
    pub(super) async fn read(
        mut response: reqwest::Response,
        kept: usize,
        timeout: Duration,
    ) -> Answer {
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let location = header(reqwest::header::LOCATION).map(|l| printable(&l).into_owned());
        let retry_after = header(reqwest::header::RETRY_AFTER).and_then(|v| retry_after(&v));
        let status = response.status();
        let mut body = Vec::new();
        let mut cut = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = kept - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        cut = Some(format!(
                            "answer longer than {} KiB: the rest was not read",
                            kept / 1024
                        ));
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    cut = Some(format!(
                        "the answer was cut off: {}",
                        describe_reqwest(e, timeout)
                    ));
                    break;
                }
            }
        }
        Answer {
            status,
            location,
            retry_after,
            body,
            cut,
        }
    }

    /// `HTTP 201: the answer's first line...`, printable, with the note
    /// when the body was not read whole.
    pub(super) fn said(&self) -> String {
        let b = short(&String::from_utf8_lossy(&self.body), 200);
        let mut said = format!("HTTP {}", self.status.as_u16());
        if !b.is_empty() {
            said.push_str(": ");
            said.push_str(&printable(&b));
        }
        if let Some(cut) = &self.cut {
            said.push_str(&format!(" ({cut})"));
        }
        said
    }
}

/// A `Retry-After` value: seconds, or an HTTP date (the wait until then).
pub(super) fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or_default(),
    )
}

/// One line of at most `n` characters from an answer body.
pub(super) fn short(text: &str, n: usize) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > n {
        format!("{}...", one.chars().take(n).collect::<String>())
    } else {
        one
    }
}

/// A network error in words, with its causes, without the URL (it may
/// hold a token in its query).
pub(super) fn describe_reqwest(e: reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {timeout:?} (send_timeout_secs)");
    }
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

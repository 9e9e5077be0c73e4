//! A supplier's HTTP endpoint for the sending tests, on 127.0.0.1: it
//! records every request, and answers a key it has processed with the
//! stored answer. Modes by path (`/po/{mode}`): `ok`; `flaky` (503 twice
//! per key, then takes it); `reject` (422); `hang` (takes the PO, then
//! never answers the first request); `redirect-301` (and 302, 307, 308:
//! a redirect to `redirect_to`, nothing taken); `dup409` (takes the PO but
//! answers 502, then 409 "duplicate Idempotency-Key" to that key);
//! `conflict` (409 to everything, nothing taken); `throttle-429` and
//! `throttle-408` (that status with `Retry-After: {retry_after}` once per
//! key, then takes it); `huge` (takes it, answers 200 with a body of
//! `huge_bytes` streamed); `hostile` (takes it, answers with escape
//! sequences).
#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub key: Option<String>,
    pub body: String,
    pub at: std::time::Instant,
}

#[derive(Default)]
struct EndpointState {
    requests: Vec<Request>,
    /// Idempotency key -> the answer given when it was processed.
    processed: HashMap<String, (u16, String)>,
    /// Requests failed so far per key (mode "flaky").
    failures: HashMap<String, usize>,
    /// Where the `redirect-*` modes send the request.
    redirect_to: String,
    /// The `Retry-After` of the `throttle-*` modes.
    retry_after: String,
    /// The size of the `huge` mode's answer.
    huge_bytes: usize,
}

/// What a hostile supplier answers: a clipboard write (OSC 52), a screen
/// clear, a bell, a forged line.
pub const HOSTILE_ANSWER: &str =
    "\u{1b}]52;c;aGVsbG8=\u{7}accepted\u{1b}[2J\r\nPO-999999 cancelled\u{9b}31m";

pub struct Endpoint {
    pub base: String,
    state: Arc<Mutex<EndpointState>>,
}

async fn handle(
    State(state): State<Arc<Mutex<EndpointState>>>,
    UrlPath(mode): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let hang = {
        let mut s = state.lock().unwrap();
        s.requests.push(Request {
            path: mode.clone(),
            key: key.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
            at: std::time::Instant::now(),
        });
        let Some(key) = key else {
            return (StatusCode::BAD_REQUEST, "no Idempotency-Key").into_response();
        };
        if let Some((status, answer)) = s.processed.get(&key) {
            return (StatusCode::from_u16(*status).unwrap(), answer.clone()).into_response();
        }
        if let Some(code) = mode.strip_prefix("redirect-") {
            return (
                StatusCode::from_u16(code.parse().unwrap()).unwrap(),
                [(header::LOCATION, s.redirect_to.clone())],
                "moved",
            )
                .into_response();
        }
        if let Some(code) = mode.strip_prefix("throttle-") {
            let failed = s.failures.entry(key.clone()).or_default();
            if *failed < 1 {
                *failed += 1;
                return (
                    StatusCode::from_u16(code.parse().unwrap()).unwrap(),
                    [(header::RETRY_AFTER, s.retry_after.clone())],
                    "slow down",
                )
                    .into_response();
            }
        }
        match mode.as_str() {
            "dup409" => {
                // Taken, but the answer is lost on the way back; the key is
                // then refused as a duplicate, as many idempotency layers do.
                s.processed
                    .insert(key, (409, "duplicate Idempotency-Key".into()));
                return (StatusCode::BAD_GATEWAY, "upstream answer lost").into_response();
            }
            "conflict" => {
                return (StatusCode::CONFLICT, "article PROD-001 is discontinued").into_response()
            }
            "huge" => {
                s.processed.insert(key, (200, "already taken".into()));
                let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
                let n = s.huge_bytes.div_ceil(chunk.len());
                let stream = futures::stream::iter(
                    (0..n).map(move |_| Ok::<_, std::convert::Infallible>(chunk.clone())),
                );
                return (StatusCode::OK, Body::from_stream(stream)).into_response();
            }
            "hostile" => {
                s.processed.insert(key, (201, HOSTILE_ANSWER.into()));
                return (StatusCode::CREATED, HOSTILE_ANSWER).into_response();
            }
            _ => {}
        }
        match mode.as_str() {
            "flaky" => {
                let failed = s.failures.entry(key.clone()).or_default();
                if *failed < 2 {
                    *failed += 1;
                    return (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response();
                }
            }
            "reject" => {
                return (StatusCode::UNPROCESSABLE_ENTITY, "unknown article PROD-002")
                    .into_response()
            }
            _ => {}
        }
        let answer = format!("{{\"accepted\":\"{key}\"}}");
        s.processed.insert(key, (201, answer.clone()));
        mode == "hang"
    };
    if hang {
        // Processed, but the answer never leaves: the sender is killed
        // while it waits.
        std::future::pending::<()>().await;
    }
    let s = state.lock().unwrap();
    let (status, answer) = s
        .processed
        .get(headers.get("idempotency-key").unwrap().to_str().unwrap())
        .unwrap();
    (StatusCode::from_u16(*status).unwrap(), answer.clone()).into_response()
}

impl Endpoint {
    pub async fn start() -> Endpoint {
        let state = Arc::new(Mutex::new(EndpointState {
            retry_after: "1".into(),
            huge_bytes: 50 << 20,
            ..EndpointState::default()
        }));
        let app = axum::Router::new()
            // GET too: a client that follows a 301/302 turns the POST into
            // a GET, which this server answers (and records) as well.
            .route("/po/{mode}", axum::routing::post(handle).get(handle))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Endpoint { base, state }
    }

    pub fn url(&self, mode: &str) -> String {
        format!("{}/po/{mode}", self.base)
    }

    /// Where the `redirect-*` modes point.
    pub fn redirect_to(&self, url: &str) {
        self.state.lock().unwrap().redirect_to = url.into();
    }

    /// What the `throttle-*` modes send as `Retry-After`.
    pub fn retry_after(&self, value: &str) {
        self.state.lock().unwrap().retry_after = value.into();
    }

    /// The size of the `huge` mode's answer.
    pub fn huge_bytes(&self, n: usize) {
        self.state.lock().unwrap().huge_bytes = n;
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn processed(&self) -> BTreeSet<String> {
        self.state
            .lock()
            .unwrap()
            .processed
            .keys()
            .cloned()
            .collect()
    }
}

//! A supplier's HTTP endpoint for the sending tests, on 127.0.0.1: it
//! records every request, and answers a key it has processed with the
//! stored answer. Modes by path (`/po/{mode}`): `ok`; `flaky` (503 twice
//! per key, then takes it); `reject` (422); `hang` (takes the PO, then
//! never answers the first request).
#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub key: Option<String>,
    pub body: String,
}

#[derive(Default)]
struct EndpointState {
    requests: Vec<Request>,
    /// Idempotency key -> the answer given when it was processed.
    processed: HashMap<String, (u16, String)>,
    /// Requests failed so far per key (mode "flaky").
    failures: HashMap<String, usize>,
}

pub struct Endpoint {
    pub base: String,
    state: Arc<Mutex<EndpointState>>,
}

async fn handle(
    State(state): State<Arc<Mutex<EndpointState>>>,
    UrlPath(mode): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
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
        });
        let Some(key) = key else {
            return (StatusCode::BAD_REQUEST, "no Idempotency-Key".into());
        };
        if let Some((status, answer)) = s.processed.get(&key) {
            return (StatusCode::from_u16(*status).unwrap(), answer.clone());
        }
        match mode.as_str() {
            "flaky" => {
                let failed = s.failures.entry(key.clone()).or_default();
                if *failed < 2 {
                    *failed += 1;
                    return (StatusCode::SERVICE_UNAVAILABLE, "try again later".into());
                }
            }
            "reject" => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown article PROD-002".into(),
                )
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
    (StatusCode::from_u16(*status).unwrap(), answer.clone())
}

impl Endpoint {
    pub async fn start() -> Endpoint {
        let state = Arc::new(Mutex::new(EndpointState::default()));
        let app = axum::Router::new()
            .route("/po/{mode}", axum::routing::post(handle))
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

//! A TCP proxy on 127.0.0.1 between buyerdesk and a real database server,
//! for the fault tests: it passes bytes through, or refuses, stalls or
//! slows connections, and can drop every open connection at once. The mode
//! can be switched while connections are open; it applies to the next
//! chunk each connection forwards.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward everything at once.
    Pass,
    /// Accept a new connection and close it at once (the server is down);
    /// open connections are left alone (see `drop_all`).
    Refuse,
    /// Keep connections open but forward nothing, in either direction, until
    /// the mode changes (a hung server or a black-holed network).
    Stall,
    /// Forward each chunk after this delay (a slow link).
    Slow(Duration),
}

struct Shared {
    mode: watch::Sender<Mode>,
    /// Bumped by `drop_all`: every connection opened before ends.
    generation: watch::Sender<u64>,
    /// Bytes forwarded from the server to the client so far.
    bytes_down: AtomicU64,
    /// `down_after`: once `bytes_down` has passed this, the next chunk
    /// from the server is not forwarded and the server goes down.
    cut_at: AtomicU64,
    open: AtomicUsize,
    accepted: AtomicUsize,
}

/// A running proxy; it stops listening when dropped.
pub struct Proxy {
    pub port: u16,
    target: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on 127.0.0.1:0 and forwards to `target` ("127.0.0.1:5432").
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            mode: watch::channel(Mode::Pass).0,
            generation: watch::channel(0).0,
            bytes_down: AtomicU64::new(0),
            cut_at: AtomicU64::new(u64::MAX),
            open: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
        });
        let target_addr = target.to_string();
        let s = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                s.accepted.fetch_add(1, Ordering::SeqCst);
                if *s.mode.borrow() == Mode::Refuse {
                    drop(client);
                    continue;
                }
                let s = Arc::clone(&s);
                let target = target_addr.clone();
                tokio::spawn(async move {
                    s.open.fetch_add(1, Ordering::SeqCst);
                    connection(client, &target, &s).await;
                    s.open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Proxy {
            port,
            target: target.to_string(),
            shared,
            task,
        }
    }

    /// A proxy in front of the server of `url` (a scratch database's URL).
    pub async fn for_url(url: &str) -> Proxy {
        let u = url::Url::parse(url).unwrap();
        let host = u.host_str().unwrap_or("127.0.0.1");
        let port = u.port().unwrap_or(match u.scheme() {
            "postgres" | "postgresql" => 5432,
            _ => 3306,
        });
        Proxy::start(&format!("{host}:{port}")).await
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url(&self, url: &str) -> String {
        let mut u = url::Url::parse(url).unwrap();
        u.set_host(Some("127.0.0.1")).unwrap();
        u.set_port(Some(self.port)).unwrap();
        u.to_string()
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    pub fn set(&self, mode: Mode) {
        self.shared.mode.send_replace(mode);
    }

    pub fn mode(&self) -> Mode {
        *self.shared.mode.borrow()
    }

    /// Kills every open connection now (both sides see the socket close).
    pub fn drop_all(&self) {
        self.shared.generation.send_modify(|g| *g += 1);
    }

    /// The server goes away: new connections refused, open ones killed.
    pub fn down(&self) {
        self.shared.down();
    }

    /// The server goes away (as `down`) in the middle of an answer: once
    /// more than `bytes` have come down from now, the next chunk from the
    /// server is not forwarded. The proxy cuts by itself, so the cut falls
    /// there however late the test's own task gets to run.
    pub fn down_after(&self, bytes: u64) {
        let at = self.bytes_down() + bytes;
        self.shared.cut_at.store(at, Ordering::SeqCst);
    }

    /// Bytes forwarded from the server to buyerdesk so far.
    pub fn bytes_down(&self) -> u64 {
        self.shared.bytes_down.load(Ordering::SeqCst)
    }

    /// Connections open through the proxy now.
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }

    /// Connections accepted so far (refused ones included).
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }
}

impl Shared {
    fn down(&self) {
        self.cut_at.store(u64::MAX, Ordering::SeqCst);
        self.mode.send_replace(Mode::Refuse);
        self.generation.send_modify(|g| *g += 1);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.drop_all();
    }
}

/// One client connection, until either side closes or `drop_all`.
async fn connection(client: TcpStream, target: &str, s: &Shared) {
    let mut generation = s.generation.subscribe();
    let born = *generation.borrow_and_update();
    let forward = async {
        let Ok(server) = TcpStream::connect(target).await else {
            return;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        tokio::select! {
            _ = pipe(&mut cr, &mut sw, s, false) => {}
            _ = pipe(&mut sr, &mut cw, s, true) => {}
        }
    };
    tokio::select! {
        _ = forward => {}
        _ = generation.wait_for(|g| *g != born) => {}
    }
    // Both halves are dropped here: the sockets close.
}

/// Copies `from` to `to` chunk by chunk, each chunk as the mode says.
async fn pipe(
    from: &mut (impl AsyncReadExt + Unpin),
    to: &mut (impl AsyncWriteExt + Unpin),
    s: &Shared,
    down: bool,
) {
    let mut mode = s.mode.subscribe();
    // Small chunks, so that a slowed or dropped result is cut between rows.
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        loop {
            let now = *mode.borrow_and_update();
            match now {
                Mode::Pass | Mode::Refuse => break,
                Mode::Slow(d) => {
                    tokio::time::sleep(d).await;
                    break;
                }
                Mode::Stall => {
                    if mode.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
        if down && s.bytes_down.load(Ordering::SeqCst) > s.cut_at.load(Ordering::SeqCst) {
            s.down();
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
        if down {
            s.bytes_down.fetch_add(n as u64, Ordering::SeqCst);
        }
    }
}

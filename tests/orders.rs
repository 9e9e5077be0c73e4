//! Purchase orders against real purchasing databases (SQLite, PostgreSQL,
//! MariaDB): plan -> draft -> approve -> send -> plan; a supplier endpoint
//! on 127.0.0.1 that fails twice, refuses, or takes a PO and never answers
//! (the sender is killed and restarted); two processes drafting and
//! sending at once; the file channel never showing a half-written file;
//! the CLI's commands and exit codes.

mod common;
#[path = "support/decimal.rs"]
mod decimal;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use buyerdesk::config::{Config, SourceKind};
use buyerdesk::orders::drafting::draft_plans;
use buyerdesk::orders::{ChannelKind, PoStatus, Progress, Sender, SupplierChannel};
use buyerdesk::plan::{ExceptionCode, ProductPlan, RuleSet};
use buyerdesk::sources::Sources;
use buyerdesk::store::Store;
use common::endpoint::Endpoint;
use common::{bin, Db, Role, ScratchDb, Setup};
use decimal::{dec, grouped, Dec};

// ---------------------------------------------------------------------------

/// Demo sources (SQLite, 50 products) and a purchasing database on `db`.
struct World {
    setup: Setup,
    _purchasing: ScratchDb,
}

impl World {
    async fn new(test: &str, db: Db, user: &str) -> Option<World> {
        World::seeded(test, db, user, 50, 7).await
    }

    /// Demo sources of `products` products from `seed`.
    async fn seeded(test: &str, db: Db, user: &str, products: usize, seed: u64) -> Option<World> {
        let admin = db.admin_url(test)?;
        let mut setup = Setup::new(test, [Db::Sqlite; 4]).await?;
        buyerdesk::demo::seed(&setup.admin_config, products, seed, false, false)
            .await
            .unwrap();
        let purchasing = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
        purchasing.configure(&mut setup.config.file.purchasing);
        setup.config.file.general.user = Some(user.into());
        let mut o = common::orders_of(&setup.config);
        o.outbox = Some(setup.data_dir.path().join("outbox"));
        o.retry_backoff_secs = 0.05;
        o.send_timeout_secs = 5.0;
        o.write_to(&mut setup.config.file);
        Some(World {
            setup,
            _purchasing: purchasing,
        })
    }

    fn config(&self) -> &Config {
        &self.setup.config
    }

    fn supplier_http(&mut self, supplier: &str, url: String) {
        common::edit_orders(&mut self.setup.config, |o| {
            o.suppliers.insert(
                supplier.into(),
                SupplierChannel {
                    channel: ChannelKind::Http,
                    url: Some(url),
                    outbox: None,
                    token_env: None,
                },
            );
        });
    }

    async fn plans(&self, store: &Store, products: &[&str]) -> Vec<ProductPlan> {
        let ctx = buyerdesk::live::plan_context(store).await.unwrap();
        let sources = Sources::connect(self.config()).await.unwrap();
        let ids: Vec<String> = products.iter().map(|s| s.to_string()).collect();
        let (plans, _) = buyerdesk::live::plan_products(&sources, &RuleSet::embedded(), &ctx, &ids)
            .await
            .unwrap();
        sources.close().await;
        plans
    }

    /// The config as a file for the binary.
    fn write_config(&self) -> std::path::PathBuf {
        let c = self.config();
        let mut t = format!(
            "[general]\nuser = \"{}\"\n",
            c.file.general.user.as_deref().unwrap()
        );
        for kind in SourceKind::ALL {
            let s = c.file.source(kind);
            t.push_str(&format!(
                "[{kind}]\nurl = \"{}\"\n",
                s.url.as_deref().unwrap()
            ));
            if let Some(var) = &s.password_env {
                t.push_str(&format!("password_env = \"{var}\"\n"));
            }
        }
        let o = &common::orders_of(c);
        t.push_str(&format!(
            "[orders]\noutbox = \"{}\"\nretry_backoff_secs = {}\nsend_timeout_secs = {}\napproval_threshold = {}\n",
            o.outbox.as_ref().unwrap().display(),
            o.retry_backoff_secs,
            o.send_timeout_secs,
            o.approval_threshold.default
        ));
        if !o.approval_threshold.currencies.is_empty() {
            // The per-currency form, as a buyer writes it.
            let per: Vec<String> = o
                .approval_threshold
                .currencies
                .iter()
                .map(|(c, v)| format!("{c} = {v}"))
                .collect();
            t = t.replace(
                &format!("approval_threshold = {}\n", o.approval_threshold.default),
                &format!(
                    "approval_threshold = {{ default = {}, {} }}\n",
                    o.approval_threshold.default,
                    per.join(", ")
                ),
            );
        }
        if o.four_eyes {
            t.push_str("four_eyes = true\n");
        }
        if o.channel == ChannelKind::Http {
            t.push_str(&format!(
                "channel = \"http\"\nurl = \"{}\"\n",
                o.url.as_deref().unwrap()
            ));
        }
        for (name, s) in &o.suppliers {
            t.push_str(&format!(
                "[orders.suppliers.\"{name}\"]\nchannel = \"{}\"\nurl = \"{}\"\n",
                s.channel.name(),
                s.url.as_deref().unwrap_or("")
            ));
        }
        let path = self.setup.data_dir.path().join("config.toml");
        std::fs::write(&path, t).unwrap();
        path
    }

    fn cli(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("--config")
            .arg(self.write_config())
            .args(args)
            .env("BUYERDESK_DATA_DIR", self.setup.data_dir.path())
            .env_remove("BUYERDESK_LOG")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.cli(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn find<'a>(plans: &'a [ProductPlan], id: &str) -> &'a ProductPlan {
    plans.iter().find(|p| *p.product_id == *id).unwrap()
}

fn quiet(_: Progress) {}

// ---------------------------------------------------------------------------

async fn plan_draft_approve_send_plan(test: &str, db: Db) {
    let Some(world) = World::new(test, db, "alice").await else {
        return;
    };
    let store = Store::open(world.config()).await.unwrap();
    let plans = world.plans(&store, &["PROD-001", "PROD-002"]).await;
    assert_eq!(find(&plans, "PROD-001").order_qty, 600.0);
    let chosen: Vec<&ProductPlan> = plans.iter().collect();
    let outcome = draft_plans(world.config(), &store, &chosen).await.unwrap();
    assert_eq!(outcome.created.len(), 2, "{test}: {:?}", outcome.skipped);
    let by_supplier = |name: &str| {
        outcome
            .created
            .iter()
            .find(|p| p.supplier_name == name)
            .unwrap()
            .clone()
    };
    let abc = by_supplier("ABC Supplies Co.");
    let xyz = by_supplier("XYZ Manufacturing");
    assert_eq!(
        abc.status,
        PoStatus::Draft,
        "{test}: 9,300.00 is within 10,000"
    );
    assert_eq!(xyz.status, PoStatus::PendingApproval);
    assert_eq!(abc.lines[0].qty_purchase, 50.0);
    assert_eq!(abc.total_cents, 930_000);
    assert_ne!(abc.po_number, xyz.po_number);

    let sender = Sender::new(store.clone(), world.config()).unwrap();
    let refused = sender.send(&xyz.po_number, &quiet).await.unwrap_err();
    assert!(
        refused.to_string().contains("needs an approval first"),
        "{test}: {refused}"
    );
    let approved = store.approve(&xyz.po_number).await.unwrap();
    assert_eq!(approved.approved_by.as_deref(), Some("alice"));
    assert!(approved.approved_at.is_some());

    for po in [&abc, &xyz] {
        // ABC's draft is within the threshold: sent on the buyer's word.
        let sent = sender.send_confirmed(&po.po_number, &quiet).await.unwrap();
        assert_eq!(sent.attempts, 1);
        let json_path = common::orders_of(world.config())
            .outbox
            .as_ref()
            .unwrap()
            .join(format!("{}.json", po.send_key));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        assert_eq!(doc["po_number"], po.po_number.as_str());
        // The key: the number and the purchasing database's identity.
        let identity = &store.identity().unwrap().identity;
        assert_eq!(po.send_key, format!("{}-{identity}", po.po_number));
        assert_eq!(doc["idempotency_key"], po.send_key.as_str());
        assert_eq!(doc["lines"].as_array().unwrap().len(), 1);
        assert_eq!(
            store.po(&po.po_number).await.unwrap().unwrap().status,
            PoStatus::Sent
        );
    }
    let again = sender.send(&abc.po_number, &quiet).await.unwrap_err();
    assert!(again.to_string().contains("never sent twice"), "{again}");

    // The next plan sees the quantity covered.
    let after = world.plans(&store, &["PROD-001", "PROD-002"]).await;
    let p1 = find(&after, "PROD-001");
    assert!(p1.has(ExceptionCode::OpenPo), "{test}: {:?}", p1.exceptions);
    assert_eq!(p1.order_qty, 0.0, "{test}: suggestion 0 once the PO is out");
    assert_eq!(p1.on_order_qty, Some(600.0));
    assert_eq!(find(&after, "PROD-002").order_qty, 0.0);
    // And the product cannot go on a second PO.
    let twice = draft_plans(world.config(), &store, &[p1]).await.unwrap();
    assert!(twice.created.is_empty());
    assert_eq!(
        twice.skipped[0].reason,
        format!("already on {} (sent)", abc.po_number)
    );

    // Received: no longer on order.
    store.receive(&abc.po_number).await.unwrap();
    let later = world.plans(&store, &["PROD-001"]).await;
    assert!(!find(&later, "PROD-001").has(ExceptionCode::OpenPo));
    assert_eq!(find(&later, "PROD-001").order_qty, 600.0);
    let err = store.cancel(&xyz.po_number, false).await.unwrap_err();
    assert!(err.to_string().contains("po close"), "{err}");

    let actions: Vec<String> = store
        .audit_entries(None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "po_drafted",
        "po_approved",
        "po_send_started",
        "po_send_attempt",
        "po_sent",
        "po_received",
    ] {
        assert!(actions.iter().any(|x| x == a), "{test}: {a} in {actions:?}");
    }
    // The audit log is append-only.
    let changed = store
        .source
        .execute("UPDATE audit_log SET user_name = 'mallory'")
        .await;
    assert!(changed.is_err(), "{test}: audit rows cannot be changed");
    assert!(store.source.execute("DELETE FROM audit_log").await.is_err());
    // Numbers come from a sequence: a third PO gets the next one.
    let p1 = find(&later, "PROD-001");
    let third = draft_plans(world.config(), &store, &[p1]).await.unwrap();
    assert_eq!(
        third.created[0].po_number,
        buyerdesk::orders::po_number(3),
        "{test}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_draft_approve_send_plan_sqlite() {
    plan_draft_approve_send_plan("plan_draft_approve_send_plan_sqlite", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_draft_approve_send_plan_postgres() {
    plan_draft_approve_send_plan("plan_draft_approve_send_plan_postgres", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_draft_approve_send_plan_mariadb() {
    plan_draft_approve_send_plan("plan_draft_approve_send_plan_mariadb", Db::MySql).await;
}

// ---------------------------------------------------------------------------

async fn http_retries_and_refusals(test: &str, db: Db) {
    let endpoint = Endpoint::start().await;
    let Some(mut world) = World::new(test, db, "bob").await else {
        return;
    };
    world.supplier_http("ABC Supplies Co.", endpoint.url("flaky"));
    world.supplier_http("XYZ Manufacturing", endpoint.url("reject"));
    common::edit_orders(&mut world.setup.config, |o| {
        o.approval_threshold = 1e9.into()
    });
    let store = Store::open(world.config()).await.unwrap();
    let plans = world.plans(&store, &["PROD-001", "PROD-002"]).await;
    let chosen: Vec<&ProductPlan> = plans.iter().collect();
    let outcome = draft_plans(world.config(), &store, &chosen).await.unwrap();
    let number = |name: &str| {
        outcome
            .created
            .iter()
            .find(|p| p.supplier_name == name)
            .unwrap()
            .po_number
            .clone()
    };
    let (abc, xyz) = (number("ABC Supplies Co."), number("XYZ Manufacturing"));
    // The rules ask approval for PROD-002 whatever the threshold.
    store.approve(&xyz).await.unwrap();
    let sender = Sender::new(store.clone(), world.config()).unwrap();

    // Fails twice (503), then succeeds: three requests, one key, one body.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let progress = move |p: Progress| log.lock().unwrap().push(p);
    let sent = sender.send_confirmed(&abc, &progress).await.unwrap();
    assert_eq!(sent.attempts, 3, "{test}");
    assert!(
        sent.confirmation.starts_with("HTTP 201"),
        "{}",
        sent.confirmation
    );
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 3);
    let abc_key = store.po_required(&abc).await.unwrap().send_key;
    assert!(requests
        .iter()
        .all(|r| r.key.as_deref() == Some(abc_key.as_str())));
    assert!(requests.iter().all(|r| r.body == requests[0].body));
    let doc: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(doc["po_number"], abc.as_str());
    assert_eq!(endpoint.processed(), BTreeSet::from([abc_key.clone()]));
    let retries = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|p| matches!(p, Progress::Retrying { .. }))
        .count();
    assert_eq!(retries, 2);
    let attempts = store.send_attempts(&abc).await.unwrap();
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
    // 503: the supplier says it did not take the request.
    assert_eq!(outcomes, ["not_reached", "not_reached", "ok"], "{test}");
    assert!(attempts[0].detail.as_deref().unwrap().contains("HTTP 503"));
    assert_eq!(
        store.po(&abc).await.unwrap().unwrap().status,
        PoStatus::Sent
    );

    // 422: refused at once, never retried; the PO can be sent again later.
    let err = sender.send(&xyz, &quiet).await.unwrap_err();
    assert!(err.to_string().contains("HTTP 422"), "{err}");
    let to_reject: Vec<_> = endpoint
        .requests()
        .into_iter()
        .filter(|r| r.path == "reject")
        .collect();
    assert_eq!(to_reject.len(), 1, "{test}: no retry on 4xx");
    let po = store.po(&xyz).await.unwrap().unwrap();
    assert_eq!(po.status, PoStatus::Approved);
    assert!(po
        .last_error
        .as_deref()
        .unwrap()
        .contains("unknown article"));
    let outcomes: Vec<String> = store
        .send_attempts(&xyz)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(outcomes, ["rejected"]);
    // The supplier fixes its side: the retry goes through with the same key.
    world.supplier_http("XYZ Manufacturing", endpoint.url("ok"));
    let sender = Sender::new(store.clone(), world.config()).unwrap();
    sender.send(&xyz, &quiet).await.unwrap();
    let po = store.po(&xyz).await.unwrap().unwrap();
    assert_eq!((po.status, po.last_error), (PoStatus::Sent, None));
    assert_eq!(endpoint.processed(), BTreeSet::from([abc_key, po.send_key]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_retries_and_refusals_sqlite() {
    http_retries_and_refusals("http_retries_and_refusals_sqlite", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_retries_and_refusals_postgres() {
    http_retries_and_refusals("http_retries_and_refusals_postgres", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_retries_and_refusals_mariadb() {
    http_retries_and_refusals("http_retries_and_refusals_mariadb", Db::MySql).await;
}

// ---------------------------------------------------------------------------

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 30 s");
}

async fn a_send_cut_off_by_a_kill_is_finished_on_restart(test: &str, db: Db) {
    let endpoint = Endpoint::start().await;
    let Some(mut world) = World::new(test, db, "carol").await else {
        return;
    };
    world.supplier_http("ABC Supplies Co.", endpoint.url("hang"));
    let (ok, out, err) = world.run(&["po", "draft", "--product", "PROD-001"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("PO-000001  ABC Supplies Co."), "{out}");

    // The supplier takes the PO, and the sender is killed before it hears.
    let mut child = world
        .cli(&["po", "send", "PO-000001", "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the first request", || !endpoint.requests().is_empty()).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let store = Store::open(world.config()).await.unwrap();
    let po = store.po("PO-000001").await.unwrap().unwrap();
    assert_eq!(
        po.status,
        PoStatus::Sending,
        "{test}: cut off while sending"
    );
    let attempts = store.send_attempts("PO-000001").await.unwrap();
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["started"], "{test}: logged before it goes");

    // The next start finishes it with the same key.
    let (ok, out, err) = world.run(&["po", "send", "--all-approved"]);
    assert!(ok, "{test}: {out}{err}");
    assert!(out.contains("PO-000001 sent via http"), "{out}");
    assert!(out.contains("finishing the send of"), "{out}");
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 2, "{test}");
    let key = store.po_required("PO-000001").await.unwrap().send_key;
    assert!(key.starts_with("PO-000001-"), "{test}: {key}");
    assert!(requests
        .iter()
        .all(|r| r.key.as_deref() == Some(key.as_str())));
    assert_eq!(requests[0].body, requests[1].body, "the same document");
    assert_eq!(endpoint.processed().len(), 1, "{test}: received once");
    let po = store.po("PO-000001").await.unwrap().unwrap();
    assert_eq!(po.status, PoStatus::Sent);
    let attempts = store.send_attempts("PO-000001").await.unwrap();
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["cut_off", "ok"],
        "{test}: every attempt with its outcome"
    );
    assert_ne!(attempts[0].claim, attempts[1].claim, "two processes");
    let (ok, _, err) = world.run(&["po", "send", "PO-000001", "--yes"]);
    assert!(!ok && err.contains("never sent twice"), "{err}");
    assert_eq!(endpoint.requests().len(), 2);
}

/// Two workstations, each with its own SQLite purchasing database, both
/// reach PO-000001 (and PO-000002): their send keys carry each database's
/// identity, so one shared outbox gets two documents under two names,
/// neither overwritten, and the supplier's endpoint two keys, never the
/// second order taken for a repeat of the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_purchasing_databases_send_their_po_000001_under_two_keys() {
    let test = "two_purchasing_databases";
    let Some(mut a) = World::new(&format!("{test}_a"), Db::Sqlite, "alice").await else {
        return;
    };
    let Some(mut b) = World::new(&format!("{test}_b"), Db::Sqlite, "bob").await else {
        return;
    };
    let outbox = common::orders_of(a.config()).outbox.clone().unwrap();
    common::edit_orders(&mut b.setup.config, |o| o.outbox = Some(outbox.clone()));
    let key_of = |w: &World, number: &str| {
        let config = w.config().clone();
        let number = number.to_string();
        async move {
            let store = Store::open(&config).await.unwrap();
            store.po_required(&number).await.unwrap().send_key
        }
    };
    // The file channel: one outbox.
    let (ok, out, err) = a.run(&["po", "draft", "--product", "PROD-001"]);
    assert!(ok && out.contains("PO-000001"), "{out}{err}");
    let (ok, out, err) = a.run(&["po", "send", "PO-000001", "--yes"]);
    assert!(ok, "{out}{err}");
    let (ok, out, err) = b.run(&["po", "draft", "--product", "PROD-003"]);
    assert!(ok && out.contains("PO-000001"), "{out}{err}");
    let (_, _, _) = b.run(&["po", "approve", "PO-000001", "--yes"]);
    let (ok, out, err) = b.run(&["po", "send", "PO-000001", "--yes"]);
    assert!(
        ok,
        "the second database's PO-000001 is sent too: {out}{err}"
    );
    let (key_a, key_b) = (key_of(&a, "PO-000001").await, key_of(&b, "PO-000001").await);
    assert!(key_a.starts_with("PO-000001-") && key_b.starts_with("PO-000001-"));
    assert_ne!(key_a, key_b, "two databases, two keys");
    let read = |key: &str, ext: &str| std::fs::read(outbox.join(format!("{key}.{ext}"))).unwrap();
    let doc =
        |key: &str| -> serde_json::Value { serde_json::from_slice(&read(key, "json")).unwrap() };
    assert_eq!(doc(&key_a)["idempotency_key"], key_a.as_str());
    assert_eq!(doc(&key_b)["idempotency_key"], key_b.as_str());
    assert_eq!(doc(&key_a)["lines"][0]["product_id"], "PROD-001");
    assert_eq!(doc(&key_b)["lines"][0]["product_id"], "PROD-003");
    assert!(String::from_utf8(read(&key_a, "csv"))
        .unwrap()
        .contains("PROD-001"));
    assert!(String::from_utf8(read(&key_b, "csv"))
        .unwrap()
        .contains("PROD-003"));
    let mut names: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected = [
        format!("{key_a}.csv"),
        format!("{key_a}.json"),
        format!("{key_b}.csv"),
        format!("{key_b}.json"),
    ];
    expected.sort();
    assert_eq!(names, expected, "four documents, no temporary file left");

    // HTTP: one supplier endpoint, each database's PO-000002.
    let endpoint = Endpoint::start().await;
    for w in [&mut a, &mut b] {
        let mut o = common::orders_of(&w.setup.config);
        o.channel = ChannelKind::Http;
        o.url = Some(endpoint.url("ok"));
        o.write_to(&mut w.setup.config.file);
        let (ok, out, err) = w.run(&["po", "draft", "--product", "PROD-002"]);
        assert!(ok && out.contains("PO-000002"), "{out}{err}");
        let (_, _, _) = w.run(&["po", "approve", "PO-000002", "--yes"]);
        let (ok, out, err) = w.run(&["po", "send", "PO-000002", "--yes"]);
        assert!(ok, "{out}{err}");
    }
    let (key_a, key_b) = (key_of(&a, "PO-000002").await, key_of(&b, "PO-000002").await);
    assert_ne!(key_a, key_b);
    let keys: Vec<Option<String>> = endpoint.requests().into_iter().map(|r| r.key).collect();
    assert_eq!(keys, [Some(key_a.clone()), Some(key_b.clone())]);
    assert_eq!(
        endpoint.processed(),
        BTreeSet::from([key_a, key_b]),
        "the supplier took two orders"
    );
}

/// The send lease is judged by the purchasing database's clock, never a
/// workstation's: a send claimed by another machine whose clock ran ahead
/// (its claim time in the future) is not taken over as expired while it is
/// under way; one whose claim is older than the lease by the server's clock
/// is.
async fn the_lease_follows_the_servers_clock(test: &str, db: Db) {
    let endpoint = Endpoint::start().await;
    let Some(mut world) = World::new(test, db, "carol").await else {
        return;
    };
    world.supplier_http("ABC Supplies Co.", endpoint.url("ok"));
    let (ok, out, err) = world.run(&["po", "draft", "--product", "PROD-001"]);
    assert!(ok, "{out}{err}");
    let store = Store::open(world.config()).await.unwrap();
    store.approve("PO-000001").await.unwrap();
    let b = store.source.backend;
    let claim_at = |at: String| {
        let sql = format!(
            "UPDATE purchase_orders SET status = 'sending', claim = {}, claimed_at = {} WHERE po_number = {}",
            b.placeholder(1),
            b.placeholder(2),
            b.placeholder(3)
        );
        let source = store.source.clone();
        async move {
            buyerdesk::sources::with_pool_write(
                &source,
                &sql,
                vec![
                    Some("another-host:4242:abcd".into()),
                    Some(at),
                    Some("PO-000001".into()),
                ],
            )
            .await
            .unwrap()
        }
    };
    let server_now =
        chrono::DateTime::parse_from_rfc3339(&store.server_now().await.unwrap()).unwrap();
    let text =
        |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    // A claimer 5 s ahead: its claim is in the future.
    claim_at(text(server_now + chrono::Duration::seconds(5))).await;
    let (ok, _, err) = world.run(&["po", "send", "PO-000001", "--yes"]);
    assert!(
        !ok && err.contains("being sent by another-host:4242:abcd"),
        "{test}: {err}"
    );
    assert!(endpoint.requests().is_empty(), "{test}: not posted twice");
    // A fresh claim (10 s old by the server's clock): not taken over either.
    claim_at(text(server_now - chrono::Duration::seconds(10))).await;
    let (ok, _, err) = world.run(&["po", "send", "PO-000001", "--yes"]);
    assert!(!ok, "{test}: {err}");
    assert!(endpoint.requests().is_empty(), "{test}");
    // Older than the lease (300 s) by the server's clock: taken over and
    // sent, with the same key.
    claim_at(text(server_now - chrono::Duration::seconds(400))).await;
    let (ok, out, err) = world.run(&["po", "send", "PO-000001", "--yes"]);
    assert!(ok, "{test}: {out}{err}");
    assert_eq!(endpoint.requests().len(), 1, "{test}");
    // The claim written by a sender is the server's time.
    let attempts = store.send_attempts("PO-000001").await.unwrap();
    assert_eq!(attempts.last().unwrap().outcome, "ok", "{test}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_follows_the_servers_clock_sqlite() {
    the_lease_follows_the_servers_clock("the_lease_follows_the_servers_clock_sqlite", Db::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_follows_the_servers_clock_postgres() {
    the_lease_follows_the_servers_clock(
        "the_lease_follows_the_servers_clock_postgres",
        Db::Postgres,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_follows_the_servers_clock_mariadb() {
    the_lease_follows_the_servers_clock("the_lease_follows_the_servers_clock_mariadb", Db::MySql)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_cut_off_by_a_kill_is_finished_on_restart_sqlite() {
    a_send_cut_off_by_a_kill_is_finished_on_restart("kill_restart_sqlite", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_cut_off_by_a_kill_is_finished_on_restart_postgres() {
    a_send_cut_off_by_a_kill_is_finished_on_restart("kill_restart_postgres", Db::Postgres).await;
}

// ---------------------------------------------------------------------------

async fn two_processes_at_once(test: &str, db: Db) {
    two_processes_on_a_channel(test, db, ChannelKind::Http).await;
    // The file channel sends in batches: the same guarantees.
    two_processes_on_a_channel(&format!("{test}_file"), db, ChannelKind::File).await;
}

async fn two_processes_on_a_channel(test: &str, db: Db, channel: ChannelKind) {
    let endpoint = Endpoint::start().await;
    let Some(mut world) = World::new(test, db, "dave").await else {
        return;
    };
    {
        let mut o = common::orders_of(&world.setup.config);
        if channel == ChannelKind::Http {
            o.channel = ChannelKind::Http;
            o.url = Some(endpoint.url("ok"));
        }
        o.approval_threshold = 1e12.into();
        o.write_to(&mut world.setup.config.file);
    }
    let spawn_two = |args: &[&str]| {
        let a = world
            .cli(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let b = world
            .cli(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()]
    };
    let drafted = spawn_two(&["po", "draft", "--all-needed"]);
    let texts: Vec<String> = drafted
        .iter()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
        })
        .collect();
    let store = Store::open(world.config()).await.unwrap();
    let pos = store.pos(None).await.unwrap();
    assert!(!pos.is_empty(), "{test}: {texts:?}");
    let numbers: BTreeSet<&str> = pos.iter().map(|p| p.po_number.as_str()).collect();
    assert_eq!(numbers.len(), pos.len(), "{test}: no duplicate PO numbers");
    let mut products = Vec::new();
    for po in &pos {
        let full = store.po(&po.po_number).await.unwrap().unwrap();
        assert!(!full.lines.is_empty());
        products.extend(full.lines.into_iter().map(|l| l.product_id));
    }
    let unique: BTreeSet<&String> = products.iter().collect();
    assert_eq!(
        unique.len(),
        products.len(),
        "{test}: each product on one PO only"
    );
    // Together they drafted every product that needs an order.
    let plans = world.plans(&store, &[]).await;
    let ordered_before: BTreeSet<&str> = plans
        .iter()
        .filter(|p| p.has(ExceptionCode::OnPo))
        .map(|p| &*p.product_id)
        .collect();
    let unique: BTreeSet<&str> = unique.into_iter().map(String::as_str).collect();
    assert_eq!(ordered_before, unique, "{test}");

    for po in &pos {
        store.approve(&po.po_number).await.unwrap();
    }
    let sent = spawn_two(&["po", "send", "--all-approved"]);
    for o in &sent {
        assert!(
            o.status.success(),
            "{test}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let expected: Vec<String> = numbers.iter().map(|s| s.to_string()).collect();
    let identity = store.identity().unwrap().identity.clone();
    let expected_keys: Vec<String> = expected.iter().map(|n| format!("{n}-{identity}")).collect();
    if channel == ChannelKind::Http {
        let requests = endpoint.requests();
        let mut keys: Vec<String> = requests.iter().filter_map(|r| r.key.clone()).collect();
        keys.sort();
        assert_eq!(
            keys, expected_keys,
            "{test}: each PO sent once, by one of the two"
        );
    }
    let outbox = common::orders_of(world.config()).outbox.clone().unwrap();
    for (n, key) in expected.iter().zip(&expected_keys) {
        let attempts = store.send_attempts(n).await.unwrap();
        let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
        assert_eq!(outcomes, ["ok"], "{test}: {n} sent once, by one of the two");
        assert_eq!(
            outbox.join(format!("{key}.json")).exists(),
            channel == ChannelKind::File,
            "{test}: {n}"
        );
    }
    for po in store.pos(None).await.unwrap() {
        assert_eq!(po.status, PoStatus::Sent, "{test}: {}", po.po_number);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_draft_and_send_at_once_postgres() {
    two_processes_at_once("two_processes_postgres", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_draft_and_send_at_once_mariadb() {
    two_processes_at_once("two_processes_mariadb", Db::MySql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_draft_and_send_at_once_sqlite() {
    two_processes_at_once("two_processes_sqlite", Db::Sqlite).await;
}

// ---------------------------------------------------------------------------

fn assert_whole_files(outbox: &Path) -> usize {
    let mut seen = 0;
    let Ok(dir) = std::fs::read_dir(outbox) else {
        return 0;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // a temporary file, never under the final name
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        if name.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name} is half-written: {e}"));
            assert!(v["total"].is_number(), "{name}");
            // The CSV is written first: with the JSON there, it is whole.
            let csv = std::fs::read_to_string(outbox.join(name.replace(".json", ".csv")))
                .unwrap_or_else(|e| panic!("{name} without its CSV: {e}"));
            assert_eq!(
                csv.lines().count(),
                v["lines"].as_array().unwrap().len() + 1,
                "{name}"
            );
            seen += 1;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_channel_never_shows_a_half_written_file() {
    let test = "the_file_channel_never_shows_a_half_written_file";
    let Some(mut world) = World::new(test, Db::Sqlite, "erin").await else {
        return;
    };
    common::edit_orders(&mut world.setup.config, |o| {
        o.approval_threshold = 1e12.into()
    });
    let outbox = common::orders_of(world.config()).outbox.clone().unwrap();
    let store = Store::open(world.config()).await.unwrap();
    let plans = world.plans(&store, &[]).await;
    let chosen: Vec<&ProductPlan> = plans.iter().collect();
    let drafted = draft_plans(world.config(), &store, &chosen).await.unwrap();
    assert!(
        drafted.created.len() >= 5,
        "{test}: {}",
        drafted.created.len()
    );
    for po in &drafted.created {
        store.approve(&po.po_number).await.unwrap();
    }

    // A reader scans the outbox the whole time the POs are written.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (stop, outbox) = (Arc::clone(&stop), outbox.clone());
        std::thread::spawn(move || {
            let mut scans = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                assert_whole_files(&outbox);
                scans += 1;
            }
            scans
        })
    };
    let sender = Sender::new(store.clone(), world.config()).unwrap();
    let results = sender.send_all(false, &quiet).await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let scans = reader
        .join()
        .expect("the reader never saw a half-written file");
    assert!(scans > 0);
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert_eq!(assert_whole_files(&outbox), drafted.created.len());
    let leftovers: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    // Each PO marked sent with its confirmation and one attempt, `ok`,
    // logged in the batches' few statements.
    for po in &drafted.created {
        let n = &po.po_number;
        let stored = store.po(n).await.unwrap().unwrap();
        assert_eq!(stored.status, PoStatus::Sent, "{n}");
        let confirmation = stored.confirmation.unwrap_or_default();
        assert!(
            confirmation.contains(&format!("{}.json", po.send_key)),
            "{n}: {confirmation}"
        );
        let attempts = store.send_attempts(n).await.unwrap();
        assert_eq!(attempts.len(), 1, "{n}: {attempts:?}");
        assert_eq!(attempts[0].outcome, "ok", "{n}");
        assert_eq!(
            attempts[0].detail.as_deref(),
            Some(confirmation.as_str()),
            "{n}"
        );
    }

    // An outbox that cannot be written: the send fails, says why, leaves
    // nothing behind, and the PO can be sent again.
    let blocked = world.setup.data_dir.path().join("blocked");
    std::fs::write(&blocked, "a file where the outbox should be").unwrap();
    common::edit_orders(&mut world.setup.config, |o| {
        o.outbox = Some(blocked.join("outbox"))
    });
    store.receive(&drafted.created[0].po_number).await.unwrap();
    let p = world.plans(&store, &[]).await;
    let first = &drafted.created[0].lines[0].product_id;
    let again = draft_plans(world.config(), &store, &[find(&p, first)])
        .await
        .unwrap();
    let number = again.created[0].po_number.clone();
    store.approve(&number).await.unwrap();
    let sender = Sender::new(store.clone(), world.config()).unwrap();
    let err = sender.send(&number, &quiet).await.unwrap_err();
    assert!(
        err.to_string().contains("cannot create the folder"),
        "{err}"
    );
    let po = store.po(&number).await.unwrap().unwrap();
    assert_eq!(po.status, PoStatus::Approved);
    assert!(po.last_error.is_some());
    // The same through a batch (`--all-approved`).
    let results = sender.send_all(false, &quiet).await.unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    let err = results[0].1.as_ref().unwrap_err().to_string();
    assert!(err.contains("cannot create the folder"), "{err}");
    let po = store.po(&number).await.unwrap().unwrap();
    assert_eq!(po.status, PoStatus::Approved, "given back for another try");
    let last_error = po.last_error.unwrap_or_default();
    assert!(
        last_error.contains("cannot create the folder"),
        "{last_error}"
    );
    let attempts = store.send_attempts(&number).await.unwrap();
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["rejected", "rejected"], "one per send");
    assert_eq!(attempts[1].detail.as_deref(), Some(last_error.as_str()));
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_po_commands_print_what_they_did_and_fail_clearly() {
    let test = "the_po_commands_print_what_they_did_and_fail_clearly";
    let Some(world) = World::new(test, Db::Sqlite, "frank").await else {
        return;
    };
    let (ok, out, err) = world.run(&["po", "draft"]);
    assert!(!ok && err.contains("--all-needed"), "{out}{err}");
    let (ok, _, err) = world.run(&["po", "draft", "--product", "NOPE-1"]);
    assert!(!ok && err.contains("unknown product(s): NOPE-1"), "{err}");
    let (ok, out, err) = world.run(&[
        "po",
        "draft",
        "--product",
        "PROD-001",
        "--product",
        "PROD-002",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("2 POs drafted, 0 products left out"), "{out}");
    let drafted = out;
    let (ok, out, _) = world.run(&["po", "list", "--format", "json"]);
    assert!(ok);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["line_count"], 1);
    // What the draft came to, per currency, as the POs add up.
    let mut per_currency: std::collections::BTreeMap<&str, i64> = Default::default();
    for po in list.as_array().unwrap() {
        *per_currency
            .entry(po["currency"].as_str().unwrap())
            .or_default() += po["total_cents"].as_i64().unwrap();
    }
    let together: Vec<String> = per_currency
        .iter()
        .map(|(c, cents)| {
            format!(
                "{} {c}",
                buyerdesk::plan::numbers::fmt_money(*cents as f64 / 100.0)
            )
        })
        .collect();
    assert!(
        drafted.contains(&format!("; together {}\n", together.join(" + "))),
        "{together:?}\n{drafted}"
    );
    let (ok, out, _) = world.run(&["po", "list", "--status", "pending_approval"]);
    assert!(
        ok && out.contains("XYZ Manufacturing") && !out.contains("ABC Supplies"),
        "{out}"
    );
    let (ok, _, err) = world.run(&["po", "list", "--status", "shipped"]);
    assert!(
        !ok && err.contains("one of draft, pending_approval"),
        "{err}"
    );
    let (ok, out, _) = world.run(&["po", "show", "1"]);
    assert!(
        ok && out.contains("PO-000001  draft  ABC Supplies Co.") && out.contains("PROD-001"),
        "{out}"
    );
    let key = Store::open(world.config())
        .await
        .unwrap()
        .po_required("PO-000001")
        .await
        .unwrap()
        .send_key;
    assert!(out.contains(&format!("send key {key} (")), "{out}");
    let (ok, _, err) = world.run(&["po", "show", "PO-00x"]);
    assert!(!ok && err.contains("is not a PO number"), "{err}");
    let (ok, _, err) = world.run(&["po", "show", "PO-000999"]);
    assert!(!ok && err.contains("PO-000999: no such PO"), "{err}");
    let (ok, _, err) = world.run(&["po", "send", "PO-000002", "--yes"]);
    assert!(!ok && err.contains("needs an approval first"), "{err}");
    let (ok, _, err) = world.run(&["po", "approve", "PO-000002"]);
    assert!(
        !ok && err.contains("needs an explicit confirmation") && err.contains("21,274.39"),
        "{err}"
    );
    let (ok, out, _) = world.run(&["po", "approve", "PO-000002", "--yes"]);
    assert!(ok && out.contains("PO-000002 approved by frank"), "{out}");
    let (ok, _, err) = world.run(&["po", "approve", "PO-000002", "--yes"]);
    assert!(
        !ok && err.contains("PO-000002 is approved: it cannot become approved"),
        "{err}"
    );
    // A draft within the threshold: sending never approves, and a script
    // must say --yes to send it without approval.
    let (ok, out, err) = world.run(&["po", "send", "PO-000001"]);
    assert!(
        !ok && err.contains("Send PO-000001, 9,300.00 USD, ABC Supplies Co. (a draft within the threshold, sent without approval)? Sending a draft needs an explicit confirmation"),
        "{out}{err}"
    );
    let (ok, out, err) = world.run(&["po", "send", "PO-000001", "--yes"]);
    assert!(ok && out.contains("PO-000001 sent via file"), "{out}{err}");
    let (ok, out, _) = world.run(&["po", "show", "PO-000001", "--format", "json"]);
    assert!(ok);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["po"]["approved_by"], serde_json::Value::Null, "{out}");
    let (ok, out, _) = world.run(&["po", "cancel", "PO-000002"]);
    assert!(ok && out.contains("PO-000002 is cancelled"), "{out}");
    let (ok, _, err) = world.run(&["po", "cancel", "PO-000001"]);
    assert!(!ok && err.contains("cancel with the supplier"), "{err}");
    let (ok, out, _) = world.run(&["po", "receive", "PO-000001"]);
    assert!(ok && out.contains("PO-000001 is received"), "{out}");
    let (ok, out, _) = world.run(&["po", "close", "PO-000001"]);
    assert!(ok && out.contains("PO-000001 is closed"), "{out}");
    let (ok, out, _) = world.run(&["audit", "--since", "1h"]);
    assert!(ok);
    for a in [
        "po_drafted",
        "po_approved",
        "po_sent",
        "po_cancelled",
        "po_received",
        "po_closed",
    ] {
        assert!(out.contains(a), "{a} in\n{out}");
    }
    assert!(out.contains("frank"));
    let (ok, out, _) = world.run(&["audit", "--since", "2999-01-01"]);
    assert!(ok && out.contains("no audit entries"), "{out}");
    let (ok, _, err) = world.run(&["audit", "--since", "someday"]);
    assert!(!ok && err.contains("give a date"), "{err}");
}

// ---------------------------------------------------------------------------
// Documents a supplier can check: every .json and .csv the file channel
// wrote is read back and its arithmetic redone, as a supplier's tool would,
// on decimals parsed from the text (not with buyerdesk's own arithmetic).

/// A JSON field as a decimal (its text as the JSON has it).
fn json_dec(what: &str, v: &serde_json::Value) -> Dec {
    assert!(v.is_number(), "{what}: {v} is not a number");
    dec(what, &v.to_string())
}

/// What the plan says a product's line must be in: (purchase unit, stock
/// unit, pack, price per stock unit, the plan's amount in cents).
struct Expected {
    unit: String,
    stock_unit: String,
    pack: f64,
    stock_unit_price: f64,
    plan_amount_cents: Option<i64>,
}

fn expected_of(plans: &[ProductPlan]) -> std::collections::HashMap<String, Expected> {
    plans
        .iter()
        .map(|p| {
            let stock_unit = p.stock_uom.as_deref().unwrap_or("").to_string();
            (
                p.product_id.to_string(),
                Expected {
                    unit: p
                        .purchase_uom
                        .as_deref()
                        .map_or(stock_unit.clone(), str::to_string),
                    stock_unit,
                    pack: p.conversion_factor.filter(|f| *f > 0.0).unwrap_or(1.0),
                    stock_unit_price: p.unit_price.unwrap_or(f64::NAN),
                    // The buyer's quantity is not the plan's.
                    plan_amount_cents: p.override_qty.is_none().then(|| {
                        (buyerdesk::plan::numbers::round_money(p.amount) * 100.0).round() as i64
                    }),
                },
            )
        })
        .collect()
}

/// Reads the JSON and CSV of each PO in `pos` from `outbox` and checks, on
/// every line: quantity x unit_price = amount to the cent, the unit is the
/// purchase unit, stock_quantity = quantity x pack_size, stock_quantity x
/// stock_unit_price = amount, the JSON and the CSV agree; and the lines
/// add up to the total. Returns (lines checked, lines whose amount is not
/// the plan's to the cent, with why).
fn check_documents(
    outbox: &Path,
    pos: &[buyerdesk::orders::PurchaseOrder],
    expected: &std::collections::HashMap<String, Expected>,
) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut off_plan = Vec::new();
    for po in pos {
        let n = &po.po_number;
        let key = &po.send_key;
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(outbox.join(format!("{key}.json"))).unwrap(),
        )
        .unwrap_or_else(|e| panic!("{key}.json: {e}"));
        let mut csv = csv::Reader::from_path(outbox.join(format!("{key}.csv"))).unwrap();
        let header = csv.headers().unwrap().clone();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{n}.csv has no column {name}: {header:?}"))
        };
        let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.unwrap()).collect();
        assert_eq!(json["po_number"], n.as_str());
        assert_eq!(json["currency"], po.currency.as_str(), "{n}");
        let lines = json["lines"].as_array().unwrap();
        assert_eq!(lines.len(), po.line_count, "{n}: lines in the JSON");
        assert_eq!(rows.len(), po.line_count, "{n}: lines in the CSV");
        let total = json_dec(&format!("{n} total"), &json["total"]);
        assert_eq!(total.cents(), i128::from(po.total_cents), "{n}: total");
        let mut sum = 0i128;
        for (l, row) in lines.iter().zip(&rows) {
            let id = l["product_id"].as_str().unwrap();
            let at = format!("{n} line {} ({id})", l["line"]);
            let e = expected
                .get(id)
                .unwrap_or_else(|| panic!("{at}: a product the plan does not know"));
            let q = json_dec(&at, &l["quantity"]);
            let price = json_dec(&at, &l["unit_price"]);
            let amount = json_dec(&at, &l["amount"]);
            let pack = json_dec(&at, &l["pack_size"]);
            let stock_q = json_dec(&at, &l["stock_quantity"]);
            let stock_price = json_dec(&at, &l["stock_unit_price"]);
            assert!(
                q.is_whole() && q.units > 0,
                "{at}: quantity {q:?} is not whole packs"
            );
            assert_eq!(
                q.mul(price).cents(),
                amount.cents(),
                "{at}: quantity {} x unit_price {} is not the amount {}",
                l["quantity"],
                l["unit_price"],
                l["amount"]
            );
            // (null where the product has no UOM row: its unit is unknown)
            let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
            assert_eq!(text(&l["unit"]), e.unit, "{at}: unit is the purchase unit");
            assert_eq!(text(&l["stock_unit"]), e.stock_unit, "{at}: stock unit");
            assert!(
                pack.same(dec(&at, &e.pack.to_string())),
                "{at}: pack_size {} is not the plan's {}",
                l["pack_size"],
                e.pack
            );
            assert!(
                stock_price.same(dec(&at, &e.stock_unit_price.to_string())),
                "{at}: stock_unit_price {} is not the source's {}",
                l["stock_unit_price"],
                e.stock_unit_price
            );
            // Quantities keep 6 decimals (as every quantity buyerdesk prints).
            assert_eq!(
                stock_q.round(6),
                q.mul(pack).round(6),
                "{at}: stock_quantity {} is not quantity x pack_size",
                l["stock_quantity"]
            );
            assert_eq!(
                stock_q.mul(stock_price).cents(),
                amount.cents(),
                "{at}: stock_quantity x stock_unit_price is not the amount"
            );
            if let Some(plan_cents) = e.plan_amount_cents {
                if amount.cents() != i128::from(plan_cents) {
                    off_plan.push(format!(
                        "{at}: amount {} vs the plan's {plan_cents} cents",
                        l["amount"]
                    ));
                }
            }
            // The CSV row says the same.
            for (field, column) in [
                ("quantity", "quantity"),
                ("unit_price", "unit_price"),
                ("amount", "amount"),
                ("pack_size", "pack_size"),
                ("stock_quantity", "stock_quantity"),
                ("stock_unit_price", "stock_unit_price"),
            ] {
                let cell = &row[col(column)];
                assert!(
                    dec(&at, cell).same(json_dec(&at, &l[field])),
                    "{at}: the CSV's {column} {cell:?} is not the JSON's {}",
                    l[field]
                );
            }
            for (field, column) in [
                ("product_id", "product_id"),
                ("unit", "unit"),
                ("stock_unit", "stock_unit"),
            ] {
                assert_eq!(
                    text(&l[field]),
                    &row[col(column)],
                    "{at}: {column} in the CSV"
                );
            }
            assert_eq!(&row[col("po_number")], n.as_str());
            assert_eq!(&row[col("currency")], po.currency.as_str(), "{at}");
            sum += amount.cents();
            checked += 1;
        }
        assert_eq!(
            sum,
            total.cents(),
            "{n}: the lines do not add up to the total"
        );
    }
    (checked, off_plan)
}

/// Reads `po show` of each PO as a person would and checks that each row
/// prints the JSON document's figures and multiplies out, and that the
/// closing line names the total. Returns the rows checked.
fn check_po_show(outbox: &Path, pos: &[buyerdesk::orders::PurchaseOrder]) -> usize {
    let mut checked = 0;
    for po in pos {
        let n = &po.po_number;
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(outbox.join(format!("{}.json", po.send_key))).unwrap(),
        )
        .unwrap();
        let text = buyerdesk::cli::po::po_text(po, &[]);
        // Rows: "#  Product  Name  Quantity  Unit price  Amount  Stock
        // quantity  Stock unit price  Delivery", cells 2+ spaces apart.
        let rows: Vec<Vec<&str>> = text
            .lines()
            .map(|l| {
                l.split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>()
            })
            // A sent PO has a tenth column: received so far.
            .filter(|cells| matches!(cells.len(), 9 | 10) && cells[0].parse::<u32>().is_ok())
            .collect();
        assert_eq!(rows.len(), po.line_count, "{n}:\n{text}");
        for (cells, l) in rows.iter().zip(json["lines"].as_array().unwrap()) {
            let at = format!("po show {n} line {}", cells[0]);
            assert_eq!(cells[1], l["product_id"].as_str().unwrap(), "{at}");
            let number = |cell: &str| grouped(&at, cell.split(' ').next().unwrap());
            let q = number(cells[3]);
            let price = grouped(&at, cells[4]);
            let amount = grouped(&at, cells[5]);
            for (shown, field) in [
                (q, "quantity"),
                (price, "unit_price"),
                (amount, "amount"),
                (number(cells[6]), "stock_quantity"),
                (grouped(&at, cells[7]), "stock_unit_price"),
            ] {
                assert!(
                    shown.same(json_dec(&at, &l[field])),
                    "{at}: {shown:?} is not the document's {field} {}",
                    l[field]
                );
            }
            assert_eq!(
                q.mul(price).cents(),
                amount.cents(),
                "{at}: does not multiply out"
            );
            checked += 1;
        }
        let total = buyerdesk::plan::numbers::fmt_money(po.total());
        assert!(
            text.contains(&format!(
                "the lines add up to the total, {total} {}",
                po.currency
            )),
            "{n}:\n{text}"
        );
    }
    checked
}

/// Drafts, approves and sends `plans` through the file channel; the POs as
/// stored (with their lines) and the outbox.
async fn draft_and_send(
    world: &World,
    store: &Store,
    plans: &[ProductPlan],
) -> (Vec<buyerdesk::orders::PurchaseOrder>, std::path::PathBuf) {
    let chosen: Vec<&ProductPlan> = plans.iter().filter(|p| p.needs_order()).collect();
    let drafted = draft_plans(world.config(), store, &chosen).await.unwrap();
    for po in &drafted.created {
        if matches!(po.status, PoStatus::Draft | PoStatus::PendingApproval) {
            store.approve(&po.po_number).await.unwrap();
        }
    }
    let sender = Sender::new(store.clone(), world.config()).unwrap();
    let results = sender.send_all(false, &quiet).await.unwrap();
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert_eq!(results.len(), drafted.created.len());
    let mut pos = Vec::new();
    for po in &drafted.created {
        pos.push(store.po(&po.po_number).await.unwrap().unwrap());
    }
    let outbox = common::orders_of(world.config()).outbox.clone().unwrap();
    (pos, outbox)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_document_of_the_demo_multiplies_out_and_adds_up() {
    let test = "every_document_of_the_demo_multiplies_out_and_adds_up";
    let Some(world) = World::seeded(
        test,
        Db::Sqlite,
        "grace",
        buyerdesk::demo::EMBEDDED_PRODUCTS,
        buyerdesk::demo::DEFAULT_SEED,
    )
    .await
    else {
        return;
    };
    let store = Store::open(world.config()).await.unwrap();
    let plans = world.plans(&store, &[]).await;
    assert_eq!(plans.len(), 2000);
    let (pos, outbox) = draft_and_send(&world, &store, &plans).await;
    // One PO per supplier and currency: the demo's 20.
    assert_eq!(pos.len(), 20, "{test}");
    let lines: usize = pos.iter().map(|p| p.line_count).sum();
    let (checked, off_plan) = check_documents(&outbox, &pos, &expected_of(&plans));
    assert_eq!(checked, lines);
    // 1,066 lines, each in a JSON and a CSV.
    assert!(checked > 1000, "{test}: {checked} lines");
    // The amount a supplier is asked for is the one the buyer saw.
    assert!(off_plan.is_empty(), "{}", off_plan.join("\n"));
    // `po show` prints the documents' figures.
    assert_eq!(check_po_show(&outbox, &pos), lines);
    // Awkward packs and prices are among them.
    let packs: BTreeSet<String> = pos
        .iter()
        .flat_map(|p| p.lines.iter().map(|l| l.pack.to_string()))
        .collect();
    assert!(
        packs.contains("0.2642") && packs.contains("2.2046"),
        "{packs:?}"
    );
}

/// Products whose figures a float product would get wrong: packs of
/// 0.2642 and 2.2046, a 9-decimal pack, prices with 3 and more decimals, a
/// price of half a cent per stock unit, and very large quantities; in EUR
/// and USD.
fn awkward_plans() -> Vec<ProductPlan> {
    use buyerdesk::plan::{self, fixtures, PlanContext};
    let mut rows = plan::SourceRows::default();
    /// id, demand/day, price per stock unit, moq, (stock, purchase, pack)
    type Product<'a> = (&'a str, f64, f64, f64, (&'a str, &'a str, f64));
    let products: [Product; 10] = [
        // id, demand/day, price per stock unit, moq, (stock, purchase, pack)
        ("AWK-01", 200.0, 42.75, 200.0, ("liter", "gallon", 0.2642)),
        ("AWK-02", 80.5, 1.005, 50.0, ("kg", "lb", 2.2046)),
        ("AWK-03", 37.0, 0.0848, 10.0, ("piece", "bag", 100.0)),
        (
            "AWK-04",
            13.3,
            7.12345,
            1.0,
            ("liter", "gallon", 3.785411784),
        ),
        ("AWK-05", 125_000.0, 0.0123, 1000.0, ("piece", "box", 12.0)),
        ("AWK-06", 9_999.9, 1234.5678, 1.0, ("kg", "lb", 2.2046)),
        ("AWK-07", 0.7, 0.005, 1.0, ("piece", "piece", 1.0)),
        ("AWK-08", 450.0, 19.999, 24.0, ("m", "roll", 0.3333)),
        (
            "AWK-09",
            3_000_000.0,
            3.14157,
            100.0,
            ("liter", "gallon", 0.2642),
        ),
        // 1 x 1.005: 1.01 to a person, 1.00 to an f64 (1.00499999...).
        ("AWK-10", 0.05, 1.005, 1.0, ("piece", "piece", 1.0)),
    ];
    for (i, (id, demand, price, moq, uom)) in products.into_iter().enumerate() {
        fixtures::add_product(
            &mut rows,
            id,
            &format!("Awkward {id}"),
            demand,
            "stable",
            (0.0, 0.0, "WH-X"),
            ("Awkward Supply", price, moq, 14.0),
            uom,
        );
        if i % 2 == 1 {
            rows.suppliers.last_mut().unwrap().currency = Some("USD".into());
        }
    }
    plan::plan_all(
        &plan::join(rows),
        &PlanContext::default(),
        &RuleSet::embedded(),
    )
}

async fn awkward_numbers_multiply_out(test: &str, db: Db) {
    let Some(world) = World::new(test, db, "heidi").await else {
        return;
    };
    let store = Store::open(world.config()).await.unwrap();
    let plans = awkward_plans();
    for p in &plans {
        assert!(
            p.needs_order(),
            "{test}: {} {:?}",
            p.product_id,
            p.exceptions
        );
    }
    let (pos, outbox) = draft_and_send(&world, &store, &plans).await;
    assert_eq!(pos.len(), 2, "{test}: one PO per currency");
    let (checked, off_plan) = check_documents(&outbox, &pos, &expected_of(&plans));
    assert_eq!(checked, plans.len(), "{test}");
    // The plan's amount is an f64 product rounded past its float noise
    // (plan::numbers::round_money); the PO's is worked out on decimals, as
    // the supplier works it out. They agree, 1 x 1.005 = 1.01 included.
    assert!(off_plan.is_empty(), "{test}: {}", off_plan.join("\n"));
    // Large quantities are written whole, never in exponent form.
    let json = std::fs::read_to_string(outbox.join(format!("{}.json", pos[1].send_key))).unwrap();
    assert!(!json.contains("e+") && !json.contains("E+"), "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_numbers_multiply_out_sqlite() {
    awkward_numbers_multiply_out("awkward_numbers_multiply_out_sqlite", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_numbers_multiply_out_postgres() {
    awkward_numbers_multiply_out("awkward_numbers_multiply_out_postgres", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_numbers_multiply_out_mariadb() {
    awkward_numbers_multiply_out("awkward_numbers_multiply_out_mariadb", Db::MySql).await;
}

/// `po edit`, partial `po receive` and `po approve --all-pending` on the
/// command line, with a threshold per currency and four eyes: every figure
/// printed is read back and worked out again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_are_edited_received_in_part_and_approved_in_bulk_on_the_command_line() {
    let test = "drafts_are_edited_received_in_part_and_approved_in_bulk";
    let Some(mut world) = World::new(test, Db::Sqlite, "frank").await else {
        return;
    };
    common::edit_orders(&mut world.setup.config, |o| {
        o.four_eyes = true;
        o.approval_threshold = buyerdesk::orders::ApprovalThreshold {
            default: 10_000.0,
            currencies: [("USD".to_string(), 9_000.0)].into(),
        };
    });
    let (ok, out, err) = world.run(&[
        "po",
        "draft",
        "--product",
        "PROD-001",
        "--product",
        "PROD-002",
    ]);
    assert!(ok, "{out}{err}");
    let po_json = |world: &World, n: &str| -> serde_json::Value {
        let (ok, out, err) = world.run(&["po", "show", n, "--format", "json"]);
        assert!(ok, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["po"].clone()
    };
    let abc = po_json(&world, "PO-000001");
    assert_eq!(abc["supplier_name"], "ABC Supplies Co.");
    assert_eq!(
        abc["status"], "pending_approval",
        "9,300.00 USD is above the USD threshold"
    );
    assert_eq!(
        abc["approval_reason"],
        "total 9,300.00 USD is above the USD threshold 9,000.00"
    );
    let xyz = po_json(&world, "PO-000002");
    let money = |cents: i64| buyerdesk::plan::numbers::fmt_money(cents as f64 / 100.0);
    let total = abc["total_cents"].as_i64().unwrap() + xyz["total_cents"].as_i64().unwrap();

    // Bulk approval asks once, naming count, total per currency, suppliers.
    let (ok, _, err) = world.run(&["po", "approve", "--all-pending"]);
    assert!(
        !ok && err.contains(&format!(
            "Approve 2 POs pending approval, {} USD, to ABC Supplies Co., XYZ Manufacturing? Approving needs an explicit confirmation",
            money(total)
        )),
        "{err}"
    );

    // Whole packs only, the nearest offered.
    let (ok, _, err) = world.run(&[
        "po",
        "edit",
        "PO-000001",
        "--line",
        "1",
        "--qty",
        "700",
        "--unit",
        "stock",
    ]);
    assert!(
        !ok && err.contains("order 696 (58 boxes) or 708 (59 boxes)"),
        "{err}"
    );
    // 48 boxes: under the USD threshold, a draft again.
    let (ok, out, err) = world.run(&["po", "edit", "PO-000001", "--line", "1", "--qty", "48"]);
    assert!(ok, "{out}{err}");
    // "line 1 PROD-001: 48 boxes x 186.00 = 8,928.00" then "PO-000001 total 8,928.00 USD, draft".
    let line = out.lines().next().unwrap();
    let (lhs, amount) = line.split_once(" = ").unwrap();
    let price = lhs.rsplit(" x ").next().unwrap();
    let qty = lhs.split(": ").nth(1).unwrap().split(' ').next().unwrap();
    let amount = grouped(line, amount);
    assert_eq!(
        dec(line, qty).mul(grouped(line, price)).cents(),
        amount.cents(),
        "{line}"
    );
    assert_eq!(qty, "48", "{line}");
    let abc = po_json(&world, "PO-000001");
    let total_line = out.lines().nth(1).unwrap();
    assert_eq!(
        total_line,
        format!(
            "PO-000001 total {} USD, draft",
            money(abc["total_cents"].as_i64().unwrap())
        ),
        "{out}"
    );
    assert_eq!(
        i128::from(abc["total_cents"].as_i64().unwrap()),
        amount.cents(),
        "one line: the total is its amount"
    );
    assert_eq!(abc["status"], "draft");
    assert_eq!(abc["approval_reason"], serde_json::Value::Null);
    let (ok, out, err) = world.run(&["po", "edit", "PO-000001", "--note", "dock 4, before noon"]);
    assert!(
        ok && out.contains("PO-000001 note: dock 4, before noon"),
        "{out}{err}"
    );
    let (ok, out, _) = world.run(&["po", "show", "PO-000001"]);
    assert!(ok && out.contains("note: dock 4, before noon"), "{out}");
    let (ok, _, err) = world.run(&["po", "edit", "PO-000001", "--remove", "1"]);
    assert!(!ok && err.contains("cancel the PO instead"), "{err}");
    let (ok, _, err) = world.run(&["po", "edit", "PO-000001", "--line", "1"]);
    assert!(
        !ok && err.contains("--qty"),
        "clap asks for the quantity: {err}"
    );

    // Four eyes: frank drafted PO-000002; he may not approve it, alone or
    // in bulk.
    let (ok, _, err) = world.run(&["po", "approve", "PO-000002", "--yes"]);
    assert!(
        !ok && err.contains("PO-000002 was drafted by frank: with [orders] four_eyes = true someone else must approve it"),
        "{err}"
    );
    let (ok, out, err) = world.run(&["po", "approve", "--all-pending", "--yes"]);
    assert!(
        !ok && err.contains("PO-000002 was drafted by frank")
            && out.contains("0 approved (0.00), 1 refused"),
        "{out}{err}"
    );
    world.setup.config.file.general.user = Some("grace".into());
    let (ok, out, err) = world.run(&["po", "approve", "--all-pending", "--yes"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!(
            "PO-000002 approved by grace: {} USD to XYZ Manufacturing",
            money(xyz["total_cents"].as_i64().unwrap())
        )) && out.contains(&format!(
            "1 approved ({} USD), 0 refused",
            money(xyz["total_cents"].as_i64().unwrap())
        )),
        "{out}"
    );
    let (ok, out, err) = world.run(&["po", "send", "PO-000001", "--yes"]);
    assert!(ok, "{out}{err}");
    let (ok, out, err) = world.run(&["po", "send", "PO-000002"]);
    assert!(ok, "an approved PO needs no --yes: {out}{err}");
    assert_eq!(
        po_json(&world, "PO-000001")["approved_by"],
        serde_json::Value::Null
    );

    // Partial receipts: half of XYZ's line, then the rest.
    let xyz = po_json(&world, "PO-000002");
    let ordered = xyz["lines"][0]["qty_purchase"].as_f64().unwrap();
    let half = (ordered / 2.0).floor();
    let (ok, out, err) = world.run(&[
        "po",
        "receive",
        "PO-000002",
        "--line",
        "1",
        "--qty",
        &half.to_string(),
    ]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("line 1 PROD-002: received {half} of {ordered}"))
            && out.contains(&format!("{} still on order", ordered - half)),
        "{out}"
    );
    assert!(out.contains("PO-000002 is sent"), "{out}");
    let (ok, out, _) = world.run(&["po", "show", "PO-000002"]);
    assert!(
        ok && out.contains("Received") && out.contains(&format!("{half} of {ordered}")),
        "{out}"
    );
    let (ok, _, err) = world.run(&[
        "po",
        "receive",
        "PO-000002",
        "--line",
        "1",
        "--qty",
        &ordered.to_string(),
    ]);
    assert!(!ok && err.contains("over what was ordered"), "{err}");
    let (ok, _, err) = world.run(&["po", "receive", "PO-000002", "--line", "1"]);
    assert!(!ok && err.contains("one --qty for each --line"), "{err}");
    let (ok, out, err) = world.run(&[
        "po",
        "receive",
        "PO-000002",
        "--line",
        "1",
        "--qty",
        &(ordered - half).to_string(),
    ]);
    assert!(
        ok && out.contains("PO-000002 is received; its products are free"),
        "{out}{err}"
    );

    let (ok, out, _) = world.run(&["audit", "--since", "1h"]);
    assert!(ok);
    for a in [
        "po_line_changed",
        "po_note",
        "po_line_received",
        "po_received",
        "without approval",
    ] {
        assert!(out.contains(a), "{a} in\n{out}");
    }
}

/// `po send --all`, the command-line twin of `S` with nothing selected:
/// approved POs and drafts within the threshold after one question naming
/// their count, total per currency and suppliers; piped without `--yes`
/// nothing is sent; drafts go out without an approver; pending POs stay.
#[tokio::test]
async fn po_send_all_sends_approved_pos_and_drafts_within_the_threshold_after_one_question() {
    let test = "po_send_all";
    let world = World::new(test, Db::Sqlite, "frank")
        .await
        .expect("SQLite needs no server");
    // PROD-001 (9,300.00 USD) within, PROD-002 (21,274.39 USD) and PROD-003
    // above the 10,000.00 threshold.
    let (ok, out, err) = world.run(&[
        "po",
        "draft",
        "--product",
        "PROD-001",
        "--product",
        "PROD-002",
    ]);
    assert!(ok, "{out}{err}");
    let list = |world: &World| -> Vec<serde_json::Value> {
        let (ok, out, err) = world.run(&["po", "list", "--format", "json"]);
        assert!(ok, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v.as_array()
            .or_else(|| v["pos"].as_array())
            .expect(&out)
            .clone()
    };
    let pos = list(&world);
    let status = |pos: &[serde_json::Value], n: &str| {
        pos.iter()
            .find(|p| p["po_number"] == n)
            .map(|p| p["status"].as_str().unwrap().to_string())
            .expect(n)
    };
    assert_eq!(status(&pos, "PO-000001"), "draft");
    assert_eq!(status(&pos, "PO-000002"), "pending_approval");
    let draft_cents = pos.iter().find(|p| p["po_number"] == "PO-000001").unwrap()["total_cents"]
        .as_i64()
        .unwrap();

    // Piped, without --yes: the question, and nothing sent.
    let (ok, out, err) = world.run(&["po", "send", "--all"]);
    let money = buyerdesk::plan::numbers::fmt_money(draft_cents as f64 / 100.0);
    assert!(
        !ok && err.contains(&format!(
            "Send 1 PO (1 of them drafts within the threshold, sent without approval), {money} USD, to ABC Supplies Co.? Sending drafts needs an explicit confirmation"
        )),
        "{out}{err}"
    );
    assert_eq!(status(&list(&world), "PO-000001"), "draft");

    // --yes: the draft goes out without an approver; the pending PO stays.
    let (ok, out, err) = world.run(&["po", "send", "--all", "--yes"]);
    assert!(ok && out.contains("PO-000001 sent via file"), "{out}{err}");
    assert!(!out.contains("PO-000002"), "{out}");
    let pos = list(&world);
    assert_eq!(status(&pos, "PO-000001"), "sent");
    assert_eq!(status(&pos, "PO-000002"), "pending_approval");
    let (ok, shown, err) = world.run(&["po", "show", "PO-000001", "--format", "json"]);
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["po"]["approved_by"], serde_json::Value::Null);

    // Once approved, PO-000002 goes with the next --all.
    let (ok, out, err) = world.run(&["po", "approve", "PO-000002", "--yes"]);
    assert!(ok, "{out}{err}");
    let (ok, out, err) = world.run(&["po", "send", "--all", "--yes"]);
    assert!(ok && out.contains("PO-000002 sent via file"), "{out}{err}");
    let (ok, out, _) = world.run(&["po", "send", "--all", "--yes"]);
    assert!(
        ok && out.contains("nothing to send: no approved PO and no draft within the threshold"),
        "{out}"
    );
    // Never twice: one document per PO in the outbox.
    let outbox = world.setup.data_dir.path().join("outbox");
    let mut names: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
}

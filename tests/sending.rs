//! Sending over HTTP to a hostile supplier endpoint on 127.0.0.1: redirects
//! (never followed), 409 to a key sent before (the supplier has the PO) and
//! to a first attempt (a refusal), 429 and 408 (retried after Retry-After),
//! a huge answer (read up to a bound), an answer full of escape sequences
//! (never printed or stored raw).

mod common;

use std::time::Duration;

use buyerdesk::orders::drafting::draft_plans;
use buyerdesk::orders::{ChannelKind, PoStatus, Progress, Sender, SupplierChannel};
use buyerdesk::plan::{ProductPlan, RuleSet};
use buyerdesk::sources::Sources;
use buyerdesk::store::Store;
use common::endpoint::{Endpoint, HOSTILE_ANSWER};
use common::{Db, Role, ScratchDb, Setup};

/// Demo sources (SQLite, 50 products) and a purchasing database on `db`,
/// with PROD-001 drafted for ABC Supplies Co. and PROD-002 for XYZ
/// Manufacturing.
struct World {
    setup: Setup,
    _purchasing: ScratchDb,
    store: Store,
    abc: String,
    xyz: String,
}

impl World {
    async fn new(test: &str, db: Db) -> Option<World> {
        let admin = db.admin_url(test)?;
        let mut setup = Setup::new(test, [Db::Sqlite; 4]).await?;
        buyerdesk::demo::seed(&setup.admin_config, 50, 7, false, false)
            .await
            .unwrap();
        let purchasing = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
        purchasing.configure(&mut setup.config.file.purchasing);
        setup.config.file.general.user = Some("bob".into());
        let mut o = common::orders_of(&setup.config);
        o.outbox = Some(setup.data_dir.path().join("outbox"));
        o.retry_backoff_secs = 0.05;
        o.send_timeout_secs = 5.0;
        o.approval_threshold = 1e9.into();
        o.write_to(&mut setup.config.file);
        let store = Store::open(&setup.config).await.unwrap();
        let ctx = buyerdesk::live::plan_context(&store).await.unwrap();
        let sources = Sources::connect(&setup.config).await.unwrap();
        let ids = vec!["PROD-001".to_string(), "PROD-002".to_string()];
        let (plans, _) = buyerdesk::live::plan_products(&sources, &RuleSet::embedded(), &ctx, &ids)
            .await
            .unwrap();
        sources.close().await;
        let chosen: Vec<&ProductPlan> = plans.iter().collect();
        let outcome = draft_plans(&setup.config, &store, &chosen).await.unwrap();
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
        Some(World {
            setup,
            _purchasing: purchasing,
            store,
            abc,
            xyz,
        })
    }

    /// A sender whose suppliers are both at `url`.
    fn sender(&mut self, url: &str) -> Sender {
        for supplier in ["ABC Supplies Co.", "XYZ Manufacturing"] {
            common::edit_orders(&mut self.setup.config, |o| {
                o.suppliers.insert(
                    supplier.into(),
                    SupplierChannel {
                        channel: ChannelKind::Http,
                        url: Some(url.into()),
                        outbox: None,
                        token_env: None,
                    },
                );
            });
        }
        Sender::new(self.store.clone(), &self.setup.config).unwrap()
    }

    /// The PO's send key (its number and the database's identity).
    async fn key(&self, number: &str) -> String {
        self.store.po_required(number).await.unwrap().send_key
    }

    async fn status(&self, number: &str) -> PoStatus {
        self.store.po_required(number).await.unwrap().status
    }

    /// Each attempt's outcome, oldest first.
    async fn outcomes(&self, number: &str) -> Vec<String> {
        self.attempts(number)
            .await
            .into_iter()
            .map(|a| a.0)
            .collect()
    }

    /// Each attempt's outcome and detail, oldest first.
    async fn attempts(&self, number: &str) -> Vec<(String, String)> {
        self.store
            .send_attempts(number)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.outcome, a.detail.unwrap_or_default()))
            .collect()
    }
}

fn quiet(_: Progress) {}

// ---------------------------------------------------------------------------

async fn redirects_are_not_followed(test: &str, db: Db) {
    let endpoint = Endpoint::start().await;
    // Another server that would take the PO and answer 201.
    let elsewhere = Endpoint::start().await;
    endpoint.redirect_to(&elsewhere.url("ok"));
    let Some(mut world) = World::new(test, db).await else {
        return;
    };
    let number = world.abc.clone();
    for (i, code) in [301u16, 302, 307, 308].into_iter().enumerate() {
        let sender = world.sender(&endpoint.url(&format!("redirect-{code}")));
        let err = sender
            .send_confirmed(&number, &quiet)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("HTTP {code}")), "{test}: {err}");
        assert!(err.contains(&elsewhere.url("ok")), "{test}: {err}");
        assert_eq!(
            world.status(&number).await,
            PoStatus::Draft,
            "{test}: a draft whose send failed stays a draft (sending never approves)"
        );
        let attempts = world.attempts(&number).await;
        assert_eq!(attempts.len(), i + 1, "{test}: one attempt per send");
        let (outcome, detail) = attempts.last().unwrap();
        assert_eq!(outcome, "rejected", "{test}");
        assert!(detail.contains(&format!("HTTP {code}")), "{test}: {detail}");
        assert!(
            detail.contains(&format!("a redirect to {}", elsewhere.url("ok"))),
            "{test}: {detail}"
        );
        assert_eq!(endpoint.requests().len(), i + 1, "{test}");
        assert!(
            elsewhere.requests().is_empty(),
            "{test}: {code} was followed: {:?}",
            elsewhere.requests()
        );
    }
    assert!(endpoint.processed().is_empty());
    let po = world.store.po_required(&number).await.unwrap();
    assert!(po.last_error.unwrap().contains("HTTP 308"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed_sqlite() {
    redirects_are_not_followed("redirects_are_not_followed_sqlite", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed_postgres() {
    redirects_are_not_followed("redirects_are_not_followed_postgres", Db::Postgres).await;
}

// ---------------------------------------------------------------------------

async fn a_409_to_a_key_sent_before_means_the_supplier_has_it(test: &str, db: Db) {
    let endpoint = Endpoint::start().await;
    let Some(mut world) = World::new(test, db).await else {
        return;
    };
    let (abc, xyz) = (world.abc.clone(), world.xyz.clone());

    // Within one send: the first attempt reaches the supplier, its answer
    // is lost (502); the retry is told the key is a duplicate.
    let sender = world.sender(&endpoint.url("dup409"));
    let sent = sender.send_confirmed(&abc, &quiet).await.unwrap();
    assert_eq!(sent.attempts, 2, "{test}");
    assert_eq!(world.status(&abc).await, PoStatus::Sent, "{test}");
    let attempts = world.attempts(&abc).await;
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(outcomes, ["unknown", "ok"], "{test}");
    assert!(attempts[0].1.contains("HTTP 502"), "{attempts:?}");
    assert!(
        attempts[1].1.contains(
            "HTTP 409: duplicate Idempotency-Key (the supplier already had this key (409)"
        ),
        "{attempts:?}"
    );
    let po = world.store.po_required(&abc).await.unwrap();
    assert!(po
        .confirmation
        .unwrap()
        .contains("the supplier already had this key (409)"));
    let keys: Vec<_> = endpoint.requests().into_iter().map(|r| r.key).collect();
    let abc_key = world.key(&abc).await;
    assert_eq!(keys, [Some(abc_key.clone()), Some(abc_key)], "{test}");

    // A 409 to the first attempt of a PO is a refusal, and so is a 409 to
    // a send after that refusal: the supplier never took the key.
    let sender = world.sender(&endpoint.url("conflict"));
    for _ in 0..2 {
        let err = sender
            .send_confirmed(&xyz, &quiet)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("HTTP 409"), "{test}: {err}");
        assert!(!err.contains("already had"), "{test}: {err}");
        assert_eq!(world.status(&xyz).await, PoStatus::Approved, "{test}");
    }
    assert_eq!(world.outcomes(&xyz).await, ["rejected", "rejected"]);

    // Across sends: one send gives up on a lost answer (the supplier took
    // it): the PO is unconfirmed, not approved, and cannot be cancelled as
    // "not sent" without the buyer's word; the next send, another process
    // maybe, is told 409: sent.
    common::edit_orders(&mut world.setup.config, |o| o.send_attempts = 1);
    let sender = world.sender(&endpoint.url("dup409"));
    let err = sender
        .send_confirmed(&xyz, &quiet)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 502"), "{test}: {err}");
    assert!(err.contains("unconfirmed"), "{test}: {err}");
    assert_eq!(world.status(&xyz).await, PoStatus::Unconfirmed, "{test}");
    let refused = world.store.cancel(&xyz, false).await.unwrap_err();
    let refused = refused.to_string();
    assert!(
        refused.contains("may have reached XYZ Manufacturing")
            && refused.contains("HTTP 502")
            && refused.contains("--even-if-sent"),
        "{test}: {refused}"
    );
    assert_eq!(world.status(&xyz).await, PoStatus::Unconfirmed, "{test}");
    let sender = world.sender(&endpoint.url("dup409"));
    let sent = sender.send_confirmed(&xyz, &quiet).await.unwrap();
    assert!(
        sent.confirmation
            .contains("the supplier already had this key (409)"),
        "{test}: {}",
        sent.confirmation
    );
    assert_eq!(world.status(&xyz).await, PoStatus::Sent, "{test}");
    assert_eq!(
        world.outcomes(&xyz).await,
        ["rejected", "rejected", "unknown", "ok"]
    );
    assert_eq!(
        endpoint.processed(),
        [world.key(&abc).await, world.key(&xyz).await]
            .into_iter()
            .collect(),
        "{test}: each PO taken once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_409_to_a_key_sent_before_means_the_supplier_has_it_sqlite() {
    a_409_to_a_key_sent_before_means_the_supplier_has_it(
        "a_409_to_a_key_sent_before_means_the_supplier_has_it_sqlite",
        Db::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_409_to_a_key_sent_before_means_the_supplier_has_it_postgres() {
    a_409_to_a_key_sent_before_means_the_supplier_has_it(
        "a_409_to_a_key_sent_before_means_the_supplier_has_it_postgres",
        Db::Postgres,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_409_to_a_key_sent_before_means_the_supplier_has_it_mariadb() {
    a_409_to_a_key_sent_before_means_the_supplier_has_it(
        "a_409_to_a_key_sent_before_means_the_supplier_has_it_mariadb",
        Db::MySql,
    )
    .await;
}

// ---------------------------------------------------------------------------

/// A URL on 127.0.0.1 where nothing listens: every connection is refused.
fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/po")
}

async fn an_unknown_outcome_leaves_the_po_unconfirmed(test: &str, db: Db) {
    let endpoint = Endpoint::start().await;
    let Some(mut world) = World::new(test, db).await else {
        return;
    };
    let (abc, xyz) = (world.abc.clone(), world.xyz.clone());
    common::edit_orders(&mut world.setup.config, |o| o.send_timeout_secs = 1.0);
    common::edit_orders(&mut world.setup.config, |o| o.send_attempts = 2);

    // No connection: the supplier cannot have it. A draft again, and a
    // 409 afterwards is the supplier refusing a key it never took.
    let sender = world.sender(&refused_url());
    let err = sender
        .send_confirmed(&abc, &quiet)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("{abc} not sent")), "{test}: {err}");
    assert_eq!(
        world.status(&abc).await,
        PoStatus::Draft,
        "{test}: a draft whose send failed stays a draft (sending never approves)"
    );
    let sender = world.sender(&endpoint.url("conflict"));
    let err = sender
        .send_confirmed(&abc, &quiet)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 409") && !err.contains("already had"),
        "{test}: {err}"
    );
    assert_eq!(world.status(&abc).await, PoStatus::Draft, "{test}");
    assert_eq!(
        world.outcomes(&abc).await,
        ["not_reached", "not_reached", "rejected"],
        "{test}"
    );

    // The supplier takes XYZ's PO and never answers: after the timeout the
    // outcome is unknown. Unconfirmed, not approved; on order still.
    common::edit_orders(&mut world.setup.config, |o| o.send_attempts = 1);
    let sender = world.sender(&endpoint.url("hang"));
    let err = sender
        .send_confirmed(&xyz, &quiet)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("{xyz} unconfirmed")) && err.contains("no answer within"),
        "{test}: {err}"
    );
    let po = world.store.po_required(&xyz).await.unwrap();
    assert_eq!(po.status, PoStatus::Unconfirmed, "{test}");
    assert!(po.status.counts_on_order() && po.status.is_open());
    assert!(po
        .last_error
        .as_deref()
        .unwrap()
        .contains("no answer within"));
    assert_eq!(world.attempts(&xyz).await[0].0, "unknown", "{test}");
    let xyz_key = world.key(&xyz).await;
    assert_eq!(
        endpoint.processed(),
        [xyz_key.clone()].into_iter().collect()
    );

    // Cancelling it as "not sent" is refused, naming the risk.
    let refused = world
        .store
        .cancel(&xyz, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains(&format!("{xyz} may have reached XYZ Manufacturing"))
            && refused.contains("no answer within")
            && refused.contains("does not cancel it there")
            && refused.contains("--even-if-sent"),
        "{test}: {refused}"
    );
    assert_eq!(world.status(&xyz).await, PoStatus::Unconfirmed, "{test}");

    // Sending every approved PO (and, on the buyer's word, every draft
    // within the threshold) sends it again with the same key: the
    // supplier answers with what it holds; sent, and taken once.
    let sender = world.sender(&endpoint.url("hang"));
    let results = sender.send_all(true, &quiet).await.unwrap();
    let xyz_result = results.iter().find(|r| r.0 == xyz).expect("xyz resent");
    assert!(xyz_result.1.is_ok(), "{test}: {:?}", xyz_result.1);
    assert_eq!(world.status(&xyz).await, PoStatus::Sent, "{test}");
    let xyz_keys = endpoint
        .requests()
        .into_iter()
        .filter(|r| r.key.as_deref() == Some(xyz_key.as_str()))
        .count();
    assert_eq!(xyz_keys, 2, "{test}: sent twice under one key");

    // ABC's PO (a draft again: the earlier result was sent by send_all too, to
    // the hanging supplier) ends unconfirmed; cancelled with the buyer's
    // word, the audit says they knew.
    let abc_po = world.store.po_required(&abc).await.unwrap();
    assert_eq!(abc_po.status, PoStatus::Unconfirmed, "{test}");
    let cancelled = world.store.cancel(&abc, true).await.unwrap();
    assert_eq!(cancelled.status, PoStatus::Cancelled);
    let audit = world.store.audit_entries(None).await.unwrap();
    let row = audit
        .iter()
        .rev()
        .find(|e| e.action == "po_cancelled")
        .unwrap();
    let detail = row.detail.as_deref().unwrap();
    assert!(
        detail.contains("was unconfirmed") && detail.contains("knowing the supplier may have it"),
        "{test}: {detail}"
    );
    assert!(
        audit.iter().any(|e| e.action == "po_unconfirmed"),
        "{test}: the unconfirmed end is audited"
    );
    // Migration 4 widened the status CHECK; it did not drop it.
    let bogus = world
        .store
        .source
        .execute("UPDATE purchase_orders SET status = 'bogus'")
        .await;
    assert!(bogus.is_err(), "{test}: an unknown status is still refused");
    assert_eq!(world.status(&xyz).await, PoStatus::Sent, "{test}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_leaves_the_po_unconfirmed_sqlite() {
    an_unknown_outcome_leaves_the_po_unconfirmed(
        "an_unknown_outcome_leaves_the_po_unconfirmed_sqlite",
        Db::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_leaves_the_po_unconfirmed_postgres() {
    an_unknown_outcome_leaves_the_po_unconfirmed(
        "an_unknown_outcome_leaves_the_po_unconfirmed_postgres",
        Db::Postgres,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_leaves_the_po_unconfirmed_mariadb() {
    an_unknown_outcome_leaves_the_po_unconfirmed(
        "an_unknown_outcome_leaves_the_po_unconfirmed_mariadb",
        Db::MySql,
    )
    .await;
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_or_408_is_retried_after_retry_after() {
    let test = "a_429_or_408_is_retried_after_retry_after";
    let endpoint = Endpoint::start().await;
    let Some(mut world) = World::new(test, Db::Sqlite).await else {
        return;
    };
    // 429 with Retry-After: 1: the retry waits a second, not the backoff's
    // 0.05 s.
    let (abc, xyz) = (world.abc.clone(), world.xyz.clone());
    let sender = world.sender(&endpoint.url("throttle-429"));
    let sent = sender.send_confirmed(&abc, &quiet).await.unwrap();
    assert_eq!(sent.attempts, 2);
    assert_eq!(world.status(&abc).await, PoStatus::Sent);
    let attempts = world.attempts(&abc).await;
    assert_eq!(attempts[0].0, "not_reached", "{attempts:?}");
    assert!(
        attempts[0].1.contains("HTTP 429") && attempts[0].1.contains("(Retry-After 1 s)"),
        "{attempts:?}"
    );
    assert_eq!(attempts[1].0, "ok", "{attempts:?}");
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_secs(1), "{waited:?}");

    // 408 with a Retry-After of an hour: capped (at half the lease, here
    // 1 s), and the detail says so.
    common::edit_orders(&mut world.setup.config, |o| o.send_lease_secs = 2.0);
    endpoint.retry_after("3600");
    let sender = world.sender(&endpoint.url("throttle-408"));
    let started = std::time::Instant::now();
    let sent = sender.send_confirmed(&xyz, &quiet).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(sent.attempts, 2);
    assert_eq!(world.status(&xyz).await, PoStatus::Sent);
    let attempts = world.attempts(&xyz).await;
    assert!(
        attempts[0].1.contains("HTTP 408")
            && attempts[0]
                .1
                .contains("(Retry-After 3600 s, waiting at most 1 s)"),
        "{attempts:?}"
    );
    let requests = endpoint.requests();
    let waited = requests[3].at - requests[2].at;
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert_eq!(
        endpoint.processed(),
        [world.key(&abc).await, world.key(&xyz).await]
            .into_iter()
            .collect()
    );
}

// ---------------------------------------------------------------------------

/// A field of /proc/self/status in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_answer_is_read_up_to_a_bound() {
    let test = "a_huge_answer_is_read_up_to_a_bound";
    let endpoint = Endpoint::start().await;
    endpoint.huge_bytes(200 << 20);
    let Some(mut world) = World::new(test, Db::Sqlite).await else {
        return;
    };
    common::edit_orders(&mut world.setup.config, |o| o.send_timeout_secs = 60.0);
    let abc = world.abc.clone();
    let sender = world.sender(&endpoint.url("huge"));
    // The peak resident size from here on (5: reset VmHWM to VmRSS).
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_kib("VmHWM:");
    let sent = sender.send_confirmed(&abc, &quiet).await.unwrap();
    let grown_mib = (status_kib("VmHWM:") - before) / 1024;
    assert!(
        grown_mib < 64,
        "a 200 MiB answer took {grown_mib} MiB more memory"
    );
    assert_eq!(world.status(&abc).await, PoStatus::Sent);
    let attempts = world.attempts(&abc).await;
    let detail = &attempts[0].1;
    assert!(
        detail.starts_with("HTTP 200: xxx")
            && detail.ends_with("(answer longer than 64 KiB: the rest was not read)"),
        "{detail}"
    );
    assert!(detail.len() < 1000, "{} bytes stored", detail.len());
    assert_eq!(sent.confirmation, *detail);
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_answer_is_never_printed_or_stored_raw() {
    let test = "a_hostile_answer_is_never_printed_or_stored_raw";
    let endpoint = Endpoint::start().await;
    let Some(mut world) = World::new(test, Db::Sqlite).await else {
        return;
    };
    let abc = world.abc.clone();
    let sender = world.sender(&endpoint.url("hostile"));
    let sent = sender.send_confirmed(&abc, &quiet).await.unwrap();
    let po = world.store.po_required(&abc).await.unwrap();
    let attempts = world.attempts(&abc).await;
    let audit: Vec<String> = world
        .store
        .audit_entries(None)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.detail)
        .filter(|d| d.contains("accepted"))
        .collect();
    assert!(!audit.is_empty());
    let mut shown = vec![sent.confirmation.clone(), po.confirmation.unwrap()];
    shown.extend(attempts.into_iter().map(|a| a.1));
    shown.extend(audit);
    for text in &shown {
        assert!(
            !text.chars().any(|c| c.is_control()),
            "{test}: a control character in {text:?}"
        );
        // What the supplier said, readable: every character of the answer
        // is there, the hidden ones as escapes.
        assert!(
            text.contains(r"\u{1b}]52;c;aGVsbG8=\u{7}accepted\u{1b}[2J"),
            "{text}"
        );
        assert!(text.contains(r"PO-999999 cancelled\u{9b}31m"), "{text}");
    }
    assert!(HOSTILE_ANSWER.contains('\u{1b}'));
}

/// A PO drafted before the purchasing database had an identity (its send
/// key column NULL, as migration 5 leaves it) is sent under its number,
/// the key it may already have gone out with before the upgrade; a PO
/// drafted after goes under its number and the identity.
async fn a_po_drafted_before_the_identity_is_sent_under_its_number(test: &str, db: Db) {
    let endpoint = Endpoint::start().await;
    let Some(mut world) = World::new(test, db).await else {
        return;
    };
    let (abc, xyz) = (world.abc.clone(), world.xyz.clone());
    let b = world.store.source.backend;
    let sql = format!(
        "UPDATE purchase_orders SET send_key = NULL WHERE po_number = {}",
        b.placeholder(1)
    );
    buyerdesk::sources::with_pool_write(&world.store.source, &sql, vec![Some(abc.clone())])
        .await
        .unwrap();
    assert_eq!(
        world.key(&abc).await,
        abc,
        "{test}: NULL is read as the number"
    );
    let sender = world.sender(&endpoint.url("ok"));
    sender.send_confirmed(&abc, &quiet).await.unwrap();
    sender.send_confirmed(&xyz, &quiet).await.unwrap();
    let requests = endpoint.requests();
    let identity = world.store.identity().unwrap().identity.clone();
    let keys: Vec<_> = requests.iter().map(|r| r.key.clone()).collect();
    assert_eq!(
        keys,
        [Some(abc.clone()), Some(format!("{xyz}-{identity}"))],
        "{test}"
    );
    let doc: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(doc["idempotency_key"], abc.as_str(), "{test}");
    assert_eq!(world.status(&abc).await, PoStatus::Sent, "{test}");
    // Never worked out again: still NULL, still the number.
    assert_eq!(world.key(&abc).await, abc, "{test}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_po_drafted_before_the_identity_is_sent_under_its_number_sqlite() {
    a_po_drafted_before_the_identity_is_sent_under_its_number("before_identity_sqlite", Db::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_po_drafted_before_the_identity_is_sent_under_its_number_postgres() {
    a_po_drafted_before_the_identity_is_sent_under_its_number(
        "before_identity_postgres",
        Db::Postgres,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_po_drafted_before_the_identity_is_sent_under_its_number_mariadb() {
    a_po_drafted_before_the_identity_is_sent_under_its_number("before_identity_mariadb", Db::MySql)
        .await;
}

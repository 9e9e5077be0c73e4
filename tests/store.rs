//! buyerdesk's purchasing database on SQLite, PostgreSQL and MariaDB:
//! migrations, overrides that survive a restart and are seen by a second
//! workstation, and the audit trail.

mod common;

use buyerdesk::config::{Config, FileConfig};
use buyerdesk::store::{Override, OverrideUnit, ReasonCode, Store};
use common::{Db, Role, ScratchDb};

/// A workstation's config: the purchasing database `db`, the data
/// directory (where the workstation remembers the databases it used)
/// `data`.
fn config_in(db: &ScratchDb, user: &str, data: &std::path::Path) -> Config {
    let mut file = FileConfig::default();
    db.configure(&mut file.purchasing);
    file.general.user = Some(user.into());
    Config {
        file,
        origin: "store test".into(),
        data_dir: data.to_path_buf(),
    }
}

fn promo(qty: f64) -> Override {
    Override {
        product_id: "PROD-001".into(),
        order_qty: qty,
        entered_qty: qty,
        entered_unit: OverrideUnit::Stock,
        suggested_qty: 600.0,
        reason: ReasonCode::Promo,
        note: Some("spring promotion".into()),
        user: "alice".into(),
        set_at: "2026-11-21T10:00:00Z".into(),
    }
}

async fn overrides_persist(test: &str, db: Db) {
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;

    let data = tempfile::tempdir().unwrap();
    let alice = Store::open(&config_in(&scratch, "alice", data.path()))
        .await
        .expect("store opens and migrates");
    assert_eq!(alice.schema_version().await.unwrap(), 9);
    // A second workstation on the same database; migrating again is harmless.
    let bob = Store::open(&config_in(&scratch, "bob", data.path()))
        .await
        .expect("second workstation");
    assert_eq!(bob.schema_version().await.unwrap(), 9);

    alice.set_override(&promo(700.0)).await.unwrap();
    alice
        .set_override(&promo(720.0))
        .await
        .expect("replacing an override");
    let seen = bob.overrides().await.unwrap();
    assert_eq!(seen.len(), 1, "{test}: one override per product");
    assert_eq!(seen[0], promo(720.0), "{test}: read back field by field");

    // "Restart": a new connection sees the same.
    drop(alice);
    let again = Store::open(&config_in(&scratch, "alice", data.path()))
        .await
        .unwrap();
    assert_eq!(again.overrides().await.unwrap(), vec![promo(720.0)]);

    let mut other = promo(10.0);
    other.reason = ReasonCode::Other;
    other.note = Some("  ".into());
    let err = again.set_override(&other).await.unwrap_err();
    assert!(err.to_string().contains("OTHER needs a note"), "{err}");
    assert_eq!(
        again.overrides().await.unwrap(),
        vec![promo(720.0)],
        "a refused override changes nothing"
    );

    bob.clear_override("PROD-001").await.unwrap();
    assert!(again.overrides().await.unwrap().is_empty());

    let log = again.audit_log().await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|r| (r[1].as_deref().unwrap_or(""), r[2].as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        actions,
        [
            ("alice", "override_set"),
            ("alice", "override_set"),
            ("bob", "override_cleared")
        ],
        "{test}"
    );
    assert_eq!(
        log[1][4].as_deref(),
        Some("720 (suggested 600) PROMO: spring promotion")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_overrides_persist() {
    overrides_persist("sqlite_overrides_persist", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_overrides_persist() {
    overrides_persist("postgres_overrides_persist", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_overrides_persist() {
    overrides_persist("mariadb_overrides_persist", Db::MySql).await;
}

fn line(product: &str, cents: i64) -> buyerdesk::orders::PoLine {
    buyerdesk::orders::PoLine {
        line_no: 0,
        product_id: product.into(),
        product_name: Some(format!("{product} name")),
        qty_stock: 10.0,
        stock_uom: Some("EA".into()),
        qty_purchase: 1.0,
        purchase_uom: Some("BOX".into()),
        pack: 10.0,
        stock_unit_price: cents as f64 / 1000.0,
        amount_cents: cents,
        lead_time_days: 7.0,
        expected_delivery: "2026-12-01".into(),
        suggested_qty: 10.0,
        overridden: false,
        requires_approval: false,
        qty_received: 0.0,
    }
}

fn draft(supplier: &str, lines: Vec<buyerdesk::orders::PoLine>) -> buyerdesk::orders::PoDraft {
    buyerdesk::orders::PoDraft {
        supplier_id: Some(supplier.into()),
        supplier_name: format!("{supplier} Ltd"),
        currency: "EUR".into(),
        total_cents: lines.iter().map(|l| l.amount_cents).sum(),
        lines,
        expected_delivery: "2026-12-01".into(),
        approval_reason: None,
    }
}

/// The drafting transaction writes every PO of a batch at once; a product
/// another open PO holds (taken after the buyer's list was built) is left
/// out with that PO named, the PO's lines are renumbered and its total
/// lowered, a PO left with nothing is not created (its number spent), and
/// approving on sending approves only what is still a draft.
async fn drafts_around_held_products(test: &str, db: Db) {
    use buyerdesk::orders::{DraftPlan, PoStatus};
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;

    let data = tempfile::tempdir().unwrap();
    let store = Store::open(&config_in(&scratch, "alice", data.path()))
        .await
        .unwrap();
    let first = store
        .create_pos(DraftPlan {
            pos: vec![draft("SUP-A", vec![line("P1", 1000), line("P2", 2000)])],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    assert_eq!(first.created.len(), 1, "{test}");
    let held = first.created[0].po_number.clone();
    assert_eq!(held, "PO-000001", "{test}");

    let second = store
        .create_pos(DraftPlan {
            pos: vec![
                draft(
                    "SUP-B",
                    vec![line("P4", 400), line("P2", 200), line("P3", 300)],
                ),
                draft("SUP-C", vec![line("P1", 100)]),
            ],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    assert_eq!(second.created.len(), 1, "{test}: SUP-C has nothing left");
    let b = &second.created[0];
    assert_eq!(b.po_number, "PO-000002", "{test}");
    assert_eq!(b.total_cents, 700, "{test}: P3 + P4 only");
    let lines: Vec<(u32, &str)> = b
        .lines
        .iter()
        .map(|l| (l.line_no, l.product_id.as_str()))
        .collect();
    assert_eq!(lines, [(1, "P3"), (2, "P4")], "{test}");
    let mut skipped: Vec<(String, String)> = second
        .skipped
        .iter()
        .map(|s| (s.product_id.clone(), s.reason.clone()))
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        [
            ("P1".to_string(), format!("already on {held} (draft)")),
            ("P2".to_string(), format!("already on {held} (draft)")),
        ],
        "{test}"
    );
    // What was written is what was returned.
    let read = store.po("PO-000002").await.unwrap().unwrap();
    assert_eq!(read.total_cents, 700, "{test}");
    assert_eq!(read.lines, b.lines, "{test}");
    assert_eq!(read.status, PoStatus::Draft, "{test}");
    assert!(
        store.po("PO-000003").await.unwrap().is_none(),
        "{test}: the empty PO was not kept"
    );
    let open = store.open_products().await.unwrap();
    assert_eq!(open.get("P1"), Some(&format!("{held} (draft)")), "{test}");
    assert_eq!(
        open.get("P3").map(String::as_str),
        Some("PO-000002 (draft)"),
        "{test}"
    );

    // PO-000001 is cancelled elsewhere before the send approves the drafts.
    let stale = store.pos(Some(PoStatus::Draft)).await.unwrap();
    assert_eq!(stale.len(), 2, "{test}");
    store.cancel(&held, false).await.unwrap();
    assert!(store.approve(&held).await.is_err(), "{test}");
    store.approve("PO-000002").await.unwrap();
    assert_eq!(
        store.po(&held).await.unwrap().unwrap().status,
        PoStatus::Cancelled,
        "{test}"
    );
    let b = store.po("PO-000002").await.unwrap().unwrap();
    assert_eq!(b.status, PoStatus::Approved, "{test}");
    assert_eq!(b.approved_by.as_deref(), Some("alice"), "{test}");
    let audit = store.audit_entries(None).await.unwrap();
    let of = |action: &str| -> Vec<String> {
        audit
            .iter()
            .filter(|e| e.action == action)
            .filter_map(|e| e.detail.clone())
            .collect()
    };
    assert_eq!(
        of("po_drafted"),
        [
            format!("{held} SUP-A Ltd: 30.00 EUR (P1, P2)"),
            "PO-000002 SUP-B Ltd: 7.00 EUR (P3, P4)".to_string(),
        ],
        "{test}"
    );
    let approvals = of("po_approved");
    assert_eq!(approvals.len(), 1, "{test}: {approvals:?}");
    assert!(
        approvals[0].starts_with("PO-000002"),
        "{test}: {approvals:?}"
    );

    // The cancelled PO gave its products back; numbers are never reused.
    let third = store
        .create_pos(DraftPlan {
            pos: vec![draft("SUP-C", vec![line("P1", 100)])],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    assert_eq!(third.created[0].po_number, "PO-000004", "{test}");
    assert!(third.skipped.is_empty(), "{test}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_drafts_around_held_products() {
    drafts_around_held_products("sqlite_drafts_around_held_products", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_drafts_around_held_products() {
    drafts_around_held_products("postgres_drafts_around_held_products", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_drafts_around_held_products() {
    drafts_around_held_products("mariadb_drafts_around_held_products", Db::MySql).await;
}

/// Product ids are compared byte for byte on every backend: `PROD-001` and
/// `prod-001` are two products (MariaDB's default collation made them one
/// key: an override saved for one replaced the other's, and the second
/// could never be drafted).
async fn ids_differing_by_case_are_two_products(test: &str, db: Db) {
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;

    let data = tempfile::tempdir().unwrap();
    let store = Store::open(&config_in(&scratch, "alice", data.path()))
        .await
        .unwrap();
    let mut lower = promo(50.0);
    lower.product_id = "prod-001".into();
    store.set_override(&promo(700.0)).await.unwrap();
    store.set_override(&lower).await.unwrap();
    let mut ids: Vec<(String, f64)> = (store.overrides().await.unwrap().into_iter())
        .map(|o| (o.product_id, o.order_qty))
        .collect();
    ids.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        ids,
        [
            ("PROD-001".to_string(), 700.0),
            ("prod-001".to_string(), 50.0)
        ],
        "{test}"
    );
    store.clear_override("prod-001").await.unwrap();
    let left: Vec<String> = (store.overrides().await.unwrap().into_iter())
        .map(|o| o.product_id)
        .collect();
    assert_eq!(left, ["PROD-001"], "{test}: clearing one keeps the other");

    // Both go on POs: one product per open PO is per id, byte for byte.
    let drafted = store
        .create_pos(buyerdesk::orders::DraftPlan {
            pos: vec![
                draft("SUP-A", vec![line("PROD-001", 100)]),
                draft("SUP-B", vec![line("prod-001", 200)]),
            ],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    assert_eq!(drafted.created.len(), 2, "{test}: {:?}", drafted.skipped);
    assert!(drafted.skipped.is_empty(), "{test}: {:?}", drafted.skipped);
    let open = store.open_pos_by_product().await.unwrap();
    assert!(
        open.contains_key("PROD-001") && open.contains_key("prod-001"),
        "{test}: {open:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ids_differing_by_case_are_two_products() {
    ids_differing_by_case_are_two_products(
        "sqlite_ids_differing_by_case_are_two_products",
        Db::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_ids_differing_by_case_are_two_products() {
    ids_differing_by_case_are_two_products(
        "postgres_ids_differing_by_case_are_two_products",
        Db::Postgres,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_ids_differing_by_case_are_two_products() {
    ids_differing_by_case_are_two_products(
        "mariadb_ids_differing_by_case_are_two_products",
        Db::MySql,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_name_the_database_cannot_keep_is_refused_before_any_write() {
    let Some(admin) = Db::Sqlite.admin_url("a_user_name_the_database_cannot_keep") else {
        return;
    };
    let scratch = ScratchDb::create_as(Db::Sqlite, &admin, "purchasing", Role::Writer).await;

    let data = tempfile::tempdir().unwrap();
    let long = format!("buyer\n{}", "x".repeat(83));
    let err = Store::open(&config_in(&scratch, &long, data.path()))
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("is 89 characters long; the purchasing database keeps 64"),
        "{message}"
    );
    assert!(!message.contains('\n'), "the name is escaped: {message:?}");
    assert!(
        Store::open(&config_in(&scratch, &"y".repeat(64), data.path()))
            .await
            .is_ok()
    );
}

/// `n` workstations (each with its own data directory) opening the
/// purchasing database at the same moment: the identities they read.
async fn open_at_once(
    test: &str,
    scratch: &ScratchDb,
    n: usize,
) -> std::collections::BTreeSet<String> {
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let opens: Vec<_> = (0..n)
        .map(|i| {
            let data = tempfile::tempdir().unwrap();
            let config = config_in(scratch, &format!("ws{i}"), data.path());
            let start = std::sync::Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                let store = Store::open(&config).await;
                (store.map(|s| s.identity().cloned()), data)
            })
        })
        .collect();
    let mut identities = std::collections::BTreeSet::new();
    for open in opens {
        let (identity, _data) = open.await.unwrap();
        let identity = identity
            .unwrap_or_else(|e| panic!("{test}: {e:#}"))
            .expect("an identity once migrated");
        identities.insert(identity.identity);
    }
    identities
}

/// Workstations migrating a new purchasing database at the same moment end
/// with one identity: inserted if absent (one row, a fixed key), then read
/// back. Twice: on a new database, and at the moment between the
/// migration and the identity's creation (its row removed), where every
/// workstation finds none and creates one.
async fn one_identity_under_concurrent_migration(test: &str, db: Db) {
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let identities = open_at_once(test, &scratch, 6).await;
    assert_eq!(identities.len(), 1, "{test}: {identities:?}");
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(&config_in(&scratch, "later", data.path()))
        .await
        .unwrap();
    assert_eq!(
        store.source.count_rows("buyerdesk_identity").await.unwrap(),
        1,
        "{test}"
    );
    assert!(identities.contains(&store.identity().unwrap().identity));
    if db == Db::MySql {
        // Migration 4's CHECK, dropped and added by several at once (DDL
        // is not transactional here): one list of statuses in the end.
        let checks = store
            .source
            .fetch_text(
                "SELECT CAST(c.CHECK_CLAUSE AS CHAR) FROM information_schema.CHECK_CONSTRAINTS c \
                 JOIN information_schema.TABLE_CONSTRAINTS t \
                 ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME \
                 WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = 'purchase_orders' \
                 AND c.CHECK_CLAUSE LIKE '%cancelled%'",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(checks.len(), 1, "{test}: {checks:?}");
        assert!(
            format!("{checks:?}").contains("unconfirmed"),
            "{test}: {checks:?}"
        );
    }

    store
        .source
        .execute("DELETE FROM buyerdesk_identity")
        .await
        .unwrap();
    let identities = open_at_once(test, &scratch, 12).await;
    assert_eq!(identities.len(), 1, "{test}: {identities:?}");
    assert_eq!(
        store.source.count_rows("buyerdesk_identity").await.unwrap(),
        1,
        "{test}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_one_identity_under_concurrent_migration() {
    one_identity_under_concurrent_migration("sqlite_one_identity", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_identity_under_concurrent_migration() {
    one_identity_under_concurrent_migration("postgres_one_identity", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_one_identity_under_concurrent_migration() {
    one_identity_under_concurrent_migration("mariadb_one_identity", Db::MySql).await;
}

/// A purchasing database this workstation has used that now holds another
/// identity, or no buyerdesk table at all (emptied, or dropped and created
/// again), is refused, naming where it is, the identity remembered and the
/// way out; `--init` starts it anew with a new identity.
async fn an_emptied_purchasing_database_is_refused(test: &str, db: Db) {
    use buyerdesk::store::{Gone, Refused};
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let data = tempfile::tempdir().unwrap();
    let config = config_in(&scratch, "alice", data.path());
    let store = Store::open(&config).await.unwrap();
    let identity = store.identity().unwrap().identity.clone();
    let location = store.location().unwrap().to_string();
    assert!(
        !location.contains('@') && location.contains(&scratch.url[scratch.url.len() - 12..]),
        "{location}"
    );
    let refusal = |e: anyhow::Error| -> Refused {
        e.downcast_ref::<Refused>()
            .unwrap_or_else(|| panic!("{test}: not refused: {e:#}"))
            .clone()
    };

    // Another identity at the same place.
    let set_identity = |value: String| {
        let source = store.source.clone();
        async move {
            let sql = format!(
                "UPDATE buyerdesk_identity SET identity = {} WHERE id = 1",
                source.backend.placeholder(1)
            );
            buyerdesk::sources::with_pool_write(&source, &sql, vec![Some(value)])
                .await
                .unwrap();
        }
    };
    set_identity("ZZZZZZZZZZ".into()).await;
    let refused = refusal(Store::open(&config).await.unwrap_err());
    assert_eq!(refused.gone, Gone::Replaced, "{test}");
    assert_eq!(refused.found.as_deref(), Some("ZZZZZZZZZZ"), "{test}");
    set_identity(identity.clone()).await;
    Store::open(&config).await.unwrap();

    // Emptied: every table dropped.
    let mut tables = common::PURCHASING_TABLES.to_vec();
    if db != Db::Postgres {
        tables.push("po_numbers");
    }
    // As the administrator: the writer role may not drop tables.
    store.source.close().await;
    for table in tables {
        scratch.admin_execute(&format!("DROP TABLE {table}")).await;
    }
    if db == Db::Postgres {
        scratch.admin_execute("DROP SEQUENCE po_number_seq").await;
    }
    let err = Store::open(&config).await.unwrap_err();
    let message = format!("{err:#}");
    let refused = refusal(err);
    assert_eq!(refused.gone, Gone::Empty, "{test}");
    for part in [
        format!("the purchasing database at {location} is empty"),
        format!("as identity {identity} since "),
        "Restore it from a backup".into(),
        "buyerdesk --init".into(),
    ] {
        assert!(
            message.contains(&part),
            "{test}: '{part}' missing: {message}"
        );
    }
    // Refused before any table was created again.
    let data2 = tempfile::tempdir().unwrap();
    let mut look = config_in(&scratch, "look", data2.path());
    look.file.general.init_purchasing = false;
    let source = buyerdesk::sources::Source::connect(
        &look
            .resolve(buyerdesk::config::SourceKind::Purchasing)
            .unwrap(),
        buyerdesk::sources::Access::ReadWrite,
    )
    .await
    .unwrap();
    assert!(
        source
            .table_columns("buyerdesk_migrations")
            .await
            .unwrap()
            .is_empty(),
        "{test}: the refusal created no table"
    );
    source.close().await;

    // --init: created anew, with a new identity, remembered from then on.
    let mut init = config.clone();
    init.file.general.init_purchasing = true;
    let store = Store::open(&init).await.unwrap();
    let new = store.identity().unwrap().identity.clone();
    assert_ne!(new, identity, "{test}");
    let again = Store::open(&config).await.unwrap();
    assert_eq!(again.identity().unwrap().identity, new, "{test}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_emptied_purchasing_database_is_refused() {
    an_emptied_purchasing_database_is_refused("sqlite_emptied", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_emptied_purchasing_database_is_refused() {
    an_emptied_purchasing_database_is_refused("postgres_emptied", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_an_emptied_purchasing_database_is_refused() {
    an_emptied_purchasing_database_is_refused("mariadb_emptied", Db::MySql).await;
}

/// An override saved by `user` at `at`.
fn override_by(user: &str, qty: f64, at: &str) -> Override {
    Override {
        user: user.into(),
        set_at: at.into(),
        ..promo(qty)
    }
}

/// Two workstations on one product: a save over the other's newer change
/// is refused with who, what and when (and audited), and goes through
/// when the buyer saves again knowingly; a clear is seen by a save that
/// started before it; the revision only goes up.
async fn concurrent_saves_are_refused_then_overwritten_knowingly(test: &str, db: Db) {
    use buyerdesk::store::overrides::{Base, Conflict};
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let data = tempfile::tempdir().unwrap();
    let buyer1 = Store::open(&config_in(&scratch, "buyer1", data.path()))
        .await
        .unwrap();
    let buyer2 = Store::open(&config_in(&scratch, "buyer2", data.path()))
        .await
        .unwrap();

    // buyer1 opens the popup (no override yet); buyer2 saves 228 first.
    let first = buyer2
        .save_override(
            &override_by("buyer2", 228.0, "2026-12-05T12:01:03Z"),
            Base::Seen(None),
        )
        .await
        .unwrap();
    assert_eq!(first.revision, 1, "{test}");
    let err = buyer1
        .save_override(
            &override_by("buyer1", 504.0, "2026-12-05T12:02:00Z"),
            Base::Seen(None),
        )
        .await
        .unwrap_err();
    let conflict = err.downcast_ref::<Conflict>().expect("a conflict");
    assert_eq!(
        conflict.to_string(),
        "PROD-001: buyer2 set 228 (PROMO: spring promotion) at 2026-12-05 12:01:03 UTC after you opened this",
        "{test}"
    );
    assert_eq!(conflict.revision, 1, "{test}");
    let now: Vec<f64> = buyer1
        .overrides()
        .await
        .unwrap()
        .iter()
        .map(|o| o.order_qty)
        .collect();
    assert_eq!(now, [228.0], "{test}: the refused save changed nothing");

    // Knowingly: the revision the conflict named.
    let saved = buyer1
        .save_override(
            &override_by("buyer1", 504.0, "2026-12-05T12:02:30Z"),
            Base::Seen(Some(conflict.revision)),
        )
        .await
        .unwrap();
    assert_eq!(saved.revision, 2, "{test}");
    assert_eq!(
        saved.replaced.as_ref().map(|o| o.user.as_str()),
        Some("buyer2")
    );
    assert_eq!(buyer2.overrides().await.unwrap()[0].order_qty, 504.0);

    // buyer2 still holds revision 1: refused, naming buyer1's save.
    let err = buyer2
        .save_override(
            &override_by("buyer2", 600.0, "2026-12-05T12:03:00Z"),
            Base::Seen(Some(1)),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("buyer1 set 504"),
        "{test}: {err:#}"
    );

    // A clear is seen by a save that started before it.
    let cleared = buyer2.clear_override("PROD-001").await.unwrap();
    assert_eq!(cleared.map(|o| o.order_qty), Some(504.0), "{test}");
    assert!(buyer1.overrides().await.unwrap().is_empty(), "{test}");
    assert_eq!(
        buyer2.clear_override("PROD-001").await.unwrap(),
        None,
        "{test}: none left"
    );
    let err = buyer1
        .save_override(
            &override_by("buyer1", 516.0, "2026-12-05T12:04:00Z"),
            Base::Seen(Some(2)),
        )
        .await
        .unwrap_err();
    let c = err.downcast_ref::<Conflict>().expect("a conflict");
    assert!(
        c.user == "buyer2" && c.what.starts_with("cleared the override (504"),
        "{test}: {c}"
    );
    assert_eq!(c.revision, 3, "{test}");
    // A buyer who opened after the clear saw no override: saved.
    let saved = buyer1
        .save_override(
            &override_by("buyer1", 516.0, "2026-12-05T12:05:00Z"),
            Base::Seen(None),
        )
        .await
        .unwrap();
    assert_eq!(saved.revision, 4, "{test}");

    let log = buyer1.audit_log().await.unwrap();
    let rows: Vec<(String, String, String)> = log
        .iter()
        .map(|r| {
            (
                r[1].clone().unwrap_or_default(),
                r[2].clone().unwrap_or_default(),
                r[4].clone().unwrap_or_default(),
            )
        })
        .collect();
    let actions: Vec<(&str, &str)> = rows
        .iter()
        .map(|(u, a, _)| (u.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("buyer2", "override_set"),
            ("buyer1", "override_refused"),
            ("buyer1", "override_set"),
            ("buyer2", "override_refused"),
            ("buyer2", "override_cleared"),
            ("buyer1", "override_refused"),
            ("buyer1", "override_set"),
        ],
        "{test}"
    );
    assert!(
        rows[2]
            .2
            .contains("replacing buyer2's 228 (PROMO: spring promotion) of 2026-12-05T12:01:03Z"),
        "{test}: the overwrite names what it replaced: {}",
        rows[2].2
    );
    assert!(
        rows[1]
            .2
            .contains("504 (PROMO: spring promotion) not saved: buyer2 set 228"),
        "{}",
        rows[1].2
    );
    assert!(rows[4].2.contains("cleared buyer1's 504"), "{}", rows[4].2);

    // A clear is checked too: buyer2 saw revision 3, buyer1 saved 4.
    let err = buyer2
        .clear_override_seen("PROD-001", Base::Seen(Some(3)))
        .await
        .unwrap_err();
    let c = err.downcast_ref::<Conflict>().expect("a conflict");
    assert!(
        c.user == "buyer1" && c.what.starts_with("set 516"),
        "{test}: {c}"
    );
    assert_eq!(
        buyer2.overrides().await.unwrap()[0].order_qty,
        516.0,
        "{test}: kept"
    );
    let cleared = buyer2
        .clear_override_seen("PROD-001", Base::Seen(Some(4)))
        .await
        .unwrap();
    assert_eq!(cleared.map(|o| o.order_qty), Some(516.0), "{test}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_saves_are_refused_then_overwritten_knowingly() {
    concurrent_saves_are_refused_then_overwritten_knowingly("sqlite_concurrent_saves", Db::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_saves_are_refused_then_overwritten_knowingly() {
    concurrent_saves_are_refused_then_overwritten_knowingly(
        "postgres_concurrent_saves",
        Db::Postgres,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_concurrent_saves_are_refused_then_overwritten_knowingly() {
    concurrent_saves_are_refused_then_overwritten_knowingly("mariadb_concurrent_saves", Db::MySql)
        .await;
}

/// Eight workstations saving over "no override" at the same moment: the
/// row locks let exactly one win; every other is told who won.
async fn racing_saves_one_wins(test: &str, db: Db) {
    use buyerdesk::store::overrides::{Base, Conflict};
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let data = tempfile::tempdir().unwrap();
    let mut stores = Vec::new();
    for i in 0..8 {
        let user = format!("buyer{i}");
        stores.push((
            user.clone(),
            Store::open(&config_in(&scratch, &user, data.path()))
                .await
                .unwrap(),
        ));
    }
    let tasks: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(i, (user, store))| {
            tokio::spawn(async move {
                let o = override_by(&user, 12.0 * (i as f64 + 1.0), "2026-12-05T12:00:00Z");
                store.save_override(&o, Base::Seen(None)).await
            })
        })
        .collect();
    let mut won = 0;
    let mut told = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => {
                assert!(e.downcast_ref::<Conflict>().is_some(), "{test}: {e:#}");
                told += 1;
            }
        }
    }
    assert_eq!((won, told), (1, 7), "{test}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_racing_saves_one_wins() {
    racing_saves_one_wins("sqlite_racing_saves", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_racing_saves_one_wins() {
    racing_saves_one_wins("postgres_racing_saves", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mariadb_racing_saves_one_wins() {
    racing_saves_one_wins("mariadb_racing_saves", Db::MySql).await;
}

/// Sends a PO through the store as the sending code does: approved,
/// claimed, an attempt confirmed.
async fn mark_sent(store: &Store, number: &str) {
    store.approve(number).await.unwrap();
    assert!(store.claim_send(number, "test-claim", None).await.unwrap());
    let id = store
        .start_attempt(number, "test-claim", 1, "outbox")
        .await
        .unwrap()
        .unwrap();
    assert!(store
        .record_sent(id, number, "test-claim", 1, "outbox", "written")
        .await
        .unwrap());
}

/// An override is used once: the line that orders it records its
/// revision; while the PO is a draft (or cancelled) it still applies;
/// once the PO is sent it no longer does and the list names the PO; a
/// new override applies again.
async fn an_override_is_used_once(test: &str, db: Db) {
    use buyerdesk::orders::DraftPlan;
    use buyerdesk::store::overrides::Base;
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(&config_in(&scratch, "alice", data.path()))
        .await
        .unwrap();
    let saved = store
        .save_override(
            &override_by("alice", 708.0, "2026-12-05T12:00:00Z"),
            Base::Seen(None),
        )
        .await
        .unwrap();
    let ordered = |qty: f64| buyerdesk::orders::PoLine {
        qty_stock: qty,
        qty_purchase: qty / 12.0,
        pack: 12.0,
        overridden: true,
        ..line("PROD-001", 1000)
    };
    // A cancelled PO does not use it up.
    let cancelled = store
        .create_pos(DraftPlan {
            pos: vec![draft("SUP-A", vec![ordered(708.0)])],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    store
        .cancel(&cancelled.created[0].po_number, false)
        .await
        .unwrap();
    let po = store
        .create_pos(DraftPlan {
            pos: vec![draft("SUP-A", vec![ordered(708.0)])],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    let number = po.created[0].po_number.clone();
    let rows = store.override_rows().await.unwrap();
    assert_eq!(
        (rows.len(), rows[0].revision),
        (1, saved.revision),
        "{test}"
    );
    assert_eq!(rows[0].used_by, None, "{test}: a draft does not use it");
    assert_eq!(store.overrides().await.unwrap().len(), 1, "{test}");

    mark_sent(&store, &number).await;
    let rows = store.override_rows().await.unwrap();
    let used = rows[0].used_by.as_ref().expect("used by the sent PO");
    assert_eq!(
        (used.po_number.as_str(), used.status.as_str()),
        (number.as_str(), "sent"),
        "{test}"
    );
    assert!(used.sent_at.is_some(), "{test}");
    assert!(
        store.overrides().await.unwrap().is_empty(),
        "{test}: a used override no longer applies"
    );
    assert!(store.applicable_overrides().await.unwrap().is_empty());
    store.receive(&number).await.unwrap();
    assert_eq!(
        store.override_rows().await.unwrap()[0]
            .used_by
            .as_ref()
            .map(|u| u.status.as_str()),
        Some("received"),
        "{test}"
    );
    // Saving over a used override needs no knowledge of it: the buyer saw
    // none apply.
    let again = store
        .save_override(
            &override_by("alice", 120.0, "2026-12-06T09:00:00Z"),
            Base::Seen(None),
        )
        .await
        .unwrap();
    assert_eq!(again.revision, saved.revision + 1, "{test}");
    let applies = store.applicable_overrides().await.unwrap();
    assert_eq!(
        applies
            .iter()
            .map(|r| (r.ov.order_qty, r.revision))
            .collect::<Vec<_>>(),
        [(120.0, again.revision)],
        "{test}: a new override applies again"
    );

    // A line whose quantity is not the override's (changed after the
    // plan) records no revision: the newer override stays.
    let other = store
        .create_pos(DraftPlan {
            pos: vec![draft("SUP-B", vec![ordered(708.0)])],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    mark_sent(&store, &other.created[0].po_number).await;
    assert_eq!(
        store.applicable_overrides().await.unwrap().len(),
        1,
        "{test}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_override_is_used_once() {
    an_override_is_used_once("sqlite_used_once", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_override_is_used_once() {
    an_override_is_used_once("postgres_used_once", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_an_override_is_used_once() {
    an_override_is_used_once("mariadb_used_once", Db::MySql).await;
}

/// Upgrading a purchasing database from before migrations 6 and 7 (its
/// overrides without revisions, its PO lines without the revision they
/// ordered, no receipts, no notes): an override a sent PO already ordered
/// is used up at the upgrade, not ordered again; one no PO ordered still
/// applies; the old lines have nothing received. The old schema is made by
/// dropping what the two migrations add.
async fn an_upgrade_keeps_ordered_overrides_used(test: &str, db: Db) {
    use buyerdesk::orders::DraftPlan;
    use buyerdesk::store::overrides::Base;
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let data = tempfile::tempdir().unwrap();
    let config = config_in(&scratch, "alice", data.path());
    let store = Store::open(&config).await.unwrap();
    for (product, qty) in [("PROD-001", 708.0), ("PROD-002", 240.0)] {
        let o = Override {
            product_id: product.into(),
            ..override_by("alice", qty, "2026-11-01T09:00:00Z")
        };
        store.save_override(&o, Base::Any).await.unwrap();
    }
    // PROD-001's 708 ordered and sent; PROD-002's 240 never ordered.
    let po = store
        .create_pos(DraftPlan {
            pos: vec![draft(
                "SUP-A",
                vec![buyerdesk::orders::PoLine {
                    qty_stock: 708.0,
                    qty_purchase: 59.0,
                    pack: 12.0,
                    overridden: true,
                    ..line("PROD-001", 1000)
                }],
            )],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    let number = po.created[0].po_number.clone();
    mark_sent(&store, &number).await;
    store.source.close().await;

    // Back to the schema of migration 5, the rows kept.
    let drop_index = match db {
        Db::MySql => "DROP INDEX po_lines_product ON po_lines",
        _ => "DROP INDEX po_lines_product",
    };
    scratch.admin_execute(drop_index).await;
    for (table, column) in [
        ("overrides", "revision"),
        ("overrides", "cleared_by"),
        ("overrides", "cleared_at"),
        ("po_lines", "override_revision"),
        ("po_lines", "qty_received"),
        ("po_lines", "rules_approval"),
        ("purchase_orders", "note"),
    ] {
        scratch
            .admin_execute(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
            .await;
    }
    scratch
        .admin_execute("DELETE FROM buyerdesk_migrations WHERE version IN (6, 7)")
        .await;

    let store = Store::open(&config).await.expect("migrates 6 and 7");
    assert_eq!(store.schema_version().await.unwrap(), 9, "{test}");
    let rows = store.override_rows().await.unwrap();
    let row = |id: &str| rows.iter().find(|r| r.ov.product_id == id).unwrap();
    assert_eq!(
        row("PROD-001")
            .used_by
            .as_ref()
            .map(|u| u.po_number.clone()),
        Some(number.clone()),
        "{test}: the sent PO used it up"
    );
    assert!(row("PROD-002").used_by.is_none(), "{test}");
    let applies: Vec<String> = (store.applicable_overrides().await.unwrap())
        .iter()
        .map(|r| r.ov.product_id.clone())
        .collect();
    assert_eq!(applies, ["PROD-002"], "{test}: only the unordered one");
    let sent = store.po_required(&number).await.unwrap();
    assert_eq!(sent.lines[0].qty_received, 0.0, "{test}");
    assert_eq!(sent.note, None, "{test}");
    // The open-PO quantity is the whole line (nothing received yet).
    let open = store.open_pos_by_product().await.unwrap();
    assert!(open.contains_key("PROD-001"), "{test}: {open:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_upgrade_keeps_ordered_overrides_used() {
    an_upgrade_keeps_ordered_overrides_used("sqlite_upgrade_6_7", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_upgrade_keeps_ordered_overrides_used() {
    an_upgrade_keeps_ordered_overrides_used("postgres_upgrade_6_7", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_an_upgrade_keeps_ordered_overrides_used() {
    an_upgrade_keeps_ordered_overrides_used("mariadb_upgrade_6_7", Db::MySql).await;
}

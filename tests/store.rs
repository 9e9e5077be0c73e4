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
    assert_eq!(alice.schema_version().await.unwrap(), 7);
    // A second workstation on the same database; migrating again is harmless.
    let bob = Store::open(&config_in(&scratch, "bob", data.path()))
        .await
        .expect("second workstation");
    assert_eq!(bob.schema_version().await.unwrap(), 7);

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

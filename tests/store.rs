//! buyerdesk's purchasing database on SQLite, PostgreSQL and MariaDB:
//! migrations, overrides that survive a restart and are seen by a second
//! workstation, and the audit trail.

mod common;

use buyerdesk::config::{Config, FileConfig};
use buyerdesk::store::{Override, OverrideUnit, ReasonCode, Store};
use common::{Db, Role, ScratchDb};

fn config_for(db: &ScratchDb, user: &str) -> Config {
    let mut file = FileConfig::default();
    db.configure(&mut file.purchasing);
    file.general.user = Some(user.into());
    Config {
        file,
        origin: "store test".into(),
        data_dir: std::env::temp_dir(),
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
    let alice = Store::open(&config_for(&scratch, "alice"))
        .await
        .expect("store opens and migrates");
    assert_eq!(alice.schema_version().await.unwrap(), 2);
    // A second workstation on the same database; migrating again is harmless.
    let bob = Store::open(&config_for(&scratch, "bob"))
        .await
        .expect("second workstation");
    assert_eq!(bob.schema_version().await.unwrap(), 2);

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
    let again = Store::open(&config_for(&scratch, "alice")).await.unwrap();
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

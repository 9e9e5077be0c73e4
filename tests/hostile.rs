//! Hostile input: SQL in product ids, notes and filter text reaches the
//! databases only as parameters; a known password appears in no output,
//! log, audit entry or file; every file buyerdesk writes is its owner's
//! only.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use buyerdesk::config::SourceKind;
use buyerdesk::orders::drafting::draft_plans;
use buyerdesk::orders::Sender;
use buyerdesk::plan::RuleSet;
use buyerdesk::sources::{with_pool_write, Access, Source, Sources};
use buyerdesk::store::{Override, OverrideUnit, ReasonCode, Store};
use common::{bin, Db, Setup};

const HOSTILE: [&str; 5] = [
    "'; DROP TABLE suppliers; --",
    "PROD-001' OR '1'='1",
    "\"; DELETE FROM inventory; --",
    "x\\'; DROP TABLE oms_history; #",
    "PROD-001\u{0}",
];

const TABLES: [(SourceKind, &str); 4] = [
    (SourceKind::Oms, "oms_history"),
    (SourceKind::Inventory, "inventory"),
    (SourceKind::Supplier, "suppliers"),
    (SourceKind::Uom, "uom_conversions"),
];

async fn counts(setup: &Setup) -> Vec<u64> {
    let mut out = Vec::new();
    for (kind, table) in TABLES {
        let s = Source::connect(&setup.config.resolve(kind).unwrap(), Access::ReadOnly)
            .await
            .unwrap();
        out.push(s.count_rows(table).await.unwrap());
        s.close().await;
    }
    out
}

async fn sql_in_ids_and_notes_is_only_data(test: &str, db: Db) {
    let Some(setup) = Setup::new(test, [db; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 20, 7, false, false)
        .await
        .unwrap();
    let before = counts(&setup).await;
    let store = Store::open(&setup.config).await.unwrap();
    let ctx = buyerdesk::live::plan_context(&store).await.unwrap();
    let sources = Sources::connect(&setup.config).await.unwrap();
    let rules = RuleSet::embedded();
    for id in HOSTILE {
        let err = buyerdesk::live::plan_products(&sources, &rules, &ctx, &[id.to_string()])
            .await
            .expect_err("no such product");
        let expected = if id.contains('\u{0}') {
            // Refused before any database sees it (PostgreSQL would refuse
            // the byte; MariaDB would compare it away and match PROD-001).
            "holds a control character"
        } else {
            "unknown product(s)"
        };
        assert!(err.to_string().contains(expected), "{test}: {id:?}: {err}");
        if id.contains('\u{0}') {
            continue;
        }
        // The daily history query for the open product binds it too.
        let days = sources.oms.daily_demand(id, 60).await;
        assert!(
            days.as_ref().is_ok_and(|d| d.is_empty()) || days.is_err(),
            "{test}: {id:?}"
        );
    }
    // An id that is SQL, stored in the purchasing database and read back
    // as it was written.
    let o = Override {
        product_id: HOSTILE[0].into(),
        order_qty: 5.0,
        entered_qty: 5.0,
        entered_unit: OverrideUnit::Stock,
        suggested_qty: 0.0,
        reason: ReasonCode::Other,
        note: Some("Robert'); DROP TABLE overrides;--".into()),
        user: "mallory'--".into(),
        set_at: "2026-11-21T10:00:00Z".into(),
    };
    store.set_override(&o).await.unwrap();
    assert_eq!(store.overrides().await.unwrap(), vec![o]);
    assert_eq!(
        counts(&setup).await,
        before,
        "{test}: no source table touched"
    );

    // A product whose id is SQL, in the sources themselves: planned,
    // drafted and sent like any other, its id intact in the documents.
    let odd = "O'Brien\"; DROP TABLE suppliers; --";
    for (kind, table) in TABLES {
        let w = Source::connect(
            &setup.admin_config.resolve(kind).unwrap(),
            Access::ReadWrite,
        )
        .await
        .unwrap();
        let p = |n: usize| w.backend.placeholder(n);
        let (sql, binds): (String, Vec<Option<String>>) = match table {
            "oms_history" => (
                format!("INSERT INTO oms_history (product_id, avg_daily_demand, trend) VALUES ({}, 10, 'stable')", p(1)),
                vec![Some(odd.into())],
            ),
            "inventory" => (
                format!("INSERT INTO inventory (product_id, available_qty, reserved_qty, warehouse_location) VALUES ({}, 0, 0, 'WH')", p(1)),
                vec![Some(odd.into())],
            ),
            "suppliers" => (
                format!("INSERT INTO suppliers (product_id, supplier_name, unit_price, moq, lead_time) VALUES ({}, {}, 2, 10, 5)", p(1), p(2)),
                vec![Some(odd.into()), Some("Quote'n\"Co; --".into())],
            ),
            _ => (
                format!("INSERT INTO uom_conversions (product_id, from_uom, to_uom, conversion_factor) VALUES ({}, 'pcs', 'pcs', 1)", p(1)),
                vec![Some(odd.into())],
            ),
        };
        with_pool_write(&w, &sql, binds).await.unwrap();
        w.close().await;
    }
    let (plans, _) = buyerdesk::live::plan_products(&sources, &rules, &ctx, &[odd.to_string()])
        .await
        .unwrap();
    assert_eq!(plans.len(), 1);
    assert!(
        plans[0].order_qty > 0.0,
        "{test}: {:?}",
        plans[0].exceptions
    );
    let drafted = draft_plans(&setup.config, &store, &[&plans[0]])
        .await
        .unwrap();
    let number = drafted.created[0].po_number.clone();
    let key = drafted.created[0].send_key.clone();
    store.approve(&number).await.unwrap();
    Sender::new(store.clone(), &setup.config)
        .unwrap()
        .send(&number, &|_| {})
        .await
        .unwrap();
    let outbox = setup.config.data_dir.join("outbox");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outbox.join(format!("{key}.json"))).unwrap())
            .unwrap();
    assert_eq!(json["lines"][0]["product_id"], odd);
    assert_eq!(json["supplier"]["name"], "Quote'n\"Co; --");
    let mut csv = csv::Reader::from_path(outbox.join(format!("{key}.csv"))).unwrap();
    let row = csv.records().next().unwrap().unwrap();
    assert_eq!(&row[3], odd, "the CSV quotes it");
    sources.close().await;
    let after = counts(&setup).await;
    assert_eq!(
        after.iter().sum::<u64>(),
        before.iter().sum::<u64>() + 4,
        "{test}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_in_ids_and_notes_is_only_data_sqlite() {
    sql_in_ids_and_notes_is_only_data("hostile_sqlite", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_in_ids_and_notes_is_only_data_postgres() {
    sql_in_ids_and_notes_is_only_data("hostile_postgres", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_in_ids_and_notes_is_only_data_mariadb() {
    sql_in_ids_and_notes_is_only_data("hostile_mariadb", Db::MySql).await;
}

// ---------------------------------------------------------------------------

/// Every byte of every file under `dir`.
fn files(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, bytes));
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The PostgreSQL server of the tests accepts any password (trust), so a
/// known one can travel everywhere a real one would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_password_appears_in_no_output_log_audit_or_file() {
    let test = "a_known_password_appears_in_no_output_log_audit_or_file";
    let Some(setup) = Setup::new(test, [Db::Postgres; 4]).await else {
        return;
    };
    const PASSWORD: &str = "Pa55-Sekret-9f3x";
    // The admin account, which trust lets in with any password (the test
    // roles have passwords of their own).
    let admin_url = |kind: SourceKind| setup.admin_config.file.source(kind).url.as_deref().unwrap();
    buyerdesk::demo::seed(&setup.admin_config, 20, 7, false, false)
        .await
        .unwrap();
    let dir = setup.data_dir.path();
    let mut config = String::from("[general]\nuser = \"gina\"\n");
    for kind in SourceKind::SOURCES {
        config.push_str(&format!(
            "[{kind}]\nurl = \"{}\"\npassword_env = \"BD_TEST_PASSWORD\"\nconnect_timeout_secs = 2\n",
            admin_url(kind)
        ));
    }
    config.push_str(&format!(
        "[purchasing]\nurl = \"sqlite://{}\"\n",
        dir.join("purchasing.sqlite").display()
    ));
    let good = dir.join("good.toml");
    std::fs::write(&good, &config).unwrap();
    // The same with the inventory on a port where nothing listens: every
    // error path that names the source runs.
    let broken = dir.join("broken.toml");
    let down = url::Url::parse(admin_url(SourceKind::Inventory))
        .map(|mut u| {
            u.set_port(Some(1)).unwrap();
            u.to_string()
        })
        .unwrap();
    std::fs::write(
        &broken,
        config.replace(admin_url(SourceKind::Inventory), &down),
    )
    .unwrap();

    let run = |cfg: &Path, args: &[&str], env_url: Option<&str>| {
        let mut c = Command::new(bin());
        c.arg("--config")
            .arg(cfg)
            .args(args)
            .env("BUYERDESK_DATA_DIR", dir)
            .env("BD_TEST_PASSWORD", PASSWORD)
            .env("BUYERDESK_LOG", "debug")
            .stdin(Stdio::null());
        if let Some(u) = env_url {
            c.env("BUYERDESK_OMS_URL", u);
        }
        let out = c.output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    // A password inside a URL from the environment (allowed there).
    let in_url = format!("postgres://postgres:{PASSWORD}@127.0.0.1:1/nowhere");
    let said = [
        run(&good, &["doctor"], None),
        run(&good, &["plan", "--product", "PROD-001"], None),
        run(&good, &["po", "draft", "--product", "PROD-001"], None),
        run(&good, &["po", "send", "PO-000001", "--yes"], None),
        run(&good, &["audit"], None),
        run(&broken, &["doctor"], None),
        run(&broken, &["plan"], None),
        run(&broken, &["po", "draft", "--all-needed"], None),
        run(&good, &["doctor"], Some(&in_url)),
        run(&good, &["plan"], Some(&in_url)),
    ];
    assert!(
        said[1].contains("PROD-001"),
        "the good config works: {}",
        said[1]
    );
    assert!(said[3].contains("PO-000001 sent"), "{}", said[3]);
    assert!(
        said[5].contains("inventory"),
        "the broken source is named: {}",
        said[5]
    );
    for (i, text) in said.iter().enumerate() {
        assert!(
            !text.contains(PASSWORD),
            "output {i} shows the password:\n{text}"
        );
    }
    let mut written = Vec::new();
    files(dir, &mut written);
    assert!(
        written.iter().any(|(p, _)| p.ends_with("buyerdesk.log")),
        "the log was written"
    );
    for (path, bytes) in &written {
        assert!(
            !contains(bytes, PASSWORD),
            "{} holds the password",
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------

#[cfg(unix)]
fn assert_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let mode = e.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", p.display());
        if p.is_dir() {
            assert_private(&p);
        }
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_written_is_its_owners_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        let out = Command::new(bin())
            .args(args)
            .env("BUYERDESK_DATA_DIR", &data)
            .env("USER", "hana")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // The demo, the purchasing database, the log, the outbox.
    run(&["plan", "--product", "PROD-001"]);
    run(&["po", "draft", "--product", "PROD-001"]);
    run(&["po", "send", "PO-000001", "--yes"]);
    // A rules draft and an applied change (its versions in the store).
    let config = buyerdesk::config::Config {
        data_dir: data.clone(),
        ..buyerdesk::config::Config::embedded()
    };
    let raised =
        buyerdesk::plan::DEFAULT_RULES.replace("Product.amount > 10000", "Product.amount > 20000");
    buyerdesk::store::authoring::save_draft(&config, &raised).unwrap();
    let store = Store::open(&config).await.unwrap();
    buyerdesk::store::authoring::apply(&config, &store, &raised, "hana")
        .await
        .unwrap();
    buyerdesk::store::authoring::apply(&config, &store, buyerdesk::plan::DEFAULT_RULES, "hana")
        .await
        .unwrap();
    let key = store.po_required("PO-000001").await.unwrap().send_key;
    for expected in [
        &format!("outbox/{key}.json"),
        &format!("outbox/{key}.csv"),
        "purchasing-databases.json",
        "buyerdesk.log",
        "purchasing.sqlite",
        "rules-draft.grl",
        "purchasing.grl",
        "demo/oms.sqlite",
    ] {
        assert!(data.join(expected).exists(), "{expected} written");
    }
    // The rules history is in the purchasing store now (no folder).
    assert!(!data.join("rules-history").exists());
    assert_private(&data);
}

//! `OmsSource::load_series` and `history_last_day` on SQLite, PostgreSQL and
//! MariaDB: DATE and text days, DECIMAL / INTEGER / REAL / text quantities,
//! NULLs, letters, negative quantities, duplicate days, ids with spaces, id
//! filters (chunked), a product without history, a day after the last day;
//! and the demo's history read back exactly as the generator made it.

mod common;

use buyerdesk::config::{Config, SourceKind};
use buyerdesk::demo;
use buyerdesk::sources::oms::{OmsSource, MAX_IDS_PER_QUERY};
use buyerdesk::sources::{Access, Backend, Source};
use common::{Db, Setup};

async fn admin(setup: &Setup) -> Source {
    Source::connect(
        &setup.admin_config.resolve(SourceKind::Oms).unwrap(),
        Access::ReadWrite,
    )
    .await
    .unwrap()
}

async fn oms(config: &Config) -> OmsSource {
    let source = Source::connect(&config.resolve(SourceKind::Oms).unwrap(), Access::ReadOnly)
        .await
        .unwrap();
    OmsSource::open(source, config).await.unwrap()
}

fn qty_type(backend: Backend, kind: &str) -> &'static str {
    match (kind, backend) {
        ("decimal", _) => "DECIMAL(12,4)",
        ("integer", _) => "INTEGER",
        ("real", Backend::Postgres) => "DOUBLE PRECISION",
        ("real", Backend::MySql) => "DOUBLE",
        ("real", Backend::Sqlite) => "REAL",
        _ => "VARCHAR(20)",
    }
}

/// One run per quantity type: the table dropped and made again.
async fn rows_of_every_kind(test: &str, db: Db) {
    let Some(setup) = Setup::new(test, [db; 4]).await else {
        return;
    };
    let a = admin(&setup).await;
    let b = a.backend;
    a.execute("CREATE TABLE oms_history (product_id VARCHAR(20), avg_daily_demand DECIMAL(10,2), trend VARCHAR(12))")
        .await
        .unwrap();
    a.execute("INSERT INTO oms_history VALUES ('A-1', 3, 'stable'), ('E-5', 1, 'stable')")
        .await
        .unwrap();
    for kind in ["decimal", "integer", "real", "text"] {
        let what = format!("{test} {kind}");
        if kind != "decimal" {
            a.execute("DROP TABLE oms_daily_demand").await.unwrap();
        }
        a.execute(&format!(
            "CREATE TABLE oms_daily_demand (product_id VARCHAR(20), day DATE, qty {})",
            qty_type(b, kind)
        ))
        .await
        .unwrap();
        let mut rows = vec![
            "(' A-1 ', '2026-11-01', 2)",
            "('A-1', '2026-11-01', 1)",
            "('A-1', '2026-11-03', 3)",
            "('B-2', '2026-10-30', NULL)",
            "('B-2', '2026-10-31', -1)",
            "('B-2', '2026-11-02', 7)",
            "('C-3', '2026-11-10', 5)",
            "('C-3', '2026-11-04', 1)",
        ];
        let fractional = matches!(kind, "decimal" | "real" | "text");
        if fractional {
            rows.push("('D-4', '2026-11-04', 0.25)");
        }
        let letters = kind == "text" || b == Backend::Sqlite;
        if letters {
            rows.push("('B-2', '2026-11-03', 'x7')");
        }
        // Text quantities are quoted (PostgreSQL types a VALUES list).
        let quote = |r: &str| {
            let (head, q) = r.trim_end_matches(')').rsplit_once(", ").unwrap();
            match q {
                "NULL" => r.to_string(),
                _ => format!("{head}, '{}')", q.trim_matches('\'')),
            }
        };
        let rows: Vec<String> = match kind {
            "text" => rows.iter().map(|r| quote(r)).collect(),
            _ => rows.iter().map(|r| r.to_string()).collect(),
        };
        a.execute(&format!(
            "INSERT INTO oms_daily_demand VALUES {}",
            rows.join(", ")
        ))
        .await
        .unwrap_or_else(|e| panic!("{what}: {e:#}"));
        let text_days = b == Backend::Sqlite;
        if text_days {
            // SQLite keeps days as text: a timestamp and a word too.
            a.execute("INSERT INTO oms_daily_demand VALUES ('A-1', '2026-11-04 00:00:00', 4), ('A-1', 'n/a', 1)")
                .await
                .unwrap();
        }

        let source = oms(&setup.config).await;
        assert_eq!(
            source.history_last_day(None).await.unwrap().as_deref(),
            Some("2026-11-10"),
            "{what}"
        );
        let last = source
            .history_last_day(Some("2026-11-05"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last, "2026-11-04", "{what}: the latest day up to the cap");

        let h = source.load_series(None, &last).await.unwrap().unwrap();
        assert_eq!(h.last_day, last);
        let ids: Vec<&str> = h.series.iter().map(|(id, _)| &**id).collect();
        let mut want_ids = vec!["A-1", "B-2", "C-3"];
        if fractional {
            want_ids.push("D-4");
        }
        assert_eq!(ids, want_ids, "{what}: E-5 has no history");
        let a1 = h.get("A-1").unwrap();
        assert_eq!(a1.first_day, "2026-11-01", "{what}");
        let a1_last = if text_days { 4.0 } else { 0.0 };
        assert_eq!(a1.qty, [3.0, 0.0, 3.0, a1_last], "{what}: A-1");
        let b2 = h.get("B-2").unwrap();
        assert_eq!(
            (b2.first_day.as_str(), &b2.qty[..]),
            ("2026-11-02", &[7.0, 0.0, 0.0][..]),
            "{what}"
        );
        let c3 = h.get("C-3").unwrap();
        assert_eq!(
            (c3.first_day.as_str(), &c3.qty[..]),
            ("2026-11-04", &[1.0][..]),
            "{what}"
        );
        if fractional {
            assert_eq!(h.get("D-4").unwrap().qty, [0.25], "{what}");
        }
        // NULL, negative, after the last day; a letter; a word for a day.
        let skipped = 3 + usize::from(letters) + usize::from(text_days);
        assert_eq!(h.skipped, skipped, "{what}: {:?}", h.first_skipped);
        assert!(h.first_skipped.is_some(), "{what}");

        // A filter: bound, trimmed; a product without history is absent.
        let filter = ["A-1".to_string(), " C-3 ".to_string(), "E-5".to_string()];
        let f = source
            .load_series(Some(&filter), &last)
            .await
            .unwrap()
            .unwrap();
        let ids: Vec<&str> = f.series.iter().map(|(id, _)| &**id).collect();
        assert_eq!(ids, ["A-1", "C-3"], "{what}");
        assert_eq!(f.get("A-1"), h.get("A-1"), "{what}");
        assert_eq!(
            f.skipped,
            1 + usize::from(text_days),
            "{what}: C-3's day after, A-1's word"
        );
        let none = source.load_series(Some(&[]), &last).await.unwrap().unwrap();
        assert!(none.series.is_empty() && none.skipped == 0);

        // The statistics' last sale (`silent_days`): NULL, -1 and a letter
        // are no sale; a day after the cap is still the product's last.
        // (PostgreSQL cannot sum a text column: no statistics there.)
        if !(kind == "text" && b == Backend::Postgres) {
            let stats = source.load_history(None).await.unwrap().unwrap();
            let sale = |id: &str| {
                let s = stats.iter().find(|s| &*s.product_id == id);
                s.unwrap_or_else(|| panic!("{what}: {id}: {stats:?}"))
                    .last_sale_day
                    .as_deref()
                    .map(str::to_string)
            };
            assert_eq!(sale("B-2").as_deref(), Some("2026-11-02"), "{what}");
            assert_eq!(sale("C-3").as_deref(), Some("2026-11-10"), "{what}");
            if fractional {
                assert_eq!(sale("D-4").as_deref(), Some("2026-11-04"), "{what}");
            }
        }
        source.source.close().await;
    }
    a.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rows_of_every_kind() {
    rows_of_every_kind("sqlite_series_rows", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rows_of_every_kind() {
    rows_of_every_kind("postgres_series_rows", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_rows_of_every_kind() {
    rows_of_every_kind("mariadb_series_rows", Db::MySql).await;
}

/// A filter longer than one query's binds is read in several queries.
async fn large_filters(test: &str, db: Db) {
    let Some(setup) = Setup::new(test, [db; 4]).await else {
        return;
    };
    let a = admin(&setup).await;
    a.execute("CREATE TABLE oms_history (product_id VARCHAR(20), avg_daily_demand DECIMAL(10,2), trend VARCHAR(12))")
        .await
        .unwrap();
    a.execute("CREATE TABLE oms_daily_demand (product_id VARCHAR(20), day DATE, qty INTEGER)")
        .await
        .unwrap();
    a.execute("INSERT INTO oms_daily_demand VALUES ('P-00001', '2026-11-01', 1), ('P-29999', '2026-11-02', 2), ('P-15000', '2026-11-02', 3), ('Q-1', '2026-11-02', 9)")
        .await
        .unwrap();
    let source = oms(&setup.config).await;
    let ids: Vec<String> = (1..30_000).rev().map(|i| format!("P-{i:05}")).collect();
    assert!(ids.len() > 2 * MAX_IDS_PER_QUERY);
    let h = source
        .load_series(Some(&ids), "2026-11-02")
        .await
        .unwrap()
        .unwrap();
    let got: Vec<(&str, &[f64])> = h.series.iter().map(|(id, s)| (&**id, &s.qty[..])).collect();
    assert_eq!(
        got,
        [
            ("P-00001", &[1.0, 0.0][..]),
            ("P-15000", &[3.0][..]),
            ("P-29999", &[2.0][..])
        ],
        "{test}"
    );
    source.source.close().await;
    a.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_large_filters() {
    large_filters("sqlite_series_filters", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_large_filters() {
    large_filters("postgres_series_filters", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_large_filters() {
    large_filters("mariadb_series_filters", Db::MySql).await;
}

/// The demo's history, written by `demo` and read back, is the generator's.
async fn demo_history_reads_back(test: &str, db: Db) {
    let Some(setup) = Setup::new(test, [db; 4]).await else {
        return;
    };
    let (products, seed) = (150, 11);
    let summary = demo::seed(&setup.admin_config, products, seed, false, false)
        .await
        .expect("demo seeds");
    let source = oms(&setup.config).await;
    let last = source.history_last_day(None).await.unwrap().unwrap();
    assert_eq!(last, demo::demo_today().format("%Y-%m-%d").to_string());
    let h = source.load_series(None, &last).await.unwrap().unwrap();
    assert_eq!(h.skipped, 0, "{test}: {:?}", h.first_skipped);
    let jobs = demo::generate(products, seed, Backend::Sqlite).history;
    let mut with_history = 0;
    let mut rows = 0;
    for job in &jobs {
        let want = demo::history_for(seed, &job.product_id, job.avg_daily_demand, job.trend);
        rows += want.qty.iter().filter(|q| **q > 0.0).count();
        if want.qty.is_empty() {
            assert_eq!(h.get(&job.product_id), None, "{test}: {}", job.product_id);
        } else {
            with_history += 1;
            assert_eq!(
                h.get(&job.product_id),
                Some(&want),
                "{test}: {}",
                job.product_id
            );
        }
    }
    assert_eq!(h.series.len(), with_history, "{test}: no other series");
    assert_eq!(
        summary.history_rows, rows,
        "{test}: days without sales left out"
    );
    assert!(h.get("PROD-001").is_none() && h.get("PROD-003").is_none());
    // `silent_days` from the statistics: the days without a sale at the
    // end of each generated series (its trailing zeros up to today), and
    // some products did stop selling.
    let stats = source.load_history(None).await.unwrap().unwrap();
    let mut silent_products = 0;
    for (id, series) in &h.series {
        let s = stats.iter().find(|s| s.product_id == *id).unwrap();
        let trailing = series.qty.iter().rev().take_while(|q| **q <= 0.0).count();
        let got = buyerdesk::plan::demand::silent_days(s, Some(&last));
        assert_eq!(got, Some(trailing as u32), "{test}: {id}");
        silent_products += usize::from(trailing >= 28);
    }
    assert!(silent_products > 0, "{test}: a product silent for 4 weeks");
    source.source.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_demo_history_reads_back() {
    demo_history_reads_back("sqlite_demo_series", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_demo_history_reads_back() {
    demo_history_reads_back("postgres_demo_series", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_demo_history_reads_back() {
    demo_history_reads_back("mariadb_demo_series", Db::MySql).await;
}

//! Forecasts kept in the purchasing database and computed off the hot path
//! (DOMAIN.md section 5): the store's round trip on SQLite, PostgreSQL and
//! MariaDB; the live task recomputing exactly the products whose history
//! or horizon changed (their fingerprint), never holding up a refresh;
//! `buyerdesk forecast` printing what `forecast::forecast` gives on the
//! same series.

mod common;

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use buyerdesk::config::{Config, FileConfig, SourceKind};
use buyerdesk::forecast::{self, Abc, Candidate, DemandClass, Forecast, Method, StoredForecast};
use buyerdesk::live::forecasting::ForecastProgress;
use buyerdesk::live::{LiveCommand, LiveEvent};
use buyerdesk::sources::Sources;
use buyerdesk::store::forecasts::AbcClass;
use buyerdesk::store::Store;
use common::live::{next_plans, spawn_live, writer};
use common::{bin, Db, Role, ScratchDb, Setup};
use tokio::sync::mpsc::UnboundedReceiver;

fn store_config(db: &ScratchDb, data: &std::path::Path) -> Config {
    let mut file = FileConfig::default();
    db.configure(&mut file.purchasing);
    file.general.user = Some("forecaster".into());
    Config {
        file,
        origin: "forecasts test".into(),
        data_dir: data.to_path_buf(),
    }
}

/// A forecast with awkward figures: thirds, a tenth plus a fifth, a None
/// MAE, a note with a quote and a newline.
fn sample(i: usize) -> StoredForecast {
    let third = 1.0 / 3.0 + i as f64;
    StoredForecast {
        forecast: Forecast {
            history_days: 700 + i as u32,
            class: [DemandClass::Smooth, DemandClass::Lumpy, DemandClass::Short][i % 3],
            adi: Some(1.0 + third / 7.0),
            cv2: i.is_multiple_of(2).then_some(0.1 + 0.2),
            method: [Method::Ets, Method::CrostonSba, Method::OmsAverage][i % 3],
            method_label: format!("ETS(A,Ad,N) #{i}"),
            forecast_daily: third,
            horizon_days: 7 + (i % 5) as u32,
            sigma_horizon: third * std::f64::consts::E,
            mae: (!i.is_multiple_of(4)).then_some(third / 10.0),
            mase: Some(0.987654321012345),
            candidates: vec![
                Candidate {
                    method: Method::Mean28,
                    label: "28-day mean".into(),
                    mae: Some(third),
                    mase: Some(1.0),
                    note: None,
                },
                Candidate {
                    method: Method::Tsb,
                    label: "TSB".into(),
                    mae: None,
                    mase: None,
                    note: Some("could not be fitted: \"all zero\"\nsecond line".into()),
                },
            ],
            origins: 12,
            weekly_cv: Some(0.45 + third / 1000.0),
            yearly_qty: 12345.678 + i as f64,
            path: (0..5).map(|d| third + d as f64 * 0.1).collect(),
            note: (i % 3 == 2).then(|| "82 days: the OMS average is used".to_string()),
        },
        fingerprint: format!("{:024x}", i * 7919),
        abc: None,
        abc_value: None,
        currency: None,
        computed_at: "2026-12-05 18:00:00".into(),
    }
}

async fn round_trip(test: &str, db: Db) {
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(&store_config(&scratch, data.path()))
        .await
        .expect("store opens and migrates");
    assert!(store.forecasts().await.unwrap().is_empty(), "{test}");

    // More products than one statement writes (WRITE_CHUNK), one batch.
    let n = buyerdesk::store::forecasts::WRITE_CHUNK * 2 + 17;
    let batch: Vec<(String, StoredForecast)> =
        (0..n).map(|i| (format!("P-{i:04}"), sample(i))).collect();
    store.save_forecasts(&batch).await.unwrap();
    let all = store.forecasts().await.unwrap();
    assert_eq!(all.len(), n, "{test}: every forecast stored once");
    for (id, f) in &batch {
        assert_eq!(
            all.get(id).map(|a| &**a),
            Some(f),
            "{test}: {id} read back field by field"
        );
    }

    // Storing again replaces (one row per product); some read by id.
    let mut changed = sample(5);
    changed.forecast.forecast_daily = 99.5;
    changed.fingerprint = "changed".into();
    store
        .save_forecasts(&[("P-0005".into(), changed.clone())])
        .await
        .unwrap();
    let some = store
        .forecasts_of(&["P-0005".into(), "P-0006".into(), "NOT-THERE".into()])
        .await
        .unwrap();
    assert_eq!(some.len(), 2, "{test}: {some:?}");
    assert_eq!(*some["P-0005"], changed, "{test}: replaced");
    assert_eq!(*some["P-0006"], batch[6].1, "{test}: untouched");
    assert_eq!(store.forecasts().await.unwrap().len(), n, "{test}");

    // ABC classes, their value and currency.
    store
        .set_abc_classes(&[
            AbcClass {
                product_id: "P-0001".into(),
                abc: Some(Abc::A),
                value: Some(1234.5678),
                currency: Some("EUR".into()),
            },
            AbcClass {
                product_id: "NOT-THERE".into(),
                abc: Some(Abc::C),
                value: Some(1.0),
                currency: Some("USD".into()),
            },
        ])
        .await
        .unwrap();
    let one = store.forecasts_of(&["P-0001".into()]).await.unwrap();
    let p1 = &one["P-0001"];
    assert_eq!(
        (p1.abc, p1.abc_value, p1.currency.as_deref()),
        (Some(Abc::A), Some(1234.5678), Some("EUR")),
        "{test}"
    );
    assert_eq!(p1.forecast, batch[1].1.forecast, "{test}: the rest kept");
    assert_eq!(
        store.forecasts().await.unwrap().len(),
        n,
        "{test}: a class for an unknown product adds no row"
    );

    // A figure that is not a number refuses the batch, naming the product.
    let mut bad = sample(1);
    bad.forecast.forecast_daily = f64::NAN;
    let err = store
        .save_forecasts(&[("P-0001".into(), sample(2)), ("BAD-1".into(), bad)])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("BAD-1"), "{test}: {err:#}");
    assert_eq!(
        store.forecasts_of(&["P-0001".into()]).await.unwrap()["P-0001"].forecast,
        batch[1].1.forecast,
        "{test}: nothing of the refused batch stored"
    );
}

#[tokio::test]
async fn store_round_trip_sqlite() {
    round_trip("store_round_trip_sqlite", Db::Sqlite).await;
}

#[tokio::test]
async fn store_round_trip_postgres() {
    round_trip("store_round_trip_postgres", Db::Postgres).await;
}

#[tokio::test]
async fn store_round_trip_mysql() {
    round_trip("store_round_trip_mysql", Db::MySql).await;
}

/// Waits for the end of a forecasting run (a `done` progress), passing
/// plans and other events over; fails on a run that stopped on an error.
async fn run_done(rx: &mut UnboundedReceiver<LiveEvent>, what: &str) -> ForecastProgress {
    loop {
        let event = tokio::time::timeout(common::live::WAIT, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("{what}: no forecasting run ended"))
            .expect("the live task runs");
        if let LiveEvent::Forecasts(p) = event {
            assert!(p.error.is_none(), "{what}: {p:?}");
            if p.done {
                return p;
            }
        }
    }
}

/// No forecasting run starts within `wait` (plans are passed over).
async fn no_run(rx: &mut UnboundedReceiver<LiveEvent>, wait: Duration, what: &str) {
    let end = tokio::time::Instant::now() + wait;
    while let Ok(event) = tokio::time::timeout_at(end, rx.recv()).await {
        if let Some(LiveEvent::Forecasts(p)) = event {
            panic!("{what}: a forecasting run: {p:?}");
        }
    }
}

/// The products with daily history, as the test counts them in SQL.
async fn products_with_history(setup: &Setup) -> usize {
    let oms = writer(setup, SourceKind::Oms).await;
    let rows = oms
        .fetch_text(
            "SELECT CAST(COUNT(DISTINCT product_id) AS TEXT) FROM oms_daily_demand",
            &[],
        )
        .await
        .unwrap();
    rows[0][0].as_deref().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprints_decide_what_is_recomputed() {
    let test = "fingerprints_decide_what_is_recomputed";
    let Some(setup) = Setup::new(test, [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 30, 7, false, false)
        .await
        .unwrap();
    let with_history = products_with_history(&setup).await;
    assert!(with_history > 3, "the demo has daily history");
    let store = Store::open(&setup.config).await.unwrap();
    let (tx, mut rx) = spawn_live(&setup, store.clone());

    // First: every product with history is forecast, and stored.
    let first = run_done(&mut rx, "first run").await;
    assert_eq!(first.computed, with_history, "{first:?}");
    assert_eq!(first.total, with_history);
    let before = store.forecasts().await.unwrap();
    assert_eq!(before.len(), with_history);
    assert!(
        before
            .values()
            .all(|f| f.abc.is_some() && f.currency.is_some()),
        "ABC classes ranked after the run"
    );

    // Nothing changed: a refresh recomputes nothing.
    tx.send(LiveCommand::Refresh).unwrap();
    next_plans(&mut rx).await;
    no_run(&mut rx, Duration::from_secs(2), "unchanged history").await;

    // Two products with history (the reference products have none): `a`
    // sells the most days; `b` has one active supplier with no review
    // period, so its horizon is its lead time.
    let oms = writer(&setup, SourceKind::Oms).await;
    let sold: Vec<String> = oms
        .fetch_text(
            "SELECT product_id FROM oms_daily_demand GROUP BY product_id ORDER BY COUNT(*) DESC, product_id",
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    let a = sold[0].clone();
    let supplier = writer(&setup, SourceKind::Supplier).await;
    let single: Vec<String> = supplier
        .fetch_text(
            "SELECT product_id FROM suppliers GROUP BY product_id HAVING COUNT(*) = 1 \
             AND MAX(review_period_days) = 0 AND MAX(lead_time) <> 17 AND MIN(CAST(is_active AS INTEGER)) = 1 \
             AND MIN(unit_price) IS NOT NULL ORDER BY product_id",
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    let b = single
        .iter()
        .find(|id| **id != a && sold.contains(id))
        .expect("a product with history and one supplier")
        .clone();

    // One history row of `a` changes (not its last day): only it.
    let days = oms
        .fetch_text(
            &format!("SELECT day FROM oms_daily_demand WHERE product_id = '{a}' ORDER BY day"),
            &[],
        )
        .await
        .unwrap();
    // Within the last year (the yearly quantity sees it), not the last day.
    let day = days[days.len() - 2][0].clone().unwrap();
    oms.execute(&format!(
        "UPDATE oms_daily_demand SET qty = qty + 40 WHERE product_id = '{a}' AND day = '{day}'"
    ))
    .await
    .unwrap();
    tx.send(LiveCommand::Refresh).unwrap();
    let one = run_done(&mut rx, "one history row changed").await;
    assert_eq!((one.computed, one.total), (1, 1), "{one:?}");
    let after = store.forecasts().await.unwrap();
    for (id, f) in &before {
        let now = &after[id];
        if *id == a {
            assert_ne!(now.fingerprint, f.fingerprint, "{id}: recomputed");
            assert!(
                now.forecast.yearly_qty == f.forecast.yearly_qty + 40.0,
                "{id}: from the changed history: {} then {}",
                f.forecast.yearly_qty,
                now.forecast.yearly_qty
            );
        } else {
            assert_eq!(now.fingerprint, f.fingerprint, "{id}: not recomputed");
        }
    }

    // `b`'s lead time changes (to 17 days): its horizon, only it.
    supplier
        .execute(&format!(
            "UPDATE suppliers SET lead_time = 17 WHERE product_id = '{b}'"
        ))
        .await
        .unwrap();
    tx.send(LiveCommand::Refresh).unwrap();
    let lead = run_done(&mut rx, "a lead time changed").await;
    assert_eq!((lead.computed, lead.total), (1, 1), "{lead:?}");
    let p2 = &store.forecasts_of(std::slice::from_ref(&b)).await.unwrap()[&b];
    assert_eq!(p2.forecast.horizon_days, 17, "{b}: L 17 + R 0");
    assert_eq!(p2.forecast.path.len(), 17);
    assert_ne!(p2.fingerprint, after[&b].fingerprint);
    drop(tx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_does_not_wait_for_the_forecasts() {
    let test = "a_refresh_does_not_wait_for_the_forecasts";
    let Some(setup) = Setup::new(test, [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 30, 7, false, false)
        .await
        .unwrap();
    let store = Store::open(&setup.config).await.unwrap();
    // Another writer holds the purchasing database: the forecaster cannot
    // store its batch until it lets go (readers go on: rollback journal).
    use sqlx::{Connection, Executor};
    let url = setup.config.file.purchasing.url.clone().unwrap();
    let mut held = sqlx::SqliteConnection::connect(&url).await.unwrap();
    held.execute("BEGIN IMMEDIATE").await.unwrap();
    let (tx, mut rx) = spawn_live(&setup, store.clone());
    let mut running = false;
    let mut plans = 0;
    while plans < 2 {
        let event = tokio::time::timeout(common::live::WAIT, rx.recv())
            .await
            .expect("an event")
            .unwrap();
        match event {
            LiveEvent::Plans(_) => {
                plans += 1;
                if plans == 1 {
                    tx.send(LiveCommand::Refresh).unwrap();
                }
            }
            LiveEvent::Forecasts(p) => {
                assert!(
                    !p.done,
                    "the forecasts were stored under a held lock: {p:?}"
                );
                running = true;
            }
            _ => {}
        }
    }
    assert!(
        running,
        "the forecaster had started before the refresh ended"
    );
    assert!(
        store.forecasts().await.unwrap().is_empty(),
        "nothing stored yet"
    );
    held.execute("ROLLBACK").await.unwrap();
    held.close().await.unwrap();
    // Stored once the lock is gone (a run that timed out on it is handed
    // over again by the next refresh).
    let deadline = tokio::time::Instant::now() + common::live::WAIT;
    loop {
        tx.send(LiveCommand::Refresh).unwrap();
        let end = tokio::time::Instant::now() + Duration::from_secs(3);
        let mut done = false;
        while let Ok(Some(event)) = tokio::time::timeout_at(end, rx.recv()).await {
            if let LiveEvent::Forecasts(p) = event {
                if p.done && p.error.is_none() {
                    done = true;
                    break;
                }
            }
        }
        if done || !store.forecasts().await.unwrap().is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never stored");
    }
    assert_eq!(
        store.forecasts().await.unwrap().len(),
        products_with_history(&setup).await
    );
}

/// The config file of `setup` for the binary.
fn config_file(setup: &Setup) -> std::path::PathBuf {
    let c = &setup.config;
    let mut t = "[general]\nuser = \"forecaster\"\n".to_string();
    for kind in SourceKind::ALL {
        let s = c.file.source(kind);
        t.push_str(&format!(
            "[{kind}]\nurl = \"{}\"\n",
            s.url.as_deref().unwrap()
        ));
    }
    let path = setup.data_dir.path().join("config.toml");
    std::fs::write(&path, t).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forecast_command_prints_what_forecast_gives() {
    let test = "forecast_command_prints_what_forecast_gives";
    let Some(setup) = Setup::new(test, [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 12, 3, false, false)
        .await
        .unwrap();
    let out = Command::new(bin())
        .arg("--config")
        .arg(config_file(&setup))
        .args(["forecast", "--format", "json"])
        .env("BUYERDESK_DATA_DIR", setup.data_dir.path())
        .env_remove("BUYERDESK_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("forecasts:"),
        "no progress when stderr is not a terminal: {stderr}"
    );
    let printed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed.len(), 12, "every product");

    // The same series, read by the test, forecast by the library.
    let sources = Sources::connect(&setup.config).await.unwrap();
    let last_day = sources
        .oms
        .history_last_day(None)
        .await
        .unwrap()
        .expect("the demo has history");
    let oms = sources.oms.load(None).await.unwrap();
    let average: HashMap<String, Option<f64>> = oms
        .iter()
        .map(|r| (r.product_id.to_string(), r.avg_daily_demand.value()))
        .collect();
    let store = Store::open(&setup.config).await.unwrap();
    let stored = store.forecasts().await.unwrap();
    let mut checked = 0;
    for p in &printed {
        let id = p["product_id"].as_str().unwrap();
        let Some(series) = sources
            .oms
            .load_series(Some(&[id.to_string()]), &last_day)
            .await
            .unwrap()
            .and_then(|h| h.series.into_iter().next().map(|s| s.1))
        else {
            assert_eq!(p["missing"], "no daily history", "{id}: {p}");
            assert!(!stored.contains_key(id), "{id}");
            continue;
        };
        let horizon = p["horizon_days"].as_u64().unwrap() as u32;
        let expected = forecast::forecast(&series, horizon, average.get(id).copied().flatten());
        let expected = serde_json::to_value(&expected).unwrap();
        for (field, value) in expected.as_object().unwrap() {
            assert_eq!(&p[field], value, "{id}: {field}");
        }
        assert_eq!(
            stored[id].forecast,
            serde_json::from_value::<Forecast>(expected).unwrap(),
            "{id}: printed is stored"
        );
        assert_eq!(p["fingerprint"], stored[id].fingerprint.as_str(), "{id}");
        assert!(p["abc"].is_string(), "{id}: an ABC class");
        checked += 1;
    }
    assert!(checked >= 3, "products with history checked: {checked}");
    // The reference products' horizon is their supplier's lead time.
    for (id, l) in [("PROD-001", 7), ("PROD-002", 14), ("PROD-003", 21)] {
        if let Some(p) = printed
            .iter()
            .find(|p| p["product_id"] == id && p["missing"].is_null())
        {
            assert_eq!(p["horizon_days"], l, "{id}: H = L + R");
        }
    }

    // Named products only; an unknown one is an error naming it.
    let one = Command::new(bin())
        .arg("--config")
        .arg(config_file(&setup))
        .args([
            "forecast",
            "--product",
            "PROD-001",
            "--product",
            "NOPE-9",
            "--format",
            "csv",
        ])
        .env("BUYERDESK_DATA_DIR", setup.data_dir.path())
        .output()
        .unwrap();
    assert!(!one.status.success());
    let err = String::from_utf8_lossy(&one.stderr);
    assert!(err.contains("NOPE-9") && !err.contains("PROD-001"), "{err}");
    let csv = Command::new(bin())
        .arg("--config")
        .arg(config_file(&setup))
        .args(["forecast", "--product", "PROD-001", "--format", "csv"])
        .env("BUYERDESK_DATA_DIR", setup.data_dir.path())
        .output()
        .unwrap();
    assert!(csv.status.success());
    let text = String::from_utf8_lossy(&csv.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "a header and PROD-001: {text}");
    assert!(lines[1].starts_with("PROD-001,"), "{text}");
}

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
use buyerdesk::live::forecasting::{self, ForecastProgress, ForecastWork};
use buyerdesk::live::{LiveCommand, LiveEvent};
use buyerdesk::plan;
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

    // Every product's class at once: more than one statement sets
    // (ABC_CHUNK), products without a forecast among them, NULLs in the
    // first row (the types of a VALUES list come from it), awkward values.
    let chunk = buyerdesk::store::forecasts::ABC_CHUNK;
    let classes: Vec<AbcClass> = (0..chunk + 100)
        .map(|i| AbcClass {
            product_id: format!("P-{i:04}"),
            abc: (i % 4 != 0).then(|| [Abc::A, Abc::B, Abc::C][i % 3]),
            value: (i % 4 != 0).then(|| (i as f64) / 3.0 + 0.1),
            currency: (i % 4 != 0).then(|| ["USD", "EUR"][i % 2].to_string()),
        })
        .collect();
    assert!(classes.len() > chunk && n < classes.len());
    store.set_abc_classes(&classes).await.unwrap();
    let all = store.forecasts().await.unwrap();
    assert_eq!(
        all.len(),
        n,
        "{test}: classes of unknown products add no row"
    );
    for c in classes.iter().filter(|c| all.contains_key(&c.product_id)) {
        let got = &all[&c.product_id];
        assert_eq!(
            (got.abc, got.currency.as_deref()),
            (c.abc, c.currency.as_deref()),
            "{test}: {}",
            c.product_id
        );
        // SQLite prints a float read as text with 15 digits.
        match (got.abc_value, c.value) {
            (Some(a), Some(b)) => assert!(
                (a - b).abs() <= 1e-14 * b.abs().max(1.0),
                "{test}: {}: {a} for {b}",
                c.product_id
            ),
            (a, b) => assert_eq!(a, b, "{test}: {}", c.product_id),
        }
    }
    // The same as one UPDATE per product (the way it was written before).
    let mut again = classes.clone();
    for c in &mut again {
        c.abc = Some(Abc::C);
        c.value = c.value.map(|v| v * 2.0);
    }
    store.set_abc_classes_one_by_one(&again).await.unwrap();
    let one_by_one = store.forecasts().await.unwrap();
    store.set_abc_classes(&classes).await.unwrap();
    store.set_abc_classes(&again).await.unwrap();
    assert_eq!(
        store.forecasts().await.unwrap(),
        one_by_one,
        "{test}: batched and one by one leave the same rows"
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

/// Work for the forecaster as a refresh hands it over: every product with
/// daily history, with its terms from its plan by the shipped rules.
async fn work_now(sources: &Sources) -> std::sync::Arc<ForecastWork> {
    let inputs = plan::join(sources.load(None, true).await.unwrap());
    let plans = plan::plan_all(
        &inputs,
        &plan::PlanContext::default(),
        &plan::RuleSet::embedded(),
    );
    let terms: HashMap<std::sync::Arc<str>, forecasting::Terms> = inputs
        .iter()
        .zip(&plans)
        .map(|(i, p)| {
            (
                std::sync::Arc::clone(&i.product_id),
                forecasting::terms_of(p, i, "USD"),
            )
        })
        .collect();
    let last = forecasting::history_last_day(&inputs).expect("daily history");
    let jobs = forecasting::stale_products(&inputs, &terms, &HashMap::new(), &last, false);
    std::sync::Arc::new(ForecastWork {
        oms: sources.oms.clone(),
        table_last_day: last,
        jobs,
        terms: std::sync::Arc::new(terms),
    })
}

/// A refresh that changes the history while the forecaster is in the middle
/// of a run: the run's first batch is handed over (one of its products, `x`,
/// computed from the old history), then the newer work replaces the rest.
/// The next run recomputes `x` (replacing its stale forecast) and every
/// product not stored yet, `y` (changed in the second batch) from its new
/// history only; none of the first batch's others again. In the end every
/// product has one forecast, of its current history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The test holds the shared forecasts' lock across awaits on purpose: the
// forecaster waits on it to hand its first batch over.
#[allow(clippy::await_holding_lock)]
async fn newer_work_replaces_the_rest_of_a_run_between_batches() {
    use buyerdesk::live::forecasting::{spawn_forecaster, SharedForecasts, BATCH};
    let test = "newer_work_replaces_the_rest_of_a_run_between_batches";
    let Some(setup) = Setup::new(test, [Db::Sqlite; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, BATCH + 200, 7, false, false)
        .await
        .unwrap();
    let with_history = products_with_history(&setup).await;
    assert!(with_history > BATCH + 10, "two batches: {with_history}");
    let store = Store::open(&setup.config).await.unwrap();
    let sources = Sources::connect(&setup.config).await.unwrap();
    let first = work_now(&sources).await;
    assert_eq!(first.jobs.len(), with_history);

    let shared = std::sync::Arc::new(std::sync::Mutex::new(SharedForecasts {
        loaded: true,
        ..Default::default()
    }));
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (stored_tx, _stored_rx) = tokio::sync::mpsc::unbounded_channel();
    let work = spawn_forecaster(
        store.clone(),
        std::sync::Arc::clone(&shared),
        Default::default(),
        events_tx,
        stored_tx,
    );
    work.send(Some(std::sync::Arc::clone(&first))).unwrap();
    // The run starts (it read the shared forecasts to leave out what is
    // stored: nothing); its first batch of 500 forecasts takes a while.
    let start = loop {
        let event = tokio::time::timeout(common::live::WAIT, events.recv())
            .await
            .expect("a run starts")
            .unwrap();
        if let LiveEvent::Forecasts(p) = event {
            break p;
        }
    };
    assert_eq!(
        (start.computed, start.total, start.done),
        (0, with_history, false)
    );
    // Held: the forecaster stores its first batch, then waits here to hand
    // it over, before it looks for newer work.
    let held = shared.lock().unwrap();
    assert!(held.by_product.is_empty(), "taken before the first batch");
    let deadline = tokio::time::Instant::now() + common::live::WAIT;
    while store.forecasts().await.unwrap().len() < BATCH {
        assert!(tokio::time::Instant::now() < deadline, "no batch stored");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(store.forecasts().await.unwrap().len(), BATCH, "one batch");

    // The refresh: `x` (first batch) and `y` (second) sold 40 more on
    // their last day.
    let x = first.jobs[0].product_id.clone();
    let y = first.jobs[BATCH + 5].product_id.clone();
    let oms = writer(&setup, SourceKind::Oms).await;
    for id in [&x, &y] {
        oms.execute(&format!(
            "UPDATE oms_daily_demand SET qty = qty + 40 WHERE product_id = '{id}' \
             AND day = (SELECT MAX(day) FROM oms_daily_demand WHERE product_id = '{id}')"
        ))
        .await
        .unwrap();
    }
    let second = work_now(&sources).await;
    let fingerprint = |w: &ForecastWork, id: &str| {
        (w.jobs.iter().find(|j| j.product_id == id))
            .map(|j| j.fingerprint.clone())
            .unwrap()
    };
    for j in &first.jobs {
        let changed = j.product_id == x || j.product_id == y;
        assert_eq!(
            fingerprint(&second, &j.product_id) != j.fingerprint,
            changed,
            "{}: a new fingerprint exactly where the history changed",
            j.product_id
        );
    }
    work.send(Some(std::sync::Arc::clone(&second))).unwrap();
    drop(held);

    // Progress until the end of a run.
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(common::live::WAIT, events.recv())
            .await
            .expect("a forecasting run ends")
            .expect("the forecaster runs");
        if let LiveEvent::Forecasts(p) = event {
            assert!(p.error.is_none(), "{p:?}");
            let done = p.done;
            seen.push((p.computed, p.total, p.done));
            if done {
                break;
            }
        }
    }
    // The first run: started, its first batch handed over, the rest
    // dropped (no end). The second: the products not stored yet and `x`.
    let rest = with_history - BATCH + 1;
    let mut want = vec![(BATCH, with_history, false), (0, rest, false)];
    want.extend((BATCH..rest).step_by(BATCH).map(|n| (n, rest, false)));
    want.extend([(rest, rest, false), (rest, rest, true)]);
    assert_eq!(seen, want, "progress of both runs");

    let stored = store.forecasts().await.unwrap();
    assert_eq!(stored.len(), with_history, "every product stored, once");
    for j in &second.jobs {
        let s = &stored[&j.product_id];
        assert_eq!(s.fingerprint, j.fingerprint, "{}: current", j.product_id);
        assert!(s.abc.is_some(), "{}: ranked", j.product_id);
    }
    assert_ne!(
        stored[&x].fingerprint,
        fingerprint(&first, &x),
        "x replaced"
    );
    drop(work);
}

/// The ABC classes of 100,000 products written one UPDATE per product (as
/// before) and batched (`ABC_CHUNK` a statement), each timed, on SQLite and
/// PostgreSQL (and MariaDB when its URL is set). By hand, in release:
///
///     BUYERDESK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
///     cargo test --release --test forecasts -- --ignored abc_classes_of_100000 --nocapture
///
/// (BUYERDESK_ABC_PRODUCTS changes the count.) Numbers in docs/BENCHMARKS.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark, by hand"]
async fn abc_classes_of_100000_products_timed() {
    let n: usize = std::env::var("BUYERDESK_ABC_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    for db in [Db::Sqlite, Db::Postgres, Db::MySql] {
        let test = "abc_classes_of_100000_products_timed";
        let Some(admin) = db.admin_url(test) else {
            continue;
        };
        let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(&store_config(&scratch, data.path()))
            .await
            .unwrap();
        let mut one = sample(0);
        one.forecast.candidates.truncate(1);
        one.forecast.note = None;
        let batch: Vec<(String, StoredForecast)> = (0..n)
            .map(|i| (format!("SKU-{i:07}"), one.clone()))
            .collect();
        let start = std::time::Instant::now();
        for part in batch.chunks(5_000) {
            store.save_forecasts(part).await.unwrap();
        }
        let seeded = start.elapsed();
        let classes = |round: f64| -> Vec<AbcClass> {
            (0..n)
                .map(|i| AbcClass {
                    product_id: format!("SKU-{i:07}"),
                    abc: Some([Abc::A, Abc::B, Abc::C][(i + round as usize) % 3]),
                    value: Some(i as f64 * 1.5 + round),
                    currency: Some(["USD", "EUR"][i % 2].into()),
                })
                .collect()
        };
        let (first, second) = (classes(1.0), classes(2.0));
        let start = std::time::Instant::now();
        store.set_abc_classes_one_by_one(&first).await.unwrap();
        let before = start.elapsed();
        let start = std::time::Instant::now();
        store.set_abc_classes(&second).await.unwrap();
        let after = start.elapsed();
        let stored = store.forecasts().await.unwrap();
        assert_eq!(stored.len(), n);
        assert!(second.iter().all(|c| stored[&c.product_id].abc == c.abc));
        println!(
            "{db:?}: {n} products (stored in {:.1} s); ABC classes one UPDATE per product {:.2} s, batched ({} a statement) {:.2} s: {:.1}x",
            seeded.as_secs_f64(),
            before.as_secs_f64(),
            buyerdesk::store::forecasts::ABC_CHUNK,
            after.as_secs_f64(),
            before.as_secs_f64() / after.as_secs_f64()
        );
    }
}

/// While a refresh holds `give_way`, the forecaster's threads start no
/// product (on two cores its one thread would take half the CPU the
/// refresh plans on); they go on when the hold is dropped.
#[test]
fn no_forecast_starts_while_a_refresh_holds_the_way() {
    use buyerdesk::forecast::synthetic;
    use forecasting::{compute_batch, GiveWay, Job, Priority};
    let series: HashMap<String, forecast::DailySeries> = (0..4)
        .map(|i| {
            let qty = synthetic::weekly_season(730, 10.0 + i as f64, [1.0; 7], i);
            (format!("P{i}"), synthetic::series(qty))
        })
        .collect();
    let jobs: Vec<Job> = (0..4)
        .map(|i| Job {
            product_id: format!("P{i}"),
            horizon: 14,
            fingerprint: format!("f{i}"),
            oms_average: None,
        })
        .collect();
    let give_way = GiveWay::default();
    let hold = give_way.hold();
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = {
        let give_way = give_way.clone();
        std::thread::spawn(move || {
            let out = compute_batch(&jobs, &series, 2, Priority::Low, &give_way);
            tx.send(out.len()).unwrap();
        })
    };
    assert!(
        rx.recv_timeout(Duration::from_millis(500)).is_err(),
        "forecasts computed while a refresh held the way"
    );
    drop(hold);
    assert!(!give_way.is_held());
    assert_eq!(rx.recv_timeout(Duration::from_secs(60)).unwrap(), 4);
    thread.join().unwrap();
}

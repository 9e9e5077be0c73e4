//! `buyerdesk backtest` on the embedded demo, as a buyer runs it: the JSON
//! read back and every figure recomputed from the products', the table's
//! percentages recomputed, a broken rules file and a missing history table.

mod common;

use std::process::{Command, Output};

use common::bin;
use serde_json::Value;

fn run(data_dir: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("BUYERDESK_DATA_DIR", data_dir)
        .env("XDG_CONFIG_HOME", data_dir.join("config-home"))
        .env("HOME", data_dir)
        .current_dir(data_dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("BUYERDESK_") && k != "BUYERDESK_DATA_DIR" || k.ends_with("_DB_HOST") {
            cmd.env_remove(k);
        }
    }
    cmd.output().expect("buyerdesk runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn num(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} is not a number in {v}"))
}

/// `served / demand`, as the fill rate must be.
fn fill(demand: f64, served: f64) -> Option<f64> {
    (demand > 0.0).then(|| served / demand)
}

fn json_backtest(dir: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["backtest", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(dir, &args);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn json_figures_recompute_from_the_products() {
    let dir = tempfile::tempdir().unwrap();
    let b = json_backtest(dir.path(), &["--days", "10"]);
    assert_eq!(b["days"], 10);
    let products = b["products"].as_array().unwrap();
    assert!(products.len() > 100, "{} products replayed", products.len());
    for p in products {
        let id = p["product_id"].as_str().unwrap();
        let (demand, served) = (num(p, "demand"), num(p, "served"));
        assert!(served <= demand + 1e-9, "{id}: served {served} > {demand}");
        match (fill(demand, served), p["fill_rate"].as_f64()) {
            (Some(want), Some(got)) => assert!((want - got).abs() < 1e-6, "{id}: fill {got}"),
            (None, None) => {}
            (want, got) => panic!("{id}: fill_rate {got:?}, recomputed {want:?}"),
        }
        assert!(num(p, "days") <= 10.0, "{id}");
        if let Some(value) = p["avg_stock_value"].as_f64() {
            let want = num(p, "avg_stock") * num(p, "unit_price");
            // avg_stock is written to 6 decimals, the value to the cent.
            assert!(
                (value - want).abs() <= 0.005 + 1e-6 * num(p, "unit_price"),
                "{id}: value {value}, recomputed {want}"
            );
        }
        // Every order arrives the lead time after it was placed: never
        // before it.
        for o in p["orders"].as_array().unwrap() {
            assert!(o["arrives"].as_str() >= o["day"].as_str(), "{id}: {o}");
        }
    }
    // Each list of groups holds every product once, and each group's
    // figures are the sums of its products'.
    let summary = &b["summary"];
    let lists = [
        ("by_class", "demand_class"),
        ("by_abc", "abc"),
        ("total", ""),
    ];
    for (list, field) in lists {
        let groups: Vec<&Value> = match &summary[list] {
            Value::Array(a) => a.iter().collect(),
            g => vec![g],
        };
        let mut counted = 0;
        for g in groups {
            let key = g["key"].as_str().unwrap();
            let members: Vec<&Value> = (products.iter())
                .filter(|p| field.is_empty() || p[field].as_str().unwrap_or("none") == key)
                .collect();
            counted += members.len();
            assert_eq!(
                g["products"].as_u64().unwrap() as usize,
                members.len(),
                "{list} {key}"
            );
            let sum = |f: &str| members.iter().map(|p| num(p, f)).sum::<f64>();
            let (demand, served) = (sum("demand"), sum("served"));
            let tolerance = 1e-6 * members.len() as f64 + 1e-6;
            assert!(
                (num(g, "demand") - demand).abs() <= tolerance,
                "{list} {key}"
            );
            assert!(
                (num(g, "served") - served).abs() <= tolerance,
                "{list} {key}"
            );
            let want = fill(num(g, "demand"), num(g, "served")).unwrap();
            assert!((g["fill_rate"].as_f64().unwrap() - want).abs() < 1e-9);
            let orders: usize = (members.iter())
                .map(|p| p["orders"].as_array().unwrap().len())
                .sum();
            assert_eq!(
                g["orders"].as_u64().unwrap() as usize,
                orders,
                "{list} {key}"
            );
            for m in g["avg_stock_value"].as_array().unwrap() {
                let currency = m["currency"].as_str();
                let value: f64 = (members.iter())
                    .filter(|p| p["currency"].as_str() == currency)
                    .filter_map(|p| p["avg_stock_value"].as_f64())
                    .sum();
                let tolerance = 0.005 * members.len() as f64 + 0.01;
                assert!(
                    (num(m, "amount") - value).abs() <= tolerance,
                    "{list} {key} {currency:?}: {} against {value}",
                    num(m, "amount")
                );
            }
        }
        assert_eq!(counted, products.len(), "{list}");
    }

    // CSV: one row per product, the fill rate recomputes.
    let out = run(dir.path(), &["backtest", "--days", "10", "--format", "csv"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let mut rows = csv::Reader::from_reader(&out.stdout[..]);
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut n = 0;
    for r in rows.records() {
        let r = r.unwrap();
        let get = |name: &str| r[col(name)].parse::<f64>().ok();
        let want = fill(get("demand").unwrap(), get("served").unwrap());
        match (want, get("fill_rate")) {
            (Some(w), Some(g)) => assert!((w - g).abs() < 1e-6, "{}", &r[0]),
            (None, None) => {}
            other => panic!("{}: {other:?}", &r[0]),
        }
        n += 1;
    }
    assert_eq!(n, products.len());
}

#[test]
fn one_product_in_the_table_with_its_orders_and_a_percentage_that_recomputes() {
    let dir = tempfile::tempdir().unwrap();
    let all = json_backtest(dir.path(), &["--days", "10"]);
    let p = (all["products"].as_array().unwrap().iter())
        .find(|p| !p["orders"].as_array().unwrap().is_empty() && num(p, "demand") > 0.0)
        .expect("a product with orders");
    let id = p["product_id"].as_str().unwrap();
    let out = run(
        dir.path(),
        &["backtest", "--days", "10", "--product", id, "--width", "0"],
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let table = text(&out.stdout);
    let row = (table.lines())
        .find(|l| l.starts_with(id))
        .unwrap_or_else(|| panic!("no row for {id}:\n{table}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    // Product, class, ABC, days, start, demand, served, fill, ...
    assert_eq!(cells[3], p["days"].to_string(), "{row}");
    let demand: f64 = cells[5].parse().unwrap();
    let served: f64 = cells[6].parse().unwrap();
    let printed: f64 = cells[7].trim_end_matches('%').parse().unwrap();
    let want = (served / demand * 1000.0).round() / 10.0;
    assert!(
        (printed - want).abs() < 0.051,
        "{row}: {printed}% != {want}%"
    );
    assert!(
        table.contains(&format!("{id}: orders ")),
        "the orders of {id} are listed:\n{table}"
    );
}

#[test]
fn a_broken_rules_file_gets_the_validators_message_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.grl");
    std::fs::write(
        &file,
        "rule \"A\" salience 10 no-loop {\n    when\n        Product.moqq > 0\n    then\n        Product.order_qty = Product.moq;\n}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["backtest", "--rules", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let f = file.display();
    assert!(
        text(&out.stdout).starts_with(&format!("{f}:3:9: error: unknown field `Product.moqq`")),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn no_history_table_says_so_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    // The embedded demo, made by a first run, then its history table
    // dropped.
    let out = run(dir.path(), &["plan", "--product", "PROD-001"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let db = dir.path().join("demo/oms.sqlite");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", db.display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("DROP TABLE oms_daily_demand")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
    let out = run(dir.path(), &["backtest"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("No daily history: the OMS source has no oms_daily_demand table"),
        "{}",
        text(&out.stdout)
    );
}

// ---------------------------------------------------------------------------
// The editor's panel (F6): the rules in force against a draft.

use buyerdesk::plan::{self, fixtures, RuleSet};
use buyerdesk::rules::backtest::{self as bt, Comparison, Start};
use buyerdesk::tui::{keys::action_for, view, Action, App};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

fn press(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    if let Some(action) = action_for(app, KeyEvent::new(code, modifiers)) {
        app.update(action);
    }
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    terminal.backend().to_string()
}

/// Six products with 150 days of noisy demand (a fixed sequence), two of
/// them priced in USD.
fn replay_products() -> Vec<bt::Product> {
    let mut rows = plan::SourceRows::default();
    for i in 0..6 {
        let id = format!("BT-{i:03}");
        fixtures::add_product(
            &mut rows,
            &id,
            &id,
            5.0 + i as f64,
            "stable",
            (0.0, 0.0, "WH-1"),
            ("Supplier", 2.0 + i as f64, 1.0, 3.0 + i as f64),
            ("pieces", "pieces", 1.0),
        );
        if i >= 4 {
            rows.suppliers.last_mut().unwrap().currency = Some("USD".into());
        }
    }
    let inputs = plan::join(rows);
    let mut seed: u64 = 7;
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, inputs)| {
            let qty = (0..150)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let u = (seed >> 33) as f64 / (1u64 << 31) as f64;
                    // Every third product intermittent.
                    match i % 3 {
                        2 if u < 0.7 => 0.0,
                        _ => ((5.0 + i as f64) * (0.2 + 1.6 * u)).round(),
                    }
                })
                .collect();
            bt::Product {
                inputs,
                series: buyerdesk::forecast::DailySeries {
                    first_day: "2026-06-01".into(),
                    qty,
                },
            }
        })
        .collect()
}

#[test]
fn the_editor_compares_the_draft_with_the_rules_in_force() {
    let in_force = RuleSet::embedded();
    let mut app = App::new(plan::plan_all(
        &plan::join(fixtures::reference_rows()),
        &plan::PlanContext::default(),
        &in_force,
    ));
    app.rules_text = in_force.text.to_string();
    app.rules_origin = "rules/purchasing.grl".into();
    // Three more days of demand in the target.
    let draft = app.rules_text.replace(
        "Product.demand_rate * Product.review_period_days + Product.safety_stock_used;",
        "Product.demand_rate * Product.review_period_days + Product.safety_stock_used + Product.demand_rate * 3;",
    );
    assert_ne!(draft, app.rules_text);
    app.editor = Some(buyerdesk::tui::screens::editor::RuleEditor::open(
        &draft,
        "rules/purchasing.grl",
        &app.rules_text,
    ));
    press(&mut app, KeyCode::F(6), KeyModifiers::NONE);
    let (request, wanted) = app.backtest_wanted.take().expect("a backtest asked for");
    assert_eq!(wanted, draft);
    assert!(render(&mut app, 80, 24).contains("Backtest: replaying"));

    // What the loop computes (live::backtest_comparison), on fixed products.
    let products = replay_products();
    let prepared = bt::prepare(&products, 90, Start::Policy, 2);
    let draft_rules = buyerdesk::rules::load(&draft, "draft.grl").unwrap();
    let comparison = std::sync::Arc::new(Comparison::run(&prepared, &in_force, &draft_rules, 2));
    // An answer to an older request is dropped.
    app.update(Action::BacktestDone {
        request: request - 1,
        result: Ok(comparison.clone()),
    });
    assert!(render(&mut app, 80, 24).contains("Backtest: replaying"));
    app.update(Action::BacktestDone {
        request,
        result: Ok(comparison.clone()),
    });
    let screen = render(&mut app, 80, 24);
    let big = render(&mut app, 120, 40);
    // Every group's fill rates and their difference, recomputed from the
    // demand and served quantities.
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let all = words(&big);
    let rows = comparison.rows();
    assert!(rows.len() >= 3, "classes, ABC and total: {}", rows.len());
    for (a, d) in rows {
        let rate = |g: &bt::Group| g.served / g.demand;
        let want = format!(
            "fill {:.1}% -> {:.1}% ({:+.1} pts)",
            rate(a) * 100.0,
            rate(d) * 100.0,
            (rate(d) - rate(a)) * 100.0
        );
        assert!(all.contains(&want), "{} {want} missing:\n{big}", a.key);
    }
    // More cover: the draft serves at least as much and holds more stock.
    let (a, d) = (
        &comparison.in_force.summary.total,
        &comparison.draft.summary.total,
    );
    assert!(d.served >= a.served, "{} < {}", d.served, a.served);
    assert!(d.avg_stock > a.avg_stock);
    assert!(
        all.contains("USD"),
        "the USD products' stock on its own:\n{big}"
    );
    insta::assert_snapshot!("editor_backtest_80x24", screen);
    insta::assert_snapshot!("editor_backtest_120x40", big);

    // Esc closes the panel, not the editor.
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.editor.is_some());
    assert!(!render(&mut app, 80, 24).contains("Backtest"));
    // Typing makes an answer stale: a new request, the old answer dropped.
    press(&mut app, KeyCode::F(6), KeyModifiers::NONE);
    let (request, _) = app.backtest_wanted.take().unwrap();
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    app.update(Action::BacktestDone {
        request,
        result: Ok(comparison),
    });
    assert!(!render(&mut app, 80, 24).contains("in force -> draft"));
}

#[test]
fn f6_is_in_the_editors_help() {
    use buyerdesk::tui::keymap::{Keymap, Screen};
    let help = Keymap::built_in().help_lines(
        Screen::Editor,
        &buyerdesk::tui::theme::Theme::default(),
        120,
        40,
    );
    assert!(
        help.iter()
            .any(|l| l.contains("F6") && l.contains("backtest")),
        "{help:#?}"
    );
}

// ---------------------------------------------------------------------------
// The products and their series as each backend hands them over.

/// `live::backtest_products` on `db`: every product's series runs to the
/// table's last day, and one product asked for alone gets the same series
/// (the table's last day, not its own) and the same replay.
async fn products_on(test: &str, db: common::Db) {
    let Some(setup) = common::Setup::new(test, [db; 4]).await else {
        return;
    };
    buyerdesk::demo::seed(&setup.admin_config, 60, 7, false, false)
        .await
        .expect("demo seeds");
    let sources = buyerdesk::sources::Sources::connect(&setup.config)
        .await
        .expect("sources connect");
    let all = buyerdesk::live::backtest_products(&sources, &[])
        .await
        .unwrap()
        .expect("a history table");
    assert!(
        all.len() > 10,
        "{db:?}: {} products with history",
        all.len()
    );
    let last: Vec<String> = all.iter().map(|p| p.series.last_day()).collect();
    assert!(last.iter().all(|d| *d == last[0]), "{db:?}: {last:?}");
    let one = &all[all.len() / 2];
    let id = one.inputs.product_id.to_string();
    let alone = buyerdesk::live::backtest_products(&sources, std::slice::from_ref(&id))
        .await
        .unwrap()
        .unwrap();
    sources.close().await;
    assert_eq!(alone.len(), 1, "{db:?}");
    assert_eq!(alone[0].series, one.series, "{db:?} {id}");
    let rules = RuleSet::embedded();
    let full = bt::backtest(&all, &rules, 10, Start::Policy, 1);
    let single = bt::backtest(&alone, &rules, 10, Start::Policy, 1);
    let a = full.products.iter().find(|p| *p.product_id == *id);
    match (a, single.products.first()) {
        (Some(a), Some(b)) => {
            assert_eq!((a.demand, a.served), (b.demand, b.served), "{db:?} {id}");
            assert_eq!(a.orders, b.orders, "{db:?} {id}");
        }
        (None, None) => {}
        other => panic!("{db:?} {id}: replayed in one run only: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn products_and_series_on_sqlite() {
    products_on("backtest_sqlite", common::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn products_and_series_on_postgres() {
    products_on("backtest_postgres", common::Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn products_and_series_on_mariadb() {
    products_on("backtest_mariadb", common::Db::MySql).await;
}

//! The same integration suite on SQLite, PostgreSQL and MariaDB, plus a
//! mixed-backend run: demo data written by `demo`, read back by the sources,
//! planned with the shipped rules.

mod common;

use buyerdesk::config::SourceKind;
use buyerdesk::plan::{ExceptionCode, OptNum, ProductPlan};
use buyerdesk::sources::{with_pool_write, Access, Source, Sources};
use buyerdesk::{demo, live};
use common::{Db, Setup};

/// The shipped rules plus one that reads the history statistics, so that
/// buyerdesk loads the daily history aggregate.
fn rules_reading_history() -> buyerdesk::plan::RuleSet {
    let text = format!(
        "{}\nrule \"VolatileDemand\" salience 1 no-loop {{\n    when\n        Product.demand_sigma > 1000000\n    then\n        Product.requires_approval = true;\n}}\n",
        buyerdesk::plan::DEFAULT_RULES
    );
    buyerdesk::plan::RuleSet::parse(&text, "test rules").unwrap()
}

#[track_caller]
fn close(plan: &ProductPlan, field: &str, got: impl Into<OptNum>, want: f64) {
    let got = got
        .into()
        .get()
        .unwrap_or_else(|| panic!("{}: {field} is missing", plan.product_id));
    assert!(
        (got - want).abs() < 1e-6,
        "{}: {field} is {got}, expected {want}",
        plan.product_id
    );
}

async fn reference_rows(test: &str, backends: [Db; 4]) {
    let Some(setup) = Setup::new(test, backends).await else {
        return;
    };
    let summary = demo::seed(&setup.admin_config, 300, 7, false, false)
        .await
        .expect("demo seeds");
    assert_eq!(summary.products, 300);
    let sources = Sources::connect(&setup.config)
        .await
        .expect("sources connect");
    let rules = live::load_rules(&setup.config, None).unwrap();

    let ids = [
        "PROD-001".to_string(),
        "PROD-002".to_string(),
        "PROD-003".to_string(),
    ];
    // The history's statistics are read whatever the rules read: stored
    // forecasts are matched to the history by them (their fingerprint).
    assert!(
        live::needs_history(&rules),
        "the history is aggregated for the shipped rules too"
    );
    let (plain, _) = live::plan_products(&sources, &rules, &Default::default(), &ids)
        .await
        .expect("plan");
    let with_history = rules_reading_history();
    assert!(live::needs_history(&with_history));
    let (plans, _) = live::plan_products(&sources, &with_history, &Default::default(), &ids)
        .await
        .expect("plan");
    for (a, b) in plain.iter().zip(&plans) {
        assert_eq!(
            (a.order_qty, a.amount),
            (b.order_qty, b.amount),
            "{test}: {}",
            a.product_id
        );
    }
    assert_eq!(plans.len(), 3, "{test}: one plan per requested product");
    let p1 = &plans[0];
    assert_eq!(&*p1.product_id, "PROD-001");
    close(p1, "avg_daily_demand", p1.avg_daily_demand, 150.0);
    close(p1, "available_qty", p1.available_qty, 500.0);
    close(p1, "reserved_qty", p1.reserved_qty, 100.0);
    close(p1, "lead_time_days", p1.lead_time_days, 7.0);
    close(p1, "unit_price", p1.unit_price, 15.5);
    close(
        p1,
        "demand_during_lead_time",
        p1.demand_during_lead_time,
        1050.0,
    );
    close(p1, "net_requirement", p1.net_requirement, 550.0);
    close(p1, "order_qty", Some(p1.order_qty), 600.0);
    close(p1, "purchase_qty", Some(p1.purchase_qty), 50.0);
    close(p1, "amount", Some(p1.amount), 9300.0);
    assert!(!p1.requires_approval, "{test}: PROD-001 auto-approved");
    assert_eq!(p1.supplier_name.as_deref(), Some("ABC Supplies Co."));
    assert_eq!(
        (p1.stock_uom.as_deref(), p1.purchase_uom.as_deref()),
        (Some("pieces"), Some("box"))
    );
    assert_eq!(
        p1.demand_sigma, None,
        "{test}: the reference products have no history (DOMAIN.md section 5)"
    );
    // A generated product's history statistics, over every day from its
    // first sale to the history's last day: the demo leaves out the days
    // without sales, and those are zero sales (DOMAIN.md section 5).
    let (job, days) = demo::generate(300, 7, buyerdesk::sources::Backend::Sqlite)
        .history
        .into_iter()
        .map(|j| {
            let qty = demo::history_for(7, &j.product_id, j.avg_daily_demand, j.trend).qty;
            let first = qty.iter().position(|q| *q > 0.0).unwrap_or(qty.len());
            (j, qty[first..].to_vec())
        })
        .find(|(_, days)| days.iter().filter(|q| **q > 0.0).count() > 300 && days.contains(&0.0))
        .expect("a product selling most days, with days without sales");
    let n = days.len() as f64;
    let mean = days.iter().sum::<f64>() / n;
    let sigma = (days.iter().map(|q| (q - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let (shipped, _) = live::plan_products(
        &sources,
        &rules,
        &Default::default(),
        std::slice::from_ref(&job.product_id),
    )
    .await
    .expect("plan");
    assert!(
        shipped[0].demand_sigma.is_some(),
        "{test}: history loaded for the shipped rules"
    );
    let (with, _) = live::plan_products(
        &sources,
        &with_history,
        &Default::default(),
        std::slice::from_ref(&job.product_id),
    )
    .await
    .expect("plan");
    close(&with[0], "demand_sigma", with[0].demand_sigma, sigma);

    let p2 = &plans[1];
    close(p2, "avg_daily_demand", p2.avg_daily_demand, 80.5);
    close(p2, "conversion_factor", p2.conversion_factor, 2.2046);
    close(
        p2,
        "order_qty",
        Some(buyerdesk::plan::numbers::round_qty(p2.order_qty)),
        850.9756,
    );
    close(p2, "purchase_qty", Some(p2.purchase_qty), 386.0);
    assert!(p2.requires_approval);

    let p3 = &plans[2];
    close(p3, "unit_price", p3.unit_price, 42.75);
    close(p3, "conversion_factor", p3.conversion_factor, 0.2642);
    close(p3, "purchase_qty", Some(p3.purchase_qty), 15898.0);

    // The whole load: every product once, the exception paths visible.
    let (all, _) = live::plan_products(&sources, &rules, &Default::default(), &[])
        .await
        .expect("plan all");
    assert!(
        all.len() >= 295 && all.len() <= 300,
        "{test}: {} products",
        all.len()
    );
    let mut ids: Vec<&str> = all.iter().map(|p| &*p.product_id).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "{test}: duplicate products");
    assert!(all.iter().any(|p| p.needs_order()));
    for p in &all {
        assert!(
            p.order_qty.is_finite() && p.order_qty >= 0.0,
            "{}: order_qty {}",
            p.product_id,
            p.order_qty
        );
        if p.has(ExceptionCode::BadData) || p.has(ExceptionCode::NoSupplier) {
            assert_eq!(
                p.order_qty, 0.0,
                "{}: flagged product must not order",
                p.product_id
            );
        }
    }

    let err = live::plan_products(
        &sources,
        &rules,
        &Default::default(),
        &["NOPE-1".to_string()],
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("NOPE-1"), "{err}");
    sources.close().await;

    // demo refuses to overwrite data without --force
    let again = demo::seed(&setup.admin_config, 10, 7, false, false)
        .await
        .unwrap_err();
    assert!(again.to_string().contains("refusing"), "{again}");
}

/// Tables with only the required columns (the reference deployment's
/// schema) and rows that are wrong in every way DOMAIN.md names.
async fn bad_rows(test: &str, db: Db) {
    let Some(setup) = Setup::new(test, [db; 4]).await else {
        return;
    };
    let mut conn = Vec::new();
    for kind in SourceKind::SOURCES {
        conn.push(
            Source::connect(
                &setup.admin_config.resolve(kind).unwrap(),
                Access::ReadWrite,
            )
            .await
            .unwrap(),
        );
    }
    let (num, int) = match db {
        Db::Sqlite => ("REAL", "INTEGER"),
        _ => ("DECIMAL(12,2)", "INTEGER"),
    };
    let ddl = [
        (0, format!("CREATE TABLE oms_history (product_id VARCHAR(32), avg_daily_demand {num}, trend VARCHAR(16))")),
        (1, format!("CREATE TABLE inventory (product_id VARCHAR(32), available_qty {int}, reserved_qty {int}, warehouse_location VARCHAR(16))")),
        (2, format!("CREATE TABLE suppliers (product_id VARCHAR(32), supplier_name VARCHAR(64), unit_price {num}, moq {int}, lead_time {int})")),
        (3, "CREATE TABLE uom_conversions (product_id VARCHAR(32), from_uom VARCHAR(16), to_uom VARCHAR(16), conversion_factor DOUBLE PRECISION)".to_string()),
    ];
    for (i, sql) in ddl {
        let sql = if db == Db::Sqlite {
            sql.replace("DOUBLE PRECISION", "REAL")
        } else {
            sql
        };
        conn[i].execute(&sql).await.unwrap();
    }
    let ph = |n: usize| -> String {
        (1..=n)
            .map(|i| {
                if db == Db::Postgres {
                    format!("CAST(${i} AS TEXT)")
                } else {
                    "?".into()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let s = |v: &str| Some(v.to_string());
    // Postgres needs typed placeholders for numeric columns: insert through
    // text and let the column cast on SQLite/MySQL; on Postgres cast in SQL.
    let insert = |table: &str, cols: usize| match db {
        Db::Postgres => format!(
            "INSERT INTO {table} SELECT * FROM (VALUES ({})) AS v",
            ph(cols)
        ),
        _ => format!("INSERT INTO {table} VALUES ({})", ph(cols)),
    };
    let rows: Vec<(usize, &str, usize, Vec<Option<String>>)> = vec![
        (0, "oms_history", 3, vec![s("GOOD"), s("10"), s("stable")]),
        (1, "inventory", 4, vec![s("GOOD"), s("5"), s("0"), s("A")]),
        (
            2,
            "suppliers",
            5,
            vec![s("GOOD"), s("S"), s("2.50"), s("10"), s("5")],
        ),
        (
            3,
            "uom_conversions",
            4,
            vec![s("GOOD"), s("pcs"), s("box"), s("10")],
        ),
        (
            0,
            "oms_history",
            3,
            vec![s("NULL-DEMAND"), None, s("stable")],
        ),
        (
            1,
            "inventory",
            4,
            vec![s("NULL-DEMAND"), s("5"), s("0"), s("A")],
        ),
        (
            2,
            "suppliers",
            5,
            vec![s("NULL-DEMAND"), s("S"), s("1"), s("1"), s("1")],
        ),
        (
            0,
            "oms_history",
            3,
            vec![s("NEG-LEAD"), s("3"), s("stable")],
        ),
        (
            1,
            "inventory",
            4,
            vec![s("NEG-LEAD"), s("0"), s("0"), s("A")],
        ),
        (
            2,
            "suppliers",
            5,
            vec![s("NEG-LEAD"), s("S"), s("1"), s("1"), s("-4")],
        ),
        (
            0,
            "oms_history",
            3,
            vec![s("NO-STOCK-ROW"), s("3"), s("stable")],
        ),
        (
            2,
            "suppliers",
            5,
            vec![s("NO-STOCK-ROW"), s("S"), s("1"), s("1"), s("1")],
        ),
        (
            0,
            "oms_history",
            3,
            vec![s("NO-SUPPLIER"), s("3"), s("stable")],
        ),
        (
            1,
            "inventory",
            4,
            vec![s("NO-SUPPLIER"), s("0"), s("0"), s("A")],
        ),
        (
            1,
            "inventory",
            4,
            vec![s("NULL-PRICE"), s("0"), s("0"), s("A")],
        ),
        (
            2,
            "suppliers",
            5,
            vec![s("NULL-PRICE"), s("S"), None, s("1"), s("1")],
        ),
        (
            0,
            "oms_history",
            3,
            vec![s("BACKORDER"), s("2"), s("stable")],
        ),
        (
            1,
            "inventory",
            4,
            vec![s("BACKORDER"), s("-8"), s("0"), s("A")],
        ),
        (
            2,
            "suppliers",
            5,
            vec![s("BACKORDER"), s("S"), s("1"), s("1"), s("3")],
        ),
        (
            3,
            "uom_conversions",
            4,
            vec![s("BACKORDER"), s("pcs"), s("box"), s("0")],
        ),
    ];
    for (i, table, cols, values) in rows {
        let sql = insert(table, cols);
        // Postgres: cast each text column to the table's type.
        let sql = if db == Db::Postgres {
            let casts = match table {
                "oms_history" => "product_id, CAST(avg_daily_demand AS DECIMAL), trend",
                "inventory" => "product_id, CAST(available_qty AS INTEGER), CAST(reserved_qty AS INTEGER), warehouse_location",
                "suppliers" => "product_id, supplier_name, CAST(unit_price AS DECIMAL), CAST(moq AS INTEGER), CAST(lead_time AS INTEGER)",
                _ => "product_id, from_uom, to_uom, CAST(conversion_factor AS DOUBLE PRECISION)",
            };
            let names = casts
                .split(", ")
                .map(|c| c.trim_start_matches("CAST(").split(' ').next().unwrap())
                .collect::<Vec<_>>()
                .join(", ");
            sql.replace("SELECT * FROM", &format!("SELECT {casts} FROM"))
                .replace(") AS v", &format!(") AS v ({names})"))
        } else {
            sql
        };
        with_pool_write(&conn[i], &sql, values)
            .await
            .unwrap_or_else(|e| panic!("{test}: {sql}: {e:#}"));
    }
    for c in &conn {
        c.close().await;
    }

    let sources = Sources::connect(&setup.config)
        .await
        .expect("required-columns-only tables are enough");
    assert!(sources.inventory.shape.optional_found.is_empty());
    assert!(sources.oms.history.is_none());
    let rules = live::load_rules(&setup.config, None).unwrap();
    let (plans, _) = live::plan_products(&sources, &rules, &Default::default(), &[])
        .await
        .unwrap();
    let get = |id: &str| {
        plans
            .iter()
            .find(|p| &*p.product_id == id)
            .unwrap_or_else(|| panic!("{test}: {id} missing"))
    };

    let good = get("GOOD");
    // d 10, L 5 -> target 50, IP 5, net 45, moq 10 -> 50, pack 10 -> 5 boxes
    assert_eq!(
        (good.order_qty, good.purchase_qty, good.amount),
        (50.0, 5.0, 125.0),
        "{test}: GOOD"
    );
    assert!(!good.has(ExceptionCode::BadData));
    for (id, code) in [
        ("NULL-DEMAND", ExceptionCode::BadData),
        ("NEG-LEAD", ExceptionCode::BadData),
        ("NO-STOCK-ROW", ExceptionCode::BadData),
        ("NULL-PRICE", ExceptionCode::BadData),
        ("NO-SUPPLIER", ExceptionCode::NoSupplier),
        ("BACKORDER", ExceptionCode::UomInvalid),
    ] {
        let p = get(id);
        assert!(
            p.has(code),
            "{test}: {id} should have {code}, has {:?}",
            p.exceptions
        );
        assert_eq!(p.order_qty, 0.0, "{test}: {id} must not suggest an order");
    }
    let back = get("BACKORDER");
    assert!(
        !back.has(ExceptionCode::BadData),
        "{test}: negative stock is a backorder"
    );
    assert!(back.has(ExceptionCode::Stockout));
    assert!(get("NULL-DEMAND")
        .exception_details
        .iter()
        .any(|e| e.message.contains("avg_daily_demand is NULL")));
    assert!(get("NO-SUPPLIER").has(ExceptionCode::UomMissing));
    sources.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reference_rows() {
    reference_rows("sqlite_reference_rows", [Db::Sqlite; 4]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reference_rows() {
    reference_rows("postgres_reference_rows", [Db::Postgres; 4]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_reference_rows() {
    reference_rows("mariadb_reference_rows", [Db::MySql; 4]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_backends_reference_rows() {
    // OMS on PostgreSQL, inventory on MariaDB, supplier and UOM on SQLite.
    reference_rows(
        "mixed_backends_reference_rows",
        [Db::Postgres, Db::MySql, Db::Sqlite, Db::Sqlite],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_bad_rows() {
    bad_rows("sqlite_bad_rows", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_bad_rows() {
    bad_rows("postgres_bad_rows", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_bad_rows() {
    bad_rows("mariadb_bad_rows", Db::MySql).await;
}

/// A foreign schema mapped with per-source `query` and `history_query`
/// overrides, on SQLite and PostgreSQL.
async fn query_overrides(test: &str, db: Db) {
    let Some(mut setup) = Setup::new(test, [db; 4]).await else {
        return;
    };
    let mut conn = Vec::new();
    for kind in SourceKind::SOURCES {
        conn.push(
            Source::connect(
                &setup.admin_config.resolve(kind).unwrap(),
                Access::ReadWrite,
            )
            .await
            .unwrap(),
        );
    }
    let stmts: [(usize, &str); 8] = [
        (0, "CREATE TABLE demand_view (sku VARCHAR(20), per_day DECIMAL(10,2), direction VARCHAR(12), title VARCHAR(40))"),
        (0, "INSERT INTO demand_view VALUES ('  X-1 ', 150.00, 'increasing', 'Widget')"),
        (0, "CREATE TABLE sales (sku VARCHAR(20), sold_on DATE, units INTEGER)"),
        (0, "INSERT INTO sales VALUES ('X-1', '2026-11-01', 100), ('X-1', '2026-11-02', 200)"),
        (1, "CREATE TABLE stock (sku VARCHAR(20), free INTEGER, held INTEGER, bin VARCHAR(10))"),
        (1, "INSERT INTO stock VALUES ('X-1', 500, 100, 'B1')"),
        (2, "CREATE TABLE vendor (sku VARCHAR(20), vname VARCHAR(40), price DECIMAL(10,2), min_qty INTEGER, days INTEGER)"),
        (2, "INSERT INTO vendor VALUES ('X-1', 'ABC Supplies Co.', 15.50, 100, 7)"),
    ];
    for (i, sql) in stmts {
        conn[i]
            .execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{test}: {sql}: {e:#}"));
    }
    conn[3]
        .execute(
            "CREATE TABLE packs (sku VARCHAR(20), a VARCHAR(10), b VARCHAR(10), f DECIMAL(10,4))",
        )
        .await
        .unwrap();
    conn[3]
        .execute("INSERT INTO packs VALUES ('X-1', 'pieces', 'box', 12)")
        .await
        .unwrap();
    for c in &conn {
        c.close().await;
    }
    let f = &mut setup.config.file;
    f.oms.query = Some("SELECT sku AS product_id, per_day AS avg_daily_demand, direction AS trend, title AS product_name FROM demand_view".into());
    f.oms.history_query =
        Some("SELECT sku AS product_id, sold_on AS day, units AS qty FROM sales".into());
    f.inventory.query = Some("SELECT sku AS product_id, free AS available_qty, held AS reserved_qty, bin AS warehouse_location FROM stock".into());
    f.supplier.query = Some("SELECT sku AS product_id, vname AS supplier_name, price AS unit_price, min_qty AS moq, days AS lead_time FROM vendor".into());
    f.uom.query = Some(
        "SELECT sku AS product_id, a AS from_uom, b AS to_uom, f AS conversion_factor FROM packs"
            .into(),
    );

    let sources = Sources::connect(&setup.config)
        .await
        .expect("overrides connect");
    assert_eq!(sources.oms.shape.optional_found, vec!["product_name"]);
    let rules = rules_reading_history();
    let (plans, _) =
        live::plan_products(&sources, &rules, &Default::default(), &["X-1".to_string()])
            .await
            .expect("plan X-1 (stored with spaces)");
    let p = &plans[0];
    assert_eq!(p.product_name.as_deref(), Some("Widget"));
    assert_eq!(
        (p.order_qty, p.purchase_qty, p.amount),
        (600.0, 50.0, 9300.0),
        "{test}"
    );
    close(p, "demand_sigma", p.demand_sigma, 70.710678);
    sources.close().await;

    // A configured query that fails names the source.
    setup.config.file.uom.query = Some("SELECT nope FROM missing_table".into());
    let err = Sources::connect(&setup.config)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("uom source") && err.contains("configured query"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_query_overrides() {
    query_overrides("sqlite_query_overrides", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_query_overrides() {
    query_overrides("postgres_query_overrides", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_query_overrides() {
    query_overrides("mariadb_query_overrides", Db::MySql).await;
}

/// PostgreSQL fingerprints a table by its rows' versions (`xmin`), which
/// costs no column read: the same rows give the same fingerprint, and any
/// insert, update or delete gives another, even one that leaves the values
/// as they were (a row deleted and inserted again). A configured query has
/// no row versions: it is fingerprinted by the rows' values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_fingerprints_follow_row_versions() {
    let test = "postgres_fingerprints_follow_row_versions";
    let Some(mut setup) = Setup::new(test, [Db::Postgres; 4]).await else {
        return;
    };
    demo::seed(&setup.admin_config, 20, 7, false, false)
        .await
        .unwrap();
    let open = |config: buyerdesk::config::Config| async move {
        let source = buyerdesk::sources::connect_source(&config, SourceKind::Supplier)
            .await
            .unwrap();
        buyerdesk::sources::supplier::SupplierSource::open(source)
            .await
            .unwrap()
    };
    let supplier = open(setup.config.clone()).await;
    let fingerprint = || async { supplier.fingerprint().await.unwrap().expect("PostgreSQL") };
    let rows = |f: &str| -> usize {
        let (count, _) = f.rsplit_once(' ').unwrap().1.split_once(':').unwrap();
        count.parse().unwrap()
    };
    let first = fingerprint().await;
    assert!(first.starts_with("version "), "{test}: {first}");
    let n = rows(&first);
    assert!(n >= 20, "{test}: {first}");
    assert_eq!(fingerprint().await, first, "{test}: nothing changed");

    let writer = Source::connect(
        &setup.admin_config.resolve(SourceKind::Supplier).unwrap(),
        Access::ReadWrite,
    )
    .await
    .unwrap();
    let steps = [
        (
            "one price changed",
            "UPDATE suppliers SET unit_price = unit_price + 1 WHERE product_id = 'PROD-001'",
        ),
        (
            "a row deleted and inserted again as it was",
            "WITH gone AS (DELETE FROM suppliers WHERE product_id = 'PROD-002' RETURNING *) \
             INSERT INTO suppliers SELECT * FROM gone",
        ),
        (
            "an update that writes the same value (read once more)",
            "UPDATE suppliers SET moq = moq WHERE product_id = 'PROD-003'",
        ),
    ];
    let mut last = first;
    for (what, sql) in steps {
        writer.execute(sql).await.unwrap();
        let now = fingerprint().await;
        assert!(now.starts_with("version "), "{test}: {what}: {now}");
        assert_eq!(rows(&now), n, "{test}: {what}");
        assert_ne!(now, last, "{test}: {what}");
        assert_eq!(fingerprint().await, now, "{test}: {what}, then nothing");
        last = now;
    }
    writer
        .execute("DELETE FROM suppliers WHERE product_id = (SELECT MIN(product_id) FROM suppliers)")
        .await
        .unwrap();
    let now = fingerprint().await;
    assert!(rows(&now) < n, "{test}: a row deleted: {now}");

    // Through a configured query: the values.
    setup.config.file.supplier.query =
        Some("SELECT product_id, supplier_name, unit_price, moq, lead_time FROM suppliers".into());
    let queried = open(setup.config.clone()).await;
    let by_values = queried.fingerprint().await.unwrap().expect("PostgreSQL");
    assert!(by_values.starts_with("record "), "{test}: {by_values}");
    assert_eq!(rows(&by_values), rows(&now), "{test}: {by_values}");
    writer
        .execute("UPDATE suppliers SET moq = moq WHERE product_id = (SELECT MAX(product_id) FROM suppliers)")
        .await
        .unwrap();
    assert_eq!(
        queried.fingerprint().await.unwrap().expect("PostgreSQL"),
        by_values,
        "{test}: the same values through a query"
    );

    // A view by the table's name has no row versions either: PostgreSQL
    // refuses `xmin`, and the values are fingerprinted instead.
    writer
        .execute("ALTER TABLE suppliers RENAME TO supplier_rows")
        .await
        .unwrap();
    writer
        .execute("CREATE VIEW suppliers AS SELECT * FROM supplier_rows")
        .await
        .unwrap();
    setup.admin_config.file.supplier.query = None;
    let viewed = open(setup.admin_config.clone()).await;
    let through_view = viewed.fingerprint().await.unwrap().expect("PostgreSQL");
    assert!(
        through_view.starts_with("record "),
        "{test}: {through_view}"
    );
    assert_eq!(rows(&through_view), rows(&now), "{test}: {through_view}");
}

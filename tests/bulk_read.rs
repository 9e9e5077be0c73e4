//! The fast read paths of `Source::fetch_map` (PostgreSQL `COPY ... TO
//! STDOUT`, SQLite files through rusqlite) give the same cells and the
//! same errors as sqlx's row-by-row path, on awkward text and numbers and
//! on enough rows to cross many chunks and batches; a timed-out read stops.
//! PostgreSQL runs when BUYERDESK_TEST_POSTGRES_URL is set (see
//! tests/common).

mod common;

use std::time::{Duration, Instant};

use buyerdesk::config::{Config, FileConfig, SourceKind};
use buyerdesk::sources::{with_pool_write, Access, DbPool, FetchPath, Source, TextRows};
use common::{Db, ScratchDb};

/// Text cells that the COPY format escapes, or that look like its markers.
fn awkward_texts() -> Vec<Option<String>> {
    let mut texts: Vec<Option<String>> = [
        "",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "\\",
        "\\N",
        "\\\\N",
        "\\.",
        "N",
        "NULL",
        "it's \"quoted\" `x`",
        "café ü 日本 😀 \u{200b}",
        "a\tb\nc\rd\\e\u{8}\u{c}\u{b}\u{7}\u{1b}",
        " padded ",
        "ends with a backslash\\",
        "\\x41\\101",
    ]
    .iter()
    .map(|s| Some(s.to_string()))
    .collect();
    texts.insert(0, None);
    // 10 KB, escapes all along.
    texts.push(Some("ab\tc\\d\né".repeat(1024)));
    texts
}

const NUMBERS: [Option<&str>; 8] = [
    None,
    Some("0"),
    Some("-1.5"),
    Some("123456789.123456789012345678901234567890123"),
    Some("-0.000000000000000000000000000001"),
    Some("NaN"),
    Some("1e20"),
    Some("-42"),
];

const FLOATS: [Option<&str>; 8] = [
    Some("NaN"),
    Some("Infinity"),
    Some("-Infinity"),
    Some("1e300"),
    Some("-0"),
    Some("0.1"),
    None,
    Some("0.333333333333333314829616256247390992939472198486328125"),
];

const INTEGERS: [Option<&str>; 4] = [
    Some("-9223372036854775808"),
    Some("9223372036854775807"),
    Some("0"),
    None,
];

async fn source(url: &str, access: Access, timeout_secs: f64) -> Source {
    let mut file = FileConfig::default();
    let s = file.source_mut(SourceKind::Inventory);
    s.url = Some(url.to_string());
    s.query_timeout_secs = timeout_secs;
    s.pool_size = 1;
    let config = Config {
        file,
        origin: "bulk_read test".into(),
        data_dir: std::env::temp_dir(),
    };
    let resolved = config
        .resolve_with(SourceKind::Inventory, &|_| None)
        .unwrap();
    Source::connect(&resolved, access).await.unwrap()
}

/// Fills `awkward` (id, t, n, f, i) with every awkward text, numbers
/// alongside; `cast` wraps a bound text parameter into a column's type.
async fn seed_awkward(writer: &Source, cast: impl Fn(&str, &str) -> String) {
    let ph = |n| writer.backend.placeholder(n);
    let sql = format!(
        "INSERT INTO awkward (id, t, n, f, i) VALUES ({}, {}, {}, {}, {})",
        cast(&ph(1), "INTEGER"),
        ph(2),
        cast(&ph(3), "NUMERIC"),
        cast(&ph(4), "DOUBLE PRECISION"),
        cast(&ph(5), "BIGINT"),
    );
    for (k, text) in awkward_texts().into_iter().enumerate() {
        let binds = vec![
            Some(k.to_string()),
            text,
            NUMBERS[k % NUMBERS.len()].map(str::to_string),
            FLOATS[k % FLOATS.len()].map(str::to_string),
            INTEGERS[k % INTEGERS.len()].map(str::to_string),
        ];
        with_pool_write(writer, &sql, binds).await.unwrap();
    }
}

/// The query read both ways: the same rows, cell for cell.
async fn same_both_ways(fast: &Source, path: FetchPath, sql: &str, binds: &[String]) -> TextRows {
    assert_eq!(fast.fetch_path(sql, binds), path, "{sql}");
    let plain = fast.clone().with_plain_fetch(true);
    assert_eq!(plain.fetch_path(sql, binds), FetchPath::Plain);
    let got = fast
        .fetch_text(sql, binds)
        .await
        .unwrap_or_else(|e| panic!("{path:?}: {sql}: {e:#}"));
    let want = plain
        .fetch_text(sql, binds)
        .await
        .unwrap_or_else(|e| panic!("plain: {sql}: {e:#}"));
    assert_eq!(got.len(), want.len(), "{path:?}: rows of {sql}");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "{path:?}: row {i} of {sql}");
    }
    got
}

/// The same error both ways, word for word.
async fn same_error_both_ways(fast: &Source, sql: &str) -> String {
    let plain = fast.clone().with_plain_fetch(true);
    let got = fast.fetch_text(sql, &[]).await.unwrap_err().to_string();
    let want = plain.fetch_text(sql, &[]).await.unwrap_err().to_string();
    assert_eq!(got, want, "{sql}");
    got
}

const AWKWARD_SELECT: &str = "SELECT CAST(id AS TEXT) AS id, CAST(t AS TEXT) AS t, \
    CAST(n AS TEXT) AS n, CAST(f AS TEXT) AS f, CAST(i AS TEXT) AS i FROM awkward ORDER BY awkward.id";

/// The text cells read back are the texts written.
fn assert_texts(rows: &TextRows) {
    let texts = awkward_texts();
    assert_eq!(rows.len(), texts.len());
    for (row, text) in rows.iter().zip(&texts) {
        assert_eq!(&row[1], text, "text of row {:?}", row[0]);
    }
}

#[tokio::test]
async fn postgres_copy_reads_what_sqlx_reads() {
    let Some(admin) = Db::Postgres.admin_url("postgres_copy_reads_what_sqlx_reads") else {
        return;
    };
    let db = ScratchDb::create(Db::Postgres, &admin, "bulk").await;
    let writer = source(&db.url, Access::ReadWrite, 30.0).await;
    writer
        .execute(
            "CREATE TABLE awkward (id INTEGER, t TEXT, n NUMERIC, f DOUBLE PRECISION, i BIGINT)",
        )
        .await
        .unwrap();
    seed_awkward(&writer, |p, ty| format!("CAST({p} AS {ty})")).await;
    // Enough rows for thousands of COPY messages, some with escapes.
    writer
        .execute(
            "CREATE TABLE many AS SELECT g AS id, \
             CASE WHEN g % 10 = 0 THEN E'tab\\there\\\\back\\nline' \
                  WHEN g % 10 = 1 THEN NULL ELSE repeat(md5(g::text), 1 + g % 5) END AS t, \
             (g * 1.25)::numeric AS n FROM generate_series(1, 30000) g",
        )
        .await
        .unwrap();

    let fast = source(&db.url, Access::ReadOnly, 30.0)
        .await
        .with_plain_fetch(false);
    let rows = same_both_ways(&fast, FetchPath::Copy, AWKWARD_SELECT, &[]).await;
    assert_texts(&rows);
    if let DbPool::Postgres(pool) = &fast.pool {
        // (It goes back in a task of its own.)
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            (pool.size(), pool.num_idle()),
            (1, 1),
            "a COPY read to its end gives its connection back to the pool"
        );
    }
    let nan = rows.iter().find(|r| r[0].as_deref() == Some("5")).unwrap();
    assert_eq!(nan[2].as_deref(), Some("NaN"), "NUMERIC NaN: {nan:?}");

    let many =
        "SELECT CAST(id AS TEXT), CAST(t AS TEXT), CAST(n AS TEXT) FROM many ORDER BY many.id";
    let rows = same_both_ways(&fast, FetchPath::Copy, many, &[]).await;
    assert_eq!(rows.len(), 30000);
    assert_eq!(
        rows[9][1].as_deref(),
        Some("tab\there\\back\nline"),
        "row 10"
    );

    // With a parameter: sqlx's path, as before.
    let filtered =
        "SELECT CAST(id AS TEXT), CAST(t AS TEXT) FROM awkward WHERE CAST(id AS TEXT) = $1";
    assert_eq!(fast.fetch_path(filtered, &["3".into()]), FetchPath::Plain);

    // Errors word for word; the pool (one connection) is fine after them.
    let err = same_error_both_ways(&fast, "SELECT CAST(x AS TEXT) FROM no_such_table").await;
    assert!(err.contains("no_such_table"), "{err}");
    assert!(!err.contains("COPY"), "the COPY does not show: {err}");
    same_error_both_ways(
        &fast,
        "SELECT CAST(1 / (id - 3) AS TEXT) FROM awkward ORDER BY awkward.id",
    )
    .await;
    same_both_ways(&fast, FetchPath::Copy, AWKWARD_SELECT, &[]).await;
    fast.close().await;
    writer.close().await;
}

/// A COPY stopped by the query timeout: the error says so, and the pool's
/// only connection is replaced, not handed back in the middle of a COPY.
#[tokio::test]
async fn postgres_timed_out_copy_leaves_the_pool_usable() {
    let Some(admin) = Db::Postgres.admin_url("postgres_timed_out_copy") else {
        return;
    };
    let db = ScratchDb::create(Db::Postgres, &admin, "bulk").await;
    let fast = source(&db.url, Access::ReadOnly, 0.5)
        .await
        .with_plain_fetch(false);
    // Rows first, then a stall: the timeout fires in the middle of the COPY.
    let slow = "SELECT CAST(g AS TEXT), CAST(CASE WHEN g = 50000 THEN pg_sleep(3) END AS TEXT) \
                FROM generate_series(1, 100000) g";
    assert_eq!(fast.fetch_path(slow, &[]), FetchPath::Copy);
    let start = Instant::now();
    let err = fast.fetch_text(slow, &[]).await.unwrap_err().to_string();
    assert!(err.contains("timed out"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let rows = fast
        .fetch_text("SELECT CAST(42 AS TEXT)", &[])
        .await
        .unwrap();
    assert_eq!(rows, vec![vec![Some("42".to_string())]]);
    fast.close().await;
}

async fn sqlite_awkward() -> (ScratchDb, Source) {
    let db = ScratchDb::create(Db::Sqlite, "", "bulk").await;
    let writer = source(&db.url, Access::ReadWrite, 30.0).await;
    writer
        .execute("CREATE TABLE awkward (id INTEGER, t TEXT, n NUMERIC, f REAL, i INTEGER, b BLOB)")
        .await
        .unwrap();
    seed_awkward(&writer, |p, _| p.to_string()).await;
    writer
        .execute(
            "UPDATE awkward SET b = CASE id % 3 WHEN 0 THEN x'414243' WHEN 1 THEN x'' END; \
             CREATE TABLE many AS WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 30000) \
             SELECT x AS id, CASE WHEN x % 10 = 0 THEN 'tab' || char(9) || 'here\\' ELSE hex(randomblob(1 + x % 40)) END AS t, \
             x * 1.25 AS n FROM g",
        )
        .await
        .unwrap();
    writer.close().await;
    let fast = source(&db.url, Access::ReadOnly, 30.0)
        .await
        .with_plain_fetch(false);
    (db, fast)
}

#[tokio::test]
async fn sqlite_direct_reads_what_sqlx_reads() {
    let (_db, fast) = sqlite_awkward().await;
    let rows = same_both_ways(&fast, FetchPath::SqliteDirect, AWKWARD_SELECT, &[]).await;
    assert_texts(&rows);
    // Not cast: integers, reals and blobs converted as sqlx converts them.
    let raw = same_both_ways(
        &fast,
        FetchPath::SqliteDirect,
        "SELECT id, t, n, f, i, b, 1.0, -0.0, 1e300, 0.1, 2.5e-7, 123456789012345.0, 1e15, 9007199254740993.0 FROM awkward ORDER BY awkward.id",
        &[],
    )
    .await;
    assert_eq!(raw[0][5].as_deref(), Some("ABC"), "a blob as text");
    assert_eq!(raw[1][5].as_deref(), Some(""), "an empty blob");

    let many = "SELECT CAST(id AS TEXT), t, CAST(n AS TEXT) FROM many ORDER BY many.id";
    let rows = same_both_ways(&fast, FetchPath::SqliteDirect, many, &[]).await;
    assert_eq!(rows.len(), 30000);
    assert_eq!(rows[9][1].as_deref(), Some("tab\there\\"), "row 10");

    // Bound parameters, as a filtered load binds product ids.
    let filtered = "SELECT CAST(id AS TEXT), t FROM awkward WHERE TRIM(CAST(id AS TEXT)) IN (?, ?, ?) ORDER BY awkward.id";
    let rows = same_both_ways(
        &fast,
        FetchPath::SqliteDirect,
        filtered,
        &["3".into(), " 4".into(), "17".into()],
    )
    .await;
    assert_eq!(rows.len(), 2);

    // Errors word for word.
    let err = same_error_both_ways(&fast, "SELECT x FROM no_such_table").await;
    assert!(err.contains("no such table: no_such_table"), "{err}");
    let err = same_error_both_ways(&fast, "SELECT x'ff'").await;
    assert!(err.contains("decoding column 0"), "{err}");
    let err =
        same_error_both_ways(&fast, "INSERT INTO awkward (id) VALUES (1000) RETURNING id").await;
    assert!(err.contains("readonly"), "{err}");
    fast.close().await;
}

/// The purchasing store (read-write) and shared-cache URLs stay on sqlx
/// (in-memory URLs: see the unit tests of `SqliteFile::of_url`).
#[tokio::test]
async fn sqlite_store_and_shared_cache_stay_on_sqlx() {
    let (db, _) = sqlite_awkward().await;
    let store = source(&db.url, Access::ReadWrite, 5.0)
        .await
        .with_plain_fetch(false);
    assert_eq!(store.fetch_path("SELECT 1", &[]), FetchPath::Plain);
    let shared = source(&format!("{}?cache=shared", db.url), Access::ReadOnly, 5.0)
        .await
        .with_plain_fetch(false);
    assert_eq!(shared.fetch_path("SELECT 1", &[]), FetchPath::Plain);
    let ro = source(&format!("{}?mode=ro", db.url), Access::ReadOnly, 5.0)
        .await
        .with_plain_fetch(false);
    assert_eq!(ro.fetch_path("SELECT 1", &[]), FetchPath::SqliteDirect);
}

/// A read that outlives its query timeout is interrupted: the blocking
/// thread stops, so the runtime shuts down at once.
#[test]
fn sqlite_timed_out_read_is_interrupted() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(async {
        let (db, _) = sqlite_awkward().await;
        let fast = source(&db.url, Access::ReadOnly, 0.3)
            .await
            .with_plain_fetch(false);
        // Counts forever and selects nothing.
        let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                       SELECT CAST(x AS TEXT) FROM c WHERE x < 0";
        assert_eq!(fast.fetch_path(endless, &[]), FetchPath::SqliteDirect);
        let start = Instant::now();
        let err = fast.fetch_text(endless, &[]).await.unwrap_err().to_string();
        assert!(err.contains("timed out"), "{err}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        fast.close().await;
        db
    });
    let start = Instant::now();
    runtime.shutdown_timeout(Duration::from_secs(10));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "the blocking reader went on after the timeout ({:?} to shut down)",
        start.elapsed()
    );
    drop(db);
}

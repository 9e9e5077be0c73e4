//! The four read-only sources and buyerdesk's purchasing store, one pool each,
//! on PostgreSQL, MySQL/MariaDB or SQLite. Loading is batched: one query per
//! source for all products (plus the optional history aggregate), the
//! sources queried concurrently. Every number is read as text (cast in SQL)
//! so that DECIMAL, INTEGER and REAL read alike on every backend.
//!
//! Every read goes through `Source::fetch_map`, which hands each row's
//! cells to a closure as they stream in. Two fast paths sit behind it,
//! invisible to callers (same cells, same errors, same timeout; see `bulk`):
//! - PostgreSQL, a SELECT without bind parameters (the whole-table loads):
//!   run as `COPY (<select>) TO STDOUT` and the COPY text format parsed as
//!   it arrives (`copy_text`), instead of sqlx's row-by-row decoding. The
//!   SELECT is buyerdesk's own (table and column names from the config), so
//!   no value is ever interpolated into the COPY.
//! - SQLite files of read-only sources: read through rusqlite on a blocking
//!   thread (read-only connection, the pool's busy timeout), rows handed
//!   over in batches instead of one by one through sqlx's worker channel;
//!   bind parameters too. A timed-out read is interrupted. In-memory,
//!   shared-cache, `immutable` and `vfs` URLs stay on sqlx, and so does the
//!   purchasing store (read-write: it may have to roll back a hot journal).
//!
//! `BUYERDESK_PLAIN_FETCH=1` (read once per process) keeps every read on
//! sqlx's path, for comparisons; `Source::with_plain_fetch` does the same
//! for one source.

pub mod bulk;
mod copy_text;
pub mod inventory;
pub mod oms;
pub mod supplier;
pub mod uom;

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Column, Executor, Row};

pub use bulk::FetchPath;

use crate::config::{Config, ResolvedSource, SourceKind};
use crate::plan::SourceRows;

/// Which database server a source runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    MySql,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend> {
        let scheme = url.split(':').next().unwrap_or("");
        match scheme {
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::MySql),
            "sqlite" => Ok(Backend::Sqlite),
            other => Err(anyhow!("unsupported URL scheme '{other}'")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
            Backend::Sqlite => "sqlite",
        }
    }

    /// `CAST(expr AS <text>)` in this dialect.
    pub fn as_text(self, expr: &str) -> String {
        match self {
            Backend::MySql => format!("CAST({expr} AS CHAR)"),
            _ => format!("CAST({expr} AS TEXT)"),
        }
    }

    /// The n-th (1-based) bind placeholder.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Backend::Postgres => format!("${n}"),
            _ => "?".to_string(),
        }
    }
}

/// A pool on one of the three backends.
#[derive(Clone, Debug)]
pub enum DbPool {
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
    Sqlite(sqlx::SqlitePool),
}

/// Runs `$body` with `$p` bound to the concrete pool.
macro_rules! with_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            DbPool::Postgres($p) => $body,
            DbPool::MySql($p) => $body,
            DbPool::Sqlite($p) => $body,
        }
    };
}

/// Rows as text cells, in the order the query selected them.
pub type TextRows = Vec<Vec<Option<String>>>;

/// Streams the rows of a query, handing each row's cells (text, borrowed
/// from the driver's buffer) to `f`: no per-cell allocation, no copy of the
/// whole result before it is converted.
async fn fetch_map_generic<DB, T, F>(
    pool: &sqlx::Pool<DB>,
    sql: &str,
    binds: &[String],
    mut f: F,
) -> Result<Vec<T>, sqlx::Error>
where
    DB: sqlx::Database,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    for<'r> Option<&'r str>: sqlx::Decode<'r, DB>,
    for<'q> String: sqlx::Encode<'q, DB>,
    String: sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    F: FnMut(&[Option<&str>]) -> T,
{
    use futures::TryStreamExt;
    let mut q = sqlx::query::<DB>(sql);
    for b in binds {
        q = q.bind(b.clone());
    }
    let mut rows = q.fetch(pool);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        debug_assert!(
            row.columns().len() <= MAX_COLUMNS,
            "a query selects more than {MAX_COLUMNS} columns"
        );
        let n = row.columns().len().min(MAX_COLUMNS);
        let mut cells: [Option<&str>; MAX_COLUMNS] = [None; MAX_COLUMNS];
        for (i, cell) in cells.iter_mut().enumerate().take(n) {
            *cell = row.try_get_unchecked::<Option<&str>, _>(i)?;
        }
        out.push(f(&cells[..n]));
    }
    Ok(out)
}

/// The widest row a query selects (wider rows are an error).
pub(crate) const MAX_COLUMNS: usize = 32;

/// One connected source.
#[derive(Clone)]
pub struct Source {
    pub kind: SourceKind,
    pub backend: Backend,
    pub pool: DbPool,
    pub resolved: ResolvedSource,
    query_timeout: Duration,
    /// PostgreSQL refused to hash rows as records (before version 14, or a
    /// column type without a hash): fingerprints hash their text instead.
    record_hash_refused: Arc<std::sync::atomic::AtomicBool>,
    /// PostgreSQL refused the row-version fingerprint (a foreign table,
    /// say): fingerprints hash the rows' values instead.
    row_version_refused: Arc<std::sync::atomic::AtomicBool>,
    /// The file the direct SQLite reader opens (read-only sources on an
    /// SQLite file only).
    sqlite_file: Option<Arc<bulk::SqliteFile>>,
    /// Every read through sqlx's row-by-row path.
    plain_fetch: bool,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} source ({})", self.kind, self.resolved.redacted_url)
    }
}

/// How a source is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Sources are read-only; an SQLite file must already exist.
    ReadOnly,
    /// The purchasing store and `demo` write; SQLite files are created.
    ReadWrite,
}

fn secs(v: f64) -> Duration {
    Duration::from_secs_f64(v.max(0.001))
}

impl Source {
    /// Opens the pool, within the source's connect timeout. Errors name the
    /// source and its redacted URL.
    pub async fn connect(resolved: &ResolvedSource, access: Access) -> Result<Source> {
        Source::open_pool(resolved, access, false).await
    }

    /// A pool that connects on first use: it fails only on an unusable
    /// URL, never because the server is down (the screen starts without
    /// its purchasing database and retries).
    pub async fn connect_lazy(resolved: &ResolvedSource, access: Access) -> Result<Source> {
        Source::open_pool(resolved, access, true).await
    }

    async fn open_pool(resolved: &ResolvedSource, access: Access, lazy: bool) -> Result<Source> {
        let kind = resolved.kind;
        let label = format!("{kind} source ({})", resolved.redacted_url);
        let backend = Backend::of_url(&resolved.connect_url).with_context(|| label.clone())?;
        let settings = &resolved.settings;
        let connect_timeout = secs(settings.connect_timeout_secs);
        let scrub = |e: sqlx::Error| anyhow!("{label}: {}", resolved.scrub(&e.to_string()));
        // Opens the pool now, or on first use when `lazy`.
        macro_rules! pool {
            ($options:expr, $opts:expr) => {
                if lazy {
                    $options.connect_lazy_with($opts)
                } else {
                    $options.connect_with($opts).await.map_err(scrub)?
                }
            };
        }
        let mut sqlite_file = None;
        let fut = async {
            let pool = match backend {
                Backend::Postgres => {
                    let opts = PgConnectOptions::from_str(&resolved.connect_url)
                        .map_err(scrub)?
                        .application_name("buyerdesk");
                    DbPool::Postgres(pool!(
                        PgPoolOptions::new()
                            .max_connections(settings.pool_size)
                            .acquire_timeout(connect_timeout),
                        opts
                    ))
                }
                Backend::MySql => {
                    let opts = MySqlConnectOptions::from_str(&resolved.connect_url.replacen(
                        "mariadb://",
                        "mysql://",
                        1,
                    ))
                    .map_err(scrub)?;
                    DbPool::MySql(pool!(
                        MySqlPoolOptions::new()
                            .max_connections(settings.pool_size)
                            .acquire_timeout(connect_timeout),
                        opts
                    ))
                }
                Backend::Sqlite => {
                    let mut opts = SqliteConnectOptions::from_str(&resolved.connect_url)
                        .map_err(scrub)?
                        .busy_timeout(bulk::SQLITE_BUSY_TIMEOUT);
                    if access == Access::ReadOnly {
                        sqlite_file =
                            bulk::SqliteFile::of_url(&resolved.connect_url, opts.get_filename())
                                .map(Arc::new);
                    }
                    opts = match access {
                        Access::ReadOnly => opts.read_only(true).create_if_missing(false),
                        // Rollback journal, not WAL: a read-only reader of a
                        // WAL file needs its -shm file to be writable.
                        Access::ReadWrite => opts
                            .create_if_missing(true)
                            .journal_mode(SqliteJournalMode::Delete),
                    };
                    if access == Access::ReadWrite {
                        let file = opts.get_filename().to_path_buf();
                        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                            crate::files::create_private_dir(parent).with_context(|| {
                                format!("{label}: cannot create {}", parent.display())
                            })?;
                        }
                        // A new database file is its owner's only (SQLite's
                        // journals take the database file's permissions).
                        if !file.exists() && !is_in_memory_sqlite(&file) {
                            let mut options = std::fs::OpenOptions::new();
                            options.write(true).create_new(true);
                            #[cfg(unix)]
                            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                            match options.open(&file) {
                                Ok(_) => {}
                                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                                Err(e) => {
                                    return Err(anyhow!(
                                        "{label}: cannot create {}: {e}",
                                        file.display()
                                    ))
                                }
                            }
                        }
                    }
                    DbPool::Sqlite(pool!(
                        SqlitePoolOptions::new()
                            .max_connections(settings.pool_size)
                            .acquire_timeout(connect_timeout),
                        opts
                    ))
                }
            };
            Ok::<_, anyhow::Error>(pool)
        };
        let pool = tokio::time::timeout(connect_timeout, fut)
            .await
            .map_err(|_| {
                anyhow!(
                    "{label}: no connection within {:?} (connect_timeout_secs)",
                    connect_timeout
                )
            })??;
        Ok(Source {
            record_hash_refused: Default::default(),
            row_version_refused: Default::default(),
            kind,
            backend,
            pool,
            resolved: resolved.clone(),
            query_timeout: secs(settings.query_timeout_secs),
            sqlite_file,
            plain_fetch: bulk::plain_fetch_from_env(),
        })
    }

    /// The same source, its reads kept on sqlx's row-by-row path (`plain`)
    /// or on the fast paths where they apply.
    pub fn with_plain_fetch(mut self, plain: bool) -> Source {
        self.plain_fetch = plain;
        self
    }

    /// How `fetch_map` reads this query.
    pub fn fetch_path(&self, sql: &str, binds: &[String]) -> FetchPath {
        if self.plain_fetch {
            return FetchPath::Plain;
        }
        match (&self.pool, &self.sqlite_file) {
            (DbPool::Postgres(_), _) if bulk::copy_applies(sql, binds) => FetchPath::Copy,
            (DbPool::Sqlite(_), Some(_)) => FetchPath::SqliteDirect,
            _ => FetchPath::Plain,
        }
    }

    pub fn label(&self) -> String {
        format!("{} source ({})", self.kind, self.resolved.redacted_url)
    }

    fn err(&self, e: impl std::fmt::Display) -> anyhow::Error {
        anyhow!("{}: {}", self.label(), self.resolved.scrub(&e.to_string()))
    }

    /// Runs a query returning text cells, within the query timeout.
    pub async fn fetch_text(&self, sql: &str, binds: &[String]) -> Result<TextRows> {
        self.fetch_map(sql, binds, |row| {
            row.iter().map(|c| c.map(str::to_string)).collect()
        })
        .await
    }

    /// Runs a query and converts each row with `f` as it streams in,
    /// within the query timeout.
    pub async fn fetch_map<T, F>(&self, sql: &str, binds: &[String], f: F) -> Result<Vec<T>>
    where
        F: FnMut(&[Option<&str>]) -> T,
    {
        match (self.fetch_path(sql, binds), &self.pool, &self.sqlite_file) {
            (FetchPath::Copy, DbPool::Postgres(p), _) => {
                self.timed(bulk::fetch_map_copy(p, sql, f)).await
            }
            (FetchPath::SqliteDirect, _, Some(file)) => {
                self.timed(bulk::fetch_map_sqlite(file, sql, binds, f))
                    .await
            }
            _ => {
                self.timed(async {
                    with_pool!(&self.pool, p => fetch_map_generic(p, sql, binds, f).await)
                })
                .await
            }
        }
    }

    /// A summary of the rows that `sql` (a SELECT as text of `columns`
    /// from `shape`, no binds) returns, computed by the database without
    /// sending them, so that a refresh skips reading and planning a source
    /// that did not change. `None` on SQLite, which has no hash function to
    /// do it with.
    ///
    /// On a PostgreSQL table it is the rows' versions: how many rows, and
    /// the sum of a 64-bit hash of each row's `xmin` (the transaction that
    /// wrote that version of the row). Every insert, update or delete
    /// leaves rows with a new `xmin`, the same on a replica as on the
    /// primary, so a change goes unseen only when the hashes happen to sum
    /// to the same (about 1 in 2^64). An update that writes the same values
    /// is seen as a change too: the source is read once more, nothing else.
    /// It reads no column, which makes it 3 - 4 times cheaper than hashing
    /// the rows' values (docs/BENCHMARKS.md).
    ///
    /// Elsewhere (a configured query or view, a foreign table, PostgreSQL
    /// that refuses the version, MySQL/MariaDB), it is the rows' values:
    /// how many, and the sum of a 64-bit hash of each row. The same summary
    /// means the same rows, to the same odds.
    pub async fn fingerprint(
        &self,
        shape: &TableShape,
        sql: &str,
        columns: &[&str],
    ) -> Result<Option<String>> {
        use std::sync::atomic::Ordering;
        let from = shape.from.as_str();
        let first = |rows: TextRows| {
            rows.into_iter()
                .next()
                .and_then(|r| r.into_iter().next().flatten())
        };
        // How many rows, and the sum of a 64-bit hash of each.
        let pg_summary = |hash: &str, from: &str| {
            format!(
                "SELECT CAST(COUNT(*) AS TEXT) || ':' || \
                 CAST(COALESCE(SUM({hash}), 0) AS TEXT) FROM {from}"
            )
        };
        if self.backend == Backend::Postgres {
            // Tried in this order, each until PostgreSQL refuses it.
            let attempts = [
                (
                    shape.is_table(),
                    &self.row_version_refused,
                    "version",
                    // age(xmin) is the transaction's distance from the
                    // newest one, which moves between two fingerprints;
                    // less the distance of the first normal transaction id
                    // (3), it is the row's own (modulo 2^32: far apart, it
                    // shifts, and the source is read once more).
                    "hashint8extended(CAST(age(xmin) AS BIGINT) \
                     - CAST(age(CAST('3' AS xid)) AS BIGINT), 0)"
                        .to_string(),
                ),
                (
                    true,
                    &self.record_hash_refused,
                    // PostgreSQL 14+ hashes the columns as they are stored,
                    // which costs half of writing them as text (numbers
                    // especially).
                    "record",
                    format!("hash_record_extended(ROW({}), 0)", columns.join(", ")),
                ),
            ];
            for (applies, refused, label, hash) in attempts {
                if !applies || refused.load(Ordering::Relaxed) {
                    continue;
                }
                match self.fetch_text(&pg_summary(&hash, from), &[]).await {
                    Ok(rows) => return Ok(first(rows).map(|f| format!("{label} {f}"))),
                    Err(e) => {
                        tracing::info!(
                            "fingerprints: no {label} hash here, trying the next: {e:#}"
                        );
                        refused.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
        // The cells joined by a separator, NULL as a marker of its own
        // (CONCAT_WS skips NULLs); the selects cast every cell to text.
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match self.backend {
                Backend::MySql => format!("IFNULL(q.{c}, CHAR(30))"),
                _ => format!("COALESCE(q.{c}, CHR(30))"),
            })
            .collect();
        let cells = cells.join(", ");
        let query = match self.backend {
            Backend::Sqlite => return Ok(None),
            Backend::Postgres => pg_summary(
                &format!("hashtextextended(CONCAT_WS(CHR(31), {cells}), 0)"),
                &format!("({sql}) AS q"),
            ),
            Backend::MySql => format!(
                "SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(CAST(CONV(LEFT(MD5(\
                 CONCAT_WS(CHAR(31), {cells})), 16), 16, 10) AS UNSIGNED)), 0)) \
                 FROM ({sql}) AS q"
            ),
        };
        match self.fetch_text(&query, &[]).await {
            Ok(rows) => Ok(first(rows)),
            Err(e) => {
                // Not the row versions or the record hash then, but the
                // source: try them again.
                self.row_version_refused.store(false, Ordering::Relaxed);
                self.record_hash_refused.store(false, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Runs a statement without results (DDL, inserts without binds).
    pub async fn execute(&self, sql: &str) -> Result<()> {
        self.timed(async { with_pool!(&self.pool, p => p.execute(sql).await.map(|_| ())) })
            .await
    }

    /// Runs a database call within the query timeout; errors name the
    /// source and never show its password.
    async fn timed<T, E: std::fmt::Display>(
        &self,
        call: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.query_timeout, call).await {
            Ok(result) => result.map_err(|e| self.err(e)),
            Err(_) => Err(self.err(format!(
                "query timed out after {:?} (query_timeout_secs)",
                self.query_timeout
            ))),
        }
    }

    /// Lower-cased column names of a table; empty when it does not exist.
    pub async fn table_columns(&self, table: &str) -> Result<BTreeSet<String>> {
        let sql = match self.backend {
            Backend::Postgres => "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
            Backend::MySql => "SELECT CAST(column_name AS CHAR) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?",
            Backend::Sqlite => "SELECT name FROM pragma_table_info(?)",
        };
        let rows = self.fetch_text(sql, &[table.to_string()]).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .map(|c| c.to_ascii_lowercase())
            .collect())
    }

    /// Column names a configured query returns.
    pub async fn query_columns(&self, sql: &str) -> Result<BTreeSet<String>> {
        let described = with_pool!(&self.pool, p => p.describe(sql).await.map(|d| d.columns().iter().map(|c| c.name().to_ascii_lowercase()).collect::<BTreeSet<_>>()));
        described.map_err(|e| self.err(format!("the configured query fails: {e}")))
    }

    /// Server version and round-trip time of a trivial query.
    pub async fn ping(&self) -> Result<(String, Duration)> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT sqlite_version()",
            _ => "SELECT version()",
        };
        let start = Instant::now();
        let rows = self.fetch_text(sql, &[]).await?;
        let rtt = start.elapsed();
        let version = rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .unwrap_or_default();
        Ok((version, rtt))
    }

    pub async fn count_rows(&self, table: &str) -> Result<u64> {
        let rows = self
            .fetch_text(
                &format!("SELECT {} FROM {table}", self.backend.as_text("COUNT(*)")),
                &[],
            )
            .await?;
        rows.first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.err(format!("cannot count rows of {table}")))
    }

    pub async fn close(&self) {
        with_pool!(&self.pool, p => p.close().await)
    }
}

async fn execute_all_generic<DB>(
    pool: &sqlx::Pool<DB>,
    statements: Vec<(String, Vec<Option<String>>)>,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB>,
    Option<String>: sqlx::Type<DB>,
{
    let mut tx = pool.begin().await?;
    for (sql, binds) in &statements {
        let mut q = sqlx::query::<DB>(sql);
        for b in binds {
            q = q.bind(b.clone());
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Runs several statements with text parameters in one transaction: all of
/// them take effect, or none.
pub async fn with_pool_write_all(
    source: &Source,
    statements: Vec<(String, Vec<Option<String>>)>,
) -> Result<()> {
    source
        .timed(async { with_pool!(&source.pool, p => execute_all_generic(p, statements).await) })
        .await
}

/// Runs one statement with text parameters (NULL for `None`).
pub async fn with_pool_write(source: &Source, sql: &str, binds: Vec<Option<String>>) -> Result<()> {
    with_pool_write_all(source, vec![(sql.to_string(), binds)]).await
}

/// What a source's table (or configured query) provides.
#[derive(Debug, Clone)]
pub struct TableShape {
    pub table: &'static str,
    /// The columns found, lower-cased.
    pub present: BTreeSet<String>,
    pub optional_missing: Vec<&'static str>,
    pub optional_found: Vec<&'static str>,
    /// FROM clause: the table, or the configured query wrapped.
    pub from: String,
}

impl TableShape {
    pub fn has(&self, column: &str) -> bool {
        self.present.contains(column)
    }

    /// Whether the rows come straight from the table (no configured query).
    pub fn is_table(&self) -> bool {
        self.from == self.table
    }
}

/// Detects the columns of a source's table (or its configured query) and
/// checks the required ones are there.
pub async fn detect(
    source: &Source,
    table: &'static str,
    required: &[&'static str],
    optional: &[&'static str],
    query: Option<&str>,
) -> Result<TableShape> {
    let (present, from, what) = match query {
        Some(q) => (
            source.query_columns(q).await?,
            format!("({q}) AS src"),
            "the configured query".to_string(),
        ),
        None => (
            source.table_columns(table).await?,
            table.to_string(),
            format!("table {table}"),
        ),
    };
    if present.is_empty() {
        return Err(source.err(format!("{what} does not exist (or has no columns)")));
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !present.contains(*c))
        .collect();
    if !missing.is_empty() {
        return Err(source.err(format!(
            "{what} lacks required column(s) {}",
            missing.join(", ")
        )));
    }
    Ok(TableShape {
        table,
        optional_found: optional
            .iter()
            .copied()
            .filter(|c| present.contains(*c))
            .collect(),
        optional_missing: optional
            .iter()
            .copied()
            .filter(|c| !present.contains(*c))
            .collect(),
        present,
        from,
    })
}

/// SELECT of the given columns as text from a shape, with an optional
/// product filter (bound parameters, never interpolated values).
pub fn select_text(
    backend: Backend,
    shape: &TableShape,
    columns: &[&str],
    filter: Option<&[String]>,
) -> String {
    let cols: Vec<String> = columns
        .iter()
        .map(|c| format!("{} AS {c}", backend.as_text(c)))
        .collect();
    let mut sql = format!("SELECT {} FROM {}", cols.join(", "), shape.from);
    if let Some(ids) = filter {
        sql.push_str(&id_filter(backend, ids.len()));
    }
    sql
}

/// ` WHERE` the trimmed product id is one of `n` bound parameters.
pub fn id_filter(backend: Backend, n: usize) -> String {
    let ph: Vec<String> = (1..=n).map(|n| backend.placeholder(n)).collect();
    format!(
        " WHERE TRIM({}) IN ({})",
        backend.as_text("product_id"),
        ph.join(", ")
    )
}

/// The four sources, connected, with their detected shapes.
#[derive(Debug, Clone)]
pub struct Sources {
    pub oms: oms::OmsSource,
    pub inventory: inventory::InventorySource,
    pub supplier: supplier::SupplierSource,
    pub uom: uom::UomSource,
}

/// Connects one source and detects its shape.
pub async fn connect_source(config: &Config, kind: SourceKind) -> Result<Source> {
    let resolved = config.resolve(kind).map_err(|e| anyhow!(e))?;
    // The embedded demo's databases are made at startup
    // (`demo::ensure_embedded_if_used`), never here.
    Source::connect(&resolved, Access::ReadOnly).await
}

impl Sources {
    /// Connects all four sources concurrently.
    pub async fn connect(config: &Config) -> Result<Sources> {
        let (o, i, s, u) = tokio::try_join!(
            async {
                oms::OmsSource::open(connect_source(config, SourceKind::Oms).await?, config).await
            },
            async {
                inventory::InventorySource::open(
                    connect_source(config, SourceKind::Inventory).await?,
                )
                .await
            },
            async {
                supplier::SupplierSource::open(connect_source(config, SourceKind::Supplier).await?)
                    .await
            },
            async { uom::UomSource::open(connect_source(config, SourceKind::Uom).await?).await },
        )?;
        Ok(Sources {
            oms: o,
            inventory: i,
            supplier: s,
            uom: u,
        })
    }

    /// Loads all products (or only `filter`) from the four sources
    /// concurrently: one query each, plus the history aggregate when
    /// `with_history` (the rules read the history statistics).
    pub async fn load(&self, filter: Option<&[String]>, with_history: bool) -> Result<SourceRows> {
        let history = async {
            if with_history {
                self.oms.load_history(filter).await
            } else {
                Ok(None)
            }
        };
        let (oms, history, inventory, suppliers, uom) = tokio::try_join!(
            self.oms.load(filter),
            history,
            self.inventory.load(filter),
            self.supplier.load(filter),
            self.uom.load(filter),
        )?;
        Ok(SourceRows {
            oms,
            history,
            inventory,
            suppliers,
            uom,
        })
    }

    pub async fn close(&self) {
        tokio::join!(
            self.oms.source.close(),
            self.inventory.source.close(),
            self.supplier.source.close(),
            self.uom.source.close()
        );
    }
}

/// Reads cell `i` of a row.
pub(crate) fn cell<'a>(row: &[Option<&'a str>], i: usize) -> Option<&'a str> {
    row.get(i).copied().flatten()
}

/// A product id as stored, trimmed (ids are compared exactly, never
/// case-folded); the join shares one copy with all the product's rows.
pub(crate) fn product_id(row: &[Option<&str>]) -> std::sync::Arc<str> {
    cell(row, 0).unwrap_or("").trim().into()
}

/// Index of each selected column, for readers.
pub(crate) struct Columns<'a>(pub Vec<&'a str>);

impl Columns<'_> {
    pub fn index(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|c| *c == name)
    }
}

/// A transaction on the purchasing store. SQLite transactions take the
/// write lock at once (`BEGIN IMMEDIATE`), so two processes never both read
/// and then fail to upgrade. Every call runs within the source's query
/// timeout and its errors name the source (password scrubbed). Dropped
/// without `commit`, it rolls back.
pub struct Tx {
    inner: TxInner,
    /// Its source: the query timeout, and the name its errors give.
    source: Source,
}

enum TxInner {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

/// Runs `$body` with `$t` bound to the concrete transaction.
macro_rules! with_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            TxInner::Postgres($t) => $body,
            TxInner::MySql($t) => $body,
            TxInner::Sqlite($t) => $body,
        }
    };
}

impl Source {
    /// Begins a transaction (see `Tx`).
    pub async fn begin(&self) -> Result<Tx> {
        let inner = self
            .timed(async {
                Ok::<_, sqlx::Error>(match &self.pool {
                    DbPool::Postgres(p) => TxInner::Postgres(p.begin().await?),
                    DbPool::MySql(p) => TxInner::MySql(p.begin().await?),
                    DbPool::Sqlite(p) => TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
                })
            })
            .await?;
        Ok(Tx {
            inner,
            source: self.clone(),
        })
    }
}

/// An SQLite "file name" that is no file: `:memory:`, what sqlx turns
/// `sqlite::memory:` into (`file:sqlx-in-memory-N`, opened as a URI), or
/// a URI asking for memory (`mode=memory`).
pub(crate) fn is_in_memory_sqlite(file: &std::path::Path) -> bool {
    let name = file.to_string_lossy();
    name == ":memory:"
        || name.starts_with("file:sqlx-in-memory-")
        || (name.starts_with("file:") && name.contains("mode=memory"))
}

impl Tx {
    /// Runs a statement with text parameters (NULL for `None`); the number
    /// of rows it changed.
    pub async fn exec(&mut self, sql: &str, binds: &[Option<String>]) -> Result<u64> {
        let Tx { inner, source } = self;
        source
            .timed(async {
                with_tx!(inner, t => {
                    let mut q = sqlx::query(sql);
                    for b in binds {
                        q = q.bind(b.clone());
                    }
                    q.execute(&mut **t).await.map(|r| r.rows_affected())
                })
            })
            .await
    }

    /// Runs a query; its cells as text (the query casts what is not text).
    pub async fn fetch(&mut self, sql: &str, binds: &[Option<String>]) -> Result<TextRows> {
        let Tx { inner, source } = self;
        source
            .timed(async {
                with_tx!(inner, t => {
                    let mut q = sqlx::query(sql);
                    for b in binds {
                        q = q.bind(b.clone());
                    }
                    let rows = q.fetch_all(&mut **t).await?;
                    let mut out = Vec::with_capacity(rows.len());
                    for row in rows {
                        let mut cells = Vec::with_capacity(row.columns().len());
                        for i in 0..row.columns().len() {
                            cells.push(row.try_get_unchecked::<Option<String>, _>(i)?);
                        }
                        out.push(cells);
                    }
                    Ok::<_, sqlx::Error>(out)
                })
            })
            .await
    }

    /// Inserts one row into a table whose key is generated, and returns the
    /// key: `sql` is an INSERT without RETURNING; `RETURNING id` is added on
    /// PostgreSQL and SQLite, MySQL's LAST_INSERT_ID is read.
    pub async fn insert_id(&mut self, sql: &str, binds: &[Option<String>]) -> Result<i64> {
        let is_mysql = matches!(self.inner, TxInner::MySql(_));
        if is_mysql {
            let Tx { inner, source } = self;
            let TxInner::MySql(t) = inner else {
                unreachable!()
            };
            return source
                .timed(async {
                    let mut q = sqlx::query(sql);
                    for b in binds {
                        q = q.bind(b.clone());
                    }
                    q.execute(&mut **t).await.map(|r| r.last_insert_id() as i64)
                })
                .await;
        }
        let rows = self
            .fetch(&format!("{sql} RETURNING CAST(id AS TEXT)"), binds)
            .await?;
        let id = rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|v| v.parse().ok());
        id.ok_or_else(|| self.source.err("the insert returned no id"))
    }

    pub async fn commit(self) -> Result<()> {
        let Tx { inner, source } = self;
        source
            .timed(async { with_tx!(inner, t => t.commit().await) })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::is_in_memory_sqlite;
    use sqlx::sqlite::SqliteConnectOptions;
    use std::str::FromStr;

    /// The name sqlx gives an in-memory database is no file to create
    /// (it once left an empty `file:sqlx-in-memory-N` in the working
    /// folder); a real path is.
    #[test]
    fn in_memory_sqlite_is_not_taken_for_a_file() {
        for url in ["sqlite::memory:", "sqlite://:memory:"] {
            let opts = SqliteConnectOptions::from_str(url).unwrap();
            assert!(
                is_in_memory_sqlite(opts.get_filename()),
                "{url}: {}",
                opts.get_filename().display()
            );
        }
        assert!(is_in_memory_sqlite(std::path::Path::new(
            "file:plans?mode=memory&cache=shared"
        )));
        for url in ["sqlite://purchasing.sqlite", "sqlite:///tmp/x/memory.db"] {
            let opts = SqliteConnectOptions::from_str(url).unwrap();
            assert!(!is_in_memory_sqlite(opts.get_filename()), "{url}");
        }
    }
}

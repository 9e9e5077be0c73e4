//! The fast paths of `Source::fetch_map` (see the module comment of
//! `sources`): PostgreSQL queries without parameters read as
//! `COPY (...) TO STDOUT` text, and SQLite files read through rusqlite on a
//! blocking thread. Both hand the same cells to the same closure as the
//! sqlx path, within the same timeout.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::Postgres;

use super::copy_text::CopyTextReader;
use super::MAX_COLUMNS;

/// The variable that turns the fast paths off (`1`), read once.
pub const PLAIN_FETCH_ENV: &str = "BUYERDESK_PLAIN_FETCH";

/// Whether `BUYERDESK_PLAIN_FETCH=1` asks for sqlx's row-by-row path
/// everywhere.
pub fn plain_fetch_from_env() -> bool {
    static PLAIN: OnceLock<bool> = OnceLock::new();
    *PLAIN.get_or_init(|| std::env::var(PLAIN_FETCH_ENV).is_ok_and(|v| v.trim() == "1"))
}

/// How `fetch_map` reads a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchPath {
    /// sqlx, a row at a time.
    Plain,
    /// PostgreSQL `COPY (query) TO STDOUT`, text format.
    Copy,
    /// rusqlite on a blocking thread, rows handed over in batches.
    SqliteDirect,
}

/// Whether a PostgreSQL statement can be wrapped in `COPY (...) TO STDOUT`:
/// one SELECT (buyerdesk's own generated queries), no parameters.
pub(super) fn copy_applies(sql: &str, binds: &[String]) -> bool {
    let head = sql.trim_start().as_bytes();
    binds.is_empty()
        && head.len() > 6
        && head[..6].eq_ignore_ascii_case(b"select")
        && head[6].is_ascii_whitespace()
        && !sql.contains(';')
}

/// A pool connection that is dropped (its socket closed at once, the pool
/// free to open a replacement) instead of going back to the pool unless
/// the COPY was read to its end: a COPY stopped half-way (timeout, error,
/// cut) leaves the connection in the middle of the copy, and a graceful
/// close would wait for the server to finish the query.
struct CloseUnlessClean {
    conn: Option<PoolConnection<Postgres>>,
}

impl CloseUnlessClean {
    fn conn(&mut self) -> &mut PoolConnection<Postgres> {
        self.conn
            .as_mut()
            .expect("the connection is there until dropped")
    }

    /// Read to the end: the connection goes back to the pool.
    fn clean(mut self) {
        drop(self.conn.take());
    }
}

impl Drop for CloseUnlessClean {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}

/// Streams `COPY (sql) TO STDOUT` and hands each row's cells to `f`, chunk
/// by chunk (PostgreSQL sends a message per row; a row split across
/// chunks is read whole all the same). A stream that ends inside a row is
/// an error.
pub(super) async fn fetch_map_copy<T, F>(
    pool: &sqlx::PgPool,
    sql: &str,
    mut f: F,
) -> Result<Vec<T>, sqlx::Error>
where
    F: FnMut(&[Option<&str>]) -> T,
{
    use futures::TryStreamExt;
    let mut guard = CloseUnlessClean {
        conn: Some(pool.acquire().await?),
    };
    let statement = format!("COPY ({sql}) TO STDOUT");
    let mut out = Vec::new();
    {
        let mut chunks = guard.conn().copy_out_raw(&statement).await?;
        let mut reader = CopyTextReader::default();
        while let Some(chunk) = chunks.try_next().await? {
            reader
                .feed(&chunk, &mut |cells| out.push(f(cells)))
                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        }
        reader
            .finish()
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    }
    guard.clean();
    Ok(out)
}

/// The busy timeout of SQLite connections, sqlx's pool and the direct
/// reader alike (sqlx's default).
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An SQLite database file the direct reader opens (read-only).
#[derive(Debug)]
pub struct SqliteFile {
    /// The file name as sqlx opens it (percent-decoded from the URL).
    path: PathBuf,
}

impl SqliteFile {
    /// The file of a read-only source's URL, or None where the URL stays on
    /// sqlx: in-memory databases, shared cache, and any option the direct
    /// reader does not open the same way (`immutable`, `vfs`).
    pub(super) fn of_url(url: &str, filename: &std::path::Path) -> Option<SqliteFile> {
        let rest = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
        if database.is_empty() || database == ":memory:" {
            return None;
        }
        for (key, value) in url::form_urlencoded::parse(params.as_bytes()) {
            match (&*key, &*value) {
                ("mode", "ro" | "rw" | "rwc") | ("cache", "private") => {}
                _ => return None,
            }
        }
        Some(SqliteFile {
            path: filename.to_path_buf(),
        })
    }
}

/// Rows read by the blocking thread, handed over together: their cells'
/// text one after the other and where each cell is.
struct Batch {
    width: usize,
    rows: usize,
    text: String,
    cells: Vec<Option<(usize, usize)>>,
}

/// Text handed over per batch (a batch ends after the row that passes it).
const BATCH_BYTES: usize = 64 * 1024;
/// Rows handed over per batch, at most.
const BATCH_ROWS: usize = 1024;

impl Batch {
    fn new(width: usize) -> Batch {
        Batch {
            width,
            rows: 0,
            text: String::with_capacity(BATCH_BYTES + 1024),
            cells: Vec::with_capacity(BATCH_ROWS * width),
        }
    }

    fn full(&self) -> bool {
        self.text.len() >= BATCH_BYTES || self.rows >= BATCH_ROWS
    }
}

/// Stops the blocking reader when the reading future is dropped before the
/// end (the query timeout): the reader registers its connection's
/// interrupt handle here, and finds `cancelled` set if it comes too late.
#[derive(Default)]
struct Cancel {
    state: Mutex<(bool, Option<rusqlite::InterruptHandle>)>,
}

impl Cancel {
    /// False when the read was already given up.
    fn register(&self, handle: rusqlite::InterruptHandle) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 {
            return false;
        }
        state.1 = Some(handle);
        true
    }

    fn cancel(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = true;
        if let Some(handle) = &state.1 {
            handle.interrupt();
        }
    }
}

struct CancelOnDrop {
    cancel: Arc<Cancel>,
    done: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.done {
            self.cancel.cancel();
        }
    }
}

/// An error of the direct SQLite reader, worded as sqlx words the same
/// error (`error returned from database: (code: N) message`).
#[derive(Debug)]
pub struct SqliteReadError(String);

impl std::fmt::Display for SqliteReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for SqliteReadError {
    fn from(e: rusqlite::Error) -> SqliteReadError {
        SqliteReadError(match &e {
            rusqlite::Error::SqliteFailure(code, message) => format!(
                "error returned from database: (code: {}) {}",
                code.extended_code,
                message.clone().unwrap_or_else(|| code.to_string())
            ),
            other => other.to_string(),
        })
    }
}

/// Reads a query from an SQLite file on a blocking thread (rusqlite, the
/// connection read-only, sqlx's busy timeout) and hands each row's cells to
/// `f` here, as batches of rows arrive. Dropped before the end (the query
/// timeout), it interrupts the statement.
pub(super) async fn fetch_map_sqlite<T, F>(
    file: &Arc<SqliteFile>,
    sql: &str,
    binds: &[String],
    mut f: F,
) -> Result<Vec<T>, SqliteReadError>
where
    F: FnMut(&[Option<&str>]) -> T,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(4);
    let cancel = Arc::new(Cancel::default());
    let mut guard = CancelOnDrop {
        cancel: cancel.clone(),
        done: false,
    };
    let reader = {
        let (file, sql, binds) = (file.clone(), sql.to_string(), binds.to_vec());
        tokio::task::spawn_blocking(move || read_sqlite(&file, &sql, &binds, &tx, &cancel))
    };
    let mut out = Vec::new();
    while let Some(batch) = rx.recv().await {
        let w = batch.width;
        let mut cells: [Option<&str>; MAX_COLUMNS] = [None; MAX_COLUMNS];
        for r in 0..batch.rows {
            for (cell, at) in cells.iter_mut().zip(&batch.cells[r * w..(r + 1) * w]) {
                *cell = at.map(|(a, b)| &batch.text[a..b]);
            }
            out.push(f(&cells[..w]));
        }
    }
    let read = reader
        .await
        .map_err(|e| SqliteReadError(format!("the SQLite reader stopped: {e}")))?;
    guard.done = true;
    read?;
    Ok(out)
}

/// The text of a value as sqlx's SQLite decoding gives it: text and blobs
/// as their bytes (UTF-8 or an error), integers and reals as SQLite itself
/// writes them (`CAST(x AS TEXT)`).
fn push_text(
    value: rusqlite::types::ValueRef<'_>,
    column: usize,
    out: &mut String,
) -> Result<Option<(usize, usize)>, SqliteReadError> {
    use rusqlite::types::ValueRef;
    use std::fmt::Write;
    let start = out.len();
    match value {
        ValueRef::Null => return Ok(None),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                SqliteReadError(format!(
                    "error occurred while decoding column {column}: {e}"
                ))
            })?;
            out.push_str(text);
        }
        ValueRef::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        ValueRef::Real(x) => push_sqlite_real(x, out),
    }
    Ok(Some((start, out.len())))
}

/// A REAL as SQLite renders it (`%!.15g`, sqlite3.c vdbeMemRenderNum).
fn push_sqlite_real(x: f64, out: &mut String) {
    let mut buf = [0u8; 48];
    // SAFETY: sqlite3_snprintf writes at most `buf.len()` bytes including
    // the NUL terminator, and the format reads exactly one double.
    unsafe {
        rusqlite::ffi::sqlite3_snprintf(
            buf.len() as std::os::raw::c_int,
            buf.as_mut_ptr().cast(),
            c"%!.15g".as_ptr(),
            x,
        );
    }
    let len = buf.iter().position(|b| *b == 0).unwrap_or(0);
    out.push_str(std::str::from_utf8(&buf[..len]).unwrap_or_default());
}

/// The blocking side of `fetch_map_sqlite`. Ends early, without error,
/// when nobody waits for its rows any more.
fn read_sqlite(
    file: &SqliteFile,
    sql: &str,
    binds: &[String],
    tx: &tokio::sync::mpsc::Sender<Batch>,
    cancel: &Cancel,
) -> Result<(), SqliteReadError> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        &file.path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_PRIVATE_CACHE,
    )?;
    conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
    if !cancel.register(conn.get_interrupt_handle()) {
        return Ok(());
    }
    let mut statement = conn.prepare(sql)?;
    let width = statement.column_count();
    if width > MAX_COLUMNS {
        return Err(SqliteReadError(format!(
            "a query selects more than {MAX_COLUMNS} columns"
        )));
    }
    let mut rows = statement.query(rusqlite::params_from_iter(binds))?;
    let mut batch = Batch::new(width);
    while let Some(row) = rows.next()? {
        for column in 0..width {
            let cell = push_text(row.get_ref(column)?, column, &mut batch.text)?;
            batch.cells.push(cell);
        }
        batch.rows += 1;
        if batch.full() {
            let full = std::mem::replace(&mut batch, Batch::new(width));
            if tx.blocking_send(full).is_err() {
                return Ok(());
            }
        }
    }
    if batch.rows > 0 {
        let _ = tx.blocking_send(batch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_sqlite_files_are_read_directly() {
        let file = |url: &str| SqliteFile::of_url(url, std::path::Path::new("x.sqlite")).is_some();
        assert!(file("sqlite:///tmp/a.sqlite"));
        assert!(file("sqlite://a.sqlite?mode=ro"));
        assert!(file("sqlite:a.sqlite?mode=rwc&cache=private"));
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite://a.sqlite?mode=memory",
            "sqlite://a.sqlite?cache=shared",
            "sqlite://a.sqlite?immutable=1",
            "sqlite://a.sqlite?vfs=unix-none",
        ] {
            assert!(!file(url), "{url} stays on sqlx");
        }
    }

    #[test]
    fn copy_only_wraps_a_select_without_parameters() {
        assert!(copy_applies("SELECT CAST(a AS TEXT) FROM t", &[]));
        assert!(copy_applies("  select\n a from t", &[]));
        assert!(!copy_applies("SELECT a FROM t WHERE b = $1", &["x".into()]));
        assert!(!copy_applies("SELECT 1; SELECT 2", &[]));
        assert!(!copy_applies("INSERT INTO t VALUES (1) RETURNING a", &[]));
        assert!(!copy_applies("WITH x AS (SELECT 1) SELECT * FROM x", &[]));
        assert!(!copy_applies("SELECTa FROM t", &[]));
    }

    #[test]
    fn reals_are_written_as_sqlite_writes_them() {
        for (x, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e300, "1.0e+300"),
            (2.5e-7, "2.5e-07"),
            (123456789012345.0, "123456789012345.0"),
            (1.0 / 3.0, "0.333333333333333"),
        ] {
            let mut out = String::new();
            push_sqlite_real(x, &mut out);
            assert_eq!(out, want, "{x:e}");
        }
    }
}

//! The purchasing database's identity, and the workstation's memory of the
//! purchasing databases it has used.
//!
//! The identity is a random name created once, in the database itself
//! (`buyerdesk_identity`, one row). Every PO's send key carries it
//! (`PO-000001-7QK2M9XA3B`): two purchasing databases both reach
//! PO-000001, and the supplier must never take their two orders as one.
//!
//! The memory (`purchasing-databases.json` in the data directory) is what
//! lets a workstation notice that the database it used is gone: an SQLite
//! file deleted, a server database emptied or replaced. Such a database is
//! refused instead of silently created anew, since a new one starts its
//! numbering again and forgets the POs sent. `buyerdesk --init` starts a
//! new one on purpose.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::config::ResolvedSource;
use crate::sources::Backend;

/// Crockford's base 32: digits and upper-case letters without I, L, O
/// and U (none can be misread as another).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters of an identity: 50 bits, no two databases alike in practice.
pub const IDENTITY_LEN: usize = 10;

/// A new random identity (`7QK2M9XA3B`).
pub fn new_identity() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..IDENTITY_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The send key of the PO numbered `po_number` in the database `identity`.
pub fn send_key(po_number: &str, identity: &str) -> String {
    format!("{po_number}-{identity}")
}

/// The purchasing database's identity, as stored in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub identity: String,
    pub created_at: String,
    pub created_by: String,
}

/// Where a purchasing database is, without any user or password: the
/// canonical path of an SQLite file, `backend://host:port/database` on a
/// server. `None` for an in-memory SQLite database (nothing to remember).
pub fn location(resolved: &ResolvedSource) -> Option<String> {
    location_of_url(&resolved.connect_url)
}

fn location_of_url(url: &str) -> Option<String> {
    match Backend::of_url(url).ok()? {
        Backend::Sqlite => sqlite_file(url).map(|p| canonical(&p).display().to_string()),
        backend => {
            let u = url::Url::parse(url).ok()?;
            let port = u.port().unwrap_or(match backend {
                Backend::Postgres => 5432,
                _ => 3306,
            });
            let host = u.host_str().unwrap_or("localhost");
            let database = u.path().trim_start_matches('/');
            Some(format!("{}://{host}:{port}/{database}", backend.name()))
        }
    }
}

/// The file an SQLite URL names (`None`: in memory, or not SQLite).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    use std::str::FromStr;
    if Backend::of_url(url).ok()? != Backend::Sqlite {
        return None;
    }
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let file = opts.get_filename().to_path_buf();
    (!crate::sources::is_in_memory_sqlite(&file)).then_some(file)
}

/// The canonical form of a path whose file may be gone: its folder
/// canonical, its name as written.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let parent = parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    match (parent.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// One purchasing database this workstation has used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remembered {
    pub location: String,
    pub identity: String,
    /// When this workstation first used it under that identity.
    pub since: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Memory {
    databases: Vec<Remembered>,
}

/// The file holding the workstation's memory.
pub fn memory_path(data_dir: &Path) -> PathBuf {
    data_dir.join("purchasing-databases.json")
}

fn read_memory(data_dir: &Path) -> Result<Memory> {
    let path = memory_path(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: unreadable (it lists the purchasing databases this workstation has used; \
                 repair it or move it away)",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Memory::default()),
        Err(e) => Err(e).with_context(|| format!("{}: cannot read", path.display())),
    }
}

/// What this workstation remembers of the database at `location`.
pub fn remembered(data_dir: &Path, location: &str) -> Result<Option<Remembered>> {
    Ok(read_memory(data_dir)?
        .databases
        .into_iter()
        .find(|r| r.location == location))
}

/// Remembers that the database at `location` holds `identity` (read
/// again just before writing, so another process's entries stay; the file
/// is replaced atomically).
pub fn remember(data_dir: &Path, location: &str, identity: &str) -> Result<()> {
    let mut memory = read_memory(data_dir)?;
    if memory
        .databases
        .iter()
        .any(|r| r.location == location && r.identity == identity)
    {
        return Ok(());
    }
    memory.databases.retain(|r| r.location != location);
    memory.databases.push(Remembered {
        location: location.to_string(),
        identity: identity.to_string(),
        since: super::now(),
    });
    let mut bytes = serde_json::to_vec_pretty(&memory).context("the memory serializes")?;
    bytes.push(b'\n');
    crate::files::write_atomically(&memory_path(data_dir), &bytes)
}

/// What became of a purchasing database this workstation has used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// The SQLite file is not there.
    Missing,
    /// The database holds no buyerdesk tables.
    Empty,
    /// It holds another identity.
    Replaced,
}

/// A purchasing database refused because it is not the one this
/// workstation used at that location (`Gone`).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.message())]
pub struct Refused {
    pub gone: Gone,
    pub location: String,
    pub remembered: Remembered,
    /// The identity found instead (`Gone::Replaced`).
    pub found: Option<String>,
}

impl Refused {
    fn message(&self) -> String {
        let p = crate::text::printable;
        let what = match self.gone {
            Gone::Missing => "is gone (the file does not exist)".to_string(),
            Gone::Empty => "is empty (it holds no buyerdesk tables)".to_string(),
            Gone::Replaced => format!(
                "holds another purchasing database (identity {})",
                p(self.found.as_deref().unwrap_or("?"))
            ),
        };
        format!(
            "the purchasing database at {} {what}; this workstation has used it as identity {} since {}. \
             It is not created anew by itself: a new one would number its POs from PO-000001 again and \
             forget the orders sent. Restore it from a backup, or start a new one on purpose with \
             `buyerdesk --init`",
            p(&self.location),
            p(&self.remembered.identity),
            p(&self.remembered.since),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_ten_unambiguous_characters() {
        let a = new_identity();
        assert_eq!(a.len(), IDENTITY_LEN, "{a}");
        assert!(
            a.bytes()
                .all(|c| ALPHABET.contains(&c) && !b"ILOU".contains(&c)),
            "{a}"
        );
        assert_ne!(a, new_identity());
        assert_eq!(send_key("PO-000001", "7QK2M9XA3B"), "PO-000001-7QK2M9XA3B");
    }

    #[test]
    fn a_location_names_no_user_or_password() {
        assert_eq!(
            location_of_url("postgres://alice:s3cret@db.example:6432/purchasing?sslmode=require")
                .as_deref(),
            Some("postgres://db.example:6432/purchasing")
        );
        assert_eq!(
            location_of_url("mysql://root:pw@127.0.0.1/buy").as_deref(),
            Some("mysql://127.0.0.1:3306/buy")
        );
        assert_eq!(sqlite_file("mysql://root@127.0.0.1:3306/buy"), None);
        assert_eq!(sqlite_file("postgres://127.0.0.1/buy"), None);
        assert_eq!(location_of_url("sqlite::memory:"), None);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gone.sqlite");
        let url = format!("sqlite://{}", file.display());
        assert_eq!(sqlite_file(&url), Some(file.clone()));
        assert_eq!(
            location_of_url(&url),
            Some(
                dir.path()
                    .canonicalize()
                    .unwrap()
                    .join("gone.sqlite")
                    .display()
                    .to_string()
            )
        );
    }

    #[test]
    fn the_memory_keeps_one_entry_per_location() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(remembered(dir.path(), "sqlite:/a").unwrap(), None);
        remember(dir.path(), "sqlite:/a", "AAAAAAAAAA").unwrap();
        remember(dir.path(), "postgres://h:5432/p", "BBBBBBBBBB").unwrap();
        remember(dir.path(), "sqlite:/a", "CCCCCCCCCC").unwrap();
        let a = remembered(dir.path(), "sqlite:/a").unwrap().unwrap();
        assert_eq!(a.identity, "CCCCCCCCCC");
        let b = remembered(dir.path(), "postgres://h:5432/p").unwrap();
        assert_eq!(b.unwrap().identity, "BBBBBBBBBB");
    }
}

//! Files buyerdesk writes: private folders, temporary files created
//! exclusively (never through a link), documents put in place whole and
//! never over other content, leftovers of a killed process swept, and
//! writes a reader sees whole or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Creates a folder (and its missing parents) readable by its owner only
/// (0700 on unix): the data directory, the outbox, the rules history. A
/// folder that already exists keeps its permissions.
pub fn create_private_dir(path: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Creates a new file with the permission bits `mode` (unix), never
/// following a symbolic link and never opening a file that exists
/// (`O_CREAT | O_EXCL | O_NOFOLLOW`): a link planted at the name cannot
/// redirect the write.
pub fn create_new_file(path: &std::path::Path, mode: u32) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

/// Puts the finished temporary file `tmp` at `name` without ever replacing
/// a file already there with other content: a hard link (which fails when
/// `name` exists, atomically) and the temporary name removed. A file at
/// `name` with the same bytes is the same document written again (a
/// re-send): fine. Where the file system has no hard links, the check and a
/// rename.
pub fn place_new_file(tmp: &std::path::Path, name: &std::path::Path) -> std::io::Result<()> {
    let same = || -> std::io::Result<()> {
        let ours = std::fs::read(tmp)?;
        let theirs = std::fs::read(name)?;
        if ours == theirs {
            Ok(())
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} already exists with other content: not overwritten (another purchasing database, or a hand-made file, used this name)",
                    name.display()
                ),
            ))
        }
    };
    let placed = match std::fs::hard_link(tmp, name) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => same(),
        Err(_) if std::fs::symlink_metadata(name).is_ok() => same(),
        Err(_) => std::fs::rename(tmp, name),
    };
    let _ = std::fs::remove_file(tmp);
    placed
}

/// How old a temporary file must be before a later process removes it as a
/// leftover (a write takes seconds; another workstation writing to a shared
/// folder keeps its files far younger than this).
pub const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes the temporary files (`.<name>.tmp-<pid>-<n>`) an ended process
/// left in `dir` that are older than `LEFTOVER_AGE`, once per folder and
/// process (a crash between writing and renaming leaves them). Links are
/// removed as links, never followed. Returns how many were removed.
pub fn sweep_leftovers(dir: &std::path::Path) -> usize {
    use std::sync::{Mutex, OnceLock};
    static SWEPT: OnceLock<Mutex<Vec<std::path::PathBuf>>> = OnceLock::new();
    {
        let mut swept = SWEPT
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if swept.iter().any(|d| d == dir) {
            return 0;
        }
        swept.push(dir.to_path_buf());
    }
    sweep_leftovers_older_than(dir, LEFTOVER_AGE)
}

/// `sweep_leftovers` without the once-per-process memory.
pub fn sweep_leftovers_older_than(dir: &std::path::Path, age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with('.') && name.contains(".tmp-")) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|d| d >= age);
        if old && !meta.is_dir() && std::fs::remove_file(entry.path()).is_ok() {
            tracing::info!(
                "{}: removed a leftover temporary file",
                entry.path().display()
            );
            removed += 1;
        }
    }
    removed
}

/// A new temporary file beside `name` in `dir`, private to its owner:
/// `.<name>.tmp-<pid>-<n>`, the first `n` whose name is free (a leftover or
/// a planted file or link at a name is passed over, never opened).
pub fn create_temp_file(
    dir: &std::path::Path,
    name: &str,
) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let pid = std::process::id();
    for n in 0u32..1000 {
        let tmp = dir.join(format!(".{name}.tmp-{pid}-{n}"));
        match create_new_file(&tmp, 0o600) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{}: no free temporary name for {name}", dir.display()),
    ))
}

/// Writes `bytes` to `path` so that a reader sees the old file or the new
/// one, never a part: a temporary file in the same folder, fsync, rename,
/// then fsync of the folder. The file is private to its owner (0600).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with_mode(path, bytes, 0o600)
}

/// `write_atomically` with the file's permission bits (unix).
fn write_atomically_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    write_through_temp(path, bytes, mode, |tmp, path| std::fs::rename(tmp, path))
}

/// Writes a document for a supplier at `path` as `write_atomically` does,
/// except that a file already there with other content is never replaced
/// (`place_new_file`): the same document written again is fine.
pub fn write_new_document(path: &Path, bytes: &[u8]) -> Result<()> {
    write_through_temp(path, bytes, 0o600, place_new_file)
}

/// `bytes` into a new temporary file beside `path` (created exclusively,
/// permission bits `mode` on unix), synced, then put at `path` by `place`
/// (a rename, or `place_new_file`), then the folder synced: a
/// reader sees the old file or the new one, never a part.
fn write_through_temp(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    place: fn(&Path, &Path) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)
        .with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let (tmp, mut file) = create_temp_file(&dir, name)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("{}: cannot set its permissions", tmp.display()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| place(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("{}: cannot write", path.display()));
    }
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(&dir) {
        // The new name survives a crash only once the folder is synced.
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_a_temporary_name_is_passed_over_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        let planted = dir
            .path()
            .join(format!(".PO-000001.csv.tmp-{}-0", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let (tmp, mut f) = create_temp_file(dir.path(), "PO-000001.csv").unwrap();
        std::io::Write::write_all(&mut f, b"the document").unwrap();
        assert_ne!(tmp, planted);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert_eq!(std::fs::read_to_string(&tmp).unwrap(), "the document");
        // A dangling link at a name is refused the same way.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let err = create_new_file(&dangling, 0o600).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert!(!dir.path().join("nowhere").exists());
    }

    #[test]
    fn a_document_is_never_replaced_by_other_content() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("PO-000001.json");
        let put = |bytes: &[u8]| {
            let (tmp, mut f) = create_temp_file(dir.path(), "PO-000001.json").unwrap();
            std::io::Write::write_all(&mut f, bytes).unwrap();
            let r = place_new_file(&tmp, &name);
            assert!(!tmp.exists(), "the temporary file is gone either way");
            r
        };
        put(b"the first order").unwrap();
        // The same document again (a re-send): fine, unchanged.
        put(b"the first order").unwrap();
        let err = put(b"another order under the same number").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert!(err.to_string().contains("not overwritten"), "{err}");
        assert_eq!(std::fs::read(&name).unwrap(), b"the first order");
    }

    #[test]
    fn old_leftovers_are_swept_and_young_ones_and_documents_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(".PO-000002.json.tmp-99999-0");
        let young = dir.path().join(".PO-000003.json.tmp-99999-0");
        let document = dir.path().join("PO-000002.json");
        for p in [&old, &young, &document] {
            std::fs::write(p, "x").unwrap();
        }
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for p in [&old, &document] {
            std::fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(hour_ago)
                .unwrap();
        }
        assert_eq!(sweep_leftovers(dir.path()), 1);
        assert!(!old.exists() && young.exists() && document.exists());
        // Once per folder and process.
        std::fs::write(&old, "x").unwrap();
        assert_eq!(sweep_leftovers(dir.path()), 0);
    }
}

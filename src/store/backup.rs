//! Backups and restores of the store: a consistent copy taken while the server runs and writes
//! (`VACUUM INTO` reads one snapshot of the WAL-mode database, so writers carry on and the copy
//! holds every transaction committed before it started, none half), and a data directory rebuilt
//! from such a copy. The index is not copied: it is derived, and rebuilt from the store.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{max_seq_in, Store};
use crate::error::{Error, Result};

/// What a backup or a restore holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub articles: u64,
    /// The last change sequence it holds.
    pub seq: i64,
    pub bytes: u64,
}

impl Store {
    /// Writes a consistent, compacted copy of the store to `target`, which must not exist yet.
    pub fn backup_to(&self, target: &Path) -> Result<Copied> {
        if target.exists() {
            return Err(Error::Config(format!("{} exists already: back up to a new file", target.display())));
        }
        if let Some(parent) = target.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let target_text =
            target.to_str().ok_or_else(|| Error::Config(format!("{} is not a UTF-8 path", target.display())))?;
        self.connection.execute("vacuum into ?1", [target_text])?;
        describe(target)
    }
}

/// Checks that `backup` is a whole tidings store and what it holds, reading it only.
pub fn describe(backup: &Path) -> Result<Copied> {
    let unusable =
        |reason: String| Error::Config(format!("{} is not a usable tidings backup: {reason}", backup.display()));
    if !backup.is_file() {
        return Err(unusable("no such file".into()));
    }
    let connection = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|error| unusable(error.to_string()))?;
    let check: String = connection
        .query_row("pragma quick_check", [], |row| row.get(0))
        .map_err(|error| unusable(error.to_string()))?;
    if check != "ok" {
        return Err(unusable(format!("the integrity check says {check}")));
    }
    let articles: i64 = connection
        .query_row("select count(*) from articles", [], |row| row.get(0))
        .map_err(|_| unusable("it holds no articles table".into()))?;
    Ok(Copied { articles: articles as u64, seq: max_seq_in(&connection)?, bytes: std::fs::metadata(backup)?.len() })
}

/// Puts the store of `backup` at `store_path` (replacing one there only when `replace`), through a
/// temporary file so a failed copy leaves nothing half-written, and brings it to this build's
/// migrations. The caller rebuilds the index from it.
pub fn restore(backup: &Path, store_path: &Path, replace: bool) -> Result<Copied> {
    let copied = describe(backup)?;
    if store_path.exists() && !replace {
        return Err(Error::Config(format!(
            "{} holds a store already: restore into an empty data directory, or pass --force (with the \
             server stopped) to replace it",
            store_path.display()
        )));
    }
    if let Some(parent) = store_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let partial = store_path.with_extension("sqlite3.restoring");
    std::fs::copy(backup, &partial)?;
    for stale in ["", "-wal", "-shm"] {
        let path = Path::new(&format!("{}{stale}", store_path.display())).to_path_buf();
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
    }
    std::fs::rename(&partial, store_path)?;
    Store::open(store_path)?;
    Ok(copied)
}

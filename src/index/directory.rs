//! The index directory of a process that writes the index without searching it (a batch ingest,
//! `tidings watch`): Tantivy's memory-mapped directory for everything but reading, which goes
//! through positioned reads (`pread`) instead of mappings, as Elasticsearch's `niofs` store does.
//!
//! Such a process reads segments only to merge them, each once from start to end. Through mappings,
//! every page a merge reads stays in the process's resident memory until the merge's segments are
//! dropped; with merges of up to 150,000 documents running beside the indexing, that was 0.9 to
//! 1.3 GB of a 1M-article ingest's peak RSS. Read into buffers, the same pages stay in the
//! operating system's page cache, and the process holds only what a merge is working on: a term's
//! postings, a block of stored documents, the dictionaries and columns of the segments it merges.
//! A server keeps the mappings: its searches read small parts of every segment again and again.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};

/// A directory whose files are read with positioned reads; the rest is [`MmapDirectory`]'s.
#[derive(Debug, Clone)]
pub struct ReadDirectory {
    root: PathBuf,
    inner: MmapDirectory,
}

impl ReadDirectory {
    pub fn open(root: &Path) -> tantivy::Result<ReadDirectory> {
        Ok(ReadDirectory { root: root.to_path_buf(), inner: MmapDirectory::open(root)? })
    }
}

/// An open index file and its length, read range by range into owned buffers.
#[derive(Debug)]
struct ReadFile {
    file: File,
    len: usize,
}

impl tantivy::HasLen for ReadFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ReadFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.start > range.end || range.end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bytes {range:?} of a file of {} bytes", self.len),
            ));
        }
        if range.is_empty() {
            return Ok(OwnedBytes::empty());
        }
        let mut buffer = vec![0; range.len()];
        std::os::unix::fs::FileExt::read_exact_at(&self.file, &mut buffer, range.start as u64)?;
        Ok(OwnedBytes::new(buffer))
    }
}

impl Directory for ReadDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let full = self.root.join(path);
        let file = File::open(&full).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => OpenReadError::FileDoesNotExist(path.to_path_buf()),
            _ => OpenReadError::wrap_io_error(error, path.to_path_buf()),
        })?;
        let len = file.metadata().map_err(|error| OpenReadError::wrap_io_error(error, path.to_path_buf()))?.len();
        Ok(Arc::new(ReadFile { file, len: len as usize }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_read_back_range_by_range_and_bad_ranges_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let directory = ReadDirectory::open(dir.path()).unwrap();
        directory.atomic_write(Path::new("data"), b"0123456789").unwrap();
        let handle = directory.get_file_handle(Path::new("data")).unwrap();
        assert_eq!(handle.len(), 10);
        assert_eq!(handle.read_bytes(2..5).unwrap().as_slice(), b"234");
        assert_eq!(handle.read_bytes(0..10).unwrap().as_slice(), b"0123456789");
        assert!(handle.read_bytes(4..4).unwrap().is_empty());
        assert!(handle.read_bytes(8..11).is_err(), "past the end");
        assert!(matches!(directory.get_file_handle(Path::new("missing")), Err(OpenReadError::FileDoesNotExist(_))));
    }
}

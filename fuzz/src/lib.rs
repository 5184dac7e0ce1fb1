//! What the fuzz targets share: a real archive to search (the committed fixtures ingested once
//! into a temporary directory, a real SQLite store and Tantivy index) and the contract every
//! request parser keeps: a value, or an error the API answers with a 4xx, never a 5xx or a panic.

use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use tidings::api::error::status_for;
use tidings::config::Settings;
use tidings::entities::Aliases;
use tidings::error::Result;
use tidings::index::SearchIndex;
use tidings::ingest::{ingest_and_index, IngestOptions};
use tidings::service::Service;

/// The archive the search targets query, built on first use and kept for the process.
pub struct Archive {
    pub service: Service,
    /// Ids of articles in the archive (for lookups).
    pub ids: Vec<String>,
    _dir: tempfile::TempDir,
}

/// The committed fixtures the archive holds: JSON Lines with entities and near-duplicates, and
/// 200 Reuters stories.
pub const ARCHIVE_FIXTURES: [&str; 3] = [
    "tests/fixtures/jsonl/articles.jsonl",
    "tests/fixtures/jsonl/near-duplicates.jsonl",
    "sample/reut2-000-stories-201-400.sgm",
];

/// The repository's root (the fuzz crate lives in `fuzz/`).
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(relative)
}

pub fn archive() -> &'static Archive {
    static ARCHIVE: OnceLock<Archive> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let settings = Settings { data_dir: dir.path().join("data"), ..Settings::default() };
        let paths: Vec<PathBuf> = ARCHIVE_FIXTURES.iter().map(|fixture| repo_path(fixture)).collect();
        let report = ingest_and_index(&settings, &paths, IngestOptions::from_settings(&settings)).expect("ingest");
        assert!(report.counts.new > 200, "the fixtures ingest: {report:?}");
        let index = Arc::new(SearchIndex::open(&settings.index_path()).expect("open the index"));
        let aliases = Arc::new(Aliases::load(None).expect("the shipped aliases"));
        let service = Service::open(&settings, index, aliases).expect("open the service");
        // The suggestions and the instant word list, as the server's first indexing round builds.
        service.engine().refresh_views().expect("build the views");
        let ids = service
            .engine()
            .search(&tidings::search::request::SearchRequest { limit: 50, ..Default::default() })
            .expect("match-all")
            .hits
            .into_iter()
            .map(|hit| hit.id)
            .collect();
        Archive { service, ids, _dir: dir }
    })
}

/// The contract of a request parser: a value, or an error answered with a 4xx. A 5xx for
/// something a client sent is a bug: panics, so libFuzzer records the input.
pub fn client_result<T>(what: &str, input: &dyn Debug, result: Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            let status = status_for(&error);
            assert!(status.is_client_error(), "{what} {input:?}: {status} {error}");
            None
        }
    }
}

/// The input as text the way a client's bytes reach a parser: UTF-8, invalid bytes replaced (a
/// query string or JSON body that is not UTF-8 is refused before any parser sees it).
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Splits off the first byte (the target's choices) from the rest.
pub fn choice_and_rest(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (*first, rest),
        None => (0, data),
    }
}

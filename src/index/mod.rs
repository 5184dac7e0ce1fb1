//! The Tantivy index: a materialised view of the store. It records the last store sequence it
//! holds in its commit payload; whoever holds the writer catches it up from the store.

mod directory;
pub mod schema;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::schema::{Field, TantivyDocument};
use tantivy::{DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, Term};
use tracing::info;

pub use schema::{Fields, KeywordField};
pub use verify::{content_digest, verify, Difference, Verification};

use crate::error::{Error, Result};
use crate::model::EntityKind;
use crate::store::{Change, Store, StoredArticle};

/// What the index records in each commit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
struct CommitPayload {
    schema_version: u32,
    seq: i64,
}

/// How many articles one catch-up step reads from the store.
const CATCH_UP_BATCH: usize = 2_000;

/// An open index with its reader and, when this process holds the lock, its writer.
pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    writer: Mutex<Option<IndexWriter>>,
    /// The last store sequence handed to the writer but not committed yet.
    pending_seq: Mutex<Option<i64>>,
    /// The store sequence the reader's searchers hold (updated after each reload, so readiness
    /// never runs ahead of what searches see).
    visible_seq: std::sync::atomic::AtomicI64,
    path: PathBuf,
    /// Searches running now, and the pool of one thread per core a search alone uses.
    searches: std::sync::atomic::AtomicUsize,
    parallel: tantivy::Executor,
    /// A search alone uses `parallel` on an index of this many documents or more.
    parallel_from: u64,
    /// Searches that did.
    parallel_runs: std::sync::atomic::AtomicU64,
    /// Files whose content no longer matches their checksum, as the last validation found.
    damaged: Mutex<Vec<String>>,
}

/// The writer memory budget: 64 MB for a batch ingest (128 MB measured no faster on 200k articles,
/// with 0.5 GB more peak RSS from larger merges), 48 MB inside a server.
#[derive(Debug, Clone, Copy)]
pub enum WriterBudget {
    Batch,
    Server,
}

impl WriterBudget {
    fn bytes(self) -> usize {
        match self {
            WriterBudget::Batch => 64_000_000,
            WriterBudget::Server => 48_000_000,
        }
    }

    /// The writer's options: an indexing thread per core, at most 8 and as many as the budget
    /// gives Tantivy's minimum of 15 MB each (as `Index::writer` chooses), and two merges at a
    /// time (Tantivy's default of four at once held four merges' dictionaries, columns and
    /// buffers together, for no gain on two cores busy indexing).
    fn options(self) -> tantivy::indexer::IndexWriterOptions {
        let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
        let threads = writer_threads(cores, self.bytes());
        tantivy::indexer::IndexWriterOptions::builder()
            .memory_budget_per_thread(self.bytes() / threads)
            .num_worker_threads(threads)
            .num_merge_threads(2)
            .build()
    }
}

/// The least memory Tantivy lets an indexing thread have (`MEMORY_BUDGET_NUM_BYTES_MIN`, not
/// exported): a writer asking for less is refused.
const THREAD_BUDGET_MIN: usize = 15_000_000;

/// Indexing threads for a writer of `bytes` on `cores`: one per core, at most 8, each with at
/// least [`THREAD_BUDGET_MIN`].
fn writer_threads(cores: usize, bytes: usize) -> usize {
    cores.min(8).min(bytes / THREAD_BUDGET_MIN).max(1)
}

/// True when another process holds the index writer lock.
fn is_lock_busy(error: &tantivy::TantivyError) -> bool {
    matches!(error, tantivy::TantivyError::LockFailure(..))
}

impl SearchIndex {
    /// Opens (creating if needed) the index in `path`, to search and maybe write. An index of
    /// another schema version is moved aside and rebuilt empty; catch-up then fills it from the
    /// store.
    pub fn open(path: &Path) -> Result<SearchIndex> {
        SearchIndex::open_in(path, true)
    }

    /// Opens the index for a process that writes it without searching it (a batch ingest,
    /// `tidings watch`): its files are read, not mapped ([`directory::ReadDirectory`]). Its reader
    /// holds the segments it last loaded; once merges replace them, mapped files would stay
    /// resident with every page the merges read until the next reload (1.3 GB of a 1M ingest's
    /// 1.8 GB peak), where read files hold only their handles.
    pub fn open_for_writing(path: &Path) -> Result<SearchIndex> {
        SearchIndex::open_in(path, false)
    }

    /// `searched`: mapped files (searches read small parts of every segment again and again),
    /// else read ones.
    fn open_in(path: &Path, searched: bool) -> Result<SearchIndex> {
        std::fs::create_dir_all(path)?;
        let (schema, fields) = schema::build_schema();
        let directory = || -> Result<Box<dyn tantivy::Directory>> {
            Ok(match searched {
                true => Box::new(MmapDirectory::open(path)?),
                false => Box::new(directory::ReadDirectory::open(path)?),
            })
        };
        let index = if Index::exists(directory()?.as_ref())? {
            let existing = Index::open(directory()?)?;
            let version = read_payload(&existing)?.map(|payload| payload.schema_version);
            if version.is_some_and(|version| version != schema::SCHEMA_VERSION) || existing.schema() != schema {
                drop(existing);
                info!(?version, "index schema changed: rebuilding from the store");
                let aside = path.with_extension(format!("old-{}", std::process::id()));
                std::fs::rename(path, &aside)?;
                std::fs::remove_dir_all(&aside)?;
                std::fs::create_dir_all(path)?;
                Index::create(directory()?, schema, index_settings())?
            } else {
                existing
            }
        } else {
            Index::create(directory()?, schema, index_settings())?
        };
        schema::register_analyzers(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let visible_seq = std::sync::atomic::AtomicI64::new(read_payload(&index)?.map_or(0, |payload| payload.seq));
        Ok(SearchIndex {
            index,
            reader,
            fields,
            writer: Mutex::new(None),
            pending_seq: Mutex::new(None),
            visible_seq,
            path: path.to_path_buf(),
            searches: std::sync::atomic::AtomicUsize::new(0),
            parallel: tantivy::Executor::multi_thread(
                std::thread::available_parallelism().map_or(1, |cores| cores.get()),
                "tidings-search-",
            )?,
            parallel_from: crate::config::DEFAULT_PARALLEL_SEARCH_FROM_DOCS,
            parallel_runs: std::sync::atomic::AtomicU64::new(0),
            damaged: Mutex::new(Vec::new()),
        })
    }

    /// A search running alone uses every core on an index of `documents` or more (default
    /// [`crate::config::DEFAULT_PARALLEL_SEARCH_FROM_DOCS`]).
    pub fn searching_in_parallel_from(mut self, documents: u64) -> SearchIndex {
        self.parallel_from = documents;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the writer lock. `Ok(false)` when another process (a running server) holds it.
    pub fn acquire_writer(&self, budget: WriterBudget) -> Result<bool> {
        let mut slot = self.writer.lock().map_err(|_| Error::Internal("index writer mutex poisoned".into()))?;
        if slot.is_some() {
            return Ok(true);
        }
        match self.index.writer_with_options(budget.options()) {
            Ok(writer) => {
                writer.set_merge_policy(Box::new(merge_policy()));
                *slot = Some(writer);
                Ok(true)
            }
            Err(error) if is_lock_busy(&error) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// The last store sequence the index holds (its last commit's payload).
    pub fn indexed_seq(&self) -> Result<i64> {
        Ok(read_payload(&self.index)?.map(|payload| payload.seq).unwrap_or(0))
    }

    /// Runs one search: over its segments on every core when no other search is running and the
    /// index is large (an idle server answers a heavy query sooner), on the calling thread
    /// otherwise (a busy server gains nothing from splitting queries, and on a small index the
    /// split costs more than it saves: 14% of plain top-10 throughput on Reuters).
    pub(crate) fn search<C: tantivy::collector::Collector>(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn tantivy::query::Query,
        collector: &C,
    ) -> tantivy::Result<C::Fruit> {
        use std::sync::atomic::Ordering;
        struct Running<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let alone = self.searches.fetch_add(1, Ordering::AcqRel) == 0;
        let _running = Running(&self.searches);
        if !alone || searcher.num_docs() < self.parallel_from {
            return searcher.search(query, collector);
        }
        self.parallel_runs.fetch_add(1, Ordering::Relaxed);
        let scoring = if collector.requires_scoring() {
            tantivy::query::EnableScoring::enabled_from_searcher(searcher)
        } else {
            tantivy::query::EnableScoring::disabled_from_searcher(searcher)
        };
        searcher.search_with_executor(query, collector, &self.parallel, scoring)
    }

    /// True when every segment keeps its documents newest first (undated last).
    pub fn sorted_newest_first(&self) -> bool {
        self.index.settings().sort_by_field == index_settings().sort_by_field
    }

    /// Reads every file of the segments the index lists (its `meta.json` now) and checks it
    /// against the checksum in its footer (a file that is missing or too short for a footer is
    /// damaged too); returns the damaged ones (also kept for [`SearchIndex::damaged_files`]). Reads
    /// the whole index once.
    pub fn validate_files(&self) -> Result<Vec<String>> {
        use tantivy::directory::error::OpenReadError;
        let directory = self.index.directory();
        let mut damaged = Vec::new();
        // Every segment of this schema has these files (and its deletes, once it has some).
        let files = |segment: &tantivy::index::SegmentMeta| {
            use tantivy::index::SegmentComponent::*;
            let mut components = vec![Postings, Positions, Terms, Store, FastFields, FieldNorms];
            if segment.has_deletes() {
                components.push(Delete);
            }
            components.into_iter().map(|component| segment.relative_path(component)).collect::<Vec<_>>()
        };
        for segment in self.index.load_metas()?.segments {
            for path in files(&segment) {
                let sound = match directory.validate_checksum(&path) {
                    Ok(sound) => sound,
                    // Gone since the metas were read: merged away, unless the index still lists it.
                    Err(OpenReadError::FileDoesNotExist(_)) => {
                        !self.index.load_metas()?.segments.iter().any(|listed| files(listed).contains(&path))
                    }
                    // Truncated, its footer unreadable: damaged as well.
                    Err(_) => false,
                };
                if !sound {
                    damaged.push(path.display().to_string());
                }
            }
        }
        damaged.sort();
        *self.damaged.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = damaged.clone();
        Ok(damaged)
    }

    /// The damaged files the last [`SearchIndex::validate_files`] found.
    pub fn damaged_files(&self) -> Vec<String> {
        self.damaged.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Documents searchable now.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The documents and segments searches see now, from one snapshot.
    pub fn size(&self) -> (u64, usize) {
        let searcher = self.reader.searcher();
        (searcher.num_docs(), searcher.segment_readers().len())
    }

    /// Searches that ran their segments on every core since the index was opened.
    pub fn parallel_searches(&self) -> u64 {
        self.parallel_runs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The store sequence searches see: the last commit the reader has loaded.
    pub fn visible_seq(&self) -> i64 {
        self.visible_seq.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Reloads the reader to see another process's commits.
    pub fn reload(&self) -> Result<()> {
        let committed = self.indexed_seq()?;
        self.reader.reload()?;
        self.visible_seq.fetch_max(committed, std::sync::atomic::Ordering::AcqRel);
        Ok(())
    }

    /// Indexes every article the store changed after the index's sequence, commits with the new
    /// sequence and reloads the reader. Returns how many articles were indexed. Needs the writer.
    /// A large catch-up (a rebuild, a server following a long ingest) commits every
    /// [`CATCH_UP_COMMIT`] changes, so the writer's memory stays bounded.
    pub fn catch_up(&self, store: &Store) -> Result<usize> {
        let mut indexed = 0;
        loop {
            let added = self.add_changes_up_to(store, CATCH_UP_COMMIT)?;
            self.commit_changes()?;
            indexed += added;
            if added < CATCH_UP_COMMIT {
                return Ok(indexed);
            }
        }
    }

    /// Hands the store's changes not yet given to the writer to its indexing threads, without
    /// committing: a batch ingest calls this after each file so indexing overlaps the next file's
    /// extraction, then [`SearchIndex::commit_changes`] once.
    pub fn add_changes(&self, store: &Store) -> Result<usize> {
        self.add_changes_up_to(store, usize::MAX)
    }

    /// As [`SearchIndex::add_changes`], stopping once `most` changes have been handed over (it
    /// may pass it by the rest of one read batch).
    fn add_changes_up_to(&self, store: &Store, most: usize) -> Result<usize> {
        let mut slot = self.writer.lock().map_err(|_| Error::Internal("index writer mutex poisoned".into()))?;
        let writer = slot.as_mut().ok_or_else(|| Error::Internal("catch-up without the index writer".into()))?;
        let mut pending = self.pending_seq.lock().map_err(|_| Error::Internal("index mutex poisoned".into()))?;
        let mut seq = pending.unwrap_or(self.indexed_seq()?);
        let mut indexed = 0;
        loop {
            let batch = store.changes_after(seq, CATCH_UP_BATCH)?;
            let Some(last) = batch.last() else { break };
            seq = last.seq();
            for change in &batch {
                writer.delete_term(Term::from_field_text(self.fields.id, change.id().as_str()));
                if let Change::Written(stored) = change {
                    writer.add_document(self.document(stored))?;
                }
            }
            indexed += batch.len();
            if indexed >= most {
                break;
            }
        }
        if indexed > 0 {
            *pending = Some(seq);
        }
        Ok(indexed)
    }

    /// Commits what [`SearchIndex::add_changes`] handed over, recording its last sequence, and
    /// reloads the reader.
    pub fn commit_changes(&self) -> Result<()> {
        let mut slot = self.writer.lock().map_err(|_| Error::Internal("index writer mutex poisoned".into()))?;
        let writer = slot.as_mut().ok_or_else(|| Error::Internal("commit without the index writer".into()))?;
        let mut pending = self.pending_seq.lock().map_err(|_| Error::Internal("index mutex poisoned".into()))?;
        let Some(seq) = pending.take() else { return Ok(()) };
        let mut commit = writer.prepare_commit()?;
        let payload = CommitPayload { schema_version: schema::SCHEMA_VERSION, seq };
        commit.set_payload(&serde_json::to_string(&payload).map_err(|error| Error::Internal(error.to_string()))?);
        commit.commit()?;
        self.reader.reload()?;
        self.visible_seq.fetch_max(seq, std::sync::atomic::Ordering::AcqRel);
        info!(seq, "index committed");
        Ok(())
    }

    /// Releases the writer (and its lock), waiting for merges.
    pub fn release_writer(&self) -> Result<()> {
        let writer = self.writer.lock().map_err(|_| Error::Internal("index writer mutex poisoned".into()))?.take();
        if let Some(writer) = writer {
            writer.wait_merging_threads()?;
        }
        Ok(())
    }

    fn document(&self, stored: &StoredArticle) -> TantivyDocument {
        let fields = &self.fields;
        let article = &stored.article;
        let mut document = TantivyDocument::default();
        document.add_text(fields.id, &stored.id);
        document.add_u64(fields.cluster, schema::cluster_key(stored.cluster_id.as_str()));
        document.add_text(fields.title, &article.title);
        document.add_text(fields.body, &article.body);
        let analysis = schema::analysis_for(article.lang.as_str());
        let text = fields.text_for(analysis);
        document.add_text(text.title, &article.title);
        document.add_text(text.body, &article.body);
        document.add_text(fields.analysis, analysis);
        if let Some(url) = &article.url {
            document.add_text(fields.url, url);
        }
        if let Some(date) = article.published_at {
            document.add_date(fields.published_at, DateTime::from_timestamp_secs(date.timestamp()));
        }
        document.add_text(fields.date_rule, article.date_rule.as_str());
        let entities: Vec<serde_json::Value> = article
            .entities
            .iter()
            .map(|entity| serde_json::json!({"kind": entity.kind, "name": entity.name}))
            .collect();
        document.add_text(fields.entities, serde_json::Value::Array(entities).to_string());
        let mut add_unique = |field: Field, values: &mut Vec<String>| {
            values.sort_by_key(|value| schema::keyword_term_text(value));
            values.dedup_by_key(|value| schema::keyword_term_text(value));
            for value in values.iter() {
                document.add_text(field, value);
            }
        };
        for kind in EntityKind::ALL {
            let mut names: Vec<String> = article
                .entities
                .iter()
                .filter(|entity| entity.kind == kind)
                .map(|entity| entity.name.clone())
                .collect();
            add_unique(fields.keyword(KeywordField::for_entity(kind)), &mut names);
        }
        add_unique(fields.keyword(KeywordField::Topic), &mut article.topics.clone());
        add_unique(fields.keyword(KeywordField::Author), &mut article.authors.clone());
        add_unique(fields.keyword(KeywordField::Source), &mut vec![article.source.clone()]);
        add_unique(fields.keyword(KeywordField::Lang), &mut vec![article.lang.to_string()]);
        document
    }
}

/// A catch-up commits after this many changes (the writer keeps one delete per added document
/// until a commit: ~2.5 KB each).
pub const CATCH_UP_COMMIT: usize = 20_000;

/// No merge makes a segment of more than this many documents: an archive of a million articles
/// is not rewritten again and again into one ever larger segment (each article is merged about
/// twice), a merge maps at most a few hundred megabytes of segments, and the segments that remain
/// let one search use every core.
pub const MERGED_SEGMENT_DOCS: usize = 150_000;

/// Tantivy's log merge policy, with every merge it proposes cut into merges of at most
/// [`MERGED_SEGMENT_DOCS`] documents.
#[derive(Debug)]
struct CappedMerges {
    inner: tantivy::indexer::LogMergePolicy,
    max_docs: usize,
}

fn merge_policy() -> CappedMerges {
    let mut inner = tantivy::indexer::LogMergePolicy::default();
    inner.set_max_docs_before_merge(MERGED_SEGMENT_DOCS / 2);
    CappedMerges { inner, max_docs: MERGED_SEGMENT_DOCS }
}

impl tantivy::indexer::MergePolicy for CappedMerges {
    fn compute_merge_candidates(
        &self,
        segments: &[tantivy::index::SegmentMeta],
    ) -> Vec<tantivy::indexer::MergeCandidate> {
        let docs: std::collections::HashMap<_, _> =
            segments.iter().map(|segment| (segment.id(), segment.num_docs() as usize)).collect();
        self.inner
            .compute_merge_candidates(segments)
            .into_iter()
            .flat_map(|candidate| {
                let sized = candidate.0.iter().map(|id| (*id, docs.get(id).copied().unwrap_or(0))).collect();
                capped_groups(sized, self.max_docs)
            })
            .map(tantivy::indexer::MergeCandidate)
            .collect()
    }
}

/// Splits one proposed merge into merges of at least two segments and at most `max_docs`
/// documents, packed smallest segments first; what cannot be paired within the cap is left
/// alone. Each merge keeps its segments in the order proposed (Tantivy's log policy lists them
/// by size, largest first): Tantivy 0.27 gives the merged segment the delete cursor of the
/// first segment listed, and with another first, merges during updates now and then left an
/// old copy of an updated article alive (the crash loop's finding).
fn capped_groups<Id: Copy>(segments: Vec<(Id, usize)>, max_docs: usize) -> Vec<Vec<Id>> {
    let mut by_size: Vec<(usize, Id, usize)> =
        segments.into_iter().enumerate().map(|(position, (id, docs))| (position, id, docs)).collect();
    by_size.sort_by_key(|(_, _, docs)| *docs);
    let mut groups = Vec::new();
    let mut group: Vec<(usize, Id)> = Vec::new();
    let mut total = 0;
    let as_proposed = |mut group: Vec<(usize, Id)>| {
        group.sort_by_key(|(position, _)| *position);
        group.into_iter().map(|(_, id)| id).collect::<Vec<Id>>()
    };
    for (position, id, docs) in by_size {
        if total + docs > max_docs && !group.is_empty() {
            if group.len() > 1 {
                groups.push(as_proposed(std::mem::take(&mut group)));
            }
            group.clear();
            total = 0;
        }
        group.push((position, id));
        total += docs;
    }
    if group.len() > 1 && total <= max_docs {
        groups.push(as_proposed(group));
    }
    groups
}

/// Documents newest first within every segment (undated last), so that a search ranked by date
/// or with the recency blend can stop once nothing later in a segment could enter its top; and
/// small doc-store blocks: a hit decompresses 4 KB, not 16 KB.
fn index_settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        sort_by_field: Some(tantivy::IndexSortByField {
            field: schema::PUBLISHED_AT.to_string(),
            order: tantivy::Order::Desc,
        }),
        docstore_blocksize: 4_096,
        ..tantivy::IndexSettings::default()
    }
}

fn read_payload(index: &Index) -> Result<Option<CommitPayload>> {
    let metas = index.load_metas()?;
    Ok(metas.payload.as_deref().and_then(|payload| serde_json::from_str(payload).ok()))
}

/// Rebuilds the index from scratch into a fresh directory, then swaps it in. Fails if another
/// process holds the current index's writer (stop the server first).
pub fn rebuild(index_path: &Path, store: &Store) -> Result<usize> {
    if index_path.exists() {
        // The writer's lock file, not the index: a damaged index must be rebuilt all the same.
        let directory = MmapDirectory::open(index_path)?;
        match tantivy::Directory::acquire_lock(&directory, &tantivy::directory::INDEX_WRITER_LOCK) {
            Ok(lock) => drop(lock),
            Err(tantivy::directory::error::LockError::LockBusy) => {
                return Err(Error::Config(
                    "the index is in use by another process (a running server): stop it before reindexing".into(),
                ))
            }
            Err(error) => return Err(tantivy::TantivyError::from(error).into()),
        }
    }
    let fresh_path = index_path.with_extension("rebuild");
    if fresh_path.exists() {
        std::fs::remove_dir_all(&fresh_path)?;
    }
    let fresh = SearchIndex::open(&fresh_path)?;
    fresh.acquire_writer(WriterBudget::Batch)?;
    let indexed = fresh.catch_up(store)?;
    fresh.release_writer()?;
    drop(fresh);
    if index_path.exists() {
        let old_path = index_path.with_extension("replaced");
        if old_path.exists() {
            std::fs::remove_dir_all(&old_path)?;
        }
        std::fs::rename(index_path, &old_path)?;
        std::fs::rename(&fresh_path, index_path)?;
        std::fs::remove_dir_all(&old_path)?;
    } else {
        std::fs::rename(&fresh_path, index_path)?;
    }
    Ok(indexed)
}

#[cfg(test)]
mod merge_tests {
    use super::{capped_groups, writer_threads, WriterBudget, THREAD_BUDGET_MIN};

    #[test]
    fn every_writer_thread_gets_tantivys_least_budget_on_any_machine() {
        for cores in 1..=64 {
            for budget in [WriterBudget::Batch, WriterBudget::Server] {
                let threads = writer_threads(cores, budget.bytes());
                assert!(threads >= 1 && threads <= cores.min(8), "{cores} cores: {threads}");
                assert!(budget.bytes() / threads >= THREAD_BUDGET_MIN, "{cores} cores, {budget:?}: {threads} threads");
            }
        }
        assert_eq!(writer_threads(2, WriterBudget::Batch.bytes()), 2);
        assert_eq!(writer_threads(16, WriterBudget::Server.bytes()), 3, "48 MB feeds three threads");
    }

    #[test]
    fn proposed_merges_are_cut_to_the_cap() {
        let segments = vec![(1, 40), (2, 10), (3, 30), (4, 20), (5, 90), (6, 100)];
        assert_eq!(capped_groups(segments, 100), vec![vec![1, 2, 3, 4]], "packed smallest first, listed as proposed");
        assert_eq!(capped_groups(vec![(2, 30), (1, 10)], 100), vec![vec![2, 1]]);
        assert!(capped_groups(vec![(1, 60), (2, 60)], 100).is_empty(), "no merge passes the cap");
    }
}

#[cfg(test)]
mod follow_tests {
    use super::*;
    use crate::model::Article;

    fn dated(number: usize, body: &str, day: u32) -> Article {
        let mut article = Article::for_test(number, body);
        article.published_at = chrono::DateTime::parse_from_rfc3339(&format!("2026-11-{day:02}T12:00:00Z"))
            .ok()
            .map(|date| date.with_timezone(&chrono::Utc));
        article
    }

    #[test]
    fn an_article_changed_twice_before_a_commit_is_indexed_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
        let index = SearchIndex::open(&dir.path().join("tantivy")).unwrap();
        assert!(index.acquire_writer(WriterBudget::Batch).unwrap());
        for round in 0..3 {
            let articles: Vec<Article> = (0..50)
                .map(|number| dated(number, &format!("Version {round} of story {number}."), 1 + (number % 20) as u32))
                .collect();
            store.upsert_articles(&articles).unwrap();
            index.add_changes(&store).unwrap();
            store
                .upsert_articles(
                    &articles[10..20]
                        .iter()
                        .map(|article| {
                            let mut changed = article.clone();
                            changed.body.push_str(" Changed again.");
                            changed
                        })
                        .collect::<Vec<_>>(),
                )
                .unwrap();
            index.add_changes(&store).unwrap();
            index.commit_changes().unwrap();
            let verification = verify(&index, &store).unwrap();
            assert!(verification.consistent(), "round {round}: {}", verification.render());
        }
    }
}

//! Whether the index holds exactly the store: every stored article once, as the store has it
//! now (title and body), nothing else, and the store's last change. `tidings check` reports it,
//! and the crash bench checks it after every kill.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use tantivy::schema::Value;
use tantivy::TantivyDocument;

use super::SearchIndex;
use crate::error::Result;
use crate::store::Store;

/// How many ids of each kind of difference are kept to show.
const SHOWN: usize = 10;

/// What comparing an index with its store found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    pub store_articles: u64,
    pub store_seq: i64,
    pub index_documents: u64,
    pub index_seq: i64,
    /// Stored articles the index lacks (count, and the first few ids).
    pub missing: Difference,
    /// Indexed documents of articles the store does not hold.
    pub extra: Difference,
    /// Articles indexed more than once.
    pub duplicated: Difference,
    /// Articles indexed with another title or body than the store's.
    pub stale: Difference,
    /// Index files whose content does not match their checksum.
    pub damaged_files: Vec<String>,
}

/// How many articles differ one way, with the first few ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Difference {
    pub count: u64,
    pub ids: Vec<String>,
}

impl Difference {
    fn add(&mut self, id: &str) {
        self.count += 1;
        if self.ids.len() < SHOWN {
            self.ids.push(id.to_string());
        }
    }
}

impl Verification {
    /// True when the index holds exactly the store, up to its last change.
    pub fn consistent(&self) -> bool {
        self.damaged_files.is_empty()
            && self.store_seq == self.index_seq
            && self.store_articles == self.index_documents
            && [&self.missing, &self.extra, &self.duplicated, &self.stale]
                .iter()
                .all(|difference| difference.count == 0)
    }

    /// A few lines for a person: the figures, each difference, and what to do about it.
    pub fn render(&self) -> String {
        let mut lines = vec![format!(
            "store: {} articles, sequence {}; index: {} documents, sequence {}",
            self.store_articles, self.store_seq, self.index_documents, self.index_seq
        )];
        for (what, difference) in [
            ("stored but not indexed", &self.missing),
            ("indexed but not stored", &self.extra),
            ("indexed more than once", &self.duplicated),
            ("indexed with another title or body than stored", &self.stale),
        ] {
            if difference.count > 0 {
                lines.push(format!("{} articles {what}, e.g. {}", difference.count, difference.ids.join(", ")));
            }
        }
        if !self.damaged_files.is_empty() {
            lines.push(format!("damaged files: {}", self.damaged_files.join(", ")));
            lines.push(crate::error::INDEX_DAMAGED.into());
        } else if self.consistent() {
            lines.push("the index holds exactly the store".into());
        } else if self.index_seq < self.store_seq && self.missing.count + self.stale.count > 0 {
            lines.push(
                "the index is behind the store: a server catches up when it starts; `tidings reindex` rebuilds it"
                    .into(),
            );
        } else {
            lines.push("the index differs from the store: stop the server and run `tidings reindex`".into());
        }
        lines.join("\n")
    }
}

/// A stable digest of what the index shows of an article.
pub fn content_digest(title: &str, body: &str) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    title.hash(&mut hasher);
    body.hash(&mut hasher);
    hasher.finish()
}

/// Checks every index file against its checksum, then compares the index's live documents with
/// the store's articles, one by one. Reads the whole index and every stored body once; run it with no writer busy (a server that is indexing
/// makes the sequences differ by what it has not committed yet).
pub fn verify(index: &SearchIndex, store: &Store) -> Result<Verification> {
    index.reload()?;
    let damaged_files = index.validate_files()?;
    if !damaged_files.is_empty() {
        // Reading damaged files may fail or mislead: the damage is the finding.
        return Ok(Verification { damaged_files, ..Verification::default() });
    }
    let searcher = index.reader.searcher();
    let fields = &index.fields;
    let mut indexed: HashMap<String, (u64, u32)> = HashMap::new();
    for segment in searcher.segment_readers() {
        let documents = segment.get_store_reader(64)?;
        for document in documents.iter::<TantivyDocument>(segment.alive_bitset()) {
            let document = document?;
            let text = |field| document.get_first(field).and_then(|value| value.as_str()).unwrap_or("");
            let entry = indexed.entry(text(fields.id).to_string()).or_insert((0, 0));
            entry.0 = content_digest(text(fields.title), text(fields.body));
            entry.1 += 1;
        }
    }
    let mut verification = Verification {
        index_documents: searcher.num_docs(),
        index_seq: index.indexed_seq()?,
        ..Verification::default()
    };
    // The store at one moment, whatever is written meanwhile.
    store.read_snapshot(|store| {
        verification.store_articles = store.count_articles()?;
        verification.store_seq = store.max_seq()?;
        let mut seq = 0;
        loop {
            let batch = store.articles_after(seq, 1_000)?;
            let Some(last) = batch.last() else { return Ok(()) };
            seq = last.seq;
            for stored in &batch {
                let id = stored.id.as_str();
                match indexed.remove(id) {
                    None => verification.missing.add(id),
                    Some((found, copies)) => {
                        if copies > 1 {
                            verification.duplicated.add(id);
                        }
                        if found != content_digest(&stored.article.title, &stored.article.body) {
                            verification.stale.add(id);
                        }
                    }
                }
            }
        }
    })?;
    let mut extra: Vec<String> = indexed.into_keys().collect();
    extra.sort();
    for id in &extra {
        verification.extra.add(id);
    }
    Ok(verification)
}

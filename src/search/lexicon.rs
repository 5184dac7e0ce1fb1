//! The words of the index, one dictionary per analysis (title and body terms of every segment
//! merged, with their document frequencies), for expanding typo and prefix matches.
//!
//! Walking a Levenshtein automaton over every segment's title and body dictionaries costs one
//! traversal per segment and field on every keystroke; here it is one traversal of two small
//! dictionaries, built off the request path. As Elasticsearch's `max_expansions` does, an
//! expansion keeps the most frequent matching words only.
//!
//! The dictionaries are kept as a log-structured pair: a base over the segments the index had
//! when it was last built in full, and a recent part over the segments that arrived since. New
//! segments (and merges among them) rebuild only the recent part; the base is rebuilt when one of
//! its segments goes (merged or emptied) or the recent part has grown to a quarter of the
//! documents — so a full rebuild comes once per quarter of the archive, not once per change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use lru::LruCache;
use tantivy::index::SegmentId;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{SegmentReader, Term};
use tantivy_fst::{IntoStreamer, Map, MapBuilder, Streamer};

use crate::error::{Error, Result};
use crate::index::SearchIndex;

/// Words one typo or prefix expansion keeps at most (the most frequent).
pub const MAX_EXPANSIONS: usize = 50;
/// The least time between two rebuilds while articles keep arriving.
const REBUILD_EVERY: Duration = Duration::from_millis(500);

/// The merged dictionaries of a set of segments.
#[derive(Default)]
struct Part {
    segments: HashSet<SegmentId>,
    documents: u64,
    words: HashMap<&'static str, Map<Vec<u8>>>,
}

impl Part {
    /// The words of `segments`, with their document frequencies summed, per analysis.
    fn build(index: &SearchIndex, segments: &[&SegmentReader]) -> Result<Part> {
        let mut words = HashMap::new();
        for text in &index.fields.text {
            let mut frequencies: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            for segment in segments {
                for field in [text.title, text.body] {
                    let inverted = segment.inverted_index(field)?;
                    let mut stream = inverted.terms().stream()?;
                    while stream.advance() {
                        *frequencies.entry(stream.key().to_vec()).or_default() += stream.value().doc_freq as u64;
                    }
                }
            }
            if frequencies.is_empty() {
                continue;
            }
            let mut builder = MapBuilder::memory();
            for (word, frequency) in frequencies {
                builder.insert(word, frequency).map_err(|error| Error::Internal(format!("lexicon: {error}")))?;
            }
            let bytes = builder.into_inner().map_err(|error| Error::Internal(format!("lexicon: {error}")))?;
            let map = Map::from_bytes(bytes).map_err(|error| Error::Internal(format!("lexicon: {error}")))?;
            words.insert(text.analysis, map);
        }
        Ok(Part {
            segments: segments.iter().map(|segment| segment.segment_id()).collect(),
            documents: segments.iter().map(|segment| segment.max_doc() as u64).sum(),
            words,
        })
    }
}

struct Snapshot {
    generation: Option<u64>,
    base: Arc<Part>,
    recent: Arc<Part>,
    /// Expansions already made from these dictionaries, the most recently used kept: a reader
    /// typing a query expands its earlier words again on every keystroke (a word with two typos
    /// allowed walks the whole dictionary, about 2 ms at 1M articles).
    expansions: Mutex<LruCache<Expansion, Arc<Vec<String>>>>,
}

/// What one expansion was asked for: analysis, word, typos, prefix.
type Expansion = (String, String, u8, bool);

/// Expansions kept per snapshot of the dictionaries.
const CACHED_EXPANSIONS: usize = 4_096;

impl Snapshot {
    fn new(generation: Option<u64>, base: Arc<Part>, recent: Arc<Part>) -> Snapshot {
        let capacity = NonZeroUsize::new(CACHED_EXPANSIONS).expect("a positive capacity");
        Snapshot { generation, base, recent, expansions: Mutex::new(LruCache::new(capacity)) }
    }
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot::new(None, Arc::default(), Arc::default())
    }
}

/// The merged dictionaries, kept current with the index.
pub struct Lexicon {
    current: RwLock<Arc<Snapshot>>,
    rebuilding: super::RebuildThrottle,
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon { current: RwLock::default(), rebuilding: super::RebuildThrottle::new(REBUILD_EVERY) }
    }
}

/// The recent part is folded into the base once it holds more than one in this many documents.
const RECENT_SHARE: u64 = 4;

impl Lexicon {
    /// Brings the dictionaries up to the index's current searcher when it changed (at most every
    /// half second): the recent part only, unless the base no longer matches the segments.
    /// Returns whether anything was rebuilt.
    pub fn refresh(&self, index: &SearchIndex) -> Result<bool> {
        let searcher = index.reader.searcher();
        let generation = searcher.generation().generation_id();
        let current = self.current.read().map(|snapshot| Arc::clone(&snapshot)).map_err(|_| poisoned())?;
        if current.generation == Some(generation) {
            return Ok(false);
        }
        if !self.rebuilding.try_start()? {
            return Ok(false);
        }
        let segments: Vec<&SegmentReader> = searcher.segment_readers().iter().collect();
        let present: HashSet<SegmentId> = segments.iter().map(|segment| segment.segment_id()).collect();
        let newer: Vec<&SegmentReader> =
            segments.iter().copied().filter(|segment| !current.base.segments.contains(&segment.segment_id())).collect();
        let newer_documents: u64 = newer.iter().map(|segment| segment.max_doc() as u64).sum();
        let base_holds = current.generation.is_some() && current.base.segments.is_subset(&present);
        let all_documents = current.base.documents + newer_documents;
        let snapshot = if base_holds && newer_documents * RECENT_SHARE <= all_documents {
            let same_recent = newer.len() == current.recent.segments.len()
                && newer.iter().all(|segment| current.recent.segments.contains(&segment.segment_id()));
            let recent = if same_recent { Arc::clone(&current.recent) } else { Arc::new(Part::build(index, &newer)?) };
            Snapshot::new(Some(generation), Arc::clone(&current.base), recent)
        } else {
            Snapshot::new(Some(generation), Arc::new(Part::build(index, &segments)?), Arc::default())
        };
        *self.current.write().map_err(|_| poisoned())? = Arc::new(snapshot);
        Ok(true)
    }

    /// The most frequent words of `analysis` within `typos` edits of `word` (a swap of neighbours
    /// is one edit), or — with `prefix` — starting with a word within `typos` edits of it. `word`
    /// itself is left out.
    pub fn expand(&self, analysis: &str, field: Field, word: &str, typos: u8, prefix: bool) -> Vec<String> {
        let Ok(snapshot) = self.current.read().map(|snapshot| Arc::clone(&snapshot)) else { return Vec::new() };
        let asked = (analysis.to_string(), word.to_string(), typos.min(2), prefix);
        let cached = snapshot.expansions.lock().ok().and_then(|mut cache| cache.get(&asked).cloned());
        if let Some(found) = cached {
            return found.as_ref().clone();
        }
        let found = expand_in(&snapshot, analysis, field, word, typos, prefix);
        if let Ok(mut cache) = snapshot.expansions.lock() {
            cache.put(asked, Arc::new(found.clone()));
        }
        found
    }

    /// False until the first build.
    pub fn is_built(&self) -> bool {
        self.current.read().map(|snapshot| snapshot.generation.is_some()).unwrap_or(false)
    }
}

/// [`Lexicon::expand`] in one snapshot's dictionaries.
fn expand_in(snapshot: &Snapshot, analysis: &str, field: Field, word: &str, typos: u8, prefix: bool) -> Vec<String> {
    let maps: Vec<&Map<Vec<u8>>> =
        [&snapshot.base, &snapshot.recent].into_iter().filter_map(|part| part.words.get(analysis)).collect();
    let term = Term::from_field_text(field, word);
    let query = if prefix {
        FuzzyTermQuery::new_prefix(term, typos.min(2), true)
    } else {
        FuzzyTermQuery::new(term, typos.min(2), true)
    };
    let Ok(automaton) = query.automaton() else { return Vec::new() };
    // A word in both parts: its frequencies add up.
    let mut found: HashMap<Vec<u8>, u64> = HashMap::new();
    for map in &maps {
        let mut stream = map.search(&automaton).into_stream();
        while let Some((key, frequency)) = stream.next() {
            if key != word.as_bytes() {
                *found.entry(key.to_vec()).or_default() += frequency;
            }
        }
    }
    if prefix {
        // A stem is often shorter than the word being typed ("presid" for "presiden"): the
        // index's words that the typed word starts with, down to three letters less, match too.
        let bytes = word.as_bytes();
        for length in bytes.len().saturating_sub(3).max(3)..bytes.len() {
            if !word.is_char_boundary(length) || found.contains_key(&bytes[..length]) {
                continue;
            }
            let frequency: u64 = maps.iter().filter_map(|map| map.get(&bytes[..length])).sum();
            if frequency > 0 {
                found.insert(bytes[..length].to_vec(), frequency);
            }
        }
    }
    let mut found: Vec<(u64, Vec<u8>)> = found.into_iter().map(|(key, frequency)| (frequency, key)).collect();
    let order = |a: &(u64, Vec<u8>), b: &(u64, Vec<u8>)| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1));
    if found.len() > MAX_EXPANSIONS {
        found.select_nth_unstable_by(MAX_EXPANSIONS - 1, order);
        found.truncate(MAX_EXPANSIONS);
    }
    // The same order whatever the parts' layout: the query built from it is the same too.
    found.sort_unstable_by(order);
    found.into_iter().filter_map(|(_, key)| String::from_utf8(key).ok()).collect()
}

fn poisoned() -> Error {
    Error::Internal("lexicon lock poisoned".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::WriterBudget;
    use crate::model::Article;
    use crate::store::Store;

    fn unthrottled() -> Lexicon {
        Lexicon { current: RwLock::default(), rebuilding: super::super::RebuildThrottle::new(Duration::ZERO) }
    }

    #[test]
    fn new_segments_rebuild_the_recent_part_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite3")).unwrap();
        let index = SearchIndex::open(&dir.path().join("index")).unwrap();
        assert!(index.acquire_writer(WriterBudget::Batch).unwrap());
        let mut add = |range: std::ops::Range<usize>, body: &str| {
            let articles: Vec<Article> = range.map(|number| Article::for_test(number, body)).collect();
            store.upsert_articles(&articles).unwrap();
            index.catch_up(&store).unwrap();
        };
        let body = index.fields.text_for("en").body;
        let expand = |lexicon: &Lexicon, word: &str| lexicon.expand("en", body, word, 0, true);
        // What a lexicon built from scratch over the same index expands to.
        let from_scratch = |word: &str| {
            let fresh = unthrottled();
            fresh.refresh(&index).unwrap();
            expand(&fresh, word)
        };

        // An empty index: built, with nothing to expand to.
        let lexicon = unthrottled();
        assert!(lexicon.refresh(&index).unwrap());
        assert!(lexicon.is_built());
        assert!(expand(&lexicon, "harb").is_empty());

        add(0..40, "harbour harvest");
        assert!(lexicon.refresh(&index).unwrap());
        let first = lexicon.current.read().unwrap().clone();
        assert_eq!(expand(&lexicon, "harb"), ["harbour"]);

        // Five articles more: a new segment, read into the recent part; the base is kept.
        add(40..45, "harbinger harbour");
        assert!(lexicon.refresh(&index).unwrap());
        let second = lexicon.current.read().unwrap().clone();
        assert!(Arc::ptr_eq(&first.base, &second.base), "the base was rebuilt for a small segment");
        assert!(!second.recent.segments.is_empty());
        // Most frequent first, frequencies added across the parts.
        assert_eq!(expand(&lexicon, "harb"), ["harbour", "harbing"]);
        assert_eq!(expand(&lexicon, "harb"), from_scratch("harb"));
        assert!(!lexicon.refresh(&index).unwrap(), "nothing changed, nothing rebuilt");

        // Past a quarter of all the documents, the recent part is folded into a new base.
        add(45..60, "harness");
        assert!(lexicon.refresh(&index).unwrap());
        let third = lexicon.current.read().unwrap().clone();
        assert!(!Arc::ptr_eq(&second.base, &third.base));
        assert!(third.recent.segments.is_empty());
        assert_eq!(third.base.documents, 60);
        assert_eq!(expand(&lexicon, "har"), from_scratch("har"));
        assert_eq!(expand(&lexicon, "har")[0], "harbour");
    }
}

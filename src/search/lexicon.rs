//! The words of the index, one dictionary per analysis (title and body terms of every segment
//! merged, with their document frequencies), for expanding typo and prefix matches.
//!
//! Walking a Levenshtein automaton over every segment's title and body dictionaries costs one
//! traversal per segment and field on every keystroke; here it is one traversal of one small
//! dictionary, rebuilt off the request path when the index changes. As Elasticsearch's
//! `max_expansions` does, an expansion keeps the most frequent matching words only.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::Term;
use tantivy_fst::{IntoStreamer, Map, MapBuilder, Streamer};

use crate::error::{Error, Result};
use crate::index::SearchIndex;

/// Words one typo or prefix expansion keeps at most (the most frequent).
pub const MAX_EXPANSIONS: usize = 50;
/// The least time between two rebuilds while articles keep arriving.
const REBUILD_EVERY: Duration = Duration::from_millis(500);

#[derive(Default)]
struct Snapshot {
    generation: Option<u64>,
    words: HashMap<&'static str, Map<Vec<u8>>>,
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

impl Lexicon {
    /// Rebuilds from the index's current searcher when it changed (at most every half second).
    pub fn refresh(&self, index: &SearchIndex) -> Result<bool> {
        let searcher = index.reader.searcher();
        let generation = searcher.generation().generation_id();
        if self.current.read().map(|snapshot| snapshot.generation == Some(generation)).unwrap_or(false) {
            return Ok(false);
        }
        if !self.rebuilding.try_start()? {
            return Ok(false);
        }
        let mut words = HashMap::new();
        for text in &index.fields.text {
            let mut frequencies: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            for segment in searcher.segment_readers() {
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
        *self.current.write().map_err(|_| poisoned())? = Arc::new(Snapshot { generation: Some(generation), words });
        Ok(true)
    }

    /// The most frequent words of `analysis` within `typos` edits of `word` (a swap of neighbours
    /// is one edit), or — with `prefix` — starting with a word within `typos` edits of it. `word`
    /// itself is left out.
    pub fn expand(&self, analysis: &str, field: Field, word: &str, typos: u8, prefix: bool) -> Vec<String> {
        let Ok(snapshot) = self.current.read().map(|snapshot| Arc::clone(&snapshot)) else { return Vec::new() };
        let Some(map) = snapshot.words.get(analysis) else { return Vec::new() };
        let term = Term::from_field_text(field, word);
        let query = if prefix {
            FuzzyTermQuery::new_prefix(term, typos.min(2), true)
        } else {
            FuzzyTermQuery::new(term, typos.min(2), true)
        };
        let Ok(automaton) = query.automaton() else { return Vec::new() };
        let mut found: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut stream = map.search(automaton).into_stream();
        while let Some((key, frequency)) = stream.next() {
            if key != word.as_bytes() {
                found.push((frequency, key.to_vec()));
            }
        }
        if prefix {
            // A stem is often shorter than the word being typed ("presid" for "presiden"): the
            // index's words that the typed word starts with, down to three letters less, match too.
            let bytes = word.as_bytes();
            for length in bytes.len().saturating_sub(3).max(3)..bytes.len() {
                if !word.is_char_boundary(length) {
                    continue;
                }
                if let Some(frequency) = map.get(&bytes[..length]) {
                    if !found.iter().any(|(_, key)| key.as_slice() == &bytes[..length]) {
                        found.push((frequency, bytes[..length].to_vec()));
                    }
                }
            }
        }
        if found.len() > MAX_EXPANSIONS {
            found.select_nth_unstable_by(MAX_EXPANSIONS - 1, |a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            found.truncate(MAX_EXPANSIONS);
        }
        found.into_iter().filter_map(|(_, key)| String::from_utf8(key).ok()).collect()
    }

    /// False until the first build.
    pub fn is_built(&self) -> bool {
        self.current.read().map(|snapshot| snapshot.generation.is_some()).unwrap_or(false)
    }
}

fn poisoned() -> Error {
    Error::Internal("lexicon lock poisoned".into())
}

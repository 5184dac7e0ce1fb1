//! Suggestions for a search box: entity names (with their article counts) and headlines whose words
//! start with what was typed, ranked by article count and freshness.
//!
//! Answered from memory, in microseconds: a snapshot of every entity name and of the distinct
//! headlines of the newest articles, with a sorted list of their words for prefix lookups and the
//! best entries of every one- to three-letter prefix precomputed. What it holds is bounded by the
//! vocabulary of names and by `suggest_headlines` (50,000 by default), not by the archive: at a million articles it
//! does not hold a million headlines.
//!
//! The snapshot is rebuilt off the request path when the index changes, from what the index
//! already keeps in columns: names and their article counts come from each segment's keyword
//! columns (tallied once per segment and its deletes, so a rebuild after a small ingest reads
//! only the new segment), the newest articles from the date column, and only their headlines
//! from the document store (each read once while it stays among the newest).

mod sources;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Serialize;
use tantivy::index::SegmentId;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocId, Searcher};
use utoipa::ToSchema;

use super::snippets::mark;
use super::values::{Bounded, Choice, Text};
use crate::index::SearchIndex;
use sources::{Headline, Named, SegmentNames};

/// Suggestions a request may ask for.
pub type SuggestLimit = Bounded<1, MAX_SUGGESTIONS>;
/// What was typed, in characters at most.
pub type SuggestText = Text<MAX_SUGGEST_CHARS>;
pub const DEFAULT_SUGGESTIONS: usize = 8;
pub const MAX_SUGGESTIONS: usize = 50;
/// Characters of a suggestion query at most.
pub const MAX_SUGGEST_CHARS: usize = 200;
/// Entries kept per precomputed one- or two-letter prefix.
const PRECOMPUTED: usize = MAX_SUGGESTIONS;
/// Half-life of the freshness part of a suggestion's score.
const HALF_LIFE_DAYS: f64 = 30.0;
/// The least time between two rebuilds while articles keep arriving.
const REBUILD_EVERY: Duration = Duration::from_millis(500);

/// What a suggestion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    Person,
    Org,
    Place,
    Title,
}

/// A suggestion kind as a request names it (with synonyms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindOfSuggestion(pub SuggestionKind);

impl Choice for KindOfSuggestion {
    const PARAMETER: &'static str = "kinds";
    const WORDS: &'static [(&'static str, KindOfSuggestion)] = &[
        ("person", KindOfSuggestion(SuggestionKind::Person)),
        ("people", KindOfSuggestion(SuggestionKind::Person)),
        ("org", KindOfSuggestion(SuggestionKind::Org)),
        ("organisation", KindOfSuggestion(SuggestionKind::Org)),
        ("organization", KindOfSuggestion(SuggestionKind::Org)),
        ("place", KindOfSuggestion(SuggestionKind::Place)),
        ("title", KindOfSuggestion(SuggestionKind::Title)),
    ];
}

crate::choice_schema!(KindOfSuggestion);

/// A suggestion request: what was typed, how many, which kinds.
#[derive(Debug, Clone, Default)]
pub struct SuggestRequest {
    /// What was typed so far; every word must start a word of the suggestion.
    pub q: String,
    pub limit: usize,
    /// Only these kinds (`None`: every kind).
    pub kinds: Option<Vec<SuggestionKind>>,
    /// Only what this scope sees: headlines of visible articles, names counted over them.
    pub scope: super::scope::Scope,
}

impl SuggestRequest {
    /// Checks the bounds every caller must respect.
    pub fn validate(&self) -> crate::error::Result<()> {
        use crate::error::Error;
        if self.q.chars().count() > MAX_SUGGEST_CHARS {
            return Err(Error::BadParameter(format!("q is longer than {MAX_SUGGEST_CHARS} characters")));
        }
        SuggestLimit::check("limit", self.limit)?;
        Ok(())
    }
}

/// One suggestion.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Suggestion {
    /// The name or headline as written.
    pub text: String,
    /// `person`, `org`, `place` or `title`.
    pub kind: SuggestionKind,
    /// Articles mentioning the entity, or carrying the headline.
    pub count: u64,
    /// `text`, HTML-escaped, the typed prefixes in `<mark>`.
    pub highlighted: String,
    /// For a headline: its newest article's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// An entity name or a distinct headline.
#[derive(Debug, Clone)]
struct Entry {
    text: String,
    kind: SuggestionKind,
    count: u32,
    newest: Option<i64>,
    /// The newest article carrying it (headlines only).
    id: Option<String>,
    score: f32,
    /// Its words, lower-cased and accent-folded.
    words: Vec<Box<str>>,
}

/// One immutable snapshot.
#[derive(Default)]
struct Snapshot {
    generation: u64,
    entries: Vec<Entry>,
    /// (folded word, entry), sorted by word.
    words: Vec<(Box<str>, u32)>,
    /// Best entries (by score) for each folded word prefix of up to three letters.
    short: HashMap<Box<str>, Vec<u32>>,
}

/// The suggestion service of one index.
pub struct Suggester {
    current: RwLock<Arc<Snapshot>>,
    /// Each segment's names, by segment.
    names: Mutex<HashMap<SegmentId, SegmentNames>>,
    /// The headlines of the newest articles, by segment and document: kept while they stay among
    /// the newest, so a rebuild reads only the articles that joined them.
    headlines: Mutex<HashMap<(SegmentId, DocId), Arc<Headline>>>,
    /// How many of the newest articles' headlines are suggested.
    newest_articles: usize,
    /// When the last rebuild started; one rebuild at a time.
    rebuilding: super::RebuildThrottle,
    fold: TextAnalyzer,
}

impl Suggester {
    /// Suggests entity names and the headlines of the `newest_articles` newest articles.
    pub(crate) fn new(index: &SearchIndex, newest_articles: usize) -> Suggester {
        Suggester {
            current: RwLock::new(Arc::new(Snapshot { generation: u64::MAX, ..Snapshot::default() })),
            names: Mutex::new(HashMap::new()),
            headlines: Mutex::new(HashMap::new()),
            newest_articles,
            rebuilding: super::RebuildThrottle::new(REBUILD_EVERY),
            fold: crate::index::schema::text_analyzer(&index.index, crate::index::schema::NEUTRAL),
        }
    }

    /// True once a snapshot has been built.
    pub(crate) fn is_built(&self) -> bool {
        self.current.read().map(|snapshot| snapshot.generation != u64::MAX).unwrap_or(false)
    }

    /// Rebuilds the snapshot from the index's current searcher when it changed (and no rebuild ran
    /// in the last moment). Returns whether it rebuilt.
    pub(crate) fn refresh(&self, index: &SearchIndex) -> crate::error::Result<bool> {
        let searcher = index.reader.searcher();
        let generation = searcher.generation().generation_id();
        if self.current.read().map(|snapshot| snapshot.generation == generation).unwrap_or(false) {
            return Ok(false);
        }
        if !self.rebuilding.try_start()? {
            return Ok(false);
        }
        let snapshot = self.build(index, &searcher, generation)?;
        *self.current.write().map_err(|_| poisoned())? = Arc::new(snapshot);
        Ok(true)
    }

    fn build(&self, index: &SearchIndex, searcher: &Searcher, generation: u64) -> crate::error::Result<Snapshot> {
        let mut tally = Tally::default();
        for names in self.names_of(searcher)? {
            tally.add_names(&names);
        }
        for headline in self.newest_headlines(index, searcher)? {
            tally.add_headline(&headline);
        }
        let mut entries = tally.entries();
        let words = self.index_words(&mut entries);
        let short = best_of_short_prefixes(&words);
        Ok(Snapshot { generation, entries, words, short })
    }

    /// Gives each entry its folded words and returns every (word, entry) pair, sorted by word.
    fn index_words(&self, entries: &mut [Entry]) -> Vec<(Box<str>, u32)> {
        let mut fold = self.fold.clone();
        let mut words: Vec<(Box<str>, u32)> = Vec::new();
        for (position, entry) in entries.iter_mut().enumerate() {
            let mut own: Vec<Box<str>> =
                folded_words(&mut fold, &entry.text).into_iter().map(String::into_boxed_str).collect();
            own.sort_unstable();
            own.dedup();
            words.extend(own.iter().map(|word| (word.clone(), position as u32)));
            entry.words = own;
        }
        words.sort_unstable();
        words
    }

    /// Suggestions for what was typed: entries having, for each typed word, a word starting with
    /// it. Best first: article count and freshness.
    pub(crate) fn suggest(&self, typed: &str, limit: usize, kinds: Option<&[SuggestionKind]>) -> Vec<Suggestion> {
        let Ok(snapshot) = self.current.read().map(|snapshot| Arc::clone(&snapshot)) else { return Vec::new() };
        let mut fold = self.fold.clone();
        let typed_words = folded_words(&mut fold, typed);
        if typed_words.is_empty() {
            return Vec::new();
        }
        let range_of = |prefix: &str| {
            let start = snapshot.words.partition_point(|(word, _)| word.as_ref() < prefix);
            let length = snapshot.words[start..].partition_point(|(word, _)| word.starts_with(prefix));
            start..start + length
        };
        // Scan the typed word with the fewest candidates; check the others on each candidate.
        let (scanned, range) = typed_words
            .iter()
            .map(|word| (word, range_of(word)))
            .min_by_key(|(_, range)| range.len())
            .expect("at least one typed word");
        let accepts = |position: u32| {
            let entry = &snapshot.entries[position as usize];
            kinds.is_none_or(|kinds| kinds.contains(&entry.kind))
                && typed_words.iter().all(|typed| {
                    // Each typed word starts one of the entry's words (sorted: find the first ≥ it).
                    let at = entry.words.partition_point(|word| word.as_ref() < typed.as_str());
                    entry.words.get(at).is_some_and(|word| word.starts_with(typed.as_str()))
                })
        };
        let mut chosen: Vec<u32> = Vec::new();
        // The best entries of every short prefix are precomputed (best first); the list is every
        // entry of the prefix when shorter than its cap.
        match snapshot.short.get(scanned.as_str()) {
            Some(list) if typed_words.len() == 1 && kinds.is_none() => chosen.extend(list.iter().copied().take(limit)),
            Some(list) if list.len() < PRECOMPUTED => {
                chosen.extend(list.iter().copied().filter(|position| accepts(*position)).take(limit))
            }
            _ => {
                let mut candidates: Vec<u32> = snapshot.words[range].iter().map(|(_, entry)| *entry).collect();
                candidates.sort_unstable();
                candidates.dedup();
                chosen.extend(candidates.into_iter().filter(|position| accepts(*position)).take(limit));
            }
        }
        chosen
            .into_iter()
            .map(|position| {
                let entry = &snapshot.entries[position as usize];
                Suggestion {
                    text: entry.text.clone(),
                    kind: entry.kind,
                    count: entry.count as u64,
                    highlighted: highlight_prefixes(&entry.text, &typed_words, &mut fold),
                    id: entry.id.clone(),
                }
            })
            .collect()
    }
}

/// The ways one name is written, with the articles writing it each way.
type Forms = HashMap<String, u32>;

/// Article counts and newest dates of every entity name and distinct headline.
#[derive(Default)]
struct Tally {
    /// (kind, lower-cased name) → its forms as written, with their articles, and the newest date.
    entities: HashMap<(SuggestionKind, String), (Forms, Option<i64>)>,
    /// Lower-cased headline → (headline, articles, newest, the newest article's id).
    titles: HashMap<String, (String, u32, Option<i64>, String)>,
}

impl Tally {
    fn add_names(&mut self, names: &[Named]) {
        for named in names.iter().filter(|named| is_presentable(&named.name)) {
            let (forms, newest) = self.entities.entry((named.kind, named.name.to_lowercase())).or_default();
            *forms.entry(named.name.clone()).or_default() += named.count;
            *newest = (*newest).max(named.newest);
        }
    }

    fn add_headline(&mut self, headline: &Headline) {
        if headline.title.is_empty() {
            return;
        }
        let entry = self
            .titles
            .entry(headline.title.to_lowercase())
            .or_insert_with(|| (headline.title.clone(), 0, None, headline.id.clone()));
        entry.1 += 1;
        // Shown as its newest article writes it (the smallest id among equally new ones), and
        // pointing at that article: the same whatever order the headlines come in.
        if (headline.published, std::cmp::Reverse(&headline.id)) >= (entry.2, std::cmp::Reverse(&entry.3)) {
            entry.0 = headline.title.clone();
            entry.2 = headline.published;
            entry.3 = headline.id.clone();
        }
    }

    /// The entries, scored by article count and recency (counted back from the newest), best
    /// first so that a scan meets good entries early and ties break the same way.
    fn entries(self) -> Vec<Entry> {
        let newest = self
            .entities
            .values()
            .map(|entry| entry.1)
            .chain(self.titles.values().map(|entry| entry.2))
            .flatten()
            .max()
            .unwrap_or(0);
        let score = |count: u32, published: Option<i64>| {
            let age_days = published.map(|secs| (newest - secs).max(0) as f64 / 86_400.0);
            let recency = age_days.map(|days| (-days / HALF_LIFE_DAYS * std::f64::consts::LN_2).exp()).unwrap_or(0.0);
            ((1.0 + (count as f64).ln()) * (0.5 + 0.5 * recency)) as f32
        };
        let mut entries: Vec<Entry> = self
            .entities
            .into_iter()
            .map(|((kind, _), (forms, newest))| {
                let count = forms.values().sum();
                // Shown as most of its articles write it.
                let text = forms
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                    .map(|(form, _)| form)
                    .unwrap_or_default();
                (kind, text, count, newest)
            })
            .map(|(kind, text, count, newest)| Entry {
                score: score(count, newest),
                text,
                kind,
                count,
                newest,
                id: None,
                words: Vec::new(),
            })
            .chain(self.titles.into_values().map(|(text, count, newest, id)| Entry {
                score: score(count, newest),
                text,
                kind: SuggestionKind::Title,
                count,
                newest,
                id: Some(id),
                words: Vec::new(),
            }))
            .collect();
        entries.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| b.newest.cmp(&a.newest))
                .then_with(|| a.text.cmp(&b.text))
                .then_with(|| a.kind.cmp(&b.kind))
        });
        entries
    }
}

/// The best entries (lowest numbers: entries are numbered best first) of every one- to
/// three-letter word prefix.
fn best_of_short_prefixes(words: &[(Box<str>, u32)]) -> HashMap<Box<str>, Vec<u32>> {
    let mut short: HashMap<Box<str>, Vec<u32>> = HashMap::new();
    for (word, entry) in words {
        for length in 1..=3 {
            if word.chars().count() >= length {
                let prefix: String = word.chars().take(length).collect();
                short.entry(prefix.into_boxed_str()).or_default().push(*entry);
            }
        }
    }
    for list in short.values_mut() {
        list.sort_unstable();
        list.dedup();
        list.truncate(PRECOMPUTED);
        list.shrink_to_fit();
    }
    short
}

/// Names a search box can show: not markup or data debris that a tagger took for a name.
fn is_presentable(name: &str) -> bool {
    let length = name.chars().count();
    (2..=80).contains(&length) && !name.contains(['"', '(', ')', '[', ']', '{', '}', '<', '>', '=', ';', '|'])
}

fn poisoned() -> crate::error::Error {
    crate::error::Error::Internal("suggestion lock poisoned".into())
}

/// The words of a text, lower-cased and accent-folded.
fn folded_words(fold: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut stream = fold.token_stream(text);
    while let Some(token) = stream.next() {
        words.push(token.text.clone());
    }
    words
}

/// Escapes `text`, marking the start of each word that a typed word begins.
fn highlight_prefixes(text: &str, typed: &[String], fold: &mut TextAnalyzer) -> String {
    let mut ranges = Vec::new();
    let mut stream = fold.token_stream(text);
    while let Some(token) = stream.next() {
        let longest = typed
            .iter()
            .filter(|word| token.text.starts_with(String::as_str(word)))
            .map(|word| word.chars().count())
            .max();
        let Some(longest) = longest else {
            continue;
        };
        let word = &text[token.offset_from..token.offset_to];
        // The folded prefix covers as many characters of the word as were typed.
        let cut = word.char_indices().nth(longest).map(|(index, _)| index).unwrap_or(word.len());
        ranges.push(token.offset_from..token.offset_from + cut);
    }
    mark(text, &ranges)
}

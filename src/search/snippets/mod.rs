//! Highlighted snippets: HTML-escaped text with the query's matches wrapped in `<mark>`.
//!
//! Our own highlighter rather than Tantivy's `SnippetGenerator`, which runs the stemming analyzer
//! over every word of every hit: here a word is stemmed only when its first letters could make one
//! of the query's terms, which skips almost all of them. Fragments start and end at word
//! boundaries, and adjacent matches (a phrase) become one highlighted span.

use std::collections::HashMap;
use std::ops::Range;

use tantivy::query::Query;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Searcher;

mod fragments;
mod render;
mod words;

use super::query::instant::LooseWord;
use super::request::MatchSpan;
use crate::index::schema::{analysis_for, text_analyzer, NEUTRAL};
use crate::index::SearchIndex;
use fragments::{best_window, lead};
use render::{char_spans, merge, render};
use words::{could_match, loosely_matches, lowercase_prefix, prefix_of, words};

pub use render::mark;

/// How body snippets are cut: at most `fragments` fragments of about `chars` characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnippetShape {
    pub fragments: usize,
    pub chars: usize,
}

/// Spans of body matches returned at most.
pub const MAX_BODY_SPANS: usize = 200;

/// Builds the highlights of every hit of one search.
pub struct Highlighter {
    /// The query's terms per analysis: a hit is highlighted with the terms and the analyzer of its
    /// own language.
    analyses: HashMap<&'static str, Terms>,
    /// As-you-type words matched loosely (typos, prefix), with the analyzer that folds a word.
    loose: Vec<LooseWord>,
    fold: Option<TextAnalyzer>,
}

/// The query terms of one analysis and the analyzer that produced them.
struct Terms {
    /// Analysed query term → weight (its inverse document frequency).
    terms: HashMap<String, f32>,
    /// First two characters of each term: words starting otherwise cannot match.
    prefixes: Vec<[char; 2]>,
    analyzer: TextAnalyzer,
}

/// The weight of a loose (typo or prefix) match, below most exact terms'.
const LOOSE_WEIGHT: f32 = 1.0;

impl Highlighter {
    pub fn new(
        searcher: &Searcher,
        index: &SearchIndex,
        query: Option<&dyn Query>,
        loose: &[LooseWord],
    ) -> Highlighter {
        let fields = &index.fields;
        let mut collected: HashMap<&'static str, HashMap<String, f32>> = HashMap::new();
        if let Some(query) = query {
            let total = searcher.num_docs().max(1) as f32;
            query.query_terms(&mut |term, _| {
                let Some(analysis) = fields.analysis_of(term.field()) else { return };
                let value = term.value();
                let Some(text) = value.as_str() else { return };
                let frequency = searcher.doc_freq(term).unwrap_or(0) as f32;
                let weight = (1.0 + (total - frequency + 0.5) / (frequency + 0.5)).ln();
                let entry = collected.entry(analysis).or_default().entry(text.to_string()).or_insert(0.0f32);
                *entry = entry.max(weight);
            });
        }
        let analyses = collected
            .into_iter()
            .map(|(analysis, terms)| {
                let prefixes = terms.keys().map(|term| prefix_of(term)).collect();
                let analyzer = text_analyzer(&index.index, analysis);
                (analysis, Terms { terms, prefixes, analyzer })
            })
            .collect();
        let fold = (!loose.is_empty()).then(|| text_analyzer(&index.index, NEUTRAL));
        Highlighter { analyses, loose: loose.to_vec(), fold }
    }

    /// Byte ranges of the words of `text` (in language `lang`) that match a query term, with the
    /// term's weight; words within a loose word's typo budget, or starting with the word being
    /// typed, match too.
    fn matches(&self, text: &str, lang: &str) -> Vec<(Range<usize>, f32)> {
        let mut found = Vec::new();
        let terms = self.analyses.get(analysis_for(lang));
        if terms.is_none() && self.loose.is_empty() {
            return found;
        }
        let mut analyzer = terms.map(|terms| terms.analyzer.clone());
        let mut fold = self.fold.clone();
        for range in words(text) {
            let word = &text[range.clone()];
            if let (Some(terms), Some(analyzer)) = (terms, analyzer.as_mut()) {
                let first = lowercase_prefix(word);
                if !first[0].is_ascii() || terms.prefixes.iter().any(|prefix| could_match(*prefix, first)) {
                    let mut stream = analyzer.token_stream(word);
                    let mut matched = false;
                    while let Some(token) = stream.next() {
                        if let Some(weight) = terms.terms.get(&token.text) {
                            found.push((range.clone(), *weight));
                            matched = true;
                            break;
                        }
                    }
                    if matched {
                        continue;
                    }
                }
            }
            if let Some(fold) = fold.as_mut() {
                if self.loose.iter().any(|loose| loosely_matches(loose, word, fold)) {
                    found.push((range, LOOSE_WEIGHT));
                }
            }
        }
        found
    }

    /// The whole title, escaped, with its matches marked, and the matches' character spans.
    pub fn title(&self, title: &str, lang: &str) -> (String, Vec<MatchSpan>) {
        let ranges: Vec<Range<usize>> = self.matches(title, lang).into_iter().map(|(range, _)| range).collect();
        let ranges = merge(title, &ranges);
        (render(title, &ranges), char_spans(title, &ranges))
    }

    /// Fragments of the body around its best matches (the densest windows of distinct matched
    /// terms, as many as `shape` allows while matches remain outside the fragments taken), in text
    /// order; the opening when nothing matches. With the character spans of every match.
    pub fn body(&self, body: &str, lang: &str, shape: SnippetShape) -> (Vec<String>, Vec<MatchSpan>) {
        if body.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let matches = self.matches(body, lang);
        let all: Vec<Range<usize>> = matches.iter().map(|(range, _)| range.clone()).collect();
        let merged = merge(body, &all);
        let mut spans = char_spans(body, &merged);
        spans.truncate(MAX_BODY_SPANS);
        if matches.is_empty() {
            return (vec![lead(body, shape.chars)], spans);
        }
        let mut windows: Vec<Range<usize>> = Vec::new();
        let mut left: Vec<(Range<usize>, f32)> = matches;
        while windows.len() < shape.fragments && !left.is_empty() {
            let Some(window) = best_window(body, &left, shape.chars) else { break };
            left.retain(|(range, _)| range.end <= window.start || range.start >= window.end);
            // A later window must not overlap an earlier one.
            left.retain(|(range, _)| {
                windows.iter().chain(std::iter::once(&window)).all(|taken| {
                    range.start >= taken.end + shape.chars / 4 || range.end + shape.chars / 4 <= taken.start
                })
            });
            windows.push(window);
        }
        windows.sort_by_key(|window| window.start);
        // Windows that reach into each other become one fragment: no text is shown twice.
        let mut joined: Vec<Range<usize>> = Vec::with_capacity(windows.len());
        for window in windows {
            match joined.last_mut() {
                Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
                _ => joined.push(window),
            }
        }
        let fragments = joined
            .into_iter()
            .map(|window| {
                let ranges: Vec<Range<usize>> = merged
                    .iter()
                    .filter(|range| range.start >= window.start && range.end <= window.end)
                    .map(|range| range.start - window.start..range.end - window.start)
                    .collect();
                let mut html = String::new();
                if window.start > 0 {
                    html.push('…');
                }
                html.push_str(&render(&body[window.clone()], &ranges));
                // A fragment ending a sentence needs no mark of the cut.
                if window.end < body.len() && !body[..window.end].ends_with(['.', '!', '?']) {
                    html.push('…');
                }
                html
            })
            .collect();
        (fragments, spans)
    }
}

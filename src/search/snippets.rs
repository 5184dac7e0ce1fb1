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

use crate::index::SearchIndex;

/// Characters of body text in a snippet.
pub const BODY_SNIPPET_CHARS: usize = 200;
/// Characters of context kept before the first match of a fragment.
const LEADING_CONTEXT_CHARS: usize = 40;

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Builds the highlights of every hit of one search.
pub struct Highlighter {
    /// The query's terms per analysis: a hit is highlighted with the terms and the analyzer of its
    /// own language.
    analyses: HashMap<&'static str, Terms>,
}

/// The query terms of one analysis and the analyzer that produced them.
struct Terms {
    /// Analysed query term → weight (its inverse document frequency).
    terms: HashMap<String, f32>,
    /// First two characters of each term: words starting otherwise cannot match.
    prefixes: Vec<[char; 2]>,
    analyzer: TextAnalyzer,
}

impl Highlighter {
    pub fn new(searcher: &Searcher, index: &SearchIndex, query: Option<&dyn Query>) -> Highlighter {
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
                let analyzer = crate::index::schema::text_analyzer(&index.index, analysis);
                (analysis, Terms { terms, prefixes, analyzer })
            })
            .collect();
        Highlighter { analyses }
    }

    /// Byte ranges of the words of `text` (in language `lang`) that match a query term, with the
    /// term's weight.
    fn matches(&self, text: &str, lang: &str) -> Vec<(Range<usize>, f32)> {
        let mut found = Vec::new();
        let Some(terms) = self.analyses.get(crate::index::schema::analysis_for(lang)) else { return found };
        let mut analyzer = terms.analyzer.clone();
        for range in words(text) {
            let word = &text[range.clone()];
            let first = lowercase_prefix(word);
            if first[0].is_ascii() && !terms.prefixes.iter().any(|prefix| could_match(*prefix, first)) {
                continue;
            }
            let mut stream = analyzer.token_stream(word);
            while let Some(token) = stream.next() {
                if let Some(weight) = terms.terms.get(&token.text) {
                    found.push((range.clone(), *weight));
                    break;
                }
            }
        }
        found
    }

    /// The whole title, escaped, with its matches marked.
    pub fn title(&self, title: &str, lang: &str) -> String {
        let ranges: Vec<Range<usize>> = self.matches(title, lang).into_iter().map(|(range, _)| range).collect();
        render(title, &ranges)
    }

    /// The best fragment of the body (the densest window of distinct matched terms), or its opening
    /// when nothing matches.
    pub fn body(&self, body: &str, lang: &str) -> Vec<String> {
        if body.is_empty() {
            return Vec::new();
        }
        let matches = self.matches(body, lang);
        if matches.is_empty() {
            return vec![lead(body)];
        }
        let mut best = (0.0f32, 0usize);
        for (index, (range, _)) in matches.iter().enumerate() {
            let window_end = range.start + BODY_SNIPPET_CHARS;
            let mut seen: Vec<&str> = Vec::new();
            let mut score = 0.0;
            for (other, weight) in matches[index..].iter().take_while(|(other, _)| other.end <= window_end) {
                let word = &body[other.clone()];
                if !seen.iter().any(|earlier| earlier.eq_ignore_ascii_case(word)) {
                    seen.push(word);
                    score += weight;
                }
            }
            if score > best.0 {
                best = (score, index);
            }
        }
        let first_match = matches[best.1].0.start;
        let start = fragment_start(body, first_match);
        let end = fragment_end(body, start + BODY_SNIPPET_CHARS).max(matches[best.1].0.end);
        let ranges: Vec<Range<usize>> = matches
            .iter()
            .filter(|(range, _)| range.start >= start && range.end <= end)
            .map(|(range, _)| range.start - start..range.end - start)
            .collect();
        let mut html = String::new();
        if start > 0 {
            html.push('…');
        }
        html.push_str(&render(&body[start..end], &ranges));
        if end < body.len() {
            html.push('…');
        }
        vec![html]
    }
}

fn prefix_of(text: &str) -> [char; 2] {
    let mut chars = text.chars();
    [chars.next().unwrap_or(' '), chars.next().unwrap_or(' ')]
}

/// A word can only analyse to a term when their first letters agree (stemming keeps the start of a
/// word; a one-letter term only needs its letter).
fn could_match(term: [char; 2], word: [char; 2]) -> bool {
    term[0] == word[0] && (term[1] == ' ' || term[1] == word[1] || !word[1].is_ascii())
}

/// The alphanumeric runs of a text, as Tantivy's SimpleTokenizer splits it (ASCII bytes checked
/// directly; only non-ASCII characters are decoded).
fn words(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut position = 0;
    std::iter::from_fn(move || {
        let mut start = None;
        while position < bytes.len() {
            let byte = bytes[position];
            let (is_word, width) = if byte < 0x80 {
                (byte.is_ascii_alphanumeric(), 1)
            } else {
                let character = text[position..].chars().next().unwrap_or(' ');
                (character.is_alphanumeric(), character.len_utf8().max(1))
            };
            match (start, is_word) {
                (None, true) => start = Some(position),
                (Some(begin), false) => return Some(begin..position),
                _ => {}
            }
            position += width;
        }
        start.map(|begin| begin..bytes.len())
    })
}

/// The first two characters of a word, lower-cased.
fn lowercase_prefix(word: &str) -> [char; 2] {
    let bytes = word.as_bytes();
    if bytes.len() >= 2 && bytes[0] < 0x80 && bytes[1] < 0x80 {
        return [bytes[0].to_ascii_lowercase() as char, bytes[1].to_ascii_lowercase() as char];
    }
    let mut lower = word.chars().flat_map(char::to_lowercase);
    [lower.next().unwrap_or(' '), lower.next().unwrap_or(' ')]
}

/// Where a fragment whose first match is at `first_match` starts: the sentence start when it is
/// close, else a word boundary a little before the match.
fn fragment_start(text: &str, first_match: usize) -> usize {
    let earliest = first_match.saturating_sub(LEADING_CONTEXT_CHARS * 2);
    let mut earliest = earliest;
    while !text.is_char_boundary(earliest) {
        earliest += 1;
    }
    let before = &text[earliest..first_match];
    if let Some(sentence) = before.rfind(['.', '!', '?', '\n']) {
        let start = earliest + sentence + 1;
        return start + (text[start..first_match].len() - text[start..first_match].trim_start().len());
    }
    if earliest == 0 {
        return 0;
    }
    let mut cut = first_match.saturating_sub(LEADING_CONTEXT_CHARS);
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    match text[cut..first_match].find(char::is_whitespace) {
        Some(space) => cut + space + 1,
        None => first_match,
    }
}

/// Where a fragment ends: the last word boundary at or before `limit`.
fn fragment_end(text: &str, limit: usize) -> usize {
    if limit >= text.len() {
        return text.len();
    }
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].rfind(char::is_whitespace).map(|space| text[..space].trim_end().len()).unwrap_or(cut)
}

/// Escapes `text`, wrapping the byte ranges in `<mark>`; ranges separated only by spaces or
/// punctuation (a phrase) share one mark.
fn render(text: &str, highlighted: &[Range<usize>]) -> String {
    let mut merged: Vec<Range<usize>> = Vec::new();
    for range in highlighted {
        if range.end > text.len() || !text.is_char_boundary(range.start) || !text.is_char_boundary(range.end) {
            continue;
        }
        match merged.last_mut() {
            Some(last)
                if range.start >= last.end && text[last.end..range.start].chars().all(|c| c == ' ' || c == '-') =>
            {
                last.end = range.end;
            }
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => merged.push(range.clone()),
        }
    }
    let mut html = String::with_capacity(text.len() + 32);
    let mut from = 0;
    for range in merged {
        html.push_str(&escape_html(&text[from..range.start]));
        html.push_str("<mark>");
        html.push_str(&escape_html(&text[range.clone()]));
        html.push_str("</mark>");
        from = range.end;
    }
    html.push_str(&escape_html(&text[from..]));
    html
}

/// The opening of a text, cut at a word boundary, escaped.
fn lead(text: &str) -> String {
    let end = fragment_end(text, BODY_SNIPPET_CHARS);
    let mut html = escape_html(&text[..end]);
    if end < text.len() {
        html.push('…');
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_marks() {
        assert_eq!(render("a <b> & c", std::slice::from_ref(&(8..9))), "a &lt;b&gt; &amp; <mark>c</mark>");
        assert_eq!(escape_html("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    }

    #[test]
    fn adjacent_matches_share_one_mark() {
        assert_eq!(render("crude palm oil prices", &[6..10, 11..14]), "crude <mark>palm oil</mark> prices");
        assert_eq!(render("palm, oil", &[0..4, 6..9]), "<mark>palm</mark>, <mark>oil</mark>");
    }

    #[test]
    fn words_split_like_the_simple_tokenizer() {
        let text = "U.S. oil-price (up 5%)";
        let found: Vec<&str> = words(text).map(|range| &text[range]).collect();
        assert_eq!(found, vec!["U", "S", "oil", "price", "up", "5"]);
    }

    #[test]
    fn fragments_cut_at_word_boundaries() {
        let text = "word ".repeat(100);
        let lead = lead(&text);
        assert!(lead.ends_with("word…"), "{lead}");
        assert!(lead.chars().count() <= BODY_SNIPPET_CHARS + 1);
        let text = "First sentence here. Second sentence mentions oil near the start.";
        let start = fragment_start(text, text.find("oil").unwrap());
        assert_eq!(&text[start..start + 6], "Second");
    }
}

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

use super::query::instant::LooseWord;
use super::request::MatchSpan;
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

/// How body snippets are cut: at most `fragments` fragments of about `chars` characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnippetShape {
    pub fragments: usize,
    pub chars: usize,
}

/// Matches a snippet window may start at, and matches counted in one window, at most.
const MAX_WINDOW_STARTS: usize = 500;

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
                let analyzer = crate::index::schema::text_analyzer(&index.index, analysis);
                (analysis, Terms { terms, prefixes, analyzer })
            })
            .collect();
        let fold = (!loose.is_empty())
            .then(|| crate::index::schema::text_analyzer(&index.index, crate::index::schema::NEUTRAL));
        Highlighter { analyses, loose: loose.to_vec(), fold }
    }

    /// Byte ranges of the words of `text` (in language `lang`) that match a query term, with the
    /// term's weight; words within a loose word's typo budget, or starting with the word being
    /// typed, match too.
    fn matches(&self, text: &str, lang: &str) -> Vec<(Range<usize>, f32)> {
        let mut found = Vec::new();
        let terms = self.analyses.get(crate::index::schema::analysis_for(lang));
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

/// The window of about `chars` characters holding the most weight of distinct matched words,
/// starting at a sentence or word boundary before its first match and ending at one after.
fn best_window(body: &str, matches: &[(Range<usize>, f32)], chars: usize) -> Option<Range<usize>> {
    let mut best: Option<(f32, usize)> = None;
    // A window starts at one of the first matches: enough for a snippet, bounded on huge bodies.
    for (index, (range, _)) in matches.iter().enumerate().take(MAX_WINDOW_STARTS) {
        let window_end = advance_chars(body, range.start, chars);
        let mut seen: Vec<&str> = Vec::new();
        let mut score = 0.0;
        for (other, weight) in
            matches[index..].iter().take_while(|(other, _)| other.end <= window_end).take(MAX_WINDOW_STARTS)
        {
            let word = &body[other.clone()];
            if !seen.iter().any(|earlier| earlier.eq_ignore_ascii_case(word)) {
                seen.push(word);
                score += weight;
            }
        }
        if best.is_none_or(|(best_score, _)| score > best_score) {
            best = Some((score, index));
        }
    }
    let (_, index) = best?;
    let first = &matches[index].0;
    let start = fragment_start(body, first.start, chars);
    let end = fragment_end(body, advance_chars(body, start, chars)).max(first.end);
    Some(start..end)
}

/// The byte offset `chars` characters after `from` (or the end of the text).
fn advance_chars(text: &str, from: usize, chars: usize) -> usize {
    text[from..].char_indices().nth(chars).map_or(text.len(), |(offset, _)| from + offset)
}

/// Joins match ranges that touch or are separated only by spaces or hyphens (a phrase), dropping
/// any that do not fall on character boundaries.
fn merge(text: &str, ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::new();
    for range in ranges {
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
    merged
}

/// Byte ranges (sorted) as character offsets and lengths.
fn char_spans(text: &str, ranges: &[Range<usize>]) -> Vec<MatchSpan> {
    let mut spans = Vec::with_capacity(ranges.len());
    let mut chars_before = 0;
    let mut byte = 0;
    for range in ranges {
        chars_before += text[byte..range.start].chars().count();
        let length = text[range.clone()].chars().count();
        spans.push(MatchSpan { start: chars_before, length });
        chars_before += length;
        byte = range.end;
    }
    spans
}

/// A word of the text matches a loose query word: the word being typed starts it (allowing the
/// typed word's typos), or it is within the typo budget of a whole word (a swap of neighbours is
/// one edit).
fn loosely_matches(loose: &LooseWord, word: &str, fold: &mut TextAnalyzer) -> bool {
    let typed_len = loose.folded.len();
    let budget = loose.typos as usize;
    if word.len() + budget < typed_len || (!loose.prefix && word.len() > typed_len + budget * 4) {
        return false;
    }
    // ASCII words fold by lower-casing (on the stack when short); others go through the folding
    // analyzer.
    let owned;
    let mut lowered = [0u8; SHORT_WORD];
    let folded: &str = if word.is_ascii() {
        if budget == 0 {
            // Only a prefix can match: compare in place.
            return loose.prefix
                && word.len() >= typed_len
                && word.as_bytes()[..typed_len].eq_ignore_ascii_case(loose.folded.as_bytes());
        }
        match lowered.get_mut(..word.len()) {
            Some(buffer) => {
                for (slot, byte) in buffer.iter_mut().zip(word.bytes()) {
                    *slot = byte.to_ascii_lowercase();
                }
                std::str::from_utf8(buffer).expect("lower-cased ASCII")
            }
            None => {
                owned = word.to_ascii_lowercase();
                &owned
            }
        }
    } else {
        let mut stream = fold.token_stream(word);
        if !stream.advance() {
            return false;
        }
        owned = stream.token().text.clone();
        &owned
    };
    if loose.prefix {
        if folded.starts_with(&loose.folded) {
            return true;
        }
        if budget > 0 {
            let typed_chars = loose.folded.chars().count();
            let head_end = folded.char_indices().nth(typed_chars).map_or(folded.len(), |(end, _)| end);
            if edit_distance(&folded[..head_end], &loose.folded) <= budget {
                return true;
            }
        }
    }
    budget > 0 && folded.len().abs_diff(typed_len) <= budget * 4 && edit_distance(folded, &loose.folded) <= budget
}

/// Edit distance with a swap of neighbouring letters counted as one edit (optimal string
/// alignment), as the index's typo matching counts. Runs for every word of every snippet while a
/// reader types, so words of up to [`SHORT_WORD`] characters are compared without allocating.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let mut short_a = ['\0'; SHORT_WORD];
    let mut short_b = ['\0'; SHORT_WORD];
    match (chars_into(a, &mut short_a), chars_into(b, &mut short_b)) {
        (Some(a_len), Some(b_len)) => {
            let mut rows = [0usize; 3 * (SHORT_WORD + 1)];
            alignment_distance(&short_a[..a_len], &short_b[..b_len], &mut rows)
        }
        _ => {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            let mut rows = vec![0usize; 3 * (b.len() + 1)];
            alignment_distance(&a, &b, &mut rows)
        }
    }
}

/// Words longer than this (in characters) are compared through the heap.
const SHORT_WORD: usize = 64;

/// The characters of `text` into `buffer`, and how many; `None` when they do not fit.
fn chars_into(text: &str, buffer: &mut [char; SHORT_WORD]) -> Option<usize> {
    let mut count = 0;
    for character in text.chars() {
        *buffer.get_mut(count)? = character;
        count += 1;
    }
    Some(count)
}

/// Optimal string alignment distance, keeping three rows of the table (the swap looks two rows
/// back) in `rows` (at least 3 × (b.len() + 1) long).
fn alignment_distance(a: &[char], b: &[char], rows: &mut [usize]) -> usize {
    let width = b.len() + 1;
    for (j, cell) in rows[..width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let current = (i % 3) * width;
        let previous = ((i - 1) % 3) * width;
        let before_previous = ((i + 1) % 3) * width;
        rows[current] = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[previous + j] + 1).min(rows[current + j - 1] + 1).min(rows[previous + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[before_previous + j - 2] + 1);
            }
            rows[current + j] = best;
        }
    }
    rows[(a.len() % 3) * width + b.len()]
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

/// Where a fragment of about `chars` characters whose first match is at `first_match` starts: the
/// sentence start when it is close, else a word boundary a little before the match.
fn fragment_start(text: &str, first_match: usize, chars: usize) -> usize {
    let leading = (chars / 5).min(LEADING_CONTEXT_CHARS);
    let earliest = first_match.saturating_sub(leading * 2);
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
    let mut cut = first_match.saturating_sub(leading);
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    match text[cut..first_match].char_indices().find(|(_, character)| character.is_whitespace()) {
        // After the whitespace character, whatever its width (a no-break space is two bytes).
        Some((space, character)) => cut + space + character.len_utf8(),
        None => first_match,
    }
}

/// Where a fragment ends: a sentence end in the last quarter before `limit`, else the last word
/// boundary at or before it (never inside a word).
fn fragment_end(text: &str, limit: usize) -> usize {
    if limit >= text.len() {
        return text.len();
    }
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut from = cut - cut.min((cut / 4).max(1));
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let tail = &text[from..cut];
    if let Some(stop) = tail.rfind(['.', '!', '?']) {
        let end = from + stop + 1;
        if text[end..].starts_with(char::is_whitespace) {
            return end;
        }
    }
    match text[..cut].rfind(char::is_whitespace) {
        Some(space) => text[..space].trim_end().len(),
        // One long word: cut before it rather than through it.
        None => 0,
    }
}

/// Escapes `text`, wrapping the byte ranges in `<mark>`; ranges separated only by spaces or
/// hyphens (a phrase) share one mark.
fn render(text: &str, highlighted: &[Range<usize>]) -> String {
    let merged = merge(text, highlighted);
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

/// The opening of a text, cut at a sentence or word boundary, escaped.
fn lead(text: &str, chars: usize) -> String {
    let end = fragment_end(text, advance_chars(text, 0, chars));
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
        let lead = lead(&text, BODY_SNIPPET_CHARS);
        assert!(lead.ends_with("word…"), "{lead}");
        assert!(lead.chars().count() <= BODY_SNIPPET_CHARS + 1);
        let text = "First sentence here. Second sentence mentions oil near the start.";
        let start = fragment_start(text, text.find("oil").unwrap(), 200);
        assert_eq!(&text[start..start + 6], "Second");
        // A window starting after a no-break space starts after its two bytes.
        let text = format!("{}\u{a0}then oil", "x".repeat(100));
        let start = fragment_start(&text, text.find("oil").unwrap(), 160);
        assert!(text.is_char_boundary(start) && text[start..].starts_with("then"), "{start}");
        // A sentence end close to the limit wins over a word boundary.
        let text = "The minister spoke at length. Then the committee voted on the budget proposal today.";
        assert_eq!(&text[..fragment_end(text, 34)], "The minister spoke at length.");
        assert_eq!(&text[..fragment_end(text, 60)], "The minister spoke at length. Then the committee voted on");
    }

    #[test]
    fn swaps_count_as_one_edit() {
        assert_eq!(edit_distance("zelenksy", "zelensky"), 1);
        assert_eq!(edit_distance("peskov", "peskov"), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("ca", "abc"), 3, "optimal string alignment, not Damerau-Levenshtein");
        assert_eq!(edit_distance("straße", "strasse"), 2);
        // Past 64 characters the words are compared through the heap, with the same result.
        let long = "a".repeat(70) + "xy";
        assert_eq!(edit_distance(&long, &("a".repeat(70) + "yx")), 1);
        assert_eq!(edit_distance(&long, "axy"), 69);
        assert_eq!(edit_distance(&"b".repeat(64), &"b".repeat(63)), 1);
    }

    #[test]
    fn spans_count_characters() {
        let text = "Zürich and Genève";
        let ranges = vec![0..text.find(' ').unwrap(), text.find("Gen").unwrap()..text.len()];
        assert_eq!(
            char_spans(text, &ranges),
            vec![MatchSpan { start: 0, length: 6 }, MatchSpan { start: 11, length: 6 }]
        );
    }
}

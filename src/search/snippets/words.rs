//! Words of a text as the highlighter sees them: split as Tantivy's simple tokenizer splits,
//! checked cheaply against the query's terms, and matched loosely (typos, a prefix being typed)
//! with an edit distance that counts a swap of neighbours as one edit.

use std::ops::Range;

use tantivy::tokenizer::TextAnalyzer;

use crate::search::query::instant::LooseWord;

/// A word of the text matches a loose query word: the word being typed starts it (allowing the
/// typed word's typos), or it is within the typo budget of a whole word (a swap of neighbours is
/// one edit).
pub(super) fn loosely_matches(loose: &LooseWord, word: &str, fold: &mut TextAnalyzer) -> bool {
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

pub(super) fn prefix_of(text: &str) -> [char; 2] {
    let mut chars = text.chars();
    [chars.next().unwrap_or(' '), chars.next().unwrap_or(' ')]
}

/// A word can only analyse to a term when their first letters agree (stemming keeps the start of a
/// word; a one-letter term only needs its letter).
pub(super) fn could_match(term: [char; 2], word: [char; 2]) -> bool {
    term[0] == word[0] && (term[1] == ' ' || term[1] == word[1] || !word[1].is_ascii())
}

/// The alphanumeric runs of a text, as Tantivy's SimpleTokenizer splits it (ASCII bytes checked
/// directly; only non-ASCII characters are decoded).
pub(super) fn words(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
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
pub(super) fn lowercase_prefix(word: &str) -> [char; 2] {
    let bytes = word.as_bytes();
    if bytes.len() >= 2 && bytes[0] < 0x80 && bytes[1] < 0x80 {
        return [bytes[0].to_ascii_lowercase() as char, bytes[1].to_ascii_lowercase() as char];
    }
    let mut lower = word.chars().flat_map(char::to_lowercase);
    [lower.next().unwrap_or(' '), lower.next().unwrap_or(' ')]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_the_simple_tokenizer() {
        let text = "U.S. oil-price (up 5%)";
        let found: Vec<&str> = words(text).map(|range| &text[range]).collect();
        assert_eq!(found, vec!["U", "S", "oil", "price", "up", "5"]);
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
}

//! Word shingles: the unit both extraction scoring and near-duplicate detection compare texts by.

use std::collections::HashMap;

/// The `\w+` runs of a text (letters, digits, marks and `_`, as Python's `re` has them).
pub fn words(text: &str) -> Vec<&str> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || matches!(c, '\u{300}'..='\u{36f}');
    let mut out = Vec::new();
    let mut start = None;
    for (index, c) in text.char_indices() {
        match (is_word(c), start) {
            (true, None) => start = Some(index),
            (false, Some(from)) => {
                out.push(&text[from..index]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        out.push(&text[from..]);
    }
    out
}

/// 64-bit hash of a run of words (FNV-1a over the lower-cased words, a separator between them).
pub fn hash_words(window: &[&str]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut feed = |byte: u8| {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    };
    for word in window {
        if word.is_ascii() {
            for byte in word.bytes() {
                feed(byte.to_ascii_lowercase());
            }
        } else {
            let mut buffer = [0u8; 4];
            for c in word.chars().flat_map(char::to_lowercase) {
                for byte in c.encode_utf8(&mut buffer).bytes() {
                    feed(byte);
                }
            }
        }
        feed(0xff);
    }
    hash
}

/// Hashes of every run of `size` consecutive words of a text, in order (case-insensitive): each word
/// is hashed once and the hashes of a run are mixed, so a word is not rehashed for every run it is
/// in.
pub fn run_hashes(text: &str, size: usize) -> Vec<u64> {
    let word_hashes: Vec<u64> = words(text).iter().map(|word| hash_words(std::slice::from_ref(word))).collect();
    word_hashes
        .windows(size)
        .map(|run| {
            run.iter().fold(0x9e37_79b9_7f4a_7c15u64, |mixed, hash| {
                (mixed ^ hash).wrapping_mul(0xff51_afd7_ed55_8ccd).rotate_left(29)
            })
        })
        .collect()
}

/// The multiset of hashed `size`-word shingles of a text (case-insensitive).
pub fn counted(text: &str, size: usize) -> HashMap<u64, u32> {
    let words = words(text);
    let mut counts = HashMap::new();
    for window in words.windows(size) {
        *counts.entry(hash_words(window)).or_insert(0) += 1;
    }
    counts
}

/// Share of `inner`'s shingles (as a multiset) that `outer` also has: 1.0 when `inner` is wholly
/// contained in `outer`; 0.0 when `inner` has no shingles.
pub fn containment(inner: &HashMap<u64, u32>, outer: &HashMap<u64, u32>) -> f64 {
    let total: u32 = inner.values().sum();
    if total == 0 {
        return 0.0;
    }
    let shared: u32 = inner.iter().map(|(shingle, count)| (*count).min(outer.get(shingle).copied().unwrap_or(0))).sum();
    shared as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_python_word_runs() {
        assert_eq!(words("It's a U.S.-led, 2019_x test"), vec!["It", "s", "a", "U", "S", "led", "2019_x", "test"]);
        assert_eq!(words("Notícias — Новости"), vec!["Notícias", "Новости"]);
    }

    #[test]
    fn containment_is_directional() {
        let small = counted("the talks resumed in Geneva on Saturday", 4);
        let large = counted("the talks resumed in Geneva on Saturday after a pause of three weeks", 4);
        assert_eq!(containment(&small, &large), 1.0);
        assert!(containment(&large, &small) < 0.5);
        assert_eq!(containment(&counted("too short", 4), &large), 0.0);
    }
}

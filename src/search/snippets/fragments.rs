//! Fragments: where a body snippet starts and ends (at a sentence or word boundary, never inside a
//! word) and which window of the body holds the best matches.

use std::ops::Range;

use super::render::escape_html;

/// Characters of context kept before the first match of a fragment.
const LEADING_CONTEXT_CHARS: usize = 40;
/// Matches a snippet window may start at, and matches counted in one window, at most.
const MAX_WINDOW_STARTS: usize = 500;

/// The window of about `chars` characters holding the most weight of distinct matched words,
/// starting at a sentence or word boundary before its first match and ending at one after.
pub(super) fn best_window(body: &str, matches: &[(Range<usize>, f32)], chars: usize) -> Option<Range<usize>> {
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

/// Where a fragment of about `chars` characters whose first match is at `first_match` starts: the
/// sentence start when it is close, else a word boundary a little before the match.
pub(super) fn fragment_start(text: &str, first_match: usize, chars: usize) -> usize {
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
pub(super) fn fragment_end(text: &str, limit: usize) -> usize {
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

/// The opening of a text, cut at a sentence or word boundary, escaped.
pub(super) fn lead(text: &str, chars: usize) -> String {
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

    /// Characters of body text in a snippet.
    const BODY_SNIPPET_CHARS: usize = 200;

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
}

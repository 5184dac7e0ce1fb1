//! Rendering: text HTML-escaped with its matches in `<mark>` (a phrase is one mark), and matches
//! as character offsets for clients that render text themselves.

use std::ops::Range;

use crate::search::request::MatchSpan;

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

/// Escapes `text`, wrapping the byte ranges in `<mark>`; ranges separated only by spaces or
/// hyphens (a phrase) share one mark.
pub(super) fn render(text: &str, highlighted: &[Range<usize>]) -> String {
    mark(text, &merge(text, highlighted))
}

/// Escapes `text`, wrapping each of the byte ranges (sorted, not overlapping, on character
/// boundaries) in its own `<mark>`.
pub fn mark(text: &str, ranges: &[Range<usize>]) -> String {
    let mut html = String::with_capacity(text.len() + 13 * ranges.len());
    let mut from = 0;
    for range in ranges {
        html.push_str(&escape_html(&text[from..range.start]));
        html.push_str("<mark>");
        html.push_str(&escape_html(&text[range.clone()]));
        html.push_str("</mark>");
        from = range.end;
    }
    html.push_str(&escape_html(&text[from..]));
    html
}

/// Joins match ranges that touch or are separated only by spaces or hyphens (a phrase), dropping
/// any that do not fall on character boundaries.
pub(super) fn merge(text: &str, ranges: &[Range<usize>]) -> Vec<Range<usize>> {
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
pub(super) fn char_spans(text: &str, ranges: &[Range<usize>]) -> Vec<MatchSpan> {
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
    fn spans_count_characters() {
        let text = "Zürich and Genève";
        let ranges = vec![0..text.find(' ').unwrap(), text.find("Gen").unwrap()..text.len()];
        assert_eq!(
            char_spans(text, &ranges),
            vec![MatchSpan { start: 0, length: 6 }, MatchSpan { start: 11, length: 6 }]
        );
    }

    #[test]
    fn every_range_gets_its_own_mark() {
        assert_eq!(mark("Saudi Arabia", &[0..5, 6..8]), "<mark>Saudi</mark> <mark>Ar</mark>abia");
    }
}

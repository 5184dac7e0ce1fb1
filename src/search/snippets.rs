//! Highlighted snippets: HTML-escaped text with the query's matches wrapped in `<mark>`.

use tantivy::query::Query;
use tantivy::snippet::{collapse_overlapped_ranges, Snippet, SnippetGenerator};
use tantivy::Searcher;

use crate::error::Result;
use crate::index::Fields;

/// Characters of body text in a snippet.
pub const BODY_SNIPPET_CHARS: usize = 200;
/// Titles are highlighted whole, up to this length.
const TITLE_SNIPPET_CHARS: usize = 1_000;

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
    title: Option<SnippetGenerator>,
    body: Option<SnippetGenerator>,
}

impl Highlighter {
    pub fn new(searcher: &Searcher, fields: &Fields, query: Option<&dyn Query>) -> Result<Highlighter> {
        let Some(query) = query else { return Ok(Highlighter { title: None, body: None }) };
        let mut title = SnippetGenerator::create(searcher, query, fields.title)?;
        title.set_max_num_chars(TITLE_SNIPPET_CHARS);
        let mut body = SnippetGenerator::create(searcher, query, fields.body)?;
        body.set_max_num_chars(BODY_SNIPPET_CHARS);
        Ok(Highlighter { title: Some(title), body: Some(body) })
    }

    pub fn title(&self, title: &str) -> String {
        match &self.title {
            Some(generator) => {
                let snippet = generator.snippet(title);
                if snippet.highlighted().is_empty() {
                    escape_html(title)
                } else {
                    // The fragment may be a window of a very long title; the full title is wanted.
                    render(title, &shift(&snippet))
                }
            }
            None => escape_html(title),
        }
    }

    pub fn body(&self, body: &str) -> Vec<String> {
        if body.is_empty() {
            return Vec::new();
        }
        if let Some(generator) = &self.body {
            let snippet = generator.snippet(body);
            if !snippet.highlighted().is_empty() {
                let range = snippet.fragment_range();
                let mut html = String::new();
                if range.start > 0 {
                    html.push('…');
                }
                html.push_str(&render(snippet.fragment(), snippet.highlighted()));
                if range.end < body.len() {
                    html.push('…');
                }
                return vec![html];
            }
        }
        vec![lead(body)]
    }
}

/// Highlight ranges of a snippet, moved from fragment offsets to offsets in the whole text.
fn shift(snippet: &Snippet) -> Vec<std::ops::Range<usize>> {
    let start = snippet.fragment_range().start;
    snippet.highlighted().iter().map(|range| range.start + start..range.end + start).collect()
}

/// Escapes `text`, wrapping the byte ranges in `<mark>`.
fn render(text: &str, highlighted: &[std::ops::Range<usize>]) -> String {
    let mut html = String::with_capacity(text.len() + 32);
    let mut from = 0;
    for range in collapse_overlapped_ranges(highlighted) {
        if range.start < from
            || range.end > text.len()
            || !text.is_char_boundary(range.start)
            || !text.is_char_boundary(range.end)
        {
            continue;
        }
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
    if text.len() <= BODY_SNIPPET_CHARS {
        return escape_html(text);
    }
    let mut cut = BODY_SNIPPET_CHARS;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = text[..cut].rfind(char::is_whitespace).unwrap_or(cut);
    format!("{}…", escape_html(text[..cut].trim_end()))
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
    fn lead_cuts_at_a_word() {
        let text = "word ".repeat(100);
        let lead = lead(&text);
        assert!(lead.ends_with("word…"), "{lead}");
        assert!(lead.chars().count() <= BODY_SNIPPET_CHARS + 1);
    }
}

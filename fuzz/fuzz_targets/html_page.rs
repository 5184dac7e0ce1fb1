//! Saved or fetched HTML pages: charset sniffed and decoded, main text, title, date, language and
//! authors extracted; a page with nothing to keep is rejected with a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::ingest::{html, page};
use tidings_fuzz::choice_and_rest;

const URLS: [Option<&str>; 4] = [
    None,
    Some("https://example.org/2019/05/07/story.html"),
    Some("https://example.org/news/a-b-c"),
    Some("not a url"),
];

fuzz_target!(|data: &[u8]| {
    let (choice, bytes) = choice_and_rest(data);
    let url = URLS[choice as usize % URLS.len()];
    let (markup, _encoding) = html::decode(bytes);
    let _ = page::date_in_url(&markup[..markup.floor_char_boundary(300)]);
    let context = page::PageContext {
        url: url.map(str::to_string),
        source: None,
        fetched_at: chrono::DateTime::from_timestamp(1_700_000_000, 0),
        fetched_rule: Some(tidings::model::DateRule::FetchTime),
    };
    match page::parse("page.html", bytes, &context) {
        Ok(article) => {
            assert!(!article.title.is_empty() || !article.body.is_empty());
            let (text, markup) = (article.body.len(), markup.len());
            assert!(text <= markup * 4 + 64, "{text} bytes of text from {markup} of markup");
        }
        Err(reason) => assert!(!reason.is_empty()),
    }
});

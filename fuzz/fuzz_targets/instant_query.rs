//! The search box: whatever a reader types is read in instant mode and answered (never a 400),
//! and the suggestions for the same text are too (a text past the 200 characters suggest reads
//! is its one 400).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::api::error::status_for;
use tidings::api::params::{SearchParams, SuggestParams};
use tidings::search::request::SearchRequest;
use tidings::search::suggest::MAX_SUGGEST_CHARS;
use tidings_fuzz::{archive, text};

fuzz_target!(|data: &[u8]| {
    let q = text(data);
    let mut params = SearchParams::default();
    for (key, value) in [("q", q.as_str()), ("mode", "instant"), ("limit", "5")] {
        assert!(params.apply_pair(key, value.to_string()).expect(key));
    }
    let request = SearchRequest::try_from(params).unwrap_or_else(|error| panic!("instant {q:?}: {error}"));
    let engine = archive().service.engine();
    let response = engine.search(&request).unwrap_or_else(|error| panic!("instant {q:?}: {error}"));
    assert!(response.hits.len() <= 5);
    let encoded: String = form_encode(&q);
    // Suggestions are for what is being typed: a longer text is a 400 that says so.
    let suggest = match SuggestParams::parse(&format!("q={encoded}&limit=5")) {
        Ok(suggest) => suggest,
        Err(error) => {
            assert!(q.chars().count() > MAX_SUGGEST_CHARS, "suggest parameters for {q:?}: {error}");
            assert!(status_for(&error).is_client_error(), "{q:?}: {error}");
            return;
        }
    };
    let suggestions = engine.suggest(&suggest).unwrap_or_else(|error| panic!("suggest {q:?}: {error}"));
    assert!(suggestions.len() <= 5, "{q:?}: {} suggestions", suggestions.len());
});

/// The text as a browser sends it in a query string.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

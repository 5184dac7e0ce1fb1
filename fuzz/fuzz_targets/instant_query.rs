//! The search box: whatever a reader types is read in instant mode and answered (never a 400),
//! and the suggestions for the same text are too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::api::params::{SearchParams, SuggestParams};
use tidings::search::request::SearchRequest;
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
    let suggest = SuggestParams::parse(&format!("q={encoded}&limit=5"))
        .unwrap_or_else(|error| panic!("suggest parameters for {q:?}: {error}"));
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

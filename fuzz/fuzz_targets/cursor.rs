//! Cursors as a client may send them back: forged, truncated or edited, with the snapshot part
//! of a real cursor kept (so decoding gets past it) or not. A page or a 4xx, never a 5xx.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tidings::search::request::SearchRequest;
use tidings_fuzz::{archive, choice_and_rest, client_result, text};

/// The queries the cursors page through, and a real cursor of each's first page.
fn walks() -> &'static Vec<(SearchRequest, String)> {
    static WALKS: OnceLock<Vec<(SearchRequest, String)>> = OnceLock::new();
    WALKS.get_or_init(|| {
        ["", "oil", "bank rate", "title:brazil"]
            .iter()
            .map(|q| {
                let request = SearchRequest { q: q.to_string(), limit: 2, ..Default::default() };
                let first = archive().service.engine().search(&request).expect("a first page");
                (request, first.cursor.expect("more than one page"))
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let (choice, rest) = choice_and_rest(data);
    let walks = walks();
    let (request, real) = &walks[choice as usize % walks.len()];
    let edited = text(rest);
    let cursor = if choice & 0x80 != 0 {
        edited.clone()
    } else {
        // The real snapshot, the position and the rest from the input.
        let generation = real.split('.').next().unwrap_or_default();
        format!("{generation}.{edited}")
    };
    let mut request = request.clone();
    request.cursor = Some(cursor.clone());
    if let Some(page) = client_result("cursor", &cursor, archive().service.engine().search(&request)) {
        assert!(page.hits.len() <= request.limit);
    }
});

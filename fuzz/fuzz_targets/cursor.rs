//! Cursors as a client may send them back: any text, or a real cursor with any of its parts
//! (snapshot, position, recency reference, fingerprint) replaced by other numbers. A page or a
//! 4xx, never a 5xx.
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
    let cursor = if choice & 0x80 != 0 {
        // Any text at all.
        text(rest)
    } else {
        // A cursor that decodes: each of the real one's parts kept or replaced by a number from
        // the input (positions past the segment or its documents, NaN keys, other fingerprints,
        // other snapshots), so the search runs with it.
        let (keep, numbers) = choice_and_rest(rest);
        let parts: Vec<String> = real
            .split('.')
            .enumerate()
            .map(|(at, part)| match numbers.chunks(8).nth(at) {
                Some(bytes) if keep & (1 << at) == 0 => {
                    let mut number = [0u8; 8];
                    number[..bytes.len()].copy_from_slice(bytes);
                    format!("{:x}", u64::from_le_bytes(number))
                }
                _ => part.to_string(),
            })
            .collect();
        parts.join(".")
    };
    let mut request = request.clone();
    request.cursor = Some(cursor.clone());
    if let Some(page) = client_result("cursor", &cursor, archive().service.engine().search(&request)) {
        assert!(page.hits.len() <= request.limit);
    }
});

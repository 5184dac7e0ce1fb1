//! Reuters-21578 SGML: stories found between `<REUTERS>` tags, each accepted or rejected with
//! its `file:line`; entities and character references decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::ingest::{decode_text, reuters};

fuzz_target!(|data: &[u8]| {
    // As ingestion reads it: UTF-8, or latin-1 byte by byte.
    let text = decode_text(data.to_vec());
    for record in reuters::parse("in.sgm", &text) {
        let line: usize = record.location.strip_prefix("in.sgm:").and_then(|n| n.parse().ok()).expect("file:line");
        assert!(line <= text.lines().count().max(1), "{}", record.location);
        if let Ok(article) = &record.result {
            assert!(!article.title.is_empty() || !article.body.is_empty(), "{}: an empty story", record.location);
        }
    }
    let decoded = reuters::decode(&text);
    assert!(decoded.len() <= text.len() * 4 + 4, "decoding grew {} bytes into {}", text.len(), decoded.len());
});

//! JSON Lines, as files hold them and as write requests send them (NDJSON or a JSON array):
//! every non-blank line is one record, accepted or rejected with its `file:line` and a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::ingest::jsonl;
use tidings_fuzz::{client_result, text};

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let records = jsonl::parse("in.jsonl", &text, "fuzz");
    let lines = text.lines().filter(|line| !line.trim().is_empty()).count();
    assert_eq!(records.len(), lines, "one record per non-blank line");
    for record in &records {
        let line: usize = record.location.strip_prefix("in.jsonl:").and_then(|n| n.parse().ok()).expect("file:line");
        assert!(line >= 1 && line <= text.lines().count(), "{}", record.location);
        match &record.result {
            Ok(article) => {
                assert!(!article.title.is_empty() || !article.body.is_empty(), "{}: an empty article", record.location);
                assert!(article.entities.iter().all(|entity| !entity.name.trim().is_empty()), "{}", record.location);
            }
            Err(reason) => assert!(!reason.is_empty(), "{}: a rejection without a reason", record.location),
        }
    }
    if let Some(body) = client_result("write body", &text, jsonl::parse_body(&text)) {
        assert!(!body.is_empty());
    }
});

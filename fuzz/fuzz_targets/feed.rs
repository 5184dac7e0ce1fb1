//! Feeds (RSS, Atom, JSON Feed) as fetched: sniffed, parsed into one record per entry, each
//! accepted or rejected with its place and a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tidings::ingest::feeds::{self, FeedContext};

fuzz_target!(|data: &[u8]| {
    let head = String::from_utf8_lossy(&data[..data.len().min(4096)]);
    let _ = feeds::looks_like_feed(&head);
    let context = FeedContext {
        url: Some("https://example.org/feed.xml".into()),
        source: None,
        fetched_at: chrono::DateTime::from_timestamp(1_700_000_000, 0),
    };
    for record in feeds::parse("feed.xml", data, &context) {
        assert!(record.location.starts_with("feed.xml"), "{}", record.location);
        match &record.result {
            Ok(article) => assert!(!article.title.is_empty() || !article.body.is_empty(), "{}", record.location),
            Err(reason) => assert!(!reason.is_empty(), "{}", record.location),
        }
    }
});

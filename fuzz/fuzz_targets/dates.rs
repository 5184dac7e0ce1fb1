//! Dates as metadata gives them (RFC 3339, RFC 2822, ISO variants, Reuters' form, named months)
//! and as text mentions them; a date read is a date written back the same.
#![no_main]

use chrono::{Datelike, SecondsFormat};
use libfuzzer_sys::fuzz_target;
use tidings::ingest::dates;
use tidings_fuzz::text;

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    if let Some(date) = dates::parse_date(&text) {
        if (0..=9999).contains(&date.year()) {
            let written = date.to_rfc3339_opts(SecondsFormat::AutoSi, true);
            assert_eq!(dates::parse_date(&written), Some(date), "{text:?} read as {written}");
        }
    }
    let _ = dates::parse_named_month_date(&text);
    let _ = dates::parse_reuters_date(&text);
    let _ = dates::date_from_text(&text);
    let _ = dates::date_from_text_at(&text, chrono::DateTime::from_timestamp(1_700_000_000, 0));
    let _ = dates::date_from_text_at(&text, None);
    let _ = dates::month_number(&text);
});

//! Any file given to `tidings ingest`: its format told by name and content, read through the
//! streaming reader (in small batches) and parsed; the streamed records are the records of the
//! whole file parsed at once.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tidings::ingest::files::read_batches;
use tidings::ingest::{decode_text, parse_file, Format, IngestOptions};
use tidings_fuzz::choice_and_rest;

const NAMES: [&str; 10] =
    ["a.txt", "a.html", "a.jsonl", "a.sgm", "a.rss", "a.json", "a.xml", "a", "a.jsonl.gz", "a.htm"];

fn directory() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
}

fuzz_target!(|data: &[u8]| {
    let (choice, bytes) = choice_and_rest(data);
    let path = directory().path().join(NAMES[choice as usize % NAMES.len()]);
    let _ = Format::detect(&path, bytes);
    let _ = decode_text(bytes.to_vec());
    std::fs::write(&path, bytes).expect("write the input");
    let options =
        IngestOptions { batch_records: 1 + (choice as usize >> 4), batch_bytes: 64, ..IngestOptions::default() };
    let gzipped = bytes.starts_with(&[0x1f, 0x8b]);
    let streamed: Vec<_> = match read_batches(&path, &options) {
        Ok(batches) => batches.flat_map(|batch| batch.records).collect(),
        // Only a broken compressed stream fails to open (ingest reports it as `file:0`).
        Err(error) => {
            assert!(gzipped, "{error}");
            Vec::new()
        }
    };
    let whole = parse_file(&path, bytes.to_vec(), &options);
    std::fs::remove_file(&path).expect("remove the input");
    if gzipped {
        return; // the streaming reader decompresses; the whole-file parser is given decoded bytes
    }
    let outline = |records: &[tidings::ingest::Record]| {
        records.iter().map(|record| (record.location.clone(), record.result.is_ok())).collect::<Vec<_>>()
    };
    assert_eq!(outline(&streamed), outline(&whole), "streamed and whole-file records differ");
});

//! What holds at archive scale, on small numbers: a JSON Lines file is read as a stream of batches
//! (stored, and searchable, before the file has been read to its end), whatever its size.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tidings::index::SearchIndex;
use tidings::store::Store;

fn line(number: usize) -> String {
    format!(
        "{{\"id\":\"s{number}\",\"title\":\"Streamed story {number}\",\"body\":\"Body of streamed story number {number}.\",\"source\":\"stream\"}}\n"
    )
}

/// Reads `count` until it reaches `wanted` or `deadline` passes; returns the last reading.
fn poll_until(deadline: Instant, wanted: u64, count: impl Fn() -> u64) -> u64 {
    loop {
        let seen = count();
        if seen >= wanted || Instant::now() > deadline {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_json_lines_file_is_stored_batch_by_batch_before_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("endless.jsonl");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let data_dir = dir.path().join("data");
    let ingest = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["ingest", "--json"])
        .arg(&fifo)
        .env("TIDINGS_INGEST_BATCH_RECORDS", "10")
        .env("TIDINGS_INGEST_COMMIT_EVERY", "5")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tidings binary runs");
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).expect("the reader opened the pipe");
    // 25 lines, the 7th and the 15th broken: two batches read, the first (9 articles) stored
    // while the third waits for lines that have not been written yet.
    for number in 1..=25 {
        let text = if number == 7 || number == 15 { "{not json\n".to_string() } else { line(number) };
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let stored_early = poll_until(deadline, 9, || {
        Store::open(&data_dir.join("tidings.sqlite3")).and_then(|store| store.count_articles()).unwrap_or(0)
    });
    assert_eq!(stored_early, 9, "the first batch is stored while the file is still being written");
    // …and searchable: the ingest commits the index every few articles, not only at its end.
    let searchable_early = poll_until(deadline, 9, || SearchIndex::open(&data_dir.join("tantivy")).unwrap().num_docs());
    assert_eq!(searchable_early, 9, "the first batch is searchable before the ingest ends");
    for number in 26..=40 {
        writer.write_all(line(number).as_bytes()).unwrap();
    }
    writer.write_all(b"\n\n").unwrap();
    drop(writer);
    let output = ingest.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (report["read"].as_u64(), report["new"].as_u64(), report["rejected"].as_u64()),
        (Some(40), Some(38), Some(2))
    );
    let locations: Vec<&str> = report["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rejection| rejection["location"].as_str().unwrap())
        .collect();
    assert!(locations[0].ends_with("endless.jsonl:7") && locations[1].ends_with("endless.jsonl:15"), "{locations:?}");
    let store = Store::open(&data_dir.join("tidings.sqlite3")).unwrap();
    assert_eq!(store.count_articles().unwrap(), 38);
    let index = SearchIndex::open(&data_dir.join("tantivy")).unwrap();
    assert_eq!(index.num_docs(), 38, "every stored article is indexed");
}

//! What holds at archive scale, on small numbers: a JSON Lines file is read as a stream of batches
//! (stored, and searchable, before the file has been read to its end), whatever its size; a
//! search run on every core answers exactly as one run on one; date order is the order of every
//! match sorted by date; a search that stops once nothing left can enter its page ranks exactly as
//! one that visits every match; and a restart opens the index as it was, without rebuilding it.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tidings::index::SearchIndex;
use tidings::store::Store;

use crate::helpers::TestApp;

const REUTERS: &str = "sample/reut2-000-stories-201-400.sgm";
const SAMPLE: &str = "sample/kremlin-trump-putin-meeting.txt";

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

/// A response without its timing, which differs from run to run, and with its cursor reduced to
/// whether there is one (it names the process's own snapshot).
fn untimed(mut body: Value) -> Value {
    if let Some(fields) = body.as_object_mut() {
        fields.remove("took_ms");
        if let Some(cursor) = fields.get_mut("cursor") {
            *cursor = Value::Bool(true);
        }
    }
    body
}

/// What the paths answer, in order, without timings.
async fn answers(app: &TestApp, paths: &[&str]) -> Vec<Value> {
    let mut answers = Vec::new();
    for path in paths {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        answers.push(untimed(body));
    }
    answers
}

const SEARCHES: [&str; 8] = [
    "/v1/search?q=oil",
    "/v1/search?q=oil+prices&limit=20&offset=5",
    "/v1/search?q=oil&sort=date&limit=30",
    "/v1/search?q=bank&facets=person,place,source,topic&histogram=month",
    "/v1/search?facets=person,place,topic",
    "/v1/search?q=oi&mode=instant&limit=5",
    "/v1/search?q=trade&collapse=cluster",
    "/v1/suggest?q=sa&limit=20",
];

#[tokio::test]
async fn searches_on_every_core_answer_as_on_one() {
    // Small commits make several segments, which a parallel search runs side by side. The same
    // index is served twice (two ingests would lay documents out differently, and equal scores
    // are ordered by where documents lie).
    let app = TestApp::with_fixtures_and(&[REUTERS, SAMPLE], |settings| {
        settings.ingest_batch_records = 25;
        settings.ingest_commit_every = 25;
        settings.parallel_search_from_docs = 0;
    })
    .await;
    let (_, stats) = app.get("/v1/stats").await;
    assert!(stats["indexed_segments"].as_u64().unwrap() > 1, "{stats}");
    let on_every_core = answers(&app, &SEARCHES).await;
    // Every search but the suggestion ran on every core (one at a time, so each ran alone; some
    // make more than one pass).
    let (_, stats) = app.get("/v1/stats").await;
    assert!(stats["parallel_searches"].as_u64().unwrap() as usize >= SEARCHES.len() - 1, "{stats}");
    let app = app.restart_with(|settings| settings.parallel_search_from_docs = u64::MAX).await;
    let on_one = answers(&app, &SEARCHES).await;
    let (_, stats) = app.get("/v1/stats").await;
    assert_eq!(stats["parallel_searches"], 0, "{stats}");
    for ((path, every), one) in SEARCHES.iter().zip(&on_every_core).zip(&on_one) {
        assert_eq!(every, one, "{path}");
    }
    app.stop().await;
}

/// Every hit of a search as (id, publication date), walked page by page with the cursor.
async fn walk(app: &TestApp, query: &str, limit: usize) -> Vec<(String, String)> {
    let mut hits = Vec::new();
    let mut page = app.search(&format!("{query}&limit={limit}")).await;
    loop {
        for hit in page["hits"].as_array().unwrap() {
            let date = hit["published_at"].as_str().unwrap_or("").to_string();
            hits.push((hit["id"].as_str().unwrap().to_string(), date));
        }
        let Some(cursor) = page["cursor"].as_str().map(str::to_string) else { break };
        page = app.search(&format!("{query}&limit={limit}&cursor={cursor}")).await;
        assert!(hits.len() < 100_000, "the walk does not end");
    }
    hits
}

#[tokio::test]
async fn date_order_is_every_match_sorted_by_date() {
    let app = TestApp::with_fixtures_and(&[REUTERS, SAMPLE], |settings| {
        settings.ingest_batch_records = 25;
        settings.ingest_commit_every = 25;
    })
    .await;
    for query in ["q=oil", "q=bank+rates", "q=&source=Reuters"] {
        // Every match, walked in relevance order, sorted here by date (newest first).
        let every = walk(&app, query, 100).await;
        let total = app.search(&format!("{query}&limit=1")).await["total"].as_u64().unwrap() as usize;
        assert!(total > 10, "{query}: {total}");
        assert_eq!(every.len(), total, "{query}");
        let mut dates: Vec<String> = every.iter().map(|(_, date)| date.clone()).collect();
        dates.sort_unstable_by(|a, b| b.cmp(a));
        // The date order, walked in pages of seven: the same dates in the same order, every
        // match once.
        let by_date = walk(&app, &format!("{query}&sort=date"), 7).await;
        let ids: std::collections::BTreeSet<&String> = by_date.iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), total, "{query}");
        assert_eq!(by_date.into_iter().map(|(_, date)| date).collect::<Vec<_>>(), dates, "{query}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_restart_opens_the_index_as_it_was() {
    let app = TestApp::with_fixtures(&[REUTERS, SAMPLE]).await;
    let index_dir = app.settings.index_path();
    let files = |dir: &std::path::Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    };
    let before_files = files(&index_dir);
    let meta_before = std::fs::read_to_string(index_dir.join("meta.json")).unwrap();
    let before = answers(&app, &SEARCHES).await;
    let app = app.restart().await;
    // The same segments and commit: nothing was rebuilt or re-indexed on the way up.
    assert_eq!(files(&index_dir), before_files);
    assert_eq!(std::fs::read_to_string(index_dir.join("meta.json")).unwrap(), meta_before);
    assert_eq!(answers(&app, &SEARCHES).await, before);
    app.stop().await;
}

/// Hits as (id, score), for comparing rankings.
fn ranking(body: &Value) -> Vec<(String, Value)> {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| (hit["id"].as_str().unwrap().to_string(), hit["score"].clone()))
        .collect()
}

const RANKED: [&str; 22] = [
    "q=oil&mode=instant&limit=5",
    "q=o&mode=instant&limit=5",
    "q=oil+pri&mode=instant&limit=5",
    "q=the&mode=instant&limit=5",
    "q=compnay&mode=instant&limit=5",
    "q=bank+rat&mode=instant&limit=10",
    "q=compnay+resul&mode=instant&limit=5",
    "q=oil+prics+ros&mode=instant&limit=5",
    "q=the+bank+of&mode=instant&limit=5",
    "q=oil",
    "q=said&limit=20&offset=15",
    "q=oil&sort=date&limit=7",
    "q=said&sort=date&limit=5",
    "q=",
    "q=&source=Reuters&limit=3",
    "q=said&freshness=off&limit=8",
    // Analyst words over many blocks, deep pages: where a bound or a decayed threshold cut too
    // close would change the page.
    "q=oil&limit=60",
    "q=said&limit=100",
    "q=company&limit=30&offset=20",
    "q=bank&limit=45&freshness=0.9",
    // Every score 0: segments tie, and the lower segment must still win them.
    "q=said^0&limit=5",
    "q=oil^0&limit=3",
];

#[tokio::test]
async fn stopping_early_ranks_as_counting_every_match() {
    // A total need not be exact past 0 matches: every search that can stop early does, its
    // segments on every core (sharing their count and last place as they go).
    let app = TestApp::with_fixtures_and(&[REUTERS, SAMPLE], |settings| {
        settings.ingest_batch_records = 25;
        settings.ingest_commit_every = 25;
        settings.exact_total_up_to = 0;
        settings.parallel_search_from_docs = 0;
    })
    .await;
    let mut stopped = Vec::new();
    for query in RANKED {
        let fast = app.search(query).await;
        let exact = app.search(&format!("{query}&total=exact")).await;
        assert_eq!(ranking(&fast), ranking(&exact), "{query}");
        assert_eq!(exact["total_relation"], "eq", "{query}");
        let (fast_total, exact_total) = (fast["total"].as_u64().unwrap(), exact["total"].as_u64().unwrap());
        match fast["total_relation"].as_str() {
            Some("eq") => assert_eq!(fast_total, exact_total, "{query}"),
            Some("gte") => {
                stopped.push(query);
                assert!(fast_total <= exact_total && fast_total >= ranking(&fast).len() as u64, "{query}");
            }
            other => panic!("{query}: total_relation {other:?}"),
        }
    }
    // Newest first, a search stops as soon as its page is full, whatever the segments (how far
    // the others go depends on how merges laid the documents out).
    for newest_first in ["q=", "q=&source=Reuters&limit=3", "q=said&sort=date&limit=5"] {
        assert!(stopped.contains(&newest_first), "{newest_first} did not stop early: {stopped:?}");
    }
    let (_, stats) = app.get("/v1/stats").await;
    assert!(stats["parallel_searches"].as_u64().unwrap() as usize >= RANKED.len(), "{stats}");
    // A cursor walk over an early-stopping search sees every match once, in the exhaustive order.
    let every = walk(&app, "q=oil&total=exact", 100).await;
    assert_eq!(walk(&app, "q=oil", 9).await, every);
    app.stop().await;
}

#[tokio::test]
async fn totals_are_exact_up_to_the_setting_and_with_facets() {
    let app = TestApp::with_fixtures_and(&[REUTERS, SAMPLE], |settings| {
        settings.ingest_batch_records = 25;
        settings.ingest_commit_every = 25;
        settings.exact_total_up_to = 40;
    })
    .await;
    // The exact totals, from every match counted.
    let exact = |body: &Value| body["total"].as_u64().unwrap();
    let all = exact(&app.search("q=&total=exact").await);
    let few = exact(&app.search("q=cocoa&total=exact").await);
    assert!(all > 100 && (1..=40).contains(&few), "{all} {few}");
    // Up to the setting a total is exact whatever the search.
    let cocoa = app.search("q=cocoa&limit=1").await;
    assert_eq!((exact(&cocoa), cocoa["total_relation"].as_str()), (few, Some("eq")));
    // Past it, a search that counts nothing else says it stopped, with at least the setting.
    let newest = app.search("q=&limit=1").await;
    assert_eq!(newest["total_relation"], "gte");
    assert!((40..all).contains(&exact(&newest)), "{newest}");
    // Facets, a histogram or collapsing count every match, and so is the total.
    for counted in ["facets=place", "histogram=month", "collapse=cluster", "total=exact"] {
        let body = app.search(&format!("q=&limit=1&{counted}")).await;
        assert_eq!((exact(&body), body["total_relation"].as_str()), (all, Some("eq")), "{counted}");
    }
    let (status, body) = app.get("/v1/search?q=oil&total=some").await;
    assert_eq!(status, 400, "{body}");
    app.stop().await;
}

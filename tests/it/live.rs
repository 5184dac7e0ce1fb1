//! The index follows the store: articles ingested by another process while the server runs become
//! searchable without a restart, and an index left behind the store catches up on start.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use tidings::entities::{Aliases, HeuristicExtractor};
use tidings::ingest::{IndexHandOff, IngestOptions, Ingestor};
use tidings::store::Store;

use crate::helpers::{repo_path, settings_for, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn articles_ingested_while_serving_become_searchable() {
    let app = TestApp::with_fixtures(&["tests/fixtures/jsonl/articles.jsonl"]).await;
    assert_eq!(app.search("source=Reuters").await["total"], 0);
    // A second process ingests into the same data directory while the server holds the index.
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(&app.settings.data_dir)
        .arg("ingest")
        .arg(repo_path("sample/reut2-000-stories-201-400.sgm"))
        .output()
        .expect("the tidings binary runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("running server holds the index"));
    let visible = app
        .eventually(Duration::from_secs(20), || async {
            app.search("source=Reuters&limit=1").await["total"].as_u64() == Some(200)
        })
        .await;
    assert!(visible, "new articles searchable without a restart");
    let (_, stats) = app.get("/v1/stats").await;
    assert_eq!(stats["articles"], 205);
    assert_eq!(stats["indexed_documents"], 205, "nothing indexed twice");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_behind_the_store_catches_up_on_start() {
    let data_dir = tempfile::tempdir().unwrap();
    let settings = settings_for(data_dir.path());
    // Index five articles, then let the store move on without the index (as after a crash).
    tidings::ingest::ingest_and_index(
        &settings,
        &[repo_path("tests/fixtures/jsonl/articles.jsonl")],
        IngestOptions::default(),
    )
    .unwrap();
    let store = Store::open(&settings.store_path()).unwrap();
    let extractor = Box::new(HeuristicExtractor);
    let ingestor = Ingestor::new(store, extractor, Arc::new(Aliases::shipped()), IndexHandOff::Follower);
    let report =
        ingestor.ingest_paths(&[repo_path("sample/reut2-000-stories-201-400.sgm")], &IngestOptions::default()).unwrap();
    assert_eq!(report.counts.new, 200);
    drop(ingestor);
    let app = TestApp::serve(settings, data_dir).await;
    let caught_up = app
        .eventually(Duration::from_secs(20), || async {
            let (status, body) = app.get("/readyz").await;
            status == 200 && body["index_lag"] == 0
        })
        .await;
    assert!(caught_up, "readyz turns ready once the index holds the store");
    assert_eq!(app.search("limit=1").await["total"], 205);
    let (_, stats) = app.get("/v1/stats").await;
    assert_eq!(stats["indexed_documents"], 205);
    assert_eq!(stats["index_seq"], stats["store_seq"]);
    app.stop().await;
}

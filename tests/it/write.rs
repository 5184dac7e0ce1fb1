//! The write API over HTTP: API keys (401 without a valid one), NDJSON and JSON-array posts with
//! per-item rejections, replacement of an existing article everywhere, deletion, and reads that
//! stay public unless configured otherwise.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{facet_count, TestApp};

const KEY: &str = "test-key-0123456789abcdef";

async fn send(app: &TestApp, request: reqwest::RequestBuilder) -> (u16, Option<String>, Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let challenge = response.headers().get("www-authenticate").map(|value| value.to_str().unwrap().to_string());
    let body = if status == 204 { Value::Null } else { response.json::<Value>().await.expect("JSON body") };
    let _ = app;
    (status, challenge, body)
}

fn post(app: &TestApp, key: Option<&str>, body: &str) -> reqwest::RequestBuilder {
    let request = app.client.post(format!("{}/v1/articles", app.base)).header("content-type", "application/x-ndjson");
    let request = match key {
        Some(key) => request.bearer_auth(key),
        None => request,
    };
    request.body(body.to_string())
}

async fn total(app: &TestApp, query: &str) -> u64 {
    app.search(query).await["total"].as_u64().unwrap()
}

#[tokio::test]
async fn writes_need_a_key_and_replace_and_delete_everywhere() {
    let app = TestApp::with_fixtures_and(&["tests/fixtures/jsonl/articles.jsonl"], |settings| {
        settings.api_keys = vec![KEY.into(), "another-key-0123456789".into()];
        settings.max_write_bytes = 64 * 1024;
    })
    .await;
    let ndjson = concat!(
        r#"{"id":"w1","title":"Harbour pilots vote to strike","body":"Harbour pilots voted on Tuesday to strike over rosters.","source":"Quayside","published_at":"2025-06-03T10:00:00Z"}"#,
        "\n",
        r#"{"id":"w2","title": not json"#,
        "\n",
        r#"{"id":"w3","title":"Ferry timetable cut","body":"The winter ferry timetable will be cut by a third.","source":"Quayside"}"#,
        "\n"
    );

    // No key, a wrong key: 401 with a JSON error and a Bearer challenge; nothing written.
    for key in [None, Some("wrong-key-0123456789abcdef")] {
        let (status, challenge, body) = send(&app, post(&app, key, ndjson)).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert_eq!(challenge.as_deref(), Some("Bearer"));
    }
    let (status, _, _) = send(
        &app,
        app.client.delete(format!("{}/v1/articles/{}", app.base, tidings::model::article_id_for("id:tagesblatt:a1"))),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(total(&app, "q=pilots").await, 0);

    // NDJSON with a bad line: the good ones are written, the bad one reported by line.
    let (status, _, report) = send(&app, post(&app, Some(KEY), ndjson)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["read"].as_u64(), report["new"].as_u64(), report["rejected"].as_u64()),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(report["rejections"][0]["location"], "line 2");
    let w1 = report["ids"][0].as_str().unwrap().to_string();
    assert_eq!(w1, tidings::model::article_id_for("id:quayside:w1"));
    let indexed = app.eventually(Duration::from_secs(10), || async { total(&app, "q=pilots").await == 1 }).await;
    assert!(indexed, "a posted article becomes searchable");
    assert_eq!(facet_count(&app.search("facets=source&limit=1").await, "source", "Quayside"), Some(2));

    // A JSON array with the same id replaces the article in store, index and facets.
    let replacement = r#"[{"id":"w1","title":"Harbour pilots call off strike","body":"Harbour pilots called off Tuesday's strike after a new roster offer.","source":"Quayside","topics":["labour"]}]"#;
    let (status, _, report) = send(&app, post(&app, Some("another-key-0123456789"), replacement)).await;
    assert_eq!((status, report["updated"].as_u64()), (200, Some(1)), "{report}");
    let replaced = app
        .eventually(Duration::from_secs(10), || async {
            total(&app, "q=%22call+off%22+OR+%22called+off%22").await == 1
        })
        .await;
    assert!(replaced);
    assert_eq!(total(&app, "q=vote").await, 0, "the old text is gone from the index");
    let facets = app.search("facets=source,topic&limit=1").await;
    assert_eq!(facet_count(&facets, "source", "Quayside"), Some(2), "replaced, not added");
    assert_eq!(facet_count(&facets, "topic", "labour"), Some(1));
    let (_, article) = app.get(&format!("/v1/articles/{w1}")).await;
    assert_eq!(article["title"], "Harbour pilots call off strike");

    // Delete: 204, then gone from search and lookups; a second delete is 404.
    let delete = || app.client.delete(format!("{}/v1/articles/{w1}", app.base)).bearer_auth(KEY);
    assert_eq!(send(&app, delete()).await.0, 204);
    let gone = app.eventually(Duration::from_secs(10), || async { total(&app, "q=pilots").await == 0 }).await;
    assert!(gone, "a deleted article leaves the index");
    assert_eq!(app.get(&format!("/v1/articles/{w1}")).await.0, 404);
    let (status, _, body) = send(&app, delete()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let facets = app.search("facets=source,topic&limit=1").await;
    assert_eq!((facet_count(&facets, "source", "Quayside"), facet_count(&facets, "topic", "labour")), (Some(1), None));

    // Bodies that are not articles, or too large: clear 4xx JSON; what is stored stays.
    let (status, _, body) = send(&app, post(&app, Some(KEY), "[1, 2")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("bad_parameter")), "{body}");
    let (status, _, body) = send(&app, post(&app, Some(KEY), &"x".repeat(70 * 1024))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("payload_too_large")), "{body}");
    assert_eq!(total(&app, "q=timetable+source:Quayside").await, 1, "what was stored stays");
    app.stop().await;
}

#[tokio::test]
async fn reads_are_public_unless_protected() {
    let public = TestApp::with_fixtures_and(&["tests/fixtures/jsonl/articles.jsonl"], |settings| {
        settings.api_keys = vec![KEY.into()];
    })
    .await;
    assert_eq!(public.get("/v1/search?q=zebra").await.0, 200);
    public.stop().await;

    let protected = TestApp::with_fixtures_and(&["tests/fixtures/jsonl/articles.jsonl"], |settings| {
        settings.api_keys = vec![KEY.into()];
        settings.protect_reads = true;
    })
    .await;
    let (status, body) = protected.get("/v1/search?q=zebra").await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    let response =
        protected.client.get(format!("{}/v1/search?q=zebra", protected.base)).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(protected.get("/healthz").await.0, 200, "health stays open for probes");
    protected.stop().await;
}

/// Regression (issue 11): writes over HTTP skipped the ingestion ledger that `ingest` and `watch`
/// record; now every path goes through the one pipeline and records its run.
#[tokio::test]
async fn a_write_is_a_run_of_the_ledger() {
    let app = TestApp::with_fixtures_and(&["tests/fixtures/jsonl/articles.jsonl"], |settings| {
        settings.api_keys = vec![KEY.into()];
    })
    .await;
    let (_, before) = app.get("/v1/stats").await;
    let ndjson = concat!(
        r#"{"id":"l1","title":"Tram line reopens","body":"The tram line reopened on Monday.","source":"Quayside"}"#,
        "\n",
        r#"{"id":"l2","title": broken"#,
        "\n"
    );
    let (status, _, report) = send(&app, post(&app, Some(KEY), ndjson)).await;
    assert_eq!(status, 200, "{report}");
    let (_, after) = app.get("/v1/stats").await;
    let run = &after["last_ingest"];
    assert!(run["id"].as_i64() > before["last_ingest"]["id"].as_i64(), "a new run: {run}");
    for count in ["read", "new", "updated", "unchanged", "rejected", "date_unknown"] {
        assert_eq!(run[count], report[count], "{count}: the ledger counts what the write reported");
    }
    assert_eq!((run["read"].as_u64(), run["new"].as_u64(), run["rejected"].as_u64()), (Some(2), Some(1), Some(1)));
    app.stop().await;
}

/// `wait=true`: the answer comes only once the write is searchable (a search right after it finds
/// it, with no retry), `seq` is the store sequence it reached and `/v1/stats` shows the index
/// holding it; a delete waits the same way. When the index cannot catch up in time the answer is
/// 202 with `searchable: false`, and the write is stored all the same.
#[tokio::test]
async fn a_write_with_wait_answers_once_it_is_searchable() {
    // An indexer that looks at the store every 400 ms: without waiting, a search right after a
    // write would mostly miss it.
    let app = TestApp::with_fixtures_and(&["tests/fixtures/jsonl/articles.jsonl"], |settings| {
        settings.api_keys = vec![KEY.into()];
        settings.index_poll_ms = 400;
    })
    .await;
    let (_, before) = app.get("/v1/stats").await;
    for round in 0..3 {
        let line = format!(
            r#"{{"id":"wait{round}","title":"Lighthouse keeper number {round} retires","body":"The keeper retired.","source":"Quayside"}}"#
        );
        let response = post(&app, Some(KEY), &line).query(&[("wait", "true")]).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let header_seq: i64 = response.headers()["x-store-seq"].to_str().unwrap().parse().unwrap();
        let report: Value = response.json().await.unwrap();
        assert_eq!(report["searchable"], true, "{report}");
        assert_eq!(report["seq"].as_i64(), Some(header_seq));
        assert!(header_seq > before["store_seq"].as_i64().unwrap() + round, "each write takes a new sequence");
        assert_eq!(total(&app, "q=lighthouse").await, round as u64 + 1, "searchable the moment the answer came");
        let (_, stats) = app.get("/v1/stats").await;
        assert!(stats["index_seq"].as_i64().unwrap() >= header_seq, "{stats}");
        assert!(stats["store_seq"].as_i64().unwrap() >= header_seq, "{stats}");
    }
    let id = tidings::model::article_id_for("id:quayside:wait0");
    let response =
        app.client.delete(format!("{}/v1/articles/{id}?wait=true", app.base)).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert!(response.headers().contains_key("x-store-seq"));
    assert_eq!(total(&app, "q=lighthouse").await, 2, "gone from search the moment the delete answered");
    for bad in ["wait=soon", "wait=true&wait_ms=0", "wait=true&wait_ms=600000", "wait=true&wait=false", "refresh=true"]
    {
        let (status, _, body) =
            send(&app, app.client.post(format!("{}/v1/articles?{bad}", app.base)).bearer_auth(KEY).body("[]")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("bad_parameter")), "{bad}: {body}");
    }
    app.stop().await;

    // An indexer that looks only once a minute: the wait runs out.
    let stalled = TestApp::with_fixtures_and(&["tests/fixtures/jsonl/articles.jsonl"], |settings| {
        settings.api_keys = vec![KEY.into()];
        settings.index_poll_ms = 60_000;
    })
    .await;
    let line = r#"{"id":"late","title":"Late ferry","body":"The ferry was late.","source":"Quayside"}"#;
    let started = std::time::Instant::now();
    let response = post(&stalled, Some(KEY), line).query(&[("wait", "true"), ("wait_ms", "300")]).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let report: Value = response.json().await.unwrap();
    assert_eq!((report["searchable"].as_bool(), report["new"].as_u64()), (Some(false), Some(1)), "{report}");
    assert!(started.elapsed() >= Duration::from_millis(300), "it waited as long as asked");
    let (_, stats) = stalled.get("/v1/stats").await;
    assert!(stats["store_seq"].as_i64() >= report["seq"].as_i64(), "stored all the same: {stats}");
    assert!(stats["index_seq"].as_i64() < report["seq"].as_i64(), "{stats}");
    stalled.stop().await;
}

//! `/metrics` over HTTP: the Prometheus text format parsed, and its counters moving by exactly
//! the requests sent, its figures equal to `/v1/stats`, the ledger's runs counted.

use std::collections::HashMap;
use std::time::Duration;

use crate::helpers::TestApp;

const KEY: &str = "metrics-admin-key-0123456789";

/// Every sample of a scrape: `name{labels}` to its value. Checks the format as it goes: each
/// sample's family has `# HELP` and `# TYPE` lines before it, and the text ends with `# EOF`.
async fn scrape(app: &TestApp, key: Option<&str>) -> HashMap<String, f64> {
    let mut request = app.client.get(format!("{}/metrics", app.base));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let mut typed = Vec::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            typed.push(rest.split(' ').next().unwrap().to_string());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            typed.iter().any(|family| name == family || name.starts_with(&format!("{family}_"))),
            "{name} has no # TYPE line before it"
        );
        samples.insert(series.to_string(), value.parse::<f64>().unwrap_or_else(|_| panic!("{line}")));
    }
    samples
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_parse_and_their_counters_move() {
    let app = TestApp::with_fixtures_and(&["sample"], |settings| settings.api_keys = vec![KEY.into()]).await;
    let searches = r#"tidings_http_requests_total{method="GET",route="/v1/search",status="200"}"#;
    let timed = r#"tidings_http_request_duration_seconds_count{method="GET",route="/v1/search",status="200"}"#;
    let slow_bucket =
        r#"tidings_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/v1/search",status="200"}"#;
    let refused = r#"tidings_http_requests_total{method="POST",route="/v1/articles",status="401"}"#;
    let unmatched = r#"tidings_http_requests_total{method="GET",route="unmatched",status="404"}"#;
    let before = scrape(&app, None).await;
    assert_eq!(value(&before, r#"tidings_build_info{version="0.1.0"}"#), 1.0);

    for query in ["q=oil", "q=zelensky", "q=the&facets=place", "q=bank&mode=instant"] {
        app.search(query).await;
    }
    assert_eq!(app.get("/no/such/page").await.0, 404);
    let (status, _) = app.post("/v1/articles", "[]").await;
    assert_eq!(status, 401);
    let after = scrape(&app, None).await;
    assert_eq!(value(&after, searches) - value(&before, searches), 4.0, "four searches answered 200");
    assert_eq!(value(&after, timed), value(&after, searches), "each one timed");
    assert_eq!(value(&after, slow_bucket), value(&after, timed));
    assert_eq!(value(&after, refused) - value(&before, refused), 1.0);
    assert_eq!(value(&after, unmatched) - value(&before, unmatched), 1.0, "raw paths are not labels");

    // Store and index figures agree with /v1/stats.
    let (_, stats) = app.get("/v1/stats").await;
    assert_eq!(value(&after, "tidings_store_articles"), stats["articles"].as_f64().unwrap());
    assert_eq!(value(&after, "tidings_index_documents"), stats["indexed_documents"].as_f64().unwrap());
    assert_eq!(value(&after, "tidings_store_seq"), stats["store_seq"].as_f64().unwrap());
    assert_eq!(value(&after, "tidings_search_permits"), stats["searches"]["permits"].as_f64().unwrap());
    assert_eq!(value(&after, "tidings_search_permits_in_use"), 0.0);

    // A write is a run of the ledger: runs and records move, the lag returns to 0.
    let runs = value(&after, "tidings_ingest_runs_total");
    let new = value(&after, r#"tidings_ingest_records_total{outcome="new"}"#);
    app.write_articles(
        KEY,
        concat!(
            r#"{"id":"m1","title":"Metrics test one","body":"A first article.","source":"Probe"}"#,
            "\n",
            r#"{"id":"m2","title":"Metrics test two","body":"A second article.","source":"Probe"}"#,
            "\n"
        ),
    )
    .await;
    let caught_up = app
        .eventually(Duration::from_secs(10), || async {
            let now = scrape(&app, None).await;
            now["tidings_index_lag"] == 0.0
                && now["tidings_index_documents"] == value(&after, "tidings_index_documents") + 2.0
        })
        .await;
    assert!(caught_up, "the index caught up with the write");
    let written = scrape(&app, None).await;
    assert_eq!(value(&written, "tidings_ingest_runs_total"), runs + 1.0);
    assert_eq!(value(&written, r#"tidings_ingest_records_total{outcome="new"}"#), new + 2.0);
    assert_eq!(value(&written, "tidings_store_articles"), value(&after, "tidings_store_articles") + 2.0);
    app.stop().await;
}

#[tokio::test]
async fn protected_metrics_need_an_admin_key() {
    let app = TestApp::with_fixtures_and(&[], |settings| {
        settings.api_keys = vec![KEY.into()];
        settings.search_keys = vec!["search-only-key-0123456789".into()];
        settings.protect_metrics = true;
    })
    .await;
    assert_eq!(app.get("/metrics").await.0, 401);
    let response =
        app.client.get(format!("{}/metrics", app.base)).bearer_auth("search-only-key-0123456789").send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(scrape(&app, Some(KEY)).await.contains_key("tidings_index_lag"));
    app.stop().await;
}

//! Overload: searches run behind a fixed number of permits with a bounded wait queue. A burst
//! beyond both is answered 503 with `Retry-After`; never do more searches run than there are
//! permits, not even when requests are abandoned by their timeout; and the server recovers.

use serde_json::Value;

use crate::helpers::TestApp;

/// A search that is slow on the sample: every article, every facet, a histogram, one hit per
/// story, long snippets on 100 hits.
const SLOW: &str = "/v1/search?facets=person,org,place,topic,source,lang&histogram=day&collapse=cluster&limit=100\
                    &snippets=10&snippet_chars=1000&q=oil+OR+the+OR+of+OR+said";

/// Sends `count` slow searches at once; returns each answer's status, `Retry-After` and error code.
async fn burst(app: &TestApp, count: usize) -> Vec<(u16, Option<String>, Option<String>)> {
    let requests = (0..count).map(|_| {
        let request = app.client.get(format!("{}{SLOW}", app.base)).send();
        async move {
            let response = request.await.expect("request sent");
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").map(|value| value.to_str().unwrap().to_string());
            let body: Value = response.json().await.expect("JSON body");
            (status, retry_after, body["error"]["code"].as_str().map(String::from))
        }
    });
    futures_util::future::join_all(requests).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_past_the_queue_is_shed_with_503_and_the_server_recovers() {
    let app = TestApp::with_fixtures_and(&["sample"], |settings| {
        settings.search_permits = 1;
        settings.search_queue = 2;
    })
    .await;
    let answers = burst(&app, 24).await;
    let shed: Vec<_> = answers.iter().filter(|(status, _, _)| *status == 503).collect();
    let served = answers.iter().filter(|(status, _, _)| *status == 200).count();
    assert!(!shed.is_empty(), "some of the burst is shed: {answers:?}");
    assert!(served >= 1, "some of the burst is served: {answers:?}");
    assert_eq!(shed.len() + served, answers.len(), "nothing but 200 and 503: {answers:?}");
    for (_, retry_after, code) in &shed {
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(code.as_deref(), Some("overloaded"));
    }
    let (status, stats) = app.get("/v1/stats").await;
    assert_eq!(status, 200, "figures answer without a search permit");
    let searches = &stats["searches"];
    assert_eq!(searches["permits"], 1);
    assert_eq!(searches["queue_capacity"], 2);
    assert_eq!(searches["peak_running"], 1, "never more searches than permits: {searches}");
    assert_eq!(searches["rejected"], shed.len(), "the server counted what it shed: {searches}");
    // Recovered: one search at a time is served again.
    for _ in 0..3 {
        let (status, _) = app.get(SLOW).await;
        assert_eq!(status, 200);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_abandoned_by_their_timeout_leave_no_extra_search_running() {
    let app = TestApp::with_fixtures_and(&["sample"], |settings| {
        settings.search_permits = 1;
        settings.search_queue = 64;
        settings.request_timeout_ms = 1;
    })
    .await;
    let answers = burst(&app, 16).await;
    assert!(answers.iter().any(|(status, _, _)| *status == 408), "some time out: {answers:?}");
    assert!(answers.iter().all(|(status, _, _)| matches!(status, 200 | 408 | 503)), "{answers:?}");
    let quiet = app
        .eventually(std::time::Duration::from_secs(20), || async {
            let (_, stats) = app.get("/v1/stats").await;
            stats["searches"]["running"] == 0 && stats["searches"]["waiting"] == 0
        })
        .await;
    assert!(quiet, "the abandoned searches finish and their places are given back");
    // The 1 ms timeout applies to /v1/stats too: a busy machine can answer it with a 408.
    let mut stats = serde_json::Value::Null;
    for _ in 0..500 {
        let (status, body) = app.get("/v1/stats").await;
        if status == 200 {
            stats = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(stats["searches"]["peak_running"], 1, "{}", stats["searches"]);
    app.stop().await;
}

//! Rate limits over HTTP: a burst past a client's bucket is answered 429 with `Retry-After` and
//! the JSON error body; each group, each client and each private key has its own bucket; behind a
//! trusted proxy `X-Forwarded-For` names the client; and under a flood from one address a second,
//! polite client (another loopback address) is still answered.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tidings::config::{Rate, RateLimits};

use crate::helpers::TestApp;

const ADMIN: &str = "admin-key-0123456789abcdef";

async fn status_of(request: reqwest::RequestBuilder) -> (u16, Option<u64>, Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|value| value.to_str().unwrap().parse().unwrap());
    (status, retry_after, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_burst_past_the_bucket_is_answered_429_with_retry_after() {
    let app = TestApp::with_fixtures_and(&["sample"], |settings| {
        settings.api_keys = vec![ADMIN.into()];
        settings.rate_limits = RateLimits {
            search: Some(Rate { per_second: 0.2, burst: 3 }),
            instant: Some(Rate { per_second: 0.2, burst: 2 }),
            ..RateLimits::default()
        };
    })
    .await;
    let search = || app.client.get(format!("{}/v1/search?q=oil", app.base));
    for _ in 0..3 {
        assert_eq!(status_of(search()).await.0, 200, "within the burst");
    }
    let (status, retry_after, body) = status_of(search()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    // One request comes back every 5 s.
    let retry_after = retry_after.expect("Retry-After");
    assert!((1..=5).contains(&retry_after), "{retry_after}");

    // As-you-type reads are a bucket of their own, suggestions in it too.
    let instant = |path: &str| app.client.get(format!("{}{path}", app.base));
    assert_eq!(status_of(instant("/v1/search?q=oi&mode=instant")).await.0, 200);
    assert_eq!(status_of(instant("/v1/suggest?q=oi")).await.0, 200);
    assert_eq!(status_of(instant("/v1/suggest?q=oil")).await.0, 429);
    // A private key is its own client.
    assert_eq!(status_of(search().bearer_auth(ADMIN)).await.0, 200);
    // Operations are never limited.
    assert_eq!(app.get("/readyz").await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let limited = |trusted: bool| {
        move |settings: &mut tidings::config::Settings| {
            settings.rate_limits =
                RateLimits { search: Some(Rate { per_second: 0.1, burst: 1 }), ..RateLimits::default() };
            if trusted {
                settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            }
        }
    };
    let app = TestApp::with_fixtures_and(&["sample"], limited(true)).await;
    let from = |address: &str| {
        app.client.get(format!("{}/v1/search?q=oil", app.base)).header("x-forwarded-for", address.to_string())
    };
    assert_eq!(status_of(from("203.0.113.5")).await.0, 200);
    assert_eq!(status_of(from("203.0.113.5")).await.0, 429);
    assert_eq!(status_of(from("203.0.113.6")).await.0, 200, "another reader behind the same proxy");
    // What a client writes before the proxy's own entry is not believed.
    assert_eq!(status_of(from("198.51.100.1, 203.0.113.5")).await.0, 429);
    app.stop().await;

    // Not trusted: the header changes nothing.
    let app = TestApp::with_fixtures_and(&["sample"], limited(false)).await;
    let from = |address: &str| {
        app.client.get(format!("{}/v1/search?q=oil", app.base)).header("x-forwarded-for", address.to_string())
    };
    assert_eq!(status_of(from("203.0.113.5")).await.0, 200);
    assert_eq!(status_of(from("203.0.113.6")).await.0, 429);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_a_flood_a_polite_client_is_still_answered() {
    let app = TestApp::with_fixtures_and(&["sample"], |settings| {
        // One permit, and a client's burst smaller than the queue: the flood's share of the
        // server is bounded by its bucket, not by how fast it sends.
        settings.search_permits = 1;
        settings.search_queue = 8;
        settings.rate_limits = RateLimits {
            search: Some(Rate { per_second: 20.0, burst: 4 }),
            instant: Some(Rate { per_second: 20.0, burst: 4 }),
            ..RateLimits::default()
        };
    })
    .await;
    let base = app.base.clone();
    let flooding = Arc::new(AtomicBool::new(true));
    // The flood: 32 connections from 127.0.0.1, each sending as fast as it is answered.
    let flood: Vec<_> = (0..32)
        .map(|_| {
            let client = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 1])).build().unwrap();
            let url = format!("{base}/v1/search?q=oil+OR+the&facets=person,org,place&histogram=day&limit=50");
            let flooding = Arc::clone(&flooding);
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while flooding.load(Ordering::Relaxed) {
                    match client.get(&url).send().await {
                        Ok(response) => statuses.push(response.status().as_u16()),
                        Err(error) => panic!("the flood's request failed: {error}"),
                    }
                }
                statuses
            })
        })
        .collect();
    // The polite reader on 127.0.0.2: a search and a keystroke every 200 ms for 4 s.
    let polite = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 2])).build().unwrap();
    let started = Instant::now();
    let mut polite_statuses = Vec::new();
    let mut slowest = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(4) {
        for path in ["/v1/search?q=oil&facets=place", "/v1/search?q=oi&mode=instant&limit=5"] {
            let sent = Instant::now();
            let response = polite.get(format!("{base}{path}")).send().await.expect("polite request sent");
            slowest = slowest.max(sent.elapsed());
            polite_statuses.push(response.status().as_u16());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    flooding.store(false, Ordering::Relaxed);
    let mut flood_statuses = Vec::new();
    for task in flood {
        flood_statuses.extend(task.await.unwrap());
    }
    let limited = flood_statuses.iter().filter(|status| **status == 429).count();
    let served = flood_statuses.iter().filter(|status| **status == 200).count();
    assert!(limited > served, "the flood is mostly turned away: {limited} × 429, {served} × 200");
    assert!(
        flood_statuses.iter().all(|status| [200, 429, 503].contains(status)),
        "only answers, limits and shedding: {:?}",
        flood_statuses.iter().filter(|status| ![200, 429, 503].contains(*status)).collect::<Vec<_>>()
    );
    assert!(polite_statuses.len() >= 10, "{polite_statuses:?}");
    assert!(polite_statuses.iter().all(|status| *status == 200), "the polite client is answered: {polite_statuses:?}");
    eprintln!(
        "flood: {} requests ({limited} × 429, {served} × 200); polite: {} answered, slowest {slowest:?}",
        flood_statuses.len(),
        polite_statuses.len()
    );
    app.stop().await;
}

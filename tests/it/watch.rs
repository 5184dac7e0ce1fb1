//! `tidings watch` against feeds served by a local HTTP server this test starts: conditional
//! requests, full-text page fetches, resumption after a restart without re-fetching or
//! duplicating, and back-off for a failing feed.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tidings::store::Store;

#[derive(Default)]
struct Site {
    items: usize,
    feed_requests: usize,
    not_modified: usize,
    page_requests: HashMap<usize, usize>,
    broken_requests: usize,
}

type Shared = Arc<Mutex<Site>>;

fn etag(items: usize) -> String {
    format!("\"v{items}\"")
}

fn feed_xml(base: &str, items: usize) -> String {
    let entries: String = (1..=items)
        .map(|n| {
            format!(
                "<item><title>Harbour story {n}</title><link>{base}/story/{n}?utm_source=rss</link>\
                 <description>Teaser {n} only.</description><pubDate>Mon, 0{n} Jun 2025 10:00:00 GMT</pubDate></item>"
            )
        })
        .collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Harbour Desk</title><link>{base}/</link>{entries}</channel></rss>")
}

async fn feed(State(site): State<(Shared, String)>, headers: HeaderMap) -> Response {
    let (site, base) = site;
    let mut site = site.lock().unwrap();
    site.feed_requests += 1;
    let current = etag(site.items);
    if headers.get("if-none-match").and_then(|value| value.to_str().ok()) == Some(current.as_str()) {
        site.not_modified += 1;
        return StatusCode::NOT_MODIFIED.into_response();
    }
    ([("etag", current), ("content-type", "application/rss+xml".to_string())], feed_xml(&base, site.items))
        .into_response()
}

async fn story(State(site): State<(Shared, String)>, UrlPath(n): UrlPath<usize>) -> Response {
    *site.0.lock().unwrap().page_requests.entry(n).or_default() += 1;
    let paragraphs: String = (1..=4)
        .map(|p| format!("<p>Paragraph {p} of harbour story {n}: the pilots' union and the port authority met again on Monday to discuss rosters, pay and the winter timetable.</p>"))
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><title>Harbour story {n}</title></head><body>\
         <nav><a href=\"/\">Home</a></nav><article><h1>Harbour story {n}</h1>{paragraphs}</article></body></html>"
    );
    ([("content-type", "text/html; charset=utf-8")], html).into_response()
}

async fn broken(State(site): State<(Shared, String)>) -> Response {
    site.0.lock().unwrap().broken_requests += 1;
    (StatusCode::INTERNAL_SERVER_ERROR, "down for maintenance").into_response()
}

fn watch_once(data: &Path, feeds: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data)
        .arg("watch")
        .arg(feeds)
        .arg("--once")
        .output()
        .expect("the tidings binary runs");
    assert!(output.status.success(), "watch failed: {}", String::from_utf8_lossy(&output.stderr));
}

fn write_feeds(path: &Path, base: &str, every: &str) {
    std::fs::write(
        path,
        format!(
            "[[feed]]\nurl = \"{base}/feed.xml\"\nevery = \"{every}\"\nsource = \"Local Desk\"\nfull_text = true\n\n\
             [[feed]]\nurl = \"{base}/broken.xml\"\nevery = \"1s\"\n"
        ),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_fetches_conditionally_and_resumes_after_a_restart() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let site: Shared = Arc::new(Mutex::new(Site { items: 2, ..Site::default() }));
    let app = Router::new()
        .route("/feed.xml", get(feed))
        .route("/story/{n}", get(story))
        .route("/broken.xml", get(broken))
        .with_state((Arc::clone(&site), base.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let (data, feeds) = (dir.path().join("data"), dir.path().join("feeds.toml"));
    write_feeds(&feeds, &base, "1h");
    let count = || Store::open(&data.join("tidings.sqlite3")).unwrap().count_articles().unwrap();

    // First run: the feed, both pages, two articles with the pages' full text.
    let run = |data: &Path, feeds: &Path| {
        let (data, feeds) = (data.to_path_buf(), feeds.to_path_buf());
        async move { tokio::task::spawn_blocking(move || watch_once(&data, &feeds)).await.unwrap() }
    };
    run(&data, &feeds).await;
    {
        let site = site.lock().unwrap();
        assert_eq!((site.feed_requests, site.page_requests.len(), site.broken_requests), (1, 2, 1));
    }
    assert_eq!(count(), 2);
    let store = Store::open(&data.join("tidings.sqlite3")).unwrap();
    let first =
        store.get_article(&tidings::model::ArticleId::of_source_key(&format!("url:{base}/story/1"))).unwrap().unwrap();
    assert!(first.article.body.contains("Paragraph 4 of harbour story 1"), "{}", first.article.body);
    assert_eq!(first.article.source, "Local Desk");
    let broken = store.feed_state(&format!("{base}/broken.xml")).unwrap().unwrap();
    assert_eq!(broken.failures, 1);
    assert!(broken.last_status.as_deref().unwrap().contains("500"), "{broken:?}");
    drop(store);

    // A restart at once: nothing is due (the feed every hour, the broken one backing off for 2 s).
    run(&data, &feeds).await;
    {
        let site = site.lock().unwrap();
        assert_eq!((site.feed_requests, site.broken_requests), (1, 1));
    }

    // Due again: a conditional request, answered 304; no page is fetched again, nothing changes.
    write_feeds(&feeds, &base, "1s");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    run(&data, &feeds).await;
    {
        let site = site.lock().unwrap();
        assert_eq!((site.feed_requests, site.not_modified), (2, 1));
        assert!(site.page_requests.values().all(|requests| *requests == 1));
    }
    assert_eq!(count(), 2);

    // The feed gains an item: only the new page is fetched, and nothing is duplicated.
    site.lock().unwrap().items = 3;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    run(&data, &feeds).await;
    {
        let site = site.lock().unwrap();
        assert_eq!(site.feed_requests, 3);
        assert_eq!(site.page_requests.get(&3), Some(&1));
        assert!(site.page_requests.values().all(|requests| *requests == 1), "{:?}", site.page_requests);
    }
    assert_eq!(count(), 3);
    let store = Store::open(&data.join("tidings.sqlite3")).unwrap();
    let state = store.feed_state(&format!("{base}/feed.xml")).unwrap().unwrap();
    assert_eq!((state.failures, state.etag.as_deref()), (0, Some("\"v3\"")));
}

//! Shared test helpers: a `TestApp` that ingests fixtures into a temp data dir and serves them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use tidings::config::Settings;
use tidings::ingest::IngestOptions;
use tidings::startup::Application;

/// A path inside the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Settings for a fresh data directory, binding port 0.
pub fn settings_for(data_dir: &Path) -> Settings {
    Settings { data_dir: data_dir.to_path_buf(), addr: "127.0.0.1:0".into(), index_poll_ms: 50, ..Settings::default() }
}

/// A running server over its own temporary data directory.
pub struct TestApp {
    pub base: String,
    pub settings: Settings,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _data_dir: tempfile::TempDir,
}

impl TestApp {
    /// Ingests `fixtures` (repository-relative paths) with the real pipeline, then serves.
    pub async fn with_fixtures(fixtures: &[&str]) -> TestApp {
        TestApp::with_fixtures_and(fixtures, |_| {}).await
    }

    /// Like `with_fixtures`, with settings adjusted by `adjust` first.
    pub async fn with_fixtures_and(fixtures: &[&str], adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = settings_for(data_dir.path());
        adjust(&mut settings);
        if !fixtures.is_empty() {
            let paths: Vec<PathBuf> = fixtures.iter().map(|fixture| repo_path(fixture)).collect();
            tidings::ingest::ingest_and_index(&settings, &paths, IngestOptions::default()).expect("fixtures ingest");
        }
        TestApp::serve(settings, data_dir).await
    }

    /// Ingests files from anywhere with the real pipeline, with settings adjusted by `adjust`
    /// first, then serves.
    pub async fn with_files_and(files: &[PathBuf], adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = settings_for(data_dir.path());
        adjust(&mut settings);
        tidings::ingest::ingest_and_index(&settings, files, IngestOptions::default()).expect("files ingest");
        TestApp::serve(settings, data_dir).await
    }

    /// Ingests articles given as JSON lines (written to a temporary file), then serves.
    pub async fn with_jsonl(lines: &str) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let settings = settings_for(data_dir.path());
        let file = data_dir.path().join("articles.jsonl");
        std::fs::write(&file, lines).expect("fixture written");
        tidings::ingest::ingest_and_index(&settings, &[file], IngestOptions::default()).expect("fixture ingest");
        TestApp::serve(settings, data_dir).await
    }

    /// Serves an existing data directory.
    pub async fn serve(settings: Settings, data_dir: tempfile::TempDir) -> TestApp {
        let application = Application::build(settings.clone()).await.expect("server builds");
        let base = format!("http://127.0.0.1:{}", application.port());
        let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            application
                .run_until_stopped(async {
                    let _ = receiver.await;
                })
                .await
                .expect("server runs");
        });
        let app = TestApp {
            base,
            settings,
            client: reqwest::Client::new(),
            shutdown: Some(sender),
            server: Some(server),
            _data_dir: data_dir,
        };
        // The views are built in the background after a start: tests begin once they are.
        let built =
            app.eventually(Duration::from_secs(30), || async { app.get("/readyz").await.1["views"] == "ready" }).await;
        assert!(built, "the views were built after the start");
        app
    }

    /// GET a path; returns the status and the JSON body.
    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let response = self.client.get(format!("{}{path_and_query}", self.base)).send().await.expect("request sent");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.expect("JSON body");
        (status, body)
    }

    /// GET a search that must succeed.
    pub async fn search(&self, query: &str) -> Value {
        let (status, body) = self.get(&format!("/v1/search?{query}")).await;
        assert_eq!(status, 200, "search {query}: {body}");
        body
    }

    /// POST a raw body; returns the status and the JSON body.
    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.expect("JSON body"))
    }

    /// Writes NDJSON articles through `POST /v1/articles` with `key`; they must be accepted.
    pub async fn write_articles(&self, key: &str, ndjson: impl Into<reqwest::Body>) {
        let response = self
            .client
            .post(format!("{}/v1/articles", self.base))
            .bearer_auth(key)
            .header("content-type", "application/x-ndjson")
            .body(ndjson)
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status().as_u16(), 200, "write accepted");
    }

    /// Polls `check` until it holds or `timeout` passes.
    pub async fn eventually<F, Fut>(&self, timeout: Duration, mut check: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if check().await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    pub async fn stop(mut self) {
        self.shut_down().await;
    }

    /// Stops the server and starts a new one over the same data directory and settings.
    pub async fn restart(self) -> TestApp {
        self.restart_with(|_| {}).await
    }

    /// Stops the server and starts a new one over the same data directory, with the settings
    /// adjusted by `adjust`.
    pub async fn restart_with(mut self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        self.shut_down().await;
        adjust(&mut self.settings);
        TestApp::serve(self.settings.clone(), self._data_dir).await
    }

    async fn shut_down(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task ends cleanly");
        }
    }
}

/// The Reuters stories of an SGML file, as raw text, split independently of tidings' parser.
pub fn raw_stories(relative: &str) -> Vec<String> {
    let bytes = std::fs::read(repo_path(relative)).expect("fixture readable");
    let text: String = bytes.iter().map(|&byte| byte as char).collect();
    text.split("<REUTERS ").skip(1).map(|story| story.to_string()).collect()
}

/// The `<D>` values of one list element of a raw story.
pub fn raw_list(story: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let Some(start) = story.find(&open) else { return Vec::new() };
    let end = story[start..].find(&close).map(|end| start + end).unwrap_or(story.len());
    story[start + open.len()..end].split("</D>").filter_map(|item| item.strip_prefix("<D>")).map(String::from).collect()
}

/// Count of hits in a JSON facet list for `value`.
pub fn facet_count(body: &Value, facet: &str, value: &str) -> Option<u64> {
    body["facets"][facet]
        .as_array()?
        .iter()
        .find(|entry| entry["value"] == value)
        .and_then(|entry| entry["count"].as_u64())
}

/// `YYYY-MM-DD` of a raw Reuters DATE element, parsed independently of tidings.
pub fn raw_day(story: &str) -> String {
    let start = story.find("<DATE>").expect("a DATE element") + 6;
    let date = story[start..].split_whitespace().next().expect("a date");
    let parts: Vec<&str> = date.split('-').collect();
    let day: u32 = parts[0].parse().expect("a day number");
    let month = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        .iter()
        .position(|name| *name == parts[1])
        .expect("a month name")
        + 1;
    format!("{}-{month:02}-{day:02}", &parts[2][..4])
}

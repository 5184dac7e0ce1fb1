//! The search box and the results page in a real browser: Debian's Chromium driven through
//! ChromeDriver's WebDriver protocol (installed with apt when missing), against the real server.
//! The widget is embedded in a page served from another origin; a screenshot of every page is
//! saved to a folder the test prints.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{repo_path, TestApp};

/// Kills the driver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names
        .iter()
        .find_map(|name| std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file()))
}

/// Chromium and ChromeDriver, installed from Debian's packages when missing.
fn browser_programs() -> (PathBuf, PathBuf) {
    let found = || (find_program(&["chromium", "chromium-browser"]), find_program(&["chromedriver"]));
    if let (Some(browser), Some(driver)) = found() {
        return (browser, driver);
    }
    eprintln!("browser tests: installing chromium and chromium-driver with apt-get…");
    let is_root = Command::new("id").arg("-u").output().map(|out| out.stdout.starts_with(b"0")).unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut command = if is_root { Command::new("apt-get") } else { Command::new("sudo") };
        if !is_root {
            command.args(["-n", "apt-get"]);
        }
        command.env("DEBIAN_FRONTEND", "noninteractive").args(args).status()
    };
    let installed = apt(&["install", "-y", "-q", "chromium", "chromium-driver"]).is_ok_and(|status| status.success())
        || (apt(&["update", "-q"]).is_ok_and(|status| status.success())
            && apt(&["install", "-y", "-q", "chromium", "chromium-driver"]).is_ok_and(|status| status.success()));
    match found() {
        (Some(browser), Some(driver)) => (browser, driver),
        _ => panic!(
            "the browser tests need Debian's chromium and chromium-driver; installing them with apt-get {}",
            if installed { "succeeded but the programs are not on PATH" } else { "failed (root or sudo needed)" }
        ),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A WebDriver session.
struct Session {
    client: reqwest::Client,
    base: String,
    _driver: Driver,
    shots: PathBuf,
}

impl Session {
    async fn start(driver: &Path, browser: &Path, shots: PathBuf) -> Session {
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver(child);
        let client = reqwest::Client::new();
        let root = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(response) = client.get(format!("{root}/status")).send().await {
                if response.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap().keep();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1280,1000",
                         format!("--user-data-dir={}", profile.display())]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let response: Value =
            client.post(format!("{root}/session")).json(&capabilities).send().await.unwrap().json().await.unwrap();
        let id =
            response["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {response}")).to_string();
        Session { client, base: format!("{root}/session/{id}"), _driver: driver, shots }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let request = self.client.request(method, format!("{}{path}", self.base));
        let request = if body.is_null() { request } else { request.json(&body) };
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(response["value"].get("error").is_none(), "WebDriver {path}: {response}");
        response["value"].clone()
    }

    async fn visit(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({"url": url})).await;
    }

    async fn run(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", json!({"script": script, "args": []})).await
    }

    /// Polls a script until it returns true.
    async fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.run(script).await == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let page = self.run("return document.body ? document.body.innerText.slice(0, 2000) : ''").await;
        panic!("timed out waiting for {what}; page text: {page}");
    }

    async fn element(&self, css: &str) -> String {
        let found = self.call(reqwest::Method::POST, "/element", json!({"using": "css selector", "value": css})).await;
        found.as_object().and_then(|object| object.values().next()).and_then(Value::as_str).unwrap().to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{element}/value"), json!({"text": text})).await;
    }

    async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{element}/click"), json!({})).await;
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        use base64::Engine as _;
        let data = self.call(reqwest::Method::GET, "/screenshot", Value::Null).await;
        let png = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Console and network errors the browser logged since the last call.
    async fn errors(&self) -> Vec<String> {
        let entries = self.call(reqwest::Method::POST, "/se/log", json!({"type": "browser"})).await;
        entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or("").to_string())
            .collect()
    }

    async fn end(self) {
        let _ = self.client.delete(&self.base).send().await;
    }
}

/// A news site on another origin that embeds the widget (carrying `key`, if any).
async fn host_site(app_base: &str, key: Option<&str>) -> (String, tokio::task::JoinHandle<()>) {
    let key = key.map(|key| format!(" data-key=\"{key}\"")).unwrap_or_default();
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>The Daily Example</title>
<link rel="icon" href="data:,">
<script src="{app_base}/widget.js" data-endpoint="{app_base}"{key} defer></script></head>
<body><h1>The Daily Example</h1><p>Search our archive:</p><div data-tidings-search></div></body></html>"#
    );
    let router = axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(page) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (base, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_and_the_results_page_work_in_a_real_browser() {
    let (browser, driver) = browser_programs();
    let app = TestApp::with_fixtures(&["sample"]).await;
    let (site, site_server) = host_site(&app.base, None).await;
    let shots = repo_path("target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    eprintln!("browser screenshots: {}", shots.display());
    let session = Session::start(&driver, &browser, shots).await;

    // 1. The widget on another origin: type a name with the reader's speed, see instant results.
    session.visit(&format!("{site}/")).await;
    session
        .wait_for("the widget", "return !!document.querySelector('[data-tidings-search] input[role=combobox]')")
        .await;
    session.type_into("[data-tidings-search] input", "zelen").await;
    session
        .wait_for("instant results", "return document.querySelectorAll('[role=listbox] [role=option]').length > 1")
        .await;
    let widget = session
        .run(
            "const input = document.querySelector('[data-tidings-search] input');
             const list = document.getElementById(input.getAttribute('aria-controls'));
             const options = [...list.querySelectorAll('[role=option]')];
             return {expanded: input.getAttribute('aria-expanded'), listRole: list.getAttribute('role'),
                     first: options[0].textContent, marks: [...options[0].querySelectorAll('mark')].map(m => m.textContent),
                     last: options[options.length - 1].textContent, origin: location.origin};",
        )
        .await;
    assert_eq!(widget["expanded"], "true", "{widget}");
    assert_eq!(widget["listRole"], "listbox");
    let expected_first = app.search("q=zelen&mode=instant").await["hits"][0]["title"].as_str().unwrap().to_string();
    assert!(widget["first"].as_str().unwrap().starts_with(&expected_first), "{widget} vs {expected_first}");
    assert!(widget["last"].as_str().unwrap().starts_with("All results"), "{widget}");
    assert_ne!(widget["origin"], app.base.as_str());
    // Keyboard: the first option becomes active, as the combobox pattern says.
    session.type_into("[data-tidings-search] input", "\u{E015}").await;
    let active = session
        .run(
            "const input = document.querySelector('[data-tidings-search] input');
             const option = document.getElementById(input.getAttribute('aria-activedescendant') || '');
             return option ? option.getAttribute('aria-selected') + ' ' + option.getAttribute('role') : 'none';",
        )
        .await;
    assert_eq!(active, "true option");
    let shot = session.screenshot("1-widget-on-another-site").await;
    eprintln!("screenshot: {}", shot.display());
    let errors = session.errors().await;
    assert!(errors.is_empty(), "console errors on the host page: {errors:?}");

    // 2. Escape closes the list; Enter opens all results on the analysts' page.
    session.type_into("[data-tidings-search] input", "\u{E00C}").await;
    assert_eq!(
        session.run("return document.querySelector('[data-tidings-search] input').getAttribute('aria-expanded')").await,
        "false"
    );
    session.type_into("[data-tidings-search] input", "\u{E007}").await;
    session
        .wait_for(
            "the results page",
            &format!("return location.href.startsWith('{}/') && document.body.dataset.state === 'ready'", app.base),
        )
        .await;
    let page = session
        .run("return {q: document.getElementById('q').value, total: +document.body.dataset.total, hits: document.querySelectorAll('#hits li').length, text: document.getElementById('hits').textContent};")
        .await;
    assert_eq!(page["q"], "zelen", "{page}");
    assert!(page["total"].as_u64().unwrap() >= 1 && page["hits"].as_u64().unwrap() >= 1, "{page}");
    let shot = session.screenshot("2-all-results").await;
    eprintln!("screenshot: {}", shot.display());

    // 3. Facets and the histogram narrow the results.
    session.visit(&format!("{}/?q=oil", app.base)).await;
    session.wait_for("oil results", "return document.body.dataset.state === 'ready'").await;
    let before = session.run("return +document.body.dataset.total").await.as_u64().unwrap();
    let expected = app.search("q=oil").await["total"].as_u64().unwrap();
    assert_eq!(before, expected);
    let facet = session
        .run("const b = document.querySelector('#facets button[data-facet=place]'); return {value: b.dataset.value, count: +b.dataset.count};")
        .await;
    let facet_count = facet["count"].as_u64().unwrap();
    assert!(facet_count < before, "{facet} of {before}");
    session.click("#facets button[data-facet=place]").await;
    session
        .wait_for("the facet filter", &format!("return document.body.dataset.state === 'ready' && +document.body.dataset.total === {facet_count} && document.querySelectorAll('#chips .chip').length === 1"))
        .await;
    let shot = session.screenshot("3-facet-filter").await;
    eprintln!("screenshot: {}", shot.display());
    let bar = session
        .run("const bars = [...document.querySelectorAll('#timeline rect')]; const bar = bars.reduce((a, b) => +a.dataset.count <= +b.dataset.count ? a : b); bar.setAttribute('id', 'chosen-bar'); return {count: +bar.dataset.count, bars: bars.length};")
        .await;
    let bar_count = bar["count"].as_u64().unwrap();
    assert!(bar["bars"].as_u64().unwrap() >= 2, "{bar}");
    assert!(bar_count < facet_count, "{bar}");
    session.click("#chosen-bar").await;
    session
        .wait_for("the date filter", &format!("return document.body.dataset.state === 'ready' && +document.body.dataset.total === {bar_count} && document.querySelectorAll('#chips .chip').length === 2"))
        .await;
    let narrowed = session.run("return location.search").await;
    let narrowed = narrowed.as_str().unwrap().trim_start_matches('?').to_string();
    assert_eq!(app.search(&narrowed).await["total"].as_u64().unwrap(), bar_count, "{narrowed}");
    // Sorting by date keeps the filters and orders the hits newest first.
    session
        .run("const s = document.getElementById('sort'); s.value = 'date'; s.dispatchEvent(new Event('change'));")
        .await;
    session
        .wait_for(
            "date order",
            "return location.search.includes('sort=date') && document.body.dataset.state === 'ready'",
        )
        .await;
    let shot = session.screenshot("4-histogram-filter-by-date").await;
    eprintln!("screenshot: {}", shot.display());
    let errors = session.errors().await;
    assert!(errors.is_empty(), "console errors on the results page: {errors:?}");
    session.end().await;
    site_server.abort();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_reads_protected_the_widget_and_the_page_carry_a_search_only_key() {
    const PAGE_KEY: &str = "public-search-key-0123456789";
    let (browser, driver) = browser_programs();
    let app = TestApp::with_fixtures_and(&["sample"], |settings| {
        settings.protect_reads = true;
        settings.api_keys = vec!["admin-key-0123456789abcdef".into()];
        settings.search_keys = vec![PAGE_KEY.into()];
        settings.page_key = Some(PAGE_KEY.into());
    })
    .await;
    assert_eq!(app.get("/v1/search?q=zelen").await.0, 401, "reads are closed without a key");
    let (site, site_server) = host_site(&app.base, Some(PAGE_KEY)).await;
    let shots = repo_path("target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let session = Session::start(&driver, &browser, shots).await;

    // The widget sends its data-key: instant results as on an open server.
    session.visit(&format!("{site}/")).await;
    session
        .wait_for("the widget", "return !!document.querySelector('[data-tidings-search] input[role=combobox]')")
        .await;
    session.type_into("[data-tidings-search] input", "zelen").await;
    session
        .wait_for("instant results", "return document.querySelectorAll('[role=listbox] [role=option]').length > 1")
        .await;
    let shot = session.screenshot("5-widget-with-a-search-key").await;
    eprintln!("screenshot: {}", shot.display());
    // The results page carries the server's page key; an export link stays closed to it.
    session.type_into("[data-tidings-search] input", "\u{E007}").await;
    session
        .wait_for(
            "the results page",
            &format!("return location.href.startsWith('{}/') && document.body.dataset.state === 'ready'", app.base),
        )
        .await;
    let total = session.run("return +document.body.dataset.total").await.as_u64().unwrap();
    let shown = session.run("return location.search").await;
    let expected = app
        .client
        .get(format!("{}/v1/search?{}", app.base, shown.as_str().unwrap().trim_start_matches('?')))
        .bearer_auth(PAGE_KEY)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["total"]
        .as_u64()
        .unwrap();
    assert!(total >= 1);
    assert_eq!(total, expected);
    let errors = session.errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    let export = session
        .run("return fetch(document.querySelector('.exports a').href, {headers: {Authorization: 'Bearer ' + document.querySelector('meta[name=tidings-key]').content}}).then(r => r.status);")
        .await;
    assert_eq!(export, 403, "the page's key may not export");
    session.end().await;
    site_server.abort();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_renders_every_operation_in_a_real_browser() {
    let (browser, driver) = browser_programs();
    let app = TestApp::with_fixtures(&[]).await;
    let (_, document) = app.get("/openapi.json").await;
    let operations: usize =
        document["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
    let shots = repo_path("target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let session = Session::start(&driver, &browser, shots).await;
    session.visit(&format!("{}/docs", app.base)).await;
    session
        .wait_for("every operation", &format!("return document.querySelectorAll('.opblock').length === {operations}"))
        .await;
    let shot = session.screenshot("6-docs").await;
    eprintln!("screenshot: {}", shot.display());
    // Everything the page loaded came from this server, and the policy let all of it run.
    let foreign = session
        .run(&format!(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('{}/'))",
            app.base
        ))
        .await;
    assert_eq!(foreign, json!([]), "resources from elsewhere");
    let errors = session.errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    // An operation opens with its parameters and its error responses.
    session.click("#operations-search-search_get .opblock-summary").await;
    session
        .wait_for(
            "the search operation",
            "return [...document.querySelectorAll('#operations-search-search_get .response-col_status')].map(e => e.textContent.trim()).includes('429')",
        )
        .await;
    session.end().await;
    app.stop().await;
}

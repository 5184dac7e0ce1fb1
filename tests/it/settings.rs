//! Settings changed while the server runs: the configuration file rewritten, then read again
//! through `POST /v1/settings/reload` or a `SIGHUP` to the real binary, changing what the next
//! search finds and how it ranks.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::TestApp;

const ADMIN: &str = "settings-admin-key-0123456789";
const SEARCHER: &str = "settings-search-key-0123456789";

/// The articles, each (title, body): written as JSON Lines, and counted here by plain string
/// matching to check what searches find.
const ARTICLES: [(&str, &str); 6] = [
    ("Exports from the United States rose", "Shipments grew in March."),
    ("USA exports fell", "Shipments shrank in March."),
    ("U.S. exports steady", "Shipments held in March."),
    ("Britain exports", "Shipments to Europe in March."),
    ("Grain", "The harbour took the first barges of the season."),
    ("Harbour", "Grain, grain and more grain came in by barge. Joseph Smith counted it."),
];

fn jsonl() -> String {
    let mut lines = String::new();
    for (number, (title, body)) in ARTICLES.iter().enumerate() {
        let entities =
            if body.contains("Joseph Smith") { r#","entities":[{"kind":"person","name":"Joseph Smith"}]"# } else { "" };
        lines.push_str(&format!(
            "{{\"id\":\"s{number}\",\"source\":\"Wire\",\"title\":{title:?},\"body\":{body:?},\"published_at\":\"2026-11-0{}\"{entities}}}\n",
            number + 1
        ));
    }
    lines
}

/// Articles whose title or body holds any of `forms` (case-insensitive).
fn holding(forms: &[&str]) -> u64 {
    ARTICLES
        .iter()
        .filter(|(title, body)| {
            let text = format!("{title} {body}").to_lowercase();
            forms.iter().any(|form| text.contains(&form.to_lowercase()))
        })
        .count() as u64
}

fn write_config(path: &Path, extra: &str) {
    let config = format!(
        "api_keys = [\"{ADMIN}\"]\nsearch_keys = [\"{SEARCHER}\"]\nfreshness_weight = 0.0\nindex_poll_ms = 50\n{extra}"
    );
    std::fs::write(path, config).unwrap();
}

/// A working directory with the configuration (`extra` appended) and the articles as JSON Lines.
fn workspace(extra: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("tidings.toml");
    write_config(&config, extra);
    let articles = work.path().join("articles.jsonl");
    std::fs::write(&articles, jsonl()).unwrap();
    (work, config, articles)
}

async fn get(app_base: &str, path: &str) -> (u16, Value) {
    // Not listening yet: 0.
    match reqwest::Client::new().get(format!("{app_base}{path}")).send().await {
        Ok(response) => (response.status().as_u16(), response.json().await.unwrap_or(Value::Null)),
        Err(_) => (0, Value::Null),
    }
}

fn total(body: &Value) -> u64 {
    body["total"].as_u64().unwrap_or_else(|| panic!("no total: {body}"))
}

fn first_title(body: &Value) -> String {
    body["hits"][0]["title"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_changes_synonyms_stop_words_aliases_and_weights_for_the_next_search() {
    let (work, config, articles) = workspace("title_boost = 0.05\n");
    let app = TestApp::with_files_and(&[articles], |settings| {
        *settings = crate::helpers::settings_for(&settings.data_dir);
        let read = tidings::config::Settings::load(Some(&config)).unwrap();
        settings.api_keys = read.api_keys;
        settings.search_keys = read.search_keys;
        settings.freshness_weight = read.freshness_weight;
        settings.title_boost = read.title_boost;
        settings.loaded_from = read.loaded_from;
    })
    .await;
    let reload = || async {
        let response =
            app.client.post(format!("{}/v1/settings/reload", app.base)).bearer_auth(ADMIN).send().await.unwrap();
        (response.status().as_u16(), response.json::<Value>().await.unwrap())
    };

    // Before: each form finds only itself; ORed, "exports" finds every export story; the title
    // weighs little, so the story saying "grain" three times leads; Joe is nobody.
    assert_eq!(total(&app.search("q=USA").await), holding(&["USA"]));
    assert_eq!(total(&app.search("q=usa%20&mode=instant").await), holding(&["USA"]));
    assert_eq!(total(&app.search("q=exports%20britain&match=any").await), holding(&["exports", "britain"]));
    assert_eq!(first_title(&app.search("q=grain").await), "Harbour");
    assert_eq!(total(&app.search("q=&person=Joe").await), 0);

    // The file rewritten and read again: synonyms, an extra stop word, a heavy title, an alias.
    let aliases = work.path().join("aliases.txt");
    std::fs::write(&aliases, "person: Joe = Joseph Smith\n").unwrap();
    let reloaded_config = format!(
        "title_boost = 20.0\nstop_words = [\"exports\"]\nsynonyms = [[\"U.S.\", \"USA\", \"United States\"]]\naliases_file = {:?}\n",
        aliases.display().to_string()
    );
    write_config(&config, &reloaded_config);
    let response =
        app.client.post(format!("{}/v1/settings/reload", app.base)).bearer_auth(SEARCHER).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403, "only admin keys reload");
    let (status, reloaded) = reload().await;
    assert_eq!(status, 200, "{reloaded}");
    let changed: Vec<&str> = reloaded["changed"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(changed, ["title_boost", "synonyms", "stop_words", "aliases"], "{reloaded}");
    assert!(reloaded["notes"][0].as_str().unwrap().contains("reindex --extract"), "{reloaded}");

    let expected = holding(&["U.S.", "USA", "United States"]);
    assert!(expected > 1);
    assert_eq!(total(&app.search("q=USA").await), expected);
    assert_eq!(total(&app.search("q=%22united%20states%22").await), expected);
    // The search box too, once a word is whole.
    assert_eq!(total(&app.search("q=usa%20&mode=instant").await), expected);
    assert_eq!(total(&app.search("q=united%20states%20exp&mode=instant").await), expected);
    assert_eq!(total(&app.search("q=exports%20britain&match=any").await), holding(&["britain"]));
    assert_eq!(first_title(&app.search("q=grain").await), "Grain", "the title weighs more now");
    assert_eq!(total(&app.search("q=&person=Joe").await), holding(&["Joseph Smith"]));
    let (_, shown) = get(&app.base, "/v1/settings").await;
    assert_eq!(shown["error"]["code"], "unauthorized", "settings are for admin keys");
    let shown: Value = app
        .client
        .get(format!("{}/v1/settings", app.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((shown["title_boost"].as_f64(), shown["stop_words"][0].as_str()), (Some(20.0), Some("exports")));
    assert_eq!(shown["synonyms"][0].as_array().unwrap().len(), 3);

    // A file that does not read changes nothing.
    std::fs::write(&config, "synonyms = [[\"lonely\"]]\n").unwrap();
    let (status, refused) = reload().await;
    assert_eq!((status, refused["error"]["code"].as_str()), (400, Some("bad_parameter")), "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("synonyms"), "{refused}");
    assert_eq!(total(&app.search("q=USA").await), expected);
    // Nothing changed since: a reload of the same file says so.
    write_config(&config, &reloaded_config);
    let (status, again) = reload().await;
    assert_eq!((status, again["changed"].as_array().map(Vec::len)), (200, Some(0)), "{again}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_makes_the_running_server_read_its_configuration_again() {
    let (work, config, articles) = workspace("");
    let data = work.path().join("data");
    let tidings = |arguments: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tidings"));
        command.arg("--config").arg(&config).arg("--data-dir").arg(&data).args(arguments);
        command
    };
    assert!(tidings(&["ingest", articles.to_str().unwrap()]).stdout(Stdio::null()).status().unwrap().success());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let server = tidings(&["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Stopped however the test ends.
    let server = Stopped(server);
    let until = |deadline: Duration| Instant::now() + deadline;
    let started = until(Duration::from_secs(20));
    while get(&base, "/readyz").await.0 != 200 {
        assert!(Instant::now() < started, "the server started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let searched = |query: &'static str| {
        let base = base.clone();
        async move {
            let response = reqwest::Client::new()
                .get(format!("{base}/v1/search?{query}"))
                .bearer_auth(SEARCHER)
                .send()
                .await
                .unwrap();
            total(&response.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(searched("q=USA").await, holding(&["USA"]));

    write_config(&config, "synonyms = [[\"U.S.\", \"USA\", \"United States\"]]\n");
    let signalled = Command::new("kill").arg("-HUP").arg(server.0.id().to_string()).status().unwrap();
    assert!(signalled.success());
    let expected = holding(&["U.S.", "USA", "United States"]);
    let reloaded = until(Duration::from_secs(10));
    while searched("q=USA").await != expected {
        assert!(Instant::now() < reloaded, "the synonyms applied after SIGHUP");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
}

/// A child process killed (and reaped) when dropped.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

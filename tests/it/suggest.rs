//! Search-box suggestions over HTTP: entity names with article counts that equal the search's own
//! counts, headlines counted from the raw file, prefix highlighting with HTML escaped, freshly
//! written articles suggested, and bad parameters refused with 400.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{raw_stories, TestApp};

const REUTERS: &str = "sample/reut2-000-stories-201-400.sgm";
const SAMPLE: &str = "sample/kremlin-trump-putin-meeting.txt";
const KEY: &str = "suggest-key-0123456789abcdef";

fn suggestions(body: &Value) -> &Vec<Value> {
    body["suggestions"].as_array().expect("a suggestions array")
}

#[tokio::test]
async fn names_and_headlines_by_prefix_with_counts() {
    let app = TestApp::with_fixtures(&[REUTERS, SAMPLE]).await;

    // "zel": the Ukrainian president, a person, counted as the search counts him.
    let (status, body) = app.get("/v1/suggest?q=zel").await;
    assert_eq!(status, 200, "{body}");
    let zelensky = suggestions(&body)
        .iter()
        .find(|suggestion| suggestion["kind"] == "person" && suggestion["text"].as_str().unwrap().contains("Zelensk"))
        .unwrap_or_else(|| panic!("{body}"));
    let name = zelensky["text"].as_str().unwrap();
    let filter: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let searched = app.search(&format!("person={filter}")).await["total"].clone();
    assert_eq!(zelensky["count"], searched, "{body}");
    assert!(zelensky["highlighted"].as_str().unwrap().contains("<mark>Zel</mark>"), "{zelensky}");

    // "pes": Peskov, keystroke by keystroke.
    for prefix in ["pes", "pesk", "peskov"] {
        let (_, body) = app.get(&format!("/v1/suggest?q={prefix}")).await;
        assert!(
            suggestions(&body).iter().any(|s| s["kind"] == "person" && s["text"].as_str().unwrap().contains("Peskov")),
            "{prefix}: {body}"
        );
    }

    // Headlines: every suggestion of kind title starts a word with the prefix, and its count is
    // the number of stories carrying that headline in the raw file.
    let raw_titles: Vec<String> = raw_stories(REUTERS)
        .iter()
        .filter_map(|story| {
            let start = story.find("<TITLE>")? + 7;
            let end = story[start..].find("</TITLE>")? + start;
            Some(story[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").trim().to_string())
        })
        .collect();
    let (_, body) = app.get("/v1/suggest?q=mcdonn&kinds=title&limit=50").await;
    let titles = suggestions(&body);
    let expected: std::collections::BTreeSet<&String> = raw_titles
        .iter()
        .filter(|title| title.split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with("MCDONN")))
        .collect();
    assert_eq!(titles.len(), expected.len(), "{body}");
    for suggestion in titles {
        let text = suggestion["text"].as_str().unwrap().to_string();
        assert!(expected.contains(&text), "{text}");
        let count = raw_titles.iter().filter(|title| **title == text).count();
        assert_eq!(suggestion["count"], count, "{text}");
        assert!(suggestion["id"].is_string());
        // Escaped, with the typed prefix marked.
        let highlighted = suggestion["highlighted"].as_str().unwrap();
        assert!(highlighted.contains("<mark>MCDONN</mark>"), "{highlighted}");
        assert!(!highlighted.replace("<mark>", "").replace("</mark>", "").contains('<'), "{highlighted}");
    }
    assert!(titles.iter().any(|s| s["highlighted"].as_str().unwrap().contains("&lt;")), "{body}");

    // Several words: every one must start a word of the suggestion.
    let (_, body) = app.get("/v1/suggest?q=saudi+ar").await;
    assert!(suggestions(&body).iter().any(|s| s["text"] == "Saudi Arabia"), "{body}");
    for suggestion in suggestions(&body) {
        let text = suggestion["text"].as_str().unwrap().to_lowercase();
        let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
        assert!(words.iter().any(|w| w.starts_with("saudi")) && words.iter().any(|w| w.starts_with("ar")), "{text}");
    }

    // Ranked by article count (the sample's dates lie within days of each other): the first
    // suggestion for "s" has the most articles among the people, organisations and places.
    let (_, body) = app.get("/v1/suggest?q=s&kinds=person,org,place&limit=50").await;
    let counts: Vec<u64> = suggestions(&body).iter().map(|s| s["count"].as_u64().unwrap()).collect();
    assert_eq!(counts.first(), counts.iter().max(), "{body}");

    // An empty kinds list means every kind.
    let (_, all) = app.get("/v1/suggest?q=s&limit=50").await;
    let (_, empty_kinds) = app.get("/v1/suggest?q=s&limit=50&kinds=").await;
    assert_eq!(all, empty_kinds);

    // Limits and bad input.
    let (_, body) = app.get("/v1/suggest?q=s&limit=3").await;
    assert_eq!(suggestions(&body).len(), 3);
    let (status, body) = app.get("/v1/suggest?q=").await;
    assert_eq!((status, suggestions(&body).len()), (200, 0));
    let (status, body) = app.get("/v1/suggest?q=%22%28%5B").await;
    assert_eq!((status, suggestions(&body).len()), (200, 0), "{body}");
    for bad in ["q=s&limit=0", "q=s&limit=51", "q=s&kinds=colour", "q=s&colour=red", &format!("q={}", "a".repeat(201))]
    {
        let (status, body) = app.get(&format!("/v1/suggest?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "bad_parameter", "{bad}");
    }
    app.stop().await;
}

#[tokio::test]
async fn written_articles_are_suggested_soon_after() {
    let app = TestApp::with_fixtures_and(&[REUTERS], |settings| settings.api_keys = vec![KEY.into()]).await;
    let (_, body) = app.get("/v1/suggest?q=quixot").await;
    assert!(suggestions(&body).is_empty(), "{body}");
    let article = r#"{"id":"q1","title":"Quixotic windmill plan approved","body":"Councillors approved the windmill plan.","source":"Test","published_at":"1987-03-05T10:00:00Z","entities":[{"kind":"person","name":"Alonso Quixano"}]}"#;
    app.write_articles(KEY, article).await;
    let found = app
        .eventually(Duration::from_secs(10), || async {
            let (_, body) = app.get("/v1/suggest?q=quix").await;
            let kinds: Vec<&str> = suggestions(&body).iter().filter_map(|s| s["kind"].as_str()).collect();
            kinds.contains(&"title") && kinds.contains(&"person")
        })
        .await;
    assert!(found, "the new headline and person were not suggested");
    app.stop().await;
}

/// An article of the harbour series: day `day` of March 2020, naming Marta Kowalska when `named`;
/// from day 13 the board meets at the lighthouse, a word the first articles do not have.
fn harbour_article(day: u32, named: bool) -> String {
    let entities = if named { r#"[{"kind":"person","name":"Marta Kowalska"}]"# } else { "[]" };
    let place = if day > 12 { "lighthouse" } else { "harbour" };
    format!(
        r#"{{"id":"h{day}","title":"Harbour report {day}","body":"The harbour board met at the {place} on day {day}.","source":"Test","published_at":"2020-03-{day:02}T10:00:00Z","entities":{entities}}}"#
    )
}

/// The headlines suggested for "harbour", sorted.
async fn harbour_headlines(app: &TestApp) -> Vec<String> {
    let (_, body) = app.get("/v1/suggest?q=harbour&kinds=title&limit=50").await;
    let mut titles: Vec<String> = suggestions(&body).iter().map(|s| s["text"].as_str().unwrap().to_string()).collect();
    titles.sort();
    titles
}

/// Marta Kowalska's article count as suggested, and as the search counts her.
async fn kowalska_counts(app: &TestApp) -> (Option<u64>, u64) {
    let (_, body) = app.get("/v1/suggest?q=kowal&kinds=person").await;
    let suggested =
        suggestions(&body).iter().find(|s| s["text"] == "Marta Kowalska").map(|s| s["count"].as_u64().unwrap());
    let searched = app.search("person=Marta+Kowalska&limit=1").await["total"].as_u64().unwrap();
    (suggested, searched)
}

/// The headlines of the `newest` newest of `days`, sorted.
fn expected_headlines(days: &[u32], newest: usize) -> Vec<String> {
    let mut days = days.to_vec();
    days.sort_unstable_by(|a, b| b.cmp(a));
    let mut titles: Vec<String> = days.iter().take(newest).map(|day| format!("Harbour report {day}")).collect();
    titles.sort();
    titles
}

/// Waits until suggestions offer the newest five of `days` and count Kowalska `named` times (as
/// the search does), then checks the instant total; returns the instant answer.
async fn follows(app: &TestApp, days: &[u32], named: u64) -> Value {
    let followed = app
        .eventually(Duration::from_secs(10), || async {
            harbour_headlines(app).await == expected_headlines(days, 5)
                && kowalska_counts(app).await == (Some(named), named)
        })
        .await;
    assert!(followed, "{:?} {:?}", harbour_headlines(app).await, kowalska_counts(app).await);
    let instant = app.search("q=harbou&mode=instant&limit=5").await;
    assert_eq!(instant["total"], days.len(), "{instant}");
    instant
}

#[tokio::test]
async fn headlines_are_the_newest_and_counts_follow_deletes_and_merges() {
    // Twelve articles stored in commits of three: four segments; one in three names Kowalska.
    let lines: Vec<String> = (1..=12).map(|day| harbour_article(day, day % 3 == 0)).collect();
    let file = tempfile::NamedTempFile::with_suffix(".jsonl").unwrap();
    std::fs::write(file.path(), lines.join("\n")).unwrap();
    let app = TestApp::with_files_and(&[file.path().to_path_buf()], |settings| {
        settings.suggest_headlines = 5;
        settings.ingest_batch_records = 3;
        settings.ingest_commit_every = 3;
        settings.api_keys = vec![KEY.into()];
    })
    .await;
    let mut days: Vec<u32> = (1..=12).collect();
    let mut named = days.iter().filter(|day| *day % 3 == 0).count() as u64;
    // Only the five newest articles' headlines; the name is counted over every article.
    assert_eq!(harbour_headlines(&app).await, expected_headlines(&days, 5));
    assert_eq!(kowalska_counts(&app).await, (Some(named), named));

    // Deleting the two newest articles that name her: the next newest headlines move up and her
    // count drops, in suggestions as in search and in the instant results.
    for day in [12, 9] {
        let id = tidings::model::article_id_for(&format!("id:test:h{day}"));
        let response =
            app.client.delete(format!("{}/v1/articles/{id}", app.base)).bearer_auth(KEY).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 204);
        days.retain(|kept| *kept != day);
        named -= 1;
    }
    follows(&app, &days, named).await;

    // Ten more articles written one at a time: each is its own commit, and the index merges the
    // small segments it accumulates. Suggestions and instant results stay exact through it.
    let (_, stats) = app.get("/v1/stats").await;
    let before = stats["indexed_segments"].as_u64().unwrap();
    for day in 13..=22 {
        app.write_articles(KEY, harbour_article(day, true)).await;
        days.push(day);
        named += 1;
        let written = app
            .eventually(Duration::from_secs(10), || async {
                app.search("q=harbour&limit=1").await["total"].as_u64() == Some(days.len() as u64)
            })
            .await;
        assert!(written, "article {day} was not indexed");
    }
    let merged = app
        .eventually(Duration::from_secs(20), || async {
            let (_, stats) = app.get("/v1/stats").await;
            stats["indexed_segments"].as_u64().unwrap() < before + 10
        })
        .await;
    let (_, stats) = app.get("/v1/stats").await;
    assert!(merged, "ten commits after {before} segments were never merged: {stats}");
    let instant = follows(&app, &days, named).await;
    let titles: Vec<&str> =
        instant["hits"].as_array().unwrap().iter().map(|hit| hit["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 5, "{instant}");
    // A word only the written articles have is found as a prefix: the word list followed them.
    let instant = app.search("q=lighthou&mode=instant&limit=5").await;
    assert_eq!(instant["total"], 10, "{instant}");
    app.stop().await;
}

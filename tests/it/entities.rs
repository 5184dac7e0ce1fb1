//! The analyst's entity API over HTTP: lists with counts under search filters, profiles, the alias
//! table, and bad input — counts checked against counts computed from the fixture files.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{raw_day, raw_list, raw_stories, TestApp};

const SAMPLE_SGM: &str = "sample/reut2-000-stories-201-400.sgm";
const ALIASES: &str = "tests/fixtures/jsonl/aliases.jsonl";

fn entity_counts(body: &Value) -> BTreeMap<String, u64> {
    body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e["count"].as_u64().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entity_lists_count_articles_under_the_search_filters() {
    let app = TestApp::with_fixtures(&[SAMPLE_SGM]).await;
    let stories = raw_stories(SAMPLE_SGM);
    // Places among the crude-oil stories, counted independently from the raw tags.
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for story in stories.iter().filter(|story| raw_list(story, "TOPICS").contains(&"crude".to_string())) {
        for place in raw_list(story, "PLACES") {
            *expected.entry(place).or_default() += 1;
        }
    }
    let (status, body) = app.get("/v1/entities?kind=place&topic=crude&limit=1000").await;
    assert_eq!(status, 200, "{body}");
    let counts = entity_counts(&body);
    assert_eq!(counts.len(), expected.len());
    assert_eq!(counts.get("Saudi Arabia"), expected.get("saudi-arabia"));
    assert_eq!(counts.get("United States"), expected.get("usa"));
    assert_eq!(counts.values().sum::<u64>(), expected.values().sum::<u64>());
    let ordered: Vec<u64> = body["entities"].as_array().unwrap().iter().map(|e| e["count"].as_u64().unwrap()).collect();
    assert!(ordered.windows(2).all(|pair| pair[0] >= pair[1]), "most mentioned first");
    // A prefix keeps names with a word starting with it.
    let (_, body) = app.get("/v1/entities?kind=place&prefix=ara&limit=100").await;
    let names: Vec<String> = entity_counts(&body).into_keys().collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|name| name.to_lowercase().split(' ').any(|word| word.starts_with("ara"))), "{names:?}");
    // People across all stories, the most mentioned first, with the limit honoured.
    let people: HashSet<String> = stories.iter().flat_map(|story| raw_list(story, "PEOPLE")).collect();
    let (_, body) = app.get("/v1/entities?kind=person&limit=3").await;
    assert_eq!(body["entities"].as_array().unwrap().len(), 3.min(people.len()));
    let ongpin =
        stories.iter().filter(|story| raw_list(story, "PEOPLE").contains(&"ongpin".to_string())).count() as u64;
    assert_eq!(body["entities"][0]["name"], "Ongpin");
    assert_eq!(body["entities"][0]["count"], ongpin);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_has_counts_timeline_and_co_occurrences() {
    let app = TestApp::with_fixtures(&[SAMPLE_SGM]).await;
    let tagged: Vec<String> = raw_stories(SAMPLE_SGM)
        .into_iter()
        .filter(|story| raw_list(story, "PEOPLE").contains(&"ongpin".to_string()))
        .collect();
    let (status, profile) = app.get("/v1/entities/person/ONGPIN?histogram=day&related=50").await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["name"], "Ongpin", "found case-insensitively");
    assert_eq!(profile["article_count"], tagged.len() as u64);
    let mut days: BTreeMap<String, u64> = BTreeMap::new();
    for story in &tagged {
        *days.entry(raw_day(story)).or_default() += 1;
    }
    let timeline: BTreeMap<String, u64> = profile["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| (bucket["start"].as_str().unwrap().to_string(), bucket["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(timeline, days);
    assert!(profile["first_seen"].as_str().unwrap().starts_with(days.keys().next().unwrap()));
    assert!(profile["last_seen"].as_str().unwrap().starts_with(days.keys().last().unwrap()));
    let mut places: BTreeMap<String, u64> = BTreeMap::new();
    for story in &tagged {
        for place in raw_list(story, "PLACES") {
            *places.entry(place).or_default() += 1;
        }
    }
    let related = profile["related"]["place"].as_array().unwrap();
    assert_eq!(related.len(), places.len());
    let philippines = related.iter().find(|entry| entry["name"] == "Philippines").expect("Philippines co-occurs");
    assert_eq!(philippines["count"].as_u64(), places.get("philippines").copied());
    assert!(philippines["lift"].as_f64().unwrap() > 1.0, "{philippines}");
    assert!(
        profile["related"]["person"].as_array().unwrap().iter().all(|entry| entry["name"] != "Ongpin"),
        "not related to itself"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliases_join_variants_in_filters_queries_and_profiles() {
    let app = TestApp::with_fixtures(&[ALIASES]).await;
    for filter in ["person=Zelenskyy", "person=zelensky", "person=Volodymyr+Zelensky", "person=Volodymyr+Zelenskiy"] {
        assert_eq!(app.search(filter).await["total"], 3, "{filter}");
    }
    assert_eq!(app.search("q=person:Zelenskyy").await["total"], 3);
    assert_eq!(app.search("q=person:%22Volodymyr+Zelensky%22+AND+paris").await["total"], 1);
    assert_eq!(app.search("place=Kyiv").await["total"], 1, "Kiev is stored as Kyiv");
    assert_eq!(app.search("place=kiev").await["total"], 1);
    let facets = app.search("facets=person").await;
    assert_eq!(facets["facets"]["person"], serde_json::json!([{"value": "Volodymyr Zelensky", "count": 3}]));
    let (status, profile) = app.get("/v1/entities/person/Zelenskyy").await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["name"], "Volodymyr Zelensky");
    assert_eq!(profile["article_count"], 3);
    let aliases: Vec<&str> =
        profile["aliases"].as_array().unwrap().iter().map(|alias| alias.as_str().unwrap()).collect();
    for written in ["Zelenskyy", "Volodymyr Zelenskiy", "Volodymyr Zelensky"] {
        assert!(aliases.contains(&written), "{written} in {aliases:?}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_entity_requests_get_documented_errors() {
    let app = TestApp::with_fixtures(&[ALIASES]).await;
    for (path, status, code) in [
        ("/v1/entities", 400, "bad_parameter"),
        ("/v1/entities?kind=thing", 400, "bad_parameter"),
        ("/v1/entities?kind=person&limit=0", 400, "bad_parameter"),
        ("/v1/entities?kind=person&limit=100000", 400, "bad_parameter"),
        ("/v1/entities?kind=person&colour=red", 400, "bad_parameter"),
        ("/v1/entities?kind=person&q=(", 400, "bad_query"),
        ("/v1/entities/thing/Zelensky", 400, "bad_parameter"),
        ("/v1/entities/person/", 400, "bad_parameter"),
        ("/v1/entities/person/%20", 400, "bad_parameter"),
        ("/v1/entities/person/Zelensky?histogram=century", 400, "bad_parameter"),
        ("/v1/entities/person/Zelensky?related=0", 400, "bad_parameter"),
        ("/v1/entities/person/Nobody%20Here", 404, "not_found"),
    ] {
        let (got, body) = app.get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
    }
    app.stop().await;
}

/// Regression (issue 11): the alias table was a process-wide one installed by the command line,
/// so a server built by `Application::build` (an embedder, a test app) ignored `aliases_file`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_built_with_an_alias_file_matches_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let aliases = dir.path().join("aliases.txt");
    std::fs::write(&aliases, "person: A. Berg = Anna Berg\n").unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"id":"1","title":"Council vote","body":"Anna Berg spoke.","source":"S","entities":[{"kind":"person","name":"Anna Berg"}]}"#,
            "\n",
            r#"{"id":"2","title":"Harbour news","body":"Nothing of her.","source":"S"}"#,
            "\n"
        ),
    )
    .unwrap();
    let with_file = |settings: &mut tidings::config::Settings| settings.aliases_file = Some(aliases.clone());
    let app = TestApp::with_files_and(std::slice::from_ref(&file), with_file).await;
    assert_eq!(app.search("person=A.+Berg").await["total"], 1, "the user's alias reaches the canonical name");
    let (status, profile) = app.get("/v1/entities/person/A.%20Berg").await;
    assert_eq!((status, profile["name"].as_str()), (200, Some("Anna Berg")));
    app.stop().await;
    // Without the file the alias is just another name.
    let app = TestApp::with_files_and(&[file], |_| {}).await;
    assert_eq!(app.search("person=A.+Berg").await["total"], 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_in_another_language_gets_no_entities_from_the_english_tagger() {
    // German capitalises every noun: the English tagger would call them names. The English
    // article of the same file is tagged; the German one keeps only the entities it brings.
    let lines = [
        r#"{"id":"en-1","source":"Wire","lang":"en","title":"Talks in Geneva","body":"James Baker met Paul Volcker in Geneva on Monday, officials said."}"#,
        r#"{"id":"de-1","source":"Wire","lang":"de","title":"Gespräche in Genf","body":"Die Bundesregierung und der Finanzminister Gerhard Stoltenberg trafen die Vertreter der Zentralbank am Montag in Genf. Die Verhandlungen über die Zinsen dauerten bis zum Abend."}"#,
        r#"{"id":"de-2","source":"Wire","lang":"de","title":"Handel","body":"Die Exporte stiegen im Mai.","entities":[{"kind":"place","name":"Deutschland"}]}"#,
    ];
    let app = TestApp::with_jsonl(&lines.join("\n")).await;
    let article = |id: &str| {
        let id = tidings::model::ArticleId::of_source_key(&format!("id:wire:{id}"));
        format!("/v1/articles/{id}")
    };
    let (status, english) = app.get(&article("en-1")).await;
    assert_eq!(status, 200, "{english}");
    let names = |body: &Value| -> Vec<String> {
        body["entities"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect()
    };
    assert!(names(&english).contains(&"James Baker".to_string()), "{english}");
    let (_, german) = app.get(&article("de-1")).await;
    assert_eq!(names(&german), Vec::<String>::new(), "{german}");
    let (_, brought) = app.get(&article("de-2")).await;
    assert_eq!(names(&brought), vec!["Deutschland".to_string()], "{brought}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_surname_resolves_to_the_full_name_nearby_articles_use() {
    const KEY: &str = "resolution-key-0123456789";
    let article = |id: &str, day: &str, title: &str, body: &str| {
        serde_json::json!({"id": id, "source": "Wire", "published_at": day, "title": title, "body": body}).to_string()
    };
    // One file: James Baker named in full, two Browns, and a story naming only "Mr. Baker" (the
    // same batch).
    let file = [
        article(
            "a1",
            "1987-03-02",
            "Baker urges talks",
            "Treasury Secretary James Baker said on Monday that the United States wanted talks with Japan.",
        ),
        article("a2", "1987-03-03", "Brown in London", "Gordon Brown spoke to bankers in London on Tuesday."),
        article("a3", "1987-03-03", "Brown in Washington", "Harold Brown spoke to reporters in Washington on Tuesday."),
        article("a4", "1987-03-04", "Talks go on", "Mr. Baker told reporters in Tokyo that the talks would go on."),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wire.jsonl");
    std::fs::write(&path, file.join("\n")).unwrap();
    let app = TestApp::with_files_and(&[path], |settings| settings.api_keys = vec![KEY.into()]).await;
    // Later stories through the write API, each a batch of its own: the store alone resolves.
    let later = [
        article(
            "b1",
            "1987-03-06",
            "Dollar outlook",
            "Mr. Baker said on Friday that the dollar had fallen far enough.",
        ),
        article("b2", "1987-03-06", "Budget plan", "Mr. Brown said on Friday that the budget plan would fail."),
        article("b3", "1987-03-06", "Appeal", "Mr. Fenwick said on Friday that the company would appeal the ruling."),
        article("b4", "1987-09-01", "Autumn talks", "Mr. Baker said on Tuesday that new talks would begin."),
    ];
    for line in &later {
        app.write_articles(KEY, line.clone()).await;
    }
    let people = |id: &'static str| {
        let app = &app;
        async move {
            let id = tidings::model::ArticleId::of_source_key(&format!("id:wire:{id}"));
            let (status, body) = app.get(&format!("/v1/articles/{id}")).await;
            assert_eq!(status, 200, "{body}");
            body["entities"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|entity| entity["kind"] == "person")
                .map(|entity| entity["name"].as_str().unwrap().to_string())
                .collect::<Vec<String>>()
        }
    };
    // The index follows the writes.
    assert!(app.eventually(Duration::from_secs(10), || async { app.search("q=").await["total"] == 8 }).await);
    // The same batch and a later write both resolve "Mr. Baker" to the James Baker of that week.
    assert_eq!(people("a4").await, vec!["James Baker".to_string()]);
    assert_eq!(people("b1").await, vec!["James Baker".to_string()]);
    // Two Browns nearby: not guessed. No Fenwick is named in full anywhere, nor is any
    // organisation: a person known by one name, kept as written. A Baker six months on is not
    // the March one: kept as written too.
    assert_eq!(people("b2").await, Vec::<String>::new());
    assert_eq!(people("b3").await, vec!["Fenwick".to_string()]);
    assert_eq!(people("b4").await, vec!["Baker".to_string()]);
    // One name in the facet for the March Baker, the surname among its forms.
    let (_, list) = app.get("/v1/entities?kind=person&limit=100").await;
    let counts = entity_counts(&list);
    assert_eq!(counts.get("James Baker"), Some(&3), "{list}");
    assert_eq!(counts.get("Baker"), Some(&1), "{list}");
    assert!(!counts.contains_key("Brown"), "{list}");
    let (status, profile) = app.get("/v1/entities/person/James%20Baker").await;
    assert_eq!(status, 200, "{profile}");
    let aliases: Vec<&str> = profile["aliases"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(aliases.contains(&"Baker") && aliases.contains(&"James Baker"), "{profile}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_extract_replaces_what_an_earlier_extractor_found_and_keeps_what_records_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let lines = [
        r#"{"id":"t-1","source":"Wire","lang":"en","title":"Talks in Geneva","body":"James Baker met Paul Volcker in Geneva on Monday, officials said."}"#,
        r#"{"id":"t-2","source":"Wire","lang":"en","title":"Rates","body":"Karl Otto Poehl said rates would hold.","entities":[{"kind":"person","name":"Anna Berg"}]}"#,
        r#"{"id":"t-3","source":"Wire","lang":"en","title":"Dollar","body":"James Baker said the dollar was stable. Baker spoke in Paris.","entities":[{"kind":"person","name":"James Baker"}]}"#,
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let data = dir.path().join("data");
    crate::ingest::cli_ingest(&data, &[&input]);
    let id = |key: &str| tidings::model::ArticleId::of_source_key(&format!("id:wire:{key}")).to_string();
    {
        // As a store written by an earlier extractor looks: the tagged story's entities have no
        // recorded origin, and one of them is junk the old extractor filed ("Reuter").
        let store = tidings::store::Store::open(&data.join("tidings.sqlite3")).unwrap();
        let connection = store.connection();
        connection.execute("update article_entities set brought = null where article_id = ?1", [id("t-1")]).unwrap();
        connection
            .execute(
                "insert into article_entities (article_id, kind, name, surfaces, mentions) values (?1, 'person', 'Reuter', null, 1)",
                [id("t-1")],
            )
            .unwrap();
        connection.execute("insert into entity_surfaces values ('person', 'Reuter', 'Reuter', 1)", []).unwrap();
    }
    let reindex = |extract: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
            .arg("--data-dir")
            .arg(&data)
            .args(["reindex", extract])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let report = reindex("--extract");
    assert!(report.contains("read 3") && report.contains("updated 1") && report.contains("unchanged 2"), "{report}");
    // Again: nothing left to change.
    assert!(reindex("--extract").contains("updated 0"));
    let stored_names = |key: &str| -> Vec<String> {
        let store = tidings::store::Store::open(&data.join("tidings.sqlite3")).unwrap();
        let article = store.get_article(&tidings::model::ArticleId::parse(&id(key)).unwrap()).unwrap().unwrap();
        article.article.entities.into_iter().map(|entity| entity.name).collect()
    };
    // The record that named its people keeps them, and auto does not run the extractor on it…
    assert_eq!(stored_names("t-2"), vec!["Anna Berg".to_string()]);
    // … while always does, beside them.
    let report = reindex("--extract=always");
    assert!(report.contains("updated 2"), "{report}");
    // What the extractor finds of a person the record named joins it once, not again each run.
    let report = reindex("--extract=always");
    assert!(report.contains("updated 0"), "{report}");
    let mut always = stored_names("t-2");
    always.sort();
    assert_eq!(always, vec!["Anna Berg".to_string(), "Karl Otto Poehl".to_string()]);
    // Never keeps only what records named.
    reindex("--extract=never");
    assert_eq!(stored_names("t-2"), vec!["Anna Berg".to_string()]);
    reindex("--extract");

    let app = TestApp::serve(crate::helpers::settings_for(&data), dir).await;
    let names = |body: &Value| -> Vec<String> {
        body["entities"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect()
    };
    let (_, tagged) = app.get(&format!("/v1/articles/{}", id("t-1"))).await;
    assert!(names(&tagged).contains(&"James Baker".to_string()), "{tagged}");
    assert!(!names(&tagged).contains(&"Reuter".to_string()), "{tagged}");
    let (_, brought) = app.get(&format!("/v1/articles/{}", id("t-2"))).await;
    assert_eq!(names(&brought), vec!["Anna Berg".to_string()], "{brought}");
    // The facet and the index follow the store.
    let (_, people) = app.get("/v1/entities?kind=person&limit=50").await;
    let counts = entity_counts(&people);
    assert_eq!(counts.get("Reuter"), None, "{people}");
    // t-1 (extracted) and t-3 (its record's).
    assert_eq!(counts.get("James Baker"), Some(&2), "{people}");
    assert_eq!(app.search("person=James+Baker").await["total"], 2);
    app.stop().await;
}

//! Search over HTTP: ranking, every filter, facets and histograms checked against counts computed
//! independently from the fixture files, snippets and escaping, sorting and paging.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::helpers::{facet_count, raw_day, raw_list, raw_stories, TestApp};

const SAMPLE_SGM: &str = "sample/reut2-000-stories-201-400.sgm";
const JSONL: &str = "tests/fixtures/jsonl/articles.jsonl";

async fn app() -> TestApp {
    TestApp::with_fixtures(&["sample", JSONL]).await
}

fn stories_with(tag: &str, value: &str) -> usize {
    raw_stories(SAMPLE_SGM).iter().filter(|story| raw_list(story, tag).iter().any(|item| item == value)).count()
}

fn titles(body: &Value) -> Vec<String> {
    body["hits"].as_array().unwrap().iter().map(|hit| hit["title"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_title_match_ranks_above_a_body_only_match() {
    let app = app().await;
    let body = app.search("q=zebra").await;
    assert_eq!(body["total"], 3, "{body}");
    assert_eq!(titles(&body)[0], "Zebra crossing rules change in Berlin");
    let scores: Vec<f64> = body["hits"].as_array().unwrap().iter().map(|hit| hit["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|pair| pair[0] >= pair[1]), "scores descend: {scores:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_syntax_phrases_booleans_and_fields() {
    let app = app().await;
    assert_eq!(app.search("q=%22zebra+crossing%22").await["total"], 2);
    assert_eq!(app.search("q=zebra+AND+NOT+lion").await["total"], 2);
    assert_eq!(app.search("q=zebra+OR+ferry").await["total"], 4);
    assert_eq!(app.search("q=zebra+-lion").await["total"], 2);
    assert_eq!(app.search("q=(zebra+OR+ferry)+AND+NOT+lion").await["total"], 3);
    assert_eq!(app.search("q=NOT+zebra&limit=1").await["total"], 206 - 3, "a negation alone means everything else");
    assert_eq!(app.search("q=title:zebra").await["total"], 1);
    assert_eq!(app.search("q=person:%22olaf+weber%22").await["total"], 2);
    // Stemming: "crossings" in a body finds "crossing".
    assert!(app.search("q=crossings").await["total"].as_u64().unwrap() >= 2);
    // Words ORed (`match=any`), stop words left out: in English a stop word with an exclusion is
    // the exclusion alone (every English article but the zebra ones); "the" is no German stop
    // word, and the German article does not contain it.
    assert_eq!(app.search("q=zebra+ferry&match=any").await["total"], 4);
    let german = app.search("lang=de&limit=1").await["total"].as_u64().unwrap();
    assert_eq!(app.search("q=the&lang=de&match=any").await["total"], 0);
    assert_eq!(app.search("q=the+-zebra&match=any&limit=1").await["total"], 206 - 3 - german);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_matches_independent_counts() {
    let app = app().await;
    let reuters_total = raw_stories(SAMPLE_SGM).len() as u64;
    assert_eq!(app.search("source=Reuters&limit=1").await["total"], reuters_total);
    assert_eq!(app.search("source=reuters&limit=1").await["total"], reuters_total, "filters ignore case");
    assert_eq!(app.search("source=Tagesblatt").await["total"], 3);
    assert_eq!(app.search("source=Tagesblatt&source=City+Wire").await["total"], 5, "a repeated filter means any value");
    assert_eq!(app.search("lang=de").await["total"], 1);
    assert_eq!(app.search("lang=en&limit=1").await["total"], reuters_total + 1 + 4);
    assert_eq!(
        app.search("place=united+states&source=Reuters&limit=1").await["total"],
        stories_with("PLACES", "usa") as u64
    );
    assert_eq!(app.search("person=ongpin").await["total"], stories_with("PEOPLE", "ongpin") as u64);
    assert_eq!(app.search("person=hisham+nazer").await["total"], stories_with("PEOPLE", "hisham-nazer") as u64);
    assert_eq!(app.search("org=opec").await["total"], stories_with("ORGS", "opec") as u64);
    assert_eq!(app.search("topic=crude").await["total"], stories_with("TOPICS", "crude") as u64);
    let either = raw_stories(SAMPLE_SGM)
        .iter()
        .filter(|story| raw_list(story, "TOPICS").iter().any(|topic| topic == "crude" || topic == "grain"))
        .count();
    assert_eq!(app.search("topic=crude&topic=grain").await["total"], either as u64);
    let both = raw_stories(SAMPLE_SGM)
        .iter()
        .filter(|story| {
            raw_list(story, "TOPICS").contains(&"crude".to_string())
                && raw_list(story, "PLACES").contains(&"usa".to_string())
        })
        .count();
    assert_eq!(
        app.search("topic=crude&place=United+States&source=Reuters").await["total"],
        both as u64,
        "different filters must all hold"
    );
    // Filters combine with query text.
    let oil_in_kuwait = app.search("q=oil&place=kuwait").await;
    assert!(oil_in_kuwait["total"].as_u64().unwrap() > 0);
    for hit in oil_in_kuwait["hits"].as_array().unwrap() {
        assert!(hit["entities"].as_array().unwrap().iter().any(|entity| entity["name"] == "Kuwait"), "{hit}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_ranges_and_day_histograms_match_the_raw_dates() {
    let app = app().await;
    let mut per_day: BTreeMap<String, u64> = BTreeMap::new();
    for story in raw_stories(SAMPLE_SGM) {
        *per_day.entry(raw_day(&story)).or_default() += 1;
    }
    assert!(per_day.len() >= 2, "the sample spans several days");
    for (day, count) in &per_day {
        let body = app.search(&format!("source=Reuters&from={day}&to={day}&limit=1")).await;
        assert_eq!(body["total"].as_u64().unwrap(), *count, "articles on {day}");
    }
    let body = app.search("source=Reuters&histogram=day&limit=1").await;
    let buckets: BTreeMap<String, u64> = body["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| (bucket["start"].as_str().unwrap().to_string(), bucket["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(buckets, per_day);
    let months = app.search("histogram=month&limit=1").await;
    let total_in_buckets: u64 =
        months["histogram"].as_array().unwrap().iter().map(|bucket| bucket["count"].as_u64().unwrap()).sum();
    // Every dated article is in a bucket; the one with an unparsable date is not.
    assert_eq!(total_in_buckets, months["total"].as_u64().unwrap() - 1);
    // RFC 3339 bounds are inclusive to the second.
    assert_eq!(app.search("from=2025-03-03T09:00:00Z&to=2025-03-03T09:00:00Z").await["total"], 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facet_counts_match_independent_counts() {
    let app = app().await;
    let body = app.search("source=Reuters&facets=place,org,person,topic&facet_size=1000&limit=1").await;
    assert_eq!(facet_count(&body, "place", "United States"), Some(stories_with("PLACES", "usa") as u64));
    assert_eq!(facet_count(&body, "org", "OPEC"), Some(stories_with("ORGS", "opec") as u64));
    assert_eq!(facet_count(&body, "org", "World Bank"), Some(stories_with("ORGS", "worldbank") as u64));
    assert_eq!(facet_count(&body, "person", "Ongpin"), Some(stories_with("PEOPLE", "ongpin") as u64));
    let topics = raw_stories(SAMPLE_SGM)
        .iter()
        .flat_map(|story| raw_list(story, "TOPICS"))
        .collect::<std::collections::HashSet<_>>();
    for topic in topics {
        assert_eq!(facet_count(&body, "topic", &topic), Some(stories_with("TOPICS", &topic) as u64), "topic {topic}");
    }
    let counts: Vec<u64> =
        body["facets"]["place"].as_array().unwrap().iter().map(|entry| entry["count"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|pair| pair[0] >= pair[1]), "most frequent first");
    let small = app.search("q=zebra&facets=person,source,lang").await;
    assert_eq!(facet_count(&small, "person", "Olaf Weber"), Some(2));
    assert_eq!(facet_count(&small, "source", "Tagesblatt"), Some(2));
    assert_eq!(facet_count(&small, "source", "City Wire"), Some(1));
    assert_eq!(facet_count(&small, "lang", "en"), Some(3));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snippets_mark_matches_and_escape_html() {
    let app = app().await;
    let body = app.search("q=zebra").await;
    let hits = body["hits"].as_array().unwrap();
    let first = &hits[0];
    assert_eq!(first["highlights"]["title"], "<mark>Zebra</mark> crossing rules change in Berlin");
    let markup = hits.iter().find(|hit| hit["title"] == "Markup in a story body").expect("the markup story matches");
    let snippet = markup["highlights"]["body"][0].as_str().unwrap();
    assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
    assert!(!snippet.contains("<script>"), "{snippet}");
    assert!(snippet.contains("<mark>zebra</mark> &amp; the lion"), "{snippet}");
    let phrase = app.search("q=%22palm+oil%22&limit=1").await;
    let snippet = phrase["hits"][0]["highlights"]["body"][0].as_str().unwrap();
    assert!(snippet.contains("<mark>palm oil</mark>"), "a phrase is one highlighted span: {snippet}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_query_lists_newest_first_and_date_sort_orders_hits() {
    let app = app().await;
    let body = app.search("limit=100").await;
    assert_eq!(body["total"], 206);
    // The seed page is dated 2025-05-05 from its text, the newest of all.
    assert_eq!(
        body["hits"][0]["title"],
        "Potential Trump-Putin meeting is under consideration - Kremlin's stance revealed"
    );
    assert_eq!(body["hits"][1]["title"], "Regierung plant neue Verkehrsregeln", "newest first");
    let dates: Vec<&str> =
        body["hits"].as_array().unwrap().iter().filter_map(|hit| hit["published_at"].as_str()).collect();
    assert!(dates.windows(2).all(|pair| pair[0] >= pair[1]), "{dates:?}");
    let by_date = app.search("q=oil&sort=date&limit=50").await;
    let dates: Vec<&str> =
        by_date["hits"].as_array().unwrap().iter().filter_map(|hit| hit["published_at"].as_str()).collect();
    assert!(dates.windows(2).all(|pair| pair[0] >= pair[1]), "{dates:?}");
    assert!(by_date["hits"][0]["score"].is_null());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_do_not_overlap_and_post_equals_get() {
    let app = app().await;
    let first = app.search("q=oil&limit=5").await;
    let second = app.search("q=oil&limit=5&offset=5").await;
    assert_eq!(first["total"], second["total"]);
    let first_ids: Vec<&Value> = first["hits"].as_array().unwrap().iter().map(|hit| &hit["id"]).collect();
    assert!(second["hits"].as_array().unwrap().iter().all(|hit| !first_ids.contains(&&hit["id"])));
    let (status, posted) =
        app.post("/v1/search", r#"{"q":"oil","limit":5,"place":["kuwait","saudi arabia"],"facets":"place"}"#).await;
    assert_eq!(status, 200, "{posted}");
    let got = app.search("q=oil&limit=5&place=kuwait&place=saudi+arabia&facets=place").await;
    assert_eq!(posted["total"], got["total"]);
    assert_eq!(posted["facets"], got["facets"]);
    assert_eq!(posted["hits"].as_array().unwrap().len(), got["hits"].as_array().unwrap().len());
    app.stop().await;
}

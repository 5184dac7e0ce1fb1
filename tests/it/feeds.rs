//! Real-world ingestion through the CLI: feeds in their odd encodings and dialects, saved HTML
//! pages, and bad input that is reported per item while everything else is kept.

use std::path::Path;

use tidings::store::{RawBody, Store};
use tidings::tooling::eval::extraction::page_scores;

use crate::helpers::repo_path;
use crate::ingest::cli_ingest;

/// Items in a feed file, counted from its raw bytes (not by our parser).
fn raw_item_count(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let items = text.matches("<item>").count() + text.matches("<item ").count();
    let entries = text.matches("<entry>").count() + text.matches("<entry ").count();
    let json_items = if path.extension().is_some_and(|ext| ext == "json") {
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["items"].as_array().unwrap().len()
    } else {
        0
    };
    items + entries + json_items
}

fn feed_fixtures() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(repo_path("tests/fixtures/feeds"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with("LICENSE"))
        .collect();
    files.sort();
    files
}

fn query_one(store: &Store, sql: &str) -> String {
    store.connection().query_row(sql, [], |row| row.get::<_, String>(0)).unwrap()
}

fn query_count(store: &Store, sql: &str) -> i64 {
    store.connection().query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn every_feed_item_becomes_an_article() {
    let dir = tempfile::tempdir().unwrap();
    let files = feed_fixtures();
    assert_eq!(files.len(), 6);
    let expected: usize = files.iter().map(|path| raw_item_count(path)).sum();
    let paths: Vec<&Path> = files.iter().map(|path| path.as_path()).collect();
    let report = cli_ingest(dir.path(), &paths);
    assert_eq!(report["read"], expected as u64, "{report}");
    assert_eq!(report["new"], expected as u64, "{report}");
    assert_eq!(report["rejected"], 0, "{report}");
    assert_eq!(report["date_unknown"], 0, "{report}");
    let store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();

    // windows-1251 in the UserLand namespace: Cyrillic titles, Russian.
    let oren = "select count(*) from articles where url like 'http://www.oren.ru/%'";
    assert_eq!(
        query_count(&store, oren),
        raw_item_count(&repo_path("tests/fixtures/feeds/node-feedparser__iconv.xml")) as i64
    );
    assert_eq!(
        query_count(&store, "select count(*) from articles where url like 'http://www.oren.ru/%' and lang = 'ru'"),
        10
    );
    assert!(query_one(
        &store,
        "select title from articles where url like 'http://www.oren.ru/%' order by published_at desc"
    )
    .contains("Бузулуке"));
    // Relative Atom links resolved against the site; FeedBurner's origLink preferred.
    let tpm = std::fs::read_to_string(repo_path("tests/fixtures/feeds/node-feedparser__tpm.atom")).unwrap();
    let relative_links = tpm.matches("type=\"text/html\" href=\"/").count() as i64;
    assert_eq!(relative_links, 20);
    assert_eq!(
        query_count(&store, "select count(*) from articles where url like 'http://talkingpointsmemo.com/%'"),
        relative_links
    );
    assert_eq!(query_count(&store, "select count(*) from articles where url like 'https://www.jn.pt/%'"), 40);
    assert_eq!(query_count(&store, "select count(*) from articles where url like '%feedburner%'"), 0);
    // latin-1 without a prolog, Portuguese dates: parsed and normalised to UTC.
    assert_eq!(
        query_one(&store, "select published_at from articles where title like 'Ibope: Bolsonaro perde de Haddad%'"),
        "2018-09-24T22:42:40Z"
    );
    assert_eq!(query_count(&store, "select count(*) from articles where source = 'UOL Noticias' and lang = 'pt'"), 15);
    assert_eq!(query_count(&store, "select count(*) from articles where lang = 'de'"), 15);
    // JSON Feed: tracking parameters dropped, tags as topics, authors kept.
    assert_eq!(
        query_count(
            &store,
            "select count(*) from articles where url = 'https://harbour.example.org/2024/05/03/ferry-strike'"
        ),
        1
    );
    assert_eq!(query_count(&store, "select count(*) from article_topics t join articles a on a.id = t.article_id where a.source = 'Harbour Desk'"), 2);
    assert_eq!(
        query_one(&store, "select published_at from articles where title = 'Ferry crews walk out over pay'"),
        "2024-05-03T07:30:00Z"
    );
    let again = cli_ingest(dir.path(), &paths);
    assert_eq!(again["unchanged"], expected as u64, "re-ingesting a feed changes nothing: {again}");
}

#[test]
fn saved_pages_give_the_article_text_headline_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let report = cli_ingest(dir.path(), &[&repo_path("tests/fixtures/pages")]);
    assert_eq!((report["new"].as_u64(), report["rejected"].as_u64()), (Some(3), Some(0)), "{report}");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_path("tests/fixtures/pages-ground-truth.json")).unwrap())
            .unwrap();
    let store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
    for (name, expected) in truth.as_object().unwrap() {
        let url = expected["url"].as_str().unwrap();
        let raw: RawBody = store
            .connection()
            .query_row(
                "select body from articles where url = ?1 or source_key like ?2",
                [url, &format!("%{name}%")],
                |row| row.get(0),
            )
            .unwrap_or_else(|_| panic!("page {name} stored"));
        let body = store.decode_body(raw).unwrap();
        let (precision, recall) = page_scores(expected["articleBody"].as_str().unwrap(), &body);
        assert!(precision >= 0.9 && recall >= 0.9, "{name}: precision {precision:.2} recall {recall:.2}\n{body}");
    }
    // The Jerusalem Post page: headline from og:title, no date anywhere on the page → file time.
    let (title, rule): (String, String) = store
        .connection()
        .query_row("select title, date_rule from articles where url like 'https://www.jpost.com/%'", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!(title, "Son of former German president stabbed to death in Berlin");
    assert_eq!(rule, "file_mtime");
    // PanARMENIAN.Net: no metadata date, the text's "November 20, 2019".
    assert_eq!(
        query_one(&store, "select published_at || ' ' || date_rule from articles where title like 'Amnesty.%'"),
        "2019-11-20T00:00:00Z text"
    );
}

#[test]
fn bad_input_is_reported_per_item_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let heise = repo_path("tests/fixtures/feeds/rss-parser__heise.atom");
    let complete = raw_item_count(&heise) as u64;
    assert_eq!(cli_ingest(&data, &[&heise])["new"], complete);

    let inputs = dir.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    // A download cut off in the middle of the 9th entry.
    let text = std::fs::read_to_string(&heise).unwrap();
    let ninth = text.match_indices("<entry>").nth(8).unwrap().0;
    std::fs::write(inputs.join("cut.atom"), &text[..ninth + 200]).unwrap();
    // Binary noise where a feed was expected, and a 50 MB page.
    std::fs::write(inputs.join("noise.rss"), (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>()).unwrap();
    let mut huge = b"<!DOCTYPE html><html><body><p>".to_vec();
    huge.resize(50 * 1024 * 1024, b'a');
    std::fs::write(inputs.join("huge.html"), huge).unwrap();
    // A feed that says UTF-8 but holds a latin-1 byte: decoded, not rejected.
    std::fs::write(
        inputs.join("mislabelled.rss"),
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Caf\xe9 Desk</title>\
          <item><title>Caf\xe9 opens</title><link>https://cafe.example/1</link><description>A caf\xe9 opened.</description>\
          <pubDate>Mon, 06 May 2024 10:00:00 GMT</pubDate></item></channel></rss>",
    )
    .unwrap();

    let report = cli_ingest(&data, &[&inputs]);
    let rejections = report["rejections"].as_array().unwrap();
    let reason_for = |file: &str| {
        rejections
            .iter()
            .find(|rejection| rejection["location"].as_str().unwrap().contains(file))
            .map(|rejection| rejection["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("a rejection for {file}: {report}"))
    };
    assert!(reason_for("cut.atom").contains("cut off after item 8"), "{report}");
    assert!(reason_for("noise.rss").starts_with("not a readable feed"), "{report}");
    assert!(reason_for("huge.html").contains("above the 16 MB limit"), "{report}");
    assert_eq!(report["rejected"], 3, "{report}");
    // The 8 complete entries of the cut feed are the ones already stored: unchanged, not lost.
    assert_eq!(report["unchanged"], 8, "{report}");
    assert_eq!(report["new"], 1, "the mislabelled feed's item: {report}");
    let store = Store::open(&data.join("tidings.sqlite3")).unwrap();
    assert_eq!(store.count_articles().unwrap(), complete + 1);
    assert_eq!(query_one(&store, "select title from articles where url = 'https://cafe.example/1'"), "Café opens");
}

#[tokio::test]
async fn each_language_is_searched_with_its_own_analyzer() {
    let app =
        crate::helpers::TestApp::with_fixtures(&["tests/fixtures/feeds", "tests/fixtures/jsonl/articles.jsonl"]).await;
    let count_lang = |relative: &str| {
        let text = std::fs::read_to_string(repo_path(relative)).unwrap();
        text.lines().filter(|line| line.contains("\"lang\":\"de\"")).count() as u64
    };
    let german = raw_item_count(&repo_path("tests/fixtures/feeds/rss-parser__heise.atom")) as u64
        + count_lang("tests/fixtures/jsonl/articles.jsonl");
    let russian = raw_item_count(&repo_path("tests/fixtures/feeds/node-feedparser__iconv.xml")) as u64;
    let all = app.search("facets=lang&limit=1").await;
    assert_eq!(crate::helpers::facet_count(&all, "lang", "de"), Some(german), "{all}");
    assert_eq!(crate::helpers::facet_count(&all, "lang", "ru"), Some(russian), "{all}");

    // The German plural finds the singular only through German stemming (English leaves
    // "regierungen" whole), and the hit is highlighted with the German analyzer.
    let body = app.search("q=Regierungen").await;
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["hits"][0]["lang"], "de");
    assert_eq!(body["hits"][0]["highlights"]["title"], "<mark>Regierung</mark> plant neue Verkehrsregeln");
    // English stemming for English articles: "running" finds "runs".
    let body = app.search("q=running&facets=lang").await;
    let total = body["total"].as_u64().unwrap();
    assert!(total > 0);
    assert_eq!(crate::helpers::facet_count(&body, "lang", "en"), Some(total), "only English articles: {body}");
    // Portuguese: the singular finds the plural; under lang=en the same word finds nothing.
    let singular = app.search("q=candidato").await;
    let plural = app.search("q=candidatos").await;
    assert!(singular["total"].as_u64().unwrap() > 0);
    assert_eq!(singular["total"], plural["total"]);
    assert_eq!(app.search("q=candidatos&lang=en").await["total"], 0);
    assert_eq!(app.search("q=candidatos&lang=pt").await["total"], plural["total"]);
    // `title:` reaches every language's title field.
    assert!(app.search("q=title:Regierung").await["total"].as_u64().unwrap() >= 1);
    app.stop().await;
}

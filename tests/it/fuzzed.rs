//! Regressions of what the fuzz targets (fuzz/, `fuzz/run.sh`) found, one test per finding,
//! named after the target and the input; RELIABILITY.md lists them.

use crate::helpers::TestApp;

/// The archive the fuzz targets search (fuzz/src/lib.rs).
const ARCHIVE: [&str; 3] = [
    "tests/fixtures/jsonl/articles.jsonl",
    "tests/fixtures/jsonl/near-duplicates.jsonl",
    "sample/reut2-000-stories-201-400.sgm",
];

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn total(app: &TestApp, q: &str, options: &str) -> u64 {
    let body = app.search(&format!("q={}&total=exact{options}", encode(q))).await;
    body["total"].as_u64().unwrap_or_else(|| panic!("{q}: {body}"))
}

/// analyst_query, `:bank -ban%k -rate` (sort=date, collapse, histogram, exact total): an
/// excluded phrase (`ban%k` reads as the phrase "ban k") that matches no article makes Tantivy
/// seek its phrase scorer backwards, which its debug build asserts against
/// (quickwit-oss/tantivy#2811). The release build answers, and correctly: excluding a phrase
/// excludes exactly the articles that hold it.
#[tokio::test]
async fn fuzz_analyst_query_excluded_phrase_matching_nothing() {
    let app = TestApp::with_fixtures(&ARCHIVE).await;
    let options = "&sort=date&collapse=cluster&histogram=month";
    assert_eq!(total(&app, "\"ban k\"", "").await, 0, "the phrase matches nothing");
    let bank = total(&app, "bank -rate", options).await;
    assert!(bank > 5, "{bank}");
    assert_eq!(total(&app, "bank -ban%k -rate", options).await, bank);
    assert_eq!(total(&app, "bank -\"ban k\" -rate", "").await, bank);
    // A phrase that does match: the exclusion takes away exactly its articles.
    let with_phrase = total(&app, "bank \"interest rates\"", "").await;
    assert!(with_phrase > 0, "the phrase matches");
    let all_bank = total(&app, "bank", "").await;
    assert_eq!(total(&app, "bank -\"interest rates\"", "").await, all_bank - with_phrase);
    app.stop().await;
}

/// A file of `name` holding `content` in a temporary directory (kept alive by the caller).
fn file(dir: &tempfile::TempDir, name: &str, content: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("file written");
    path
}

/// reuters_sgml, `&` then a character whose bytes straddle the tenth byte: the character
/// reference decoder sliced the text inside the character and panicked (a whole SGML file
/// unreadable). The story is read and its text kept as written.
#[tokio::test]
async fn fuzz_reuters_sgml_ampersand_before_a_wide_character() {
    let dir = tempfile::tempdir().expect("temp dir");
    let story = "<REUTERS NEWID=\"9\">\n<DATE>26-FEB-1987 15:01:01.79</DATE>\n<TEXT>\n\
        <TITLE>AUDITORS NAMED</TITLE>\n<BODY>The board retained Ernst & Young für the audit, \
        and AT&amp;T as a supplier.</BODY></TEXT>\n</REUTERS>\n";
    let path = file(&dir, "story.sgm", story);
    let app = TestApp::with_files_and(&[path], |_| {}).await;
    let body = app.search("q=auditors").await;
    assert_eq!(body["total"], 1, "{body}");
    let article = app.get(&format!("/v1/articles/{}", body["hits"][0]["id"].as_str().unwrap())).await.1;
    let text = article["body"].as_str().unwrap_or_else(|| panic!("{article}"));
    assert!(text.contains("Ernst & Young für the audit") && text.contains("AT&T as"), "{text}");
    app.stop().await;
}

/// feed, two feeds pasted into one file, the second declaring another encoding
/// (`<?xml … encoding="windows-1251"?>` in the middle): quick-xml 0.42 panics when a
/// declaration changes the encoding mid-stream. The text is decoded before it is parsed, so
/// every declaration now says UTF-8: the file is read (its first feed's entries ingested, what
/// follows reported) instead of stopping the ingest.
#[tokio::test]
async fn fuzz_feed_second_xml_declaration_with_another_encoding() {
    let dir = tempfile::tempdir().expect("temp dir");
    let feeds = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
        <title>Desk</title><id>urn:desk</id><updated>2024-03-01T10:00:00Z</updated>\n\
        <entry><title>Harbour cranes idle</title><id>urn:desk:1</id><updated>2024-03-01T10:00:00Z</updated>\
        <link href=\"https://desk.example.org/cranes\"/><summary>The harbour cranes stood idle.</summary></entry>\n\
        <entry><title>Pasted &lt;?xml version=\"1.0\" encoding=\"windows-1251\"?&gt;</title><id>urn:desk:2</id>\
        <updated>2024-03-01T11:00:00Z</updated><summary>Text <?xml version=\"1.0\" encoding=\"windows-1251\"?>\
        <rss version=\"2.0\"><channel><title>Other</title></channel></rss></summary></entry>\n</feed>\n";
    let path = file(&dir, "desk.atom", feeds);
    let app = TestApp::with_files_and(&[path], |_| {}).await;
    let body = app.search("q=cranes").await;
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["hits"][0]["title"], "Harbour cranes idle");
    app.stop().await;
}

//! Analysts' deep results over HTTP: cursor paging that holds still while articles arrive,
//! streamed CSV and JSON Lines exports checked against the search, related stories outside the
//! article's own cluster, snippets that read well, and the recency blend.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::TestApp;

const REUTERS: &str = "sample/reut2-000-stories-201-400.sgm";
const KEY: &str = "deep-key-0123456789abcdef";

fn ids(body: &Value) -> Vec<String> {
    body["hits"].as_array().unwrap().iter().map(|hit| hit["id"].as_str().unwrap().to_string()).collect()
}

/// Walks a search with cursors, `limit` hits a page; `between` runs after each page.
async fn walk(
    app: &TestApp,
    query: &str,
    limit: usize,
    mut between: impl FnMut(usize) -> Option<String>,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        let path = match &cursor {
            Some(cursor) => format!("{query}&limit={limit}&cursor={cursor}"),
            None => format!("{query}&limit={limit}"),
        };
        let body = app.search(&path).await;
        seen.extend(ids(&body));
        if let Some(ndjson) = between(page) {
            app.write_articles(KEY, ndjson).await;
            // Wait until the new articles are searchable, so the next page runs on a newer index.
            let before = app.search(query).await["total"].as_u64().unwrap();
            let grown = app
                .eventually(Duration::from_secs(10), || async {
                    app.search(query).await["total"].as_u64().unwrap() > before
                })
                .await;
            assert!(grown, "the written articles did not become searchable");
        }
        match body["cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(page < 1_000, "cursor walk does not end");
    }
    seen
}

#[tokio::test]
async fn cursors_hold_still_while_articles_arrive() {
    let app = TestApp::with_fixtures_and(&[REUTERS], |settings| settings.api_keys = vec![KEY.into()]).await;
    for query in ["q=oil", "q=oil&sort=date", "q=&source=Reuters"] {
        // The whole list before anything is written, page by page with offsets.
        let total = app.search(query).await["total"].as_u64().unwrap() as usize;
        let mut expected = Vec::new();
        for offset in (0..total).step_by(100) {
            expected.extend(ids(&app.search(&format!("{query}&limit=100&offset={offset}")).await));
        }
        assert!(expected.len() > 14, "{query}: {}", expected.len());
        assert_eq!(total, expected.len());
        let mut written = 0;
        let query_text = query.to_string();
        let seen = walk(&app, query, 7, |page| {
            (page < 2).then(|| {
                written += 1;
                // New, fresh, strongly matching articles: they would land on the first pages.
                (0..3)
                    .map(|n| {
                        format!(
                            r#"{{"id":"{query_text}-{page}-{n}","title":"Oil oil oil {page} {n}","body":"Oil prices and oil supplies.","source":"Reuters","published_at":"1987-12-31T00:00:00Z"}}"#
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        })
        .await;
        assert_eq!(written, 2);
        assert_eq!(seen, expected, "{query}: a cursor walk returns exactly the first page's snapshot, in order");
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len());
    }
    // Cursors are checked.
    let first = app.search("q=oil&limit=2").await;
    let cursor = first["cursor"].as_str().unwrap();
    for (bad, needle) in [
        (format!("q=gold&limit=2&cursor={cursor}"), "another query"),
        (format!("q=oil&limit=2&offset=2&cursor={cursor}"), "offset"),
        (format!("q=oil&limit=2&collapse=cluster&cursor={cursor}"), "collapse"),
        ("q=oil&cursor=garbage".to_string(), "cursor"),
    ] {
        let (status, body) = app.get(&format!("/v1/search?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(needle), "{bad}: {body}");
    }
    // The last page has no cursor.
    let all = app.search("q=oil&limit=100").await;
    assert!(all.get("cursor").is_none(), "{}", all["cursor"]);
    app.stop().await;
}

/// Splits CSV text into records of fields (RFC 4180 quoting).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    records
}

async fn export(app: &TestApp, query: &str, key: Option<&str>) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = app.client.get(format!("{}/v1/export?{query}", app.base));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn exports_stream_every_match_as_csv_or_json_lines() {
    let app = TestApp::with_fixtures_and(&[REUTERS], |settings| settings.export_max_rows = 50).await;
    let search = app.search("q=oil&limit=100").await;
    let total = search["total"].as_u64().unwrap() as usize;
    assert!(total > 14 && total <= 50, "{total}");

    let (status, headers, text) = export(&app, "q=oil&format=csv", None).await;
    assert_eq!(status, 200, "{text}");
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(headers.get("content-length").is_none(), "streamed, not buffered");
    assert_eq!(headers["x-total-count"], total.to_string().as_str());
    let records = parse_csv(&text);
    assert_eq!(records[0], ["id", "published_at", "source", "title", "url", "people", "orgs", "places", "topics"]);
    let rows = &records[1..];
    assert_eq!(rows.len(), total);
    // Same articles, same order as the search.
    let exported: Vec<String> = rows.iter().map(|row| row[0].clone()).collect();
    assert_eq!(exported, ids(&search));
    // Each row carries the article's own fields.
    for row in rows.iter().take(5) {
        let (_, article) = app.get(&format!("/v1/articles/{}", row[0])).await;
        assert_eq!(row[3].trim_start_matches('\''), article["title"].as_str().unwrap());
        assert_eq!(row[1], article["published_at"].as_str().unwrap_or(""));
        let names = |kind: &str| {
            article["entities"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|entity| entity["kind"] == kind)
                .map(|entity| entity["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join("; ")
        };
        assert_eq!(row[5].trim_start_matches('\''), names("person"));
        assert_eq!(row[7].trim_start_matches('\''), names("place"));
        let topics: Vec<String> =
            article["topics"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
        assert_eq!(row[8], topics.join("; "));
    }

    // JSON Lines, with a row limit and the search's filters.
    let filtered = app.search("q=oil&place=United+States&limit=100").await;
    let (status, headers, text) = export(&app, "q=oil&place=United+States&format=jsonl&limit=3", None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-total-count"], filtered["total"].to_string().as_str());
    assert_eq!(headers["x-export-rows"], "3");
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines.iter().map(|line| line["id"].as_str().unwrap().to_string()).collect::<Vec<_>>(),
        ids(&filtered)[..3]
    );
    assert!(lines.iter().all(|line| line["places"].as_array().unwrap().iter().any(|place| place == "United States")));

    // The cap: all rows up to it, and no more may be asked for.
    let (_, headers, text) = export(&app, "format=jsonl", None).await;
    assert_eq!(text.lines().count(), 50);
    assert_eq!(headers["x-export-rows"], "50");
    for bad in ["format=xml", "limit=51", "limit=0", "offset=5", "q=oil+AND"] {
        let (status, _, body) = export(&app, bad, None).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    app.stop().await;

    // Configuration can reserve exports for key holders.
    let app = TestApp::with_fixtures_and(&[REUTERS], |settings| {
        settings.export_requires_key = true;
        settings.api_keys = vec![KEY.into()];
    })
    .await;
    let (status, _, _) = export(&app, "q=oil", None).await;
    assert_eq!(status, 401);
    let (status, _, text) = export(&app, "q=oil", Some(KEY)).await;
    assert_eq!(status, 200);
    assert_eq!(parse_csv(&text).len() - 1, total);
    app.stop().await;
}

/// Regression (schemathesis): with `Accept-Encoding: gzip`, as browsers send it, the compression
/// layer polled the export's body stream again after its end and the download was cut short.
#[tokio::test]
async fn an_export_read_through_gzip_arrives_whole() {
    let app = TestApp::with_fixtures_and(&[REUTERS], |settings| settings.export_max_rows = 200).await;
    let total = app.search("limit=1").await["total"].as_u64().unwrap() as usize;
    for format in ["csv", "jsonl"] {
        let response = app
            .client
            .get(format!("{}/v1/export?format={format}", app.base))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let rows: usize = response.headers()["x-export-rows"].to_str().unwrap().parse().unwrap();
        let compressed = response.bytes().await.expect("the whole body arrives");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&compressed[..]), &mut text).unwrap();
        let lines = text.lines().count() - usize::from(format == "csv");
        assert_eq!((lines, rows), (total.min(200), total.min(200)), "{format}");
    }
    app.stop().await;
}

#[tokio::test]
async fn related_stories_leave_out_the_articles_own_story() {
    let app = TestApp::with_fixtures(&["tests/fixtures/jsonl/near-duplicates.jsonl", REUTERS]).await;
    let id = |key: &str| tidings::model::article_id_for(&format!("id:reuters:{key}"));
    let (brazil, copy) = (id("reuters-175"), id("reuters-190"));
    let (_, article) = app.get(&format!("/v1/articles/{brazil}")).await;
    let (status, body) = app.get(&format!("/v1/articles/{brazil}/related?limit=10")).await;
    assert_eq!(status, 200, "{body}");
    let related = body["related"].as_array().unwrap();
    assert!(!related.is_empty(), "{body}");
    let related_ids: Vec<&str> = related.iter().map(|hit| hit["id"].as_str().unwrap()).collect();
    assert!(!related_ids.contains(&brazil.as_str()) && !related_ids.contains(&copy.as_str()), "{related_ids:?}");
    // One hit per story, none of them the article's.
    let clusters: HashSet<&str> = related.iter().map(|hit| hit["cluster_id"].as_str().unwrap()).collect();
    assert_eq!(clusters.len(), related.len());
    assert!(!clusters.contains(article["cluster_id"].as_str().unwrap()));
    // The best related story is about Brazil too.
    let best = &related[0];
    let text = format!("{} {}", best["title"], best["highlights"]["body"]).to_lowercase();
    let mentions_brazil =
        text.contains("brazil") || best["entities"].as_array().unwrap().iter().any(|entity| entity["name"] == "Brazil");
    assert!(mentions_brazil, "{best}");
    let (status, _) = app.get("/v1/articles/0000000000000000/related").await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&format!("/v1/articles/{brazil}/related?limit=0")).await;
    assert_eq!(status, 400);
    app.stop().await;
}

#[tokio::test]
async fn snippets_read_well() {
    let filler = "The committee met again and the talks went on through the afternoon without any result. ".repeat(8);
    let lines = [
        format!(
            r#"{{"id":"far","title":"Alpha and omega","body":"Alphabetical order starts here: alpha is the first letter. {filler}Omega is the last letter of the Greek alphabet.","source":"Test","published_at":"2025-01-01T00:00:00Z"}}"#
        ),
        r#"{"id":"html","title":"Markup <b>in</b> titles & bodies","body":"A page said <script>alert('x')</script> about crude palm oil prices & more.","source":"Test","published_at":"2025-01-02T00:00:00Z"}"#.to_string(),
    ]
    .join("\n");
    let app = TestApp::with_jsonl(&lines).await;
    let body = app.search("q=alpha+omega&snippets=3&snippet_chars=120").await;
    let hit = &body["hits"][0];
    let fragments: Vec<&str> =
        hit["highlights"]["body"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(fragments.len(), 2, "matches far apart make two fragments: {fragments:?}");
    assert!(
        fragments[0].contains("<mark>alpha</mark>") && fragments[1].contains("<mark>Omega</mark>"),
        "{fragments:?}"
    );
    let (_, article) = app.get(&format!("/v1/articles/{}", hit["id"].as_str().unwrap())).await;
    let text = article["body"].as_str().unwrap();
    for fragment in &fragments {
        let plain = fragment.replace("<mark>", "").replace("</mark>", "");
        let plain = plain.trim_matches('…');
        let at = text.find(plain).unwrap_or_else(|| panic!("{plain:?} is not a piece of the body"));
        // Never cut inside a word.
        assert!(at == 0 || !text[..at].ends_with(char::is_alphanumeric), "{plain:?}");
        let end = at + plain.len();
        assert!(end == text.len() || !text[end..].starts_with(char::is_alphanumeric), "{plain:?}");
        assert!(plain.chars().count() <= 130, "{plain:?}");
    }
    // Offsets point at the matched words, in characters of the full body and title.
    let chars: Vec<char> = text.chars().collect();
    let spans = hit["matches"]["body"].as_array().unwrap();
    assert!(spans.len() >= 2);
    for span in spans {
        let (start, length) = (span["start"].as_u64().unwrap() as usize, span["length"].as_u64().unwrap() as usize);
        let word: String = chars[start..start + length].iter().collect::<String>().to_lowercase();
        assert!(word == "alpha" || word == "omega", "{word}");
    }
    assert_eq!(hit["highlights"]["title"], "<mark>Alpha</mark> and <mark>omega</mark>");
    assert_eq!(hit["matches"]["title"], serde_json::json!([{"start": 0, "length": 5}, {"start": 10, "length": 5}]));
    // One fragment when asked for one.
    let body = app.search("q=alpha+omega&snippets=1").await;
    assert_eq!(body["hits"][0]["highlights"]["body"].as_array().unwrap().len(), 1);

    // A phrase is one span; markup in the text is escaped, never passed through.
    let body = app.search("q=%22palm+oil%22").await;
    let hit = &body["hits"][0];
    let fragment = hit["highlights"]["body"][0].as_str().unwrap();
    assert!(fragment.contains("<mark>palm oil</mark>"), "{fragment}");
    assert!(fragment.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "{fragment}");
    assert!(!fragment.contains("<script"), "{fragment}");
    let body = app.search("q=markup").await;
    assert_eq!(body["hits"][0]["highlights"]["title"], "<mark>Markup</mark> &lt;b&gt;in&lt;/b&gt; titles &amp; bodies");
    for bad in ["snippets=0", "snippets=11", "snippet_chars=20", "snippet_chars=1001"] {
        let (status, _) = app.get(&format!("/v1/search?q=oil&{bad}")).await;
        assert_eq!(status, 400, "{bad}");
    }
    app.stop().await;
}

#[tokio::test]
async fn recency_reorders_relevance_unless_sorting_by_date_or_ranging() {
    // The old article matches "tariff" more strongly (title and body); the new one, 60 days
    // newer, in its body only.
    let lines = [
        r#"{"id":"old","title":"Tariff talks","body":"The tariff dispute went on.","source":"Test","published_at":"2025-01-01T00:00:00Z"}"#,
        r#"{"id":"new","title":"Trade talks","body":"A tariff was mentioned.","source":"Test","published_at":"2025-03-02T00:00:00Z"}"#,
    ]
    .join("\n");
    let app = TestApp::with_jsonl(&lines).await;
    let titles = |body: &Value| -> Vec<String> {
        body["hits"].as_array().unwrap().iter().map(|hit| hit["title"].as_str().unwrap().to_string()).collect()
    };
    let plain = app.search("q=tariff&freshness=off").await;
    assert_eq!(titles(&plain), ["Tariff talks", "Trade talks"]);
    let fresh = app.search("q=tariff&freshness=1").await;
    assert_eq!(titles(&fresh), ["Trade talks", "Tariff talks"], "{fresh}");
    // The blend only lowers scores, and the newest article keeps its own.
    assert_eq!(fresh["hits"][0]["score"], plain["hits"][1]["score"]);
    // Off with a date sort (newest first anyway) and with an explicit range.
    let ranged = app.search("q=tariff&freshness=1&from=2024-01-01").await;
    assert_eq!(titles(&ranged), ["Tariff talks", "Trade talks"]);
    for bad in ["freshness=2", "freshness=soon"] {
        let (status, _) = app.get(&format!("/v1/search?q=tariff&{bad}")).await;
        assert_eq!(status, 400, "{bad}");
    }
    app.stop().await;
}

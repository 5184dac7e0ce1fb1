//! Scoped keys and tenant tokens over HTTP: each action allowed and refused (401 without or with a
//! bad credential, 403 with one that lacks the action), keys made, listed and removed through
//! `/v1/keys`, and tenant tokens whose filter holds in search, suggest, entities, profiles,
//! related stories, article lookups and exports.

use std::path::PathBuf;

use serde_json::{json, Value};
use tidings::access::{mint_token, TokenClaims};
use tidings::config::KeyConfig;

use crate::helpers::TestApp;

const ADMIN: &str = "admin-key-0123456789abcdef";
const PAGE: &str = "page-search-key-0123456789";
const EXPORTER: &str = "exporter-key-0123456789ab";
const DAILY_EXPORTER: &str = "daily-exporter-key-0123456789";
const EXPIRED: &str = "expired-key-0123456789abcd";

/// Two sites' articles on one server: Example Daily and Other Post write about the same harbour;
/// `d3` and `o3` are the same wire story, near-duplicates of each other.
fn articles() -> Vec<Value> {
    let wire = "The harbour authority said on Tuesday that the northern pier would close for repairs \
                for six weeks from March, and that ferries would berth at the southern quay meanwhile, \
                adding that the work had been planned for two years and would cost four million.";
    vec![
        json!({"id": "d1", "source": "Example Daily", "title": "Harbour pilots vote to strike", "body": "Harbour pilots voted to strike over rosters, the union said.", "published_at": "2025-06-03T10:00:00Z", "entities": [{"kind": "person", "name": "Maria Lund"}, {"kind": "org", "name": "Harbour Pilots Union"}], "topics": ["labour"]}),
        json!({"id": "d2", "source": "Example Daily", "title": "Harbour ferry timetable cut", "body": "The winter ferry timetable will be cut by a third, the harbour office said.", "published_at": "2025-06-04T10:00:00Z", "entities": [{"kind": "person", "name": "Maria Lund"}], "topics": ["transport"]}),
        json!({"id": "d3", "source": "Example Daily", "title": "Northern pier to close for repairs", "body": wire, "published_at": "2025-06-05T10:00:00Z"}),
        json!({"id": "o1", "source": "Other Post", "title": "Harbour strike talks fail", "body": "Talks to avert the harbour pilots' strike failed late on Monday.", "published_at": "2025-06-02T10:00:00Z", "entities": [{"kind": "person", "name": "Maria Lund"}, {"kind": "person", "name": "Olav Brekke"}], "topics": ["labour"]}),
        json!({"id": "o2", "source": "Other Post", "title": "Harbourside flats approved", "body": "Councillors approved four hundred flats on the old harbourside.", "published_at": "2025-06-06T10:00:00Z", "entities": [{"kind": "person", "name": "Olav Brekke"}], "topics": ["housing"]}),
        json!({"id": "o3", "source": "Other Post", "title": "Northern pier to close for repairs", "body": wire, "published_at": "2025-06-05T11:00:00Z"}),
    ]
}

fn count_by_source(source: &str) -> u64 {
    articles().iter().filter(|article| article["source"] == source).count() as u64
}

async fn app_with(adjust: impl FnOnce(&mut tidings::config::Settings)) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file: PathBuf = dir.path().join("two-sites.jsonl");
    let lines: Vec<String> = articles().iter().map(Value::to_string).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    (TestApp::with_files_and(&[file], adjust).await, dir)
}

fn key(name: &str, key: &str, actions: &[&str], expires_at: Option<&str>, filter: Option<Value>) -> KeyConfig {
    KeyConfig {
        name: name.into(),
        key: key.into(),
        actions: actions.iter().map(|action| action.to_string()).collect(),
        expires_at: expires_at.map(String::from),
        filter,
    }
}

/// A protected server: reads need a key; the page carries a search-only key.
async fn protected() -> (TestApp, tempfile::TempDir) {
    app_with(|settings| {
        settings.protect_reads = true;
        settings.api_keys = vec![ADMIN.into()];
        settings.search_keys = vec![PAGE.into()];
        settings.page_key = Some(PAGE.into());
        settings.keys = vec![
            key("exporter", EXPORTER, &["export"], None, None),
            key(
                "daily exporter",
                DAILY_EXPORTER,
                &["export", "search"],
                None,
                Some(json!({"source": "Example Daily"})),
            ),
            key("old", EXPIRED, &["search"], Some("2020-01-01T00:00:00Z"), None),
        ];
    })
    .await
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    credential: Option<&str>,
    body: Option<String>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = app.client.request(method, format!("{}{path}", app.base));
    if let Some(credential) = credential {
        request = request.bearer_auth(credential);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| {
            // Exports are CSV or JSON Lines: one JSON value per line.
            Value::Array(text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect())
        })
    };
    (status, body, headers)
}

async fn get(app: &TestApp, path: &str, credential: Option<&str>) -> (u16, Value) {
    let (status, body, _) = call(app, reqwest::Method::GET, path, credential, None).await;
    (status, body)
}

fn sources_of(hits: &Value) -> Vec<String> {
    hits.as_array().unwrap().iter().map(|hit| hit["source"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn each_action_is_allowed_to_its_keys_and_refused_to_the_rest() {
    let (app, _dir) = protected().await;
    let write =
        r#"{"id":"d9","source":"Example Daily","title":"Quay lights fixed","body":"The quay lights were fixed."}"#;

    // Reads: no key or an unknown or expired one is 401 (JSON, with a Bearer challenge); the
    // page's search-only key reads.
    for credential in [None, Some("unknown-key-0123456789abc"), Some(EXPIRED), Some("eyJ.not-a.token")] {
        let (status, body, headers) = call(&app, reqwest::Method::GET, "/v1/search?q=harbour", credential, None).await;
        assert_eq!(status, 401, "{credential:?}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert_eq!(headers.get("www-authenticate").unwrap(), "Bearer");
    }
    let (_, expired) = get(&app, "/v1/search?q=harbour", Some(EXPIRED)).await;
    assert!(expired["error"]["message"].as_str().unwrap().contains("expired"), "{expired}");
    let (status, body) = get(&app, "/v1/search?q=harbour", Some(PAGE)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 5, "every harbour article: {body}");

    // The search-only key may not write, export or manage keys: 403 with the JSON body.
    let (status, body, _) = call(&app, reqwest::Method::POST, "/v1/articles", Some(PAGE), Some(write.into())).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{body}");
    for path in ["/v1/export?q=harbour", "/v1/keys"] {
        let (status, body) = get(&app, path, Some(PAGE)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{path}: {body}");
    }
    // The export key exports but does not search; the admin key does everything.
    let (status, rows, _) =
        call(&app, reqwest::Method::GET, "/v1/export?q=harbour&format=jsonl", Some(EXPORTER), None).await;
    assert_eq!(status, 200);
    assert_eq!(rows.as_array().unwrap().len(), 5);
    assert_eq!(get(&app, "/v1/search?q=harbour", Some(EXPORTER)).await.0, 403);
    let (status, body, _) = call(&app, reqwest::Method::POST, "/v1/articles", Some(ADMIN), Some(write.into())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(&app, "/v1/stats", Some(ADMIN)).await.0, 200);

    // The listing names every key and never shows one.
    let (status, listing, _) = call(&app, reqwest::Method::GET, "/v1/keys", Some(ADMIN), None).await;
    assert_eq!(status, 200);
    let text = listing.to_string();
    for secret in [ADMIN, PAGE, EXPORTER, DAILY_EXPORTER, EXPIRED] {
        assert!(!text.contains(secret), "a key in the listing: {text}");
    }
    let names: Vec<&str> =
        listing["keys"].as_array().unwrap().iter().map(|key| key["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["admin key 1", "search key 1", "exporter", "daily exporter", "old"]);
    assert_eq!(listing["keys"][3]["filter"], json!({"source": ["Example Daily"]}));
    assert_eq!(listing["keys"][4]["expires_at"], "2020-01-01T00:00:00Z");

    // The results page carries the search-only key, and only that one.
    let page = app.client.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("<meta name=\"tidings-key\" content=\"{PAGE}\">")), "{page}");
    assert!(!page.contains(ADMIN));
    app.stop().await;
}

#[tokio::test]
async fn keys_made_through_the_api_work_until_removed() {
    let (app, _dir) = protected().await;
    let body = json!({"name": "Example Daily box", "actions": ["search"], "filter": {"source": "Example Daily"}, "expires_at": "2099-01-01T00:00:00Z"});
    let (status, made, _) = call(&app, reqwest::Method::POST, "/v1/keys", Some(ADMIN), Some(body.to_string())).await;
    assert_eq!(status, 201, "{made}");
    let key = made["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("tdg_") && key.len() == 44, "{key}");
    assert_eq!(made["actions"], json!(["search"]));
    assert_eq!(made["origin"], "api");
    let uid = made["uid"].as_str().unwrap().to_string();
    assert_eq!(uid, tidings::access::key_uid(&key));

    // It searches within its filter; the key appears in the listing without itself.
    let (status, found) = get(&app, "/v1/search?q=harbour&facets=source", Some(&key)).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], count_by_source("Example Daily"), "the harbour articles of Example Daily");
    assert!(sources_of(&found["hits"]).iter().all(|source| source == "Example Daily"));
    let (_, listing) = get(&app, "/v1/keys", Some(ADMIN)).await;
    assert!(listing["keys"].as_array().unwrap().iter().any(|listed| listed["uid"] == uid.as_str()));
    assert!(!listing.to_string().contains(&key));

    // The store keeps it across a restart, then it is removed: 401 from then on.
    let app = app.restart().await;
    assert_eq!(get(&app, "/v1/search?q=harbour", Some(&key)).await.0, 200, "kept across a restart");
    let (status, _, _) = call(&app, reqwest::Method::DELETE, &format!("/v1/keys/{uid}"), Some(ADMIN), None).await;
    assert_eq!(status, 204);
    assert_eq!(get(&app, "/v1/search?q=harbour", Some(&key)).await.0, 401);
    let (status, _, _) = call(&app, reqwest::Method::DELETE, &format!("/v1/keys/{uid}"), Some(ADMIN), None).await;
    assert_eq!(status, 404, "removed once");

    // Keys that cannot be: a filter on a writing key, an unknown action, a past expiry; a
    // configured key cannot be removed through the API.
    for bad in [
        json!({"name": "w", "actions": ["write"], "filter": {"source": "Example Daily"}}),
        json!({"name": "w", "actions": ["fly"]}),
        json!({"name": "w", "actions": []}),
        json!({"name": "w", "actions": ["search"], "expires_at": "2001-01-01T00:00:00Z"}),
        json!({"name": "w", "actions": ["search"], "filter": {"colour": "red"}}),
    ] {
        let (status, body, _) = call(&app, reqwest::Method::POST, "/v1/keys", Some(ADMIN), Some(bad.to_string())).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let configured = tidings::access::key_uid(PAGE);
    let (status, body, _) =
        call(&app, reqwest::Method::DELETE, &format!("/v1/keys/{configured}"), Some(ADMIN), None).await;
    assert_eq!(status, 409, "a configured key is not removed over HTTP: {body}");
    assert_eq!(body["error"]["code"], "conflict", "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("in the configuration"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_tenant_token_sees_only_its_site_everywhere() {
    let (app, _dir) = protected().await;
    let now = chrono::Utc::now().timestamp();
    let token =
        mint_token(PAGE, &TokenClaims { filter: Some(json!({"source": "Example Daily"})), exp: now + 600 }).unwrap();
    let daily = count_by_source("Example Daily");

    // Search, with facets: only Example Daily, and another source's filter finds nothing.
    let (status, found) = get(&app, "/v1/search?facets=source,person&limit=50", Some(&token)).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], daily);
    assert_eq!(found["facets"]["source"], json!([{"value": "Example Daily", "count": daily}]));
    let (_, other) = get(&app, "/v1/search?source=Other%20Post", Some(&token)).await;
    assert_eq!(other["total"], 0);
    // Counts under the token equal the admin's counts with the source as an ordinary filter.
    let (_, filtered) = get(&app, "/v1/search?facets=person&limit=1&source=Example%20Daily", Some(ADMIN)).await;
    assert_eq!(found["facets"]["person"], filtered["facets"]["person"]);

    // Entities: Olav Brekke is only in Other Post's articles.
    let (_, people) = get(&app, "/v1/entities?kind=person", Some(&token)).await;
    let (_, expected) = get(&app, "/v1/entities?kind=person&source=Example%20Daily", Some(ADMIN)).await;
    assert_eq!(people, expected);
    assert!(!people.to_string().contains("Olav Brekke"));
    assert_eq!(get(&app, "/v1/entities/person/Olav%20Brekke", Some(&token)).await.0, 404);
    let (status, lund) = get(&app, "/v1/entities/person/Maria%20Lund", Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(lund["article_count"], 2, "Maria Lund in Example Daily's two articles: {lund}");
    assert!(!lund.to_string().contains("Olav Brekke"), "no co-occurrence from the other site: {lund}");
    assert_eq!(get(&app, "/v1/entities/person/Maria%20Lund", Some(ADMIN)).await.1["article_count"], 3);

    // Suggestions: headlines and names of Example Daily only, names counted there.
    let (_, suggested) = get(&app, "/v1/suggest?q=harb&limit=20", Some(&token)).await;
    let texts: Vec<&str> =
        suggested["suggestions"].as_array().unwrap().iter().map(|s| s["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"Harbour pilots vote to strike"), "{suggested}");
    assert!(!texts.iter().any(|text| text.contains("Harbourside") || text.contains("talks")), "{suggested}");
    let (_, everyone) = get(&app, "/v1/suggest?q=harb&limit=20", Some(ADMIN)).await;
    assert!(everyone.to_string().contains("Harbourside flats approved"), "unscoped sees both: {everyone}");
    let (_, names) = get(&app, "/v1/suggest?q=maria&kinds=person", Some(&token)).await;
    assert_eq!(names["suggestions"][0]["count"], 2, "{names}");
    assert_eq!(get(&app, "/v1/suggest?q=olav", Some(&token)).await.1["suggestions"], json!([]));

    // Article lookups and related stories: another site's article does not exist for the token;
    // the wire story's copy on the other site is not among its duplicates.
    let id_of = |hits: &Value, title: &str| {
        hits.as_array()
            .unwrap()
            .iter()
            .find(|hit| hit["title"] == title)
            .map(|hit| hit["id"].as_str().unwrap().to_string())
    };
    let (_, all) = get(&app, "/v1/search?limit=50&sort=date", Some(ADMIN)).await;
    let other_id = id_of(&all["hits"], "Harbourside flats approved").unwrap();
    let daily_id = id_of(&all["hits"], "Harbour pilots vote to strike").unwrap();
    assert_eq!(get(&app, &format!("/v1/articles/{other_id}"), Some(&token)).await.0, 404);
    assert_eq!(get(&app, &format!("/v1/articles/{other_id}"), Some(ADMIN)).await.0, 200);
    assert_eq!(get(&app, &format!("/v1/articles/{other_id}/related"), Some(&token)).await.0, 404);
    let (status, related) = get(&app, &format!("/v1/articles/{daily_id}/related?limit=10"), Some(&token)).await;
    assert_eq!(status, 200, "{related}");
    assert!(sources_of(&related["related"]).iter().all(|source| source == "Example Daily"), "{related}");
    let (_, unscoped) = get(&app, &format!("/v1/articles/{daily_id}/related?limit=10"), Some(ADMIN)).await;
    assert!(sources_of(&unscoped["related"]).iter().any(|source| source == "Other Post"), "{unscoped}");
    let pier: Vec<Value> = all["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|hit| hit["title"] == "Northern pier to close for repairs")
        .cloned()
        .collect();
    let daily_pier =
        pier.iter().find(|hit| hit["source"] == "Example Daily").unwrap()["id"].as_str().unwrap().to_string();
    let (_, seen_by_admin) = get(&app, &format!("/v1/articles/{daily_pier}"), Some(ADMIN)).await;
    assert_eq!(seen_by_admin["duplicates"].as_array().unwrap().len(), 1, "the copies are one story: {seen_by_admin}");
    let (_, seen_by_token) = get(&app, &format!("/v1/articles/{daily_pier}"), Some(&token)).await;
    assert_eq!(seen_by_token["duplicates"], json!([]));

    // Exports: a token only searches; a key with a filter exports its site only.
    assert_eq!(get(&app, "/v1/export?format=jsonl", Some(&token)).await.0, 403);
    let (status, rows, _) =
        call(&app, reqwest::Method::GET, "/v1/export?format=jsonl", Some(DAILY_EXPORTER), None).await;
    assert_eq!(status, 200);
    assert_eq!(rows.as_array().unwrap().len() as u64, daily);
    assert!(sources_of(&rows).iter().all(|source| source == "Example Daily"));
    // Figures cover every site: not for a scoped credential.
    assert_eq!(get(&app, "/v1/stats", Some(&token)).await.0, 403);

    // A narrower token under a scoped key: both filters hold.
    let narrower =
        mint_token(DAILY_EXPORTER, &TokenClaims { filter: Some(json!({"topic": "labour"})), exp: now + 600 }).unwrap();
    assert_eq!(get(&app, "/v1/search", Some(&narrower)).await.1["total"], 1);

    // Expired, forged, and signed by a key that may not search: 401.
    let expired = mint_token(PAGE, &TokenClaims { filter: None, exp: now - 1 }).unwrap();
    let forged = {
        let parts: Vec<&str> = token.split('.').collect();
        let wider = mint_token(PAGE, &TokenClaims { filter: None, exp: now + 600 }).unwrap();
        format!("{}.{}.{}", parts[0], wider.split('.').nth(1).unwrap(), parts[2])
    };
    let by_exporter = mint_token(EXPORTER, &TokenClaims { filter: None, exp: now + 600 }).unwrap();
    for (name, bad) in [("expired", expired), ("forged", forged), ("by a key that may not search", by_exporter)] {
        let (status, body) = get(&app, "/v1/search", Some(&bad)).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    app.stop().await;
}

#[tokio::test]
async fn public_reads_stay_public_but_a_bad_credential_is_refused() {
    let (app, _dir) = app_with(|settings| {
        settings.api_keys = vec![ADMIN.into()];
        settings.search_keys = vec![PAGE.into()];
    })
    .await;
    assert_eq!(get(&app, "/v1/search?q=harbour", None).await.1["total"], 5);
    assert_eq!(get(&app, "/v1/export?q=harbour", None).await.0, 200, "exports are public unless configured");
    // A search key gets what anyone gets, exports included, and still cannot write.
    assert_eq!(get(&app, "/v1/export?q=harbour", Some(PAGE)).await.0, 200);
    let (status, _, _) = call(&app, reqwest::Method::POST, "/v1/articles", Some(PAGE), Some("{}".into())).await;
    assert_eq!(status, 403);
    assert_eq!(get(&app, "/v1/search?q=harbour", Some("wrong-key-0123456789abcdef")).await.0, 401);
    let (status, _, _) = call(&app, reqwest::Method::GET, "/v1/keys", None, None).await;
    assert_eq!(status, 401);
    app.stop().await;
}

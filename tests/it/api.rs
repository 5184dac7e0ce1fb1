//! The API surface: health, readiness, stats, articles, OpenAPI, middleware and error bodies.

use serde_json::Value;

use crate::helpers::TestApp;

fn assert_error(status: u16, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty(), "a message a person can act on: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_stats() {
    let app = TestApp::with_fixtures(&["tests/fixtures/jsonl/articles.jsonl"]).await;
    let (status, body) = app.get("/healthz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["index_lag"], 0);
    let (status, stats) = app.get("/v1/stats").await;
    assert_eq!(status, 200);
    assert_eq!(stats["articles"], 5);
    assert_eq!(stats["indexed_documents"], 5);
    assert_eq!(stats["index_lag"], 0);
    assert_eq!(stats["last_ingest"]["new"], 5);
    assert_eq!(stats["last_ingest"]["date_unknown"], 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_in_full_and_unknown_ids() {
    let app = TestApp::with_fixtures(&["tests/fixtures/jsonl/articles.jsonl"]).await;
    let hit = app.search("q=title:zebra").await["hits"][0].clone();
    let id = hit["id"].as_str().unwrap();
    let (status, article) = app.get(&format!("/v1/articles/{id}")).await;
    assert_eq!(status, 200, "{article}");
    assert_eq!(article["id"], id);
    assert_eq!(article["source_key"], "id:tagesblatt:a1");
    assert_eq!(article["url"], "https://example.org/a1");
    assert_eq!(article["body"], "The city council approved new rules for pedestrian crossings on Monday.");
    assert_eq!(article["published_at"], "2025-03-03T09:00:00Z");
    assert_eq!(article["date_rule"], "metadata");
    assert_eq!(article["topics"], serde_json::json!(["transport"]));
    assert_eq!(article["authors"], serde_json::json!(["Anna Schmidt"]));
    let kinds: Vec<(&str, &str)> = article["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["name"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("org", "Berlin City Council")), "organisation maps to org: {kinds:?}");
    assert!(kinds.contains(&("place", "Berlin")));
    let (status, body) = app.get("/v1/articles/0000000000000000").await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = app.get("/v1/nothing-here").await;
    assert_error(status, &body, 404, "not_found");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_documented_errors() {
    // A small body limit, so the oversized body below fits in the socket buffers and the client
    // reads the 413 instead of a broken pipe.
    let app = TestApp::with_fixtures_and(&["tests/fixtures/jsonl/articles.jsonl"], |settings| {
        settings.max_body_bytes = 4_096
    })
    .await;
    let (status, body) = app.get("/v1/search?q=zebra+AND+(lion").await;
    assert_error(status, &body, 400, "bad_query");
    assert!(body["error"]["position"].as_u64().is_some(), "says where: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("character"), "{body}");
    let (status, body) = app.get("/v1/search?q=zebra+AND").await;
    assert_error(status, &body, 400, "bad_query");
    assert_eq!(body["error"]["position"], 6, "{body}");
    // Valid syntax that the index cannot run (no fast column on title) is still the query's fault.
    let (status, body) = app.get("/v1/search?q=title:*").await;
    assert_error(status, &body, 400, "bad_query");
    let (status, body) = app.get("/v1/search?q=colour:red").await;
    assert_error(status, &body, 400, "bad_query");
    assert_eq!(body["error"]["position"], 0);
    for query in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "offset=9995&limit=10",
        "from=yesterday",
        "to=2025-02-30",
        "from=2025-03-05&to=2025-03-01",
        "sort=popularity",
        "histogram=hour",
        "facets=colour",
        "qq=zebra",
    ] {
        let (status, body) = app.get(&format!("/v1/search?{query}")).await;
        assert_error(status, &body, 400, "bad_parameter");
    }
    let long_query = "a".repeat(1_001);
    let (status, body) = app.get(&format!("/v1/search?q={long_query}")).await;
    assert_error(status, &body, 400, "bad_parameter");
    let (status, body) = app.post("/v1/search", "{not json").await;
    assert_error(status, &body, 400, "bad_parameter");
    let (status, body) = app.post("/v1/search", r#"{"q":"zebra","colour":"red"}"#).await;
    assert_error(status, &body, 400, "bad_parameter");
    let huge = format!(r#"{{"q":"{}"}}"#, "z".repeat(16_384));
    let (status, body) = app.post("/v1/search", huge).await;
    assert_error(status, &body, 413, "payload_too_large");
    // Nothing was lost: the index still answers.
    assert_eq!(app.search("q=zebra").await["total"], 3);
    app.stop().await;
}

/// Regression (schemathesis): the key check ran before method routing, so an unsupported method
/// on a write route was a 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsupported_method_is_405_before_any_key_check() {
    let app = TestApp::with_fixtures(&["tests/fixtures/jsonl/articles.jsonl"]).await;
    for (method, path) in [("TRACE", "/v1/articles/0123456789abcdef"), ("PUT", "/v1/articles"), ("PATCH", "/v1/search")]
    {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app.client.request(method.clone(), format!("{}{path}", app.base)).send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_error(status, &body, 405, "method_not_allowed");
    }
    // The methods a route has still ask for a key.
    let response = app.client.delete(format!("{}/v1/articles/0123456789abcdef", app.base)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_and_compression() {
    let app = TestApp::with_fixtures(&["sample"]).await;
    let response = app
        .client
        .get(format!("{}/v1/search?q=oil&limit=50", app.base))
        .header("origin", "https://news.example")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/v1/search", app.base))
        .header("origin", "https://news.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert!(preflight.headers()["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    app.stop().await;
}

/// Collects every `$ref` in a JSON document.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    found.push(child.as_str().unwrap_or_default().to_string());
                }
                refs(child, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_is_valid_and_complete() {
    let app = TestApp::with_fixtures(&[]).await;
    let (status, document) = app.get("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(document["openapi"].as_str().unwrap().starts_with("3."), "{}", document["openapi"]);
    assert!(document["info"]["title"].is_string());
    for path in [
        "/v1/search",
        "/v1/articles/{id}",
        "/v1/entities",
        "/v1/entities/{kind}/{name}",
        "/v1/stats",
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/v1/suggest",
        "/v1/articles/{id}/related",
        "/v1/export",
    ] {
        assert!(document["paths"][path].is_object(), "{path} documented");
    }
    assert!(document["paths"]["/v1/search"]["get"].is_object() && document["paths"]["/v1/search"]["post"].is_object());
    let parameters: Vec<&str> = document["paths"]["/v1/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|parameter| parameter["name"].as_str().unwrap())
        .collect();
    for name in [
        "q",
        "person",
        "org",
        "place",
        "topic",
        "source",
        "lang",
        "from",
        "to",
        "sort",
        "offset",
        "limit",
        "facets",
        "histogram",
        "mode",
        "match",
        "freshness",
        "cursor",
        "snippets",
        "snippet_chars",
    ] {
        assert!(parameters.contains(&name), "parameter {name} documented: {parameters:?}");
    }
    let mut all_refs = Vec::new();
    refs(&document, &mut all_refs);
    assert!(!all_refs.is_empty());
    for reference in all_refs {
        let name =
            reference.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("local schema ref: {reference}"));
        assert!(document["components"]["schemas"][name].is_object(), "{reference} resolves");
    }
    for schema in ["SearchResponse", "Hit", "ErrorBody", "ArticleView", "SuggestResponse", "Matches", "RelatedStories"]
    {
        assert!(document["components"]["schemas"][schema].is_object(), "{schema} in components");
    }
    app.stop().await;
}

/// The document states what the server accepts: every bounded number and every word parameter of
/// the GET endpoints, read from the served document, is accepted at its bounds and for each of its
/// words, and refused past them and for a word it does not list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_bounds_and_words_are_the_enforced_ones() {
    let app =
        TestApp::with_fixtures_and(&["tests/fixtures/jsonl/articles.jsonl"], |settings| settings.export_max_rows = 30)
            .await;
    let (_, document) = app.get("/openapi.json").await;
    let (_, hits) = app.get("/v1/search?limit=1").await;
    let id = hits["hits"][0]["id"].as_str().unwrap().to_string();
    // What the other parameters need: the entity list a kind, the largest offset a page of one.
    let base = |path: &str, name: &str| match (path, name) {
        ("/v1/entities", "kind") => String::new(),
        ("/v1/entities", _) => "kind=person&".to_string(),
        (_, "offset") => "limit=1&".to_string(),
        _ => String::new(),
    };
    let mut checked = 0;
    for (path, url_path) in [
        ("/v1/search", "/v1/search".to_string()),
        ("/v1/suggest", "/v1/suggest".to_string()),
        ("/v1/entities", "/v1/entities".to_string()),
        ("/v1/export", "/v1/export".to_string()),
        ("/v1/articles/{id}/related", format!("/v1/articles/{id}/related")),
        ("/v1/entities/{kind}/{name}", "/v1/entities/person/nobody".to_string()),
    ] {
        for parameter in document["paths"][path]["get"]["parameters"].as_array().unwrap() {
            let (name, schema) = (parameter["name"].as_str().unwrap(), &parameter["schema"]);
            if parameter["in"] != "query" {
                continue;
            }
            let app = &app;
            let get = |value: String| {
                let url = format!("{url_path}?{}{name}={value}", base(path, name));
                async move {
                    let response = app.client.get(format!("{}{url}", app.base)).send().await.unwrap();
                    (response.status().as_u16(), url)
                }
            };
            if schema["type"] == "integer" {
                let (min, max) = (schema["minimum"].as_u64().unwrap(), schema["maximum"].as_u64());
                for accepted in [Some(min), max] {
                    let (status, url) = get(accepted.unwrap().to_string()).await;
                    assert!(matches!(status, 200 | 404), "{url}: {status}");
                }
                if min > 0 {
                    let (status, url) = get((min - 1).to_string()).await;
                    assert_eq!(status, 400, "{url}");
                }
                let (status, url) = get((max.unwrap_or(u32::MAX as u64) + 1).to_string()).await;
                assert_eq!(status, 400, "{url}");
                checked += 1;
            }
            if let Some(words) = schema["enum"].as_array() {
                for word in words {
                    let (status, url) = get(word.as_str().unwrap().to_string()).await;
                    assert!(matches!(status, 200 | 404), "{url}: {status}");
                }
                let (status, url) = get("no-such-word".into()).await;
                assert_eq!(status, 400, "{url}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "{checked} parameters checked");
    app.stop().await;
}

/// A request id sent by the client comes back on the response; without one the server makes
/// one, different for each request; errors carry it too.
#[tokio::test]
async fn request_ids_round_trip() {
    let app = TestApp::with_fixtures(&["tests/fixtures/jsonl/articles.jsonl"]).await;
    let sent = app.client.get(format!("{}/v1/search?q=zebra", app.base)).header("x-request-id", "trace-me-42");
    let response = sent.send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    let mut made = Vec::new();
    for path in ["/healthz", "/healthz", "/v1/search?q=%22unclosed", "/no/such/endpoint"] {
        let response = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        let id = response.headers().get("x-request-id").map(|value| value.to_str().unwrap().to_string());
        let id = id.unwrap_or_else(|| panic!("{path} answered {} without a request id", response.status()));
        assert_eq!(id.len(), 36, "a UUID: {id}");
        made.push(id);
    }
    made.sort();
    made.dedup();
    assert_eq!(made.len(), 4, "each request its own id");
    app.stop().await;
}

/// `--log-format json`: the real binary writes one JSON object per line, and the lines of a
/// request carry its request id in their span.
#[tokio::test]
async fn json_logs_carry_the_request_id() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let data = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["--log-format", "json", "--data-dir"])
        .arg(data.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("TIDINGS_LOG", "debug,tantivy=warn,hyper=warn,h2=warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let mut banner = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut banner).unwrap();
    let base = banner.split_whitespace().find(|word| word.starts_with("http://")).expect("address printed").to_string();
    let response = reqwest::Client::new()
        .get(format!("{base}/v1/search?q=anything"))
        .header("x-request-id", "json-log-test-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    let logs = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}")))
        .collect();
    assert!(!lines.is_empty());
    let of_request: Vec<&Value> = lines.iter().filter(|line| line["span"]["request_id"] == "json-log-test-7").collect();
    assert!(!of_request.is_empty(), "the request's lines name it: {logs}");
    assert!(of_request.iter().all(|line| line["span"]["route"] == "/v1/search"), "{logs}");
    assert!(!logs.contains('\u{1b}'), "no colour codes off a terminal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_is_served_from_the_binary_under_its_own_policy() {
    let app = TestApp::with_fixtures(&[]).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let moved = client.get(format!("{}/docs", app.base)).send().await.unwrap();
    assert_eq!(moved.status().as_u16(), 308);
    assert_eq!(moved.headers()["location"], "/docs/");

    let page = client.get(format!("{}/docs/", app.base)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    let html = page.text().await.unwrap();
    // Every script and stylesheet is the server's own: nothing from another origin.
    assert!(html.contains("swagger-ui-bundle.js") && !html.contains("//cdn") && !html.contains("https://"), "{html}");
    let initializer = client.get(format!("{}/docs/swagger-initializer.js", app.base)).send().await.unwrap();
    assert!(initializer.headers()["content-type"].to_str().unwrap().contains("javascript"));
    let initializer = initializer.text().await.unwrap();
    assert!(initializer.contains("\"/openapi.json\"") && initializer.contains("\"none\""), "{initializer}");
    let bundle = client.get(format!("{}/docs/swagger-ui-bundle.js", app.base)).send().await.unwrap();
    assert_eq!(bundle.status().as_u16(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 500_000, "the whole bundle is embedded");
    let (status, missing) = app.get("/docs/../../etc/passwd").await;
    assert_eq!((status, missing["error"]["code"].as_str()), (404, Some("not_found")), "{missing}");
    let (status, _) = app.get("/docs/no-such-file.js").await;
    assert_eq!(status, 404);

    // The document it renders shows what the guard and the queue answer on every endpoint.
    let (_, document) = app.get("/openapi.json").await;
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            if !path.starts_with("/v1/") {
                continue;
            }
            operations += 1;
            for status in ["401", "403", "429"] {
                assert!(responses.contains_key(status), "{method} {path} documents {status}");
            }
            assert!(responses["429"]["headers"]["Retry-After"].is_object(), "{method} {path}");
            assert!(responses["429"]["content"]["application/json"]["example"]["error"]["code"] == "rate_limited");
            let queued = !(path == "/v1/stats" || path.starts_with("/v1/keys") || path.starts_with("/v1/settings"));
            assert_eq!(responses.contains_key("503"), queued, "{method} {path}");
            assert!(operation["security"].as_array().is_some_and(|security| !security.is_empty()), "{method} {path}");
            // Every parameter shows an example (a cursor is the server's to give).
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                assert!(
                    name == "cursor" || parameter["schema"]["examples"][0] != Value::Null,
                    "{method} {path} {name}"
                );
            }
        }
    }
    assert!(operations >= 14, "{operations}");
    app.stop().await;
}

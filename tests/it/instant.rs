//! As-you-type search over HTTP: typo tolerance on names, prefixes, tiered ranking, and a search
//! box that never rejects what a reader types.

use serde_json::Value;

use crate::helpers::TestApp;

const SAMPLE: &str = "sample/kremlin-trump-putin-meeting.txt";

fn titles(body: &Value) -> Vec<String> {
    body["hits"].as_array().unwrap().iter().map(|hit| hit["title"].as_str().unwrap().to_string()).collect()
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn typos_in_names_and_prefixes_find_the_article() {
    let app = TestApp::with_fixtures(&[SAMPLE, "sample/reut2-000-stories-201-400.sgm"]).await;
    let kremlin = app.search("q=Zelensky").await;
    assert_eq!(kremlin["total"], 1, "{kremlin}");
    let kremlin_id = kremlin["hits"][0]["id"].clone();

    // Two letters swapped is one edit: an eight-letter name allows one.
    let swapped = app.search("q=zelenksy&mode=instant").await;
    assert_eq!(swapped["hits"][0]["id"], kremlin_id, "{swapped}");
    let body = swapped["hits"][0]["highlights"]["body"].as_array().unwrap();
    assert!(body.iter().any(|fragment| fragment.as_str().unwrap().contains("<mark>Zelensky")), "{body:?}");
    // Analyst mode does not forgive the typo.
    assert_eq!(app.search("q=zelenksy").await["total"], 0);

    // Keystroke by keystroke, the name being typed finds the article from its third letter.
    for prefix in ["pes", "pesk", "pesko", "peskov"] {
        let body = app.search(&format!("q={prefix}&mode=instant")).await;
        let hit = body["hits"].as_array().unwrap().iter().find(|hit| hit["id"] == kremlin_id);
        let fragments = hit.unwrap_or_else(|| panic!("{prefix}: {body}"))["highlights"]["body"].to_string();
        assert!(fragments.contains("<mark>Peskov</mark>"), "{prefix}: {fragments}");
    }
    // A finished word (followed by a space) is no longer a prefix.
    assert_eq!(app.search("q=pes+&mode=instant").await["total"], 0);
    // A typo inside the word being typed: "pekso" is one swap from "pesko".
    let typo_prefix = app.search("q=peksov&mode=instant").await;
    assert_eq!(typo_prefix["hits"][0]["id"], kremlin_id, "{typo_prefix}");

    // A word being typed reaches the stems it starts with: "presiden" finds every "president".
    let president = app.search("q=president").await["total"].as_u64().unwrap();
    assert!(president > 0);
    for typed in ["presid", "preside", "presiden"] {
        let total = app.search(&format!("q={typed}&mode=instant")).await["total"].as_u64().unwrap();
        assert!(total >= president, "{typed}: {total} < {president}");
    }
    // A long, repetitive query is read once per distinct word.
    let (status, body) = app.get(&format!("/v1/search?mode=instant&q={}", "reuters+".repeat(120))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], app.search("q=reuters+&mode=instant").await["total"]);

    // Short words get no typos: "oul" is not "oil".
    let oil = app.search("q=oil+&mode=instant").await["total"].as_u64().unwrap();
    assert!(oil > 0);
    assert_eq!(app.search("q=oul+&mode=instant").await["total"], 0);
    // Numbers never get typos.
    let year = app.search("q=1987+&mode=instant").await["total"].as_u64().unwrap();
    let other_year = app.search("q=1988+&mode=instant").await["total"].as_u64().unwrap();
    assert_ne!(year, other_year);
    assert_eq!(app.search("q=1987+&mode=instant").await["total"], app.search("q=1987").await["total"]);
    app.stop().await;
}

#[tokio::test]
async fn exact_ranks_above_typo_above_prefix() {
    // The prefix-only match is the newest and has the word in its title; the typo match is in
    // the title too. Tiers still decide.
    let lines = [
        r#"{"id":"exact","title":"Debt talks resume","body":"Brazil and its creditors met again on Monday to discuss the debt.","published_at":"2025-01-01T00:00:00Z","source":"Test"}"#,
        r#"{"id":"typo","title":"Brasil debt","body":"Creditors and the government met again in the capital to discuss the debt.","published_at":"2025-02-01T00:00:00Z","source":"Test"}"#,
        r#"{"id":"prefix","title":"Brazilians debate debt","body":"Voters argued about the debt in the capital on Monday evening.","published_at":"2025-03-01T00:00:00Z","source":"Test"}"#,
        r#"{"id":"none","title":"Argentina debt","body":"Nothing about the neighbour here, only a long story about creditors.","published_at":"2025-03-02T00:00:00Z","source":"Test"}"#,
    ]
    .join("\n");
    let app = TestApp::with_jsonl(&lines).await;
    let body = app.search("q=brazil&mode=instant").await;
    assert_eq!(titles(&body), vec!["Debt talks resume", "Brasil debt", "Brazilians debate debt"], "{body}");
    // With a space after it the word is complete: the prefix-only match goes.
    let body = app.search("q=brazil+&mode=instant").await;
    assert_eq!(titles(&body), vec!["Debt talks resume", "Brasil debt"], "{body}");
    // The typo and prefix matches are highlighted, with their offsets.
    let body = app.search("q=brazil&mode=instant&freshness=off").await;
    let typo = &body["hits"][1];
    assert_eq!(typo["highlights"]["title"], "<mark>Brasil</mark> debt");
    assert_eq!(typo["matches"]["title"], serde_json::json!([{"start": 0, "length": 6}]));
    let prefix = &body["hits"][2];
    assert_eq!(prefix["highlights"]["title"], "<mark>Brazilians</mark> debate debt");
    // Every word must match, one way or another.
    assert_eq!(titles(&app.search("q=brasil+creditors+capitl&mode=instant").await), vec!["Brasil debt"]);
    app.stop().await;
}

/// 400 strings a reader might type into a search box, or a script might send it: unbalanced
/// quotes and brackets, stray operators and field names, query-syntax characters, odd Unicode.
fn hostile_strings() -> Vec<String> {
    let pieces = [
        "\"",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ":",
        "^",
        "~",
        "*",
        "?",
        "\\",
        "/",
        "!",
        "+",
        "-",
        "&&",
        "||",
        "AND",
        "OR",
        "NOT",
        "title:",
        "body:",
        "person:",
        "published_at:[",
        "TO",
        "IN",
        "<",
        ">",
        "=",
        "'",
        "`",
        "%",
        "$",
        "#",
        "@",
        ";",
        ",",
        ".",
        "\u{0}",
        "\u{feff}",
        "😀",
        "中文",
        "é",
        "\u{202e}",
        "\t",
    ];
    let words = ["oil", "zel", "brazil", "1987", "x", "a", ""];
    let mut strings = Vec::new();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    for piece in pieces {
        strings.push(piece.to_string());
        strings.push(format!("oil {piece}"));
        strings.push(format!("{piece}oil"));
    }
    while strings.len() < 400 {
        let mut text = String::new();
        for _ in 0..1 + next(6) {
            if next(2) == 0 {
                text.push_str(pieces[next(pieces.len())]);
            } else {
                text.push_str(words[next(words.len())]);
            }
            if next(3) == 0 {
                text.push(' ');
            }
        }
        strings.push(text);
    }
    strings.truncate(400);
    strings
}

#[tokio::test]
async fn instant_mode_never_rejects_what_a_reader_types() {
    let app = TestApp::with_fixtures(&["sample/reut2-000-stories-201-400.sgm"]).await;
    let strings = hostile_strings();
    assert_eq!(strings.len(), 400);
    let mut analyst_rejections = 0;
    for text in &strings {
        let (status, body) = app.get(&format!("/v1/search?mode=instant&q={}", encode(text))).await;
        assert_eq!(status, 200, "instant {text:?}: {body}");
        let (status, body) = app.get(&format!("/v1/search?q={}", encode(text))).await;
        assert!(status == 200 || status == 400, "analyst {text:?}: {status} {body}");
        if status == 400 {
            analyst_rejections += 1;
            assert_eq!(body["error"]["code"], "bad_query", "{text:?}: {body}");
        }
    }
    // The strict syntax does reject some of them, and says where.
    assert!(analyst_rejections > 50, "{analyst_rejections}");
    let (status, body) = app.get("/v1/search?q=oil+AND+(gulf").await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("character"), "{body}");
    // The same text in instant mode is words: oil, and, gulf.
    let body = app.search("mode=instant&q=oil+AND+(gulf").await;
    assert!(body["total"].as_u64().unwrap() > 0, "{body}");
    // One and two letters still answer, with prefix matches.
    for short in ["o", "oi", "z"] {
        let body = app.search(&format!("mode=instant&q={short}")).await;
        assert!(body["total"].as_u64().unwrap() > 0, "{short}: {body}");
    }
    app.stop().await;
}

//! Near-duplicate clusters over HTTP: syndicated copies share a story, `collapse=cluster` shows one
//! hit per story with the others listed, and totals and facets count articles either way.

use tidings::model::ArticleId;
use tidings::store::Store;

use crate::helpers::{facet_count, repo_path, TestApp};

const FIXTURE: &str = "tests/fixtures/jsonl/near-duplicates.jsonl";

fn id_of(key: &str) -> String {
    tidings::model::article_id_for(&format!("id:reuters:{key}"))
}

#[tokio::test]
async fn syndicated_copies_collapse_into_one_story() {
    let app = TestApp::with_fixtures(&[FIXTURE, "sample"]).await;
    let (brazil_a, brazil_b) = (id_of("reuters-175"), id_of("reuters-190"));
    let (table_feb, table_apr) = (id_of("reuters-5"), id_of("reuters-13799"));
    let (_, first) = app.get(&format!("/v1/articles/{brazil_a}")).await;
    let (_, second) = app.get(&format!("/v1/articles/{brazil_b}")).await;
    assert_eq!(first["cluster_id"], second["cluster_id"], "one story sent twice: {first} {second}");
    let (_, feb) = app.get(&format!("/v1/articles/{table_feb}")).await;
    let (_, apr) = app.get(&format!("/v1/articles/{table_apr}")).await;
    assert_ne!(feb["cluster_id"], apr["cluster_id"], "the same table on two dates is two reports");

    let plain = app.search("q=brazil&facets=place,source&facet_size=50&limit=50").await;
    let collapsed = app.search("q=brazil&facets=place,source&facet_size=50&limit=50&collapse=cluster").await;
    assert_eq!(plain["total"], collapsed["total"], "total counts articles either way");
    assert_eq!(plain["facets"], collapsed["facets"], "facets count articles either way");
    let hits = |body: &serde_json::Value| body["hits"].as_array().unwrap().clone();
    let ids = |body: &serde_json::Value| {
        hits(body).iter().map(|hit| hit["id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert!(ids(&plain).contains(&brazil_a) && ids(&plain).contains(&brazil_b));
    let shown: Vec<String> = ids(&collapsed).into_iter().filter(|id| *id == brazil_a || *id == brazil_b).collect();
    assert_eq!(shown.len(), 1, "one hit for the story: {collapsed}");
    let hit = hits(&collapsed).into_iter().find(|hit| hit["id"] == shown[0]).unwrap();
    let other = if shown[0] == brazil_a { &brazil_b } else { &brazil_a };
    assert_eq!(hit["duplicates"]["count"], 1, "{hit}");
    assert_eq!(hit["duplicates"]["ids"][0], other.as_str());
    assert_eq!(collapsed["hits"].as_array().unwrap().len() as u64, plain["total"].as_u64().unwrap() - 1);
    assert_eq!(collapsed["total_stories"].as_u64(), Some(plain["total"].as_u64().unwrap() - 1));
    assert_eq!(facet_count(&collapsed, "place", "brazil"), facet_count(&plain, "place", "brazil"));
    // Paging a collapsed list never shows a story twice.
    let mut seen = std::collections::HashSet::new();
    for offset in 0..plain["total"].as_u64().unwrap() {
        let page = app.search(&format!("q=brazil&collapse=cluster&limit=1&offset={offset}")).await;
        if let Some(hit) = page["hits"].as_array().unwrap().first() {
            assert!(seen.insert(hit["cluster_id"].as_str().unwrap().to_string()), "story repeated at offset {offset}");
        }
    }
    let (status, body) = app.get("/v1/search?q=brazil&collapse=story").await;
    assert_eq!(status, 400, "{body}");
    app.stop().await;
}

#[test]
fn an_edited_copy_leaves_its_story_when_the_text_changes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copies.jsonl");
    std::fs::copy(repo_path(FIXTURE), &file).unwrap();
    let data = dir.path().join("data");
    crate::ingest::cli_ingest(&data, &[&file]);
    let cluster = |id: &str| {
        let store = Store::open(&data.join("tidings.sqlite3")).unwrap();
        store.get_article(&ArticleId::parse(id).unwrap()).unwrap().unwrap().cluster_id
    };
    let (first, second) = (id_of("reuters-175"), id_of("reuters-190"));
    assert_eq!(cluster(&second), first, "the later copy joins the first one's story");
    // The copy is rewritten into another story: same id, new text, its own cluster.
    let text = std::fs::read_to_string(&file).unwrap();
    let rewritten: Vec<String> = text
        .lines()
        .map(|line| {
            let mut json: serde_json::Value = serde_json::from_str(line).unwrap();
            if json["id"] == "reuters-190" {
                json["body"] = "Coffee exporters in Colombia said on Thursday that quotas agreed in London would be \
                                reviewed at a meeting in Bogota next month, with growers pressing for higher prices."
                    .into();
            }
            json.to_string()
        })
        .collect();
    std::fs::write(&file, rewritten.join("\n")).unwrap();
    let report = crate::ingest::cli_ingest(&data, &[&file]);
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(cluster(&second), second);
    assert_eq!(cluster(&first), first);
}

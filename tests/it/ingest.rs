//! Ingestion through the real CLI binary and the library pipeline: every format, the report,
//! idempotent re-ingest, rejections with file:line, and the store's migrations.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use serde_json::Value;
use tidings::entities::{Aliases, HeuristicExtractor};
use tidings::ingest::{IndexHandOff, IngestOptions, Ingestor};
use tidings::store::{RawBody, Store};

use crate::helpers::{raw_stories, repo_path};

/// Runs `tidings --data-dir DIR ingest --json PATHS…` and returns the parsed report.
pub fn cli_ingest(data_dir: &Path, paths: &[&Path]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("ingest")
        .arg("--json")
        .args(paths)
        .output()
        .expect("the tidings binary runs");
    assert!(output.status.success(), "ingest failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("a JSON report")
}

#[test]
fn migrations_apply_once_to_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.applied_migrations().unwrap(), vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(store.count_articles().unwrap(), 0);
    let journal: String = store.connection().query_row("pragma journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(journal, "wal");
    let page_size: i64 = store.connection().query_row("pragma page_size", [], |row| row.get(0)).unwrap();
    assert_eq!(page_size, 16_384, "a new store packs its rows into 16 KB pages");
    drop(store);
    let reopened = Store::open(&path).unwrap();
    assert_eq!(reopened.applied_migrations().unwrap(), vec![1, 2, 3, 4, 5, 6, 7], "applied exactly once");
}

#[test]
fn a_store_of_schema_3_keeps_its_entities_topics_and_authors_through_migration_4() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tidings.sqlite3");
    {
        // The store as version 3 left it: every entity row with its forms spelled out.
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch("create table schema_migrations (version integer primary key, applied_at text not null)")
            .unwrap();
        for (version, sql) in [
            (1, include_str!("../../migrations/0001_initial.sql")),
            (2, include_str!("../../migrations/0002_clusters_and_deletes.sql")),
            (3, include_str!("../../migrations/0003_feed_state.sql")),
        ] {
            old.execute_batch(sql).unwrap();
            old.execute("insert into schema_migrations values (?1, 'then')", [version]).unwrap();
        }
        for (id, source_key) in [("a1", "old:1"), ("a2", "old:2")] {
            old.execute(
                "insert into articles (id, source_key, content_hash, title, body, date_rule, source, lang,
                 ingested_at, updated_at, seq, cluster_id)
                 values (?1, ?2, 'h', 'Title', 'Body text.', 'unknown', 'Old', 'en', 'then', 'then', ?3, ?1)",
                rusqlite::params![id, source_key, if id == "a1" { 1 } else { 2 }],
            )
            .unwrap();
        }
        old.execute_batch(
            r#"insert into article_entities values
                 ('a1', 'person', 'James Baker', '["James Baker","Baker"]', 3),
                 ('a1', 'place', 'Tokyo', '["Tokyo"]', 1),
                 ('a2', 'person', 'James Baker', '["Baker","Baker"]', 1);
               insert into article_topics values ('a1', 'money-fx'), ('a2', 'trade'), ('a2', 'money-fx');
               insert into article_authors values ('a2', 'Jane Doe');"#,
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.applied_migrations().unwrap(), vec![1, 2, 3, 4, 5, 6, 7]);
    let first = store.get_article(&tidings::model::ArticleId::from_stored("a1".into())).unwrap().unwrap();
    let entities: Vec<(&str, Vec<String>, u32)> =
        first.article.entities.iter().map(|e| (e.name.as_str(), e.surfaces.clone(), e.mentions)).collect();
    assert_eq!(
        entities,
        [("James Baker", vec!["James Baker".to_string(), "Baker".into()], 3), ("Tokyo", vec!["Tokyo".into()], 1)]
    );
    assert_eq!(first.article.topics, ["money-fx"]);
    let second = store.get_article(&tidings::model::ArticleId::from_stored("a2".into())).unwrap().unwrap();
    assert_eq!(
        (second.article.topics, second.article.authors),
        (vec!["money-fx".to_string(), "trade".into()], vec!["Jane Doe".to_string()])
    );
    assert_eq!(
        store.entity_surfaces(tidings::model::EntityKind::Person, "James Baker").unwrap(),
        ["Baker", "James Baker"],
        "Baker in both articles, the full name in one"
    );
    let baker = |store: &Store| -> i64 {
        store
            .connection()
            .query_row("select articles from entity_surfaces where surface = 'Baker'", [], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(baker(&store), 2, "articles, not repeats of the form within one");
    let mut store = store;
    assert!(store.delete_article(&tidings::model::ArticleId::from_stored("a2".into())).unwrap());
    assert_eq!(baker(&store), 1);
    let only_names: i64 = store
        .connection()
        .query_row("select count(*) from article_entities where surfaces is null", [], |row| row.get(0))
        .unwrap();
    assert_eq!(only_names, 1, "Tokyo, written only as its name, keeps no forms of its own");
}

#[test]
fn reuters_sgml_ingests_every_story_and_reingest_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let sgm = repo_path("sample/reut2-000-stories-201-400.sgm");
    let expected = raw_stories("sample/reut2-000-stories-201-400.sgm").len() as u64;
    let report = cli_ingest(dir.path(), &[&sgm]);
    assert_eq!(report["read"], expected);
    assert_eq!(report["new"], expected);
    assert_eq!(report["rejected"], 0);
    assert_eq!(report["date_unknown"], 0);
    let again = cli_ingest(dir.path(), &[&sgm]);
    assert_eq!(again["unchanged"], expected);
    assert_eq!(again["new"], 0);
    assert_eq!(again["updated"], 0);
    let store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
    assert_eq!(store.count_articles().unwrap(), expected);
    assert_eq!(store.max_seq().unwrap(), expected as i64, "unchanged articles take no new sequence");
}

#[test]
fn changed_content_is_an_update_with_a_new_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.jsonl");
    std::fs::write(&file, "{\"id\":\"x1\",\"title\":\"First\",\"body\":\"one\",\"source\":\"S\"}\n{\"id\":\"x2\",\"title\":\"Second\",\"body\":\"two\",\"source\":\"S\"}\n").unwrap();
    let data = dir.path().join("data");
    assert_eq!(cli_ingest(&data, &[&file])["new"], 2);
    std::fs::write(&file, "{\"id\":\"x1\",\"title\":\"First\",\"body\":\"one, corrected\",\"source\":\"S\"}\n{\"id\":\"x2\",\"title\":\"Second\",\"body\":\"two\",\"source\":\"S\"}\n").unwrap();
    let report = cli_ingest(&data, &[&file]);
    assert_eq!(
        (report["updated"].as_u64(), report["unchanged"].as_u64(), report["new"].as_u64()),
        (Some(1), Some(1), Some(0))
    );
    let store = Store::open(&data.join("tidings.sqlite3")).unwrap();
    assert_eq!(store.count_articles().unwrap(), 2);
    assert_eq!(store.max_seq().unwrap(), 3);
    let latest = store.articles_after(2, 10).unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].article.body, "one, corrected");
}

#[test]
fn malformed_json_lines_are_rejected_with_their_line_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = repo_path("tests/fixtures/jsonl/malformed.jsonl");
    let report = cli_ingest(dir.path(), &[&file]);
    assert_eq!(report["read"], 5);
    assert_eq!(report["new"], 2);
    assert_eq!(report["rejected"], 3);
    let locations: Vec<String> = report["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rejection| rejection["location"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(locations, vec!["malformed.jsonl:2", "malformed.jsonl:3", "malformed.jsonl:4"]);
    let reasons: Vec<&str> =
        report["rejections"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].contains("invalid JSON"), "{reasons:?}");
    assert!(reasons[1].contains("neither title nor body"), "{reasons:?}");
    assert!(reasons[2].contains("kind"), "{reasons:?}");
    // The ledger keeps the rejections too.
    let store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
    let ledger: i64 =
        store.connection().query_row("select count(*) from ingest_rejections", [], |row| row.get(0)).unwrap();
    assert_eq!(ledger, 3);
}

#[test]
fn broken_sgml_keeps_the_good_stories_and_names_the_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let broken = repo_path("tests/fixtures/reuters/broken.sgm");
    let latin1 = repo_path("tests/fixtures/reuters/latin1-byte.sgm");
    let report = cli_ingest(dir.path(), &[&broken, &latin1]);
    assert_eq!(report["new"], 3, "{report}");
    assert_eq!(report["rejected"], 1);
    let rejection = &report["rejections"][0];
    let text = std::fs::read_to_string(&broken).unwrap();
    let cut_line = text.lines().position(|line| line.contains("NEWID=\"3\"")).unwrap() + 1;
    assert!(rejection["location"].as_str().unwrap().ends_with(&format!("broken.sgm:{cut_line}")), "{rejection}");
    assert!(rejection["reason"].as_str().unwrap().contains("unterminated"));
    let store = Store::open(&dir.path().join("tidings.sqlite3")).unwrap();
    let raw: RawBody = store
        .connection()
        .query_row("select body from articles where source_key = 'reuters:17980'", [], |row| row.get(0))
        .unwrap();
    let body = store.decode_body(raw).unwrap();
    assert!(body.contains("growth.\u{fc}"), "the latin-1 byte decodes to ü: {body}");
    assert!(!body.chars().any(|c| c.is_control() && c != '\n'), "control references dropped");
}

#[test]
fn plain_text_pages_lose_chrome_and_take_the_date_from_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let seed = repo_path("tests/fixtures/seed/kremlin-trump-putin-meeting.txt");
    let store = Store::open(&dir.path().join("store.sqlite3")).unwrap();
    let extractor = Box::new(HeuristicExtractor);
    let ingestor = Ingestor::new(store, extractor, Arc::new(Aliases::shipped()), IndexHandOff::Follower);
    let report = ingestor.ingest_paths(&[seed], &IngestOptions::default()).unwrap();
    let store = ingestor.store();
    assert_eq!((report.counts.new, report.counts.rejected), (1, 0));
    let stored = store.articles_after(0, 10).unwrap().remove(0);
    assert_eq!(
        stored.article.title,
        "Potential Trump-Putin meeting is under consideration - Kremlin's stance revealed"
    );
    assert_eq!(stored.article.published_at.unwrap().to_rfc3339(), "2025-05-05T00:00:00+00:00");
    assert_eq!(stored.article.date_rule.as_str(), "text");
    assert!(!stored.article.body.contains("Skip to content"));
    let people: Vec<&str> =
        stored.article.entities.iter().filter(|e| e.kind.as_str() == "person").map(|e| e.name.as_str()).collect();
    for person in ["Vladimir Putin", "Donald Trump", "Dmitry Peskov", "Volodymyr Zelensky"] {
        assert!(people.contains(&person), "{person} in {people:?}");
    }
    let putin = stored.article.entities.iter().find(|e| e.name == "Vladimir Putin").unwrap();
    assert!(putin.surfaces.contains(&"Putin".to_string()), "surface forms kept: {:?}", putin.surfaces);
}

#[test]
fn gzip_files_and_directories_are_read_transparently() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    std::fs::create_dir(&input).unwrap();
    let raw = std::fs::read(repo_path("tests/fixtures/jsonl/articles.jsonl")).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(input.join("articles.jsonl.gz")).unwrap(),
        flate2::Compression::default(),
    );
    encoder.write_all(&raw).unwrap();
    encoder.finish().unwrap();
    std::fs::write(input.join("README.md"), "not an article").unwrap();
    std::fs::write(input.join("binary.txt"), [0u8, 159, 146, 150, 0, 1]).unwrap();
    let report = cli_ingest(&dir.path().join("data"), &[&input]);
    assert_eq!(report["files"], 2, "README skipped: {report}");
    assert_eq!(report["new"], 5);
    assert_eq!(report["rejected"], 1, "the binary file is rejected: {report}");
    assert!(report["rejections"][0]["reason"].as_str().unwrap().contains("binary"));
}

#[test]
fn reindex_rebuilds_the_index_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = repo_path("tests/fixtures/jsonl/articles.jsonl");
    cli_ingest(dir.path(), &[&file]);
    std::fs::remove_dir_all(dir.path().join("tantivy")).unwrap();
    let output =
        Command::new(env!("CARGO_BIN_EXE_tidings")).arg("--data-dir").arg(dir.path()).arg("reindex").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("reindexed 5 articles"));
    let index = tidings::index::SearchIndex::open(&dir.path().join("tantivy")).unwrap();
    assert_eq!(index.num_docs(), 5);
    assert_eq!(index.indexed_seq().unwrap(), 5);
}

#[test]
fn a_users_alias_file_extends_the_shipped_table() {
    let dir = tempfile::tempdir().unwrap();
    let aliases = dir.path().join("aliases.txt");
    std::fs::write(&aliases, "# ours\nperson: A. Berg = Anna Berg\norg: The Council = Berlin City Council\n").unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"1\",\"title\":\"T\",\"source\":\"S\",\"entities\":[{\"kind\":\"person\",\"name\":\"A. Berg\"},{\"kind\":\"org\",\"name\":\"the council\"},{\"kind\":\"person\",\"name\":\"Zelenskyy\"}]}\n",
    )
    .unwrap();
    let ingest = || {
        Command::new(env!("CARGO_BIN_EXE_tidings"))
            .env("TIDINGS_ALIASES_FILE", &aliases)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("ingest")
            .arg(&input)
            .output()
            .unwrap()
    };
    let output = ingest();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let store = Store::open(&dir.path().join("data/tidings.sqlite3")).unwrap();
    let mut names: Vec<String> = store
        .connection()
        .prepare("select name from article_entities order by name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names.sort();
    assert_eq!(
        names,
        vec!["Anna Berg", "Berlin City Council", "Volodymyr Zelensky"],
        "the user's lines and the shipped ones"
    );
    // A broken alias file is a clear configuration error, with its line.
    std::fs::write(&aliases, "person: fine = Fine\nplanet: Mars = Mars\n").unwrap();
    let output = ingest();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("aliases.txt:2"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

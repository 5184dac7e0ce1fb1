//! Backups and restores through the real binary: a backup taken while writes arrive over HTTP is
//! one consistent moment of the store, and a data directory restored from it serves exactly what
//! the backup holds.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::helpers::{settings_for, TestApp};

const KEY: &str = "backup-key-0123456789abcdef";

fn tidings(data_dir: &Path, arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(arguments)
        .output()
        .expect("tidings runs")
}

/// (articles, articles from source Quayside, ids) in a store file, read with SQL.
fn contents(store: &Path) -> (u64, u64, Vec<String>) {
    let connection = rusqlite::Connection::open(store).unwrap();
    let count = |sql: &str| connection.query_row(sql, [], |row| row.get::<_, i64>(0)).unwrap() as u64;
    let mut statement = connection.prepare("select id from articles order by id").unwrap();
    let ids = statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<Vec<String>, _>>().unwrap();
    (count("select count(*) from articles"), count("select count(*) from articles where source = 'Quayside'"), ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_restores_to_the_same_articles() {
    let app = TestApp::with_fixtures_and(&["tests/fixtures/jsonl/articles.jsonl"], |settings| {
        settings.api_keys = vec![KEY.into()];
    })
    .await;
    let fixture_articles = app.get("/v1/stats").await.1["articles"].as_u64().unwrap();

    // Writes keep arriving, one article a request, while the backup runs.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (client, base, acknowledged) = (app.client.clone(), app.base.clone(), Arc::clone(&acknowledged));
        tokio::spawn(async move {
            for n in 0..80 {
                let line = format!(
                    r#"{{"id":"b{n}","title":"Dock crane {n} repaired","body":"Crane {n} works again.","source":"Quayside"}}"#
                );
                let response =
                    client.post(format!("{base}/v1/articles")).bearer_auth(KEY).body(line).send().await.unwrap();
                assert_eq!(response.status().as_u16(), 200);
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let started = app.eventually(Duration::from_secs(20), || async { acknowledged.load(Ordering::SeqCst) >= 10 }).await;
    assert!(started);
    let work = tempfile::tempdir().unwrap();
    let backup = work.path().join("store-backup.sqlite3");
    let before = acknowledged.load(Ordering::SeqCst) as u64;
    let output = {
        let (data_dir, backup) = (app.settings.data_dir.clone(), backup.clone());
        tokio::task::spawn_blocking(move || tidings(&data_dir, &["backup", backup.to_str().unwrap()])).await.unwrap()
    };
    let after = acknowledged.load(Ordering::SeqCst) as u64;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    writer.await.unwrap();

    // The backup holds every write acknowledged before it started, none acknowledged after it
    // ended, and each article whole.
    let (articles, quayside, ids) = contents(&backup);
    assert!(articles >= fixture_articles + before && articles <= fixture_articles + after + 1, "{articles}");
    assert_eq!(articles - fixture_articles, quayside, "only whole writes");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains(&format!("backed up {articles} articles")), "{report}");
    // A second backup to the same file is refused, the first kept.
    let again = tidings(&app.settings.data_dir, &["backup", backup.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    app.stop().await;

    // Restored into a new data directory: the store holds what the backup held and the index
    // was rebuilt from it.
    let restored_dir = tempfile::tempdir().unwrap();
    let output = tidings(restored_dir.path(), &["restore", backup.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(contents(&restored_dir.path().join("tidings.sqlite3")).2, ids);
    let refused = tidings(restored_dir.path(), &["restore", backup.to_str().unwrap()]);
    assert!(!refused.status.success(), "a store is not replaced without --force");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    let not_a_backup = work.path().join("notes.txt");
    std::fs::write(&not_a_backup, "not a database").unwrap();
    let refused = tidings(restored_dir.path(), &["restore", "--force", not_a_backup.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a usable tidings backup"));

    let restored = TestApp::serve(settings_for(restored_dir.path()), restored_dir).await;
    let (_, stats) = restored.get("/v1/stats").await;
    assert_eq!((stats["articles"].as_u64(), stats["indexed_documents"].as_u64()), (Some(articles), Some(articles)));
    assert_eq!(restored.search("q=crane&limit=1").await["total"].as_u64(), Some(quayside));
    restored.stop().await;
}

/// Every row of a table of a store file, in order, as text (to compare two stores).
fn rows(store: &Path, sql: &str) -> Vec<Vec<String>> {
    let connection = rusqlite::Connection::open(store).unwrap();
    let mut statement = connection.prepare(sql).unwrap();
    let columns = statement.column_count();
    let rows = statement
        .query_map([], |row| {
            (0..columns)
                .map(|column| {
                    Ok(match row.get_ref(column)? {
                        rusqlite::types::ValueRef::Null => "null".to_string(),
                        rusqlite::types::ValueRef::Integer(value) => value.to_string(),
                        rusqlite::types::ValueRef::Real(value) => value.to_string(),
                        rusqlite::types::ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
                        rusqlite::types::ValueRef::Blob(blob) => format!("{} bytes", blob.len()),
                    })
                })
                .collect::<Result<Vec<String>, _>>()
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_ingested_into_a_new_data_directory_gives_the_same_articles_and_answers() {
    // The shipped sample (Reuters stories with their tags, a text file whose entities are
    // extracted), and writes keyed by a url, by an id and by their content.
    let sample = crate::helpers::repo_path("sample");
    let app = TestApp::with_files_and(&[sample], |settings| settings.api_keys = vec![KEY.into()]).await;
    app.write_articles(
        KEY,
        concat!(
            r#"{"url":"https://example.com/news/2025/03/04/harbour?ref=rss","title":"Harbour reopens","body":"Mayor Anne Hidalgo said the harbour of Marseille reopens on Monday.","published_at":"2025-03-04T10:15:00Z","authors":["A. Writer"],"topics":["ports"],"lang":"en"}"#,
            "\n",
            r#"{"id":17,"source":"Example Daily","title":"Zollamt","body":"Das Zollamt in Hamburg bleibt geschlossen.","lang":"de","entities":[{"kind":"place","name":"Hamburg"}]}"#,
            "\n",
            r#"{"title":"Untitled wire","body":"Oil prices rose as OPEC met in Vienna, said Sheikh Ahmed Zaki Yamani."}"#,
            "\n"
        ),
    )
    .await;
    let store = app.settings.store_path();
    let articles = contents(&store).0;
    assert!(articles > 100, "{articles}");

    // Dumped while the server runs, compressed, then ingested into a new data directory.
    let work = tempfile::tempdir().unwrap();
    let dump = work.path().join("tidings-dump.jsonl.gz");
    let output = tidings(&app.settings.data_dir, &["dump", dump.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("dumped {articles} articles")));
    let again = tidings(&app.settings.data_dir, &["dump", dump.to_str().unwrap()]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let copy_dir = tempfile::tempdir().unwrap();
    let output = tidings(copy_dir.path(), &["ingest", dump.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let copy = TestApp::serve(settings_for(copy_dir.path()), copy_dir).await;

    // The same articles under the same ids and keys, with the same text, dates and how they were
    // found, languages, topics, authors, entities (kinds, forms, mentions, origin), clusters,
    // and what the store counts from them.
    let copy_store = copy.settings.store_path();
    for sql in [
        "select id, source_key, url, title, published_at, date_rule, source, lang from articles order by id",
        "select article_id, kind, name, surfaces, mentions, brought from article_entities order by 1, 2, 3",
        "select * from article_topics order by 1, 2",
        "select * from article_authors order by 1, 2",
        "select id, cluster_id from articles order by id",
        "select * from entity_surfaces order by 1, 2, 3, 4",
        "select * from person_surnames order by 1, 2, 3",
    ] {
        let (before, after) = (rows(&store, sql), rows(&copy_store, sql));
        assert!(!before.is_empty(), "{sql}");
        assert_eq!(before, after, "{sql}");
    }
    // And a dump of the copy is the dump itself.
    let (original, copied) = (tidings(&app.settings.data_dir, &["dump"]), tidings(&copy.settings.data_dir, &["dump"]));
    assert!(original.status.success() && copied.status.success());
    assert_eq!(String::from_utf8_lossy(&original.stdout).lines().count() as u64, articles);
    assert!(original.stdout == copied.stdout, "the copy dumps to the same lines");

    // Searches, facets, entity lists and profiles answer the same.
    for query in [
        "/v1/search?q=&facets=person,org,place,source,topic,lang&limit=1",
        "/v1/search?q=oil%20prices&limit=10",
        "/v1/search?q=trade%20deficit&facets=place&limit=10",
        "/v1/search?q=harbour&limit=5",
        "/v1/search?q=Zollamt&lang=de",
        "/v1/entities?kind=person&limit=30",
        "/v1/entities?kind=org&limit=30",
    ] {
        let (left, right) = (app.get(query).await, copy.get(query).await);
        assert_eq!(left.0, 200, "{query}: {}", left.1);
        let strip = |mut body: serde_json::Value| {
            // The time taken, and the cursor, which names the index's own state.
            if let Some(object) = body.as_object_mut() {
                object.remove("took_ms");
                object.remove("cursor");
            }
            body
        };
        assert_eq!(strip(left.1), strip(right.1), "{query}");
    }
    // Collapsed, the same stories with the same sizes (which copy stands for a story among
    // equals depends on where each sits in the index).
    let stories = |body: serde_json::Value| {
        let hits = body["hits"].as_array().unwrap().clone();
        hits.iter()
            .map(|hit| (hit["cluster_id"].to_string(), hit["duplicates"]["count"].to_string()))
            .collect::<Vec<_>>()
    };
    let query = "/v1/search?q=bank&collapse=cluster&limit=10";
    let (left, right) = (app.get(query).await.1, copy.get(query).await.1);
    assert_eq!(left["total"], right["total"]);
    assert_eq!(stories(left), stories(right));
    copy.stop().await;
    app.stop().await;
}

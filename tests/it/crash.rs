//! The crash loop and `tidings check`, through the real binary: kill -9 at random moments loses
//! nothing acknowledged, and a data directory whose index no longer holds its store is reported
//! with what to do.

use std::path::Path;
use std::process::{Command, Output};

fn tidings(data_dir: &Path, arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(arguments)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("tidings runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A field `name=value` of the crash loop's last line.
fn figure(line: &str, name: &str) -> u64 {
    line.split_whitespace()
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {name}= in {line:?}"))
}

#[test]
fn crash_loop_kills_ingests_and_servers_and_loses_nothing_acknowledged() {
    let work = tempfile::tempdir().unwrap();
    let output = tidings(
        work.path(),
        &[
            "bench",
            "--crash",
            "3",
            "--seed",
            "7",
            "--crash-input",
            "sample/reut2-000-stories-201-400.sgm",
            "--work-dir",
            work.path().join("crash").to_str().unwrap(),
        ],
    );
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    let last = report.lines().rev().find(|line| line.starts_with("crash ")).expect("the summary line");
    assert!(last.ends_with("result=ok"), "{report}");
    assert_eq!(figure(last, "ingest_kills"), 3);
    assert_eq!(figure(last, "server_kills"), 3);
    assert_eq!(figure(last, "problems"), 0);
    assert!(figure(last, "acknowledged") > 0, "the clients wrote before the kills: {report}");
    // What the loop left is a consistent data directory by the independent check as well.
    let data = work.path().join("crash").join("data");
    let checked = tidings(&data, &["check"]);
    assert!(checked.status.success(), "{}", text(&checked));
    let store = rusqlite::Connection::open(data.join("tidings.sqlite3")).unwrap();
    let stored: i64 = store.query_row("select count(*) from articles", [], |row| row.get(0)).unwrap();
    assert!(text(&checked).contains(&format!("store: {stored} articles")), "{}", text(&checked));
}

#[test]
fn check_finds_an_index_that_no_longer_holds_the_store_and_reindex_mends_it() {
    let data = tempfile::tempdir().unwrap();
    let ingested = tidings(data.path(), &["ingest", "sample/reut2-000-stories-201-400.sgm"]);
    assert!(ingested.status.success(), "{}", text(&ingested));
    let checked = tidings(data.path(), &["check"]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains("the index holds exactly the store"), "{}", text(&checked));

    // Behind the index's back: one article removed from the store, another's title changed.
    let store = rusqlite::Connection::open(data.path().join("tidings.sqlite3")).unwrap();
    let ids: Vec<String> = store
        .prepare("select id from articles order by id limit 2")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    store.execute("delete from articles where id = ?1", [&ids[0]]).unwrap();
    store.execute("update articles set title = 'Edited behind the index' where id = ?1", [&ids[1]]).unwrap();
    drop(store);

    let checked = tidings(data.path(), &["check"]);
    let report = text(&checked);
    assert!(!checked.status.success(), "{report}");
    assert!(report.contains(&format!("1 articles indexed but not stored, e.g. {}", ids[0])), "{report}");
    assert!(
        report.contains(&format!("1 articles indexed with another title or body than stored, e.g. {}", ids[1])),
        "{report}"
    );
    assert!(report.contains("tidings reindex"), "the message says what to do: {report}");

    let reindexed = tidings(data.path(), &["reindex"]);
    assert!(reindexed.status.success(), "{}", text(&reindexed));
    let checked = tidings(data.path(), &["check"]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains("store: 199 articles"), "{}", text(&checked));
}

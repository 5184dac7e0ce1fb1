//! Disk and file faults, through the real binary on real file systems: a data directory on a
//! small tmpfs that fills up during an ingest, an index directory mounted read-only, a corrupted
//! index file, a damaged `meta.json`, a truncated store. Each gives a clear error that says what
//! to do, loses nothing committed, and the data directory serves again once mended. Mounting
//! needs root (CI runs as root on its machine).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn tidings(data_dir: &Path, arguments: &[&str]) -> Output {
    tidings_with(data_dir, arguments, &[])
}

/// Runs the binary to its end, at most two minutes (a `serve` that should refuse but starts
/// fails the test instead of hanging it).
fn tidings_with(data_dir: &Path, arguments: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(arguments)
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tidings runs");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("tidings waited for").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tidings {arguments:?} did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("tidings output")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn count(store: &Path) -> i64 {
    let connection = rusqlite::Connection::open(store).unwrap();
    connection.query_row("select count(*) from articles", [], |row| row.get(0)).unwrap()
}

/// A tmpfs mounted at a directory, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let status =
            Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(at).status();
        assert!(
            status.is_ok_and(|status| status.success()),
            "mounting a tmpfs at {} failed: these tests need root (mount -t tmpfs)",
            at.display()
        );
        Tmpfs(at.to_path_buf())
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount").args(["-o", &format!("remount,{options}")]).arg(&self.0).status().unwrap();
        assert!(status.success(), "remount {options} failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// `articles` JSON lines of about a kilobyte each, of words that do not compress away.
fn articles_file(dir: &Path, articles: usize) -> PathBuf {
    const WORDS: [&str; 24] = [
        "harbour",
        "council",
        "tariff",
        "shipment",
        "minister",
        "quarterly",
        "strike",
        "refinery",
        "election",
        "currency",
        "drought",
        "merger",
        "pension",
        "railway",
        "vaccine",
        "budget",
        "embassy",
        "festival",
        "copper",
        "satellite",
        "orchard",
        "verdict",
        "glacier",
        "turbine",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut lines = String::new();
    for number in 0..articles {
        let body: Vec<String> =
            (0..140).map(|_| format!("{}{}", WORDS[(next() % 24) as usize], next() % 1000)).collect();
        let article = serde_json::json!({
            "id": format!("fault-{number}"),
            "title": format!("Story {number} about the {}", WORDS[number % 24]),
            "body": body.join(" "),
            "source": "Fault Wire",
            "published_at": "2026-11-20T08:00:00Z",
        });
        lines.push_str(&article.to_string());
        lines.push('\n');
    }
    let path = dir.join("articles.jsonl");
    std::fs::write(&path, lines).unwrap();
    path
}

#[test]
fn a_disk_that_fills_during_an_ingest_keeps_what_was_committed_and_says_what_to_do() {
    let work = tempfile::tempdir().unwrap();
    let input = articles_file(work.path(), 3_000);
    let data = work.path().join("data");
    let disk = Tmpfs::mount(&data, "1500k");
    let small_batches = [("TIDINGS_INGEST_BATCH_RECORDS", "100"), ("TIDINGS_INGEST_COMMIT_EVERY", "100")];
    let input_arg = input.to_str().unwrap();

    let full = tidings_with(&data, &["ingest", input_arg], &small_batches);
    let report = text(&full);
    assert!(!full.status.success(), "3,000 articles do not fit in 1.5 MB: {report}");
    assert!(report.contains("is full") && report.contains("free space"), "says what happened and what to do: {report}");
    assert!(!report.contains("panicked"), "{report}");
    // What was committed before the disk filled is there, readable and sound.
    let stored = count(&data.join("tidings.sqlite3"));
    assert!(stored > 0 && stored < 3_000, "{stored} articles stored before the disk filled");
    let connection = rusqlite::Connection::open(data.join("tidings.sqlite3")).unwrap();
    let integrity: String = connection.query_row("pragma integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    drop(connection);

    // Space freed: the same command again finishes the job, every article once, the index equal
    // to the store.
    disk.remount("size=64m");
    let rerun = tidings_with(&data, &["ingest", input_arg], &small_batches);
    assert!(rerun.status.success(), "{}", text(&rerun));
    assert_eq!(count(&data.join("tidings.sqlite3")), 3_000);
    let checked = tidings(&data, &["check"]);
    assert!(checked.status.success(), "{}", text(&checked));
}

#[test]
fn a_read_only_index_directory_is_refused_with_what_to_do_and_nothing_is_lost() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let index = Tmpfs::mount(&data.join("tantivy"), "16m");
    let ingested = tidings(&data, &["ingest", "sample/reut2-000-stories-201-400.sgm"]);
    assert!(ingested.status.success(), "{}", text(&ingested));
    index.remount("ro");

    let one = work.path().join("one.jsonl");
    std::fs::write(&one, "{\"id\": \"late-1\", \"title\": \"A late story\", \"body\": \"It came after the mount.\"}\n")
        .unwrap();
    assert_refused(
        &data,
        &[&["serve", "--addr", "127.0.0.1:0"], &["ingest", one.to_str().unwrap()], &["check"]],
        &["index directory is not writable", "make it writable"],
    );
    assert_eq!(count(&data.join("tidings.sqlite3")), 200, "the refused ingest stored nothing, lost nothing");

    index.remount("rw");
    let ingested = tidings(&data, &["ingest", one.to_str().unwrap()]);
    assert!(ingested.status.success(), "{}", text(&ingested));
    let checked = tidings(&data, &["check"]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains("store: 201 articles"), "{}", text(&checked));
}

/// Each command refuses (exits non-zero) and says every one of `phrases`.
fn assert_refused(data: &Path, commands: &[&[&str]], phrases: &[&str]) {
    for arguments in commands {
        let refused = tidings(data, arguments);
        let report = text(&refused);
        assert!(!refused.status.success(), "{arguments:?}: {report}");
        assert!(phrases.iter().all(|phrase| report.contains(phrase)), "{arguments:?}: {report}");
    }
}

/// `tidings reindex`, then `tidings check` finding the data directory consistent; the check's report.
fn reindex_mends(data: &Path) -> String {
    let reindexed = tidings(data, &["reindex"]);
    assert!(reindexed.status.success(), "{}", text(&reindexed));
    let checked = tidings(data, &["check"]);
    assert!(checked.status.success(), "{}", text(&checked));
    text(&checked)
}

/// A data directory with the sample ingested, and a backup of its store.
fn sample_data(work: &Path) -> (PathBuf, PathBuf) {
    let data = work.join("data");
    let ingested = tidings(&data, &["ingest", "sample/reut2-000-stories-201-400.sgm"]);
    assert!(ingested.status.success(), "{}", text(&ingested));
    let backup = work.join("backup.sqlite3");
    let backed_up = tidings(&data, &["backup", backup.to_str().unwrap()]);
    assert!(backed_up.status.success(), "{}", text(&backed_up));
    (data, backup)
}

/// One GET over HTTP/1.0: the status and the body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, answer.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()))
}

/// Starts `tidings serve` and returns its `/readyz` answer once it says damaged, or once it has
/// said ready for two seconds (the background check of the files has run by then on a small
/// index), then stops it.
fn readiness(data: &Path) -> (u16, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut answer = (0, String::new());
    let mut ready_since = None;
    while std::time::Instant::now() < deadline {
        if let Some(answered) = get(port, "/readyz") {
            answer = answered;
            if answer.1.contains("damaged") {
                break;
            }
            if answer.0 == 200
                && ready_since.get_or_insert_with(std::time::Instant::now).elapsed() > Duration::from_secs(2)
            {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = server.kill();
    let _ = server.wait();
    answer
}

#[test]
fn a_corrupted_index_file_is_found_reported_with_what_to_do_and_reindex_mends_it() {
    let work = tempfile::tempdir().unwrap();
    let (data, _) = sample_data(work.path());
    let term_file = std::fs::read_dir(data.join("tantivy"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|extension| extension == "term"))
        .expect("a term dictionary");
    let mut bytes = std::fs::read(&term_file).unwrap();
    let middle = bytes.len() / 3;
    for byte in &mut bytes[middle..middle + 64] {
        *byte ^= 0x5a;
    }
    std::fs::write(&term_file, bytes).unwrap();
    let name = term_file.file_name().unwrap().to_str().unwrap().to_string();

    let checked = tidings(&data, &["check"]);
    let report = text(&checked);
    assert!(!checked.status.success(), "{report}");
    assert!(report.contains(&format!("damaged files: {name}")) && report.contains("tidings reindex"), "{report}");
    let (status, body) = readiness(&data);
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("\"status\":\"damaged\"") && body.contains("tidings reindex") && body.contains(&name),
        "{body}"
    );

    reindex_mends(&data);
    let (status, body) = readiness(&data);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_damaged_index_meta_file_refuses_to_serve_with_what_to_do_and_reindex_mends_it() {
    let work = tempfile::tempdir().unwrap();
    let (data, _) = sample_data(work.path());
    std::fs::write(data.join("tantivy").join("meta.json"), "{\"segments\": [tru").unwrap();
    assert_refused(
        &data,
        &[&["serve", "--addr", "127.0.0.1:0"], &["check"]],
        &["the index is damaged", "tidings reindex"],
    );
    let checked = reindex_mends(&data);
    assert!(checked.contains("store: 200 articles"), "{checked}");
}

#[test]
fn a_truncated_store_refuses_to_serve_with_what_to_do_and_a_restore_brings_it_back() {
    let work = tempfile::tempdir().unwrap();
    let (data, backup) = sample_data(work.path());
    let store = data.join("tidings.sqlite3");
    let length = std::fs::metadata(&store).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&store).unwrap().set_len(length / 3).unwrap();
    assert_refused(
        &data,
        &[&["serve", "--addr", "127.0.0.1:0"], &["check"], &["dump"]],
        &["the store file is damaged", "tidings restore"],
    );
    let restored = tidings(&data, &["restore", backup.to_str().unwrap(), "--force"]);
    assert!(restored.status.success(), "{}", text(&restored));
    let checked = tidings(&data, &["check"]);
    assert!(checked.status.success(), "{}", text(&checked));
    assert_eq!(count(&store), 200);
    let (status, body) = readiness(&data);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_truncated_index_file_refuses_to_serve_with_what_to_do_and_reindex_mends_it() {
    let work = tempfile::tempdir().unwrap();
    let (data, _) = sample_data(work.path());
    let fast = std::fs::read_dir(data.join("tantivy"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|extension| extension == "fast"))
        .expect("a fast-field file");
    std::fs::OpenOptions::new().write(true).open(&fast).unwrap().set_len(3).unwrap();
    assert_refused(
        &data,
        &[&["serve", "--addr", "127.0.0.1:0"], &["check"]],
        &["the index is damaged", "tidings reindex"],
    );
    reindex_mends(&data);
}

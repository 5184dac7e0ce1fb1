//! The peers on the same articles and queries: SQLite FTS5 in process, and tantivy-cli (title and
//! body, English stemming, stored) served by `tantivy serve`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::loadgen::{self, LoadResult};
use super::process::{free_port, Guard};
use super::{figures, fts5, Bench};
use crate::error::{Error, Result};
use crate::store::Store;

/// The `tantivy` binary of tantivy-cli, from PATH or ~/.cargo/bin.
pub fn find_tantivy_cli() -> Option<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|dir| dir.join("tantivy")).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo/bin/tantivy")));
    candidates.into_iter().find(|candidate| candidate.is_file())
}

/// tantivy-cli's `new` only asks interactively, so the schema is written as the meta.json it
/// would produce.
const META_JSON: &str = r#"{"index_settings":{"docstore_compression":"lz4","docstore_blocksize":16384},"segments":[],"schema":[{"name":"title","type":"text","options":{"indexing":{"record":"position","fieldnorms":true,"tokenizer":"en_stem"},"stored":true,"fast":false}},{"name":"body","type":"text","options":{"indexing":{"record":"position","fieldnorms":true,"tokenizer":"en_stem"},"stored":true,"fast":false}}],"opstamp":0}"#;

/// Builds a tantivy-cli index of every stored article in `dir`; returns the seconds it took.
pub fn build_index(binary: &Path, store: &Store, dir: &Path) -> Result<f64> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("meta.json"), META_JSON)?;
    let documents = dir.with_extension("jsonl");
    let mut writer = std::io::BufWriter::new(std::fs::File::create(&documents)?);
    let mut statement = store.connection().prepare("select title, body from articles order by seq")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let title: String = row.get(0)?;
        let body = store.decode_body(row.get(1)?)?;
        serde_json::to_writer(&mut writer, &serde_json::json!({"title": title, "body": body}))
            .map_err(|error| Error::Internal(error.to_string()))?;
        writer.write_all(b"\n")?;
    }
    writer.flush()?;
    let started = std::time::Instant::now();
    let status = Command::new(binary)
        .arg("index")
        .arg("-i")
        .arg(dir)
        .arg("-f")
        .arg(&documents)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(Error::Internal(format!("tantivy index failed: {status}")));
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Starts `tantivy serve` on `port`.
pub fn serve(binary: &Path, dir: &Path, port: u16) -> Result<Child> {
    Ok(Command::new(binary)
        .arg("serve")
        .arg("-i")
        .arg(dir)
        .arg("--host")
        .arg("127.0.0.1")
        .arg("-p")
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

/// Phase 4: the plain queries against SQLite FTS5 in process and `tantivy-cli serve` (when
/// installed), beside tidings' own plain figures.
pub fn phase(
    runtime: &tokio::runtime::Runtime,
    bench: &Bench,
    store: &Store,
    requests: usize,
    tidings: &[LoadResult; 2],
) -> Result<Vec<String>> {
    let mut report = vec!["## Peers on the same articles and the plain queries".into(), String::new()];
    report.push("| system | how | QPS | p50 ms | p95 ms | p99 ms | errors |".into());
    report.push("|---|---|---|---|---|---|---|".into());
    report.push(format!("| tidings | HTTP, c=1 | {}", figures(&tidings[0])));
    report.push(format!("| tidings | HTTP, c=32 | {}", figures(&tidings[1])));
    let (fts_row, fts) = sqlite_fts5(bench, requests)?;
    report.push(fts_row);
    let mut notes = Vec::new();
    match find_tantivy_cli() {
        None => notes.push("tantivy-cli: not installed (`cargo install tantivy-cli`), skipped".to_string()),
        Some(binary) => match tantivy_cli(runtime, &binary, bench, store, requests)? {
            None => notes.push("tantivy-cli: the server did not answer".into()),
            Some((rows, many)) => {
                report.extend(rows);
                notes.push(format!(
                    "ratios: tidings/tantivy-cli QPS at c=32 = {:.1}×; tidings p50 / FTS5 p50 at c=1 = {:.2}",
                    tidings[1].qps() / many.qps().max(f64::MIN_POSITIVE),
                    tidings[0].percentile_ms(0.5) / fts.percentile_ms(0.5)
                ));
            }
        },
    }
    if notes.iter().all(|note| !note.starts_with("ratios")) {
        notes.push(format!(
            "ratio: tidings p50 / FTS5 p50 at c=1 = {:.2}",
            tidings[0].percentile_ms(0.5) / fts.percentile_ms(0.5)
        ));
    }
    report.push(String::new());
    report.extend(notes);
    Ok(report)
}

/// SQLite FTS5 in process: no HTTP, one thread.
fn sqlite_fts5(bench: &Bench, requests: usize) -> Result<(String, LoadResult)> {
    eprintln!("bench: SQLite FTS5…");
    let (fts, build_seconds) = fts5::build(&bench.store_path(), &bench.work.join("fts5.sqlite3"))?;
    let translated: Vec<String> = bench.plain_queries.iter().map(|query| fts5::translate(query)).collect();
    let passes = requests.div_ceil(translated.len().max(1));
    let started = Instant::now();
    let (latencies, errors) = fts5::run(&fts, &translated, passes)?;
    let seconds = started.elapsed().as_secs_f64();
    let result = LoadResult { requests: latencies.len() + errors, errors, seconds, latencies_us: latencies };
    let row =
        format!("| SQLite FTS5 | in process, 1 thread (index built in {build_seconds:.1} s) | {}", figures(&result));
    Ok((row, result))
}

/// `tantivy-cli serve` over the same articles: its rows and its c=32 result, or `None` when its
/// server did not answer.
fn tantivy_cli(
    runtime: &tokio::runtime::Runtime,
    binary: &Path,
    bench: &Bench,
    store: &Store,
    requests: usize,
) -> Result<Option<(Vec<String>, LoadResult)>> {
    eprintln!("bench: tantivy-cli…");
    let dir = bench.work.join("tantivy-cli");
    let build_seconds = build_index(binary, store, &dir)?;
    let port = free_port()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let _server = Guard(serve(binary, &dir, port)?);
    if !runtime.block_on(loadgen::wait_for(addr, "/api/?q=oil", Duration::from_secs(60))) {
        return Ok(None);
    }
    let paths: Arc<Vec<String>> = Arc::new(
        bench
            .plain_queries
            .iter()
            .map(|query| {
                let query_string = form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", query)
                    .append_pair("nhits", "10")
                    .finish();
                format!("/api/?{query_string}")
            })
            .collect(),
    );
    // About 44 ms a request: a few hundred at c=1 are enough for stable percentiles.
    let single = runtime.block_on(loadgen::run(addr, Arc::clone(&paths), 1, paths.len().min(requests)))?;
    let many = runtime.block_on(loadgen::run(addr, Arc::clone(&paths), 32, requests))?;
    let rows = vec![
        format!("| tantivy-cli 0.24 serve | HTTP, c=1 (index built in {build_seconds:.1} s) | {}", figures(&single)),
        format!("| tantivy-cli 0.24 serve | HTTP, c=32 | {}", figures(&many)),
    ];
    Ok(Some((rows, many)))
}

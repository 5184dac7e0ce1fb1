//! `tidings bench`: ingest all of Reuters-21578 (docs/s, MB/s, index size, peak RSS), then load
//! the running server over HTTP with the committed query set at concurrency 1 and 32, measure how
//! soon a live ingest becomes searchable, and run the same queries against SQLite FTS5 in process
//! and `tantivy-cli serve`, so the ratios are measured side by side in one run.

pub mod fts5;
pub mod loadgen;
pub mod peers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{project_path, Settings};
use crate::error::{Error, Result};
use crate::store::Store;
use loadgen::LoadResult;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The Reuters-21578 folder holding reut2-000.sgm … reut2-021.sgm.
    #[arg(long, default_value = "../shared/data/reuters21578")]
    pub reuters: PathBuf,
    /// The query set: one /v1/search query string per line.
    #[arg(long, default_value = "bench/queries.txt")]
    pub queries: PathBuf,
    /// Requests per load phase at concurrency 1 (concurrency 32 sends four times as many).
    #[arg(long, default_value_t = 3_000)]
    pub requests: usize,
    /// Where the benchmark's data directory and peer indexes go (wiped first).
    #[arg(long, default_value = "target/bench")]
    pub work_dir: PathBuf,
    /// Skip tantivy-cli and SQLite FTS5.
    #[arg(long)]
    pub skip_peers: bool,
    /// Real queries (NDJSON `{"query": …, "tags": [...]}`, the AOL sample): their `union` forms,
    /// typed keystroke by keystroke, drive the suggestion and as-you-type phases.
    #[arg(long, default_value = "../shared/data/query-log-aol-sbg/queries.txt")]
    pub query_log: PathBuf,
}

/// Every prefix a reader types on the way to each query, keystroke by keystroke (those ending in a
/// space skipped: the request is sent for the next letter).
pub fn keystrokes(queries: &[String]) -> Vec<String> {
    let mut typed = Vec::new();
    for query in queries {
        let characters: Vec<char> = query.chars().collect();
        for end in 1..=characters.len() {
            if characters[end - 1] != ' ' {
                typed.push(characters[..end].iter().collect());
            }
        }
    }
    typed
}

/// The plain (`union`) queries of the query log.
fn query_log_queries(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Error::Config(format!("cannot read the query log {}: {error}", path.display())))?;
    let mut queries = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|error| Error::Config(format!("{}: not a JSON line: {error}", path.display())))?;
        let is_union = value["tags"].as_array().is_some_and(|tags| tags.iter().any(|tag| tag == "union"));
        if let (true, Some(query)) = (is_union, value["query"].as_str()) {
            queries.push(query.to_string());
        }
    }
    Ok(queries)
}

/// A child process killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn directory_bytes(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() {
                        directory_bytes(&path)
                    } else {
                        entry.metadata().map(|metadata| metadata.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Peak resident set of the waited-for children so far, in bytes.
fn children_peak_rss() -> u64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own; RUSAGE_CHILDREN is a valid selector.
    let status = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if status == 0 {
        usage.ru_maxrss as u64 * 1024
    } else {
        0
    }
}

/// Current resident set of a process, in bytes, from /proc.
fn process_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Samples a process's RSS every 20 ms until dropped; keeps the peak.
struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(process_rss(pid)));
        let (stop_flag, peak_value) = (Arc::clone(&stop), Arc::clone(&peak));
        let thread = std::thread::spawn(move || {
            while !stop_flag.load(Ordering::Relaxed) {
                peak_value.fetch_max(process_rss(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        RssSampler { stop, peak, thread: Some(thread) }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// The figure cells of a report row: QPS, p50, p95, p99, errors.
fn figures(result: &LoadResult) -> String {
    format!(
        "{:.0} | {:.2} | {:.2} | {:.2} | {} |",
        result.qps(),
        result.percentile_ms(0.50),
        result.percentile_ms(0.95),
        result.percentile_ms(0.99),
        result.errors
    )
}

fn load_line(name: &str, result: &LoadResult) -> String {
    format!("| {name} | {}", figures(result))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .map(|line| line.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines().next().and_then(|line| line.split_whitespace().nth(1)).and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1_048_576.0))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|cores| cores.get()).unwrap_or(0);
    format!("{cores} cores ({cpu}), {memory}")
}

/// Runs the whole benchmark and prints a Markdown report.
pub fn run(_settings: &Settings, args: BenchArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let exe = std::env::current_exe()?;
    let reuters = project_path(&args.reuters);
    let files: Vec<PathBuf> = (0..22).map(|number| reuters.join(format!("reut2-{number:03}.sgm"))).collect();
    if let Some(missing) = files.iter().find(|file| !file.is_file()) {
        return Err(Error::Config(format!("Reuters file not found: {} (use --reuters DIR)", missing.display())));
    }
    let query_lines: Vec<String> = std::fs::read_to_string(project_path(&args.queries))?
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(String::from)
        .collect();
    let plain_queries: Vec<String> = query_lines
        .iter()
        .filter_map(|line| {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(line.as_bytes()).into_owned().collect();
            (pairs.len() == 1 && pairs[0].0 == "q").then(|| pairs[0].1.clone())
        })
        .collect();
    let work = project_path(&args.work_dir);
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let data_dir = work.join("data");
    let mut report = vec![format!("machine: {}", machine()), String::new()];

    // 1. Ingest all of Reuters in a child process: parse, extract, store, index, commit.
    eprintln!("bench: ingesting {} Reuters files…", files.len());
    let input_bytes: u64 =
        files.iter().filter_map(|file| std::fs::metadata(file).ok()).map(|metadata| metadata.len()).sum();
    let started = Instant::now();
    let ingest = |data_dir: &Path| {
        let mut command = Command::new(&exe);
        command.arg("--data-dir").arg(data_dir).arg("ingest").stdout(Stdio::null());
        command
    };
    let status = ingest(&data_dir).args(&files).status()?;
    let ingest_seconds = started.elapsed().as_secs_f64();
    let ingest_rss = children_peak_rss();
    if !status.success() {
        return Err(Error::Internal(format!("ingest failed: {status}")));
    }
    let settings = Settings { data_dir: data_dir.clone(), ..Settings::default() };
    let store = Store::open(&settings.store_path())?;
    let articles = store.count_articles()?;
    report.push("## Ingest (all 22 Reuters-21578 files)".into());
    report.push(String::new());
    report.push("| articles | seconds | docs/s | MB/s | index size | store size | peak RSS |".into());
    report.push("|---|---|---|---|---|---|---|".into());
    report.push(format!(
        "| {articles} | {ingest_seconds:.2} | {:.0} | {:.1} | {:.1} MB | {:.1} MB | {:.0} MB |",
        articles as f64 / ingest_seconds,
        mb(input_bytes) / ingest_seconds,
        mb(directory_bytes(&settings.index_path())),
        mb(std::fs::metadata(settings.store_path()).map(|metadata| metadata.len()).unwrap_or(0)),
        mb(ingest_rss)
    ));
    // The same ingest with the entity tagger run on every story (its findings merged with the
    // Reuters tags), in a data directory of its own.
    let started = Instant::now();
    let status = ingest(&work.join("data-extract")).arg("--extract").arg("always").args(&files).status()?;
    let extract_seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(Error::Internal(format!("ingest --extract always failed: {status}")));
    }
    report.push(format!(
        "| {articles} (`--extract always`: tagger on every story) | {extract_seconds:.2} | {:.0} | {:.1} | {:.1} MB | {:.1} MB | {:.0} MB |",
        articles as f64 / extract_seconds,
        mb(input_bytes) / extract_seconds,
        mb(directory_bytes(&work.join("data-extract").join("tantivy"))),
        mb(std::fs::metadata(work.join("data-extract").join("tidings.sqlite3")).map(|metadata| metadata.len()).unwrap_or(0)),
        mb(children_peak_rss())
    ));
    report.push(String::new());

    // 2. The server under load.
    let port = free_port()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let server = Guard(
        Command::new(&exe)
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("serve")
            .arg("--addr")
            .arg(addr.to_string())
            .env("TIDINGS_LOG", "warn")
            .env("TIDINGS_EXPORT_MAX_ROWS", "25000")
            .stdout(Stdio::null())
            .spawn()?,
    );
    let server_pid = server.0.id();
    if !runtime.block_on(loadgen::wait_for(addr, "/readyz", Duration::from_secs(60))) {
        return Err(Error::Internal("the server did not become ready".into()));
    }
    let mixed: Arc<Vec<String>> = Arc::new(query_lines.iter().map(|line| format!("/v1/search?{line}")).collect());
    let plain: Arc<Vec<String>> = Arc::new(
        plain_queries
            .iter()
            .map(|query| {
                format!(
                    "/v1/search?{}",
                    form_urlencoded::Serializer::new(String::new()).append_pair("q", query).finish()
                )
            })
            .collect(),
    );
    eprintln!("bench: {} queries ({} plain); warming up…", mixed.len(), plain.len());
    runtime.block_on(loadgen::run(addr, Arc::clone(&mixed), 1, mixed.len()))?;
    let requests = args.requests.max(mixed.len());
    eprintln!("bench: tidings at concurrency 1 and 32…");
    let mixed_1 = runtime.block_on(loadgen::run(addr, Arc::clone(&mixed), 1, requests))?;
    let sampler = RssSampler::start(server_pid);
    let mixed_32 = runtime.block_on(loadgen::run(addr, Arc::clone(&mixed), 32, requests * 4))?;
    let plain_1 = runtime.block_on(loadgen::run(addr, Arc::clone(&plain), 1, requests))?;
    let plain_32 = runtime.block_on(loadgen::run(addr, Arc::clone(&plain), 32, requests * 4))?;
    let server_rss = sampler.finish();
    let sampler = RssSampler::start(server_pid);

    // Search-box phases: keystroke-by-keystroke prefixes of real queries.
    let logged = query_log_queries(&project_path(&args.query_log))?;
    let typed = keystrokes(&logged);
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let suggest_paths: Arc<Vec<String>> =
        Arc::new(typed.iter().map(|text| format!("/v1/suggest?q={}", encode(text))).collect());
    let instant_paths: Arc<Vec<String>> =
        Arc::new(typed.iter().map(|text| format!("/v1/search?mode=instant&limit=8&q={}", encode(text))).collect());
    eprintln!("bench: {} keystrokes: suggestions and as-you-type search…", typed.len());
    runtime.block_on(loadgen::run(addr, Arc::clone(&suggest_paths), 1, suggest_paths.len()))?;
    let suggest_1 = runtime.block_on(loadgen::run(addr, Arc::clone(&suggest_paths), 1, requests * 4))?;
    let suggest_32 = runtime.block_on(loadgen::run(addr, Arc::clone(&suggest_paths), 32, requests * 16))?;
    let instant_1 = runtime.block_on(loadgen::run(addr, Arc::clone(&instant_paths), 1, requests))?;
    let instant_32 = runtime.block_on(loadgen::run(addr, Arc::clone(&instant_paths), 32, requests * 4))?;
    let search_box_rss = sampler.finish();

    // Export: the server's memory while streaming 1,000 and then 20,000 rows of one search.
    let mut exports = Vec::new();
    for rows in [1_000usize, 20_000] {
        let before = process_rss(server_pid);
        let sampler = RssSampler::start(server_pid);
        let started = Instant::now();
        let (status, body) = runtime.block_on(loadgen::get(addr, &format!("/v1/export?format=csv&limit={rows}")))?;
        let seconds = started.elapsed().as_secs_f64();
        let peak = sampler.finish();
        let lines = body.matches("\r\n").count().saturating_sub(1);
        exports.push(format!(
            "| {rows} | {status} | {lines} | {:.1} MB | {seconds:.2} | {:.0} MB | {:.0} MB | {:+.1} MB |",
            mb(body.len() as u64),
            mb(before),
            mb(peak),
            mb(peak) - mb(before)
        ));
    }

    // 3. Live ingest: how soon is a new article searchable while the server runs?
    let marker = format!("benchmarker{}", std::process::id());
    let live_file = work.join("live.jsonl");
    std::fs::write(&live_file, format!("{{\"id\":\"{marker}\",\"title\":\"Live {marker}\",\"body\":\"Ingested during the benchmark.\",\"source\":\"bench\"}}\n"))?;
    let started = Instant::now();
    let status = ingest(&data_dir).arg(&live_file).stderr(Stdio::null()).status()?;
    let ingest_done = started.elapsed();
    let mut last_answer = String::new();
    let live_delay = runtime.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match loadgen::get(addr, &format!("/v1/search?q={marker}")).await {
                Ok((200, body)) if body.contains("\"total\":1") => return Some(started.elapsed()),
                Ok((status, body)) => {
                    last_answer = format!("HTTP {status}: {}", body.chars().take(120).collect::<String>())
                }
                Err(error) => last_answer = format!("request failed: {error}"),
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        None
    });
    drop(server);

    report.push(
        "## tidings over HTTP (snippets on every hit; the mixed set adds filters, date ranges, facets, histograms)"
            .into(),
    );
    report.push(String::new());
    report.push("| run | QPS | p50 ms | p95 ms | p99 ms | errors |".into());
    report.push("|---|---|---|---|---|---|".into());
    report.push(load_line(&format!("mixed, c=1 ({} requests)", mixed_1.requests), &mixed_1));
    report.push(load_line(&format!("mixed, c=32 ({} requests)", mixed_32.requests), &mixed_32));
    report.push(load_line(&format!("plain top-10, c=1 ({} requests)", plain_1.requests), &plain_1));
    report.push(load_line(&format!("plain top-10, c=32 ({} requests)", plain_32.requests), &plain_32));
    report.push(load_line(&format!("suggest, keystrokes, c=1 ({} requests)", suggest_1.requests), &suggest_1));
    report.push(load_line(&format!("suggest, keystrokes, c=32 ({} requests)", suggest_32.requests), &suggest_32));
    report.push(load_line(&format!("instant search, keystrokes, c=1 ({} requests)", instant_1.requests), &instant_1));
    report
        .push(load_line(&format!("instant search, keystrokes, c=32 ({} requests)", instant_32.requests), &instant_32));
    report.push(String::new());
    report.push(format!(
        "keystrokes: {} prefixes of the {} plain queries of the AOL sample, in typing order",
        typed.len(),
        logged.len()
    ));
    report.push(format!("server peak RSS under the mixed and plain c=32 loads: {:.0} MB", mb(server_rss)));
    report.push(format!("server peak RSS under the suggestion and as-you-type loads: {:.0} MB", mb(search_box_rss)));
    report.push(String::new());
    report.push("### Export (`/v1/export?format=csv`, all articles newest first, streamed)".into());
    report.push(String::new());
    report.push(
        "| rows asked | status | rows received | CSV size | seconds | server RSS before | peak during | growth |"
            .into(),
    );
    report.push("|---|---|---|---|---|---|---|---|".into());
    report.extend(exports);
    report.push(String::new());
    report.push(format!(
        "live ingest: `tidings ingest` of one article took {:.0} ms; searchable {} after it started ({} ms after it finished)",
        ingest_done.as_secs_f64() * 1000.0,
        live_delay
            .map(|delay| format!("{:.0} ms", delay.as_secs_f64() * 1000.0))
            .unwrap_or_else(|| format!("NOT within 30 s (last answer: {last_answer})")),
        live_delay.map(|delay| format!("{:.0}", (delay.saturating_sub(ingest_done)).as_secs_f64() * 1000.0)).unwrap_or_else(|| "-".into())
    ));
    if !status.success() {
        report.push(format!("live ingest exited with {status}"));
    }
    report.push(String::new());

    if !args.skip_peers {
        report.extend(run_peers(&runtime, &work, &store, &plain_queries, requests, &plain_1, &plain_32)?);
    }
    println!("{}", report.join("\n"));
    Ok(())
}

fn run_peers(
    runtime: &tokio::runtime::Runtime,
    work: &Path,
    store: &Store,
    plain_queries: &[String],
    requests: usize,
    tidings_plain_1: &LoadResult,
    tidings_plain_32: &LoadResult,
) -> Result<Vec<String>> {
    let mut report = vec!["## Peers on the same articles and the plain queries".into(), String::new()];
    report.push("| system | how | QPS | p50 ms | p95 ms | p99 ms | errors |".into());
    report.push("|---|---|---|---|---|---|---|".into());
    report.push(format!("| tidings | HTTP, c=1 | {}", figures(tidings_plain_1)));
    report.push(format!("| tidings | HTTP, c=32 | {}", figures(tidings_plain_32)));

    // SQLite FTS5 in process: no HTTP, one thread.
    eprintln!("bench: SQLite FTS5…");
    let (fts, build_seconds) = fts5::build(
        &Settings { data_dir: work.join("data"), ..Settings::default() }.store_path(),
        &work.join("fts5.sqlite3"),
    )?;
    let translated: Vec<String> = plain_queries.iter().map(|query| fts5::translate(query)).collect();
    let passes = requests.div_ceil(translated.len().max(1));
    let started = Instant::now();
    let (latencies, errors) = fts5::run(&fts, &translated, passes)?;
    let seconds = started.elapsed().as_secs_f64();
    let fts_result = LoadResult { requests: latencies.len() + errors, errors, seconds, latencies_us: latencies };
    report.push(format!(
        "| SQLite FTS5 | in process, 1 thread (index built in {build_seconds:.1} s) | {}",
        figures(&fts_result)
    ));

    // tantivy-cli serve, when installed (`cargo install tantivy-cli`).
    let mut notes = Vec::new();
    match peers::find_tantivy_cli() {
        None => notes.push("tantivy-cli: not installed (`cargo install tantivy-cli`), skipped".to_string()),
        Some(binary) => {
            eprintln!("bench: tantivy-cli…");
            let dir = work.join("tantivy-cli");
            let build_seconds = peers::build_index(&binary, store, &dir)?;
            let port = free_port()?;
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let _server = Guard(peers::serve(&binary, &dir, port)?);
            if !runtime.block_on(loadgen::wait_for(addr, "/api/?q=oil", Duration::from_secs(60))) {
                notes.push("tantivy-cli: the server did not answer".into());
            } else {
                let paths: Arc<Vec<String>> = Arc::new(
                    plain_queries
                        .iter()
                        .map(|query| {
                            format!(
                                "/api/?{}",
                                form_urlencoded::Serializer::new(String::new())
                                    .append_pair("q", query)
                                    .append_pair("nhits", "10")
                                    .finish()
                            )
                        })
                        .collect(),
                );
                // About 44 ms a request: a few hundred at c=1 are enough for stable percentiles.
                let single = runtime.block_on(loadgen::run(addr, Arc::clone(&paths), 1, paths.len().min(requests)))?;
                let many = runtime.block_on(loadgen::run(addr, Arc::clone(&paths), 32, requests))?;
                report.push(format!(
                    "| tantivy-cli 0.24 serve | HTTP, c=1 (index built in {build_seconds:.1} s) | {}",
                    figures(&single)
                ));
                report.push(format!("| tantivy-cli 0.24 serve | HTTP, c=32 | {}", figures(&many)));
                notes.push(format!(
                    "ratios: tidings/tantivy-cli QPS at c=32 = {:.1}×; tidings p50 / FTS5 p50 at c=1 = {:.2}",
                    tidings_plain_32.qps() / many.qps().max(f64::MIN_POSITIVE),
                    tidings_plain_1.percentile_ms(0.5) / fts_result.percentile_ms(0.5)
                ));
            }
        }
    }
    if notes.iter().all(|note| !note.starts_with("ratios")) {
        notes.push(format!(
            "ratio: tidings p50 / FTS5 p50 at c=1 = {:.2}",
            tidings_plain_1.percentile_ms(0.5) / fts_result.percentile_ms(0.5)
        ));
    }
    report.push(String::new());
    report.extend(notes);
    Ok(report)
}

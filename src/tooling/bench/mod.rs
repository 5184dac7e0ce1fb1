//! `tidings bench`: ingest all of Reuters-21578 (docs/s, MB/s, index size, peak RSS), then load
//! the running server over HTTP with the committed query set at concurrency 1 and 32, measure how
//! soon a live ingest becomes searchable, and run the same queries against SQLite FTS5 in process
//! and `tantivy-cli serve`, so the ratios are measured side by side in one run. Each phase is a
//! module; the HTTP client and load generator live here, not in the server.

mod crash;
pub mod fts5;
mod ingest;
pub mod loadgen;
pub mod peers;
mod process;
mod scale;
mod server;
mod soak;

use std::path::{Path, PathBuf};

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
    /// Measure the growth curve instead: Reuters and a generated corpus of each size given
    /// (repeatable, e.g. `--scale 200000 --scale 1000000`), each ingested, served and loaded alike.
    #[arg(long)]
    pub scale: Vec<u64>,
    /// Where `--scale` keeps its generated corpora between runs (`tidings corpus` output).
    #[arg(long, default_value = "target/bench-corpus")]
    pub corpus_dir: PathBuf,
    /// Only the growth curve's loads, against this existing data directory (served as it is, not
    /// wiped): for measuring a change to search on a large archive without ingesting it again.
    #[arg(long)]
    pub loads_on: Option<PathBuf>,
    /// With `--loads-on`: only the loads whose name contains this (repeatable, e.g. `instant`).
    #[arg(long)]
    pub load: Vec<String>,
    /// The crash loop instead: N times kill -9 an ingest and N times the server during writes
    /// through the API, at random moments, checking after every restart that nothing
    /// acknowledged is lost or doubled and that the index and facets equal the store.
    #[arg(long, value_name = "N")]
    pub crash: Option<usize>,
    /// What the crash loop ingests (files or folders; repeatable; default: the `--reuters` folder).
    #[arg(long)]
    pub crash_input: Vec<PathBuf>,
    /// The seed of the crash loop's random moments and revisions.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The soak instead: this many seconds of mixed traffic (searches with facets, keystrokes,
    /// suggestions, lookups, exports, keyed writes and deletes) with feed ingests beside it,
    /// reported per tenth of the run with the server's memory, descriptors and threads.
    #[arg(long, value_name = "SECONDS")]
    pub soak: Option<u64>,
    /// Clients of the soak, each on its own connection.
    #[arg(long, default_value_t = 200)]
    pub connections: usize,
}

/// The shortest soak: one second per tenth.
const PARTS_MINIMUM: u64 = 10;

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

/// What every phase works from: the binary, the inputs, the work directory.
pub struct Bench {
    exe: PathBuf,
    reuters: PathBuf,
    files: Vec<PathBuf>,
    /// The query set's lines (query strings) and those that are only `q=`.
    query_lines: Vec<String>,
    plain_queries: Vec<String>,
    query_log: PathBuf,
    work: PathBuf,
    /// Where the default ingest lands and the server serves from.
    data_dir: PathBuf,
}

impl Bench {
    /// Checks the inputs and wipes the work directory.
    fn prepare(args: &BenchArgs) -> Result<Bench> {
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
        let plain_queries = query_lines
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
        Ok(Bench {
            exe: std::env::current_exe()?,
            reuters,
            files,
            query_lines,
            plain_queries,
            query_log: project_path(&args.query_log),
            data_dir: work.join("data"),
            work,
        })
    }

    fn store_path(&self) -> PathBuf {
        Settings { data_dir: self.data_dir.clone(), ..Settings::default() }.store_path()
    }
}

/// Runs the whole benchmark and prints a Markdown report.
pub fn run(_settings: &Settings, args: BenchArgs) -> Result<()> {
    if let Some(seconds) = args.soak {
        let soak = soak::SoakArgs {
            reuters: &project_path(&args.reuters),
            queries: &project_path(&args.queries),
            query_log: &project_path(&args.query_log),
            feeds: soak::default_feeds(),
            work: &project_path(&args.work_dir),
            seconds: seconds.max(PARTS_MINIMUM),
            connections: args.connections.max(1),
        };
        let report = soak::run(&std::env::current_exe()?, &soak)?;
        println!("machine: {}\n\n{}", process::machine(), report.join("\n"));
        return match report.last().is_some_and(|line| line.ends_with("result=ok")) {
            true => Ok(()),
            false => Err(Error::Internal("the soak missed its targets (above)".into())),
        };
    }
    if let Some(rounds) = args.crash {
        let inputs = match args.crash_input.is_empty() {
            true => crash::default_inputs(&args.reuters),
            false => args.crash_input.iter().map(|path| project_path(path)).collect(),
        };
        let report = crash::run(&std::env::current_exe()?, &inputs, &project_path(&args.work_dir), rounds, args.seed)?;
        println!("machine: {}\n\n{}", process::machine(), report.join("\n"));
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let bench = Bench::prepare(&args)?;
    let mut report = vec![format!("machine: {}", process::machine()), String::new()];
    if let Some(data_dir) = &args.loads_on {
        report.extend(scale::loads_on(&bench, &runtime, &project_path(data_dir), &args.load, args.requests)?);
        println!("{}", report.join("\n"));
        return Ok(());
    }
    if !args.scale.is_empty() {
        report.extend(scale::run(&bench, &runtime, &args.scale, &project_path(&args.corpus_dir), args.requests)?);
        println!("{}", report.join("\n"));
        return Ok(());
    }
    report.extend(ingest::phase(&bench, || Store::open(&bench.store_path())?.count_articles())?);
    let server = server::Server::start(&bench, &runtime)?;
    let loads = server::search_loads(&server, &runtime, &bench, args.requests)?;
    let exports = server::exports(&server, &runtime)?;
    let live = server::live_ingest(&server, &runtime, &bench)?;
    drop(server);
    report.extend(loads.report());
    report.extend(exports);
    report.extend(live);
    if !args.skip_peers {
        let store = Store::open(&bench.store_path())?;
        let requests = args.requests.max(bench.query_lines.len());
        report.extend(peers::phase(&runtime, &bench, &store, requests, &loads.plain)?);
    }
    println!("{}", report.join("\n"));
    Ok(())
}

/// `/v1/search?q=…` for a plain query.
fn search_path(query: &str) -> String {
    format!("/v1/search?{}", form_urlencoded::Serializer::new(String::new()).append_pair("q", query).finish())
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

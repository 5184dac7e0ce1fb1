//! `tidings bench --scale N …`: the growth curve. Reuters-21578 (about 20k stories) and a generated
//! corpus of each size asked for (`tidings corpus`, cached in `--corpus-dir`) are each ingested in
//! a child process, served, and loaded the same way, so every figure is read side by side across
//! sizes: ingest speed and memory, sizes on disk, start-up, server memory, and the analyst and
//! search-box loads at concurrency 1 and 32.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use super::ingest::{timed_ingest, Timed};
use super::loadgen::{self, LoadResult};
use super::process::{file_bytes, mb, process_memory, RssSampler};
use super::server::Server;
use super::{keystrokes, query_log_queries, search_path, Bench};
use crate::error::Result;
use crate::tooling::corpus::{self, CorpusArgs, CorpusSources};

/// The loads every point of the curve runs, in order.
const LOADS: [&str; 6] = [
    "search with facets",
    "mixed query set",
    "plain top-10",
    "instant keystrokes",
    "suggest keystrokes",
    "match-all with facets",
];

/// Each load stops sending after this long (a slow point gets fewer requests, so a 1M run stays
/// within minutes), and the warm-up before it after this.
const LOAD_LIMIT: Duration = Duration::from_secs(20);
const WARM_UP: Duration = Duration::from_secs(5);

/// One point of the curve.
pub struct Point {
    label: String,
    articles: u64,
    input_bytes: u64,
    ingest: Timed,
    /// Until `/healthz` and `/readyz` answered 200.
    healthy: Duration,
    ready: Duration,
    /// Until `/readyz` reported the views (suggestions, word list) built.
    views: Duration,
    /// [c=1, c=32] per load of [`LOADS`].
    loads: Vec<[LoadResult; 2]>,
    /// Server memory after all loads: resident in total, and anonymous (not file-backed).
    rss: u64,
    anonymous: u64,
    peak_rss: u64,
}

/// Measures Reuters and each scale; returns the report's lines.
pub fn run(
    bench: &Bench,
    runtime: &Runtime,
    scales: &[u64],
    corpus_dir: &Path,
    requests: usize,
) -> Result<Vec<String>> {
    let mut points = Vec::new();
    eprintln!("bench: growth curve, Reuters-21578 first…");
    let reuters_bytes = bench.files.iter().map(|file| file_bytes(file)).sum();
    points.push(measure(
        bench,
        runtime,
        "Reuters",
        &bench.files,
        reuters_bytes,
        &bench.work.join("scale-reuters"),
        requests,
    )?);
    for &articles in scales {
        let args = CorpusArgs {
            articles,
            out: corpus_dir.join(format!("{articles}")),
            files: if articles <= 200_000 { 1 } else { 10 },
            seed: 1,
            sources: CorpusSources {
                reuters: bench.reuters.clone(),
                bbc: PathBuf::from("../shared/data/bbc-news/bbc"),
                conll: PathBuf::from("../shared/data/ner/conll2003/train.txt"),
            },
        };
        eprintln!("bench: corpus of {articles} articles in {}…", args.out.display());
        let generated = corpus::generate(&args)?;
        let data_dir = bench.work.join(format!("scale-{articles}"));
        let label = format!(
            "{} ({} file{})",
            short(articles),
            generated.files.len(),
            if generated.files.len() == 1 { "" } else { "s" }
        );
        let point = measure(bench, runtime, &label, &generated.files, generated.bytes, &data_dir, requests)?;
        points.push(point);
        // A million articles take gigabytes: the next point needs the disk more than this one.
        std::fs::remove_dir_all(&data_dir)?;
    }
    Ok(table(&points))
}

fn short(articles: u64) -> String {
    match articles {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

fn measure(
    bench: &Bench,
    runtime: &Runtime,
    label: &str,
    files: &[PathBuf],
    input_bytes: u64,
    data_dir: &Path,
    requests: usize,
) -> Result<Point> {
    eprintln!("bench: {label}: ingesting {:.0} MB…", mb(input_bytes));
    let ingest = timed_ingest(&bench.exe, data_dir, &[], files)?;
    let articles = crate::store::Store::open(&data_dir.join("tidings.sqlite3"))?.count_articles()?;
    eprintln!("bench: {label}: {articles} articles in {:.1} s; starting the server…", ingest.seconds);
    let started = Instant::now();
    let server = Server::spawn(&bench.exe, data_dir)?;
    let healthy = wait(runtime, server.addr(), "/healthz", started);
    let ready = wait(runtime, server.addr(), "/readyz", started);
    // The loads start once the suggestions and the word list are built too.
    let views_ready = |body: &str| body.contains("\"views\":\"ready\"");
    runtime.block_on(loadgen::wait_until(server.addr(), "/readyz", Duration::from_secs(300), views_ready));
    let views = started.elapsed();
    let sampler = RssSampler::start(server.pid());
    let loads = run_loads(bench, runtime, &server, requests, &|_| true)?;
    let peak_rss = sampler.finish();
    let (rss, anonymous) = process_memory(server.pid());
    Ok(Point {
        label: label.into(),
        articles,
        input_bytes,
        ingest,
        healthy,
        ready,
        views,
        loads,
        rss,
        anonymous,
        peak_rss,
    })
}

/// How long after `started` the path first answered 200 (polled every 5 ms, at most two minutes).
fn wait(runtime: &Runtime, addr: SocketAddr, path: &str, started: Instant) -> Duration {
    runtime.block_on(loadgen::wait_for(addr, path, Duration::from_secs(120)));
    started.elapsed()
}

/// The loads named by `only` (every load when empty) against an existing data directory.
pub fn loads_on(
    bench: &Bench,
    runtime: &Runtime,
    data_dir: &Path,
    only: &[String],
    requests: usize,
) -> Result<Vec<String>> {
    let store = data_dir.join("tidings.sqlite3");
    if !store.is_file() {
        return Err(crate::error::Error::Config(format!(
            "--loads-on {}: no store there (tidings.sqlite3); ingest into it first",
            data_dir.display()
        )));
    }
    let articles = crate::store::Store::open(&store)?.count_articles()?;
    eprintln!("bench: serving {} ({articles} articles)…", data_dir.display());
    let started = Instant::now();
    let server = Server::spawn(&bench.exe, data_dir)?;
    let views_ready = |body: &str| body.contains("\"views\":\"ready\"");
    runtime.block_on(loadgen::wait_until(server.addr(), "/readyz", Duration::from_secs(300), views_ready));
    let views = started.elapsed();
    let chosen = |name: &str| only.is_empty() || only.iter().any(|wanted| name.contains(wanted.as_str()));
    let loads = run_loads(bench, runtime, &server, requests, &chosen)?;
    let (rss, anonymous) = process_memory(server.pid());
    let mut rows = vec![
        format!("## Loads on {} ({articles} articles)", data_dir.display()),
        String::new(),
        format!(
            "views built {:.2} s after start; server RSS after the loads {:.0} MB ({:.0} MB anonymous)",
            views.as_secs_f64(),
            mb(rss),
            mb(anonymous)
        ),
        String::new(),
        "| load | c=1: req/s, p50, p99 ms | c=32: req/s, p50, p99 ms |".to_string(),
        "|---|---|---|".to_string(),
    ];
    for (name, [single, many]) in LOADS.iter().filter(|name| chosen(name)).zip(&loads) {
        rows.push(format!("| {name} | {} | {} |", figures(single), figures(many)));
    }
    rows.push(String::new());
    Ok(rows)
}

/// A load's throughput and latency percentiles, and its errors if any.
fn figures(load: &LoadResult) -> String {
    let errors = if load.errors > 0 { format!(", **{} errors**", load.errors) } else { String::new() };
    format!("{:.0}, {:.1}, {:.1}{errors}", load.qps(), load.percentile_ms(0.5), load.percentile_ms(0.99))
}

fn run_loads(
    bench: &Bench,
    runtime: &Runtime,
    server: &Server,
    requests: usize,
    chosen: &dyn Fn(&str) -> bool,
) -> Result<Vec<[LoadResult; 2]>> {
    let logged = query_log_queries(&bench.query_log)?;
    let typed = keystrokes(&logged);
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let plain: Vec<String> = bench.plain_queries.iter().map(|query| search_path(query)).collect();
    let paths: [Vec<String>; 6] = [
        plain.iter().map(|path| format!("{path}&facets=person,place,source")).collect(),
        bench.query_lines.iter().map(|line| format!("/v1/search?{line}")).collect(),
        plain,
        typed.iter().map(|text| format!("/v1/search?mode=instant&limit=5&q={}", encode(text))).collect(),
        typed.iter().map(|text| format!("/v1/suggest?q={}", encode(text))).collect(),
        vec!["/v1/search?facets=person,place,source,topic&histogram=year".to_string()],
    ];
    let mut results = Vec::new();
    for (name, paths) in LOADS.iter().zip(paths).filter(|(name, _)| chosen(name)) {
        let paths = Arc::new(paths);
        // Match-all is one heavy request: fewer of them.
        let total = if paths.len() == 1 { (requests / 20).max(20) } else { requests };
        eprintln!("bench:   {name}…");
        let load = |concurrency: usize, total: usize, limit: Duration| {
            runtime.block_on(loadgen::run_for(server.addr(), Arc::clone(&paths), concurrency, total, limit))
        };
        load(1, paths.len().min(total), WARM_UP)?;
        let single = load(1, total, LOAD_LIMIT)?;
        let many = load(32, total * 2, LOAD_LIMIT)?;
        results.push([single, many]);
    }
    Ok(results)
}

/// The curve as one table: a row per figure, a column per point.
fn table(points: &[Point]) -> Vec<String> {
    let mut rows = vec![
        "## Growth curve (`--scale`)".to_string(),
        String::new(),
        format!("| figure | {} |", points.iter().map(|point| point.label.as_str()).collect::<Vec<_>>().join(" | ")),
        format!("|---|{}", "---|".repeat(points.len())),
    ];
    let mut row = |name: &str, cell: &dyn Fn(&Point) -> String| {
        rows.push(format!("| {name} | {} |", points.iter().map(cell).collect::<Vec<_>>().join(" | ")));
    };
    row("articles", &|point| point.articles.to_string());
    row("input", &|point| format!("{:.0} MB", mb(point.input_bytes)));
    row("ingest", &|point| {
        format!(
            "{:.1} s, {:.0} docs/s, {:.1} MB/s",
            point.ingest.seconds,
            point.articles as f64 / point.ingest.seconds,
            mb(point.input_bytes) / point.ingest.seconds
        )
    });
    row("ingest peak RSS", &|point| format!("{:.0} MB", mb(point.ingest.peak_rss)));
    row("store / input", &|point| {
        format!(
            "{:.0} MB ({:.2}×)",
            mb(point.ingest.store_bytes),
            point.ingest.store_bytes as f64 / point.input_bytes.max(1) as f64
        )
    });
    row("index", &|point| format!("{:.0} MB", mb(point.ingest.index_bytes)));
    row("start: /healthz, /readyz, views built", &|point| {
        format!(
            "{:.2} s, {:.2} s, {:.2} s",
            point.healthy.as_secs_f64(),
            point.ready.as_secs_f64(),
            point.views.as_secs_f64()
        )
    });
    row("server RSS after the loads (anonymous)", &|point| {
        format!("{:.0} MB ({:.0} MB)", mb(point.rss), mb(point.anonymous))
    });
    row("server peak RSS under the loads", &|point| format!("{:.0} MB", mb(point.peak_rss)));
    for (index, name) in LOADS.iter().enumerate() {
        for (level, concurrency) in [(0, 1), (1, 32)] {
            row(&format!("{name}, c={concurrency}: req/s, p50, p99 ms"), &|point| figures(&point.loads[index][level]));
        }
    }
    rows.push(String::new());
    rows.push(
        "search with facets: the plain queries with `facets=person,place,source`; instant: every keystroke prefix of \
         the AOL sample's queries as `mode=instant&limit=5`; match-all: `facets=person,place,source,topic&histogram=year` \
         with no query"
            .into(),
    );
    rows.push(String::new());
    rows
}

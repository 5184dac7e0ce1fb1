//! `tidings bench --soak SECONDS`: a server over Reuters-21578 under `--connections` clients of
//! mixed traffic for SECONDS — analyst searches with facets, as-you-type keystrokes, suggestions,
//! article lookups, exports, keyed writes and deletes — while a feed ingest runs beside it again
//! and again. Reports the answers by status, and per tenth of the run the requests, latency
//! percentiles and the server's resident memory, open descriptors and threads. The run passes
//! with no 5xx and no error but a deliberate 4xx (an article deleted meanwhile) or 429, memory
//! flat (the last tenth within 10% of the second) and no growth in descriptors or threads (the
//! last tenth no higher than the first half's most).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::loadgen::{self, percentile_ms};
use super::process::{mb, process_memory};
use super::server::Server;
use super::{keystrokes, query_log_queries, search_path};
use crate::config::{project_path, Settings};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::tooling::random::Random;

const KEY: &str = "soak-admin-key-4b1d9e7a2c";
/// The run is reported in this many equal parts (minutes of a ten-minute soak).
const PARTS: usize = 10;

/// What the clients ask for, with how often (out of 100).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Instant,
    Suggest,
    Search,
    Article,
    Export,
    Write,
    Delete,
}

/// Writes and deletes balance (each client deletes what it wrote), so the archive keeps its
/// size and memory that grows is memory kept, not a larger archive.
const MIX: [(Kind, u64); 7] = [
    (Kind::Instant, 38),
    (Kind::Suggest, 15),
    (Kind::Search, 23),
    (Kind::Article, 12),
    (Kind::Export, 2),
    (Kind::Write, 5),
    (Kind::Delete, 5),
];

/// One answer: when (part of the run), what, its status (0: no answer), its latency.
struct Answer {
    part: usize,
    kind: Kind,
    status: u16,
    micros: u64,
}

/// What the server looked like at the end of one part.
#[derive(Clone, Copy, Default)]
struct Sample {
    rss: u64,
    anon: u64,
    fds: usize,
    threads: usize,
}

fn sample(pid: u32) -> Sample {
    let (rss, anon) = process_memory(pid);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|entries| entries.count()).unwrap_or(0);
    let threads = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| line.strip_prefix("Threads:").and_then(|n| n.trim().parse().ok()))
        })
        .unwrap_or(0);
    Sample { rss, anon, fds, threads }
}

/// The request pools the clients draw from.
struct Pools {
    searches: Vec<String>,
    keystrokes: Vec<String>,
    ids: Vec<String>,
    bodies: Vec<(String, String)>,
}

pub struct SoakArgs<'a> {
    pub reuters: &'a Path,
    pub queries: &'a Path,
    pub query_log: &'a Path,
    pub feeds: PathBuf,
    pub work: &'a Path,
    pub seconds: u64,
    pub connections: usize,
}

pub fn run(exe: &Path, args: &SoakArgs) -> Result<Vec<String>> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if args.work.exists() {
        std::fs::remove_dir_all(args.work)?;
    }
    let data = args.work.join("data");
    let status = Command::new(exe)
        .arg("--data-dir")
        .arg(&data)
        .arg("ingest")
        .arg(args.reuters)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(Error::Internal(format!("the soak's ingest of {} failed: {status}", args.reuters.display())));
    }
    let pools = Arc::new(pools(&data, args)?);
    let log = std::fs::File::create(args.work.join("server.log"))?;
    let server = Server::spawn_with(exe, &data, &[("TIDINGS_API_KEYS", KEY), ("TIDINGS_LOG", "warn")], log.into())?;
    if !runtime.block_on(loadgen::wait_for(server.addr(), "/readyz", Duration::from_secs(120))) {
        return Err(Error::Internal("the soak's server did not become ready".into()));
    }
    let pid = server.pid();
    let part = Duration::from_secs_f64(args.seconds as f64 / PARTS as f64);
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let feeds = feed_ingests(exe, &data, &args.feeds, Arc::clone(&stop));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|error| Error::Internal(error.to_string()))?;
    let base = format!("http://{}", server.addr());
    let clients: Vec<_> = (0..args.connections)
        .map(|client| {
            let (http, base, pools, stop) = (http.clone(), base.clone(), Arc::clone(&pools), Arc::clone(&stop));
            runtime.spawn(client_loop(client, http, base, pools, stop, started, part))
        })
        .collect();
    let mut samples = Vec::with_capacity(PARTS);
    for number in 1..=PARTS {
        let until = started + part.mul_f64(number as f64);
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
        samples.push(sample(pid));
    }
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(runtime.block_on(client).map_err(|error| Error::Internal(error.to_string()))?);
    }
    let feed_runs = feeds.join().map_err(|_| Error::Internal("the feed ingest loop panicked".into()))?;
    let panics = std::fs::read_to_string(args.work.join("server.log"))?.matches("panicked").count();
    server.kill();
    Ok(report(args, &answers, &samples, feed_runs, panics))
}

fn pools(data: &Path, args: &SoakArgs) -> Result<Pools> {
    let store = Store::open(&Settings { data_dir: data.to_path_buf(), ..Settings::default() }.store_path())?;
    let articles = store.articles_after(0, 2_000)?;
    let lines = std::fs::read_to_string(args.queries)?;
    let searches = lines
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            // Every search asks for facets and a histogram (the query set's own, else these).
            let mut path = format!("/v1/search?{line}");
            if !line.contains("facets=") {
                path.push_str("&facets=person,place,source");
            }
            if !line.contains("histogram=") {
                path.push_str("&histogram=month");
            }
            path
        })
        .collect();
    let typed: Vec<String> = query_log_queries(args.query_log).unwrap_or_default().into_iter().take(400).collect();
    let typed = if typed.is_empty() { vec!["oil prices".to_string(), "bank of england".to_string()] } else { typed };
    Ok(Pools {
        searches,
        keystrokes: keystrokes(&typed),
        ids: articles.iter().map(|stored| stored.id.as_str().to_string()).collect(),
        bodies: articles
            .iter()
            .filter(|stored| !stored.article.title.is_empty() && !stored.article.body.is_empty())
            .map(|stored| (stored.article.title.clone(), stored.article.body.clone()))
            .collect(),
    })
}

/// Ingests the feed fixtures again and again until `stop`; how many runs finished.
fn feed_ingests(exe: &Path, data: &Path, feeds: &Path, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    let (exe, data, feeds) = (exe.to_path_buf(), data.to_path_buf(), feeds.to_path_buf());
    std::thread::spawn(move || {
        let mut runs = 0;
        while !stop.load(Ordering::Relaxed) {
            let status = Command::new(&exe)
                .arg("--data-dir")
                .arg(&data)
                .arg("ingest")
                .arg(&feeds)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if status.is_ok_and(|status| status.success()) {
                runs += 1;
            }
            std::thread::sleep(Duration::from_secs(5));
        }
        runs
    })
}

async fn client_loop(
    client: usize,
    http: reqwest::Client,
    base: String,
    pools: Arc<Pools>,
    stop: Arc<AtomicBool>,
    started: Instant,
    part: Duration,
) -> Vec<Answer> {
    let mut random = Random(client as u64);
    let mut next = move || random.next_u64();
    let mut answers = Vec::new();
    let mut written: Vec<String> = Vec::new();
    let mut typed = (next() % pools.keystrokes.len().max(1) as u64) as usize;
    let mut serial = 0;
    while !stop.load(Ordering::Relaxed) {
        let roll = next() % 100;
        let mut kind = MIX.iter().scan(0, |sum, (kind, weight)| {
            *sum += weight;
            Some((*kind, *sum))
        });
        let kind = kind.find(|(_, sum)| roll < *sum).map_or(Kind::Search, |(kind, _)| kind);
        let pick = |pool: &[String], roll: u64| pool[(roll % pool.len() as u64) as usize].clone();
        let request = match kind {
            Kind::Instant => {
                typed = (typed + 1) % pools.keystrokes.len();
                http.get(format!("{base}/v1/search?mode=instant&limit=5&q={}", encode(&pools.keystrokes[typed])))
            }
            Kind::Suggest => http.get(format!("{base}/v1/suggest?q={}", encode(&pick(&pools.keystrokes, next())))),
            Kind::Search => http.get(format!("{base}{}", pick(&pools.searches, next()))),
            Kind::Article => http.get(format!("{base}/v1/articles/{}", pick(&pools.ids, next()))),
            Kind::Export => http
                .get(format!("{base}{}&format=csv&limit=500", search_path("oil").replace("/v1/search", "/v1/export"))),
            Kind::Write => {
                serial += 1;
                let (title, body) = &pools.bodies[(next() % pools.bodies.len() as u64) as usize];
                let key = format!("soak-{client}-{serial}");
                let article = serde_json::json!({
                    "id": key, "title": title, "body": format!("{body}\n\nSoak {key}."), "source": "Soak"
                });
                http.post(format!("{base}/v1/articles")).bearer_auth(KEY).body(article.to_string())
            }
            Kind::Delete => match written.pop() {
                Some(id) => http.delete(format!("{base}/v1/articles/{id}")).bearer_auth(KEY),
                None => continue,
            },
        };
        let sent = Instant::now();
        let status = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(body) => {
                        if kind == Kind::Write && status == 200 {
                            let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                            written.extend(
                                answer["ids"]
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .filter_map(|id| id.as_str().map(String::from)),
                            );
                        }
                        status
                    }
                    Err(_) => 0,
                }
            }
            Err(_) => 0,
        };
        let part = ((sent - started).as_secs_f64() / part.as_secs_f64()) as usize;
        answers.push(Answer { part: part.min(PARTS - 1), kind, status, micros: sent.elapsed().as_micros() as u64 });
    }
    answers
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Whether an answer of `kind` with `status` is one the server gives on purpose.
fn deliberate(kind: Kind, status: u16) -> bool {
    match status {
        200..=299 => true,
        429 => true,
        // An article another client deleted meanwhile; a delete racing the feed ingest's writes.
        404 => matches!(kind, Kind::Article | Kind::Delete),
        _ => false,
    }
}

fn report(args: &SoakArgs, answers: &[Answer], samples: &[Sample], feed_runs: usize, panics: usize) -> Vec<String> {
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut by_kind: BTreeMap<Kind, (usize, usize, Vec<u64>)> = BTreeMap::new();
    let mut errors = 0;
    for answer in answers {
        *by_status.entry(answer.status).or_default() += 1;
        let entry = by_kind.entry(answer.kind).or_default();
        entry.0 += 1;
        entry.2.push(answer.micros);
        if !deliberate(answer.kind, answer.status) {
            entry.1 += 1;
            errors += 1;
        }
    }
    for (_, _, latencies) in by_kind.values_mut() {
        latencies.sort_unstable();
    }
    let server_errors: usize = by_status.iter().filter(|(status, _)| **status >= 500).map(|(_, count)| count).sum();
    let part_seconds = args.seconds as f64 / PARTS as f64;
    let mut lines = vec![
        format!(
            "## Soak: {} s at {} connections over Reuters-21578, feed ingests beside it",
            args.seconds, args.connections
        ),
        String::new(),
        format!("| part ({part_seconds:.0} s) | requests | req/s | p50 ms | p99 ms | errors | RSS MB | anonymous MB | fds | threads |"),
        "|---|---|---|---|---|---|---|---|---|---|".into(),
    ];
    for (part, sample) in samples.iter().enumerate() {
        let mut latencies: Vec<u64> = answers
            .iter()
            .filter(|answer| answer.part == part && answer.status != 0)
            .map(|answer| answer.micros)
            .collect();
        latencies.sort_unstable();
        let errors =
            answers.iter().filter(|answer| answer.part == part && !deliberate(answer.kind, answer.status)).count();
        lines.push(format!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {errors} | {:.0} | {:.0} | {} | {} |",
            part + 1,
            latencies.len(),
            latencies.len() as f64 / part_seconds,
            percentile_ms(&latencies, 0.5),
            percentile_ms(&latencies, 0.99),
            mb(sample.rss),
            mb(sample.anon),
            sample.fds,
            sample.threads
        ));
    }
    let statuses: Vec<String> = by_status.iter().map(|(status, count)| format!("{status}×{count}")).collect();
    let kinds: Vec<String> = by_kind
        .iter()
        .map(|(kind, (count, errors, latencies))| {
            format!(
                "{kind:?} {count} ({errors} errors, p50 {:.1} ms, p99 {:.1} ms)",
                percentile_ms(latencies, 0.5),
                percentile_ms(latencies, 0.99)
            )
        })
        .collect();
    lines.push(String::new());
    lines.push(format!("answers by status: {} (0: no answer)", statuses.join(", ")));
    lines.push(format!("requests: {}; feed ingests finished beside them: {feed_runs}", kinds.join(", ")));
    // Memory: the last part against the second (the first warms caches up). Descriptors and
    // threads come and go with connections and the blocking pool: the last part against the most
    // the first half held, so only a count that keeps rising shows.
    let (second, last) = (samples.get(1).copied().unwrap_or_default(), samples.last().copied().unwrap_or_default());
    let growth = |from: u64, to: u64| if from == 0 { 0.0 } else { (to as f64 - from as f64) * 100.0 / from as f64 };
    let rss_growth = growth(second.rss, last.rss);
    let first_half = &samples[..samples.len() / 2];
    let fd_growth = last.fds as i64 - first_half.iter().map(|sample| sample.fds).max().unwrap_or(0) as i64;
    let thread_growth = last.threads as i64 - first_half.iter().map(|sample| sample.threads).max().unwrap_or(0) as i64;
    let ok =
        server_errors == 0 && errors == 0 && panics == 0 && rss_growth <= 10.0 && fd_growth <= 0 && thread_growth <= 0;
    lines.push(format!(
        "soak seconds={} connections={} requests={} status_5xx={server_errors} errors={errors} panics={panics} \
         rss_growth_pct={rss_growth:.1} fd_growth={fd_growth} thread_growth={thread_growth} result={}",
        args.seconds,
        args.connections,
        answers.len(),
        if ok { "ok" } else { "failed" }
    ));
    lines
}

/// The feed fixtures the soak ingests beside the traffic.
pub fn default_feeds() -> PathBuf {
    project_path(Path::new("tests/fixtures/feeds"))
}

//! Phases 2 and 3: `tidings serve` in a child process over the ingested articles, loaded over HTTP
//! (the query set, plain queries, keystroke suggestions and as-you-type searches at concurrency 1
//! and 32, exports), then a live ingest and how soon it is searchable.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use super::ingest::ingest_command;
use super::loadgen::{self, LoadResult};
use super::process::{free_port, mb, process_rss, Guard, RssSampler};
use super::{keystrokes, load_line, query_log_queries, search_path, Bench};
use crate::error::{Error, Result};

/// The server under test.
pub struct Server {
    guard: Guard,
    addr: SocketAddr,
}

impl Server {
    /// Starts `tidings serve` on the bench's data directory and waits until it is ready.
    pub fn start(bench: &Bench, runtime: &Runtime) -> Result<Server> {
        let server = Server::spawn(&bench.exe, &bench.data_dir)?;
        if !runtime.block_on(loadgen::wait_for(server.addr, "/readyz", Duration::from_secs(60))) {
            return Err(Error::Internal("the server did not become ready".into()));
        }
        Ok(server)
    }

    /// Starts `tidings serve` on a data directory without waiting for it.
    pub fn spawn(exe: &Path, data_dir: &Path) -> Result<Server> {
        Server::spawn_with(exe, data_dir, &[], Stdio::inherit())
    }

    /// As [`Server::spawn`], with more environment variables (configuration) set and its log
    /// (standard error) sent to `log`.
    pub fn spawn_with(exe: &Path, data_dir: &Path, env: &[(&str, &str)], log: Stdio) -> Result<Server> {
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
        let mut command = Command::new(exe);
        command
            .arg("--data-dir")
            .arg(data_dir)
            .arg("serve")
            .arg("--addr")
            .arg(addr.to_string())
            .env("TIDINGS_LOG", "warn")
            .env("TIDINGS_EXPORT_MAX_ROWS", "25000")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log);
        Ok(Server { guard: Guard(command.spawn()?), addr })
    }

    /// Kills the server (SIGKILL) and reaps it.
    pub fn kill(mut self) {
        let _ = self.guard.0.kill();
        let _ = self.guard.0.wait();
    }

    pub fn pid(&self) -> u32 {
        self.guard.0.id()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn load(
        &self,
        runtime: &Runtime,
        paths: &Arc<Vec<String>>,
        concurrency: usize,
        total: usize,
    ) -> Result<LoadResult> {
        Ok(runtime.block_on(loadgen::run(self.addr, Arc::clone(paths), concurrency, total))?)
    }
}

/// What the search loads measured.
pub struct SearchLoads {
    pub mixed: [LoadResult; 2],
    pub plain: [LoadResult; 2],
    pub suggest: [LoadResult; 2],
    pub instant: [LoadResult; 2],
    /// Peak server RSS under the mixed and plain c=32 loads, and under the search-box loads.
    pub search_rss: u64,
    pub search_box_rss: u64,
    pub keystrokes: usize,
    pub logged_queries: usize,
}

impl SearchLoads {
    /// The HTTP table and the lines under it.
    pub fn report(&self) -> Vec<String> {
        let named = [
            ("mixed", &self.mixed),
            ("plain top-10", &self.plain),
            ("suggest, keystrokes", &self.suggest),
            ("instant search, keystrokes", &self.instant),
        ];
        let mut rows = vec![
            "## tidings over HTTP (snippets on every hit; the mixed set adds filters, date ranges, facets, histograms)"
                .into(),
            String::new(),
            "| run | QPS | p50 ms | p95 ms | p99 ms | errors |".into(),
            "|---|---|---|---|---|---|".into(),
        ];
        for (name, [single, many]) in named {
            rows.push(load_line(&format!("{name}, c=1 ({} requests)", single.requests), single));
            rows.push(load_line(&format!("{name}, c=32 ({} requests)", many.requests), many));
        }
        rows.extend([
            String::new(),
            format!(
                "keystrokes: {} prefixes of the {} plain queries of the AOL sample, in typing order",
                self.keystrokes, self.logged_queries
            ),
            format!("server peak RSS under the mixed and plain c=32 loads: {:.0} MB", mb(self.search_rss)),
            format!("server peak RSS under the suggestion and as-you-type loads: {:.0} MB", mb(self.search_box_rss)),
            String::new(),
        ]);
        rows
    }
}

/// The query set (mixed and plain) at concurrency 1 and 32, then keystroke-by-keystroke
/// suggestions and as-you-type searches of the query log.
pub fn search_loads(server: &Server, runtime: &Runtime, bench: &Bench, requests: usize) -> Result<SearchLoads> {
    let mixed: Arc<Vec<String>> = Arc::new(bench.query_lines.iter().map(|line| format!("/v1/search?{line}")).collect());
    let plain: Arc<Vec<String>> = Arc::new(bench.plain_queries.iter().map(|query| search_path(query)).collect());
    eprintln!("bench: {} queries ({} plain); warming up…", mixed.len(), plain.len());
    server.load(runtime, &mixed, 1, mixed.len())?;
    let requests = requests.max(mixed.len());
    eprintln!("bench: tidings at concurrency 1 and 32…");
    let mixed_1 = server.load(runtime, &mixed, 1, requests)?;
    let sampler = RssSampler::start(server.pid());
    let mixed_32 = server.load(runtime, &mixed, 32, requests * 4)?;
    let plain_1 = server.load(runtime, &plain, 1, requests)?;
    let plain_32 = server.load(runtime, &plain, 32, requests * 4)?;
    let search_rss = sampler.finish();

    let sampler = RssSampler::start(server.pid());
    let logged = query_log_queries(&bench.query_log)?;
    let typed = keystrokes(&logged);
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let suggest: Arc<Vec<String>> =
        Arc::new(typed.iter().map(|text| format!("/v1/suggest?q={}", encode(text))).collect());
    let instant: Arc<Vec<String>> =
        Arc::new(typed.iter().map(|text| format!("/v1/search?mode=instant&limit=8&q={}", encode(text))).collect());
    eprintln!("bench: {} keystrokes: suggestions and as-you-type search…", typed.len());
    server.load(runtime, &suggest, 1, suggest.len())?;
    let suggest_1 = server.load(runtime, &suggest, 1, requests * 4)?;
    let suggest_32 = server.load(runtime, &suggest, 32, requests * 16)?;
    let instant_1 = server.load(runtime, &instant, 1, requests)?;
    let instant_32 = server.load(runtime, &instant, 32, requests * 4)?;
    Ok(SearchLoads {
        mixed: [mixed_1, mixed_32],
        plain: [plain_1, plain_32],
        suggest: [suggest_1, suggest_32],
        instant: [instant_1, instant_32],
        search_rss,
        search_box_rss: sampler.finish(),
        keystrokes: typed.len(),
        logged_queries: logged.len(),
    })
}

/// The server's memory while streaming 1,000 and then 20,000 rows of one export.
pub fn exports(server: &Server, runtime: &Runtime) -> Result<Vec<String>> {
    let mut rows = vec![
        "### Export (`/v1/export?format=csv`, all articles newest first, streamed)".into(),
        String::new(),
        "| rows asked | status | rows received | CSV size | seconds | server RSS before | peak during | growth |"
            .into(),
        "|---|---|---|---|---|---|---|---|".into(),
    ];
    for asked in [1_000usize, 20_000] {
        let before = process_rss(server.pid());
        let sampler = RssSampler::start(server.pid());
        let started = Instant::now();
        let (status, body) =
            runtime.block_on(loadgen::get(server.addr, &format!("/v1/export?format=csv&limit={asked}")))?;
        let seconds = started.elapsed().as_secs_f64();
        let peak = sampler.finish();
        let lines = body.matches("\r\n").count().saturating_sub(1);
        rows.push(format!(
            "| {asked} | {status} | {lines} | {:.1} MB | {seconds:.2} | {:.0} MB | {:.0} MB | {:+.1} MB |",
            mb(body.len() as u64),
            mb(before),
            mb(peak),
            mb(peak) - mb(before)
        ));
    }
    rows.push(String::new());
    Ok(rows)
}

/// A second `tidings ingest` of one article while the server runs, and how soon it is found.
pub fn live_ingest(server: &Server, runtime: &Runtime, bench: &Bench) -> Result<Vec<String>> {
    let marker = format!("benchmarker{}", std::process::id());
    let live_file = bench.work.join("live.jsonl");
    std::fs::write(&live_file, format!("{{\"id\":\"{marker}\",\"title\":\"Live {marker}\",\"body\":\"Ingested during the benchmark.\",\"source\":\"bench\"}}\n"))?;
    let started = Instant::now();
    let status = ingest_command(&bench.exe, &bench.data_dir).arg(&live_file).stderr(Stdio::null()).status()?;
    let ingest_done = started.elapsed();
    let mut last_answer = String::new();
    let live_delay = runtime.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match loadgen::get(server.addr, &format!("/v1/search?q={marker}")).await {
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
    let mut rows = vec![format!(
        "live ingest: `tidings ingest` of one article took {:.0} ms; searchable {} after it started ({} ms after it finished)",
        ingest_done.as_secs_f64() * 1000.0,
        live_delay
            .map(|delay| format!("{:.0} ms", delay.as_secs_f64() * 1000.0))
            .unwrap_or_else(|| format!("NOT within 30 s (last answer: {last_answer})")),
        live_delay.map(|delay| format!("{:.0}", (delay.saturating_sub(ingest_done)).as_secs_f64() * 1000.0)).unwrap_or_else(|| "-".into())
    )];
    if !status.success() {
        rows.push(format!("live ingest exited with {status}"));
    }
    rows.push(String::new());
    Ok(rows)
}

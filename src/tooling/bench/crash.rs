//! `tidings bench --crash N`: N times kill -9 a running ingest, and N times kill -9 the server
//! while clients write and delete through the API, each at a random moment; after every kill,
//! restart and check that nothing acknowledged was lost or doubled, that the store is sound,
//! that the index holds exactly the store (documents, sequence, every article's title and body)
//! and that the facets count what the store holds; at the end of each half, that `reindex`
//! rebuilds an index that answers the same.
//!
//! The ingest half ingests the input once for reference, dumps it, and then, each round,
//! ingests a revision of the dump (about half of the bodies changed) and kills it: every article
//! must then be at its previous or its new version; a rerun of the same ingest must leave the
//! store equal to the revision, article for article. The server half keeps, per client, what
//! each key may be: a write or delete the server acknowledged has one outcome, one in flight
//! when the server died has two.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::runtime::Runtime;

use super::loadgen;
use super::server::Server;
use crate::config::{project_path, Settings};
use crate::error::{Error, Result};
use crate::index::{content_digest, verify, SearchIndex};
use crate::store::Store;
use crate::tooling::random::Random;

/// The admin key the loop's servers accept for writes.
const KEY: &str = "crash-loop-admin-key-5f1c0a9e";
/// Clients writing at once in the server half.
const CLIENTS: usize = 4;
/// Every key the server half writes starts with this.
const PREFIX: &str = "crash:";
/// How long a restarted server may take to answer and to catch its index up.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// A moment within `longest`, uniformly: when a kill falls.
fn moment(rng: &mut Random, longest: Duration) -> Duration {
    Duration::from_micros(rng.next_u64() % (longest.as_micros() as u64 + 1))
}

/// What the loop counted; every `problem` is a broken promise.
#[derive(Default)]
struct Tally {
    ingest_kills: usize,
    ingests_done_before_kill: usize,
    server_kills: usize,
    acknowledged_writes: usize,
    acknowledged_updates: usize,
    acknowledged_deletes: usize,
    in_flight: usize,
    statuses: BTreeMap<u16, usize>,
    reindexes: usize,
    problems: Vec<String>,
}

impl Tally {
    fn problem(&mut self, round: &str, what: String) {
        if self.problems.len() < 200 {
            self.problems.push(format!("{round}: {what}"));
        }
    }
}

/// The store as the loop checks it: source key → (article id, digest of title and body).
type State = HashMap<String, (String, u64)>;

fn store_state(store: &Store) -> Result<State> {
    let mut state = State::new();
    let mut seq = 0;
    loop {
        let batch = store.articles_after(seq, 1_000)?;
        let Some(last) = batch.last() else { return Ok(state) };
        seq = last.seq;
        for stored in batch {
            let digest = content_digest(&stored.article.title, &stored.article.body);
            state.insert(stored.article.source_key, (stored.id.as_str().to_string(), digest));
        }
    }
}

/// Runs the loop: `rounds` ingest kills, then `rounds` server kills; prints the report and fails
/// when any check failed.
pub fn run(exe: &Path, inputs: &[PathBuf], work: &Path, rounds: usize, seed: u64) -> Result<Vec<String>> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if work.exists() {
        std::fs::remove_dir_all(work)?;
    }
    std::fs::create_dir_all(work)?;
    let mut crash = Loop {
        exe: exe.to_path_buf(),
        work: work.to_path_buf(),
        data: work.join("data"),
        runtime,
        rng: Random(seed),
        tally: Tally::default(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|error| Error::Internal(error.to_string()))?,
    };
    let started = Instant::now();
    let base = crash.reference(inputs)?;
    let stored = crash.ingest_half(&base, rounds)?;
    crash.server_half(&base, &stored, rounds)?;
    let tally = &crash.tally;
    let inputs: Vec<String> = inputs.iter().map(|path| path.display().to_string()).collect();
    let statuses: Vec<String> = tally.statuses.iter().map(|(status, count)| format!("{status}×{count}")).collect();
    let mut report = vec![
        format!("## Crash loop (seed {seed}, {} articles from {})", base.len(), inputs.join(", ")),
        String::new(),
        format!(
            "- ingest killed {} times ({} had finished before their kill); after each kill the store was sound, \
             every article at its previous or its new version, and a server started on it caught the index up to \
             exactly the store; the rerun left the store equal to the revision, article for article",
            tally.ingest_kills, tally.ingests_done_before_kill
        ),
        format!(
            "- server killed {} times during writes by {CLIENTS} clients: {} new articles, {} updates and {} deletes \
             acknowledged, {} requests in flight at the kills; answers {}",
            tally.server_kills,
            tally.acknowledged_writes,
            tally.acknowledged_updates,
            tally.acknowledged_deletes,
            tally.in_flight,
            statuses.join(", ")
        ),
        format!("- reindex compared {} times (facets and totals before and after)", tally.reindexes),
        format!("- {:.0} s", started.elapsed().as_secs_f64()),
    ];
    report.extend(tally.problems.iter().map(|problem| format!("- PROBLEM {problem}")));
    report.push(format!(
        "crash ingest_kills={} server_kills={} acknowledged={} problems={} result={}",
        tally.ingest_kills,
        tally.server_kills,
        tally.acknowledged_writes + tally.acknowledged_updates + tally.acknowledged_deletes,
        tally.problems.len(),
        if tally.problems.is_empty() { "ok" } else { "failed" }
    ));
    if !tally.problems.is_empty() {
        println!("{}", report.join("\n"));
        return Err(Error::Internal(format!("the crash loop found {} problems (above)", tally.problems.len())));
    }
    Ok(report)
}

struct Loop {
    exe: PathBuf,
    work: PathBuf,
    /// The data directory the loop crashes.
    data: PathBuf,
    runtime: Runtime,
    rng: Random,
    tally: Tally,
    http: reqwest::Client,
}

impl Loop {
    fn settings(&self) -> Settings {
        Settings { data_dir: self.data.clone(), ..Settings::default() }
    }

    fn ingest_command(&self, data: &Path, inputs: &[PathBuf]) -> Command {
        let mut command = Command::new(&self.exe);
        command.arg("--data-dir").arg(data).arg("ingest").args(inputs).stdout(Stdio::null()).stderr(Stdio::null());
        command
    }

    /// Ingests the input once, untouched by kills, and dumps it: the articles (JSON objects)
    /// every revision is made from.
    fn reference(&mut self, inputs: &[PathBuf]) -> Result<Vec<Value>> {
        let reference = self.work.join("reference");
        let status = self.ingest_command(&reference, inputs).status()?;
        if !status.success() {
            return Err(Error::Internal(format!("the reference ingest failed: {status}")));
        }
        let store = Store::open(&Settings { data_dir: reference, ..Settings::default() }.store_path())?;
        let dump = self.work.join("reference.jsonl");
        crate::ingest::dump::dump_to_file(&store, &dump)?;
        let base: Vec<Value> = std::fs::read_to_string(&dump)?
            .lines()
            .map(|line| serde_json::from_str(line).map_err(|error| Error::Internal(error.to_string())))
            .collect::<Result<_>>()?;
        if base.is_empty() {
            return Err(Error::Config("the crash loop's input holds no articles".into()));
        }
        Ok(base)
    }

    /// How long one whole ingest of `input` takes into a fresh directory: the window kills fall in.
    fn time_ingest(&self, input: &Path) -> Result<Duration> {
        let scratch = self.work.join("timing");
        let started = Instant::now();
        let status = self.ingest_command(&scratch, &[input.to_path_buf()]).status()?;
        let took = started.elapsed();
        std::fs::remove_dir_all(&scratch)?;
        if !status.success() {
            return Err(Error::Internal(format!("the timing ingest failed: {status}")));
        }
        Ok(took)
    }

    /// The ingest half; returns the store's articles at its end (source key → digest).
    fn ingest_half(&mut self, base: &[Value], rounds: usize) -> Result<HashMap<String, u64>> {
        let input = self.work.join("revision.jsonl");
        let mut previous: HashMap<String, u64> = HashMap::new();
        let mut window = None;
        for round in 0..rounds {
            let name = format!("ingest round {round}");
            let revision = self.revise(base, round);
            let expected: HashMap<String, u64> =
                revision.iter().map(|(key, digest, _)| (key.clone(), *digest)).collect();
            let lines: Vec<&str> = revision.iter().map(|(_, _, line)| line.as_str()).collect();
            std::fs::write(&input, lines.join("\n") + "\n")?;
            let window = match window {
                Some(window) => window,
                None => *window.insert(self.time_ingest(&input)?),
            };
            let mut child = self.ingest_command(&self.data, std::slice::from_ref(&input)).spawn()?;
            std::thread::sleep(moment(&mut self.rng, window));
            if child.try_wait()?.is_some() {
                self.tally.ingests_done_before_kill += 1;
            }
            let _ = child.kill();
            child.wait()?;
            self.tally.ingest_kills += 1;
            // What the kill left: a sound store, each article at one of its two versions.
            let state = self.check_store(&name)?;
            for (key, (_, digest)) in &state {
                match (previous.get(key), expected.get(key)) {
                    (_, None) => self.tally.problem(&name, format!("{key} is stored but is in no revision")),
                    (old, Some(new)) if digest != new && old != Some(digest) => {
                        self.tally.problem(&name, format!("{key} is stored as neither its old nor its new version"))
                    }
                    _ => {}
                }
            }
            for key in previous.keys().filter(|key| !state.contains_key(*key)) {
                self.tally.problem(&name, format!("{key}, stored before the killed ingest, is gone"));
            }
            // A server started on it catches the index up to the store.
            self.check_served(&name)?;
            // The same ingest again, to the end: the store is the revision, article for article.
            let status = self.ingest_command(&self.data, std::slice::from_ref(&input)).status()?;
            if !status.success() {
                self.tally.problem(&name, format!("the rerun ingest failed: {status}"));
            }
            let state: HashMap<String, u64> =
                self.check_store(&name)?.into_iter().map(|(key, (_, digest))| (key, digest)).collect();
            if state != expected {
                let differing = expected.iter().filter(|(key, digest)| state.get(*key) != Some(digest)).count();
                self.tally.problem(
                    &name,
                    format!(
                        "after the rerun the store holds {} articles, {differing} of the revision's {} not as written",
                        state.len(),
                        expected.len()
                    ),
                );
            }
            self.check_index(&name)?;
            previous = expected;
        }
        self.check_reindex("ingest half")?;
        Ok(previous)
    }

    /// Round `round`'s revision of the base articles: about half of the bodies get a line
    /// naming the round. Each as (source key, digest of title and body, JSON line).
    fn revise(&mut self, base: &[Value], round: usize) -> Vec<(String, u64, String)> {
        base.iter()
            .map(|article| {
                let mut article = article.clone();
                let text = |value: &Value, field: &str| value[field].as_str().unwrap_or_default().to_string();
                if self.rng.below(2) == 0 {
                    let body = paragraph_added(&text(&article, "body"), &format!("Revised in crash round {round}."));
                    article["body"] = Value::String(body);
                }
                let digest = content_digest(&text(&article, "title"), &text(&article, "body"));
                (text(&article, "source_key"), digest, article.to_string())
            })
            .collect()
    }

    /// Opens the store and checks SQLite's integrity; the articles it holds.
    fn check_store(&mut self, round: &str) -> Result<State> {
        let store = Store::open(&self.settings().store_path())?;
        let problems = store.integrity_problems()?;
        if !problems.is_empty() {
            self.tally.problem(round, format!("the store is damaged: {}", problems.join("; ")));
        }
        store_state(&store)
    }

    /// Compares the index with the store, article by article.
    fn check_index(&mut self, round: &str) -> Result<()> {
        let settings = self.settings();
        let index = SearchIndex::open(&settings.index_path())?;
        let verification = verify(&index, &Store::open(&settings.store_path())?)?;
        if !verification.consistent() {
            self.tally.problem(round, verification.render().replace('\n', "; "));
        }
        Ok(())
    }

    /// Starts a server, waits until its index holds the store, checks its figures, facets and
    /// index, and returns it running.
    fn serve(&mut self, round: &str) -> Result<Server> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.work.join("servers.log"))?;
        let server = Server::spawn_with(&self.exe, &self.data, &[("TIDINGS_API_KEYS", KEY)], log.into())?;
        let caught_up = |body: &str| {
            serde_json::from_str::<Value>(body)
                .is_ok_and(|stats| stats["index_seq"] == stats["store_seq"] && stats["index_lag"] == 0)
        };
        let ready = self.runtime.block_on(async {
            loadgen::wait_for(server.addr(), "/readyz", READY_WITHIN).await
                && loadgen::wait_until(server.addr(), "/v1/stats", READY_WITHIN, caught_up).await
        });
        if !ready {
            return Err(Error::Internal(format!(
                "{round}: the restarted server did not catch up within {READY_WITHIN:?}"
            )));
        }
        let (_, stats) = self.runtime.block_on(loadgen::get(server.addr(), "/v1/stats"))?;
        let stats: Value = serde_json::from_str(&stats).map_err(|error| Error::Internal(error.to_string()))?;
        if stats["articles"] != stats["indexed_documents"] {
            self.tally.problem(
                round,
                format!(
                    "the server counts {} articles and {} indexed documents",
                    stats["articles"], stats["indexed_documents"]
                ),
            );
        }
        self.check_facets(round, server.addr())?;
        Ok(server)
    }

    /// Stops a server, then compares its index with the store (with no writer running: a merge
    /// finishing meanwhile would remove files the comparison reads).
    fn stop_and_check(&mut self, round: &str, server: Server) -> Result<()> {
        server.kill();
        self.check_index(round)
    }

    /// As [`Loop::serve`], then stops the server and checks its index.
    fn check_served(&mut self, round: &str) -> Result<()> {
        let server = self.serve(round)?;
        self.stop_and_check(round, server)
    }

    /// Every facet a search over everything returns counts what the store holds, and every
    /// value the store counts more often than the last one shown is shown.
    fn check_facets(&mut self, round: &str, addr: SocketAddr) -> Result<()> {
        let store = Store::open(&self.settings().store_path())?;
        for (field, sql) in FACET_COUNTS {
            let path = format!("/v1/search?facets={field}&facet_size=1000&limit=1");
            let (status, body) = self.runtime.block_on(loadgen::get(addr, &path))?;
            let answer: Value = serde_json::from_str(&body).map_err(|error| Error::Internal(error.to_string()))?;
            if status != 200 {
                self.tally.problem(round, format!("{path} answered {status}: {body}"));
                continue;
            }
            let mut statement = store.connection().prepare(sql)?;
            let counted: HashMap<String, u64> = statement
                .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64)))?
                .collect::<rusqlite::Result<_>>()?;
            let shown: Vec<(String, u64)> = answer["facets"][field]
                .as_array()
                .into_iter()
                .flatten()
                .map(|value| (value["value"].as_str().unwrap_or("").to_string(), value["count"].as_u64().unwrap_or(0)))
                .collect();
            for (value, count) in &shown {
                if counted.get(value) != Some(count) {
                    self.tally.problem(
                        round,
                        format!("facet {field}={value:?} counts {count}, the store {:?}", counted.get(value)),
                    );
                }
            }
            let least = if shown.len() < 1_000 { 0 } else { shown.iter().map(|(_, count)| *count).min().unwrap_or(0) };
            let unshown = counted
                .iter()
                .filter(|(value, count)| **count > least && !shown.iter().any(|(shown, _)| shown == *value))
                .count();
            if unshown > 0 {
                self.tally.problem(round, format!("facet {field}: {unshown} values the store counts are not shown"));
            }
        }
        Ok(())
    }

    /// What a server answers for the facets and totals `reindex` must reproduce.
    fn fingerprint(&self, addr: SocketAddr) -> Result<Vec<String>> {
        let mut lines = Vec::new();
        for (field, _) in FACET_COUNTS {
            let path = format!("/v1/search?facets={field}&facet_size=1000&limit=1");
            let (_, body) = self.runtime.block_on(loadgen::get(addr, &path))?;
            let answer: Value = serde_json::from_str(&body).map_err(|error| Error::Internal(error.to_string()))?;
            let mut values: Vec<String> = answer["facets"][field]
                .as_array()
                .into_iter()
                .flatten()
                .map(|value| format!("{field} {} {}", value["value"], value["count"]))
                .collect();
            // The order of equal counts is the index's own; the values and counts must agree.
            values.sort();
            lines.extend(values);
        }
        for query in FINGERPRINT_QUERIES {
            let path = format!("/v1/search?q={query}&facets=source&limit=10");
            let (_, body) = self.runtime.block_on(loadgen::get(addr, &path))?;
            let answer: Value = serde_json::from_str(&body).map_err(|error| Error::Internal(error.to_string()))?;
            lines.push(format!("q={query} total={} {}", answer["total"], answer["total_relation"]));
        }
        Ok(lines)
    }

    /// Starts a server and takes what it answers, stops it, rebuilds the index with `tidings reindex`, and checks
    /// that a server on the rebuilt index answers as before.
    fn check_reindex(&mut self, round: &str) -> Result<()> {
        let server = self.serve(round)?;
        let before = self.fingerprint(server.addr())?;
        self.stop_and_check(round, server)?;
        let status =
            Command::new(&self.exe).arg("--data-dir").arg(&self.data).arg("reindex").stdout(Stdio::null()).status()?;
        if !status.success() {
            self.tally.problem(round, format!("reindex failed: {status}"));
        }
        let server = self.serve(round)?;
        let after = self.fingerprint(server.addr())?;
        self.stop_and_check(round, server)?;
        self.tally.reindexes += 1;
        if before != after {
            let changed = before.iter().zip(&after).find(|(before, after)| before != after);
            self.tally.problem(round, format!("reindex answers differently: {changed:?}"));
        }
        Ok(())
    }

    /// The server half: `rounds` times, clients write until the server is killed; then a
    /// restart, and every key checked against what it may be.
    fn server_half(&mut self, base: &[Value], stored: &HashMap<String, u64>, rounds: usize) -> Result<()> {
        let pool: Arc<Vec<(String, String, Value)>> = Arc::new(
            base.iter()
                .map(|article| {
                    let text = |field: &str| article[field].as_str().unwrap_or_default().to_string();
                    (text("title"), text("body"), article["entities"].clone())
                })
                // An article without a title or a body would be rejected, not written.
                .filter(|(title, body, _)| !title.trim().is_empty() && !body.trim().is_empty())
                .collect(),
        );
        let mut books: Vec<Book> = (0..CLIENTS).map(|client| Book::new(client, self.rng.next_u64())).collect();
        for round in 0..rounds {
            let name = format!("server round {round}");
            let server = self.serve(&name)?;
            let addr = server.addr();
            let kill_after = Duration::from_millis(50) + moment(&mut self.rng, Duration::from_millis(1_500));
            let stop = Arc::new(AtomicBool::new(false));
            let handles: Vec<_> = books
                .drain(..)
                .map(|book| {
                    let (http, pool, stop) = (self.http.clone(), Arc::clone(&pool), Arc::clone(&stop));
                    self.runtime.spawn(book.write_until(http, addr, pool, stop))
                })
                .collect();
            std::thread::sleep(kill_after);
            server.kill();
            stop.store(true, Ordering::Relaxed);
            self.tally.server_kills += 1;
            for handle in handles {
                let book = self.runtime.block_on(handle).map_err(|error| Error::Internal(error.to_string()))?;
                books.push(book);
            }
            books.sort_by_key(|book| book.client);
            for book in &mut books {
                self.tally.acknowledged_writes += std::mem::take(&mut book.written);
                self.tally.acknowledged_updates += std::mem::take(&mut book.updated);
                self.tally.acknowledged_deletes += std::mem::take(&mut book.deleted);
                self.tally.in_flight += std::mem::take(&mut book.in_flight);
                for rejections in std::mem::take(&mut book.unclear) {
                    self.tally.problem(&name, format!("a write answered 200 without every id: {rejections}"));
                }
                for (status, count) in std::mem::take(&mut book.statuses) {
                    *self.tally.statuses.entry(status).or_default() += count;
                    // 503 is the queue's deliberate "retry later"; anything else but a write's
                    // 200 and a delete's 204 means the loop did not test what it says.
                    if !matches!(status, 200 | 204 | 503) {
                        self.tally.problem(&name, format!("{count} writes or deletes answered {status}"));
                    }
                }
            }
            // The restart: every key as it may be, the rest of the store untouched.
            let server = self.serve(&name)?;
            let state = self.check_store(&name)?;
            for book in &mut books {
                for (key, may_be) in &mut book.keys {
                    let found = state.get(key).map(|(_, digest)| *digest);
                    if !may_be.contains(&found) {
                        let what = match (found, may_be.as_slice()) {
                            (None, _) => "acknowledged but missing",
                            (Some(_), [None]) => "deleted (acknowledged) but stored",
                            _ => "stored as no version written",
                        };
                        self.tally.problem(&name, format!("{key}: {what}"));
                    }
                    *may_be = vec![found];
                    match state.get(key) {
                        Some((id, _)) => book.ids.insert(key.clone(), id.clone()),
                        None => book.ids.remove(key),
                    };
                }
            }
            let ours = books.iter().map(|book| book.keys.len()).sum::<usize>();
            let others: HashMap<String, u64> = state
                .iter()
                .filter(|(key, _)| !key.starts_with(PREFIX))
                .map(|(key, (_, digest))| (key.clone(), *digest))
                .collect();
            if &others != stored {
                self.tally.problem(&name, "the articles the ingest stored changed during API writes".into());
            }
            let written = state.len() - others.len();
            if written > ours {
                self.tally.problem(&name, format!("{written} written articles stored, {ours} keys written"));
            }
            self.stop_and_check(&name, server)?;
        }
        self.check_reindex("server half")
    }
}

/// A client's keys and what each may be now: one digest (or absent) once acknowledged, two
/// possibilities while a request about it was in flight at a kill.
struct Book {
    client: usize,
    rng: Random,
    next_key: usize,
    keys: BTreeMap<String, Vec<Option<u64>>>,
    ids: HashMap<String, String>,
    written: usize,
    updated: usize,
    deleted: usize,
    in_flight: usize,
    /// Writes answered 200 that did not write every article: their rejections.
    unclear: Vec<String>,
    statuses: BTreeMap<u16, usize>,
}

impl Book {
    fn new(client: usize, seed: u64) -> Book {
        Book {
            client,
            rng: Random(seed),
            next_key: 0,
            keys: BTreeMap::new(),
            ids: HashMap::new(),
            written: 0,
            updated: 0,
            deleted: 0,
            in_flight: 0,
            unclear: Vec::new(),
            statuses: BTreeMap::new(),
        }
    }

    /// Writes, updates and deletes until the server stops answering or `stop` is set.
    async fn write_until(
        mut self,
        http: reqwest::Client,
        addr: SocketAddr,
        pool: Arc<Vec<(String, String, Value)>>,
        stop: Arc<AtomicBool>,
    ) -> Book {
        let base = format!("http://{addr}");
        while !stop.load(Ordering::Relaxed) {
            let present: Vec<String> = self
                .keys
                .iter()
                .filter(|(_, may_be)| matches!(may_be.as_slice(), [Some(_)]))
                .map(|(key, _)| key.clone())
                .collect();
            let choice = self.rng.below(100);
            let answered = if present.len() >= 8 && choice < 15 {
                let key = present[self.rng.below(present.len())].clone();
                self.delete(&http, &base, &key).await
            } else if present.len() >= 8 && choice < 35 {
                let key = present[self.rng.below(present.len())].clone();
                self.update(&http, &base, &pool, &key).await
            } else {
                self.write_new(&http, &base, &pool).await
            };
            if !answered {
                break;
            }
        }
        self
    }

    fn article(&self, pool: &[(String, String, Value)], key: &str, number: usize, note: &str) -> (Value, u64) {
        let (title, body, entities) = &pool[number.wrapping_mul(7_919) % pool.len()];
        let body = paragraph_added(body, note);
        let digest = content_digest(title, &body);
        let mut article = serde_json::json!({
            "source_key": key,
            "title": title,
            "body": body,
            "source": "Crash Loop",
            "published_at": "2026-11-01T12:00:00Z",
        });
        if entities.is_array() {
            article["entities"] = entities.clone();
        }
        (article, digest)
    }

    /// POSTs articles; true when the server answered.
    async fn post(&mut self, http: &reqwest::Client, base: &str, articles: &[Value]) -> Option<(u16, Value)> {
        let body = articles.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
        let response = http.post(format!("{base}/v1/articles")).bearer_auth(KEY).body(body).send().await.ok()?;
        let status = response.status().as_u16();
        let answer = serde_json::from_slice::<Value>(&response.bytes().await.ok()?).ok()?;
        *self.statuses.entry(status).or_default() += 1;
        Some((status, answer))
    }

    async fn write_new(&mut self, http: &reqwest::Client, base: &str, pool: &[(String, String, Value)]) -> bool {
        let mut articles = Vec::new();
        let mut keys = Vec::new();
        for _ in 0..=self.rng.below(8) {
            let key = format!("{PREFIX}{}:{}", self.client, self.next_key);
            let (article, digest) =
                self.article(pool, &key, self.next_key, &format!("Written by the crash loop as {key}."));
            self.next_key += 1;
            self.keys.insert(key.clone(), vec![None, Some(digest)]);
            articles.push(article);
            keys.push((key, digest));
        }
        match self.post(http, base, &articles).await {
            Some((200, answer)) => {
                let ids = answer["ids"].as_array().cloned().unwrap_or_default();
                if ids.len() != keys.len() {
                    // Some were rejected: which ones, the restart tells.
                    self.unclear.push(answer["rejections"].to_string());
                    return true;
                }
                for ((key, digest), id) in keys.iter().zip(ids) {
                    self.keys.insert(key.clone(), vec![Some(*digest)]);
                    self.ids.insert(key.clone(), id.as_str().unwrap_or_default().to_string());
                }
                self.written += keys.len();
                true
            }
            Some(_) => true,
            None => {
                self.in_flight += 1;
                false
            }
        }
    }

    async fn update(
        &mut self,
        http: &reqwest::Client,
        base: &str,
        pool: &[(String, String, Value)],
        key: &str,
    ) -> bool {
        let Some([Some(old)]) = self.keys.get(key).map(Vec::as_slice) else { return true };
        let old = *old;
        let number = self.rng.below(pool.len());
        let (article, digest) = self.article(pool, key, number, &format!("Updated by the crash loop ({number})."));
        self.keys.insert(key.to_string(), vec![Some(old), Some(digest)]);
        match self.post(http, base, &[article]).await {
            Some((200, _)) => {
                self.keys.insert(key.to_string(), vec![Some(digest)]);
                self.updated += 1;
                true
            }
            // Refused or failed: it may still have been stored (a 5xx); the restart tells.
            Some(_) => true,
            None => {
                self.in_flight += 1;
                false
            }
        }
    }

    async fn delete(&mut self, http: &reqwest::Client, base: &str, key: &str) -> bool {
        let (Some([Some(old)]), Some(id)) = (self.keys.get(key).map(Vec::as_slice), self.ids.get(key)) else {
            return true;
        };
        let old = *old;
        let url = format!("{base}/v1/articles/{id}");
        self.keys.insert(key.to_string(), vec![Some(old), None]);
        let Ok(response) = http.delete(url).bearer_auth(KEY).send().await else {
            self.in_flight += 1;
            return false;
        };
        let status = response.status().as_u16();
        *self.statuses.entry(status).or_default() += 1;
        if status == 204 {
            self.keys.insert(key.to_string(), vec![None]);
            self.deleted += 1;
        }
        true
    }
}

/// `body` with a last paragraph (ingestion trims a body, so an empty one gets only the paragraph).
fn paragraph_added(body: &str, paragraph: &str) -> String {
    match body.is_empty() {
        true => paragraph.to_string(),
        false => format!("{body}\n\n{paragraph}"),
    }
}

/// Each facet the check compares, with the SQL that counts its values in the store.
const FACET_COUNTS: [(&str, &str); 6] = [
    ("person", "select name, count(*) from article_entities where kind = 'person' group by name"),
    ("org", "select name, count(*) from article_entities where kind = 'org' group by name"),
    ("place", "select name, count(*) from article_entities where kind = 'place' group by name"),
    ("topic", "select topic, count(*) from article_topics group by topic"),
    ("source", "select source, count(*) from articles group by source"),
    ("lang", "select lang, count(*) from articles group by lang"),
];

/// Searches whose totals a rebuilt index must reproduce.
const FINGERPRINT_QUERIES: [&str; 5] = ["oil", "bank", "%22trade+deficit%22", "the", "prices+-oil"];

/// The input the loop ingests by default: the bench's Reuters folder.
pub fn default_inputs(reuters: &Path) -> Vec<PathBuf> {
    vec![project_path(reuters)]
}

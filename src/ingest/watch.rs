//! `tidings watch FEEDS.toml`: polls feeds on their schedules and ingests what is new.
//!
//! Each feed is fetched with a conditional request (ETag / If-Modified-Since from its last answer);
//! an answer of 304 costs nothing. With `full_text = true` every item whose page is not in the store
//! yet is fetched and run through the HTML extractor (most feeds carry only teasers). A failing
//! feed backs off (its interval doubled per consecutive failure, up to six hours). The schedule, the
//! validators and the failure count live in the store's `feed_state` table, so a restart resumes
//! where the last run stopped: nothing due later is fetched early and nothing stored is duplicated.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::{info, warn};

use super::feeds::{self, FeedContext};
use super::page::{self, PageContext};
use super::{Ingestor, Record};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::index::WriterBudget;
use crate::store::{FeedState, IngestCounts};

/// Longest wait after repeated failures.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// Largest feed or page body read.
const MAX_DOWNLOAD_BYTES: usize = 16 * 1024 * 1024;
/// Pages fetched per feed poll at most (the rest wait for the next poll).
const MAX_PAGES_PER_POLL: usize = 100;

/// The feeds file: `[[feed]]` tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedsFile {
    #[serde(rename = "feed", default)]
    pub feeds: Vec<FeedConfig>,
}

/// One `[[feed]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    pub url: String,
    /// Poll interval such as "30s", "15m", "2h", "1d" (default 15m).
    #[serde(default = "default_every")]
    pub every: String,
    /// Source name for the feed's articles (default: the feed's title).
    pub source: Option<String>,
    /// Fetch each item's page and extract its full text.
    #[serde(default)]
    pub full_text: bool,
}

fn default_every() -> String {
    "15m".into()
}

/// Parses "90s", "15m", "2h", "1d" (a bare number is seconds).
pub fn parse_interval(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" | "secs" => number,
        "m" | "min" | "mins" => number * 60,
        "h" | "hour" | "hours" => number * 3600,
        "d" | "day" | "days" => number * 86_400,
        _ => return None,
    };
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

impl FeedsFile {
    /// Reads and checks a feeds file; errors name the file and what is wrong.
    pub fn load(path: &Path) -> Result<FeedsFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| Error::Config(format!("cannot read {}: {error}", path.display())))?;
        let file: FeedsFile =
            toml::from_str(&text).map_err(|error| Error::Config(format!("{}: {error}", path.display())))?;
        if file.feeds.is_empty() {
            return Err(Error::Config(format!("{}: no [[feed]] tables", path.display())));
        }
        for feed in &file.feeds {
            if super::urls::normalise_url(&feed.url, None).is_none() {
                return Err(Error::Config(format!("{}: {:?} is not an http(s) URL", path.display(), feed.url)));
            }
            if parse_interval(&feed.every).is_none() {
                return Err(Error::Config(format!(
                    "{}: every = {:?} for {} is not an interval such as \"15m\"",
                    path.display(),
                    feed.every,
                    feed.url
                )));
            }
        }
        Ok(file)
    }
}

/// What one poll of one feed did.
#[derive(Debug, Clone, Default)]
pub struct PollOutcome {
    pub status: String,
    pub counts: IngestCounts,
    pub pages_fetched: usize,
}

/// The watcher: the ingestion pipeline (its store, and the index when this process may write
/// it) and the HTTP client.
pub struct Watcher {
    ingestor: Ingestor,
    client: reqwest::Client,
}

impl Watcher {
    pub fn open(settings: &Settings) -> Result<Watcher> {
        let ingestor = Ingestor::open(settings, WriterBudget::Server)?;
        if ingestor.indexed_elsewhere() {
            info!("a running server holds the index: it will index what watch stores");
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("tidings/", env!("CARGO_PKG_VERSION"), " (+feed watcher)"))
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| Error::Internal(format!("HTTP client: {error}")))?;
        Ok(Watcher { ingestor, client })
    }

    /// Polls every feed that is due now; returns each polled feed's outcome.
    pub async fn poll_due(&mut self, feeds: &FeedsFile, now: DateTime<Utc>) -> Result<Vec<(String, PollOutcome)>> {
        let mut outcomes = Vec::new();
        for feed in &feeds.feeds {
            let state = self.ingestor.store().feed_state(&feed.url)?;
            if state.as_ref().and_then(|state| due_at(state, feed)).is_none_or(|due| due <= now) {
                let outcome = self.poll(feed, state.unwrap_or_default(), now).await?;
                outcomes.push((feed.url.clone(), outcome));
            }
        }
        self.ingestor.commit()?;
        Ok(outcomes)
    }

    /// When the next feed is due (for the loop's sleep).
    pub fn next_due(&self, feeds: &FeedsFile) -> Result<Option<DateTime<Utc>>> {
        let mut next: Option<DateTime<Utc>> = None;
        for feed in &feeds.feeds {
            let due = self
                .ingestor
                .store()
                .feed_state(&feed.url)?
                .and_then(|state| due_at(&state, feed))
                .unwrap_or_else(Utc::now);
            next = Some(next.map_or(due, |next| next.min(due)));
        }
        Ok(next)
    }

    async fn poll(&mut self, feed: &FeedConfig, mut state: FeedState, now: DateTime<Utc>) -> Result<PollOutcome> {
        let every = parse_interval(&feed.every).unwrap_or(Duration::from_secs(900));
        state.url = feed.url.clone();
        state.last_fetch_at = Some(now.to_rfc3339());
        let result = self.fetch_feed(feed, &mut state, now).await;
        let outcome = match result {
            Ok(outcome) => {
                state.failures = 0;
                state.next_fetch_at = (now + every).to_rfc3339();
                outcome
            }
            Err(reason) => {
                state.failures += 1;
                let backoff = every.saturating_mul(1u32 << state.failures.clamp(0, 16) as u32).min(MAX_BACKOFF);
                state.next_fetch_at = (now + backoff).to_rfc3339();
                warn!(url = %feed.url, failures = state.failures, %reason, "feed poll failed; backing off");
                PollOutcome { status: format!("error: {reason}"), ..PollOutcome::default() }
            }
        };
        state.last_status = Some(outcome.status.clone());
        self.ingestor.store().save_feed_state(&state)?;
        info!(url = %feed.url, status = %outcome.status, new = outcome.counts.new, updated = outcome.counts.updated,
              pages = outcome.pages_fetched, "feed polled");
        Ok(outcome)
    }

    /// One conditional fetch and, when the feed changed, its ingestion. `Err` is a reason to back
    /// off (network, HTTP status, unreadable feed); store errors are reported as such too.
    async fn fetch_feed(
        &mut self,
        feed: &FeedConfig,
        state: &mut FeedState,
        now: DateTime<Utc>,
    ) -> std::result::Result<PollOutcome, String> {
        let mut request = self.client.get(&feed.url);
        if let Some(etag) = &state.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &state.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, modified);
        }
        let response = request.send().await.map_err(|error| format!("fetch failed: {error}"))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(PollOutcome { status: "304 not modified".into(), ..PollOutcome::default() });
        }
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        let header = |name: reqwest::header::HeaderName| {
            response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_string)
        };
        let (etag, last_modified) = (header(reqwest::header::ETAG), header(reqwest::header::LAST_MODIFIED));
        let bytes = read_limited(response).await?;
        let context = FeedContext { url: Some(feed.url.clone()), source: feed.source.clone(), fetched_at: Some(now) };
        let mut records = feeds::parse(&feed.url, &bytes, &context);
        if records.len() == 1
            && records[0].result.as_ref().is_err_and(|reason| reason.starts_with("not a readable feed"))
        {
            return Err(records.remove(0).result.err().unwrap_or_default());
        }
        let mut pages_fetched = 0;
        if feed.full_text {
            for record in records.iter_mut() {
                let Ok(article) = record.result.as_mut() else { continue };
                let Some(url) = article.url.clone() else { continue };
                if pages_fetched >= MAX_PAGES_PER_POLL
                    || self.ingestor.store().get_article(&article.id()).ok().flatten().is_some()
                {
                    continue;
                }
                pages_fetched += 1;
                match self.fetch_page(&url, now).await {
                    Ok(page) if page.body.len() > article.body.len() => {
                        article.body = page.body;
                        if article.authors.is_empty() {
                            article.authors = page.authors;
                        }
                        article.lang = page.lang;
                    }
                    Ok(_) => {}
                    Err(reason) => warn!(%url, %reason, "full text not fetched; keeping the feed's text"),
                }
            }
        }
        let counts = self.store_records(&feed.url, records).map_err(|error| format!("store: {error}"))?;
        state.etag = etag;
        state.last_modified = last_modified;
        state.items_seen += counts.read as i64;
        Ok(PollOutcome { status: format!("{} ({} items)", status.as_u16(), counts.read), counts, pages_fetched })
    }

    async fn fetch_page(&self, url: &str, now: DateTime<Utc>) -> std::result::Result<crate::model::Article, String> {
        let response = self.client.get(url).send().await.map_err(|error| format!("fetch failed: {error}"))?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let bytes = read_limited(response).await?;
        let context = PageContext {
            url: Some(url.to_string()),
            source: None,
            fetched_at: Some(now),
            fetched_rule: Some(crate::model::DateRule::FetchTime),
        };
        page::parse(url, &bytes, &context)
    }

    /// Stores one poll's records as an ingestion run of the ledger.
    fn store_records(&mut self, url: &str, records: Vec<Record>) -> Result<IngestCounts> {
        Ok(self.ingestor.ingest_records(url, records)?.report.counts)
    }

    pub fn release(self) -> Result<()> {
        self.ingestor.finish()
    }
}

/// When a feed is next due: after a failure, when its backoff ends; otherwise its interval (as
/// configured now) after the last fetch. `None` for a feed never fetched.
fn due_at(state: &FeedState, feed: &FeedConfig) -> Option<DateTime<Utc>> {
    let parse = |text: &str| DateTime::parse_from_rfc3339(text).ok().map(|date| date.with_timezone(&Utc));
    if state.failures > 0 {
        return parse(&state.next_fetch_at);
    }
    let every = chrono::Duration::from_std(parse_interval(&feed.every)?).ok()?;
    Some(parse(state.last_fetch_at.as_deref()?)? + every)
}

/// Reads a response body, refusing more than [`MAX_DOWNLOAD_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> std::result::Result<Vec<u8>, String> {
    if response.content_length().is_some_and(|length| length as usize > MAX_DOWNLOAD_BYTES) {
        return Err(format!("body is larger than {} MB", MAX_DOWNLOAD_BYTES / 1_048_576));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| format!("read failed: {error}"))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_DOWNLOAD_BYTES {
            return Err(format!("body is larger than {} MB", MAX_DOWNLOAD_BYTES / 1_048_576));
        }
    }
    Ok(bytes)
}

/// Runs the watcher: polls what is due, sleeps until the next feed is due, until stopped
/// (or, with `once`, after one round).
pub fn run(settings: &Settings, feeds_path: &Path, once: bool) -> Result<()> {
    let feeds = FeedsFile::load(feeds_path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut watcher = Watcher::open(settings)?;
        loop {
            let outcomes = watcher.poll_due(&feeds, Utc::now()).await?;
            for (url, outcome) in &outcomes {
                println!(
                    "{url}: {}  new {}  updated {}  unchanged {}  rejected {}  pages {}",
                    outcome.status,
                    outcome.counts.new,
                    outcome.counts.updated,
                    outcome.counts.unchanged,
                    outcome.counts.rejected,
                    outcome.pages_fetched
                );
            }
            if once {
                break;
            }
            let next = watcher.next_due(&feeds)?.unwrap_or_else(|| Utc::now() + chrono::Duration::minutes(15));
            let wait =
                (next - Utc::now()).to_std().unwrap_or(Duration::from_millis(100)).max(Duration::from_millis(100));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        watcher.release()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_interval("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_interval("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_interval("1d"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_interval("0m"), None);
        assert_eq!(parse_interval("soon"), None);
    }

    #[test]
    fn feeds_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feeds.toml");
        std::fs::write(&path, "[[feed]]\nurl = \"https://example.org/rss\"\nevery = \"5m\"\nfull_text = true\n")
            .unwrap();
        let file = FeedsFile::load(&path).unwrap();
        assert_eq!((file.feeds.len(), file.feeds[0].full_text), (1, true));
        std::fs::write(&path, "[[feed]]\nurl = \"ftp://example.org/rss\"\n").unwrap();
        assert!(FeedsFile::load(&path).unwrap_err().to_string().contains("not an http(s) URL"));
        std::fs::write(&path, "[[feed]]\nurl = \"https://example.org/rss\"\nevery = \"often\"\n").unwrap();
        assert!(FeedsFile::load(&path).unwrap_err().to_string().contains("not an interval"));
        std::fs::write(&path, "[[feed]]\nurl = \"https://example.org/rss\"\ncolour = \"red\"\n").unwrap();
        assert!(FeedsFile::load(&path).is_err());
    }
}

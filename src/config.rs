//! One settings struct, layered: defaults, then an optional `tidings.toml`, then `TIDINGS_*`
//! environment variables, then command-line flags. Unknown keys are rejected. Also where things
//! are found by default (the data directory, the shipped sample, project-relative paths) and the
//! ranking settings the search engine is built with.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Every setting tidings reads.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Holds the SQLite store and the Tantivy index: `./index` unless set.
    pub data_dir: PathBuf,
    /// `serve` binds here.
    pub addr: String,
    /// Origins allowed by CORS; `["*"]` allows any.
    pub cors_origins: Vec<String>,
    /// A request taking longer is answered 408.
    pub request_timeout_ms: u64,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Searches run at once (CPU-bound work on blocking threads); 0 means one per core.
    pub search_permits: usize,
    /// Searches waiting for a permit at most; more are answered 503 with `Retry-After`.
    pub search_queue: usize,
    /// How often a running server looks for store changes to index.
    pub index_poll_ms: u64,
    /// A file of entity aliases (`kind: alias = Canonical`) extending the shipped table.
    pub aliases_file: Option<PathBuf>,
    /// Admin keys (`Authorization: Bearer KEY`): every action, including writes and managing
    /// keys. With no key at all configured or made, the write endpoints refuse everyone.
    pub api_keys: Vec<String>,
    /// Search-only keys, safe to publish in a web page (the widget's `data-key`).
    pub search_keys: Vec<String>,
    /// Keys with a name, chosen actions, an expiry and a filter (`[[keys]]` tables).
    pub keys: Vec<KeyConfig>,
    /// The key the results page at `/` sends with its requests: a search-only key, since the page
    /// shows it to every visitor. Needed when reads are protected.
    pub page_key: Option<String>,
    /// Require a key for reads too (search, articles, entities, stats).
    pub protect_reads: bool,
    /// `/metrics` needs an admin key (it is open by default, as Prometheus scrapes expect).
    pub protect_metrics: bool,
    /// Token buckets per client and route group; none set: no limits.
    pub rate_limits: RateLimits,
    /// Proxies whose `X-Forwarded-For` names the client (their own address is not the client's).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Largest body `POST /v1/articles` accepts.
    pub max_write_bytes: usize,
    /// The weight of recency in relevance ranking, 0 (off) to 1.
    pub freshness_weight: f64,
    /// Days after which an article's recency bonus has halved.
    pub freshness_half_life_days: f64,
    /// How much more a word in the title weighs than the same word in the body (BM25F).
    pub title_boost: f32,
    /// Groups of words or phrases that match each other in queries, e.g.
    /// `[["U.S.", "USA", "United States"]]` (query time: a changed list needs no reindex).
    pub synonyms: Vec<Vec<String>>,
    /// Words left out of ORed (`match=any`) queries besides each language's own stop words.
    pub stop_words: Vec<String>,
    /// The configuration file these settings were read from (not a setting: what a reload reads).
    #[serde(skip)]
    pub loaded_from: Option<PathBuf>,
    /// Rows `GET /v1/export` streams at most.
    pub export_max_rows: usize,
    /// Reserve exports for API-key holders.
    pub export_requires_key: bool,
    /// Records an ingest reads, extracts and stores per batch: a JSON Lines file is streamed in
    /// batches, so memory holds two of them whatever the file's size.
    pub ingest_batch_records: usize,
    /// Bytes of input per ingest batch at most.
    pub ingest_batch_bytes: usize,
    /// A long ingest that holds the index writer commits after this many changes: what it stored
    /// becomes searchable as it goes, and the writer's queue of replaced documents (one delete
    /// per change, each with its own scoring weight, kept until a commit) stays bounded. Without
    /// it anonymous memory grew by about 2.5 KB an article (490 MB over 200k articles); with
    /// 20,000 the 200k ingest stays under 350 MB and is no slower (44.5 s against 46.2 s).
    pub ingest_commit_every: usize,
    /// Suggestions offer the headlines of this many of the newest articles (entity names come
    /// from every article): what the suggester holds in memory stays bounded as the archive grows.
    pub suggest_headlines: usize,
    /// A search running alone on the server uses every core once the index holds this many
    /// documents (below it, one core answers sooner than the hand-off to several).
    pub parallel_search_from_docs: u64,
    /// A search's `total` is exact up to this many matches; past it, a search that counts nothing
    /// else (no facets, histogram or collapsing, no `total=exact`) may stop once no further match
    /// could enter its page, and reports at least that many (`total_relation: gte`).
    pub exact_total_up_to: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: default_data_dir(),
            addr: "127.0.0.1:7878".into(),
            cors_origins: vec!["*".into()],
            request_timeout_ms: 10_000,
            max_body_bytes: 1 << 20,
            search_permits: 0,
            search_queue: 256,
            index_poll_ms: 250,
            aliases_file: None,
            synonyms: Vec::new(),
            stop_words: Vec::new(),
            loaded_from: None,
            api_keys: Vec::new(),
            search_keys: Vec::new(),
            keys: Vec::new(),
            page_key: None,
            protect_reads: false,
            protect_metrics: false,
            rate_limits: RateLimits::default(),
            trusted_proxies: Vec::new(),
            max_write_bytes: 16 << 20,
            freshness_weight: 0.25,
            freshness_half_life_days: 14.0,
            title_boost: DEFAULT_TITLE_BOOST,
            export_max_rows: 10_000,
            export_requires_key: false,
            ingest_batch_records: 4_096,
            ingest_batch_bytes: 16 << 20,
            ingest_commit_every: 20_000,
            suggest_headlines: DEFAULT_SUGGEST_HEADLINES,
            parallel_search_from_docs: DEFAULT_PARALLEL_SEARCH_FROM_DOCS,
            exact_total_up_to: DEFAULT_EXACT_TOTAL_UP_TO,
        }
    }
}

/// How many requests a client may make per route group (`[rate_limits]`): as-you-type search
/// and suggestions, other searches and reads, exports, writes. A client is its key when the key
/// is private (it may write, export or administer), else its address.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// `GET /v1/suggest` and `GET /v1/search?mode=instant`.
    pub instant: Option<Rate>,
    /// Every other read: searches, articles, related stories, entities, figures.
    pub search: Option<Rate>,
    /// `GET /v1/export`.
    pub export: Option<Rate>,
    /// Writes and deletes, and key management.
    pub write: Option<Rate>,
}

/// A token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

impl RateLimits {
    /// Reads `group=per_second/burst` pairs, comma-separated (`instant=20/40,search=10/20`).
    fn parse(text: &str) -> Result<RateLimits> {
        let mut limits = RateLimits::default();
        for pair in text.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            let bad = || Error::Config(format!("TIDINGS_RATE_LIMITS: {pair:?} is not group=per_second/burst"));
            let (group, rate) = pair.split_once('=').ok_or_else(bad)?;
            let (per_second, burst) = rate.split_once('/').ok_or_else(bad)?;
            let rate = Some(Rate {
                per_second: per_second.trim().parse().map_err(|_| bad())?,
                burst: burst.trim().parse().map_err(|_| bad())?,
            });
            match group.trim() {
                "instant" => limits.instant = rate,
                "search" => limits.search = rate,
                "export" => limits.export = rate,
                "write" => limits.write = rate,
                _ => return Err(bad()),
            }
        }
        Ok(limits)
    }

    fn check(&self) -> Result<()> {
        for rate in [self.instant, self.search, self.export, self.write].into_iter().flatten() {
            if !(rate.per_second > 0.0 && rate.per_second <= 1e6) || rate.burst == 0 {
                return Err(Error::Config(format!(
                    "a rate limit needs per_second above 0 (at most 1,000,000) and a burst of at least 1, not {rate:?}"
                )));
            }
        }
        Ok(())
    }
}

/// A `[[keys]]` table of the configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// What the key is for, shown in `GET /v1/keys`.
    pub name: String,
    /// The key itself, at least 16 characters.
    pub key: String,
    /// Any of `search`, `write`, `export`, `admin` (admin implies every other).
    pub actions: Vec<String>,
    /// RFC 3339 date (or `YYYY-MM-DD`) after which the key is refused.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Keyword filters every request of the key is restricted to, e.g. `{ source = "Example Daily" }`
    /// (only on keys that do not write or administer).
    #[serde(default)]
    pub filter: Option<serde_json::Value>,
}

/// Suggestions offer the headlines of this many of the newest articles, by default.
pub const DEFAULT_SUGGEST_HEADLINES: usize = 50_000;

/// A search alone on the server runs its segments on every core from this many documents, by
/// default.
pub const DEFAULT_PARALLEL_SEARCH_FROM_DOCS: u64 = 100_000;

/// A search's total is exact up to this many matches, by default (Meilisearch counts 1,000 by
/// default too; Elasticsearch 10,000).
pub const DEFAULT_EXACT_TOTAL_UP_TO: usize = 1_000;

/// The title's weight by default: in the combined title+body frequency of a word (BM25F, see
/// [`combined`]) one occurrence in the headline counts as three in a body of average length.
pub const DEFAULT_TITLE_BOOST: f32 = 3.0;

/// How relevance is blended with recency, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankingSettings {
    /// The weight of recency, 0 (off) to 1.
    pub freshness_weight: f64,
    /// After this many days an article's recency bonus has halved.
    pub freshness_half_life_days: f64,
    /// How much more a word in the title weighs than the same word in the body.
    pub title_boost: f32,
    /// With words ORed (`match=any`), leave stop words out of the query.
    pub drop_stop_words: bool,
    /// Score a word over title and body together (BM25F); `false` scores each field on its own
    /// and adds the scores (Tantivy's parser), kept to measure the difference.
    pub combine_fields: bool,
}

impl Default for RankingSettings {
    fn default() -> Self {
        RankingSettings {
            freshness_weight: 0.25,
            freshness_half_life_days: 14.0,
            title_boost: DEFAULT_TITLE_BOOST,
            drop_stop_words: true,
            combine_fields: true,
        }
    }
}

/// `./index`, relative to the working directory: never a path fixed when the binary was built (a
/// `cargo install` build would otherwise point into cargo's own cache).
fn default_data_dir() -> PathBuf {
    PathBuf::from("index")
}

impl Settings {
    /// Defaults, then the config file (the given one must exist; `./tidings.toml` is read when
    /// present), then the environment.
    pub fn load(config_file: Option<&Path>) -> Result<Settings> {
        let file = match config_file {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from("tidings.toml")).filter(|path| path.is_file()),
        };
        let mut settings = match &file {
            Some(path) => Settings::from_file(path)?,
            None => Settings::default(),
        };
        settings.loaded_from = file.map(|path| std::path::absolute(&path).unwrap_or(path));
        settings.apply_env(|name| std::env::var(name).ok())?;
        Ok(settings)
    }

    pub fn from_file(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| Error::Config(format!("cannot read {}: {error}", path.display())))?;
        toml::from_str(&text).map_err(|error| Error::Config(format!("{}: {error}", path.display())))
    }

    /// Applies `TIDINGS_*` variables read through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<()> {
        fn number<T: std::str::FromStr>(name: &str, value: String) -> Result<T> {
            value.trim().parse().map_err(|_| Error::Config(format!("{name}={value:?} is not a number")))
        }
        if let Some(value) = get("TIDINGS_DATA_DIR") {
            self.data_dir = PathBuf::from(value);
        }
        if let Some(value) = get("TIDINGS_ADDR") {
            self.addr = value;
        }
        if let Some(value) = get("TIDINGS_CORS_ORIGINS") {
            self.cors_origins =
                value.split(',').map(str::trim).filter(|origin| !origin.is_empty()).map(String::from).collect();
        }
        if let Some(value) = get("TIDINGS_REQUEST_TIMEOUT_MS") {
            self.request_timeout_ms = number("TIDINGS_REQUEST_TIMEOUT_MS", value)?;
        }
        if let Some(value) = get("TIDINGS_MAX_BODY_BYTES") {
            self.max_body_bytes = number("TIDINGS_MAX_BODY_BYTES", value)?;
        }
        if let Some(value) = get("TIDINGS_SEARCH_PERMITS") {
            self.search_permits = number("TIDINGS_SEARCH_PERMITS", value)?;
        }
        if let Some(value) = get("TIDINGS_SEARCH_QUEUE") {
            self.search_queue = number("TIDINGS_SEARCH_QUEUE", value)?;
        }
        if let Some(value) = get("TIDINGS_INGEST_BATCH_RECORDS") {
            self.ingest_batch_records = number("TIDINGS_INGEST_BATCH_RECORDS", value)?;
        }
        if let Some(value) = get("TIDINGS_INGEST_BATCH_BYTES") {
            self.ingest_batch_bytes = number("TIDINGS_INGEST_BATCH_BYTES", value)?;
        }
        if let Some(value) = get("TIDINGS_INGEST_COMMIT_EVERY") {
            self.ingest_commit_every = number("TIDINGS_INGEST_COMMIT_EVERY", value)?;
        }
        if let Some(value) = get("TIDINGS_SUGGEST_HEADLINES") {
            self.suggest_headlines = number("TIDINGS_SUGGEST_HEADLINES", value)?;
        }
        if let Some(value) = get("TIDINGS_PARALLEL_SEARCH_FROM_DOCS") {
            self.parallel_search_from_docs = number("TIDINGS_PARALLEL_SEARCH_FROM_DOCS", value)?;
        }
        if let Some(value) = get("TIDINGS_EXACT_TOTAL_UP_TO") {
            self.exact_total_up_to = number("TIDINGS_EXACT_TOTAL_UP_TO", value)?;
        }
        if let Some(value) = get("TIDINGS_ALIASES_FILE") {
            self.aliases_file = Some(PathBuf::from(value));
        }
        if let Some(value) = get("TIDINGS_INDEX_POLL_MS") {
            self.index_poll_ms = number("TIDINGS_INDEX_POLL_MS", value)?;
        }
        let list =
            |value: String| value.split(',').map(str::trim).filter(|key| !key.is_empty()).map(String::from).collect();
        if let Some(value) = get("TIDINGS_API_KEYS") {
            self.api_keys = list(value);
        }
        if let Some(value) = get("TIDINGS_SEARCH_KEYS") {
            self.search_keys = list(value);
        }
        if let Some(value) = get("TIDINGS_RATE_LIMITS") {
            self.rate_limits = RateLimits::parse(&value)?;
        }
        if let Some(value) = get("TIDINGS_TRUSTED_PROXIES") {
            self.trusted_proxies = value
                .split(',')
                .map(str::trim)
                .filter(|address| !address.is_empty())
                .map(|address| {
                    address.parse().map_err(|_| {
                        Error::Config(format!("TIDINGS_TRUSTED_PROXIES: {address:?} is not an IP address"))
                    })
                })
                .collect::<Result<_>>()?;
        }
        if let Some(value) = get("TIDINGS_PAGE_KEY") {
            self.page_key = Some(value.trim().to_string()).filter(|key| !key.is_empty());
        }
        fn flag(name: &str, value: String) -> Result<bool> {
            match value.trim() {
                "1" | "true" | "yes" => Ok(true),
                "0" | "false" | "no" | "" => Ok(false),
                other => Err(Error::Config(format!("{name}={other:?} is not true or false"))),
            }
        }
        if let Some(value) = get("TIDINGS_PROTECT_READS") {
            self.protect_reads = flag("TIDINGS_PROTECT_READS", value)?;
        }
        if let Some(value) = get("TIDINGS_PROTECT_METRICS") {
            self.protect_metrics = flag("TIDINGS_PROTECT_METRICS", value)?;
        }
        if let Some(value) = get("TIDINGS_FRESHNESS_WEIGHT") {
            self.freshness_weight = number("TIDINGS_FRESHNESS_WEIGHT", value)?;
        }
        if let Some(value) = get("TIDINGS_FRESHNESS_HALF_LIFE_DAYS") {
            self.freshness_half_life_days = number("TIDINGS_FRESHNESS_HALF_LIFE_DAYS", value)?;
        }
        if let Some(value) = get("TIDINGS_TITLE_BOOST") {
            self.title_boost = number("TIDINGS_TITLE_BOOST", value)?;
        }
        if let Some(value) = get("TIDINGS_STOP_WORDS") {
            self.stop_words =
                value.split(',').map(str::trim).filter(|word| !word.is_empty()).map(String::from).collect();
        }
        if let Some(value) = get("TIDINGS_EXPORT_MAX_ROWS") {
            self.export_max_rows = number("TIDINGS_EXPORT_MAX_ROWS", value)?;
        }
        if let Some(value) = get("TIDINGS_EXPORT_REQUIRES_KEY") {
            self.export_requires_key = flag("TIDINGS_EXPORT_REQUIRES_KEY", value)?;
        }
        if let Some(value) = get("TIDINGS_MAX_WRITE_BYTES") {
            self.max_write_bytes = number("TIDINGS_MAX_WRITE_BYTES", value)?;
        }
        self.check()
    }

    /// Rejects values that cannot be used.
    pub fn check(&self) -> Result<()> {
        if self
            .api_keys
            .iter()
            .chain(&self.search_keys)
            .chain(self.keys.iter().map(|key| &key.key))
            .any(|key| key.chars().count() < 16)
        {
            return Err(Error::Config("API keys must be at least 16 characters".into()));
        }
        if let Some(page_key) = &self.page_key {
            let search_only = self.search_keys.contains(page_key)
                || self
                    .keys
                    .iter()
                    .any(|key| &key.key == page_key && key.actions.iter().all(|action| action == "search"));
            if !search_only {
                return Err(Error::Config(
                    "page_key must be one of the configured search-only keys (search_keys, or a [[keys]] entry whose \
                     actions are only search): the results page shows it to every visitor"
                        .into(),
                ));
            }
        }
        self.rate_limits.check()?;
        if !(0.0..=1.0).contains(&self.freshness_weight) {
            return Err(Error::Config(format!(
                "freshness_weight must be between 0 and 1, not {}",
                self.freshness_weight
            )));
        }
        if !(self.title_boost > 0.0 && self.title_boost <= 100.0) {
            return Err(Error::Config(format!(
                "title_boost must be above 0 and at most 100, not {}",
                self.title_boost
            )));
        }
        if self.synonyms.len() > 10_000 {
            return Err(Error::Config("synonyms: at most 10,000 groups".into()));
        }
        for group in &self.synonyms {
            let entries = 2..=crate::search::query::synonyms::MAX_ENTRIES;
            let sized = |entry: &String| {
                entry.chars().any(char::is_alphanumeric)
                    && entry.chars().count() <= crate::search::query::synonyms::MAX_ENTRY_CHARS
            };
            if !entries.contains(&group.len()) || !group.iter().all(sized) {
                return Err(Error::Config(format!(
                    "synonyms: each group is 2 to {} words or phrases (with a letter or digit, at most {} \
                     characters each), not {group:?}",
                    entries.end(),
                    crate::search::query::synonyms::MAX_ENTRY_CHARS
                )));
            }
        }
        if self.stop_words.len() > 10_000
            || self.stop_words.iter().any(|word| word.trim().is_empty() || word.len() > 100)
        {
            return Err(Error::Config("stop_words: at most 10,000 words, none blank or over 100 bytes".into()));
        }
        if !(self.freshness_half_life_days > 0.0 && self.freshness_half_life_days.is_finite()) {
            return Err(Error::Config("freshness_half_life_days must be a positive number of days".into()));
        }
        Ok(())
    }

    pub fn ranking(&self) -> RankingSettings {
        RankingSettings {
            freshness_weight: self.freshness_weight,
            freshness_half_life_days: self.freshness_half_life_days,
            title_boost: self.title_boost,
            ..RankingSettings::default()
        }
    }

    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("tidings.sqlite3")
    }

    pub fn index_path(&self) -> PathBuf {
        self.data_dir.join("tantivy")
    }

    /// The number of concurrent searches.
    pub fn effective_search_permits(&self) -> usize {
        if self.search_permits > 0 {
            self.search_permits
        } else {
            std::thread::available_parallelism().map(|cores| cores.get()).unwrap_or(2)
        }
    }
}

/// A path given relative to the project root is found from any working directory.
pub fn project_path(path: &Path) -> PathBuf {
    if path.is_absolute() || path.exists() {
        return path.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The sample corpus shipped in the repository.
pub fn sample_dir() -> PathBuf {
    let in_checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample");
    if in_checkout.is_dir() {
        in_checkout
    } else {
        PathBuf::from("sample")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let mut settings: Settings = toml::from_str("addr = \"0.0.0.0:9000\"\nindex_poll_ms = 100").unwrap();
        assert_eq!(settings.addr, "0.0.0.0:9000");
        assert_eq!(settings.request_timeout_ms, 10_000);
        settings.apply_env(|name| (name == "TIDINGS_ADDR").then(|| "127.0.0.1:1".to_string())).unwrap();
        assert_eq!(settings.addr, "127.0.0.1:1");
        assert_eq!(settings.index_poll_ms, 100);
    }

    #[test]
    fn rate_limits_read_from_the_file_and_the_environment() {
        let settings: Settings = toml::from_str(
            "trusted_proxies = [\"10.0.0.1\"]\n[rate_limits]\ninstant = { per_second = 20, burst = 40 }",
        )
        .unwrap();
        assert_eq!(settings.rate_limits.instant, Some(Rate { per_second: 20.0, burst: 40 }));
        assert_eq!(settings.trusted_proxies, vec!["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]);
        let limits = RateLimits::parse("search=0.5/2, write=5/10").unwrap();
        assert_eq!(limits.search, Some(Rate { per_second: 0.5, burst: 2 }));
        assert_eq!(limits.write, Some(Rate { per_second: 5.0, burst: 10 }));
        assert!(limits.instant.is_none());
        for bad in ["search=10", "fly=1/1", "search=x/1"] {
            assert!(RateLimits::parse(bad).is_err(), "{bad}");
        }
        assert!(RateLimits { search: Some(Rate { per_second: 0.0, burst: 1 }), ..Default::default() }.check().is_err());
    }

    #[test]
    fn unknown_keys_and_bad_numbers_are_rejected() {
        assert!(toml::from_str::<Settings>("adr = \"x\"").is_err());
        let mut settings = Settings::default();
        assert!(settings.apply_env(|name| (name == "TIDINGS_INDEX_POLL_MS").then(|| "soon".to_string())).is_err());
    }
}

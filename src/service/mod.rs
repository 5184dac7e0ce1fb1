//! The application services the HTTP API calls. Each joins what the search layer answers with
//! what only the store knows (an article in full with its story, the forms an entity was written
//! in, export rows), or writes through the one ingestion pipeline. They know nothing of HTTP.

mod articles;
mod export;
mod keys;
mod settings;
mod writes;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

pub use articles::{ArticleEntity, ArticleView};
pub use export::{csv_field, ExportFormat, CSV_COLUMNS};
pub use keys::KeyRequest;
pub use settings::Reloaded;
pub use writes::{JsonArticle, JsonEntity, WriteReport};

pub use crate::store::{IngestCounts, IngestRun};

use crate::access::{configured_keys, Keyring};
use crate::config::Settings;
use crate::entities::{default_extractor, Aliases};
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::ingest::{IndexHandOff, Ingestor};
use crate::search::entities::{EntityProfile, EntityProfileRequest};
use crate::search::tuning::Tuning;
use crate::search::{Engine, IndexStatus};
use crate::store::Store;

/// Everything the API serves: the search engine, a store connection for lookups, and the
/// ingestion pipeline for writes.
pub struct Service {
    engine: Engine,
    /// Lookups (articles, entity forms, figures); never on the search path.
    reader: Mutex<Store>,
    /// Writes, through the pipeline every other path uses; this server's background indexer
    /// follows the store.
    writer: Ingestor,
    /// Exports read the store through a connection of their own.
    store_path: PathBuf,
    /// The keys requests are checked against.
    keyring: Keyring,
    /// The settings in effect (the search settings as last reloaded).
    settings: RwLock<Settings>,
    /// Reloads run one at a time.
    reloading: Mutex<()>,
}

/// The store's and the index's figures.
#[derive(Debug, Clone)]
pub struct Status {
    /// Articles in the store.
    pub articles: u64,
    /// The store's last change sequence.
    pub store_seq: i64,
    pub index: IndexStatus,
    /// The most recent finished ingestion run.
    pub last_ingest: Option<IngestRun>,
}

/// What `/metrics` reports from the store and the index at a scrape.
#[derive(Debug, Clone)]
pub struct Figures {
    pub status: Status,
    /// Finished ingestion runs (files, feed polls, API writes) and their counts added up.
    pub ingest_runs: u64,
    pub ingested: IngestCounts,
    /// Feeds followed, failing now, and their consecutive failures added up.
    pub feeds: u64,
    pub feeds_failing: u64,
    pub feed_failures: u64,
}

impl Status {
    /// Store changes the index does not hold yet.
    pub fn index_lag(&self) -> i64 {
        lag(self.store_seq, self.index)
    }
}

/// Store changes past what the searchable snapshot holds.
fn lag(store_seq: i64, index: IndexStatus) -> i64 {
    (store_seq - index.visible_seq).max(0)
}

impl Service {
    /// Opens the data directory's store twice (lookups, writes) over an open index.
    pub fn open(settings: &Settings, index: Arc<SearchIndex>, aliases: Arc<Aliases>) -> Result<Service> {
        let engine = Engine::new(index, &Tuning::new(settings, Arc::clone(&aliases)))
            .suggesting_headlines_of(settings.suggest_headlines)
            .counting_exactly_up_to(settings.exact_total_up_to);
        let reader = Store::open(&settings.store_path())?;
        let writer =
            Ingestor::new(Store::open(&settings.store_path())?, default_extractor(), aliases, IndexHandOff::Follower);
        let keyring = Keyring::new(&configured_keys(settings)?, reader.keys()?)?;
        Ok(Service {
            engine,
            reader: Mutex::new(reader),
            writer,
            store_path: settings.store_path(),
            keyring,
            settings: RwLock::new(settings.clone()),
            reloading: Mutex::new(()),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Store changes the index does not hold yet.
    pub fn index_lag(&self) -> Result<i64> {
        Ok(lag(self.reader()?.max_seq()?, self.engine.status()))
    }

    pub fn status(&self) -> Result<Status> {
        let store = self.reader()?;
        let store_seq = store.max_seq()?;
        Ok(Status {
            articles: store.count_articles()?,
            store_seq,
            index: self.engine.status(),
            last_ingest: store.last_run()?,
        })
    }

    /// The figures `/metrics` reports.
    pub fn figures(&self) -> Result<Figures> {
        let status = self.status()?;
        let store = self.reader()?;
        let (ingest_runs, ingested) = store.ledger_totals()?;
        let (feeds, feeds_failing, feed_failures) = store.feed_health()?;
        Ok(Figures { status, ingest_runs, ingested, feeds, feeds_failing, feed_failures })
    }

    /// An entity's profile from the index, with the forms articles wrote it in from the store.
    /// Those forms are tallied over the whole store, so a scoped request (a tenant) gets none:
    /// they could name what only other tenants' articles wrote.
    pub fn entity_profile(&self, request: &EntityProfileRequest) -> Result<EntityProfile> {
        let mut profile = self.engine.entity_profile(request)?;
        if request.scope.is_everything() {
            profile.aliases = self.reader()?.entity_surfaces(request.kind, &profile.name)?;
        }
        Ok(profile)
    }

    fn reader(&self) -> Result<MutexGuard<'_, Store>> {
        self.reader.lock().map_err(|_| Error::Internal("store mutex poisoned".into()))
    }
}

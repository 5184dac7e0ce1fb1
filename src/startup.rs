//! Starting and stopping the server: open the store and the index, take the index writer, run
//! the background indexer that follows the store, bind the listener and serve.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::serve::{Listener, ListenerExt};
use tokio::net::TcpListener;
use tracing::{error, info, warn};

use crate::api::{self, AppState};
use crate::config::Settings;
use crate::entities::Aliases;
use crate::error::{Error, Result};
use crate::index::{SearchIndex, WriterBudget};
use crate::service::Service;
use crate::store::Store;

/// A built, bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    port: u16,
    state: Arc<AppState>,
    index: Arc<SearchIndex>,
    settings: Settings,
}

impl Application {
    /// Opens everything and binds `settings.addr` (port 0 picks a free port). The alias table is
    /// the shipped one extended by `aliases_file`.
    pub async fn build(settings: Settings) -> Result<Application> {
        let aliases = Arc::new(Aliases::load(settings.aliases_file.as_deref())?);
        let index = Arc::new(
            SearchIndex::open(&settings.index_path())?.searching_in_parallel_from(settings.parallel_search_from_docs),
        );
        if !index.acquire_writer(WriterBudget::Server)? {
            warn!("another process holds the index writer: serving without indexing until it is released");
        }
        let service = Service::open(&settings, Arc::clone(&index), aliases)?;
        let state = Arc::new(AppState::new(&settings, service));
        // The views (suggestions, the word list) are built by the background indexer's first
        // round: the server answers at once, searches while they are built (`/readyz` says when).
        let listener = TcpListener::bind(&settings.addr)
            .await
            .map_err(|error| Error::Config(format!("cannot listen on {}: {error}", settings.addr)))?;
        let port = listener.local_addr()?.port();
        Ok(Application { listener, port, state, index, settings })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, indexing store changes in the background.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let indexer = BackgroundIndexer::start(&self.settings, Arc::clone(&self.index), Arc::clone(&self.state))?;
        validate_in_the_background(Arc::clone(&self.index))?;
        let router = api::router(Arc::clone(&self.state), &self.settings);
        // Small responses written in pieces must not wait for delayed ACKs (Nagle): no delay.
        let listener = self.listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                warn!(%error, "cannot set TCP_NODELAY");
            }
        });
        info!(addr = %listener.local_addr()?, "serving");
        // Rate-limit buckets of idle clients are forgotten every minute.
        let state = Arc::clone(&self.state);
        let tidying = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                state.limits.tidy();
            }
        });
        // SIGHUP reads the configuration file again (as POST /v1/settings/reload does).
        let state = Arc::clone(&self.state);
        let reloading = tokio::spawn(async move {
            let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
                warn!("cannot listen for SIGHUP: settings reload only through POST /v1/settings/reload");
                return;
            };
            while hangups.recv().await.is_some() {
                let service = Arc::clone(&state);
                match tokio::task::spawn_blocking(move || service.service.reload_settings()).await {
                    Ok(Ok(reloaded)) => {
                        info!(changed = ?reloaded.changed, notes = ?reloaded.notes, "SIGHUP: settings reloaded")
                    }
                    Ok(Err(error)) => warn!(%error, "SIGHUP: the settings were not reloaded; the previous ones stay"),
                    Err(error) => warn!(%error, "SIGHUP: the reload failed"),
                }
            }
        });
        // The peer's address is kept for rate limits (and, behind a trusted proxy, X-Forwarded-For).
        let served = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
        tidying.abort();
        reloading.abort();
        indexer.stop();
        self.index.release_writer()?;
        served.map_err(Error::Io)
    }
}

/// How often a waiting indexer looks whether it should stop.
const STOP_CHECK: Duration = Duration::from_millis(50);

/// Follows the store: indexes new sequences as they appear, or (without the writer) reloads the
/// reader to see another process's commits.
struct BackgroundIndexer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundIndexer {
    fn start(settings: &Settings, index: Arc<SearchIndex>, state: Arc<AppState>) -> Result<BackgroundIndexer> {
        let store = Store::open(&settings.store_path())?;
        let stop = Arc::new(AtomicBool::new(false));
        let poll = Duration::from_millis(settings.index_poll_ms.max(10));
        let stop_flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new().name("tidings-indexer".into()).spawn(move || {
            while !stop_flag.load(Ordering::Relaxed) {
                if let Err(error) = follow_once(&index, &state, &store) {
                    warn!(%error, "background indexing failed; retrying");
                }
                // In short steps, so a stop does not wait out a long poll interval.
                let next = std::time::Instant::now() + poll;
                while !stop_flag.load(Ordering::Relaxed) && std::time::Instant::now() < next {
                    std::thread::sleep(STOP_CHECK.min(next.saturating_duration_since(std::time::Instant::now())));
                }
            }
        })?;
        Ok(BackgroundIndexer { stop, thread: Some(thread) })
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Checks every index file against its checksum once, while the server already serves (at a
/// million articles it reads gigabytes); damage is logged and turns `/readyz` to 503 with what
/// to do.
fn validate_in_the_background(index: Arc<SearchIndex>) -> Result<()> {
    std::thread::Builder::new().name("tidings-validate".into()).spawn(move || match index.validate_files() {
        Ok(damaged) if damaged.is_empty() => info!("every index file matches its checksum"),
        Ok(damaged) => error!(files = ?damaged, "{}", crate::error::INDEX_DAMAGED),
        // Files a merge removed meanwhile cannot be read: not damage.
        Err(error) => warn!(%error, "the index files could not all be checked"),
    })?;
    Ok(())
}

fn follow_once(index: &SearchIndex, state: &AppState, store: &Store) -> Result<()> {
    if !index.acquire_writer(WriterBudget::Server)? {
        index.reload()?;
        return state.service.engine().refresh_views();
    }
    if store.max_seq()? > index.indexed_seq()? {
        index.catch_up(store)?;
    }
    state.service.engine().refresh_views()
}

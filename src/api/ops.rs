//! Operations: liveness, readiness (the index holds every store change) and the store's and
//! index's figures. None of them waits behind the search queue.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::queue::QueueFigures;
use super::{off_the_runtime, Shared};
use crate::access::Grant;
use crate::error::Error;
use crate::service::IngestRun;

#[derive(Serialize, ToSchema)]
pub(super) struct Health {
    status: String,
}

/// Alive.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub(super) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

#[derive(Serialize, ToSchema)]
pub(super) struct Readiness {
    /// `ready`, `catching_up`, or `damaged` (an index file failed its checksum: `message` says
    /// what to do).
    status: String,
    /// Store changes not yet in the index.
    index_lag: i64,
    /// `ready`, or `building` while the suggestions and the word list for typos and prefixes
    /// are built after a start (searches answer meanwhile, without typo and prefix expansions).
    views: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// Ready: the index is open and holds every change of the store.
#[utoipa::path(get, path = "/readyz", responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub(super) async fn readyz(State(state): State<Shared>) -> Result<Response, ApiError> {
    let lag = off_the_runtime(&state, |state| state.service.index_lag()).await?;
    let views = if state.service.engine().views_built() { "ready" } else { "building" }.into();
    let damaged = state.service.engine().damaged_files();
    let (status, word, message) = match (damaged.is_empty(), lag) {
        (false, _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "damaged",
            Some(format!("{} (files: {})", crate::error::INDEX_DAMAGED, damaged.join(", "))),
        ),
        (true, 0) => (StatusCode::OK, "ready", None),
        (true, _) => (StatusCode::SERVICE_UNAVAILABLE, "catching_up", None),
    };
    let readiness = Readiness { status: word.into(), index_lag: lag, views, message };
    Ok((status, Json(readiness)).into_response())
}

#[derive(Serialize, ToSchema)]
pub(super) struct Stats {
    /// Articles in the store.
    articles: u64,
    /// Documents in the index.
    indexed_documents: u64,
    /// Index segments holding them.
    indexed_segments: usize,
    /// Searches that ran alone on a large index and used every core, since the start.
    parallel_searches: u64,
    /// Last change sequence of the store and of the index.
    store_seq: i64,
    index_seq: i64,
    /// Store changes not yet indexed.
    index_lag: i64,
    /// The most recent finished ingestion run.
    last_ingest: Option<IngestRun>,
    /// The search queue: permits, what runs and waits now, and what was turned away.
    searches: QueueFigures,
}

/// Store and index figures. They are the whole server's: a scoped key or tenant token is refused.
#[utoipa::path(
    get,
    path = "/v1/stats",
    responses((status = 200, body = Stats), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody))
)]
pub(super) async fn stats(
    State(state): State<Shared>,
    Extension(grant): Extension<Grant>,
) -> Result<Json<Stats>, ApiError> {
    if !grant.scope.is_everything() {
        return Err(ApiError(Error::Forbidden(
            "the server's figures cover every article: a scoped key or tenant token may not read them".into(),
        )));
    }
    let status = off_the_runtime(&state, |state| state.service.status()).await?;
    Ok(Json(Stats {
        articles: status.articles,
        indexed_documents: status.index.documents,
        indexed_segments: status.index.segments,
        parallel_searches: status.index.parallel_searches,
        store_seq: status.store_seq,
        index_seq: status.index.visible_seq,
        index_lag: status.index_lag(),
        last_ingest: status.last_ingest,
        searches: state.queue.figures(),
    }))
}

//! `GET /v1/export`: every match of a search streamed as CSV or JSON Lines, ranked as the search
//! ranks them, from one index snapshot, in chunks handed over as the client reads them (memory
//! stays flat however many rows).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::Extension;
use futures_util::StreamExt;
use tokio::sync::mpsc::{self, error::TrySendError};

use super::error::ApiError;
use super::params::{ExportParams, SearchFilters};
use super::{on_a_permit, Shared};
use crate::access::Grant;
use crate::error::Error;

/// Chunks waiting for a slow client at most.
const CHUNKS_IN_FLIGHT: usize = 4;
/// How long a client may leave a chunk unread before the export gives up (and frees its permit).
const STALL_LIMIT: Duration = Duration::from_secs(60);
/// How long one export may take in all, however slowly its client reads.
const EXPORT_DEADLINE: Duration = Duration::from_secs(10 * 60);

type Chunk = Result<Bytes, std::io::Error>;

/// Streams every match of a search (up to the row cap) as CSV or JSON Lines.
#[utoipa::path(
    get,
    path = "/v1/export",
    params(ExportParams, SearchFilters),
    responses(
        (status = 200, description = "CSV (columns id, published_at, source, title, url, people, orgs, places, topics; lists joined with \"; \") or JSON Lines; `x-total-count` is the number of matches, `x-export-rows` the rows sent", content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody),
        (status = 503, body = super::error::ErrorBody)
    )
)]
pub(super) async fn export(
    State(state): State<Shared>,
    Extension(grant): Extension<Grant>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (mut request, format, max_rows) = ExportParams::request(query.as_deref().unwrap_or(""), state.export.max_rows)?;
    grant.scope.restrict(&mut request);
    let permit = Arc::clone(&state.export.permits)
        .acquire_owned()
        .await
        .map_err(|_| ApiError(Error::Internal("export permits closed".into())))?;
    let plan = on_a_permit(&state, move |state| state.service.engine().plan_export(&request)).await?;
    let total = plan.total;
    let (sender, receiver) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    let producer = Arc::clone(&state);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let deadline = Instant::now() + EXPORT_DEADLINE;
        let written = producer
            .service
            .export_rows(&plan, format, max_rows, |chunk| hand_over(&sender, Bytes::from(chunk), deadline));
        if let Err(error) = written {
            tracing::warn!(%error, "export stopped");
            let _ = sender.try_send(Err(std::io::Error::other(error.to_string())));
        }
    });
    // Fused: the compression layer polls the body once more after its end, which an unfused
    // `unfold` answers with a panic (and the client with a cut download).
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
    .fuse();
    let (content_type, extension) = format.content_type();
    let mut response = Response::new(Body::from_stream(stream));
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"tidings-export.{extension}\"")) {
        response_headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response_headers.insert("x-total-count", HeaderValue::from(total as u64));
    response_headers.insert("x-export-rows", HeaderValue::from(total.min(max_rows) as u64));
    Ok(response)
}

/// Queues a chunk for the connection; false when the client went away, stopped reading, or the
/// export ran past its deadline.
fn hand_over(sender: &mpsc::Sender<Chunk>, chunk: Bytes, deadline: Instant) -> bool {
    let started = Instant::now();
    let mut chunk = Ok(chunk);
    loop {
        match sender.try_send(chunk) {
            Ok(()) => return true,
            Err(TrySendError::Closed(_)) => return false,
            Err(TrySendError::Full(back)) => {
                let now = Instant::now();
                if now.duration_since(started) > STALL_LIMIT || now > deadline {
                    tracing::warn!("export stopped: the client stopped reading or the export ran past its deadline");
                    return false;
                }
                chunk = back;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

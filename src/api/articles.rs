//! Articles: one in full (`GET /v1/articles/{id}`), stories related to it, and writes
//! (`POST /v1/articles`, `DELETE /v1/articles/{id}`, behind API keys).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::params::{RelatedParams, WriteParams};
use super::{on_a_permit, Shared};
use crate::access::Grant;
use crate::error::Error;
use crate::search::request::Hit;
use crate::service::{ArticleView, WriteReport};

/// One article by tidings id.
#[utoipa::path(
    get,
    path = "/v1/articles/{id}",
    params(("id" = String, Path, description = "tidings article id")),
    responses((status = 200, body = ArticleView), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody))
)]
pub(super) async fn article(
    State(state): State<Shared>,
    Extension(grant): Extension<Grant>,
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    let view = on_a_permit(&state, move |state| state.service.article(&id, &grant.scope)).await?;
    Ok(Json(view))
}

/// Stories related to an article.
#[derive(Serialize, ToSchema)]
pub(super) struct RelatedStories {
    /// The article they relate to.
    pub id: String,
    /// Best first; none from the article's own near-duplicate cluster.
    pub related: Vec<Hit>,
}

/// Stories related to an article: more-like-this on its title and body plus the people,
/// organisations and places it names; its own near-duplicate copies are left out.
#[utoipa::path(
    get,
    path = "/v1/articles/{id}/related",
    params(("id" = String, Path, description = "tidings article id"), RelatedParams),
    responses(
        (status = 200, body = RelatedStories),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)
    )
)]
pub(super) async fn related(
    State(state): State<Shared>,
    Extension(grant): Extension<Grant>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<RelatedStories>, ApiError> {
    let limit = RelatedParams::from_query_string(query.as_deref().unwrap_or(""))?;
    let lookup = id.clone();
    let related = on_a_permit(&state, move |state| state.service.related(&lookup, limit, &grant.scope)).await?;
    Ok(Json(RelatedStories { id, related }))
}

/// Adds or replaces articles. The body is NDJSON (one article per line) or a JSON array of
/// articles, in the JSONL ingestion format, up to `max_write_bytes` (16 MB by default). An article
/// with the id or url of an existing one replaces it everywhere (store, index, facets, clusters).
/// Items that cannot be read are reported in `rejections` and the rest are written. `seq` is the
/// store sequence the write reached; with `wait=true` the answer comes once search holds it, or
/// as 202 with `searchable: false` when `wait_ms` ran out.
#[utoipa::path(
    post,
    path = "/v1/articles",
    params(WriteParams),
    request_body(
        description = "A JSON array of articles, or NDJSON: the same objects one per line",
        content((inline(ArticleBatch) = "application/json"), (inline(ArticleBatch) = "application/x-ndjson"))
    ),
    responses(
        (status = 200, body = WriteReport),
        (status = 202, body = WriteReport),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 503, body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub(super) async fn post_articles(
    State(state): State<Shared>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let wait = WriteParams::from_query_string(query.as_deref().unwrap_or(""))?;
    let mut report = on_a_permit(&state, move |state| {
        let text = std::str::from_utf8(&body)
            .map_err(|error| Error::BadParameter(format!("the body is not UTF-8: {error}")))?;
        state.service.write(text)
    })
    .await?;
    if let Some(longest) = wait {
        report.searchable = searchable(&state, report.seq, longest).await;
    }
    let status = if wait.is_some() && !report.searchable { StatusCode::ACCEPTED } else { StatusCode::OK };
    let seq = report.seq;
    Ok(with_seq((status, Json(report)).into_response(), seq))
}

/// Waits, at most `longest`, until search sees store sequence `seq`; true when it does. The
/// wait holds no search permit.
async fn searchable(state: &Shared, seq: i64, longest: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + longest;
    loop {
        if state.service.holds(seq) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(WAIT_STEP).await;
    }
}

/// How often a waiting write looks at the index.
const WAIT_STEP: Duration = Duration::from_millis(10);

/// The store sequence a write reached, as a header (a delete's 204 has no body).
fn with_seq(mut response: Response, seq: i64) -> Response {
    response.headers_mut().insert(STORE_SEQ, HeaderValue::from(seq));
    response
}

const STORE_SEQ: HeaderName = HeaderName::from_static("x-store-seq");

/// The articles of a write: at least one.
pub(super) struct ArticleBatch;

impl PartialSchema for ArticleBatch {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new().items(RefOr::Ref(Ref::from_schema_name("Article"))).min_items(Some(1)).into()
    }
}

impl ToSchema for ArticleBatch {}

/// Deletes an article from the store and, within the index's poll interval, from search; with
/// `wait=true`, answers once search no longer finds it (204), or 202 when `wait_ms` ran out. The
/// `x-store-seq` header carries the store sequence the delete reached.
#[utoipa::path(
    delete,
    path = "/v1/articles/{id}",
    params(("id" = String, Path, description = "tidings article id"), WriteParams),
    responses(
        (status = 204),
        (status = 202),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub(super) async fn delete_article(
    State(state): State<Shared>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let wait = WriteParams::from_query_string(query.as_deref().unwrap_or(""))?;
    let seq = on_a_permit(&state, move |state| state.service.delete(&id)).await?;
    let done = match wait {
        Some(longest) => searchable(&state, seq, longest).await,
        None => true,
    };
    let status = if done { StatusCode::NO_CONTENT } else { StatusCode::ACCEPTED };
    Ok(with_seq(status.into_response(), seq))
}

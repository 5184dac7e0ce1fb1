//! Articles: one in full (`GET /v1/articles/{id}`), stories related to it, and writes
//! (`POST /v1/articles`, `DELETE /v1/articles/{id}`, behind API keys).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::params::RelatedParams;
use super::{on_a_permit, Shared};
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
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    let view = on_a_permit(&state, move |state| state.service.article(&id)).await?;
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
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<RelatedStories>, ApiError> {
    let limit = RelatedParams::from_query_string(query.as_deref().unwrap_or(""))?;
    let lookup = id.clone();
    let related = on_a_permit(&state, move |state| state.service.related(&lookup, limit)).await?;
    Ok(Json(RelatedStories { id, related }))
}

/// Adds or replaces articles. The body is NDJSON (one article per line) or a JSON array of
/// articles, in the JSONL ingestion format, up to `max_write_bytes` (16 MB by default). An article
/// with the id or url of an existing one replaces it everywhere (store, index, facets, clusters).
/// Items that cannot be read are reported in `rejections` and the rest are written.
#[utoipa::path(
    post,
    path = "/v1/articles",
    request_body(
        description = "A JSON array of articles, or NDJSON: the same objects one per line",
        content((inline(ArticleBatch) = "application/json"), (inline(ArticleBatch) = "application/x-ndjson"))
    ),
    responses(
        (status = 200, body = WriteReport),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 503, body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub(super) async fn post_articles(State(state): State<Shared>, body: Bytes) -> Result<Json<WriteReport>, ApiError> {
    let report = on_a_permit(&state, move |state| {
        let text = std::str::from_utf8(&body)
            .map_err(|error| Error::BadParameter(format!("the body is not UTF-8: {error}")))?;
        state.service.write(text)
    })
    .await?;
    Ok(Json(report))
}

/// The articles of a write: at least one.
pub(super) struct ArticleBatch;

impl PartialSchema for ArticleBatch {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new().items(RefOr::Ref(Ref::from_schema_name("Article"))).min_items(Some(1)).into()
    }
}

impl ToSchema for ArticleBatch {}

/// Deletes an article from the store and, within the index's poll interval, from search.
#[utoipa::path(
    delete,
    path = "/v1/articles/{id}",
    params(("id" = String, Path, description = "tidings article id")),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub(super) async fn delete_article(
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    on_a_permit(&state, move |state| state.service.delete(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

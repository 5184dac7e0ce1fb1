//! Search and suggestions: `GET`/`POST /v1/search` and `GET /v1/suggest`.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::params::{SearchParams, SuggestParams};
use super::{on_a_permit, Shared};
use crate::access::Grant;
use crate::error::Error;
use crate::search::request::{SearchRequest, SearchResponse};
use crate::search::suggest::Suggestion;

/// Search articles.
#[utoipa::path(
    get,
    path = "/v1/search",
    params(SearchParams),
    responses(
        (status = 200, body = SearchResponse),
        (status = 400, body = ErrorBody),
        (status = 503, body = ErrorBody)
    )
)]
pub(super) async fn search_get(
    State(state): State<Shared>,
    Extension(grant): Extension<Grant>,
    RawQuery(query): RawQuery,
) -> Result<Json<SearchResponse>, ApiError> {
    let params = SearchParams::from_query_string(query.as_deref().unwrap_or(""))?;
    run_search(state, grant, params).await
}

/// Search articles, the parameters as a JSON body.
#[utoipa::path(
    post,
    path = "/v1/search",
    request_body = SearchParams,
    responses(
        (status = 200, body = SearchResponse),
        (status = 400, body = ErrorBody),
        (status = 503, body = ErrorBody)
    )
)]
pub(super) async fn search_post(
    State(state): State<Shared>,
    Extension(grant): Extension<Grant>,
    body: Bytes,
) -> Result<Json<SearchResponse>, ApiError> {
    let params: SearchParams = serde_json::from_slice(&body).map_err(|error| {
        Error::BadParameter(format!("the body must be a JSON object of search parameters: {error}"))
    })?;
    run_search(state, grant, params).await
}

async fn run_search(state: Shared, grant: Grant, params: SearchParams) -> Result<Json<SearchResponse>, ApiError> {
    let mut request = SearchRequest::try_from(params)?;
    grant.scope.restrict(&mut request);
    let response = on_a_permit(&state, move |state| state.service.engine().search(&request)).await?;
    tracing::debug!(hits = response.hits.len(), total = response.total, "search done");
    Ok(Json(response))
}

/// Search-box suggestions.
#[derive(Serialize, ToSchema)]
pub(super) struct SuggestResponse {
    pub suggestions: Vec<Suggestion>,
}

/// Suggestions while typing: entity names (person, org, place, with their article counts) and
/// headlines having, for every typed word, a word that starts with it; ranked by article count
/// and freshness. Answered from memory.
#[utoipa::path(
    get,
    path = "/v1/suggest",
    params(SuggestParams),
    responses((status = 200, body = SuggestResponse), (status = 400, body = ErrorBody))
)]
pub(super) async fn suggest(
    State(state): State<Shared>,
    Extension(grant): Extension<Grant>,
    RawQuery(query): RawQuery,
) -> Result<Json<SuggestResponse>, ApiError> {
    let mut request = SuggestParams::parse(query.as_deref().unwrap_or(""))?;
    let suggestions = if grant.scope.is_everything() {
        state.service.engine().suggest(&request)?
    } else {
        // Under a scope each candidate is checked against the index: behind a permit.
        request.scope = grant.scope;
        on_a_permit(&state, move |state| state.service.engine().suggest(&request)).await?
    };
    Ok(Json(SuggestResponse { suggestions }))
}

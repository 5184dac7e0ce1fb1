//! Entities: `GET /v1/entities` (people, organisations or places with article counts under any
//! search's filters) and `GET /v1/entities/{kind}/{name}` (one entity's profile).

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::params::{parse_kind, EntityListParams, EntityProfileParams, SearchFilters};
use super::{on_a_permit, Shared};
use crate::access::Grant;
use crate::error::Error;
use crate::model::EntityKind;
use crate::search::entities::{EntityCount, EntityProfile};

/// Entities with article counts.
#[derive(Serialize, ToSchema)]
pub(super) struct EntityList {
    pub entities: Vec<EntityCount>,
}

/// People, organisations or places with the number of matching articles that mention them,
/// most mentioned first; the search filters choose the articles.
#[utoipa::path(
    get,
    path = "/v1/entities",
    params(EntityListParams, SearchFilters),
    responses((status = 200, body = EntityList), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody))
)]
pub(super) async fn entity_list(
    State(state): State<Shared>,
    Extension(grant): Extension<Grant>,
    RawQuery(query): RawQuery,
) -> Result<Json<EntityList>, ApiError> {
    let mut request = EntityListParams::request(query.as_deref().unwrap_or(""))?;
    grant.scope.restrict(&mut request.search);
    let entities = on_a_permit(&state, move |state| state.service.engine().entities(&request)).await?;
    Ok(Json(EntityList { entities }))
}

/// An entity's profile: canonical name, the forms it was written in, article count, first and
/// last seen, a mention timeline and the entities that co-occur with it.
#[utoipa::path(
    get,
    path = "/v1/entities/{kind}/{name}",
    params(
        ("kind" = inline(EntityKind), Path, description = "person, org or place"),
        ("name" = String, Path, description = "canonical name or an alias, URL-encoded; case-insensitive", pattern = r"\S"),
        EntityProfileParams
    ),
    responses(
        (status = 200, body = EntityProfile),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)
    )
)]
pub(super) async fn entity_profile(
    State(state): State<Shared>,
    Extension(grant): Extension<Grant>,
    Path((kind, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<EntityProfile>, ApiError> {
    let mut request = EntityProfileParams::request(&kind, name, query.as_deref().unwrap_or(""))?;
    request.scope = grant.scope;
    let profile = on_a_permit(&state, move |state| state.service.entity_profile(&request)).await?;
    Ok(Json(profile))
}

/// `/v1/entities/{kind}/` without a name.
pub(super) async fn entity_without_name(Path(kind): Path<String>) -> Result<Response, ApiError> {
    parse_kind(&kind)?;
    Err(ApiError(Error::BadParameter("the entity name is empty: use /v1/entities/{kind}/{name}".into())))
}

//! API keys, for admin keys only: `GET /v1/keys` lists them (never the keys themselves),
//! `POST /v1/keys` makes one (the key is in that answer and nowhere else), `DELETE
//! /v1/keys/{uid}` removes one made here.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::{off_the_runtime, Shared};
use crate::access::{parse_expiry, Action, Actions, KeyInfo};
use crate::error::Error;
use crate::search::scope::Scope;
use crate::service::KeyRequest;

/// Every key.
#[derive(Serialize, ToSchema)]
pub(super) struct KeyList {
    pub keys: Vec<KeyInfo>,
}

/// A key to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewKeyBody {
    /// What the key is for.
    #[schema(example = "Example Daily search box", min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// Any of `search`, `write`, `export`, `admin` (admin implies every other).
    #[schema(example = json!(["search"]), min_items = 1)]
    pub actions: Vec<Action>,
    /// RFC 3339 date after which the key is refused (in the future); absent: never.
    #[schema(example = "2027-12-31T00:00:00Z", format = DateTime)]
    pub expires_at: Option<String>,
    /// Keyword filters every request of the key is restricted to (keys that neither write nor
    /// administer).
    #[schema(example = json!({"source": "Example Daily"}))]
    pub filter: Option<KeyFilter>,
}

/// Keyword filters: each a value or a list of values (any of them), every filter given.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct KeyFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<FilterValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<FilterValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<FilterValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<FilterValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<FilterValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<FilterValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<FilterValues>,
}

/// One value or a list of them (any of them matches): each not blank, at most 200 characters,
/// at most 64 values.
#[derive(Deserialize, Serialize)]
#[serde(untagged)]
pub(super) enum FilterValues {
    One(String),
    Many(Vec<String>),
}

impl PartialSchema for FilterValues {
    fn schema() -> RefOr<Schema> {
        let value = || {
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .min_length(Some(1))
                .max_length(Some(200))
                .pattern(Some(r"\S"))
        };
        let many = ArrayBuilder::new().items(value()).min_items(Some(1)).max_items(Some(64));
        OneOfBuilder::new().item(value()).item(many).into()
    }
}

impl ToSchema for FilterValues {}

/// A key just made: `key` is shown this once.
#[derive(Serialize, ToSchema)]
pub(super) struct CreatedKey {
    /// The key itself. The server keeps only its digest: store it now.
    pub key: String,
    #[serde(flatten)]
    pub info: KeyInfo,
}

/// Lists every key: configured ones and those made through the API (never the keys themselves).
#[utoipa::path(
    get,
    path = "/v1/keys",
    responses((status = 200, body = KeyList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("api_key" = []))
)]
pub(super) async fn list_keys(State(state): State<Shared>) -> Json<KeyList> {
    Json(KeyList { keys: state.service.keyring().list() })
}

/// Makes a key with the given actions, expiry and filter; the answer holds the key, once.
#[utoipa::path(
    post,
    path = "/v1/keys",
    request_body = NewKeyBody,
    responses(
        (status = 201, body = CreatedKey),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub(super) async fn create_key(State(state): State<Shared>, body: Bytes) -> Result<Response, ApiError> {
    let body: NewKeyBody = serde_json::from_slice(&body).map_err(|error| {
        Error::BadParameter(format!("the body must be a JSON object with name, actions, expires_at, filter: {error}"))
    })?;
    // The typed filter documents the body; Scope::from_json holds the rules every filter obeys
    // (configured keys and tenant tokens read the same JSON form).
    let scope = match &body.filter {
        Some(filter) => Scope::from_json(&serde_json::json!(filter))?,
        None => Scope::everything(),
    };
    let request = KeyRequest {
        name: body.name,
        actions: Actions::parse(&body.actions.iter().map(|action| action.name()).collect::<Vec<_>>())?,
        scope,
        expires_at: body.expires_at.as_deref().map(parse_expiry).transpose()?,
    };
    let (info, key) =
        off_the_runtime(&state, move |state| state.service.create_key(request, chrono::Utc::now().timestamp())).await?;
    tracing::info!(uid = %info.uid, name = %info.name, "key made");
    Ok((StatusCode::CREATED, Json(CreatedKey { key, info })).into_response())
}

/// Removes a key made through the API (configured keys are removed from the configuration).
#[utoipa::path(
    delete,
    path = "/v1/keys/{uid}",
    params(("uid" = String, Path, description = "the key's uid, from GET /v1/keys")),
    responses(
        (status = 204, description = "removed"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "a configured key: remove it from the configuration", body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub(super) async fn delete_key(State(state): State<Shared>, Path(uid): Path<String>) -> Result<StatusCode, ApiError> {
    let removed = uid.clone();
    off_the_runtime(&state, move |state| state.service.delete_key(&uid)).await?;
    tracing::info!(uid = %removed, "key removed");
    Ok(StatusCode::NO_CONTENT)
}

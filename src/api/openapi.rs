//! The OpenAPI document, generated from the typed request and response structs and the handlers'
//! declarations.

use axum::extract::State;
use axum::Json;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::OpenApi;

use super::articles::{self, RelatedStories};
use super::entities::{self, EntityList};
use super::error::{ErrorBody, ErrorDetail};
use super::keys::{self, CreatedKey, FilterValues, KeyFilter, KeyList, NewKeyBody};
use super::metrics;
use super::ops::{self, Health, Readiness, Stats};
use super::params::SearchParams;
use super::queue::QueueFigures;
use super::search::{self, SuggestResponse};
use super::{export, Shared};
use crate::access::{Action, KeyInfo, Origin};
use crate::search::entities::{EntityCount, EntityProfile, RelatedEntity};
use crate::search::request::{
    Duplicates, FacetCount, Highlights, HistogramBucket, Hit, HitEntity, MatchSpan, Matches, SearchResponse,
    TotalRelation,
};
use crate::search::suggest::{Suggestion, SuggestionKind};
use crate::service::{ArticleEntity, ArticleView, IngestCounts, IngestRun, JsonArticle, JsonEntity, WriteReport};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tidings",
        description = "Full-text news search: ranked queries with highlighted snippets, facets, filters and date histograms."
    ),
    paths(
        ops::healthz,
        ops::readyz,
        ops::stats,
        search::search_get,
        search::search_post,
        search::suggest,
        articles::article,
        articles::related,
        export::export,
        articles::post_articles,
        articles::delete_article,
        entities::entity_list,
        entities::entity_profile,
        keys::list_keys,
        keys::create_key,
        keys::delete_key,
        metrics::metrics,
        openapi_json
    ),
    modifiers(&BearerKeys),
    components(schemas(
        SearchParams,
        SearchResponse,
        TotalRelation,
        SuggestResponse,
        RelatedStories,
        Suggestion,
        SuggestionKind,
        Matches,
        MatchSpan,
        Hit,
        HitEntity,
        Highlights,
        FacetCount,
        HistogramBucket,
        ErrorBody,
        ErrorDetail,
        ArticleView,
        ArticleEntity,
        Stats,
        QueueFigures,
        Readiness,
        Health,
        IngestRun,
        IngestCounts,
        EntityList,
        EntityCount,
        EntityProfile,
        RelatedEntity,
        WriteReport,
        JsonArticle,
        JsonEntity,
        Duplicates,
        KeyList,
        NewKeyBody,
        KeyFilter,
        FilterValues,
        CreatedKey,
        KeyInfo,
        Action,
        Origin
    ))
)]
pub struct ApiDoc;

/// Declares the `api_key` security scheme the write endpoints use.
struct BearerKeys;

impl utoipa::Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (from the configuration or POST /v1/keys) or a tenant token signed with a \
                         search key: each key has actions (search, write, export, admin), an optional expiry and an \
                         optional filter",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, generated from the typed request and response structs, with what this
/// server's configuration decides (the export row ceiling).
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "OpenAPI 3.1 document")))]
pub(super) async fn openapi_json(State(state): State<Shared>) -> Json<utoipa::openapi::OpenApi> {
    let mut document = ApiDoc::openapi();
    let export_limit = document
        .paths
        .paths
        .get_mut("/v1/export")
        .and_then(|path| path.get.as_mut())
        .and_then(|operation| operation.parameters.as_mut())
        .and_then(|parameters| parameters.iter_mut().find(|parameter| parameter.name == "limit"));
    if let Some(parameter) = export_limit {
        parameter.schema = Some(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::Integer))
                .minimum(Some(1.0))
                .maximum(Some(state.export.max_rows as f64))
                .into(),
        );
    }
    Json(document)
}

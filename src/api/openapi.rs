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
use super::{export, settings, Shared};
use crate::access::{Action, KeyInfo, Origin};
use crate::search::entities::{EntityCount, EntityProfile, RelatedEntity};
use crate::search::request::{
    Duplicates, FacetCount, Highlights, HistogramBucket, Hit, HitEntity, MatchSpan, Matches, SearchResponse,
    TotalRelation,
};
use crate::search::suggest::{Suggestion, SuggestionKind};
use crate::search::tuning::TuningView;
use crate::service::{
    ArticleEntity, ArticleView, IngestCounts, IngestRun, JsonArticle, JsonEntity, Reloaded, WriteReport,
};

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
        settings::settings,
        settings::reload,
        metrics::metrics,
        openapi_json
    ),
    tags(
        (name = "search", description = "Ranked search with snippets, facets, filters and histograms; the search box's instant mode and suggestions"),
        (name = "articles", description = "Articles in full with their story, related stories, and writes (a key with the write action)"),
        (name = "entities", description = "People, organisations and places: counts under any search, and a profile of each"),
        (name = "export", description = "Every match of a search as CSV or JSON Lines, streamed"),
        (name = "keys", description = "API keys with actions, expiries and filters (admin keys only)"),
        (name = "ops", description = "Health, readiness and the figures of the store, the index and the ingestion ledger"),
        (name = "metrics", description = "Prometheus metrics")
    ),
    modifiers(&BearerKeys, &GuardErrors, &Examples),
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
        TuningView,
        Reloaded,
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

/// What every guarded endpoint (`/v1/…`) may answer besides its own responses: 401, 403 and 429
/// (from the guard in front of it), 503 for those behind the search queue; and that a key is
/// optional where the configuration leaves the action public.
struct GuardErrors;

/// Paths whose handlers do not queue for a search permit (short store reads).
const NOT_QUEUED: [&str; 5] = ["/v1/stats", "/v1/keys", "/v1/keys/{uid}", "/v1/settings", "/v1/settings/reload"];

impl utoipa::Modify for GuardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::SecurityRequirement;
        for (path, item) in openapi.paths.paths.iter_mut().filter(|(path, _)| path.starts_with("/v1/")) {
            let queued = !NOT_QUEUED.contains(&path.as_str());
            for operation in [&mut item.get, &mut item.post, &mut item.delete].into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, response: utoipa::openapi::Response| {
                    responses.entry(status.to_string()).or_insert_with(|| response.into());
                };
                add("401", error_response(
                    "The action needs a key and none was sent, or the key or tenant token sent is unknown, forged or \
                     expired (401 even where the action is public: a bad credential is never ignored)",
                    "unauthorized",
                    false,
                ));
                add("403", error_response("The key or token may not do this action", "forbidden", false));
                add(
                    "429",
                    error_response(
                        "Too many requests from this client (its key, else its address) for this group of routes; \
                     Retry-After says when to try again",
                        "rate_limited",
                        true,
                    ),
                );
                if queued {
                    add(
                        "503",
                        error_response(
                            "Every search permit is busy and the queue is full; Retry-After says when to try again",
                            "overloaded",
                            true,
                        ),
                    );
                }
                // Reads and (by default) exports need no key unless the configuration protects them.
                operation.security.get_or_insert_with(|| {
                    vec![SecurityRequirement::default(), SecurityRequirement::new("api_key", [""; 0])]
                });
            }
        }
    }
}

/// An example for every parameter (by name, the same wherever it appears) and for the search
/// body's fields: values that answer on the shipped sample, so "Try it out" shows something.
struct Examples;

/// Parameter names and their examples; `q` of `/v1/suggest` is a word being typed.
fn example_of(path: &str, name: &str) -> Option<serde_json::Value> {
    use serde_json::json;
    Some(match name {
        "q" if path == "/v1/suggest" => json!("zelen"),
        "q" => json!("oil prices"),
        "prefix" => json!("bak"),
        "person" => json!(["James Baker"]),
        "org" => json!(["OPEC"]),
        "place" => json!(["Japan"]),
        "topic" => json!(["crude"]),
        "source" => json!(["Reuters"]),
        "lang" => json!(["en"]),
        "from" => json!("1987-03-01"),
        "to" => json!("1987-03-31"),
        "sort" => json!("relevance"),
        "offset" => json!(0),
        "limit" => json!(10),
        "facets" => json!(["person", "place"]),
        "facet_size" => json!(10),
        "histogram" => json!("month"),
        "collapse" => json!("cluster"),
        "mode" => json!("analyst"),
        "match" => json!("all"),
        "freshness" => json!(0.25),
        "snippets" => json!(3),
        "snippet_chars" => json!(200),
        "total" => json!("fast"),
        "kinds" => json!(["person", "title"]),
        "format" => json!("csv"),
        "wait" => json!(true),
        "wait_ms" => json!(5000),
        "id" => json!("2df5d39e8726c4d3"),
        "uid" => json!("4f1c2a9b3d5e6f70"),
        "kind" => json!("person"),
        "name" => json!("James Baker"),
        "related" => json!(10),
        _ => return None,
    })
}

/// Sets `example` on a schema that can carry one.
fn set_example(schema: &mut utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>, example: serde_json::Value) {
    use utoipa::openapi::schema::Schema;
    match schema {
        utoipa::openapi::RefOr::T(Schema::Object(object)) => object.examples = vec![example],
        utoipa::openapi::RefOr::T(Schema::Array(array)) => array.examples = vec![example],
        utoipa::openapi::RefOr::T(Schema::AnyOf(any)) => any.examples = vec![example],
        utoipa::openapi::RefOr::T(Schema::OneOf(one)) => one.examples = vec![example],
        _ => {}
    }
}

impl utoipa::Modify for Examples {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.delete].into_iter().flatten();
            for parameter in operations.flat_map(|operation| operation.parameters.iter_mut().flatten()) {
                if let (Some(example), Some(schema)) = (example_of(path, &parameter.name), parameter.schema.as_mut()) {
                    set_example(schema, example);
                }
            }
        }
        // A write's body: one article as a CMS sends it.
        let write = openapi.paths.paths.get_mut("/v1/articles").and_then(|item| item.post.as_mut());
        if let Some(body) = write.and_then(|operation| operation.request_body.as_mut()) {
            let article = serde_json::json!([{
                "id": "2026-12-03-harbour",
                "source": "Example Daily",
                "url": "https://example.com/news/2026/12/03/harbour",
                "title": "Harbour reopens after the storm",
                "body": "The harbour reopened on Thursday, the port authority said.",
                "published_at": "2026-12-03T09:30:00Z",
                "authors": ["A. Writer"],
                "topics": ["ports"],
                "entities": [{"kind": "place", "name": "Marseille"}]
            }]);
            for (content_type, content) in body.content.iter_mut() {
                content.example = Some(match content_type.as_str() {
                    "application/x-ndjson" => serde_json::Value::String(format!("{}\n", article[0])),
                    _ => article.clone(),
                });
            }
        }
        let schemas = openapi.components.as_mut().map(|components| &mut components.schemas);
        if let Some(utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(body))) =
            schemas.and_then(|schemas| schemas.get_mut("SearchParams"))
        {
            for (name, property) in body.properties.iter_mut() {
                if let Some(example) = example_of("/v1/search", name) {
                    set_example(property, example);
                }
            }
        }
    }
}

/// A JSON error response with `code` as its example, and a Retry-After header when `retry`.
fn error_response(description: &str, code: &str, retry: bool) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .example(Some(serde_json::json!({"error": {"code": code, "message": description}})))
        .build();
    let mut response = ResponseBuilder::new().description(description).content("application/json", content);
    if retry {
        let seconds = ObjectBuilder::new().schema_type(SchemaType::new(Type::Integer)).minimum(Some(1.0));
        response = response.header(
            "Retry-After",
            HeaderBuilder::new().schema(seconds).description(Some("Seconds to wait before trying again")).build(),
        );
    }
    response.build()
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
        if let (Some(schema), Some(example)) = (parameter.schema.as_mut(), example_of("/v1/export", "limit")) {
            set_example(schema, example);
        }
    }
    Json(document)
}

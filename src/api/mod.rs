//! The HTTP API: router, handlers, error mapping, OpenAPI. Handlers translate HTTP into engine
//! requests; CPU-bound search runs on blocking threads behind a permit sized to the cores.

pub mod error;
pub mod export;
pub mod params;
pub mod web;
pub mod write;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::{OpenApi, ToSchema};

use crate::config::Settings;
use crate::error::Error;
use crate::search::entities::{EntityCount, EntityProfile, RelatedEntity};
use crate::search::request::{FacetCount, Highlights, HistogramBucket, Hit, HitEntity, SearchRequest, SearchResponse};
use crate::search::Engine;
use crate::store::{IngestCounts, IngestRun, Store};
use error::{error_response, ApiError, ErrorBody, ErrorDetail};
use params::{EntityListParams, EntityProfileParams, SearchParams};

/// What every handler shares.
pub struct AppState {
    pub engine: Engine,
    /// The API's own store connection (article lookups, stats, writes); not on the search path.
    pub store: Mutex<Store>,
    pub permits: Semaphore,
    /// Who may write (and read, when reads are protected).
    pub keys: write::ApiKeys,
    /// Finds entities in articles written through the API that carry none.
    pub extractor: Box<dyn crate::ingest::entities::EntityExtractor>,
    pub export: ExportSettings,
}

/// How exports run.
pub struct ExportSettings {
    /// Only API-key holders may export.
    pub requires_key: bool,
    /// Rows one export streams at most.
    pub max_rows: usize,
    /// Exports running at once (each reads its own store connection).
    pub permits: Arc<Semaphore>,
    pub store_path: std::path::PathBuf,
}

impl ExportSettings {
    pub fn new(settings: &Settings) -> ExportSettings {
        ExportSettings {
            requires_key: settings.export_requires_key,
            max_rows: settings.export_max_rows.max(1),
            permits: Arc::new(Semaphore::new(2)),
            store_path: settings.store_path(),
        }
    }
}

type Shared = Arc<AppState>;

/// The whole application router with its middleware.
pub fn router(state: Shared, settings: &Settings) -> Router {
    let cors = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([axum::http::header::CONTENT_TYPE, axum::http::header::AUTHORIZATION])
        .expose_headers([
            axum::http::header::CONTENT_DISPOSITION,
            axum::http::HeaderName::from_static("x-total-count"),
            axum::http::HeaderName::from_static("x-export-rows"),
        ])
        .allow_origin(if settings.cors_origins.iter().any(|origin| origin == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(settings.cors_origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()))
        });
    let reads = Router::new()
        .route("/v1/stats", get(stats))
        .route("/v1/search", get(search_get).post(search_post))
        .route("/v1/suggest", get(suggest))
        .route("/v1/articles/{id}", get(article))
        .route("/v1/articles/{id}/related", get(related))
        .route("/v1/export", get(export::export))
        .route("/v1/entities", get(entity_list))
        .route("/v1/entities/{kind}/", get(entity_without_name))
        .route("/v1/entities/{kind}/{name}", get(entity_profile))
        .route_layer(axum::middleware::from_fn_with_state(Arc::clone(&state), write::require_key_for_reads))
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes));
    let writes = Router::new()
        .route("/v1/articles", axum::routing::post(write::post_articles))
        .route("/v1/articles/{id}", axum::routing::delete(write::delete_article))
        .route_layer(axum::middleware::from_fn_with_state(Arc::clone(&state), write::require_key))
        .layer(RequestBodyLimitLayer::new(settings.max_write_bytes));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi_json))
        .route("/", get(web::index))
        .route("/app.js", get(web::app_js))
        .route("/app.css", get(web::app_css))
        .route("/widget.js", get(web::widget))
        .merge(reads)
        .merge(writes)
        .fallback(not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(settings.request_timeout_ms),
        ))
        .layer(axum::middleware::map_response(json_errors))
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let route = request
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map(|path| path.as_str().to_string())
                .unwrap_or_else(|| request.uri().path().to_string());
            tracing::info_span!("http", method = %request.method(), route)
        }))
        .with_state(state)
}

/// Runs a CPU-bound engine call on a blocking thread, behind a permit.
async fn blocking<T: Send + 'static>(
    state: &Shared,
    work: impl FnOnce(&AppState) -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    let _permit =
        state.permits.acquire().await.map_err(|_| ApiError(Error::Internal("search permits closed".into())))?;
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || work(&state))
        .await
        .map_err(|error| ApiError(Error::Internal(format!("search task failed: {error}"))))?
        .map_err(ApiError)
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: String,
}

/// Alive.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

#[derive(Serialize, ToSchema)]
struct Readiness {
    /// `ready` or `catching_up`.
    status: String,
    /// Store changes not yet in the index.
    index_lag: i64,
}

/// Ready: the index is open and holds every change of the store.
#[utoipa::path(get, path = "/readyz", responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn readyz(State(state): State<Shared>) -> Result<Response, ApiError> {
    let lag = blocking(&state, index_lag).await?;
    let status = if lag == 0 { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let readiness = Readiness { status: if lag == 0 { "ready" } else { "catching_up" }.into(), index_lag: lag };
    Ok((status, Json(readiness)).into_response())
}

fn index_lag(state: &AppState) -> Result<i64, Error> {
    let store_seq = state.store.lock().map_err(|_| Error::Internal("store mutex poisoned".into()))?.max_seq()?;
    Ok((store_seq - state.engine.index().visible_seq()).max(0))
}

#[derive(Serialize, ToSchema)]
struct Stats {
    /// Articles in the store.
    articles: u64,
    /// Documents in the index.
    indexed_documents: u64,
    /// Last change sequence of the store and of the index.
    store_seq: i64,
    index_seq: i64,
    /// Store changes not yet indexed.
    index_lag: i64,
    /// The most recent finished ingestion run.
    last_ingest: Option<IngestRun>,
}

/// Store and index figures.
#[utoipa::path(get, path = "/v1/stats", responses((status = 200, body = Stats)))]
async fn stats(State(state): State<Shared>) -> Result<Json<Stats>, ApiError> {
    let stats = blocking(&state, |state| {
        let store = state.store.lock().map_err(|_| Error::Internal("store mutex poisoned".into()))?;
        let store_seq = store.max_seq()?;
        let index_seq = state.engine.index().visible_seq();
        Ok(Stats {
            articles: store.count_articles()?,
            indexed_documents: state.engine.index().reader.searcher().num_docs(),
            store_seq,
            index_seq,
            index_lag: (store_seq - index_seq).max(0),
            last_ingest: store.last_run()?,
        })
    })
    .await?;
    Ok(Json(stats))
}

/// Search articles.
#[utoipa::path(
    get,
    path = "/v1/search",
    params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody))
)]
async fn search_get(State(state): State<Shared>, RawQuery(query): RawQuery) -> Result<Json<SearchResponse>, ApiError> {
    let params = SearchParams::from_query_string(query.as_deref().unwrap_or(""))?;
    run_search(state, params).await
}

/// Search articles, the parameters as a JSON body.
#[utoipa::path(
    post,
    path = "/v1/search",
    request_body = SearchParams,
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody))
)]
async fn search_post(State(state): State<Shared>, body: Bytes) -> Result<Json<SearchResponse>, ApiError> {
    let params: SearchParams = serde_json::from_slice(&body).map_err(|error| {
        Error::BadParameter(format!("the body must be a JSON object of search parameters: {error}"))
    })?;
    run_search(state, params).await
}

async fn run_search(state: Shared, params: SearchParams) -> Result<Json<SearchResponse>, ApiError> {
    let request = SearchRequest::try_from(params)?;
    let response = blocking(&state, move |state| state.engine.search(&request)).await?;
    tracing::debug!(hits = response.hits.len(), total = response.total, "search done");
    Ok(Json(response))
}

/// Search-box suggestions.
#[derive(Serialize, ToSchema)]
pub struct SuggestResponse {
    pub suggestions: Vec<crate::search::suggest::Suggestion>,
}

/// Suggestions while typing: entity names (person, org, place, with their article counts) and
/// headlines having, for every typed word, a word that starts with it; ranked by article count
/// and freshness. Answered from memory.
#[utoipa::path(
    get,
    path = "/v1/suggest",
    params(params::SuggestParams),
    responses((status = 200, body = SuggestResponse), (status = 400, body = ErrorBody))
)]
async fn suggest(State(state): State<Shared>, RawQuery(query): RawQuery) -> Result<Json<SuggestResponse>, ApiError> {
    let request = params::SuggestParams::parse(query.as_deref().unwrap_or(""))?;
    let suggestions = state.engine.suggester().suggest(&request.q, request.limit, request.kinds.as_deref());
    Ok(Json(SuggestResponse { suggestions }))
}

/// An article in full.
#[derive(Serialize, ToSchema)]
pub struct ArticleView {
    pub id: String,
    /// The source's own key (`reuters:NEWID`, `id:SOURCE:ID`, `url:…`, `file:…`).
    pub source_key: String,
    pub url: Option<String>,
    pub title: String,
    pub body: String,
    pub published_at: Option<String>,
    /// Which rule gave the date: metadata, markup, url, text, file_mtime, fetch_time or unknown.
    pub date_rule: String,
    pub source: String,
    pub lang: String,
    /// The near-duplicate cluster (story): the id of its first article.
    pub cluster_id: String,
    /// The ids of the other articles of the story, oldest first.
    pub duplicates: Vec<String>,
    pub topics: Vec<String>,
    pub authors: Vec<String>,
    pub entities: Vec<ArticleEntity>,
    pub ingested_at: String,
    pub updated_at: String,
    /// The store's change sequence of the last change.
    pub seq: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ArticleEntity {
    pub kind: String,
    pub name: String,
    /// The forms as written in the article.
    pub surfaces: Vec<String>,
    pub mentions: u32,
}

/// One article by tidings id.
#[utoipa::path(
    get,
    path = "/v1/articles/{id}",
    params(("id" = String, Path, description = "tidings article id")),
    responses((status = 200, body = ArticleView), (status = 404, body = ErrorBody))
)]
async fn article(State(state): State<Shared>, Path(id): Path<String>) -> Result<Json<ArticleView>, ApiError> {
    let view = blocking(&state, move |state| {
        let store = state.store.lock().map_err(|_| Error::Internal("store mutex poisoned".into()))?;
        let not_found = || Error::NotFound(format!("no article with id {id:?}"));
        let article_id = crate::model::ArticleId::parse(&id).ok_or_else(not_found)?;
        let stored = store.get_article(&article_id)?.ok_or_else(not_found)?;
        let duplicates: Vec<String> = store
            .cluster_members(&stored.cluster_id)?
            .into_iter()
            .filter(|member| *member != stored.id)
            .map(String::from)
            .collect();
        let article = stored.article;
        Ok(ArticleView {
            id: stored.id.to_string(),
            source_key: article.source_key,
            url: article.url,
            title: article.title,
            body: article.body,
            published_at: article.published_at.map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            date_rule: article.date_rule.as_str().into(),
            source: article.source,
            lang: article.lang.to_string(),
            cluster_id: stored.cluster_id.to_string(),
            duplicates,
            topics: article.topics,
            authors: article.authors,
            entities: article
                .entities
                .into_iter()
                .map(|entity| ArticleEntity {
                    kind: entity.kind.as_str().into(),
                    name: entity.name,
                    surfaces: entity.surfaces,
                    mentions: entity.mentions,
                })
                .collect(),
            ingested_at: stored.ingested_at,
            updated_at: stored.updated_at,
            seq: stored.seq,
        })
    })
    .await?;
    Ok(Json(view))
}

/// Stories related to an article.
#[derive(Serialize, ToSchema)]
pub struct RelatedStories {
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
    params(
        ("id" = String, Path, description = "tidings article id"),
        ("limit" = Option<usize>, Query, description = "stories to return, 1–50 (default 5)")
    ),
    responses((status = 200, body = RelatedStories), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn related(
    State(state): State<Shared>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<RelatedStories>, ApiError> {
    let mut limit = crate::search::related::DEFAULT_RELATED;
    for (key, value) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "limit" => {
                limit = value.trim().parse().map_err(|_| {
                    Error::BadParameter(format!("limit must be a non-negative whole number, not {value:?}"))
                })?
            }
            other => return Err(ApiError(Error::BadParameter(format!("unknown parameter {other:?}; known: limit")))),
        }
    }
    let lookup = id.clone();
    let related = blocking(&state, move |state| state.engine.related(&lookup, limit)).await?;
    Ok(Json(RelatedStories { id, related }))
}

/// Errors produced by middleware (body too large, timeout, wrong method) get the same JSON body
/// as every other error.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is larger than the server accepts"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long and was abandoned"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this endpoint does not accept that HTTP method"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send the body as application/json"),
        _ if status.is_server_error() => ("internal", "internal error; the server log has the details"),
        _ => ("bad_request", "the request could not be understood"),
    };
    error_response(status, code, message.into(), None)
}

/// Entities with article counts.
#[derive(Serialize, ToSchema)]
pub struct EntityList {
    pub entities: Vec<EntityCount>,
}

/// People, organisations or places with the number of matching articles that mention them,
/// most mentioned first; the search filters choose the articles.
#[utoipa::path(
    get,
    path = "/v1/entities",
    params(EntityListParams),
    responses((status = 200, body = EntityList), (status = 400, body = ErrorBody))
)]
async fn entity_list(State(state): State<Shared>, RawQuery(query): RawQuery) -> Result<Json<EntityList>, ApiError> {
    let request = params::entity_list_request(query.as_deref().unwrap_or(""))?;
    let entities = blocking(&state, move |state| state.engine.entities(&request)).await?;
    Ok(Json(EntityList { entities }))
}

/// An entity's profile: canonical name, the forms it was written in, article count, first and
/// last seen, a mention timeline and the entities that co-occur with it.
#[utoipa::path(
    get,
    path = "/v1/entities/{kind}/{name}",
    params(
        ("kind" = String, Path, description = "person, org or place"),
        ("name" = String, Path, description = "canonical name or an alias, URL-encoded; case-insensitive"),
        EntityProfileParams
    ),
    responses((status = 200, body = EntityProfile), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn entity_profile(
    State(state): State<Shared>,
    Path((kind, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<EntityProfile>, ApiError> {
    let kind = params::parse_kind(&kind)?;
    let (interval, related) = EntityProfileParams::from_query_string(query.as_deref().unwrap_or(""))?;
    let profile = blocking(&state, move |state| {
        let mut profile = state.engine.entity_profile(kind, &name, interval, related)?;
        let store = state.store.lock().map_err(|_| Error::Internal("store mutex poisoned".into()))?;
        profile.aliases = store.entity_surfaces(kind, &profile.name)?;
        Ok(profile)
    })
    .await?;
    Ok(Json(profile))
}

async fn entity_without_name(Path(kind): Path<String>) -> Result<Response, ApiError> {
    params::parse_kind(&kind)?;
    Err(ApiError(Error::BadParameter("the entity name is empty: use /v1/entities/{kind}/{name}".into())))
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "not_found", "no such endpoint; see /openapi.json".into(), None)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tidings",
        description = "Full-text news search: ranked queries with highlighted snippets, facets, filters and date histograms."
    ),
    paths(
        healthz,
        readyz,
        stats,
        search_get,
        search_post,
        suggest,
        article,
        related,
        export::export,
        write::post_articles,
        write::delete_article,
        entity_list,
        entity_profile,
        openapi_json
    ),
    modifiers(&BearerKeys),
    components(schemas(
        SearchParams,
        SearchResponse,
        SuggestResponse,
        RelatedStories,
        crate::search::suggest::Suggestion,
        crate::search::suggest::SuggestionKind,
        crate::search::request::Matches,
        crate::search::request::MatchSpan,
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
        Readiness,
        Health,
        IngestRun,
        IngestCounts,
        EntityList,
        EntityCount,
        EntityProfile,
        RelatedEntity,
        write::WriteReport,
        crate::search::request::Duplicates
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
                        "A key from TIDINGS_API_KEYS (comma-separated) or `api_keys` in the configuration file",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, generated from the typed request and response structs.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "OpenAPI 3.1 document")))]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

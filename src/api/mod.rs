//! The HTTP API: the router and its middleware, the state every handler shares, and one file per
//! resource (`search`, `articles`, `entities`, `export`, `ops`); `params` turns query strings and
//! bodies into the engine's request models, `error` maps error codes to statuses, `auth` checks
//! API keys, `queue` runs CPU-bound work behind the search permits, `openapi` documents it all.
//! Handlers translate HTTP to the service and back; they hold no application logic.

pub mod articles;
pub mod auth;
pub mod docs;
pub mod entities;
pub mod error;
pub mod export;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod params;
pub mod queue;
pub mod search;
pub mod settings;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post, MethodRouter};
use axum::Router;
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::access::Action;
use crate::config::Settings;
use crate::error::Error;
use crate::service::Service;
use auth::{Guard, PublicActions};
use error::{error_response, ApiError};
use limits::RateLimiters;
use queue::SearchQueue;

/// What every handler shares.
pub struct AppState {
    pub service: Service,
    /// Searches (and other CPU-bound work) run behind these permits, with a bounded wait.
    pub queue: SearchQueue,
    /// What needs no key.
    pub public: PublicActions,
    /// Requests per client and route group.
    pub limits: RateLimiters,
    /// Requests counted and timed, for `/metrics`.
    pub metrics: metrics::Metrics,
    pub export: ExportSettings,
    /// The results page, with the key it carries (if any).
    pub page: String,
}

/// How exports run.
pub struct ExportSettings {
    /// Rows one export streams at most.
    pub max_rows: usize,
    /// Exports running at once (each reads its own store connection).
    pub permits: Arc<Semaphore>,
}

impl ExportSettings {
    pub fn new(settings: &Settings) -> ExportSettings {
        ExportSettings { max_rows: settings.export_max_rows.max(1), permits: Arc::new(Semaphore::new(2)) }
    }
}

impl AppState {
    pub fn new(settings: &Settings, service: Service) -> AppState {
        AppState {
            service,
            queue: SearchQueue::new(settings.effective_search_permits(), settings.search_queue),
            public: PublicActions::new(settings),
            limits: RateLimiters::new(settings),
            metrics: metrics::Metrics::new(),
            export: ExportSettings::new(settings),
            page: web::page(settings.page_key.as_deref()),
        }
    }
}

type Shared = Arc<AppState>;

/// The header naming a request in logs and responses.
const REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// The whole application router with its middleware. Each guarded route names the action it
/// needs; credentials are checked on the methods a route has, after method routing: another
/// method is a 405, not a 401.
pub fn router(state: Shared, settings: &Settings) -> Router {
    let guarded = |action: Action, body_limit: usize, handlers: MethodRouter<Shared>| {
        handlers
            .route_layer(axum::middleware::from_fn_with_state(Guard::new(&state, action), auth::authorize))
            .layer(RequestBodyLimitLayer::new(body_limit))
    };
    let read = |handlers| guarded(Action::Search, settings.max_body_bytes, handlers);
    let write = |handlers| guarded(Action::Write, settings.max_write_bytes, handlers);
    let export = |handlers| guarded(Action::Export, settings.max_body_bytes, handlers);
    let admin = |handlers| guarded(Action::Admin, settings.max_body_bytes, handlers);
    let metrics_route = get(metrics::metrics);
    let metrics_route = if settings.protect_metrics { admin(metrics_route) } else { metrics_route };
    Router::new()
        .route("/metrics", metrics_route)
        .route("/v1/stats", read(get(ops::stats)))
        .route("/v1/search", read(get(search::search_get).post(search::search_post)))
        .route("/v1/suggest", read(get(search::suggest)))
        .route("/v1/articles", write(post(articles::post_articles)))
        .route("/v1/articles/{id}", read(get(articles::article)).merge(write(delete(articles::delete_article))))
        .route("/v1/articles/{id}/related", read(get(articles::related)))
        .route("/v1/export", export(get(export::export)))
        .route("/v1/entities", read(get(entities::entity_list)))
        .route("/v1/entities/{kind}/", read(get(entities::entity_without_name)))
        .route("/v1/entities/{kind}/{name}", read(get(entities::entity_profile)))
        .route("/v1/keys", admin(get(keys::list_keys).post(keys::create_key)))
        .route("/v1/keys/{uid}", admin(delete(keys::delete_key)))
        .route("/v1/settings", admin(get(settings::settings)))
        .route("/v1/settings/reload", admin(post(settings::reload)))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(docs::docs_root))
        .route("/docs/", get(docs::docs_index))
        .route("/docs/{*file}", get(docs::docs_file))
        .route("/", get(web::index))
        .route("/app.js", get(web::app_js))
        .route("/app.css", get(web::app_css))
        .route("/widget.js", get(web::widget))
        .fallback(not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(settings.request_timeout_ms),
        ))
        .layer(axum::middleware::map_response(json_errors))
        .layer(CompressionLayer::new())
        .layer(cors(settings))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), metrics::record))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let route = request
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map(|path| path.as_str().to_string())
                .unwrap_or_else(|| request.uri().path().to_string());
            let request_id = request.headers().get(REQUEST_ID).and_then(|value| value.to_str().ok()).unwrap_or("");
            tracing::info_span!("http", request_id, method = %request.method(), route)
        }))
        // A client's `x-request-id` is kept, else one is made; it is on every log line of the
        // request (the span above) and returned on the response.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

fn cors(settings: &Settings) -> CorsLayer {
    CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([axum::http::header::CONTENT_TYPE, axum::http::header::AUTHORIZATION, REQUEST_ID])
        .expose_headers([
            axum::http::header::CONTENT_DISPOSITION,
            axum::http::HeaderName::from_static("x-total-count"),
            axum::http::HeaderName::from_static("x-export-rows"),
            REQUEST_ID,
            axum::http::HeaderName::from_static("x-store-seq"),
        ])
        .allow_origin(if settings.cors_origins.iter().any(|origin| origin == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(settings.cors_origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()))
        })
}

/// Runs CPU-bound work (a search, a write) on a blocking thread behind a search permit; 503 when
/// the queue is full.
async fn on_a_permit<T: Send + 'static>(
    state: &Shared,
    work: impl FnOnce(&AppState) -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    let shared = Arc::clone(state);
    state.queue.run(move || work(&shared)).await.map_err(ApiError)
}

/// Runs a short store read (figures, readiness) on a blocking thread without waiting for a search
/// permit, so operations answer under load.
async fn off_the_runtime<T: Send + 'static>(
    state: &Shared,
    work: impl FnOnce(&AppState) -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    let shared = Arc::clone(state);
    tokio::task::spawn_blocking(move || work(&shared))
        .await
        .map_err(|error| ApiError(Error::Internal(format!("task failed: {error}"))))?
        .map_err(ApiError)
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

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "not_found", "no such endpoint; see /openapi.json".into(), None)
}

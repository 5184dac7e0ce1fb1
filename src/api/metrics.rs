//! `GET /metrics` in the Prometheus text format (prometheus-client): every request counted and
//! timed by method, route (the route's pattern, never the raw path) and status, as the middleware
//! here records them; and, read at each scrape, the search queue, rate-limit buckets, index and
//! store figures, the ingestion ledger's totals, feed health and the build.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::error::ApiError;
use super::{off_the_runtime, Shared};
use crate::error::Error;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The matched route (`/v1/articles/{id}`), or `unmatched`.
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

type Durations = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// What the server counts as it answers.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Durations,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tidings");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by method, route and status", requests.clone());
        // 0.25 ms to about 8 s, doubling.
        let durations: Durations =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.00025, 2.0, 16)));
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response's headers, by method, route and status",
            durations.clone(),
        );
        let build = Family::<BuildLabels, prometheus_client::metrics::gauge::Gauge>::default();
        build.get_or_create(&BuildLabels { version: env!("CARGO_PKG_VERSION").into() }).set(1);
        registry.register("build_info", "The running build (always 1)", build);
        Metrics { registry, requests, durations }
    }

    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels { method: method.into(), route: route.into(), status: status.to_string() };
        self.requests.get_or_create(&labels).inc();
        self.durations.get_or_create(&labels).observe(seconds);
    }
}

/// Middleware: counts and times every request under its route's pattern.
pub async fn record(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_string());
    let response = next.run(request).await;
    let route = route.as_deref().unwrap_or("unmatched");
    state.metrics.record(&method, route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// The metrics, in the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    responses(
        (status = 200, description = "Prometheus text format (version 0.0.4)", content_type = "text/plain"),
        (status = 401, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody)
    )
)]
pub(super) async fn metrics(State(state): State<Shared>) -> Result<Response, ApiError> {
    let figures = off_the_runtime(&state, |state| state.service.figures()).await?;
    let queue = state.queue.figures();
    let mut now = Registry::with_prefix("tidings");
    let gauge = |registry: &mut Registry, name: &str, help: &str, value: i64| {
        registry.register(name, help, ConstGauge::new(value));
    };
    let counter = |registry: &mut Registry, name: &str, help: &str, value: u64| {
        registry.register(name, help, ConstCounter::new(value));
    };
    let status = &figures.status;
    gauge(&mut now, "search_permits", "Searches that may run at once", queue.permits as i64);
    gauge(&mut now, "search_permits_in_use", "Searches running now", queue.running as i64);
    gauge(&mut now, "search_queue_length", "Searches waiting for a permit now", queue.waiting as i64);
    gauge(
        &mut now,
        "search_queue_capacity",
        "Searches that may wait; more are answered 503",
        queue.queue_capacity as i64,
    );
    counter(&mut now, "search_rejected", "Searches answered 503 because the queue was full", queue.rejected);
    counter(
        &mut now,
        "parallel_searches",
        "Searches that ran their segments on every core",
        status.index.parallel_searches,
    );
    gauge(&mut now, "rate_limit_clients", "Clients with a rate-limit bucket now", state.limits.clients() as i64);
    gauge(&mut now, "store_articles", "Articles in the store", status.articles as i64);
    gauge(&mut now, "store_seq", "The store's last change sequence", status.store_seq);
    gauge(&mut now, "index_documents", "Documents searchable now", status.index.documents as i64);
    gauge(&mut now, "index_segments", "Index segments", status.index.segments as i64);
    gauge(&mut now, "index_seq", "The store sequence the searchable index holds", status.index.visible_seq);
    gauge(&mut now, "index_lag", "Store changes the index does not hold yet", status.index_lag());
    counter(&mut now, "ingest_runs", "Finished ingestion runs (files, feed polls, API writes)", figures.ingest_runs);
    let ingested = &figures.ingested;
    let records = Family::<OutcomeLabels, Counter>::default();
    for (outcome, value) in [
        ("read", ingested.read),
        ("new", ingested.new),
        ("updated", ingested.updated),
        ("unchanged", ingested.unchanged),
        ("rejected", ingested.rejected),
    ] {
        records.get_or_create(&OutcomeLabels { outcome: outcome.into() }).inc_by(value);
    }
    now.register("ingest_records", "Records the ingestion runs read, by outcome", records);
    gauge(&mut now, "feeds", "Feeds tidings watch follows", figures.feeds as i64);
    gauge(&mut now, "feeds_failing", "Feeds whose last poll failed", figures.feeds_failing as i64);
    gauge(
        &mut now,
        "feed_poll_failures",
        "Consecutive poll failures of the failing feeds, added up",
        figures.feed_failures as i64,
    );
    let mut text = String::new();
    encode_registry(&mut text, &state.metrics.registry)
        .and_then(|()| encode_registry(&mut text, &now))
        .and_then(|()| encode_eof(&mut text))
        .map_err(|error| Error::Internal(format!("cannot encode the metrics: {error}")))?;
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    Ok(response)
}

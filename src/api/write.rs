//! Writes over HTTP: `POST /v1/articles` (NDJSON or a JSON array) and `DELETE /v1/articles/{id}`,
//! behind API keys; and the key check itself, which reads can be put behind too.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::{blocking, Shared};
use crate::error::Error;
use crate::ingest::{self, jsonl, ExtractPolicy, Record, Rejection};
use crate::store::IngestCounts;

/// The configured keys, kept as SHA-256 digests: a presented key is hashed and compared with every
/// digest in constant time, so neither the comparison nor the number of keys checked leaks how
/// much of a key was right.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
    pub protect_reads: bool,
}

impl ApiKeys {
    pub fn new(keys: &[String], protect_reads: bool) -> ApiKeys {
        ApiKeys { digests: keys.iter().map(|key| Sha256::digest(key.as_bytes()).into()).collect(), protect_reads }
    }

    /// True when `presented` is one of the keys.
    pub fn accepts(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut matched = 0u8;
        for known in &self.digests {
            let difference = known.iter().zip(&digest).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            matched |= u8::from(difference == 0);
        }
        matched == 1
    }

    /// Checks the `Authorization: Bearer KEY` header of a request.
    fn check(&self, request: &Request) -> Result<(), Error> {
        self.check_headers(request.headers())
    }

    /// Checks the `Authorization: Bearer KEY` header.
    pub fn check_headers(&self, headers: &axum::http::HeaderMap) -> Result<(), Error> {
        if self.digests.is_empty() {
            return Err(Error::Unauthorized(
                "this server has no API keys configured (TIDINGS_API_KEYS or api_keys in the config file)".into(),
            ));
        }
        let header = headers.get(axum::http::header::AUTHORIZATION).and_then(|value| value.to_str().ok());
        let Some(key) = header.and_then(|value| value.strip_prefix("Bearer ")).map(str::trim) else {
            return Err(Error::Unauthorized("send an API key as `Authorization: Bearer KEY`".into()));
        };
        if self.accepts(key) {
            Ok(())
        } else {
            Err(Error::Unauthorized("the API key is not valid".into()))
        }
    }
}

/// Middleware for routes that always need a key (writes).
pub async fn require_key(State(state): State<Shared>, request: Request, next: Next) -> Response {
    match state.keys.check(&request) {
        Ok(()) => next.run(request).await,
        Err(error) => ApiError(error).into_response(),
    }
}

/// Middleware for read routes: a key is needed only when the configuration protects reads.
pub async fn require_key_for_reads(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if !state.keys.protect_reads {
        return next.run(request).await;
    }
    require_key(State(state), request, next).await
}

/// What a write did: the ingestion counts, each rejected item with its position, and the ids of
/// the articles written or found unchanged, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteReport {
    #[serde(flatten)]
    pub counts: IngestCounts,
    #[schema(value_type = Vec<Object>)]
    pub rejections: Vec<Rejection>,
    pub ids: Vec<String>,
}

/// Adds or replaces articles. The body is NDJSON (one article per line) or a JSON array of
/// articles, in the JSONL ingestion format, up to `max_write_bytes` (16 MB by default). An article
/// with the id or url of an existing one replaces it everywhere (store, index, facets, clusters).
/// Items that cannot be read are reported in `rejections` and the rest are written.
#[utoipa::path(
    post,
    path = "/v1/articles",
    request_body(content = String, description = "NDJSON or a JSON array of articles", content_type = "application/x-ndjson"),
    responses(
        (status = 200, body = WriteReport),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody)
    ),
    security(("api_key" = []))
)]
pub async fn post_articles(State(state): State<Shared>, body: Bytes) -> Result<Json<WriteReport>, ApiError> {
    let report = blocking(&state, move |state| {
        let text = std::str::from_utf8(&body)
            .map_err(|error| Error::BadParameter(format!("the body is not UTF-8: {error}")))?;
        let records = parse_body(text)?;
        let mut report = WriteReport { counts: IngestCounts::default(), rejections: Vec::new(), ids: Vec::new() };
        let mut articles = ingest::tally(records, &mut report.counts, &mut report.rejections);
        ingest::extract_entities(&mut articles, state.extractor.as_ref(), ExtractPolicy::Auto);
        let mut store = state.store.lock().map_err(|_| Error::Internal("store mutex poisoned".into()))?;
        ingest::count_outcomes(&mut report.counts, store.upsert_articles(&articles)?);
        report.ids = articles.iter().map(|article| article.id().to_string()).collect();
        Ok(report)
    })
    .await?;
    Ok(Json(report))
}

/// Items of a write body with their positions (`item N` of an array, `line N` of NDJSON).
fn parse_body(text: &str) -> Result<Vec<Record>, Error> {
    let mut records = Vec::new();
    if text.trim_start().starts_with('[') {
        let items: Vec<serde_json::Value> = serde_json::from_str(text)
            .map_err(|error| Error::BadParameter(format!("the body is not a JSON array of articles: {error}")))?;
        for (index, item) in items.iter().enumerate() {
            records.push(record(format!("item {}", index + 1), jsonl::parse_line(&item.to_string(), "api")));
        }
    } else {
        for (index, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                records.push(record(format!("line {}", index + 1), jsonl::parse_line(line, "api")));
            }
        }
    }
    if records.is_empty() {
        return Err(Error::BadParameter("the body holds no articles: send NDJSON or a JSON array".into()));
    }
    Ok(records)
}

fn record(location: String, result: Result<crate::model::Article, String>) -> Record {
    Record { location, result }
}

/// Deletes an article from the store and, within the index's poll interval, from search.
#[utoipa::path(
    delete,
    path = "/v1/articles/{id}",
    params(("id" = String, Path, description = "tidings article id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
pub async fn delete_article(State(state): State<Shared>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    blocking(&state, move |state| {
        let mut store = state.store.lock().map_err(|_| Error::Internal("store mutex poisoned".into()))?;
        let deleted = match crate::model::ArticleId::parse(&id) {
            Some(article_id) => store.delete_article(&article_id)?,
            None => false,
        };
        if deleted {
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(Error::NotFound(format!("no article with id {id:?}")))
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_exactly() {
        let keys = ApiKeys::new(&["first-key-0123456789".into(), "second-key-0123456789".into()], false);
        assert!(keys.accepts("first-key-0123456789"));
        assert!(keys.accepts("second-key-0123456789"));
        assert!(!keys.accepts("first-key-012345678"));
        assert!(!keys.accepts(""));
        assert!(!ApiKeys::default().accepts(""));
    }

    #[test]
    fn bodies_are_arrays_or_lines() {
        let array = parse_body(r#"[{"title":"A","body":"x"}, "just a string"]"#).unwrap();
        assert_eq!(array.len(), 2);
        assert!(array[0].result.is_ok() && array[1].result.is_err());
        assert_eq!(array[1].location, "item 2");
        let lines = parse_body("{\"title\":\"A\",\"body\":\"x\"}\n\nnot json\n").unwrap();
        assert_eq!((lines.len(), lines[1].location.as_str()), (2, "line 3"));
        assert!(parse_body("  ").is_err());
        assert!(parse_body("[1, 2").is_err());
    }
}

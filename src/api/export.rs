//! `GET /v1/export`: every match of a search streamed as CSV or JSON Lines, ranked as the search
//! ranks them, from one index snapshot, in chunks handed over as the client reads them (memory
//! stays flat however many rows).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use utoipa::IntoParams;

use super::error::ApiError;
use super::params::SearchParams;
use super::{blocking, Shared};
use crate::error::Error;
use crate::search::request::SearchRequest;
use crate::store::{Store, StoredArticle};

/// Bytes gathered before a chunk is handed to the connection.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks waiting for a slow client at most.
const CHUNKS_IN_FLIGHT: usize = 4;

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 9] =
    ["id", "published_at", "source", "title", "url", "people", "orgs", "places", "topics"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

/// Parameters of `GET /v1/export`: the search's query and filters, plus these.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `jsonl`.
    pub format: Option<String>,
    /// Rows at most (default and ceiling: the server's `export_max_rows`, 10,000 unless
    /// configured).
    pub limit: Option<usize>,
    /// Query text and filters as in `/v1/search`: q, mode, match, person, org, place, topic,
    /// source, lang, from, to, sort, freshness.
    pub q: Option<String>,
}

const SEARCH_KEYS: [&str; 13] =
    ["q", "mode", "match", "person", "org", "place", "topic", "source", "lang", "from", "to", "sort", "freshness"];

fn parse(raw: &str, max_rows: usize) -> Result<(SearchRequest, Format, usize), Error> {
    let mut format = Format::Csv;
    let mut rows = max_rows;
    let mut search = SearchParams::default();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        match key.as_ref() {
            "format" => {
                format = match value.trim() {
                    "csv" => Format::Csv,
                    "jsonl" | "ndjson" => Format::JsonLines,
                    other => return Err(Error::BadParameter(format!("format must be csv or jsonl, not {other:?}"))),
                }
            }
            "limit" => {
                rows = value.trim().parse().ok().filter(|rows| (1..=max_rows).contains(rows)).ok_or_else(|| {
                    Error::BadParameter(format!("limit must be a number of rows between 1 and {max_rows}"))
                })?
            }
            other if SEARCH_KEYS.contains(&other) => {
                search.apply_pair(other, value.into_owned())?;
            }
            other => {
                return Err(Error::BadParameter(format!(
                    "unknown parameter {other:?}; known parameters: format, limit, {}",
                    SEARCH_KEYS.join(", ")
                )))
            }
        }
    }
    Ok((SearchRequest::try_from(search)?, format, rows))
}

/// Streams every match of a search (up to the row cap) as CSV or JSON Lines.
#[utoipa::path(
    get,
    path = "/v1/export",
    params(ExportParams),
    responses(
        (status = 200, description = "CSV (columns id, published_at, source, title, url, people, orgs, places, topics; lists joined with \"; \") or JSON Lines; `x-total-count` is the number of matches, `x-export-rows` the rows sent", content_type = "text/csv"),
        (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody)
    )
)]
pub async fn export(
    State(state): State<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    if state.export.requires_key {
        state.keys.check_headers(&headers)?;
    }
    let (request, format, max_rows) = parse(query.as_deref().unwrap_or(""), state.export.max_rows)?;
    let permit = Arc::clone(&state.export.permits)
        .acquire_owned()
        .await
        .map_err(|_| ApiError(Error::Internal("export permits closed".into())))?;
    let plan = blocking(&state, move |state| state.engine.plan_export(&request)).await?;
    let total = plan.total;
    let rows = total.min(max_rows);
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_IN_FLIGHT);
    let producer = Arc::clone(&state);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let fail = |error: Error| {
            tracing::warn!(%error, "export stopped");
            let _ = sender.try_send(Err(std::io::Error::other(error.to_string())));
        };
        let deadline = std::time::Instant::now() + EXPORT_DEADLINE;
        // Each article is read once: a small page cache keeps memory flat however many rows.
        let store =
            match Store::open(&producer.export.store_path).and_then(|store| store.limit_cache(2048).map(|_| store)) {
                Ok(store) => store,
                Err(error) => return fail(error),
            };
        let mut buffer = Vec::with_capacity(CHUNK_BYTES + 4096);
        if format == Format::Csv {
            buffer.extend_from_slice(CSV_COLUMNS.join(",").as_bytes());
            buffer.extend_from_slice(b"\r\n");
        }
        let mut lookup_error = None;
        let walked = producer.engine.export_ids(&plan, max_rows, |id| {
            match store.get_article(&crate::model::ArticleId::from_stored(id)) {
                // Deleted since the snapshot was taken: nothing to export.
                Ok(None) => {}
                Ok(Some(stored)) => match format {
                    Format::Csv => csv_row(&mut buffer, &stored),
                    Format::JsonLines => json_row(&mut buffer, &stored),
                },
                Err(error) => {
                    lookup_error = Some(error);
                    return false;
                }
            }
            if buffer.len() >= CHUNK_BYTES {
                let chunk = Bytes::from(std::mem::replace(&mut buffer, Vec::with_capacity(CHUNK_BYTES + 4096)));
                return hand_over(&sender, chunk, deadline);
            }
            true
        });
        if let Some(error) = lookup_error.or(walked.err()) {
            return fail(error);
        }
        if !buffer.is_empty() {
            hand_over(&sender, Bytes::from(buffer), deadline);
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::JsonLines => ("application/x-ndjson", "jsonl"),
    };
    let mut response = Response::new(Body::from_stream(stream));
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"tidings-export.{extension}\"")) {
        response_headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response_headers.insert("x-total-count", HeaderValue::from(total as u64));
    response_headers.insert("x-export-rows", HeaderValue::from(rows as u64));
    Ok(response)
}

/// How long a client may leave a chunk unread before the export gives up (and frees its permit).
const STALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long one export may take in all, however slowly its client reads.
const EXPORT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Queues a chunk for the connection; false when the client went away, stopped reading, or the
/// export ran past its deadline.
fn hand_over(
    sender: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    chunk: Bytes,
    deadline: std::time::Instant,
) -> bool {
    let started = std::time::Instant::now();
    let mut chunk = Ok(chunk);
    loop {
        match sender.try_send(chunk) {
            Ok(()) => return true,
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return false,
            Err(tokio::sync::mpsc::error::TrySendError::Full(back)) => {
                let now = std::time::Instant::now();
                if now.duration_since(started) > STALL_LIMIT || now > deadline {
                    tracing::warn!("export stopped: the client stopped reading or the export ran past its deadline");
                    return false;
                }
                chunk = back;
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

fn names(stored: &StoredArticle, kind: crate::model::EntityKind) -> Vec<&str> {
    stored.article.entities.iter().filter(|entity| entity.kind == kind).map(|entity| entity.name.as_str()).collect()
}

fn published(stored: &StoredArticle) -> String {
    stored.article.published_at.map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
}

/// One CSV row (RFC 4180: fields with commas, quotes or line breaks quoted, quotes doubled).
/// A field a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
/// return) is prefixed with an apostrophe.
fn csv_row(out: &mut Vec<u8>, stored: &StoredArticle) {
    use crate::model::EntityKind;
    let article = &stored.article;
    let fields = [
        stored.id.to_string(),
        published(stored),
        article.source.clone(),
        article.title.clone(),
        article.url.clone().unwrap_or_default(),
        names(stored, EntityKind::Person).join("; "),
        names(stored, EntityKind::Org).join("; "),
        names(stored, EntityKind::Place).join("; "),
        article.topics.join("; "),
    ];
    for (position, field) in fields.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        out.extend_from_slice(csv_field(field).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

pub fn csv_field(value: &str) -> String {
    let guarded =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// One JSON line: the CSV's columns as typed values, plus language, authors, cluster and body.
fn json_row(out: &mut Vec<u8>, stored: &StoredArticle) {
    use crate::model::EntityKind;
    let article = &stored.article;
    let row = serde_json::json!({
        "id": stored.id,
        "published_at": article.published_at.map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "source": article.source,
        "title": article.title,
        "url": article.url,
        "people": names(stored, EntityKind::Person),
        "orgs": names(stored, EntityKind::Org),
        "places": names(stored, EntityKind::Place),
        "topics": article.topics,
        "lang": article.lang,
        "authors": article.authors,
        "cluster_id": stored.cluster_id,
        "body": article.body,
    });
    if serde_json::to_writer(&mut *out, &row).is_ok() {
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-5 pct"), "'-5 pct");
    }

    #[test]
    fn parameters_are_checked() {
        let (request, format, rows) = parse("q=oil&format=jsonl&place=Kuwait&limit=5", 100).unwrap();
        assert_eq!((request.q.as_str(), format, rows), ("oil", Format::JsonLines, 5));
        assert!(parse("format=xml", 100).is_err());
        assert!(parse("limit=101", 100).is_err());
        assert!(parse("offset=3", 100).is_err());
        assert_eq!(parse("", 100).unwrap().2, 100);
    }
}

//! Writes: articles added or replaced, and deleted, through the ingestion pipeline; the server's
//! background indexer makes them searchable.

use serde::Serialize;
use utoipa::ToSchema;

use super::Service;
use crate::error::{Error, Result};
pub use crate::ingest::jsonl::{JsonArticle, JsonEntity};
use crate::ingest::{jsonl, Rejection};
use crate::model::ArticleId;
use crate::store::IngestCounts;

/// The ledger's name for runs written over HTTP.
const ORIGIN: &str = "api";

/// What a write did: the ingestion counts, each rejected item with its position (the first
/// 10,000; `rejected` counts them all), and the ids of the articles written or found unchanged,
/// in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteReport {
    #[serde(flatten)]
    pub counts: IngestCounts,
    #[schema(value_type = Vec<Object>)]
    pub rejections: Vec<Rejection>,
    pub ids: Vec<String>,
    /// The store's change sequence once the write was stored: the write is searchable when the
    /// index holds this sequence (`index_seq` in `/v1/stats`).
    pub seq: i64,
    /// Whether the write was searchable when the answer left: with `wait=true`, true unless the
    /// wait ran out; without it, whether the index already held it.
    pub searchable: bool,
}

impl Service {
    /// Adds or replaces the articles of a write body (NDJSON or a JSON array of articles in the
    /// JSONL format) as one run of the ledger; items that cannot be read are reported, the rest
    /// written.
    pub fn write(&self, body: &str) -> Result<WriteReport> {
        let records = jsonl::parse_body(body)?;
        let ingested = self.writer.ingest_records(ORIGIN, records)?;
        let seq = self.reader()?.max_seq()?;
        Ok(WriteReport {
            counts: ingested.report.counts,
            rejections: ingested.report.rejections,
            ids: ingested.ids.into_iter().map(String::from).collect(),
            seq,
            searchable: self.holds(seq),
        })
    }

    /// Whether search sees every store change up to `seq`.
    pub fn holds(&self, seq: i64) -> bool {
        self.engine.status().visible_seq >= seq
    }

    /// Deletes the article with tidings id `id` (as a client sent it) and returns the store's
    /// change sequence once it is deleted.
    pub fn delete(&self, id: &str) -> Result<i64> {
        let deleted = match ArticleId::parse(id) {
            Some(article_id) => self.writer.delete(&article_id)?,
            None => false,
        };
        if deleted {
            self.reader()?.max_seq()
        } else {
            Err(Error::NotFound(format!("no article with id {id:?}")))
        }
    }
}

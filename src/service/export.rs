//! Export rows: every match of a search, in ranking order, read back from the store and written
//! as CSV or JSON Lines in chunks, so memory stays flat however many rows.

use super::Service;
use crate::error::Result;
use crate::model::EntityKind;
use crate::search::export::ExportPlan;
use crate::search::values::Choice;
use crate::store::{Store, StoredArticle};

/// Bytes gathered before a chunk is handed on.
const CHUNK_BYTES: usize = 64 * 1024;
/// The export connection's page cache: each article is read once, so keeping pages gains nothing.
const EXPORT_CACHE_KIB: u32 = 2048;

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 9] =
    ["id", "published_at", "source", "title", "url", "people", "orgs", "places", "topics"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    #[default]
    Csv,
    JsonLines,
}

impl Choice for ExportFormat {
    const PARAMETER: &'static str = "format";
    const WORDS: &'static [(&'static str, ExportFormat)] =
        &[("csv", ExportFormat::Csv), ("jsonl", ExportFormat::JsonLines), ("ndjson", ExportFormat::JsonLines)];
}

crate::choice_schema!(ExportFormat);

impl ExportFormat {
    /// The media type and file extension of the format.
    pub fn content_type(self) -> (&'static str, &'static str) {
        match self {
            ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
            ExportFormat::JsonLines => ("application/x-ndjson", "jsonl"),
        }
    }
}

impl Service {
    /// Writes up to `max_rows` rows of the plan's matches in `format`, handing each chunk of about
    /// 64 KB (and the last, shorter one) to `emit`; stops early when `emit` returns false. An
    /// article deleted since the snapshot was taken is skipped.
    pub fn export_rows(
        &self,
        plan: &ExportPlan,
        format: ExportFormat,
        max_rows: usize,
        mut emit: impl FnMut(Vec<u8>) -> bool,
    ) -> Result<()> {
        let store = Store::open(&self.store_path)?;
        store.limit_cache(EXPORT_CACHE_KIB)?;
        let mut buffer = Vec::with_capacity(CHUNK_BYTES + 4096);
        if format == ExportFormat::Csv {
            buffer.extend_from_slice(CSV_COLUMNS.join(",").as_bytes());
            buffer.extend_from_slice(b"\r\n");
        }
        let mut lookup_error = None;
        let walked = self.engine.export_ids(plan, max_rows, |id| {
            match store.get_article(&id) {
                Ok(None) => {}
                Ok(Some(stored)) => match format {
                    ExportFormat::Csv => csv_row(&mut buffer, &stored),
                    ExportFormat::JsonLines => json_row(&mut buffer, &stored),
                },
                Err(error) => {
                    lookup_error = Some(error);
                    return false;
                }
            }
            if buffer.len() >= CHUNK_BYTES {
                return emit(std::mem::replace(&mut buffer, Vec::with_capacity(CHUNK_BYTES + 4096)));
            }
            true
        });
        if let Some(error) = lookup_error {
            return Err(error);
        }
        walked?;
        if !buffer.is_empty() {
            emit(buffer);
        }
        Ok(())
    }
}

fn names(stored: &StoredArticle, kind: EntityKind) -> Vec<&str> {
    stored.article.entities.iter().filter(|entity| entity.kind == kind).map(|entity| entity.name.as_str()).collect()
}

fn published(stored: &StoredArticle) -> Option<String> {
    stored.article.published_at.map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// One CSV row (RFC 4180: fields with commas, quotes or line breaks quoted, quotes doubled).
fn csv_row(out: &mut Vec<u8>, stored: &StoredArticle) {
    let article = &stored.article;
    let fields = [
        stored.id.to_string(),
        published(stored).unwrap_or_default(),
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

/// A CSV field, quoted when needed. A field a spreadsheet would run as a formula (starting with
/// = + - @, a tab or a carriage return) is prefixed with an apostrophe.
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
    let article = &stored.article;
    let row = serde_json::json!({
        "id": stored.id,
        "published_at": published(stored),
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
}

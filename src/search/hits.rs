//! Hits: what a search shows of each matching article, read from the index's stored fields (never
//! from the store), with the title and body highlighted.

use tantivy::schema::{TantivyDocument, Value};
use tantivy::{DocAddress, Searcher};

use super::request::{Highlights, Hit, HitEntity, Matches};
use super::snippets::{Highlighter, SnippetShape};
use super::stories::cluster_of;
use crate::error::Result;
use crate::index::schema::cluster_id;
use crate::index::{Fields, KeywordField};

/// The hit for the document at `address`, its `score` as ranked.
pub(crate) fn hit(
    fields: &Fields,
    searcher: &Searcher,
    highlighter: &Highlighter,
    shape: SnippetShape,
    score: Option<f32>,
    address: DocAddress,
) -> Result<Hit> {
    let document: TantivyDocument = searcher.doc(address)?;
    let text = |field| document.get_first(field).and_then(|value| value.as_str()).unwrap_or("").to_string();
    let title = text(fields.title);
    let body = text(fields.body);
    let lang = text(fields.keyword(KeywordField::Lang));
    let entities: Vec<HitEntity> = serde_json::from_str(&text(fields.entities)).unwrap_or_default();
    let (title_html, title_spans) = highlighter.title(&title, &lang);
    let (body_html, body_spans) = highlighter.body(&body, &lang, shape);
    let published_at = document
        .get_first(fields.published_at)
        .and_then(|value| value.as_datetime())
        .and_then(|date| chrono::DateTime::from_timestamp(date.into_timestamp_secs(), 0))
        .map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    Ok(Hit {
        id: text(fields.id),
        url: document.get_first(fields.url).and_then(|value| value.as_str()).map(str::to_string),
        source: text(fields.keyword(KeywordField::Source)),
        lang: lang.clone(),
        published_at,
        score,
        entities,
        highlights: Highlights { title: title_html, body: body_html },
        matches: Matches { title: title_spans, body: body_spans },
        cluster_id: cluster_id(cluster_of(searcher, address)?),
        duplicates: None,
        title,
    })
}

//! Entity views for analysts, answered from the index: entities with article counts under any
//! search's filters, and one entity's profile (timeline, first and last seen, co-occurrences with
//! lift and PMI so that ubiquitous names do not dominate).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, TantivyDocument, Value};
use tantivy::{DateTime, Order, Term};
use utoipa::ToSchema;

use super::facets::{self, FacetCollector};
use super::query::{canonical_value, query_time_error};
use super::request::{HistogramBucket, Interval, SearchRequest};
use super::scope::Scope;
use super::values::{Bounded, Choice};
use super::Engine;
use crate::error::{Error, Result};
use crate::index::schema::{keyword_term_text, PUBLISHED_AT};
use crate::index::KeywordField;
use crate::model::EntityKind;

/// Entities a list shows.
pub type EntityLimit = Bounded<1, 1_000>;
/// Co-occurring entities a profile shows per kind.
pub type RelatedEntities = Bounded<1, 100>;
pub const DEFAULT_ENTITY_LIMIT: usize = 20;
pub const DEFAULT_RELATED_ENTITIES: usize = 10;

/// An entity kind as a request names it: exactly one of [`EntityKind::WORDS`].
impl Choice for EntityKind {
    const PARAMETER: &'static str = "kind";
    const WORDS: &'static [(&'static str, EntityKind)] = &EntityKind::WORDS;
    const EMPTY_IS_DEFAULT: bool = false;
    const ANY_CASE: bool = true;
}

crate::choice_schema!(EntityKind);

/// An entity with the number of matching articles that mention it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct EntityCount {
    /// `person`, `org` or `place`.
    pub kind: String,
    pub name: String,
    pub count: u64,
}

/// An entity that appears in the same articles as the profiled one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RelatedEntity {
    pub name: String,
    /// Articles mentioning both.
    pub count: u64,
    /// P(both) / (P(this) · P(other)): above 1 when they meet more often than chance.
    pub lift: f64,
    /// log2 of the lift.
    pub pmi: f64,
}

/// What the index knows of one entity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntityProfile {
    pub kind: String,
    /// The canonical name.
    pub name: String,
    /// The forms the articles wrote it in (filled from the store by the API).
    pub aliases: Vec<String>,
    pub article_count: u64,
    /// Publication time of the earliest and latest dated article mentioning it (RFC 3339).
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Articles mentioning it per bucket, non-empty buckets in date order.
    pub timeline: Vec<HistogramBucket>,
    /// Per kind (`person`, `org`, `place`), the entities co-occurring most, by article count.
    #[schema(value_type = Object)]
    pub related: BTreeMap<String, Vec<RelatedEntity>>,
}

/// A validated entity-list request.
#[derive(Debug, Clone)]
pub struct EntityListRequest {
    pub kind: EntityKind,
    /// Keep names with a word starting with this (case-insensitive).
    pub prefix: Option<String>,
    pub limit: usize,
    /// The articles to count over: the same query and filters as a search.
    pub search: SearchRequest,
}

/// A validated entity-profile request.
#[derive(Debug, Clone)]
pub struct EntityProfileRequest {
    pub kind: EntityKind,
    /// The canonical name or an alias, any case.
    pub name: String,
    /// The timeline's bucket.
    pub interval: Interval,
    /// Co-occurring entities per kind.
    pub related: usize,
    /// Only the articles this scope sees are counted.
    pub scope: Scope,
}

fn kind_field(kind: EntityKind) -> KeywordField {
    KeywordField::for_entity(kind)
}

fn has_word_prefix(name: &str, prefix: &str) -> bool {
    let name = name.to_lowercase();
    name.starts_with(prefix) || name.split([' ', '-']).any(|word| word.starts_with(prefix))
}

impl Engine {
    /// Entities of one kind among the articles a search matches, most mentioned first.
    pub fn entities(&self, request: &EntityListRequest) -> Result<Vec<EntityCount>> {
        request.search.validate()?;
        EntityLimit::check("limit", request.limit)?;
        let user_query = self.queries.analyst_everywhere(&request.search.q)?;
        let query = self.queries.restrict(&request.search, user_query);
        let searcher = self.index.reader.searcher();
        let collector = FacetCollector {
            fields: vec![kind_field(request.kind)],
            histogram: false,
            ordinals: Arc::clone(&self.ordinals),
            whole: query.is::<tantivy::query::AllQuery>(),
        };
        let fruit = searcher.search(&query, &collector).map_err(query_time_error)?;
        let prefix =
            request.prefix.as_deref().map(|prefix| prefix.trim().to_lowercase()).filter(|prefix| !prefix.is_empty());
        let top = match (fruit.fields.first(), prefix) {
            (None, _) => Vec::new(),
            (Some(counts), None) => counts.top(request.limit)?,
            (Some(counts), Some(prefix)) => {
                let kept = counts.named()?.into_iter().filter(|(name, _)| has_word_prefix(name, &prefix)).collect();
                facets::top_values(kept, request.limit)
            }
        };
        Ok(top
            .into_iter()
            .map(|value| EntityCount { kind: request.kind.as_str().into(), name: value.value, count: value.count })
            .collect())
    }

    /// The profile of one entity, found case-insensitively and through the alias table. Its
    /// `aliases` are left for the caller to fill (the forms written live in the store).
    pub fn entity_profile(&self, request: &EntityProfileRequest) -> Result<EntityProfile> {
        let EntityProfileRequest { kind, ref name, interval, related: related_size, ref scope } = *request;
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::BadParameter("the entity name must not be empty".into()));
        }
        RelatedEntities::check("related", related_size)?;
        let field = kind_field(kind);
        let canonical = canonical_value(&self.queries.aliases(), field, name);
        let mut request = SearchRequest {
            filters: vec![(field, vec![name.to_string()])],
            limit: 1,
            facet_size: 1,
            ..SearchRequest::default()
        };
        scope.restrict(&mut request);
        let query = self.queries.restrict(&request, None);
        let searcher = self.index.reader.searcher();
        let kinds = EntityKind::ALL.map(kind_field);
        let collector = FacetCollector {
            fields: kinds.to_vec(),
            histogram: true,
            ordinals: Arc::clone(&self.ordinals),
            whole: false,
        };
        let (article_count, fruit) = searcher.search(&query, &(Count, collector)).map_err(query_time_error)?;
        if article_count == 0 {
            return Err(Error::NotFound(format!("no {kind} named {name:?} in the index")));
        }
        // Lift compares an entity's share of these articles with its share of every article the
        // credential sees (all of them, or its scope's).
        let visible_articles = if scope.is_everything() {
            searcher.num_docs()
        } else {
            searcher
                .search(&self.within(scope, Box::new(tantivy::query::AllQuery)), &Count)
                .map_err(query_time_error)? as u64
        };
        let total_articles = visible_articles.max(1) as f64;
        let keys = [keyword_term_text(&canonical), keyword_term_text(name)];
        let mut display = canonical.clone();
        let mut related = BTreeMap::new();
        for (other_field, counts) in kinds.iter().zip(&fruit.fields) {
            let mut entries = Vec::new();
            for (other, count) in counts.named()? {
                let other_key = keyword_term_text(&other);
                if *other_field == field && keys.contains(&other_key) {
                    if other_key == keys[0] {
                        display = other;
                    }
                    continue;
                }
                entries.push((other, other_key, count));
            }
            // Only entries that can make the list need their lift: those counted at least as
            // often as the last one kept.
            entries.sort_by_key(|entry| std::cmp::Reverse(entry.2));
            let least = entries.get(related_size.saturating_sub(1)).map_or(0, |entry| entry.2);
            entries.retain(|entry| entry.2 >= least && related_size > 0);
            let mut listed = Vec::with_capacity(entries.len());
            for (other, other_key, count) in entries {
                let term = Term::from_field_text(self.index.fields.keyword(*other_field), &other_key);
                let other_articles = if scope.is_everything() {
                    searcher.doc_freq(&term).unwrap_or(count)
                } else {
                    let mentions = self.within(scope, Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
                    searcher.search(&mentions, &Count).map_err(query_time_error)? as u64
                }
                .max(count) as f64;
                let lift = count as f64 * total_articles / (article_count as f64 * other_articles);
                listed.push(RelatedEntity { name: other, count, lift: round(lift), pmi: round(lift.log2()) });
            }
            listed.sort_by(|a, b| {
                b.count.cmp(&a.count).then(b.lift.total_cmp(&a.lift)).then_with(|| a.name.cmp(&b.name))
            });
            listed.truncate(related_size);
            related.insert(other_field.name().to_string(), listed);
        }
        let seen = |order: Order| -> Result<Option<String>> {
            let top = searcher
                .search(&query, &TopDocs::with_limit(1).order_by_fast_field::<DateTime>(PUBLISHED_AT, order))
                .map_err(query_time_error)?;
            let Some((_, address)) = top.into_iter().next() else { return Ok(None) };
            let document: TantivyDocument = searcher.doc(address)?;
            Ok(document
                .get_first(self.index.fields.published_at)
                .and_then(|value| value.as_datetime())
                .and_then(|date| chrono::DateTime::from_timestamp(date.into_timestamp_secs(), 0))
                .map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
        };
        Ok(EntityProfile {
            kind: kind.as_str().into(),
            name: display,
            aliases: Vec::new(),
            article_count: article_count as u64,
            first_seen: seen(Order::Asc)?,
            last_seen: seen(Order::Desc)?,
            timeline: facets::histogram(&fruit.days, interval),
            related,
        })
    }
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_any_word() {
        assert!(has_word_prefix("Volodymyr Zelensky", "zel"));
        assert!(has_word_prefix("Volodymyr Zelensky", "vol"));
        assert!(!has_word_prefix("Volodymyr Zelensky", "ensky"));
    }
}

//! Parameters of `GET /v1/entities` and `GET /v1/entities/{kind}/{name}`.

use utoipa::IntoParams;

use super::{choice, names, pairs, required_choice, unknown, SearchParams, FILTERS};
use crate::error::{Error, Result};
use crate::model::EntityKind;
use crate::search::entities::{
    EntityLimit, EntityListRequest, EntityProfileRequest, RelatedEntities, DEFAULT_ENTITY_LIMIT,
    DEFAULT_RELATED_ENTITIES,
};
use crate::search::request::{Interval, QueryText, SearchRequest};
use crate::search::values::{number, DateText};

/// Parameters of `GET /v1/entities`: which entities, and the articles to count them over (the
/// search filters).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityListParams {
    /// `person`, `org` or `place` (required).
    #[param(inline)]
    pub kind: EntityKind,
    /// Keep names with a word starting with this, case-insensitive (`zel` finds Zelensky).
    pub prefix: Option<String>,
    /// Entities to return, 1–1,000 (default 20).
    #[param(inline)]
    pub limit: Option<EntityLimit>,
}

/// The articles an entity list counts over, or an export writes: a search's query text, filters
/// and dates, as in `/v1/search`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchFilters {
    /// Query text, as in `/v1/search`.
    #[param(inline)]
    pub q: Option<QueryText>,
    /// Entities, topics, sources and languages the articles must have (any of a filter's values;
    /// each repeatable).
    pub person: Option<Vec<String>>,
    pub org: Option<Vec<String>>,
    pub place: Option<Vec<String>>,
    pub topic: Option<Vec<String>>,
    pub source: Option<Vec<String>>,
    pub lang: Option<Vec<String>>,
    /// Publication date bounds, inclusive, as in `/v1/search`.
    #[param(inline)]
    pub from: Option<DateText>,
    #[param(inline)]
    pub to: Option<DateText>,
}

impl EntityListParams {
    /// The entity-list request of a query string.
    pub fn request(raw: &str) -> Result<EntityListRequest> {
        let mut kind = None;
        let mut prefix = None;
        let mut limit = DEFAULT_ENTITY_LIMIT;
        let mut search = SearchParams::default();
        let filters = names::<SearchFilters>();
        for (key, value) in pairs(raw, &FILTERS)? {
            match key.as_ref() {
                "kind" => kind = Some(required_choice::<EntityKind>(&value)?),
                "prefix" => prefix = Some(value),
                "limit" => limit = number("limit", &value)?,
                other if filters.iter().any(|filter| filter == other) => {
                    search.apply_pair(other, value)?;
                }
                other => return Err(unknown(other, &[names::<EntityListParams>(), filters].concat())),
            }
        }
        let kind = kind.ok_or_else(|| Error::BadParameter("kind is required: person, org or place".into()))?;
        EntityLimit::check("limit", limit)?;
        Ok(EntityListRequest { kind, prefix, limit, search: SearchRequest::try_from(search)? })
    }
}

/// Parameters of `GET /v1/entities/{kind}/{name}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityProfileParams {
    /// Timeline bucket: day, week, month (default) or year.
    #[param(inline)]
    pub histogram: Option<Interval>,
    /// Co-occurring entities per kind, 1–100 (default 10).
    #[param(inline)]
    pub related: Option<RelatedEntities>,
}

impl EntityProfileParams {
    /// The profile request for `/v1/entities/{kind}/{name}?…`.
    pub fn request(kind: &str, name: String, raw: &str) -> Result<EntityProfileRequest> {
        let kind = parse_kind(kind)?;
        let mut interval = Interval::Month;
        let mut related = DEFAULT_RELATED_ENTITIES;
        for (key, value) in pairs(raw, &[])? {
            match key.as_ref() {
                "histogram" => interval = choice(&value)?.unwrap_or(Interval::Month),
                "related" => related = number("related", &value)?,
                other => return Err(unknown(other, &names::<EntityProfileParams>())),
            }
        }
        Ok(EntityProfileRequest { kind, name, interval, related, scope: crate::search::scope::Scope::everything() })
    }
}

/// An entity kind from a URL: `person`, `org` or `place` (or their synonyms).
pub fn parse_kind(text: &str) -> Result<EntityKind> {
    required_choice(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_in_any_case_and_parameters_once() {
        assert_eq!(parse_kind(" ORG ").unwrap(), EntityKind::Org);
        assert_eq!(EntityListParams::request("kind=Person&limit=5").unwrap().kind, EntityKind::Person);
        assert!(EntityListParams::request("kind=person&kind=org").is_err(), "which kind was meant?");
        assert_eq!(EntityListParams::request("kind=place&place=a&place=b").unwrap().search.filters[0].1.len(), 2);
        assert!(EntityListParams::request("kind=thing").is_err());
    }
}

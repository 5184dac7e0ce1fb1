//! The typed search parameters shared by `GET` (query string) and `POST` (JSON body), and their
//! conversion into the engine's validated request.

use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};

use crate::error::{Error, Result};
use crate::model::EntityKind;
use crate::search::entities::{EntityListRequest, EntityProfileRequest};
use crate::search::related::{DEFAULT_RELATED, MAX_RELATED_STORIES};
use crate::search::request::{
    parse_bound, Interval, KeywordField, Mode, SearchRequest, Sort, DEFAULT_FACET_SIZE, DEFAULT_SNIPPETS,
    DEFAULT_SNIPPET_CHARS, FACETABLE,
};
use crate::search::suggest::{SuggestRequest, SuggestionKind, DEFAULT_SUGGESTIONS};
use crate::service::ExportFormat;

/// Search parameters. In a query string a filter may repeat (`place=usa&place=uk`) and `facets`
/// is comma-separated; in JSON a filter is a string or an array of strings.
#[derive(Debug, Default, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Query text: words, "phrases", AND / OR / NOT, +must -mustnot, field:term (fields title,
    /// body, person, org, place, topic, author, source, lang). Words are ANDed by default. Empty
    /// lists the filtered articles, newest first. At most 1,000 characters.
    pub q: Option<String>,
    /// People (canonical names, case-insensitive); several values match any of them.
    #[serde(default, deserialize_with = "one_or_many")]
    pub person: Vec<String>,
    /// Organisations.
    #[serde(default, deserialize_with = "one_or_many")]
    pub org: Vec<String>,
    /// Places.
    #[serde(default, deserialize_with = "one_or_many")]
    pub place: Vec<String>,
    /// Topics or sections.
    #[serde(default, deserialize_with = "one_or_many")]
    pub topic: Vec<String>,
    /// Sources (e.g. `Reuters`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub source: Vec<String>,
    /// Languages, ISO 639-1 (`en`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub lang: Vec<String>,
    /// Earliest publication time, inclusive: `YYYY-MM-DD` or RFC 3339.
    pub from: Option<String>,
    /// Latest publication time, inclusive: `YYYY-MM-DD` (the whole day) or RFC 3339.
    pub to: Option<String>,
    /// `relevance` (default) or `date` (newest first).
    pub sort: Option<String>,
    /// Hits to skip (offset + limit ≤ 10,000).
    pub offset: Option<usize>,
    /// Hits to return, 1–100 (default 10).
    pub limit: Option<usize>,
    /// Facets to count: any of person, org, place, topic, source, lang.
    #[serde(default, deserialize_with = "one_or_many")]
    pub facets: Vec<String>,
    /// Values per facet, 1–1,000 (default 10).
    pub facet_size: Option<usize>,
    /// Date histogram interval: day, week, month or year.
    pub histogram: Option<String>,
    /// `cluster`: one hit per story (near-duplicate cluster), with the ids of the others that
    /// match; `none` (default): every article. Totals and facets count articles either way.
    pub collapse: Option<String>,
    /// `analyst` (default): the strict query syntax above. `instant`: as-you-type — anything typed
    /// is searched as words (balanced "phrases" and -exclusions still work), typos are forgiven
    /// (1 edit from 5 letters, 2 from 9), the last word also matches as a prefix; exact matches
    /// rank above typo matches, above prefix-only matches.
    pub mode: Option<String>,
    /// The weight of recency in relevance ranking, 0–1, or `off`; default from the configuration.
    /// Not used with `sort=date` or a `from`/`to` range.
    pub freshness: Option<String>,
    /// The `cursor` of the previous page, for the next one (same query and filters; not with
    /// `offset` or `collapse`).
    pub cursor: Option<String>,
    /// Body fragments per hit, 1–10 (default 3): more when matches are far apart.
    pub snippets: Option<usize>,
    /// Characters per body fragment, 40–1,000 (default 160).
    pub snippet_chars: Option<usize>,
    /// `all` (default): every word must match. `any`: words are ORed and more matching words
    /// rank higher (analyst mode; explicit AND / OR / NOT still apply).
    #[serde(rename = "match")]
    pub match_words: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Vec<String>, D::Error> {
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(value) => vec![value],
        OneOrMany::Many(values) => values,
    })
}

const KNOWN: &str = "q, person, org, place, topic, source, lang, from, to, sort, offset, limit, facets, facet_size, \
                     histogram, collapse, mode, freshness, cursor, snippets, snippet_chars, match";

fn number(name: &str, value: &str) -> Result<usize> {
    value
        .trim()
        .parse()
        .map_err(|_| Error::BadParameter(format!("{name} must be a non-negative whole number, not {value:?}")))
}

impl SearchParams {
    /// Parses a raw query string. Unknown parameters are rejected so that typos do not silently
    /// widen a search.
    pub fn from_query_string(raw: &str) -> Result<SearchParams> {
        let mut params = SearchParams::default();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            if !params.apply_pair(&key, value.into_owned())? {
                return Err(Error::BadParameter(format!("unknown parameter {key:?}; known parameters: {KNOWN}")));
            }
        }
        Ok(params)
    }

    /// Sets one query-string parameter; `Ok(false)` when the name is not a search parameter.
    pub fn apply_pair(&mut self, key: &str, value: String) -> Result<bool> {
        match key {
            "q" => self.q = Some(value),
            "person" => self.person.push(value),
            "org" => self.org.push(value),
            "place" => self.place.push(value),
            "topic" => self.topic.push(value),
            "source" => self.source.push(value),
            "lang" => self.lang.push(value),
            "from" => self.from = Some(value),
            "to" => self.to = Some(value),
            "sort" => self.sort = Some(value),
            "offset" => self.offset = Some(number("offset", &value)?),
            "limit" => self.limit = Some(number("limit", &value)?),
            "facets" => self.facets.extend(value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(String::from)),
            "facet_size" => self.facet_size = Some(number("facet_size", &value)?),
            "histogram" => self.histogram = Some(value),
            "collapse" => self.collapse = Some(value),
            "mode" => self.mode = Some(value),
            "freshness" => self.freshness = Some(value),
            "cursor" => self.cursor = Some(value),
            "snippets" => self.snippets = Some(number("snippets", &value)?),
            "snippet_chars" => self.snippet_chars = Some(number("snippet_chars", &value)?),
            "match" => self.match_words = Some(value),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Parameters of `GET /v1/entities`: which entities, and the articles to count them over (the
/// search filters).
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityListParams {
    /// `person`, `org` or `place` (required).
    pub kind: Option<String>,
    /// Keep names with a word starting with this, case-insensitive (`zel` finds Zelensky).
    pub prefix: Option<String>,
    /// Entities to return, 1–1,000 (default 20).
    pub limit: Option<usize>,
    /// Query text, as in search: count entities in the matching articles only.
    pub q: Option<String>,
    /// Other entities the articles must mention (any of the values; repeatable).
    pub person: Vec<String>,
    pub org: Vec<String>,
    pub place: Vec<String>,
    pub topic: Vec<String>,
    pub source: Vec<String>,
    pub lang: Vec<String>,
    /// Publication date bounds, inclusive, as in search.
    pub from: Option<String>,
    pub to: Option<String>,
}

const ENTITY_FILTERS: [&str; 9] = ["q", "person", "org", "place", "topic", "source", "lang", "from", "to"];

/// Parses the entity list's query string into (kind, prefix, limit, the search request).
pub fn entity_list_request(raw: &str) -> Result<EntityListRequest> {
    let mut kind = None;
    let mut prefix = None;
    let mut limit = 20;
    let mut search = SearchParams::default();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        let value = value.into_owned();
        match key.as_ref() {
            "kind" => kind = Some(parse_kind(&value)?),
            "prefix" => prefix = Some(value),
            "limit" => limit = number("limit", &value)?,
            other if ENTITY_FILTERS.contains(&other) => {
                search.apply_pair(other, value)?;
            }
            other => {
                return Err(Error::BadParameter(format!(
                    "unknown parameter {other:?}; known parameters: kind, prefix, limit, {}",
                    ENTITY_FILTERS.join(", ")
                )))
            }
        }
    }
    let kind = kind.ok_or_else(|| Error::BadParameter("kind is required: person, org or place".into()))?;
    Ok(EntityListRequest { kind, prefix, limit, search: SearchRequest::try_from(search)? })
}

/// An entity kind from a URL: `person`, `org` or `place` (or their synonyms).
pub fn parse_kind(text: &str) -> Result<EntityKind> {
    EntityKind::parse(text)
        .ok_or_else(|| Error::BadParameter(format!("kind must be person, org or place, not {text:?}")))
}

/// Parameters of `GET /v1/suggest`.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What was typed so far (at most 200 characters); every word must start a word of the
    /// suggestion. Empty: no suggestions.
    pub q: String,
    /// Suggestions to return, 1–50 (default 8).
    pub limit: usize,
    /// Only these kinds, comma-separated: person, org, place, title (default all).
    #[param(value_type = Option<String>)]
    pub kinds: Option<Vec<SuggestionKind>>,
}

impl SuggestParams {
    pub fn parse(raw: &str) -> Result<SuggestRequest> {
        let mut params = SuggestRequest { limit: DEFAULT_SUGGESTIONS, ..SuggestRequest::default() };
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            match key.as_ref() {
                "q" => params.q = value.into_owned(),
                "limit" => params.limit = number("limit", &value)?,
                "kind" | "kinds" => {
                    let mut kinds = params.kinds.take().unwrap_or_default();
                    for name in value.split(',').map(str::trim).filter(|name| !name.is_empty()) {
                        kinds.push(match name {
                            "person" | "people" => SuggestionKind::Person,
                            "org" | "organisation" | "organization" => SuggestionKind::Org,
                            "place" => SuggestionKind::Place,
                            "title" => SuggestionKind::Title,
                            other => {
                                return Err(Error::BadParameter(format!(
                                    "kinds: {other:?} is not one of person, org, place, title"
                                )))
                            }
                        });
                    }
                    kinds.sort_by_key(|kind| *kind as u8);
                    kinds.dedup();
                    // An empty `kinds=` means every kind.
                    params.kinds = (!kinds.is_empty()).then_some(kinds);
                }
                other => {
                    return Err(Error::BadParameter(format!(
                        "unknown parameter {other:?}; known parameters: q, limit, kinds"
                    )))
                }
            }
        }
        params.validate()?;
        Ok(params)
    }
}

/// Parameters of `GET /v1/entities/{kind}/{name}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityProfileParams {
    /// Timeline bucket: day, week, month (default) or year.
    pub histogram: Option<String>,
    /// Co-occurring entities per kind, 1–100 (default 10).
    pub related: Option<usize>,
}

impl EntityProfileParams {
    /// The profile request for `/v1/entities/{kind}/{name}?…`.
    pub fn request(kind: &str, name: String, raw: &str) -> Result<EntityProfileRequest> {
        let kind = parse_kind(kind)?;
        let (interval, related) = EntityProfileParams::from_query_string(raw)?;
        Ok(EntityProfileRequest { kind, name, interval, related })
    }

    fn from_query_string(raw: &str) -> Result<(Interval, usize)> {
        let mut interval = Interval::Month;
        let mut related = 10;
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            match key.as_ref() {
                "histogram" => interval = Interval::parse(&value)?,
                "related" => related = number("related", &value)?,
                other => {
                    return Err(Error::BadParameter(format!(
                        "unknown parameter {other:?}; known parameters: histogram, related"
                    )))
                }
            }
        }
        Ok((interval, related))
    }
}

/// Parameters of `GET /v1/articles/{id}/related`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelatedParams {
    /// Stories to return, 1–50 (default 5).
    pub limit: Option<usize>,
}

impl RelatedParams {
    /// The number of stories asked for.
    pub fn from_query_string(raw: &str) -> Result<usize> {
        let mut limit = DEFAULT_RELATED;
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            match key.as_ref() {
                "limit" => limit = number("limit", &value)?,
                other => return Err(Error::BadParameter(format!("unknown parameter {other:?}; known: limit"))),
            }
        }
        if limit == 0 || limit > MAX_RELATED_STORIES {
            return Err(Error::BadParameter(format!("limit must be between 1 and {MAX_RELATED_STORIES}")));
        }
        Ok(limit)
    }
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

/// The search parameters an export takes.
const EXPORT_SEARCH_KEYS: [&str; 13] =
    ["q", "mode", "match", "person", "org", "place", "topic", "source", "lang", "from", "to", "sort", "freshness"];

/// Parses an export's query string into (the search, the format, the rows at most).
pub fn export_request(raw: &str, max_rows: usize) -> Result<(SearchRequest, ExportFormat, usize)> {
    let mut format = ExportFormat::Csv;
    let mut rows = max_rows;
    let mut search = SearchParams::default();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        match key.as_ref() {
            "format" => {
                format = match value.trim() {
                    "csv" => ExportFormat::Csv,
                    "jsonl" | "ndjson" => ExportFormat::JsonLines,
                    other => return Err(Error::BadParameter(format!("format must be csv or jsonl, not {other:?}"))),
                }
            }
            "limit" => {
                rows = value.trim().parse().ok().filter(|rows| (1..=max_rows).contains(rows)).ok_or_else(|| {
                    Error::BadParameter(format!("limit must be a number of rows between 1 and {max_rows}"))
                })?
            }
            other if EXPORT_SEARCH_KEYS.contains(&other) => {
                search.apply_pair(other, value.into_owned())?;
            }
            other => {
                return Err(Error::BadParameter(format!(
                    "unknown parameter {other:?}; known parameters: format, limit, {}",
                    EXPORT_SEARCH_KEYS.join(", ")
                )))
            }
        }
    }
    Ok((SearchRequest::try_from(search)?, format, rows))
}

/// `freshness`: a weight 0–1, or `off` / `on` (0 / the configured weight).
fn parse_freshness(text: &str) -> Result<f64> {
    match text.trim() {
        "off" | "none" => Ok(0.0),
        other => other.parse::<f64>().ok().filter(|weight| (0.0..=1.0).contains(weight)).ok_or_else(|| {
            Error::BadParameter(format!("freshness must be a weight between 0 and 1, or off, not {other:?}"))
        }),
    }
}

impl TryFrom<SearchParams> for SearchRequest {
    type Error = Error;

    fn try_from(params: SearchParams) -> Result<SearchRequest> {
        let mut facets = Vec::new();
        for name in &params.facets {
            let field = KeywordField::parse(name).filter(|field| FACETABLE.contains(field)).ok_or_else(|| {
                Error::BadParameter(format!("facets: {name:?} is not one of person, org, place, topic, source, lang"))
            })?;
            if !facets.contains(&field) {
                facets.push(field);
            }
        }
        let filters = [
            (KeywordField::Person, params.person),
            (KeywordField::Org, params.org),
            (KeywordField::Place, params.place),
            (KeywordField::Topic, params.topic),
            (KeywordField::Source, params.source),
            (KeywordField::Lang, params.lang),
        ]
        .into_iter()
        .map(|(field, values)| {
            (field, values.into_iter().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect::<Vec<_>>())
        })
        .filter(|(_, values)| !values.is_empty())
        .collect();
        let request = SearchRequest {
            q: params.q.unwrap_or_default(),
            filters,
            from: params.from.as_deref().map(|text| parse_bound("from", text, false)).transpose()?,
            to: params.to.as_deref().map(|text| parse_bound("to", text, true)).transpose()?,
            sort: params.sort.as_deref().map(Sort::parse).transpose()?.unwrap_or_default(),
            offset: params.offset.unwrap_or(0),
            limit: params.limit.unwrap_or(10),
            facets,
            facet_size: params.facet_size.unwrap_or(DEFAULT_FACET_SIZE),
            histogram: params.histogram.as_deref().map(Interval::parse).transpose()?,
            collapse: match params.collapse.as_deref().map(str::trim) {
                None | Some("none") | Some("") => false,
                Some("cluster") => true,
                Some(other) => {
                    return Err(Error::BadParameter(format!("collapse must be cluster or none, not {other:?}")))
                }
            },
            mode: params.mode.as_deref().map(|mode| Mode::parse(mode.trim())).transpose()?.unwrap_or_default(),
            freshness: params.freshness.as_deref().map(parse_freshness).transpose()?,
            cursor: params.cursor.filter(|cursor| !cursor.trim().is_empty()),
            snippets: params.snippets.unwrap_or(DEFAULT_SNIPPETS),
            snippet_chars: params.snippet_chars.unwrap_or(DEFAULT_SNIPPET_CHARS),
            match_any: match params.match_words.as_deref().map(str::trim) {
                None | Some("all") | Some("") => false,
                Some("any") => true,
                Some(other) => return Err(Error::BadParameter(format!("match must be all or any, not {other:?}"))),
            },
        };
        request.validate()?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_string_repeats_and_lists() {
        let params = SearchParams::from_query_string("q=oil&place=usa&place=uk&facets=person,place&limit=5").unwrap();
        assert_eq!(params.place, vec!["usa", "uk"]);
        assert_eq!(params.facets, vec!["person", "place"]);
        let request = SearchRequest::try_from(params).unwrap();
        assert_eq!(request.limit, 5);
        assert_eq!(request.filters, vec![(KeywordField::Place, vec!["usa".to_string(), "uk".to_string()])]);
    }

    #[test]
    fn bad_parameters_are_named() {
        let error = SearchParams::from_query_string("qq=oil").unwrap_err();
        assert!(error.to_string().contains("\"qq\""));
        let error = SearchParams::from_query_string("limit=ten").unwrap_err();
        assert!(error.to_string().contains("limit"));
        let error = SearchRequest::try_from(SearchParams::from_query_string("facets=colour").unwrap()).unwrap_err();
        assert!(error.to_string().contains("colour"));
    }

    #[test]
    fn export_parameters_are_checked() {
        let (request, format, rows) = export_request("q=oil&format=jsonl&place=Kuwait&limit=5", 100).unwrap();
        assert_eq!((request.q.as_str(), format, rows), ("oil", ExportFormat::JsonLines, 5));
        assert!(export_request("format=xml", 100).is_err());
        assert!(export_request("limit=101", 100).is_err());
        assert!(export_request("offset=3", 100).is_err());
        assert_eq!(export_request("", 100).unwrap().2, 100);
    }

    #[test]
    fn json_accepts_one_or_many() {
        let params: SearchParams = serde_json::from_str(r#"{"q":"oil","place":"usa","person":["a","b"]}"#).unwrap();
        assert_eq!(params.place, vec!["usa"]);
        assert_eq!(params.person, vec!["a", "b"]);
        assert!(serde_json::from_str::<SearchParams>(r#"{"qq":"oil"}"#).is_err());
    }
}

//! The search parameters, shared by `GET /v1/search` (query string), `POST /v1/search` (JSON
//! body) and the endpoints that take a search's query and filters (entities, export).

use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{choice, names, optional_choice, pairs, unknown, Choices, Values, FILTERS};
use crate::error::{Error, Result};
use crate::search::request::{
    parse_bound, Collapse, FacetName, FacetSize, Interval, KeywordField, Limit, Mode, Offset, QueryText, SearchRequest,
    SnippetChars, Snippets, Sort, TotalCount, WordMatch, DEFAULT_FACET_SIZE, DEFAULT_SNIPPETS, DEFAULT_SNIPPET_CHARS,
};
use crate::search::values::{Bounded, DateText, FreshnessText, Text};

/// Search parameters. In a query string a filter may repeat (`place=usa&place=uk`) and `facets`
/// is comma-separated; in JSON a filter is a string or an array of strings. An empty value means
/// the default.
#[derive(Debug, Default, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Query text: words, "phrases", AND / OR / NOT, +must -mustnot, field:term (fields title,
    /// body, person, org, place, topic, author, source, lang). Words are ANDed by default. Empty
    /// lists the filtered articles, newest first. At most 1,000 characters.
    #[param(inline)]
    #[schema(inline)]
    pub q: Option<QueryText>,
    /// People (canonical names, case-insensitive); several values match any of them.
    #[serde(default)]
    #[param(value_type = Vec<String>)]
    #[schema(inline)]
    pub person: Values,
    /// Organisations.
    #[serde(default)]
    #[param(value_type = Vec<String>)]
    #[schema(inline)]
    pub org: Values,
    /// Places.
    #[serde(default)]
    #[param(value_type = Vec<String>)]
    #[schema(inline)]
    pub place: Values,
    /// Topics or sections.
    #[serde(default)]
    #[param(value_type = Vec<String>)]
    #[schema(inline)]
    pub topic: Values,
    /// Sources (e.g. `Reuters`).
    #[serde(default)]
    #[param(value_type = Vec<String>)]
    #[schema(inline)]
    pub source: Values,
    /// Languages, ISO 639-1 (`en`).
    #[serde(default)]
    #[param(value_type = Vec<String>)]
    #[schema(inline)]
    pub lang: Values,
    /// Earliest publication time, inclusive: `YYYY-MM-DD` or RFC 3339.
    #[param(inline)]
    #[schema(inline)]
    pub from: Option<DateText>,
    /// Latest publication time, inclusive: `YYYY-MM-DD` (the whole day) or RFC 3339.
    #[param(inline)]
    #[schema(inline)]
    pub to: Option<DateText>,
    /// `relevance` (default) or `date` (newest first).
    #[serde(default, deserialize_with = "optional_choice")]
    #[param(inline)]
    #[schema(inline)]
    pub sort: Option<Sort>,
    /// Hits to skip (offset + limit ≤ 10,000).
    #[param(inline)]
    #[schema(inline)]
    pub offset: Option<Offset>,
    /// Hits to return, 1–100 (default 10).
    #[param(inline)]
    #[schema(inline)]
    pub limit: Option<Limit>,
    /// Facets to count: any of person, org, place, topic, source, lang.
    #[serde(default)]
    #[param(value_type = Vec<FacetName>, inline, style = Form, explode = false)]
    #[schema(schema_with = facets_schema)]
    pub facets: Choices<FacetName>,
    /// Values per facet, 1–1,000 (default 10).
    #[param(inline)]
    #[schema(inline)]
    pub facet_size: Option<FacetSize>,
    /// Date histogram interval: day, week, month or year.
    #[serde(default, deserialize_with = "optional_choice")]
    #[param(inline)]
    #[schema(inline)]
    pub histogram: Option<Interval>,
    /// `cluster`: one hit per story (near-duplicate cluster), with the ids of the others that
    /// match; `none` (default): every article. Totals and facets count articles either way.
    #[serde(default, deserialize_with = "optional_choice")]
    #[param(inline)]
    #[schema(inline)]
    pub collapse: Option<Collapse>,
    /// `analyst` (default): the strict query syntax above. `instant`: as-you-type — anything typed
    /// is searched as words (balanced "phrases" and -exclusions still work), typos are forgiven
    /// (1 edit from 5 letters, 2 from 9), the last word also matches as a prefix; exact matches
    /// rank above typo matches, above prefix-only matches.
    #[serde(default, deserialize_with = "optional_choice")]
    #[param(inline)]
    #[schema(inline)]
    pub mode: Option<Mode>,
    /// The weight of recency in relevance ranking, 0–1, or `off`; default from the configuration.
    /// Not used with `sort=date` or a `from`/`to` range.
    #[param(inline)]
    #[schema(inline)]
    pub freshness: Option<FreshnessText>,
    /// The `cursor` of the previous page, for the next one (same query and filters; not with
    /// `offset` or `collapse`).
    pub cursor: Option<String>,
    /// Body fragments per hit, 1–10 (default 3): more when matches are far apart.
    #[param(inline)]
    #[schema(inline)]
    pub snippets: Option<Snippets>,
    /// Characters per body fragment, 40–1,000 (default 160).
    #[param(inline)]
    #[schema(inline)]
    pub snippet_chars: Option<SnippetChars>,
    /// `all` (default): every word must match. `any`: words are ORed and more matching words
    /// rank higher (analyst mode; explicit AND / OR / NOT still apply).
    #[serde(rename = "match", default, deserialize_with = "optional_choice")]
    #[param(rename = "match", inline)]
    #[schema(inline)]
    pub match_words: Option<WordMatch>,
    /// `fast` (default): `total` is exact up to 1,000 matches (the `exact_total_up_to` setting);
    /// past that a search may stop counting once no further match could enter the page, and
    /// `total_relation` is `gte`. `exact`: every match is counted. Totals are always exact with
    /// facets, a histogram or `collapse=cluster`.
    #[serde(default, deserialize_with = "optional_choice")]
    #[param(inline)]
    #[schema(inline)]
    pub total: Option<TotalCount>,
}

/// `facets` in JSON: a name or a list of names.
fn facets_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    <Choices<FacetName> as utoipa::PartialSchema>::schema()
}

impl SearchParams {
    /// Parses a raw query string.
    pub fn from_query_string(raw: &str) -> Result<SearchParams> {
        let mut params = SearchParams::default();
        // The filters and the facet list may repeat.
        let repeatable = [FILTERS.as_slice(), &["facets"]].concat();
        for (key, value) in pairs(raw, &repeatable)? {
            if !params.apply_pair(&key, value)? {
                return Err(unknown(&key, &names::<SearchParams>()));
            }
        }
        Ok(params)
    }

    /// Sets one query-string parameter; `Ok(false)` when the name is not a search parameter.
    pub fn apply_pair(&mut self, key: &str, value: String) -> Result<bool> {
        match key {
            "q" => self.q = Some(Text(value)),
            "person" => self.person.0.push(value),
            "org" => self.org.0.push(value),
            "place" => self.place.0.push(value),
            "topic" => self.topic.0.push(value),
            "source" => self.source.0.push(value),
            "lang" => self.lang.0.push(value),
            "from" => self.from = Some(DateText(value)),
            "to" => self.to = Some(DateText(value)),
            "sort" => self.sort = choice(&value)?,
            "offset" => self.offset = Some(Bounded::parse("offset", &value)?),
            "limit" => self.limit = Some(Bounded::parse("limit", &value)?),
            "facets" => self.facets.extend(&value)?,
            "facet_size" => self.facet_size = Some(Bounded::parse("facet_size", &value)?),
            "histogram" => self.histogram = choice(&value)?,
            "collapse" => self.collapse = choice(&value)?,
            "mode" => self.mode = choice(&value)?,
            "freshness" => self.freshness = Some(FreshnessText(value)),
            "cursor" => self.cursor = Some(value),
            "snippets" => self.snippets = Some(Bounded::parse("snippets", &value)?),
            "snippet_chars" => self.snippet_chars = Some(Bounded::parse("snippet_chars", &value)?),
            "match" => self.match_words = choice(&value)?,
            "total" => self.total = choice(&value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A date bound; empty means none.
fn bound(name: &str, text: Option<DateText>, upper: bool) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    match text {
        Some(DateText(text)) if !text.is_empty() => parse_bound(name, &text, upper).map(Some),
        _ => Ok(None),
    }
}

impl TryFrom<SearchParams> for SearchRequest {
    type Error = Error;

    fn try_from(params: SearchParams) -> Result<SearchRequest> {
        let mut facets = Vec::new();
        for FacetName(field) in params.facets.0 {
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
        .map(|(field, Values(values))| {
            (field, values.into_iter().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect::<Vec<_>>())
        })
        .filter(|(_, values)| !values.is_empty())
        .collect();
        let request = SearchRequest {
            q: params.q.map(|Text(text)| text).unwrap_or_default(),
            filters,
            from: bound("from", params.from, false)?,
            to: bound("to", params.to, true)?,
            sort: params.sort.unwrap_or_default(),
            offset: params.offset.map(Bounded::get).unwrap_or(0),
            limit: params.limit.map(Bounded::get).unwrap_or(10),
            facets,
            facet_size: params.facet_size.map(Bounded::get).unwrap_or(DEFAULT_FACET_SIZE),
            histogram: params.histogram,
            collapse: params.collapse == Some(Collapse::Cluster),
            mode: params.mode.unwrap_or_default(),
            freshness: params.freshness.map(|text| text.weight()).transpose()?.flatten(),
            cursor: params.cursor.filter(|cursor| !cursor.trim().is_empty()),
            snippets: params.snippets.map(Bounded::get).unwrap_or(DEFAULT_SNIPPETS),
            snippet_chars: params.snippet_chars.map(Bounded::get).unwrap_or(DEFAULT_SNIPPET_CHARS),
            match_any: params.match_words == Some(WordMatch::Any),
            total: params.total.unwrap_or_default(),
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
        assert_eq!(params.place.0, vec!["usa", "uk"]);
        assert_eq!(params.facets.0, vec![FacetName(KeywordField::Person), FacetName(KeywordField::Place)]);
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
        let error = SearchParams::from_query_string("facets=colour").unwrap_err();
        assert!(error.to_string().contains("colour"));
    }

    #[test]
    fn json_accepts_one_or_many() {
        let params: SearchParams = serde_json::from_str(r#"{"q":"oil","place":"usa","person":["a","b"]}"#).unwrap();
        assert_eq!(params.place.0, vec!["usa"]);
        assert_eq!(params.person.0, vec!["a", "b"]);
        assert!(serde_json::from_str::<SearchParams>(r#"{"qq":"oil"}"#).is_err());
    }

    #[test]
    fn empty_values_mean_the_defaults() {
        let params =
            SearchParams::from_query_string("sort=&mode=&histogram=&collapse=&match=&from=&to=&freshness=").unwrap();
        let request = SearchRequest::try_from(params).unwrap();
        assert_eq!((request.sort, request.mode, request.histogram), (Sort::Relevance, Mode::Analyst, None));
        assert_eq!((request.from, request.to, request.freshness), (None, None, None));
        assert!(!request.collapse && !request.match_any);
        assert!(SearchParams::from_query_string("limit=").is_err(), "a number is never empty");
    }
}

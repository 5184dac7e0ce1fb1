//! The engine's request and response models: validated values, no HTTP and no Tantivy types.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::values::{Bounded, Choice, Text};
use crate::choice_schema;
use crate::error::{Error, Result};
pub use crate::index::KeywordField;
use crate::model::midnight;

/// Hits a page shows.
pub type Limit = Bounded<1, 100>;
/// Hits skipped before a page (offset + limit ≤ [`MAX_WINDOW`]).
pub type Offset = Bounded<0, { MAX_WINDOW - 1 }>;
/// Values per facet.
pub type FacetSize = Bounded<1, 1_000>;
/// Body fragments per hit, and characters per fragment.
pub type Snippets = Bounded<1, 10>;
pub type SnippetChars = Bounded<40, 1_000>;
/// Query text.
pub type QueryText = Text<MAX_QUERY_CHARS>;

pub const MAX_LIMIT: usize = Limit::HIGHEST;
pub const MAX_WINDOW: usize = 10_000;
pub const MAX_QUERY_CHARS: usize = 1_000;
pub const DEFAULT_FACET_SIZE: usize = 10;
pub const MAX_FACET_SIZE: usize = FacetSize::HIGHEST;

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    Date,
}

impl Choice for Sort {
    const PARAMETER: &'static str = "sort";
    const WORDS: &'static [(&'static str, Sort)] = &[("relevance", Sort::Relevance), ("date", Sort::Date)];
}

/// How query text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// The strict analyst syntax; a syntax error is a 400 that says where.
    #[default]
    Analyst,
    /// As-you-type: anything typed is searched, typos are forgiven, the last word is a prefix.
    Instant,
}

impl Choice for Mode {
    const PARAMETER: &'static str = "mode";
    const WORDS: &'static [(&'static str, Mode)] = &[("analyst", Mode::Analyst), ("instant", Mode::Instant)];
}

/// Snippet fragments per hit: at most this many, each about this many characters.
pub const DEFAULT_SNIPPETS: usize = 3;
pub const MAX_SNIPPETS: usize = Snippets::HIGHEST;
pub const DEFAULT_SNIPPET_CHARS: usize = 160;
pub const MIN_SNIPPET_CHARS: usize = SnippetChars::LOWEST;
pub const MAX_SNIPPET_CHARS: usize = SnippetChars::HIGHEST;

/// Date histogram bucket width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
    Month,
    Year,
}

impl Choice for Interval {
    const PARAMETER: &'static str = "histogram";
    const WORDS: &'static [(&'static str, Interval)] =
        &[("day", Interval::Day), ("week", Interval::Week), ("month", Interval::Month), ("year", Interval::Year)];
}

/// Every article, or one hit per story (near-duplicate cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collapse {
    #[default]
    None,
    Cluster,
}

impl Choice for Collapse {
    const PARAMETER: &'static str = "collapse";
    const WORDS: &'static [(&'static str, Collapse)] = &[("cluster", Collapse::Cluster), ("none", Collapse::None)];
}

/// Analyst mode: every word must match, or any (ORed, more matching words rank higher).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WordMatch {
    #[default]
    All,
    Any,
}

impl Choice for WordMatch {
    const PARAMETER: &'static str = "match";
    const WORDS: &'static [(&'static str, WordMatch)] = &[("all", WordMatch::All), ("any", WordMatch::Any)];
}

/// A facetable field, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FacetName(pub KeywordField);

impl Choice for FacetName {
    const PARAMETER: &'static str = "facets";
    const WORDS: &'static [(&'static str, FacetName)] = &[
        ("person", FacetName(KeywordField::Person)),
        ("org", FacetName(KeywordField::Org)),
        ("place", FacetName(KeywordField::Place)),
        ("topic", FacetName(KeywordField::Topic)),
        ("source", FacetName(KeywordField::Source)),
        ("lang", FacetName(KeywordField::Lang)),
    ];
}

/// How exactly `total` is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TotalCount {
    /// Exact up to the configured number of matches (`exact_total_up_to`), then at least that
    /// many: the search may stop once nothing left can enter the page.
    #[default]
    Fast,
    /// Every match counted.
    Exact,
}

impl Choice for TotalCount {
    const PARAMETER: &'static str = "total";
    const WORDS: &'static [(&'static str, TotalCount)] = &[("fast", TotalCount::Fast), ("exact", TotalCount::Exact)];
}

/// Whether `total` is every match (`eq`) or a lower bound (`gte`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TotalRelation {
    Eq,
    Gte,
}

choice_schema!(Sort, Mode, Interval, Collapse, WordMatch, FacetName, TotalCount);

/// The facetable fields a request may ask for.
pub const FACETABLE: [KeywordField; 6] = [
    KeywordField::Person,
    KeywordField::Org,
    KeywordField::Place,
    KeywordField::Topic,
    KeywordField::Source,
    KeywordField::Lang,
];

/// A validated search request.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// Query text in the analyst syntax; empty lists the filtered articles, newest first.
    pub q: String,
    /// Keyword filters: any value of one field, all fields.
    pub filters: Vec<(KeywordField, Vec<String>)>,
    pub from: Option<DateTime<Utc>>,
    /// Inclusive upper bound.
    pub to: Option<DateTime<Utc>>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    pub facets: Vec<KeywordField>,
    pub facet_size: usize,
    pub histogram: Option<Interval>,
    /// One hit per near-duplicate cluster (story).
    pub collapse: bool,
    pub mode: Mode,
    /// The weight of recency in relevance, 0–1; `None` uses the configured weight.
    pub freshness: Option<f64>,
    /// Continue after the page that returned this cursor.
    pub cursor: Option<String>,
    /// Body fragments per hit (1–10) and their length in characters (40–1,000).
    pub snippets: usize,
    pub snippet_chars: usize,
    /// Analyst mode: words ORed (`match=any`, more matching words rank higher) instead of ANDed.
    pub match_any: bool,
    /// Whether every match must be counted.
    pub total: TotalCount,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            q: String::new(),
            filters: Vec::new(),
            from: None,
            to: None,
            sort: Sort::Relevance,
            offset: 0,
            limit: 10,
            facets: Vec::new(),
            facet_size: DEFAULT_FACET_SIZE,
            histogram: None,
            collapse: false,
            mode: Mode::Analyst,
            freshness: None,
            cursor: None,
            snippets: DEFAULT_SNIPPETS,
            snippet_chars: DEFAULT_SNIPPET_CHARS,
            match_any: false,
            total: TotalCount::Fast,
        }
    }
}

impl SearchRequest {
    /// Checks the bounds every caller must respect.
    pub fn validate(&self) -> Result<()> {
        if self.q.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::BadParameter(format!("q is longer than {MAX_QUERY_CHARS} characters")));
        }
        Limit::check("limit", self.limit)?;
        Offset::check("offset", self.offset)?;
        if self.cursor.is_none() && self.offset + self.limit > MAX_WINDOW {
            return Err(Error::BadParameter(format!(
                "offset + limit must be at most {MAX_WINDOW} (got {}); narrow the query or use filters",
                self.offset + self.limit
            )));
        }
        FacetSize::check("facet_size", self.facet_size)?;
        Snippets::check("snippets", self.snippets)?;
        SnippetChars::check("snippet_chars", self.snippet_chars)?;
        if let Some(weight) = self.freshness {
            if !(0.0..=1.0).contains(&weight) {
                return Err(Error::BadParameter(format!("freshness must be between 0 and 1 (or off), not {weight}")));
            }
        }
        if self.cursor.is_some() && self.offset > 0 {
            return Err(Error::BadParameter("use either cursor or offset, not both".into()));
        }
        if self.cursor.is_some() && self.collapse {
            return Err(Error::BadParameter(
                "cursor paging cannot be combined with collapse=cluster (a story could come back on a later page); \
                 page collapsed results with offset"
                    .into(),
            ));
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(Error::BadParameter(format!("from ({from}) is after to ({to})")));
            }
        }
        Ok(())
    }
}

/// Parses a `from`/`to` bound: a date `YYYY-MM-DD` or an RFC 3339 time. A date as upper bound
/// means the end of that day, so both bounds are inclusive.
pub fn parse_bound(name: &str, text: &str, upper: bool) -> Result<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let start = midnight(date);
        return Ok(if upper { start + chrono::Duration::days(1) - chrono::Duration::seconds(1) } else { start });
    }
    DateTime::parse_from_rfc3339(text).map(|date| date.with_timezone(&Utc)).map_err(|_| {
        Error::BadParameter(format!(
            "{name} must be a date YYYY-MM-DD or an RFC 3339 time such as 1987-03-01T00:00:00Z, not {text:?}"
        ))
    })
}

/// An entity on a hit.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct HitEntity {
    /// `person`, `org` or `place`.
    pub kind: String,
    pub name: String,
}

/// Highlighted text of a hit: HTML-escaped, matches wrapped in `<mark>`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Highlights {
    pub title: String,
    /// Fragments of the body around its best matches, in text order; `…` marks a cut.
    pub body: Vec<String>,
}

/// Where the query matched, for clients that render text themselves: character offsets (Unicode
/// scalar values, not bytes) into the hit's `title` and into the article's full body.
#[derive(Debug, Clone, Serialize, ToSchema, Default, PartialEq, Eq)]
pub struct Matches {
    pub title: Vec<MatchSpan>,
    pub body: Vec<MatchSpan>,
}

/// One highlighted span: `length` characters from `start`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub struct MatchSpan {
    pub start: usize,
    pub length: usize,
}

/// One search hit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hit {
    /// tidings' own stable article id.
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub source: String,
    pub lang: String,
    /// RFC 3339 UTC, null when the date is unknown.
    pub published_at: Option<String>,
    /// Relevance score (BM25); null when sorted by date.
    pub score: Option<f32>,
    pub entities: Vec<HitEntity>,
    pub highlights: Highlights,
    pub matches: Matches,
    /// The near-duplicate cluster (story) of the article: the id of its first article.
    pub cluster_id: String,
    /// With `collapse=cluster`: the other articles of this story that match the search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Duplicates>,
}

/// The other matching articles of a collapsed hit's story.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Duplicates {
    /// How many other articles of the story match.
    pub count: u64,
    /// Their ids (at most 20), best first.
    pub ids: Vec<String>,
}

/// A facet value with its article count.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// A date histogram bucket: its first day and the number of matching articles in it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct HistogramBucket {
    /// First day of the bucket, `YYYY-MM-DD` (weeks start on Monday).
    pub start: String,
    pub count: u64,
}

/// A search response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Number of matching articles: all of them when `total_relation` is `eq`, at least this many
    /// when it is `gte`.
    pub total: u64,
    /// `eq`: `total` counts every match. `gte`: the search stopped counting once no further match
    /// could enter the page (past `exact_total_up_to` matches); ask `total=exact`, or for facets,
    /// for an exact count.
    pub total_relation: TotalRelation,
    /// With `collapse=cluster`: number of matching stories (near-duplicate clusters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_stories: Option<u64>,
    pub took_ms: f64,
    pub hits: Vec<Hit>,
    /// Per requested facet field, the most frequent values among all matching articles.
    #[schema(value_type = Object)]
    pub facets: std::collections::BTreeMap<String, Vec<FacetCount>>,
    /// Present when a histogram was requested; non-empty buckets in date order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Vec<HistogramBucket>>,
    /// Pass as `cursor` (with the same query and filters) for the next page; absent on the last
    /// page. Pages read the same index snapshot, so articles arriving meanwhile neither repeat nor
    /// shift hits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_accept_dates_and_times() {
        assert_eq!(parse_bound("from", "1987-03-01", false).unwrap().to_rfc3339(), "1987-03-01T00:00:00+00:00");
        assert_eq!(parse_bound("to", "1987-03-01", true).unwrap().to_rfc3339(), "1987-03-01T23:59:59+00:00");
        assert_eq!(
            parse_bound("to", "1987-03-01T12:00:00+01:00", true).unwrap().to_rfc3339(),
            "1987-03-01T11:00:00+00:00"
        );
        assert!(parse_bound("from", "March 1st", false).is_err());
    }

    #[test]
    fn limits_are_enforced() {
        let ok = SearchRequest::default();
        assert!(ok.validate().is_ok());
        assert!(SearchRequest { limit: 101, ..ok.clone() }.validate().is_err());
        assert!(SearchRequest { offset: 9_995, ..ok.clone() }.validate().is_err());
        assert!(SearchRequest { q: "x".repeat(1_001), ..ok }.validate().is_err());
    }
}

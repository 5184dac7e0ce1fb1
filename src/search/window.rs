//! The window of a search: one pass over the matches collecting the ranked positions shown, the
//! total, and — over every match — the facet counts, the date histogram and the number of stories;
//! and the page that follows it (offset, or a cursor on a pinned snapshot).

use tantivy::collector::Count;
use tantivy::query::Query;
use tantivy::Searcher;

use super::cursor::{Cursor, Snapshots};
use super::facets::{FacetCollector, FacetFruit, StoryCollector};
use super::query::query_time_error;
use super::ranking::{Position, RankPlan, Ranker};
use super::request::{Duplicates, SearchRequest};
use crate::error::Result;
use crate::index::SearchIndex;

/// What one pass counts besides the ranked window.
#[derive(Default)]
pub(crate) struct Tallies {
    pub facets: Option<FacetCollector>,
    pub stories: Option<StoryCollector>,
}

impl Tallies {
    /// The facets, histogram and story count a request asks for.
    pub fn for_request(request: &SearchRequest) -> Tallies {
        let facets = (!request.facets.is_empty() || request.histogram.is_some())
            .then(|| FacetCollector { fields: request.facets.clone(), histogram: request.histogram.is_some() });
        Tallies { facets, stories: request.collapse.then_some(StoryCollector) }
    }
}

/// The ranked window of a query with its total and the counts asked for, over every match.
pub(crate) struct Ranked {
    pub positions: Vec<Position>,
    pub total: usize,
    pub facets: Option<FacetFruit>,
    pub stories: Option<usize>,
}

/// Ranks the matches of `query` and keeps `ranker.limit` of them after skipping `offset`.
pub(crate) fn ranked(
    index: &SearchIndex,
    searcher: &Searcher,
    query: &dyn Query,
    mut ranker: Ranker,
    offset: usize,
    tallies: Tallies,
) -> Result<Ranked> {
    ranker.limit += offset;
    let (top, total, facets, stories) =
        index.search(searcher, query, &(ranker, Count, tallies.facets, tallies.stories)).map_err(query_time_error)?;
    Ok(Ranked { positions: top.into_iter().skip(offset).collect(), total, facets, stories })
}

/// The hits a search shows, what was counted, and where the next page starts.
pub(crate) struct Window {
    pub ranked: Ranked,
    /// With collapsing: per hit, the other matching articles of its story.
    pub duplicates: Vec<Option<Duplicates>>,
    /// The cursor of the next page, when more hits follow.
    pub next: Option<String>,
}

/// A page of a search that is not collapsed: `limit` hits after the offset or the cursor's
/// position, and a cursor when more follow (one more hit is ranked to tell).
pub(crate) fn page(
    index: &SearchIndex,
    searcher: &Searcher,
    query: &dyn Query,
    plan: RankPlan,
    request: &SearchRequest,
    cursor: Option<Cursor>,
    snapshots: &Snapshots,
) -> Result<Window> {
    let after = cursor.map(|cursor| cursor.position);
    let mut ranked = ranked(
        index,
        searcher,
        query,
        plan.ranker(request.limit + 1, after),
        request.offset,
        Tallies::for_request(request),
    )?;
    let mut next = None;
    if ranked.positions.len() > request.limit {
        ranked.positions.truncate(request.limit);
        if let Some(last) = ranked.positions.last() {
            next = Some(
                Cursor {
                    generation: snapshots.keep(searcher),
                    position: *last,
                    reference_secs: plan.freshness.map(|freshness| freshness.reference_secs).unwrap_or(0),
                    fingerprint: super::cursor::fingerprint(request),
                }
                .encode(),
            );
        }
    }
    Ok(Window { ranked, duplicates: Vec::new(), next })
}

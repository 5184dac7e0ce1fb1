//! The window of a search: one pass over the matches collecting the ranked positions shown, the
//! total, and — over every match — the facet counts, the date histogram and the number of stories;
//! and the page that follows it (offset, or a cursor on a pinned snapshot).

use std::sync::Arc;

use tantivy::collector::Count;
use tantivy::query::{AllQuery, Query};
use tantivy::Searcher;

use super::facets::{FacetCollector, FacetFruit, StoryCollector};
use super::ordinals::Ordinals;
use super::query::query_time_error;
use super::ranking::early::EarlyStop;
use super::ranking::{Position, RankPlan, Ranker};
use super::request::{Duplicates, SearchRequest, TotalCount};
use crate::error::Result;
use crate::index::SearchIndex;

/// What one pass counts besides the ranked window.
#[derive(Default)]
pub(crate) struct Tallies {
    pub facets: Option<FacetCollector>,
    pub stories: Option<StoryCollector>,
    /// `Some(n)`: the total need only be exact up to `n` matches, and the pass may stop early once
    /// nothing left can enter the window. `None`: every match is counted.
    pub exact_up_to: Option<usize>,
}

impl Tallies {
    /// The facets, histogram and story count a request asks for, and how exact its total must be:
    /// exact when asked for, or when facets, a histogram or stories are counted anyway.
    pub fn for_request(request: &SearchRequest, exact_total_up_to: usize, ordinals: &Arc<Ordinals>) -> Tallies {
        let facets = (!request.facets.is_empty() || request.histogram.is_some()).then(|| FacetCollector {
            fields: request.facets.clone(),
            histogram: request.histogram.is_some(),
            ordinals: Arc::clone(ordinals),
            whole: false,
        });
        let exact = request.total == TotalCount::Exact || facets.is_some() || request.collapse;
        Tallies {
            facets,
            stories: request.collapse.then_some(StoryCollector),
            exact_up_to: (!exact).then_some(exact_total_up_to),
        }
    }

    /// Only the ranked window, with no total needed.
    pub fn window_only() -> Tallies {
        Tallies { exact_up_to: Some(0), ..Tallies::default() }
    }
}

/// The ranked window of a query with its total and the counts asked for, over every match.
pub(crate) struct Ranked {
    pub positions: Vec<Position>,
    pub total: usize,
    /// False when the pass stopped early: `total` is then a lower bound.
    pub total_exact: bool,
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
    if let (Some(count_at_least), None, None) = (tallies.exact_up_to, &tallies.facets, &tallies.stories) {
        let collector = EarlyStop::new(ranker, query, searcher, index.sorted_newest_first(), count_at_least);
        let (top, counted) = index.search(searcher, query, &collector).map_err(query_time_error)?;
        return Ok(Ranked {
            positions: top.into_iter().skip(offset).collect(),
            total: counted.matches,
            total_exact: counted.exact,
            facets: None,
            stories: None,
        });
    }
    // Over every article, each segment's facet counts are known once worked out.
    let facets = tallies.facets.map(|facets| FacetCollector { whole: query.is::<AllQuery>(), ..facets });
    let (top, total, facets, stories) =
        index.search(searcher, query, &(ranker, Count, facets, tallies.stories)).map_err(query_time_error)?;
    Ok(Ranked { positions: top.into_iter().skip(offset).collect(), total, total_exact: true, facets, stories })
}

/// The hits a search shows, what was counted, and where the next page starts.
pub(crate) struct Window {
    pub ranked: Ranked,
    /// With collapsing: per hit, the other matching articles of its story.
    pub duplicates: Vec<Option<Duplicates>>,
    /// The last hit shown, when more hits follow (the next page starts after it).
    pub more_after: Option<Position>,
}

/// A page of a search that is not collapsed: `limit` hits after the offset or `after`, and where
/// the next page starts when more follow (one more hit is ranked to tell).
pub(crate) fn page(
    index: &SearchIndex,
    searcher: &Searcher,
    query: &dyn Query,
    plan: RankPlan,
    request: &SearchRequest,
    after: Option<Position>,
    tallies: Tallies,
) -> Result<Window> {
    let mut ranked = ranked(index, searcher, query, plan.ranker(request.limit + 1, after), request.offset, tallies)?;
    let mut more_after = None;
    if ranked.positions.len() > request.limit {
        ranked.positions.truncate(request.limit);
        more_after = ranked.positions.last().copied();
    }
    Ok(Window { ranked, duplicates: Vec::new(), more_after })
}

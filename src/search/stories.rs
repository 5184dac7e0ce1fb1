//! Stories: near-duplicate copies of one story share a cluster, kept as a fast column. Collapsing
//! shows one hit per story (its best-ranked copy) with the ids of the story's other matches.

use std::collections::HashSet;

use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, TantivyDocument, Value};
use tantivy::{DocAddress, Searcher, Term};

use super::ranking::ceiling::Constant;
use super::ranking::{Position, RankPlan};
use super::request::{Duplicates, SearchRequest};
use super::window::{ranked, Tallies, Window};
use crate::error::Result;
use crate::index::schema::CLUSTER;
use crate::index::SearchIndex;

/// Ids of other articles listed with a collapsed hit.
const MAX_DUPLICATE_IDS: usize = 20;

/// The story (cluster number) of a document, from its fast column.
pub(crate) fn cluster_of(searcher: &Searcher, address: DocAddress) -> Result<u64> {
    let column = searcher.segment_reader(address.segment_ord).fast_fields().u64(CLUSTER)?;
    Ok(column.first(address.doc_id).unwrap_or(0))
}

/// The first-ranked hit of each story, in rank order, until `wanted` stories.
pub(crate) fn first_of_each_story(searcher: &Searcher, ranked: &[Position], wanted: usize) -> Result<Vec<Position>> {
    let mut seen = HashSet::new();
    let mut chosen = Vec::new();
    for &position in ranked {
        if seen.insert(cluster_of(searcher, position.address)?) {
            chosen.push(position);
            if chosen.len() == wanted {
                break;
            }
        }
    }
    Ok(chosen)
}

/// A page of a collapsed search: one hit per story, each with its story's other matches. More
/// candidates are ranked than hits shown (several may share a story), four times as many each
/// round until enough stories are found or the matches run out.
pub(crate) fn collapsed(
    index: &SearchIndex,
    searcher: &Searcher,
    query: &dyn Query,
    plan: RankPlan,
    request: &SearchRequest,
    tallies: Tallies,
) -> Result<Window> {
    let shown = request.offset + request.limit;
    let mut wanted = (shown * 4).max(50);
    // Collapsing counts stories over every match, so the total is exact whatever is asked.
    let mut candidates = ranked(index, searcher, query, plan.ranker(wanted, None), 0, tallies)?;
    loop {
        let chosen = first_of_each_story(searcher, &candidates.positions, shown)?;
        if chosen.len() >= shown || candidates.positions.len() < wanted || wanted >= candidates.total {
            candidates.positions = chosen.into_iter().skip(request.offset).collect();
            break;
        }
        wanted = (wanted * 4).min(candidates.total.max(1));
        candidates.positions =
            ranked(index, searcher, query, plan.ranker(wanted, None), 0, Tallies::window_only())?.positions;
    }
    let duplicates = candidates
        .positions
        .iter()
        .map(|position| duplicates_of(index, searcher, query, plan, position.address).map(Some))
        .collect::<Result<Vec<_>>>()?;
    Ok(Window { ranked: candidates, duplicates, more_after: None })
}

/// The other matching articles of a hit's story, best first.
fn duplicates_of(
    index: &SearchIndex,
    searcher: &Searcher,
    query: &dyn Query,
    plan: RankPlan,
    address: DocAddress,
) -> Result<Duplicates> {
    let fields = &index.fields;
    let cluster = cluster_of(searcher, address)?;
    let same_story = TermQuery::new(Term::from_field_u64(fields.cluster, cluster), IndexRecordOption::Basic);
    let members = BooleanQuery::new(vec![
        (Occur::Must, query.box_clone()),
        (Occur::Must, Box::new(Constant::new(Box::new(same_story), 0.0))),
    ]);
    let story = ranked(index, searcher, &members, plan.ranker(MAX_DUPLICATE_IDS + 1, None), 0, Tallies::default())?;
    let mut ids = Vec::new();
    for position in story.positions.into_iter().filter(|position| position.address != address).take(MAX_DUPLICATE_IDS) {
        let document: TantivyDocument = searcher.doc(position.address)?;
        if let Some(id) = document.get_first(fields.id).and_then(|value| value.as_str()) {
            ids.push(id.to_string());
        }
    }
    Ok(Duplicates { count: story.total.saturating_sub(1) as u64, ids })
}

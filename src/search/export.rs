//! Every match of a search, in ranking order, walked in batches from one index snapshot: memory
//! stays the size of a batch whatever the number of matches.

use tantivy::collector::Count;
use tantivy::query::Query;
use tantivy::schema::{TantivyDocument, Value};
use tantivy::Searcher;

use super::query::query_time_error;
use super::ranking::{Position, RankPlan};
use super::request::SearchRequest;
use super::Engine;
use crate::error::Result;
use crate::model::ArticleId;

/// Matches ranked per pass.
const BATCH: usize = 500;

/// A search ready to be walked.
pub struct ExportPlan {
    searcher: Searcher,
    query: Box<dyn Query>,
    plan: RankPlan,
    /// Matching articles in the snapshot.
    pub total: usize,
}

impl Engine {
    /// Reads the request (a bad query fails here, before anything is sent) and counts its matches.
    pub fn plan_export(&self, request: &SearchRequest) -> Result<ExportPlan> {
        let searcher = self.index.reader.searcher();
        let user_query = self.queries.read(request)?;
        let plan = RankPlan::for_request(request, user_query.query.is_some(), &self.ranking(), None, &searcher);
        let query = self.queries.restrict(request, user_query.query);
        let total = searcher.search(&query, &Count).map_err(query_time_error)?;
        Ok(ExportPlan { searcher, query, plan, total })
    }

    /// Calls `each` with the id of every match, best first, until it returns false or `max_rows`
    /// ids were given.
    pub fn export_ids(
        &self,
        plan: &ExportPlan,
        max_rows: usize,
        mut each: impl FnMut(ArticleId) -> bool,
    ) -> Result<()> {
        let id_field = self.index.fields.id;
        let mut after: Option<Position> = None;
        let mut given = 0;
        loop {
            let ranker = plan.plan.ranker(BATCH.min(max_rows - given), after);
            if ranker.limit == 0 {
                return Ok(());
            }
            let batch = plan.searcher.search(&plan.query, &ranker).map_err(query_time_error)?;
            let Some(last) = batch.last().copied() else { return Ok(()) };
            for position in batch {
                let document: TantivyDocument = plan.searcher.doc(position.address)?;
                let Some(id) = document.get_first(id_field).and_then(|value| value.as_str()) else { continue };
                given += 1;
                if !each(ArticleId::from_stored(id.to_string())) || given == max_rows {
                    return Ok(());
                }
            }
            after = Some(last);
        }
    }
}

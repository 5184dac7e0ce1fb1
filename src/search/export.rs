//! Every match of a search, in ranking order, walked in batches from one index snapshot: memory
//! stays the size of a batch whatever the number of matches.

use tantivy::collector::Count;
use tantivy::query::Query;
use tantivy::schema::{TantivyDocument, Value};
use tantivy::Searcher;

use super::ranking::{Order, Position, Ranker};
use super::request::{SearchRequest, Sort};
use super::{query_time_error, Engine};
use crate::error::Result;

/// Matches ranked per pass.
const BATCH: usize = 500;

/// A search ready to be walked.
pub struct ExportPlan {
    searcher: Searcher,
    query: Box<dyn Query>,
    ranker: Ranker,
    /// Matching articles in the snapshot.
    pub total: usize,
}

impl Engine {
    /// Reads the request (a bad query fails here, before anything is sent) and counts its matches.
    pub fn plan_export(&self, request: &SearchRequest) -> Result<ExportPlan> {
        let searcher = self.index().reader.searcher();
        let (user_query, _) = self.user_query(request)?;
        let order = if request.sort == Sort::Date || user_query.is_none() { Order::Date } else { Order::Relevance };
        let freshness = self.freshness(request, order, None, &searcher);
        let query = self.build_query(request, user_query);
        let total = searcher.search(&query, &Count).map_err(query_time_error)?;
        let ranker = Ranker {
            order,
            limit: BATCH,
            after: None,
            freshness,
            tiered: request.mode == super::request::Mode::Instant,
        };
        Ok(ExportPlan { searcher, query, ranker, total })
    }

    /// Calls `each` with the id of every match, best first, until it returns false or `max_rows`
    /// ids were given.
    pub fn export_ids(&self, plan: &ExportPlan, max_rows: usize, mut each: impl FnMut(String) -> bool) -> Result<()> {
        let id_field = self.index().fields.id;
        let mut after: Option<Position> = None;
        let mut given = 0;
        loop {
            let ranker = Ranker { after, limit: BATCH.min(max_rows - given), ..plan.ranker.clone() };
            if ranker.limit == 0 {
                return Ok(());
            }
            let batch = plan.searcher.search(&plan.query, &ranker).map_err(query_time_error)?;
            let Some(last) = batch.last().copied() else { return Ok(()) };
            for position in batch {
                let document: TantivyDocument = plan.searcher.doc(position.address)?;
                let Some(id) = document.get_first(id_field).and_then(|value| value.as_str()) else { continue };
                given += 1;
                if !each(id.to_string()) || given == max_rows {
                    return Ok(());
                }
            }
            after = Some(last);
        }
    }
}

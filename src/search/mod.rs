//! Search: the one door of the search layer. A request model in, a response model out; query
//! building (`query/`), ranking (`ranking/`: BM25F over title and body, recency, as-you-type
//! tiers), the window of hits and what is counted over every match (`window`, `stories`, `facets`),
//! hits and snippets, suggestions, entity views, related stories and exports. Nothing outside
//! this module sees a Tantivy type.

mod cursor;
pub mod entities;
pub mod export;
mod facets;
mod hits;
mod lexicon;
mod ordinals;
pub(crate) mod query;
pub(crate) mod ranking;
pub mod related;
pub mod request;
pub mod scope;
mod snippets;
mod stories;
pub mod suggest;
pub mod tuning;
pub mod values;
mod views;
mod window;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use tantivy::Searcher;

use crate::config::RankingSettings;
use crate::entities::Aliases;
use crate::error::{Error, Result};
use crate::index::KeywordField;
use crate::index::SearchIndex;
use crate::model::ArticleId;
use cursor::{Cursor, Snapshots};
use facets::FacetFruit;
use query::{Queries, UserQuery};
use ranking::Position;
use ranking::RankPlan;
use request::{FacetCount, HistogramBucket, Hit, SearchRequest, SearchResponse, TotalRelation};
use snippets::{Highlighter, SnippetShape};
use suggest::{SuggestRequest, Suggester, Suggestion, SuggestionKind};
use tuning::Tuning;
use window::{Tallies, Window};

pub(crate) use views::RebuildThrottle;

/// Candidates a scoped suggestion request looks through at least (the archive's best for what
/// was typed, of which the scope may see few).
const SCOPED_SUGGESTION_CANDIDATES: usize = 50;

/// The search engine over one index.
pub struct Engine {
    index: Arc<SearchIndex>,
    queries: Queries,
    /// Index snapshots kept open for cursors.
    snapshots: Snapshots,
    suggester: Suggester,
    /// Facet values numbered across segments.
    ordinals: Arc<ordinals::Ordinals>,
    /// Totals are exact up to this many matches (see [`Settings::exact_total_up_to`]).
    ///
    /// [`Settings::exact_total_up_to`]: crate::config::Settings::exact_total_up_to
    exact_total_up_to: usize,
}

/// What the index holds, as searches see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStatus {
    /// Documents (articles) searchable now.
    pub documents: u64,
    /// The index segments holding them (merged in the background as they accumulate).
    pub segments: usize,
    /// The store sequence the searchable snapshot holds.
    pub visible_seq: i64,
    /// Searches that ran their segments on every core since the start.
    pub parallel_searches: u64,
}

impl Engine {
    /// An engine over `index`, ranking and reading queries as `tuning` says.
    pub fn new(index: Arc<SearchIndex>, tuning: &Tuning) -> Engine {
        let suggester = Suggester::new(&index, crate::config::DEFAULT_SUGGEST_HEADLINES);
        let queries = Queries::new(Arc::clone(&index), tuning);
        Engine {
            index,
            queries,
            snapshots: Snapshots::default(),
            suggester,
            ordinals: Arc::default(),
            exact_total_up_to: crate::config::DEFAULT_EXACT_TOTAL_UP_TO,
        }
    }

    /// Totals are exact up to `matches`, then may be a lower bound.
    pub fn counting_exactly_up_to(mut self, matches: usize) -> Engine {
        self.exact_total_up_to = matches;
        self
    }

    /// Suggestions offer the headlines of the `newest` newest articles (see [`Settings::suggest_headlines`]).
    ///
    /// [`Settings::suggest_headlines`]: crate::config::Settings::suggest_headlines
    pub fn suggesting_headlines_of(mut self, newest: usize) -> Engine {
        self.suggester = Suggester::new(&self.index, newest);
        self
    }

    pub fn ranking(&self) -> RankingSettings {
        self.queries.tuned().ranking
    }

    /// The alias table filters and `person:` terms go through now.
    pub fn aliases(&self) -> Arc<Aliases> {
        self.queries.aliases()
    }

    /// Searches from now on rank and read queries as `tuning` says (those under way finish as
    /// they began); nothing in the index changes.
    pub fn retune(&self, tuning: &Tuning) {
        self.queries.retune(tuning);
    }

    /// The documents searchable now and the store sequence they hold.
    pub fn status(&self) -> IndexStatus {
        let (documents, segments) = self.index.size();
        IndexStatus {
            documents,
            segments,
            visible_seq: self.index.visible_seq(),
            parallel_searches: self.index.parallel_searches(),
        }
    }

    /// Index files found damaged since the start (by the check a server runs once it serves).
    pub fn damaged_files(&self) -> Vec<String> {
        self.index.damaged_files()
    }

    /// True once the in-memory views (suggestions, the word list for typos and prefixes) have
    /// been built: until then searches answer without typo and prefix expansions and
    /// suggestions are empty.
    pub fn views_built(&self) -> bool {
        self.suggester.is_built() && self.queries.lexicon_built()
    }

    /// Brings the in-memory views of the index (suggestions, the word list for typos) up to the
    /// index's current state, off the request path.
    pub fn refresh_views(&self) -> Result<()> {
        let started = Instant::now();
        let suggestions = self.suggester.refresh(&self.index)?;
        let built_suggestions = started.elapsed();
        let words = self.queries.refresh_lexicon()?;
        if suggestions || words {
            tracing::debug!(
                suggestions_ms = built_suggestions.as_millis() as u64,
                words_ms = (started.elapsed() - built_suggestions).as_millis() as u64,
                "views rebuilt"
            );
        }
        Ok(())
    }

    /// Search-box suggestions: entity names and headlines whose words start with what was typed.
    pub fn suggest(&self, request: &SuggestRequest) -> Result<Vec<Suggestion>> {
        request.validate()?;
        if request.scope.is_everything() {
            return Ok(self.suggester.suggest(&request.q, request.limit, request.kinds.as_deref()));
        }
        // Under a scope, the archive's best candidates are kept where the scope sees them: a
        // headline when its article is visible, a name with its article count recounted.
        let wanted = (request.limit * 4).max(SCOPED_SUGGESTION_CANDIDATES);
        let candidates = self.suggester.suggest(&request.q, wanted, request.kinds.as_deref());
        let ids: Vec<ArticleId> =
            candidates.iter().filter_map(|found| found.id.as_deref()).filter_map(ArticleId::parse).collect();
        let visible = self.visible(&ids, &request.scope)?;
        let searcher = self.index.reader.searcher();
        let mut kept = Vec::with_capacity(request.limit);
        for mut suggestion in candidates {
            let field = match suggestion.kind {
                SuggestionKind::Person => KeywordField::Person,
                SuggestionKind::Org => KeywordField::Org,
                SuggestionKind::Place => KeywordField::Place,
                SuggestionKind::Title => {
                    let id = suggestion.id.as_deref().and_then(ArticleId::parse);
                    if id.is_some_and(|id| visible.contains(&id)) {
                        kept.push(suggestion);
                    }
                    if kept.len() == request.limit {
                        break;
                    }
                    continue;
                }
            };
            let mut counted =
                SearchRequest { filters: vec![(field, vec![suggestion.text.clone()])], ..Default::default() };
            request.scope.restrict(&mut counted);
            let count = searcher.search(&self.queries.restrict(&counted, None), &tantivy::collector::Count)?;
            if count > 0 {
                suggestion.count = count as u64;
                kept.push(suggestion);
                if kept.len() == request.limit {
                    break;
                }
            }
        }
        Ok(kept)
    }

    /// Runs a search: read the query, rank a window of it (a page, or one hit per story) while
    /// counting over every match, then show the window's hits.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        let started = Instant::now();
        request.validate()?;
        let cursor = self.cursor_of(request)?;
        let searcher = match &cursor {
            Some(cursor) => self.snapshots.get(cursor.generation)?,
            None => self.index.reader.searcher(),
        };
        let user_query = self.queries.read(request)?;
        let query = self.queries.restrict(request, user_query.cloned());
        let reference = cursor.map(|cursor| cursor.reference_secs);
        let plan = RankPlan::for_request(request, user_query.query.is_some(), &self.ranking(), reference, &searcher);
        let tallies = Tallies::for_request(request, self.exact_total_up_to, &self.ordinals);
        let window = if request.collapse {
            stories::collapsed(&self.index, &searcher, query.as_ref(), plan, request, tallies)?
        } else {
            let after = cursor.map(|cursor| cursor.position);
            window::page(&self.index, &searcher, query.as_ref(), plan, request, after, tallies)?
        };
        let next = window.more_after.map(|last| self.next_cursor(&searcher, plan, request, last));
        let hits = self.hits(&searcher, &user_query, request, plan, &window)?;
        respond(request, window, hits, next, started)
    }

    /// The cursor of the page after `last`, on the same snapshot (kept open for it).
    fn next_cursor(&self, searcher: &Searcher, plan: RankPlan, request: &SearchRequest, last: Position) -> String {
        Cursor {
            generation: self.snapshots.keep(searcher),
            position: last,
            reference_secs: plan.freshness.map(|freshness| freshness.reference_secs).unwrap_or(0),
            fingerprint: cursor::fingerprint(request),
        }
        .encode()
    }

    /// The cursor a request continues from, checked to belong to the same query.
    fn cursor_of(&self, request: &SearchRequest) -> Result<Option<Cursor>> {
        let Some(cursor) = request.cursor.as_deref().map(Cursor::decode).transpose()? else { return Ok(None) };
        if cursor.fingerprint != cursor::fingerprint(request) {
            return Err(Error::BadParameter(
                "this cursor belongs to another query: keep q, mode, filters, dates, sort and freshness as they \
                 were on the first page"
                    .into(),
            ));
        }
        Ok(Some(cursor))
    }

    /// The window's hits, highlighted for the user's query.
    fn hits(
        &self,
        searcher: &Searcher,
        user_query: &UserQuery,
        request: &SearchRequest,
        plan: RankPlan,
        window: &Window,
    ) -> Result<Vec<Hit>> {
        let highlighter = Highlighter::new(searcher, &self.index, user_query.query.as_deref(), &user_query.loose);
        let shape = SnippetShape { fragments: request.snippets, chars: request.snippet_chars };
        window
            .ranked
            .positions
            .iter()
            .map(|position| {
                hits::hit(&self.index.fields, searcher, &highlighter, shape, plan.score(position), position.address)
            })
            .collect()
    }
}

/// The response: hits (collapsed ones with their story's other matches), totals, the facets and
/// histogram asked for, the next page's cursor.
fn respond(
    request: &SearchRequest,
    window: Window,
    mut hits: Vec<Hit>,
    cursor: Option<String>,
    started: Instant,
) -> Result<SearchResponse> {
    for (hit, others) in hits.iter_mut().zip(window.duplicates) {
        hit.duplicates = others;
    }
    let (facets, histogram) =
        window.ranked.facets.map(|fruit| tallied(request, fruit)).transpose()?.unwrap_or_default();
    Ok(SearchResponse {
        total: window.ranked.total as u64,
        total_relation: if window.ranked.total_exact { TotalRelation::Eq } else { TotalRelation::Gte },
        total_stories: window.ranked.stories.map(|count| count as u64),
        took_ms: (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        hits,
        facets,
        histogram,
        cursor,
    })
}

/// Per requested facet its top values, and the date histogram.
type Tallied = (BTreeMap<String, Vec<FacetCount>>, Option<Vec<HistogramBucket>>);

/// The requested facets' top values and the date histogram, from what one pass counted.
fn tallied(request: &SearchRequest, fruit: FacetFruit) -> Result<Tallied> {
    let facets = request
        .facets
        .iter()
        .zip(fruit.fields)
        .map(|(field, counts)| Ok((field.name().to_string(), counts.top(request.facet_size)?)))
        .collect::<Result<_>>()?;
    let histogram = request.histogram.map(|interval| facets::histogram(&fruit.days, interval));
    Ok((facets, histogram))
}

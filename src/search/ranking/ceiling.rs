//! The highest score a query can give any document of a segment: what lets a ranked search stop
//! once nothing left in a segment could enter its top (see [`super::early`]).
//!
//! The bound is read from the query's structure — sums for conjunctions, the best child for a
//! disjunction max, BM25's saturation `idf · (k1 + 1)` for a word — so it needs to know every kind
//! of query it meets. A query of any other kind (a range, a regex, the parser's boosts) has no
//! known bound, and its search visits every match as before.
//!
//! The bound is worked out once per search with the index-wide statistics the scorers use
//! ([`QueryCeiling`]), then per segment ([`SegmentCeiling`]) with where each word's documents end
//! there: a word bounds the score only up to the last document holding it, so once a scan passes
//! the last of a rare word's documents (the exact tier of a word typed with a typo, say), the bound
//! drops to what the rest can score.

use tantivy::query::{
    AllQuery, Bm25Weight, BooleanQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur, PhraseQuery, Query,
    TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, Searcher, SegmentReader, Term, TERMINATED};

use super::bm25f::CombinedTermQuery;
use super::in_step::{AnyOf, Combine};
use super::prune::AllOf;

/// What a query can score in a segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ceiling {
    /// Nothing in the segment matches.
    Nothing,
    /// No match scores above this.
    At(Score),
    /// Not known: every match must be visited.
    Unknown,
}

impl Ceiling {
    /// Both must match: their scores add.
    fn and(self, other: Ceiling) -> Ceiling {
        match (self, other) {
            (Ceiling::Nothing, _) | (_, Ceiling::Nothing) => Ceiling::Nothing,
            (Ceiling::Unknown, _) | (_, Ceiling::Unknown) => Ceiling::Unknown,
            (Ceiling::At(a), Ceiling::At(b)) => Ceiling::At(a + b),
        }
    }

    /// Either may match, and their scores add when both do.
    fn or_sum(self, other: Ceiling) -> Ceiling {
        match (self, other) {
            (Ceiling::Nothing, only) | (only, Ceiling::Nothing) => only,
            (Ceiling::Unknown, _) | (_, Ceiling::Unknown) => Ceiling::Unknown,
            (Ceiling::At(a), Ceiling::At(b)) => Ceiling::At(a + b),
        }
    }

    /// Either may match; the better score counts.
    fn or_max(self, other: Ceiling) -> Ceiling {
        match (self, other) {
            (Ceiling::Nothing, only) | (only, Ceiling::Nothing) => only,
            (Ceiling::Unknown, _) | (_, Ceiling::Unknown) => Ceiling::Unknown,
            (Ceiling::At(a), Ceiling::At(b)) => Ceiling::At(a.max(b)),
        }
    }
}

/// A query's ceiling, with the words whose documents it depends on.
#[derive(Debug, Clone)]
pub enum QueryCeiling {
    /// Matches score at most `score`; when `words` is not empty, only documents holding one of
    /// them (`all`: every one of them) match.
    Leaf { score: Score, words: Vec<Term>, all: bool },
    /// Not known: every match must be visited.
    Unknown,
    /// A Boolean query: the required clauses all match, the optional ones add when they do.
    Boolean { required: Vec<QueryCeiling>, optional: Vec<QueryCeiling> },
    /// The best child counts.
    Max(Vec<QueryCeiling>),
    /// The children that match add.
    Sum(Vec<QueryCeiling>),
}

/// Words in more than this share of a segment's documents are taken to run to its end, rather
/// than their last document looked up.
const COMMON_WORD_SHARE: u32 = 8;

impl QueryCeiling {
    /// The same bound in `segment`, with where its words' documents end there.
    pub fn in_segment(&self, segment: &SegmentReader) -> tantivy::Result<SegmentCeiling> {
        Ok(match self {
            QueryCeiling::Leaf { score, words, all } => {
                let mut last: Option<DocId> = if *all { Some(TERMINATED) } else { None };
                for word in words {
                    let word_last = last_document(segment, word)?;
                    last = match (*all, word_last) {
                        (true, None) => return Ok(SegmentCeiling::nothing()),
                        (true, Some(word_last)) => last.map(|last| last.min(word_last)),
                        (false, word_last) => last.max(word_last),
                    };
                }
                match (words.is_empty(), last) {
                    (true, _) => SegmentCeiling::Leaf { score: *score, last: TERMINATED },
                    (false, Some(last)) => SegmentCeiling::Leaf { score: *score, last },
                    (false, None) => SegmentCeiling::nothing(),
                }
            }
            QueryCeiling::Unknown => SegmentCeiling::Unknown,
            QueryCeiling::Boolean { required, optional } => SegmentCeiling::Boolean {
                required: required.iter().map(|child| child.in_segment(segment)).collect::<tantivy::Result<_>>()?,
                optional: optional.iter().map(|child| child.in_segment(segment)).collect::<tantivy::Result<_>>()?,
            },
            QueryCeiling::Max(children) => SegmentCeiling::Max(
                children.iter().map(|child| child.in_segment(segment)).collect::<tantivy::Result<_>>()?,
            ),
            QueryCeiling::Sum(children) => SegmentCeiling::Sum(
                children.iter().map(|child| child.in_segment(segment)).collect::<tantivy::Result<_>>()?,
            ),
        })
    }
}

/// The last document of `segment` holding `word` (`None`: none does). A common word is taken to
/// run to the end; a rarer one is looked up through its postings' skip list, decoding only the
/// last block (or, for the odd list whose last block is full, taken to run to the end too).
fn last_document(segment: &SegmentReader, word: &Term) -> tantivy::Result<Option<DocId>> {
    let inverted = segment.inverted_index(word.field())?;
    let Some(info) = inverted.get_term_info(word)? else { return Ok(None) };
    if info.doc_freq == 0 {
        return Ok(None);
    }
    let max_doc = segment.max_doc();
    if info.doc_freq > max_doc / COMMON_WORD_SHARE {
        return Ok(Some(max_doc));
    }
    let mut postings = inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
    postings.seek(max_doc);
    let last = postings.docs().iter().copied().filter(|doc| *doc != TERMINATED).max();
    Ok(Some(last.unwrap_or(max_doc)))
}

/// A query's ceiling in one segment, as it falls along the segment.
#[derive(Debug, Clone)]
pub enum SegmentCeiling {
    /// Matches score at most `score`, and none after document `last`.
    Leaf {
        score: Score,
        last: DocId,
    },
    /// Not known: every match must be visited.
    Unknown,
    Boolean {
        required: Vec<SegmentCeiling>,
        optional: Vec<SegmentCeiling>,
    },
    Max(Vec<SegmentCeiling>),
    Sum(Vec<SegmentCeiling>),
}

impl SegmentCeiling {
    /// A query that matches nothing in the segment.
    fn nothing() -> SegmentCeiling {
        SegmentCeiling::Max(Vec::new())
    }

    /// The bound for documents at or after `doc`.
    pub fn at(&self, doc: DocId) -> Ceiling {
        match self {
            SegmentCeiling::Leaf { score, last } => {
                if doc > *last {
                    Ceiling::Nothing
                } else {
                    Ceiling::At(*score)
                }
            }
            SegmentCeiling::Unknown => Ceiling::Unknown,
            SegmentCeiling::Max(children) => {
                children.iter().fold(Ceiling::Nothing, |bound, child| bound.or_max(child.at(doc)))
            }
            SegmentCeiling::Sum(children) => {
                children.iter().fold(Ceiling::Nothing, |bound, child| bound.or_sum(child.at(doc)))
            }
            SegmentCeiling::Boolean { required, optional } => {
                // Tantivy adds the clauses' scores in an order of its own (an intersection by
                // cost): each addition of a scoring clause may round differently, by one unit in
                // the last place.
                let mut additions = 0u32;
                let mut count = |bound: Ceiling| {
                    if matches!(bound, Ceiling::At(score) if score != 0.0) {
                        additions += 1;
                    }
                    bound
                };
                let optional =
                    optional.iter().fold(Ceiling::Nothing, |bound, child| bound.or_sum(count(child.at(doc))));
                let bound = if required.is_empty() {
                    optional
                } else {
                    let required =
                        required.iter().fold(Ceiling::At(0.0), |bound, child| bound.and(count(child.at(doc))));
                    match optional {
                        Ceiling::Nothing => required,
                        optional => required.and(optional),
                    }
                };
                match bound {
                    Ceiling::At(score) if additions > 1 => {
                        Ceiling::At(score + score.abs() * Score::EPSILON * additions as Score)
                    }
                    other => other,
                }
            }
        }
    }
}

/// The ceiling of `query`, with the index-wide statistics of `searcher` (those its scorers use).
pub fn ceiling(query: &dyn Query, searcher: &Searcher) -> tantivy::Result<QueryCeiling> {
    // A `&Box<dyn Query>` passed as a `&dyn Query` is a query of its own type: look inside.
    if let Some(boxed) = query.downcast_ref::<Box<dyn Query>>() {
        return ceiling(boxed.as_ref(), searcher);
    }
    if let Some(boolean) = query.downcast_ref::<BooleanQuery>() {
        if boolean.get_minimum_number_should_match() > 1 {
            return Ok(QueryCeiling::Unknown);
        }
        let mut required = Vec::new();
        let mut optional = Vec::new();
        for (occur, clause) in boolean.clauses() {
            match occur {
                Occur::Must => required.push(ceiling(clause.as_ref(), searcher)?),
                Occur::Should => optional.push(ceiling(clause.as_ref(), searcher)?),
                Occur::MustNot => {}
            }
        }
        return Ok(QueryCeiling::Boolean { required, optional });
    }
    if let Some(all) = query.downcast_ref::<AllOf>() {
        let required =
            all.children().iter().map(|child| ceiling(child.as_ref(), searcher)).collect::<tantivy::Result<_>>()?;
        return Ok(QueryCeiling::Boolean { required, optional: Vec::new() });
    }
    if let Some(any) = query.downcast_ref::<AnyOf>() {
        let (children, combine) = any.parts();
        let children =
            children.iter().map(|child| ceiling(child.as_ref(), searcher)).collect::<tantivy::Result<_>>()?;
        return Ok(match combine {
            Combine::Max => QueryCeiling::Max(children),
            Combine::Sum => QueryCeiling::Sum(children),
        });
    }
    if let Some(constant) = query.downcast_ref::<Constant>() {
        return Ok(QueryCeiling::Leaf { score: constant.score, words: Vec::new(), all: false });
    }
    if let Some(combined) = query.downcast_ref::<CombinedTermQuery>() {
        let (score, words) = combined.ceiling(searcher)?;
        return Ok(QueryCeiling::Leaf { score, words, all: false });
    }
    if let Some(term) = query.downcast_ref::<TermQuery>() {
        let words = vec![term.term().clone()];
        return Ok(QueryCeiling::Leaf { score: saturated(searcher, &words)?, words, all: true });
    }
    if let Some(phrase) = query.downcast_ref::<PhraseQuery>() {
        let words = phrase.phrase_terms();
        return Ok(QueryCeiling::Leaf { score: saturated(searcher, &words)?, words, all: true });
    }
    if query.is::<AllQuery>() {
        return Ok(QueryCeiling::Leaf { score: 1.0, words: Vec::new(), all: false });
    }
    if query.is::<EmptyQuery>() {
        return Ok(QueryCeiling::Max(Vec::new()));
    }
    Ok(QueryCeiling::Unknown)
}

/// BM25's limit for a word or a phrase as Tantivy scores them: its weight `idf · (k1 + 1)` times a
/// frequency factor of 1. (Tantivy's own `max_score` takes a frequency equal to the longest stored
/// length, which a document repeating one word more often than its rounded-down stored length
/// exceeds.)
fn saturated(searcher: &Searcher, words: &[Term]) -> tantivy::Result<Score> {
    Ok(Bm25Weight::for_terms(searcher, words)?.score(0, u32::MAX))
}

/// Every match of `query` scores `score`: Tantivy's `ConstScoreQuery`, with its score known to
/// [`ceiling`].
#[derive(Debug)]
pub struct Constant {
    query: ConstScoreQuery,
    score: Score,
}

impl Constant {
    pub fn new(query: Box<dyn Query>, score: Score) -> Constant {
        Constant { query: ConstScoreQuery::new(query, score), score }
    }
}

impl Clone for Constant {
    fn clone(&self) -> Self {
        Constant { query: self.query.clone(), score: self.score }
    }
}

impl Query for Constant {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        self.query.weight(scoring)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.query.query_terms(visitor);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use tantivy::query::EnableScoring;

    use super::*;
    use crate::config::RankingSettings;
    use crate::entities::Aliases;
    use crate::index::{SearchIndex, WriterBudget};
    use crate::model::Article;
    use crate::search::query::Queries;
    use crate::search::request::{Mode, SearchRequest};
    use crate::store::Store;

    /// Articles whose words come in every frequency and field, over three years, in a few
    /// segments: `harbour` in most bodies, `pilot` in a few, `pilots` in titles now and then.
    fn articles(from: usize, to: usize) -> Vec<Article> {
        (from..to)
            .map(|number| {
                let mut body = "harbour ".repeat(1 + number % 7);
                if number % 13 == 0 {
                    body.push_str(&"pilot ".repeat(1 + number % 3));
                }
                body.push_str(&format!("strike talks harbor cargo {} ", ["calm", "storm", "fog"][number % 3]));
                body.push_str(&"filler words of an ordinary length ".repeat(number % 5));
                let mut article = Article::for_test(number, &body);
                if number % 17 == 0 {
                    article.title = format!("Pilots {number} at the harbour");
                }
                article.published_at = (number % 11 != 0).then(|| {
                    chrono::Utc.timestamp_opt(1_600_000_000 + (number as i64 * 7_919 % 1_000) * 86_400, 0).unwrap()
                });
                article
            })
            .collect()
    }

    #[test]
    fn no_match_scores_above_its_segments_ceiling() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite3")).unwrap();
        let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
        assert!(index.acquire_writer(WriterBudget::Batch).unwrap());
        for (from, to) in [(0, 150), (150, 260), (260, 300)] {
            store.upsert_articles(&articles(from, to)).unwrap();
            index.catch_up(&store).unwrap();
        }
        // A body of one word said 3,000 times: more often than its stored length (rounded down),
        // which Tantivy's own `max_score` takes as the frequency.
        let mut repeated = articles(300, 301);
        repeated[0].body = "pilot ".repeat(3_000);
        store.upsert_articles(&repeated).unwrap();
        index.catch_up(&store).unwrap();
        index.reload().unwrap();
        let searcher = index.reader.searcher();
        assert!(searcher.segment_readers().len() > 1);
        // Every segment keeps its documents newest first, the undated last: what lets a bound
        // decayed by a document's date hold for every later document.
        let mut undated = 0;
        for segment in searcher.segment_readers() {
            let dates = segment.fast_fields().date(crate::index::schema::PUBLISHED_AT).unwrap();
            let along: Vec<Option<i64>> =
                (0..segment.max_doc()).map(|doc| dates.first(doc).map(|date| date.into_timestamp_secs())).collect();
            undated += along.iter().filter(|date| date.is_none()).count();
            let newest_first = along.windows(2).all(|pair| match (pair[0], pair[1]) {
                (Some(earlier), Some(later)) => earlier >= later,
                (None, Some(_)) => false,
                _ => true,
            });
            assert!(newest_first, "{along:?}");
        }
        assert_eq!(undated, 301 / 11 + 1);
        let queries = Queries::new(
            Arc::clone(&index),
            &crate::search::tuning::Tuning::with_ranking(RankingSettings::default(), Arc::new(Aliases::default())),
        );
        let mut checked = 0;
        let mut fell = 0;
        for (mode, text) in [
            (Mode::Instant, "harb"),
            (Mode::Instant, "pilot"),
            (Mode::Instant, "pilots harb"),
            (Mode::Instant, "strike tal"),
            (Mode::Instant, "\"strike talks\" c"),
            (Mode::Instant, "harbuor"),
            (Mode::Analyst, "harbour"),
            (Mode::Analyst, "pilot OR storm"),
            (Mode::Analyst, "harbour -fog"),
            (Mode::Analyst, "\"strike talks\""),
            (Mode::Analyst, "body:pilot"),
            (Mode::Analyst, "body:\"strike talks\""),
        ] {
            let request = SearchRequest { q: text.into(), mode, ..SearchRequest::default() };
            let user = queries.read(&request).unwrap();
            let query = queries.restrict(&request, user.cloned());
            let bound = ceiling(query.as_ref(), &searcher).unwrap();
            let weight = query.weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
            for segment in searcher.segment_readers() {
                let in_segment = bound.in_segment(segment).unwrap();
                let first = in_segment.at(0);
                weight
                    .for_each(segment, &mut |doc, score| {
                        checked += 1;
                        match in_segment.at(doc) {
                            Ceiling::At(ceiling) => assert!(score <= ceiling, "{text}: {score} > {ceiling} at {doc}"),
                            Ceiling::Unknown => {}
                            Ceiling::Nothing => panic!("{text}: document {doc} matches past its ceiling's end"),
                        }
                        if in_segment.at(doc) != first {
                            fell += 1;
                        }
                    })
                    .unwrap();
            }
            assert!(!matches!(bound, QueryCeiling::Unknown), "{text}: the bound is known");
        }
        assert!(checked > 1_000, "{checked}");
        // Some bound fell along a segment once a rare word's documents ended.
        assert!(fell > 0);
    }
}

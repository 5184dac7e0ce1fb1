//! The best matches of a query without visiting every match.
//!
//! The index keeps each segment's documents newest first, so along a segment the recency decay
//! only falls. A match at or after a document therefore ranks no higher than the query's
//! [ceiling](super::ceiling) decayed by that document's date — and by date order, no higher than
//! that date. Once the segment's kept matches all rank at least that high, nothing later can
//! enter and the segment stops. What it counted until then is a lower bound of its matches: the
//! total is exact (`eq`) when no segment stopped, at least that many (`gte`) otherwise.
//!
//! Segments share two things as they go (in turn or in parallel): the matches counted so far, so
//! that none stops before `count_at_least` are counted over all (a total below that is always
//! exact, as Elasticsearch's `track_total_hits` keeps it); and the best "worst kept" key any
//! segment has reached, a lower bound of the whole search's last place, so that a segment whose
//! remaining matches all rank below it stops too, however few it has kept itself.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{Query, Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use super::ceiling::{ceiling, Ceiling, QueryCeiling, SegmentCeiling};
use super::prune::prune;
use super::{Position, Ranker, RankerSegment};

/// How many matches a search counted, and whether that is all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub matches: usize,
    pub exact: bool,
}

/// A [`Ranker`] that stops each segment once nothing left in it can enter the top.
pub struct EarlyStop {
    ranker: Ranker,
    /// The query, and the snapshot it runs on, for its ceiling.
    query: Box<dyn Query>,
    searcher: Searcher,
    /// The query's ceiling, worked out when a segment first asks whether it can stop.
    ceiling: OnceLock<QueryCeiling>,
    /// Whether every segment is sorted newest first (else only the undecayed ceiling bounds).
    sorted: bool,
    /// Matches to count exactly, over all segments, before any segment stops.
    count_at_least: usize,
    /// Matches counted so far by all segments (published every few matches).
    counted: AtomicUsize,
    /// The highest last-place key any segment has kept a full window above, as [`ordered`] bits.
    last_place: AtomicU64,
}

/// How often (in matches) a segment first publishes its count and checks whether it can stop;
/// each check that fails doubles the wait, up to [`CHECK_AT_MOST_EVERY`], so a search that cannot
/// stop early spends little on asking.
const CHECK_EVERY: usize = 16;
const CHECK_AT_MOST_EVERY: usize = 1_024;

impl EarlyStop {
    pub fn new(
        ranker: Ranker,
        query: &dyn Query,
        searcher: &Searcher,
        sorted: bool,
        count_at_least: usize,
    ) -> EarlyStop {
        EarlyStop {
            ranker,
            query: query.box_clone(),
            searcher: searcher.clone(),
            ceiling: OnceLock::new(),
            sorted,
            count_at_least,
            counted: AtomicUsize::new(0),
            last_place: AtomicU64::new(ordered(f64::NEG_INFINITY)),
        }
    }
}

/// An `f64` as bits that order as the numbers do (so an atomic maximum of them is theirs).
fn ordered(key: f64) -> u64 {
    let bits = key.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn from_ordered(bits: u64) -> f64 {
    f64::from_bits(if bits >> 63 == 1 { bits & !(1 << 63) } else { !bits })
}

impl Collector for EarlyStop {
    type Fruit = (Vec<Position>, Counted);
    type Child = Stopping;

    fn for_segment(&self, segment_ord: u32, segment: &SegmentReader) -> tantivy::Result<Stopping> {
        Ok(Stopping { ranked: self.ranker.for_segment(segment_ord, segment)?, counted: 0 })
    }

    fn requires_scoring(&self) -> bool {
        self.ranker.requires_scoring()
    }

    fn merge_fruits(&self, fruits: Vec<(Vec<Position>, Counted)>) -> tantivy::Result<(Vec<Position>, Counted)> {
        let mut counted = Counted { matches: 0, exact: true };
        let mut positions = Vec::with_capacity(fruits.len());
        for (kept, segment) in fruits {
            counted.matches += segment.matches;
            counted.exact &= segment.exact;
            positions.push(kept);
        }
        Ok((self.ranker.merge_fruits(positions)?, counted))
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<(Vec<Position>, Counted)> {
        let mut ranked = self.ranker.for_segment(segment_ord, reader)?;
        // The segment's ceiling, once the segment first asks.
        let mut ceiling: Option<SegmentCeiling> = None;
        let scoring = self.ranker.requires_scoring();
        let alive = reader.alive_bitset();
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut matches = 0usize;
        let mut exact = true;
        let mut published = 0usize;
        // At the first match (a segment that cannot compete stops there), then every so often.
        let mut next_check = 1usize;
        let mut wait = CHECK_EVERY;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                matches += 1;
                if matches == next_check {
                    let counted = self.counted.fetch_add(matches - published, Ordering::Relaxed) + matches - published;
                    published = matches;
                    next_check = matches + wait;
                    if counted >= self.count_at_least {
                        let ceiling = match &mut ceiling {
                            Some(ceiling) => &*ceiling,
                            None => ceiling.insert(self.in_segment(reader)),
                        };
                        if self.nothing_later_enters(&ranked, ceiling, doc) {
                            return Ok((ranked.harvest(), Counted { matches, exact: false }));
                        }
                        wait = (wait * 2).min(CHECK_AT_MOST_EVERY);
                        // What cannot lift a match onto the page any more is dropped; the scorer
                        // may then stand further on (this match could not have entered).
                        if let Some(threshold) = self.threshold(&ranked, doc) {
                            if prune(scorer.as_mut(), threshold, doc, reader) {
                                exact = false;
                                if scorer.doc() != doc {
                                    doc = scorer.doc();
                                    continue;
                                }
                            }
                        }
                    }
                }
                let score: Score = if scoring { scorer.score() } else { 0.0 };
                ranked.collect(doc, score);
            }
            doc = scorer.advance();
        }
        self.counted.fetch_add(matches - published, Ordering::Relaxed);
        Ok((ranked.harvest(), Counted { matches, exact }))
    }
}

impl EarlyStop {
    /// The query's ceiling in `reader` (not known, if it cannot be read).
    fn in_segment(&self, reader: &SegmentReader) -> SegmentCeiling {
        let query =
            self.ceiling.get_or_init(|| ceiling(self.query.as_ref(), &self.searcher).unwrap_or(QueryCeiling::Unknown));
        query.in_segment(reader).unwrap_or(SegmentCeiling::Unknown)
    }

    /// The score a match at or after `doc` must pass to enter: the segment's worst kept (a later
    /// document loses a tie with it), or just under another segment's last place; when the
    /// segment is newest first and relevance decays with age (outside as-you-type tiers), that key
    /// undone by `doc`'s decay, which later documents only lower. `None` before either is known.
    fn threshold(&self, ranked: &RankerSegment, doc: DocId) -> Option<Score> {
        if !self.ranker.requires_scoring() {
            return None;
        }
        let own = ranked.worst_kept().map(|worst| worst.key);
        let others = from_ordered(self.last_place.load(Ordering::Relaxed));
        let key = own.unwrap_or(f64::NEG_INFINITY).max(others);
        if !key.is_finite() {
            return None;
        }
        if let (true, false, Some(freshness)) = (self.sorted, self.ranker.tiered, &self.ranker.freshness) {
            // A score at or below key / decay keys at or below the key here, and lower after: kept
            // strictly below it (a margin far above the rounding of the product).
            // Below another segment's key strictly, as a tie with it can pass (and 0 scaled is 0).
            let score = key / freshness.factor(ranked.published(doc)) * (1.0 - 1e-12);
            let rounded = score as Score;
            let above = f64::from(rounded) > score || own.is_none_or(|own| own < others);
            return Some(if above { rounded.next_down() } else { rounded });
        }
        // A match's key never exceeds its score, so a score at or below the key cannot enter; in
        // `f32`, rounded down, and below another segment's key (which it could tie and pass).
        let rounded = key as Score;
        let below =
            if f64::from(rounded) > key || own.is_none_or(|own| own < others) { rounded.next_down() } else { rounded };
        Some(below)
    }

    /// True when no match at or after `doc` can rank above the segment's kept matches, or below
    /// the last place another segment has already reached.
    fn nothing_later_enters(&self, ranked: &RankerSegment, ceiling: &SegmentCeiling, doc: DocId) -> bool {
        let worst = ranked.worst_kept().map(|worst| worst.key);
        if let Some(worst) = worst {
            self.last_place.fetch_max(ordered(worst), Ordering::Relaxed);
        }
        let ceiling = match ceiling.at(doc) {
            Ceiling::At(score) => Some(score),
            Ceiling::Nothing => Some(Score::NEG_INFINITY),
            Ceiling::Unknown => None,
        };
        let bound = match (self.ranker.requires_scoring(), self.sorted) {
            // Relevance: the ceiling, decayed by this document's date (later ones are older).
            (true, true) => match ceiling {
                Some(ceiling) => self.ranker.key(ceiling, ranked.published(doc)),
                None => return false,
            },
            // Unsorted: the ceiling as if the newest article.
            (true, false) => match (ceiling, self.ranker.freshness) {
                (Some(ceiling), Some(freshness)) => self.ranker.key(ceiling, Some(freshness.reference_secs)),
                (Some(ceiling), None) => self.ranker.key(ceiling, None),
                (None, _) => return false,
            },
            // By date: later documents are no newer than this one.
            (false, true) => self.ranker.key(0.0, ranked.published(doc)),
            (false, false) => return false,
        };
        // Within the segment a later document loses a tie; against another segment's it may win.
        let last_place = from_ordered(self.last_place.load(Ordering::Relaxed));
        worst.is_some_and(|worst| worst >= bound) || bound < last_place
    }
}

/// One segment's part: the ranked matches and how many it counted.
pub struct Stopping {
    ranked: RankerSegment,
    counted: usize,
}

impl SegmentCollector for Stopping {
    type Fruit = (Vec<Position>, Counted);

    fn collect(&mut self, doc: DocId, score: Score) {
        self.counted += 1;
        self.ranked.collect(doc, score);
    }

    fn harvest(self) -> (Vec<Position>, Counted) {
        (self.ranked.harvest(), Counted { matches: self.counted, exact: true })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use tantivy::collector::Count;

    use super::*;
    use crate::config::RankingSettings;
    use crate::entities::Aliases;
    use crate::index::{SearchIndex, WriterBudget};
    use crate::model::Article;
    use crate::search::query::Queries;
    use crate::search::ranking::RankPlan;
    use crate::search::request::SearchRequest;
    use crate::store::Store;

    /// Thousands of dated articles over three years: `harbour` in nearly all (said more often in
    /// a few, and in some headlines), `pilot` in one of thirteen.
    fn articles(from: usize, to: usize) -> Vec<Article> {
        (from..to)
            .map(|number| {
                let mut body = "harbour ".repeat(1 + number % 3 + (number % 50 == 0) as usize * 4);
                if number % 13 == 0 {
                    body.push_str(&"pilot ".repeat(1 + number % 4));
                }
                body.push_str(&"words of an ordinary length ".repeat(1 + number % 9));
                let mut article = Article::for_test(number, &body);
                if number % 37 == 0 {
                    article.title = format!("Harbour {number} reopens");
                }
                article.published_at = (number % 29 != 0).then(|| {
                    chrono::Utc.timestamp_opt(1_600_000_000 + (number as i64 * 7_919 % 1_100) * 86_400, 0).unwrap()
                });
                article
            })
            .collect()
    }

    /// Stopping a segment, passing over blocks and pruning, all on the decayed bound, rank the
    /// page exactly as ranking every match does: for every limit and depth of page, weight of
    /// recency, and a word that is everywhere or in few articles.
    #[test]
    fn stopping_early_keeps_the_exhaustive_ranking() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite3")).unwrap();
        let index = Arc::new(SearchIndex::open(&dir.path().join("index")).unwrap());
        assert!(index.acquire_writer(WriterBudget::Batch).unwrap());
        for (from, to) in [(0, 2_500), (2_500, 4_000), (4_000, 4_600)] {
            store.upsert_articles(&articles(from, to)).unwrap();
            index.catch_up(&store).unwrap();
        }
        index.reload().unwrap();
        let searcher = index.reader.searcher();
        assert!(searcher.segment_readers().len() > 1 && index.sorted_newest_first());
        let settings = RankingSettings::default();
        let queries = Queries::new(
            Arc::clone(&index),
            &crate::search::tuning::Tuning::with_ranking(settings, Arc::new(Aliases::default())),
        );
        let mut stopped = 0;
        for text in ["harbour", "pilot", "harbour pilot", "pilot OR reopens"] {
            for freshness in [0.25, 0.6, 0.95] {
                let request = SearchRequest { q: text.into(), freshness: Some(freshness), ..SearchRequest::default() };
                let query = queries.restrict(&request, queries.read(&request).unwrap().cloned());
                let plan = RankPlan::for_request(&request, true, &settings, None, &searcher);
                for limit in [1, 5, 12, 40, 150] {
                    let ranker = plan.ranker(limit, None);
                    let (every, _) = index.search(&searcher, query.as_ref(), &(ranker.clone(), Count)).unwrap();
                    let early = EarlyStop::new(ranker, query.as_ref(), &searcher, true, 0);
                    let (top, counted) = index.search(&searcher, query.as_ref(), &early).unwrap();
                    assert_eq!(top, every, "{text} (freshness {freshness}, limit {limit})");
                    stopped += usize::from(!counted.exact);
                }
            }
        }
        assert!(stopped > 20, "searches that stopped or passed over matches: {stopped}");
    }
}

//! Ranking: the best matches of a query by relevance (BM25, tiered in as-you-type mode, blended
//! with a recency decay) or by date, from a position onwards so that cursors and exports can walk
//! every match without an offset window.

pub(crate) mod bm25f;
pub(crate) mod ceiling;
pub(crate) mod early;
pub(crate) mod in_step;
pub(crate) mod prune;

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DateTime, DocAddress, DocId, Score, Searcher, SegmentReader};

use super::request::{Mode, SearchRequest, Sort};
use crate::config::RankingSettings;
use crate::index::schema::PUBLISHED_AT;

/// The score step between as-you-type match tiers (all words exact, one with a typo, …). A word's
/// BM25 stays far below it, so tiers never mix.
pub const TIER: f64 = 10_000.0;

/// Recency decay: relevance × ((1 − weight) + weight · 2^(−age / half-life)), the age counted
/// back from `reference` (the newest article, or now if that is earlier).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Freshness {
    pub reference_secs: i64,
    pub half_life_secs: f64,
    pub weight: f64,
}

impl Freshness {
    /// The multiplier for an article published at `published` (undated: as if very old).
    pub fn factor(&self, published: Option<i64>) -> f64 {
        // Floored so that, among articles all far older than the reference, relevance still
        // decides (an underflow to 0 would tie them all at weight 1).
        let decay = match published {
            Some(secs) => {
                // Saturating: a cursor brings the reference, and a forged one may be any i64.
                let age = self.reference_secs.saturating_sub(secs).max(0) as f64;
                (-age / self.half_life_secs * std::f64::consts::LN_2).exp().max(MIN_DECAY)
            }
            None => MIN_DECAY,
        };
        (1.0 - self.weight) + self.weight * decay
    }
}

/// The smallest recency decay: what a very old (or undated) article keeps.
const MIN_DECAY: f64 = 1e-12;

/// What the matches are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Relevance,
    /// Newest first; undated articles last.
    Date,
}

/// A place in the ranking: the sort key (higher first), then the document (lower first). Only
/// meaningful within one searcher.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub key: f64,
    pub address: DocAddress,
}

impl Position {
    /// True when `self` ranks before `other`.
    pub fn before(&self, other: &Position) -> bool {
        rank(self, other) == Ordering::Less
    }
}

/// Orders positions best first.
fn rank(a: &Position, b: &Position) -> Ordering {
    b.key
        .total_cmp(&a.key)
        .then_with(|| a.address.segment_ord.cmp(&b.address.segment_ord))
        .then_with(|| a.address.doc_id.cmp(&b.address.doc_id))
}

/// How one request's matches are ranked: by date or relevance, with or without the recency blend,
/// tiered in as-you-type mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankPlan {
    pub order: Order,
    pub freshness: Option<Freshness>,
    pub tiered: bool,
}

impl RankPlan {
    /// Without query text there is nothing to rank by: newest first. The recency blend applies
    /// only when ranking by relevance without an explicit date range; `reference` is a cursor's,
    /// else the newest article's time (or now, if earlier).
    pub fn for_request(
        request: &SearchRequest,
        has_text: bool,
        settings: &RankingSettings,
        reference: Option<i64>,
        searcher: &Searcher,
    ) -> RankPlan {
        let order = if request.sort == Sort::Date || !has_text { Order::Date } else { Order::Relevance };
        let weight = request.freshness.unwrap_or(settings.freshness_weight);
        let blended = order == Order::Relevance && request.from.is_none() && request.to.is_none() && weight > 0.0;
        let freshness = blended.then(|| Freshness {
            reference_secs: reference.unwrap_or_else(|| newest_publication(searcher)),
            half_life_secs: settings.freshness_half_life_days.max(1e-3) * 86_400.0,
            weight,
        });
        RankPlan { order, freshness, tiered: request.mode == Mode::Instant }
    }

    /// A collector of the `limit` best matches after `after`.
    pub fn ranker(&self, limit: usize, after: Option<Position>) -> Ranker {
        Ranker { order: self.order, limit, after, freshness: self.freshness, tiered: self.tiered }
    }

    /// The score a hit shows: its ranking key when ranked by relevance.
    pub fn score(&self, position: &Position) -> Option<f32> {
        (self.order == Order::Relevance).then_some(position.key as f32)
    }
}

/// The newest publication time in a snapshot (now, if that is earlier or nothing is dated): the
/// reference recency is counted back from.
pub fn newest_publication(searcher: &Searcher) -> i64 {
    let now = chrono::Utc::now().timestamp();
    searcher
        .segment_readers()
        .iter()
        .filter_map(|segment| segment.fast_fields().date(PUBLISHED_AT).ok())
        .filter(|column| column.values.num_vals() > 0)
        .map(|column| column.max_value().into_timestamp_secs())
        .max()
        .map_or(now, |newest| newest.min(now))
}

/// Collects the `limit` best matches that rank after `after`.
#[derive(Debug, Clone)]
pub struct Ranker {
    pub order: Order,
    pub limit: usize,
    pub after: Option<Position>,
    pub freshness: Option<Freshness>,
    /// Scores are as-you-type tiers plus relevance: the decay applies within a tier only.
    pub tiered: bool,
}

impl Ranker {
    fn key(&self, score: Score, published: Option<i64>) -> f64 {
        match self.order {
            Order::Date => published.map(|secs| secs as f64).unwrap_or(f64::MIN),
            Order::Relevance => {
                let score = score as f64;
                let Some(freshness) = &self.freshness else { return score };
                let factor = freshness.factor(published);
                if self.tiered {
                    let tier = (score / TIER).floor() * TIER;
                    tier + (score - tier).min(TIER - 1.0) * factor
                } else {
                    score * factor
                }
            }
        }
    }
}

/// A heap entry ordered so that the worst kept match is on top.
#[derive(Debug, Clone, Copy)]
struct Kept(Position);

impl PartialEq for Kept {
    fn eq(&self, other: &Self) -> bool {
        rank(&self.0, &other.0) == Ordering::Equal
    }
}
impl Eq for Kept {}
impl PartialOrd for Kept {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Kept {
    fn cmp(&self, other: &Self) -> Ordering {
        rank(&self.0, &other.0)
    }
}

pub struct RankerSegment {
    ranker: Ranker,
    segment_ord: u32,
    dates: Option<Column<DateTime>>,
    kept: BinaryHeap<Kept>,
}

impl Collector for Ranker {
    type Fruit = Vec<Position>;
    type Child = RankerSegment;

    fn for_segment(&self, segment_ord: u32, segment: &SegmentReader) -> tantivy::Result<RankerSegment> {
        let needs_dates = self.order == Order::Date || self.freshness.is_some();
        let dates = if needs_dates { Some(segment.fast_fields().date(PUBLISHED_AT)?) } else { None };
        Ok(RankerSegment {
            ranker: self.clone(),
            segment_ord,
            dates,
            kept: BinaryHeap::with_capacity(self.limit.min(10_000) + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.order == Order::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Position>>) -> tantivy::Result<Vec<Position>> {
        let mut all: Vec<Position> = fruits.into_iter().flatten().collect();
        all.sort_unstable_by(rank);
        all.truncate(self.limit);
        Ok(all)
    }
}

impl RankerSegment {
    /// The worst of the kept matches, once `limit` are kept.
    fn worst_kept(&self) -> Option<&Position> {
        (self.kept.len() >= self.ranker.limit).then(|| self.kept.peek().map(|kept| &kept.0)).flatten()
    }

    /// A document's publication time, when the ranking reads dates.
    fn published(&self, doc: DocId) -> Option<i64> {
        self.dates.as_ref().and_then(|dates| dates.first(doc)).map(|date| date.into_timestamp_secs())
    }
}

impl SegmentCollector for RankerSegment {
    type Fruit = Vec<Position>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if self.ranker.limit == 0 {
            return;
        }
        // The decay never raises a score: a match scoring below the worst kept one cannot enter,
        // and needs neither its date nor the decay computed.
        if self.ranker.order == Order::Relevance && self.kept.len() == self.ranker.limit {
            if let Some(worst) = self.kept.peek() {
                if (score as f64) < worst.0.key {
                    return;
                }
            }
        }
        let published = self.published(doc);
        let position =
            Position { key: self.ranker.key(score, published), address: DocAddress::new(self.segment_ord, doc) };
        if let Some(after) = &self.ranker.after {
            if !after.before(&position) {
                return;
            }
        }
        if self.kept.len() < self.ranker.limit {
            self.kept.push(Kept(position));
        } else if let Some(mut worst) = self.kept.peek_mut() {
            if position.before(&worst.0) {
                *worst = Kept(position);
            }
        }
    }

    fn harvest(self) -> Vec<Position> {
        self.kept.into_iter().map(|kept| kept.0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_halves_the_recency_part_each_half_life() {
        let freshness = Freshness { reference_secs: 100 * 86_400, half_life_secs: 10.0 * 86_400.0, weight: 0.5 };
        assert!((freshness.factor(Some(100 * 86_400)) - 1.0).abs() < 1e-9);
        assert!((freshness.factor(Some(90 * 86_400)) - 0.75).abs() < 1e-9);
        assert!((freshness.factor(None) - 0.5).abs() < 1e-9);
        // Far older than the reference: still above zero, so relevance keeps its order.
        let all_in = Freshness { weight: 1.0, ..freshness };
        assert!(all_in.factor(Some(-1_000_000 * 86_400)) > 0.0);
        // Articles dated after the reference count as new, not as newer than new.
        assert!((freshness.factor(Some(200 * 86_400)) - 1.0).abs() < 1e-9);
    }

    /// Found by the `cursor` fuzz target: a cursor's recency reference edited to a number far
    /// before every article made `reference - published` overflow (a panic with overflow checks,
    /// a wrapped age of centuries without). Every article is then after the reference: new.
    #[test]
    fn fuzz_cursor_reference_far_before_every_article() {
        let freshness = Freshness { reference_secs: i64::MIN, half_life_secs: 86_400.0, weight: 0.5 };
        assert_eq!(freshness.factor(Some(540_000_000)), 1.0);
        let late = Freshness { reference_secs: i64::MAX, ..freshness };
        assert!((late.factor(Some(-540_000_000)) - 0.5).abs() < 1e-9, "far older than the reference");
    }

    #[test]
    fn tiers_survive_the_decay() {
        let ranker = Ranker {
            order: Order::Relevance,
            limit: 10,
            after: None,
            freshness: Some(Freshness { reference_secs: 0, half_life_secs: 1.0, weight: 0.9 }),
            tiered: true,
        };
        let old_exact = ranker.key((2.0 * TIER + 30.0) as f32, Some(-1_000_000));
        let new_typo = ranker.key((TIER + 30.0) as f32, Some(0));
        assert!(old_exact > new_typo);
    }

    #[test]
    fn positions_order_by_key_then_document() {
        let at = |key, doc| Position { key, address: DocAddress::new(0, doc) };
        assert!(at(2.0, 5).before(&at(1.0, 1)));
        assert!(at(1.0, 1).before(&at(1.0, 2)));
        assert!(!at(1.0, 2).before(&at(1.0, 2)));
    }
}

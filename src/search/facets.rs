//! Exact facet counts and date histograms in one pass over the matching documents: term ordinals
//! counted per segment from the fast columns, added up across segments by the values' shared
//! numbers ([`Ordinals`]), and turned into strings only for the values shown.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DateTime, DocId, Score, SegmentReader};

use super::ordinals::{self, Counted, Forward, Ordinals, Tally};
use super::request::{FacetCount, HistogramBucket, Interval};
use crate::error::Result;
use crate::index::schema::{CLUSTER, PUBLISHED_AT};
use crate::index::KeywordField;

/// Counts facet values for `fields` and, when asked, articles per day.
pub struct FacetCollector {
    pub fields: Vec<KeywordField>,
    pub histogram: bool,
    /// The values' numbering shared across segments.
    pub ordinals: Arc<Ordinals>,
    /// The query matches every live article: each segment's counts are the same every time,
    /// worked out once (see [`Ordinals::whole`]).
    pub whole: bool,
}

/// Article counts by facet value of one field, over every segment: by the values' shared number.
pub struct Counts {
    field: KeywordField,
    counts: Vec<u64>,
    ordinals: Arc<Ordinals>,
}

impl Counts {
    /// The values counted at least once, with their counts, unordered.
    fn counted(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.counts.iter().enumerate().filter(|(_, count)| **count > 0).map(|(id, count)| (id as u32, *count))
    }

    /// Every value counted, with its count, unordered.
    pub fn named(&self) -> Result<Vec<(String, u64)>> {
        let counted: Vec<(u32, u64)> = self.counted().collect();
        let names = self.ordinals.names(self.field, counted.iter().map(|(id, _)| *id))?;
        Ok(names.into_iter().zip(counted).map(|(name, (_, count))| (name, count)).collect())
    }

    /// The `size` most frequent values, most frequent first, ties by value; only those (and the
    /// values tied with the last) are turned into strings.
    pub fn top(&self, size: usize) -> Result<Vec<FacetCount>> {
        let mut counted: Vec<(u32, u64)> = self.counted().collect();
        if size == 0 {
            return Ok(Vec::new());
        }
        if counted.len() > size {
            counted.select_nth_unstable_by(size - 1, |a, b| b.1.cmp(&a.1));
            let last = counted[size - 1].1;
            counted.retain(|(_, count)| *count >= last);
        }
        let names = self.ordinals.names(self.field, counted.iter().map(|(id, _)| *id))?;
        let values = names.into_iter().zip(counted).map(|(value, (_, count))| (value, count)).collect();
        Ok(top_values(values, size))
    }
}

/// Counts from every segment.
pub struct FacetFruit {
    /// Per requested field (same order).
    pub fields: Vec<Counts>,
    /// Days since 1970-01-01 → article count.
    pub days: HashMap<i64, u64>,
}

/// Counts from one segment: per requested field, (shared number, count) of each value counted.
pub struct SegmentFruit {
    fields: Vec<Arc<Vec<(u32, u32)>>>,
    days: Arc<HashMap<i64, u64>>,
}

pub struct FacetSegmentCollector {
    fields: Vec<KeywordField>,
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u32>>,
    /// Per field, the shared number of each of the segment's values.
    numbers: Vec<Option<Arc<[u32]>>>,
    /// Per field, its values document by document, when kept (else read from the column).
    forward: Vec<Option<Arc<Forward>>>,
    dates: Option<Column<DateTime>>,
    days: DayCounts,
    /// A whole segment's counts, when they were worked out before (nothing is counted then).
    known: Option<SegmentFruit>,
    /// Where to keep this whole segment's counts once counted: the numbering, segment, deletes.
    keep: Option<(Arc<Ordinals>, SegmentId, u32)>,
}

/// Articles per day in one segment: an array over the segment's span of days (one increment a
/// document, where a hash map cost a lookup), or a map when the dates span too long for one.
enum DayCounts {
    Span { first: i64, counts: Vec<u32> },
    Map(HashMap<i64, u64>),
}

/// Days one segment's dates may span and still be counted in an array (about 270 years).
const MAX_DAY_SPAN: i64 = 100_000;

impl DayCounts {
    fn for_dates(dates: Option<&Column<DateTime>>) -> DayCounts {
        let day = |date: DateTime| date.into_timestamp_secs().div_euclid(86_400);
        match dates.filter(|dates| dates.values.num_vals() > 0) {
            Some(dates) => {
                let (first, last) = (day(dates.min_value()), day(dates.max_value()));
                match last.checked_sub(first) {
                    Some(span) if (0..MAX_DAY_SPAN).contains(&span) => {
                        DayCounts::Span { first, counts: vec![0; span as usize + 1] }
                    }
                    _ => DayCounts::Map(HashMap::new()),
                }
            }
            None => DayCounts::Map(HashMap::new()),
        }
    }

    fn add(&mut self, day: i64) {
        if let DayCounts::Span { first, counts } = self {
            if let Some(count) = usize::try_from(day - *first).ok().and_then(|at| counts.get_mut(at)) {
                *count += 1;
                return;
            }
            // Outside the column's own range (it cannot be): a map takes every day.
            let days = std::mem::replace(self, DayCounts::Map(HashMap::new())).into_days();
            *self = DayCounts::Map(days);
        }
        if let DayCounts::Map(days) = self {
            *days.entry(day).or_default() += 1;
        }
    }

    fn into_days(self) -> HashMap<i64, u64> {
        match self {
            DayCounts::Span { first, counts } => counts
                .into_iter()
                .enumerate()
                .filter(|(_, count)| *count > 0)
                .map(|(offset, count)| (first + offset as i64, count as u64))
                .collect(),
            DayCounts::Map(days) => days,
        }
    }
}

impl Collector for FacetCollector {
    type Fruit = FacetFruit;
    type Child = FacetSegmentCollector;

    fn for_segment(&self, _segment_local_id: u32, segment: &SegmentReader) -> tantivy::Result<FacetSegmentCollector> {
        let fast_fields = segment.fast_fields();
        let mut columns = Vec::with_capacity(self.fields.len());
        let mut counts = Vec::with_capacity(self.fields.len());
        let mut numbers = Vec::with_capacity(self.fields.len());
        let mut forward = Vec::with_capacity(self.fields.len());
        let (id, deleted) = (segment.segment_id(), segment.num_deleted_docs());
        let known = if self.whole { self.known(id, deleted) } else { None };
        for field in &self.fields {
            let column = fast_fields.str(field.name())?;
            counts.push(vec![0u32; column.as_ref().map(|column| column.num_terms()).unwrap_or(0)]);
            numbers.push(match &column {
                Some(column) => Some(self.ordinals.segment(*field, id, column)?),
                None => None,
            });
            forward.push(match (&column, &known) {
                (Some(column), None) => self.ordinals.forward(*field, id, segment.max_doc(), column),
                _ => None,
            });
            columns.push(column);
        }
        let dates = if self.histogram { Some(fast_fields.date(PUBLISHED_AT)?) } else { None };
        let days = DayCounts::for_dates(dates.as_ref());
        let keep = (self.whole && known.is_none()).then(|| (Arc::clone(&self.ordinals), id, deleted));
        Ok(FacetSegmentCollector {
            fields: self.fields.clone(),
            columns,
            counts,
            numbers,
            forward,
            dates,
            days,
            known,
            keep,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<FacetFruit> {
        let mut fields: Vec<Counts> = self
            .fields
            .iter()
            .map(|field| Counts { field: *field, counts: Vec::new(), ordinals: Arc::clone(&self.ordinals) })
            .collect();
        let mut days = HashMap::new();
        for fruit in fruits {
            for (target, counted) in fields.iter_mut().zip(fruit.fields) {
                let needed = counted.iter().map(|(id, _)| *id as usize + 1).max().unwrap_or(0);
                if target.counts.len() < needed {
                    target.counts.resize(needed, 0);
                }
                for (id, count) in counted.iter() {
                    target.counts[*id as usize] += u64::from(*count);
                }
            }
            for (day, count) in fruit.days.iter() {
                *days.entry(*day).or_default() += count;
            }
        }
        Ok(FacetFruit { fields, days })
    }
}

impl FacetCollector {
    /// A whole segment's counts for every tally asked, if all were worked out before.
    fn known(&self, segment: SegmentId, deleted: u32) -> Option<SegmentFruit> {
        let mut fields = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            match self.ordinals.whole(segment, deleted, Tally::Field(*field))? {
                Counted::Values(values) => fields.push(values),
                Counted::Days(_) => return None,
            }
        }
        let days = match self.histogram {
            true => match self.ordinals.whole(segment, deleted, Tally::Days)? {
                Counted::Days(days) => days,
                Counted::Values(_) => return None,
            },
            false => Arc::default(),
        };
        Some(SegmentFruit { fields, days })
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if self.known.is_some() {
            return;
        }
        for ((column, forward), counts) in self.columns.iter().zip(&self.forward).zip(self.counts.iter_mut()) {
            match (forward, column) {
                (Some(forward), _) => {
                    for ordinal in forward.of(doc) {
                        counts[*ordinal as usize] += 1;
                    }
                }
                (None, Some(column)) => {
                    for ordinal in column.term_ords(doc) {
                        counts[ordinal as usize] += 1;
                    }
                }
                (None, None) => {}
            }
        }
        if let Some(dates) = &self.dates {
            if let Some(date) = dates.first(doc) {
                self.days.add(date.into_timestamp_secs().div_euclid(86_400));
            }
        }
    }

    fn harvest(self) -> SegmentFruit {
        if let Some(known) = self.known {
            return known;
        }
        let histogram = self.dates.is_some();
        let fields: Vec<Arc<Vec<(u32, u32)>>> = self
            .numbers
            .iter()
            .zip(self.counts)
            .map(|(numbers, counts)| match numbers {
                Some(numbers) => counts
                    .into_iter()
                    .zip(numbers.iter())
                    .filter(|(count, id)| *count > 0 && ordinals::named(**id))
                    .map(|(count, id)| (*id, count))
                    .collect(),
                None => Vec::new(),
            })
            .map(Arc::new)
            .collect();
        let days = Arc::new(self.days.into_days());
        if let Some((ordinals, segment, deleted)) = self.keep {
            for (field, values) in self.fields.iter().zip(&fields) {
                ordinals.keep_whole(segment, deleted, Tally::Field(*field), Counted::Values(Arc::clone(values)));
            }
            if histogram {
                ordinals.keep_whole(segment, deleted, Tally::Days, Counted::Days(Arc::clone(&days)));
            }
        }
        SegmentFruit { fields, days }
    }
}

/// The `size` most frequent values, most frequent first, ties by value.
pub fn top_values(counts: Vec<(String, u64)>, size: usize) -> Vec<FacetCount> {
    let mut values: Vec<FacetCount> = counts.into_iter().map(|(value, count)| FacetCount { value, count }).collect();
    values.sort_unstable_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    values.truncate(size);
    values
}

/// Groups per-day counts into buckets of `interval`, in date order.
pub fn histogram(days: &HashMap<i64, u64>, interval: Interval) -> Vec<HistogramBucket> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let mut buckets: HashMap<NaiveDate, u64> = HashMap::new();
    for (&day, &count) in days {
        let Some(date) = epoch.checked_add_signed(Duration::days(day)) else { continue };
        let start = match interval {
            Interval::Day => Some(date),
            Interval::Week => date.checked_sub_signed(Duration::days(date.weekday().num_days_from_monday() as i64)),
            Interval::Month => date.with_day(1),
            Interval::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1),
        };
        if let Some(start) = start {
            *buckets.entry(start).or_default() += count;
        }
    }
    let mut sorted: Vec<(NaiveDate, u64)> = buckets.into_iter().collect();
    sorted.sort_unstable();
    sorted
        .into_iter()
        .map(|(start, count)| HistogramBucket { start: start.format("%Y-%m-%d").to_string(), count })
        .collect()
}

/// Counts the distinct stories (near-duplicate clusters) among the matching documents.
pub struct StoryCollector;

pub struct StorySegmentCollector {
    column: Column<u64>,
    clusters: std::collections::HashSet<u64>,
}

impl Collector for StoryCollector {
    type Fruit = usize;
    type Child = StorySegmentCollector;

    fn for_segment(&self, _segment_local_id: u32, segment: &SegmentReader) -> tantivy::Result<StorySegmentCollector> {
        Ok(StorySegmentCollector { column: segment.fast_fields().u64(CLUSTER)?, clusters: Default::default() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<std::collections::HashSet<u64>>) -> tantivy::Result<usize> {
        let mut all = std::collections::HashSet::new();
        for fruit in fruits {
            all.extend(fruit);
        }
        Ok(all.len())
    }
}

impl SegmentCollector for StorySegmentCollector {
    type Fruit = std::collections::HashSet<u64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(cluster) = self.column.first(doc) {
            self.clusters.insert(cluster);
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.clusters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_counted_alike_in_an_array_or_a_map() {
        let days = [17_000, 17_003, 17_000, 17_010, 17_003, 17_000];
        let mut span = DayCounts::Span { first: 17_000, counts: vec![0; 11] };
        let mut map = DayCounts::Map(HashMap::new());
        for day in days {
            span.add(day);
            map.add(day);
        }
        assert!(matches!(span, DayCounts::Span { .. }));
        let expected: HashMap<i64, u64> = [(17_000, 3), (17_003, 2), (17_010, 1)].into();
        assert_eq!(map.into_days(), expected);
        assert_eq!(span.into_days(), expected);
        // A day outside the span turns the array into a map, losing nothing.
        let mut span = DayCounts::Span { first: 17_000, counts: vec![0; 2] };
        for day in [17_000, 17_001, 16_999, 17_005] {
            span.add(day);
        }
        assert!(matches!(span, DayCounts::Map(_)));
        assert_eq!(span.into_days(), [(16_999, 1), (17_000, 1), (17_001, 1), (17_005, 1)].into());
    }

    #[test]
    fn buckets_group_days() {
        let day = |y, m, d| {
            (NaiveDate::from_ymd_opt(y, m, d).unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
        };
        let days: HashMap<i64, u64> =
            [(day(1987, 3, 2), 2), (day(1987, 3, 4), 1), (day(1987, 3, 9), 5), (day(1988, 1, 1), 1)].into();
        let weeks = histogram(&days, Interval::Week);
        assert_eq!(weeks[0], HistogramBucket { start: "1987-03-02".into(), count: 3 });
        assert_eq!(weeks[1], HistogramBucket { start: "1987-03-09".into(), count: 5 });
        let months = histogram(&days, Interval::Month);
        assert_eq!(
            months,
            vec![
                HistogramBucket { start: "1987-03-01".into(), count: 8 },
                HistogramBucket { start: "1988-01-01".into(), count: 1 }
            ]
        );
        assert_eq!(histogram(&days, Interval::Year).len(), 2);
    }

    /// Articles whose people and places come in every spread over segments: `P0`…`P6` in all,
    /// one person only in each batch (`Only{batch}`), places by threes; one in five undated.
    fn articles(from: usize, to: usize, batch: usize) -> Vec<crate::model::Article> {
        use crate::model::{Article, Entity, EntityKind};
        let entity = |kind, name: String| Entity::new(kind, name);
        (from..to)
            .map(|number| {
                let mut article = Article::for_test(number, "harbour talks");
                article.entities.push(entity(EntityKind::Person, format!("P{}", number % 7)));
                if number % 4 == 0 {
                    article.entities.push(entity(EntityKind::Person, format!("Only{batch}")));
                }
                article.entities.push(entity(EntityKind::Place, ["Oslo", "Lima", "Perth"][number % 3].into()));
                article.published_at = (number % 5 != 0)
                    .then(|| chrono::DateTime::from_timestamp(1_600_000_000 + number as i64 * 86_400, 0).unwrap());
                article
            })
            .collect()
    }

    /// Counts, value by value, from the articles themselves.
    fn expected(articles: &[crate::model::Article], kind: crate::model::EntityKind) -> HashMap<String, u64> {
        let mut counts = HashMap::new();
        for article in articles {
            for entity in article.entities.iter().filter(|entity| entity.kind == kind) {
                *counts.entry(entity.name.clone()).or_default() += 1;
            }
        }
        counts
    }

    #[test]
    fn counts_add_up_across_segments_by_shared_numbers() {
        // Values read document by document from kept arrays, and from the columns.
        for ordinals in [Ordinals::default(), Ordinals::with_forward_budget(0)] {
            counted_as_the_articles_say(Arc::new(ordinals));
        }
    }

    fn counted_as_the_articles_say(ordinals: Arc<Ordinals>) {
        use crate::index::{SearchIndex, WriterBudget};
        use crate::model::EntityKind;
        use crate::store::Store;

        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite3")).unwrap();
        let index = SearchIndex::open(&dir.path().join("index")).unwrap();
        assert!(index.acquire_writer(WriterBudget::Batch).unwrap());
        let mut all = Vec::new();
        for (batch, (from, to)) in [(0, 120), (120, 200), (200, 260)].into_iter().enumerate() {
            let articles = articles(from, to, batch);
            store.upsert_articles(&articles).unwrap();
            index.catch_up(&store).unwrap();
            all.extend(articles);
        }
        index.reload().unwrap();
        let count = |all: &[crate::model::Article], whole: bool| {
            let searcher = index.reader.searcher();
            let collector = FacetCollector {
                fields: vec![KeywordField::Person, KeywordField::Place],
                histogram: true,
                ordinals: Arc::clone(&ordinals),
                whole,
            };
            let fruit = searcher.search(&tantivy::query::AllQuery, &collector).unwrap();
            let dated: u64 = fruit.days.values().sum();
            assert_eq!(dated as usize, all.iter().filter(|article| article.published_at.is_some()).count());
            for (counts, kind) in fruit.fields.iter().zip([EntityKind::Person, EntityKind::Place]) {
                let named: HashMap<String, u64> = counts.named().unwrap().into_iter().collect();
                assert_eq!(named, expected(all, kind), "{kind:?}");
            }
            // The top values: most frequent first, ties by value, as sorting every count gives.
            let mut sorted: Vec<(String, u64)> = expected(all, EntityKind::Person).into_iter().collect();
            sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            for size in [0, 1, 3, 8, 100] {
                let top: Vec<(String, u64)> =
                    fruit.fields[0].top(size).unwrap().into_iter().map(|value| (value.value, value.count)).collect();
                assert_eq!(top, sorted.iter().take(size).cloned().collect::<Vec<_>>(), "top {size}");
            }
            searcher.segment_readers().len()
        };
        // Counted, then each whole segment's counts worked out once and read back (twice).
        for whole in [false, true, true] {
            assert!(count(&all, whole) > 1, "the counts come from several segments");
        }
        // New versions of old articles, with a person never seen: their old versions are deleted
        // in the older segments, and the new segment numbers its values after the others'.
        let mut renamed = articles(0, 30, 0);
        for article in &mut renamed {
            article.entities[0].name = "Renamed".into();
        }
        store.upsert_articles(&renamed).unwrap();
        index.catch_up(&store).unwrap();
        index.reload().unwrap();
        all.splice(0..30, renamed);
        for whole in [true, false, true] {
            count(&all, whole);
        }
    }
}

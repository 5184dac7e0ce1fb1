//! Exact facet counts and date histograms in one pass over the matching documents: term ordinals
//! counted per segment from the fast columns, turned into strings once per segment.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DateTime, DocId, Score, SegmentReader};

use super::request::{FacetCount, HistogramBucket, Interval};
use crate::index::schema::{CLUSTER, PUBLISHED_AT};
use crate::index::KeywordField;

/// Counts facet values for `fields` and, when asked, articles per day.
pub struct FacetCollector {
    pub fields: Vec<KeywordField>,
    pub histogram: bool,
}

/// Article counts by facet value. Hashed with Fx: the keys are the index's own values, hashed
/// once per value and segment (SipHash took a fifth of a match-all search with four facets at 1M).
pub type Counts = HashMap<String, u64, rustc_hash::FxBuildHasher>;

/// Counts from one segment or merged across segments.
#[derive(Debug, Default)]
pub struct FacetFruit {
    /// Per requested field (same order), value → article count.
    pub fields: Vec<Counts>,
    /// Days since 1970-01-01 → article count.
    pub days: HashMap<i64, u64>,
}

pub struct FacetSegmentCollector {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u32>>,
    dates: Option<Column<DateTime>>,
    days: DayCounts,
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
        for field in &self.fields {
            let column = fast_fields.str(field.name())?;
            counts.push(vec![0u32; column.as_ref().map(|column| column.num_terms()).unwrap_or(0)]);
            columns.push(column);
        }
        let dates = if self.histogram { Some(fast_fields.date(PUBLISHED_AT)?) } else { None };
        let days = DayCounts::for_dates(dates.as_ref());
        Ok(FacetSegmentCollector { columns, counts, dates, days })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut merged = FacetFruit { fields: vec![Counts::default(); self.fields.len()], days: HashMap::new() };
        for fruit in fruits {
            for (target, counts) in merged.fields.iter_mut().zip(fruit.fields) {
                for (value, count) in counts {
                    *target.entry(value).or_default() += count;
                }
            }
            for (day, count) in fruit.days {
                *merged.days.entry(day).or_default() += count;
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(column) = column {
                for ordinal in column.term_ords(doc) {
                    counts[ordinal as usize] += 1;
                }
            }
        }
        if let Some(dates) = &self.dates {
            if let Some(date) = dates.first(doc) {
                self.days.add(date.into_timestamp_secs().div_euclid(86_400));
            }
        }
    }

    fn harvest(self) -> FacetFruit {
        let mut fields = Vec::with_capacity(self.columns.len());
        for (column, counts) in self.columns.iter().zip(self.counts) {
            let mut values = Counts::default();
            if let Some(column) = column {
                // One sequential pass over the dictionary, not a block lookup per ordinal.
                let (ordinals, counted): (Vec<u64>, Vec<u64>) = counts
                    .into_iter()
                    .enumerate()
                    .filter(|(_, count)| *count > 0)
                    .map(|(ordinal, count)| (ordinal as u64, count as u64))
                    .unzip();
                let mut counted = counted.into_iter();
                let _ = column.dictionary().sorted_ords_to_term_cb(&ordinals, |bytes| {
                    if let (Ok(text), Some(count)) = (std::str::from_utf8(bytes), counted.next()) {
                        values.insert(text.to_string(), count);
                    }
                });
            }
            fields.push(values);
        }
        FacetFruit { fields, days: self.days.into_days() }
    }
}

/// The `size` most frequent values, most frequent first, ties by value.
pub fn top_values<S>(counts: HashMap<String, u64, S>, size: usize) -> Vec<FacetCount> {
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
}

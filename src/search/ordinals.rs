//! One number per facet value across every segment ("global ordinals", as Elasticsearch calls
//! them), so that counts from several segments add up without a string per value and segment.
//!
//! Each segment numbers its values by their place in its own dictionary. The first facet search
//! that meets a segment maps its numbers onto the numbers of one shared table of values, which
//! only grows; the map is kept for the segment, whose dictionary never changes. A search then
//! counts by segment number, adds the counts into the shared numbering with no hashing, and turns
//! into strings only the values it shows.
//!
//! A search over every article (the archive's own facets, a dashboard's first page) also finds
//! here what each segment's live articles count, by value and by day: a segment never changes
//! but by deletes, so its counts are worked out once per segment and number of deletes.
//!
//! And each segment's values per document, as two flat arrays ([`Forward`]), within a memory
//! budget: reading a document's values from Tantivy's columns costs several indirect calls per
//! document and field, which was most of a faceted search at a million articles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use rustc_hash::FxBuildHasher;
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;

use crate::error::{Error, Result};
use crate::index::KeywordField;

/// Segment maps kept per field; past this the oldest is dropped (and rebuilt if met again).
const SEGMENTS_KEPT: usize = 256;

/// The shared numbering of every keyword field's values, what whole segments count, and their
/// values document by document.
pub(crate) struct Ordinals {
    fields: [RwLock<FieldOrdinals>; KeywordField::ALL.len()],
    whole: Mutex<WholeSegments>,
    forward: Mutex<ForwardKept>,
    /// Bytes of [`Forward`] arrays kept at most.
    forward_budget: usize,
}

impl Default for Ordinals {
    fn default() -> Ordinals {
        Ordinals::with_forward_budget(FORWARD_BUDGET)
    }
}

/// One segment's values of one field, document by document: document `d`'s segment ordinals are
/// `ordinals[starts[d]..starts[d + 1]]`.
pub(crate) struct Forward {
    starts: Vec<u32>,
    ordinals: Vec<u32>,
}

impl Forward {
    /// The segment ordinals of `doc`'s values.
    #[inline]
    pub(crate) fn of(&self, doc: u32) -> &[u32] {
        let at = doc as usize;
        match (self.starts.get(at), self.starts.get(at + 1)) {
            (Some(&start), Some(&end)) => &self.ordinals[start as usize..end as usize],
            _ => &[],
        }
    }

    fn bytes(&self) -> usize {
        (self.starts.len() + self.ordinals.len()) * std::mem::size_of::<u32>()
    }
}

/// Bytes of [`Forward`] arrays kept over all segments and fields (about a million articles'
/// people, places, sources and topics); past it the oldest go, and a segment's field larger than
/// a quarter of it is read from its column.
const FORWARD_BUDGET: usize = 48 << 20;

#[derive(Default)]
struct ForwardKept {
    kept: HashMap<(SegmentId, KeywordField), (u64, Arc<Forward>), FxBuildHasher>,
    bytes: usize,
    added: u64,
}

/// What one segment's live articles all count: one field's values, or the days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tally {
    Field(KeywordField),
    Days,
}

/// A whole segment's counts: (shared number, count) of each value, or articles per day.
#[derive(Debug, Clone)]
pub(crate) enum Counted {
    Values(Arc<Vec<(u32, u32)>>),
    Days(Arc<HashMap<i64, u64>>),
}

/// Whole segments' counts kept, by segment, deletes and tally; past this the oldest goes.
const WHOLE_KEPT: usize = 512;

#[derive(Default)]
struct WholeSegments {
    kept: HashMap<(SegmentId, u32, Tally), (u64, Counted), FxBuildHasher>,
    added: u64,
}

/// One field's values in the order first met, and each segment's map onto them.
#[derive(Default)]
struct FieldOrdinals {
    ids: HashMap<Arc<str>, u32, FxBuildHasher>,
    values: Vec<Arc<str>>,
    segments: HashMap<SegmentId, (u64, Arc<[u32]>), FxBuildHasher>,
    /// Counts the maps built, to tell the oldest.
    built: u64,
}

/// A value not valid UTF-8 (the index only stores strings; never expected): counted under no name.
const UNNAMED: u32 = u32::MAX;

impl Ordinals {
    /// With at most `bytes` of values kept document by document (0: always read from columns).
    pub(crate) fn with_forward_budget(bytes: usize) -> Ordinals {
        Ordinals {
            fields: Default::default(),
            whole: Mutex::default(),
            forward: Mutex::default(),
            forward_budget: bytes,
        }
    }

    fn field(&self, field: KeywordField) -> &RwLock<FieldOrdinals> {
        let at = KeywordField::ALL.iter().position(|known| *known == field).unwrap_or(0);
        &self.fields[at]
    }

    /// The shared number of each of `column`'s values in `segment`, by the segment's number.
    pub(crate) fn segment(
        &self,
        field: KeywordField,
        segment: SegmentId,
        column: &StrColumn,
    ) -> tantivy::Result<Arc<[u32]>> {
        let lock = self.field(field);
        if let Some((_, map)) = lock.read().map_err(|_| poisoned())?.segments.get(&segment) {
            return Ok(Arc::clone(map));
        }
        let dictionary = column.dictionary();
        let mut keys = Vec::with_capacity(dictionary.num_terms());
        let mut stream = dictionary.stream()?;
        while stream.advance() {
            keys.push(std::str::from_utf8(stream.key()).ok().map(Arc::<str>::from));
        }
        let mut table = lock.write().map_err(|_| poisoned())?;
        let map: Arc<[u32]> = keys.into_iter().map(|key| key.map_or(UNNAMED, |key| table.id(key))).collect();
        table.built += 1;
        let built = table.built;
        table.segments.insert(segment, (built, Arc::clone(&map)));
        if table.segments.len() > SEGMENTS_KEPT {
            if let Some(oldest) = table.segments.iter().min_by_key(|(_, (built, _))| *built).map(|(id, _)| *id) {
                table.segments.remove(&oldest);
            }
        }
        Ok(map)
    }

    /// What the live articles of `segment` (with `deleted` deletes) count for `tally`, if known.
    pub(crate) fn whole(&self, segment: SegmentId, deleted: u32, tally: Tally) -> Option<Counted> {
        let whole = self.whole.lock().ok()?;
        whole.kept.get(&(segment, deleted, tally)).map(|(_, counted)| counted.clone())
    }

    /// Keeps what the live articles of `segment` (with `deleted` deletes) count for `tally`.
    pub(crate) fn keep_whole(&self, segment: SegmentId, deleted: u32, tally: Tally, counted: Counted) {
        let Ok(mut whole) = self.whole.lock() else { return };
        whole.added += 1;
        let added = whole.added;
        whole.kept.insert((segment, deleted, tally), (added, counted));
        if whole.kept.len() > WHOLE_KEPT {
            if let Some(oldest) = whole.kept.iter().min_by_key(|(_, (added, _))| *added).map(|(key, _)| *key) {
                whole.kept.remove(&oldest);
            }
        }
    }

    /// `column`'s values in `segment` document by document, built on first use; `None` when they
    /// do not fit the budget.
    pub(crate) fn forward(
        &self,
        field: KeywordField,
        segment: SegmentId,
        max_doc: u32,
        column: &StrColumn,
    ) -> Option<Arc<Forward>> {
        if let Some((_, forward)) = self.forward.lock().ok()?.kept.get(&(segment, field)) {
            return Some(Arc::clone(forward));
        }
        // A quarter of the budget at most for one segment's field (known before building).
        let values = column.ords().values.num_vals() as usize;
        if (max_doc as usize + 1 + values) * std::mem::size_of::<u32>() > self.forward_budget / 4 {
            return None;
        }
        let mut starts = Vec::with_capacity(max_doc as usize + 1);
        let mut ordinals = Vec::new();
        starts.push(0);
        for doc in 0..max_doc {
            ordinals.extend(column.term_ords(doc).map(|ordinal| ordinal as u32));
            starts.push(u32::try_from(ordinals.len()).ok()?);
        }
        ordinals.shrink_to_fit();
        let forward = Arc::new(Forward { starts, ordinals });
        let bytes = forward.bytes();
        let mut kept = self.forward.lock().ok()?;
        while kept.bytes + bytes > self.forward_budget {
            let Some(oldest) = kept.kept.iter().min_by_key(|(_, (added, _))| *added).map(|(key, _)| *key) else {
                break;
            };
            if let Some((_, gone)) = kept.kept.remove(&oldest) {
                kept.bytes -= gone.bytes();
            }
        }
        kept.added += 1;
        let added = kept.added;
        if let Some((_, replaced)) = kept.kept.insert((segment, field), (added, Arc::clone(&forward))) {
            kept.bytes -= replaced.bytes();
        }
        kept.bytes += bytes;
        Some(forward)
    }

    /// The values of the shared numbers `ids`, in the same order.
    pub(crate) fn names(&self, field: KeywordField, ids: impl Iterator<Item = u32>) -> Result<Vec<String>> {
        let table = self.field(field).read().map_err(|_| Error::Internal("facet ordinals lock poisoned".into()))?;
        Ok(ids.map(|id| table.values.get(id as usize).map(|value| value.to_string()).unwrap_or_default()).collect())
    }
}

fn poisoned() -> tantivy::TantivyError {
    tantivy::TantivyError::InternalError("facet ordinals lock poisoned".into())
}

impl FieldOrdinals {
    fn id(&mut self, value: Arc<str>) -> u32 {
        if let Some(id) = self.ids.get(&value) {
            return *id;
        }
        let id = self.values.len() as u32;
        self.values.push(Arc::clone(&value));
        self.ids.insert(value, id);
        id
    }
}

/// Whether `id` names a value (see [`UNNAMED`]).
pub(crate) fn named(id: u32) -> bool {
    id != UNNAMED
}

//! Where suggestions come from: each segment's keyword columns (entity names and their article
//! counts) and the newest articles' headlines, each cached while it stays valid.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::index::SegmentId;
use tantivy::query::AllQuery;
use tantivy::schema::{TantivyDocument, Value};
use tantivy::{DateTime, DocAddress, DocId, Order, Searcher, SegmentReader};

use super::{poisoned, Suggester, SuggestionKind};
use crate::index::schema::{KeywordField, PUBLISHED_AT};
use crate::index::SearchIndex;

/// One entity name as a segment's keyword column holds it, with the segment's live articles
/// naming it and the newest of their dates.
#[derive(Debug, Clone)]
pub(super) struct Named {
    pub(super) kind: SuggestionKind,
    pub(super) name: String,
    pub(super) count: u32,
    pub(super) newest: Option<i64>,
}

/// A segment's names, tallied for the deletes it had then.
pub(super) struct SegmentNames {
    deleted: u32,
    names: Arc<Vec<Named>>,
}

/// The headline of one of the newest articles.
#[derive(Debug)]
pub(super) struct Headline {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) published: Option<i64>,
}

impl Suggester {
    /// Every segment's names: tallied again only for a new segment or one with new deletes.
    pub(super) fn names_of(&self, searcher: &Searcher) -> crate::error::Result<Vec<Arc<Vec<Named>>>> {
        let mut cached = std::mem::take(&mut *self.names.lock().map_err(|_| poisoned())?);
        let mut kept = HashMap::new();
        let mut all = Vec::new();
        for segment in searcher.segment_readers() {
            let id = segment.segment_id();
            let deleted = segment.num_deleted_docs();
            let names = match cached.remove(&id) {
                Some(names) if names.deleted == deleted => names.names,
                _ => Arc::new(segment_names(segment)?),
            };
            all.push(Arc::clone(&names));
            kept.insert(id, SegmentNames { deleted, names });
        }
        *self.names.lock().map_err(|_| poisoned())? = kept;
        Ok(all)
    }

    /// The headlines of the newest live articles (by publication date), each read from the
    /// document store once while it stays among the newest.
    pub(super) fn newest_headlines(
        &self,
        index: &SearchIndex,
        searcher: &Searcher,
    ) -> crate::error::Result<Vec<Arc<Headline>>> {
        // Tantivy's top-n keeps room for twice the limit in each segment: no more than there are.
        let limit = self.newest_articles.min(searcher.num_docs() as usize);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let newest = TopDocs::with_limit(limit).order_by_fast_field::<DateTime>(PUBLISHED_AT, Order::Desc);
        let found = searcher.search(&AllQuery, &newest)?;
        let mut cached = std::mem::take(&mut *self.headlines.lock().map_err(|_| poisoned())?);
        let mut kept: HashMap<(SegmentId, DocId), Arc<Headline>> = HashMap::with_capacity(found.len());
        // What is not cached is read segment by segment, in document order.
        let mut missing: Vec<DocAddress> = Vec::new();
        for (_, address) in &found {
            let key = (searcher.segment_reader(address.segment_ord).segment_id(), address.doc_id);
            match cached.remove(&key) {
                Some(headline) => {
                    kept.insert(key, headline);
                }
                None => missing.push(*address),
            }
        }
        missing.sort_unstable();
        let fields = &index.fields;
        for group in missing.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
            let segment = searcher.segment_reader(group[0].segment_ord);
            let store = segment.get_store_reader(64)?;
            let dates = segment.fast_fields().date(PUBLISHED_AT)?;
            for address in group {
                let document: TantivyDocument = store.get(address.doc_id)?;
                let text = |field| document.get_first(field).and_then(|value| value.as_str()).unwrap_or("");
                let headline = Headline {
                    id: text(fields.id).to_string(),
                    title: text(fields.title).trim().to_string(),
                    published: dates.first(address.doc_id).map(|date| date.into_timestamp_secs()),
                };
                kept.insert((segment.segment_id(), address.doc_id), Arc::new(headline));
            }
        }
        let headlines = kept.values().cloned().collect();
        *self.headlines.lock().map_err(|_| poisoned())? = kept;
        Ok(headlines)
    }
}

/// The entity names of one segment's live articles, from its keyword columns: one pass over
/// the columns' ordinals, then one over their dictionaries.
fn segment_names(segment: &SegmentReader) -> crate::error::Result<Vec<Named>> {
    let fast = segment.fast_fields();
    let dates = fast.date(PUBLISHED_AT)?;
    let alive = segment.alive_bitset();
    let mut named = Vec::new();
    for (kind, field) in [
        (SuggestionKind::Person, KeywordField::Person),
        (SuggestionKind::Org, KeywordField::Org),
        (SuggestionKind::Place, KeywordField::Place),
    ] {
        let Some(column) = fast.str(field.name())? else { continue };
        let mut counts = vec![0u32; column.num_terms()];
        let mut newest: Vec<Option<i64>> = vec![None; column.num_terms()];
        for doc in 0..segment.max_doc() {
            if alive.is_some_and(|alive| !alive.is_alive(doc)) {
                continue;
            }
            let mut ordinals = column.term_ords(doc).peekable();
            if ordinals.peek().is_none() {
                continue;
            }
            let published = dates.first(doc).map(|date| date.into_timestamp_secs());
            for ordinal in ordinals {
                counts[ordinal as usize] += 1;
                newest[ordinal as usize] = newest[ordinal as usize].max(published);
            }
        }
        let ordinals: Vec<u64> =
            counts.iter().enumerate().filter(|(_, count)| **count > 0).map(|(ordinal, _)| ordinal as u64).collect();
        let mut at = ordinals.iter();
        column.dictionary().sorted_ords_to_term_cb(&ordinals, |bytes| {
            if let (Ok(name), Some(&ordinal)) = (std::str::from_utf8(bytes), at.next()) {
                named.push(Named {
                    kind,
                    name: name.to_string(),
                    count: counts[ordinal as usize],
                    newest: newest[ordinal as usize],
                });
            }
        })?;
    }
    Ok(named)
}

//! Cursors: deep paging that stays put while articles arrive. A cursor names the index snapshot
//! (searcher generation) its first page was read from and the ranking position of its last hit;
//! the snapshot is kept open for a while so that every page of one walk reads the same articles
//! with the same scores.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tantivy::{DocAddress, Searcher};

use super::ranking::Position;
use super::request::SearchRequest;
use crate::error::{Error, Result};

/// How long an unused snapshot stays open.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(10 * 60);
/// Snapshots kept open at most (the least recently used goes first).
const MAX_SNAPSHOTS: usize = 16;

/// A decoded cursor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub generation: u64,
    pub position: Position,
    /// The recency reference the walk started with (scores must not move between pages).
    pub reference_secs: i64,
    /// Which request it belongs to.
    pub fingerprint: u64,
}

impl Cursor {
    /// An opaque, URL-safe token. The generation is mixed with a number drawn when the process
    /// started, so a cursor from before a restart reads as expired, not as another snapshot.
    pub fn encode(&self) -> String {
        format!(
            "{:x}.{:x}.{:x}.{:x}.{:x}.{:x}",
            self.generation ^ process_nonce(),
            self.position.key.to_bits(),
            self.position.address.segment_ord,
            self.position.address.doc_id,
            self.reference_secs as u64,
            self.fingerprint
        )
    }

    pub fn decode(text: &str) -> Result<Cursor> {
        let bad = || Error::BadParameter("cursor is not a cursor this server issued".into());
        let parts: Vec<&str> = text.trim().split('.').collect();
        if parts.len() != 6 {
            return Err(bad());
        }
        let number = |index: usize| u64::from_str_radix(parts[index], 16).map_err(|_| bad());
        Ok(Cursor {
            generation: number(0)? ^ process_nonce(),
            position: Position {
                key: f64::from_bits(number(1)?),
                address: DocAddress::new(
                    u32::try_from(number(2)?).map_err(|_| bad())?,
                    u32::try_from(number(3)?).map_err(|_| bad())?,
                ),
            },
            reference_secs: number(4)? as i64,
            fingerprint: number(5)?,
        })
    }
}

/// A number fixed for the life of the process.
fn process_nonce() -> u64 {
    static NONCE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *NONCE.get_or_init(|| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        std::process::id().hash(&mut hasher);
        std::time::SystemTime::now().hash(&mut hasher);
        hasher.finish()
    })
}

/// What a cursor must agree with: the query, filters and order (not the page size, facets or
/// snippets, which may change between pages).
pub fn fingerprint(request: &SearchRequest) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    request.q.hash(&mut hasher);
    request.mode.hash(&mut hasher);
    request.match_any.hash(&mut hasher);
    for (field, values) in &request.filters {
        field.name().hash(&mut hasher);
        values.hash(&mut hasher);
    }
    request.from.map(|date| date.timestamp()).hash(&mut hasher);
    request.to.map(|date| date.timestamp()).hash(&mut hasher);
    (request.sort as u8).hash(&mut hasher);
    request.freshness.map(f64::to_bits).hash(&mut hasher);
    hasher.finish()
}

/// Index snapshots held open for cursors.
#[derive(Default)]
pub struct Snapshots {
    open: Mutex<HashMap<u64, (Searcher, Instant)>>,
}

impl Snapshots {
    /// Keeps `searcher` open and returns its generation.
    pub fn keep(&self, searcher: &Searcher) -> u64 {
        let generation = searcher.generation().generation_id();
        let now = Instant::now();
        if let Ok(mut open) = self.open.lock() {
            open.retain(|_, (_, used)| now.duration_since(*used) < SNAPSHOT_TTL);
            open.insert(generation, (searcher.clone(), now));
            while open.len() > MAX_SNAPSHOTS {
                let oldest = open.iter().min_by_key(|(_, (_, used))| *used).map(|(generation, _)| *generation);
                match oldest {
                    Some(oldest) => open.remove(&oldest),
                    None => break,
                };
            }
        }
        generation
    }

    /// The snapshot a cursor was issued on.
    pub fn get(&self, generation: u64) -> Result<Searcher> {
        let now = Instant::now();
        let mut open = self.open.lock().map_err(|_| Error::Internal("snapshot lock poisoned".into()))?;
        match open.get_mut(&generation) {
            Some((searcher, used)) if now.duration_since(*used) < SNAPSHOT_TTL => {
                *used = now;
                Ok(searcher.clone())
            }
            _ => Err(Error::BadParameter(
                "cursor expired (cursors last 10 minutes after their last use, and not across restarts): \
                 start again without a cursor"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor {
            generation: 7,
            position: Position { key: -1.5e300, address: DocAddress::new(3, 12_345) },
            reference_secs: -86_400,
            fingerprint: u64::MAX,
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::decode("not-a-cursor").is_err());
        assert!(Cursor::decode("1.2.3.4.5").is_err());
        assert!(Cursor::decode("1.2.ffffffffff.4.5.6").is_err());
    }
}

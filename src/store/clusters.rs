//! Near-duplicate clusters in the store: MinHash signatures kept per article, found again through
//! LSH band keys of the newest signatures kept in memory, and the cluster a new or changed article joins.

use rusqlite::{params, OptionalExtension, Transaction};

use super::Store;
use crate::error::Result;
use crate::model::signature::{self, Signature};
use crate::model::ArticleId;

/// Signatures the near-duplicate search keeps in memory: the newest this many (by when their
/// row was written). Older articles are not candidates: syndicated copies of a story arrive
/// within days of each other, and the memory stays bounded (about 170 bytes an article, under
/// 50 MB) however large the archive grows.
pub const WINDOW: usize = 1 << 18;
/// Signatures per generation of the window.
const GENERATION: usize = 1 << 16;

/// LSH band keys over the newest [`WINDOW`] signatures of `article_minhash`, read incrementally by
/// rowid inside each write transaction (so rows other processes added are seen before a batch is
/// clustered). A band key (its band folded in, 32 bits) maps to the rowid of the newest signature
/// that had it only: older ones sharing the band are most often copies of the same story, in its
/// cluster (when the newest changes or goes, they are no longer found through that band). Keys
/// are kept in generations of [`GENERATION`] signatures, the oldest dropped past the window: the
/// newest in a hash map while it fills, each full one sealed into a [`Sealed`] array (8 bytes a key
/// where the map took 18), so a look-up is one probe per band and generation.
/// Entries can be stale (an article changed or deleted since) or collide: a candidate is read
/// back and compared.
pub(super) struct Lsh {
    last_rowid: i64,
    /// Full generations, oldest first.
    sealed: std::collections::VecDeque<Sealed>,
    /// The generation taking new signatures.
    open: std::collections::HashMap<u32, u32>,
    /// Signatures in the open generation.
    newest: usize,
    window: usize,
    generation: usize,
}

impl Default for Lsh {
    fn default() -> Self {
        Lsh::with_window(WINDOW, GENERATION)
    }
}

impl Lsh {
    fn with_window(window: usize, generation: usize) -> Lsh {
        Lsh { last_rowid: 0, sealed: Default::default(), open: Default::default(), newest: 0, window, generation }
    }

    fn add(&mut self, rowid: i64, signature: &Signature) {
        let Ok(rowid) = u32::try_from(rowid) else { return };
        if self.newest >= self.generation {
            self.sealed.push_back(Sealed::from(std::mem::take(&mut self.open)));
            if self.sealed.len() >= self.window.div_ceil(self.generation) {
                self.sealed.pop_front();
            }
            self.newest = 0;
        }
        for key in band_keys(signature) {
            self.open.insert(key, rowid);
        }
        self.newest += 1;
    }

    /// Generations holding keys now, the open one included.
    #[cfg(test)]
    fn generations(&self) -> usize {
        self.sealed.len() + usize::from(!self.open.is_empty())
    }

    pub(super) fn refresh(&mut self, transaction: &Transaction<'_>) -> Result<()> {
        if self.last_rowid == 0 {
            // First use: start from the newest rows of the window, not the whole table.
            let newest: i64 =
                transaction.query_row("select coalesce(max(rowid), 0) from article_minhash", [], |row| row.get(0))?;
            self.last_rowid = (newest - self.window as i64).max(0);
        }
        let mut statement = transaction
            .prepare_cached("select rowid, signature from article_minhash where rowid > ?1 order by rowid")?;
        let rows =
            statement.query_map([self.last_rowid], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)))?;
        for row in rows {
            let (rowid, bytes) = row?;
            self.last_rowid = self.last_rowid.max(rowid);
            if let Some(signature) = Signature::from_bytes(&bytes) {
                self.add(rowid, &signature);
            }
        }
        Ok(())
    }

    /// The rowids of the signatures sharing a band with `signature`, newest first, each once.
    fn candidates(&self, signature: &Signature) -> Vec<u32> {
        let mut found = Vec::new();
        for key in band_keys(signature) {
            found.extend(self.open.get(&key).copied());
            found.extend(self.sealed.iter().filter_map(|sealed| sealed.get(key)));
        }
        found.sort_unstable_by(|a, b| b.cmp(a));
        found.dedup();
        found
    }
}

/// A full generation of band keys: (key, rowid) sorted by key, one entry per key, found through
/// the offsets of each value of the key's top [`SEALED_PREFIX_BITS`] bits (a binary search over
/// the whole array would miss the cache about ten times a look-up; a generation's keys spread
/// about 16 to a prefix, in two cache lines).
struct Sealed {
    keys: Vec<(u32, u32)>,
    starts: Vec<u32>,
}

const SEALED_PREFIX_BITS: u32 = 16;

impl From<std::collections::HashMap<u32, u32>> for Sealed {
    fn from(map: std::collections::HashMap<u32, u32>) -> Sealed {
        let mut keys: Vec<(u32, u32)> = map.into_iter().collect();
        keys.sort_unstable();
        let mut starts = Vec::with_capacity((1 << SEALED_PREFIX_BITS) + 1);
        let mut at = 0;
        for prefix in 0..=(1u32 << SEALED_PREFIX_BITS) {
            while at < keys.len() && (keys[at].0 >> (32 - SEALED_PREFIX_BITS)) < prefix {
                at += 1;
            }
            starts.push(at as u32);
        }
        Sealed { keys, starts }
    }
}

impl Sealed {
    fn get(&self, key: u32) -> Option<u32> {
        let prefix = (key >> (32 - SEALED_PREFIX_BITS)) as usize;
        let run = &self.keys[self.starts[prefix] as usize..self.starts[prefix + 1] as usize];
        run.iter().find(|(candidate, _)| *candidate == key).map(|(_, rowid)| *rowid)
    }
}

/// The signature's band keys with their band folded in, as the window keeps them.
fn band_keys(signature: &Signature) -> [u32; signature::BANDS] {
    let keys = signature.band_keys();
    std::array::from_fn(|band| {
        let mixed = (keys[band] as u64).wrapping_add((band as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        (mixed ^ (mixed >> 32)) as u32
    })
}

impl Store {
    /// The ids of the articles in a near-duplicate cluster, oldest first.
    pub fn cluster_members(&self, cluster_id: &ArticleId) -> Result<Vec<ArticleId>> {
        let mut statement =
            self.connection.prepare_cached("select id from articles where cluster_id = ?1 order by ingested_at, id")?;
        let ids = statement.query_map([cluster_id], |row| row.get(0))?.collect::<Result<Vec<ArticleId>, _>>()?;
        Ok(ids)
    }
}

/// MinHash signatures of many bodies, computed on all cores.
pub(super) fn signatures_of(bodies: &[&str]) -> Vec<Option<Signature>> {
    let workers = std::thread::available_parallelism().map(|cores| cores.get()).unwrap_or(1).max(1);
    if bodies.len() < 64 || workers == 1 {
        return bodies.iter().map(|body| Signature::of(body)).collect();
    }
    let chunk = bodies.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = bodies
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|body| Signature::of(body)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// The near-duplicate cluster of a new or changed article: the cluster of the most similar article
/// of the window at or above the threshold, found through the signature's LSH bands and confirmed
/// against the stored signature; its own otherwise (also when the body is too short to compare).
pub(super) fn cluster_for(
    transaction: &Transaction<'_>,
    lsh: &Lsh,
    id: &ArticleId,
    signature: Option<&Signature>,
) -> Result<ArticleId> {
    let Some(signature) = signature else { return Ok(id.clone()) };
    let mut statement = transaction.prepare_cached(
        "select m.article_id, coalesce(a.cluster_id, a.id), m.signature from article_minhash m
         join articles a on a.id = m.article_id where m.rowid = ?1",
    )?;
    let mut best: Option<(f64, ArticleId)> = None;
    for rowid in lsh.candidates(signature) {
        let row: Option<(ArticleId, ArticleId, Vec<u8>)> =
            statement.query_row([rowid], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?))).optional()?;
        let Some((other_id, other_cluster, bytes)) = row else { continue };
        let Some(other) = Signature::from_bytes(&bytes) else { continue };
        let similarity = signature.similarity(&other);
        if &other_id != id
            && similarity >= signature::THRESHOLD
            && best.as_ref().is_none_or(|(score, _)| similarity > *score)
        {
            best = Some((similarity, other_cluster));
        }
    }
    Ok(best.map(|(_, cluster)| cluster).unwrap_or_else(|| id.clone()))
}

/// Keeps an article's signature (replacing an old one) in the table and the in-memory buckets.
pub(super) fn record_signature(
    transaction: &Transaction<'_>,
    lsh: &mut Lsh,
    id: &ArticleId,
    signature: Option<Signature>,
    is_new: bool,
) -> Result<()> {
    if !is_new {
        transaction.prepare_cached("delete from article_minhash where article_id = ?1")?.execute([id])?;
    }
    if let Some(signature) = signature {
        transaction
            .prepare_cached("insert into article_minhash (article_id, signature) values (?1, ?2)")?
            .execute(params![id, signature.to_bytes()])?;
        let rowid = transaction.last_insert_rowid();
        lsh.last_rowid = lsh.last_rowid.max(rowid);
        lsh.add(rowid, &signature);
        // Signatures past the window are never compared again (an article that changes gets a
        // new one): a generation's worth of them is dropped at a time, so the table stays the
        // size of the window instead of growing with the archive (about 170 bytes an article).
        if rowid % lsh.generation as i64 == 0 {
            transaction
                .prepare_cached("delete from article_minhash where rowid <= ?1")?
                .execute([rowid - lsh.window as i64])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(number: usize) -> Signature {
        let words: Vec<String> = (0..40).map(|word| format!("w{number}x{word}")).collect();
        Signature::of(&words.join(" ")).expect("long enough")
    }

    #[test]
    fn the_window_finds_recent_signatures_and_forgets_old_ones() {
        let mut lsh = Lsh::with_window(8, 4);
        lsh.add(1, &story(1));
        assert_eq!(lsh.candidates(&story(1)), [1], "found while open");
        for rowid in 2..=5 {
            lsh.add(rowid, &story(rowid as usize));
        }
        assert_eq!(lsh.generations(), 2, "four signatures fill a generation");
        assert_eq!(lsh.candidates(&story(1)), [1], "found in an older generation");
        assert!(lsh.candidates(&story(99)).is_empty(), "an unrelated story has no candidates");
        for rowid in 6..=13 {
            lsh.add(rowid, &story(rowid as usize));
        }
        assert_eq!(lsh.generations(), 2, "at most the window is kept");
        assert!(lsh.candidates(&story(1)).is_empty(), "past the window");
        assert_eq!(lsh.candidates(&story(12)), [12]);
    }

    #[test]
    fn signatures_past_the_window_leave_the_table() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        connection
            .execute_batch("create table article_minhash (article_id text primary key, signature blob not null)")
            .unwrap();
        let mut lsh = Lsh::with_window(8, 4);
        let transaction = connection.transaction().unwrap();
        for number in 1..=30 {
            let id = ArticleId::of_source_key(&format!("story:{number}"));
            record_signature(&transaction, &mut lsh, &id, Some(story(number)), true).unwrap();
        }
        let (rows, oldest): (i64, i64) = transaction
            .query_row("select count(*), min(rowid) from article_minhash", [], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap();
        // Pruned at rowid 28 up to 20: the window's eight and the two written since remain.
        assert_eq!((rows, oldest), (10, 21));
        assert_eq!(lsh.candidates(&story(30)), [30]);
    }

    #[test]
    fn a_sealed_generation_finds_every_key_it_holds_and_no_other() {
        let map: std::collections::HashMap<u32, u32> =
            (0..5_000u32).map(|n| (n.wrapping_mul(0x9e37_79b9) ^ (n << 3), n)).collect();
        let sealed = Sealed::from(map.clone());
        for (key, rowid) in &map {
            assert_eq!(sealed.get(*key), Some(*rowid));
        }
        for edge in [0, 1, u32::MAX, u32::MAX - 1, 1 << 16, (1 << 16) - 1] {
            assert_eq!(sealed.get(edge), map.get(&edge).copied(), "{edge}");
        }
        let absent = (0..5_000u32).map(|n| n.wrapping_mul(0x85eb_ca6b) | 1).filter(|key| !map.contains_key(key));
        assert!(absent.take(1_000).all(|key| sealed.get(key).is_none()));
    }

    #[test]
    fn a_band_points_at_its_newest_signature() {
        let mut lsh = Lsh::with_window(8, 4);
        lsh.add(1, &story(7));
        lsh.add(2, &story(7));
        assert_eq!(lsh.candidates(&story(7)), [2]);
    }
}

//! Near-duplicate clusters in the store: MinHash signatures kept per article, found again through
//! in-memory LSH buckets, and the cluster a new or changed article joins.

use rusqlite::{params, OptionalExtension, Transaction};

use super::Store;
use crate::error::Result;
use crate::model::signature::{self, Signature};
use crate::model::ArticleId;

/// LSH buckets over the MinHash signatures in `article_minhash`, read incrementally by rowid
/// inside each write transaction (so rows other processes added are seen before a batch is
/// clustered). Entries can be stale (an article changed or deleted since): a match is confirmed
/// against the table before it is used.
#[derive(Default)]
pub(super) struct Lsh {
    last_rowid: i64,
    entries: Vec<(ArticleId, Signature)>,
    buckets: std::collections::HashMap<(u8, i64), Vec<u32>>,
}

impl Lsh {
    fn add(&mut self, id: ArticleId, signature: Signature) {
        let entry = self.entries.len() as u32;
        for (band, key) in signature.band_keys().into_iter().enumerate() {
            self.buckets.entry((band as u8, key)).or_default().push(entry);
        }
        self.entries.push((id, signature));
    }

    pub(super) fn refresh(&mut self, transaction: &Transaction<'_>) -> Result<()> {
        let mut statement = transaction.prepare_cached(
            "select rowid, article_id, signature from article_minhash where rowid > ?1 order by rowid",
        )?;
        let rows = statement.query_map([self.last_rowid], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, ArticleId>(1)?, row.get::<_, Vec<u8>>(2)?))
        })?;
        for row in rows {
            let (rowid, id, bytes) = row?;
            self.last_rowid = self.last_rowid.max(rowid);
            if let Some(signature) = Signature::from_bytes(&bytes) {
                self.add(id, signature);
            }
        }
        Ok(())
    }

    /// The most similar article at or above the threshold, if any (possibly stale).
    fn nearest(&self, id: &ArticleId, signature: &Signature) -> Option<(f64, &ArticleId, &Signature)> {
        let mut seen = std::collections::HashSet::new();
        let mut best: Option<(f64, &ArticleId, &Signature)> = None;
        for (band, key) in signature.band_keys().into_iter().enumerate() {
            for &entry in self.buckets.get(&(band as u8, key)).into_iter().flatten() {
                if !seen.insert(entry) {
                    continue;
                }
                let (other_id, other) = &self.entries[entry as usize];
                if other_id == id {
                    continue;
                }
                let similarity = signature.similarity(other);
                if similarity >= signature::THRESHOLD && best.is_none_or(|(score, _, _)| similarity > score) {
                    best = Some((similarity, other_id, other));
                }
            }
        }
        best
    }
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

/// The near-duplicate cluster of a new or changed article: the cluster of the most similar earlier
/// article at or above the threshold, found through the signature's LSH bands; its own otherwise
/// (also when the body is too short to compare).
pub(super) fn cluster_for(
    transaction: &Transaction<'_>,
    lsh: &Lsh,
    id: &ArticleId,
    signature: Option<&Signature>,
) -> Result<ArticleId> {
    let Some((_, nearest, nearest_signature)) = signature.and_then(|signature| lsh.nearest(id, signature)) else {
        return Ok(id.clone());
    };
    // Confirm the match against the table: the article may have changed or gone since.
    let current: Option<(ArticleId, Vec<u8>)> = transaction
        .prepare_cached(
            "select coalesce(a.cluster_id, a.id), m.signature from article_minhash m
             join articles a on a.id = m.article_id where m.article_id = ?1",
        )?
        .query_row([nearest], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(match current {
        Some((nearest_cluster, bytes)) if bytes == nearest_signature.to_bytes() => nearest_cluster,
        _ => id.clone(),
    })
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
        lsh.last_rowid = lsh.last_rowid.max(transaction.last_insert_rowid());
        lsh.add(id.clone(), signature);
    }
    Ok(())
}

//! The SQLite store: the source of truth. Migrations, article upserts with a change sequence,
//! entity/topic/author rows, and the ledger of ingestion runs.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::ingest::dedup::{self, Signature};
use crate::model::{Article, DateRule, Entity, EntityKind};

/// Migrations, embedded in the binary and applied once each, in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_clusters_and_deletes.sql")),
    (3, include_str!("../migrations/0003_feed_state.sql")),
];

/// What an upsert did with one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    New,
    Updated,
    Unchanged,
}

/// An article as the store holds it.
#[derive(Debug, Clone)]
pub struct StoredArticle {
    pub id: String,
    pub seq: i64,
    /// The near-duplicate cluster (story) the article belongs to: the id of its first article.
    pub cluster_id: String,
    pub ingested_at: String,
    pub updated_at: String,
    pub article: Article,
}

/// What `tidings watch` remembers about one feed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeedState {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetch_at: Option<String>,
    pub next_fetch_at: String,
    pub failures: i64,
    pub last_status: Option<String>,
    pub items_seen: i64,
}

/// One change of the store, in sequence order.
#[derive(Debug, Clone)]
pub enum Change {
    Written(Box<StoredArticle>),
    Deleted { id: String, seq: i64 },
}

impl Change {
    pub fn seq(&self) -> i64 {
        match self {
            Change::Written(stored) => stored.seq,
            Change::Deleted { seq, .. } => *seq,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Change::Written(stored) => &stored.id,
            Change::Deleted { id, .. } => id,
        }
    }
}

/// What an ingestion run counted.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct IngestCounts {
    pub read: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub date_unknown: u64,
}

/// A finished or running ingestion run, as the ledger holds it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct IngestRun {
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    #[serde(flatten)]
    pub counts: IngestCounts,
}

/// A connection to the store.
pub struct Store {
    connection: Connection,
    /// The near-duplicate candidate index, for the writes this connection makes.
    lsh: Lsh,
}

/// LSH buckets over the MinHash signatures in `article_minhash`, read incrementally by rowid
/// inside each write transaction (so rows other processes added are seen before a batch is
/// clustered). Entries can be stale (an article changed or deleted since): a match is confirmed
/// against the table before it is used.
#[derive(Default)]
struct Lsh {
    last_rowid: i64,
    entries: Vec<(String, Signature)>,
    buckets: std::collections::HashMap<(u8, i64), Vec<u32>>,
}

impl Lsh {
    fn add(&mut self, id: String, signature: Signature) {
        let entry = self.entries.len() as u32;
        for (band, key) in signature.band_keys().into_iter().enumerate() {
            self.buckets.entry((band as u8, key)).or_default().push(entry);
        }
        self.entries.push((id, signature));
    }

    fn refresh(&mut self, transaction: &Transaction<'_>) -> Result<()> {
        let mut statement = transaction.prepare_cached(
            "select rowid, article_id, signature from article_minhash where rowid > ?1 order by rowid",
        )?;
        let rows = statement.query_map([self.last_rowid], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, Vec<u8>>(2)?))
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
    fn nearest(&self, id: &str, signature: &Signature) -> Option<(f64, &str, &Signature)> {
        let mut seen = std::collections::HashSet::new();
        let mut best: Option<(f64, &str, &Signature)> = None;
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
                if similarity >= dedup::THRESHOLD && best.is_none_or(|(score, _, _)| similarity > score) {
                    best = Some((similarity, other_id, other));
                }
            }
        }
        best
    }
}

pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn format_date(date: &DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    /// Opens (creating if needed) the store at `path` in WAL mode and applies pending migrations.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(30))?;
        connection.pragma_update(None, "journal_mode", "wal")?;
        connection.pragma_update(None, "synchronous", "normal")?;
        connection.pragma_update(None, "foreign_keys", "on")?;
        // 64 MB of page cache: near-duplicate band lookups and inserts touch pages all over the b-trees.
        connection.pragma_update(None, "cache_size", -65536)?;
        let mut store = Store { connection, lsh: Lsh::default() };
        store.migrate()?;
        Ok(store)
    }

    /// Limits this connection's page cache to `kib` kibibytes (a reader that walks many articles
    /// once, such as an export, gains nothing from keeping them).
    pub fn limit_cache(&self, kib: u32) -> Result<()> {
        self.connection.pragma_update(None, "cache_size", -(kib as i64))?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let transaction = self.connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        transaction.execute_batch(
            "create table if not exists schema_migrations (version integer primary key, applied_at text not null)",
        )?;
        for (version, sql) in MIGRATIONS {
            let applied: bool = transaction.query_row(
                "select exists(select 1 from schema_migrations where version = ?1)",
                [version],
                |row| row.get(0),
            )?;
            if !applied {
                transaction.execute_batch(sql)?;
                transaction.execute(
                    "insert into schema_migrations (version, applied_at) values (?1, ?2)",
                    params![version, now_rfc3339()],
                )?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// The versions of the migrations applied, in order.
    pub fn applied_migrations(&self) -> Result<Vec<i64>> {
        let mut statement = self.connection.prepare("select version from schema_migrations order by version")?;
        let versions = statement.query_map([], |row| row.get(0))?.collect::<Result<Vec<i64>, _>>()?;
        Ok(versions)
    }

    /// Inserts or updates a batch of articles in one transaction. An article whose content hash is
    /// unchanged is left alone; every insert or change takes the next sequence number.
    pub fn upsert_articles(&mut self, articles: &[Article]) -> Result<Vec<Upsert>> {
        let transaction = self.connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut next_seq: i64 = max_seq_in(&transaction)? + 1;
        self.lsh.refresh(&transaction)?;
        let now = now_rfc3339();
        let mut outcomes = Vec::with_capacity(articles.len());
        let mut hashes = Vec::with_capacity(articles.len());
        for article in articles {
            let id = article.id();
            let hash = article.content_hash();
            let existing: Option<String> = transaction
                .prepare_cached("select content_hash from articles where id = ?1")?
                .query_row([&id], |row| row.get(0))
                .optional()?;
            outcomes.push(match existing {
                Some(existing_hash) if existing_hash == hash => Upsert::Unchanged,
                Some(_) => Upsert::Updated,
                None => Upsert::New,
            });
            hashes.push((id, hash));
        }
        // Signatures of the new and changed bodies, on all cores, before the writes.
        let changed: Vec<usize> = (0..articles.len()).filter(|index| outcomes[*index] != Upsert::Unchanged).collect();
        let signatures = signatures_of(&changed.iter().map(|index| articles[*index].body.as_str()).collect::<Vec<_>>());
        for (index, signature) in changed.into_iter().zip(signatures) {
            let (article, (id, hash), outcome) = (&articles[index], &hashes[index], outcomes[index]);
            let cluster = cluster_for(&transaction, &self.lsh, id, signature.as_ref())?;
            let row = Row { id, hash, cluster: &cluster, seq: next_seq, now: &now, is_new: outcome == Upsert::New };
            write_article(&transaction, &row, article)?;
            record_signature(&transaction, &mut self.lsh, id, signature, outcome == Upsert::New)?;
            if outcome == Upsert::New {
                transaction.prepare_cached("delete from tombstones where id = ?1")?.execute([id])?;
            }
            next_seq += 1;
        }
        transaction.commit()?;
        Ok(outcomes)
    }

    /// The highest change sequence in the store (0 when empty).
    pub fn max_seq(&self) -> Result<i64> {
        max_seq_in(&self.connection)
    }

    /// Deletes an article: its rows go, a tombstone takes the next sequence so the index drops it.
    /// `false` when there is no such article.
    pub fn delete_article(&mut self, id: &str) -> Result<bool> {
        let transaction = self.connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let seq = max_seq_in(&transaction)? + 1;
        let deleted = transaction.execute("delete from articles where id = ?1", [id])?;
        transaction.execute("delete from article_minhash where article_id = ?1", [id])?;
        if deleted > 0 {
            transaction.execute(
                "insert into tombstones (id, seq, deleted_at) values (?1, ?2, ?3)
                 on conflict (id) do update set seq = excluded.seq, deleted_at = excluded.deleted_at",
                params![id, seq, now_rfc3339()],
            )?;
        }
        transaction.commit()?;
        Ok(deleted > 0)
    }

    /// The changes after sequence `seq`, in order, at most `limit`: articles written and deleted.
    pub fn changes_after(&self, seq: i64, limit: usize) -> Result<Vec<Change>> {
        let written = self.articles_after(seq, limit)?;
        let mut statement =
            self.connection.prepare_cached("select id, seq from tombstones where seq > ?1 order by seq limit ?2")?;
        let deleted = statement
            .query_map(params![seq, limit as i64], |row| Ok(Change::Deleted { id: row.get(0)?, seq: row.get(1)? }))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut changes: Vec<Change> =
            written.into_iter().map(|stored| Change::Written(Box::new(stored))).chain(deleted).collect();
        changes.sort_by_key(Change::seq);
        changes.truncate(limit);
        Ok(changes)
    }

    /// The state `tidings watch` keeps for a feed.
    pub fn feed_state(&self, url: &str) -> Result<Option<FeedState>> {
        Ok(self
            .connection
            .prepare_cached(
                "select url, etag, last_modified, last_fetch_at, next_fetch_at, failures, last_status, items_seen
                 from feed_state where url = ?1",
            )?
            .query_row([url], |row| {
                Ok(FeedState {
                    url: row.get(0)?,
                    etag: row.get(1)?,
                    last_modified: row.get(2)?,
                    last_fetch_at: row.get(3)?,
                    next_fetch_at: row.get(4)?,
                    failures: row.get(5)?,
                    last_status: row.get(6)?,
                    items_seen: row.get(7)?,
                })
            })
            .optional()?)
    }

    pub fn save_feed_state(&self, state: &FeedState) -> Result<()> {
        self.connection
            .prepare_cached(
                "insert into feed_state (url, etag, last_modified, last_fetch_at, next_fetch_at, failures, last_status,
                 items_seen) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 on conflict (url) do update set etag = excluded.etag, last_modified = excluded.last_modified,
                 last_fetch_at = excluded.last_fetch_at, next_fetch_at = excluded.next_fetch_at,
                 failures = excluded.failures, last_status = excluded.last_status, items_seen = excluded.items_seen",
            )?
            .execute(params![
                state.url,
                state.etag,
                state.last_modified,
                state.last_fetch_at,
                state.next_fetch_at,
                state.failures,
                state.last_status,
                state.items_seen
            ])?;
        Ok(())
    }

    /// The ids of the articles in a near-duplicate cluster, oldest first.
    pub fn cluster_members(&self, cluster_id: &str) -> Result<Vec<String>> {
        let mut statement =
            self.connection.prepare_cached("select id from articles where cluster_id = ?1 order by ingested_at, id")?;
        let ids = statement.query_map([cluster_id], |row| row.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    pub fn count_articles(&self) -> Result<u64> {
        Ok(self.connection.query_row("select count(*) from articles", [], |row| row.get(0))?)
    }

    /// Up to `limit` articles changed after `seq`, in sequence order.
    pub fn articles_after(&self, seq: i64, limit: usize) -> Result<Vec<StoredArticle>> {
        let mut statement = self.connection.prepare_cached(
            "select id, seq, ingested_at, updated_at, source_key, url, title, body, published_at, date_rule, source, lang,
             cluster_id from articles where seq > ?1 order by seq limit ?2",
        )?;
        let rows = statement.query_map(params![seq, limit as i64], read_article_row)?;
        let mut articles = rows.collect::<Result<Vec<_>, _>>()?;
        self.attach_details(&mut articles)?;
        Ok(articles)
    }

    /// One article by tidings id.
    pub fn get_article(&self, id: &str) -> Result<Option<StoredArticle>> {
        let mut statement = self.connection.prepare_cached(
            "select id, seq, ingested_at, updated_at, source_key, url, title, body, published_at, date_rule, source, lang,
             cluster_id from articles where id = ?1",
        )?;
        let Some(article) = statement.query_row([id], read_article_row).optional()? else {
            return Ok(None);
        };
        let mut articles = vec![article];
        self.attach_details(&mut articles)?;
        Ok(articles.pop())
    }

    fn attach_details(&self, articles: &mut [StoredArticle]) -> Result<()> {
        let mut entities = self.connection.prepare_cached(
            "select kind, name, surfaces, mentions from article_entities where article_id = ?1 order by kind, mentions desc, name",
        )?;
        let mut topics =
            self.connection.prepare_cached("select topic from article_topics where article_id = ?1 order by topic")?;
        let mut authors = self
            .connection
            .prepare_cached("select author from article_authors where article_id = ?1 order by author")?;
        for stored in articles.iter_mut() {
            stored.article.entities = entities
                .query_map([&stored.id], |row| {
                    let kind: String = row.get(0)?;
                    let surfaces: String = row.get(2)?;
                    Ok(Entity {
                        kind: EntityKind::parse(&kind).unwrap_or(EntityKind::Org),
                        name: row.get(1)?,
                        surfaces: serde_json::from_str(&surfaces).unwrap_or_default(),
                        mentions: row.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            stored.article.topics = topics.query_map([&stored.id], |row| row.get(0))?.collect::<Result<_, _>>()?;
            stored.article.authors = authors.query_map([&stored.id], |row| row.get(0))?.collect::<Result<_, _>>()?;
        }
        Ok(())
    }

    /// The forms an entity was written in across all articles, most frequent first.
    pub fn entity_surfaces(&self, kind: EntityKind, name: &str) -> Result<Vec<String>> {
        let mut statement = self.connection.prepare_cached(
            "select surfaces, mentions from article_entities where kind = ?1 and name = ?2 collate nocase",
        )?;
        let mut counts: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        let rows = statement
            .query_map(params![kind.as_str(), name], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
        for row in rows {
            let (surfaces, _) = row?;
            for surface in serde_json::from_str::<Vec<String>>(&surfaces).unwrap_or_default() {
                *counts.entry(surface).or_default() += 1;
            }
        }
        let mut surfaces: Vec<(String, u64)> = counts.into_iter().collect();
        surfaces.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(surfaces.into_iter().map(|(surface, _)| surface).collect())
    }

    /// Opens a run in the ledger and returns its id.
    pub fn start_run(&self, paths: &[String]) -> Result<i64> {
        self.connection.execute(
            "insert into ingest_runs (started_at, paths) values (?1, ?2)",
            params![now_rfc3339(), serde_json::to_string(paths).unwrap_or_default()],
        )?;
        Ok(self.connection.last_insert_rowid())
    }

    /// Closes a run with its counts and rejections.
    pub fn finish_run(&mut self, run_id: i64, counts: &IngestCounts, rejections: &[(String, String)]) -> Result<()> {
        let transaction = self.connection.transaction()?;
        transaction.execute(
            "update ingest_runs set finished_at = ?2, read = ?3, new = ?4, updated = ?5, unchanged = ?6, rejected = ?7,
             date_unknown = ?8 where id = ?1",
            params![
                run_id,
                now_rfc3339(),
                counts.read as i64,
                counts.new as i64,
                counts.updated as i64,
                counts.unchanged as i64,
                counts.rejected as i64,
                counts.date_unknown as i64
            ],
        )?;
        for (location, reason) in rejections {
            transaction.execute(
                "insert into ingest_rejections (run_id, location, reason) values (?1, ?2, ?3)",
                params![run_id, location, reason],
            )?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// The most recent finished ingestion run.
    pub fn last_run(&self) -> Result<Option<IngestRun>> {
        Ok(self
            .connection
            .query_row(
                "select id, started_at, finished_at, read, new, updated, unchanged, rejected, date_unknown
                 from ingest_runs where finished_at is not null order by id desc limit 1",
                [],
                |row| {
                    Ok(IngestRun {
                        id: row.get(0)?,
                        started_at: row.get(1)?,
                        finished_at: row.get(2)?,
                        counts: IngestCounts {
                            read: row.get::<_, i64>(3)? as u64,
                            new: row.get::<_, i64>(4)? as u64,
                            updated: row.get::<_, i64>(5)? as u64,
                            unchanged: row.get::<_, i64>(6)? as u64,
                            rejected: row.get::<_, i64>(7)? as u64,
                            date_unknown: row.get::<_, i64>(8)? as u64,
                        },
                    })
                },
            )
            .optional()?)
    }

    /// Direct access for the benchmark and tests that compare against SQL.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

fn read_article_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredArticle> {
    let published_at: Option<String> = row.get(8)?;
    let date_rule: String = row.get(9)?;
    Ok(StoredArticle {
        id: row.get(0)?,
        seq: row.get(1)?,
        cluster_id: row.get::<_, Option<String>>(12)?.unwrap_or_else(|| row.get(0).unwrap_or_default()),
        ingested_at: row.get(2)?,
        updated_at: row.get(3)?,
        article: Article {
            source_key: row.get(4)?,
            url: row.get(5)?,
            title: row.get(6)?,
            body: row.get(7)?,
            published_at: published_at
                .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
                .map(|date| date.with_timezone(&Utc)),
            date_rule: DateRule::parse(&date_rule),
            source: row.get(10)?,
            lang: row.get(11)?,
            entities: Vec::new(),
            topics: Vec::new(),
            authors: Vec::new(),
        },
    })
}

/// MinHash signatures of many bodies, computed on all cores.
fn signatures_of(bodies: &[&str]) -> Vec<Option<Signature>> {
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

fn max_seq_in(connection: &Connection) -> Result<i64> {
    Ok(connection.query_row(
        "select max(coalesce((select max(seq) from articles), 0), coalesce((select max(seq) from tombstones), 0))",
        [],
        |row| row.get(0),
    )?)
}

/// The near-duplicate cluster of a new or changed article: the cluster of the most similar earlier
/// article at or above the threshold, found through the signature's LSH bands; its own otherwise
/// (also when the body is too short to compare).
fn cluster_for(transaction: &Transaction<'_>, lsh: &Lsh, id: &str, signature: Option<&Signature>) -> Result<String> {
    let Some((_, nearest, nearest_signature)) = signature.and_then(|signature| lsh.nearest(id, signature)) else {
        return Ok(id.to_string());
    };
    // Confirm the match against the table: the article may have changed or gone since.
    let current: Option<(String, Vec<u8>)> = transaction
        .prepare_cached(
            "select coalesce(a.cluster_id, a.id), m.signature from article_minhash m
             join articles a on a.id = m.article_id where m.article_id = ?1",
        )?
        .query_row([nearest], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(match current {
        Some((nearest_cluster, bytes)) if bytes == nearest_signature.to_bytes() => nearest_cluster,
        _ => id.to_string(),
    })
}

/// Keeps an article's signature (replacing an old one) in the table and the in-memory buckets.
fn record_signature(
    transaction: &Transaction<'_>,
    lsh: &mut Lsh,
    id: &str,
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
        lsh.add(id.to_string(), signature);
    }
    Ok(())
}

/// The bookkeeping columns of an article row being written.
struct Row<'a> {
    id: &'a str,
    hash: &'a str,
    cluster: &'a str,
    seq: i64,
    now: &'a str,
    is_new: bool,
}

fn write_article(transaction: &Transaction<'_>, row: &Row<'_>, article: &Article) -> Result<()> {
    let Row { id, hash, cluster, seq, now, is_new } = *row;
    let published_at = article.published_at.as_ref().map(format_date);
    // One upsert for new and changed articles; a change keeps the first ingestion time.
    transaction
        .prepare_cached(
            "insert into articles (id, source_key, url, content_hash, title, body, published_at, date_rule, source, lang,
             ingested_at, updated_at, seq, cluster_id) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)
             on conflict (id) do update set url = excluded.url, content_hash = excluded.content_hash,
             title = excluded.title, body = excluded.body, published_at = excluded.published_at,
             date_rule = excluded.date_rule, source = excluded.source, lang = excluded.lang,
             updated_at = excluded.updated_at, seq = excluded.seq, cluster_id = excluded.cluster_id",
        )?
        .execute(params![
            id,
            article.source_key,
            article.url,
            hash,
            article.title,
            article.body,
            published_at,
            article.date_rule.as_str(),
            article.source,
            article.lang,
            now,
            seq,
            cluster
        ])?;
    if !is_new {
        for table in ["article_entities", "article_topics", "article_authors"] {
            transaction.prepare_cached(&format!("delete from {table} where article_id = ?1"))?.execute([id])?;
        }
    }
    let mut insert_entity = transaction.prepare_cached(
        "insert into article_entities (article_id, kind, name, surfaces, mentions) values (?1, ?2, ?3, ?4, ?5)
         on conflict (article_id, kind, name) do update set mentions = mentions + excluded.mentions",
    )?;
    for entity in &article.entities {
        let surfaces = serde_json::to_string(&entity.surfaces).map_err(|error| Error::Internal(error.to_string()))?;
        insert_entity.execute(params![id, entity.kind.as_str(), entity.name, surfaces, entity.mentions])?;
    }
    let mut insert_topic =
        transaction.prepare_cached("insert or ignore into article_topics (article_id, topic) values (?1, ?2)")?;
    for topic in &article.topics {
        insert_topic.execute(params![id, topic])?;
    }
    let mut insert_author =
        transaction.prepare_cached("insert or ignore into article_authors (article_id, author) values (?1, ?2)")?;
    for author in &article.authors {
        insert_author.execute(params![id, author])?;
    }
    Ok(())
}

//! The SQLite store: the source of truth. Migrations, article upserts with a change sequence,
//! entity/topic/author rows, and the ledger of ingestion runs.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::model::{Article, DateRule, Entity, EntityKind};

/// Migrations, embedded in the binary and applied once each, in order.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/0001_initial.sql"))];

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
    pub ingested_at: String,
    pub updated_at: String,
    pub article: Article,
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
        let mut store = Store { connection };
        store.migrate()?;
        Ok(store)
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
        let mut next_seq: i64 =
            transaction.query_row("select coalesce(max(seq), 0) + 1 from articles", [], |row| row.get(0))?;
        let now = now_rfc3339();
        let mut outcomes = Vec::with_capacity(articles.len());
        for article in articles {
            let id = article.id();
            let hash = article.content_hash();
            let existing: Option<String> = transaction
                .prepare_cached("select content_hash from articles where id = ?1")?
                .query_row([&id], |row| row.get(0))
                .optional()?;
            let outcome = match existing {
                Some(existing_hash) if existing_hash == hash => Upsert::Unchanged,
                Some(_) => Upsert::Updated,
                None => Upsert::New,
            };
            if outcome != Upsert::Unchanged {
                write_article(&transaction, &id, &hash, article, next_seq, &now, outcome == Upsert::New)?;
                next_seq += 1;
            }
            outcomes.push(outcome);
        }
        transaction.commit()?;
        Ok(outcomes)
    }

    /// The highest change sequence in the store (0 when empty).
    pub fn max_seq(&self) -> Result<i64> {
        Ok(self.connection.query_row("select coalesce(max(seq), 0) from articles", [], |row| row.get(0))?)
    }

    pub fn count_articles(&self) -> Result<u64> {
        Ok(self.connection.query_row("select count(*) from articles", [], |row| row.get(0))?)
    }

    /// Up to `limit` articles changed after `seq`, in sequence order.
    pub fn articles_after(&self, seq: i64, limit: usize) -> Result<Vec<StoredArticle>> {
        let mut statement = self.connection.prepare_cached(
            "select id, seq, ingested_at, updated_at, source_key, url, title, body, published_at, date_rule, source, lang
             from articles where seq > ?1 order by seq limit ?2",
        )?;
        let rows = statement.query_map(params![seq, limit as i64], read_article_row)?;
        let mut articles = rows.collect::<Result<Vec<_>, _>>()?;
        self.attach_details(&mut articles)?;
        Ok(articles)
    }

    /// One article by tidings id.
    pub fn get_article(&self, id: &str) -> Result<Option<StoredArticle>> {
        let mut statement = self.connection.prepare_cached(
            "select id, seq, ingested_at, updated_at, source_key, url, title, body, published_at, date_rule, source, lang
             from articles where id = ?1",
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

fn write_article(
    transaction: &Transaction<'_>,
    id: &str,
    hash: &str,
    article: &Article,
    seq: i64,
    now: &str,
    is_new: bool,
) -> Result<()> {
    let published_at = article.published_at.as_ref().map(format_date);
    // One upsert for new and changed articles; a change keeps the first ingestion time.
    transaction
        .prepare_cached(
            "insert into articles (id, source_key, url, content_hash, title, body, published_at, date_rule, source, lang,
             ingested_at, updated_at, seq) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)
             on conflict (id) do update set url = excluded.url, content_hash = excluded.content_hash,
             title = excluded.title, body = excluded.body, published_at = excluded.published_at,
             date_rule = excluded.date_rule, source = excluded.source, lang = excluded.lang,
             updated_at = excluded.updated_at, seq = excluded.seq",
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
            seq
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

//! The SQLite store: the source of truth. Opening and migrations here; articles, near-duplicate
//! clusters, compressed bodies, the ingestion ledger and feed state in their own files; online
//! backups and restores in `backup.rs`.

mod articles;
mod backup;
mod bodies;
mod clusters;
mod feeds;
mod keys;
mod ledger;
mod values;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;
pub use articles::{Change, StoredArticle, Upsert};
pub use backup::{describe as describe_backup, restore, Copied};
pub use bodies::RawBody;
pub use feeds::FeedState;
pub use keys::StoredKey;
pub use ledger::{IngestCounts, IngestRun};

/// Migrations, embedded in the binary and applied once each, in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_initial.sql")),
    (2, include_str!("../../migrations/0002_clusters_and_deletes.sql")),
    (3, include_str!("../../migrations/0003_feed_state.sql")),
    (4, include_str!("../../migrations/0004_compact_store.sql")),
    (5, include_str!("../../migrations/0005_person_surnames.sql")),
    (6, include_str!("../../migrations/0006_entity_provenance.sql")),
    (7, include_str!("../../migrations/0007_api_keys.sql")),
];

/// A connection to the store.
pub struct Store {
    connection: Connection,
    /// The near-duplicate candidate index, for the writes this connection makes.
    lsh: clusters::Lsh,
    /// How this connection compresses and reads bodies.
    bodies: bodies::Bodies,
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
        let mut connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(30))?;
        // A new store gets 16 KB pages (an existing one keeps its own): rows of a few KB (a
        // compressed body and its columns) pack into them with little left over, where 4 KB
        // pages held one row and spilled larger ones to half-empty overflow pages.
        connection.pragma_update(None, "page_size", 16_384)?;
        connection.pragma_update(None, "journal_mode", "wal")?;
        connection.pragma_update(None, "synchronous", "normal")?;
        connection.pragma_update(None, "foreign_keys", "on")?;
        // 64 MB of page cache: near-duplicate band lookups and inserts touch pages all over the b-trees.
        connection.pragma_update(None, "cache_size", -65536)?;
        migrate(&mut connection)?;
        let bodies = bodies::Bodies::open(&connection)?;
        Ok(Store { connection, lsh: clusters::Lsh::default(), bodies })
    }

    /// Limits this connection's page cache to `kib` kibibytes (a reader that walks many articles
    /// once, such as an export, gains nothing from keeping them).
    pub fn limit_cache(&self, kib: u32) -> Result<()> {
        self.connection.pragma_update(None, "cache_size", -(kib as i64))?;
        Ok(())
    }

    /// The text of a `body` column read as [`RawBody`] (the bodies are compressed).
    pub fn decode_body(&self, raw: RawBody) -> Result<String> {
        self.bodies.decode(&self.connection, raw)
    }

    /// The versions of the migrations applied, in order.
    pub fn applied_migrations(&self) -> Result<Vec<i64>> {
        let mut statement = self.connection.prepare("select version from schema_migrations order by version")?;
        let versions = statement.query_map([], |row| row.get(0))?.collect::<Result<Vec<i64>, _>>()?;
        Ok(versions)
    }

    /// Runs `read` in one read transaction: everything it reads is the store at one moment,
    /// whatever is written meanwhile (the WAL keeps that moment for it).
    /// A transaction that fails to start or to read is rolled back as it is dropped, so no
    /// error leaves the connection inside an old moment.
    pub fn read_snapshot<T>(&self, read: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        let transaction = self.connection.unchecked_transaction()?;
        // The snapshot is taken at the first read: one page, whatever the store's size.
        self.connection.query_row("select 1 from articles limit 1", [], |_| Ok(())).optional()?;
        let value = read(self)?;
        transaction.commit()?;
        Ok(value)
    }

    /// The highest change sequence in the store (0 when empty).
    pub fn max_seq(&self) -> Result<i64> {
        max_seq_in(&self.connection)
    }

    /// What SQLite's integrity check finds wrong with the store file (empty when it is sound):
    /// pages, b-trees, indexes and constraints, every row read once.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut statement = self.connection.prepare("pragma integrity_check(20)")?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().filter(|row| row != "ok").collect())
    }

    /// Direct access for the benchmark and tests that compare against SQL.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

fn max_seq_in(connection: &Connection) -> Result<i64> {
    Ok(connection.query_row(
        "select max(coalesce((select max(seq) from articles), 0), coalesce((select max(seq) from tombstones), 0))",
        [],
        |row| row.get(0),
    )?)
}

fn migrate(connection: &mut Connection) -> Result<()> {
    let transaction = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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

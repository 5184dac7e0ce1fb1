//! What `tidings watch` remembers about each feed: validators, schedule, failures.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::Store;
use crate::error::Result;

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

impl Store {
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

    /// Feeds `tidings watch` follows, how many failed their last poll, and their consecutive
    /// failures added up.
    pub fn feed_health(&self) -> Result<(u64, u64, u64)> {
        Ok(self.connection.query_row(
            "select count(*), coalesce(sum(failures > 0), 0), coalesce(sum(failures), 0) from feed_state",
            [],
            |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64, row.get::<_, i64>(2)? as u64)),
        )?)
    }
}

//! The ledger of ingestion runs: when each ran, what it counted, what it rejected and why.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use super::{now_rfc3339, Store};
use crate::error::Result;

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

impl Store {
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

    /// Finished runs and what they counted, over the whole ledger (for `/metrics`: these only grow).
    pub fn ledger_totals(&self) -> Result<(u64, IngestCounts)> {
        Ok(self.connection.query_row(
            "select count(*), coalesce(sum(read), 0), coalesce(sum(new), 0), coalesce(sum(updated), 0),
             coalesce(sum(unchanged), 0), coalesce(sum(rejected), 0), coalesce(sum(date_unknown), 0)
             from ingest_runs where finished_at is not null",
            [],
            |row| {
                let number = |column| row.get::<_, i64>(column).map(|value| value as u64);
                Ok((
                    number(0)?,
                    IngestCounts {
                        read: number(1)?,
                        new: number(2)?,
                        updated: number(3)?,
                        unchanged: number(4)?,
                        rejected: number(5)?,
                        date_unknown: number(6)?,
                    },
                ))
            },
        )?)
    }
}

//! What an ingestion run reports: the counts of the ledger and each rejected record with its
//! location and reason.

use serde::Serialize;

use super::Record;
use crate::model::Article;
use crate::store::{IngestCounts, Upsert};

/// Rejections a report lists with their location and reason at most (the rest are counted): a
/// file of millions of bad lines must not fill memory or the ledger.
pub const MAX_LISTED_REJECTIONS: usize = 10_000;

/// What a run did: the counts of the report and each rejection with its location (the
/// first [`MAX_LISTED_REJECTIONS`] of them).
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub files: u64,
    pub bytes: u64,
    #[serde(flatten)]
    pub counts: IngestCounts,
    pub rejections: Vec<Rejection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub location: String,
    pub reason: String,
}

impl IngestReport {
    /// The human-readable report the CLI prints.
    pub fn render(&self) -> String {
        let mut out = format!(
            "files {}  read {}  new {}  updated {}  unchanged {}  rejected {}  date unknown {}\n",
            self.files,
            self.counts.read,
            self.counts.new,
            self.counts.updated,
            self.counts.unchanged,
            self.counts.rejected,
            self.counts.date_unknown
        );
        for rejection in &self.rejections {
            out.push_str(&format!("rejected {}: {}\n", rejection.location, rejection.reason));
        }
        let unlisted = self.counts.rejected.saturating_sub(self.rejections.len() as u64);
        if unlisted > 0 {
            out.push_str(&format!("… and {unlisted} more rejections, not listed\n"));
        }
        out
    }

    /// Counts records (read, rejected, date unknown), lists the rejections, and returns the
    /// accepted articles.
    pub fn tally(&mut self, records: Vec<Record>) -> Vec<Article> {
        let mut articles = Vec::with_capacity(records.len());
        for record in records {
            self.counts.read += 1;
            match record.result {
                Ok(article) => {
                    self.counts.date_unknown += u64::from(article.published_at.is_none());
                    articles.push(article);
                }
                Err(reason) => self.reject(record.location, reason),
            }
        }
        articles
    }

    /// Adds the store's outcomes (new, updated, unchanged).
    pub fn count_outcomes(&mut self, outcomes: Vec<Upsert>) {
        for outcome in outcomes {
            match outcome {
                Upsert::New => self.counts.new += 1,
                Upsert::Updated => self.counts.updated += 1,
                Upsert::Unchanged => self.counts.unchanged += 1,
            }
        }
    }

    /// A file that could not be read at all.
    pub fn reject_file(&mut self, location: String, reason: String) {
        self.reject(location, reason);
    }

    fn reject(&mut self, location: String, reason: String) {
        self.counts.rejected += 1;
        if self.rejections.len() < MAX_LISTED_REJECTIONS {
            self.rejections.push(Rejection { location, reason });
        }
    }

    /// The rejections as the ledger keeps them: (location, reason).
    pub fn ledger_rejections(&self) -> Vec<(String, String)> {
        self.rejections.iter().map(|rejection| (rejection.location.clone(), rejection.reason.clone())).collect()
    }
}

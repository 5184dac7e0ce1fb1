//! Ingestion: sources (JSON Lines, Reuters SGML, feeds, saved HTML and text pages) read into
//! records, extraction (main text, dates, language), and the one pipeline that stores them, hands
//! them to the index and records each run in the ledger. A bad record is rejected with
//! `file:line` and a reason; it never stops the batch. `watch` polls feeds through the same
//! pipeline.

pub mod dates;
pub mod dump;
pub mod feeds;
pub mod files;
pub mod html;
pub mod jsonl;
pub mod lang;
pub mod page;
pub mod pipeline;
pub mod report;
pub mod reuters;
pub mod text;
pub mod urls;
pub mod watch;

use crate::model::Article;

pub use files::{decode_text, expand_paths, parse_file, Format};
pub use pipeline::{extract_entities, ingest_and_index, reextract_and_index, IndexHandOff, Ingested, Ingestor};
pub use report::{IngestReport, Rejection};

/// One record read from a file: an article, or the reason it was rejected.
#[derive(Debug)]
pub struct Record {
    /// `file:line` of the record.
    pub location: String,
    pub result: Result<Article, String>,
}

impl Record {
    pub fn accepted(location: String, article: Article) -> Record {
        Record { location, result: Ok(article) }
    }

    pub fn rejected(location: String, reason: impl Into<String>) -> Record {
        Record { location, result: Err(reason.into()) }
    }
}

/// When the entity extractor runs on a record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExtractPolicy {
    /// Only on records that carry no entities of their own.
    #[default]
    Auto,
    /// On every record; what it finds joins the record's own entities.
    Always,
    /// Never: only the entities records carry.
    Never,
}

/// Options for one ingestion run.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// When to run the entity extractor.
    pub extract: ExtractPolicy,
    /// Source name for records that do not carry one (JSON without `source`, text pages).
    pub default_source: Option<String>,
    /// Draw a progress bar (only when stderr is a terminal).
    pub progress: bool,
    /// Records and bytes of input per batch at most (`ingest_batch_records`, `ingest_batch_bytes`).
    pub batch_records: usize,
    pub batch_bytes: usize,
}

impl IngestOptions {
    /// The defaults with the batch limits of `settings`.
    pub fn from_settings(settings: &crate::config::Settings) -> IngestOptions {
        IngestOptions {
            batch_records: settings.ingest_batch_records.max(1),
            batch_bytes: settings.ingest_batch_bytes.max(1),
            ..IngestOptions::default()
        }
    }
}

impl Default for IngestOptions {
    fn default() -> Self {
        let settings = crate::config::Settings::default();
        IngestOptions {
            extract: ExtractPolicy::default(),
            default_source: None,
            progress: false,
            batch_records: settings.ingest_batch_records,
            batch_bytes: settings.ingest_batch_bytes,
        }
    }
}

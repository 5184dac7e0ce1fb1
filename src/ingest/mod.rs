//! Ingestion: read files in any supported format, extract articles, store them, report.
//! A bad record is rejected with `file:line` and a reason; it never stops the batch.

pub mod aliases;
pub mod dates;
pub mod dedup_eval;
pub mod entities;
pub mod extraction_eval;
pub mod feeds;
pub mod html;
pub mod jsonl;
pub mod lang;
pub mod page;
pub mod reuters;
pub mod text;
pub mod urls;

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::Article;
use crate::store::{IngestCounts, Store, Upsert};
use aliases::Aliases;
use entities::EntityExtractor;

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

/// The input formats, detected by extension or content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    ReutersSgml,
    /// RSS, Atom or JSON Feed.
    Feed,
    /// A saved web page.
    Html,
    Text,
}

impl Format {
    /// Detects a file's format from its name (a `.gz` suffix is looked through), then its content.
    pub fn detect(path: &Path, content: &[u8]) -> Format {
        let name = path.file_name().map(|name| name.to_string_lossy().to_lowercase()).unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let extension = name.rsplit_once('.').map(|(_, extension)| extension).unwrap_or("");
        let head = String::from_utf8_lossy(&content[..content.len().min(4096)]);
        match extension {
            "json" if feeds::looks_like_feed(&head) => return Format::Feed,
            "jsonl" | "ndjson" | "json" => return Format::JsonLines,
            "sgm" | "sgml" => return Format::ReutersSgml,
            "rss" | "atom" | "rdf" | "feed" => return Format::Feed,
            "html" | "htm" | "xhtml" => return Format::Html,
            _ => {}
        }
        let trimmed = head.trim_start_matches('\u{feff}').trim_start();
        if feeds::looks_like_feed(&head) {
            Format::Feed
        } else if trimmed.starts_with('{') {
            Format::JsonLines
        } else if trimmed.starts_with("<!DOCTYPE lewis") || head.contains("<REUTERS") {
            Format::ReutersSgml
        } else if page::looks_like_html(&head) {
            Format::Html
        } else {
            Format::Text
        }
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
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// When to run the entity extractor.
    pub extract: ExtractPolicy,
    /// Source name for records that do not carry one (JSON without `source`, text pages).
    pub default_source: Option<String>,
    /// Draw a progress bar (only when stderr is a terminal).
    pub progress: bool,
}

/// What a run did: the counts of the report and each rejection with its location.
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
        out
    }
}

/// Files under a directory that ingestion reads: data files, not documentation.
fn is_data_file(path: &Path) -> bool {
    let name = path.file_name().map(|name| name.to_string_lossy().to_lowercase()).unwrap_or_default();
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    let skipped_names = ["readme", "license", "licence", "source", "checksums", "copying"];
    if skipped_names.iter().any(|skipped| base.starts_with(skipped)) || name.starts_with('.') {
        return false;
    }
    [
        ".jsonl", ".ndjson", ".json", ".sgm", ".sgml", ".txt", ".text", ".rss", ".atom", ".rdf", ".xml", ".feed",
        ".html", ".htm", ".xhtml",
    ]
    .iter()
    .any(|extension| base.ends_with(extension))
}

/// Expands the given paths: files as given, directories walked (sorted) for data files.
pub fn expand_paths(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> =
                std::fs::read_dir(path)?.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
            entries.sort();
            for entry in entries {
                if entry.is_dir() {
                    files.extend(expand_paths(&[entry])?);
                } else if is_data_file(&entry) {
                    files.push(entry);
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Reads a file, decompressing `.gz` transparently.
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let raw = std::fs::read(path)?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut decoded = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut decoded)?;
        return Ok(decoded);
    }
    Ok(raw)
}

/// UTF-8 when valid; otherwise latin-1 (every byte is a character), as Reuters' one stray byte needs.
pub fn decode_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => error.into_bytes().iter().map(|&byte| byte as char).collect(),
    }
}

/// Parses one file's bytes into records.
pub fn parse_file(path: &Path, bytes: Vec<u8>, options: &IngestOptions) -> Vec<Record> {
    let display = path.display().to_string();
    let source = options.default_source.as_deref();
    match Format::detect(path, &bytes) {
        Format::JsonLines => {
            // Decode line by line so one line with bad bytes is the only one rejected.
            let mut records = Vec::new();
            for (index, line) in bytes.split(|byte| *byte == b'\n').enumerate() {
                match std::str::from_utf8(line) {
                    Ok(line) if line.trim().is_empty() => {}
                    Ok(line) => {
                        let location = format!("{display}:{}", index + 1);
                        records.push(match jsonl::parse_line(line, source.unwrap_or("unknown")) {
                            Ok(article) => Record::accepted(location, article),
                            Err(reason) => Record::rejected(location, reason),
                        });
                    }
                    Err(error) => records.push(Record::rejected(
                        format!("{display}:{}", index + 1),
                        format!("line is not valid UTF-8: {error}"),
                    )),
                }
            }
            records
        }
        Format::ReutersSgml => reuters::parse(&display, &decode_text(bytes)),
        Format::Feed => {
            let context = feeds::FeedContext { url: None, source: options.default_source.clone(), fetched_at: None };
            feeds::parse(&display, &bytes, &context)
        }
        Format::Html => {
            let context = page::PageContext {
                url: None,
                source: options.default_source.clone(),
                fetched_at: modified_time(path),
                fetched_rule: Some(crate::model::DateRule::FileMtime),
            };
            vec![match page::parse(&display, &bytes, &context) {
                Ok(article) => Record::accepted(format!("{display}:1"), article),
                Err(reason) => Record::rejected(format!("{display}:1"), reason),
            }]
        }
        Format::Text => {
            let modified = modified_time(path);
            let text = decode_text(bytes);
            if text.contains('\u{0}') {
                return vec![Record::rejected(
                    format!("{display}:1"),
                    "binary file (contains NUL bytes), not a text page",
                )];
            }
            vec![match text::parse(&display, &text, source.unwrap_or("web"), modified) {
                Ok(article) => Record::accepted(format!("{display}:1"), article),
                Err(reason) => Record::rejected(format!("{display}:1"), reason),
            }]
        }
    }
}

fn modified_time(path: &Path) -> Option<DateTime<Utc>> {
    std::fs::metadata(path).and_then(|metadata| metadata.modified()).ok().map(DateTime::<Utc>::from)
}

/// Runs the whole ingestion: every file, extraction, the store, the ledger.
pub fn ingest_paths(
    store: &mut Store,
    paths: &[PathBuf],
    extractor: &dyn EntityExtractor,
    options: &IngestOptions,
) -> Result<IngestReport> {
    ingest_paths_with(store, paths, extractor, options, &mut |_| Ok(()))
}

/// [`ingest_paths`], calling `after_store` each time a batch is in the store (the CLI hands the
/// changes to the index writer there, so indexing overlaps the next file's extraction).
pub fn ingest_paths_with(
    store: &mut Store,
    paths: &[PathBuf],
    extractor: &dyn EntityExtractor,
    options: &IngestOptions,
    after_store: &mut dyn FnMut(&Store) -> Result<()>,
) -> Result<IngestReport> {
    let files = expand_paths(paths)?;
    let run_id = store.start_run(&paths.iter().map(|path| path.display().to_string()).collect::<Vec<_>>())?;
    let mut report = IngestReport { files: files.len() as u64, ..IngestReport::default() };
    let progress = progress_bar(options.progress, &files);
    let mut stored_batch: Option<Vec<Article>> = None;
    for path in &files {
        progress.set_message(path.file_name().map(|name| name.to_string_lossy().to_string()).unwrap_or_default());
        let bytes = match read_file(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                report.counts.rejected += 1;
                report.rejections.push(Rejection {
                    location: format!("{}:0", path.display()),
                    reason: format!("cannot read file: {error}"),
                });
                continue;
            }
        };
        report.bytes += bytes.len() as u64;
        progress.inc(bytes.len() as u64);
        let mut articles = tally(parse_file(path, bytes, options), &mut report.counts, &mut report.rejections);
        // The previous file's articles are stored while this file's are extracted.
        let previous = stored_batch.take();
        let outcomes = std::thread::scope(|scope| {
            let storing = previous.map(|batch| {
                let store = &mut *store;
                scope.spawn(move || store.upsert_articles(&batch))
            });
            extract_entities(&mut articles, extractor, options.extract);
            storing
                .map(|handle| handle.join().map_err(|_| Error::Internal("the store writer panicked".into()))?)
                .transpose()
        })?;
        if let Some(outcomes) = outcomes {
            count_outcomes(&mut report.counts, outcomes);
            after_store(store)?;
        }
        stored_batch = Some(articles);
    }
    if let Some(batch) = stored_batch {
        count_outcomes(&mut report.counts, store.upsert_articles(&batch)?);
        after_store(store)?;
    }
    progress.finish_and_clear();
    let rejections: Vec<(String, String)> =
        report.rejections.iter().map(|rejection| (rejection.location.clone(), rejection.reason.clone())).collect();
    store.finish_run(run_id, &report.counts, &rejections)?;
    Ok(report)
}

/// Counts records into `counts` (read, rejected, date unknown), lists the rejections, and returns
/// the accepted articles.
pub fn tally(records: Vec<Record>, counts: &mut IngestCounts, rejections: &mut Vec<Rejection>) -> Vec<Article> {
    let mut articles = Vec::with_capacity(records.len());
    for record in records {
        counts.read += 1;
        match record.result {
            Ok(article) => {
                counts.date_unknown += u64::from(article.published_at.is_none());
                articles.push(article);
            }
            Err(reason) => {
                counts.rejected += 1;
                rejections.push(Rejection { location: record.location, reason });
            }
        }
    }
    articles
}

/// Adds the store's outcomes (new, updated, unchanged) to `counts`.
pub fn count_outcomes(counts: &mut IngestCounts, outcomes: Vec<Upsert>) {
    for outcome in outcomes {
        match outcome {
            Upsert::New => counts.new += 1,
            Upsert::Updated => counts.updated += 1,
            Upsert::Unchanged => counts.unchanged += 1,
        }
    }
}

/// Runs the extractor where the policy says, on all cores, and stores entities under their
/// canonical names.
pub fn extract_entities(articles: &mut [Article], extractor: &dyn EntityExtractor, policy: ExtractPolicy) {
    let workers = std::thread::available_parallelism().map(|cores| cores.get()).unwrap_or(1).max(1);
    let chunk = articles.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        for part in articles.chunks_mut(chunk) {
            scope.spawn(move || {
                for article in part {
                    let run_extractor = match policy {
                        ExtractPolicy::Auto => article.entities.is_empty(),
                        ExtractPolicy::Always => true,
                        ExtractPolicy::Never => false,
                    };
                    if run_extractor {
                        let found = extractor.extract(&article.title, &article.body);
                        article.entities.extend(found);
                    }
                    article.entities = Aliases::global().canonicalise(std::mem::take(&mut article.entities));
                }
            });
        }
    });
}

fn progress_bar(enabled: bool, files: &[PathBuf]) -> ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let total: u64 = files.iter().filter_map(|path| std::fs::metadata(path).ok()).map(|metadata| metadata.len()).sum();
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

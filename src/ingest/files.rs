//! Input files: which are data, how they are read (`.gz` looked through, bytes decoded) and which
//! source parser turns each format into records.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{feeds, jsonl, page, reuters, text, IngestOptions, Record};

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
pub(crate) fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
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

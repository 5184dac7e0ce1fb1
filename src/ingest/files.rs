//! Input files: which are data, how they are read (`.gz` looked through, bytes decoded) and which
//! source parser turns each format into records.

use std::io::{BufRead, Read};
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
    /// The format a file's name alone says (a `.gz` suffix is looked through); `None` when the
    /// content must tell (`.json` may be a JSON Feed, other names anything).
    pub fn by_name(path: &Path) -> Option<Format> {
        let name = path.file_name().map(|name| name.to_string_lossy().to_lowercase()).unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let extension = name.rsplit_once('.').map(|(_, extension)| extension).unwrap_or("");
        match extension {
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            "sgm" | "sgml" => Some(Format::ReutersSgml),
            "rss" | "atom" | "rdf" | "feed" => Some(Format::Feed),
            "html" | "htm" | "xhtml" => Some(Format::Html),
            _ => None,
        }
    }

    /// Detects a file's format from its name (a `.gz` suffix is looked through), then its content.
    pub fn detect(path: &Path, content: &[u8]) -> Format {
        if let Some(format) = Format::by_name(path) {
            return format;
        }
        let name = path.file_name().map(|name| name.to_string_lossy().to_lowercase()).unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let head = String::from_utf8_lossy(&content[..content.len().min(4096)]);
        if name.ends_with(".json") {
            return if feeds::looks_like_feed(&head) { Format::Feed } else { Format::JsonLines };
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

/// A JSON line longer than this is rejected unread (skipped to its end).
pub const MAX_LINE_BYTES: usize = 64 << 20;
/// Formats read as one document (SGML, feeds, pages) are read whole up to this size; a larger
/// file is rejected with what to do instead.
pub const MAX_WHOLE_FILE_BYTES: u64 = 256 << 20;

/// A file read as batches of records: JSON Lines streamed line by line (a batch at a time, a
/// `.gz` decompressed as it is read; the pipeline stores one batch while the next is read and
/// extracted, so memory holds two batches whatever the file's size), every other format read
/// whole and parsed at once.
pub struct FileBatches {
    display: String,
    state: State,
    /// Records and bytes of input a batch holds at most.
    records: usize,
    bytes: u64,
}

enum State {
    Lines {
        reader: Box<dyn BufRead>,
        line: usize,
        source: String,
    },
    /// A file read whole: its records and its size.
    Whole(Vec<Record>, u64),
    Done,
}

/// One batch: the records and the bytes of input they came from.
pub struct Batch {
    pub records: Vec<Record>,
    pub bytes: u64,
}

/// Opens a file for reading in batches: `.gz` looked through, the format detected from the name
/// and the first bytes. An unreadable file is an error for the caller to report.
pub fn read_batches(path: &Path, options: &IngestOptions) -> std::io::Result<FileBatches> {
    let display = path.display().to_string();
    let mut raw = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let gzipped = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut decoded: Box<dyn BufRead> = if gzipped {
        Box::new(std::io::BufReader::with_capacity(1 << 20, flate2::bufread::MultiGzDecoder::new(raw)))
    } else {
        Box::new(std::io::BufReader::with_capacity(1 << 20, raw))
    };
    // Unless the name says it, the format is told by the first 4 KB (one buffer of a
    // decompressor may hold less), which are then read again in front of the rest. A name that
    // says it starts at once (a pipe being written need not fill 4 KB first).
    let mut head = Vec::with_capacity(4096);
    if Format::by_name(path).is_none() {
        decoded.by_ref().take(4096).read_to_end(&mut head)?;
    }
    let format = Format::detect(path, &head);
    let mut reader: Box<dyn BufRead> = Box::new(std::io::Cursor::new(head).chain(decoded));
    let state = match format {
        Format::JsonLines => {
            State::Lines { reader, line: 0, source: options.default_source.clone().unwrap_or_else(|| "unknown".into()) }
        }
        _ => {
            let mut bytes = Vec::new();
            reader.by_ref().take(MAX_WHOLE_FILE_BYTES + 1).read_to_end(&mut bytes)?;
            if bytes.len() as u64 > MAX_WHOLE_FILE_BYTES {
                let rejection = Record::rejected(
                    format!("{display}:0"),
                    format!(
                        "file too large: {format:?} files are read whole, at most {} MB; split it, or convert it to \
                         JSON Lines, which is read as a stream",
                        MAX_WHOLE_FILE_BYTES >> 20
                    ),
                );
                State::Whole(vec![rejection], 0)
            } else {
                let length = bytes.len() as u64;
                State::Whole(parse_file(path, bytes, options), length)
            }
        }
    };
    Ok(FileBatches { display, state, records: options.batch_records.max(1), bytes: options.batch_bytes.max(1) as u64 })
}

impl Iterator for FileBatches {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Done => None,
            State::Whole(records, bytes) => Some(Batch { records, bytes }),
            State::Lines { mut reader, mut line, source } => {
                let mut batch = Batch { records: Vec::new(), bytes: 0 };
                let mut buffer = Vec::new();
                let mut finished = false;
                while batch.records.len() < self.records && batch.bytes < self.bytes {
                    buffer.clear();
                    line += 1;
                    let location = || format!("{}:{line}", self.display);
                    match read_line(&mut reader, &mut buffer, MAX_LINE_BYTES) {
                        Ok(Line::End) => {
                            finished = true;
                            break;
                        }
                        Ok(Line::Read(length)) => {
                            batch.bytes += length;
                            if let Some(record) = json_line(location(), &buffer, &source) {
                                batch.records.push(record);
                            }
                        }
                        Ok(Line::TooLong(length)) => {
                            batch.bytes += length;
                            batch.records.push(Record::rejected(
                                location(),
                                format!("line longer than {} MB, not read", MAX_LINE_BYTES >> 20),
                            ));
                        }
                        Err(error) => {
                            batch.records.push(Record::rejected(location(), format!("cannot read further: {error}")));
                            finished = true;
                            break;
                        }
                    }
                }
                if !finished {
                    self.state = State::Lines { reader, line, source };
                }
                (!batch.records.is_empty() || !finished || batch.bytes > 0).then_some(batch)
            }
        }
    }
}

enum Line {
    /// A line (without its newline) is in the buffer; the bytes it took.
    Read(u64),
    /// A line over [`MAX_LINE_BYTES`], skipped; the bytes it took.
    TooLong(u64),
    End,
}

/// Reads one line into `buffer`, never holding more than `max` bytes of it.
fn read_line(reader: &mut dyn BufRead, buffer: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    let mut taken = 0u64;
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(match (taken, too_long) {
                (0, _) => Line::End,
                (_, true) => Line::TooLong(taken),
                _ => Line::Read(taken),
            });
        }
        let (chunk, ends) = match available.iter().position(|byte| *byte == b'\n') {
            Some(at) => (&available[..at], Some(at + 1)),
            None => (available, None),
        };
        if !too_long && buffer.len() + chunk.len() <= max {
            buffer.extend_from_slice(chunk);
        } else {
            too_long = true;
            buffer.clear();
        }
        let consumed = ends.unwrap_or(available.len());
        taken += consumed as u64;
        reader.consume(consumed);
        if ends.is_some() {
            return Ok(if too_long { Line::TooLong(taken) } else { Line::Read(taken) });
        }
    }
}

/// One JSON line as a record (`None` for a blank line); a line with bad bytes is the only one
/// rejected.
fn json_line(location: String, bytes: &[u8], source: &str) -> Option<Record> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    Some(match std::str::from_utf8(bytes) {
        Ok(line) if line.trim().is_empty() => return None,
        Ok(line) => match jsonl::parse_line(line, source) {
            Ok(article) => Record::accepted(location, article),
            Err(reason) => Record::rejected(location, reason),
        },
        Err(error) => Record::rejected(location, format!("line is not valid UTF-8: {error}")),
    })
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
        Format::JsonLines => bytes
            .split(|byte| *byte == b'\n')
            .enumerate()
            .filter_map(|(index, line)| {
                json_line(format!("{display}:{}", index + 1), line, source.unwrap_or("unknown"))
            })
            .collect(),
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

#[cfg(test)]
mod stream_tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn an_over_long_line_is_skipped_without_being_held() {
        let mut reader = std::io::Cursor::new(b"short\nmuch too long a line\nlast".to_vec());
        let mut buffer = Vec::new();
        assert!(matches!(read_line(&mut reader, &mut buffer, 8).unwrap(), Line::Read(6)));
        assert_eq!(buffer, b"short");
        buffer.clear();
        assert!(matches!(read_line(&mut reader, &mut buffer, 8).unwrap(), Line::TooLong(21)));
        assert!(buffer.is_empty(), "nothing of the long line kept");
        assert!(matches!(read_line(&mut reader, &mut buffer, 8).unwrap(), Line::Read(4)));
        assert_eq!(buffer, b"last");
        buffer.clear();
        assert!(matches!(read_line(&mut reader, &mut buffer, 8).unwrap(), Line::End));
    }

    #[test]
    fn a_gzipped_json_lines_file_streams_in_batches_with_its_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("articles.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), Default::default());
        for number in 1..=25 {
            if number == 12 {
                writeln!(encoder, "{{broken").unwrap();
            } else if number == 20 {
                writeln!(encoder).unwrap();
            } else {
                writeln!(encoder, r#"{{"id":"{number}","title":"Story {number}","body":"Text {number}."}}"#).unwrap();
            }
        }
        encoder.finish().unwrap();
        let options = IngestOptions { batch_records: 10, ..IngestOptions::default() };
        let batches: Vec<Batch> = read_batches(&path, &options).unwrap().collect();
        let sizes: Vec<usize> = batches.iter().map(|batch| batch.records.len()).collect();
        assert_eq!(sizes, [10, 10, 4], "the blank line 20 makes no record");
        let rejected: Vec<&str> = batches
            .iter()
            .flat_map(|batch| &batch.records)
            .filter(|record| record.result.is_err())
            .map(|record| record.location.as_str())
            .collect();
        assert_eq!(rejected.len(), 1);
        assert!(rejected[0].ends_with("articles.jsonl.gz:12"), "{rejected:?}");
        let last = batches[2].records.last().unwrap();
        assert!(last.location.ends_with(":25"), "{}", last.location);
        let decoded: u64 = batches.iter().map(|batch| batch.bytes).sum();
        let plain: u64 = (1..=25)
            .map(|number: u64| match number {
                12 => 8,
                20 => 1,
                _ => {
                    format!(r#"{{"id":"{number}","title":"Story {number}","body":"Text {number}."}}"#).len() as u64 + 1
                }
            })
            .sum();
        assert_eq!(decoded, plain, "bytes count the decompressed input");
    }
}

//! Phase 1: all of Reuters-21578 ingested by `tidings ingest` in a child process (parse, entities,
//! store, index, commit), once as users run it and once with the tagger on every story.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::process::{directory_bytes, file_bytes, mb, wait_with_peak_rss};
use super::Bench;
use crate::error::{Error, Result};

/// The ingest table's rows; the default ingest lands in `bench.data_dir`.
pub fn phase(bench: &Bench, articles: impl Fn() -> Result<u64>) -> Result<Vec<String>> {
    eprintln!("bench: ingesting {} Reuters files…", bench.files.len());
    let input_bytes: u64 = bench.files.iter().map(|file| file_bytes(file)).sum();
    let default = timed_ingest(&bench.exe, &bench.data_dir, &[], &bench.files)?;
    let articles = articles()?;
    let mut rows = vec![
        "## Ingest (all 22 Reuters-21578 files)".into(),
        String::new(),
        "| articles | seconds | docs/s | MB/s | index size | store size | peak RSS |".into(),
        "|---|---|---|---|---|---|---|".into(),
        default.row(&articles.to_string(), articles, input_bytes),
    ];
    // The same ingest with the entity tagger run on every story (its findings merged with the
    // Reuters tags), in a data directory of its own.
    let always = timed_ingest(&bench.exe, &bench.work.join("data-extract"), &["--extract", "always"], &bench.files)?;
    rows.push(always.row(&format!("{articles} (`--extract always`: tagger on every story)"), articles, input_bytes));
    rows.push(String::new());
    Ok(rows)
}

/// One timed ingest: how long it took, what it left on disk, its peak memory.
pub struct Timed {
    pub seconds: f64,
    pub index_bytes: u64,
    pub store_bytes: u64,
    pub peak_rss: u64,
}

impl Timed {
    fn row(&self, label: &str, articles: u64, input_bytes: u64) -> String {
        format!(
            "| {label} | {:.2} | {:.0} | {:.1} | {:.1} MB | {:.1} MB | {:.0} MB |",
            self.seconds,
            articles as f64 / self.seconds,
            mb(input_bytes) / self.seconds,
            mb(self.index_bytes),
            mb(self.store_bytes),
            mb(self.peak_rss)
        )
    }
}

/// `tidings ingest` of `files` into `data_dir` in a child process, timed; its peak RSS read with
/// `wait4` (this child's own, not the peak of every child so far).
pub fn timed_ingest(exe: &Path, data_dir: &Path, flags: &[&str], files: &[PathBuf]) -> Result<Timed> {
    let started = Instant::now();
    let child = ingest_command(exe, data_dir).args(flags).args(files).spawn()?;
    let (status, peak_rss) = wait_with_peak_rss(child)?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        let command = ["ingest"].into_iter().chain(flags.iter().copied()).collect::<Vec<_>>().join(" ");
        return Err(Error::Internal(format!("{command} failed: {status}")));
    }
    Ok(Timed {
        seconds,
        index_bytes: directory_bytes(&data_dir.join("tantivy")),
        store_bytes: file_bytes(&data_dir.join("tidings.sqlite3")),
        peak_rss,
    })
}

/// `tidings --data-dir DIR ingest`, its output discarded.
pub fn ingest_command(exe: &Path, data_dir: &Path) -> Command {
    let mut command = Command::new(exe);
    command.arg("--data-dir").arg(data_dir).arg("ingest").stdout(Stdio::null());
    command
}

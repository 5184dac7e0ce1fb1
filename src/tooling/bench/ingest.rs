//! Phase 1: all of Reuters-21578 ingested by `tidings ingest` in a child process (parse, entities,
//! store, index, commit), once as users run it and once with the tagger on every story.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::process::{children_peak_rss, directory_bytes, file_bytes, mb};
use super::Bench;
use crate::error::{Error, Result};

/// The ingest table's rows; the default ingest lands in `bench.data_dir`.
pub fn phase(bench: &Bench, articles: impl Fn() -> Result<u64>) -> Result<Vec<String>> {
    eprintln!("bench: ingesting {} Reuters files…", bench.files.len());
    let input_bytes: u64 = bench.files.iter().map(|file| file_bytes(file)).sum();
    let default = timed_ingest(bench, &bench.data_dir, &[])?;
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
    let always = timed_ingest(bench, &bench.work.join("data-extract"), &["--extract", "always"])?;
    rows.push(always.row(&format!("{articles} (`--extract always`: tagger on every story)"), articles, input_bytes));
    rows.push(String::new());
    Ok(rows)
}

/// One timed ingest: how long it took, what it left on disk, its peak memory.
struct Timed {
    seconds: f64,
    index_bytes: u64,
    store_bytes: u64,
    peak_rss: u64,
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

fn timed_ingest(bench: &Bench, data_dir: &Path, flags: &[&str]) -> Result<Timed> {
    let started = Instant::now();
    let status = ingest_command(&bench.exe, data_dir).args(flags).args(&bench.files).status()?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_rss = children_peak_rss();
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

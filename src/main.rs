//! The `tidings` binary: parse the command line, set up tracing, run, turn errors into exit codes.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tidings::cli::LogFormat;
use tracing_subscriber::EnvFilter;

/// mimalloc: searches allocate many small, short-lived buffers; measured in BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = tidings::cli::Cli::parse();
    let default_level =
        if matches!(cli.command, tidings::cli::Command::Serve { .. } | tidings::cli::Command::Quickstart { .. }) {
            "info,tantivy=warn,html5ever=error"
        } else {
            "warn,html5ever=error"
        };
    let filter = EnvFilter::try_from_env("TIDINGS_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match cli.log_format {
        // Colour codes only where a person reads them: not in a file, a pipe or journald.
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).init(),
    }
    match tidings::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

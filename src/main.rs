//! The `tidings` binary: parse the command line, set up tracing, run, turn errors into exit codes.

use std::process::ExitCode;

use clap::Parser;
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
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("TIDINGS_LOG").unwrap_or_else(|_| EnvFilter::new(default_level)))
        .with_writer(std::io::stderr)
        .init();
    match tidings::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

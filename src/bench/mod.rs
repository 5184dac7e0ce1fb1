//! The benchmark command.
use crate::config::Settings;
use crate::error::Result;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {}

pub fn run(_settings: &Settings, _args: BenchArgs) -> Result<()> {
    Ok(())
}

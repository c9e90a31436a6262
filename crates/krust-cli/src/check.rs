//! `krust check`.

use std::process::ExitCode;

/// Arguments of `krust check`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `krust check`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("krust check is not implemented yet")
}

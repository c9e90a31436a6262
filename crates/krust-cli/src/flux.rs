//! `krust flux`.

use std::process::ExitCode;

/// Arguments of `krust flux`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `krust flux`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("krust flux is not implemented yet")
}

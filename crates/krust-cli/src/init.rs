//! `krust init`.

use std::process::ExitCode;

/// Arguments of `krust init`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `krust init`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("krust init is not implemented yet")
}

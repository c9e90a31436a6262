//! `krust argo`.

use std::process::ExitCode;

/// Arguments of `krust argo`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `krust argo`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("krust argo is not implemented yet")
}

//! `krust sops`.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `krust sops`.
#[derive(clap::Args)]
pub struct Args {
    /// The SOPS file.
    #[arg(required = false)]
    pub file: Option<PathBuf>,
}

/// Runs `krust sops`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("krust sops is not implemented yet")
}

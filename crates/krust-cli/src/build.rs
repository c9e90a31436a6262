//! `krust build`.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `krust build`.
#[derive(clap::Args)]
pub struct Args {
    /// The kustomization directory to build.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// Runs `krust build`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("krust build is not implemented yet")
}

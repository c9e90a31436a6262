//! The `krust` binary: argument parsing and reporting only; the work happens in the library crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// krust — build, verify and document the Git repository of a GitOps-managed k3s cluster.
#[derive(Parser)]
#[command(name = "krust", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {}
}

//! `krust init`: generate a GitOps k3s repository from `cluster.toml`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

/// Arguments of `krust init`.
#[derive(clap::Args)]
pub struct Args {
    /// The cluster config.
    #[arg(long, short, default_value = "cluster.toml")]
    config: PathBuf,
    /// Output repository directory.
    #[arg(long, short, default_value = ".")]
    out: PathBuf,
    /// The cluster's age identity; created (outside the repository) when missing.
    /// Default: ~/.config/sops/age/<cluster>.agekey.
    #[arg(long)]
    age_key: Option<PathBuf>,
    /// Print the commented example config (write it with `> cluster.toml`) and exit.
    #[arg(long)]
    example: bool,
    /// Only validate the config.
    #[arg(long)]
    check: bool,
    /// Show what would change without writing.
    #[arg(long)]
    dry_run: bool,
    /// Overwrite generated files you edited.
    #[arg(long)]
    force: bool,
}

/// Runs `krust init`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.example {
        print!("{}", krust_init::EXAMPLE);
        return Ok(ExitCode::SUCCESS);
    }
    let text = std::fs::read_to_string(&args.config).with_context(|| {
        format!(
            "reading {} (create one with `krust init --example > cluster.toml`)",
            args.config.display()
        )
    })?;
    let cfg = match krust_init::load(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if args.check {
        println!("{}: valid", args.config.display());
        return Ok(ExitCode::SUCCESS);
    }
    let key_path = match args.age_key {
        Some(p) => p,
        None => {
            let home = std::env::var_os("HOME").context("HOME is not set; pass --age-key")?;
            PathBuf::from(home)
                .join(".config/sops/age")
                .join(format!("{}.agekey", cfg.cluster.name))
        }
    };
    let (_, recipient, created) = if args.dry_run && !key_path.exists() {
        (String::new(), "age1dryrun".to_string(), false)
    } else {
        krust_init::ensure_age_key(&key_path, &args.out)?
    };
    if created {
        eprintln!(
            "created age key {} (recipient {recipient}); back it up, it never goes into Git",
            key_path.display()
        );
    }
    let rendered = krust_init::render(&cfg, &recipient);
    let plan = krust_init::plan(&rendered, &args.out, args.force);
    let mut n = 0;
    for (path, action) in plan.changes() {
        println!("{:<10} {path}", action.label());
        n += 1;
    }
    let unchanged = plan.actions.len() - n;
    if args.dry_run {
        println!("dry run: {n} change(s), {unchanged} unchanged; nothing written");
        return Ok(ExitCode::SUCCESS);
    }
    krust_init::apply(&rendered, &plan, &args.out, &recipient, &|v| {
        std::env::var(v).ok()
    })?;
    println!(
        "{}: {n} change(s), {unchanged} unchanged",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

//! `krust build`: build a kustomization directory, as `kustomize build` does.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use krust_kustomize::{BuildOptions, DefaultOrder, LoadRestrictor, Workspace};

/// Arguments of `krust build`.
#[derive(clap::Args)]
#[command(
    about = "Build a kustomization directory, byte-identical to `kustomize build`",
    long_about = "Build a kustomization directory and print the resulting objects as a YAML \
stream, byte-for-byte as `kustomize build` (v5) prints them.\n\n\
DIR must contain exactly one of kustomization.yaml, kustomization.yml or Kustomization. \
Resources, bases (directories listed in `resources:`), components, configMapGenerator / \
secretGenerator and the builtin transformers are applied in kustomize's order.\n\n\
Remote references are fetched as kustomize fetches them: `https://` files with a GET, git \
repositories (`github.com/org/repo//dir?ref=v1`, `https://host/org/repo.git//dir`, \
`git@host:org/repo`, `ssh://…`, `file:///path/repo`) cloned shallowly with the `git` program. \
Each is fetched once per run. With --offline every network reference fails at once with an \
error naming the URL (local `file://` repositories still work).\n\n\
On failure krust prints one line naming the file it was reading and exits with status 1.",
    after_help = "Examples:\n  \
krust build overlays/prod                   # print to stdout\n  \
krust build overlays/prod -o prod.yaml      # write to a file\n  \
krust build apps --load-restrictor LoadRestrictionsNone   # allow files outside DIR\n  \
krust build base --reorder none             # keep input order (no legacy sort)\n  \
krust build overlays/prod --offline         # never touch the network"
)]
pub struct Args {
    /// The kustomization directory to build.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Write the output to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Which files a kustomization may read: `LoadRestrictionsRootOnly` (default: only files in
    /// or below the kustomization's directory) or `LoadRestrictionsNone` (any file).
    #[arg(
        long = "load-restrictor",
        value_name = "RESTRICTOR",
        default_value = "LoadRestrictionsRootOnly",
        value_parser = parse_restrictor
    )]
    pub load_restrictor: LoadRestrictor,

    /// Output order when the kustomization has no `sortOptions`: `legacy` (default, as
    /// kustomize: Namespaces, CRDs, RBAC, ConfigMaps… first, webhooks last) or `none` (input
    /// order).
    #[arg(long, value_name = "ORDER", default_value = "legacy", value_parser = ["legacy", "none"])]
    pub reorder: String,

    /// Never use the network: remote files and git bases fail at once with an error naming the
    /// URL instead of waiting for a time-out.
    #[arg(long)]
    pub offline: bool,
}

fn parse_restrictor(s: &str) -> Result<LoadRestrictor, String> {
    s.parse()
}

/// Runs `krust build`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ws = Workspace::new().offline(args.offline);
    let options = BuildOptions {
        load_restrictor: args.load_restrictor,
        default_order: if args.reorder == "none" {
            DefaultOrder::Fifo
        } else {
            DefaultOrder::Legacy
        },
        ..BuildOptions::default()
    };
    let yaml = match krust_kustomize::build_to_string(&ws, &args.dir, &options) {
        Ok(y) => y,
        Err(e) => {
            let msg = e.message.trim_end().replace('\n', " ");
            match &e.path {
                Some(p) => anyhow::bail!("{}: {msg}", p.display()),
                None => anyhow::bail!("{}: {msg}", args.dir.display()),
            }
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, yaml.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: cannot write output: {e}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(yaml.as_bytes()).and_then(|()| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    anyhow::bail!("writing to stdout: {e}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

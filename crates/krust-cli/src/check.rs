//! `krust check`: one offline pass that finds what wedges a GitOps cluster.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use krust_check::output::{self, Format, RunInfo};
use krust_check::{all_rules, input, Config, Options, Severity};

/// Arguments of `krust check`.
#[derive(clap::Args)]
#[command(
    about = "Check a repository offline: schema, secrets, images, ordering, policy, network",
    long_about = "Check a GitOps repository offline, in one pass, for what wedges a cluster: \
objects that fail schema validation, plain Secrets and credentials in values, floating images \
and chart versions, broken Flux ordering (dependsOn, healthChecks, CRDs, namespaces), \
substitution traps, workload policy, network policies that cut DNS, and removed APIs.\n\n\
PATH may be a repository root (Flux Kustomizations and Argo CD Applications are recognised), a \
kustomization directory (built as `kustomize build` would), or a manifest file or folder. \
The first line on stderr says which was found. A repository with Flux Kustomizations is \
rendered as the cluster renders it (`krust flux build`: generated kustomizations, spec fields, \
postBuild substitution from the repository's ConfigMaps and Secrets) and the rendered objects \
are checked; files no rendered Kustomization applies are checked as written. SOPS-encrypted \
values are opaque: no keys are needed. Findings about a field point at that field's line.\n\n\
Configuration comes from `krust.toml` in PATH or an ancestor (select/ignore rules by code or \
prefix, severity overrides, per-rule options, excluded paths); flags override it. A single \
object opts out of rules with the annotation `krust.dev/ignore: KR-IMG-001,KR-SEC` (codes or \
prefixes).\n\n\
Exit status: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage error or \
a kustomization that does not build.",
    after_help = "Examples:\n  \
krust check .                              # the whole repository\n  \
krust check clusters/prod --kube-version 1.32\n  \
krust check apps/web/overlays/prod --select KR-SEC,KR-IMG\n  \
krust check . --format sarif -o krust.sarif   # for code scanning\n  \
krust check . --format github               # annotations in a GitHub Actions log\n  \
krust check --list-rules\n  \
krust check --explain KR-NET-001"
)]
pub struct Args {
    /// Repository root, kustomization directory, or manifest file/folder.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Output format: human, json, sarif or github.
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "human",
          value_parser = ["human", "json", "sarif", "github"])]
    pub format: String,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Lowest severity that makes the exit status 1: error, warning (default) or info.
    #[arg(long, value_name = "SEVERITY", value_parser = ["error", "warning", "info"])]
    pub fail_on: Option<String>,

    /// Kubernetes version to validate against (1.29 … 1.35; default 1.33 or krust.toml's).
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,

    /// Report fields the schema does not declare (default; KR-SCH-002).
    #[arg(long, overrides_with = "no_strict")]
    pub strict: bool,

    /// Do not report undeclared fields.
    #[arg(long)]
    pub no_strict: bool,

    /// Run only these rules (codes or prefixes, comma-separated; replaces krust.toml's select).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Also run these rules (e.g. opt-in inventory rules).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub extend_select: Vec<String>,

    /// Do not run these rules (codes or prefixes).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Skip findings in files matching GLOB (repeatable; relative to PATH).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Use this config file instead of discovering krust.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore krust.toml.
    #[arg(long)]
    pub isolated: bool,

    /// Print every rule: code, default severity, name, summary.
    #[arg(long)]
    pub list_rules: bool,

    /// Print what a rule checks, why, and how to fix it.
    #[arg(long, value_name = "CODE")]
    pub explain: Option<String>,
}

fn usage_error(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Runs `krust check`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rules = all_rules();
    let metas: Vec<_> = rules.iter().map(|r| r.meta()).collect();
    if args.list_rules {
        let mut out = String::new();
        for m in &metas {
            out.push_str(&format!(
                "{}  {:<7}  {:<36} {}{}\n",
                m.code,
                m.severity.as_str(),
                m.name,
                m.summary(),
                if m.default_enabled { "" } else { " (opt-in)" }
            ));
        }
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(code) = &args.explain {
        return Ok(match krust_check::registry::find_rule(code) {
            Some(m) => {
                println!(
                    "# {} {} ({}, default {}{})\n\n{}",
                    m.code,
                    m.name,
                    m.family.title(),
                    m.severity,
                    if m.default_enabled { "" } else { ", opt-in" },
                    m.explanation()
                );
                ExitCode::SUCCESS
            }
            None => usage_error(format!("no rule `{code}` (see `krust check --list-rules`)")),
        });
    }

    let start = std::time::Instant::now();
    let dir = if args.path.is_dir() {
        args.path.clone()
    } else {
        args.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let config_result = if args.isolated {
        Ok((Config::default(), None))
    } else if let Some(file) = &args.config {
        Config::from_file(file).map(|c| (c, Some(file.clone())))
    } else {
        Config::discover(&dir)
    };
    let (mut config, config_path) = match config_result {
        Ok(c) => c,
        Err(e) => return Ok(usage_error(e)),
    };
    let origin = config_path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "command line".into());
    if !args.select.is_empty() {
        config.select = args.select.clone();
    }
    config
        .extend_select
        .extend(args.extend_select.iter().cloned());
    config.ignore.extend(args.ignore.iter().cloned());
    config.exclude.extend(args.exclude.iter().cloned());
    if let Some(s) = &args.fail_on {
        config.fail_on = Severity::parse(s);
    }
    if let Err(e) = config.validate(&metas, &origin) {
        return Ok(usage_error(e));
    }
    let strict = if args.no_strict {
        Some(false)
    } else if args.strict {
        Some(true)
    } else {
        None
    };

    let loaded = match input::load(&args.path) {
        Ok(i) => i,
        Err(e) => return Ok(usage_error(e)),
    };
    let kind = loaded.kind.map(|k| k.describe()).unwrap_or("input");
    eprintln!(
        "krust check: {} at {} ({} objects, {} YAML files{})",
        kind,
        args.path.display(),
        loaded.objects.len(),
        loaded.files.len(),
        config_path
            .as_ref()
            .map(|p| format!(", config {}", p.display()))
            .unwrap_or_default()
    );
    for note in &loaded.notes {
        eprintln!("krust check: note: {note}");
    }
    let options = Options {
        kube_version: args.kube_version.clone(),
        strict,
    };
    let mut report = match krust_check::check(&loaded, &config, &options) {
        Ok(r) => r,
        Err(e) => return Ok(usage_error(e)),
    };
    // Paths relative to the current directory, so editors and CI annotations find the files.
    let base = relative_base(&loaded.root);
    for f in &mut report.findings {
        f.file = base.join(&f.file);
    }
    let info = RunInfo {
        input_kind: kind.to_string(),
        root: std::env::current_dir().unwrap_or_default(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let format = Format::parse(&args.format).unwrap_or(Format::Human);
    let text = output::render(format, &report, &info);
    match &args.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, text.as_bytes()) {
                return Ok(usage_error(format!("{}: {e}", p.display())));
            }
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
        }
    }
    if std::env::var_os("KRUST_TIMING").is_some() {
        eprintln!("krust check: {:.3}s", start.elapsed().as_secs_f64());
    }
    if !loaded.build_errors.is_empty() {
        return Ok(ExitCode::from(2));
    }
    let threshold = config.fail_on.unwrap_or(Severity::Warning);
    Ok(if report.fails(threshold) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The checked root relative to the current directory (empty when it is the current directory
/// or not below it).
fn relative_base(root: &Path) -> PathBuf {
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .unwrap_or_default();
    root.strip_prefix(&cwd)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| root.to_path_buf())
}

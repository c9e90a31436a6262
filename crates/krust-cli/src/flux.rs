//! `krust flux`: discover a repository's Flux objects and render them offline, as
//! kustomize-controller would.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use krust_flux::decrypt::{Decryptor, NoKeys};
use krust_flux::json::to_json_pretty;
use krust_flux::render::{KsStatus, RenderOptions, RenderedRepo, SourceMapping};
use krust_flux::sops::SopsDecryptor;
use krust_flux::{KustomizeEngine, NamespacedName};
use krust_yaml::{Mapping, Value};

/// Arguments of `krust flux`.
#[derive(clap::Args)]
#[command(after_help = "\
Starting from an entry directory (usually clusters/<name>), krust builds it, finds the Flux \
objects in the output (GitRepository, OCIRepository, Bucket, HelmRepository, HelmChart, \
Kustomization, HelmRelease) and follows every Kustomization's spec.sourceRef and spec.path, \
recursively, as the cluster would. Each Kustomization is rendered like kustomize-controller \
renders it: kustomization generated when the directory has none, spec fields merged \
(targetNamespace, namePrefix/nameSuffix, patches, images, components), load restrictor None, \
SOPS decryption, then postBuild substitution with Flux's exact ${var} syntax, then \
commonMetadata.\n\n\
Sources: the GitRepository flux-system/flux-system is this repository (--root); any other \
source must be mapped with --source NAME=DIR, otherwise its Kustomizations are reported as \
not resolvable offline (never guessed).\n\n\
Exit codes: 0 success, 1 a Kustomization failed (errors name the Kustomization, the file and \
the step), 2 usage error.\n\nExamples:\n  \
krust flux get ks --path clusters/production\n  \
krust flux get all --path clusters/production -o json\n  \
krust flux build --path clusters/staging --age-key ~/.config/sops/age/keys.txt\n  \
krust flux build --path clusters/staging --ks flux-system/apps --strict-substitution\n  \
krust flux build --path clusters/staging --source podinfo=../podinfo/kustomize --output-dir out/")]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List what the repository defines: Kustomizations, HelmReleases, sources.
    Get {
        /// What to list.
        #[arg(value_enum, default_value_t = What::All)]
        what: What,
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = Format::Table)]
        output: Format,
    },
    /// Render every Kustomization (or one) to YAML, in dependsOn order.
    Build {
        #[command(flatten)]
        common: Common,
        /// Only print the objects of this Kustomization (NAMESPACE/NAME, or NAME in flux-system).
        #[arg(long, value_name = "NAMESPACE/NAME")]
        ks: Option<String>,
        /// Write one file per Kustomization (DIR/<namespace>/<name>.yaml) instead of stdout.
        #[arg(long, value_name = "DIR")]
        output_dir: Option<PathBuf>,
    },
}

/// Options shared by `get` and `build`.
#[derive(clap::Args)]
pub struct Common {
    /// Entry directory, e.g. clusters/production (built first; its Flux objects seed discovery).
    #[arg(long, value_name = "DIR")]
    path: PathBuf,
    /// Repository root that the flux-system GitRepository stands for (default: the enclosing git
    /// work tree of --path; outside git, the current directory when --path is relative).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Map a source to a local directory: NAME, NAMESPACE/NAME or KIND/NAMESPACE/NAME = DIR.
    /// Repeatable.
    #[arg(long = "source", value_name = "NAME=DIR")]
    sources: Vec<String>,
    /// age identity file for SOPS decryption (also: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY).
    #[arg(long, value_name = "FILE")]
    age_key: Vec<PathBuf>,
    /// Armored PGP secret key file for SOPS decryption.
    #[arg(long, value_name = "FILE")]
    pgp_key: Vec<PathBuf>,
    /// Fail when a SOPS value cannot be decrypted (default: render it still encrypted, warn once
    /// per Kustomization).
    #[arg(long)]
    require_decryption: bool,

    /// Never use the network: remote kustomize bases and files fail at once with an error naming
    /// the URL (like the controller's --no-remote-bases).
    #[arg(long)]
    offline: bool,
    /// Fail on ${VAR} without a default that no substitute/substituteFrom defines (Flux 2.9's
    /// default behaviour); otherwise such variables become empty strings.
    #[arg(long)]
    strict_substitution: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum What {
    /// Flux Kustomizations.
    #[value(alias = "kustomizations")]
    Ks,
    /// HelmReleases with chart, version, source and merged values.
    #[value(alias = "helmreleases")]
    Hr,
    /// GitRepository, OCIRepository, Bucket, HelmRepository, HelmChart.
    Sources,
    /// Everything.
    All,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    /// Aligned columns.
    Table,
    /// JSON document.
    Json,
}

/// Runs `krust flux`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Get {
            what,
            common,
            output,
        } => {
            let repo = render(&common)?;
            let out = match output {
                Format::Json => to_json_pretty(&get_json(&repo, what)) + "\n",
                Format::Table => get_table(&repo, what),
            };
            print!("{out}");
            let code = report(&repo);
            // The process ends here: skip freeing thousands of objects one by one.
            std::mem::forget(repo);
            Ok(code)
        }
        Command::Build {
            common,
            ks,
            output_dir,
        } => {
            let repo = render(&common)?;
            let only = ks.map(|k| NamespacedName::parse(&k, "flux-system"));
            if let Some(only) = &only {
                if !repo.kustomizations.iter().any(|k| &k.ks.name == only) {
                    anyhow::bail!(
                        "Kustomization '{only}' was not found from {}",
                        common.path.display()
                    );
                }
            }
            match output_dir {
                Some(dir) => write_dir(&repo, &dir, only.as_ref())?,
                None => print!("{}", build_yaml(&repo, only.as_ref())),
            }
            let code = report(&repo);
            // The process ends here: skip freeing thousands of objects one by one.
            std::mem::forget(repo);
            Ok(code)
        }
    }
}

/// Prints warnings and errors to stderr; exit code 1 when any error.
pub fn report(repo: &RenderedRepo) -> ExitCode {
    for w in &repo.warnings {
        eprintln!("warning: {w}");
    }
    for e in &repo.errors {
        eprintln!("error: {e}");
    }
    if repo.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The repository root the `flux-system` GitRepository stands for when `--root` is not given: the
/// enclosing git work tree of `path`; outside git, the current directory when `path` is a relative
/// path below it (users run `krust flux build --path clusters/x` from the repository root), else
/// `path` itself.
pub fn default_repo_root(path: &Path) -> PathBuf {
    let mut cur = krust_flux::engine::absolute(path);
    loop {
        if cur.join(".git").exists() {
            return cur;
        }
        if !cur.pop() {
            break;
        }
    }
    if path.is_relative() && !path.starts_with("..") {
        if let Ok(cwd) = std::env::current_dir() {
            return cwd;
        }
    }
    path.to_path_buf()
}

fn git_remote_urls(root: &Path) -> Vec<String> {
    std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["remote", "-v"])
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the SOPS decryptor: `--age-key`/`--pgp-key` files plus the sops environment
/// (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, the user's age keys file).
fn decryptor(common: &Common) -> anyhow::Result<Box<dyn Decryptor + Sync>> {
    let mut keys = krust_sops::KeySources::from_env();
    for f in &common.age_key {
        let text = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("--age-key {}: {e}", f.display()))?;
        keys.add_age_identities(&text, &f.display().to_string())
            .map_err(|e| anyhow::anyhow!("--age-key {}: {e}", f.display()))?;
    }
    for f in &common.pgp_key {
        let text = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("--pgp-key {}: {e}", f.display()))?;
        keys.add_pgp_key(&text, &f.display().to_string())
            .map_err(|e| anyhow::anyhow!("--pgp-key {}: {e}", f.display()))?;
    }
    if keys.is_empty() {
        return Ok(Box::new(NoKeys));
    }
    Ok(Box::new(SopsDecryptor::new(keys)))
}

fn render(common: &Common) -> anyhow::Result<RenderedRepo> {
    if !common.path.is_dir() {
        anyhow::bail!("--path {}: not a directory", common.path.display());
    }
    let root = match &common.root {
        Some(r) => r.clone(),
        None => default_repo_root(&common.path),
    };
    let mut sources = Vec::new();
    for s in &common.sources {
        let Some((sel, dir)) = s.split_once('=') else {
            anyhow::bail!("--source {s}: expected NAME=DIR");
        };
        sources.push(SourceMapping {
            selector: sel.to_string(),
            dir: PathBuf::from(dir),
        });
    }
    let options = RenderOptions {
        repo_urls: git_remote_urls(&root),
        root,
        entry: common.path.clone(),
        sources,
        strict_substitution: common.strict_substitution,
        require_decryption: common.require_decryption,
    };
    let dec = decryptor(common)?;
    let engine = KustomizeEngine::offline(common.offline);
    let repo = krust_flux::render(&options, &engine, dec.as_ref());
    // The process ends soon after: skip freeing the engine's parsed-file cache one by one.
    std::mem::forget(engine);
    Ok(repo)
}

fn rel(repo: &RenderedRepo, p: &Path) -> String {
    repo.relative_path(p)
}

fn status_text(s: &KsStatus) -> String {
    match s {
        KsStatus::Rendered => "rendered".into(),
        KsStatus::Failed => "failed".into(),
        KsStatus::Unresolved(r) => format!("not resolvable offline: {r}"),
    }
}

fn table(rows: Vec<Vec<String>>) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == cols {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}   ", w = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn deps(d: &[NamespacedName]) -> String {
    if d.is_empty() {
        "-".into()
    } else {
        d.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn get_table(repo: &RenderedRepo, what: What) -> String {
    let mut out = String::new();
    if matches!(what, What::Ks | What::All) {
        let mut rows = vec![vec![
            "KUSTOMIZATION".to_string(),
            "PATH".into(),
            "SOURCE".into(),
            "DEPENDS ON".into(),
            "OBJECTS".into(),
            "STATUS".into(),
        ]];
        for k in &repo.kustomizations {
            rows.push(vec![
                k.ks.name.to_string(),
                if k.ks.path.is_empty() {
                    "./".into()
                } else {
                    k.ks.path.clone()
                },
                k.ks.source_ref
                    .as_ref()
                    .map_or("-".into(), ToString::to_string),
                deps(&k.ks.depends_on),
                k.object_count.to_string(),
                status_text(&k.status),
            ]);
        }
        out.push_str(&table(rows));
    }
    if matches!(what, What::Hr | What::All) {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut rows = vec![vec![
            "HELMRELEASE".to_string(),
            "CHART".into(),
            "VERSION".into(),
            "SOURCE".into(),
            "DEPENDS ON".into(),
            "FROM".into(),
        ]];
        for h in &repo.helm_releases {
            rows.push(vec![
                h.release.name.to_string(),
                h.release.chart.clone(),
                h.release.version.clone(),
                h.release
                    .source_ref
                    .as_ref()
                    .map_or("-".into(), ToString::to_string),
                deps(&h.release.depends_on),
                h.parent.as_ref().map_or("-".into(), ToString::to_string),
            ]);
        }
        out.push_str(&table(rows));
        out.push_str(
            "(charts are not rendered yet; `-o json` shows each release's merged values)\n",
        );
    }
    if matches!(what, What::Sources | What::All) {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut rows = vec![vec![
            "SOURCE".to_string(),
            "URL".into(),
            "REF".into(),
            "LOCAL".into(),
        ]];
        for s in &repo.sources {
            rows.push(vec![
                s.source.source_ref().to_string(),
                s.source.url.clone(),
                if s.source.reference.is_empty() {
                    "-".into()
                } else {
                    s.source.reference.clone()
                },
                s.local_dir.as_ref().map_or("(not local)".into(), |d| {
                    let r = rel(repo, d);
                    if r.is_empty() {
                        ".".into()
                    } else {
                        r
                    }
                }),
            ]);
        }
        out.push_str(&table(rows));
    }
    out
}

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

fn names(d: &[NamespacedName]) -> Value {
    Value::Seq(d.iter().map(|n| s(n.to_string())).collect())
}

fn get_json(repo: &RenderedRepo, what: What) -> Value {
    let mut top = Mapping::default();
    if matches!(what, What::Ks | What::All) {
        let items = repo
            .kustomizations
            .iter()
            .map(|k| {
                let mut m = Mapping::default();
                m.insert("name".into(), s(k.ks.name.to_string()));
                m.insert("path".into(), s(k.ks.path.clone()));
                m.insert(
                    "sourceRef".into(),
                    k.ks.source_ref
                        .as_ref()
                        .map_or(Value::Null, |r| s(r.to_string())),
                );
                m.insert("dependsOn".into(), names(&k.ks.depends_on));
                m.insert(
                    "definedIn".into(),
                    s(format!("{}:{}", rel(repo, &k.file), k.line)),
                );
                m.insert(
                    "directory".into(),
                    k.dir.as_ref().map_or(Value::Null, |d| s(rel(repo, d))),
                );
                m.insert("objects".into(), Value::Int(k.object_count as i64));
                m.insert("status".into(), s(status_text(&k.status)));
                m.insert("keptEncrypted".into(), Value::Bool(k.kept_encrypted));
                Value::Map(m)
            })
            .collect();
        top.insert("kustomizations".into(), Value::Seq(items));
    }
    if matches!(what, What::Hr | What::All) {
        let items = repo
            .helm_releases
            .iter()
            .map(|h| {
                let mut m = Mapping::default();
                m.insert("name".into(), s(h.release.name.to_string()));
                m.insert("chart".into(), s(h.release.chart.clone()));
                m.insert("version".into(), s(h.release.version.clone()));
                m.insert(
                    "sourceRef".into(),
                    h.release
                        .source_ref
                        .as_ref()
                        .map_or(Value::Null, |r| s(r.to_string())),
                );
                m.insert(
                    "targetNamespace".into(),
                    s(h.release.target_namespace.clone()),
                );
                m.insert("dependsOn".into(), names(&h.release.depends_on));
                m.insert(
                    "kustomization".into(),
                    h.parent.as_ref().map_or(Value::Null, |p| s(p.to_string())),
                );
                m.insert("values".into(), h.values.clone().unwrap_or(Value::Null));
                m.insert("rendered".into(), Value::Bool(false));
                Value::Map(m)
            })
            .collect();
        top.insert("helmReleases".into(), Value::Seq(items));
    }
    if matches!(what, What::Sources | What::All) {
        let items = repo
            .sources
            .iter()
            .map(|src| {
                let mut m = Mapping::default();
                m.insert("kind".into(), s(src.source.kind.kind()));
                m.insert("name".into(), s(src.source.name.to_string()));
                m.insert("url".into(), s(src.source.url.clone()));
                m.insert("ref".into(), s(src.source.reference.clone()));
                m.insert(
                    "localDirectory".into(),
                    src.local_dir
                        .as_ref()
                        .map_or(Value::Null, |d| s(rel(repo, d))),
                );
                Value::Map(m)
            })
            .collect();
        top.insert("sources".into(), Value::Seq(items));
    }
    top.insert(
        "warnings".into(),
        Value::Seq(repo.warnings.iter().map(|w| s(w.clone())).collect()),
    );
    top.insert(
        "errors".into(),
        Value::Seq(repo.errors.iter().map(|e| s(e.to_string())).collect()),
    );
    Value::Map(top)
}

/// All objects as YAML, each preceded by a comment naming its Kustomization, file and line.
pub fn build_yaml(repo: &RenderedRepo, only: Option<&NamespacedName>) -> String {
    repo.to_yaml(only)
}

fn write_dir(repo: &RenderedRepo, dir: &Path, only: Option<&NamespacedName>) -> anyhow::Result<()> {
    for k in &repo.kustomizations {
        if only.is_some_and(|o| o != &k.ks.name) || k.status != KsStatus::Rendered {
            continue;
        }
        let file = dir
            .join(&k.ks.name.namespace)
            .join(format!("{}.yaml", k.ks.name.name));
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let text = build_yaml(repo, Some(&k.ks.name));
        std::fs::write(&file, text)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", file.display()))?;
    }
    Ok(())
}

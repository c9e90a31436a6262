//! `krust argo`: discover a repository's Argo CD Applications (app-of-apps) and render them offline.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use krust_flux::argo::{render_argo, ArgoOptions, RenderedArgo, SourceType};
use krust_flux::json::to_json_pretty;
use krust_flux::render::SourceMapping;
use krust_flux::{KustomizeEngine, NamespacedName};
use krust_yaml::{Mapping, Value};

/// Arguments of `krust argo`.
#[derive(clap::Args)]
#[command(after_help = "\
The entry directory (--path) is read like an Argo CD directory source (or built, when it has a \
kustomization); every Application found whose source is this repository (--repo-url, or the \
git remotes of --root) is rendered as the repo-server would: Directory sources (recurse, \
include, exclude), Kustomize sources with the Application's overrides (namePrefix, nameSuffix, \
namespace, images, replicas, commonLabels, commonAnnotations, patches, components). \
Applications in rendered output are followed (app-of-apps). Helm sources are listed with their \
values, not rendered. Namespaced objects without a namespace get the destination namespace.\n\n\
Exit codes: 0 success, 1 an Application failed to render, 2 usage error.\n\nExamples:\n  \
krust argo get --path argocd --repo-url https://github.com/me/gitops.git\n  \
krust argo build --path argocd --app argocd/podinfo\n  \
krust argo build --path argocd --source https://github.com/me/charts=../charts")]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the Applications, their sources and how each is rendered.
    Get {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = Format::Table)]
        output: Format,
    },
    /// Render every Application (or one) to YAML, ordered by sync wave.
    Build {
        #[command(flatten)]
        common: Common,
        /// Only print the objects of this Application (NAMESPACE/NAME, or NAME in argocd).
        #[arg(long, value_name = "NAMESPACE/NAME")]
        app: Option<String>,
    },
}

/// Options shared by `get` and `build`.
#[derive(clap::Args)]
struct Common {
    /// Entry directory holding the root Application(s).
    #[arg(long, value_name = "DIR")]
    path: PathBuf,
    /// Repository root (default: the enclosing git work tree of --path; outside git, the current
    /// directory when --path is relative).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// A URL by which this repository is known (repeatable; git remotes are added automatically).
    #[arg(long, value_name = "URL")]
    repo_url: Vec<String>,
    /// Map another repository to a local directory: URL=DIR (repeatable).
    #[arg(long = "source", value_name = "URL=DIR")]
    sources: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    /// Aligned columns.
    Table,
    /// JSON document.
    Json,
}

/// Runs `krust argo`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Get { common, output } => {
            let out = render(&common)?;
            match output {
                Format::Json => println!("{}", to_json_pretty(&get_json(&out))),
                Format::Table => print!("{}", get_table(&out)),
            }
            Ok(report(&out))
        }
        Command::Build { common, app } => {
            let out = render(&common)?;
            let only = app.map(|a| NamespacedName::parse(&a, "argocd"));
            if let Some(only) = &only {
                if !out.apps.iter().any(|a| &a.name == only) {
                    anyhow::bail!(
                        "Application '{only}' was not found from {}",
                        common.path.display()
                    );
                }
            }
            print!("{}", out.to_yaml(only.as_ref()));
            Ok(report(&out))
        }
    }
}

fn report(out: &RenderedArgo) -> ExitCode {
    for a in &out.apps {
        for n in &a.notes {
            eprintln!("note: Application '{}': {n}", a.name);
        }
    }
    for e in &out.errors {
        eprintln!("error: {e}");
    }
    if out.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn render(common: &Common) -> anyhow::Result<RenderedArgo> {
    if !common.path.is_dir() {
        anyhow::bail!("--path {}: not a directory", common.path.display());
    }
    let root = match &common.root {
        Some(r) => r.clone(),
        None => crate::flux::default_repo_root(&common.path),
    };
    let mut repo_urls = common.repo_url.clone();
    if let Ok(o) = std::process::Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["remote", "-v"])
        .output()
    {
        for l in String::from_utf8_lossy(&o.stdout).lines() {
            if let Some(u) = l.split_whitespace().nth(1) {
                repo_urls.push(u.to_string());
            }
        }
    }
    let mut sources = Vec::new();
    for s in &common.sources {
        // URLs contain '=' rarely; split on the last one.
        let Some((sel, dir)) = s.rsplit_once('=') else {
            anyhow::bail!("--source {s}: expected URL=DIR");
        };
        sources.push(SourceMapping {
            selector: sel.to_string(),
            dir: PathBuf::from(dir),
        });
    }
    let options = ArgoOptions {
        root,
        entry: common.path.clone(),
        repo_urls,
        sources,
    };
    Ok(render_argo(&options, &KustomizeEngine::new()))
}

fn type_text(t: SourceType) -> &'static str {
    match t {
        SourceType::Directory => "directory",
        SourceType::Kustomize => "kustomize",
        SourceType::Helm => "helm (listed)",
        SourceType::Plugin => "plugin (not rendered)",
    }
}

fn get_table(out: &RenderedArgo) -> String {
    let mut rows = vec![vec![
        "APPLICATION".to_string(),
        "WAVE".into(),
        "SOURCE".into(),
        "TYPE".into(),
        "DESTINATION".into(),
        "OBJECTS".into(),
        "FROM".into(),
    ]];
    for a in &out.apps {
        let src = a
            .sources
            .iter()
            .map(|s| match (&s.chart, &s.local_dir) {
                (Some(c), _) => format!("{}@{} ({})", c, s.target_revision, s.repo_url),
                (None, Some(d)) => {
                    let r = out.relative_path(d);
                    if r.is_empty() {
                        ".".into()
                    } else {
                        r
                    }
                }
                (None, None) => format!("{} {}", s.repo_url, s.path),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let types = a
            .sources
            .iter()
            .map(|s| type_text(s.source_type))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(vec![
            a.name.to_string(),
            a.sync_wave.to_string(),
            src,
            types,
            a.destination_namespace.clone(),
            a.object_count.to_string(),
            a.parent.as_ref().map_or("-".into(), ToString::to_string),
        ]);
    }
    let cols = rows[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == cols {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}   ", w = widths[c]));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

fn get_json(out: &RenderedArgo) -> Value {
    let s = |v: &str| Value::String(v.to_string());
    let apps = out
        .apps
        .iter()
        .map(|a| {
            let mut m = Mapping::default();
            m.insert("name".into(), s(&a.name.to_string()));
            m.insert("project".into(), s(&a.project));
            m.insert("syncWave".into(), Value::Int(a.sync_wave));
            m.insert("destinationNamespace".into(), s(&a.destination_namespace));
            m.insert(
                "definedIn".into(),
                s(&format!("{}:{}", out.relative_path(&a.file), a.line)),
            );
            m.insert(
                "parent".into(),
                a.parent.as_ref().map_or(Value::Null, |p| s(&p.to_string())),
            );
            let sources = a
                .sources
                .iter()
                .map(|src| {
                    let mut sm = Mapping::default();
                    sm.insert("repoURL".into(), s(&src.repo_url));
                    sm.insert("path".into(), s(&src.path));
                    sm.insert("targetRevision".into(), s(&src.target_revision));
                    sm.insert("chart".into(), src.chart.as_deref().map_or(Value::Null, s));
                    sm.insert("type".into(), s(type_text(src.source_type)));
                    sm.insert(
                        "localDirectory".into(),
                        src.local_dir
                            .as_ref()
                            .map_or(Value::Null, |d| s(&out.relative_path(d))),
                    );
                    sm.insert(
                        "valueFiles".into(),
                        Value::Seq(src.value_files.iter().map(|v| s(v)).collect()),
                    );
                    sm.insert(
                        "helmValues".into(),
                        src.helm_values.clone().unwrap_or(Value::Null),
                    );
                    Value::Map(sm)
                })
                .collect();
            m.insert("sources".into(), Value::Seq(sources));
            m.insert("objects".into(), Value::Int(a.object_count as i64));
            m.insert(
                "notes".into(),
                Value::Seq(a.notes.iter().map(|n| s(n)).collect()),
            );
            Value::Map(m)
        })
        .collect();
    let mut top = Mapping::default();
    top.insert("applications".into(), Value::Seq(apps));
    top.insert(
        "errors".into(),
        Value::Seq(out.errors.iter().map(|e| s(&e.to_string())).collect()),
    );
    Value::Map(top)
}

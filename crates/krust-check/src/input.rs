//! What `krust check` looks at: rendered objects with their file, line and origin, plus the raw
//! YAML files of the repository (for rules about kustomizations, SOPS files and `.sops.yaml`).
//!
//! [`load`] accepts a manifest file, a kustomization directory, or a repository / manifest folder
//! and says which of these it found ([`InputKind`]). In a folder, every directory holding a
//! kustomization that no other kustomization includes is built with krust-kustomize, and every
//! YAML file outside such directories is read as plain manifests (the Argo CD layout). Objects are
//! attributed to the Flux Kustomization whose `spec.path` covers the directory they were built
//! from.
//!
//! A folder with Flux Kustomizations is rendered the way the cluster renders it, with krust-flux:
//! each entry point (the directory a bootstrap Kustomization applies, e.g. `clusters/prod`) is
//! rendered with every Kustomization it reaches — generated kustomizations, spec fields,
//! `postBuild` substitution from the repository's ConfigMaps and Secrets — and the objects are
//! checked as they would be applied, attributed to the Kustomization that applies them. No SOPS
//! key is needed: encrypted values stay encrypted (opaque), and each object that substitution
//! changed keeps its value before substitution ([`CheckedObject::unsubstituted`]) for the
//! substitution rules. Files that no rendered Kustomization applies (a Kustomization that fails
//! to build, directories outside every `spec.path`) are still read as above, so their objects are
//! checked too.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use krust_flux::decrypt::NoKeys;
use krust_flux::render::{FluxError, KsStatus, Step};
use krust_flux::{InspectOptions, KustomizeEngine, RenderOptions};
use krust_kustomize::{BuildOptions, DefaultOrder, LoadRestrictor, Workspace};
use krust_yaml::{Document, Value};
use rayon::prelude::*;

/// What kind of input was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// One manifest file.
    File,
    /// A kustomization directory, built as `kustomize build` would.
    Kustomization,
    /// A folder of plain manifests and kustomizations without Flux Kustomizations.
    ManifestFolder,
    /// A GitOps repository with Flux Kustomizations (and/or Argo CD Applications).
    Repository,
}

impl InputKind {
    /// A phrase for the summary line.
    pub fn describe(self) -> &'static str {
        match self {
            InputKind::File => "manifest file",
            InputKind::Kustomization => "kustomization directory",
            InputKind::ManifestFolder => "manifest folder",
            InputKind::Repository => "GitOps repository",
        }
    }
}

/// One object to check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedObject {
    /// The object (a mapping).
    pub value: Value,
    /// Its file, relative to the input root when possible.
    pub file: PathBuf,
    /// 1-based line of its document (0 when generated).
    pub line: usize,
    /// The Flux Kustomization (`namespace/name`) or Argo CD Application applying it.
    pub origin: Option<String>,
    /// The directory it was built from (relative to the root), used to attribute origins.
    pub unit: PathBuf,
    /// For an object rendered through a Flux Kustomization whose `postBuild` substitution
    /// changed it: the object before substitution (where `${VAR}` expressions are still
    /// visible).
    pub unsubstituted: Option<Value>,
}

/// One YAML file of the repository, as written (before any build).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    /// Path relative to the root.
    pub path: PathBuf,
    /// Its documents (empty when it failed to parse).
    pub documents: Vec<Document>,
    /// Whether the file carries SOPS metadata (`sops:` with a `mac`, or `sops_mac=` in dotenv).
    pub sops: bool,
}

/// A file that failed to parse, or a kustomization that failed to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// The file or directory, relative to the root.
    pub path: PathBuf,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

/// Everything a check run looks at.
#[derive(Debug, Clone, Default)]
pub struct CheckInput {
    /// The root (absolute) that paths are relative to.
    pub root: PathBuf,
    /// What was found at the path.
    pub kind: Option<InputKind>,
    /// Objects to check, in load order.
    pub objects: Vec<CheckedObject>,
    /// Raw YAML files of the repository (and other SOPS-encrypted files).
    pub files: Vec<SourceFile>,
    /// YAML files that do not parse.
    pub parse_errors: Vec<InputProblem>,
    /// Kustomizations that do not build.
    pub build_errors: Vec<InputProblem>,
    /// Remarks on how the input was read (Flux Kustomizations whose source is not this
    /// repository, …), for the user.
    pub notes: Vec<String>,
}

/// Why an input could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The path does not exist or cannot be read.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
const MAX_FILE: u64 = 8 << 20;

/// The kustomization file of `dir`, if any.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// True for an object `krust check` should look at (has `apiVersion` and `kind`; not a kustomize
/// config file).
fn is_object(v: &Value) -> bool {
    let api = v.str_at(&["apiVersion"]).unwrap_or("");
    let kind = v.str_at(&["kind"]).unwrap_or("");
    !api.is_empty() && !kind.is_empty() && !api.starts_with("kustomize.config.k8s.io/")
}

fn is_sops_text(text: &str) -> bool {
    (text.contains("sops:") && text.contains("mac: ENC["))
        || text.contains("sops_mac=ENC[")
        || text.contains("\"mac\": \"ENC[")
}

/// Loads `path` (file, kustomization directory or folder).
pub fn load(path: &Path) -> Result<CheckInput, LoadError> {
    let abs = std::fs::canonicalize(path).map_err(|e| LoadError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if abs.is_file() {
        let root = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut input = CheckInput {
            root: root.clone(),
            kind: Some(InputKind::File),
            ..CheckInput::default()
        };
        read_file(&root, &abs, &mut input, true);
        return Ok(input);
    }
    let mut input = CheckInput {
        root: abs.clone(),
        ..CheckInput::default()
    };
    let mut yaml_files = Vec::new();
    let mut kust_dirs = Vec::new();
    walk(&abs, &mut yaml_files, &mut kust_dirs);
    yaml_files.sort();
    kust_dirs.sort();
    read_files(&abs, &yaml_files, &mut input);
    let ws = Workspace::new();
    if kustomization_file(&abs).is_some() {
        input.kind = Some(InputKind::Kustomization);
        build_dir(&ws, &abs, &abs, &mut input);
    } else {
        let entries = flux_entries(&abs, &input.files);
        let coverage = render_flux(&abs, &entries, &mut input);
        let roots = root_kustomizations(&kust_dirs);
        let in_kust = |f: &Path| kust_dirs.iter().any(|d| f.starts_with(d));
        // Plain files and built roots, in path order so the output is stable.
        let mut units: Vec<(PathBuf, bool)> = roots.into_iter().map(|d| (d, true)).collect();
        units.extend(
            yaml_files
                .iter()
                .filter(|f| !in_kust(f))
                .map(|f| (f.clone(), false)),
        );
        units.sort();
        units.retain(|(p, is_dir)| !coverage.covers(p, *is_dir));
        for (p, is_dir) in units {
            if is_dir {
                let errors = input.build_errors.len();
                build_dir(&ws, &abs, &p, &mut input);
                if coverage.failed(&p) {
                    // The failed Kustomization's error already says why.
                    input.build_errors.truncate(errors);
                }
            } else {
                let rel = rel(&abs, &p);
                let unit = rel.parent().map(Path::to_path_buf).unwrap_or_default();
                if let Some(sf) = input.files.iter().find(|sf| sf.path == rel) {
                    let docs = sf.documents.clone();
                    for d in docs {
                        if is_object(&d.value) {
                            input.objects.push(CheckedObject {
                                value: d.value,
                                file: rel.clone(),
                                line: d.line,
                                origin: None,
                                unit: unit.clone(),
                                unsubstituted: None,
                            });
                        }
                    }
                }
            }
        }
        let has_flux = input.objects.iter().any(|o| {
            o.value
                .str_at(&["apiVersion"])
                .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"))
                || o.value
                    .str_at(&["apiVersion"])
                    .is_some_and(|a| a.starts_with("argoproj.io/"))
        });
        input.kind = Some(if has_flux {
            InputKind::Repository
        } else {
            InputKind::ManifestFolder
        });
    }
    attribute_origins(&mut input);
    Ok(input)
}

fn rel(root: &Path, p: &Path) -> PathBuf {
    p.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| p.to_path_buf())
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, kust_dirs: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    if dir.join("Chart.yaml").is_file() {
        // Helm charts hold templates, not manifests.
        return;
    }
    if kustomization_file(dir).is_some() {
        kust_dirs.push(dir.to_path_buf());
    }
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                continue;
            }
            walk(&p, files, kust_dirs);
        } else if ft.is_file()
            && (name.ends_with(".yaml")
                || name.ends_with(".yml")
                || name.ends_with(".json")
                || name.ends_with(".env"))
            && e.metadata().map(|m| m.len() <= MAX_FILE).unwrap_or(false)
        {
            files.push(p);
        }
    }
}

/// Reads one file: its parsed documents (a [`SourceFile`] unless it cannot be read) and what
/// went wrong.
fn read_source(root: &Path, path: &Path) -> (Option<SourceFile>, Option<InputProblem>) {
    let relp = rel(root, path);
    let Ok(bytes) = std::fs::read(path) else {
        let problem = InputProblem {
            path: relp,
            line: 0,
            message: "cannot read file".into(),
        };
        return (None, Some(problem));
    };
    let sops = is_sops_text(&String::from_utf8_lossy(&bytes));
    if relp.to_string_lossy().ends_with(".env") {
        let file = SourceFile {
            path: relp,
            documents: Vec::new(),
            sops,
        };
        return (Some(file), None);
    }
    match krust_yaml::parse_bytes(&bytes) {
        Ok(documents) => {
            let file = SourceFile {
                path: relp,
                documents,
                sops,
            };
            (Some(file), None)
        }
        Err(e) => {
            let problem = InputProblem {
                path: relp.clone(),
                line: e.line,
                message: e.message,
            };
            let file = SourceFile {
                path: relp,
                documents: Vec::new(),
                sops,
            };
            (Some(file), Some(problem))
        }
    }
}

/// Reads `paths` on all cores into `input.files` and `input.parse_errors`, in the given order.
fn read_files(root: &Path, paths: &[PathBuf], input: &mut CheckInput) {
    let read: Vec<_> = paths.par_iter().map(|p| read_source(root, p)).collect();
    for (file, problem) in read {
        input.parse_errors.extend(problem);
        input.files.extend(file);
    }
}

/// Reads one file; with `as_objects`, its objects are objects to check.
fn read_file(root: &Path, path: &Path, input: &mut CheckInput, as_objects: bool) {
    let (file, problem) = read_source(root, path);
    input.parse_errors.extend(problem);
    let Some(file) = file else { return };
    if as_objects {
        let unit = file
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for d in &file.documents {
            if is_object(&d.value) {
                input.objects.push(CheckedObject {
                    value: d.value.clone(),
                    file: file.path.clone(),
                    line: d.line,
                    origin: None,
                    unit: unit.clone(),
                    unsubstituted: None,
                });
            }
        }
    }
    input.files.push(file);
}

/// Whether `v` is a Flux Kustomization.
fn is_flux_ks(v: &Value) -> bool {
    v.str_at(&["kind"]) == Some("Kustomization")
        && v.str_at(&["apiVersion"])
            .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"))
}

/// The directories to render a Flux repository from. A Kustomization defined inside the
/// directory it applies (the bootstrap `flux-system` one, in `clusters/prod/flux-system/`,
/// applying `./clusters/prod`) makes that directory an entry. Without one, the directories
/// defining Kustomizations that no Kustomization's `spec.path` covers are the entries.
pub fn flux_entries(root: &Path, files: &[SourceFile]) -> Vec<PathBuf> {
    let defs = flux_definitions(root, files);
    let mut entries: Vec<PathBuf> = defs
        .iter()
        .filter(|(def, target)| def.starts_with(target))
        .map(|(_, target)| target.clone())
        .collect();
    if entries.is_empty() {
        entries = defs
            .iter()
            .filter(|(def, _)| !defs.iter().any(|(_, t)| def.starts_with(t)))
            .map(|(def, _)| def.clone())
            .collect();
    }
    entries.sort();
    entries.dedup();
    // A directory without a kustomization file is rendered with a generated one that takes in
    // its subdirectories: entries below it would be rendered twice.
    let all = entries.clone();
    entries.retain(|e| {
        !all.iter()
            .any(|a| a != e && e.starts_with(a) && kustomization_file(a).is_none())
    });
    entries.retain(|e| e.is_dir());
    entries
}

/// Each Flux Kustomization of the files: the directory defining it and the directory its
/// `spec.path` names (both absolute).
fn flux_definitions(root: &Path, files: &[SourceFile]) -> Vec<(PathBuf, PathBuf)> {
    let mut defs = Vec::new();
    for f in files {
        let dir = root.join(f.path.parent().unwrap_or(Path::new("")));
        for d in &f.documents {
            if is_flux_ks(&d.value) {
                defs.push((dir.clone(), root.join(flux_path(&d.value))));
            }
        }
    }
    defs
}

/// Whether `root` is a repository root: a Kustomization defined in it applies a directory that
/// contains its own definition (the bootstrap Kustomization). Below the root (`krust check
/// clusters/prod`), `spec.path`s do not resolve.
fn is_flux_root(root: &Path, files: &[SourceFile]) -> bool {
    flux_definitions(root, files)
        .iter()
        .any(|(def, target)| def.starts_with(target))
}

/// What the Flux render covered: the units the folder walk must not read again.
#[derive(Debug, Default)]
struct Coverage {
    /// Directories of rendered Kustomizations (absolute).
    dirs: Vec<PathBuf>,
    /// Files rendered objects came from, and all their ancestors (absolute).
    files_and_parents: HashSet<PathBuf>,
    /// Directories of Kustomizations that failed without objects (absolute).
    failed_dirs: Vec<PathBuf>,
}

impl Coverage {
    fn add_file(&mut self, file: &Path) {
        let mut p = Some(file);
        while let Some(q) = p {
            if !self.files_and_parents.insert(q.to_path_buf()) {
                break;
            }
            p = q.parent();
        }
    }

    /// Whether a unit of the folder walk (a root kustomization directory or a plain file) is
    /// applied by a rendered Kustomization.
    fn covers(&self, unit: &Path, is_dir: bool) -> bool {
        self.files_and_parents.contains(unit)
            || self
                .dirs
                .iter()
                .any(|d| unit.starts_with(d) || (is_dir && d.starts_with(unit)))
    }

    /// Whether `unit` is inside a Kustomization that failed to render.
    fn failed(&self, unit: &Path) -> bool {
        self.failed_dirs.iter().any(|d| unit.starts_with(d))
    }
}

/// Renders each Flux entry point with krust-flux (no SOPS keys, non-strict substitution that
/// keeps the values before substitution) and adds the objects to `input`.
fn render_flux(root: &Path, entries: &[PathBuf], input: &mut CheckInput) -> Coverage {
    let mut coverage = Coverage::default();
    if entries.is_empty() {
        return coverage;
    }
    let at_root = is_flux_root(root, &input.files);
    let engine = KustomizeEngine::new();
    let inspect = InspectOptions {
        keep_unsubstituted: true,
        keep_objects_on_substitution_error: true,
    };
    let root_prefix = format!("{}/", root.display());
    let clean = |m: &str| m.replace(&root_prefix, "").trim().replace('\n', " ");
    for entry in entries {
        let options = RenderOptions {
            root: root.to_path_buf(),
            entry: entry.clone(),
            sources: Vec::new(),
            repo_urls: Vec::new(),
            strict_substitution: false,
            require_decryption: false,
        };
        let repo = krust_flux::render_inspect(&options, inspect, &engine, &NoKeys);
        let mut dirs: HashMap<String, PathBuf> = HashMap::new();
        let with_objects: HashSet<String> = repo
            .objects
            .iter()
            .filter_map(|o| o.kustomization.as_ref().map(|k| k.to_string()))
            .collect();
        for k in &repo.kustomizations {
            let id = k.ks.name.to_string();
            match (&k.status, &k.dir) {
                (KsStatus::Unresolved(reason), _) => input
                    .notes
                    .push(format!("Kustomization {id} not rendered: {reason}")),
                (_, Some(d)) if k.status == KsStatus::Rendered || with_objects.contains(&id) => {
                    coverage.dirs.push(d.clone());
                    dirs.insert(id, d.clone());
                }
                (_, Some(d)) => coverage.failed_dirs.push(d.clone()),
                _ => {}
            }
        }
        for e in &repo.errors {
            let FluxError::Step {
                kind,
                object,
                file,
                step,
                message,
            } = e
            else {
                // dependsOn problems are reported by the ordering rules.
                continue;
            };
            if *step == Step::Substitute && message.contains("substitute from '") {
                // Reported by KR-SUB-003.
                continue;
            }
            if *step == Step::Values {
                // valuesFrom objects are often created in the cluster (cert-manager,
                // external-secrets); charts are not rendered, so nothing fails to build.
                input.notes.push(format!(
                    "{kind} {object}: values not merged: {}",
                    clean(message)
                ));
                continue;
            }
            if !at_root && message.starts_with("kustomization path not found") {
                // Below the repository root, spec.paths are not expected to resolve.
                input.notes.push(format!(
                    "Kustomization {object} not rendered: its spec.path is not below {} (check \
                     the repository root to render it)",
                    root.display()
                ));
                continue;
            }
            let what = if *kind == "entry" {
                format!("entry {}", clean(&object.name))
            } else {
                format!("{kind} {object}")
            };
            input.build_errors.push(InputProblem {
                path: rel(root, file),
                line: 0,
                message: format!("{what}: {step} failed: {}", clean(message)),
            });
        }
        let entry_unit = rel(root, entry);
        for o in repo.objects {
            coverage.add_file(&o.file);
            let origin = o.kustomization.as_ref().map(|k| k.to_string());
            let unit = origin
                .as_ref()
                .and_then(|id| dirs.get(id))
                .map(|d| rel(root, d))
                .unwrap_or_else(|| entry_unit.clone());
            input.objects.push(CheckedObject {
                value: o.value,
                file: rel(root, &o.file),
                line: o.line,
                origin,
                unit,
                unsubstituted: o.unsubstituted,
            });
        }
    }
    input
        .build_errors
        .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    input.build_errors.dedup();
    coverage
}

/// The local directories a kustomization includes (resources, bases, components).
fn referenced_dirs(dir: &Path) -> Vec<PathBuf> {
    let Some(kf) = kustomization_file(dir) else {
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(&kf) else {
        return Vec::new();
    };
    let Ok(v) = krust_yaml::parse_one(&text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in ["resources", "bases", "components"] {
        for item in v.get(key).and_then(Value::as_seq).into_iter().flatten() {
            if let Some(s) = item.as_str() {
                if s.contains("://") || s.starts_with("github.com/") {
                    continue;
                }
                let p = dir.join(s);
                if p.is_dir() {
                    if let Ok(c) = std::fs::canonicalize(&p) {
                        out.push(c);
                    }
                }
            }
        }
    }
    out
}

fn root_kustomizations(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let referenced: BTreeSet<PathBuf> = dirs.iter().flat_map(|d| referenced_dirs(d)).collect();
    dirs.iter()
        .filter(|d| !referenced.contains(*d))
        .cloned()
        .collect()
}

fn build_dir(ws: &Workspace, root: &Path, dir: &Path, input: &mut CheckInput) {
    let options = BuildOptions {
        load_restrictor: LoadRestrictor::None,
        default_order: DefaultOrder::Legacy,
        add_managed_by_label: false,
    };
    let unit = rel(root, dir);
    match krust_kustomize::build(ws, dir, &options) {
        Ok(rm) => {
            for r in rm.into_resources() {
                let file = if r.origin.path.as_os_str().is_empty() {
                    unit.join("kustomization.yaml")
                } else {
                    rel(root, &r.origin.path)
                };
                input.objects.push(CheckedObject {
                    value: r.value,
                    file,
                    line: r.origin.line,
                    origin: None,
                    unit: unit.clone(),
                    unsubstituted: None,
                });
            }
        }
        Err(e) => input.build_errors.push(InputProblem {
            path: e.path.as_deref().map(|p| rel(root, p)).unwrap_or(unit),
            line: 0,
            message: e.message.trim().replace('\n', " "),
        }),
    }
}

/// `spec.path` of a Flux Kustomization, normalised relative to the root (`""` for the root).
pub fn flux_path(v: &Value) -> PathBuf {
    let p = v.str_at(&["spec", "path"]).unwrap_or("");
    let mut out = PathBuf::new();
    for c in Path::new(p).components() {
        match c {
            std::path::Component::Normal(s) => out.push(s),
            std::path::Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// Attributes each object without an origin to the Flux Kustomization whose `spec.path` is the
/// longest prefix of the directory it was built from.
pub fn attribute_origins(input: &mut CheckInput) {
    let mut ks: Vec<(PathBuf, String)> = input
        .objects
        .iter()
        .filter(|o| {
            o.value.str_at(&["kind"]) == Some("Kustomization")
                && o.value
                    .str_at(&["apiVersion"])
                    .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"))
        })
        .map(|o| {
            let ns = o
                .value
                .str_at(&["metadata", "namespace"])
                .unwrap_or("flux-system");
            let name = o.value.str_at(&["metadata", "name"]).unwrap_or("");
            (flux_path(&o.value), format!("{ns}/{name}"))
        })
        .collect();
    // Argo CD Applications whose source is a path of this repository.
    let mut excludes: Vec<(String, Vec<regex::Regex>)> = Vec::new();
    // Plain-directory Applications without `directory.recurse` read only their own directory.
    let mut flat: Vec<(String, PathBuf)> = Vec::new();
    for o in &input.objects {
        if o.value.str_at(&["kind"]) != Some("Application")
            || !o
                .value
                .str_at(&["apiVersion"])
                .is_some_and(|a| a.starts_with("argoproj.io/"))
        {
            continue;
        }
        let ns = o
            .value
            .str_at(&["metadata", "namespace"])
            .unwrap_or("argocd");
        let name = o.value.str_at(&["metadata", "name"]).unwrap_or("");
        let id = format!("Application {ns}/{name}");
        let mut sources: Vec<&Value> = o.value.get_path(&["spec", "source"]).into_iter().collect();
        sources.extend(
            o.value
                .get_path(&["spec", "sources"])
                .and_then(Value::as_seq)
                .into_iter()
                .flatten(),
        );
        for src in sources {
            if let Some(p) = src.str_at(&["path"]) {
                let mut v = Value::new_map();
                v.ensure_map_path(&["spec"])
                    .insert("path".into(), Value::String(p.to_string()));
                let path = flux_path(&v);
                let recurse = src.get_path(&["directory", "recurse"]) == Some(&Value::Bool(true));
                if !recurse && kustomization_file(&input.root.join(&path)).is_none() {
                    flat.push((id.clone(), path.clone()));
                }
                ks.push((path, id.clone()));
                if let Some(ex) = src.str_at(&["directory", "exclude"]) {
                    let res = expand_braces(ex)
                        .iter()
                        .filter_map(|g| crate::config::glob_regex(g))
                        .collect();
                    excludes.push((id.clone(), res));
                }
            }
        }
    }
    ks.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
    let mut cache: HashMap<PathBuf, Option<String>> = HashMap::new();
    for o in &mut input.objects {
        if o.origin.is_some() {
            continue;
        }
        let origin = cache
            .entry(o.unit.clone())
            .or_insert_with(|| {
                ks.iter()
                    .find(|(p, _)| o.unit.starts_with(p))
                    .map(|(_, n)| n.clone())
            })
            .clone();
        o.origin = origin;
    }
    if !flat.is_empty() {
        input.objects.retain(|o| {
            !flat
                .iter()
                .any(|(id, p)| o.origin.as_ref() == Some(id) && &o.unit != p)
        });
    }
    // Files an Application's `directory.exclude` leaves out are not applied by it.
    if !excludes.is_empty() {
        input.objects.retain(|o| {
            let Some(origin) = &o.origin else { return true };
            let name = o
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            !excludes
                .iter()
                .any(|(id, res)| id == origin && res.iter().any(|re| re.is_match(&name)))
        });
    }
}

/// Expands one level of `{a,b}` alternatives in a glob (Argo CD's `directory.exclude` syntax).
fn expand_braces(glob: &str) -> Vec<String> {
    match (glob.find('{'), glob.find('}')) {
        (Some(a), Some(b)) if a < b => glob[a + 1..b]
            .split(',')
            .map(|alt| format!("{}{}{}", &glob[..a], alt.trim(), &glob[b + 1..]))
            .collect(),
        _ => vec![glob.to_string()],
    }
}

impl CheckInput {
    /// Builds an input from objects rendered elsewhere (e.g. krust-flux's `RenderedRepo`):
    /// each `(object, file, line, origin)` with `file` relative to `root`, plus the repository's
    /// raw files read from `root` (for the rules about kustomizations and SOPS files).
    ///
    /// ```ignore
    /// let input = CheckInput::from_rendered(
    ///     repo.root.clone(),
    ///     repo.objects.into_iter().map(|o| {
    ///         let origin = o.kustomization.map(|k| k.to_string());
    ///         (o.value, o.file, o.line, origin)
    ///     }),
    /// );
    /// ```
    pub fn from_rendered(
        root: PathBuf,
        objects: impl IntoIterator<Item = (Value, PathBuf, usize, Option<String>)>,
    ) -> CheckInput {
        let mut input = CheckInput {
            root: root.clone(),
            kind: Some(InputKind::Repository),
            ..CheckInput::default()
        };
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        walk(&root, &mut files, &mut dirs);
        files.sort();
        read_files(&root, &files, &mut input);
        for (value, file, line, origin) in objects {
            let file = rel(&root, &file);
            let unit = file.parent().map(Path::to_path_buf).unwrap_or_default();
            input.objects.push(CheckedObject {
                value,
                file,
                line,
                origin,
                unit,
                unsubstituted: None,
            });
        }
        input
    }

    /// An input made of objects only (tests, adapters).
    pub fn from_objects(root: PathBuf, objects: Vec<CheckedObject>) -> CheckInput {
        CheckInput {
            root,
            kind: Some(InputKind::ManifestFolder),
            objects,
            ..CheckInput::default()
        }
    }
}

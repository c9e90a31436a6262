//! Argo CD Applications: discovery (app-of-apps) and offline rendering of the sources that live
//! in this repository, as the Argo CD repo-server would render them.
//!
//! - Source type: `chart` (a Helm repository) or a `Chart.yaml` in the path is Helm — listed, not
//!   rendered; a kustomization file in the path (or a `kustomize` block) is Kustomize; anything else
//!   is a Directory.
//! - Directory: `*.yaml`, `*.yml`, `*.json` files of the path (sub-directories only with
//!   `recurse: true`), in lexical walk order, filtered by `exclude` then `include` globs matched
//!   against the path relative to the application directory (`*` also matches `/`, `{a,b}`
//!   alternatives); `.jsonnet` files are reported as unsupported.
//! - Kustomize: the overrides Argo CD applies with `kustomize edit` before building — `namePrefix`,
//!   `nameSuffix`, `images` (`[old=]new[:tag|@digest]`), `replicas`, `commonLabels`,
//!   `commonAnnotations`, `namespace`, `patches`, `components` (`ignoreMissingComponents`).
//! - Namespaced objects without a namespace get `spec.destination.namespace`.
//! - Applications found in rendered output are followed (app-of-apps) until none are new;
//!   Applications are ordered by their `argocd.argoproj.io/sync-wave` (stable).

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

use krust_yaml::{Mapping, Value};

use crate::engine::{absolute, clean, BuiltObject, Engine, Overlay};
use crate::generate::find_kustomization_file;
use crate::model::{FluxKind, NamespacedName};
use crate::render::{normalize_git_url, SourceMapping};

/// Options of an Argo CD render.
#[derive(Debug, Clone, Default)]
pub struct ArgoOptions {
    /// Repository root.
    pub root: PathBuf,
    /// Entry directory holding the root Application(s).
    pub entry: PathBuf,
    /// URLs by which this repository is known.
    pub repo_urls: Vec<String>,
    /// `--source URL=DIR` mappings for other repositories.
    pub sources: Vec<SourceMapping>,
}

/// How a source is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceType {
    /// Plain manifests.
    Directory,
    /// A kustomization.
    Kustomize,
    /// A Helm chart (listed, not rendered).
    Helm,
    /// A config management plugin (not rendered).
    Plugin,
}

/// One source of an Application.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSource {
    /// `repoURL`.
    pub repo_url: String,
    /// `path` (empty for chart sources).
    pub path: String,
    /// `targetRevision`.
    pub target_revision: String,
    /// `chart` for Helm repository sources.
    pub chart: Option<String>,
    /// Type.
    pub source_type: SourceType,
    /// The local directory, when the repository is this one (or mapped).
    pub local_dir: Option<PathBuf>,
    /// Helm: `helm.valueFiles`.
    pub value_files: Vec<String>,
    /// Helm: `helm.values` / `helm.valuesObject` merged.
    pub helm_values: Option<Value>,
}

/// A discovered Application.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedApp {
    /// Namespace and name.
    pub name: NamespacedName,
    /// The Application whose output defines it (`None`: the entry directory).
    pub parent: Option<NamespacedName>,
    /// File and line of its definition.
    pub file: PathBuf,
    /// Line.
    pub line: usize,
    /// `spec.project`.
    pub project: String,
    /// `spec.destination.namespace`.
    pub destination_namespace: String,
    /// `argocd.argoproj.io/sync-wave`.
    pub sync_wave: i64,
    /// Its sources.
    pub sources: Vec<AppSource>,
    /// Number of objects rendered.
    pub object_count: usize,
    /// Notes (unsupported parts, unresolvable sources).
    pub notes: Vec<String>,
}

/// One rendered object and its Application.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgoObject {
    /// The object.
    pub value: Value,
    /// The Application that syncs it (`None`: the entry directory itself).
    pub application: Option<NamespacedName>,
    /// File.
    pub file: PathBuf,
    /// Line.
    pub line: usize,
}

/// An Application's rendering error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Application '{app}' ({}): {message}", .file.display())]
pub struct ArgoError {
    /// The Application.
    pub app: NamespacedName,
    /// The file or directory concerned.
    pub file: PathBuf,
    /// What went wrong.
    pub message: String,
}

/// Everything found from the entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RenderedArgo {
    /// Repository root.
    pub root: PathBuf,
    /// Applications, ordered by sync wave then discovery.
    pub apps: Vec<RenderedApp>,
    /// Objects, per Application in the order of `apps`.
    pub objects: Vec<ArgoObject>,
    /// Errors.
    pub errors: Vec<ArgoError>,
}

impl RenderedArgo {
    /// Path relative to the root.
    pub fn relative_path(&self, p: &Path) -> String {
        crate::render::relative_to(&self.root, p)
    }

    /// Objects as a YAML stream with `# Source: Application NS/NAME (file:line)` comments.
    pub fn to_yaml(&self, only: Option<&NamespacedName>) -> String {
        let mut out = String::new();
        for o in &self.objects {
            if only.is_some() && o.application.as_ref() != only {
                continue;
            }
            let origin = match &o.application {
                Some(a) => format!("Application {a}"),
                None => "entry".to_string(),
            };
            let file = self.relative_path(&o.file);
            crate::render::push_sourced_document(&mut out, &origin, &file, o.line, &o.value);
        }
        out
    }
}

/// Renders the Argo CD Applications reachable from `options.entry`.
pub fn render_argo(options: &ArgoOptions, engine: &dyn Engine) -> RenderedArgo {
    let root = absolute(&options.root);
    let entry = absolute(&options.entry);
    let mut out = RenderedArgo {
        root: root.clone(),
        ..RenderedArgo::default()
    };
    let entry_name = NamespacedName::new("", entry.display().to_string());
    let entry_objects = match build_dir(engine, &entry, None) {
        Ok(o) => o,
        Err(e) => {
            out.errors.push(ArgoError {
                app: entry_name,
                file: entry.clone(),
                message: e,
            });
            return out;
        }
    };
    let mut apps: Vec<(RenderedApp, Value, Vec<BuiltObject>)> = Vec::new();
    let mut seen: HashSet<NamespacedName> = HashSet::new();
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut entry_kept = Vec::new();
    for o in entry_objects {
        if FluxKind::of(&o.value) == Some(FluxKind::Application) {
            push_app(&mut apps, &mut seen, &mut queue, &o, None);
        }
        entry_kept.push(o);
    }
    while let Some(i) = queue.pop_front() {
        let (app, obj, _) = &mut apps[i];
        let objects = render_app(options, &root, engine, app, obj, &mut out.errors);
        let parent = apps[i].0.name.clone();
        for o in &objects {
            if FluxKind::of(&o.value) == Some(FluxKind::Application) {
                push_app(&mut apps, &mut seen, &mut queue, o, Some(&parent));
            }
        }
        apps[i].0.object_count = objects.len();
        apps[i].2 = objects;
    }
    let covered = apps.iter().any(|(a, _, _)| {
        a.sources
            .iter()
            .any(|s| s.local_dir.as_deref() == Some(entry.as_path()))
    });
    if !covered {
        for o in entry_kept {
            out.objects.push(ArgoObject {
                value: o.value,
                application: None,
                file: o.file,
                line: o.line,
            });
        }
    }
    apps.sort_by_key(|(a, _, _)| a.sync_wave);
    for (app, _, objects) in apps {
        for o in objects {
            out.objects.push(ArgoObject {
                value: o.value,
                application: Some(app.name.clone()),
                file: o.file,
                line: o.line,
            });
        }
        out.apps.push(app);
    }
    out
}

fn push_app(
    apps: &mut Vec<(RenderedApp, Value, Vec<BuiltObject>)>,
    seen: &mut HashSet<NamespacedName>,
    queue: &mut VecDeque<usize>,
    o: &BuiltObject,
    parent: Option<&NamespacedName>,
) {
    let v = &o.value;
    let name = NamespacedName::new(
        v.str_at(&["metadata", "namespace"]).unwrap_or("argocd"),
        v.str_at(&["metadata", "name"]).unwrap_or(""),
    );
    if !seen.insert(name.clone()) {
        return;
    }
    let wave = v
        .str_at(&["metadata", "annotations", "argocd.argoproj.io/sync-wave"])
        .and_then(|w| w.trim().parse().ok())
        .unwrap_or(0);
    apps.push((
        RenderedApp {
            name,
            parent: parent.cloned(),
            file: o.file.clone(),
            line: o.line,
            project: v.str_at(&["spec", "project"]).unwrap_or("").to_string(),
            destination_namespace: v
                .str_at(&["spec", "destination", "namespace"])
                .unwrap_or("")
                .to_string(),
            sync_wave: wave,
            sources: Vec::new(),
            object_count: 0,
            notes: Vec::new(),
        },
        v.clone(),
        Vec::new(),
    ));
    queue.push_back(apps.len() - 1);
}

fn resolve_repo(options: &ArgoOptions, root: &Path, url: &str) -> Option<PathBuf> {
    if let Some(m) = options
        .sources
        .iter()
        .find(|m| m.selector == url || normalize_git_url(&m.selector) == normalize_git_url(url))
    {
        return Some(absolute(&m.dir));
    }
    let n = normalize_git_url(url);
    options
        .repo_urls
        .iter()
        .any(|u| normalize_git_url(u) == n)
        .then(|| root.to_path_buf())
}

fn render_app(
    options: &ArgoOptions,
    root: &Path,
    engine: &dyn Engine,
    app: &mut RenderedApp,
    obj: &Value,
    errors: &mut Vec<ArgoError>,
) -> Vec<BuiltObject> {
    let spec = obj.get("spec");
    let mut srcs: Vec<&Value> = Vec::new();
    if let Some(s) = spec.and_then(|s| s.get("source")).filter(|s| !s.is_null()) {
        srcs.push(s);
    }
    if let Some(Value::Seq(list)) = spec.and_then(|s| s.get("sources")) {
        srcs.extend(list.iter());
    }
    let mut objects = Vec::new();
    for src in srcs {
        let repo_url = src.str_at(&["repoURL"]).unwrap_or("").to_string();
        let path = src.str_at(&["path"]).unwrap_or("").to_string();
        let chart = src.str_at(&["chart"]).map(str::to_string);
        let repo_dir = resolve_repo(options, root, &repo_url);
        let local_dir = if chart.is_some() || src.get("path").is_none() {
            None
        } else {
            repo_dir
                .as_ref()
                .map(|d| clean(&d.join(path.trim_start_matches("./"))))
        };
        let source_type = if chart.is_some()
            || src.get("helm").is_some()
            || local_dir
                .as_ref()
                .is_some_and(|d| d.join("Chart.yaml").is_file())
        {
            SourceType::Helm
        } else if src.get("plugin").is_some() {
            SourceType::Plugin
        } else if src.get("kustomize").is_some()
            || local_dir
                .as_ref()
                .is_some_and(|d| find_kustomization_file(d, None).is_some())
        {
            SourceType::Kustomize
        } else {
            SourceType::Directory
        };
        let helm = src.get("helm");
        let mut helm_values = None;
        if let Some(h) = helm {
            let mut merged = Value::Map(Mapping::default());
            if let Some(Value::String(text)) = h.get("values") {
                if let Ok(v) = krust_yaml::parse_one(text) {
                    crate::helm::merge(&mut merged, &v);
                }
            }
            if let Some(v) = h.get("valuesObject") {
                crate::helm::merge(&mut merged, v);
            }
            helm_values = Some(merged);
        }
        let value_files = helm
            .and_then(|h| h.get("valueFiles"))
            .and_then(Value::as_seq)
            .map(|s| {
                s.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let source = AppSource {
            repo_url: repo_url.clone(),
            path: path.clone(),
            target_revision: src
                .str_at(&["targetRevision"])
                .unwrap_or("HEAD")
                .to_string(),
            chart,
            source_type,
            local_dir: local_dir.clone(),
            value_files,
            helm_values,
        };
        app.sources.push(source);
        match source_type {
            SourceType::Helm => {
                app.notes.push(format!(
                    "Helm source {} is listed, not rendered (chart rendering is a later issue)",
                    if path.is_empty() {
                        repo_url.clone()
                    } else {
                        path.clone()
                    }
                ));
                continue;
            }
            SourceType::Plugin => {
                app.notes
                    .push("config management plugin sources cannot be rendered offline".into());
                continue;
            }
            _ => {}
        }
        let Some(dir) = local_dir else {
            if src.get("path").is_some() {
                app.notes.push(format!(
                    "repository {repo_url} is not this repository; map it with --source {repo_url}=DIR"
                ));
            }
            continue;
        };
        let built = match source_type {
            SourceType::Kustomize => {
                let edits = src.get("kustomize");
                match kustomize_overrides(&dir, edits) {
                    Ok(k) => build_dir(engine, &dir, k.as_ref()),
                    Err(e) => Err(e),
                }
            }
            _ => directory_objects(&dir, src.get("directory"), app),
        };
        match built {
            Ok(list) => objects.extend(list),
            Err(message) => errors.push(ArgoError {
                app: app.name.clone(),
                file: dir.clone(),
                message,
            }),
        }
    }
    if !app.destination_namespace.is_empty() {
        for o in &mut objects {
            let kind = o.value.str_at(&["kind"]).unwrap_or("");
            if krust_kustomize::resource::is_cluster_scoped_kind(kind) {
                continue;
            }
            if o.value
                .str_at(&["metadata", "namespace"])
                .is_none_or(str::is_empty)
            {
                o.value.ensure_map_path(&["metadata"]).insert(
                    "namespace".into(),
                    Value::String(app.destination_namespace.clone()),
                );
            }
        }
    }
    objects
}

fn build_dir(
    engine: &dyn Engine,
    dir: &Path,
    kust: Option<&Value>,
) -> Result<Vec<BuiltObject>, String> {
    if kust.is_none() && find_kustomization_file(dir, None).is_none() {
        let mut app = RenderedApp {
            name: NamespacedName::default(),
            parent: None,
            file: PathBuf::new(),
            line: 0,
            project: String::new(),
            destination_namespace: String::new(),
            sync_wave: 0,
            sources: Vec::new(),
            object_count: 0,
            notes: Vec::new(),
        };
        return directory_objects(dir, None, &mut app);
    }
    engine.build(dir, kust, Overlay::default())
}

/// Applies Argo CD's `kustomize edit` overrides; `None` when there are none.
fn kustomize_overrides(dir: &Path, edits: Option<&Value>) -> Result<Option<Value>, String> {
    let Some(edits) = edits.and_then(Value::as_map).filter(|m| !m.is_empty()) else {
        return Ok(None);
    };
    let file = find_kustomization_file(dir, None)
        .ok_or_else(|| format!("no kustomization file in {}", dir.display()))?;
    let text =
        std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let mut kust =
        krust_yaml::parse_one(&text).map_err(|e| format!("parsing {}: {e}", file.display()))?;
    if kust.is_null() {
        kust = Value::new_map();
    }
    let Some(k) = kust.as_map_mut() else {
        return Err(format!("{} is not a mapping", file.display()));
    };
    let mut changed = false;
    for (field, target) in [
        ("namePrefix", "namePrefix"),
        ("nameSuffix", "nameSuffix"),
        ("namespace", "namespace"),
    ] {
        if let Some(Value::String(s)) = edits.get(field).filter(|v| v.as_str() != Some("")) {
            k.insert(target.into(), Value::String(s.clone()));
            changed = true;
        }
    }
    if let Some(Value::Seq(images)) = edits.get("images") {
        for img in images.iter().filter_map(Value::as_str) {
            set_image(k, img);
            changed = true;
        }
    }
    if let Some(Value::Seq(replicas)) = edits.get("replicas") {
        for r in replicas {
            let name = r.str_at(&["name"]).unwrap_or("").to_string();
            let count = r.get("count").cloned().unwrap_or(Value::Int(0));
            let count = match count {
                Value::String(s) => s.parse().map(Value::Int).unwrap_or(Value::String(s)),
                other => other,
            };
            let list = seq_field(k, "replicas");
            list.retain(|e| e.str_at(&["name"]) != Some(name.as_str()));
            let mut m = Mapping::default();
            m.insert("name".into(), Value::String(name));
            m.insert("count".into(), count);
            list.push(Value::Map(m));
            changed = true;
        }
    }
    for (field, target) in [
        ("commonLabels", "commonLabels"),
        ("commonAnnotations", "commonAnnotations"),
    ] {
        if let Some(Value::Map(add)) = edits.get(field) {
            let entry = k.entry(target.to_string()).or_insert_with(Value::new_map);
            if !matches!(entry, Value::Map(_)) {
                *entry = Value::new_map();
            }
            if let Value::Map(m) = entry {
                for (key, v) in add {
                    m.insert(
                        key.clone(),
                        Value::String(v.scalar_text().unwrap_or_default()),
                    );
                }
            }
            changed = true;
        }
    }
    if let Some(Value::Seq(patches)) = edits.get("patches") {
        let list = seq_field(k, "patches");
        list.extend(patches.iter().cloned());
        changed = true;
    }
    if let Some(Value::Seq(components)) = edits.get("components") {
        let ignore_missing = edits.get("ignoreMissingComponents") == Some(&Value::Bool(true));
        for c in components.iter().filter_map(Value::as_str) {
            if ignore_missing && !dir.join(c).exists() {
                continue;
            }
            seq_field(k, "components").push(Value::String(c.to_string()));
            changed = true;
        }
    }
    Ok(changed.then_some(kust))
}

fn seq_field<'a>(k: &'a mut Mapping, field: &str) -> &'a mut Vec<Value> {
    let entry = k
        .entry(field.to_string())
        .or_insert_with(|| Value::Seq(Vec::new()));
    if !matches!(entry, Value::Seq(_)) {
        *entry = Value::Seq(Vec::new());
    }
    match entry {
        Value::Seq(s) => s,
        _ => unreachable!("just replaced by a sequence"),
    }
}

/// `kustomize edit set image` syntax: `[old=]new[:tag][@digest]`.
fn set_image(k: &mut Mapping, spec: &str) {
    let (old, new) = match spec.split_once('=') {
        Some((o, n)) => (Some(o.to_string()), n.to_string()),
        None => (None, spec.to_string()),
    };
    let (rest, digest) = match new.split_once('@') {
        Some((r, d)) => (r.to_string(), Some(d.to_string())),
        None => (new.clone(), None),
    };
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i + 1..].contains('/') => {
            (rest[..i].to_string(), Some(rest[i + 1..].to_string()))
        }
        _ => (rest.clone(), None),
    };
    let key = old.clone().unwrap_or_else(|| name.clone());
    let list = seq_field(k, "images");
    list.retain(|e| e.str_at(&["name"]) != Some(key.as_str()));
    let mut m = Mapping::default();
    m.insert("name".into(), Value::String(key));
    if old.is_some() {
        m.insert("newName".into(), Value::String(name));
    }
    if let Some(t) = tag {
        m.insert("newTag".into(), Value::String(t));
    }
    if let Some(d) = digest {
        m.insert("digest".into(), Value::String(d));
    }
    list.push(Value::Map(m));
}

/// Reads a Directory source.
fn directory_objects(
    dir: &Path,
    opts: Option<&Value>,
    app: &mut RenderedApp,
) -> Result<Vec<BuiltObject>, String> {
    let recurse = opts.and_then(|o| o.get("recurse")) == Some(&Value::Bool(true));
    let include = opts.and_then(|o| o.str_at(&["include"])).unwrap_or("");
    let exclude = opts.and_then(|o| o.str_at(&["exclude"])).unwrap_or("");
    let mut files = Vec::new();
    walk(dir, dir, recurse, &mut files)?;
    let mut out = Vec::new();
    for (rel, path) in files {
        if !exclude.is_empty() && glob_match(exclude, &rel) {
            continue;
        }
        if !include.is_empty() && !glob_match(include, &rel) {
            continue;
        }
        if rel.ends_with(".jsonnet") {
            app.notes.push(format!("{rel}: jsonnet is not supported"));
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("Failed to read {rel:?}: {e}"))?;
        let docs = match krust_yaml::parse_documents(&text) {
            Ok(d) => d,
            Err(e) => {
                if text.contains("apiVersion:")
                    && text.contains("kind:")
                    && text.contains("metadata:")
                {
                    return Err(format!("Failed to unmarshal {rel:?}: {e}"));
                }
                continue;
            }
        };
        let looks_like_manifest =
            text.contains("apiVersion:") && text.contains("kind:") && text.contains("metadata:");
        let invalid = docs
            .iter()
            .filter(|d| !d.value.is_null())
            .find(|d| d.value.str_at(&["kind"]).is_none());
        if let Some(bad) = invalid {
            let has_valid = docs.iter().any(|d| d.value.str_at(&["kind"]).is_some());
            if has_valid || looks_like_manifest {
                return Err(format!(
                    "Failed to unmarshal {rel:?}: Object 'Kind' is missing (document at line {})",
                    bad.line
                ));
            }
            // Not a manifest (e.g. a values file): Argo CD ignores it.
            continue;
        }
        for d in docs {
            if d.value.as_map().is_none() {
                continue;
            }
            if d.value.str_at(&["kind"]) == Some("List") {
                for item in d
                    .value
                    .get("items")
                    .and_then(Value::as_seq)
                    .into_iter()
                    .flatten()
                {
                    out.push(BuiltObject {
                        value: item.clone(),
                        file: path.clone(),
                        line: d.line,
                    });
                }
                continue;
            }
            out.push(BuiltObject {
                value: d.value,
                file: path.clone(),
                line: d.line,
            });
        }
    }
    Ok(out)
}

fn walk(
    base: &Path,
    dir: &Path,
    recurse: bool,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), String> {
    let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    entries.sort();
    for (name, path) in entries {
        if path.is_dir() {
            if recurse {
                walk(base, &path, recurse, out)?;
            }
            continue;
        }
        let ok = [".yaml", ".yml", ".json", ".jsonnet"]
            .iter()
            .any(|e| name.ends_with(e));
        if ok {
            let rel = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            out.push((rel, path));
        }
    }
    Ok(())
}

/// gobwas-style glob without separators: `*` matches anything (also `/`), `?` one character,
/// `[...]`/`[!...]` classes, `{a,b}` alternatives, `\` escapes.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    expand_braces(pattern).iter().any(|p| {
        simple_match(
            &p.chars().collect::<Vec<_>>(),
            &text.chars().collect::<Vec<_>>(),
        )
    })
}

fn expand_braces(p: &str) -> Vec<String> {
    let chars: Vec<char> = p.chars().collect();
    let mut depth = 0;
    let mut start = None;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '{' => {
                if depth == 0 {
                    start = Some(i);
                }
                depth += 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let Some(s) = start else { break };
                    let prefix: String = chars[..s].iter().collect();
                    let suffix: String = chars[i + 1..].iter().collect();
                    let inner = &chars[s + 1..i];
                    let mut alts = Vec::new();
                    let mut d = 0;
                    let mut cur = String::new();
                    for &c in inner {
                        match c {
                            '{' => {
                                d += 1;
                                cur.push(c);
                            }
                            '}' => {
                                d -= 1;
                                cur.push(c);
                            }
                            ',' if d == 0 => alts.push(std::mem::take(&mut cur)),
                            c => cur.push(c),
                        }
                    }
                    alts.push(cur);
                    let mut out = Vec::new();
                    for a in alts {
                        out.extend(expand_braces(&format!("{prefix}{a}{suffix}")));
                    }
                    return out;
                }
            }
            _ => {}
        }
    }
    vec![p.to_string()]
}

/// Iterative glob matching with single-star backtracking (linear in practice).
fn simple_match(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    }
                }
                '\\' if pi + 1 < p.len() => {
                    if p[pi + 1] == t[ti] {
                        pi += 2;
                        ti += 1;
                        continue;
                    }
                }
                c => {
                    if c == t[ti] {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn class_match(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if lo <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*.yaml", "a/b.yaml"));
        assert!(glob_match("{a.yaml,b.yaml}", "b.yaml"));
        assert!(!glob_match("{a.yaml,b.yaml}", "c.yaml"));
        assert!(glob_match("config-?.y[a-z]ml", "config-1.yaml"));
        assert!(!glob_match("*.json", "x.yaml"));
    }

    #[test]
    fn images() {
        let mut k = Mapping::default();
        set_image(&mut k, "nginx=registry.local/nginx:1.27");
        set_image(&mut k, "redis:7.4");
        assert_eq!(
            krust_yaml::to_string(&Value::Map(k)),
            "images:\n- name: nginx\n  newName: registry.local/nginx\n  newTag: \"1.27\"\n- name: redis\n  newTag: \"7.4\"\n"
        );
    }
}

//! Discovery and rendering of a whole repository: every Flux Kustomization built as
//! kustomize-controller builds it, in dependency order.
//!
//! Steps for each Kustomization, in the controller's order: resolve the source and `spec.path`,
//! generate (read or write the kustomization, merge the spec), decrypt generator sources, build
//! (load restrictor `None`), decrypt objects, substitute variables (`postBuild`), and finally set
//! `commonMetadata` (which the controller does at apply time).
//!
//! Discovery starts from an entry directory (e.g. `clusters/production`), finds the Flux objects in
//! its output and follows each Kustomization's source and path until nothing new appears.
//! `substituteFrom` ConfigMaps/Secrets are looked up among the objects rendered so far; a
//! Kustomization whose variables come from an object not rendered yet waits for it.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use krust_yaml::Value;

use crate::decrypt::{base64_decode, decrypt_object, Decrypted, Decryptor, SopsFormat};
use crate::engine::{absolute, clean, BuiltObject, Engine, Overlay};
use crate::generate::generate;
use crate::graph::{topo_order, GraphError};
use crate::helm::merged_values;
use crate::model::{FluxKind, HelmRelease, Kustomization, NamespacedName, Source, SourceRef};
use crate::sourceignore::{SourceIgnore, SourceKind};
use crate::varsub::{self, SubstituteOptions};

/// The step of the pipeline an error happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Resolving `spec.sourceRef` and `spec.path`.
    Source,
    /// Reading or generating the kustomization.
    Generate,
    /// Decrypting SOPS data.
    Decrypt,
    /// `kustomize build`.
    Build,
    /// `postBuild` substitution.
    Substitute,
    /// HelmRelease values.
    Values,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Source => "source",
            Step::Generate => "generate",
            Step::Decrypt => "decrypt",
            Step::Build => "build",
            Step::Substitute => "substitute",
            Step::Values => "values",
        })
    }
}

/// An error of one Kustomization (or HelmRelease), naming it, the file and the step.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FluxError {
    /// A step failed.
    #[error("{kind} '{object}' ({}): {step} failed: {message}", .file.display())]
    Step {
        /// `Kustomization`, `HelmRelease` or `entry`.
        kind: &'static str,
        /// The object.
        object: NamespacedName,
        /// The file the error concerns (the object's file, the directory, or the failing file).
        file: PathBuf,
        /// The step.
        step: Step,
        /// What went wrong.
        message: String,
    },
    /// A `dependsOn` problem.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// How to map sources to local directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMapping {
    /// `NAME`, `NAMESPACE/NAME` or `KIND/NAMESPACE/NAME`.
    pub selector: String,
    /// The local directory standing for the source's root.
    pub dir: PathBuf,
}

impl SourceMapping {
    fn matches(&self, r: &SourceRef) -> bool {
        let s = &self.selector;
        *s == r.name.name || *s == r.name.to_string() || *s == r.to_string()
    }
}

/// Options of a render.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// The repository root (the `flux-system` GitRepository's root).
    pub root: PathBuf,
    /// The entry directory (relative to the current directory or absolute).
    pub entry: PathBuf,
    /// `--source NAME=DIR` mappings.
    pub sources: Vec<SourceMapping>,
    /// URLs by which this repository is known (sources with such a URL map to `root`).
    pub repo_urls: Vec<String>,
    /// `--strict-substitution`.
    pub strict_substitution: bool,
    /// `--require-decryption`: an encrypted value without a key is an error.
    pub require_decryption: bool,
}

/// What a caller that inspects a render rather than applies it (`krust check`) asks for on top
/// of [`RenderOptions`]. The default is what the controller does; [`render`] uses it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InspectOptions {
    /// Record, for every object that `postBuild` substitution changed, its value before
    /// substitution in [`RenderedObject::unsubstituted`] (lets a caller see `${VAR}` expressions
    /// that substitution replaced with an empty string).
    pub keep_unsubstituted: bool,
    /// When a Kustomization's substitution fails (a `substituteFrom` object that does not exist,
    /// an invalid expression), keep its objects as built instead of dropping them. The
    /// Kustomization is still marked failed and the error recorded.
    pub keep_objects_on_substitution_error: bool,
}

/// One object of the rendered repository.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedObject {
    /// The object as the controller would apply it.
    pub value: Value,
    /// The Flux Kustomization that applies it (`None` for the entry directory's own objects that
    /// no Kustomization covers).
    pub kustomization: Option<NamespacedName>,
    /// The file it was read from.
    pub file: PathBuf,
    /// 1-based line of its document (0 when generated).
    pub line: usize,
    /// The object before `postBuild` substitution, when substitution changed it and
    /// [`InspectOptions::keep_unsubstituted`] was set.
    pub unsubstituted: Option<Value>,
}

/// What happened to a Kustomization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KsStatus {
    /// Rendered.
    Rendered,
    /// Its source cannot be resolved offline (reason given); not rendered.
    Unresolved(String),
    /// A step failed (see the errors).
    Failed,
}

/// A discovered Flux Kustomization.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedKustomization {
    /// The Kustomization.
    pub ks: Kustomization,
    /// The Kustomization that applies this one (`None`: found in the entry directory).
    pub parent: Option<NamespacedName>,
    /// Where the Kustomization object was defined.
    pub file: PathBuf,
    /// Line of its document.
    pub line: usize,
    /// The directory it builds, when resolved.
    pub dir: Option<PathBuf>,
    /// Outcome.
    pub status: KsStatus,
    /// Number of objects it renders.
    pub object_count: usize,
    /// Values kept encrypted because no key was available.
    pub kept_encrypted: bool,
}

/// A discovered source.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedSource {
    /// The source.
    pub source: Source,
    /// The Kustomization that applies it.
    pub parent: Option<NamespacedName>,
    /// The local directory it maps to, when it can be resolved offline.
    pub local_dir: Option<PathBuf>,
}

/// A discovered HelmRelease with its merged values.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedHelmRelease {
    /// The release.
    pub release: HelmRelease,
    /// The Kustomization that applies it.
    pub parent: Option<NamespacedName>,
    /// `valuesFrom` + `values` merged (`None` when a reference could not be resolved).
    pub values: Option<Value>,
}

/// Everything found and rendered from an entry path.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RenderedRepo {
    /// Repository root.
    pub root: PathBuf,
    /// Kustomizations in dependency order.
    pub kustomizations: Vec<RenderedKustomization>,
    /// Sources in discovery order.
    pub sources: Vec<RenderedSource>,
    /// HelmReleases in dependency order.
    pub helm_releases: Vec<RenderedHelmRelease>,
    /// Every rendered object: Kustomizations in dependency order, each one's objects in build order.
    pub objects: Vec<RenderedObject>,
    /// Warnings (one per Kustomization for values kept encrypted, …).
    pub warnings: Vec<String>,
    /// Errors; rendering continues past a failing Kustomization.
    pub errors: Vec<FluxError>,
}

/// `p` relative to `root`, or `p` as given when it is outside `root`.
pub(crate) fn relative_to(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// Appends one YAML document preceded by `---` and a `# Source: ORIGIN (file:line)` comment
/// (the line is left out when unknown).
pub(crate) fn push_sourced_document(
    out: &mut String,
    origin: &str,
    file: &str,
    line: usize,
    value: &krust_yaml::Value,
) {
    out.push_str("---\n");
    if line > 0 {
        out.push_str(&format!("# Source: {origin} ({file}:{line})\n"));
    } else {
        out.push_str(&format!("# Source: {origin} ({file})\n"));
    }
    out.push_str(&krust_yaml::to_string(value));
}

impl RenderedRepo {
    /// A path relative to the repository root (as given when outside it).
    pub fn relative_path(&self, p: &Path) -> String {
        relative_to(&self.root, p)
    }

    /// Every object (or those of one Kustomization) as a YAML stream, each document preceded by
    /// a `# Source: Kustomization NS/NAME (file:line)` comment.
    pub fn to_yaml(&self, only: Option<&NamespacedName>) -> String {
        let mut out = String::new();
        for o in &self.objects {
            if only.is_some() && o.kustomization.as_ref() != only {
                continue;
            }
            let origin = match &o.kustomization {
                Some(k) => format!("Kustomization {k}"),
                None => "entry".to_string(),
            };
            push_sourced_document(
                &mut out,
                &origin,
                &self.relative_path(&o.file),
                o.line,
                &o.value,
            );
        }
        out
    }

    /// The objects of one Kustomization.
    pub fn objects_of<'a>(
        &'a self,
        ks: &'a NamespacedName,
    ) -> impl Iterator<Item = &'a RenderedObject> + 'a {
        self.objects
            .iter()
            .filter(move |o| o.kustomization.as_ref() == Some(ks))
    }
}

/// ConfigMaps and Secrets of the rendered repository, by kind, namespace and name, with their
/// data as text (Secret data base64-decoded, `stringData` included).
#[derive(Debug, Default, Clone)]
pub struct ObjectIndex {
    map: HashMap<(String, String, String), Vec<(String, String)>>,
}

impl ObjectIndex {
    /// Adds an object (other kinds are ignored).
    pub fn add(&mut self, obj: &Value) {
        let kind = obj.str_at(&["kind"]).unwrap_or("");
        if kind != "ConfigMap" && kind != "Secret" {
            return;
        }
        let ns = obj
            .str_at(&["metadata", "namespace"])
            .filter(|s| !s.is_empty())
            .unwrap_or("default");
        let name = obj.str_at(&["metadata", "name"]).unwrap_or("");
        let mut data = Vec::new();
        if let Some(Value::Map(m)) = obj.get("data") {
            for (k, v) in m {
                let text = v.scalar_text().unwrap_or_default();
                let text = if kind == "Secret" {
                    match base64_decode(&text) {
                        Some(b) => String::from_utf8_lossy(&b).into_owned(),
                        None => text,
                    }
                } else {
                    text
                };
                data.push((k.clone(), text));
            }
        }
        if kind == "Secret" {
            if let Some(Value::Map(m)) = obj.get("stringData") {
                for (k, v) in m {
                    data.retain(|(dk, _)| dk != k);
                    data.push((k.clone(), v.scalar_text().unwrap_or_default()));
                }
            }
        }
        self.map
            .insert((kind.to_string(), ns.to_string(), name.to_string()), data);
    }

    /// The data of a ConfigMap/Secret.
    pub fn data(&self, kind: &str, ns: &str, name: &str) -> Option<&[(String, String)]> {
        self.map
            .get(&(kind.to_string(), ns.to_string(), name.to_string()))
            .map(Vec::as_slice)
    }
}

/// Normalises a Git URL for comparison (`https://github.com/o/r.git`, `ssh://git@github.com/o/r`
/// and `git@github.com:o/r` are the same repository).
pub fn normalize_git_url(url: &str) -> String {
    let mut u = url.trim().to_ascii_lowercase();
    for scheme in ["https://", "http://", "ssh://", "git://", "git+ssh://"] {
        if let Some(rest) = u.strip_prefix(scheme) {
            u = rest.to_string();
            break;
        }
    }
    if let Some((user, rest)) = u.split_once('@') {
        if !user.contains('/') {
            u = rest.to_string();
        }
    }
    if let Some((host, rest)) = u.split_once(':') {
        if !host.contains('/') {
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            u = format!("{host}/{}", rest.trim_start_matches('/'));
        }
    }
    u.trim_end_matches('/').trim_end_matches(".git").to_string()
}

/// The outcome of [`Renderer::stage`].
enum Stage {
    Unresolved(String),
    Failed {
        dir: Option<PathBuf>,
        file: PathBuf,
        step: Step,
        message: String,
    },
    Built {
        dir: PathBuf,
        objects: Vec<BuiltObject>,
        kept_encrypted: bool,
    },
}

struct KsState {
    info: RenderedKustomization,
    objects: Vec<BuiltObject>,
    /// Values before substitution, by object index (empty unless kept).
    unsubstituted: Vec<Option<Value>>,
    waiting_for_substitution: bool,
}

/// Renders the repository reachable from `options.entry`.
pub fn render(
    options: &RenderOptions,
    engine: &(dyn Engine + Sync),
    dec: &(dyn Decryptor + Sync),
) -> RenderedRepo {
    render_inspect(options, InspectOptions::default(), engine, dec)
}

/// [`render`] for a caller that inspects the result (see [`InspectOptions`]).
pub fn render_inspect(
    options: &RenderOptions,
    inspect: InspectOptions,
    engine: &(dyn Engine + Sync),
    dec: &(dyn Decryptor + Sync),
) -> RenderedRepo {
    let root = absolute(&options.root);
    let entry = absolute(&options.entry);
    let mut repo = RenderedRepo {
        root: root.clone(),
        ..RenderedRepo::default()
    };
    let mut r = Renderer {
        options,
        inspect,
        engine,
        dec,
        root,
        states: Vec::new(),
        by_name: HashMap::new(),
        sources: Vec::new(),
        source_names: HashSet::new(),
        releases: Vec::new(),
        release_names: HashSet::new(),
        index: ObjectIndex::default(),
        queue: VecDeque::new(),
        repo: &mut repo,
        ignores: Mutex::new(HashMap::new()),
    };
    let entry_objects = r.render_entry(&entry);
    r.run();
    let Renderer {
        states,
        sources,
        releases,
        index,
        ..
    } = r;
    finish(
        &mut repo,
        &entry,
        entry_objects,
        states,
        sources,
        releases,
        &index,
    );
    repo
}

struct Renderer<'a> {
    options: &'a RenderOptions,
    inspect: InspectOptions,
    engine: &'a (dyn Engine + Sync),
    dec: &'a (dyn Decryptor + Sync),
    root: PathBuf,
    states: Vec<KsState>,
    by_name: HashMap<NamespacedName, usize>,
    sources: Vec<RenderedSource>,
    source_names: HashSet<(FluxKind, NamespacedName)>,
    releases: Vec<(HelmRelease, Option<NamespacedName>)>,
    release_names: HashSet<NamespacedName>,
    index: ObjectIndex,
    queue: VecDeque<usize>,
    repo: &'a mut RenderedRepo,
    /// Ignore rules per (source root, source kind, `spec.ignore`), read once.
    ignores: Mutex<IgnoreCache>,
}

type IgnoreCache =
    HashMap<(PathBuf, SourceKind, Option<String>), Result<Arc<SourceIgnore>, String>>;

fn with_default_ns(v: &Value) -> Value {
    let mut v = v.clone();
    if v.str_at(&["metadata", "namespace"])
        .is_none_or(str::is_empty)
    {
        v.ensure_map_path(&["metadata"])
            .insert("namespace".into(), Value::String("default".into()));
    }
    v
}

impl Renderer<'_> {
    fn err(
        &mut self,
        kind: &'static str,
        object: &NamespacedName,
        file: &Path,
        step: Step,
        message: String,
    ) {
        self.repo.errors.push(FluxError::Step {
            kind,
            object: object.clone(),
            file: file.to_path_buf(),
            step,
            message,
        });
    }

    fn render_entry(&mut self, entry: &Path) -> Vec<BuiltObject> {
        let entry_name = NamespacedName::new("", entry.display().to_string());
        // The entry is part of this repository's flux-system artifact.
        let ignore = if entry.starts_with(&self.root) {
            match self.ignore_rules(&self.root, SourceKind::Git, None) {
                Ok(i) => Some(i),
                Err(e) => {
                    self.err("entry", &entry_name, entry, Step::Source, e);
                    return Vec::new();
                }
            }
        } else {
            None
        };
        let built = match generate(entry, None, ignore.as_deref()) {
            Ok(g) => {
                let k = if g.file.is_some() {
                    None
                } else {
                    Some(&g.kustomization)
                };
                let overlay = Overlay {
                    files: Vec::new(),
                    ignore,
                };
                self.engine.build(entry, k, overlay)
            }
            Err(e) => Err(e),
        };
        match built {
            Ok(objects) => {
                for o in &objects {
                    self.index.add(&o.value);
                }
                self.discover(&objects, None);
                objects
            }
            Err(e) => {
                self.err("entry", &entry_name, entry, Step::Build, e);
                Vec::new()
            }
        }
    }

    /// Records the Flux objects among `objects` and queues new Kustomizations.
    fn discover(&mut self, objects: &[BuiltObject], parent: Option<&NamespacedName>) {
        for o in objects {
            let Some(kind) = FluxKind::of(&o.value) else {
                continue;
            };
            let value = with_default_ns(&o.value);
            match kind {
                FluxKind::Kustomization => {
                    let Some(ks) = Kustomization::from_value(&value) else {
                        continue;
                    };
                    if self.by_name.contains_key(&ks.name) {
                        continue;
                    }
                    let idx = self.states.len();
                    self.by_name.insert(ks.name.clone(), idx);
                    self.states.push(KsState {
                        info: RenderedKustomization {
                            ks,
                            parent: parent.cloned(),
                            file: o.file.clone(),
                            line: o.line,
                            dir: None,
                            status: KsStatus::Rendered,
                            object_count: 0,
                            kept_encrypted: false,
                        },
                        objects: Vec::new(),
                        unsubstituted: Vec::new(),
                        waiting_for_substitution: false,
                    });
                    self.queue.push_back(idx);
                }
                FluxKind::HelmRelease => {
                    if let Some(hr) = HelmRelease::from_value(&value) {
                        if self.release_names.insert(hr.name.clone()) {
                            self.releases.push((hr, parent.cloned()));
                        }
                    }
                }
                FluxKind::Application => {}
                _ => {
                    if let Some(src) = Source::from_value(&value) {
                        if self.source_names.insert((src.kind, src.name.clone())) {
                            let local_dir = self.resolve_source(&src.source_ref()).ok();
                            self.sources.push(RenderedSource {
                                source: src,
                                parent: parent.cloned(),
                                local_dir,
                            });
                        }
                    }
                }
            }
        }
    }

    /// The ignore rules of the source artifact rooted at `root` (read once per render).
    fn ignore_rules(
        &self,
        root: &Path,
        kind: SourceKind,
        spec_ignore: Option<&str>,
    ) -> Result<Arc<SourceIgnore>, String> {
        let key = (root.to_path_buf(), kind, spec_ignore.map(str::to_string));
        let mut cache = self.ignores.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                SourceIgnore::load(root, kind, spec_ignore)
                    .map(Arc::new)
                    .map_err(|e| format!("reading the source's ignore rules: {e}"))
            })
            .clone()
    }

    /// The source `r` names, when the repository defines it.
    fn known_source(&self, r: &SourceRef) -> Option<&RenderedSource> {
        self.sources
            .iter()
            .find(|s| s.source.kind.kind() == r.kind && s.source.name == r.name)
    }

    /// The `spec.ignore` of a source defined in the repository.
    fn spec_ignore(&self, r: &SourceRef) -> Option<&str> {
        self.known_source(r)
            .and_then(|s| s.source.object.str_at(&["spec", "ignore"]))
    }

    /// Maps a source reference to a local directory, or says why it cannot be.
    fn resolve_source(&self, r: &SourceRef) -> Result<PathBuf, String> {
        if let Some(m) = self.options.sources.iter().find(|m| m.matches(r)) {
            return Ok(absolute(&m.dir));
        }
        let known = self.known_source(r);
        if let Some(s) = known {
            let url = normalize_git_url(&s.source.url);
            if s.source.kind == FluxKind::GitRepository
                && self
                    .options
                    .repo_urls
                    .iter()
                    .any(|u| normalize_git_url(u) == url)
            {
                return Ok(self.root.clone());
            }
        }
        if r.kind == "GitRepository" && r.name == NamespacedName::new("flux-system", "flux-system")
        {
            return Ok(self.root.clone());
        }
        Err(match known {
            Some(s) => format!(
                "{} '{}' ({}) is not this repository; map it with --source {}=DIR",
                r.kind, r.name, s.source.url, r.name.name
            ),
            None => format!(
                "{} '{}' is not defined in the repository; map it with --source {}=DIR",
                r.kind, r.name, r.name.name
            ),
        })
    }

    fn run(&mut self) {
        loop {
            while !self.queue.is_empty() {
                let batch: Vec<usize> = self.queue.drain(..).collect();
                let stages = self.stage_batch(&batch);
                for (idx, stage) in batch.into_iter().zip(stages) {
                    self.build_one(idx, stage);
                }
            }
            // Substitute every waiting Kustomization whose variable sources are all available.
            let waiting: Vec<usize> = (0..self.states.len())
                .filter(|&i| self.states[i].waiting_for_substitution)
                .collect();
            if waiting.is_empty() {
                break;
            }
            let ready: Vec<usize> = waiting
                .iter()
                .copied()
                .filter(|&i| self.vars_available(i))
                .collect();
            let batch = if ready.is_empty() { waiting } else { ready };
            self.substitute_batch(&batch);
        }
    }

    /// Stages a batch of Kustomizations on all available cores (results in batch order).
    fn stage_batch(&self, batch: &[usize]) -> Vec<Stage> {
        let mut jobs: Vec<(Kustomization, PathBuf)> = batch
            .iter()
            .map(|&i| {
                (
                    self.states[i].info.ks.clone(),
                    self.states[i].info.file.clone(),
                )
            })
            .collect();
        run_in_chunks(
            &mut jobs,
            available_cores(),
            |_, part| part.iter().map(|(ks, f)| self.stage(ks, f)).collect(),
            |n| {
                (0..n)
                    .map(|_| Stage::Failed {
                        dir: None,
                        file: PathBuf::new(),
                        step: Step::Build,
                        message: "internal error: a build thread panicked".into(),
                    })
                    .collect()
            },
        )
    }

    fn vars_available(&self, i: usize) -> bool {
        let ks = &self.states[i].info.ks;
        ks.substitute_from().iter().all(|r| {
            r.optional
                || self
                    .index
                    .data(&r.kind, &ks.name.namespace, &r.name)
                    .is_some()
        })
    }

    /// Builds a queued Kustomization and records the outcome.
    fn build_one(&mut self, idx: usize, stage: Stage) {
        let name = self.states[idx].info.ks.name.clone();
        match stage {
            Stage::Unresolved(reason) => {
                self.states[idx].info.status = KsStatus::Unresolved(reason.clone());
                self.repo
                    .warnings
                    .push(format!("Kustomization '{name}' not rendered: {reason}"));
            }
            Stage::Failed {
                dir,
                file,
                step,
                message,
            } => {
                self.states[idx].info.dir = dir;
                self.states[idx].info.status = KsStatus::Failed;
                self.err("Kustomization", &name, &file, step, message);
            }
            Stage::Built {
                dir,
                objects,
                kept_encrypted,
            } => {
                self.states[idx].info.dir = Some(dir.clone());
                if self.states[idx].info.ks.suspend {
                    self.repo.warnings.push(format!(
                        "Kustomization '{name}' is suspended: rendered, but the controller would \
                         not apply it"
                    ));
                }
                if kept_encrypted {
                    self.states[idx].info.kept_encrypted = true;
                    if self.options.require_decryption {
                        self.states[idx].info.status = KsStatus::Failed;
                        self.err(
                            "Kustomization",
                            &name,
                            &dir,
                            Step::Decrypt,
                            "SOPS-encrypted values could not be decrypted: no matching key \
                             (--require-decryption)"
                                .into(),
                        );
                        return;
                    }
                    self.repo.warnings.push(format!(
                        "Kustomization '{name}': no SOPS key available, some values are rendered \
                         still encrypted"
                    ));
                }
                self.states[idx].objects = objects;
                if self.states[idx].info.ks.post_build {
                    self.states[idx].waiting_for_substitution = true;
                } else {
                    self.finish_one(idx);
                }
            }
        }
    }

    /// The side-effect-free part of building a Kustomization: resolve, generate, decrypt
    /// sources, build, check and decrypt objects. Safe to run for several Kustomizations at once.
    fn stage(&self, ks: &Kustomization, ks_file: &Path) -> Stage {
        let fail =
            |dir: Option<&PathBuf>, file: &Path, step: Step, message: String| Stage::Failed {
                dir: dir.cloned(),
                file: file.to_path_buf(),
                step,
                message,
            };
        let source_ref = ks.source_ref.clone().unwrap_or(SourceRef {
            kind: "GitRepository".into(),
            name: NamespacedName::new(ks.name.namespace.clone(), "flux-system"),
        });
        let source_root = match self.resolve_source(&source_ref) {
            Ok(d) => d,
            Err(reason) => return Stage::Unresolved(reason),
        };
        let rel = ks.path.trim_start_matches("./").trim_start_matches('/');
        let dir = clean(&source_root.join(rel));
        if !dir.starts_with(&source_root) {
            let msg = format!("spec.path '{}' leaves the source root", ks.path);
            return fail(None, ks_file, Step::Source, msg);
        }
        let kind = SourceKind::from_kind(&source_ref.kind);
        let ignore = match self.ignore_rules(&source_root, kind, self.spec_ignore(&source_ref)) {
            Ok(i) => i,
            Err(e) => return fail(None, ks_file, Step::Source, e),
        };
        if !dir.is_dir() || ignore.prunes_dir(&dir) {
            let msg = format!(
                "kustomization path not found: {}: no such directory",
                dir.display()
            );
            return fail(Some(&dir), ks_file, Step::Generate, msg);
        }
        let generated = match generate(&dir, ks.object.get("spec"), Some(&ignore)) {
            Ok(g) => g,
            Err(e) => return fail(Some(&dir), &dir, Step::Generate, e),
        };
        let mut kept_encrypted = false;
        let mut decrypted_files = Vec::new();
        if ks.decryption {
            match self.decrypt_sources(&dir, &generated.kustomization, &ignore) {
                Ok((files, kept)) => {
                    decrypted_files = files;
                    kept_encrypted |= kept;
                }
                Err((file, e)) => {
                    let msg = format!("error decrypting sources: {e}");
                    return fail(Some(&dir), &file, Step::Decrypt, msg);
                }
            }
        }
        // Like the controller, which decrypts in its private checkout: the decrypted files and
        // the edited kustomization replace the ones on disk for this build only (in memory).
        if let Some((path, _)) = decrypted_files
            .iter()
            .find(|(p, _)| !p.starts_with(&source_root))
        {
            let msg = format!(
                "{}: encrypted file outside the source root cannot be decrypted",
                path.display()
            );
            return fail(Some(&dir), path, Step::Decrypt, msg);
        }
        let kust = generated.modified.then_some(&generated.kustomization);
        let built = self.engine.build(
            &dir,
            kust,
            Overlay {
                files: decrypted_files,
                ignore: Some(ignore),
            },
        );
        let mut objects = match built {
            Ok(o) => o,
            Err(e) => {
                let file = generated.file.clone().unwrap_or(dir.clone());
                let msg = format!("kustomize build failed: {e}");
                return fail(Some(&dir), &file, Step::Build, msg);
            }
        };
        for o in &mut objects {
            let v = &o.value;
            if v.str_at(&["metadata", "name"]).is_none_or(str::is_empty)
                || v.str_at(&["kind"]).is_none_or(str::is_empty)
                || v.str_at(&["apiVersion"]).is_none_or(str::is_empty)
            {
                let msg = "failed to decode Kubernetes apiVersion, kind and name".to_string();
                return fail(Some(&dir), &o.file, Step::Build, msg);
            }
            if ks.decryption {
                match decrypt_object(&mut o.value, self.dec) {
                    Ok(out) => kept_encrypted |= out.kept_encrypted,
                    Err(e) => {
                        let msg = format!("decryption failed for '{}': {e}", gvk_name(&o.value));
                        return fail(Some(&dir), &o.file, Step::Decrypt, msg);
                    }
                }
            }
        }
        Stage::Built {
            dir,
            objects,
            kept_encrypted,
        }
    }

    /// Decrypts the secret generator sources and patch files of the kustomization and of every
    /// kustomization it reaches through `resources` and `components` (the controller's
    /// `DecryptSources`). Returns the decrypted files and whether some stayed encrypted.
    #[allow(clippy::type_complexity)]
    fn decrypt_sources(
        &self,
        dir: &Path,
        kust: &Value,
        ignore: &SourceIgnore,
    ) -> Result<(Vec<(PathBuf, Vec<u8>)>, bool), (PathBuf, String)> {
        let mut refs: Vec<(PathBuf, SopsFormat)> = Vec::new();
        let mut visited: HashSet<PathBuf> = HashSet::new();
        let mut stack: Vec<(PathBuf, Value)> = vec![(dir.to_path_buf(), kust.clone())];
        visited.insert(dir.to_path_buf());
        while let Some((d, k)) = stack.pop() {
            collect_source_refs(&d, &k, &mut refs);
            let children = ["resources", "components"]
                .iter()
                .filter_map(|f| k.get(f).and_then(Value::as_seq))
                .flatten()
                .filter_map(Value::as_str)
                .filter(|r| !crate::engine::is_remote(r))
                .map(|r| clean(&d.join(r)))
                .collect::<Vec<_>>();
            for child in children {
                if !child.is_dir() || !visited.insert(child.clone()) {
                    continue;
                }
                let Some(file) = crate::generate::find_kustomization_file(&child, Some(ignore))
                else {
                    continue;
                };
                let text =
                    std::fs::read_to_string(&file).map_err(|e| (file.clone(), e.to_string()))?;
                let v = krust_yaml::parse_one(&text).map_err(|e| (file.clone(), e.to_string()))?;
                stack.push((child, v));
            }
        }
        let mut out: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        let mut kept = false;
        let mut seen: HashSet<PathBuf> = HashSet::new();
        for (abs, format) in refs {
            // A file the artifact leaves out stays missing (the build reports it).
            if !seen.insert(abs.clone()) || ignore.hides(&abs) {
                continue;
            }
            let Ok(data) = std::fs::read(&abs) else {
                continue;
            };
            let marker: &[u8] = match format {
                SopsFormat::Yaml => b"mac: ENC[",
                SopsFormat::Json | SopsFormat::Binary => b"\"mac\": \"ENC[",
                SopsFormat::Dotenv => b"sops_mac=ENC[",
                SopsFormat::Ini => b"[sops]",
            };
            if !data.windows(marker.len()).any(|w| w == marker) {
                continue;
            }
            match self.dec.decrypt_bytes(&data, format, format) {
                Ok(Decrypted::Plain(plain)) => out.push((abs, plain)),
                Ok(Decrypted::NoKey) => kept = true,
                Err(e) => return Err((abs, e)),
            }
        }
        Ok((out, kept))
    }

    /// Substitutes a batch of Kustomizations: variables are gathered in order, the objects of
    /// all of them are substituted on all cores at once (one Kustomization per task, or its
    /// objects spread over the cores when it is alone), and results are recorded in order.
    fn substitute_batch(&mut self, batch: &[usize]) {
        let mut jobs: Vec<SubstitutionJob> = Vec::new();
        for &idx in batch {
            if let Some((vars, opts)) = self.substitution_vars(idx) {
                let objects = std::mem::take(&mut self.states[idx].objects);
                let kept = if self.inspect.keep_unsubstituted {
                    objects.len()
                } else {
                    0
                };
                jobs.push(SubstitutionJob {
                    idx,
                    vars,
                    opts,
                    unsubstituted: vec![None; kept],
                    objects,
                });
            }
        }
        let results: Vec<Result<(), (usize, varsub::VarsubError)>> = if jobs.len() == 1 {
            let job = &mut jobs[0];
            vec![substitute_all(
                &mut job.objects,
                &mut job.unsubstituted,
                &job.vars,
                job.opts,
            )]
        } else {
            run_in_chunks(
                &mut jobs,
                available_cores(),
                |_, part| {
                    part.iter_mut()
                        .map(|job| {
                            substitute_sequentially(
                                &mut job.objects,
                                &mut job.unsubstituted,
                                &job.vars,
                                job.opts,
                            )
                        })
                        .collect()
                },
                |n| vec![Err((0, substitution_panic())); n],
            )
        };
        for (job, result) in jobs.into_iter().zip(results) {
            self.complete_substitution(job.idx, job.objects, job.unsubstituted, result);
        }
    }

    /// The variables of a Kustomization waiting for substitution, or `None` (after recording
    /// the error) when a required source is missing.
    fn substitution_vars(
        &mut self,
        idx: usize,
    ) -> Option<(BTreeMap<String, String>, SubstituteOptions)> {
        self.states[idx].waiting_for_substitution = false;
        let ks = self.states[idx].info.ks.clone();
        let ks_file = self.states[idx].info.file.clone();
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        for r in ks.substitute_from() {
            match self.index.data(&r.kind, &ks.name.namespace, &r.name) {
                Some(data) => {
                    for (k, v) in data {
                        vars.insert(k.clone(), v.replace('\n', ""));
                    }
                }
                None if r.optional => {}
                None => {
                    self.states[idx].info.status = KsStatus::Failed;
                    let plural = if r.kind == "Secret" {
                        "secrets"
                    } else {
                        "configmaps"
                    };
                    self.err("Kustomization", &ks.name, &ks_file, Step::Substitute,
                        format!("substitute from '{}/{}' error: {plural} \"{}\" not found (not rendered from this repository)",
                            r.kind, r.name, r.name));
                    if self.inspect.keep_objects_on_substitution_error {
                        self.finish_one(idx);
                    } else {
                        self.states[idx].objects.clear();
                    }
                    return None;
                }
            }
        }
        for (k, v) in ks.substitute() {
            vars.insert(k, v);
        }
        let opts = SubstituteOptions {
            strict: self.options.strict_substitution,
            always: ks.substitute_always,
        };
        Some((vars, opts))
    }

    /// Records the outcome of substituting a Kustomization's objects.
    fn complete_substitution(
        &mut self,
        idx: usize,
        objects: Vec<BuiltObject>,
        unsubstituted: Vec<Option<Value>>,
        result: Result<(), (usize, varsub::VarsubError)>,
    ) {
        if let Err((i, e)) = result {
            self.states[idx].info.status = KsStatus::Failed;
            let name = self.states[idx].info.ks.name.clone();
            let (what, file) = objects
                .get(i)
                .map(|o| (gvk_name(&o.value), o.file.clone()))
                .unwrap_or_default();
            self.err(
                "Kustomization",
                &name,
                &file,
                Step::Substitute,
                format!("post build failed for '{what}': {e}"),
            );
            if !self.inspect.keep_objects_on_substitution_error {
                return;
            }
        }
        self.states[idx].objects = objects;
        self.states[idx].unsubstituted = unsubstituted;
        self.finish_one(idx);
    }

    fn finish_one(&mut self, idx: usize) {
        let ks = self.states[idx].info.ks.clone();
        if let Some(cm) = ks.object.get_path(&["spec", "commonMetadata"]) {
            for o in &mut self.states[idx].objects {
                for field in ["labels", "annotations"] {
                    if let Some(Value::Map(add)) = cm.get(field) {
                        let target = o.value.ensure_map_path(&["metadata", field]);
                        for (k, v) in add {
                            target.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
        }
        let objects = std::mem::take(&mut self.states[idx].objects);
        for o in &objects {
            self.index.add(&o.value);
        }
        self.discover(&objects, Some(&ks.name));
        self.states[idx].info.object_count = objects.len();
        self.states[idx].objects = objects;
    }
}

/// A Kustomization waiting for substitution.
struct SubstitutionJob {
    idx: usize,
    vars: BTreeMap<String, String>,
    opts: SubstituteOptions,
    objects: Vec<BuiltObject>,
    /// Values before substitution (one slot per object, or empty when not kept).
    unsubstituted: Vec<Option<Value>>,
}

/// Substitutes one object; when `before` is given, the object's value before substitution is
/// moved there if substitution changed it.
fn substitute_object(
    o: &mut BuiltObject,
    before: Option<&mut Option<Value>>,
    vars: &BTreeMap<String, String>,
    opts: SubstituteOptions,
) -> Result<(), varsub::VarsubError> {
    if let Some(v) = varsub::substitute(&o.value, vars, opts)? {
        let old = std::mem::replace(&mut o.value, v);
        if let Some(slot) = before {
            if old != o.value {
                *slot = Some(old);
            }
        }
    }
    Ok(())
}

/// Substitutes objects in order on this thread; the first error is returned with its index.
/// When `before` is not empty (one slot per object), the value of each object that
/// substitution changed is moved there.
fn substitute_sequentially(
    objects: &mut [BuiltObject],
    before: &mut [Option<Value>],
    vars: &BTreeMap<String, String>,
    opts: SubstituteOptions,
) -> Result<(), (usize, varsub::VarsubError)> {
    for (j, o) in objects.iter_mut().enumerate() {
        substitute_object(o, before.get_mut(j), vars, opts).map_err(|e| (j, e))?;
    }
    Ok(())
}

/// The number of cores to spread work over.
fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `work(offset, chunk)` over `items` cut into at most `threads` contiguous chunks, one
/// scoped thread per chunk (on this thread when there is only one), and concatenates the
/// results in item order. A chunk whose thread panicked yields `on_panic(chunk length)`.
fn run_in_chunks<T: Send, R: Send>(
    items: &mut [T],
    threads: usize,
    work: impl Fn(usize, &mut [T]) -> Vec<R> + Sync,
    on_panic: impl Fn(usize) -> Vec<R>,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return work(0, items);
    }
    let chunk = items.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks_mut(chunk)
            .enumerate()
            .map(|(c, part)| (part.len(), scope.spawn(move || work(c * chunk, part))))
            .collect();
        handles
            .into_iter()
            .flat_map(|(n, h)| h.join().unwrap_or_else(|_| on_panic(n)))
            .collect()
    })
}

fn substitution_panic() -> varsub::VarsubError {
    varsub::VarsubError::Yaml("internal error: a substitution thread panicked".into())
}

/// Substitutes every object, on all available cores; the error of the first failing object
/// (in object order) is returned with its index.
///
/// When `unsubstituted` is not empty (one slot per object), the value of each object that
/// substitution changed is moved there.
fn substitute_all(
    objects: &mut [BuiltObject],
    unsubstituted: &mut [Option<Value>],
    vars: &BTreeMap<String, String>,
    opts: SubstituteOptions,
) -> Result<(), (usize, varsub::VarsubError)> {
    let mut before = unsubstituted.iter_mut();
    let mut pairs: Vec<(&mut BuiltObject, Option<&mut Option<Value>>)> =
        objects.iter_mut().map(|o| (o, before.next())).collect();
    let threads = available_cores().min(pairs.len() / 32 + 1);
    let results = run_in_chunks(
        &mut pairs,
        threads,
        |base, part| {
            let first_error = part.iter_mut().enumerate().find_map(|(j, (o, slot))| {
                substitute_object(o, slot.as_deref_mut(), vars, opts)
                    .err()
                    .map(|e| (base + j, e))
            });
            vec![first_error.map_or(Ok(()), Err)]
        },
        |_| vec![Err((0, substitution_panic()))],
    );
    results
        .into_iter()
        .find_map(Result::err)
        .map_or(Ok(()), Err)
}

/// The files a kustomization's secret generators and patches read, with their SOPS format.
fn collect_source_refs(dir: &Path, kust: &Value, refs: &mut Vec<(PathBuf, SopsFormat)>) {
    use crate::decrypt::format_for_path;
    if let Some(Value::Seq(gens)) = kust.get("secretGenerator") {
        for g in gens {
            for f in g.get("files").and_then(Value::as_seq).into_iter().flatten() {
                let Some(s) = f.as_str() else { continue };
                let (key, path) = s.split_once('=').unwrap_or((s, s));
                refs.push((clean(&dir.join(path)), format_for_path(key)));
            }
            let envs = g.get("envs").and_then(Value::as_seq).into_iter().flatten();
            for e in envs.chain(g.get("env")) {
                let Some(s) = e.as_str() else { continue };
                let f = match format_for_path(s) {
                    SopsFormat::Binary => SopsFormat::Dotenv,
                    f => f,
                };
                refs.push((clean(&dir.join(s)), f));
            }
        }
    }
    if let Some(Value::Seq(patches)) = kust.get("patches") {
        for p in patches {
            if let Some(path) = p.str_at(&["path"]) {
                if !crate::engine::is_remote(path) {
                    refs.push((clean(&dir.join(path)), format_for_path(path)));
                }
            }
        }
    }
}

/// `Kind.version.group/name` the way kustomize prints a GVK (`[noGrp]` for the core group).
fn gvk_name(v: &Value) -> String {
    let api = v.str_at(&["apiVersion"]).unwrap_or("");
    let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
    let group = if group.is_empty() { "[noGrp]" } else { group };
    format!(
        "{}.{}.{}/{}",
        v.str_at(&["kind"]).unwrap_or(""),
        version,
        group,
        v.str_at(&["metadata", "name"]).unwrap_or("")
    )
}

fn finish(
    repo: &mut RenderedRepo,
    entry: &Path,
    entry_objects: Vec<BuiltObject>,
    states: Vec<KsState>,
    sources: Vec<RenderedSource>,
    releases: Vec<(HelmRelease, Option<NamespacedName>)>,
    index: &ObjectIndex,
) {
    let nodes: Vec<(NamespacedName, Vec<NamespacedName>)> = states
        .iter()
        .map(|s| (s.info.ks.name.clone(), s.info.ks.depends_on.clone()))
        .collect();
    let (order, errors) = topo_order("Kustomization", &nodes);
    repo.errors.extend(errors.into_iter().map(FluxError::Graph));
    let entry_covered = states.iter().any(|s| s.info.dir.as_deref() == Some(entry));
    if !entry_covered {
        for o in entry_objects {
            repo.objects.push(RenderedObject {
                value: o.value,
                kustomization: None,
                file: o.file,
                line: o.line,
                unsubstituted: None,
            });
        }
    }
    let mut states: Vec<Option<KsState>> = states.into_iter().map(Some).collect();
    for i in order {
        let Some(s) = states[i].take() else { continue };
        let name = s.info.ks.name.clone();
        let mut unsubstituted = s.unsubstituted.into_iter();
        for o in s.objects {
            repo.objects.push(RenderedObject {
                value: o.value,
                kustomization: Some(name.clone()),
                file: o.file,
                line: o.line,
                unsubstituted: unsubstituted.next().flatten(),
            });
        }
        repo.kustomizations.push(s.info);
    }
    repo.sources = sources;
    let hr_nodes: Vec<(NamespacedName, Vec<NamespacedName>)> = releases
        .iter()
        .map(|(hr, _)| (hr.name.clone(), hr.depends_on.clone()))
        .collect();
    let (hr_order, hr_errors) = topo_order("HelmRelease", &hr_nodes);
    repo.errors
        .extend(hr_errors.into_iter().map(FluxError::Graph));
    for i in hr_order {
        let (hr, parent) = &releases[i];
        let values = match merged_values(hr, index) {
            Ok(v) => Some(v),
            Err(crate::helm::ValuesError::NotRendered(e)) => {
                // The controller reads it from the cluster, where another controller may create
                // it: not an error of the repository, but the values shown are incomplete.
                repo.warnings.push(format!(
                    "HelmRelease '{}': values not merged: {e} (the controller reads it from the \
                     cluster at apply time)",
                    hr.name
                ));
                None
            }
            Err(e) => {
                repo.errors.push(FluxError::Step {
                    kind: "HelmRelease",
                    object: hr.name.clone(),
                    file: PathBuf::new(),
                    step: Step::Values,
                    message: e.to_string(),
                });
                None
            }
        };
        repo.helm_releases.push(RenderedHelmRelease {
            release: hr.clone(),
            parent: parent.clone(),
            values,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_urls_normalise() {
        let a = normalize_git_url("https://github.com/me/home-ops.git");
        assert_eq!(a, "github.com/me/home-ops");
        assert_eq!(normalize_git_url("ssh://git@github.com/me/home-ops"), a);
        assert_eq!(normalize_git_url("git@github.com:me/home-ops.git"), a);
    }
}

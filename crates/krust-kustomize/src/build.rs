//! The build pipeline: kustomize's `KustTarget` in Rust.
//!
//! For one kustomization directory, in kustomize's order:
//! 1. accumulate `resources` (files, and directories built recursively as bases);
//! 2. merge `configurations` and `crds` into the transformer configuration;
//! 3. run the generators (`configMapGenerator`, `secretGenerator`) and absorb their output
//!    (create / merge / replace);
//! 4. accumulate `components` (each one transforms what has been accumulated so far);
//! 5. run the builtin transformers (patches, namespace, prefix, suffix, labels, annotations,
//!    JSON patches, replicas, images, replacements), then `transformers:`;
//! 6. merge `vars`.
//!
//! Only at the top-level kustomization, afterwards: add hash suffixes to generated names, fix
//! name references, resolve vars, drop local-config objects, sort, and strip build annotations.

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use krust_yaml::Value;

use crate::builtins;
use crate::error::{Error, ErrorKind, Result};
use crate::generators::{self, Behavior, GeneratorKind};
use crate::hash;
use crate::kustomization::{KustKind, Kustomization, KUSTOMIZATION_FILE_NAMES};
use crate::loader::{FileOverlay, LoadRestrictor, Loader, Workspace};
use crate::openapi;
use crate::patch::MergeSchema;
use crate::plugins;
use crate::resource::{Origin, ResMap, Resource};
use crate::sort;
use crate::vars::VarSet;

/// The order of the output when the kustomization has no `sortOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefaultOrder {
    /// kustomize CLI default: legacy order.
    #[default]
    Legacy,
    /// Keep accumulation order (kustomize's `--reorder none`, its test harness default).
    Fifo,
}

/// Options of a build (the `kustomize build` flags that matter).
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// `--load-restrictor`.
    pub load_restrictor: LoadRestrictor,
    /// Order used when the kustomization has no `sortOptions`.
    pub default_order: DefaultOrder,
    /// Add `app.kubernetes.io/managed-by: kustomize-…` (kustomize's `--enable-managedby-label`).
    pub add_managed_by_label: bool,
}

/// The kustomize version krust's output matches; printed in the managed-by label.
pub const KUSTOMIZE_VERSION: &str = "v5.8.1";

/// Builds the kustomization in `dir` and returns its resources in output order.
pub fn build(ws: &Workspace, dir: &Path, options: &BuildOptions) -> Result<ResMap> {
    build_with_version(ws, dir, options, KUSTOMIZE_VERSION)
}

/// [`build`], with the version the managed-by label names (`kustomize-<version>`).
pub fn build_with_version(
    ws: &Workspace,
    dir: &Path,
    options: &BuildOptions,
    managed_by_version: &str,
) -> Result<ResMap> {
    build_inner(ws, dir, options, managed_by_version, None)
}

/// [`build`], reading the files of `overlay` from memory instead of disk (an edited
/// kustomization file, decrypted sources), without writing anything.
pub fn build_with_overlay(
    ws: &Workspace,
    dir: &Path,
    options: &BuildOptions,
    overlay: &FileOverlay,
) -> Result<ResMap> {
    build_inner(ws, dir, options, KUSTOMIZE_VERSION, Some(overlay))
}

fn build_inner(
    ws: &Workspace,
    dir: &Path,
    options: &BuildOptions,
    managed_by_version: &str,
    overlay: Option<&FileOverlay>,
) -> Result<ResMap> {
    let ldr = Loader::top_with_overlay(ws, dir, options.load_restrictor, overlay)?;
    let mut target = Target::load(ldr, Rc::new(BuildState::default()))?;
    if !target.kust.build_metadata.is_empty() {
        target.origin = Some(String::new());
    }
    target.set_schema(true)?;
    let mut resources = target.make_customized()?;

    let mut list = std::mem::take(&mut resources).into_resources();
    match &target.kust.sort_options {
        Some(so) => sort::apply_sort_options(&mut list, so)?,
        None => {
            if options.default_order == DefaultOrder::Legacy {
                sort::legacy_sort(
                    &mut list,
                    sort::DEFAULT_ORDER_FIRST,
                    sort::DEFAULT_ORDER_LAST,
                );
            }
        }
    }
    let metadata = &target.kust.build_metadata;
    if options.add_managed_by_label || metadata.iter().any(|b| b == "managedByLabel") {
        let label = (
            "app.kubernetes.io/managed-by".to_string(),
            format!("kustomize-{managed_by_version}"),
        );
        let spec = crate::transformers::FieldSpec {
            path: "metadata/labels".into(),
            create: true,
            ..Default::default()
        };
        let mut rm = ResMap::new();
        rm.replace_all(std::mem::take(&mut list));
        crate::transformers::transform_labels(&mut rm, &[label], &[spec])
            .map_err(|e| Error::new(ErrorKind::Transform, e.to_string()))?;
        list = rm.into_resources();
    }
    if !metadata.iter().any(|b| b == "originAnnotations") {
        for r in &mut list {
            remove_annotation(r, ORIGIN_ANNOTATION);
        }
    }
    if !metadata.iter().any(|b| b == "transformerAnnotations") {
        for r in &mut list {
            remove_annotation(r, TRANSFORMATIONS_ANNOTATION);
        }
    }
    resources.replace_all(list);
    builtins::remove_build_annotations(&mut resources);
    for r in resources.resources_mut() {
        stringify_annotations(r);
    }
    Ok(resources)
}

/// Where an object came from (`buildMetadata: [originAnnotations]`).
const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";
/// The transformers that touched an object (`buildMetadata: [transformerAnnotations]`).
const TRANSFORMATIONS_ANNOTATION: &str = "alpha.config.kubernetes.io/transformations";

fn remove_annotation(r: &mut Resource, key: &str) {
    if let Some(md) = r.value.get_mut("metadata").and_then(Value::as_map_mut) {
        if let Some(Value::Map(a)) = md.get_mut("annotations") {
            a.shift_remove(key);
            if a.is_empty() {
                md.shift_remove("annotations");
            }
        }
    }
}

fn set_annotation(r: &mut Resource, key: &str, value: String) {
    r.value
        .ensure_map_path(&["metadata", "annotations"])
        .insert(key.to_string(), Value::String(value));
}

/// Records that a transformer ran over every object (`buildMetadata:
/// [transformerAnnotations]`): objects without an origin take the transformer as origin.
fn record_transformation(rm: &mut ResMap, origin: &str) {
    for r in rm.resources_mut() {
        if !has_annotation(r, ORIGIN_ANNOTATION) {
            set_annotation(r, ORIGIN_ANNOTATION, origin.to_string());
            continue;
        }
        let mut item = String::new();
        for (i, line) in origin.lines().enumerate() {
            item.push_str(if i == 0 { "- " } else { "  " });
            item.push_str(line);
            item.push('\n');
        }
        let mut text = r
            .annotations()
            .and_then(|a| a.get(TRANSFORMATIONS_ANNOTATION))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        text.push_str(&item);
        set_annotation(r, TRANSFORMATIONS_ANNOTATION, text);
    }
}

fn has_annotation(r: &Resource, key: &str) -> bool {
    r.annotations().is_some_and(|a| a.contains_key(key))
}

/// `filepath.Join` of an origin path and a relative path.
fn join_origin(base: &str, rel: &str) -> String {
    let joined = if base.is_empty() {
        rel.to_string()
    } else {
        format!("{base}/{rel}")
    };
    crate::loader::clean(Path::new(&joined))
        .to_string_lossy()
        .to_string()
}

/// The origin path of a remote base's root. kustomize derives it from the not-yet-cloned
/// placeholder path `/notCloned/<path>` by dropping the first segment, so a base at the
/// repository's top gets the path `notCloned`; krust matches that byte for byte.
fn remote_origin_path(path_in_repo: &str) -> String {
    if path_in_repo.is_empty() {
        return "notCloned".to_string();
    }
    join_origin("", path_in_repo)
}

/// The text of an origin annotation for a generated object.
fn generator_origin(
    configured_in: &str,
    api_version: &str,
    kind: &str,
    name: &str,
    ns: &str,
) -> String {
    let mut s = format!(
        "configuredIn: {configured_in}\nconfiguredBy:\n  apiVersion: {api_version}\n  kind: {kind}\n"
    );
    if !name.is_empty() {
        s.push_str(&format!("  name: {name}\n"));
    }
    if !ns.is_empty() {
        s.push_str(&format!("  namespace: {ns}\n"));
    }
    s
}

/// kustomize rewrites every non-empty annotation map as strings when it strips its build
/// annotations at the end, so `port: 8080` is printed as `port: "8080"`.
fn stringify_annotations(r: &mut Resource) {
    if let Some(Value::Map(a)) = r.value.get_path_mut(&["metadata", "annotations"]) {
        for v in a.values_mut() {
            if !matches!(v, Value::String(_) | Value::Map(_) | Value::Seq(_)) {
                *v = Value::String(v.scalar_text().unwrap_or_default());
            }
        }
    }
}

/// Builds and renders as `kustomize build` prints (documents separated by `---`).
pub fn build_to_string(ws: &Workspace, dir: &Path, options: &BuildOptions) -> Result<String> {
    let rm = build(ws, dir, options)?;
    Ok(render(&rm))
}

/// Renders resources as `kustomize build` prints them.
pub fn render(rm: &ResMap) -> String {
    krust_yaml::documents_to_string(rm.resources().iter().map(|r| &r.value))
}

/// What a kustomization has accumulated so far.
#[derive(Debug, Default)]
struct Accumulator {
    resources: ResMap,
    /// Parsed `configurations:` documents, in merge order.
    configurations: Vec<Value>,
    /// `vars:` bound so far, merged bottom-up.
    vars: VarSet,
}

impl Accumulator {
    /// Appends resources, refusing ids that are already present.
    fn append_all(&mut self, incoming: Vec<Resource>) -> Result<()> {
        for r in incoming {
            self.append(r)?;
        }
        Ok(())
    }

    fn append(&mut self, r: Resource) -> Result<()> {
        let id = r.id();
        if !self.resources.positions_of(&id).is_empty() {
            return Err(Error::new(
                ErrorKind::DuplicateId,
                format!("may not add resource with an already registered id: {id}"),
            )
            .at(r.origin.path.clone()));
        }
        self.resources.push(r);
        Ok(())
    }

    /// Merges a sub-accumulator (a base).
    fn merge(&mut self, other: Accumulator) -> Result<()> {
        self.append_all(other.resources.into_resources())?;
        self.configurations.extend(other.configurations);
        self.vars
            .merge_set(other.vars)
            .map_err(|e| Error::new(ErrorKind::Transform, e.to_string()))?;
        Ok(())
    }

    /// Adds a generated object (kustomize's `appendReplaceOrMerge`).
    fn absorb(&mut self, generated: generators::Generated) -> Result<()> {
        let mut res = generated.resource;
        let id = res.id();
        let key = id.index_key();
        // Match on the current id or any previous id (the object may have been renamed).
        let matches: Vec<usize> = self
            .resources
            .resources()
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.id().index_key() == key || r.previous_ids.iter().any(|p| p.index_key() == key)
            })
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [] => match generated.behavior {
                Behavior::Merge | Behavior::Replace => Err(Error::new(
                    ErrorKind::Generator,
                    format!("id {} does not exist; cannot merge or replace", go_id(&id)),
                )),
                _ => self.append(res),
            },
            [i] => {
                let old = &self.resources.resources()[*i];
                match generated.behavior {
                    Behavior::Replace | Behavior::Merge => {
                        copy_merge_metadata(&mut res, old);
                        if generated.behavior == Behavior::Merge {
                            for field in ["data", "binaryData"] {
                                merge_string_map(&mut res.value, &old.value, field);
                            }
                            // Merging keeps the original object's origin.
                            if let Some(o) = old
                                .annotations()
                                .and_then(|a| a.get(ORIGIN_ANNOTATION))
                                .cloned()
                            {
                                res.value
                                    .ensure_map_path(&["metadata", "annotations"])
                                    .insert(ORIGIN_ANNOTATION.to_string(), o);
                            }
                        }
                        res.origin = old.origin.clone();
                    }
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Generator,
                            format!(
                                "id {} exists; behavior must be merge or replace",
                                go_id(&id)
                            ),
                        ))
                    }
                }
                let i = *i;
                let mut all = std::mem::take(&mut self.resources).into_resources();
                all[i] = res;
                self.resources.replace_all(all);
                Ok(())
            }
            _ => Err(Error::new(
                ErrorKind::Generator,
                format!("found multiple objects that could accept merge of {id}"),
            )),
        }
    }
}

/// kustomize prints ids with Go's `%#v` in generator errors; the important part for users (and
/// the corpus) is the trailing text, so a readable id is enough.
fn go_id(id: &crate::resource::ResId) -> String {
    format!(
        "resid.ResId{{Gvk:resid.Gvk{{Group:\"{}\", Version:\"{}\", Kind:\"{}\"}}, Name:\"{}\", Namespace:\"{}\"}}",
        id.gvk.group, id.gvk.version, id.gvk.kind, id.name, id.namespace
    )
}

/// `res` takes `old`'s name, namespace and previous ids; labels and annotations are merged
/// with `res`'s winning.
fn copy_merge_metadata(res: &mut Resource, old: &Resource) {
    for field in ["labels", "annotations"] {
        let mut merged = old
            .value
            .get_path(&["metadata", field])
            .and_then(Value::as_map)
            .cloned()
            .unwrap_or_default();
        if let Some(mine) = res
            .value
            .get_path(&["metadata", field])
            .and_then(Value::as_map)
        {
            for (k, v) in mine {
                merged.insert(k.clone(), v.clone());
            }
        }
        let md = res.value.ensure_map_path(&["metadata"]);
        if merged.is_empty() {
            md.shift_remove(field);
        } else {
            md.insert(field.to_string(), Value::Map(merged));
        }
    }
    res.set_name(old.name());
    let ns = old.namespace().to_string();
    if ns.is_empty() {
        if let Some(md) = res.value.get_mut("metadata").and_then(Value::as_map_mut) {
            md.shift_remove("namespace");
        }
    } else {
        res.set_namespace(&ns);
    }
    res.previous_ids = old.previous_ids.clone();
    // The hash-suffix mark is a build annotation: it survives only if both had it.
    res.needs_hash_suffix = res.needs_hash_suffix && old.needs_hash_suffix;
}

fn merge_string_map(into: &mut Value, from: &Value, field: &str) {
    let mut merged = from
        .get(field)
        .and_then(Value::as_map)
        .cloned()
        .unwrap_or_default();
    if let Some(mine) = into.get(field).and_then(Value::as_map) {
        for (k, v) in mine {
            merged.insert(k.clone(), v.clone());
        }
    }
    if let Some(m) = into.as_map_mut() {
        if merged.is_empty() {
            m.shift_remove(field);
        } else {
            m.insert(field.to_string(), Value::Map(merged));
        }
    }
}

/// One kustomization directory being built.
struct Target<'w> {
    ldr: Loader<'w>,
    kust: Kustomization,
    file_name: &'static str,
    state: Rc<BuildState>,
    /// Path of this kustomization relative to the top one, when origins are recorded
    /// (`buildMetadata` set at the top).
    origin: Option<String>,
}

/// What all kustomizations of one build share: the OpenAPI schema in force (kustomize keeps it
/// in a global; the first kustomization that sets one wins, the top-level one always does).
#[derive(Default)]
struct BuildState {
    schema: RefCell<Option<Arc<MergeSchema>>>,
    schema_set: Cell<bool>,
}

impl<'w> Target<'w> {
    /// Finds and parses the kustomization file in the loader's root.
    fn load(ldr: Loader<'w>, state: Rc<BuildState>) -> Result<Target<'w>> {
        let root = ldr.root_display();
        let mut found = None;
        let mut count = 0;
        for name in KUSTOMIZATION_FILE_NAMES {
            let p = ldr.root().join(name);
            let (exists, is_dir) = ldr.stat(&p);
            if exists && !is_dir {
                count += 1;
                if found.is_none() {
                    found = Some((name, p));
                }
            }
        }
        let Some((name, path)) = found else {
            return Err(Error::new(
                ErrorKind::MissingKustomizationFile,
                format!(
                    "unable to find one of 'kustomization.yaml', 'kustomization.yml' or \
                     'Kustomization' in directory '{root}'"
                ),
            )
            .at(ldr.root()));
        };
        if count > 1 {
            return Err(Error::new(
                ErrorKind::MultipleKustomizationFiles,
                format!("Found multiple kustomization files under: {root}\n"),
            )
            .at(ldr.root()));
        }
        let bytes = ldr.read(&path)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::new(
                ErrorKind::InvalidKustomization,
                format!(
                    "invalid Kustomization: '{}' is not UTF-8 text",
                    path.display()
                ),
            )
            .at(&path)
        })?;
        let kust = Kustomization::parse(&text, &root).map_err(|e| e.at(&path))?;
        if kust.uses_helm {
            return Err(Error::unsupported("helm charts (helmCharts/helmGlobals)").at(&path));
        }
        Ok(Target {
            ldr,
            kust,
            file_name: name,
            state,
            origin: None,
        })
    }

    /// Applies this kustomization's `openapi` field (kustomize's `openapi.SetSchema`).
    fn set_schema(&self, reset: bool) -> Result<()> {
        if self.state.schema_set.get() && !reset {
            return Ok(());
        }
        let version = self.kust.openapi.get("version");
        if let Some(path) = self.kust.openapi.get("path") {
            let text = self.ldr.load_text(path)?;
            if version.is_some() {
                return Err(Error::new(
                    ErrorKind::InvalidKustomization,
                    "builtin version and custom schema provided, cannot use both",
                )
                .at(self.kust_path()));
            }
            let schema = openapi::merge_schema_from_openapi(&text, path)?;
            *self.state.schema.borrow_mut() = Some(Arc::new(schema));
            self.state.schema_set.set(true);
            return Ok(());
        }
        match version.map(String::as_str) {
            None | Some("") => Ok(()),
            Some(openapi::BUILTIN_OPENAPI_VERSION) => {
                *self.state.schema.borrow_mut() = None;
                self.state.schema_set.set(true);
                Ok(())
            }
            Some(_) => Err(Error::new(
                ErrorKind::InvalidKustomization,
                "the specified OpenAPI version is not built in",
            )
            .at(self.kust_path())),
        }
    }

    fn kust_path(&self) -> std::path::PathBuf {
        self.ldr.root().join(self.file_name)
    }

    /// Top-level build: accumulate, then the steps kustomize runs once at the top.
    fn make_customized(&self) -> Result<ResMap> {
        let mut ra = self.accumulate(Accumulator::default())?;
        self.add_hash_suffixes(&mut ra);
        let tc =
            builtins::transformer_config(&ra.configurations).map_err(|e| e.at(self.kust_path()))?;
        builtins::fix_name_references(&mut ra.resources, &tc)
            .map_err(|e| e.at(self.kust_path()))?;
        if !ra.vars.is_empty() {
            crate::vars::resolve_vars(&mut ra.resources, &ra.vars, &tc.var_reference).map_err(
                |e| Error::new(ErrorKind::Transform, e.to_string()).at(self.kust_path()),
            )?;
        }
        // Drop objects marked `config.kubernetes.io/local-config` (unless "false").
        ra.resources.retain(|r| {
            r.annotations()
                .and_then(|a| a.get("config.kubernetes.io/local-config"))
                .is_none_or(|v| v.scalar_text().as_deref() == Some("false"))
        });
        Ok(ra.resources)
    }

    fn add_hash_suffixes(&self, ra: &mut Accumulator) {
        let mut changed = false;
        for r in ra.resources.resources_mut() {
            if r.needs_hash_suffix {
                let h = hash::name_hash(&r.value);
                r.remember_id();
                let name = format!("{}-{h}", r.name());
                r.set_name(&name);
                r.needs_hash_suffix = false;
                changed = true;
            }
        }
        if changed {
            ra.resources.reindex();
        }
    }

    /// kustomize's `accumulateTarget`.
    fn accumulate(&self, ra: Accumulator) -> Result<Accumulator> {
        let mut ra = self
            .accumulate_resources(ra)
            .map_err(|e| e.wrap("accumulating resources"))?;
        for c in &self.kust.configurations {
            let docs = self.ldr.load_documents(c)?;
            match docs.as_ref() {
                Ok(docs) => ra
                    .configurations
                    .extend(docs.iter().map(|d| d.value.clone())),
                Err(e) => return Err(malformed(e, &self.ldr.resolve(c))),
            }
        }
        for c in &self.kust.crds {
            let prefix = || format!("loading CRDs [{}]", self.kust.crds.join(" "));
            let text = self.ldr.load_text(c).map_err(|e| e.wrap(prefix()))?;
            let cfg = crate::crds::config_from_crd_file(&text, c).map_err(|e| e.wrap(prefix()))?;
            ra.configurations.push(cfg);
        }
        self.run_generators(&mut ra)?;
        let mut ra = self
            .accumulate_components(ra)
            .map_err(|e| e.wrap("accumulating components"))?;
        self.run_transformers(&mut ra)?;
        if !self.kust.validators.is_empty() {
            return Err(Error::unsupported("validators").at(self.kust_path()));
        }
        if !self.kust.vars.is_empty() {
            let merging = || format!("merging vars {}", describe_vars(&self.kust.vars));
            let vars =
                crate::vars::parse_vars(&Value::Seq(self.kust.vars.clone())).map_err(|e| {
                    Error::new(ErrorKind::InvalidKustomization, e.to_string())
                        .wrap(merging())
                        .at(self.kust_path())
                })?;
            ra.vars.merge_vars(&ra.resources, &vars).map_err(|e| {
                Error::new(ErrorKind::Transform, e.to_string())
                    .wrap(merging())
                    .at(self.kust_path())
            })?;
        }
        Ok(ra)
    }

    fn accumulate_resources(&self, ra: Accumulator) -> Result<Accumulator> {
        self.accumulate_paths(ra, &self.kust.resources)
    }

    /// Adds each path's objects: a file's documents, or a directory built as a base.
    fn accumulate_paths(&self, mut ra: Accumulator, paths: &[String]) -> Result<Accumulator> {
        for path in paths {
            match self.accumulate_file(&mut ra, path) {
                Ok(()) => {}
                Err(err_f) => {
                    // An HTTP error status (or --offline) is a definite answer; a URL that is
                    // not a repo spec cannot be a base either.
                    if err_f.kind == ErrorKind::RemoteHttp
                        || (crate::remote::is_remote_file(path)
                            && crate::remote::RepoSpec::parse(path).is_err())
                    {
                        return Err(err_f.at(self.kust_path()));
                    }
                    let child = match self.ldr.child(path) {
                        Ok(c) => c,
                        Err(err) => {
                            if err_f.kind == ErrorKind::MalformedYaml {
                                return Err(err_f);
                            }
                            // A remote reference has no local file: name the kustomization.
                            let path_hint =
                                if matches!(err.kind, ErrorKind::Remote | ErrorKind::RemoteHttp) {
                                    Some(self.kust_path())
                                } else {
                                    err.path.clone().or(err_f.path.clone())
                                };
                            let mut e = err.wrap(format!("accumulation err='{}'", err_f.message));
                            e.path = path_hint;
                            return Err(e);
                        }
                    };
                    ra = self
                        .accumulate_directory(ra, child, path, false)
                        .map_err(|e| e.wrap(format!("accumulation err='{}'", err_f.message)))?;
                }
            }
        }
        Ok(ra)
    }

    fn accumulate_components(&self, mut ra: Accumulator) -> Result<Accumulator> {
        for path in &self.kust.components {
            let child = self
                .ldr
                .child(path)
                .map_err(|e| e.wrap("loader.New").quote_rest())?;
            ra = self
                .accumulate_directory(ra, child, path, true)
                .map_err(|e| e.wrap("accumulateDirectory").quote_rest())?;
        }
        Ok(ra)
    }

    fn accumulate_directory(
        &self,
        ra: Accumulator,
        ldr: Loader<'w>,
        rel: &str,
        is_component: bool,
    ) -> Result<Accumulator> {
        let root = ldr.root_display();
        let mut sub = Target::load(ldr, Rc::clone(&self.state))
            .map_err(|e| e.wrap(format!("couldn't make target for path '{root}'")))?;
        sub.origin = self.origin.as_ref().map(|o| match sub.ldr.remote_root() {
            // A freshly cloned base: its origin restarts at its path inside the repository.
            Some(r) if crate::remote::RepoSpec::parse(rel).is_ok() => remote_origin_path(&r.path),
            _ => join_origin(o, rel),
        });
        sub.set_schema(false)?;
        if is_component && sub.kust.kind != KustKind::Component {
            return Err(Error::new(
                ErrorKind::InvalidKustomization,
                format!(
                    "expected kind 'Component' for path '{root}' but got '{}'",
                    sub.kust.kind.as_str()
                ),
            )
            .at(sub.kust_path()));
        }
        if !is_component && sub.kust.kind == KustKind::Component {
            return Err(Error::new(
                ErrorKind::InvalidKustomization,
                format!("expected kind != 'Component' for path '{root}'"),
            )
            .at(sub.kust_path()));
        }
        if is_component {
            sub.accumulate(ra)
                .map_err(|e| e.wrap(format!("recursed accumulation of path '{root}'")))
        } else {
            let sub_ra = sub
                .accumulate(Accumulator::default())
                .map_err(|e| e.wrap(format!("recursed accumulation of path '{root}'")))?;
            let mut ra = ra;
            ra.merge(sub_ra)
                .map_err(|e| e.wrap(format!("recursed merging from path '{root}'")))?;
            Ok(ra)
        }
    }

    /// An origin annotation's text for a file at origin path `path`, naming the repository and
    /// ref when this kustomization was cloned from git.
    fn origin_text(&self, path: &str) -> String {
        let mut text = format!("path: {path}\n");
        if let Some(r) = self.ldr.remote_root() {
            text.push_str(&format!("repo: {}\n", r.url));
            if !r.git_ref.is_empty() {
                text.push_str(&format!("ref: {}\n", r.git_ref));
            }
        }
        text
    }

    fn accumulate_file(&self, ra: &mut Accumulator, path: &str) -> Result<()> {
        let mut resources = self
            .resources_from_file(path)
            .map_err(|e| e.wrap(format!("accumulating resources from '{path}'")))?;
        if let Some(o) = &self.origin {
            let text = self.origin_text(&join_origin(o, path));
            for r in &mut resources {
                set_annotation(r, ORIGIN_ANNOTATION, text.clone());
            }
        }
        ra.append_all(resources)
            .map_err(|e| e.wrap(format!("merging resources from '{path}'")))
    }

    /// Reads the objects of one file (kustomize's `FromFile`): empty documents are skipped,
    /// `*List` objects are flattened, and ids must be unique within the file.
    fn resources_from_file(&self, path: &str) -> Result<Vec<Resource>> {
        let full = self.ldr.resolve(path);
        let parsed = self.ldr.load_documents(path)?;
        let docs = match parsed.as_ref() {
            Ok(d) => d,
            Err(e) => return Err(malformed(e, &full)),
        };
        resources_from_documents(docs, path, &full)
    }

    /// Plugin configs of `generators:` / `transformers:`: inline YAML objects, files, or
    /// directories built as kustomizations (kustomize's `configureExternal…`).
    fn load_plugin_configs(&self, entries: &[String]) -> Result<Vec<Resource>> {
        let mut ra = Accumulator::default();
        let mut paths = Vec::new();
        for entry in entries {
            let inline = krust_yaml::parse_documents(entry)
                .ok()
                .filter(|docs| docs.iter().any(|d| matches!(d.value, Value::Map(_))))
                .and_then(|docs| resources_from_documents(&docs, "inline", &self.kust_path()).ok());
            match inline {
                Some(mut rs) => {
                    if let Some(o) = &self.origin {
                        let text = self.origin_text(&join_origin(o, self.file_name));
                        for r in &mut rs {
                            set_annotation(r, ORIGIN_ANNOTATION, text.clone());
                        }
                    }
                    ra.append_all(rs)?
                }
                None => paths.push(entry.clone()),
            }
        }
        let ra = self.accumulate_paths(ra, &paths)?;
        Ok(ra.resources.into_resources())
    }
}

/// Turns parsed documents into resources (kustomize's resource factory): empty documents are
/// skipped, `*List` objects are flattened, and ids must be unique.
fn resources_from_documents(
    docs: &[krust_yaml::Document],
    path: &str,
    full: &Path,
) -> Result<Vec<Resource>> {
    let full = full.to_path_buf();
    {
        let mut queue: std::collections::VecDeque<(Value, usize)> =
            docs.iter().map(|d| (d.value.clone(), d.line)).collect();
        let mut out: Vec<Resource> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while let Some((value, line)) = queue.pop_front() {
            if value.is_null() {
                continue;
            }
            let Value::Map(m) = &value else {
                return Err(Error::new(
                    ErrorKind::MalformedYaml,
                    format!(
                        "MalformedYAMLError: expected a mapping, found a {} in File: {path}",
                        value.kind_name()
                    ),
                )
                .at(&full));
            };
            if m.is_empty() {
                continue;
            }
            let kind = value.str_at(&["kind"]).unwrap_or("");
            if kind.is_empty() {
                return Err(Error::new(
                    ErrorKind::MalformedYaml,
                    format!("missing kind in object at line {line}"),
                )
                .at(&full));
            }
            if kind.ends_with("List") {
                match value.get("items") {
                    None => {}
                    Some(Value::Null) => continue,
                    Some(Value::Seq(items)) => {
                        for item in items {
                            queue.push_back((item.clone(), line));
                        }
                        continue;
                    }
                    Some(_) => {
                        return Err(Error::new(
                            ErrorKind::MalformedYaml,
                            format!("expected array in {kind}/items"),
                        )
                        .at(&full))
                    }
                }
            } else if value.str_at(&["metadata", "name"]).unwrap_or("").is_empty() {
                return Err(Error::new(
                    ErrorKind::MalformedYaml,
                    format!("missing metadata.name in object of kind {kind} at line {line}"),
                )
                .at(&full));
            }
            let r = Resource::new(
                value,
                Origin {
                    path: full.clone(),
                    line,
                },
            );
            let key = r.id().index_key();
            if !seen.insert(key) {
                return Err(Error::new(
                    ErrorKind::DuplicateId,
                    format!(
                        "may not add resource with an already registered id: {}",
                        r.id()
                    ),
                )
                .at(&full));
            }
            out.push(r);
        }
        Ok(out)
    }
}

impl<'w> Target<'w> {
    fn run_generators(&self, ra: &mut Accumulator) -> Result<()> {
        let global = self.kust.generator_options.as_ref();
        let gens = self
            .kust
            .config_map_generator
            .iter()
            .map(|g| (GeneratorKind::ConfigMap, g))
            .chain(
                self.kust
                    .secret_generator
                    .iter()
                    .map(|g| (GeneratorKind::Secret, g)),
            );
        for (kind, args) in gens {
            let mut g = generators::generate(&self.ldr, kind, args, global, self.file_name)?;
            if let Some(o) = &self.origin {
                let kind_name = match kind {
                    GeneratorKind::ConfigMap => "ConfigMapGenerator",
                    GeneratorKind::Secret => "SecretGenerator",
                };
                let text = generator_origin(
                    &join_origin(o, self.file_name),
                    "builtin",
                    kind_name,
                    "",
                    "",
                );
                set_annotation(&mut g.resource, ORIGIN_ANNOTATION, text);
            }
            ra.absorb(g).map_err(|e| {
                e.wrap(format!(
                    "merging from generator {}",
                    match kind {
                        GeneratorKind::ConfigMap => "ConfigMapGenerator",
                        GeneratorKind::Secret => "SecretGenerator",
                    }
                ))
                .at(self.kust_path())
            })?;
        }
        if !self.kust.generators.is_empty() {
            let configs = self.load_plugin_configs(&self.kust.generators)?;
            for cfg in &configs {
                for mut g in plugins::generate(cfg, &self.ldr, self.file_name)
                    .map_err(|e| e.at(self.kust_path()))?
                {
                    if self.origin.is_some() && !has_annotation(&g.resource, ORIGIN_ANNOTATION) {
                        let configured_in = cfg
                            .annotations()
                            .and_then(|a| a.get(ORIGIN_ANNOTATION))
                            .and_then(Value::as_str)
                            .and_then(|t| t.strip_prefix("path: "))
                            .map(|t| t.trim_end().to_string())
                            .unwrap_or_default();
                        let text = generator_origin(
                            &configured_in,
                            cfg.api_version(),
                            cfg.kind(),
                            cfg.name(),
                            cfg.namespace(),
                        );
                        set_annotation(&mut g.resource, ORIGIN_ANNOTATION, text);
                    }
                    ra.absorb(g).map_err(|e| {
                        e.wrap(format!("merging from generator {}", cfg.id()))
                            .at(self.kust_path())
                    })?;
                }
            }
        }
        Ok(())
    }

    /// The builtin transformers in kustomize's order, then `transformers:`.
    fn run_transformers(&self, ra: &mut Accumulator) -> Result<()> {
        let tc =
            builtins::transformer_config(&ra.configurations).map_err(|e| e.at(self.kust_path()))?;
        let custom = self.state.schema.borrow().clone();
        let schema: &MergeSchema = custom.as_deref().unwrap_or_else(|| MergeSchema::builtin());
        let tracking = self.origin.is_some();
        let configured_in = self
            .origin
            .as_ref()
            .map(|o| join_origin(o, self.file_name))
            .unwrap_or_default();
        let mut done = |rm: &mut ResMap, kind: &str| {
            if tracking {
                record_transformation(
                    rm,
                    &generator_origin(&configured_in, "builtin", kind, "", ""),
                );
            }
        };
        builtins::run(
            &self.kust,
            &self.ldr,
            &mut ra.resources,
            &tc,
            schema,
            &mut done,
        )
        .map_err(|e| e.at(self.kust_path()))?;
        if !self.kust.transformers.is_empty() {
            let configs = self.load_plugin_configs(&self.kust.transformers)?;
            for cfg in &configs {
                plugins::transform(cfg, &self.ldr, &mut ra.resources, &tc, schema)
                    .map_err(|e| e.at(self.kust_path()))?;
                if tracking {
                    let configured_in = cfg
                        .annotations()
                        .and_then(|a| a.get(ORIGIN_ANNOTATION))
                        .and_then(Value::as_str)
                        .and_then(|t| t.strip_prefix("path: "))
                        .map(|t| t.trim_end().to_string())
                        .unwrap_or_default();
                    record_transformation(
                        &mut ra.resources,
                        &generator_origin(
                            &configured_in,
                            cfg.api_version(),
                            cfg.kind(),
                            cfg.name(),
                            cfg.namespace(),
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

/// A short description of `vars:` for error prefixes.
fn describe_vars(vars: &[Value]) -> String {
    let names: Vec<String> = vars
        .iter()
        .map(|v| v.str_at(&["name"]).unwrap_or("").to_string())
        .collect();
    format!("[{}]", names.join(" "))
}

fn malformed(e: &krust_yaml::ParseError, path: &Path) -> Error {
    Error::new(
        ErrorKind::MalformedYaml,
        format!(
            "MalformedYAMLError: yaml: line {}: {} in File: {}",
            e.line,
            e.message,
            path.display()
        ),
    )
    .at(path)
}

impl Error {
    /// kustomize formats some wrapped errors with `%q`: the part after the prefix is quoted.
    fn quote_rest(mut self) -> Error {
        if let Some((prefix, rest)) = self.message.split_once(": ") {
            self.message = format!(
                "{prefix}: \"{}\"",
                rest.replace('\\', "\\\\").replace('"', "\\\"")
            );
        }
        self
    }
}

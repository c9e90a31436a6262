//! What every rule sees: the input, the config, the schemas, and indexes built once.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use krust_yaml::Value;
use rayon::prelude::*;

use crate::config::{matches_prefix, Config};
use crate::finding::{Finding, ObjectRef};
use crate::input::{flux_path, CheckInput, CheckedObject};
use crate::location::{self, PositionCache};
use crate::registry::RuleMeta;
use crate::schema::{SchemaError, SchemaSet, SchemaSource};
use crate::util;

/// The annotation that suppresses findings on one object: a comma-separated list of codes or
/// prefixes (`KR-IMG-001,KR-SEC`), or `all`.
pub const IGNORE_ANNOTATION: &str = "krust.dev/ignore";

/// The Flux API group of Kustomizations.
pub const FLUX_KS_GROUP: &str = "kustomize.toolkit.fluxcd.io";
/// The Flux API group of HelmReleases.
pub const FLUX_HELM_GROUP: &str = "helm.toolkit.fluxcd.io";

/// A Flux Kustomization found among the objects.
#[derive(Debug, Clone)]
pub struct FluxKs<'a> {
    /// Index of the object.
    pub index: usize,
    /// The object.
    pub object: &'a CheckedObject,
    /// `namespace/name`.
    pub id: String,
    /// `spec.path` normalised relative to the root.
    pub path: std::path::PathBuf,
    /// `spec.dependsOn` as `namespace/name`.
    pub depends_on: Vec<String>,
}

/// The per-object outcome of schema validation.
#[derive(Debug, Clone)]
pub struct SchemaOutcome {
    /// Index of the object.
    pub index: usize,
    /// Where its schema came from (`None`: no schema known).
    pub source: Option<SchemaSource>,
    /// Problems found.
    pub errors: Vec<SchemaError>,
}

/// Shared state of one check run.
pub struct Context<'a> {
    /// The input.
    pub input: &'a CheckInput,
    /// The configuration.
    pub config: &'a Config,
    /// Schemas for the target version.
    pub schemas: &'a SchemaSet,
    /// Strict schema validation (unknown fields).
    pub strict: bool,
    by_kind: HashMap<&'a str, Vec<usize>>,
    by_id: HashMap<(String, String, String), Vec<usize>>,
    /// Origin id → (namespace, whether it overrides the object's own namespace).
    targets: HashMap<String, (String, bool)>,
    schema_outcomes: OnceLock<Vec<SchemaOutcome>>,
    flux_ks: Vec<FluxKs<'a>>,
    /// Index of `flux_ks` by `namespace/name`.
    flux_ks_by_id: HashMap<String, usize>,
    /// Index of `input.files` by path.
    files_by_path: HashMap<&'a Path, usize>,
    positions: PositionCache,
}

/// `dependsOn` entries of a Flux object as `namespace/name`.
pub fn depends_on(v: &Value) -> Vec<String> {
    let own_ns = match util::namespace(v) {
        "" => "flux-system",
        ns => ns,
    };
    v.get_path(&["spec", "dependsOn"])
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let name = d.str_at(&["name"])?;
            let ns = d.str_at(&["namespace"]).unwrap_or(own_ns);
            Some(format!("{ns}/{name}"))
        })
        .collect()
}

impl<'a> Context<'a> {
    /// Builds the indexes.
    pub fn new(
        input: &'a CheckInput,
        config: &'a Config,
        schemas: &'a SchemaSet,
        strict: bool,
    ) -> Context<'a> {
        let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_id: HashMap<(String, String, String), Vec<usize>> = HashMap::new();
        let mut flux_ks = Vec::new();
        let mut ctx = Context {
            input,
            config,
            schemas,
            strict,
            by_kind: HashMap::new(),
            by_id: HashMap::new(),
            targets: HashMap::new(),
            schema_outcomes: OnceLock::new(),
            flux_ks: Vec::new(),
            flux_ks_by_id: HashMap::new(),
            files_by_path: input
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.path.as_path(), i))
                .collect(),
            positions: PositionCache::default(),
        };
        for o in &input.objects {
            if util::kind(&o.value) == "Kustomization"
                && util::group(util::api_version(&o.value)) == FLUX_KS_GROUP
            {
                if let Some(t) = o.value.str_at(&["spec", "targetNamespace"]) {
                    let ns = match util::namespace(&o.value) {
                        "" => "flux-system",
                        n => n,
                    };
                    ctx.targets.insert(
                        format!("{ns}/{}", util::name(&o.value)),
                        (t.to_string(), true),
                    );
                }
            }
            if util::kind(&o.value) == "Application"
                && util::group(util::api_version(&o.value)) == "argoproj.io"
            {
                if let Some(t) = o.value.str_at(&["spec", "destination", "namespace"]) {
                    let ns = match util::namespace(&o.value) {
                        "" => "argocd",
                        n => n,
                    };
                    ctx.targets.insert(
                        format!("Application {ns}/{}", util::name(&o.value)),
                        (t.to_string(), false),
                    );
                }
            }
        }
        for (i, o) in input.objects.iter().enumerate() {
            let kind = util::kind(&o.value);
            by_kind.entry(kind).or_default().push(i);
            let ns = ctx.effective_namespace(o);
            by_id
                .entry((kind.to_string(), ns, util::name(&o.value).to_string()))
                .or_default()
                .push(i);
            if kind == "Kustomization" && util::group(util::api_version(&o.value)) == FLUX_KS_GROUP
            {
                let ns = match util::namespace(&o.value) {
                    "" => "flux-system",
                    n => n,
                };
                flux_ks.push(FluxKs {
                    index: i,
                    object: o,
                    id: format!("{ns}/{}", util::name(&o.value)),
                    path: flux_path(&o.value),
                    depends_on: depends_on(&o.value),
                });
            }
        }
        ctx.by_kind = by_kind;
        ctx.by_id = by_id;
        // The first definition wins, as a linear search would find it.
        for (i, k) in flux_ks.iter().enumerate().rev() {
            ctx.flux_ks_by_id.insert(k.id.clone(), i);
        }
        ctx.flux_ks = flux_ks;
        ctx
    }

    /// Every object with its index.
    pub fn objects(&self) -> impl Iterator<Item = (usize, &'a CheckedObject)> + '_ {
        self.input.objects.iter().enumerate()
    }

    /// Objects of one kind.
    pub fn of_kind(&self, kind: &str) -> impl Iterator<Item = &'a CheckedObject> + '_ {
        self.by_kind
            .get(kind)
            .into_iter()
            .flatten()
            .map(|&i| &self.input.objects[i])
    }

    /// Objects of one kind, name and (effective) namespace.
    pub fn find(&self, kind: &str, namespace: &str, name: &str) -> Vec<&'a CheckedObject> {
        let key = (kind.to_string(), namespace.to_string(), name.to_string());
        self.by_id
            .get(&key)
            .map(|v| v.iter().map(|&i| &self.input.objects[i]).collect())
            .unwrap_or_default()
    }

    /// Whether an object of `kind` named `name` exists in `namespace`.
    pub fn exists(&self, kind: &str, namespace: &str, name: &str) -> bool {
        !self.find(kind, namespace, name).is_empty()
    }

    /// The Flux Kustomizations among the objects.
    pub fn flux_kustomizations(&self) -> &[FluxKs<'a>] {
        &self.flux_ks
    }

    /// The Flux Kustomization with this `namespace/name`.
    pub fn flux_ks(&self, id: &str) -> Option<&FluxKs<'a>> {
        self.flux_ks_by_id.get(id).map(|&i| &self.flux_ks[i])
    }

    /// The namespace an object lands in: its own, else its Flux Kustomization's
    /// `targetNamespace`, else `default`; empty for cluster-scoped kinds.
    pub fn effective_namespace(&self, o: &CheckedObject) -> String {
        let kind = util::kind(&o.value);
        if util::is_cluster_scoped(kind) {
            return String::new();
        }
        let target = o.origin.as_ref().and_then(|id| self.targets.get(id));
        if let Some((t, overrides)) = target.filter(|(t, _)| !t.is_empty()) {
            if *overrides || util::namespace(&o.value).is_empty() {
                return t.to_string();
            }
        }
        match util::namespace(&o.value) {
            "" => "default".to_string(),
            ns => ns.to_string(),
        }
    }

    /// Schema validation of every object (computed once, in parallel).
    pub fn schema_outcomes(&self) -> &[SchemaOutcome] {
        self.schema_outcomes.get_or_init(|| {
            self.input
                .objects
                .par_iter()
                .enumerate()
                .map(|(i, o)| {
                    let api = util::api_version(&o.value);
                    let kind = util::kind(&o.value);
                    match self.schemas.lookup(api, kind) {
                        Some((schema, source)) => {
                            let mut errors = Vec::new();
                            let mut path = String::new();
                            // The `sops` block is removed by decryption before apply.
                            let stripped;
                            let value = if o.value.get("sops").is_some() {
                                let mut v = o.value.clone();
                                if let Some(m) = v.as_map_mut() {
                                    m.shift_remove("sops");
                                }
                                stripped = v;
                                &stripped
                            } else {
                                &o.value
                            };
                            crate::schema::validate(
                                schema,
                                self.schemas.defs(),
                                value,
                                &mut path,
                                self.strict,
                                &mut errors,
                            );
                            SchemaOutcome {
                                index: i,
                                source: Some(source),
                                errors,
                            }
                        }
                        None => SchemaOutcome {
                            index: i,
                            source: None,
                            errors: Vec::new(),
                        },
                    }
                })
                .collect()
        })
    }

    /// The reference of an object.
    pub fn object_ref(&self, o: &CheckedObject) -> ObjectRef {
        ObjectRef {
            api_version: util::api_version(&o.value).to_string(),
            kind: util::kind(&o.value).to_string(),
            namespace: util::namespace(&o.value).to_string(),
            name: util::name(&o.value).to_string(),
        }
    }

    /// A finding about an object.
    pub fn finding(
        &self,
        meta: &'static RuleMeta,
        o: &CheckedObject,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            code: meta.code,
            severity: self.config.severity_of(meta),
            message: message.into(),
            file: o.file.clone(),
            line: o.line,
            object: Some(self.object_ref(o)),
            origin: o.origin.clone(),
            field: None,
            suppressed: suppressed_by(&o.value, meta.code),
        }
    }

    /// A finding about one field of an object, at the line of that field in the object's source
    /// file when it can be found there (see [`crate::location`]), else at the object's line.
    pub fn field_finding(
        &self,
        meta: &'static RuleMeta,
        o: &CheckedObject,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        let mut f = self.finding(meta, o, message);
        let field = field.into();
        f.line = self.field_line(o, &field);
        f.field = Some(field);
        f
    }

    /// The line of `field` of `o` in its source file (its document's line when unknown).
    pub fn field_line(&self, o: &CheckedObject, field: &str) -> usize {
        if o.line == 0 || field.is_empty() {
            return o.line;
        }
        let Some(docs) = self.positions.get(&self.input.root.join(&o.file)) else {
            return o.line;
        };
        let source = self
            .files_by_path
            .get(o.file.as_path())
            .and_then(|&i| {
                self.input.files[i]
                    .documents
                    .iter()
                    .find(|d| d.line == o.line)
            })
            .map(|d| &d.value);
        let rendered = o.unsubstituted.as_ref().unwrap_or(&o.value);
        location::field_line(&docs, o.line, source, rendered, field)
    }

    /// A finding about a file (no object).
    pub fn file_finding(
        &self,
        meta: &'static RuleMeta,
        file: &Path,
        line: usize,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            code: meta.code,
            severity: self.config.severity_of(meta),
            message: message.into(),
            file: file.to_path_buf(),
            line,
            object: None,
            origin: None,
            field: None,
            suppressed: false,
        }
    }
}

/// Whether the object's `krust.dev/ignore` annotation covers `code`.
pub fn suppressed_by(v: &Value, code: &str) -> bool {
    util::annotation(v, IGNORE_ANNOTATION).is_some_and(|list| {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .any(|s| matches_prefix(s, code))
    })
}

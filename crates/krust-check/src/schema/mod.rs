//! Offline schema validation: bundled core Kubernetes schemas (per `--kube-version`), bundled
//! CRD schemas, and the CRDs defined in the checked repository itself.
//!
//! The bundle is produced by `scripts/gen-kube-schemas` (see `schemas/README.md`). The validator
//! understands the structural-schema subset Kubernetes uses: `type`, `properties`,
//! `additionalProperties`, `items`, `$ref`, `enum`, `required`, `oneOf`/`anyOf`/`allOf`,
//! `format: byte`, `pattern`, bounds, and the `x-kubernetes-int-or-string`,
//! `x-kubernetes-preserve-unknown-fields` and `x-kubernetes-embedded-resource` extensions.
//! `null` is accepted everywhere (the API server drops null fields before validating).

mod validate;

use std::collections::HashMap;
use std::io::Read;

use krust_yaml::Value;
use serde_json::Value as J;

pub use validate::{validate, SchemaError};

/// The Kubernetes versions with a bundled core schema.
pub const KUBE_VERSIONS: [&str; 7] = ["1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35"];
/// The default `--kube-version`.
pub const DEFAULT_KUBE_VERSION: &str = "1.33";

fn kube_bundle_bytes(version: &str) -> Option<&'static [u8]> {
    Some(match version {
        "1.29" => include_bytes!("../../schemas/kube-v1.29.json.gz"),
        "1.30" => include_bytes!("../../schemas/kube-v1.30.json.gz"),
        "1.31" => include_bytes!("../../schemas/kube-v1.31.json.gz"),
        "1.32" => include_bytes!("../../schemas/kube-v1.32.json.gz"),
        "1.33" => include_bytes!("../../schemas/kube-v1.33.json.gz"),
        "1.34" => include_bytes!("../../schemas/kube-v1.34.json.gz"),
        "1.35" => include_bytes!("../../schemas/kube-v1.35.json.gz"),
        _ => return None,
    })
}

const CRD_BUNDLE: &[u8] = include_bytes!("../../schemas/crds.json.gz");

/// A schema problem with the bundle itself (never expected at run time).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The version has no bundled schema.
    #[error("no bundled schema for Kubernetes {0} (bundled: 1.29 … 1.35)")]
    UnknownVersion(String),
    /// The bundle does not decompress or parse.
    #[error("schema bundle is corrupt: {0}")]
    Corrupt(String),
}

fn gunzip_json(bytes: &[u8]) -> Result<J, BundleError> {
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut text)
        .map_err(|e| BundleError::Corrupt(e.to_string()))?;
    serde_json::from_slice(&text).map_err(|e| BundleError::Corrupt(e.to_string()))
}

/// Normalises `--kube-version` (`v1.33.2` → `1.33`).
pub fn normalize_version(v: &str) -> String {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}.{b}"),
        _ => v.to_string(),
    }
}

/// Where an object's schema comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaSource {
    /// Core Kubernetes.
    Kubernetes,
    /// A CRD defined in the checked repository.
    RepoCrd,
    /// A bundled CRD schema.
    BundledCrd,
}

/// The decoded core bundle of one Kubernetes version.
#[derive(Debug, Default)]
struct KubeBundle {
    kinds: HashMap<String, String>,
    defs: serde_json::Map<String, J>,
    groups: std::collections::HashSet<String>,
}

type Cache<T> = std::sync::Mutex<HashMap<String, &'static T>>;

/// Decoded bundles are kept for the life of the process (a handful of MB at most).
fn kube_bundle(version: &str) -> Result<&'static KubeBundle, BundleError> {
    static CACHE: std::sync::OnceLock<Cache<KubeBundle>> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(b) = cache.lock().ok().and_then(|c| c.get(version).copied()) {
        return Ok(b);
    }
    let bytes = kube_bundle_bytes(version)
        .ok_or_else(|| BundleError::UnknownVersion(version.to_string()))?;
    let kube = gunzip_json(bytes)?;
    let mut bundle = KubeBundle::default();
    if let Some(k) = kube.get("kinds").and_then(J::as_object) {
        for (key, def) in k {
            if let Some(d) = def.as_str() {
                bundle.kinds.insert(key.clone(), d.to_string());
                let api = key.rsplit_once('/').map(|(a, _)| a).unwrap_or("");
                bundle.groups.insert(crate::util::group(api).to_string());
            }
        }
    }
    if let Some(J::Object(defs)) = kube.get("defs") {
        bundle.defs = defs.clone();
    }
    let leaked: &'static KubeBundle = Box::leak(Box::new(bundle));
    if let Ok(mut c) = cache.lock() {
        c.insert(version.to_string(), leaked);
    }
    Ok(leaked)
}

/// One bundled CRD schema, parsed on first use (most runs need a handful of the ~300).
#[derive(Debug)]
struct LazySchema {
    raw: Box<serde_json::value::RawValue>,
    parsed: std::sync::OnceLock<J>,
}

impl LazySchema {
    fn get(&self) -> &J {
        self.parsed
            .get_or_init(|| serde_json::from_str(self.raw.get()).unwrap_or(J::Null))
    }
}

fn crd_bundle() -> Result<&'static HashMap<String, LazySchema>, BundleError> {
    static CRDS: std::sync::OnceLock<HashMap<String, LazySchema>> = std::sync::OnceLock::new();
    if let Some(c) = CRDS.get() {
        return Ok(c);
    }
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(CRD_BUNDLE)
        .read_to_end(&mut text)
        .map_err(|e| BundleError::Corrupt(e.to_string()))?;
    let bundle: HashMap<String, HashMap<String, Box<serde_json::value::RawValue>>> =
        serde_json::from_slice(&text).map_err(|e| BundleError::Corrupt(e.to_string()))?;
    let map = bundle
        .into_iter()
        .filter(|(k, _)| k == "kinds")
        .flat_map(|(_, kinds)| kinds)
        .map(|(key, raw)| {
            (
                key.to_ascii_lowercase(),
                LazySchema {
                    raw,
                    parsed: std::sync::OnceLock::new(),
                },
            )
        })
        .collect();
    Ok(CRDS.get_or_init(|| map))
}

/// All schemas available to one run.
#[derive(Debug)]
pub struct SchemaSet {
    /// The Kubernetes version (`1.33`).
    pub version: String,
    kube: &'static KubeBundle,
    crds: &'static HashMap<String, LazySchema>,
    repo_crds: HashMap<String, J>,
}

impl SchemaSet {
    /// Loads the bundles for `version` and the CRDs among `objects`.
    pub fn load<'a>(
        version: &str,
        objects: impl Iterator<Item = &'a Value>,
    ) -> Result<SchemaSet, BundleError> {
        let version = normalize_version(version);
        let mut set = SchemaSet {
            kube: kube_bundle(&version)?,
            crds: crd_bundle()?,
            version,
            repo_crds: HashMap::new(),
        };
        for obj in objects {
            set.add_repo_crd(obj);
        }
        Ok(set)
    }

    /// Adds the versions of a CustomResourceDefinition object.
    fn add_repo_crd(&mut self, obj: &Value) {
        if crate::util::kind(obj) != "CustomResourceDefinition" {
            return;
        }
        let group = obj.str_at(&["spec", "group"]).unwrap_or("");
        let kind = obj.str_at(&["spec", "names", "kind"]).unwrap_or("");
        for v in obj
            .get_path(&["spec", "versions"])
            .and_then(Value::as_seq)
            .into_iter()
            .flatten()
        {
            let name = v.str_at(&["name"]).unwrap_or("");
            let schema = v
                .get_path(&["schema", "openAPIV3Schema"])
                .map(to_json)
                .unwrap_or(J::Object(Default::default()));
            self.repo_crds.insert(
                format!("{group}/{name}/{kind}").to_ascii_lowercase(),
                schema,
            );
        }
    }

    /// Whether `group` is a core Kubernetes API group of this version (`""` is the core group).
    pub fn is_core_group(&self, group: &str) -> bool {
        self.kube.groups.contains(group)
            || group.ends_with(".k8s.io") && !group.starts_with("gateway.networking")
    }

    /// Whether any schema names this group (used to tell unknown kinds from unknown groups).
    pub fn has_kind(&self, api_version: &str, kind: &str) -> bool {
        self.lookup(api_version, kind).is_some()
    }

    /// The schema of `apiVersion`/`kind` and where it comes from.
    pub fn lookup(&self, api_version: &str, kind: &str) -> Option<(&J, SchemaSource)> {
        if let Some(def) = self.kube.kinds.get(&format!("{api_version}/{kind}")) {
            return self
                .kube
                .defs
                .get(def)
                .map(|s| (s, SchemaSource::Kubernetes));
        }
        let key = format!("{api_version}/{kind}").to_ascii_lowercase();
        if let Some(s) = self.repo_crds.get(&key) {
            return Some((s, SchemaSource::RepoCrd));
        }
        self.crds
            .get(&key)
            .map(|s| (s.get(), SchemaSource::BundledCrd))
    }

    /// The shared definitions that `$ref`s of core schemas resolve against.
    pub fn defs(&self) -> &serde_json::Map<String, J> {
        &self.kube.defs
    }
}

/// Converts a YAML value tree to JSON.
pub fn to_json(v: &Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::String(s) => J::String(s.clone()),
        Value::Seq(s) => J::Array(s.iter().map(to_json).collect()),
        Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

//! The kustomization file: finding it in a directory and reading it into a typed struct.
//!
//! Reading follows kustomize v5: unknown fields are rejected (`invalid Kustomization: json:
//! unknown field "x"`), legacy fields are folded into their modern equivalents (`bases` into
//! `resources`, `imageTags` into `images`, generator `env` into `envs`), a missing kind defaults to
//! `Kustomization`, and kind/apiVersion are checked.
//!
//! Fields whose semantics belong to a transformer (patches, images, replicas, labels,
//! replacements, vars, …) are kept as raw [`Value`] items; the transformer that consumes them
//! parses them.

use indexmap::IndexMap;
use krust_yaml::{Mapping, Value};

use crate::error::{Error, ErrorKind, Result};

/// The file names kustomize recognises, in its lookup order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// `apiVersion` of a Kustomization.
pub const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `apiVersion` of a Component.
pub const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

/// Whether a kustomization file is a Kustomization or a Component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KustKind {
    /// `kind: Kustomization` (also the default).
    #[default]
    Kustomization,
    /// `kind: Component`.
    Component,
}

impl KustKind {
    /// The kind as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            KustKind::Kustomization => "Kustomization",
            KustKind::Component => "Component",
        }
    }
}

/// Options shared by generated ConfigMaps and Secrets (`generatorOptions` or per generator).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratorOptions {
    /// Labels added to each generated object.
    pub labels: Option<IndexMap<String, String>>,
    /// Annotations added to each generated object.
    pub annotations: Option<IndexMap<String, String>>,
    /// Do not append the content hash to the name.
    pub disable_name_suffix_hash: bool,
    /// Set `immutable: true`.
    pub immutable: bool,
}

impl GeneratorOptions {
    /// Merges global options into per-generator ones as kustomize does: local keys win, flags
    /// are or-ed.
    pub fn merged_with_global(local: Option<&Self>, global: Option<&Self>) -> Option<Self> {
        let Some(global) = global else {
            return local.cloned();
        };
        let mut out = local.cloned().unwrap_or_default();
        for (mine, theirs) in [
            (&mut out.labels, &global.labels),
            (&mut out.annotations, &global.annotations),
        ] {
            match (mine.as_mut(), theirs) {
                (None, Some(g)) => *mine = Some(g.clone()),
                (Some(m), Some(g)) => {
                    for (k, v) in g {
                        m.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                _ => {}
            }
        }
        out.disable_name_suffix_hash |= global.disable_name_suffix_hash;
        out.immutable |= global.immutable;
        Some(out)
    }
}

/// One entry of `configMapGenerator` or `secretGenerator`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneratorArgs {
    /// Name of the generated object.
    pub name: String,
    /// Namespace of the generated object.
    pub namespace: String,
    /// `create` (default), `merge` or `replace`.
    pub behavior: String,
    /// `key=value` literals.
    pub literals: Vec<String>,
    /// Files, optionally `key=path`.
    pub files: Vec<String>,
    /// Env files (`envs`, plus the legacy `env`).
    pub envs: Vec<String>,
    /// Per-generator options.
    pub options: Option<GeneratorOptions>,
    /// Secret type (`Opaque` by default); unused for ConfigMaps.
    pub type_: String,
}

/// `sortOptions`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SortOptions {
    /// `legacy` or `fifo` (validated when applied, as kustomize does).
    pub order: String,
    /// `legacySortOptions`, when given.
    pub legacy: Option<LegacySortOptions>,
}

/// `sortOptions.legacySortOptions`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LegacySortOptions {
    /// Kinds placed first, in this order.
    pub order_first: Vec<String>,
    /// Kinds placed last, in this order.
    pub order_last: Vec<String>,
}

/// A parsed kustomization file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kustomization {
    /// `apiVersion` after defaulting.
    pub api_version: String,
    /// Kustomization or Component.
    pub kind: KustKind,
    /// The kind as written (for error messages about bad kinds).
    pub kind_text: String,
    /// `metadata`, unused by the build.
    pub metadata: Option<Value>,
    /// `openapi` (path / version of a custom schema).
    pub openapi: IndexMap<String, String>,
    /// `namePrefix`.
    pub name_prefix: String,
    /// `nameSuffix`.
    pub name_suffix: String,
    /// `namespace`.
    pub namespace: String,
    /// `commonLabels` (legacy).
    pub common_labels: IndexMap<String, String>,
    /// `labels` entries (raw).
    pub labels: Vec<Value>,
    /// `commonAnnotations`.
    pub common_annotations: IndexMap<String, String>,
    /// `patchesStrategicMerge` entries (paths or inline patches, raw).
    pub patches_strategic_merge: Vec<Value>,
    /// `patchesJson6902` entries (raw).
    pub patches_json6902: Vec<Value>,
    /// `patches` entries (raw).
    pub patches: Vec<Value>,
    /// `images` plus the legacy `imageTags` (raw).
    pub images: Vec<Value>,
    /// `replacements` entries (raw).
    pub replacements: Vec<Value>,
    /// `replicas` entries (raw).
    pub replicas: Vec<Value>,
    /// `vars` entries (raw).
    pub vars: Vec<Value>,
    /// `sortOptions`.
    pub sort_options: Option<SortOptions>,
    /// `resources` plus the legacy `bases`.
    pub resources: Vec<String>,
    /// `components`.
    pub components: Vec<String>,
    /// `crds`.
    pub crds: Vec<String>,
    /// `configMapGenerator`.
    pub config_map_generator: Vec<GeneratorArgs>,
    /// `secretGenerator`.
    pub secret_generator: Vec<GeneratorArgs>,
    /// `generatorOptions`.
    pub generator_options: Option<GeneratorOptions>,
    /// `configurations` (transformer config files).
    pub configurations: Vec<String>,
    /// `generators` (paths or inline configs).
    pub generators: Vec<String>,
    /// `transformers` (paths or inline configs).
    pub transformers: Vec<String>,
    /// `validators` (paths or inline configs).
    pub validators: Vec<String>,
    /// `buildMetadata`.
    pub build_metadata: Vec<String>,
    /// `helmCharts`, `helmGlobals`, `helmChartInflationGenerator` present (unsupported).
    pub uses_helm: bool,
}

/// Top-level fields kustomize v5 accepts.
const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

fn invalid(msg: impl AsRef<str>) -> Error {
    Error::new(
        ErrorKind::InvalidKustomization,
        format!("invalid Kustomization: {}", msg.as_ref()),
    )
}

fn type_error(field: &str, want: &str, got: &Value) -> Error {
    invalid(format!(
        "json: cannot unmarshal {} into Go struct field Kustomization.{field} of type {want}",
        go_json_kind(got)
    ))
}

fn go_json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    }
}

fn string_of(field: &str, v: &Value) -> Result<String> {
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        other => Err(type_error(field, "string", other)),
    }
}

fn string_list(field: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(type_error(field, "string", other)),
            })
            .collect(),
        other => Err(type_error(field, "[]string", other)),
    }
}

fn string_map(field: &str, v: &Value) -> Result<IndexMap<String, String>> {
    match v {
        Value::Null => Ok(IndexMap::new()),
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Null => Ok((k.clone(), String::new())),
                other => Err(type_error(field, "string", other)),
            })
            .collect(),
        other => Err(type_error(field, "map[string]string", other)),
    }
}

fn raw_list(field: &str, v: &Value) -> Result<Vec<Value>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => Ok(items.clone()),
        other => Err(type_error(field, "[]", other)),
    }
}

fn bool_of(field: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        other => Err(type_error(field, "bool", other)),
    }
}

fn parse_generator_options(field: &str, v: &Value) -> Result<Option<GeneratorOptions>> {
    let m = match v {
        Value::Null => return Ok(None),
        Value::Map(m) => m,
        other => return Err(type_error(field, "GeneratorOptions", other)),
    };
    let mut o = GeneratorOptions::default();
    for (k, v) in m {
        match k.as_str() {
            "labels" => o.labels = Some(string_map("labels", v)?),
            "annotations" => o.annotations = Some(string_map("annotations", v)?),
            "disableNameSuffixHash" => o.disable_name_suffix_hash = bool_of(k, v)?,
            "immutable" => o.immutable = bool_of(k, v)?,
            other => return Err(invalid(format!("json: unknown field \"{other}\""))),
        }
    }
    // kustomize treats an empty label/annotation map like a missing one.
    if o.labels.as_ref().is_some_and(IndexMap::is_empty) {
        o.labels = None;
    }
    if o.annotations.as_ref().is_some_and(IndexMap::is_empty) {
        o.annotations = None;
    }
    Ok(Some(o))
}

/// Parses a list of generator entries (`configMapGenerator` / `secretGenerator` items).
pub(crate) fn parse_generators(field: &str, v: &Value, secret: bool) -> Result<Vec<GeneratorArgs>> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Seq(items) => items,
        other => return Err(type_error(field, "[]GeneratorArgs", other)),
    };
    let mut out = Vec::new();
    for item in items {
        let m = match item {
            Value::Map(m) => m,
            Value::Null => continue,
            other => return Err(type_error(field, "GeneratorArgs", other)),
        };
        let mut g = GeneratorArgs::default();
        let mut env = String::new();
        for (k, v) in m {
            match k.as_str() {
                "name" => g.name = string_of(k, v)?,
                "namespace" => g.namespace = string_of(k, v)?,
                "behavior" => g.behavior = string_of(k, v)?,
                "literals" => g.literals = string_list(k, v)?,
                "files" => g.files = string_list(k, v)?,
                "envs" => g.envs = string_list(k, v)?,
                "env" => env = string_of(k, v)?,
                "options" => g.options = parse_generator_options(k, v)?,
                "type" if secret => g.type_ = string_of(k, v)?,
                other => return Err(invalid(format!("json: unknown field \"{other}\""))),
            }
        }
        if !env.is_empty() {
            g.envs.push(env);
        }
        out.push(g);
    }
    Ok(out)
}

fn parse_sort_options(v: &Value) -> Result<Option<SortOptions>> {
    let m = match v {
        Value::Null => return Ok(None),
        Value::Map(m) => m,
        other => return Err(type_error("sortOptions", "SortOptions", other)),
    };
    let mut s = SortOptions::default();
    for (k, v) in m {
        match k.as_str() {
            "order" => s.order = string_of(k, v)?,
            "legacySortOptions" => {
                let lm = match v {
                    Value::Null => continue,
                    Value::Map(lm) => lm,
                    other => return Err(type_error(k, "LegacySortOptions", other)),
                };
                let mut l = LegacySortOptions::default();
                for (lk, lv) in lm {
                    match lk.as_str() {
                        "orderFirst" => l.order_first = string_list(lk, lv)?,
                        "orderLast" => l.order_last = string_list(lk, lv)?,
                        other => return Err(invalid(format!("json: unknown field \"{other}\""))),
                    }
                }
                s.legacy = Some(l);
            }
            other => return Err(invalid(format!("json: unknown field \"{other}\""))),
        }
    }
    Ok(Some(s))
}

/// Marker given to the earlier of two duplicate keys so the later one wins.
const DUP_MARK: &str = "__krust_overridden_duplicate_";

/// Parses the first document of a kustomization file. kustomize reads kustomization files with
/// a YAML library that lets a repeated key override the earlier one, while krust-yaml (like the
/// library kustomize reads resources with) rejects repeated keys; so on such an error the earlier
/// key is renamed out of the way and the text parsed again.
fn parse_last_key_wins(text: &str) -> std::result::Result<Value, krust_yaml::ParseError> {
    let mut text = text.to_string();
    for round in 0..64 {
        match krust_yaml::parse_documents(&text) {
            Ok(docs) => {
                let mut v = docs
                    .into_iter()
                    .next()
                    .map(|d| d.value)
                    .unwrap_or(Value::Null);
                if round > 0 {
                    strip_marked(&mut v);
                }
                return Ok(v);
            }
            Err(e) => {
                let Some(first) = duplicate_key_line(&e.message) else {
                    return Err(e);
                };
                let key = e
                    .message
                    .strip_prefix("mapping key \"")
                    .and_then(|r| r.split_once("\" already"))
                    .map(|(k, _)| k.to_string())
                    .unwrap_or_default();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                let Some(line) = lines.get_mut(first.saturating_sub(1)) else {
                    return Err(e);
                };
                let Some(pos) = line.find(&key) else {
                    return Err(e);
                };
                line.replace_range(pos..pos + key.len(), &format!("{DUP_MARK}{round}"));
                text = lines.join("\n");
            }
        }
    }
    krust_yaml::parse_documents(&text)
        .map(|d| d.into_iter().next().map(|d| d.value).unwrap_or(Value::Null))
}

fn duplicate_key_line(message: &str) -> Option<usize> {
    message
        .rsplit_once("already defined at line ")
        .and_then(|(_, n)| n.trim().parse().ok())
}

fn strip_marked(v: &mut Value) {
    match v {
        Value::Map(m) => {
            m.retain(|k, _| !k.starts_with(DUP_MARK));
            m.values_mut().for_each(strip_marked);
        }
        Value::Seq(items) => items.iter_mut().for_each(strip_marked),
        _ => {}
    }
}

impl Kustomization {
    /// Parses the text of a kustomization file. `root` names the directory in error messages.
    pub fn parse(text: &str, root: &str) -> Result<Kustomization> {
        let value = parse_last_key_wins(text).map_err(|e| {
            invalid(format!(
                "error converting YAML to JSON: yaml: line {}: {}",
                e.line, e.message
            ))
        })?;
        let map = match value {
            Value::Null => Mapping::default(),
            Value::Map(m) => m,
            other => {
                return Err(invalid(format!(
                    "json: cannot unmarshal {} into Go value of type types.Kustomization",
                    go_json_kind(&other)
                )))
            }
        };
        let mut k = Kustomization::from_map(&map)?;
        if k.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidKustomization,
                "kustomization.yaml is empty",
            ));
        }
        let mut errs = Vec::new();
        if !k.kind_text.is_empty() && k.kind_text != "Kustomization" && k.kind_text != "Component" {
            errs.push("kind should be Kustomization or Component".to_string());
        }
        let required = match k.kind {
            KustKind::Component => COMPONENT_VERSION,
            KustKind::Kustomization => KUSTOMIZATION_VERSION,
        };
        if k.api_version.is_empty() {
            k.api_version = required.to_string();
        } else if k.api_version != required {
            errs.push(format!(
                "apiVersion for {} should be {required}",
                k.kind_text_or_default()
            ));
        }
        if !errs.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidKustomization,
                format!(
                    "Failed to read kustomization file under {root}:\n{}",
                    errs.join("\n")
                ),
            ));
        }
        Ok(k)
    }

    fn kind_text_or_default(&self) -> &str {
        if self.kind_text.is_empty() {
            "Kustomization"
        } else {
            &self.kind_text
        }
    }

    /// True when nothing but apiVersion, kind and metadata is set (kustomize's `CheckEmpty`).
    fn is_empty(&self) -> bool {
        let mut me = self.clone();
        me.api_version.clear();
        me.kind = KustKind::default();
        me.kind_text.clear();
        me.metadata = None;
        me == Kustomization::default()
    }

    fn from_map(map: &Mapping) -> Result<Kustomization> {
        let mut k = Kustomization::default();
        let mut bases = Vec::new();
        let mut image_tags = Vec::new();
        for (key, v) in map {
            let field = KNOWN_FIELDS
                .iter()
                .find(|f| **f == key.as_str())
                .or_else(|| KNOWN_FIELDS.iter().find(|f| f.eq_ignore_ascii_case(key)));
            let Some(field) = field else {
                return Err(invalid(format!("json: unknown field \"{key}\"")));
            };
            match *field {
                "apiVersion" => k.api_version = string_of(field, v)?,
                "kind" => k.kind_text = string_of(field, v)?,
                "metadata" => k.metadata = Some(v.clone()),
                "openapi" => k.openapi = string_map(field, v)?,
                "namePrefix" => k.name_prefix = string_of(field, v)?,
                "nameSuffix" => k.name_suffix = string_of(field, v)?,
                "namespace" => k.namespace = string_of(field, v)?,
                "commonLabels" => k.common_labels = string_map(field, v)?,
                "labels" => k.labels = raw_list(field, v)?,
                "commonAnnotations" => k.common_annotations = string_map(field, v)?,
                "patchesStrategicMerge" => k.patches_strategic_merge = raw_list(field, v)?,
                "patchesJson6902" => k.patches_json6902 = raw_list(field, v)?,
                "patches" => k.patches = raw_list(field, v)?,
                "images" => k.images = raw_list(field, v)?,
                "imageTags" => image_tags = raw_list(field, v)?,
                "replacements" => k.replacements = raw_list(field, v)?,
                "replicas" => k.replicas = raw_list(field, v)?,
                "vars" => k.vars = raw_list(field, v)?,
                "sortOptions" => k.sort_options = parse_sort_options(v)?,
                "resources" => k.resources = string_list(field, v)?,
                "components" => k.components = string_list(field, v)?,
                "crds" => k.crds = string_list(field, v)?,
                "bases" => bases = string_list(field, v)?,
                "configMapGenerator" => k.config_map_generator = parse_generators(field, v, false)?,
                "secretGenerator" => k.secret_generator = parse_generators(field, v, true)?,
                "helmGlobals" | "helmCharts" | "helmChartInflationGenerator" => {
                    k.uses_helm |= !v.is_null()
                }
                "generatorOptions" => k.generator_options = parse_generator_options(field, v)?,
                "configurations" => k.configurations = string_list(field, v)?,
                "generators" => k.generators = string_list(field, v)?,
                "transformers" => k.transformers = string_list(field, v)?,
                "validators" => k.validators = string_list(field, v)?,
                "buildMetadata" => k.build_metadata = string_list(field, v)?,
                _ => return Err(invalid(format!("json: unknown field \"{key}\""))),
            }
        }
        k.resources.extend(bases);
        k.images.extend(image_tags);
        k.kind = if k.kind_text == "Component" {
            KustKind::Component
        } else {
            KustKind::Kustomization
        };
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_fields_are_folded() {
        let k = Kustomization::parse(
            "resources: [a.yaml]\nbases: [../base]\nconfigMapGenerator:\n- name: x\n  env: a.env\n  envs: [b.env]\n",
            "/",
        )
        .unwrap();
        assert_eq!(k.resources, vec!["a.yaml", "../base"]);
        assert_eq!(k.config_map_generator[0].envs, vec!["b.env", "a.env"]);
        assert_eq!(k.api_version, KUSTOMIZATION_VERSION);
    }

    #[test]
    fn repeated_keys_last_wins() {
        let k = Kustomization::parse(
            "configMapGenerator:\n- name: a\n  literals: [x=1]\n  literals: [y=2]\n",
            "/",
        )
        .unwrap();
        assert_eq!(k.config_map_generator[0].literals, vec!["y=2"]);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let e = Kustomization::parse("resourcez: [a]\n", "/").unwrap_err();
        assert_eq!(
            e.message,
            "invalid Kustomization: json: unknown field \"resourcez\""
        );
    }

    #[test]
    fn empty_and_bad_versions() {
        assert_eq!(
            Kustomization::parse("", "/").unwrap_err().message,
            "kustomization.yaml is empty"
        );
        let e = Kustomization::parse(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Component\nresources: [a]\n",
            "/c",
        )
        .unwrap_err();
        assert!(e
            .message
            .contains("apiVersion for Component should be kustomize.config.k8s.io/v1alpha1"));
    }
}

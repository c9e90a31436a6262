//! Builtin transformer configs (`transformers:` entries with `apiVersion: builtin`) for the
//! transformers of this module: `AnnotationsTransformer`, `LabelTransformer`,
//! `NamespaceTransformer`, `PrefixTransformer`, `SuffixTransformer`, `PrefixSuffixTransformer`,
//! `ImageTagTransformer` and `ReplicaCountTransformer`.
//!
//! As kustomize's plugins, a config uses only the field specs it lists (the defaults of the
//! kustomization fields do not apply) and ignores keys it does not know.

use krust_yaml::Value;

use crate::resource::ResMap;

use super::fieldspec::{config_string, FieldSpec};
use super::images::{transform_images, Image};
use super::labels::{transform_annotations, transform_labels};
use super::namespace::{transform_namespace, NamespaceOptions, RoleBindingSubjectMode};
use super::prefix_suffix::{transform_prefix_suffix, Affix, PrefixSuffix};
use super::replicas::{transform_replicas, Replica};
use super::TransformError;

/// One configured builtin transformer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuiltinTransformer {
    /// `AnnotationsTransformer`.
    Annotations {
        /// Annotations to set.
        annotations: Vec<(String, String)>,
        /// Where.
        field_specs: Vec<FieldSpec>,
    },
    /// `LabelTransformer`.
    Labels {
        /// Labels to set.
        labels: Vec<(String, String)>,
        /// Where.
        field_specs: Vec<FieldSpec>,
    },
    /// `NamespaceTransformer`.
    Namespace(NamespaceOptions),
    /// `PrefixTransformer`, `SuffixTransformer`, or both for `PrefixSuffixTransformer` (prefix
    /// first).
    PrefixSuffix(Vec<PrefixSuffix>),
    /// `ImageTagTransformer`.
    ImageTag {
        /// The image rule.
        image: Image,
        /// Where.
        field_specs: Vec<FieldSpec>,
    },
    /// `ReplicaCountTransformer`.
    ReplicaCount {
        /// Name and count.
        replica: Replica,
        /// Where.
        field_specs: Vec<FieldSpec>,
    },
}

fn string_map(v: Option<&Value>, what: &str) -> Result<Vec<(String, String)>, TransformError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Map(m)) => m
            .iter()
            .map(|(k, v)| Ok((k.clone(), config_string(k, v)?)))
            .collect(),
        Some(other) => Err(TransformError::Config(format!(
            "{what} must be a map of strings, found a {}",
            other.kind_name()
        ))),
    }
}

fn specs(v: &Value) -> Result<Vec<FieldSpec>, TransformError> {
    match v.get("fieldSpecs") {
        Some(list) => FieldSpec::list_from_value_lenient(list),
        None => Ok(Vec::new()),
    }
}

fn text(v: Option<&Value>, key: &str) -> Result<String, TransformError> {
    match v {
        Some(x) => config_string(key, x),
        None => Ok(String::new()),
    }
}

impl BuiltinTransformer {
    /// Reads a transformer config. Returns `Ok(None)` when the document is not one of the
    /// builtin kinds handled here (`apiVersion: builtin` and a kind listed above).
    pub fn from_config(v: &Value) -> Result<Option<BuiltinTransformer>, TransformError> {
        if v.str_at(&["apiVersion"]) != Some("builtin") {
            return Ok(None);
        }
        let kind = v.str_at(&["kind"]).unwrap_or("");
        let t = match kind {
            "AnnotationsTransformer" => BuiltinTransformer::Annotations {
                annotations: string_map(v.get("annotations"), "annotations")?,
                field_specs: specs(v)?,
            },
            "LabelTransformer" => BuiltinTransformer::Labels {
                labels: string_map(v.get("labels"), "labels")?,
                field_specs: specs(v)?,
            },
            "NamespaceTransformer" => BuiltinTransformer::Namespace(NamespaceOptions {
                namespace: text(v.get_path(&["metadata", "namespace"]), "namespace")?,
                field_specs: specs(v)?,
                unset_only: matches!(v.get("unsetOnly"), Some(Value::Bool(true))),
                set_role_binding_subjects: RoleBindingSubjectMode::parse(&text(
                    v.get("setRoleBindingSubjects"),
                    "setRoleBindingSubjects",
                )?)?,
            }),
            "PrefixTransformer" | "SuffixTransformer" | "PrefixSuffixTransformer" => {
                if !matches!(v.get("fieldSpecs"), Some(Value::Seq(_))) {
                    return Err(TransformError::Config(
                        "fieldSpecs is not expected to be nil".into(),
                    ));
                }
                let field_specs = specs(v)?;
                let mut list = Vec::new();
                if kind != "SuffixTransformer" {
                    list.push(PrefixSuffix {
                        affix: Affix::Prefix,
                        value: text(v.get("prefix"), "prefix")?,
                        field_specs: field_specs.clone(),
                    });
                }
                if kind != "PrefixTransformer" {
                    list.push(PrefixSuffix {
                        affix: Affix::Suffix,
                        value: text(v.get("suffix"), "suffix")?,
                        field_specs,
                    });
                }
                BuiltinTransformer::PrefixSuffix(list)
            }
            "ImageTagTransformer" => {
                let it = v.get("imageTag");
                let field = |k: &str| text(it.and_then(|i| i.get(k)), k);
                BuiltinTransformer::ImageTag {
                    image: Image {
                        name: field("name")?,
                        new_name: field("newName")?,
                        new_tag: field("newTag")?,
                        digest: field("digest")?,
                        tag_suffix: field("tagSuffix")?,
                    },
                    field_specs: specs(v)?,
                }
            }
            "ReplicaCountTransformer" => {
                let r = v.get("replica");
                let count = match r.and_then(|r| r.get("count")) {
                    None | Some(Value::Null) => 0,
                    Some(Value::Int(i)) => *i,
                    Some(other) => {
                        return Err(TransformError::Config(format!(
                            "replica count must be an integer, found a {}",
                            other.kind_name()
                        )))
                    }
                };
                BuiltinTransformer::ReplicaCount {
                    replica: Replica {
                        name: text(r.and_then(|r| r.get("name")), "name")?,
                        count,
                    },
                    field_specs: specs(v)?,
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(t))
    }

    /// Runs the transformer (same contracts as the corresponding `transform_*` function).
    pub fn apply(&self, resources: &mut ResMap) -> Result<(), TransformError> {
        match self {
            BuiltinTransformer::Annotations {
                annotations,
                field_specs,
            } => transform_annotations(resources, annotations, field_specs),
            BuiltinTransformer::Labels {
                labels,
                field_specs,
            } => transform_labels(resources, labels, field_specs),
            BuiltinTransformer::Namespace(opts) => transform_namespace(resources, opts),
            BuiltinTransformer::PrefixSuffix(list) => {
                for ps in list {
                    transform_prefix_suffix(resources, ps)?;
                }
                Ok(())
            }
            BuiltinTransformer::ImageTag { image, field_specs } => {
                transform_images(resources, image, field_specs)
            }
            BuiltinTransformer::ReplicaCount {
                replica,
                field_specs,
            } => transform_replicas(resources, replica, field_specs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transformers::conformance_tests::{res_map, yaml_of};

    // Conformance case TestLegacyPrefixSuffixTransformer: baked-<name>-pie.
    #[test]
    fn prefix_suffix_transformer_config() {
        let cfg = krust_yaml::parse_one(
            "apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: x\nprefix: baked-\nsuffix: -pie\nfieldSpecs:\n- path: metadata/name\n",
        )
        .unwrap();
        let t = BuiltinTransformer::from_config(&cfg).unwrap().unwrap();
        let mut m = res_map("apiVersion: v1\nkind: Service\nmetadata:\n  name: apple\n");
        t.apply(&mut m).unwrap();
        assert_eq!(m.resources()[0].name(), "baked-apple-pie");
        let bad =
            krust_yaml::parse_one("apiVersion: builtin\nkind: PrefixTransformer\nprefix: x\n")
                .unwrap();
        assert!(BuiltinTransformer::from_config(&bad).is_err());
        let other = krust_yaml::parse_one("apiVersion: x/v1\nkind: Foo\n").unwrap();
        assert_eq!(BuiltinTransformer::from_config(&other).unwrap(), None);
    }

    // kubectl.1.33 kustomize with a NamespaceTransformer config (unsetOnly,
    // allServiceAccounts): see namespace::tests::unset_only_and_all_service_accounts.
    #[test]
    fn namespace_transformer_config_uses_only_its_field_specs() {
        let cfg = krust_yaml::parse_one(
            "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: ns\n  namespace: foo\nunsetOnly: true\nsetRoleBindingSubjects: allServiceAccounts\n",
        )
        .unwrap();
        let t = BuiltinTransformer::from_config(&cfg).unwrap().unwrap();
        let mut m = res_map("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: old\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
        t.apply(&mut m).unwrap();
        let out = yaml_of(&m);
        // No field specs: the Namespace keeps its name.
        assert!(out.contains("name: old"), "{out}");
        assert!(out.contains("name: a\n  namespace: foo"), "{out}");
    }
}

/// One `targets[]` entry of a `ValueAddTransformer`.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueAddTarget {
    /// The patch-style selector (`group`, `kind`, `name`, `labelSelector`, …) as written; `None`
    /// selects every resource. The pipeline evaluates it (see `crate::patch::Selector`).
    pub selector: Option<Value>,
    /// Slash-separated path of the scalar to set (`\/` escapes a slash); `metadata/namespace`
    /// runs the namespace filter instead.
    pub field_path: String,
    /// When positive, the value is inserted as a path part at this 1-based position of the
    /// existing value instead of replacing it.
    pub file_path_position: i64,
}

/// A `ValueAddTransformer` config (an alpha kustomize builtin).
#[derive(Debug, Clone, PartialEq)]
pub struct ValueAdd {
    /// The value to add (already trimmed; defaulted to the kustomization directory's base name).
    pub value: String,
    /// Where to add it.
    pub targets: Vec<ValueAddTarget>,
    /// A file (relative to the kustomization) with more `targets:`; the pipeline loads it and
    /// appends its targets with [`ValueAdd::targets_from_value`], then calls
    /// [`ValueAdd::validate`].
    pub target_file_path: String,
}

impl ValueAdd {
    /// Reads a `ValueAddTransformer` config (`apiVersion: builtin`); `Ok(None)` for other kinds.
    /// `root_base_name` is the base name of the kustomization directory (the default value).
    pub fn from_config(
        v: &Value,
        root_base_name: &str,
    ) -> Result<Option<ValueAdd>, TransformError> {
        if v.str_at(&["apiVersion"]) != Some("builtin")
            || v.str_at(&["kind"]) != Some("ValueAddTransformer")
        {
            return Ok(None);
        }
        let mut value = text(v.get("value"), "value")?.trim().to_string();
        if value.is_empty() {
            value = root_base_name.to_string();
        }
        Ok(Some(ValueAdd {
            value,
            targets: match v.get("targets") {
                Some(t) => ValueAdd::targets_from_value(t)?,
                None => Vec::new(),
            },
            target_file_path: text(v.get("targetFilePath"), "targetFilePath")?,
        }))
    }

    /// Reads a `targets:` list (also the `targets:` key of a `targetFilePath` document).
    pub fn targets_from_value(v: &Value) -> Result<Vec<ValueAddTarget>, TransformError> {
        let list = match v {
            Value::Null => return Ok(Vec::new()),
            Value::Map(m) => match m.get("targets") {
                Some(t) => return ValueAdd::targets_from_value(t),
                None => return Ok(Vec::new()),
            },
            Value::Seq(items) => items,
            other => {
                return Err(TransformError::Config(format!(
                    "targets must be a list, found a {}",
                    other.kind_name()
                )))
            }
        };
        list.iter()
            .map(|t| {
                let file_path_position = match t.get("filePathPosition") {
                    None | Some(Value::Null) => 0,
                    Some(Value::Int(i)) => *i,
                    Some(other) => {
                        return Err(TransformError::Config(format!(
                            "filePathPosition must be an integer, found a {}",
                            other.kind_name()
                        )))
                    }
                };
                Ok(ValueAddTarget {
                    selector: t.get("selector").filter(|s| !s.is_null()).cloned(),
                    field_path: text(t.get("fieldPath"), "fieldPath")?,
                    file_path_position,
                })
            })
            .collect()
    }

    /// kustomize's checks: at least one target, non-empty field paths, non-negative positions.
    pub fn validate(&self) -> Result<(), TransformError> {
        if self.targets.is_empty() {
            return Err(TransformError::Config(
                "must specify at least one target".into(),
            ));
        }
        for t in &self.targets {
            if t.field_path.is_empty() {
                return Err(TransformError::Config("fieldPath cannot be empty".into()));
            }
            if t.file_path_position < 0 {
                return Err(TransformError::Config(format!(
                    "value of FilePathPosition ({}) cannot be negative",
                    t.file_path_position
                )));
            }
        }
        Ok(())
    }
}

/// Applies one `ValueAddTransformer` target to one selected object.
pub fn value_add(
    obj: &mut Value,
    value: &str,
    target: &ValueAddTarget,
) -> Result<(), TransformError> {
    if target.field_path == "metadata/namespace" {
        let opts = NamespaceOptions {
            namespace: value.to_string(),
            ..NamespaceOptions::default()
        };
        return super::namespace::set_namespace_in(obj, &[], &opts);
    }
    // Split at `/`, joining an element that ends in `\` with the next one.
    let mut fields: Vec<String> = Vec::new();
    for part in target.field_path.split('/') {
        match fields.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(part);
            }
            _ => fields.push(part.to_string()),
        }
    }
    let mut node = obj;
    for f in &fields {
        if f.starts_with('[') {
            return Err(TransformError::Config(format!(
                "ValueAddTransformer: list selectors in fieldPath ('{f}') are not supported by krust"
            )));
        }
        if node.is_null() {
            *node = Value::new_map();
        }
        let Value::Map(m) = node else {
            return Err(TransformError::WrongTarget(format!(
                "ValueAddTransformer: '{}' crosses a {} at '{f}'",
                target.field_path,
                node.kind_name()
            )));
        };
        node = m.entry(f.clone()).or_insert(Value::Null);
    }
    if matches!(node, Value::Map(_) | Value::Seq(_)) {
        return Err(TransformError::WrongTarget(format!(
            "wrong node kind: expected ScalarNode but got {}",
            node.kind_name()
        )));
    }
    let new = if target.file_path_position > 0 {
        let current = node.scalar_text().unwrap_or_default();
        let pos = usize::try_from(target.file_path_position - 1).unwrap_or(0);
        insert_path_part(&current, pos, value)
    } else {
        value.to_string()
    };
    *node = Value::String(new);
    Ok(())
}

/// Splits a slash path into parts; a leading `/` gives a leading empty part.
fn path_split(p: &str) -> Vec<String> {
    match p {
        "" => Vec::new(),
        "/" => vec![String::new()],
        _ => p.split('/').map(str::to_string).collect(),
    }
}

/// Go's `path.Clean`.
fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Join` on `/` paths: empty elements are ignored, the result is cleaned.
fn join(parts: &[String]) -> String {
    let non_empty: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    if non_empty.is_empty() {
        return String::new();
    }
    clean(&non_empty.join("/"))
}

/// kustomize's `InsertPathPart`: inserts `part` as the `pos`-th (0-based) part of `path`.
fn insert_path_part(path: &str, pos: usize, part: &str) -> String {
    if part.is_empty() {
        return path.to_string();
    }
    let parts = path_split(path);
    let mut pos = pos.min(parts.len());
    if parts.first().is_some_and(String::is_empty) && pos < parts.len() {
        pos += 1;
    }
    let mut result: Vec<String> = parts[..pos].to_vec();
    result.push(part.to_string());
    result.extend_from_slice(&parts[pos..]);
    if result.first().is_some_and(String::is_empty) {
        format!("/{}", join(&result[1..]))
    } else {
        join(&result)
    }
}

#[cfg(test)]
mod value_add_tests {
    use super::*;

    #[test]
    fn inserts_path_parts_like_kustomize() {
        assert_eq!(insert_path_part("a/b/c", 0, "X"), "X/a/b/c");
        assert_eq!(insert_path_part("a/b/c", 1, "X"), "a/X/b/c");
        assert_eq!(insert_path_part("a/b/c", 9, "X"), "a/b/c/X");
        assert_eq!(insert_path_part("/a/b", 0, "X"), "/X/a/b");
        assert_eq!(insert_path_part("", 0, "X"), "X");
        assert_eq!(insert_path_part("a/b", 1, ""), "a/b");
    }

    // Same config and object as a kubectl.1.33 kustomize run (ValueAddTransformer inline):
    // bucket: prod, path: /data/prod/logs, rel: prod/a/b, namespace: prod.
    #[test]
    fn sets_and_inserts_values() {
        let cfg = krust_yaml::parse_one(
            "apiVersion: builtin\nkind: ValueAddTransformer\nmetadata:\n  name: v\nvalue: ' prod '\ntargets:\n- fieldPath: spec/bucket\n- fieldPath: spec/path\n  filePathPosition: 2\n- fieldPath: spec/rel\n  filePathPosition: 1\n- fieldPath: metadata/namespace\n",
        )
        .unwrap();
        let va = ValueAdd::from_config(&cfg, "dir").unwrap().unwrap();
        va.validate().unwrap();
        assert_eq!(va.value, "prod");
        let mut obj = krust_yaml::parse_one(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  path: /data/logs\n  rel: a/b\n",
        )
        .unwrap();
        for t in &va.targets {
            value_add(&mut obj, &va.value, t).unwrap();
        }
        assert_eq!(obj.str_at(&["spec", "bucket"]), Some("prod"));
        assert_eq!(obj.str_at(&["spec", "path"]), Some("/data/prod/logs"));
        assert_eq!(obj.str_at(&["spec", "rel"]), Some("prod/a/b"));
        assert_eq!(obj.str_at(&["metadata", "namespace"]), Some("prod"));
        let empty =
            krust_yaml::parse_one("apiVersion: builtin\nkind: ValueAddTransformer\n").unwrap();
        let va = ValueAdd::from_config(&empty, "dir").unwrap().unwrap();
        assert_eq!(va.value, "dir");
        assert!(va.validate().is_err());
    }
}

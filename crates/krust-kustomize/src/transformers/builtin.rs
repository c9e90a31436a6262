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

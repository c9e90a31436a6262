//! Builtin transformers (namespace, prefix/suffix, labels, annotations, images, replicas) and the
//! name-reference fix-up, driven by field specs.
//!
//! Layout (mirrors kustomize's `api/filters` and `api/internal/builtins`):
//! - [`fieldspec`]: [`FieldSpec`], path splitting, merging, and the walker every transformer uses;
//! - [`config`]: [`TransformerConfig`], kustomize's default field-spec lists, the parser of
//!   `configurations:` files and of `crds:` OpenAPI definition files;
//! - one module per transformer: [`namespace`], [`prefix_suffix`], [`labels`], [`images`],
//!   [`replicas`], [`nameref`];
//! - [`builtin`]: `transformers:` entries that configure those transformers
//!   (`apiVersion: builtin`, `kind: NamespaceTransformer` …).
//!
//! # How the pipeline drives this module
//! For each kustomization (innermost first), after its resources, generators and components are
//! accumulated, the pipeline runs the transformers of its `kustomization.yaml` in kustomize's
//! builtin order — patches, namespace, prefix, suffix, labels (each `labels:` entry, then
//! `commonLabels`), annotations, JSON patches, replicas (one call per entry), images (one call per
//! entry), replacements — then the `transformers:` entries ([`BuiltinTransformer`]). The
//! configuration used is kustomize's: `TransformerConfig::defaults()` merged with every
//! `configurations:` document, then with the `crds:` files
//! ([`TransformerConfig::from_openapi_definitions`]), see [`TransformerConfig::merge`].
//! Renaming transformers record the resource's previous id in [`Resource::previous_ids`]
//! (via [`Resource::remember_id`]) and keep kustomize's prefix/suffix bookkeeping in the
//! `internal.config.kubernetes.io/prefixes|suffixes` build annotations. Once, at the top-level
//! kustomization, after the hash suffixes have been added (the hash step must call `remember_id`
//! before renaming), the pipeline calls [`nameref::fix_name_references`], and finally
//! [`remove_build_annotations`] before printing.
//!
//! [`Resource::previous_ids`]: crate::resource::Resource::previous_ids
//! [`Resource::remember_id`]: crate::resource::Resource::remember_id

pub mod builtin;
pub mod config;
pub mod fieldspec;
pub mod images;
pub mod labels;
pub mod nameref;
pub mod namespace;
pub mod prefix_suffix;
pub mod replicas;

#[cfg(test)]
mod conformance_tests;
#[cfg(test)]
mod differential_tests;

use krust_yaml::Value;

use crate::resource::{ResMap, Resource};

pub use builtin::{value_add, BuiltinTransformer, ValueAdd, ValueAddTarget};
pub use config::{NameBackReference, TransformerConfig};
pub use fieldspec::{apply_field_spec, CreateKind, FieldSpec};
pub use images::{transform_images, Image};
pub use labels::{transform_annotations, transform_labels, LabelsEntry};
pub use nameref::fix_name_references;
pub use namespace::{transform_namespace, NamespaceOptions, RoleBindingSubjectMode};
pub use prefix_suffix::{transform_prefix_suffix, Affix, PrefixSuffix};
pub use replicas::{transform_replicas, Replica};

/// What can go wrong while transforming resources.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// A field spec met data of the wrong shape.
    #[error("considering field '{path}' of object {object}: {reason}")]
    Field {
        /// The field spec path.
        path: String,
        /// The object, as kustomize prints ids (`Kind.version.group/name.namespace`).
        object: String,
        /// What was wrong.
        reason: String,
    },
    /// A configuration (field specs, transformer options) is invalid.
    #[error("{0}")]
    Config(String),
    /// Two field specs for the same kinds and path disagree on `create`.
    #[error("conflicting fieldspecs for path '{path}'")]
    ConflictingFieldSpecs {
        /// The path both specs name.
        path: String,
    },
    /// Setting the namespace made two resources have the same id.
    #[error("namespace transformation produces ID conflict: {ids}")]
    NamespaceConflict {
        /// The conflicting ids.
        ids: String,
    },
    /// `setRoleBindingSubjects` has an unknown value.
    #[error("invalid value {0:?} for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\"")]
    InvalidRoleBindingSubjects(String),
    /// A `replicas:` entry named no resource of a kind with a replica field.
    #[error("resource with name {name} does not match a config with the following GVK [{gvks}]")]
    ReplicaTargetNotFound {
        /// The `replicas[].name`.
        name: String,
        /// The kinds searched, kustomize style.
        gvks: String,
    },
    /// A name reference matches several renamed resources.
    #[error("updating name reference in '{path}' field of '{referrer}': found multiple possible referrals: {candidates}")]
    MultipleReferrals {
        /// The referring field.
        path: String,
        /// The referrer's id.
        referrer: String,
        /// The candidates' ids, comma separated.
        candidates: String,
    },
    /// A RoleBinding ServiceAccount subject has a `namespace` that is not a string.
    #[error("Invalid Input: namespace is blank for resource \"{0}\"")]
    BlankSubjectNamespace(String),
    /// A name-reference field is a mapping without a `name`.
    #[error("updating name reference in '{path}' field of '{referrer}': path config error; no 'name' field in node")]
    NoNameInReference {
        /// The referring field.
        path: String,
        /// The referrer's id.
        referrer: String,
    },
    /// A value could not be set because the target has the wrong kind.
    #[error("{0}")]
    WrongTarget(String),
}

/// The `(apiVersion, kind)` pairs kustomize knows as cluster-scoped: the cluster-scoped types
/// of its built-in Kubernetes v1.21.2 schema plus the ValidatingAdmissionPolicy kinds it adds.
/// Everything else — including newer cluster-scoped kinds such as `DeviceClass`, other versions
/// of the listed kinds, and every CRD kind — is namespaced for kustomize.
const CLUSTER_SCOPED: [(&str, &str); 38] = [
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicy",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
    ),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("v1", "ComponentStatus"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "NodeProxyOptions"),
    ("v1", "PersistentVolume"),
];

/// True when kustomize treats `apiVersion`/`kind` as cluster-scoped (see `CLUSTER_SCOPED`).
/// Unlike [`crate::resource::is_cluster_scoped_kind`] this looks at the apiVersion too, as
/// kustomize keys its table by apiVersion and kind: a CRD kind that happens to be called
/// `Namespace` (e.g. `servicebus.azure.com`) is namespaced.
pub fn is_cluster_scoped(api_version: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(a, k)| *k == kind && *a == api_version)
}

/// [`is_cluster_scoped`] for an object's `apiVersion` and `kind`.
pub(crate) fn object_is_cluster_scoped(obj: &Value) -> bool {
    is_cluster_scoped(
        obj.str_at(&["apiVersion"]).unwrap_or(""),
        obj.str_at(&["kind"]).unwrap_or(""),
    )
}

/// The build-annotation domain kustomize uses for its internal bookkeeping.
pub const BUILD_ANNOTATION_DOMAIN: &str = "internal.config.kubernetes.io/";
/// The annotations kustomize removes from every resource before printing (its build
/// bookkeeping plus the kio path/index/id annotations, legacy forms included). Other
/// `internal.config.kubernetes.io/` keys a user wrote are kept, as kustomize keeps them.
pub const BUILD_ANNOTATIONS: [&str; 19] = [
    "internal.config.kubernetes.io/previousKinds",
    "internal.config.kubernetes.io/previousNames",
    "internal.config.kubernetes.io/prefixes",
    "internal.config.kubernetes.io/suffixes",
    "internal.config.kubernetes.io/previousNamespaces",
    "internal.config.kubernetes.io/allowNameChange",
    "internal.config.kubernetes.io/allowKindChange",
    "internal.config.kubernetes.io/refBy",
    "internal.config.kubernetes.io/generatorBehavior",
    "internal.config.kubernetes.io/needsHashSuffix",
    "internal.config.kubernetes.io/path",
    "internal.config.kubernetes.io/index",
    "internal.config.kubernetes.io/seqindent",
    "internal.config.kubernetes.io/id",
    "internal.config.kubernetes.io/annotations-migration-resource-id",
    "config.kubernetes.io/path",
    "config.kubernetes.io/index",
    "config.k8s.io/id",
    "internal.config.kubernetes.io/helm-generated",
];

/// Build annotation holding the name prefixes applied to a resource (comma separated).
pub const PREFIXES_ANNOTATION: &str = "internal.config.kubernetes.io/prefixes";
/// Build annotation holding the name suffixes applied to a resource (comma separated).
pub const SUFFIXES_ANNOTATION: &str = "internal.config.kubernetes.io/suffixes";

/// Removes the `internal.config.kubernetes.io/*` build annotations this module (and kustomize)
/// keeps on resources; removes `metadata.annotations` when it becomes empty that way (as
/// kustomize does). Call once on the final resources, before printing.
pub fn remove_build_annotations(resources: &mut ResMap) {
    for r in resources.resources_mut() {
        remove_build_annotations_of(r);
    }
}

/// [`remove_build_annotations`] for one resource.
pub fn remove_build_annotations_of(r: &mut Resource) {
    let Some(meta) = r.value.get_mut("metadata").and_then(Value::as_map_mut) else {
        return;
    };
    let Some(Value::Map(ann)) = meta.get_mut("annotations") else {
        return;
    };
    if ann.is_empty() {
        return;
    }
    ann.retain(|k, _| !BUILD_ANNOTATIONS.contains(&k.as_str()));
    // kustomize rewrites the map from a map[string]string: every value becomes a string.
    for v in ann.values_mut() {
        if !matches!(v, Value::String(_)) {
            *v = Value::String(v.scalar_text().unwrap_or_default());
        }
    }
    if ann.is_empty() {
        meta.shift_remove("annotations");
    }
}

/// The comma-separated list in build annotation `key` (empty when absent).
pub(crate) fn csv_annotation(r: &Resource, key: &str) -> Vec<String> {
    match r.value.str_at(&["metadata", "annotations", key]) {
        Some(s) => s.split(',').map(str::to_string).collect(),
        None => Vec::new(),
    }
}

/// Appends `value` to the comma-separated build annotation `key` (no-op for an empty value).
pub(crate) fn append_csv_annotation(r: &mut Resource, key: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let mut list = csv_annotation(r, key);
    list.push(value.to_string());
    let meta = r.value.ensure_map_path(&["metadata"]);
    let ann = meta.entry("annotations".to_string()).or_insert(Value::Null);
    if !matches!(ann, Value::Map(_)) {
        *ann = Value::new_map();
    }
    if let Value::Map(m) = ann {
        m.insert(key.to_string(), Value::String(list.join(",")));
    }
}

/// True for an object kustomize treats as empty (null, or an empty mapping).
pub(crate) fn is_nil_or_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Map(m) => m.is_empty(),
        Value::Seq(s) => s.is_empty(),
        _ => false,
    }
}

/// kustomize's `ResId.String()` for a resource's current id.
pub(crate) fn id_string(r: &Resource) -> String {
    fieldspec::describe_object(&r.value)
}

/// Sets a scalar to a string value; fails on mappings and sequences as kustomize's scalar
/// setter does.
pub(crate) fn set_scalar_string(node: &mut Value, value: &str) -> Result<(), TransformError> {
    match node {
        Value::Map(_) | Value::Seq(_) => Err(TransformError::WrongTarget(format!(
            "wrong node kind: expected ScalarNode but got {}",
            if matches!(node, Value::Map(_)) {
                "MappingNode"
            } else {
                "SequenceNode"
            }
        ))),
        _ => {
            *node = Value::String(value.to_string());
            Ok(())
        }
    }
}

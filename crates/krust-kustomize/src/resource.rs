//! Resources, their ids, and the indexed resource list every build step works on.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use krust_yaml::{Mapping, Value};

/// Group, version and kind of an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Gvk {
    /// API group (`""` for the core group).
    pub group: String,
    /// API version (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
}

impl Gvk {
    /// Splits an `apiVersion` (`apps/v1`, `v1`) and a kind.
    pub fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Gvk {
            group,
            version,
            kind: kind.to_string(),
        }
    }

    /// `group/version` or just `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// True for kinds that are never namespaced (Namespace, ClusterRole, CRDs, …).
    pub fn is_cluster_scoped(&self) -> bool {
        is_cluster_scoped_kind(&self.kind)
    }
}

/// Kinds kustomize treats as cluster-scoped (from the built-in Kubernetes API list).
pub fn is_cluster_scoped_kind(kind: &str) -> bool {
    matches!(
        kind,
        "APIService"
            | "CertificateSigningRequest"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "ComponentStatus"
            | "CSIDriver"
            | "CSINode"
            | "CustomResourceDefinition"
            | "FlowSchema"
            | "IngressClass"
            | "MutatingWebhookConfiguration"
            | "Namespace"
            | "Node"
            | "PersistentVolume"
            | "PodSecurityPolicy"
            | "PriorityClass"
            | "PriorityLevelConfiguration"
            | "RuntimeClass"
            | "SelfSubjectAccessReview"
            | "SelfSubjectRulesReview"
            | "StorageClass"
            | "SubjectAccessReview"
            | "TokenReview"
            | "ValidatingWebhookConfiguration"
            | "VolumeAttachment"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "MutatingAdmissionPolicy"
            | "MutatingAdmissionPolicyBinding"
            | "ClusterTrustBundle"
            | "DeviceClass"
            | "IPAddress"
            | "ServiceCIDR"
            | "VolumeAttributesClass"
    )
}

/// The identity of a resource: kind, group, version, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct ResId {
    /// Group/version/kind.
    pub gvk: Gvk,
    /// Namespace as written (`""` when absent).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ResId {
    /// The namespace used for identity: `""` for cluster-scoped kinds, `default` when unset.
    pub fn effective_namespace(&self) -> &str {
        if self.gvk.is_cluster_scoped() {
            ""
        } else if self.namespace.is_empty() {
            "default"
        } else {
            &self.namespace
        }
    }

    /// The key under which a resource is indexed: ids that kustomize considers equal map to the
    /// same key (namespace normalised, version ignored as kustomize's `IsSelected` does not).
    pub fn index_key(&self) -> IdKey {
        IdKey {
            group: self.gvk.group.clone(),
            version: self.gvk.version.clone(),
            kind: self.gvk.kind.clone(),
            namespace: self.effective_namespace().to_string(),
            name: self.name.clone(),
        }
    }
}

impl fmt::Display for Gvk {
    /// kustomize's `Gvk.String()`: `Deployment.v1.apps`, with `[noGrp]`, `[noVer]` and
    /// `[noKind]` standing in for empty parts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or = |s: &str, d: &'static str| {
            if s.is_empty() {
                d.to_string()
            } else {
                s.to_string()
            }
        };
        write!(
            f,
            "{}.{}.{}",
            or(&self.kind, "[noKind]"),
            or(&self.version, "[noVer]"),
            or(&self.group, "[noGrp]")
        )
    }
}

impl fmt::Display for ResId {
    /// kustomize's `ResId.String()` as it appears in its error messages:
    /// `Deployment.v1.apps/nginx.[noNs]`, `Service.v1.[noGrp]/web.prod`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        let name = if self.name.is_empty() {
            "[noName]"
        } else {
            &self.name
        };
        write!(f, "{}/{name}.{ns}", self.gvk)
    }
}

/// A normalised id used as a hash key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdKey {
    /// API group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Effective namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// Where a resource came from, for error messages and origin annotations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The file the resource was read from, or the kustomization that generated it.
    pub path: PathBuf,
    /// 1-based line of the document in that file (0 when generated).
    pub line: usize,
}

/// One object being built, with the bookkeeping kustomize keeps beside it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    /// The object itself (a mapping).
    pub value: Value,
    /// Where it came from.
    pub origin: Origin,
    /// Ids this resource had before renames (oldest first), used by name-reference fix-up and by
    /// patches and selectors that name the original object.
    pub previous_ids: Vec<ResId>,
    /// A generated ConfigMap/Secret whose name still needs its content-hash suffix.
    pub needs_hash_suffix: bool,
}

impl Resource {
    /// Wraps a parsed object.
    pub fn new(value: Value, origin: Origin) -> Resource {
        Resource {
            value,
            origin,
            previous_ids: Vec::new(),
            needs_hash_suffix: false,
        }
    }

    /// `apiVersion` (empty when missing).
    pub fn api_version(&self) -> &str {
        self.value.str_at(&["apiVersion"]).unwrap_or("")
    }

    /// `kind` (empty when missing).
    pub fn kind(&self) -> &str {
        self.value.str_at(&["kind"]).unwrap_or("")
    }

    /// `metadata.name` (empty when missing).
    pub fn name(&self) -> &str {
        self.value.str_at(&["metadata", "name"]).unwrap_or("")
    }

    /// `metadata.namespace` (empty when missing).
    pub fn namespace(&self) -> &str {
        self.value.str_at(&["metadata", "namespace"]).unwrap_or("")
    }

    /// Group/version/kind.
    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(self.api_version(), self.kind())
    }

    /// The current id.
    pub fn id(&self) -> ResId {
        ResId {
            gvk: self.gvk(),
            namespace: self.namespace().to_string(),
            name: self.name().to_string(),
        }
    }

    /// The id the resource had when it was first read (before any prefix, suffix or namespace).
    pub fn original_id(&self) -> ResId {
        self.previous_ids
            .first()
            .cloned()
            .unwrap_or_else(|| self.id())
    }

    /// Sets `metadata.name`.
    pub fn set_name(&mut self, name: &str) {
        self.value
            .ensure_map_path(&["metadata"])
            .insert("name".into(), Value::String(name.to_string()));
    }

    /// Sets `metadata.namespace`.
    pub fn set_namespace(&mut self, namespace: &str) {
        self.value
            .ensure_map_path(&["metadata"])
            .insert("namespace".into(), Value::String(namespace.to_string()));
    }

    /// Records the current id as a previous id (call before renaming).
    pub fn remember_id(&mut self) {
        let id = self.id();
        if self.previous_ids.last() != Some(&id) {
            self.previous_ids.push(id);
        }
    }

    /// `metadata.labels` as a map (empty when missing).
    pub fn labels(&self) -> Option<&Mapping> {
        self.value
            .get_path(&["metadata", "labels"])
            .and_then(Value::as_map)
    }

    /// `metadata.annotations` as a map.
    pub fn annotations(&self) -> Option<&Mapping> {
        self.value
            .get_path(&["metadata", "annotations"])
            .and_then(Value::as_map)
    }
}

/// The ordered list of resources of a build, indexed by id.
///
/// Order is the order kustomize accumulates resources in; the index makes lookups by id O(1) so
/// that no step scans every resource per resource.
#[derive(Debug, Clone, Default)]
pub struct ResMap {
    resources: Vec<Resource>,
    index: HashMap<IdKey, Vec<usize>>,
}

impl ResMap {
    /// An empty list.
    pub fn new() -> ResMap {
        ResMap::default()
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The resources in order.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// Mutable access to the resources. Call [`ResMap::reindex`] after changing ids.
    pub fn resources_mut(&mut self) -> &mut [Resource] {
        &mut self.resources
    }

    /// Takes the resources out.
    pub fn into_resources(self) -> Vec<Resource> {
        self.resources
    }

    /// Appends a resource without checking for duplicates.
    pub fn push(&mut self, r: Resource) {
        let key = r.id().index_key();
        self.index
            .entry(key)
            .or_default()
            .push(self.resources.len());
        self.resources.push(r);
    }

    /// Positions of resources whose current id equals `id` (namespace normalised).
    pub fn positions_of(&self, id: &ResId) -> &[usize] {
        self.index
            .get(&id.index_key())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Rebuilds the id index after renames.
    pub fn reindex(&mut self) {
        self.index.clear();
        for (i, r) in self.resources.iter().enumerate() {
            self.index.entry(r.id().index_key()).or_default().push(i);
        }
    }

    /// Keeps the resources for which `keep` returns true, preserving order.
    pub fn retain(&mut self, keep: impl FnMut(&Resource) -> bool) {
        self.resources.retain(keep);
        self.reindex();
    }

    /// Replaces the whole list.
    pub fn replace_all(&mut self, resources: Vec<Resource>) {
        self.resources = resources;
        self.reindex();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_normalise_namespaces() {
        let a = ResId {
            gvk: Gvk::from_api_version("apps/v1", "Deployment"),
            namespace: String::new(),
            name: "x".into(),
        };
        let mut b = a.clone();
        b.namespace = "default".into();
        assert_eq!(a.index_key(), b.index_key());
        assert_eq!(a.gvk.api_version(), "apps/v1");
        let ns = ResId {
            gvk: Gvk::from_api_version("v1", "Namespace"),
            namespace: "ignored".into(),
            name: "n".into(),
        };
        assert_eq!(ns.effective_namespace(), "");
    }
}

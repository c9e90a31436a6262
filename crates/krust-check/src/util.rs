//! Helpers shared by rules: object identity, pod specs, images, label selectors.

use krust_yaml::{Mapping, Value};

/// `kind` of an object (empty when unset).
pub fn kind(v: &Value) -> &str {
    v.str_at(&["kind"]).unwrap_or("")
}

/// `apiVersion` of an object (empty when unset).
pub fn api_version(v: &Value) -> &str {
    v.str_at(&["apiVersion"]).unwrap_or("")
}

/// The API group of an apiVersion (`""` for the core group).
pub fn group(api_version: &str) -> &str {
    match api_version.split_once('/') {
        Some((g, _)) => g,
        None => "",
    }
}

/// `metadata.name`.
pub fn name(v: &Value) -> &str {
    v.str_at(&["metadata", "name"]).unwrap_or("")
}

/// `metadata.namespace` as written (empty when unset).
pub fn namespace(v: &Value) -> &str {
    v.str_at(&["metadata", "namespace"]).unwrap_or("")
}

/// An annotation.
pub fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get_path(&["metadata", "annotations"])
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// A label.
pub fn label<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get_path(&["metadata", "labels"])
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// Whether `kind` (of a built-in or well-known CRD group) is cluster-scoped.
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "StorageClass"
            | "PriorityClass"
            | "IngressClass"
            | "RuntimeClass"
            | "CSIDriver"
            | "CSINode"
            | "VolumeAttachment"
            | "APIService"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "PodSecurityPolicy"
            | "ClusterIssuer"
            | "ClusterSecretStore"
            | "ClusterExternalSecret"
            | "ClusterPolicy"
            | "ClusterPolicyReport"
            | "GatewayClass"
            | "VolumeSnapshotClass"
            | "VolumeSnapshotContent"
            | "Bundle"
            | "ClusterTrustBundle"
            | "FluxInstance"
            | "FluxReport"
            | "ServerAuthorization"
    )
}

/// Where the pod spec of a workload lives, as a path of keys.
pub fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some(&["spec", "template", "spec"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// The pod spec of a workload and the dotted path to it.
pub fn pod_spec(v: &Value) -> Option<(&Value, String)> {
    let path = pod_spec_path(kind(v))?;
    let spec = v.get_path(path)?;
    spec.as_map()?;
    Some((spec, path.join(".")))
}

/// The pod labels of a workload (the template's labels; a Pod's own labels).
pub fn pod_labels(v: &Value) -> Option<&Mapping> {
    let path = pod_spec_path(kind(v))?;
    if kind(v) == "Pod" {
        return v.get_path(&["metadata", "labels"]).and_then(Value::as_map);
    }
    let tmpl = &path[..path.len() - 1];
    v.get_path(tmpl)?
        .get_path(&["metadata", "labels"])
        .and_then(Value::as_map)
}

/// One container of a pod spec: (list name, index, container).
pub fn containers(spec: &Value) -> Vec<(&'static str, usize, &Value)> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, c) in spec
            .get(list)
            .and_then(Value::as_seq)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if c.as_map().is_some() {
                out.push((list, i, c));
            }
        }
    }
    out
}

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (`docker.io` when none is written).
    pub registry: String,
    /// Repository path (`library/nginx`).
    pub repository: String,
    /// Tag, when written.
    pub tag: Option<String>,
    /// Digest, when written.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `[registry/]repo[:tag][@digest]`.
    pub fn parse(image: &str) -> ImageRef {
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (image, None),
        };
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(rest[i + 1..].to_string())),
            _ => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, repo))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), repo.to_string())
            }
            Some(_) => ("docker.io".to_string(), name.to_string()),
            None => ("docker.io".to_string(), format!("library/{name}")),
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// True when the reference can move: no digest and no tag or the `latest` tag.
    pub fn is_floating(&self) -> bool {
        self.digest.is_none() && self.tag.as_deref().is_none_or(|t| t == "latest")
    }

    /// True when the tag is mutable by convention (no digest; no tag, `latest`, or a moving tag
    /// such as `main`, `master`, `stable`, `edge`, `dev`, `nightly`).
    pub fn is_mutable(&self) -> bool {
        self.digest.is_none()
            && self.tag.as_deref().is_none_or(|t| {
                matches!(
                    t,
                    "latest"
                        | "main"
                        | "master"
                        | "stable"
                        | "edge"
                        | "dev"
                        | "develop"
                        | "nightly"
                        | "head"
                )
            })
    }
}

/// Whether `selector` (a plain `key: value` map) matches `labels`. An empty selector matches all.
pub fn map_selects(selector: &Mapping, labels: Option<&Mapping>) -> bool {
    selector.iter().all(|(k, v)| {
        labels
            .and_then(|l| l.get(k))
            .and_then(Value::scalar_text)
            .is_some_and(|lv| Some(lv) == v.scalar_text())
    })
}

/// Whether a `LabelSelector` (`matchLabels` + `matchExpressions`) matches `labels`.
pub fn label_selector_matches(sel: &Value, labels: Option<&Mapping>) -> bool {
    if let Some(ml) = sel.get("matchLabels").and_then(Value::as_map) {
        if !map_selects(ml, labels) {
            return false;
        }
    }
    for expr in sel
        .get("matchExpressions")
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
    {
        let key = expr.str_at(&["key"]).unwrap_or("");
        let op = expr.str_at(&["operator"]).unwrap_or("");
        let values: Vec<String> = expr
            .get("values")
            .and_then(Value::as_seq)
            .into_iter()
            .flatten()
            .filter_map(Value::scalar_text)
            .collect();
        let have = labels.and_then(|l| l.get(key)).and_then(Value::scalar_text);
        let ok = match op {
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => have.is_none_or(|h| !values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Visits every string in a value tree with its dotted path.
pub fn walk_strings<'a>(v: &'a Value, path: &mut String, f: &mut dyn FnMut(&str, &'a str)) {
    match v {
        Value::String(s) => f(path, s),
        Value::Map(m) => {
            for (k, child) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk_strings(child, path, f);
                path.truncate(len);
            }
        }
        Value::Seq(s) => {
            for (i, child) in s.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk_strings(child, path, f);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        let i = ImageRef::parse("nginx");
        assert_eq!(i.registry, "docker.io");
        assert_eq!(i.repository, "library/nginx");
        assert!(i.is_floating());
        let i = ImageRef::parse("ghcr.io/a/b:1.2@sha256:abc");
        assert_eq!(i.registry, "ghcr.io");
        assert_eq!(i.tag.as_deref(), Some("1.2"));
        assert!(!i.is_floating());
        let i = ImageRef::parse("localhost:5000/app");
        assert_eq!(i.registry, "localhost:5000");
        assert!(i.tag.is_none());
    }
}

//! `KR-API`: deprecated and removed API versions.

pub mod deprecated_api;
pub mod flux_api;
pub mod removed_api;

/// A Kubernetes API version that was deprecated and/or removed.
#[derive(Debug, Clone, Copy)]
pub struct ApiChange {
    /// `apiVersion`.
    pub api_version: &'static str,
    /// Kinds concerned (`*` for all kinds of the group version).
    pub kinds: &'static [&'static str],
    /// Minor version (1.x) in which it was deprecated.
    pub deprecated: u32,
    /// Minor version (1.x) in which it is no longer served (0: still served).
    pub removed: u32,
    /// What to use instead.
    pub replacement: &'static str,
}

/// Kubernetes API changes (from the Kubernetes deprecated API migration guide).
pub const KUBE_CHANGES: &[ApiChange] = &[
    ApiChange {
        api_version: "extensions/v1beta1",
        kinds: &["Deployment", "DaemonSet", "ReplicaSet"],
        deprecated: 9,
        removed: 16,
        replacement: "apps/v1",
    },
    ApiChange {
        api_version: "apps/v1beta1",
        kinds: &["*"],
        deprecated: 9,
        removed: 16,
        replacement: "apps/v1",
    },
    ApiChange {
        api_version: "apps/v1beta2",
        kinds: &["*"],
        deprecated: 9,
        removed: 16,
        replacement: "apps/v1",
    },
    ApiChange {
        api_version: "extensions/v1beta1",
        kinds: &["NetworkPolicy"],
        deprecated: 9,
        removed: 16,
        replacement: "networking.k8s.io/v1",
    },
    ApiChange {
        api_version: "extensions/v1beta1",
        kinds: &["PodSecurityPolicy"],
        deprecated: 10,
        removed: 16,
        replacement: "(none: use Pod Security Admission)",
    },
    ApiChange {
        api_version: "extensions/v1beta1",
        kinds: &["Ingress"],
        deprecated: 14,
        removed: 22,
        replacement: "networking.k8s.io/v1",
    },
    ApiChange {
        api_version: "networking.k8s.io/v1beta1",
        kinds: &["Ingress", "IngressClass"],
        deprecated: 19,
        removed: 22,
        replacement: "networking.k8s.io/v1",
    },
    ApiChange {
        api_version: "rbac.authorization.k8s.io/v1beta1",
        kinds: &["*"],
        deprecated: 17,
        removed: 22,
        replacement: "rbac.authorization.k8s.io/v1",
    },
    ApiChange {
        api_version: "apiextensions.k8s.io/v1beta1",
        kinds: &["CustomResourceDefinition"],
        deprecated: 16,
        removed: 22,
        replacement: "apiextensions.k8s.io/v1",
    },
    ApiChange {
        api_version: "admissionregistration.k8s.io/v1beta1",
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        deprecated: 16,
        removed: 22,
        replacement: "admissionregistration.k8s.io/v1",
    },
    ApiChange {
        api_version: "apiregistration.k8s.io/v1beta1",
        kinds: &["APIService"],
        deprecated: 19,
        removed: 22,
        replacement: "apiregistration.k8s.io/v1",
    },
    ApiChange {
        api_version: "scheduling.k8s.io/v1beta1",
        kinds: &["PriorityClass"],
        deprecated: 14,
        removed: 22,
        replacement: "scheduling.k8s.io/v1",
    },
    ApiChange {
        api_version: "coordination.k8s.io/v1beta1",
        kinds: &["Lease"],
        deprecated: 14,
        removed: 22,
        replacement: "coordination.k8s.io/v1",
    },
    ApiChange {
        api_version: "certificates.k8s.io/v1beta1",
        kinds: &["CertificateSigningRequest"],
        deprecated: 19,
        removed: 22,
        replacement: "certificates.k8s.io/v1",
    },
    ApiChange {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment"],
        deprecated: 19,
        removed: 22,
        replacement: "storage.k8s.io/v1",
    },
    ApiChange {
        api_version: "batch/v1beta1",
        kinds: &["CronJob"],
        deprecated: 21,
        removed: 25,
        replacement: "batch/v1",
    },
    ApiChange {
        api_version: "policy/v1beta1",
        kinds: &["PodDisruptionBudget"],
        deprecated: 21,
        removed: 25,
        replacement: "policy/v1",
    },
    ApiChange {
        api_version: "policy/v1beta1",
        kinds: &["PodSecurityPolicy"],
        deprecated: 21,
        removed: 25,
        replacement: "(none: use Pod Security Admission)",
    },
    ApiChange {
        api_version: "autoscaling/v2beta1",
        kinds: &["HorizontalPodAutoscaler"],
        deprecated: 22,
        removed: 25,
        replacement: "autoscaling/v2",
    },
    ApiChange {
        api_version: "autoscaling/v2beta2",
        kinds: &["HorizontalPodAutoscaler"],
        deprecated: 23,
        removed: 26,
        replacement: "autoscaling/v2",
    },
    ApiChange {
        api_version: "discovery.k8s.io/v1beta1",
        kinds: &["EndpointSlice"],
        deprecated: 21,
        removed: 25,
        replacement: "discovery.k8s.io/v1",
    },
    ApiChange {
        api_version: "events.k8s.io/v1beta1",
        kinds: &["Event"],
        deprecated: 19,
        removed: 25,
        replacement: "events.k8s.io/v1",
    },
    ApiChange {
        api_version: "node.k8s.io/v1beta1",
        kinds: &["RuntimeClass"],
        deprecated: 20,
        removed: 25,
        replacement: "node.k8s.io/v1",
    },
    ApiChange {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSIStorageCapacity"],
        deprecated: 24,
        removed: 27,
        replacement: "storage.k8s.io/v1",
    },
    ApiChange {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta1",
        kinds: &["*"],
        deprecated: 23,
        removed: 26,
        replacement: "flowcontrol.apiserver.k8s.io/v1",
    },
    ApiChange {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta2",
        kinds: &["*"],
        deprecated: 26,
        removed: 29,
        replacement: "flowcontrol.apiserver.k8s.io/v1",
    },
    ApiChange {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta3",
        kinds: &["*"],
        deprecated: 29,
        removed: 32,
        replacement: "flowcontrol.apiserver.k8s.io/v1",
    },
    ApiChange {
        api_version: "v1",
        kinds: &["Endpoints"],
        deprecated: 33,
        removed: 0,
        replacement: "discovery.k8s.io/v1 EndpointSlice",
    },
    ApiChange {
        api_version: "v1",
        kinds: &["ComponentStatus"],
        deprecated: 19,
        removed: 0,
        replacement: "(none)",
    },
];

/// Flux API versions that current Flux releases no longer serve (or deprecate).
pub const FLUX_CHANGES: &[(&str, &str)] = &[
    (
        "kustomize.toolkit.fluxcd.io/v1beta1",
        "kustomize.toolkit.fluxcd.io/v1",
    ),
    (
        "kustomize.toolkit.fluxcd.io/v1beta2",
        "kustomize.toolkit.fluxcd.io/v1",
    ),
    (
        "helm.toolkit.fluxcd.io/v2beta1",
        "helm.toolkit.fluxcd.io/v2",
    ),
    (
        "helm.toolkit.fluxcd.io/v2beta2",
        "helm.toolkit.fluxcd.io/v2",
    ),
    (
        "source.toolkit.fluxcd.io/v1beta1",
        "source.toolkit.fluxcd.io/v1",
    ),
    (
        "source.toolkit.fluxcd.io/v1beta2",
        "source.toolkit.fluxcd.io/v1",
    ),
    (
        "notification.toolkit.fluxcd.io/v1beta1",
        "notification.toolkit.fluxcd.io/v1beta3 (Alert, Provider) or v1 (Receiver)",
    ),
    (
        "notification.toolkit.fluxcd.io/v1beta2",
        "notification.toolkit.fluxcd.io/v1beta3 (Alert, Provider) or v1 (Receiver)",
    ),
    (
        "image.toolkit.fluxcd.io/v1beta1",
        "image.toolkit.fluxcd.io/v1beta2",
    ),
];

/// The minor number of a `1.N` version.
pub fn minor(version: &str) -> u32 {
    version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(33)
}

fn change_of(api: &str, kind: &str) -> Option<&'static ApiChange> {
    KUBE_CHANGES
        .iter()
        .find(|c| c.api_version == api && (c.kinds.contains(&"*") || c.kinds.contains(&kind)))
}

/// The change if `api`/`kind` is no longer served by Kubernetes `version`.
pub fn removed_api(api: &str, kind: &str, version: &str) -> Option<&'static ApiChange> {
    change_of(api, kind).filter(|c| c.removed != 0 && minor(version) >= c.removed)
}

/// The change if `api`/`kind` is deprecated but still served by Kubernetes `version`.
pub fn deprecated_api(api: &str, kind: &str, version: &str) -> Option<&'static ApiChange> {
    let m = minor(version);
    change_of(api, kind).filter(|c| m >= c.deprecated && (c.removed == 0 || m < c.removed))
}

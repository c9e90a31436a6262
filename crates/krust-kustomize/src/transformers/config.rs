//! The transformer configuration: kustomize's default field-spec lists and user
//! `configurations:` files merged into them.

use std::sync::OnceLock;

use krust_yaml::Value;

use crate::resource::Gvk;

use super::fieldspec::{
    config_string, gvk_sort_key, merge_all, merge_one, sort_field_specs, FieldSpec,
};
use super::TransformError;

/// The kinds whose name is referred to by fields of other kinds (one `nameReference` entry).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameBackReference {
    /// Group of the referred kind (`""` matches any).
    pub group: String,
    /// Version of the referred kind (`""` matches any).
    pub version: String,
    /// The referred kind (`ConfigMap`).
    pub kind: String,
    /// The fields (of referrer kinds) that hold the referred object's name.
    pub referrers: Vec<FieldSpec>,
}

impl NameBackReference {
    /// The referred gvk as a selector.
    pub fn gvk(&self) -> Gvk {
        Gvk {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
        }
    }

    fn from_value(v: &Value) -> Result<NameBackReference, TransformError> {
        let Value::Map(map) = v else {
            return Err(TransformError::Config(format!(
                "a nameReference entry must be a mapping, found a {}",
                v.kind_name()
            )));
        };
        let mut out = NameBackReference::default();
        for (k, val) in map {
            match k.as_str() {
                "group" => out.group = config_string(k, val)?,
                "version" => out.version = config_string(k, val)?,
                "kind" => out.kind = config_string(k, val)?,
                "fieldSpecs" => out.referrers = FieldSpec::list_from_value(val)?,
                other => {
                    return Err(TransformError::Config(format!(
                        "unknown field \"{other}\" in a nameReference entry"
                    )))
                }
            }
        }
        Ok(out)
    }
}

/// Which fields each builtin transformer edits (kustomize's `TransformerConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransformerConfig {
    /// `namePrefix` specs.
    pub name_prefix: Vec<FieldSpec>,
    /// `nameSuffix` specs.
    pub name_suffix: Vec<FieldSpec>,
    /// `namespace` specs (besides `metadata/namespace`, which is always set).
    pub namespace: Vec<FieldSpec>,
    /// `commonLabels` specs (metadata, templates and selectors).
    pub common_labels: Vec<FieldSpec>,
    /// `labels` specs added to every `labels:` entry (empty by default).
    pub labels: Vec<FieldSpec>,
    /// Template label specs used by `labels[].includeTemplates`.
    pub template_labels: Vec<FieldSpec>,
    /// Specs used by `labels[].includeVolumeClaimTemplates`.
    pub volume_claim_template_labels: Vec<FieldSpec>,
    /// `commonAnnotations` specs.
    pub common_annotations: Vec<FieldSpec>,
    /// Name back references, one entry per referred kind.
    pub name_reference: Vec<NameBackReference>,
    /// Fields in which `$(VAR)` references are substituted.
    pub var_reference: Vec<FieldSpec>,
    /// Image fields of `images:`.
    pub images: Vec<FieldSpec>,
    /// Replica count fields of `replicas:`.
    pub replicas: Vec<FieldSpec>,
}

impl TransformerConfig {
    /// An empty configuration (what a `configurations:` file starts from).
    pub fn empty() -> TransformerConfig {
        TransformerConfig::default()
    }

    /// kustomize's built-in configuration (built once, then cloned).
    pub fn defaults() -> TransformerConfig {
        static DEFAULTS: OnceLock<TransformerConfig> = OnceLock::new();
        DEFAULTS
            .get_or_init(|| {
                let mut c = build_defaults();
                c.sort();
                // The defaults have no effective duplicates; normalizing cannot fail, and a
                // failure would leave the sorted lists untouched.
                let mut normalized = c.clone();
                match normalized.normalize() {
                    Ok(()) => normalized,
                    Err(_) => c,
                }
            })
            .clone()
    }

    /// Parses the YAML text of a `configurations:` file.
    pub fn from_yaml(text: &str) -> Result<TransformerConfig, TransformError> {
        let v = krust_yaml::parse_one(text)
            .map_err(|e| TransformError::Config(format!("parsing configuration: {e}")))?;
        TransformerConfig::from_value(&v)
    }

    /// Reads a parsed configuration document. Unknown top-level keys are errors, as kustomize's
    /// strict unmarshalling makes them. The lists are sorted as kustomize sorts them.
    pub fn from_value(v: &Value) -> Result<TransformerConfig, TransformError> {
        let map = match v {
            Value::Map(m) => m,
            Value::Null => return Ok(TransformerConfig::default()),
            other => {
                return Err(TransformError::Config(format!(
                    "a transformer configuration must be a mapping, found a {}",
                    other.kind_name()
                )))
            }
        };
        let mut c = TransformerConfig::default();
        for (k, val) in map {
            let target = match k.as_str() {
                "namePrefix" => &mut c.name_prefix,
                "nameSuffix" => &mut c.name_suffix,
                "namespace" => &mut c.namespace,
                "commonLabels" => &mut c.common_labels,
                "labels" => &mut c.labels,
                "templateLabels" => &mut c.template_labels,
                "volumeClaimTemplateLabels" => &mut c.volume_claim_template_labels,
                "commonAnnotations" => &mut c.common_annotations,
                "varReference" => &mut c.var_reference,
                "images" => &mut c.images,
                "replicas" => &mut c.replicas,
                "nameReference" => {
                    c.name_reference = match val {
                        Value::Null => Vec::new(),
                        Value::Seq(items) => items
                            .iter()
                            .map(NameBackReference::from_value)
                            .collect::<Result<_, _>>()?,
                        other => {
                            return Err(TransformError::Config(format!(
                                "nameReference must be a sequence, found a {}",
                                other.kind_name()
                            )))
                        }
                    };
                    continue;
                }
                other => {
                    return Err(TransformError::Config(format!(
                        "unknown field \"{other}\" in a transformer configuration"
                    )))
                }
            };
            *target = FieldSpec::list_from_value(val)?;
        }
        // kustomize merges each loaded file into an empty configuration.
        c.normalize()?;
        Ok(c)
    }

    /// kustomize's configuration for one kustomization, built in kustomize's order: an empty
    /// configuration, merged with each child's configuration (bases, then components, in the
    /// order they were accumulated), then with the defaults merged with this kustomization's
    /// `configurations:` documents (which are first merged into an empty configuration, in
    /// order), then with its `crds:` OpenAPI definition documents.
    pub fn for_kustomization(
        children: impl IntoIterator<Item = TransformerConfig>,
        configurations: &[Value],
        crds: &[Value],
    ) -> Result<TransformerConfig, TransformError> {
        let mut acc = TransformerConfig::empty();
        for child in children {
            acc.merge_lists(child)?;
        }
        let mut own = TransformerConfig::defaults();
        if !configurations.is_empty() {
            let mut user = TransformerConfig::empty();
            for doc in configurations {
                user.merge_lists(TransformerConfig::from_value(doc)?)?;
            }
            own.merge_lists(user)?;
        }
        acc.merge_lists(own)?;
        if !crds.is_empty() {
            let mut from_crds = TransformerConfig::empty();
            for doc in crds {
                from_crds.merge_lists(TransformerConfig::from_openapi_definitions(doc)?)?;
            }
            acc.merge_lists(from_crds)?;
        }
        Ok(acc)
    }

    /// Builds the configuration a `crds:` file contributes: the file is a map of OpenAPI
    /// definitions (`{"<go type name>": {"Schema": {...}, "Dependencies": [...]}}`, JSON or
    /// YAML). For every definition that looks like a Kubernetes type (its properties include
    /// `kind`, `apiVersion` and `metadata`), properties are followed through `$ref`s and the
    /// extensions `x-kubernetes-annotation` (commonAnnotations), `x-kubernetes-label-selector`
    /// (commonLabels), `x-kubernetes-identity` (namePrefix) and
    /// `x-kubernetes-object-ref-api-version` / `-kind` / `-name-key` (nameReference) become field
    /// specs for the kind named by the last `.`-separated part of the type name.
    /// Merge the result into the kustomization's configuration with [`TransformerConfig::merge`].
    pub fn from_openapi_definitions(v: &Value) -> Result<TransformerConfig, TransformError> {
        let Value::Map(defs) = v else {
            return Err(TransformError::Config(format!(
                "unable to parse open API definition: expected a mapping, found a {}",
                v.kind_name()
            )));
        };
        let mut result = TransformerConfig::default();
        for (name, api) in defs {
            let props = schema_properties(api);
            let looks_k8s = props.is_some_and(|p| {
                p.contains_key("kind") && p.contains_key("apiVersion") && p.contains_key("metadata")
            });
            if !looks_k8s {
                continue;
            }
            let kind = name.rsplit('.').next().unwrap_or(name).to_string();
            let mut tc = TransformerConfig::default();
            load_crd_type(&mut tc, &kind, defs, name, &mut Vec::new(), 0)?;
            result.merge_lists(tc)?;
        }
        Ok(result)
    }

    /// Merges `other` into `self` and normalizes the result the way kustomize's accumulator
    /// does when it takes in a kustomization's configuration (see `normalize`): specs already
    /// present are kept once, a spec that differs only in `create` is an error, name back
    /// references of the same gvk are merged, lists are sorted. For one kustomization without
    /// bases, `defaults()` merged with each `configurations:` document gives kustomize's result;
    /// for the exact multi-level sequence use [`TransformerConfig::for_kustomization`].
    pub fn merge(&mut self, other: TransformerConfig) -> Result<(), TransformError> {
        self.merge_lists(other)?;
        self.normalize()
    }

    /// kustomize's `TransformerConfig.Merge` exactly: each incoming spec is added unless an
    /// effectively equal one is already there (incoming specs added earlier count), then the
    /// lists are sorted.
    fn merge_lists(&mut self, other: TransformerConfig) -> Result<(), TransformError> {
        let wrap = |what: &'static str| {
            move |e: TransformError| {
                TransformError::Config(format!("failed to merge {what} fieldSpec: {e}"))
            }
        };
        merge_all(&mut self.name_prefix, other.name_prefix).map_err(wrap("NamePrefix"))?;
        merge_all(&mut self.name_suffix, other.name_suffix).map_err(wrap("NameSuffix"))?;
        merge_all(&mut self.namespace, other.namespace).map_err(wrap("NameSpace"))?;
        merge_all(&mut self.common_annotations, other.common_annotations)
            .map_err(wrap("CommonAnnotations"))?;
        merge_all(&mut self.common_labels, other.common_labels).map_err(wrap("CommonLabels"))?;
        merge_all(&mut self.labels, other.labels).map_err(wrap("Labels"))?;
        merge_all(&mut self.template_labels, other.template_labels)
            .map_err(wrap("TemplateLabels"))?;
        merge_all(
            &mut self.volume_claim_template_labels,
            other.volume_claim_template_labels,
        )
        .map_err(wrap("VolumeClaimTemplateLabels"))?;
        merge_all(&mut self.var_reference, other.var_reference).map_err(wrap("VarReference"))?;
        for nbr in other.name_reference {
            match self
                .name_reference
                .iter_mut()
                .find(|x| x.group == nbr.group && x.version == nbr.version && x.kind == nbr.kind)
            {
                Some(existing) => {
                    for fs in nbr.referrers {
                        merge_one(&mut existing.referrers, fs).map_err(wrap("NameReference"))?;
                    }
                }
                None => self.name_reference.push(nbr),
            }
        }
        merge_all(&mut self.images, other.images).map_err(wrap("Images"))?;
        merge_all(&mut self.replicas, other.replicas).map_err(wrap("Replicas"))?;
        self.sort();
        Ok(())
    }

    /// Sorts every list as kustomize does, then re-merges each list into an empty one, as
    /// kustomize's accumulator does when it takes in a configuration. That second pass is not a
    /// no-op: a kind-specific spec sorted before a kind-less one with the same path makes the
    /// kind-less one a duplicate, so a user's `namePrefix: [{path: metadata/name, kind: Foo}]`
    /// replaces the default `metadata/name` spec (conformance case
    /// `TestIssue4884_UseLocalConfigAsNameRefSource`, confirmed with kubectl.1.33).
    fn normalize(&mut self) -> Result<(), TransformError> {
        self.sort();
        let wrap = |e: TransformError| TransformError::Config(format!("merging config: {e}"));
        for list in [
            &mut self.name_prefix,
            &mut self.name_suffix,
            &mut self.namespace,
            &mut self.common_labels,
            &mut self.labels,
            &mut self.template_labels,
            &mut self.volume_claim_template_labels,
            &mut self.common_annotations,
            &mut self.var_reference,
            &mut self.images,
            &mut self.replicas,
        ] {
            let mut out = Vec::with_capacity(list.len());
            merge_all(&mut out, list.iter().cloned()).map_err(wrap)?;
            *list = out;
        }
        // Name back references are appended as they are when new (kustomize merges referrer
        // lists only into an existing entry of the same gvk, which `merge` does).
        Ok(())
    }

    /// Sorts every list as kustomize does (by kind rank, then group/version/kind).
    fn sort(&mut self) {
        for list in [
            &mut self.name_prefix,
            &mut self.name_suffix,
            &mut self.namespace,
            &mut self.common_labels,
            &mut self.labels,
            &mut self.template_labels,
            &mut self.volume_claim_template_labels,
            &mut self.common_annotations,
            &mut self.var_reference,
            &mut self.images,
            &mut self.replicas,
        ] {
            sort_field_specs(list);
        }
        self.name_reference
            .sort_by_cached_key(|n| gvk_sort_key(&n.group, &n.version, &n.kind));
    }
}

/// The `properties` of an OpenAPI definition's schema (`Schema` or `schema`).
fn schema_properties(api: &Value) -> Option<&krust_yaml::Mapping> {
    let schema = api.get("Schema").or_else(|| api.get("schema"))?;
    schema.get("properties")?.as_map()
}

fn extension<'a>(prop: &'a Value, key: &str) -> Option<&'a str> {
    prop.get(key).and_then(Value::as_str)
}

/// Follows one type's properties (and `$ref`s, to a bounded depth) adding field specs.
fn load_crd_type(
    tc: &mut TransformerConfig,
    kind: &str,
    defs: &krust_yaml::Mapping,
    type_name: &str,
    path: &mut Vec<String>,
    depth: usize,
) -> Result<(), TransformError> {
    if depth > 64 {
        return Ok(());
    }
    let Some(props) = defs.get(type_name).and_then(schema_properties) else {
        return Ok(());
    };
    for (prop_name, prop) in props {
        path.push(prop_name.clone());
        let spec = |extra: Option<&str>| {
            let mut p = path.join("/");
            if let Some(e) = extra {
                p.push('/');
                p.push_str(e);
            }
            fs("", "", kind, &p, false)
        };
        if extension(prop, "x-kubernetes-annotation").is_some() {
            merge_one(&mut tc.common_annotations, spec(None))?;
        }
        if extension(prop, "x-kubernetes-label-selector").is_some() {
            merge_one(&mut tc.common_labels, spec(None))?;
        }
        if extension(prop, "x-kubernetes-identity").is_some() {
            merge_one(&mut tc.name_prefix, spec(None))?;
        }
        if let (Some(version), Some(ref_kind)) = (
            extension(prop, "x-kubernetes-object-ref-api-version"),
            extension(prop, "x-kubernetes-object-ref-kind"),
        ) {
            let name_key = extension(prop, "x-kubernetes-object-ref-name-key").unwrap_or("name");
            let referrer = spec(Some(name_key));
            match tc
                .name_reference
                .iter_mut()
                .find(|n| n.group.is_empty() && n.version == version && n.kind == ref_kind)
            {
                Some(n) => merge_one(&mut n.referrers, referrer)?,
                None => tc
                    .name_reference
                    .push(nbr("", version, ref_kind, vec![referrer])),
            }
        }
        if let Some(r) = prop.get("$ref").and_then(Value::as_str) {
            load_crd_type(tc, kind, defs, r, path, depth + 1)?;
        }
        path.pop();
    }
    Ok(())
}

fn fs(group: &str, version: &str, kind: &str, path: &str, create: bool) -> FieldSpec {
    FieldSpec {
        group: group.to_string(),
        version: version.to_string(),
        kind: kind.to_string(),
        path: path.to_string(),
        create,
    }
}

/// `(group, version, kind, pod spec path)` of the workload kinds whose pod template kustomize
/// knows for ConfigMap and Secret references.
const POD_HOLDERS: [(&str, &str, &str, &str); 8] = [
    ("", "v1", "Pod", "spec"),
    ("", "", "PodTemplate", "template/spec"),
    ("", "", "Deployment", "spec/template/spec"),
    ("", "", "ReplicaSet", "spec/template/spec"),
    ("", "", "DaemonSet", "spec/template/spec"),
    ("", "", "StatefulSet", "spec/template/spec"),
    ("", "", "Job", "spec/template/spec"),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec"),
];

/// Workload kinds used for ServiceAccount, PVC and PriorityClass references.
const WORKLOADS: [(&str, &str); 7] = [
    ("Pod", "spec"),
    ("StatefulSet", "spec/template/spec"),
    ("Deployment", "spec/template/spec"),
    ("ReplicationController", "spec/template/spec"),
    ("CronJob", "spec/jobTemplate/spec/template/spec"),
    ("Job", "spec/template/spec"),
    ("DaemonSet", "spec/template/spec"),
];

/// kustomize's default configuration, before sorting. The lists state the same facts as
/// kustomize's `builtinpluginconsts` (which kinds, which paths, which create flags).
fn build_defaults() -> TransformerConfig {
    let mut c = TransformerConfig {
        name_prefix: vec![FieldSpec::new("metadata/name")],
        name_suffix: vec![FieldSpec::new("metadata/name")],
        ..TransformerConfig::default()
    };

    // Labels on metadata and pod templates.
    let mut metadata_labels = vec![fs("", "", "", "metadata/labels", true)];
    let mut annotations = vec![fs("", "", "", "metadata/annotations", true)];
    for (group, version, kind, path) in [
        ("", "v1", "ReplicationController", "spec/template/metadata"),
        ("", "", "Deployment", "spec/template/metadata"),
        ("", "", "ReplicaSet", "spec/template/metadata"),
        ("", "", "DaemonSet", "spec/template/metadata"),
        ("apps", "", "StatefulSet", "spec/template/metadata"),
        ("batch", "", "Job", "spec/template/metadata"),
        ("batch", "", "CronJob", "spec/jobTemplate/metadata"),
        (
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/spec/template/metadata",
        ),
    ] {
        metadata_labels.push(fs(group, version, kind, &format!("{path}/labels"), true));
        // commonAnnotations uses the same list except that StatefulSet is not group-qualified.
        let group = if kind == "StatefulSet" { "" } else { group };
        annotations.push(fs(
            group,
            version,
            kind,
            &format!("{path}/annotations"),
            true,
        ));
    }
    let vct = vec![fs(
        "apps",
        "",
        "StatefulSet",
        "spec/volumeClaimTemplates[]/metadata/labels",
        true,
    )];

    // Selectors.
    let mut selectors = vec![
        fs("", "v1", "Service", "spec/selector", true),
        fs("", "v1", "ReplicationController", "spec/selector", true),
        fs("", "", "Deployment", "spec/selector/matchLabels", true),
    ];
    let affinity = [
        "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
    ];
    for p in affinity {
        selectors.push(fs("apps", "", "Deployment", p, false));
    }
    selectors.push(fs("", "", "ReplicaSet", "spec/selector/matchLabels", true));
    selectors.push(fs("", "", "DaemonSet", "spec/selector/matchLabels", true));
    selectors.push(fs(
        "apps",
        "",
        "StatefulSet",
        "spec/selector/matchLabels",
        true,
    ));
    for p in affinity {
        selectors.push(fs("apps", "", "StatefulSet", p, false));
    }
    selectors.extend([
        fs("batch", "", "Job", "spec/selector/matchLabels", false),
        fs(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/spec/selector/matchLabels",
            false,
        ),
        fs(
            "policy",
            "",
            "PodDisruptionBudget",
            "spec/selector/matchLabels",
            false,
        ),
        fs(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/podSelector/matchLabels",
            false,
        ),
        fs(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/ingress/from/podSelector/matchLabels",
            false,
        ),
        fs(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/egress/to/podSelector/matchLabels",
            false,
        ),
    ]);
    c.common_labels = selectors;
    c.common_labels.extend(metadata_labels.iter().cloned());
    c.common_labels.extend(vct.iter().cloned());
    c.template_labels = metadata_labels;
    c.volume_claim_template_labels = vct;
    c.common_annotations = annotations;

    c.namespace = vec![
        fs("", "", "Namespace", "metadata/name", true),
        fs(
            "apiregistration.k8s.io",
            "",
            "APIService",
            "spec/service/namespace",
            true,
        ),
        fs(
            "apiextensions.k8s.io",
            "",
            "CustomResourceDefinition",
            "spec/conversion/webhook/clientConfig/service/namespace",
            false,
        ),
    ];

    // The `volumes[]/image/reference` specs (image volumes) arrived in kustomize v5.7; the
    // corpus (kustomize HEAD) expects them, kubectl.1.33's kustomize v5.6.0 does not have them.
    c.images = [
        "spec/containers[]/image",
        "spec/initContainers[]/image",
        "spec/volumes[]/image/reference",
        "spec/template/spec/containers[]/image",
        "spec/template/spec/initContainers[]/image",
        "spec/template/spec/volumes[]/image/reference",
    ]
    .iter()
    .map(|p| fs("", "", "", p, true))
    .collect();

    c.replicas = [
        "Deployment",
        "ReplicationController",
        "ReplicaSet",
        "StatefulSet",
    ]
    .iter()
    .map(|k| fs("", "", k, "spec/replicas", true))
    .collect();

    c.var_reference = default_var_reference();
    c.name_reference = default_name_reference();
    c
}

fn default_var_reference() -> Vec<FieldSpec> {
    let mut out = Vec::new();
    let container_fields = ["args", "command", "env/value", "volumeMounts/mountPath"];
    let mut pod = |kind: &str, spec: &str, volumes: &str| {
        for list in ["containers", "initContainers"] {
            for f in container_fields {
                out.push(fs("", "", kind, &format!("{spec}/{list}/{f}"), false));
            }
        }
        out.push(fs("", "", kind, &format!("{volumes}/nfs/server"), false));
    };
    pod(
        "CronJob",
        "spec/jobTemplate/spec/template/spec",
        "spec/jobTemplate/spec/template/volumes",
    );
    pod(
        "DaemonSet",
        "spec/template/spec",
        "spec/template/spec/volumes",
    );
    pod(
        "Deployment",
        "spec/template/spec",
        "spec/template/spec/volumes",
    );
    out.push(fs(
        "",
        "",
        "Deployment",
        "spec/template/metadata/annotations",
        false,
    ));
    out.push(fs("", "", "Ingress", "spec/rules/host", false));
    out.push(fs("", "", "Ingress", "spec/tls/hosts", false));
    out.push(fs("", "", "Ingress", "spec/tls/secretName", false));
    let mut pod = |kind: &str, spec: &str, volumes: &str| {
        for list in ["containers", "initContainers"] {
            for f in container_fields {
                out.push(fs("", "", kind, &format!("{spec}/{list}/{f}"), false));
            }
        }
        out.push(fs("", "", kind, &format!("{volumes}/nfs/server"), false));
    };
    pod("Job", "spec/template/spec", "spec/template/spec/volumes");
    pod("Pod", "spec", "spec/volumes");
    pod(
        "ReplicaSet",
        "spec/template/spec",
        "spec/template/spec/volumes",
    );
    out.push(fs("", "", "Service", "spec/ports/port", false));
    out.push(fs("", "", "Service", "spec/ports/targetPort", false));
    for list in ["containers", "initContainers"] {
        for f in container_fields {
            out.push(fs(
                "",
                "",
                "StatefulSet",
                &format!("spec/template/spec/{list}/{f}"),
                false,
            ));
        }
    }
    out.push(fs(
        "",
        "",
        "StatefulSet",
        "spec/volumeClaimTemplates/spec/nfs/server",
        false,
    ));
    out.push(fs("", "", "PersistentVolume", "spec/nfs/server", false));
    out.push(fs("", "", "", "metadata/labels", false));
    out.push(fs("", "", "", "metadata/annotations", false));
    out
}

fn nbr(group: &str, version: &str, kind: &str, referrers: Vec<FieldSpec>) -> NameBackReference {
    NameBackReference {
        group: group.to_string(),
        version: version.to_string(),
        kind: kind.to_string(),
        referrers,
    }
}

fn default_name_reference() -> Vec<NameBackReference> {
    let mut out = Vec::new();
    for kind in [
        "Deployment",
        "ReplicationController",
        "ReplicaSet",
        "StatefulSet",
    ] {
        out.push(nbr(
            "",
            "",
            kind,
            vec![fs(
                "",
                "",
                "HorizontalPodAutoscaler",
                "spec/scaleTargetRef/name",
                false,
            )],
        ));
    }

    // ConfigMap.
    let mut refs = Vec::new();
    for (g, v, kind, spec) in POD_HOLDERS {
        for p in [
            "volumes/configMap/name",
            "containers/env/valueFrom/configMapKeyRef/name",
            "initContainers/env/valueFrom/configMapKeyRef/name",
            "containers/envFrom/configMapRef/name",
            "initContainers/envFrom/configMapRef/name",
            "volumes/projected/sources/configMap/name",
        ] {
            refs.push(fs(g, v, kind, &format!("{spec}/{p}"), false));
        }
    }
    refs.push(fs("", "", "Node", "spec/configSource/configMap", false));
    refs.push(fs("", "", "Role", "rules/resourceNames", false));
    refs.push(fs("", "", "ClusterRole", "rules/resourceNames", false));
    refs.push(fs(
        "",
        "",
        "Ingress",
        r"metadata/annotations/nginx.ingress.kubernetes.io\/fastcgi-params-configmap",
        false,
    ));
    out.push(nbr("", "v1", "ConfigMap", refs));

    // Secret.
    let mut refs = Vec::new();
    for (g, v, kind, spec) in POD_HOLDERS {
        for p in [
            "volumes/secret/secretName",
            "containers/env/valueFrom/secretKeyRef/name",
            "initContainers/env/valueFrom/secretKeyRef/name",
            "containers/envFrom/secretRef/name",
            "initContainers/envFrom/secretRef/name",
            "imagePullSecrets/name",
            "volumes/projected/sources/secret/name",
        ] {
            refs.push(fs(g, v, kind, &format!("{spec}/{p}"), false));
        }
    }
    for p in [
        "spec/tls/secretName",
        r"metadata/annotations/ingress.kubernetes.io\/auth-secret",
        r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret",
        r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-tls-secret",
    ] {
        refs.push(fs("", "", "Ingress", p, false));
    }
    refs.push(fs("", "", "ServiceAccount", "imagePullSecrets/name", false));
    for p in [
        "secretName",
        "adminSecretName",
        "userSecretName",
        "secretRef",
    ] {
        refs.push(fs(
            "",
            "",
            "StorageClass",
            &format!("parameters/{p}"),
            false,
        ));
    }
    refs.push(fs("", "", "Role", "rules/resourceNames", false));
    refs.push(fs("", "", "ClusterRole", "rules/resourceNames", false));
    refs.push(fs(
        "serving.knative.dev",
        "v1",
        "Service",
        "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
        false,
    ));
    refs.push(fs(
        "",
        "",
        "PersistentVolume",
        "spec/azureFile/secretName",
        false,
    ));
    out.push(nbr("", "v1", "Secret", refs));

    // Service.
    out.push(nbr(
        "",
        "v1",
        "Service",
        vec![
            fs("apps", "", "StatefulSet", "spec/serviceName", false),
            fs(
                "",
                "",
                "Ingress",
                "spec/rules/http/paths/backend/serviceName",
                false,
            ),
            fs("", "", "Ingress", "spec/backend/serviceName", false),
            fs(
                "",
                "",
                "Ingress",
                "spec/rules/http/paths/backend/service/name",
                false,
            ),
            fs("", "", "Ingress", "spec/defaultBackend/service/name", false),
            fs(
                "apiregistration.k8s.io",
                "",
                "APIService",
                "spec/service/name",
                false,
            ),
            fs(
                "admissionregistration.k8s.io",
                "",
                "ValidatingWebhookConfiguration",
                "webhooks/clientConfig/service",
                false,
            ),
            fs(
                "admissionregistration.k8s.io",
                "",
                "MutatingWebhookConfiguration",
                "webhooks/clientConfig/service",
                false,
            ),
        ],
    ));

    const RBAC: &str = "rbac.authorization.k8s.io";
    out.push(nbr(
        RBAC,
        "",
        "Role",
        vec![fs(RBAC, "", "RoleBinding", "roleRef/name", false)],
    ));
    out.push(nbr(
        RBAC,
        "",
        "ClusterRole",
        vec![
            fs(RBAC, "", "RoleBinding", "roleRef/name", false),
            fs(RBAC, "", "ClusterRoleBinding", "roleRef/name", false),
        ],
    ));

    let workload_refs = |leaf: &str| -> Vec<FieldSpec> {
        WORKLOADS
            .iter()
            .map(|(kind, spec)| fs("", "", kind, &format!("{spec}/{leaf}"), false))
            .collect()
    };
    let mut sa = vec![
        fs(RBAC, "", "RoleBinding", "subjects", false),
        fs(RBAC, "", "ClusterRoleBinding", "subjects", false),
    ];
    sa.extend(workload_refs("serviceAccountName"));
    out.push(nbr("", "v1", "ServiceAccount", sa));
    out.push(nbr(
        "",
        "v1",
        "PersistentVolumeClaim",
        workload_refs("volumes/persistentVolumeClaim/claimName"),
    ));
    out.push(nbr(
        "",
        "v1",
        "PersistentVolume",
        vec![
            fs("", "", "PersistentVolumeClaim", "spec/volumeName", false),
            fs("", "", "ClusterRole", "rules/resourceNames", false),
        ],
    ));
    out.push(nbr(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        vec![
            fs("", "", "PersistentVolume", "spec/storageClassName", false),
            fs(
                "",
                "",
                "PersistentVolumeClaim",
                "spec/storageClassName",
                false,
            ),
            fs(
                "",
                "",
                "StatefulSet",
                "spec/volumeClaimTemplates/spec/storageClassName",
                false,
            ),
        ],
    ));
    out.push(nbr(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        workload_refs("priorityClassName"),
    ));
    // kustomize writes this group as "networking.k8s.io/v1", so the entry never matches a real
    // IngressClass; kept as is for identical output.
    out.push(nbr(
        "networking.k8s.io/v1",
        "v1",
        "IngressClass",
        vec![fs("", "", "Ingress", "spec/ingressClassName", false)],
    ));
    out.push(nbr(
        "admissionregistration.k8s.io",
        "",
        "ValidatingAdmissionPolicy",
        vec![fs(
            "admissionregistration.k8s.io",
            "",
            "ValidatingAdmissionPolicyBinding",
            "spec/policyName",
            false,
        )],
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_the_expected_shape() {
        let c = TransformerConfig::defaults();
        assert_eq!(c.name_prefix, vec![FieldSpec::new("metadata/name")]);
        // 22 selector + 9 metadata/template + 1 volumeClaimTemplates.
        assert_eq!(c.common_labels.len(), 32);
        assert_eq!(c.template_labels.len(), 9);
        assert_eq!(c.common_annotations.len(), 9);
        assert_eq!(c.images.len(), 6);
        assert_eq!(c.replicas.len(), 4);
        assert_eq!(c.var_reference.len(), 72);
        let cm = c
            .name_reference
            .iter()
            .find(|n| n.kind == "ConfigMap")
            .unwrap();
        assert_eq!(cm.referrers.len(), 52);
        let secret = c
            .name_reference
            .iter()
            .find(|n| n.kind == "Secret")
            .unwrap();
        assert_eq!(secret.referrers.len(), 56 + 4 + 1 + 4 + 2 + 1 + 1);
        // Sorted by kind rank: ServiceAccount comes before ConfigMap.
        let pos = |k: &str| c.name_reference.iter().position(|n| n.kind == k).unwrap();
        assert!(pos("ServiceAccount") < pos("ConfigMap"));
        assert!(pos("ConfigMap") < pos("Secret"));
    }

    // Conformance case TestCrdBase: a Bee reference in MyKind and a Secret reference.
    #[test]
    fn reads_crd_openapi_definitions() {
        let text = std::fs::read_to_string(
            "/work/shared/conformance/kustomize/TestCrdBase/input/base/mycrd.json",
        );
        let Ok(text) = text else {
            return;
        };
        let v = krust_yaml::parse_one(&text).unwrap();
        let c = TransformerConfig::from_openapi_definitions(&v).unwrap();
        let bee = c.name_reference.iter().find(|n| n.kind == "Bee").unwrap();
        assert_eq!(bee.version, "v1beta1");
        assert!(bee
            .referrers
            .iter()
            .any(|f| f.kind == "MyKind" && f.path == "spec/beeRef/name"));
        let secret = c
            .name_reference
            .iter()
            .find(|n| n.kind == "Secret")
            .unwrap();
        assert!(secret
            .referrers
            .iter()
            .any(|f| f.kind == "MyKind" && f.path == "spec/secretRef/name"));
    }

    // kubectl.1.33: a kind-specific metadata/name prefix spec replaces the default one in a
    // kustomization without bases, but not when a base brought the defaults in first (then
    // both apply, and a Foo is prefixed twice).
    #[test]
    fn for_kustomization_follows_kustomize_order() {
        let user =
            krust_yaml::parse_one("namePrefix:\n- path: metadata/name\n  kind: Foo\n").unwrap();
        let foo = FieldSpec::for_kind("Foo", "metadata/name", false);
        let alone =
            TransformerConfig::for_kustomization([], std::slice::from_ref(&user), &[]).unwrap();
        assert_eq!(alone.name_prefix, vec![foo.clone()]);
        let base = TransformerConfig::for_kustomization([], &[], &[]).unwrap();
        let c = TransformerConfig::for_kustomization([base], &[user], &[]).unwrap();
        assert_eq!(c.name_prefix, vec![foo, FieldSpec::new("metadata/name")]);
        assert_eq!(
            TransformerConfig::for_kustomization([], &[], &[]).unwrap(),
            TransformerConfig::defaults()
        );
    }

    #[test]
    fn parses_and_merges_a_configurations_file() {
        let user = TransformerConfig::from_yaml(
            "nameReference:\n- kind: Bee\n  fieldSpecs:\n  - path: spec/beeRef/name\n    kind: MyKind\n- kind: ConfigMap\n  version: v1\n  fieldSpecs:\n  - path: spec/cm\n    kind: MyKind\ncommonLabels:\n- path: spec/sel\n  create: true\n  kind: MyKind\n",
        )
        .unwrap();
        let mut c = TransformerConfig::defaults();
        let n = c.name_reference.len();
        c.merge(user).unwrap();
        assert_eq!(c.name_reference.len(), n + 1);
        let cm = c
            .name_reference
            .iter()
            .find(|n| n.kind == "ConfigMap")
            .unwrap();
        assert!(cm.referrers.iter().any(|f| f.path == "spec/cm"));
        assert!(c
            .common_labels
            .iter()
            .any(|f| f.path == "spec/sel" && f.create));
        assert!(TransformerConfig::from_yaml("bogus: []\n").is_err());
        // Same spec with a different create flag conflicts.
        let conflicting =
            TransformerConfig::from_yaml("commonLabels:\n- path: metadata/labels\n").unwrap();
        assert!(c.merge(conflicting).is_err());
    }
}

#[cfg(test)]
mod dump {
    use super::*;

    /// Prints the default configuration as `list|target|group|version|kind|path|create` lines
    /// (run with `KRUST_DUMP_DEFAULTS=1 -- --nocapture`) to diff against kustomize's constants.
    #[test]
    fn dump_defaults() {
        if std::env::var_os("KRUST_DUMP_DEFAULTS").is_none() {
            return;
        }
        let c = TransformerConfig::defaults();
        let line = |list: &str, target: &str, f: &FieldSpec| {
            println!(
                "DUMP {list}|{target}|{}|{}|{}|{}|{}",
                f.group, f.version, f.kind, f.path, f.create
            )
        };
        for (name, list) in [
            ("namePrefix", &c.name_prefix),
            ("nameSuffix", &c.name_suffix),
            ("namespace", &c.namespace),
            ("commonLabels", &c.common_labels),
            ("templateLabels", &c.template_labels),
            ("volumeClaimTemplateLabels", &c.volume_claim_template_labels),
            ("commonAnnotations", &c.common_annotations),
            ("varReference", &c.var_reference),
            ("images", &c.images),
            ("replicas", &c.replicas),
        ] {
            for f in list {
                line(name, "", f);
            }
        }
        for n in &c.name_reference {
            for f in &n.referrers {
                line(
                    "nameReference",
                    &format!("{}/{}/{}", n.group, n.version, n.kind),
                    f,
                );
            }
        }
    }
}

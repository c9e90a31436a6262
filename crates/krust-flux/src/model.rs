//! The Flux and Argo CD objects krust understands, read from parsed YAML values.
//!
//! Only the fields that matter offline are modelled; the original object is kept beside them so
//! nothing is lost for reporting.

use std::fmt;

use krust_yaml::Value;

/// API group of Flux Kustomizations.
pub const KUSTOMIZE_GROUP: &str = "kustomize.toolkit.fluxcd.io";
/// API group of Flux sources.
pub const SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";
/// API group of HelmReleases.
pub const HELM_GROUP: &str = "helm.toolkit.fluxcd.io";
/// API group of Argo CD.
pub const ARGO_GROUP: &str = "argoproj.io";

/// `namespace/name` of an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NamespacedName {
    /// Namespace (`""` for none).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl NamespacedName {
    /// Builds a name.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        NamespacedName {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// Parses `NAMESPACE/NAME` (or a bare `NAME` in `default_ns`).
    pub fn parse(s: &str, default_ns: &str) -> Self {
        match s.split_once('/') {
            Some((ns, n)) => NamespacedName::new(ns, n),
            None => NamespacedName::new(default_ns, s),
        }
    }
}

impl fmt::Display for NamespacedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

/// A reference to a source (`spec.sourceRef`, `spec.chart.spec.sourceRef`, `spec.chartRef`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceRef {
    /// `GitRepository`, `OCIRepository`, `Bucket`, `HelmRepository`, `HelmChart`.
    pub kind: String,
    /// Namespace and name (namespace defaulted to the referrer's).
    pub name: NamespacedName,
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

impl SourceRef {
    fn from_value(v: &Value, default_ns: &str) -> Option<SourceRef> {
        let kind = v.str_at(&["kind"])?.to_string();
        let name = v.str_at(&["name"])?.to_string();
        let ns = v.str_at(&["namespace"]).unwrap_or(default_ns).to_string();
        Some(SourceRef {
            kind,
            name: NamespacedName::new(ns, name),
        })
    }
}

/// The kinds of object this crate recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FluxKind {
    /// `source.toolkit.fluxcd.io` GitRepository.
    GitRepository,
    /// `source.toolkit.fluxcd.io` OCIRepository.
    OciRepository,
    /// `source.toolkit.fluxcd.io` Bucket.
    Bucket,
    /// `source.toolkit.fluxcd.io` HelmRepository.
    HelmRepository,
    /// `source.toolkit.fluxcd.io` HelmChart.
    HelmChart,
    /// `kustomize.toolkit.fluxcd.io` Kustomization.
    Kustomization,
    /// `helm.toolkit.fluxcd.io` HelmRelease.
    HelmRelease,
    /// `argoproj.io` Application.
    Application,
}

impl FluxKind {
    /// Classifies an object by `apiVersion` group and `kind`.
    pub fn of(obj: &Value) -> Option<FluxKind> {
        let api = obj.str_at(&["apiVersion"])?;
        let group = api.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        let kind = obj.str_at(&["kind"])?;
        Some(match (group, kind) {
            (SOURCE_GROUP, "GitRepository") => FluxKind::GitRepository,
            (SOURCE_GROUP, "OCIRepository") => FluxKind::OciRepository,
            (SOURCE_GROUP, "Bucket") => FluxKind::Bucket,
            (SOURCE_GROUP, "HelmRepository") => FluxKind::HelmRepository,
            (SOURCE_GROUP, "HelmChart") => FluxKind::HelmChart,
            (KUSTOMIZE_GROUP, "Kustomization") => FluxKind::Kustomization,
            (HELM_GROUP, "HelmRelease") => FluxKind::HelmRelease,
            (ARGO_GROUP, "Application") => FluxKind::Application,
            _ => return None,
        })
    }

    /// True for the source kinds.
    pub fn is_source(self) -> bool {
        matches!(
            self,
            FluxKind::GitRepository
                | FluxKind::OciRepository
                | FluxKind::Bucket
                | FluxKind::HelmRepository
                | FluxKind::HelmChart
        )
    }

    /// The Kubernetes kind.
    pub fn kind(self) -> &'static str {
        match self {
            FluxKind::GitRepository => "GitRepository",
            FluxKind::OciRepository => "OCIRepository",
            FluxKind::Bucket => "Bucket",
            FluxKind::HelmRepository => "HelmRepository",
            FluxKind::HelmChart => "HelmChart",
            FluxKind::Kustomization => "Kustomization",
            FluxKind::HelmRelease => "HelmRelease",
            FluxKind::Application => "Application",
        }
    }
}

fn meta(obj: &Value) -> NamespacedName {
    NamespacedName::new(
        obj.str_at(&["metadata", "namespace"]).unwrap_or(""),
        obj.str_at(&["metadata", "name"]).unwrap_or(""),
    )
}

fn depends_on(obj: &Value, default_ns: &str) -> Vec<NamespacedName> {
    obj.get_path(&["spec", "dependsOn"])
        .and_then(Value::as_seq)
        .map(|deps| {
            deps.iter()
                .filter_map(|d| {
                    let name = d.str_at(&["name"])?;
                    Some(NamespacedName::new(
                        d.str_at(&["namespace"]).unwrap_or(default_ns),
                        name,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A source object (GitRepository, OCIRepository, Bucket, HelmRepository, HelmChart).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Its kind.
    pub kind: FluxKind,
    /// Namespace and name.
    pub name: NamespacedName,
    /// `spec.url` (or `spec.endpoint`/`bucketName` for Buckets, chart name for HelmCharts).
    pub url: String,
    /// `spec.ref` rendered as text (`branch=main`, `tag=v1`, `semver=…`), or the chart version.
    pub reference: String,
    /// The object as rendered.
    pub object: Value,
}

impl Source {
    /// Reads a source object.
    pub fn from_value(obj: &Value) -> Option<Source> {
        let kind = FluxKind::of(obj).filter(|k| k.is_source())?;
        let url = match kind {
            FluxKind::Bucket => format!(
                "{}/{}",
                obj.str_at(&["spec", "endpoint"]).unwrap_or(""),
                obj.str_at(&["spec", "bucketName"]).unwrap_or("")
            ),
            FluxKind::HelmChart => obj.str_at(&["spec", "chart"]).unwrap_or("").to_string(),
            _ => obj.str_at(&["spec", "url"]).unwrap_or("").to_string(),
        };
        let reference = match kind {
            FluxKind::HelmChart => obj.str_at(&["spec", "version"]).unwrap_or("").to_string(),
            _ => obj
                .get_path(&["spec", "ref"])
                .and_then(Value::as_map)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some(format!("{k}={}", v.scalar_text()?)))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default(),
        };
        Some(Source {
            kind,
            name: meta(obj),
            url,
            reference,
            object: obj.clone(),
        })
    }

    /// `Kind/namespace/name`.
    pub fn source_ref(&self) -> SourceRef {
        SourceRef {
            kind: self.kind.kind().to_string(),
            name: self.name.clone(),
        }
    }
}

/// A Flux Kustomization (`kustomize.toolkit.fluxcd.io`).
#[derive(Debug, Clone, PartialEq)]
pub struct Kustomization {
    /// Namespace and name.
    pub name: NamespacedName,
    /// `spec.path` (defaults to the source root).
    pub path: String,
    /// `spec.sourceRef`.
    pub source_ref: Option<SourceRef>,
    /// `spec.dependsOn`, namespaces defaulted.
    pub depends_on: Vec<NamespacedName>,
    /// `spec.targetNamespace`.
    pub target_namespace: Option<String>,
    /// True when `spec.decryption.provider` is `sops`.
    pub decryption: bool,
    /// True when `spec.postBuild` is present.
    pub post_build: bool,
    /// `spec.postBuild.substituteStrategy: Always`.
    pub substitute_always: bool,
    /// `spec.suspend`.
    pub suspend: bool,
    /// The object as rendered (spec fields are read from it when building).
    pub object: Value,
}

impl Kustomization {
    /// Reads a Kustomization object.
    pub fn from_value(obj: &Value) -> Option<Kustomization> {
        if FluxKind::of(obj) != Some(FluxKind::Kustomization) {
            return None;
        }
        let name = meta(obj);
        let spec = obj.get("spec");
        let s = |k: &str| spec.and_then(|s| s.str_at(&[k]));
        Some(Kustomization {
            path: s("path").unwrap_or("").to_string(),
            source_ref: spec
                .and_then(|s| s.get("sourceRef"))
                .and_then(|r| SourceRef::from_value(r, &name.namespace)),
            depends_on: depends_on(obj, &name.namespace),
            target_namespace: s("targetNamespace").map(str::to_string),
            decryption: spec.and_then(|s| s.str_at(&["decryption", "provider"])) == Some("sops"),
            post_build: spec
                .and_then(|s| s.get("postBuild"))
                .is_some_and(|p| !p.is_null()),
            substitute_always: spec.and_then(|s| s.str_at(&["postBuild", "substituteStrategy"]))
                == Some("Always"),
            suspend: spec.and_then(|s| s.get("suspend")) == Some(&Value::Bool(true)),
            object: obj.clone(),
            name,
        })
    }

    /// `spec.postBuild.substitute` (newlines removed from values, as the controller does).
    pub fn substitute(&self) -> Vec<(String, String)> {
        self.object
            .get_path(&["spec", "postBuild", "substitute"])
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.scalar_text().unwrap_or_default().replace('\n', ""),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `spec.postBuild.substituteFrom`.
    pub fn substitute_from(&self) -> Vec<ValuesReference> {
        ValuesReference::list(
            self.object
                .get_path(&["spec", "postBuild", "substituteFrom"]),
        )
    }
}

/// A reference to a ConfigMap or Secret (`substituteFrom`, `valuesFrom`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesReference {
    /// `ConfigMap` or `Secret`.
    pub kind: String,
    /// Name (namespace is the referrer's).
    pub name: String,
    /// `optional: true`.
    pub optional: bool,
    /// `valuesKey` (HelmRelease only; default `values.yaml`).
    pub values_key: Option<String>,
    /// `targetPath` (HelmRelease only).
    pub target_path: Option<String>,
}

impl ValuesReference {
    fn list(v: Option<&Value>) -> Vec<ValuesReference> {
        v.and_then(Value::as_seq)
            .map(|refs| {
                refs.iter()
                    .filter_map(|r| {
                        Some(ValuesReference {
                            kind: r.str_at(&["kind"])?.to_string(),
                            name: r.str_at(&["name"])?.to_string(),
                            optional: r.get("optional") == Some(&Value::Bool(true)),
                            values_key: r.str_at(&["valuesKey"]).map(str::to_string),
                            target_path: r.str_at(&["targetPath"]).map(str::to_string),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A Flux HelmRelease (`helm.toolkit.fluxcd.io`).
#[derive(Debug, Clone, PartialEq)]
pub struct HelmRelease {
    /// Namespace and name.
    pub name: NamespacedName,
    /// Chart name (`spec.chart.spec.chart`) or the `chartRef` target's name.
    pub chart: String,
    /// Chart version constraint (`spec.chart.spec.version`, default `*`).
    pub version: String,
    /// Where the chart comes from.
    pub source_ref: Option<SourceRef>,
    /// `spec.targetNamespace` or the release's namespace.
    pub target_namespace: String,
    /// `spec.dependsOn`.
    pub depends_on: Vec<NamespacedName>,
    /// `spec.valuesFrom`.
    pub values_from: Vec<ValuesReference>,
    /// `spec.values` (null when absent).
    pub values: Value,
    /// The object as rendered.
    pub object: Value,
}

impl HelmRelease {
    /// Reads a HelmRelease object.
    pub fn from_value(obj: &Value) -> Option<HelmRelease> {
        if FluxKind::of(obj) != Some(FluxKind::HelmRelease) {
            return None;
        }
        let name = meta(obj);
        let chart_spec = obj.get_path(&["spec", "chart", "spec"]);
        let chart_ref = obj.get_path(&["spec", "chartRef"]);
        let (chart, version, source_ref) = match (chart_spec, chart_ref) {
            (Some(cs), _) => (
                cs.str_at(&["chart"]).unwrap_or("").to_string(),
                cs.get("version")
                    .and_then(Value::scalar_text)
                    .unwrap_or_else(|| "*".into()),
                cs.get("sourceRef")
                    .and_then(|r| SourceRef::from_value(r, &name.namespace)),
            ),
            (None, Some(cr)) => {
                let r = SourceRef::from_value(cr, &name.namespace);
                (
                    r.as_ref().map(|r| r.name.name.clone()).unwrap_or_default(),
                    String::new(),
                    r,
                )
            }
            (None, None) => (String::new(), String::new(), None),
        };
        Some(HelmRelease {
            chart,
            version,
            source_ref,
            target_namespace: obj
                .str_at(&["spec", "targetNamespace"])
                .unwrap_or(&name.namespace)
                .to_string(),
            depends_on: depends_on(obj, &name.namespace),
            values_from: ValuesReference::list(obj.get_path(&["spec", "valuesFrom"])),
            values: obj
                .get_path(&["spec", "values"])
                .cloned()
                .unwrap_or(Value::Null),
            object: obj.clone(),
            name,
        })
    }
}

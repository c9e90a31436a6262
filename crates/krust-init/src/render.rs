//! Rendering a validated [`Config`] into the files of the repository.
//!
//! Rendering is pure: the same config and age recipient give the same bytes. Secrets are not
//! rendered here; they are described by [`SecretSpec`]s that the writer fills (from random bytes
//! or environment variables) and encrypts once.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::config::{Config, IngressController, KyvernoMode, Role, StorageKind, TlsMode};

/// Pinned chart versions (checked against upstream release material).
pub mod versions {
    /// jetstack/cert-manager.
    pub const CERT_MANAGER: &str = "v1.19.1";
    /// prometheus-community/kube-prometheus-stack.
    pub const KUBE_PROMETHEUS_STACK: &str = "79.5.0";
    /// kyverno/kyverno.
    pub const KYVERNO: &str = "3.5.2";
    /// longhorn/longhorn.
    pub const LONGHORN: &str = "1.10.0";
    /// linkerd stable-2.14.10: linkerd-crds.
    pub const LINKERD_CRDS: &str = "1.8.0";
    /// linkerd stable-2.14.10: linkerd-control-plane.
    pub const LINKERD_CONTROL_PLANE: &str = "1.16.11";
    /// ingress-nginx/ingress-nginx.
    pub const INGRESS_NGINX: &str = "4.13.0";
    /// tailscale/tailscale image.
    pub const TAILSCALE_IMAGE: &str = "ghcr.io/tailscale/tailscale:v1.84.0";
}

/// Where a secret value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretValue {
    /// 32 random alphanumeric characters.
    Random,
    /// The value of an environment variable at init time.
    Env(String),
    /// A fixed, non-sensitive value (a user name).
    Literal(String),
}

/// A Secret the writer creates (encrypted) when its file does not exist yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSpec {
    /// Repository-relative path of the encrypted file.
    pub path: String,
    /// Secret name.
    pub name: String,
    /// Secret namespace.
    pub namespace: String,
    /// `stringData` entries.
    pub entries: Vec<(String, SecretValue)>,
}

/// The rendered repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Repository-relative path → content.
    pub files: BTreeMap<String, String>,
    /// Secrets to create.
    pub secrets: Vec<SecretSpec>,
}

/// JSON-quoted string (valid YAML double-quoted scalar).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn kustomization(resources: &[String], extra: &str) -> String {
    let mut s = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    if resources.is_empty() {
        s.push_str("resources: []\n");
    } else {
        s.push_str("resources:\n");
        for r in resources {
            let _ = writeln!(s, "  - {r}");
        }
    }
    s.push_str(extra);
    s
}

fn namespace(name: &str, labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> String {
    let mut s = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    if !annotations.is_empty() {
        s.push_str("  annotations:\n");
        for (k, v) in annotations {
            let _ = writeln!(s, "    {k}: {}", q(v));
        }
    }
    s.push_str("  labels:\n");
    let _ = writeln!(s, "    kubernetes.io/metadata.name: {name}");
    for (k, v) in labels {
        let _ = writeln!(s, "    {k}: {}", q(v));
    }
    s
}

fn helm_repo(name: &str, ns: &str, url: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  interval: 12h\n  url: {url}\n"
    )
}

/// A HelmRelease pinned to `version`; `values` is YAML indented by 4 spaces.
#[allow(clippy::too_many_arguments)] // one call per chart; named fields would only add noise
fn helm_release(
    name: &str,
    ns: &str,
    chart: &str,
    version: &str,
    repo: &str,
    depends: &[&str],
    extra_spec: &str,
    values: &str,
) -> String {
    let mut s = format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  interval: 1h\n  timeout: 10m\n  chart:\n    spec:\n      chart: {chart}\n      version: {}\n      sourceRef:\n        kind: HelmRepository\n        name: {repo}\n  install:\n    crds: CreateReplace\n    remediation:\n      retries: 3\n  upgrade:\n    crds: CreateReplace\n    remediation:\n      retries: 3\n",
        q(version)
    );
    if !depends.is_empty() {
        s.push_str("  dependsOn:\n");
        for d in depends {
            let _ = writeln!(s, "    - name: {d}");
        }
    }
    s.push_str(extra_spec);
    if !values.is_empty() {
        s.push_str("  values:\n");
        s.push_str(values);
    }
    s
}

/// Indents every line of `text` by `n` spaces.
fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

const RESOURCES_SMALL: &str = "resources:\n  requests:\n    cpu: 10m\n    memory: 64Mi\n  limits:\n    cpu: 500m\n    memory: 256Mi\n";

/// A namespace's traffic needs, for its NetworkPolicies.
struct NetNeeds<'a> {
    ns: &'a str,
    /// Ports reachable from the ingress controller.
    ingress_ports: Vec<u16>,
    /// Ports scraped by Prometheus.
    scrape_ports: Vec<u16>,
    /// Linkerd-meshed.
    meshed: bool,
    /// May reach every namespace and node (Prometheus).
    scrape_all: bool,
    /// May reach the internet on 443 (ACME, chart repos, Cloudflare).
    internet: bool,
}

impl Ctx<'_> {
    fn ingress_source(&self) -> (&'static str, &'static str) {
        match self.cfg.ingress.controller {
            IngressController::Traefik => ("kube-system", "traefik"),
            IngressController::IngressNginx => ("ingress-nginx", "ingress-nginx"),
        }
    }

    fn network_policies(&self, n: &NetNeeds) -> String {
        let c = &self.cfg.cluster;
        let ns = n.ns;
        let mut docs: Vec<String> = Vec::new();
        docs.push(format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-all\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n    - Ingress\n    - Egress\n"
        ));
        docs.push(format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-dns\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n    - Egress\n  egress:\n    - to:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: kube-system\n          podSelector:\n            matchLabels:\n              k8s-app: kube-dns\n      ports:\n        - protocol: UDP\n          port: 53\n        - protocol: TCP\n          port: 53\n"
        ));
        docs.push(format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-apiserver\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n    - Egress\n  egress:\n    - to:\n        - ipBlock:\n            cidr: {}\n      ports:\n        - protocol: TCP\n          port: 6443\n    - to:\n        - ipBlock:\n            cidr: {}\n      ports:\n        - protocol: TCP\n          port: 443\n",
            c.node_cidr,
            self.api_service_ip()
        ));
        docs.push(format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-same-namespace\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n    - Ingress\n    - Egress\n  ingress:\n    - from:\n        - podSelector: {{}}\n  egress:\n    - to:\n        - podSelector: {{}}\n"
        ));
        if !n.ingress_ports.is_empty() {
            let (ins, app) = self.ingress_source();
            let mut s = format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-ingress-controller\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n    - Ingress\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: {ins}\n          podSelector:\n            matchLabels:\n              app.kubernetes.io/name: {app}\n      ports:\n"
            );
            for p in &n.ingress_ports {
                let _ = write!(s, "        - protocol: TCP\n          port: {p}\n");
            }
            docs.push(s);
        }
        if !n.scrape_ports.is_empty() && self.cfg.components.monitoring.enabled {
            let mut s = format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-monitoring-scrape\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n    - Ingress\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: monitoring\n          podSelector:\n            matchLabels:\n              app.kubernetes.io/name: prometheus\n      ports:\n"
            );
            for p in &n.scrape_ports {
                let _ = write!(s, "        - protocol: TCP\n          port: {p}\n");
            }
            docs.push(s);
        }
        if n.meshed {
            docs.push(format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-linkerd\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n    - Ingress\n    - Egress\n  ingress:\n    - from:\n        - namespaceSelector: {{}}\n      ports:\n        - protocol: TCP\n          port: 4143\n  egress:\n    - to:\n        - namespaceSelector: {{}}\n      ports:\n        - protocol: TCP\n          port: 4143\n    - to:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: linkerd\n      ports:\n        - protocol: TCP\n          port: 8080\n        - protocol: TCP\n          port: 8086\n        - protocol: TCP\n          port: 8090\n"
            ));
        }
        if n.scrape_all {
            docs.push(format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-scrape-egress\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n    - Egress\n  egress:\n    - to:\n        - namespaceSelector: {{}}\n    - to:\n        - ipBlock:\n            cidr: {}\n      ports:\n        - protocol: TCP\n          port: 10250\n        - protocol: TCP\n          port: 9100\n",
                c.node_cidr
            ));
        }
        if n.internet {
            docs.push(format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-internet-https\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n    - Egress\n  egress:\n    - to:\n        - ipBlock:\n            cidr: 0.0.0.0/0\n            except:\n              - {}\n              - {}\n              - {}\n      ports:\n        - protocol: TCP\n          port: 443\n",
                c.pod_cidr, c.service_cidr, c.node_cidr
            ));
        }
        docs.join("---\n")
    }

    /// The `kubernetes` Service's ClusterIP (first address of the service CIDR).
    fn api_service_ip(&self) -> String {
        let base = self
            .cfg
            .cluster
            .service_cidr
            .split('/')
            .next()
            .and_then(|a| a.parse::<std::net::Ipv4Addr>().ok())
            .map_or(0, u32::from);
        format!("{}/32", std::net::Ipv4Addr::from(base.wrapping_add(1)))
    }
}

struct Ctx<'a> {
    cfg: &'a Config,
    out: Rendered,
}

impl Ctx<'_> {
    fn put(&mut self, path: &str, content: String) {
        self.out.files.insert(path.to_string(), content);
    }

    /// Host name of `sub` in environment `env` (the first environment uses the bare domain).
    fn host(&self, sub: &str, env: &str) -> String {
        let c = &self.cfg.cluster;
        if c.environments.first().map(String::as_str) == Some(env) {
            format!("{sub}.{}", c.domain)
        } else {
            format!("{sub}.{env}.{}", c.domain)
        }
    }

    fn issuer(&self) -> Option<&'static str> {
        if !self.cfg.components.cert_manager {
            return None;
        }
        Some(match self.cfg.tls.mode {
            TlsMode::SelfSigned => "cluster-ca",
            TlsMode::Letsencrypt => "letsencrypt",
        })
    }
}

/// Renders the repository for a validated config and the cluster's age recipient.
pub fn render(cfg: &Config, age_recipient: &str) -> Rendered {
    let mut cx = Ctx {
        cfg,
        out: Rendered::default(),
    };
    cx.put(
        ".sops.yaml",
        format!(
            "# Generated by krust init. Every *.sops.yaml file is encrypted for this recipient.\ncreation_rules:\n  - path_regex: .*\\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {age_recipient}\n"
        ),
    );
    controllers_base(&mut cx);
    apps_base(&mut cx);
    monitoring_base(&mut cx);
    for env in &cfg.cluster.environments {
        cluster_entry(&mut cx, env);
        controllers_env(&mut cx, env);
        configs_env(&mut cx, env);
        apps_env(&mut cx, env);
        monitoring_env(&mut cx, env);
        nodes(&mut cx, env);
    }
    if cfg.components.renovate {
        cx.put("renovate.json", renovate());
    }
    let readme = readme(&cx);
    cx.put("README.md", readme);
    cx.out
}

const FLUX_KS_HEAD: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n";

fn flux_ks(
    name: &str,
    path: &str,
    depends: &[&str],
    health: &[(&str, &str, &str, &str)],
) -> String {
    let mut s = format!(
        "{FLUX_KS_HEAD}metadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  retryInterval: 1m\n  timeout: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: {path}\n  prune: true\n  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n"
    );
    if !depends.is_empty() {
        s.push_str("  dependsOn:\n");
        for d in depends {
            let _ = writeln!(s, "    - name: {d}");
        }
    }
    if health.is_empty() {
        s.push_str("  wait: true\n");
    } else {
        s.push_str("  healthChecks:\n");
        for (api, kind, name, ns) in health {
            let _ = write!(
                s,
                "    - apiVersion: {api}\n      kind: {kind}\n      name: {name}\n      namespace: {ns}\n"
            );
        }
    }
    s
}

const HR_API: &str = "helm.toolkit.fluxcd.io/v2";

fn cluster_entry(cx: &mut Ctx, env: &str) {
    let cfg = cx.cfg;
    let g = &cfg.git;
    let secret_ref = if g.url.starts_with("ssh://") {
        "  secretRef:\n    name: flux-system\n"
    } else {
        ""
    };
    cx.put(
        &format!("clusters/{env}/flux-system/gotk-sync.yaml"),
        format!(
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  ref:\n    branch: {}\n{secret_ref}  url: {}\n---\n{FLUX_KS_HEAD}metadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/{env}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
            q(&g.branch),
            q(&g.url)
        ),
    );
    cx.put(
        &format!("clusters/{env}/flux-system/kustomization.yaml"),
        kustomization(&["gotk-sync.yaml".into()], ""),
    );
    let c = &cfg.components;
    let mut ctrl_health = Vec::new();
    if c.cert_manager {
        ctrl_health.push((HR_API, "HelmRelease", "cert-manager", "cert-manager"));
    }
    if c.kyverno != KyvernoMode::Off {
        ctrl_health.push((HR_API, "HelmRelease", "kyverno", "kyverno"));
    }
    if c.storage.kind == StorageKind::Longhorn {
        ctrl_health.push((HR_API, "HelmRelease", "longhorn", "longhorn-system"));
    }
    if cfg.ingress.controller == IngressController::IngressNginx {
        ctrl_health.push((HR_API, "HelmRelease", "ingress-nginx", "ingress-nginx"));
    }
    if c.tailscale.is_some() {
        ctrl_health.push((
            "apps/v1",
            "Deployment",
            "tailscale-subnet-router",
            "tailscale",
        ));
    }
    let mut cfg_health = Vec::new();
    if c.linkerd {
        cfg_health.push((HR_API, "HelmRelease", "linkerd-control-plane", "linkerd"));
    }
    if c.cert_manager {
        cfg_health.push((
            "cert-manager.io/v1",
            "ClusterIssuer",
            cx.issuer().unwrap_or("cluster-ca"),
            "",
        ));
    }
    let mut infra = flux_ks(
        "infra-controllers",
        &format!("./infrastructure/controllers/{env}"),
        &[],
        &ctrl_health,
    );
    infra.push_str("---\n");
    // A cluster-scoped ClusterIssuer has no namespace: drop the empty field.
    let configs = flux_ks(
        "infra-configs",
        &format!("./infrastructure/configs/{env}"),
        &["infra-controllers"],
        &cfg_health,
    )
    .replace("      namespace: \n", "");
    infra.push_str(&configs);
    cx.put(&format!("clusters/{env}/infrastructure.yaml"), infra);
    let mut res = vec!["flux-system".to_string(), "infrastructure.yaml".to_string()];
    if let Some(a) = &cfg.app {
        cx.put(
            &format!("clusters/{env}/apps.yaml"),
            flux_ks(
                "apps",
                &format!("./apps/{env}"),
                &["infra-configs"],
                &[("apps/v1", "Deployment", &a.name, &a.name)],
            ),
        );
        res.push("apps.yaml".into());
    }
    if c.monitoring.enabled {
        cx.put(
            &format!("clusters/{env}/monitoring.yaml"),
            flux_ks(
                "monitoring",
                &format!("./monitoring/controllers/{env}"),
                &["infra-configs"],
                &[(HR_API, "HelmRelease", "kube-prometheus-stack", "monitoring")],
            ),
        );
        res.push("monitoring.yaml".into());
    }
    cx.put(
        &format!("clusters/{env}/kustomization.yaml"),
        kustomization(&res, ""),
    );
}

fn controllers_base(cx: &mut Ctx) {
    let cfg = cx.cfg;
    let c = &cfg.components;
    let dd = c.default_deny;
    let mut dirs = Vec::new();
    if c.cert_manager {
        let base = "infrastructure/controllers/base/cert-manager";
        let mut files = vec![
            "namespace.yaml".to_string(),
            "repository.yaml".into(),
            "release.yaml".into(),
        ];
        cx.put(
            &format!("{base}/namespace.yaml"),
            namespace("cert-manager", &[], &[]),
        );
        cx.put(
            &format!("{base}/repository.yaml"),
            helm_repo("jetstack", "cert-manager", "https://charts.jetstack.io"),
        );
        let res = indent(RESOURCES_SMALL, 2);
        let values = format!(
            "crds:\n  enabled: true\n{res}webhook:\n{}cainjector:\n{}prometheus:\n  enabled: true\n  servicemonitor:\n    enabled: {}\n",
            indent(RESOURCES_SMALL, 2),
            indent(RESOURCES_SMALL, 2),
            c.monitoring.enabled
        );
        let res = RESOURCES_SMALL;
        let _ = res;
        cx.put(
            &format!("{base}/release.yaml"),
            helm_release(
                "cert-manager",
                "cert-manager",
                "cert-manager",
                versions::CERT_MANAGER,
                "jetstack",
                &[],
                "",
                &indent(&values, 4),
            ),
        );
        if dd {
            let np = cx.network_policies(&NetNeeds {
                ns: "cert-manager",
                ingress_ports: vec![],
                scrape_ports: vec![9402],
                meshed: false,
                scrape_all: false,
                internet: true,
            });
            // The API server calls the webhook from the nodes.
            let np = format!(
                "{np}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-webhook-from-apiserver\n  namespace: cert-manager\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: webhook\n  policyTypes:\n    - Ingress\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: {}\n        - ipBlock:\n            cidr: {}\n      ports:\n        - protocol: TCP\n          port: 10250\n",
                cfg.cluster.node_cidr, cfg.cluster.pod_cidr
            );
            cx.put(&format!("{base}/network-policies.yaml"), np);
            files.push("network-policies.yaml".into());
        }
        cx.put(
            &format!("{base}/kustomization.yaml"),
            kustomization(&files, ""),
        );
        dirs.push("cert-manager".to_string());
    }
    if c.kyverno != KyvernoMode::Off {
        let base = "infrastructure/controllers/base/kyverno";
        cx.put(
            &format!("{base}/namespace.yaml"),
            namespace("kyverno", &[], &[]),
        );
        cx.put(
            &format!("{base}/repository.yaml"),
            helm_repo("kyverno", "kyverno", "https://kyverno.github.io/kyverno/"),
        );
        let r = indent(RESOURCES_SMALL, 2);
        let values = format!(
            "admissionController:\n  replicas: 1\n  container:\n{}backgroundController:\n{r}cleanupController:\n{r}reportsController:\n{r}",
            indent(RESOURCES_SMALL, 4)
        );
        cx.put(
            &format!("{base}/release.yaml"),
            helm_release(
                "kyverno",
                "kyverno",
                "kyverno",
                versions::KYVERNO,
                "kyverno",
                &[],
                "",
                &indent(&values, 4),
            ),
        );
        cx.put(
            &format!("{base}/kustomization.yaml"),
            kustomization(
                &[
                    "namespace.yaml".into(),
                    "repository.yaml".into(),
                    "release.yaml".into(),
                ],
                "",
            ),
        );
        dirs.push("kyverno".into());
    }
    if c.storage.kind == StorageKind::Longhorn {
        let base = "infrastructure/controllers/base/longhorn";
        cx.put(
            &format!("{base}/namespace.yaml"),
            namespace("longhorn-system", &[], &[]),
        );
        cx.put(
            &format!("{base}/repository.yaml"),
            helm_repo("longhorn", "longhorn-system", "https://charts.longhorn.io"),
        );
        let n = c.storage.replicas;
        let values = format!(
            "persistence:\n  defaultClass: true\n  defaultClassReplicaCount: {n}\ndefaultSettings:\n  defaultReplicaCount: {n}\n  replicaAutoBalance: least-effort\n  defaultDataPath: /var/lib/longhorn\nlonghornUI:\n  replicas: 1\n"
        );
        cx.put(
            &format!("{base}/release.yaml"),
            helm_release(
                "longhorn",
                "longhorn-system",
                "longhorn",
                versions::LONGHORN,
                "longhorn",
                &[],
                "",
                &indent(&values, 4),
            ),
        );
        cx.put(
            &format!("{base}/kustomization.yaml"),
            kustomization(
                &[
                    "namespace.yaml".into(),
                    "repository.yaml".into(),
                    "release.yaml".into(),
                ],
                "",
            ),
        );
        dirs.push("longhorn".into());
    }
    if cfg.ingress.controller == IngressController::Traefik {
        let base = "infrastructure/controllers/base/traefik";
        let mut v = String::from("deployment:\n  replicas: 1\nports:\n  web:\n    redirections:\n      entryPoint:\n        to: websecure\n        scheme: https\n        permanent: true\n");
        v.push_str(RESOURCES_SMALL);
        if c.monitoring.enabled {
            v.push_str("metrics:\n  prometheus:\n    service:\n      enabled: true\n");
        }
        cx.put(
            &format!("{base}/helmchartconfig.yaml"),
            format!(
                "# k3s bundles Traefik; this HelmChartConfig overrides its values.\napiVersion: helm.cattle.io/v1\nkind: HelmChartConfig\nmetadata:\n  name: traefik\n  namespace: kube-system\nspec:\n  valuesContent: |-\n{}",
                indent(&v, 4)
            ),
        );
        cx.put(
            &format!("{base}/kustomization.yaml"),
            kustomization(&["helmchartconfig.yaml".into()], ""),
        );
        dirs.push("traefik".into());
    }
    if cfg.ingress.controller == IngressController::IngressNginx {
        let base = "infrastructure/controllers/base/ingress-nginx";
        cx.put(
            &format!("{base}/namespace.yaml"),
            namespace("ingress-nginx", &[], &[]),
        );
        cx.put(
            &format!("{base}/repository.yaml"),
            helm_repo(
                "ingress-nginx",
                "ingress-nginx",
                "https://kubernetes.github.io/ingress-nginx",
            ),
        );
        let values = format!(
            "controller:\n  ingressClassResource:\n    default: true\n  metrics:\n    enabled: {}\n{}",
            c.monitoring.enabled,
            indent(RESOURCES_SMALL, 2)
        );
        cx.put(
            &format!("{base}/release.yaml"),
            helm_release(
                "ingress-nginx",
                "ingress-nginx",
                "ingress-nginx",
                versions::INGRESS_NGINX,
                "ingress-nginx",
                &[],
                "",
                &indent(&values, 4),
            ),
        );
        let mut files = vec![
            "namespace.yaml".to_string(),
            "repository.yaml".into(),
            "release.yaml".into(),
        ];
        if dd {
            let c = &cfg.cluster;
            let np = cx.network_policies(&NetNeeds {
                ns: "ingress-nginx",
                ingress_ports: vec![],
                scrape_ports: vec![10254],
                meshed: false,
                scrape_all: false,
                internet: false,
            });
            // Clients reach the controller from anywhere; the API server calls its admission
            // webhook from the nodes; the controller forwards to backends in every namespace.
            let np = format!(
                "{np}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-http-https\n  namespace: ingress-nginx\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: ingress-nginx\n  policyTypes:\n    - Ingress\n  ingress:\n    - ports:\n        - protocol: TCP\n          port: 80\n        - protocol: TCP\n          port: 443\n    - from:\n        - ipBlock:\n            cidr: {}\n        - ipBlock:\n            cidr: {}\n      ports:\n        - protocol: TCP\n          port: 8443\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-backends\n  namespace: ingress-nginx\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: ingress-nginx\n  policyTypes:\n    - Egress\n  egress:\n    - to:\n        - namespaceSelector: {{}}\n",
                c.node_cidr, c.pod_cidr
            );
            cx.put(&format!("{base}/network-policies.yaml"), np);
            files.push("network-policies.yaml".into());
        }
        cx.put(
            &format!("{base}/kustomization.yaml"),
            kustomization(&files, ""),
        );
        dirs.push("ingress-nginx".into());
    }
    if let Some(ts) = &c.tailscale {
        let base = "infrastructure/controllers/base/tailscale";
        cx.put(
            &format!("{base}/namespace.yaml"),
            namespace("tailscale", &[], &[]),
        );
        let routes = ts.routes.join(",");
        cx.put(
            &format!("{base}/deployment.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tailscale-subnet-router\n  namespace: tailscale\n  labels:\n    app.kubernetes.io/name: tailscale-subnet-router\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: tailscale-subnet-router\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: tailscale-subnet-router\n    spec:\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 1000\n        runAsGroup: 1000\n        fsGroup: 1000\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n        - name: tailscale\n          image: {}\n          securityContext:\n            allowPrivilegeEscalation: false\n            capabilities:\n              drop:\n                - ALL\n          env:\n            - name: TS_USERSPACE\n              value: \"true\"\n            - name: TS_KUBE_SECRET\n              value: \"\"\n            - name: TS_STATE_DIR\n              value: /var/lib/tailscale\n            - name: TS_ROUTES\n              value: {}\n            - name: TS_AUTHKEY\n              valueFrom:\n                secretKeyRef:\n                  name: tailscale-auth\n                  key: TS_AUTHKEY\n          resources:\n            requests:\n              cpu: 10m\n              memory: 64Mi\n            limits:\n              cpu: 500m\n              memory: 256Mi\n          volumeMounts:\n            - name: state\n              mountPath: /var/lib/tailscale\n      volumes:\n        - name: state\n          emptyDir: {{}}\n",
                versions::TAILSCALE_IMAGE,
                q(&routes)
            ),
        );
        cx.put(
            &format!("{base}/kustomization.yaml"),
            kustomization(&["namespace.yaml".into(), "deployment.yaml".into()], ""),
        );
        dirs.push("tailscale".into());
    }
    cx.put(
        "infrastructure/controllers/base/kustomization.yaml",
        kustomization(&dirs, ""),
    );
}

fn controllers_env(cx: &mut Ctx, env: &str) {
    let cfg = cx.cfg;
    let mut res = vec!["../base".to_string()];
    if cfg.tls.mode == TlsMode::Letsencrypt {
        if let Some(var) = &cfg.tls.cloudflare_token_env {
            let path = format!("infrastructure/controllers/{env}/cloudflare-api-token.sops.yaml");
            cx.out.secrets.push(SecretSpec {
                path,
                name: "cloudflare-api-token".into(),
                namespace: "cert-manager".into(),
                entries: vec![("api-token".into(), SecretValue::Env(var.clone()))],
            });
            res.push("cloudflare-api-token.sops.yaml".into());
        }
    }
    if let Some(ts) = &cfg.components.tailscale {
        cx.out.secrets.push(SecretSpec {
            path: format!("infrastructure/controllers/{env}/tailscale-auth.sops.yaml"),
            name: "tailscale-auth".into(),
            namespace: "tailscale".into(),
            entries: vec![(
                "TS_AUTHKEY".into(),
                SecretValue::Env(ts.auth_key_env.clone()),
            )],
        });
        res.push("tailscale-auth.sops.yaml".into());
    }
    cx.put(
        &format!("infrastructure/controllers/{env}/kustomization.yaml"),
        kustomization(&res, ""),
    );
}

fn configs_env(cx: &mut Ctx, env: &str) {
    let cfg = cx.cfg;
    let c = &cfg.components;
    let dir = format!("infrastructure/configs/{env}");
    let mut res = Vec::new();
    if c.cert_manager {
        let s = match cfg.tls.mode {
            TlsMode::SelfSigned => String::from(
                "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: selfsigned\nspec:\n  selfSigned: {}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: cluster-ca\n  namespace: cert-manager\nspec:\n  isCA: true\n  commonName: cluster-ca\n  secretName: cluster-ca\n  duration: 87600h\n  privateKey:\n    algorithm: ECDSA\n    size: 256\n  issuerRef:\n    group: cert-manager.io\n    kind: ClusterIssuer\n    name: selfsigned\n---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: cluster-ca\nspec:\n  ca:\n    secretName: cluster-ca\n",
            ),
            TlsMode::Letsencrypt => format!(
                "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\nspec:\n  acme:\n    email: {}\n    server: https://acme-v02.api.letsencrypt.org/directory\n    privateKeySecretRef:\n      name: letsencrypt-account-key\n    solvers:\n      - dns01:\n          cloudflare:\n            apiTokenSecretRef:\n              name: cloudflare-api-token\n              key: api-token\n        selector:\n          dnsZones:\n            - {}\n",
                q(cfg.tls.email.as_deref().unwrap_or("")),
                q(&cfg.cluster.domain)
            ),
        };
        cx.put(&format!("{dir}/cluster-issuer.yaml"), s);
        res.push("cluster-issuer.yaml".to_string());
    }
    if c.kyverno != KyvernoMode::Off {
        cx.put(
            &format!("{dir}/kyverno-policies.yaml"),
            kyverno_policies(c.kyverno),
        );
        res.push("kyverno-policies.yaml".into());
    }
    if c.linkerd {
        let l = format!("{dir}/linkerd");
        cx.put(
            &format!("{l}/namespace.yaml"),
            namespace(
                "linkerd",
                &[
                    ("linkerd.io/is-control-plane", "true"),
                    ("config.linkerd.io/admission-webhooks", "disabled"),
                    ("linkerd.io/control-plane-ns", "linkerd"),
                ],
                &[],
            ),
        );
        cx.put(
            &format!("{l}/certificates.yaml"),
            String::from("apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: linkerd-selfsigned\n  namespace: linkerd\nspec:\n  selfSigned: {}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: linkerd-trust-anchor\n  namespace: linkerd\nspec:\n  isCA: true\n  commonName: root.linkerd.cluster.local\n  secretName: linkerd-trust-anchor\n  duration: 87600h\n  privateKey:\n    algorithm: ECDSA\n    size: 256\n  issuerRef:\n    kind: Issuer\n    name: linkerd-selfsigned\n---\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: linkerd-trust-anchor\n  namespace: linkerd\nspec:\n  ca:\n    secretName: linkerd-trust-anchor\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: linkerd-identity-issuer\n  namespace: linkerd\nspec:\n  isCA: true\n  commonName: identity.linkerd.cluster.local\n  secretName: linkerd-identity-issuer\n  duration: 48h\n  renewBefore: 25h\n  privateKey:\n    algorithm: ECDSA\n    size: 256\n  usages:\n    - cert sign\n    - crl sign\n    - server auth\n    - client auth\n  issuerRef:\n    kind: Issuer\n    name: linkerd-trust-anchor\n"),
        );
        cx.put(
            &format!("{l}/repository.yaml"),
            helm_repo("linkerd", "linkerd", "https://helm.linkerd.io/stable"),
        );
        let crds = helm_release(
            "linkerd-crds",
            "linkerd",
            "linkerd-crds",
            versions::LINKERD_CRDS,
            "linkerd",
            &[],
            "",
            "",
        );
        let cp_values = format!(
            "identity:\n  externalCA: true\n  issuer:\n    scheme: kubernetes.io/tls\nproxy:\n{}",
            indent("resources:\n  cpu:\n    request: 10m\n    limit: 500m\n  memory:\n    request: 32Mi\n    limit: 128Mi\n", 2)
        );
        let cp = helm_release(
            "linkerd-control-plane",
            "linkerd",
            "linkerd-control-plane",
            versions::LINKERD_CONTROL_PLANE,
            "linkerd",
            &["linkerd-crds"],
            "  valuesFrom:\n    - kind: Secret\n      name: linkerd-identity-issuer\n      valuesKey: ca.crt\n      targetPath: identityTrustAnchorsPEM\n",
            &indent(&cp_values, 4),
        );
        cx.put(&format!("{l}/release.yaml"), format!("{crds}---\n{cp}"));
        cx.put(
            &format!("{l}/kustomization.yaml"),
            kustomization(
                &[
                    "namespace.yaml".into(),
                    "certificates.yaml".into(),
                    "repository.yaml".into(),
                    "release.yaml".into(),
                ],
                "",
            ),
        );
        res.push("linkerd".into());
    }
    cx.put(
        &format!("{dir}/kustomization.yaml"),
        kustomization(&res, ""),
    );
}

fn kyverno_policies(mode: KyvernoMode) -> String {
    let action = if mode == KyvernoMode::Enforce {
        "Enforce"
    } else {
        "Audit"
    };
    let exclude = "    exclude:\n      any:\n        - resources:\n            namespaces:\n              - kube-system\n              - flux-system\n              - kyverno\n              - longhorn-system\n              - linkerd\n              - cert-manager\n              - monitoring\n";
    let rule = |name: &str, msg: &str, pattern: &str| {
        format!(
            "  - name: {name}\n    match:\n      any:\n        - resources:\n            kinds:\n              - Pod\n{exclude}    validate:\n      failureAction: {action}\n      message: {}\n      pattern:\n{}",
            q(msg),
            indent(pattern, 8)
        )
    };
    let policy = |name: &str, title: &str, rules: String| {
        format!(
            "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: {name}\n  annotations:\n    policies.kyverno.io/title: {}\nspec:\n  background: true\n  rules:\n{}",
            q(title),
            indent(&rules, 2)
        )
    };
    [
        policy(
            "disallow-latest-tag",
            "Disallow the latest tag",
            rule(
                "require-pinned-image",
                "Images must be pinned to a version tag or digest, never latest.",
                "spec:\n  containers:\n    - image: \"!*:latest & *:*\"\n",
            ),
        ),
        policy(
            "require-requests-limits",
            "Require requests and limits",
            rule(
                "validate-resources",
                "CPU and memory requests and a memory limit are required.",
                "spec:\n  containers:\n    - resources:\n        requests:\n          memory: \"?*\"\n          cpu: \"?*\"\n        limits:\n          memory: \"?*\"\n",
            ),
        ),
        policy(
            "disallow-privileged",
            "Disallow privileged containers",
            rule(
                "privileged-containers",
                "Privileged containers are not allowed.",
                "spec:\n  =(initContainers):\n    - =(securityContext):\n        =(privileged): \"false\"\n  containers:\n    - =(securityContext):\n        =(privileged): \"false\"\n",
            ),
        ),
    ]
    .join("---\n")
}

fn apps_base(cx: &mut Ctx) {
    let cfg = cx.cfg;
    let Some(a) = &cfg.app else { return };
    let n = &a.name;
    let base = format!("apps/base/{n}");
    let meshed = cfg.components.linkerd;
    let ann: Vec<(&str, &str)> = if meshed {
        vec![("linkerd.io/inject", "enabled")]
    } else {
        vec![]
    };
    // Linkerd's proxy-init needs NET_ADMIN, which the restricted Pod Security level forbids.
    let labels: Vec<(&str, &str)> = if meshed {
        vec![
            ("pod-security.kubernetes.io/enforce", "privileged"),
            ("pod-security.kubernetes.io/warn", "restricted"),
        ]
    } else {
        vec![("pod-security.kubernetes.io/enforce", "restricted")]
    };
    cx.put(
        &format!("{base}/namespace.yaml"),
        namespace(n, &labels, &ann),
    );
    let port = a.port;
    cx.put(
        &format!("{base}/deployment.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\n  namespace: {n}\n  labels:\n    app.kubernetes.io/name: {n}\nspec:\n  replicas: {}\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {n}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {n}\n    spec:\n      automountServiceAccountToken: false\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 65534\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n        - name: {n}\n          image: {}\n          ports:\n            - name: http\n              containerPort: {port}\n              protocol: TCP\n          readinessProbe:\n            tcpSocket:\n              port: http\n          livenessProbe:\n            tcpSocket:\n              port: http\n          resources:\n            requests:\n              cpu: 10m\n              memory: 64Mi\n            limits:\n              cpu: 500m\n              memory: 128Mi\n          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            capabilities:\n              drop:\n                - ALL\n",
            a.replicas,
            q(&a.image)
        ),
    );
    cx.put(
        &format!("{base}/service.yaml"),
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {n}\n  namespace: {n}\n  labels:\n    app.kubernetes.io/name: {n}\nspec:\n  selector:\n    app.kubernetes.io/name: {n}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n      protocol: TCP\n"
        ),
    );
    let env0 = cfg
        .cluster
        .environments
        .first()
        .cloned()
        .unwrap_or_default();
    let _ = env0;
    let (tls_ann, tls) = match cx.issuer() {
        Some(i) => (
            format!("  annotations:\n    cert-manager.io/cluster-issuer: {i}\n"),
            format!(
                "  tls:\n    - hosts:\n        - {}\n      secretName: {n}-tls\n",
                q(&a.host)
            ),
        ),
        None => (String::new(), String::new()),
    };
    let class = match cfg.ingress.controller {
        IngressController::Traefik => "traefik",
        IngressController::IngressNginx => "nginx",
    };
    cx.put(
        &format!("{base}/ingress.yaml"),
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {n}\n  namespace: {n}\n{tls_ann}spec:\n  ingressClassName: {class}\n{tls}  rules:\n    - host: {}\n      http:\n        paths:\n          - path: {}\n            pathType: Prefix\n            backend:\n              service:\n                name: {n}\n                port:\n                  name: http\n",
            q(&a.host),
            q(&a.path)
        ),
    );
    let mut files = vec![
        "namespace.yaml".to_string(),
        "deployment.yaml".into(),
        "service.yaml".into(),
        "ingress.yaml".into(),
    ];
    if cfg.components.default_deny {
        let mut ports = vec![port];
        if meshed {
            ports.push(4143);
        }
        let mut scrape = vec![port];
        if meshed {
            scrape.push(4191);
        }
        let np = cx.network_policies(&NetNeeds {
            ns: n,
            ingress_ports: ports,
            scrape_ports: scrape,
            meshed,
            scrape_all: false,
            internet: false,
        });
        cx.put(&format!("{base}/network-policies.yaml"), np);
        files.push("network-policies.yaml".into());
    }
    cx.put(
        &format!("{base}/kustomization.yaml"),
        kustomization(&files, ""),
    );
    cx.put(
        "apps/base/kustomization.yaml",
        kustomization(std::slice::from_ref(n), ""),
    );
}

fn apps_env(cx: &mut Ctx, env: &str) {
    let cfg = cx.cfg;
    let Some(a) = &cfg.app else { return };
    let first = cfg.cluster.environments.first().map(String::as_str) == Some(env);
    let extra = if first {
        String::new()
    } else {
        let host = cx.host(&a.name, env);
        let mut ops =
            format!("    - op: replace\n      path: /spec/rules/0/host\n      value: {host}\n");
        if cx.issuer().is_some() {
            let _ = write!(
                ops,
                "    - op: replace\n      path: /spec/tls/0/hosts/0\n      value: {host}\n"
            );
        }
        format!(
            "patches:\n  - target:\n      kind: Ingress\n      name: {}\n    patch: |-\n{}",
            a.name,
            indent(&ops, 2)
        )
    };
    cx.put(
        &format!("apps/{env}/kustomization.yaml"),
        kustomization(&["../base".into()], &extra),
    );
}

fn monitoring_base(cx: &mut Ctx) {
    let cfg = cx.cfg;
    if !cfg.components.monitoring.enabled {
        return;
    }
    let base = "monitoring/controllers/base/kube-prometheus-stack";
    cx.put(
        &format!("{base}/namespace.yaml"),
        namespace("monitoring", &[], &[]),
    );
    cx.put(
        &format!("{base}/repository.yaml"),
        helm_repo(
            "prometheus-community",
            "monitoring",
            "https://prometheus-community.github.io/helm-charts",
        ),
    );
    let mut files = vec!["namespace.yaml".to_string(), "repository.yaml".into()];
    if cfg.components.default_deny {
        let np = cx.network_policies(&NetNeeds {
            ns: "monitoring",
            ingress_ports: vec![3000],
            scrape_ports: vec![],
            meshed: false,
            scrape_all: true,
            internet: false,
        });
        cx.put(&format!("{base}/network-policies.yaml"), np);
        files.push("network-policies.yaml".into());
    }
    cx.put(
        &format!("{base}/kustomization.yaml"),
        kustomization(&files, ""),
    );
    cx.put(
        "monitoring/controllers/base/kustomization.yaml",
        kustomization(&["kube-prometheus-stack".into()], ""),
    );
}

fn monitoring_env(cx: &mut Ctx, env: &str) {
    let cfg = cx.cfg;
    let m = &cfg.components.monitoring;
    if !m.enabled {
        return;
    }
    let dir = format!("monitoring/controllers/{env}");
    let host = cx.host("grafana", env);
    let storage = if m.persistent {
        let class = match cfg.components.storage.kind {
            StorageKind::LocalPath => "local-path",
            StorageKind::Longhorn => "longhorn",
        };
        format!("    storageSpec:\n      volumeClaimTemplate:\n        spec:\n          storageClassName: {class}\n          accessModes:\n            - ReadWriteOnce\n          resources:\n            requests:\n              storage: {}\n", m.size)
    } else {
        String::new()
    };
    let tls = match cx.issuer() {
        Some(i) => format!("  annotations:\n      cert-manager.io/cluster-issuer: {i}\n    tls:\n      - hosts:\n          - {host}\n        secretName: grafana-tls\n").replacen("  annotations", "    annotations", 1),
        None => String::new(),
    };
    let class = match cfg.ingress.controller {
        IngressController::Traefik => "traefik",
        IngressController::IngressNginx => "nginx",
    };
    let values = format!(
        "prometheus:\n  prometheusSpec:\n    retention: {}\n    serviceMonitorSelectorNilUsesHelmValues: false\n    podMonitorSelectorNilUsesHelmValues: false\n{}{storage}alertmanager:\n  alertmanagerSpec:\n{}prometheusOperator:\n{}kube-state-metrics:\n{}prometheus-node-exporter:\n{}grafana:\n  admin:\n    existingSecret: grafana-admin\n    userKey: admin-user\n    passwordKey: admin-password\n{}  ingress:\n    enabled: true\n    ingressClassName: {class}\n{tls}    hosts:\n      - {host}\n",
        q(&m.retention),
        indent(RESOURCES_SMALL, 4).replace("cpu: 10m", "cpu: 100m").replace("memory: 64Mi", "memory: 512Mi").replace("memory: 256Mi", "memory: 2Gi").replace("cpu: 500m", "cpu: \"1\""),
        indent(RESOURCES_SMALL, 4),
        indent(RESOURCES_SMALL, 2),
        indent(RESOURCES_SMALL, 2),
        indent(RESOURCES_SMALL, 2),
        indent(RESOURCES_SMALL, 2),
    );
    cx.put(
        &format!("{dir}/release.yaml"),
        helm_release(
            "kube-prometheus-stack",
            "monitoring",
            "kube-prometheus-stack",
            versions::KUBE_PROMETHEUS_STACK,
            "prometheus-community",
            &[],
            "",
            &indent(&values, 4),
        ),
    );
    cx.out.secrets.push(SecretSpec {
        path: format!("{dir}/grafana-admin.sops.yaml"),
        name: "grafana-admin".into(),
        namespace: "monitoring".into(),
        entries: vec![
            ("admin-user".into(), SecretValue::Literal("admin".into())),
            ("admin-password".into(), SecretValue::Random),
        ],
    });
    cx.put(
        &format!("{dir}/kustomization.yaml"),
        kustomization(
            &[
                "../base".into(),
                "release.yaml".into(),
                "grafana-admin.sops.yaml".into(),
            ],
            "",
        ),
    );
}

fn nodes(cx: &mut Ctx, env: &str) {
    let cfg = cx.cfg;
    let c = &cfg.cluster;
    let nodes: Vec<_> = cfg.nodes_of(env).collect();
    let first_server = nodes
        .iter()
        .find(|n| n.role == Role::Server)
        .map(|n| n.address.clone())
        .unwrap_or_default();
    let mut first = true;
    for n in &nodes {
        let mut s = String::from("# Generated by krust init: copy to /etc/rancher/k3s/config.yaml on this node.\n# The join token lives only on the nodes (/etc/rancher/k3s/token), never in Git.\n");
        let _ = writeln!(s, "node-name: {}", n.name);
        let _ = writeln!(s, "node-ip: {}", n.address);
        s.push_str("token-file: /etc/rancher/k3s/token\n");
        match n.role {
            Role::Server => {
                if c.embedded_etcd && first {
                    s.push_str("cluster-init: true\n");
                } else if c.embedded_etcd {
                    let _ = writeln!(s, "server: https://{first_server}:6443");
                }
                first = false;
                let _ = writeln!(s, "cluster-cidr: {}", c.pod_cidr);
                let _ = writeln!(s, "service-cidr: {}", c.service_cidr);
                s.push_str("write-kubeconfig-mode: \"0600\"\nsecrets-encryption: true\ntls-san:\n");
                let _ = writeln!(s, "  - {}", n.address);
                let _ = writeln!(s, "  - {}", q(&format!("{}.{}", n.name, c.domain)));
                if cfg.ingress.controller == IngressController::IngressNginx {
                    s.push_str("disable:\n  - traefik\n");
                }
                s.push_str("kube-apiserver-arg:\n  - \"anonymous-auth=false\"\n");
            }
            Role::Agent => {
                let _ = writeln!(s, "server: https://{first_server}:6443");
            }
        }
        cx.put(&format!("k3s/{env}/{}/config.yaml", n.name), s);
        let reg = match &cfg.components.registry_mirror {
            Some(m) => format!(
                "# Copy to /etc/rancher/k3s/registries.yaml.\nmirrors:\n  docker.io:\n    endpoint:\n      - {m}\n  ghcr.io:\n    endpoint:\n      - {m}\n  quay.io:\n    endpoint:\n      - {m}\n  registry.k8s.io:\n    endpoint:\n      - {m}\n"
            ),
            None => "# Copy to /etc/rancher/k3s/registries.yaml. No mirror configured: pulls go upstream.\nmirrors: {}\n".to_string(),
        };
        cx.put(&format!("k3s/{env}/{}/registries.yaml", n.name), reg);
    }
}

fn renovate() -> String {
    String::from(
        r#"{
  "$schema": "https://docs.renovatebot.com/renovate-schema.json",
  "extends": ["config:recommended"],
  "flux": {
    "managerFilePatterns": ["/(^|/)(clusters|infrastructure|apps|monitoring)/.+\\.ya?ml$/"]
  },
  "kubernetes": {
    "managerFilePatterns": ["/(^|/)(infrastructure|apps|monitoring)/.+\\.ya?ml$/"]
  },
  "ignorePaths": ["**/*.sops.yaml"],
  "packageRules": [
    {
      "matchUpdateTypes": ["major"],
      "dependencyDashboardApproval": true
    }
  ]
}
"#,
    )
}

fn readme(cx: &Ctx) -> String {
    let cfg = cx.cfg;
    let c = &cfg.cluster;
    let mut s = format!(
        "# {name}\n\nGenerated by `krust init` from `cluster.toml`. Re-run `krust init` after editing the config:\nit shows what would change, updates only generated files and keeps files you edited\n(unless `--force`). `.krust-init.json` records the hash of every generated file.\n\n## Layout\n\n- `clusters/<env>/` — Flux entry points: `flux-system` (GitRepository), then\n  `infra-controllers` → `infra-configs` → `apps` and `monitoring` (ordered by `dependsOn`, gated by health checks).\n- `infrastructure/controllers/` — Helm releases pinned to exact chart versions.\n- `infrastructure/configs/` — issuers, policies, mesh.\n- `apps/`, `monitoring/` — workloads; `base/` plus one overlay per environment.\n- `k3s/<env>/<node>/` — k3s `config.yaml` and `registries.yaml` per node.\n- `*.sops.yaml` — Secrets, encrypted for the age recipient in `.sops.yaml`.\n\n## Bootstrap\n",
        name = c.name
    );
    for env in &c.environments {
        let _ = write!(s, "\n### {env}\n\n1. On the first server, create the join token (it never goes into Git):\n\n   ```sh\n   sudo install -d -m 700 /etc/rancher/k3s\n   openssl rand -hex 32 | sudo tee /etc/rancher/k3s/token >/dev/null\n   ```\n\n   Copy the same file to every other node of `{env}`.\n2. On every node, copy `k3s/{env}/<node>/config.yaml` and `registries.yaml` to `/etc/rancher/k3s/`, then install:\n\n");
        for n in cfg.nodes_of(env) {
            let role = match n.role {
                Role::Server => "server",
                Role::Agent => "agent",
            };
            let _ = writeln!(s, "   ```sh\n   # {}\n   curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION={} sh -s - {role}\n   ```\n", n.name, c.k3s_version);
        }
        let _ = write!(
            s,
            "3. Install Flux and give it the age key and Git credentials:\n\n   ```sh\n   flux check --pre\n   flux install\n   kubectl -n flux-system create secret generic sops-age --from-file=age.agekey=\"$HOME/.config/sops/age/{name}.agekey\"\n   flux create secret git flux-system --url={url} --private-key-file=\"$HOME/.ssh/id_ed25519\"\n   kubectl apply -k clusters/{env}/flux-system\n   ```\n\n4. Watch: `flux get kustomizations --watch`.\n",
            name = c.name,
            url = cfg.git.url
        );
    }
    s.push_str("\n## Verify locally\n\n```sh\nkrust build clusters/<env>          # every kustomization directory builds\nkrust flux build clusters/<env>     # the whole Flux graph renders\n```\n\n## Pinned versions\n\n");
    let _ = writeln!(s, "- cert-manager {}", versions::CERT_MANAGER);
    let _ = writeln!(
        s,
        "- kube-prometheus-stack {}",
        versions::KUBE_PROMETHEUS_STACK
    );
    let _ = writeln!(s, "- kyverno {}", versions::KYVERNO);
    let _ = writeln!(s, "- longhorn {}", versions::LONGHORN);
    let _ = writeln!(
        s,
        "- linkerd-crds {} / linkerd-control-plane {} (stable-2.14.10)",
        versions::LINKERD_CRDS,
        versions::LINKERD_CONTROL_PLANE
    );
    let _ = writeln!(
        s,
        "- k3s {} (Traefik bundled, configured by HelmChartConfig)",
        c.k3s_version
    );
    s
}

//! Rendering a validated [`Config`] into the files of the repository.
//!
//! Rendering is pure: the same config and age recipient give the same bytes. Secrets are not
//! rendered here; they are described by [`SecretSpec`]s that the writer fills (from random bytes
//! or environment variables) and encrypts once.
//!
//! The layers (`infrastructure/controllers` → `infrastructure/configs` → `apps`, `monitoring`)
//! are the same for both engines; what differs is how a chart is installed and how the layers
//! are ordered: `flux` (HelmRelease, Kustomizations with `dependsOn` and health checks) or
//! `argo` (Applications with Helm sources, an app-of-apps with sync waves).

mod argo;
mod flux;
mod netpol;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::config::{Config, Engine, IngressController, KyvernoMode, Role, StorageKind, TlsMode};
use netpol::NetNeeds;

/// Pinned chart and image versions (each checked against the upstream release tag).
pub mod versions {
    /// jetstack/cert-manager.
    pub const CERT_MANAGER: &str = "v1.19.1";
    /// prometheus-community/kube-prometheus-stack.
    pub const KUBE_PROMETHEUS_STACK: &str = "79.5.0";
    /// kyverno/kyverno.
    pub const KYVERNO: &str = "3.5.2";
    /// longhorn/longhorn (tag v1.10.0, chart/Chart.yaml version 1.10.0).
    pub const LONGHORN: &str = "1.10.0";
    /// linkerd stable-2.14.10: linkerd-crds.
    pub const LINKERD_CRDS: &str = "1.8.0";
    /// linkerd stable-2.14.10: linkerd-control-plane.
    pub const LINKERD_CONTROL_PLANE: &str = "1.16.11";
    /// ingress-nginx/ingress-nginx (tag helm-chart-4.13.0, controller v1.13.0).
    pub const INGRESS_NGINX: &str = "4.13.0";
    /// tailscale/tailscale image (tag v1.84.0; the image is tagged `v<version>`).
    pub const TAILSCALE_IMAGE: &str = "ghcr.io/tailscale/tailscale:v1.84.0";
    /// argoproj/argo-helm argo-cd chart (tag argo-cd-9.0.6).
    pub const ARGO_CD: &str = "9.0.6";
    /// The Argo CD release that chart installs (its appVersion).
    pub const ARGO_CD_APP: &str = "v3.1.9";
    /// isindir/sops-secrets-operator chart (operator tag 0.16.0, chart version 0.22.0).
    pub const SOPS_SECRETS_OPERATOR: &str = "0.22.0";
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

/// The object a secret is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretKind {
    /// A `v1` Secret; Flux's kustomize-controller decrypts it when applying.
    #[default]
    Secret,
    /// An `isindir.github.com/v1alpha3` SopsSecret; the sops-secrets-operator decrypts it in the
    /// cluster into a Secret of the same name (Argo CD never sees the plaintext).
    SopsSecret,
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
    /// The object written.
    pub kind: SecretKind,
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

/// A `resources:` block with requests and limits.
fn resources(req_cpu: &str, req_mem: &str, lim_cpu: &str, lim_mem: &str) -> String {
    format!(
        "resources:\n  requests:\n    cpu: {req_cpu}\n    memory: {req_mem}\n  limits:\n    cpu: {lim_cpu}\n    memory: {lim_mem}\n"
    )
}

const RESOURCES_SMALL: &str = "resources:\n  requests:\n    cpu: 10m\n    memory: 64Mi\n  limits:\n    cpu: 500m\n    memory: 256Mi\n";

/// A Helm chart the GitOps engine installs: a HelmRepository and a HelmRelease under Flux, an
/// Application with a Helm source under Argo CD.
struct Chart<'a> {
    /// Release (and Application) name.
    name: &'a str,
    /// Namespace installed into.
    namespace: &'a str,
    /// Chart name.
    chart: &'a str,
    /// Exact chart version.
    version: &'a str,
    /// Flux HelmRepository name.
    repo: &'a str,
    /// Helm repository URL.
    repo_url: &'a str,
    /// Values (YAML, not indented).
    values: String,
    /// Flux: HelmReleases installed first.
    depends_on: &'a [&'a str],
    /// Flux: extra `spec` lines (`valuesFrom`).
    flux_extra: &'a str,
    /// Argo CD sync wave inside its layer.
    wave: i32,
}

impl<'a> Chart<'a> {
    fn new(
        name: &'a str,
        namespace: &'a str,
        version: &'a str,
        repo: &'a str,
        repo_url: &'a str,
    ) -> Self {
        Chart {
            name,
            namespace,
            chart: name,
            version,
            repo,
            repo_url,
            values: String::new(),
            depends_on: &[],
            flux_extra: "",
            wave: 0,
        }
    }

    fn values(mut self, v: String) -> Self {
        self.values = v;
        self
    }
}

/// One component directory: its namespace, chart, extra files and NetworkPolicies.
struct Component<'a> {
    /// Repository-relative directory.
    dir: String,
    /// Rendered Namespace, when the component owns one.
    namespace: Option<String>,
    /// The chart, when the component is installed from one.
    chart: Option<Chart<'a>>,
    /// Other files (name, content).
    files: Vec<(&'static str, String)>,
    /// NetworkPolicies (only with default-deny).
    policies: Option<String>,
}

struct Ctx<'a> {
    cfg: &'a Config,
    out: Rendered,
}

impl Ctx<'_> {
    fn put(&mut self, path: &str, content: String) {
        self.out.files.insert(path.to_string(), content);
    }

    fn argo(&self) -> bool {
        self.cfg.cluster.engine == Engine::Argocd
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

    /// A Namespace; under Argo CD in sync wave -3, before anything is created in it.
    fn namespace(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
    ) -> String {
        let mut s = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
        if !annotations.is_empty() || self.argo() {
            s.push_str("  annotations:\n");
            if self.argo() {
                s.push_str(&argo::wave(-3));
            }
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

    /// Where the chart comes from (Flux: `repository.yaml`; Argo CD names it in the
    /// Application). Returns the file written.
    fn chart_source(&mut self, dir: &str, c: &Chart) -> Option<String> {
        if self.argo() {
            return None;
        }
        self.put(
            &format!("{dir}/repository.yaml"),
            flux::helm_repo(c.repo, c.namespace, c.repo_url),
        );
        Some("repository.yaml".into())
    }

    /// The chart's installation (Flux: `release.yaml`; Argo CD: `application.yaml`). Returns
    /// the file written.
    fn chart_install(&mut self, dir: &str, c: &Chart) -> String {
        let (file, text) = if self.argo() {
            ("application.yaml", argo::chart_application(c))
        } else {
            ("release.yaml", flux::helm_release(c))
        };
        self.put(&format!("{dir}/{file}"), text);
        file.into()
    }

    /// Writes a component directory and its kustomization.
    fn component(&mut self, comp: Component) {
        let dir = comp.dir;
        let mut files = Vec::new();
        if let Some(ns) = comp.namespace {
            self.put(&format!("{dir}/namespace.yaml"), ns);
            files.push("namespace.yaml".to_string());
        }
        if let Some(c) = &comp.chart {
            files.extend(self.chart_source(&dir, c));
            files.push(self.chart_install(&dir, c));
        }
        for (name, text) in comp.files {
            self.put(&format!("{dir}/{name}"), text);
            files.push(name.into());
        }
        if let Some(np) = comp.policies {
            self.put(&format!("{dir}/network-policies.yaml"), np);
            files.push("network-policies.yaml".into());
        }
        self.put(
            &format!("{dir}/kustomization.yaml"),
            kustomization(&files, ""),
        );
    }

    /// The component's NetworkPolicies when default-deny is on.
    fn policies(&self, n: &NetNeeds) -> Option<String> {
        self.cfg
            .components
            .default_deny
            .then(|| self.network_policies(n))
    }

    /// Registers a Secret at `dir/<name>.sops.yaml`; returns the file name.
    fn secret(
        &mut self,
        dir: &str,
        name: &str,
        namespace: &str,
        entries: Vec<(String, SecretValue)>,
    ) -> String {
        let file = format!("{name}.sops.yaml");
        self.out.secrets.push(SecretSpec {
            path: format!("{dir}/{file}"),
            name: name.into(),
            namespace: namespace.into(),
            entries,
            kind: if self.argo() {
                SecretKind::SopsSecret
            } else {
                SecretKind::Secret
            },
        });
        file
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
        match cfg.cluster.engine {
            Engine::Flux => flux::cluster_entry(&mut cx, env),
            Engine::Argocd => argo::cluster_entry(&mut cx, env),
        }
        controllers_env(&mut cx, env);
        configs_env(&mut cx, env);
        apps_env(&mut cx, env);
        monitoring_env(&mut cx, env);
        nodes(&mut cx, env);
    }
    if cfg.components.renovate {
        cx.put("renovate.json", renovate(cfg.cluster.engine));
    }
    let readme = readme(&cx);
    cx.put("README.md", readme);
    cx.out
}

fn controllers_base(cx: &mut Ctx) {
    let cfg = cx.cfg;
    let c = &cfg.components;
    let cl = &cfg.cluster;
    let base = "infrastructure/controllers/base";
    let mut dirs: Vec<String> = Vec::new();
    if cx.argo() {
        // Decrypts the SopsSecrets in the cluster with the age key created at bootstrap.
        let mut chart = Chart::new(
            "sops-secrets-operator",
            "sops-secrets-operator",
            versions::SOPS_SECRETS_OPERATOR,
            "sops",
            "https://isindir.github.io/sops-secrets-operator/",
        )
        .values(format!(
            "image:\n  pullPolicy: IfNotPresent\nsecretsAsFiles:\n  - name: sops-age\n    mountPath: /etc/sops-age\n    secretName: sops-age\nextraEnv:\n  - name: SOPS_AGE_KEY_FILE\n    value: /etc/sops-age/age.agekey\nsecurityContext:\n  enabled: true\n  container:\n    enabled: true\n    capabilities:\n      drop:\n        - ALL\n      add: []\n{RESOURCES_SMALL}"
        ));
        chart.wave = -2;
        let comp = Component {
            dir: format!("{base}/sops-secrets-operator"),
            namespace: Some(cx.namespace("sops-secrets-operator", &[], &[])),
            chart: Some(chart),
            files: vec![],
            policies: cx.policies(&NetNeeds {
                ns: "sops-secrets-operator",
                ..Default::default()
            }),
        };
        cx.component(comp);
        dirs.push("sops-secrets-operator".into());
    }
    if c.cert_manager {
        let r2 = indent(RESOURCES_SMALL, 2);
        let chart = Chart::new(
            "cert-manager",
            "cert-manager",
            versions::CERT_MANAGER,
            "jetstack",
            "https://charts.jetstack.io",
        )
        .values(format!(
            "crds:\n  enabled: true\n{r2}webhook:\n{r2}cainjector:\n{r2}prometheus:\n  enabled: true\n  servicemonitor:\n    enabled: {}\n",
            c.monitoring.enabled
        ));
        let comp = Component {
            dir: format!("{base}/cert-manager"),
            namespace: Some(cx.namespace("cert-manager", &[], &[])),
            chart: Some(chart),
            files: vec![],
            policies: cx.policies(&NetNeeds {
                ns: "cert-manager",
                scrape_ports: vec![9402],
                internet: true,
                webhook_ports: vec![10250],
                webhook_selector: Some(("app.kubernetes.io/name", "webhook")),
                ..Default::default()
            }),
        };
        cx.component(comp);
        dirs.push("cert-manager".into());
    }
    if c.kyverno != KyvernoMode::Off {
        let r = indent(RESOURCES_SMALL, 2);
        let chart = Chart::new(
            "kyverno",
            "kyverno",
            versions::KYVERNO,
            "kyverno",
            "https://kyverno.github.io/kyverno/",
        )
        .values(format!(
            "admissionController:\n  replicas: 1\n  container:\n{}backgroundController:\n{r}cleanupController:\n{r}reportsController:\n{r}",
            indent(RESOURCES_SMALL, 4)
        ));
        // The API server calls the admission and cleanup webhooks (9443) and, in newer releases,
        // the CRD conversion webhook (9445); metrics on 8000.
        let comp = Component {
            dir: format!("{base}/kyverno"),
            namespace: Some(cx.namespace("kyverno", &[], &[])),
            chart: Some(chart),
            files: vec![],
            policies: cx.policies(&NetNeeds {
                ns: "kyverno",
                scrape_ports: vec![8000],
                webhook_ports: vec![9443, 9445],
                ..Default::default()
            }),
        };
        cx.component(comp);
        dirs.push("kyverno".into());
    }
    if c.storage.kind == StorageKind::Longhorn {
        let n = c.storage.replicas;
        // Longhorn 1.10 reads data-engine settings as strings ({"v1":"3","v2":"3"}); the chart
        // fails on a bare number. Its pre-upgrade Job is a Helm hook Argo CD cannot run.
        let mut values = format!(
            "persistence:\n  defaultClass: true\n  defaultClassReplicaCount: {n}\ndefaultSettings:\n  defaultReplicaCount: {}\n  replicaAutoBalance: least-effort\n  defaultDataPath: /var/lib/longhorn\n  upgradeChecker: false\nlonghornUI:\n  replicas: 1\n",
            q(&format!("{{\"v1\":\"{n}\",\"v2\":\"{n}\"}}"))
        );
        if cx.argo() {
            values.push_str("preUpgradeChecker:\n  jobEnabled: false\n");
        }
        let chart = Chart::new(
            "longhorn",
            "longhorn-system",
            versions::LONGHORN,
            "longhorn",
            "https://charts.longhorn.io",
        )
        .values(values);
        let policies = cx.policies(&NetNeeds {
            ns: "longhorn-system",
            scrape_ports: vec![9500],
            // Conversion (9501) and admission (9502) webhooks of longhorn-manager.
            webhook_ports: vec![9501, 9502],
            ..Default::default()
        });
        // The nodes reach the data path: iSCSI (3260) of the instance managers, NFS (2049) of
        // the share managers (RWX volumes) and the manager API (9500) from host-network CSI pods.
        let policies = policies.map(|np| {
            format!(
                "{np}---\n{}  ingress:\n    - from:\n        - ipBlock:\n            cidr: {}\n        - ipBlock:\n            cidr: {}\n{}",
                netpol::head("allow-nodes-data-path", "longhorn-system", None, &["Ingress"]),
                cl.node_cidr,
                cl.pod_cidr,
                netpol::ports(&[("TCP", Some(3260)), ("TCP", Some(2049)), ("TCP", Some(9500))], 6)
            )
        });
        let comp = Component {
            dir: format!("{base}/longhorn"),
            namespace: Some(cx.namespace("longhorn-system", &[], &[])),
            chart: Some(chart),
            files: vec![],
            policies,
        };
        cx.component(comp);
        dirs.push("longhorn".into());
    }
    if cfg.ingress.controller == IngressController::Traefik {
        let mut v = String::from("deployment:\n  replicas: 1\nports:\n  web:\n    redirections:\n      entryPoint:\n        to: websecure\n        scheme: https\n        permanent: true\n");
        v.push_str(RESOURCES_SMALL);
        if c.monitoring.enabled {
            v.push_str("metrics:\n  prometheus:\n    service:\n      enabled: true\n");
        }
        let comp = Component {
            dir: format!("{base}/traefik"),
            namespace: None,
            chart: None,
            files: vec![(
                "helmchartconfig.yaml",
                format!(
                    "# k3s bundles Traefik; this HelmChartConfig overrides its values.\napiVersion: helm.cattle.io/v1\nkind: HelmChartConfig\nmetadata:\n  name: traefik\n  namespace: kube-system\nspec:\n  valuesContent: |-\n{}",
                    indent(&v, 4)
                ),
            )],
            policies: None,
        };
        cx.component(comp);
        dirs.push("traefik".into());
    }
    if cfg.ingress.controller == IngressController::IngressNginx {
        // The admission-webhook Jobs get requests and limits too: Kyverno (enforce) would
        // otherwise reject their pods and with them the chart's install.
        let chart = Chart::new(
            "ingress-nginx",
            "ingress-nginx",
            versions::INGRESS_NGINX,
            "ingress-nginx",
            "https://kubernetes.github.io/ingress-nginx",
        )
        .values(format!(
            "controller:\n  ingressClassResource:\n    default: true\n  metrics:\n    enabled: {}\n{}  admissionWebhooks:\n    createSecretJob:\n{r6}    patchWebhookJob:\n{r6}",
            c.monitoring.enabled,
            indent(RESOURCES_SMALL, 2),
            r6 = indent(RESOURCES_SMALL, 6)
        ));
        let policies = cx.policies(&NetNeeds {
            ns: "ingress-nginx",
            scrape_ports: vec![10254],
            webhook_ports: vec![8443],
            webhook_selector: Some(("app.kubernetes.io/name", "ingress-nginx")),
            ..Default::default()
        });
        // Clients reach the controller from anywhere; it forwards to backends in every namespace.
        let policies = policies.map(|np| {
            let sel = Some(("app.kubernetes.io/name", "ingress-nginx"));
            format!(
                "{np}---\n{}  ingress:\n    - {}---\n{}  egress:\n    - to:\n        - namespaceSelector: {{}}\n",
                netpol::head("allow-http-https", "ingress-nginx", sel, &["Ingress"]),
                netpol::ports(&[("TCP", Some(80)), ("TCP", Some(443))], 6).trim_start(),
                netpol::head("allow-backends", "ingress-nginx", sel, &["Egress"]),
            )
        });
        let comp = Component {
            dir: format!("{base}/ingress-nginx"),
            namespace: Some(cx.namespace("ingress-nginx", &[], &[])),
            chart: Some(chart),
            files: vec![],
            policies,
        };
        cx.component(comp);
        dirs.push("ingress-nginx".into());
    }
    if let Some(ts) = &c.tailscale {
        let routes = ts.routes.join(",");
        let deployment = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tailscale-subnet-router\n  namespace: tailscale\n  labels:\n    app.kubernetes.io/name: tailscale-subnet-router\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: tailscale-subnet-router\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: tailscale-subnet-router\n    spec:\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 1000\n        runAsGroup: 1000\n        fsGroup: 1000\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n        - name: tailscale\n          image: {}\n          securityContext:\n            allowPrivilegeEscalation: false\n            capabilities:\n              drop:\n                - ALL\n          env:\n            - name: TS_USERSPACE\n              value: \"true\"\n            - name: TS_KUBE_SECRET\n              value: \"\"\n            - name: TS_STATE_DIR\n              value: /var/lib/tailscale\n            - name: TS_ROUTES\n              value: {}\n            - name: TS_AUTHKEY\n              valueFrom:\n                secretKeyRef:\n                  name: tailscale-auth\n                  key: TS_AUTHKEY\n          resources:\n            requests:\n              cpu: 10m\n              memory: 64Mi\n            limits:\n              cpu: 500m\n              memory: 256Mi\n          volumeMounts:\n            - name: state\n              mountPath: /var/lib/tailscale\n      volumes:\n        - name: state\n          emptyDir: {{}}\n",
            versions::TAILSCALE_IMAGE,
            q(&routes)
        );
        // The router dials out: the coordination server and DERP relays (TCP 443, 80), STUN and
        // WireGuard to peers (UDP, any port), and it forwards to the advertised routes. Nothing
        // dials in, and it keeps its state in a file, not through the API server.
        let policies = cx.policies(&NetNeeds {
            ns: "tailscale",
            ..Default::default()
        });
        let policies = policies.map(|np| {
            let mut s = format!(
                "{np}---\n{}  egress:\n{}{}",
                netpol::head("allow-tailnet", "tailscale", None, &["Egress"]),
                cx.internet_peer(),
                netpol::ports(&[("TCP", Some(443)), ("TCP", Some(80)), ("UDP", None)], 6)
            );
            let _ = write!(
                s,
                "---\n{}  egress:\n    - to:\n",
                netpol::head("allow-advertised-routes", "tailscale", None, &["Egress"])
            );
            for r in &ts.routes {
                let _ = write!(s, "        - ipBlock:\n            cidr: {r}\n");
            }
            s
        });
        let comp = Component {
            dir: format!("{base}/tailscale"),
            namespace: Some(cx.namespace("tailscale", &[], &[])),
            chart: None,
            files: vec![("deployment.yaml", deployment)],
            policies,
        };
        cx.component(comp);
        dirs.push("tailscale".into());
    }
    cx.put(
        &format!("{base}/kustomization.yaml"),
        kustomization(&dirs, ""),
    );
}

fn controllers_env(cx: &mut Ctx, env: &str) {
    let cfg = cx.cfg;
    let dir = format!("infrastructure/controllers/{env}");
    let mut res = vec!["../base".to_string()];
    if cfg.tls.mode == TlsMode::Letsencrypt {
        if let Some(var) = &cfg.tls.cloudflare_token_env {
            res.push(cx.secret(
                &dir,
                "cloudflare-api-token",
                "cert-manager",
                vec![("api-token".into(), SecretValue::Env(var.clone()))],
            ));
        }
    }
    if let Some(ts) = &cfg.components.tailscale {
        res.push(cx.secret(
            &dir,
            "tailscale-auth",
            "tailscale",
            vec![(
                "TS_AUTHKEY".into(),
                SecretValue::Env(ts.auth_key_env.clone()),
            )],
        ));
    }
    cx.put(
        &format!("{dir}/kustomization.yaml"),
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
            kyverno_policies(c.kyverno, cfg.cluster.engine),
        );
        res.push("kyverno-policies.yaml".into());
    }
    if c.linkerd {
        let l = format!("{dir}/linkerd");
        let ns = cx.namespace(
            "linkerd",
            &[
                ("linkerd.io/is-control-plane", "true"),
                ("config.linkerd.io/admission-webhooks", "disabled"),
                ("linkerd.io/control-plane-ns", "linkerd"),
            ],
            &[],
        );
        cx.put(&format!("{l}/namespace.yaml"), ns);
        cx.put(
            &format!("{l}/certificates.yaml"),
            String::from("apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: linkerd-selfsigned\n  namespace: linkerd\nspec:\n  selfSigned: {}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: linkerd-trust-anchor\n  namespace: linkerd\nspec:\n  isCA: true\n  commonName: root.linkerd.cluster.local\n  secretName: linkerd-trust-anchor\n  duration: 87600h\n  privateKey:\n    algorithm: ECDSA\n    size: 256\n  issuerRef:\n    kind: Issuer\n    name: linkerd-selfsigned\n---\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: linkerd-trust-anchor\n  namespace: linkerd\nspec:\n  ca:\n    secretName: linkerd-trust-anchor\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: linkerd-identity-issuer\n  namespace: linkerd\nspec:\n  isCA: true\n  commonName: identity.linkerd.cluster.local\n  secretName: linkerd-identity-issuer\n  duration: 48h\n  renewBefore: 25h\n  privateKey:\n    algorithm: ECDSA\n    size: 256\n  usages:\n    - cert sign\n    - crl sign\n    - server auth\n    - client auth\n  issuerRef:\n    kind: Issuer\n    name: linkerd-trust-anchor\n"),
        );
        // Linkerd is Flux-only (validation): its trust anchor reaches the chart through
        // `valuesFrom`, which Argo CD has no equivalent of.
        let crds = Chart::new(
            "linkerd-crds",
            "linkerd",
            versions::LINKERD_CRDS,
            "linkerd",
            "https://helm.linkerd.io/stable",
        );
        let mut cp = Chart::new(
            "linkerd-control-plane",
            "linkerd",
            versions::LINKERD_CONTROL_PLANE,
            "linkerd",
            "https://helm.linkerd.io/stable",
        )
        .values(format!(
            "identity:\n  externalCA: true\n  issuer:\n    scheme: kubernetes.io/tls\n# Its heartbeat CronJob would call versioncheck.linkerd.io, which default-deny does not allow.\ndisableHeartBeat: true\nproxy:\n{}",
            indent("resources:\n  cpu:\n    request: 10m\n    limit: 500m\n  memory:\n    request: 32Mi\n    limit: 128Mi\n", 2)
        ));
        cp.depends_on = &["linkerd-crds"];
        cp.flux_extra = "  valuesFrom:\n    - kind: Secret\n      name: linkerd-identity-issuer\n      valuesKey: ca.crt\n      targetPath: identityTrustAnchorsPEM\n";
        let mut files = vec!["namespace.yaml".to_string(), "certificates.yaml".into()];
        files.extend(cx.chart_source(&l, &crds));
        cx.put(
            &format!("{l}/release.yaml"),
            format!(
                "{}---\n{}",
                flux::helm_release(&crds),
                flux::helm_release(&cp)
            ),
        );
        files.push("release.yaml".into());
        // Meshed pods of every namespace reach identity (8080), destination (8086) and policy
        // (8090); the API server calls the proxy injector and validators (8443, 9443).
        if let Some(np) = cx.policies(&NetNeeds {
            ns: "linkerd",
            scrape_ports: vec![4191, 9990, 9995, 9996, 9997],
            webhook_ports: vec![8443, 9443],
            cluster_clients: vec![4143, 8080, 8086, 8090],
            ..Default::default()
        }) {
            cx.put(&format!("{l}/network-policies.yaml"), np);
            files.push("network-policies.yaml".into());
        }
        cx.put(
            &format!("{l}/kustomization.yaml"),
            kustomization(&files, ""),
        );
        res.push("linkerd".into());
    }
    cx.put(
        &format!("{dir}/kustomization.yaml"),
        kustomization(&res, ""),
    );
}

/// Kyverno ClusterPolicies; platform namespaces (their charts set what they can) are excluded.
fn kyverno_policies(mode: KyvernoMode, engine: Engine) -> String {
    let action = if mode == KyvernoMode::Enforce {
        "Enforce"
    } else {
        "Audit"
    };
    let gitops: &[&str] = match engine {
        Engine::Flux => &["flux-system"],
        Engine::Argocd => &["argocd", "sops-secrets-operator"],
    };
    let mut exclude = String::from(
        "    exclude:\n      any:\n        - resources:\n            namespaces:\n              - kube-system\n",
    );
    for ns in gitops.iter().chain(&[
        "kyverno",
        "longhorn-system",
        "linkerd",
        "cert-manager",
        "monitoring",
    ]) {
        let _ = writeln!(exclude, "              - {ns}");
    }
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
    let ns = cx.namespace(n, &labels, &ann);
    cx.put(&format!("{base}/namespace.yaml"), ns);
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
            ..Default::default()
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

/// The kube-prometheus-stack chart of one environment (values depend on its Grafana host).
fn monitoring_chart<'a>(cx: &Ctx, env: &str) -> Chart<'a> {
    let cfg = cx.cfg;
    let m = &cfg.components.monitoring;
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
        Some(i) => format!("    annotations:\n      cert-manager.io/cluster-issuer: {i}\n    tls:\n      - hosts:\n          - {host}\n        secretName: grafana-tls\n"),
        None => String::new(),
    };
    let class = match cfg.ingress.controller {
        IngressController::Traefik => "traefik",
        IngressController::IngressNginx => "nginx",
    };
    let r2 = indent(RESOURCES_SMALL, 2);
    let values = format!(
        "prometheus:\n  prometheusSpec:\n    retention: {}\n    serviceMonitorSelectorNilUsesHelmValues: false\n    podMonitorSelectorNilUsesHelmValues: false\n{}{storage}alertmanager:\n  alertmanagerSpec:\n{}prometheusOperator:\n{r2}kube-state-metrics:\n{r2}prometheus-node-exporter:\n{r2}grafana:\n  admin:\n    existingSecret: grafana-admin\n    userKey: admin-user\n    passwordKey: admin-password\n{r2}  ingress:\n    enabled: true\n    ingressClassName: {class}\n{tls}    hosts:\n      - {host}\n",
        q(&m.retention),
        indent(&resources("100m", "512Mi", "\"1\"", "2Gi"), 4),
        indent(RESOURCES_SMALL, 4),
    );
    Chart::new(
        "kube-prometheus-stack",
        "monitoring",
        versions::KUBE_PROMETHEUS_STACK,
        "prometheus-community",
        "https://prometheus-community.github.io/helm-charts",
    )
    .values(values)
}

fn monitoring_base(cx: &mut Ctx) {
    if !cx.cfg.components.monitoring.enabled {
        return;
    }
    let base = "monitoring/controllers/base/kube-prometheus-stack";
    let mut files = Vec::new();
    let ns = cx.namespace("monitoring", &[], &[]);
    cx.put(&format!("{base}/namespace.yaml"), ns);
    files.push("namespace.yaml".to_string());
    // The chart repository is shared by the environments (the release's values are not).
    let env0 = cx
        .cfg
        .cluster
        .environments
        .first()
        .cloned()
        .unwrap_or_default();
    let chart = monitoring_chart(cx, &env0);
    files.extend(cx.chart_source(base, &chart));
    // Grafana behind the ingress controller; Prometheus scrapes every namespace and the nodes;
    // the API server calls the prometheus-operator's admission webhook (10250).
    if let Some(np) = cx.policies(&NetNeeds {
        ns: "monitoring",
        ingress_ports: vec![3000],
        scrape_all: true,
        webhook_ports: vec![10250],
        webhook_selector: Some(("app", "kube-prometheus-stack-operator")),
        ..Default::default()
    }) {
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
    if !cx.cfg.components.monitoring.enabled {
        return;
    }
    let dir = format!("monitoring/controllers/{env}");
    let chart = monitoring_chart(cx, env);
    let install = cx.chart_install(&dir, &chart);
    let secret = cx.secret(
        &dir,
        "grafana-admin",
        "monitoring",
        vec![
            ("admin-user".into(), SecretValue::Literal("admin".into())),
            ("admin-password".into(), SecretValue::Random),
        ],
    );
    cx.put(
        &format!("{dir}/kustomization.yaml"),
        kustomization(&["../base".into(), install, secret], ""),
    );
}

fn renovate(engine: Engine) -> String {
    // Flux: HelmRelease versions and images; Argo CD: Application targetRevisions (Helm sources)
    // and images; both: the argo-cd chart's values file needs no manager (it pins nothing).
    let manager = match engine {
        Engine::Flux => "flux",
        Engine::Argocd => "argocd",
    };
    format!(
        r#"{{
  "$schema": "https://docs.renovatebot.com/renovate-schema.json",
  "extends": ["config:recommended"],
  "{manager}": {{
    "managerFilePatterns": ["/(^|/)(clusters|infrastructure|apps|monitoring)/.+\\.ya?ml$/"]
  }},
  "kubernetes": {{
    "managerFilePatterns": ["/(^|/)(infrastructure|apps|monitoring)/.+\\.ya?ml$/"]
  }},
  "ignorePaths": ["**/*.sops.yaml"],
  "packageRules": [
    {{
      "matchUpdateTypes": ["major"],
      "dependencyDashboardApproval": true
    }}
  ]
}}
"#
    )
}

fn readme(cx: &Ctx) -> String {
    let cfg = cx.cfg;
    let c = &cfg.cluster;
    let argo = cx.argo();
    let entry = if argo {
        "Argo CD entry points: `argocd/` (Argo CD's own Application and the\n  `values.yaml` of its chart), `projects.yaml`, and `root.yaml`, an app-of-apps that syncs\n  `infra-controllers` → `infra-configs` → `apps` and `monitoring` (sync waves 1, 2, 3; a wave\n  starts when the previous one is Healthy)."
    } else {
        "Flux entry points: `flux-system` (GitRepository), then\n  `infra-controllers` → `infra-configs` → `apps` and `monitoring` (ordered by `dependsOn`, gated by health checks)."
    };
    let charts = if argo {
        "Applications installing Helm charts pinned to exact versions."
    } else {
        "Helm releases pinned to exact chart versions."
    };
    let secrets = if argo {
        "SopsSecrets, encrypted for the age recipient in `.sops.yaml`; the\n  sops-secrets-operator decrypts them in the cluster into Secrets of the same name."
    } else {
        "Secrets, encrypted for the age recipient in `.sops.yaml`."
    };
    let mut s = format!(
        "# {name}\n\nGenerated by `krust init` from `cluster.toml`. Re-run `krust init` after editing the config:\nit shows what would change, updates only generated files and keeps files you edited\n(unless `--force`). `.krust-init.json` records the hash of every generated file.\n\n## Layout\n\n- `clusters/<env>/` — {entry}\n- `infrastructure/controllers/` — {charts}\n- `infrastructure/configs/` — issuers, policies, mesh.\n- `apps/`, `monitoring/` — workloads; `base/` plus one overlay per environment.\n- `k3s/<env>/<node>/` — k3s `config.yaml` and `registries.yaml` per node.\n- `*.sops.yaml` — {secrets}\n\n## Bootstrap\n",
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
        if argo {
            argo::bootstrap(cx, env, &mut s);
        } else {
            flux::bootstrap(cx, env, &mut s);
        }
    }
    if argo {
        let _ = write!(
            s,
            "\n## Verify locally\n\n```sh\nkrust build clusters/<env>     # every kustomization directory builds\nkrust argo get --path clusters/<env> --repo-url {url}     # every Application, its wave and source\nkrust argo build --path clusters/<env> --repo-url {url}   # the objects of every Application (Helm sources are listed)\nkrust check .                  # schema, secrets, images, network rules\n```\n\n(`--repo-url` can be left out once the repository's `origin` remote is that URL.)\n",
            url = cfg.git.url
        );
        s.push_str("\n## Limits\n\n- Linkerd is not generated for Argo CD: its trust anchor comes from a Secret cert-manager\n  issues in the cluster, and Argo CD has no Helm `valuesFrom` to hand it to the chart.\n- The repo-server may reach TCP 443 (and 22 for ssh:// URLs) outside the cluster networks;\n  a Git server inside the LAN or the cluster needs an extra NetworkPolicy in `argocd`.\n- Dex and notifications are off; enable them in `clusters/<env>/argocd/values.yaml`.\n\n## Pinned versions\n\n");
        let _ = writeln!(
            s,
            "- argo-cd chart {} (Argo CD {})",
            versions::ARGO_CD,
            versions::ARGO_CD_APP
        );
        let _ = writeln!(
            s,
            "- sops-secrets-operator chart {}",
            versions::SOPS_SECRETS_OPERATOR
        );
    } else {
        s.push_str("\n## Verify locally\n\n```sh\nkrust build clusters/<env>          # every kustomization directory builds\nkrust flux build clusters/<env>     # the whole Flux graph renders\n```\n\n## Pinned versions\n\n");
    }
    let _ = writeln!(s, "- cert-manager {}", versions::CERT_MANAGER);
    let _ = writeln!(
        s,
        "- kube-prometheus-stack {}",
        versions::KUBE_PROMETHEUS_STACK
    );
    let _ = writeln!(s, "- kyverno {}", versions::KYVERNO);
    let _ = writeln!(s, "- longhorn {}", versions::LONGHORN);
    let _ = writeln!(s, "- ingress-nginx {}", versions::INGRESS_NGINX);
    if !argo {
        let _ = writeln!(
            s,
            "- linkerd-crds {} / linkerd-control-plane {} (stable-2.14.10)",
            versions::LINKERD_CRDS,
            versions::LINKERD_CONTROL_PLANE
        );
    }
    let _ = writeln!(s, "- tailscale {}", versions::TAILSCALE_IMAGE);
    let _ = writeln!(
        s,
        "- k3s {} (Traefik bundled, configured by HelmChartConfig)",
        c.k3s_version
    );
    s
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
                // k3s add-ons a generated component replaces: Traefik (ingress-nginx) and the
                // local-path provisioner, whose StorageClass would be a second default next to
                // Longhorn's.
                let mut disable = Vec::new();
                if cfg.ingress.controller == IngressController::IngressNginx {
                    disable.push("traefik");
                }
                if cfg.components.storage.kind == StorageKind::Longhorn {
                    disable.push("local-storage");
                }
                if !disable.is_empty() {
                    s.push_str("disable:\n");
                    for d in disable {
                        let _ = writeln!(s, "  - {d}");
                    }
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

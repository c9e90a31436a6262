//! The `cluster.toml` configuration of `krust init`.
//!
//! Every table rejects unknown keys (`deny_unknown_fields`), so a typo is an error that names
//! the key instead of a silently ignored setting.

use serde::Deserialize;

/// The whole `cluster.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Cluster-wide settings.
    pub cluster: Cluster,
    /// The Git repository the GitOps engine reconciles.
    pub git: Git,
    /// Nodes of every environment.
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// Ingress controller.
    #[serde(default)]
    pub ingress: Ingress,
    /// Certificates.
    #[serde(default)]
    pub tls: Tls,
    /// Optional components.
    #[serde(default)]
    pub components: Components,
    /// The sample web application.
    #[serde(default)]
    pub app: Option<App>,
}

/// `[cluster]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Cluster name (a DNS label).
    pub name: String,
    /// Base DNS domain of the ingress hosts.
    pub domain: String,
    /// Environments; each gets `clusters/<env>/` and its own nodes.
    #[serde(default = "default_envs")]
    pub environments: Vec<String>,
    /// GitOps engine.
    #[serde(default)]
    pub engine: Engine,
    /// Pod CIDR (k3s `cluster-cidr`).
    #[serde(default = "default_pod_cidr")]
    pub pod_cidr: String,
    /// Service CIDR (k3s `service-cidr`).
    #[serde(default = "default_service_cidr")]
    pub service_cidr: String,
    /// The network the node addresses live in.
    pub node_cidr: String,
    /// Use embedded etcd (`cluster-init`) instead of SQLite; needs an odd number of servers.
    #[serde(default)]
    pub embedded_etcd: bool,
    /// Pinned k3s version written to the README's install command.
    #[serde(default = "default_k3s_version")]
    pub k3s_version: String,
}

fn default_envs() -> Vec<String> {
    vec!["production".into()]
}
fn default_pod_cidr() -> String {
    "10.42.0.0/16".into()
}
fn default_service_cidr() -> String {
    "10.43.0.0/16".into()
}
fn default_k3s_version() -> String {
    "v1.33.5+k3s1".into()
}

/// GitOps engine.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Flux v2: HelmReleases and Kustomizations ordered by `dependsOn`.
    #[default]
    Flux,
    /// Argo CD: an app-of-apps of Applications ordered by sync waves; SOPS secrets decrypted in
    /// the cluster by the sops-secrets-operator.
    Argocd,
}

/// `[git]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Git {
    /// Clone URL (`ssh://` or `https://`).
    #[serde(default)]
    pub url: String,
    /// Branch to reconcile.
    #[serde(default = "default_branch")]
    pub branch: String,
}

fn default_branch() -> String {
    "main".into()
}

/// `[[nodes]]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Host name (a DNS label).
    pub name: String,
    /// IPv4 address inside `cluster.node_cidr`.
    pub address: String,
    /// `server` or `agent`.
    pub role: Role,
    /// Environment the node belongs to (default: the first environment).
    #[serde(default)]
    pub environment: Option<String>,
}

/// Node role.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// k3s server (control plane).
    Server,
    /// k3s agent.
    Agent,
}

/// `[ingress]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    /// Controller.
    #[serde(default)]
    pub controller: IngressController,
}

/// Ingress controller.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum IngressController {
    /// k3s-bundled Traefik, configured through a HelmChartConfig.
    #[default]
    Traefik,
    /// ingress-nginx (HelmRelease; k3s Traefik is disabled on the servers).
    IngressNginx,
}

/// `[tls]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Issuer mode.
    #[serde(default)]
    pub mode: TlsMode,
    /// ACME account e-mail (Let's Encrypt).
    #[serde(default)]
    pub email: Option<String>,
    /// Name of the environment variable holding the Cloudflare API token at `krust init` time.
    #[serde(default)]
    pub cloudflare_token_env: Option<String>,
}

/// TLS mode.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// A self-signed cluster CA issued by cert-manager.
    #[default]
    SelfSigned,
    /// Let's Encrypt with DNS-01 through Cloudflare.
    Letsencrypt,
}

/// `[components]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Components {
    /// cert-manager.
    #[serde(default = "yes")]
    pub cert_manager: bool,
    /// Linkerd service mesh (needs cert-manager).
    #[serde(default)]
    pub linkerd: bool,
    /// Kyverno: `off`, `audit` or `enforce`.
    #[serde(default)]
    pub kyverno: KyvernoMode,
    /// Default-deny NetworkPolicies with the needed allowances.
    #[serde(default = "yes")]
    pub default_deny: bool,
    /// Storage.
    #[serde(default)]
    pub storage: Storage,
    /// kube-prometheus-stack.
    #[serde(default)]
    pub monitoring: Monitoring,
    /// Tailscale subnet router.
    #[serde(default)]
    pub tailscale: Option<Tailscale>,
    /// Renovate config.
    #[serde(default = "yes")]
    pub renovate: bool,
    /// Private registry mirror written to every node's `registries.yaml`.
    #[serde(default)]
    pub registry_mirror: Option<String>,
}

impl Default for Components {
    fn default() -> Self {
        Components {
            cert_manager: true,
            linkerd: false,
            kyverno: KyvernoMode::Off,
            default_deny: true,
            storage: Storage::default(),
            monitoring: Monitoring::default(),
            tailscale: None,
            renovate: true,
            registry_mirror: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// Kyverno mode.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KyvernoMode {
    /// Not installed.
    #[default]
    Off,
    /// Policies report only.
    Audit,
    /// Policies block violating objects.
    Enforce,
}

/// `[components.storage]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// `local-path` or `longhorn`.
    #[serde(default)]
    pub kind: StorageKind,
    /// Longhorn replica count (1 for local-path).
    #[serde(default = "one")]
    pub replicas: u32,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            kind: StorageKind::LocalPath,
            replicas: 1,
        }
    }
}

/// Storage kind.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StorageKind {
    /// k3s local-path provisioner.
    #[default]
    LocalPath,
    /// Longhorn.
    Longhorn,
}

/// `[components.monitoring]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Install kube-prometheus-stack.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Prometheus retention (`15d`, `12h`, …).
    #[serde(default = "default_retention")]
    pub retention: String,
    /// Keep Prometheus data on a PersistentVolume.
    #[serde(default)]
    pub persistent: bool,
    /// Volume size when persistent.
    #[serde(default = "default_size")]
    pub size: String,
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            enabled: true,
            retention: default_retention(),
            persistent: false,
            size: default_size(),
        }
    }
}

fn default_retention() -> String {
    "7d".into()
}
fn default_size() -> String {
    "20Gi".into()
}

/// `[components.tailscale]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tailscale {
    /// CIDRs advertised by the subnet router.
    pub routes: Vec<String>,
    /// Environment variable holding the Tailscale auth key at `krust init` time.
    pub auth_key_env: String,
}

/// `[app]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Name (a DNS label; also the namespace).
    pub name: String,
    /// Image with an explicit tag or digest (never `latest`).
    pub image: String,
    /// Replicas.
    #[serde(default = "one")]
    pub replicas: u32,
    /// Ingress host (a full DNS name inside `cluster.domain`).
    pub host: String,
    /// Ingress path.
    #[serde(default = "default_path")]
    pub path: String,
    /// Container port.
    #[serde(default = "default_port")]
    pub port: u16,
}

fn one() -> u32 {
    1
}
fn default_path() -> String {
    "/".into()
}
fn default_port() -> u16 {
    8080
}

impl Config {
    /// Nodes of one environment, in config order.
    pub fn nodes_of<'a>(&'a self, env: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        let first = self.cluster.environments.first().map(String::as_str);
        self.nodes
            .iter()
            .filter(move |n| n.environment.as_deref().or(first) == Some(env))
    }
}

/// The commented example `krust init --example` writes.
pub const EXAMPLE: &str = include_str!("../example-cluster.toml");

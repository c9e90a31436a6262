//! Validation of a parsed [`Config`] before anything is rendered.
//!
//! Each check returns a [`ConfigError`] that names the offending field and says how to fix it.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use crate::config::{Config, Engine, KyvernoMode, Role, StorageKind, TlsMode};

/// An invalid configuration: the field concerned and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}; fix: {fix}")]
pub struct ConfigError {
    /// Dotted path of the field (`nodes[1].address`).
    pub field: String,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

fn err(
    field: impl Into<String>,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> ConfigError {
    ConfigError {
        field: field.into(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// An IPv4 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// Network address.
    pub addr: Ipv4Addr,
    /// Prefix length.
    pub prefix: u8,
}

impl Cidr {
    fn mask(self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }
    /// Whether `ip` is inside the network.
    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.addr)
    }
    /// Whether two networks share an address.
    pub fn overlaps(self, o: Cidr) -> bool {
        let m = self.mask() & o.mask();
        u32::from(self.addr) & m == u32::from(o.addr) & m
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Parses a canonical IPv4 CIDR (`10.42.0.0/16`); host bits must be zero.
pub fn parse_cidr(field: &str, s: &str) -> Result<Cidr, ConfigError> {
    let (a, p) = s.split_once('/').ok_or_else(|| {
        err(
            field,
            format!("`{s}` is not a CIDR"),
            "write an IPv4 network with a prefix length, e.g. `10.42.0.0/16`",
        )
    })?;
    let addr: Ipv4Addr = a.parse().map_err(|_| {
        err(
            field,
            format!("`{a}` is not an IPv4 address"),
            "write four dotted decimal octets, e.g. `10.42.0.0/16`",
        )
    })?;
    let prefix: u8 = p.parse().ok().filter(|p| *p <= 32).ok_or_else(|| {
        err(
            field,
            format!("prefix length `{p}` is not 0–32"),
            "use a prefix length between 0 and 32",
        )
    })?;
    let c = Cidr { addr, prefix };
    let canonical = Ipv4Addr::from(u32::from(addr) & c.mask());
    if canonical != addr {
        return Err(err(
            field,
            format!("`{s}` is not canonical: host bits are set"),
            format!("write `{canonical}/{prefix}`"),
        ));
    }
    Ok(c)
}

/// Whether `s` is an RFC 1123 DNS label.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Whether `s` is a DNS name of at least two labels.
pub fn is_domain(s: &str) -> bool {
    s.len() <= 253 && s.contains('.') && s.split('.').all(is_dns_label)
}

fn label(field: &str, s: &str) -> Result<(), ConfigError> {
    if is_dns_label(s) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("`{s}` is not a valid DNS label"),
            "use 1–63 lowercase letters, digits or '-', starting and ending with a letter or digit",
        ))
    }
}

fn check_env_var(field: &str, v: &str) -> Result<(), ConfigError> {
    let ok = !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !v.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(err(
            field,
            format!("`{v}` is not an environment variable name"),
            "name the variable that holds the value, e.g. `CF_API_TOKEN` (never the value itself)",
        ))
    }
}

/// Checks the configuration; the first problem found is returned.
pub fn validate(cfg: &Config) -> Result<(), ConfigError> {
    let c = &cfg.cluster;
    label("cluster.name", &c.name)?;
    if !is_domain(&c.domain) {
        return Err(err(
            "cluster.domain",
            format!("`{}` is not a valid DNS domain", c.domain),
            "use lowercase dot-separated labels, e.g. `home.example.com`",
        ));
    }
    if c.environments.is_empty() {
        return Err(err(
            "cluster.environments",
            "no environment is listed",
            "list at least one, e.g. `environments = [\"production\"]`",
        ));
    }
    let mut seen = BTreeMap::new();
    for (i, e) in c.environments.iter().enumerate() {
        label(&format!("cluster.environments[{i}]"), e)?;
        if let Some(j) = seen.insert(e.as_str(), i) {
            return Err(err(
                format!("cluster.environments[{i}]"),
                format!("`{e}` is listed twice (also at [{j}])"),
                "list each environment once",
            ));
        }
    }
    let pod = parse_cidr("cluster.pod_cidr", &c.pod_cidr)?;
    let svc = parse_cidr("cluster.service_cidr", &c.service_cidr)?;
    let node = parse_cidr("cluster.node_cidr", &c.node_cidr)?;
    for (a, an, b, bn) in [
        (pod, "pod_cidr", svc, "service_cidr"),
        (pod, "pod_cidr", node, "node_cidr"),
        (svc, "service_cidr", node, "node_cidr"),
    ] {
        if a.overlaps(b) {
            return Err(err(
                format!("cluster.{bn}"),
                format!("{b} overlaps cluster.{an} {a}"),
                format!("choose non-overlapping networks (k3s defaults: pod 10.42.0.0/16, service 10.43.0.0/16); change {bn} or {an}"),
            ));
        }
    }
    if !c.k3s_version.starts_with('v') || !c.k3s_version.contains("+k3s") {
        return Err(err(
            "cluster.k3s_version",
            format!("`{}` is not a k3s release", c.k3s_version),
            "write a full release tag, e.g. `v1.33.5+k3s1`",
        ));
    }

    // Git.
    let g = &cfg.git;
    if g.url.trim().is_empty() {
        return Err(err(
            "git.url",
            "missing",
            "set the clone URL the GitOps engine reads, e.g. `ssh://git@github.com/you/homelab.git`",
        ));
    }
    if !(g.url.starts_with("ssh://") || g.url.starts_with("https://")) {
        return Err(err(
            "git.url",
            format!("`{}` is neither an ssh:// nor an https:// URL", g.url),
            "write `ssh://git@host/owner/repo.git` or `https://host/owner/repo.git` (not the scp-like `git@host:owner/repo`)",
        ));
    }
    if g.branch.is_empty() || g.branch.contains(' ') || g.branch.contains("..") {
        return Err(err(
            "git.branch",
            format!("`{}` is not a branch name", g.branch),
            "use a branch name such as `main`",
        ));
    }

    // Nodes.
    if cfg.nodes.is_empty() {
        return Err(err(
            "nodes",
            "no node is listed",
            "add at least one `[[nodes]]` table with role = \"server\"",
        ));
    }
    let mut names = BTreeMap::new();
    let mut addrs = BTreeMap::new();
    for (i, n) in cfg.nodes.iter().enumerate() {
        let f = format!("nodes[{i}]");
        label(&format!("{f}.name"), &n.name)?;
        if let Some(j) = names.insert(n.name.as_str(), i) {
            return Err(err(
                format!("{f}.name"),
                format!("`{}` is also the name of nodes[{j}]", n.name),
                "give every node its own host name",
            ));
        }
        let ip: Ipv4Addr = n.address.parse().map_err(|_| {
            err(
                format!("{f}.address"),
                format!("`{}` is not an IPv4 address", n.address),
                "write the node's LAN address, e.g. `192.168.1.10`",
            )
        })?;
        if !node.contains(ip) {
            return Err(err(
                format!("{f}.address"),
                format!("{ip} is outside cluster.node_cidr {node}"),
                "fix the address or widen cluster.node_cidr",
            ));
        }
        if let Some(j) = addrs.insert(ip, i) {
            return Err(err(
                format!("{f}.address"),
                format!("{ip} is also the address of nodes[{j}]"),
                "give every node its own address",
            ));
        }
        if let Some(e) = &n.environment {
            if !c.environments.contains(e) {
                return Err(err(
                    format!("{f}.environment"),
                    format!("`{e}` is not in cluster.environments"),
                    format!("use one of {:?} or add it there", c.environments),
                ));
            }
        }
    }
    for e in &c.environments {
        let nodes: Vec<_> = cfg.nodes_of(e).collect();
        let servers = nodes.iter().filter(|n| n.role == Role::Server).count();
        if servers == 0 {
            return Err(err(
                "nodes",
                format!("environment `{e}` has no server node"),
                format!("add a `[[nodes]]` with role = \"server\" and environment = \"{e}\""),
            ));
        }
        if c.embedded_etcd && servers % 2 == 0 {
            return Err(err(
                "cluster.embedded_etcd",
                format!(
                    "environment `{e}` has {servers} servers; etcd needs an odd number for quorum"
                ),
                "use 1, 3 or 5 servers (turn one into an agent), or set embedded_etcd = false",
            ));
        }
        if !c.embedded_etcd && servers > 1 {
            return Err(err(
                "cluster.embedded_etcd",
                format!("environment `{e}` has {servers} servers but the SQLite datastore supports one"),
                "set embedded_etcd = true (with an odd number of servers) or make the extra servers agents",
            ));
        }
        let comp = &cfg.components;
        if comp.storage.kind == StorageKind::Longhorn
            && comp.storage.replicas as usize > nodes.len()
        {
            return Err(err(
                "components.storage.replicas",
                format!(
                    "{} Longhorn replicas but environment `{e}` has {} node(s)",
                    comp.storage.replicas,
                    nodes.len()
                ),
                "lower replicas to at most the node count, or add nodes",
            ));
        }
    }

    // TLS.
    let t = &cfg.tls;
    if t.mode == TlsMode::Letsencrypt {
        let Some(v) = &t.cloudflare_token_env else {
            return Err(err(
                "tls.cloudflare_token_env",
                "Let's Encrypt DNS-01 needs a Cloudflare API token",
                "set cloudflare_token_env = \"CF_API_TOKEN\" and export that variable when running krust init",
            ));
        };
        check_env_var("tls.cloudflare_token_env", v)?;
        match &t.email {
            Some(m) if m.contains('@') && is_domain(m.rsplit('@').next().unwrap_or("")) => {}
            _ => {
                return Err(err(
                    "tls.email",
                    "Let's Encrypt needs a valid account e-mail",
                    "set email = \"you@example.com\"",
                ))
            }
        }
        if !cfg.components.cert_manager {
            return Err(err(
                "tls.mode",
                "`letsencrypt` needs cert-manager",
                "set components.cert_manager = true",
            ));
        }
    }

    // Components.
    let comp = &cfg.components;
    if comp.linkerd && c.engine == Engine::Argocd {
        return Err(err(
            "components.linkerd",
            "the Argo CD layout cannot install Linkerd: its trust anchor is a Secret cert-manager issues in the cluster, and an Argo CD Application has no Helm `valuesFrom` to pass it to the chart",
            "set linkerd = false, or engine = \"flux\" for a meshed cluster",
        ));
    }
    if comp.linkerd && !comp.cert_manager {
        return Err(err(
            "components.linkerd",
            "Linkerd's trust anchor and identity issuer come from cert-manager",
            "set components.cert_manager = true or linkerd = false",
        ));
    }
    if comp.storage.replicas == 0 {
        return Err(err(
            "components.storage.replicas",
            "0 replicas",
            "use at least 1",
        ));
    }
    if comp.storage.kind == StorageKind::LocalPath && comp.storage.replicas > 1 {
        return Err(err(
            "components.storage.replicas",
            "local-path volumes are not replicated",
            "set replicas = 1 or kind = \"longhorn\"",
        ));
    }
    let m = &comp.monitoring;
    if m.enabled {
        let ok = m.retention.len() > 1
            && m.retention[..m.retention.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_digit())
            && matches!(
                m.retention.as_bytes()[m.retention.len() - 1],
                b'h' | b'd' | b'w' | b'y'
            );
        if !ok {
            return Err(err(
                "components.monitoring.retention",
                format!("`{}` is not a Prometheus duration", m.retention),
                "write a number and a unit h, d, w or y, e.g. `15d`",
            ));
        }
        if m.persistent && !is_quantity(&m.size) {
            return Err(err(
                "components.monitoring.size",
                format!("`{}` is not a storage quantity", m.size),
                "write e.g. `20Gi`",
            ));
        }
    }
    if let Some(ts) = &comp.tailscale {
        check_env_var("components.tailscale.auth_key_env", &ts.auth_key_env)?;
        if ts.routes.is_empty() {
            return Err(err(
                "components.tailscale.routes",
                "no route is advertised",
                format!("advertise at least the node network, e.g. routes = [\"{node}\"]"),
            ));
        }
        for (i, r) in ts.routes.iter().enumerate() {
            parse_cidr(&format!("components.tailscale.routes[{i}]"), r)?;
        }
    }
    if let Some(r) = &comp.registry_mirror {
        if !(r.starts_with("https://") || r.starts_with("http://")) {
            return Err(err(
                "components.registry_mirror",
                format!("`{r}` is not an http(s) URL"),
                "write the mirror endpoint, e.g. `https://registry.lan:5000`",
            ));
        }
    }
    if comp.kyverno == KyvernoMode::Enforce && !comp.default_deny {
        // Allowed: enforce without default-deny is a valid (if weaker) setup.
    }

    // App.
    if let Some(a) = &cfg.app {
        label("app.name", &a.name)?;
        if RESERVED_NS.contains(&a.name.as_str()) {
            return Err(err(
                "app.name",
                format!("`{}` is the namespace of a platform component", a.name),
                "choose another name",
            ));
        }
        let (repo, tag) = split_image(&a.image);
        if repo.is_empty() || a.image.contains(' ') {
            return Err(err(
                "app.image",
                format!("`{}` is not an image reference", a.image),
                "write e.g. `ghcr.io/stefanprodan/podinfo:6.9.2`",
            ));
        }
        match tag {
            None => {
                return Err(err(
                    "app.image",
                    format!("`{}` has no tag, so it floats on `latest`", a.image),
                    "pin an exact version tag or digest, e.g. `:6.9.2` or `@sha256:…`",
                ))
            }
            Some("latest") => {
                return Err(err(
                    "app.image",
                    "the `latest` tag is not reproducible",
                    "pin an exact version tag or digest",
                ))
            }
            _ => {}
        }
        if a.replicas == 0 {
            return Err(err("app.replicas", "0 replicas", "use at least 1"));
        }
        if !is_domain(&a.host) || !(a.host.ends_with(&format!(".{}", c.domain))) {
            return Err(err(
                "app.host",
                format!(
                    "`{}` is not a host name inside cluster.domain `{}`",
                    a.host, c.domain
                ),
                format!("use e.g. `{}.{}`", a.name, c.domain),
            ));
        }
        if !a.path.starts_with('/') {
            return Err(err(
                "app.path",
                format!("`{}` does not start with '/'", a.path),
                "write an absolute path such as `/`",
            ));
        }
        if a.port == 0 {
            return Err(err(
                "app.port",
                "port 0",
                "use the container's listening port, e.g. 8080",
            ));
        }
    }
    Ok(())
}

/// Namespaces the generated platform uses.
pub const RESERVED_NS: &[&str] = &[
    "kube-system",
    "kube-public",
    "flux-system",
    "argocd",
    "sops-secrets-operator",
    "ingress-nginx",
    "cert-manager",
    "linkerd",
    "kyverno",
    "longhorn-system",
    "monitoring",
    "tailscale",
    "default",
];

/// Splits an image into repository and tag/digest.
pub fn split_image(image: &str) -> (&str, Option<&str>) {
    if let Some((r, d)) = image.split_once('@') {
        return (r, Some(d));
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(i) => (&image[..last_slash + i], Some(&image[last_slash + i + 1..])),
        None => (image, None),
    }
}

fn is_quantity(s: &str) -> bool {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&s[digits..], "Gi" | "Mi" | "Ti" | "G" | "M" | "T")
}

#[cfg(test)]
mod tests {
    //! Invalid-config fixtures: each is rejected with its own message.

    const BASE: &str = r#"
[cluster]
name = "lab"
domain = "lab.example.com"
node_cidr = "192.168.1.0/24"
[git]
url = "ssh://git@github.com/me/lab.git"
[[nodes]]
name = "n1"
address = "192.168.1.10"
role = "server"
[app]
name = "web"
image = "nginx:1.27.3"
host = "web.lab.example.com"
"#;

    fn check(from: &str, to: &str, want_field: &str, want_text: &str) {
        assert!(
            BASE.contains(from) || from.is_empty(),
            "fixture anchor {from:?}"
        );
        let text = if from.is_empty() {
            format!("{BASE}{to}")
        } else {
            BASE.replacen(from, to, 1)
        };
        let err = match crate::load(&text) {
            Ok(_) => panic!("accepted: {from:?} -> {to:?}"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(want_field),
            "{err}\n  wanted field {want_field}"
        );
        assert!(err.contains(want_text), "{err}\n  wanted {want_text:?}");
        assert!(err.contains("fix"), "{err}\n  has no fix");
    }

    #[test]
    fn base_is_valid() {
        crate::load(BASE).unwrap();
    }

    #[test]
    fn non_canonical_cidr() {
        check(
            "node_cidr = \"192.168.1.0/24\"",
            "node_cidr = \"192.168.1.7/24\"",
            "cluster.node_cidr",
            "write `192.168.1.0/24`",
        );
    }

    #[test]
    fn overlapping_cidrs() {
        check("node_cidr = \"192.168.1.0/24\"", "node_cidr = \"192.168.1.0/24\"\npod_cidr = \"10.0.0.0/8\"\nservice_cidr = \"10.43.0.0/16\"", "cluster.service_cidr", "overlaps cluster.pod_cidr");
    }

    #[test]
    fn bad_prefix() {
        check(
            "node_cidr = \"192.168.1.0/24\"",
            "node_cidr = \"192.168.1.0/33\"",
            "cluster.node_cidr",
            "prefix length `33`",
        );
    }

    #[test]
    fn node_outside_cidr() {
        check(
            "address = \"192.168.1.10\"",
            "address = \"192.168.2.10\"",
            "nodes[0].address",
            "outside cluster.node_cidr",
        );
    }

    #[test]
    fn duplicate_node_name() {
        check(
            "",
            "[[nodes]]\nname = \"n1\"\naddress = \"192.168.1.11\"\nrole = \"agent\"\n",
            "nodes[1].name",
            "also the name of nodes[0]",
        );
    }

    #[test]
    fn duplicate_node_address() {
        check(
            "",
            "[[nodes]]\nname = \"n2\"\naddress = \"192.168.1.10\"\nrole = \"agent\"\n",
            "nodes[1].address",
            "also the address of nodes[0]",
        );
    }

    #[test]
    fn even_etcd_servers() {
        let text = format!(
            "{}[[nodes]]\nname = \"n2\"\naddress = \"192.168.1.11\"\nrole = \"server\"\n",
            BASE.replacen(
                "node_cidr = \"192.168.1.0/24\"",
                "node_cidr = \"192.168.1.0/24\"\nembedded_etcd = true",
                1
            )
        );
        let e = crate::load(&text).unwrap_err().to_string();
        assert!(
            e.contains("cluster.embedded_etcd") && e.contains("odd number"),
            "{e}"
        );
    }

    #[test]
    fn invalid_cluster_name() {
        check(
            "name = \"lab\"",
            "name = \"Lab_1\"",
            "cluster.name",
            "not a valid DNS label",
        );
    }

    #[test]
    fn invalid_domain() {
        check(
            "domain = \"lab.example.com\"",
            "domain = \"localhost\"",
            "cluster.domain",
            "not a valid DNS domain",
        );
    }

    #[test]
    fn missing_git_url() {
        check(
            "url = \"ssh://git@github.com/me/lab.git\"",
            "branch = \"main\"",
            "git.url",
            "missing",
        );
    }

    #[test]
    fn scp_like_git_url() {
        check(
            "url = \"ssh://git@github.com/me/lab.git\"",
            "url = \"git@github.com:me/lab.git\"",
            "git.url",
            "neither an ssh:// nor an https://",
        );
    }

    #[test]
    fn letsencrypt_without_token() {
        check(
            "",
            "[tls]\nmode = \"letsencrypt\"\nemail = \"me@example.com\"\n",
            "tls.cloudflare_token_env",
            "needs a Cloudflare API token",
        );
    }

    #[test]
    fn letsencrypt_without_email() {
        check(
            "",
            "[tls]\nmode = \"letsencrypt\"\ncloudflare_token_env = \"CF_API_TOKEN\"\n",
            "tls.email",
            "valid account e-mail",
        );
    }

    #[test]
    fn token_value_instead_of_variable() {
        check("", "[tls]\nmode = \"letsencrypt\"\nemail = \"me@example.com\"\ncloudflare_token_env = \"abc-123.xyz\"\n", "tls.cloudflare_token_env", "not an environment variable name");
    }

    #[test]
    fn longhorn_replicas_exceed_nodes() {
        check(
            "",
            "[components.storage]\nkind = \"longhorn\"\nreplicas = 3\n",
            "components.storage.replicas",
            "3 Longhorn replicas but environment `production` has 1 node(s)",
        );
    }

    #[test]
    fn linkerd_without_cert_manager() {
        check(
            "",
            "[components]\nlinkerd = true\ncert_manager = false\n",
            "components.linkerd",
            "trust anchor",
        );
    }

    #[test]
    fn unknown_key_rejected() {
        check(
            "domain = \"lab.example.com\"",
            "domain = \"lab.example.com\"\ndomian = \"x\"",
            "domian",
            "unknown field",
        );
    }

    #[test]
    fn unknown_component_typo() {
        check(
            "",
            "[components]\nkyverno_mode = \"enforce\"\n",
            "kyverno_mode",
            "unknown field",
        );
    }

    #[test]
    fn latest_image() {
        check(
            "image = \"nginx:1.27.3\"",
            "image = \"nginx:latest\"",
            "app.image",
            "`latest` tag",
        );
    }

    #[test]
    fn untagged_image() {
        check(
            "image = \"nginx:1.27.3\"",
            "image = \"registry.lan:5000/nginx\"",
            "app.image",
            "has no tag",
        );
    }

    #[test]
    fn app_host_outside_domain() {
        check(
            "host = \"web.lab.example.com\"",
            "host = \"web.other.org\"",
            "app.host",
            "inside cluster.domain",
        );
    }

    #[test]
    fn node_in_unknown_environment() {
        check(
            "role = \"server\"",
            "role = \"server\"\nenvironment = \"staging\"",
            "nodes[0].environment",
            "not in cluster.environments",
        );
    }

    #[test]
    fn bad_retention() {
        check(
            "",
            "[components.monitoring]\nretention = \"7 days\"\n",
            "components.monitoring.retention",
            "not a Prometheus duration",
        );
    }

    #[test]
    fn local_path_replicated() {
        check(
            "",
            "[components.storage]\nkind = \"local-path\"\nreplicas = 2\n",
            "components.storage.replicas",
            "not replicated",
        );
    }

    #[test]
    fn two_servers_with_sqlite() {
        check(
            "",
            "[[nodes]]\nname = \"n2\"\naddress = \"192.168.1.11\"\nrole = \"server\"\n",
            "cluster.embedded_etcd",
            "SQLite datastore supports one",
        );
    }

    #[test]
    fn argocd_with_linkerd() {
        // Without Linkerd the same Argo CD config is valid.
        crate::load(&BASE.replacen("name = \"lab\"", "name = \"lab\"\nengine = \"argocd\"", 1))
            .unwrap();
        let text = BASE.replacen("name = \"lab\"", "name = \"lab\"\nengine = \"argocd\"", 1)
            + "[components]\nlinkerd = true\n";
        let e = crate::load(&text).unwrap_err().to_string();
        assert!(
            e.contains("components.linkerd") && e.contains("valuesFrom") && e.contains("fix"),
            "{e}"
        );
    }

    #[test]
    fn engine_typo() {
        check(
            "name = \"lab\"",
            "name = \"lab\"\nengine = \"argo\"",
            "engine",
            "unknown variant `argo`",
        );
    }

    #[test]
    fn app_named_after_argocd_namespace() {
        check(
            "name = \"web\"",
            "name = \"argocd\"",
            "app.name",
            "namespace of a platform component",
        );
    }

    #[test]
    fn app_named_after_sops_operator_namespace() {
        check(
            "name = \"web\"",
            "name = \"sops-secrets-operator\"",
            "app.name",
            "namespace of a platform component",
        );
    }

    #[test]
    fn bad_kyverno_mode() {
        check(
            "",
            "[components]\nkyverno = \"strict\"\n",
            "kyverno",
            "unknown variant",
        );
    }
}

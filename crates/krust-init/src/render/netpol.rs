//! Default-deny NetworkPolicies and the allowances each namespace needs.
//!
//! Every namespace gets `default-deny-all` plus DNS (UDP and TCP 53 to kube-dns), the API server
//! (6443 on the nodes and 443 on the `kubernetes` Service) and traffic inside the namespace.
//! [`NetNeeds`] adds the rest: the ingress controller, Prometheus scraping, Linkerd, webhooks
//! called by the API server, clients from every namespace, and egress to the internet.
//!
//! k3s runs the API server in the k3s process on the servers, so webhook calls come from a node
//! address, or from the node's address on the pod network (`cni0`) when the webhook pod runs on
//! that node: webhook allowances name both the node and the pod CIDR.

use std::fmt::Write as _;

use super::Ctx;
use crate::config::IngressController;

/// A namespace's traffic needs.
#[derive(Default)]
pub(super) struct NetNeeds<'a> {
    /// The namespace.
    pub ns: &'a str,
    /// Ports reachable from the ingress controller.
    pub ingress_ports: Vec<u16>,
    /// Ports scraped by Prometheus.
    pub scrape_ports: Vec<u16>,
    /// Linkerd-meshed.
    pub meshed: bool,
    /// May reach every namespace and the nodes' kubelet and node-exporter (Prometheus).
    pub scrape_all: bool,
    /// May reach the internet on TCP 443 (ACME, chart repositories, Cloudflare, Git).
    pub internet: bool,
    /// Ports the API server calls (admission and conversion webhooks).
    pub webhook_ports: Vec<u16>,
    /// Only pods with this label serve the webhooks (default: the whole namespace).
    pub webhook_selector: Option<(&'a str, &'a str)>,
    /// Ports every namespace may reach (a control plane serving meshed pods).
    pub cluster_clients: Vec<u16>,
}

/// The head of a NetworkPolicy: name, namespace, pod selector and policy types.
pub(super) fn head(name: &str, ns: &str, selector: Option<(&str, &str)>, types: &[&str]) -> String {
    let mut s = format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n"
    );
    match selector {
        Some((k, v)) => {
            let _ = write!(s, "  podSelector:\n    matchLabels:\n      {k}: {v}\n");
        }
        None => s.push_str("  podSelector: {}\n"),
    }
    s.push_str("  policyTypes:\n");
    for t in types {
        let _ = writeln!(s, "    - {t}");
    }
    s
}

/// A `ports:` list indented by `pad` spaces; `None` means every port of the protocol.
pub(super) fn ports(list: &[(&str, Option<u16>)], pad: usize) -> String {
    let p = " ".repeat(pad);
    let mut s = format!("{p}ports:\n");
    for (proto, port) in list {
        let _ = writeln!(s, "{p}  - protocol: {proto}");
        if let Some(port) = port {
            let _ = writeln!(s, "{p}    port: {port}");
        }
    }
    s
}

fn tcp(list: &[u16]) -> Vec<(&'static str, Option<u16>)> {
    list.iter().map(|p| ("TCP", Some(*p))).collect()
}

impl Ctx<'_> {
    fn ingress_source(&self) -> (&'static str, &'static str) {
        match self.cfg.ingress.controller {
            IngressController::Traefik => ("kube-system", "traefik"),
            IngressController::IngressNginx => ("ingress-nginx", "ingress-nginx"),
        }
    }

    /// `- ipBlock` peers for the internet: everything but the cluster's own networks.
    pub(super) fn internet_peer(&self) -> String {
        let c = &self.cfg.cluster;
        format!(
            "    - to:\n        - ipBlock:\n            cidr: 0.0.0.0/0\n            except:\n              - {}\n              - {}\n              - {}\n",
            c.pod_cidr, c.service_cidr, c.node_cidr
        )
    }

    /// The NetworkPolicies of one namespace, as one multi-document YAML text.
    pub(super) fn network_policies(&self, n: &NetNeeds) -> String {
        let c = &self.cfg.cluster;
        let ns = n.ns;
        let mut docs: Vec<String> = vec![
            head("default-deny-all", ns, None, &["Ingress", "Egress"]),
            format!(
                "{}  egress:\n    - to:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: kube-system\n          podSelector:\n            matchLabels:\n              k8s-app: kube-dns\n{}",
                head("allow-dns", ns, None, &["Egress"]),
                ports(&[("UDP", Some(53)), ("TCP", Some(53))], 6)
            ),
            format!(
                "{}  egress:\n    - to:\n        - ipBlock:\n            cidr: {}\n{}    - to:\n        - ipBlock:\n            cidr: {}\n{}",
                head("allow-apiserver", ns, None, &["Egress"]),
                c.node_cidr,
                ports(&tcp(&[6443]), 6),
                self.api_service_ip(),
                ports(&tcp(&[443]), 6)
            ),
            format!(
                "{}  ingress:\n    - from:\n        - podSelector: {{}}\n  egress:\n    - to:\n        - podSelector: {{}}\n",
                head("allow-same-namespace", ns, None, &["Ingress", "Egress"])
            ),
        ];
        if !n.ingress_ports.is_empty() {
            let (ins, app) = self.ingress_source();
            docs.push(format!(
                "{}  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: {ins}\n          podSelector:\n            matchLabels:\n              app.kubernetes.io/name: {app}\n{}",
                head("allow-ingress-controller", ns, None, &["Ingress"]),
                ports(&tcp(&n.ingress_ports), 6)
            ));
        }
        if !n.scrape_ports.is_empty() && self.cfg.components.monitoring.enabled {
            docs.push(format!(
                "{}  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: monitoring\n          podSelector:\n            matchLabels:\n              app.kubernetes.io/name: prometheus\n{}",
                head("allow-monitoring-scrape", ns, None, &["Ingress"]),
                ports(&tcp(&n.scrape_ports), 6)
            ));
        }
        if !n.webhook_ports.is_empty() {
            docs.push(format!(
                "{}  ingress:\n    - from:\n        - ipBlock:\n            cidr: {}\n        - ipBlock:\n            cidr: {}\n{}",
                head(
                    "allow-webhook-from-apiserver",
                    ns,
                    n.webhook_selector,
                    &["Ingress"]
                ),
                c.node_cidr,
                c.pod_cidr,
                ports(&tcp(&n.webhook_ports), 6)
            ));
        }
        if !n.cluster_clients.is_empty() {
            docs.push(format!(
                "{}  ingress:\n    - from:\n        - namespaceSelector: {{}}\n{}",
                head("allow-cluster-clients", ns, None, &["Ingress"]),
                ports(&tcp(&n.cluster_clients), 6)
            ));
        }
        if n.meshed {
            docs.push(format!(
                "{}  ingress:\n    - from:\n        - namespaceSelector: {{}}\n{}  egress:\n    - to:\n        - namespaceSelector: {{}}\n{}    - to:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: linkerd\n{}",
                head("allow-linkerd", ns, None, &["Ingress", "Egress"]),
                ports(&tcp(&[4143]), 6),
                ports(&tcp(&[4143]), 6),
                ports(&tcp(&[8080, 8086, 8090]), 6)
            ));
        }
        if n.scrape_all {
            docs.push(format!(
                "{}  egress:\n    - to:\n        - namespaceSelector: {{}}\n    - to:\n        - ipBlock:\n            cidr: {}\n{}",
                head("allow-scrape-egress", ns, None, &["Egress"]),
                c.node_cidr,
                ports(&tcp(&[10250, 9100]), 6)
            ));
        }
        if n.internet {
            docs.push(format!(
                "{}  egress:\n{}{}",
                head("allow-internet-https", ns, None, &["Egress"]),
                self.internet_peer(),
                ports(&tcp(&[443]), 6)
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

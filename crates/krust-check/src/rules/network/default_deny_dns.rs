use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports namespaces with a default-deny egress NetworkPolicy (empty `podSelector`,
    /// `policyTypes: [Egress]`, no egress rules) where no NetworkPolicy allows DNS: port 53 over
    /// both UDP and TCP (to kube-dns in `kube-system`, or anywhere).
    ///
    /// ## Why is this bad?
    /// Every pod in the namespace loses name resolution: connections to Services by name fail
    /// with timeouts that look like application bugs. TCP matters too: large responses and
    /// some resolvers fall back to TCP.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    /// ```
    ///
    /// ## Use instead
    /// Add an allowance next to it:
    /// ```yaml
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///     - to:
    ///         - namespaceSelector:
    ///             matchLabels: {kubernetes.io/metadata.name: kube-system}
    ///           podSelector:
    ///             matchLabels: {k8s-app: kube-dns}
    ///       ports:
    ///         - {port: 53, protocol: UDP}
    ///         - {port: 53, protocol: TCP}
    /// ```
    pub struct DefaultDenyDns {
        code: "KR-NET-001",
        name: "default-deny-egress-blocks-dns",
        family: Network,
        severity: Error,
        enabled: true,
    }
}

fn peer_may_be_dns(rule: &Value) -> bool {
    let Some(to) = rule.get("to").and_then(Value::as_seq) else {
        return true;
    };
    if to.is_empty() {
        return true;
    }
    to.iter().any(|peer| {
        if peer.get("ipBlock").is_some() {
            return true;
        }
        match peer.get("namespaceSelector") {
            None => false, // same namespace only
            Some(sel) => {
                let mut labels = krust_yaml::Mapping::default();
                labels.insert("kubernetes.io/metadata.name".into(), "kube-system".into());
                util::label_selector_matches(sel, Some(&labels))
            }
        }
    })
}

impl Rule for DefaultDenyDns {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for o in ctx.of_kind("NetworkPolicy") {
            if !super::is_default_deny(&o.value, "Egress") {
                continue;
            }
            let ns = ctx.effective_namespace(o);
            let policies = super::policies_in(ctx, &ns);
            let allows = |proto: &str| {
                policies.iter().any(|p| {
                    super::has_type(&p.value, "Egress")
                        && super::rules(&p.value, "egress").iter().any(|r| {
                            peer_may_be_dns(r)
                                && super::rule_allows_port(
                                    r,
                                    53,
                                    &["dns", "dns-tcp", "domain"],
                                    proto,
                                )
                        })
                })
            };
            let missing: Vec<&str> = ["UDP", "TCP"].into_iter().filter(|p| !allows(p)).collect();
            if !missing.is_empty() {
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!(
                        "default-deny egress in namespace `{ns}` and no policy allows DNS (port 53 {}) to kube-dns",
                        missing.join("+")
                    ),
                ));
            }
        }
    }
}

use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports namespaces annotated `linkerd.io/inject: enabled` that have a default-deny
    /// ingress NetworkPolicy and no NetworkPolicy allowing ingress to port 4143 (the Linkerd
    /// proxy's inbound port).
    ///
    /// ## Why is this bad?
    /// Connections that Linkerd proxies without protocol detection (opaque ports such as
    /// databases, multicluster gateways) are sent to the destination proxy's inbound port 4143,
    /// not to the application port: policies that only allow the app port silently drop them,
    /// and the pods look healthy while those calls time out.
    ///
    /// ## Example
    /// A `linkerd.io/inject: enabled` namespace with `podSelector: {}`,
    /// `policyTypes: [Ingress]`, and an allowance for port 8080 only.
    ///
    /// ## Use instead
    /// ```yaml
    /// ingress:
    ///   - ports:
    ///       - {port: 4143, protocol: TCP}
    /// ```
    pub struct LinkerdPort {
        code: "KR-NET-006",
        name: "linkerd-proxy-port-blocked",
        family: Network,
        severity: Error,
        enabled: true,
    }
}

impl Rule for LinkerdPort {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for ns_obj in ctx.of_kind("Namespace") {
            if util::annotation(&ns_obj.value, "linkerd.io/inject") != Some("enabled") {
                continue;
            }
            let ns = util::name(&ns_obj.value);
            let policies = super::policies_in(ctx, ns);
            let Some(deny) = policies
                .iter()
                .find(|p| super::is_default_deny(&p.value, "Ingress"))
            else {
                continue;
            };
            let allowed = policies.iter().any(|p| {
                super::has_type(&p.value, "Ingress")
                    && super::rules(&p.value, "ingress").iter().any(|r: &Value| {
                        super::rule_allows_port(r, 4143, &["linkerd-proxy"], "TCP")
                    })
            });
            if !allowed {
                out.push(ctx.finding(
                    &Self::META,
                    deny,
                    format!(
                        "namespace `{ns}` is meshed by Linkerd and denies ingress by default, but no policy allows the proxy port 4143"
                    ),
                ));
            }
        }
    }
}

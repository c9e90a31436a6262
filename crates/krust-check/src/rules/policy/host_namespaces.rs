use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports pods sharing the host's namespaces: `hostNetwork`, `hostPID` or `hostIPC` set to
    /// true.
    ///
    /// ## Why is this bad?
    /// The pod sees (and can talk to) every process or network interface of the node, bypasses
    /// NetworkPolicies, and competes for host ports. Kyverno's `disallow-host-namespaces`
    /// rejects it.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostNetwork: true
    /// ```
    ///
    /// ## Use instead
    /// A Service (or `hostPort` only where unavoidable); exempt node agents explicitly with
    /// `krust.dev/ignore: KR-POL-003`.
    pub struct HostNamespaces {
        code: "KR-POL-003",
        name: "host-namespaces",
        family: Policy,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for HostNamespaces {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            let Some((spec, base)) = util::pod_spec(&o.value) else {
                continue;
            };
            for key in ["hostNetwork", "hostPID", "hostIPC"] {
                if spec.get(key) == Some(&Value::Bool(true)) {
                    out.push(ctx.field_finding(
                        &Self::META,
                        o,
                        format!("{base}.{key}"),
                        format!("pod uses {key}: true"),
                    ));
                }
            }
        }
    }
}

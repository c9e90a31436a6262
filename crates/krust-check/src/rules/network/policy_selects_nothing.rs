use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports NetworkPolicies whose `podSelector` matches no pod template of a workload in the
    /// namespace. Namespaces where Helm charts or Argo CD Applications create workloads krust
    /// cannot see are skipped.
    ///
    /// ## Why is this bad?
    /// The policy protects nothing — usually a label typo (`app: web` vs
    /// `app.kubernetes.io/name: web`) — and the pods it was written for are left open (or,
    /// under default deny, left without the allowance they need).
    ///
    /// ## Example
    /// ```yaml
    /// podSelector:
    ///   matchLabels: {app: wbe}
    /// ```
    ///
    /// ## Use instead
    /// Match the labels of the pod template (`kubectl get pods --show-labels`).
    pub struct PolicySelectsNothing {
        code: "KR-NET-002",
        name: "network-policy-selects-nothing",
        family: Network,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for PolicySelectsNothing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let opaque = super::opaque_namespaces(ctx);
        let pods = super::pods_by_namespace(ctx);
        for o in ctx.of_kind("NetworkPolicy") {
            let sel = o.value.get_path(&["spec", "podSelector"]);
            if super::selects_all(sel) {
                continue;
            }
            let ns = ctx.effective_namespace(o);
            if opaque.contains(&ns) {
                continue;
            }
            let Some(sel) = sel else { continue };
            if !pods
                .get(&ns)
                .into_iter()
                .flatten()
                .any(|l| util::label_selector_matches(sel, *l))
            {
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!("podSelector matches no workload in namespace `{ns}`"),
                ));
            }
        }
    }
}

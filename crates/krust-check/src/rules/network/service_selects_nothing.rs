use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports Services with a `selector` that matches no pod template of a workload in their
    /// namespace. Namespaces where Helm charts or Argo CD Applications create workloads krust
    /// cannot see are skipped, as are Services without a selector.
    ///
    /// ## Why is this bad?
    /// The Service has no endpoints: clients get connection refused or 503 from the ingress,
    /// and health checks on the Kustomization may pass while the app is unreachable.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   selector: {app: whoami-v2}   # pods are labelled app: whoami
    /// ```
    ///
    /// ## Use instead
    /// Use the labels of the pod template.
    pub struct ServiceSelectsNothing {
        code: "KR-NET-003",
        name: "service-selects-nothing",
        family: Network,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for ServiceSelectsNothing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let opaque = super::opaque_namespaces(ctx);
        let pods = super::pods_by_namespace(ctx);
        for o in ctx.of_kind("Service") {
            let Some(sel) = o
                .value
                .get_path(&["spec", "selector"])
                .and_then(Value::as_map)
            else {
                continue;
            };
            if sel.is_empty() || o.value.str_at(&["spec", "type"]) == Some("ExternalName") {
                continue;
            }
            let ns = ctx.effective_namespace(o);
            if opaque.contains(&ns) {
                continue;
            }
            if !pods
                .get(&ns)
                .into_iter()
                .flatten()
                .any(|l| util::map_selects(sel, *l))
            {
                let shown: Vec<String> = sel
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.scalar_text().unwrap_or_default()))
                    .collect();
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!(
                        "selector {} matches no workload in namespace `{ns}`",
                        shown.join(",")
                    ),
                ));
            }
        }
    }
}

use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports containers that may run as root: neither the pod nor the container sets
    /// `securityContext.runAsNonRoot: true` or a non-zero `runAsUser`, or one of them sets
    /// `runAsUser: 0`.
    ///
    /// ## Why is this bad?
    /// A compromised process running as root in the container is one kernel bug away from root
    /// on the node. Kyverno's `require-run-as-nonroot` (Pod Security `restricted`) rejects such
    /// pods.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: app
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///     runAsUser: 65532
    /// ```
    pub struct RunAsNonRoot {
        code: "KR-POL-006",
        name: "run-as-root",
        family: Policy,
        severity: Warning,
        enabled: true,
    }
}

fn non_root(sc: Option<&Value>) -> Option<bool> {
    let sc = sc?;
    if let Some(Value::Int(u)) = sc.get("runAsUser") {
        return Some(*u != 0);
    }
    match sc.get("runAsNonRoot") {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

impl Rule for RunAsNonRoot {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            let Some((spec, base)) = util::pod_spec(&o.value) else {
                continue;
            };
            let pod = non_root(spec.get("securityContext"));
            let mut roots = Vec::new();
            for (list, _, c) in util::containers(spec) {
                if list == "ephemeralContainers" {
                    continue;
                }
                let ok = non_root(c.get("securityContext")).or(pod).unwrap_or(false);
                if !ok {
                    roots.push(c.str_at(&["name"]).unwrap_or("?"));
                }
            }
            if !roots.is_empty() {
                out.push(ctx.field_finding(
                    &Self::META,
                    o,
                    format!("{base}.securityContext"),
                    format!(
                        "container(s) {} may run as root (set runAsNonRoot: true)",
                        roots.join(", ")
                    ),
                ));
            }
        }
    }
}

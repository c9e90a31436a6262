use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports containers with `securityContext.privileged: true`.
    ///
    /// ## Why is this bad?
    /// A privileged container has every capability and the host's devices: escaping to the node
    /// is trivial. Kyverno's `disallow-privileged-containers` (and Pod Security `baseline`)
    /// reject such pods at admission, so the workload never starts where the policy is enforced.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   privileged: true
    /// ```
    ///
    /// ## Use instead
    /// Grant only the capabilities needed (`capabilities.add: [NET_ADMIN]`), or exempt the
    /// system component explicitly with `krust.dev/ignore: KR-POL-001`.
    pub struct Privileged {
        code: "KR-POL-001",
        name: "privileged-container",
        family: Policy,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for Privileged {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            let Some((spec, base)) = util::pod_spec(&o.value) else {
                continue;
            };
            for (list, i, c) in util::containers(spec) {
                if c.get_path(&["securityContext", "privileged"])
                    == Some(&krust_yaml::Value::Bool(true))
                {
                    out.push(ctx.field_finding(
                        &Self::META,
                        o,
                        format!("{base}.{list}[{i}].securityContext.privileged"),
                        format!(
                            "container `{}` runs privileged",
                            c.str_at(&["name"]).unwrap_or("?")
                        ),
                    ));
                }
            }
        }
    }
}

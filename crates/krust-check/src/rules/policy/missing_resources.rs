use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports containers without `resources.requests.cpu`, `resources.requests.memory` or
    /// `resources.limits.memory`. `[rules.KR-POL-004] require = [...]` changes which of
    /// `requests.cpu`, `requests.memory`, `limits.cpu`, `limits.memory` are required.
    ///
    /// ## Why is this bad?
    /// Without requests the scheduler packs pods onto a node until it thrashes; without a
    /// memory limit one leaking pod takes the node (and on a single-node k3s, the cluster)
    /// down. Kyverno's `require-requests-limits` rejects such pods.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: ghcr.io/example/app:1.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     resources:
    ///       requests: {cpu: 50m, memory: 64Mi}
    ///       limits: {memory: 256Mi}
    /// ```
    pub struct MissingResources {
        code: "KR-POL-004",
        name: "missing-resources",
        family: Policy,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for MissingResources {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut required = ctx.config.option_strings(Self::META.code, "require");
        if required.is_empty() {
            required = vec![
                "requests.cpu".into(),
                "requests.memory".into(),
                "limits.memory".into(),
            ];
        }
        for (_, o) in ctx.objects() {
            let Some((spec, base)) = util::pod_spec(&o.value) else {
                continue;
            };
            for (list, i, c) in util::containers(spec) {
                if list == "ephemeralContainers" {
                    continue;
                }
                let missing: Vec<&str> = required
                    .iter()
                    .filter(|r| {
                        let path: Vec<&str> = r.split('.').collect();
                        c.get("resources")
                            .and_then(|res| res.get_path(&path))
                            .is_none_or(|v| v.is_null())
                    })
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() {
                    out.push(ctx.field_finding(
                        &Self::META,
                        o,
                        format!("{base}.{list}[{i}].resources"),
                        format!(
                            "container `{}` has no {}",
                            c.str_at(&["name"]).unwrap_or("?"),
                            missing.join(", ")
                        ),
                    ));
                }
            }
        }
    }
}

use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports `spec.healthChecks` entries of a Flux Kustomization that name an object the
    /// Kustomization does not render (after `namePrefix`/`nameSuffix`, `targetNamespace` and
    /// HelmRelease naming are applied).
    ///
    /// ## Why is this bad?
    /// Flux waits for the object until the timeout, then marks the Kustomization failed — and
    /// everything depending on it stays blocked. The typical cause: a health check for
    /// `Deployment/grafana` when the chart renders `kube-prometheus-stack-grafana`, or a
    /// prefix added in the overlay.
    ///
    /// ## Example
    /// ```yaml
    /// healthChecks:
    ///   - apiVersion: apps/v1
    ///     kind: Deployment
    ///     name: podinfo
    ///     namespace: apps
    /// ```
    /// with the Deployment rendered as `prod-podinfo`.
    ///
    /// ## Use instead
    /// Name the object as rendered (`krust flux` shows it), or health-check the HelmRelease
    /// (`kind: HelmRelease`) instead of what the chart creates.
    pub struct HealthCheckUnrendered {
        code: "KR-ORD-004",
        name: "health-check-not-rendered",
        family: Ordering,
        severity: Error,
        enabled: true,
    }
}

impl Rule for HealthCheckUnrendered {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for k in ctx.flux_kustomizations() {
            let checks = k
                .object
                .value
                .get_path(&["spec", "healthChecks"])
                .and_then(Value::as_seq);
            let Some(checks) = checks else { continue };
            // Objects this Kustomization renders (those attributed to it).
            let rendered: Vec<_> = ctx
                .objects()
                .filter(|(_, o)| o.origin.as_deref() == Some(k.id.as_str()))
                .map(|(_, o)| o)
                .collect();
            if rendered.is_empty() {
                // The path could not be rendered (remote source): nothing to compare against.
                continue;
            }
            for (i, hc) in checks.iter().enumerate() {
                let kind = hc.str_at(&["kind"]).unwrap_or("");
                let name = hc.str_at(&["name"]).unwrap_or("");
                let ns = hc.str_at(&["namespace"]).unwrap_or("");
                let found = rendered.iter().any(|o| {
                    util::kind(&o.value) == kind
                        && util::name(&o.value) == name
                        && (ns.is_empty()
                            || ctx.effective_namespace(o) == ns
                            || util::is_cluster_scoped(kind))
                });
                if !found {
                    let similar = rendered
                        .iter()
                        .filter(|o| {
                            util::kind(&o.value) == kind && util::name(&o.value).contains(name)
                        })
                        .map(|o| util::name(&o.value).to_string())
                        .next();
                    let hint = similar
                        .map(|s| format!(" (rendered: {kind}/{s})"))
                        .unwrap_or_default();
                    out.push(ctx.field_finding(
                        &Self::META,
                        k.object,
                        format!("spec.healthChecks[{i}]"),
                        format!("healthCheck {kind}/{}{name} is not rendered by this Kustomization{hint}", if ns.is_empty() { String::new() } else { format!("{ns}/") }),
                    ));
                }
            }
        }
    }
}

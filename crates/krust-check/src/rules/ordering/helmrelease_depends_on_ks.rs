use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports HelmReleases whose `spec.dependsOn` names a Flux Kustomization (and no
    /// HelmRelease of that name exists).
    ///
    /// ## Why is this bad?
    /// helm-controller's `dependsOn` only looks at HelmReleases: the dependency is never found,
    /// so the release waits forever (`dependency ... not found`).
    ///
    /// ## Example
    /// ```yaml
    /// kind: HelmRelease
    /// spec:
    ///   dependsOn:
    ///     - name: infra-configs      # a Kustomization
    /// ```
    ///
    /// ## Use instead
    /// Put the `dependsOn` on the Kustomization that applies the HelmRelease, or depend on the
    /// HelmRelease that the Kustomization installs.
    pub struct HelmReleaseDependsOnKs {
        code: "KR-ORD-003",
        name: "helmrelease-depends-on-kustomization",
        family: Ordering,
        severity: Error,
        enabled: true,
    }
}

impl Rule for HelmReleaseDependsOnKs {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let hrs = super::helm_releases(ctx);
        for (_, o, deps) in &hrs {
            for d in deps {
                let is_hr = hrs.iter().any(|(id, _, _)| id == d);
                if !is_hr && ctx.flux_ks(d).is_some() {
                    out.push(ctx.finding(
                        &Self::META,
                        o,
                        format!(
                            "dependsOn {d} is a Kustomization; HelmRelease dependsOn only sees HelmReleases, so it never becomes ready"
                        ),
                    ));
                }
            }
        }
    }
}

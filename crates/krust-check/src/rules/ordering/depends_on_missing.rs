use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports Flux Kustomizations and HelmReleases whose `spec.dependsOn` names an object of
    /// the same kind that the repository does not define (namespace defaults to the object's
    /// own).
    ///
    /// ## Why is this bad?
    /// Flux waits for the dependency forever: the object stays `DependencyNotReady` and nothing
    /// in it is ever applied. A renamed Kustomization or a missing `namespace:` is the usual
    /// cause.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   dependsOn:
    ///     - name: infra-controller   # the Kustomization is called infra-controllers
    /// ```
    ///
    /// ## Use instead
    /// Name an existing object (`flux get kustomizations` lists them), with `namespace:` when it
    /// lives elsewhere.
    pub struct DependsOnMissing {
        code: "KR-ORD-001",
        name: "depends-on-missing",
        family: Ordering,
        severity: Error,
        enabled: true,
    }
}

impl Rule for DependsOnMissing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let ks = ctx.flux_kustomizations();
        for k in ks {
            for d in &k.depends_on {
                if !ks.iter().any(|x| &x.id == d) {
                    out.push(ctx.finding(
                        &Self::META,
                        k.object,
                        format!(
                            "dependsOn Kustomization {d}, which the repository does not define"
                        ),
                    ));
                }
            }
        }
        let hrs = super::helm_releases(ctx);
        for (_, o, deps) in &hrs {
            for d in deps {
                let is_hr = hrs.iter().any(|(id, _, _)| id == d);
                let is_ks = ks.iter().any(|x| &x.id == d);
                // A HelmRelease depending on a Kustomization is KR-ORD-003.
                if !is_hr && !is_ks {
                    out.push(ctx.finding(
                        &Self::META,
                        o,
                        format!("dependsOn HelmRelease {d}, which the repository does not define"),
                    ));
                }
            }
        }
    }
}

use std::collections::HashMap;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports custom resources applied by a Flux Kustomization when the
    /// CustomResourceDefinition of their kind is applied by another Kustomization that is not
    /// a (transitive) `dependsOn` of the first.
    ///
    /// ## Why is this bad?
    /// On a fresh cluster (or after a rebuild) the two Kustomizations reconcile in any order:
    /// the dry-run of the custom resource fails with `no matches for kind` and the
    /// Kustomization is stuck until someone retries by hand. Within one Kustomization Flux
    /// applies CRDs first, so only the cross-Kustomization case is a problem.
    ///
    /// ## Example
    /// `infra-configs` applies a `ClusterIssuer`; cert-manager's CRDs come from
    /// `infra-controllers`; `infra-configs` has no `dependsOn`.
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   dependsOn:
    ///     - name: infra-controllers
    /// ```
    pub struct CrdNotDependency {
        code: "KR-ORD-005",
        name: "crd-from-non-dependency",
        family: Ordering,
        severity: Error,
        enabled: true,
    }
}

impl Rule for CrdNotDependency {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        // (group, kind) → the Kustomization applying its CRD.
        let mut crds: HashMap<(String, String), String> = HashMap::new();
        for o in ctx.of_kind("CustomResourceDefinition") {
            if let Some(origin) = &o.origin {
                let group = o.value.str_at(&["spec", "group"]).unwrap_or("").to_string();
                let kind = o
                    .value
                    .str_at(&["spec", "names", "kind"])
                    .unwrap_or("")
                    .to_string();
                crds.insert((group, kind), origin.clone());
            }
        }
        if crds.is_empty() {
            return;
        }
        for (_, o) in ctx.objects() {
            let Some(origin) = &o.origin else { continue };
            let group = util::group(util::api_version(&o.value)).to_string();
            let kind = util::kind(&o.value).to_string();
            let Some(crd_ks) = crds.get(&(group, kind.clone())) else {
                continue;
            };
            if !super::applied_before(ctx, crd_ks, origin) {
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!(
                        "the CRD of {kind} is applied by Kustomization {crd_ks}, which {origin} does not depend on"
                    ),
                ));
            }
        }
    }
}

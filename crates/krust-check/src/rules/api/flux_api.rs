use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports Flux objects written with a beta API version that current Flux releases
    /// deprecate or no longer serve (`kustomize.toolkit.fluxcd.io/v1beta2`,
    /// `helm.toolkit.fluxcd.io/v2beta1`, `source.toolkit.fluxcd.io/v1beta2`, …).
    ///
    /// ## Why is this bad?
    /// After a Flux upgrade (`flux install`, flux-operator) the old version is no longer served:
    /// the objects fail to apply and the cluster stops reconciling. `flux migrate` exists for a
    /// reason.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: helm.toolkit.fluxcd.io/v2beta1
    /// kind: HelmRelease
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: helm.toolkit.fluxcd.io/v2
    /// kind: HelmRelease
    /// ```
    pub struct FluxApi {
        code: "KR-API-003",
        name: "flux-api-deprecated",
        family: Api,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for FluxApi {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            let api = util::api_version(&o.value);
            if let Some((_, new)) = super::FLUX_CHANGES.iter().find(|(old, _)| *old == api) {
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!(
                        "{api} {} is a deprecated Flux API version that current Flux no longer serves; use {new}",
                        util::kind(&o.value)
                    ),
                ));
            }
        }
    }
}

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports objects using a Kubernetes API version that the target `--kube-version` no
    /// longer serves (e.g. `policy/v1beta1` PodDisruptionBudget since 1.25,
    /// `autoscaling/v2beta2` since 1.26, `flowcontrol.apiserver.k8s.io/v1beta3` since 1.32).
    ///
    /// ## Why is this bad?
    /// The API server answers `no matches for kind`; the Kustomization fails on every
    /// reconciliation, typically right after a k3s upgrade.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1beta1
    /// kind: PodDisruptionBudget
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// ```
    pub struct RemovedApi {
        code: "KR-API-001",
        name: "removed-api",
        family: Api,
        severity: Error,
        enabled: true,
    }
}

impl Rule for RemovedApi {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let version = &ctx.schemas.version;
        for (_, o) in ctx.objects() {
            let api = util::api_version(&o.value);
            let kind = util::kind(&o.value);
            if let Some(c) = super::removed_api(api, kind, version) {
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!(
                        "{api} {kind} was removed in Kubernetes 1.{} (target {version}); use {}",
                        c.removed, c.replacement
                    ),
                ));
            }
        }
    }
}

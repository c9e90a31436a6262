use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports objects using a Kubernetes API version (or kind) that is deprecated in the target
    /// `--kube-version` but still served, e.g. core `v1` Endpoints since 1.33.
    ///
    /// ## Why is this bad?
    /// A deprecated API is removed a few releases later; the next k3s upgrade then wedges the
    /// Kustomization. Migrating now is cheap.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Endpoints
    /// ```
    ///
    /// ## Use instead
    /// The replacement named in the message (here `discovery.k8s.io/v1` EndpointSlice).
    pub struct DeprecatedApi {
        code: "KR-API-002",
        name: "deprecated-api",
        family: Api,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for DeprecatedApi {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let version = &ctx.schemas.version;
        for (_, o) in ctx.objects() {
            let api = util::api_version(&o.value);
            let kind = util::kind(&o.value);
            if let Some(c) = super::deprecated_api(api, kind, version) {
                let when = if c.removed == 0 {
                    String::new()
                } else {
                    format!(", removed in 1.{}", c.removed)
                };
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!(
                        "{api} {kind} is deprecated since Kubernetes 1.{}{when}; use {}",
                        c.deprecated, c.replacement
                    ),
                ));
            }
        }
    }
}

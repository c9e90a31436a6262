use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports objects whose `apiVersion`/`kind` has no schema: not a Kubernetes kind of the
    /// target version, not in the bundled CRD catalog, and not defined by a
    /// CustomResourceDefinition in the repository. (API versions Kubernetes removed are
    /// reported by `KR-API-001` instead.)
    ///
    /// ## Why is this bad?
    /// Either the kind is misspelt (`Deploymnet`, `networking.k8s.io/v1beta1`), or its CRD is
    /// installed by something krust cannot see (a Helm chart, a remote URL) and the object
    /// could not be validated. An unknown kind is never silently passed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deploymnet
    /// ```
    ///
    /// ## Use instead
    /// Fix the spelling; for CRDs installed by a chart, vendor the CRD into the repository or
    /// suppress the finding with `krust.dev/ignore: KR-SCH-003` on the object.
    pub struct UnknownKind {
        code: "KR-SCH-003",
        name: "unknown-kind",
        family: Schema,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for UnknownKind {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for outcome in ctx.schema_outcomes() {
            if outcome.source.is_some() {
                continue;
            }
            let o = &ctx.input.objects[outcome.index];
            let api = util::api_version(&o.value);
            let kind = util::kind(&o.value);
            if crate::rules::api::removed_api(api, kind, &ctx.schemas.version).is_some() {
                continue;
            }
            let group = util::group(api);
            let msg = if ctx.schemas.is_core_group(group) {
                format!(
                    "{api} {kind} is not a Kubernetes {} kind",
                    ctx.schemas.version
                )
            } else {
                format!(
                    "no schema for {api} {kind}: not in the bundled CRD catalog and no CustomResourceDefinition in the repository defines it"
                )
            };
            out.push(ctx.finding(&Self::META, o, msg));
        }
    }
}

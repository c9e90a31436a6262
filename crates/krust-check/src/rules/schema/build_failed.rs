use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports kustomization directories that fail to build (missing resource files, patches
    /// whose target does not exist, conflicting ids, bad generator input). The message is
    /// krust-kustomize's, which matches `kustomize build`'s.
    ///
    /// ## Why is this bad?
    /// Flux cannot build the Kustomization either: it reports `kustomize build failed` and
    /// applies nothing from it. `krust check` exits with status 2 when a build fails, since the
    /// objects it would have produced could not be checked.
    ///
    /// ## Example
    /// ```yaml
    /// resources:
    ///   - deployment.yaml
    ///   - servcie.yaml   # no such file
    /// ```
    ///
    /// ## Use instead
    /// Fix the kustomization so that `krust build DIR` succeeds.
    pub struct BuildFailed {
        code: "KR-SCH-005",
        name: "build-failed",
        family: Schema,
        severity: Error,
        enabled: true,
    }
}

impl Rule for BuildFailed {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for p in &ctx.input.build_errors {
            out.push(ctx.file_finding(&Self::META, &p.path, p.line, p.message.clone()));
        }
    }
}

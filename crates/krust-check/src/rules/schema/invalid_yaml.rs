use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports YAML files of the repository that do not parse (syntax errors, tabs used for
    /// indentation, duplicate anchors, invalid encoding).
    ///
    /// ## Why is this bad?
    /// kustomize and Flux fail on the first unparsable file they read, so the whole
    /// Kustomization that includes it stops reconciling.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   name: web
    ///  namespace: apps     # wrong indentation
    /// ```
    ///
    /// ## Use instead
    /// Fix the syntax at the reported line (an editor with YAML support shows it), or move files
    /// that are not manifests (templates) out of the repository's manifest paths.
    pub struct InvalidYaml {
        code: "KR-SCH-004",
        name: "invalid-yaml",
        family: Schema,
        severity: Error,
        enabled: true,
    }
}

impl Rule for InvalidYaml {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for p in &ctx.input.parse_errors {
            out.push(ctx.file_finding(&Self::META, &p.path, p.line, p.message.clone()));
        }
    }
}

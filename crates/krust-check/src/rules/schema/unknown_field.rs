use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// In strict mode (the default; `[schema] strict = false` or `--no-strict` turns it off),
    /// reports fields that the object's schema does not declare: typos (`contianers`),
    /// misplaced fields (`resources` on the pod instead of the container), fields of another
    /// API version.
    ///
    /// ## Why is this bad?
    /// kustomize-controller applies with server-side apply and field validation: an undeclared
    /// field fails the dry-run (`field not declared in schema`) and wedges the Kustomization.
    /// Where it does not fail, the field is silently dropped and the setting you wrote never
    /// takes effect.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       contianers: []
    /// ```
    ///
    /// ## Use instead
    /// Spell the field as the schema does (`containers`), or move it to where it belongs.
    pub struct UnknownField {
        code: "KR-SCH-002",
        name: "unknown-field",
        family: Schema,
        severity: Error,
        enabled: true,
    }
}

impl Rule for UnknownField {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if !ctx.strict {
            return;
        }
        for outcome in ctx.schema_outcomes() {
            let o = &ctx.input.objects[outcome.index];
            for e in outcome.errors.iter().filter(|e| e.unknown_field).take(20) {
                out.push(ctx.field_finding(&Self::META, o, e.path.clone(), e.message.clone()));
            }
        }
    }
}

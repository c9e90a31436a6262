use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Validates every object offline against the JSON schema of its kind: core Kubernetes for
    /// `--kube-version`, the bundled CRD catalog, and CRDs defined in the repository itself.
    /// Reports wrong types, values outside an enum, missing required fields, malformed base64
    /// in Secret `data`, and values breaking a pattern or bound.
    ///
    /// ## Why is this bad?
    /// The API server rejects the object at apply time; Flux marks the whole Kustomization as
    /// failed and nothing after it in the `dependsOn` chain reconciles.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   replicas: "2"      # a string
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   replicas: 2
    /// ```
    pub struct SchemaViolation {
        code: "KR-SCH-001",
        name: "schema-violation",
        family: Schema,
        severity: Error,
        enabled: true,
    }
}

impl Rule for SchemaViolation {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for outcome in ctx.schema_outcomes() {
            let o = &ctx.input.objects[outcome.index];
            for e in outcome.errors.iter().filter(|e| !e.unknown_field).take(20) {
                out.push(ctx.field_finding(
                    &Self::META,
                    o,
                    e.path.clone(),
                    format!("{}: {}", e.path, e.message),
                ));
            }
        }
    }
}

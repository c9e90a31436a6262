use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports `spec.postBuild.substituteFrom` entries of Flux Kustomizations that name a
    /// ConfigMap or Secret the repository does not define (in the Kustomization's namespace),
    /// unless the entry is `optional: true`.
    ///
    /// ## Why is this bad?
    /// kustomize-controller fails with `substitute from 'ConfigMap/cluster-vars' failed: not
    /// found` and applies nothing.
    ///
    /// ## Example
    /// ```yaml
    /// postBuild:
    ///   substituteFrom:
    ///     - kind: ConfigMap
    ///       name: cluster-settings   # defined as cluster-vars
    /// ```
    ///
    /// ## Use instead
    /// Name the existing object, create it in `flux-system` (applied by a Kustomization this
    /// one depends on), or mark the entry `optional: true`.
    pub struct SubstituteFromMissing {
        code: "KR-SUB-003",
        name: "substitute-from-missing",
        family: Substitution,
        severity: Error,
        enabled: true,
    }
}

impl Rule for SubstituteFromMissing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for k in ctx.flux_kustomizations() {
            let ns = match util::namespace(&k.object.value) {
                "" => "flux-system",
                n => n,
            };
            for (i, r) in k
                .object
                .value
                .get_path(&["spec", "postBuild", "substituteFrom"])
                .and_then(Value::as_seq)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if r.get("optional") == Some(&Value::Bool(true)) {
                    continue;
                }
                let kind = r.str_at(&["kind"]).unwrap_or("");
                let name = r.str_at(&["name"]).unwrap_or("");
                if ctx.find(kind, ns, name).is_empty() {
                    out.push(ctx.field_finding(
                        &Self::META,
                        k.object,
                        format!("spec.postBuild.substituteFrom[{i}]"),
                        format!(
                            "substituteFrom {kind} {ns}/{name} is not defined in the repository"
                        ),
                    ));
                }
            }
        }
    }
}

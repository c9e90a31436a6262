use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// In objects applied by a Flux Kustomization with `spec.postBuild`, reports `${VAR}`
    /// expressions (upper-case names, the Flux convention) that have no default and that
    /// neither `postBuild.substitute` nor the `substituteFrom` ConfigMaps/Secrets define.
    /// Skipped when a `substituteFrom` object is encrypted or not in the repository (its keys
    /// are unknown).
    ///
    /// ## Why is this bad?
    /// With `--strict-substitution` (or Flux's `strict` mode) the build fails with
    /// `variable not set`; without it the expression is silently replaced by an empty string —
    /// an empty hostname, an empty image tag, an empty password.
    ///
    /// ## Example
    /// ```yaml
    /// host: app.${CLUSTER_DOMAIN}     # CLUSTER_DOMAIN is not in cluster-vars
    /// ```
    ///
    /// ## Use instead
    /// Define the variable in `postBuild.substitute` or the referenced ConfigMap, or give a
    /// default: `${CLUSTER_DOMAIN:=example.com}`.
    pub struct UndefinedVariable {
        code: "KR-SUB-001",
        name: "undefined-variable",
        family: Substitution,
        severity: Error,
        enabled: true,
    }
}

impl Rule for UndefinedVariable {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut cache = std::collections::HashMap::new();
        for (_, o) in ctx.objects() {
            let Some(ks) = super::substituting_ks(ctx, o) else {
                continue;
            };
            let (vars, complete) = cache
                .entry(ks.id.clone())
                .or_insert_with(|| super::provided_vars(ctx, ks))
                .clone();
            if !complete {
                continue;
            }
            let mut path = String::new();
            let mut hits = Vec::new();
            // Before substitution, where the `${…}` expressions are still visible.
            let value = o.unsubstituted.as_ref().unwrap_or(&o.value);
            util::walk_strings(value, &mut path, &mut |p, s| {
                for d in super::dollars(s) {
                    let flux_like = !d.name.is_empty()
                        && d.name
                            .chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                    if flux_like && !d.has_default && !vars.contains(&d.name) {
                        hits.push((p.to_string(), d.name.clone()));
                    }
                }
            });
            hits.dedup();
            for (p, name) in hits {
                out.push(ctx.field_finding(
                    &Self::META,
                    o,
                    p,
                    format!("${{{name}}} is not defined by Kustomization {} (substitute/substituteFrom)", ks.id),
                ));
            }
        }
    }
}

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// In objects applied by a Flux Kustomization with `spec.postBuild`, reports `$` sequences
    /// that Flux's substitution rewrites although they were meant for a shell, an application
    /// config or a template: `${var}` with a lower-case or positional name (`${HOME}` is
    /// reported by `KR-SUB-001`), `${#arr[@]}`-style expressions, and bare `$$`, which becomes
    /// `$`.
    ///
    /// ## Why is this bad?
    /// Flux substitutes the whole rendered YAML, scripts and config files in ConfigMaps
    /// included: `${var}` becomes an empty string (or fails the build), and the script that
    /// runs is not the one in Git.
    ///
    /// ## Example
    /// ```yaml
    /// data:
    ///   entrypoint.sh: |
    ///     for f in ${files}; do echo "$$"; done
    /// ```
    ///
    /// ## Use instead
    /// Escape as `$${files}` (Flux prints `${files}`), or disable substitution for the object
    /// with the annotation `kustomize.toolkit.fluxcd.io/substitute: disabled`.
    pub struct DollarEaten {
        code: "KR-SUB-002",
        name: "dollar-rewritten-by-flux",
        family: Substitution,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for DollarEaten {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            let Some(ks) = super::substituting_ks(ctx, o) else {
                continue;
            };
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
                    if !flux_like {
                        hits.push((p.to_string(), d.text.clone()));
                    }
                }
            });
            hits.dedup();
            for (p, text) in hits {
                let what = if text == "$$" {
                    "`$$` becomes `$`".to_string()
                } else {
                    format!("`{text}` is substituted (escape it as `${text}`)")
                };
                out.push(ctx.field_finding(
                    &Self::META,
                    o,
                    p,
                    format!("{what} by Kustomization {}'s postBuild", ks.id),
                ));
            }
        }
    }
}

//! `KR-ORD`: reconciliation ordering (Flux `dependsOn`, healthChecks, CRDs, namespaces).

pub mod crd_not_dependency;
pub mod depends_on_cycle;
pub mod depends_on_missing;
pub mod health_check_unrendered;
pub mod helmrelease_depends_on_ks;
pub mod namespace_missing;

use std::collections::{BTreeSet, HashMap};

use crate::context::{depends_on, Context, FLUX_HELM_GROUP};
use crate::util;
use crate::CheckedObject;

/// The Flux HelmReleases: (`namespace/name`, object, dependsOn).
pub fn helm_releases<'a>(ctx: &'a Context<'a>) -> Vec<(String, &'a CheckedObject, Vec<String>)> {
    ctx.of_kind("HelmRelease")
        .filter(|o| util::group(util::api_version(&o.value)) == FLUX_HELM_GROUP)
        .map(|o| {
            let ns = match util::namespace(&o.value) {
                "" => ctx.effective_namespace(o),
                n => n.to_string(),
            };
            (
                format!("{ns}/{}", util::name(&o.value)),
                o,
                depends_on(&o.value),
            )
        })
        .collect()
}

/// The Kustomizations reconciled before `id` is: its `dependsOn`, the Kustomization that
/// applies it (its parent), and theirs, transitively (not including `id`).
pub fn transitive_deps(ctx: &Context<'_>, id: &str) -> BTreeSet<String> {
    let graph: HashMap<&str, Vec<String>> = ctx
        .flux_kustomizations()
        .iter()
        .map(|k| {
            let mut before = k.depends_on.clone();
            if let Some(parent) = &k.object.origin {
                if parent != &k.id {
                    before.push(parent.clone());
                }
            }
            (k.id.as_str(), before)
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut todo = vec![id.to_string()];
    while let Some(cur) = todo.pop() {
        for d in graph.get(cur.as_str()).into_iter().flatten() {
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

/// Whether Kustomization `earlier` is reconciled no later than `later` (same one, a
/// transitive dependency, or an ancestor that applies it).
pub fn applied_before(ctx: &Context<'_>, earlier: &str, later: &str) -> bool {
    earlier == later || transitive_deps(ctx, later).contains(earlier)
}

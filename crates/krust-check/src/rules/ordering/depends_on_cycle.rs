use std::collections::{BTreeMap, BTreeSet};

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports cycles in `spec.dependsOn` among Flux Kustomizations, and among HelmReleases.
    ///
    /// ## Why is this bad?
    /// Every member of the cycle waits for another: none of them ever reconciles, and Flux
    /// only says `dependency ... is not ready`.
    ///
    /// ## Example
    /// `apps` depends on `infra`, `infra` depends on `monitoring`, `monitoring` depends on
    /// `apps`.
    ///
    /// ## Use instead
    /// Break the cycle: move the shared objects into a Kustomization that the others depend on.
    pub struct DependsOnCycle {
        code: "KR-ORD-002",
        name: "depends-on-cycle",
        family: Ordering,
        severity: Error,
        enabled: true,
    }
}

/// Strongly connected components with more than one node (or a self-loop), as sorted lists.
fn cycles(graph: &BTreeMap<String, Vec<String>>) -> Vec<Vec<String>> {
    // Simple reachability-based SCCs: graphs here are small (≤ a few hundred nodes).
    let reach = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.to_string()];
        while let Some(c) = todo.pop() {
            for d in graph.get(&c).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|k| (k, reach(k))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for k in graph.keys() {
        if done.contains(k) || !reachable[k].contains(k) {
            continue;
        }
        let comp: Vec<String> = graph
            .keys()
            .filter(|o| reachable[k].contains(*o) && reachable[*o].contains(k))
            .cloned()
            .collect();
        done.extend(comp.iter().cloned());
        out.push(comp);
    }
    out
}

impl Rule for DependsOnCycle {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let ks = ctx.flux_kustomizations();
        let graph: BTreeMap<String, Vec<String>> = ks
            .iter()
            .map(|k| (k.id.clone(), k.depends_on.clone()))
            .collect();
        for comp in cycles(&graph) {
            if let Some(k) = ks.iter().find(|k| k.id == comp[0]) {
                out.push(ctx.finding(
                    &Self::META,
                    k.object,
                    format!(
                        "dependsOn cycle between Kustomizations {}",
                        comp.join(" → ")
                    ),
                ));
            }
        }
        let hrs = super::helm_releases(ctx);
        let graph: BTreeMap<String, Vec<String>> = hrs
            .iter()
            .map(|(id, _, d)| (id.clone(), d.clone()))
            .collect();
        for comp in cycles(&graph) {
            if let Some((_, o, _)) = hrs.iter().find(|(id, _, _)| *id == comp[0]) {
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!("dependsOn cycle between HelmReleases {}", comp.join(" → ")),
                ));
            }
        }
    }
}

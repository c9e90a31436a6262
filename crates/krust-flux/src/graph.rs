//! `dependsOn` ordering for Kustomizations and HelmReleases.

use std::collections::{HashMap, VecDeque};

use crate::model::NamespacedName;

/// A problem in a `dependsOn` graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A `dependsOn` entry names an object that does not exist.
    #[error("{kind} '{from}' depends on '{missing}', which is not defined in the repository")]
    Missing {
        /// `Kustomization` or `HelmRelease`.
        kind: &'static str,
        /// The object with the dangling reference.
        from: NamespacedName,
        /// The reference.
        missing: NamespacedName,
    },
    /// The objects form a cycle (listed in cycle order, first repeated at the end).
    #[error("{kind} dependency cycle: {}", display_cycle(.cycle))]
    Cycle {
        /// `Kustomization` or `HelmRelease`.
        kind: &'static str,
        /// The cycle.
        cycle: Vec<NamespacedName>,
    },
}

fn display_cycle(cycle: &[NamespacedName]) -> String {
    cycle
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// Orders `nodes` (name, dependencies) so that every object comes after what it depends on;
/// among independent objects the input order is kept. Missing targets and cycles are reported
/// (all missing targets, then at most one cycle); the returned order then holds every node that
/// could be placed, followed by the rest in input order.
pub fn topo_order(
    kind: &'static str,
    nodes: &[(NamespacedName, Vec<NamespacedName>)],
) -> (Vec<usize>, Vec<GraphError>) {
    let index: HashMap<&NamespacedName, usize> =
        nodes.iter().enumerate().map(|(i, (n, _))| (n, i)).collect();
    let mut errors = Vec::new();
    let mut indegree = vec![0usize; nodes.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, (name, deps)) in nodes.iter().enumerate() {
        for d in deps {
            match index.get(d) {
                Some(&j) => {
                    indegree[i] += 1;
                    dependents[j].push(i);
                }
                None => errors.push(GraphError::Missing {
                    kind,
                    from: name.clone(),
                    missing: d.clone(),
                }),
            }
        }
    }
    // Kahn's algorithm with a FIFO queue seeded in input order keeps the output stable.
    let mut queue: VecDeque<usize> = (0..nodes.len()).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(nodes.len());
    let mut placed = vec![false; nodes.len()];
    while let Some(i) = queue.pop_front() {
        order.push(i);
        placed[i] = true;
        for &k in &dependents[i] {
            indegree[k] -= 1;
            if indegree[k] == 0 {
                queue.push_back(k);
            }
        }
    }
    if order.len() < nodes.len() {
        if let Some(cycle) = find_cycle(nodes, &index, &placed) {
            errors.push(GraphError::Cycle { kind, cycle });
        }
        order.extend((0..nodes.len()).filter(|&i| !placed[i]));
    }
    (order, errors)
}

/// Walks dependencies from an unplaced node until a node repeats (every unplaced node has an
/// unplaced dependency, so the walk must loop).
fn find_cycle(
    nodes: &[(NamespacedName, Vec<NamespacedName>)],
    index: &HashMap<&NamespacedName, usize>,
    placed: &[bool],
) -> Option<Vec<NamespacedName>> {
    let start = (0..nodes.len()).find(|&i| !placed[i])?;
    let mut seen_at: HashMap<usize, usize> = HashMap::new();
    let mut path: Vec<usize> = Vec::new();
    let mut cur = start;
    loop {
        if let Some(&pos) = seen_at.get(&cur) {
            let mut cycle: Vec<NamespacedName> =
                path[pos..].iter().map(|&i| nodes[i].0.clone()).collect();
            cycle.push(nodes[cur].0.clone());
            return Some(cycle);
        }
        seen_at.insert(cur, path.len());
        path.push(cur);
        cur = nodes[cur]
            .1
            .iter()
            .filter_map(|d| index.get(d).copied())
            .find(|&j| !placed[j])?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> NamespacedName {
        NamespacedName::parse(s, "flux-system")
    }

    #[test]
    fn orders_chain_and_keeps_input_order() {
        let nodes = vec![
            (n("apps"), vec![n("configs")]),
            (n("configs"), vec![n("controllers")]),
            (n("controllers"), vec![]),
            (n("other"), vec![]),
        ];
        let (order, errors) = topo_order("Kustomization", &nodes);
        assert!(errors.is_empty());
        assert_eq!(order, vec![2, 3, 1, 0]);
    }

    #[test]
    fn reports_cycles_and_missing() {
        let nodes = vec![(n("a"), vec![n("b")]), (n("b"), vec![n("a"), n("x/ghost")])];
        let (order, errors) = topo_order("Kustomization", &nodes);
        assert_eq!(order.len(), 2);
        assert_eq!(
            errors[0].to_string(),
            "Kustomization 'flux-system/b' depends on 'x/ghost', which is not defined in the repository"
        );
        assert_eq!(
            errors[1].to_string(),
            "Kustomization dependency cycle: flux-system/a -> flux-system/b -> flux-system/a"
        );
    }
}

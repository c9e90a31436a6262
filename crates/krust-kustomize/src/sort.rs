//! Output order: kustomize's `legacy` order (kinds in a fixed priority list first, webhooks
//! last, everything else by group/version/kind and then namespace/name) and `fifo` (input order).

use std::collections::HashMap;

use crate::error::{Error, ErrorKind, Result};
use crate::kustomization::SortOptions;
use crate::resource::{Gvk, ResId, Resource};

/// Kinds the legacy order puts first, in this order.
pub const DEFAULT_ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds the legacy order puts last, in this order.
pub const DEFAULT_ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Applies `sortOptions` (validated as kustomize validates them).
pub fn apply_sort_options(resources: &mut Vec<Resource>, options: &SortOptions) -> Result<()> {
    match options.order.as_str() {
        "fifo" => {
            if options.legacy.is_some() {
                return Err(Error::new(
                    ErrorKind::Transform,
                    "the field 'sortOptions.legacySortOptions' is set but the selected sort \
                     order is 'fifo', not 'legacy'",
                ));
            }
            Ok(())
        }
        "legacy" => {
            match &options.legacy {
                Some(l) => legacy_sort(resources, &l.order_first, &l.order_last),
                None => legacy_sort(resources, DEFAULT_ORDER_FIRST, DEFAULT_ORDER_LAST),
            }
            Ok(())
        }
        _ => Err(Error::new(
            ErrorKind::Transform,
            "the field 'sortOptions.order' must be one of [fifo, legacy]",
        )),
    }
}

/// Sorts in kustomize's legacy order.
pub fn legacy_sort<S: AsRef<str>>(resources: &mut Vec<Resource>, first: &[S], last: &[S]) {
    let mut rank: HashMap<&str, i64> = HashMap::new();
    let n = first.len() as i64;
    for (i, k) in first.iter().enumerate() {
        rank.insert(k.as_ref(), i as i64 - n);
    }
    for (i, k) in last.iter().enumerate() {
        rank.insert(k.as_ref(), 1 + i as i64);
    }
    // Precompute keys once, and sort positions rather than the (large) resources themselves.
    let keys: Vec<Key> = resources.iter().map(|r| Key::new(&r.id(), &rank)).collect();
    let mut order: Vec<usize> = (0..resources.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp_legacy(&keys[b]));
    let mut slots: Vec<Option<Resource>> =
        std::mem::take(resources).into_iter().map(Some).collect();
    resources.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

struct Key {
    rank: i64,
    gvk: Gvk,
    gvk_sort: String,
    id_sort: String,
}

impl Key {
    fn new(id: &ResId, rank: &HashMap<&str, i64>) -> Key {
        Key {
            rank: rank.get(id.gvk.kind.as_str()).copied().unwrap_or(0),
            gvk: id.gvk.clone(),
            gvk_sort: gvk_sort_string(&id.gvk),
            id_sort: id_sort_string(id),
        }
    }

    fn cmp_legacy(&self, o: &Key) -> std::cmp::Ordering {
        if self.gvk != o.gvk {
            if self.rank != o.rank {
                return self.rank.cmp(&o.rank);
            }
            if self.gvk.kind == "Namespace"
                && o.gvk.kind == "Namespace"
                && (self.gvk.group.is_empty() || o.gvk.group.is_empty())
            {
                return o.gvk_sort.cmp(&self.gvk_sort);
            }
            return self.gvk_sort.cmp(&o.gvk_sort);
        }
        self.id_sort.cmp(&o.id_sort)
    }
}

fn gvk_sort_string(g: &Gvk) -> String {
    let or = |s: &str, d: &str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}_{}_{}",
        or(&g.group, "~G"),
        or(&g.version, "~V"),
        or(&g.kind, "~K")
    )
}

fn id_sort_string(id: &ResId) -> String {
    let ns = if id.namespace.is_empty() {
        "~X"
    } else {
        &id.namespace
    };
    let nm = if id.name.is_empty() { "~N" } else { &id.name };
    format!("{}|{ns}|{nm}", gvk_string(&id.gvk))
}

/// kustomize's `Gvk.String()`: `kind.version.group` with `[noKind]`-style fillers.
pub fn gvk_string(g: &Gvk) -> String {
    let or = |s: &str, d: &str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}.{}.{}",
        or(&g.kind, "[noKind]"),
        or(&g.version, "[noVer]"),
        or(&g.group, "[noGrp]")
    )
}

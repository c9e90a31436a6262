use std::collections::HashMap;

use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports namespaced objects whose namespace is created by nothing in the repository, or
    /// only by a Flux Kustomization that is not applied before theirs (not the same one and not
    /// a transitive `dependsOn`). Namespaces k3s and Flux create (`default`, `kube-system`,
    /// `kube-public`, `kube-node-lease`, `flux-system`) and namespaces created by a
    /// HelmRelease (`install.createNamespace`) or an Argo CD `CreateNamespace=true` sync option
    /// count as existing. `[rules.KR-ORD-006] existing = [...]` adds others.
    ///
    /// ## Why is this bad?
    /// The apply fails with `namespaces "x" not found`; on a fresh cluster the Kustomization is
    /// stuck until the namespace appears by accident.
    ///
    /// ## Example
    /// A Deployment in `monitoring` and no `Namespace/monitoring` anywhere.
    ///
    /// ## Use instead
    /// Add the Namespace next to the objects (or in a Kustomization they depend on).
    pub struct NamespaceMissing {
        code: "KR-ORD-006",
        name: "namespace-not-created",
        family: Ordering,
        severity: Error,
        enabled: true,
    }
}

const BUILTIN: [&str; 5] = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "flux-system",
];

impl Rule for NamespaceMissing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let extra = ctx.config.option_strings(Self::META.code, "existing");
        // namespace → origins creating it (None: created outside any Kustomization).
        let mut created: HashMap<String, Vec<Option<String>>> = HashMap::new();
        for o in ctx.of_kind("Namespace") {
            created
                .entry(util::name(&o.value).to_string())
                .or_default()
                .push(o.origin.clone());
        }
        for o in ctx.of_kind("HelmRelease") {
            if o.value.get_path(&["spec", "install", "createNamespace"]) == Some(&Value::Bool(true))
            {
                let ns = o
                    .value
                    .str_at(&["spec", "targetNamespace"])
                    .map(str::to_string)
                    .unwrap_or_else(|| ctx.effective_namespace(o));
                created.entry(ns).or_default().push(None);
            }
        }
        // Argo CD runs in the namespace of its Applications.
        for o in ctx.of_kind("Application").chain(ctx.of_kind("AppProject")) {
            if util::group(util::api_version(&o.value)) == "argoproj.io" {
                created
                    .entry(ctx.effective_namespace(o))
                    .or_default()
                    .push(None);
            }
        }
        for o in ctx.of_kind("Application") {
            let opts = o
                .value
                .get_path(&["spec", "syncPolicy", "syncOptions"])
                .and_then(Value::as_seq);
            if opts
                .into_iter()
                .flatten()
                .any(|s| s.as_str() == Some("CreateNamespace=true"))
            {
                if let Some(ns) = o.value.str_at(&["spec", "destination", "namespace"]) {
                    created.entry(ns.to_string()).or_default().push(None);
                }
            }
        }
        for (_, o) in ctx.objects() {
            let kind = util::kind(&o.value);
            if util::is_cluster_scoped(kind) || kind == "Namespace" {
                continue;
            }
            let ns = ctx.effective_namespace(o);
            if BUILTIN.contains(&ns.as_str()) || extra.contains(&ns) {
                continue;
            }
            match created.get(&ns) {
                None => out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!("namespace `{ns}` is not created by any object in the repository"),
                )),
                Some(origins) => {
                    let Some(mine) = &o.origin else { continue };
                    let ok = origins.iter().any(|c| match c {
                        None => true,
                        Some(c) => super::applied_before(ctx, c, mine),
                    });
                    if !ok {
                        let by: Vec<&str> = origins.iter().flatten().map(String::as_str).collect();
                        out.push(ctx.finding(
                            &Self::META,
                            o,
                            format!(
                                "namespace `{ns}` is created by Kustomization {}, which {mine} does not depend on",
                                by.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
    }
}

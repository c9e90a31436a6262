use std::collections::HashMap;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports custom resources applied by a Flux Kustomization when the
    /// CustomResourceDefinition of their kind is applied by another Kustomization that is not
    /// a (transitive) `dependsOn` of the first — or installed by a HelmRelease of a well-known
    /// chart (cert-manager, kube-prometheus-stack, traefik, metallb, longhorn, cloudnative-pg,
    /// external-secrets, kyverno, …) applied by the same Kustomization or one that is not a
    /// dependency.
    ///
    /// ## Why is this bad?
    /// On a fresh cluster (or after a rebuild) the two Kustomizations reconcile in any order:
    /// the dry-run of the custom resource fails with `no matches for kind` and the
    /// Kustomization is stuck until someone retries by hand. Within one Kustomization Flux
    /// applies CRDs first, so only the cross-Kustomization case is a problem.
    ///
    /// ## Example
    /// `infra-configs` applies a `ClusterIssuer`; cert-manager's CRDs come from
    /// `infra-controllers`; `infra-configs` has no `dependsOn`.
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   dependsOn:
    ///     - name: infra-controllers
    /// ```
    pub struct CrdNotDependency {
        code: "KR-ORD-005",
        name: "crd-from-non-dependency",
        family: Ordering,
        severity: Error,
        enabled: true,
    }
}

/// API groups and the charts that install their CRDs.
const CHART_CRDS: &[(&[&str], &[&str])] = &[
    (
        &["cert-manager.io", "acme.cert-manager.io"],
        &["cert-manager"],
    ),
    (&["trust.cert-manager.io"], &["trust-manager"]),
    (
        &["traefik.io", "traefik.containo.us"],
        &["traefik", "traefik-crds"],
    ),
    (
        &["monitoring.coreos.com"],
        &[
            "kube-prometheus-stack",
            "prometheus-operator-crds",
            "prometheus-operator",
        ],
    ),
    (&["metallb.io"], &["metallb"]),
    (&["longhorn.io"], &["longhorn"]),
    (&["postgresql.cnpg.io"], &["cloudnative-pg"]),
    (&["external-secrets.io"], &["external-secrets"]),
    (&["kyverno.io"], &["kyverno"]),
    (&["bitnami.com"], &["sealed-secrets"]),
    (&["velero.io"], &["velero"]),
    (&["tailscale.com"], &["tailscale-operator"]),
    (
        &["operator.victoriametrics.com"],
        &["victoria-metrics-operator", "victoria-metrics-k8s-stack"],
    ),
    (&["linkerd.io", "policy.linkerd.io"], &["linkerd-crds"]),
    (&["snapshot.storage.k8s.io"], &["snapshot-controller"]),
    (&["upgrade.cattle.io"], &["system-upgrade-controller"]),
];

impl Rule for CrdNotDependency {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        // (group, kind) → the Kustomization applying its CRD.
        let mut crds: HashMap<(String, String), String> = HashMap::new();
        for o in ctx.of_kind("CustomResourceDefinition") {
            if let Some(origin) = &o.origin {
                let group = o.value.str_at(&["spec", "group"]).unwrap_or("").to_string();
                let kind = o
                    .value
                    .str_at(&["spec", "names", "kind"])
                    .unwrap_or("")
                    .to_string();
                crds.insert((group, kind), origin.clone());
            }
        }
        // API group → Kustomizations applying a HelmRelease of a chart known to install it.
        let mut charts: HashMap<&str, Vec<(String, String)>> = HashMap::new();
        for o in ctx.of_kind("HelmRelease") {
            let Some(origin) = &o.origin else { continue };
            let chart = o
                .value
                .str_at(&["spec", "chart", "spec", "chart"])
                .unwrap_or("");
            for (groups, names) in CHART_CRDS {
                if names.contains(&chart) {
                    for g in *groups {
                        charts
                            .entry(g)
                            .or_default()
                            .push((origin.clone(), util::name(&o.value).to_string()));
                    }
                }
            }
        }
        if crds.is_empty() && charts.is_empty() {
            return;
        }
        for (_, o) in ctx.objects() {
            let Some(origin) = &o.origin else { continue };
            let group = util::group(util::api_version(&o.value)).to_string();
            let kind = util::kind(&o.value).to_string();
            let Some(crd_ks) = crds.get(&(group.clone(), kind.clone())) else {
                // No CRD object in the repository: is it installed by a chart?
                let Some(releases) = charts.get(group.as_str()) else {
                    continue;
                };
                let ok = releases
                    .iter()
                    .any(|(ks, _)| ks != origin && super::applied_before(ctx, ks, origin));
                if !ok {
                    let (ks, hr) = &releases[0];
                    let why = if ks == origin {
                        format!(
                            "the HelmRelease {hr} that installs it is applied in the same Kustomization, so the CRD does not exist yet when {origin} is applied"
                        )
                    } else {
                        format!("it is installed by HelmRelease {hr} from Kustomization {ks}, which {origin} does not depend on")
                    };
                    out.push(ctx.finding(&Self::META, o, format!("the CRD of {kind} ({group}) is not installed before this object: {why}")));
                }
                continue;
            };
            if !super::applied_before(ctx, crd_ks, origin) {
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!(
                        "the CRD of {kind} is applied by Kustomization {crd_ks}, which {origin} does not depend on"
                    ),
                ));
            }
        }
    }
}

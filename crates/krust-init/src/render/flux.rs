//! The Flux layout: HelmRepository + HelmRelease per chart, and `clusters/<env>/` Kustomizations
//! ordered by `dependsOn` and gated by health checks.

use std::fmt::Write as _;

use super::{kustomization, q, Chart, Ctx};
use crate::config::{IngressController, KyvernoMode, StorageKind};

/// A HelmRepository.
pub(super) fn helm_repo(name: &str, ns: &str, url: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  interval: 12h\n  url: {url}\n"
    )
}

/// The HelmRelease of a chart, pinned to its exact version.
pub(super) fn helm_release(c: &Chart) -> String {
    let mut s = format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {}\n  namespace: {}\nspec:\n  interval: 1h\n  timeout: 10m\n  chart:\n    spec:\n      chart: {}\n      version: {}\n      sourceRef:\n        kind: HelmRepository\n        name: {}\n  install:\n    crds: CreateReplace\n    remediation:\n      retries: 3\n  upgrade:\n    crds: CreateReplace\n    remediation:\n      retries: 3\n",
        c.name,
        c.namespace,
        c.chart,
        q(c.version),
        c.repo
    );
    if !c.depends_on.is_empty() {
        s.push_str("  dependsOn:\n");
        for d in c.depends_on {
            let _ = writeln!(s, "    - name: {d}");
        }
    }
    s.push_str(c.flux_extra);
    if !c.values.is_empty() {
        s.push_str("  values:\n");
        s.push_str(&super::indent(&c.values, 4));
    }
    s
}

const FLUX_KS_HEAD: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n";
const HR_API: &str = "helm.toolkit.fluxcd.io/v2";

/// A health check: apiVersion, kind, name, namespace (empty for cluster-scoped objects).
type Health<'a> = (&'a str, &'a str, &'a str, &'a str);

fn flux_ks(name: &str, path: &str, depends: &[&str], health: &[Health]) -> String {
    let mut s = format!(
        "{FLUX_KS_HEAD}metadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  retryInterval: 1m\n  timeout: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: {path}\n  prune: true\n  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n"
    );
    if !depends.is_empty() {
        s.push_str("  dependsOn:\n");
        for d in depends {
            let _ = writeln!(s, "    - name: {d}");
        }
    }
    if health.is_empty() {
        s.push_str("  wait: true\n");
    } else {
        s.push_str("  healthChecks:\n");
        for (api, kind, name, ns) in health {
            let _ = write!(
                s,
                "    - apiVersion: {api}\n      kind: {kind}\n      name: {name}\n"
            );
            if !ns.is_empty() {
                let _ = writeln!(s, "      namespace: {ns}");
            }
        }
    }
    s
}

/// `clusters/<env>/`: the GitRepository and the Kustomizations of every layer.
pub(super) fn cluster_entry(cx: &mut Ctx, env: &str) {
    let cfg = cx.cfg;
    let g = &cfg.git;
    let secret_ref = if g.url.starts_with("ssh://") {
        "  secretRef:\n    name: flux-system\n"
    } else {
        ""
    };
    cx.put(
        &format!("clusters/{env}/flux-system/gotk-sync.yaml"),
        format!(
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  ref:\n    branch: {}\n{secret_ref}  url: {}\n---\n{FLUX_KS_HEAD}metadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./clusters/{env}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
            q(&g.branch),
            q(&g.url)
        ),
    );
    cx.put(
        &format!("clusters/{env}/flux-system/kustomization.yaml"),
        kustomization(&["gotk-sync.yaml".into()], ""),
    );
    let c = &cfg.components;
    let mut ctrl_health = Vec::new();
    if c.cert_manager {
        ctrl_health.push((HR_API, "HelmRelease", "cert-manager", "cert-manager"));
    }
    if c.kyverno != KyvernoMode::Off {
        ctrl_health.push((HR_API, "HelmRelease", "kyverno", "kyverno"));
    }
    if c.storage.kind == StorageKind::Longhorn {
        ctrl_health.push((HR_API, "HelmRelease", "longhorn", "longhorn-system"));
    }
    if cfg.ingress.controller == IngressController::IngressNginx {
        ctrl_health.push((HR_API, "HelmRelease", "ingress-nginx", "ingress-nginx"));
    }
    if c.tailscale.is_some() {
        ctrl_health.push((
            "apps/v1",
            "Deployment",
            "tailscale-subnet-router",
            "tailscale",
        ));
    }
    let mut cfg_health = Vec::new();
    if c.linkerd {
        cfg_health.push((HR_API, "HelmRelease", "linkerd-control-plane", "linkerd"));
    }
    let issuer = cx.issuer();
    if let Some(issuer) = issuer {
        cfg_health.push(("cert-manager.io/v1", "ClusterIssuer", issuer, ""));
    }
    let infra = format!(
        "{}---\n{}",
        flux_ks(
            "infra-controllers",
            &format!("./infrastructure/controllers/{env}"),
            &[],
            &ctrl_health,
        ),
        flux_ks(
            "infra-configs",
            &format!("./infrastructure/configs/{env}"),
            &["infra-controllers"],
            &cfg_health,
        )
    );
    cx.put(&format!("clusters/{env}/infrastructure.yaml"), infra);
    let mut res = vec!["flux-system".to_string(), "infrastructure.yaml".to_string()];
    if let Some(a) = &cfg.app {
        cx.put(
            &format!("clusters/{env}/apps.yaml"),
            flux_ks(
                "apps",
                &format!("./apps/{env}"),
                &["infra-configs"],
                &[("apps/v1", "Deployment", &a.name, &a.name)],
            ),
        );
        res.push("apps.yaml".into());
    }
    if c.monitoring.enabled {
        cx.put(
            &format!("clusters/{env}/monitoring.yaml"),
            flux_ks(
                "monitoring",
                &format!("./monitoring/controllers/{env}"),
                &["infra-configs"],
                &[(HR_API, "HelmRelease", "kube-prometheus-stack", "monitoring")],
            ),
        );
        res.push("monitoring.yaml".into());
    }
    cx.put(
        &format!("clusters/{env}/kustomization.yaml"),
        kustomization(&res, ""),
    );
}

/// README: the Flux steps of one environment's bootstrap.
pub(super) fn bootstrap(cx: &Ctx, env: &str, s: &mut String) {
    let c = &cx.cfg.cluster;
    let _ = write!(
        s,
        "3. Install Flux and give it the age key and Git credentials:\n\n   ```sh\n   flux check --pre\n   flux install\n   kubectl -n flux-system create secret generic sops-age --from-file=age.agekey=\"$HOME/.config/sops/age/{name}.agekey\"\n   flux create secret git flux-system --url={url} --private-key-file=\"$HOME/.ssh/id_ed25519\"\n   kubectl apply -k clusters/{env}/flux-system\n   ```\n\n4. Watch: `flux get kustomizations --watch`.\n",
        name = c.name,
        url = cx.cfg.git.url
    );
}

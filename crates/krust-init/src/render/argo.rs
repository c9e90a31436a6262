//! The Argo CD layout: an app-of-apps per environment.
//!
//! `clusters/<env>/` holds the `root` Application (it syncs `clusters/<env>/` itself), the
//! AppProjects, Argo CD's own Application (the argo-cd chart, from the same `values.yaml` the
//! bootstrap `helm install` used) and one Application per layer: `infra-controllers` (wave 1),
//! `infra-configs` (wave 2), `apps` and `monitoring` (wave 3). Each chart is an Application with a
//! Helm source pinned to an exact version. Argo CD only waits for a wave's Applications to be
//! Healthy with the `argoproj.io_Application` health customization, which `values.yaml` sets.
//!
//! Inside a layer: Namespaces are wave -3, the sops-secrets-operator Application -2, SopsSecrets
//! -1 (with `SkipDryRunOnMissingResource`, their CRD arrives with the operator), everything else 0.

use std::fmt::Write as _;

use super::netpol::{head, ports};
use super::{indent, kustomization, q, resources, Chart, Ctx, NetNeeds, RESOURCES_SMALL};
use crate::config::IngressController;
use crate::render::versions;

/// The in-cluster API server, as Argo CD names it.
const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// The Argo CD sync-wave annotation line (4-space indent, under `annotations:`).
pub(super) fn wave(w: i32) -> String {
    format!("    argocd.argoproj.io/sync-wave: {}\n", q(&w.to_string()))
}

/// `syncPolicy` with automated prune and self-heal, retries, and the given sync options.
fn sync_policy(options: &[&str]) -> String {
    let mut s = String::from(
        "  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n    retry:\n      limit: 10\n      backoff:\n        duration: 30s\n        factor: 2\n        maxDuration: 10m\n",
    );
    if !options.is_empty() {
        s.push_str("    syncOptions:\n");
        for o in options {
            let _ = writeln!(s, "      - {o}");
        }
    }
    s
}

/// `metadata` of an Application in `argocd`; `finalizer` makes deleting it delete what it synced.
fn app_meta(name: &str, w: i32, finalizer: bool) -> String {
    let mut s = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n  annotations:\n{}",
        wave(w)
    );
    if finalizer {
        s.push_str("  finalizers:\n    - resources-finalizer.argocd.argoproj.io\n");
    }
    s
}

/// The Application that installs a chart (a Helm source pinned to the exact chart version).
pub(super) fn chart_application(c: &Chart) -> String {
    let mut s = app_meta(c.name, c.wave, true);
    let _ = write!(
        s,
        "spec:\n  project: platform\n  source:\n    repoURL: {}\n    chart: {}\n    targetRevision: {}\n    helm:\n      releaseName: {}\n",
        c.repo_url,
        c.chart,
        q(c.version),
        c.name
    );
    if !c.values.is_empty() {
        s.push_str("      valuesObject:\n");
        s.push_str(&indent(&c.values, 8));
    }
    let _ = write!(
        s,
        "  destination:\n    server: {IN_CLUSTER}\n    namespace: {}\n",
        c.namespace
    );
    // Server-side apply: several charts ship CRDs too large for the last-applied annotation.
    s.push_str(&sync_policy(&[
        "CreateNamespace=false",
        "ServerSideApply=true",
    ]));
    s
}

/// An Application that syncs a directory of this repository.
fn layer_application(cx: &Ctx, name: &str, project: &str, path: &str, w: i32, ns: &str) -> String {
    let g = &cx.cfg.git;
    let mut s = app_meta(name, w, true);
    let _ = write!(
        s,
        "spec:\n  project: {project}\n  source:\n    repoURL: {}\n    targetRevision: {}\n    path: {path}\n  destination:\n    server: {IN_CLUSTER}\n",
        q(&g.url),
        q(&g.branch)
    );
    if !ns.is_empty() {
        let _ = writeln!(s, "    namespace: {ns}");
    }
    s.push_str(&sync_policy(&["CreateNamespace=false", "PruneLast=true"]));
    s
}

/// Chart repositories the `platform` project may read.
fn chart_repos(cx: &Ctx) -> Vec<&'static str> {
    let c = &cx.cfg.components;
    let mut v = vec![
        "https://argoproj.github.io/argo-helm",
        "https://isindir.github.io/sops-secrets-operator/",
    ];
    if c.cert_manager {
        v.push("https://charts.jetstack.io");
    }
    if c.kyverno != crate::config::KyvernoMode::Off {
        v.push("https://kyverno.github.io/kyverno/");
    }
    if c.storage.kind == crate::config::StorageKind::Longhorn {
        v.push("https://charts.longhorn.io");
    }
    if cx.cfg.ingress.controller == IngressController::IngressNginx {
        v.push("https://kubernetes.github.io/ingress-nginx");
    }
    if c.monitoring.enabled {
        v.push("https://prometheus-community.github.io/helm-charts");
    }
    v
}

fn projects(cx: &Ctx) -> String {
    let url = q(&cx.cfg.git.url);
    let mut platform = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: platform\n  namespace: argocd\n  annotations:\n{}spec:\n  description: Argo CD itself, infrastructure controllers and configs, monitoring\n  sourceRepos:\n    - {url}\n",
        wave(-2)
    );
    for r in chart_repos(cx) {
        let _ = writeln!(platform, "    - {r}");
    }
    let _ = write!(
        platform,
        "  destinations:\n    - server: {IN_CLUSTER}\n      namespace: \"*\"\n  clusterResourceWhitelist:\n    - group: \"*\"\n      kind: \"*\"\n"
    );
    let Some(a) = &cx.cfg.app else {
        return platform;
    };
    format!(
        "{platform}---\napiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: apps\n  namespace: argocd\n  annotations:\n{}spec:\n  description: Workloads; confined to their namespace\n  sourceRepos:\n    - {url}\n  destinations:\n    - server: {IN_CLUSTER}\n      namespace: {}\n  clusterResourceWhitelist:\n    - group: \"\"\n      kind: Namespace\n",
        wave(-2),
        a.name
    )
}

/// Health of an Application = its `status.health` (Argo CD ≥ 1.8 no longer assesses it, so
/// without this an app-of-apps does not wait for a wave before starting the next one).
const APP_HEALTH_LUA: &str = "hs = {}\nhs.status = \"Progressing\"\nhs.message = \"\"\nif obj.status ~= nil then\n  if obj.status.health ~= nil then\n    hs.status = obj.status.health.status\n    if obj.status.health.message ~= nil then\n      hs.message = obj.status.health.message\n    end\n  end\nend\nreturn hs\n";

/// Values of the argo-cd chart.
fn argocd_values(cx: &Ctx, env: &str) -> String {
    let host = cx.host("argocd", env);
    let class = match cx.cfg.ingress.controller {
        IngressController::Traefik => "traefik",
        IngressController::IngressNginx => "nginx",
    };
    let (annotations, tls) = match cx.issuer() {
        Some(i) => (
            format!("    annotations:\n      cert-manager.io/cluster-issuer: {i}\n"),
            "true",
        ),
        None => (String::new(), "false"),
    };
    let r2 = indent(RESOURCES_SMALL, 2);
    let controller = indent(&resources("100m", "256Mi", "\"1\"", "1Gi"), 2);
    let repo = indent(&resources("50m", "128Mi", "500m", "512Mi"), 2);
    format!(
        "# Generated by krust init. Values of the argo-cd chart {chart}: the bootstrap `helm install`\n# reads this file, then the `argocd` Application keeps Argo CD in sync with it.\nglobal:\n  domain: {host}\nconfigs:\n  params:\n    # TLS ends at the ingress controller.\n    server.insecure: true\n  cm:\n    resource.customizations.health.argoproj.io_Application: |\n{lua}dex:\n  enabled: false\nnotifications:\n  enabled: false\ncontroller:\n{controller}repoServer:\n{repo}server:\n{r2}  ingress:\n    enabled: true\n    ingressClassName: {class}\n{annotations}    tls: {tls}\napplicationSet:\n{r2}redis:\n{r2}redisSecretInit:\n{r2}",
        chart = versions::ARGO_CD,
        lua = indent(APP_HEALTH_LUA, 6),
    )
}

/// `clusters/<env>/`: Argo CD itself, the projects, the root Application and the layers.
pub(super) fn cluster_entry(cx: &mut Ctx, env: &str) {
    let cfg = cx.cfg;
    let g = &cfg.git;
    let dir = format!("clusters/{env}/argocd");
    let ns = cx.namespace("argocd", &[], &[]);
    cx.put(&format!("{dir}/namespace.yaml"), ns);
    let values = argocd_values(cx, env);
    cx.put(&format!("{dir}/values.yaml"), values);
    let mut app = app_meta("argocd", -1, false);
    let _ = write!(
        app,
        "spec:\n  project: platform\n  sources:\n    - repoURL: https://argoproj.github.io/argo-helm\n      chart: argo-cd\n      targetRevision: {}\n      helm:\n        releaseName: argocd\n        valueFiles:\n          - $values/{dir}/values.yaml\n    - repoURL: {}\n      targetRevision: {}\n      ref: values\n  destination:\n    server: {IN_CLUSTER}\n    namespace: argocd\n",
        q(versions::ARGO_CD),
        q(&g.url),
        q(&g.branch)
    );
    app.push_str(&sync_policy(&[
        "CreateNamespace=false",
        "ServerSideApply=true",
    ]));
    cx.put(&format!("{dir}/application.yaml"), app);
    let mut files = vec!["namespace.yaml".to_string(), "application.yaml".to_string()];
    if cfg.components.default_deny {
        let np = cx.network_policies(&NetNeeds {
            ns: "argocd",
            ingress_ports: vec![8080],
            ..Default::default()
        });
        // The repo-server clones the repository and pulls charts; nothing else leaves the cluster.
        let mut git_ports = vec![("TCP", Some(443))];
        if g.url.starts_with("ssh://") {
            git_ports.push(("TCP", Some(22)));
        }
        let np = format!(
            "{np}---\n{}  egress:\n{}{}",
            head(
                "allow-repo-server-egress",
                "argocd",
                Some(("app.kubernetes.io/name", "argocd-repo-server")),
                &["Egress"]
            ),
            cx.internet_peer(),
            ports(&git_ports, 6)
        );
        cx.put(&format!("{dir}/network-policies.yaml"), np);
        files.push("network-policies.yaml".into());
    }
    cx.put(
        &format!("{dir}/kustomization.yaml"),
        kustomization(&files, ""),
    );

    let projects = projects(cx);
    cx.put(&format!("clusters/{env}/projects.yaml"), projects);
    let mut root = app_meta("root", 0, false);
    let _ = write!(
        root,
        "spec:\n  project: platform\n  source:\n    repoURL: {}\n    targetRevision: {}\n    path: clusters/{env}\n  destination:\n    server: {IN_CLUSTER}\n    namespace: argocd\n",
        q(&g.url),
        q(&g.branch)
    );
    root.push_str(&sync_policy(&["CreateNamespace=false"]));
    cx.put(&format!("clusters/{env}/root.yaml"), root);
    let infra = format!(
        "{}---\n{}",
        layer_application(
            cx,
            "infra-controllers",
            "platform",
            &format!("infrastructure/controllers/{env}"),
            1,
            ""
        ),
        layer_application(
            cx,
            "infra-configs",
            "platform",
            &format!("infrastructure/configs/{env}"),
            2,
            ""
        )
    );
    cx.put(&format!("clusters/{env}/infrastructure.yaml"), infra);
    let mut res = vec![
        "argocd".to_string(),
        "projects.yaml".into(),
        "root.yaml".into(),
        "infrastructure.yaml".into(),
    ];
    if let Some(a) = &cfg.app {
        let app = layer_application(cx, "apps", "apps", &format!("apps/{env}"), 3, &a.name);
        cx.put(&format!("clusters/{env}/apps.yaml"), app);
        res.push("apps.yaml".into());
    }
    if cfg.components.monitoring.enabled {
        let m = layer_application(
            cx,
            "monitoring",
            "platform",
            &format!("monitoring/controllers/{env}"),
            3,
            "monitoring",
        );
        cx.put(&format!("clusters/{env}/monitoring.yaml"), m);
        res.push("monitoring.yaml".into());
    }
    cx.put(
        &format!("clusters/{env}/kustomization.yaml"),
        kustomization(&res, ""),
    );
}

/// README: the Argo CD steps of one environment's bootstrap.
pub(super) fn bootstrap(cx: &Ctx, env: &str, s: &mut String) {
    let c = &cx.cfg.cluster;
    let url = &cx.cfg.git.url;
    let _ = write!(
        s,
        "3. Give the sops-secrets-operator the age key (it decrypts every `*.sops.yaml` SopsSecret in the\n   cluster; Argo CD itself never sees a plaintext secret):\n\n   ```sh\n   kubectl create namespace sops-secrets-operator\n   kubectl -n sops-secrets-operator create secret generic sops-age --from-file=age.agekey=\"$HOME/.config/sops/age/{name}.agekey\"\n   ```\n\n4. Install Argo CD {app} (chart argo-cd {chart}) with the values Argo CD will keep managing:\n\n   ```sh\n   helm repo add argo https://argoproj.github.io/argo-helm\n   helm install argocd argo/argo-cd --version {chart} --namespace argocd --create-namespace \\\n     --values clusters/{env}/argocd/values.yaml\n   ```\n\n",
        name = c.name,
        app = versions::ARGO_CD_APP,
        chart = versions::ARGO_CD,
    );
    if url.starts_with("ssh://") {
        let _ = write!(
            s,
            "   Give the repo-server read access to the repository (a deploy key):\n\n   ```sh\n   kubectl -n argocd create secret generic repo-{name} --from-literal=type=git --from-literal=url={url} --from-file=sshPrivateKey=\"$HOME/.ssh/id_ed25519\"\n   kubectl -n argocd label secret repo-{name} argocd.argoproj.io/secret-type=repository\n   ```\n\n",
            name = c.name
        );
    }
    let _ = write!(
        s,
        "5. Hand the cluster to Argo CD: `kubectl apply -k clusters/{env}` creates the projects and the\n   `root` Application, which syncs everything else in sync-wave order.\n6. Watch: `kubectl -n argocd get applications -w` (every Application Synced and Healthy).\n"
    );
}

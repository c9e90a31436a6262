//! End-to-end `build` of generated trees through the library: the base of 1,000 ×
//! {Deployment, Service, ConfigMap, ServiceAccount} (4,000 resources) and an overlay of it with
//! namespace, namePrefix, `labels` with includeSelectors, commonAnnotations, an `images` entry and
//! 100 strategic merge patches — the trees `scripts/bench-vs-kustomize` compares with kustomize.
//! A third tree, `wired`, adds a component (annotations + a targeted JSON patch on every
//! Deployment) and 100 replacements (ConfigMap data copied into Services) on top of the base.
//! Each iteration uses a fresh `Workspace`, so reading and parsing the files is measured too.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use krust_kustomize::{build_to_string, BuildOptions, Workspace};

const APPS: usize = 1000;
const PATCHES: usize = 100;
const REPLACEMENTS: usize = 100;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
    std::fs::write(path, text).expect("write file");
}

/// Writes base/ and overlay/ under a fresh temporary directory and returns it.
fn generate() -> PathBuf {
    let root = std::env::temp_dir().join(format!("krust-bench-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (mut deps, mut svcs, mut cms, mut sas) =
        (String::new(), String::new(), String::new(), String::new());
    for i in 0..APPS {
        let n = format!("app-{i:05}");
        let _ = write!(
            deps,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\n  labels:\n    app: {n}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {n}\n  template:\n    metadata:\n      labels:\n        app: {n}\n    spec:\n      serviceAccountName: {n}\n      containers:\n      - name: main\n        image: registry.example.com/team/app:1.0.{i}\n        envFrom:\n        - configMapRef:\n            name: {n}-config\n        volumeMounts:\n        - name: config\n          mountPath: /etc/app\n      volumes:\n      - name: config\n        configMap:\n          name: {n}-config\n"
        );
        let _ = write!(
            svcs,
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {n}\nspec:\n  selector:\n    app: {n}\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n"
        );
        let _ = write!(
            cms,
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}-config\ndata:\n  LOG_LEVEL: info\n  PORT: \"8080\"\n"
        );
        let _ = write!(
            sas,
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {n}\n"
        );
    }
    let base = root.join("base");
    write(&base.join("deployments.yaml"), &deps);
    write(&base.join("services.yaml"), &svcs);
    write(&base.join("configmaps.yaml"), &cms);
    write(&base.join("serviceaccounts.yaml"), &sas);
    write(
        &base.join("kustomization.yaml"),
        "resources:\n- deployments.yaml\n- services.yaml\n- configmaps.yaml\n- serviceaccounts.yaml\n",
    );
    let overlay = root.join("overlay");
    let mut kust = String::from(
        "resources:\n- ../base\nnamespace: bench\nnamePrefix: prod-\nlabels:\n- pairs:\n    env: prod\n  includeSelectors: true\ncommonAnnotations:\n  team: platform\nimages:\n- name: registry.example.com/team/app\n  newTag: v2.0.0\npatches:\n",
    );
    for k in 0..PATCHES {
        let i = k * (APPS / PATCHES);
        write(
            &overlay.join(format!("patches/patch-{k:03}.yaml")),
            &format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i:05}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: main\n        env:\n        - name: PATCHED\n          value: \"yes\"\n"),
        );
        let _ = writeln!(kust, "- path: patches/patch-{k:03}.yaml");
    }
    write(&overlay.join("kustomization.yaml"), &kust);

    write(
        &root.join("component/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations:\n  component: monitoring\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    - op: add\n      path: /spec/template/metadata/annotations\n      value:\n        prometheus.io/scrape: \"true\"\n",
    );
    let wired = root.join("wired");
    let mut replacements = String::new();
    for k in 0..REPLACEMENTS {
        let i = k * (APPS / REPLACEMENTS);
        let _ = write!(
            replacements,
            "- source:\n    kind: ConfigMap\n    name: app-{i:05}-config\n    fieldPath: data.PORT\n  targets:\n  - select:\n      kind: Service\n      name: app-{i:05}\n    fieldPaths:\n    - spec.ports.[name=http].targetPort\n"
        );
    }
    write(&wired.join("replacements.yaml"), &replacements);
    write(
        &wired.join("kustomization.yaml"),
        "resources:\n- ../base\ncomponents:\n- ../component\nreplacements:\n- path: replacements.yaml\n",
    );
    root
}

fn bench(c: &mut Criterion) {
    let root = generate();
    let options = BuildOptions::default();
    let mut group = c.benchmark_group("build-4000-resources");
    group.sample_size(10);
    for tree in ["base", "overlay", "wired"] {
        let dir = root.join(tree);
        let out =
            build_to_string(&Workspace::new(), &dir, &options).expect("benchmark tree builds");
        assert!(out.matches("\nkind: ").count() + 1 >= 4 * APPS);
        group.bench_function(tree, |b| {
            b.iter(|| build_to_string(&Workspace::new(), &dir, &options).expect("builds"))
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, bench);
criterion_main!(benches);

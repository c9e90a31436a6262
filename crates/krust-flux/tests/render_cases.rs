//! Focused end-to-end cases on small repositories written on the fly: spec overrides, generated
//! kustomizations, dependsOn errors, unresolvable sources, substitution failures.

use std::path::{Path, PathBuf};

use krust_flux::decrypt::NoKeys;
use krust_flux::render::{KsStatus, RenderOptions, RenderedRepo, SourceMapping};
use krust_flux::{render, KustomizeEngine, NamespacedName};

struct Repo(PathBuf);

impl Repo {
    fn new(name: &str, files: &[(&str, &str)]) -> Repo {
        let root =
            std::env::temp_dir().join(format!("krust-flux-case-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        Repo(root)
    }

    fn render(&self, entry: &str, strict: bool, sources: Vec<SourceMapping>) -> RenderedRepo {
        let options = RenderOptions {
            root: self.0.clone(),
            entry: self.0.join(entry),
            strict_substitution: strict,
            sources,
            ..RenderOptions::default()
        };
        render(&options, &KustomizeEngine::new(), &NoKeys)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ks(name: &str, path: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  path: {path}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{extra}"
    )
}

fn errors(repo: &RenderedRepo) -> Vec<String> {
    repo.errors
        .iter()
        .map(|e| {
            e.to_string()
                .replace(&repo.root.display().to_string(), "<root>")
        })
        .collect()
}

const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  url: https://${HOST}/x\n";

#[test]
fn spec_overrides_apply_to_a_generated_kustomization() {
    let extra = "  targetNamespace: team-a\n  namePrefix: a-\n  images:\n    - name: nginx\n      newTag: \"1.27\"\n  patches:\n    - target:\n        kind: Deployment\n      patch: |\n        - op: replace\n          path: /spec/replicas\n          value: 5\n  commonMetadata:\n    annotations:\n      owner: team-a\n";
    let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n";
    let repo = Repo::new(
        "overrides",
        &[
            ("clusters/c/ks.yaml", &ks("app", "./app", extra)),
            ("app/deploy.yaml", dep),
            (
                "app/nested/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n",
            ),
            ("app/README.md", "not yaml"),
        ],
    );
    let out = repo.render("clusters/c", true, Vec::new());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let name = NamespacedName::new("flux-system", "app");
    let objs: Vec<_> = out.objects_of(&name).collect();
    assert_eq!(objs.len(), 2);
    let text = out
        .to_yaml(Some(&name))
        .replace(&repo.path().display().to_string(), "<root>");
    insta::assert_snapshot!("overrides", text);
}

#[test]
fn empty_directory_builds_to_nothing() {
    let repo = Repo::new(
        "empty",
        &[
            ("clusters/c/ks.yaml", &ks("empty", "./nothing", "")),
            ("nothing/.keep", ""),
        ],
    );
    let out = repo.render("clusters/c", false, Vec::new());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.kustomizations[0].object_count, 0);
}

#[test]
fn depends_on_cycles_and_missing_targets_are_errors() {
    let files = format!(
        "{}{}{}",
        ks("a", "./x", "  dependsOn:\n    - name: b\n"),
        ks(
            "b",
            "./x",
            "  dependsOn:\n    - name: a\n    - name: ghost\n      namespace: other\n"
        ),
        ks("c", "./x", "")
    );
    let repo = Repo::new(
        "cycle",
        &[
            ("clusters/c/ks.yaml", &files),
            (
                "x/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n",
            ),
        ],
    );
    let out = repo.render("clusters/c", false, Vec::new());
    assert_eq!(
        errors(&out),
        vec![
            "Kustomization 'flux-system/b' depends on 'other/ghost', which is not defined in the repository".to_string(),
            "Kustomization dependency cycle: flux-system/a -> flux-system/b -> flux-system/a".to_string(),
        ]
    );
}

#[test]
fn foreign_sources_are_reported_or_mapped() {
    let git = "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  url: https://github.com/stefanprodan/podinfo\n  ref:\n    tag: 6.7.0\n";
    let remote = "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  path: ./kustomize\n  sourceRef:\n    kind: GitRepository\n    name: podinfo\n";
    let oci = "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: oci\n  namespace: flux-system\nspec:\n  path: ./\n  sourceRef:\n    kind: OCIRepository\n    name: missing\n";
    let repo = Repo::new(
        "sources",
        &[
            ("clusters/c/src.yaml", &format!("{git}{remote}{oci}")),
            ("vendor/podinfo/kustomize/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo\n  namespace: default\n"),
        ],
    );
    let out = repo.render("clusters/c", false, Vec::new());
    let status: Vec<_> = out
        .kustomizations
        .iter()
        .map(|k| (k.ks.name.name.clone(), k.status.clone()))
        .collect();
    assert_eq!(status[0].0, "oci");
    assert_eq!(
        status[0].1,
        KsStatus::Unresolved("OCIRepository 'flux-system/missing' is not defined in the repository; map it with --source missing=DIR".into())
    );
    assert_eq!(
        status[1].1,
        KsStatus::Unresolved("GitRepository 'flux-system/podinfo' (https://github.com/stefanprodan/podinfo) is not this repository; map it with --source podinfo=DIR".into())
    );
    let mapped = repo.render(
        "clusters/c",
        false,
        vec![SourceMapping {
            selector: "podinfo".into(),
            dir: repo.path().join("vendor/podinfo"),
        }],
    );
    let podinfo = mapped
        .kustomizations
        .iter()
        .find(|k| k.ks.name.name == "podinfo")
        .expect("podinfo");
    assert_eq!(podinfo.status, KsStatus::Rendered);
    assert_eq!(podinfo.object_count, 1);
}

#[test]
fn substitution_errors_name_the_kustomization_file_and_step() {
    let from =
        "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: settings\n";
    let repo = Repo::new(
        "subst",
        &[
            ("clusters/c/ks.yaml", &ks("app", "./app", from)),
            ("app/cm.yaml", CM),
        ],
    );
    let out = repo.render("clusters/c", false, Vec::new());
    assert_eq!(
        errors(&out),
        vec!["Kustomization 'flux-system/app' (<root>/clusters/c/ks.yaml): substitute failed: substitute from 'ConfigMap/settings' error: configmaps \"settings\" not found (not rendered from this repository)".to_string()]
    );

    let inline = "  postBuild:\n    substitute:\n      OTHER: x\n";
    let repo = Repo::new(
        "strict",
        &[
            ("clusters/c/ks.yaml", &ks("app", "./app", inline)),
            ("app/cm.yaml", CM),
        ],
    );
    let lenient = repo.render("clusters/c", false, Vec::new());
    assert!(lenient.errors.is_empty());
    let cm = lenient
        .objects
        .iter()
        .find(|o| o.value.str_at(&["kind"]) == Some("ConfigMap"))
        .expect("cm");
    assert_eq!(cm.value.str_at(&["data", "url"]), Some("https:///x"));
    let strict = repo.render("clusters/c", true, Vec::new());
    assert_eq!(
        errors(&strict),
        vec!["Kustomization 'flux-system/app' (<root>/app/cm.yaml): substitute failed: post build failed for 'ConfigMap.v1.[noGrp]/app': envsubst error: variable substitution failed: variable not set (strict mode): \"HOST\"".to_string()]
    );
}

#[test]
fn variables_from_a_later_kustomization_wait_for_it() {
    // `app` is found first but its variables come from `settings`, rendered after it.
    let app = ks(
        "app",
        "./app",
        "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: settings\n",
    );
    let settings = ks("settings", "./settings", "");
    let repo = Repo::new(
        "wait",
        &[
            ("clusters/c/ks.yaml", &format!("{app}{settings}")),
            ("app/cm.yaml", CM),
            ("settings/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  HOST: example.org\n"),
        ],
    );
    let out = repo.render("clusters/c", true, Vec::new());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let cm = out
        .objects
        .iter()
        .find(|o| {
            o.value.str_at(&["kind"]) == Some("ConfigMap")
                && o.value.str_at(&["metadata", "name"]) == Some("app")
        })
        .expect("cm");
    assert_eq!(
        cm.value.str_at(&["data", "url"]),
        Some("https://example.org/x")
    );
}

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\n")
}

/// What source-controller leaves out of the artifact (built-in patterns, `.sourceignore` files,
/// the GitRepository's `spec.ignore`, symbolic links) is invisible to the render, as it is to
/// kustomize-controller.
#[test]
fn files_the_source_artifact_leaves_out_are_not_rendered() {
    let sync = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  url: https://example.com/repo.git\n  ignore: |\n    # keep the defaults, re-include one draft\n    !keep.wip.yaml\n";
    let kss = format!(
        "{}{}{}",
        ks("app", "./app", ""),
        ks("listed", "./listed", ""),
        ks("drafts", "./app/drafts", "")
    );
    let (kept, wip, keep, drafted, local, nested, ci) = (
        cm("kept"),
        cm("wip"),
        cm("keep"),
        cm("drafted"),
        cm("local"),
        cm("nested"),
        cm("ci"),
    );
    let repo = Repo::new(
        "sourceignore",
        &[
            ("clusters/c/sync.yaml", sync),
            ("clusters/c/ks.yaml", &kss),
            (".sourceignore", "drafts/\n*.wip.yaml\n"),
            ("app/kept.yaml", &kept),
            ("app/x.wip.yaml", &wip),
            ("app/keep.wip.yaml", &keep),
            ("app/drafts/cm.yaml", &drafted),
            ("app/nested/.sourceignore", "local.yaml\n"),
            ("app/nested/local.yaml", &local),
            ("app/nested/cm.yaml", &nested),
            ("app/.github/ci.yaml", &ci),
            (
                "listed/kustomization.yaml",
                "resources:\n  - kept.yaml\n  - x.wip.yaml\n",
            ),
            ("listed/kept.yaml", &kept),
            ("listed/x.wip.yaml", &wip),
        ],
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        repo.path().join("app/kept.yaml"),
        repo.path().join("app/link.yaml"),
    )
    .expect("symlink");
    let out = repo.render("clusters/c", false, Vec::new());
    let app = NamespacedName::new("flux-system", "app");
    let names: Vec<&str> = out
        .objects_of(&app)
        .filter_map(|o| o.value.str_at(&["metadata", "name"]))
        .collect();
    assert_eq!(names, vec!["keep", "kept", "nested"]);
    assert_eq!(
        errors(&out),
        vec![
            "Kustomization 'flux-system/drafts' (<root>/clusters/c/ks.yaml): generate failed: kustomization path not found: <root>/app/drafts: no such directory".to_string(),
            "Kustomization 'flux-system/listed' (<root>/listed/kustomization.yaml): build failed: kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'x.wip.yaml': '<root>/listed/x.wip.yaml' doesn't exist': must build at directory: not a valid directory: '<root>/listed/x.wip.yaml' doesn't exist".to_string(),
        ]
    );
}

//! A repository root with Flux Kustomizations is checked as krust-flux renders it: objects after
//! `postBuild` substitution (from the repository's ConfigMaps), with the Kustomization applying
//! them, generated kustomizations and `targetNamespace`; the substitution rules still see the
//! `${VAR}` expressions; findings point at the line of the field in the source file.

use std::path::{Path, PathBuf};

use krust_check::{check, input, Config, InputKind, Options};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/check")
        .join(name)
}

fn object<'a>(
    input: &'a krust_check::CheckInput,
    kind: &str,
    name: &str,
) -> &'a krust_check::CheckedObject {
    input
        .objects
        .iter()
        .find(|o| {
            o.value.str_at(&["kind"]) == Some(kind)
                && o.value.str_at(&["metadata", "name"]) == Some(name)
        })
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn objects_are_checked_after_substitution() {
    let input = input::load(&fixture("flux-render")).expect("load");
    assert_eq!(input.kind, Some(InputKind::Repository));
    assert!(input.build_errors.is_empty(), "{:?}", input.build_errors);
    let deploy = object(&input, "Deployment", "podinfo");
    assert_eq!(deploy.origin.as_deref(), Some("flux-system/apps"));
    assert_eq!(deploy.file, Path::new("apps/podinfo/deployment.yaml"));
    assert_eq!(deploy.line, 1);
    // targetNamespace applied, variables substituted from cluster-vars and `substitute`.
    assert_eq!(
        deploy.value.str_at(&["metadata", "namespace"]),
        Some("podinfo")
    );
    let image = deploy
        .value
        .get_path(&["spec", "template", "spec", "containers"])
        .and_then(|c| c.as_seq())
        .and_then(|c| c[0].str_at(&["image"]));
    assert_eq!(image, Some("ghcr.io/example/podinfo:latest"));
    // The value before substitution is kept for the substitution rules.
    let before = deploy.unsubstituted.as_ref().expect("unsubstituted");
    assert_eq!(before.str_at(&["metadata", "name"]), Some("${APP}"));
    // Every object once: the flux-system Kustomization renders clusters/prod, nothing is read
    // again by the folder walk.
    let mut ids: Vec<_> = input
        .objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o.value.str_at(&["kind"]).unwrap_or(""),
                o.value.str_at(&["metadata", "name"]).unwrap_or("")
            )
        })
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "ConfigMap/cluster-vars",
            "Deployment/podinfo",
            "GitRepository/flux-system",
            "Kustomization/apps",
            "Kustomization/flux-system",
            "Namespace/podinfo"
        ]
    );
}

#[test]
fn findings_come_from_the_rendered_objects_at_field_lines() {
    let input = input::load(&fixture("flux-render")).expect("load");
    let report = check(&input, &Config::default(), &Options::default()).expect("check");
    let got: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {}",
                f.file.display(),
                f.line,
                f.code,
                f.field.as_deref().unwrap_or("")
            )
        })
        .collect();
    // `:latest` only exists after substitution; `${OWNER}` is defined nowhere.
    assert_eq!(
        got,
        [
            "apps/podinfo/deployment.yaml:8 KR-SUB-001 metadata.annotations.example.com/owner",
            "apps/podinfo/deployment.yaml:22 KR-IMG-001 spec.template.spec.containers[0].image",
        ],
        "{:#?}",
        report.findings
    );
}

#[test]
fn entries_without_a_bootstrap_kustomization() {
    let dir = std::env::temp_dir().join(format!("krust-check-entries-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |p: &str, text: &str| {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    write(
        "clusters/dev/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 1m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n      NAME: hello\n",
    );
    write(
        "apps/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${NAME}\n  namespace: default\ndata:\n  a: b\n",
    );
    let input = input::load(&dir).expect("load");
    let entries = input::flux_entries(&input.root, &input.files);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(entries, [input.root.join("clusters/dev")]);
    let cm = object(&input, "ConfigMap", "hello");
    assert_eq!(cm.origin.as_deref(), Some("flux-system/apps"));
    assert_eq!(input.objects.len(), 2, "{:#?}", input.objects);
}

#[test]
fn a_failing_kustomization_is_a_build_error_and_its_files_are_still_checked() {
    let input = input::load(&fixture("planted")).expect("load");
    let backup: Vec<_> = input
        .build_errors
        .iter()
        .map(|e| (e.path.clone(), e.message.clone()))
        .collect();
    assert_eq!(backup.len(), 1, "{backup:?}");
    assert_eq!(backup[0].0, Path::new("backup"));
    assert!(
        backup[0]
            .1
            .starts_with("Kustomization flux-system/backup: generate failed:"),
        "{backup:?}"
    );
    let restic = object(&input, "Secret", "restic");
    assert_eq!(restic.origin.as_deref(), Some("flux-system/backup"));
    // The Kustomization whose substituteFrom is missing keeps its objects.
    let grafana = object(&input, "HelmRelease", "grafana");
    assert_eq!(grafana.origin.as_deref(), Some("flux-system/monitoring"));
    // Substituted from cluster-vars; an undefined variable becomes empty (non-strict).
    let ingress = object(&input, "Ingress", "prod-web");
    let host = ingress
        .value
        .get_path(&["spec", "rules"])
        .and_then(|r| r.as_seq())
        .and_then(|r| r[0].str_at(&["host"]));
    assert_eq!(host, Some("web.example.com"));
}

#[test]
fn below_the_repository_root_unresolvable_paths_are_notes_not_errors() {
    let input = input::load(&fixture("planted/clusters/prod")).expect("load");
    assert!(input.build_errors.is_empty(), "{:?}", input.build_errors);
    assert!(
        input
            .notes
            .iter()
            .any(|n| n.starts_with("Kustomization flux-system/apps not rendered")),
        "{:?}",
        input.notes
    );
    // The Kustomizations themselves are still checked.
    object(&input, "Kustomization", "apps");
}

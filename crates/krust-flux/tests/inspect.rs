//! `render_inspect`: what `krust check` asks of a render on top of what the controller does —
//! the values before substitution, and the objects of a Kustomization whose substitution failed.

use std::path::{Path, PathBuf};

use krust_flux::decrypt::NoKeys;
use krust_flux::render::{KsStatus, RenderOptions, RenderedRepo};
use krust_flux::{render, render_inspect, InspectOptions, KustomizeEngine};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/check")
        .join(rel)
}

fn run(repo: &str, inspect: Option<InspectOptions>) -> RenderedRepo {
    let root = fixture(repo);
    let options = RenderOptions {
        entry: root.join("clusters/prod"),
        root,
        ..RenderOptions::default()
    };
    let engine = KustomizeEngine::new();
    match inspect {
        Some(i) => render_inspect(&options, i, &engine, &NoKeys),
        None => render(&options, &engine, &NoKeys),
    }
}

fn names(repo: &RenderedRepo, ks: &str) -> Vec<String> {
    repo.objects
        .iter()
        .filter(|o| o.kustomization.as_ref().map(|k| k.to_string()).as_deref() == Some(ks))
        .map(|o| {
            o.value
                .str_at(&["metadata", "name"])
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn values_before_substitution_are_kept_on_request() {
    let plain = run("flux-render", None);
    assert!(plain.objects.iter().all(|o| o.unsubstituted.is_none()));
    let keep = InspectOptions {
        keep_unsubstituted: true,
        ..InspectOptions::default()
    };
    let repo = run("flux-render", Some(keep));
    let deploy = repo
        .objects
        .iter()
        .find(|o| o.value.str_at(&["kind"]) == Some("Deployment"))
        .expect("deployment");
    assert_eq!(deploy.value.str_at(&["metadata", "name"]), Some("podinfo"));
    let before = deploy.unsubstituted.as_ref().expect("kept");
    assert_eq!(before.str_at(&["metadata", "name"]), Some("${APP}"));
    // Objects substitution left alone carry nothing.
    let ns = repo
        .objects
        .iter()
        .find(|o| o.value.str_at(&["kind"]) == Some("Namespace"))
        .expect("namespace");
    assert!(ns.unsubstituted.is_none());
    // Same objects either way.
    let values = |r: &RenderedRepo| {
        r.objects
            .iter()
            .map(|o| o.value.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&plain), values(&repo));
}

#[test]
fn objects_survive_a_failed_substitution_on_request() {
    // flux-system/monitoring substitutes from a ConfigMap that does not exist.
    let plain = run("planted", None);
    assert!(names(&plain, "flux-system/monitoring").is_empty());
    let keep = InspectOptions {
        keep_objects_on_substitution_error: true,
        ..InspectOptions::default()
    };
    let repo = run("planted", Some(keep));
    assert_eq!(
        names(&repo, "flux-system/monitoring"),
        ["dashboards", "grafana"]
    );
    let ks = repo
        .kustomizations
        .iter()
        .find(|k| k.ks.name.to_string() == "flux-system/monitoring")
        .expect("monitoring");
    assert_eq!(ks.status, KsStatus::Failed);
    // The same errors (and, now that grafana is seen, its dependsOn problem).
    assert!(plain.errors.iter().all(|e| repo.errors.contains(e)));
}

//! Golden tests: the fixture repositories under `tests/fixtures/flux` rendered end to end.

use std::path::{Path, PathBuf};

use krust_flux::decrypt::NoKeys;
use krust_flux::render::{KsStatus, RenderOptions, RenderedRepo};
use krust_flux::sops::SopsDecryptor;
use krust_flux::{render, KustomizeEngine};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn render_flux_with(
    cluster: &str,
    strict: bool,
    require_decryption: bool,
    dec: &(dyn krust_flux::decrypt::Decryptor + Sync),
) -> RenderedRepo {
    let root = fixture("flux");
    let options = RenderOptions {
        entry: root.join("clusters").join(cluster),
        root,
        strict_substitution: strict,
        require_decryption,
        ..RenderOptions::default()
    };
    render(&options, &KustomizeEngine::new(), dec)
}

/// The fixture's committed TEST age key.
fn test_key() -> SopsDecryptor {
    let mut keys = krust_sops::KeySources::new();
    let text = std::fs::read_to_string(fixture("flux/keys/test.agekey")).expect("test key");
    keys.add_age_identities(&text, "test.agekey")
        .expect("age key");
    SopsDecryptor::new(keys)
}

fn render_flux(cluster: &str, strict: bool) -> RenderedRepo {
    render_flux_with(cluster, strict, false, &test_key())
}

/// A stable summary: Kustomizations in order, HelmReleases with merged values, sources,
/// warnings and errors.
fn summary(repo: &RenderedRepo) -> String {
    let mut out = String::new();
    for k in &repo.kustomizations {
        out.push_str(&format!(
            "ks {} path={} deps=[{}] objects={} status={:?}\n",
            k.ks.name,
            k.ks.path,
            k.ks.depends_on
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            k.object_count,
            k.status
        ));
    }
    for h in &repo.helm_releases {
        out.push_str(&format!(
            "hr {} chart={} version={} values:\n{}",
            h.release.name,
            h.release.chart,
            h.release.version,
            h.values
                .as_ref()
                .map(krust_yaml::to_string)
                .unwrap_or_default()
        ));
    }
    for s in &repo.sources {
        out.push_str(&format!(
            "source {} local={}\n",
            s.source.source_ref(),
            s.local_dir
                .as_deref()
                .map(|d| repo.relative_path(d))
                .unwrap_or_else(|| "-".into())
        ));
    }
    for w in &repo.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    for e in &repo.errors {
        out.push_str(&format!("error: {e}\n"));
    }
    out.replace(&repo.root.display().to_string(), "<root>")
}

#[test]
fn flux_staging() {
    let repo = render_flux("staging", true);
    assert!(repo.errors.is_empty(), "{:?}", repo.errors);
    assert!(repo
        .kustomizations
        .iter()
        .all(|k| k.status == KsStatus::Rendered));
    insta::assert_snapshot!("flux_staging_summary", summary(&repo));
    insta::assert_snapshot!("flux_staging_build", repo.to_yaml(None));
}

#[test]
fn flux_staging_without_keys_keeps_secrets_encrypted() {
    let repo = render_flux_with("staging", true, false, &NoKeys);
    assert!(repo.errors.is_empty(), "{:?}", repo.errors);
    insta::assert_snapshot!("flux_staging_nokey_summary", summary(&repo));
    let apps = krust_flux::NamespacedName::new("flux-system", "apps");
    let smtp = repo
        .objects_of(&apps)
        .find(|o| o.value.str_at(&["metadata", "name"]) == Some("podinfo-smtp"))
        .expect("smtp secret");
    let pw = smtp.value.str_at(&["stringData", "password"]).unwrap_or("");
    assert!(pw.starts_with("ENC[AES256_GCM,"), "{pw}");

    let strict = render_flux_with("staging", true, true, &NoKeys);
    insta::assert_snapshot!("flux_staging_require_decryption_errors", summary(&strict));
}

#[test]
fn flux_production() {
    let repo = render_flux("production", true);
    assert!(repo.errors.is_empty(), "{:?}", repo.errors);
    insta::assert_snapshot!("flux_production_summary", summary(&repo));
    insta::assert_snapshot!("flux_production_build", repo.to_yaml(None));
}

fn argo_summary(out: &krust_flux::argo::RenderedArgo) -> String {
    let mut s = String::new();
    for a in &out.apps {
        s.push_str(&format!(
            "app {} wave={} dest={} objects={} parent={}\n",
            a.name,
            a.sync_wave,
            a.destination_namespace,
            a.object_count,
            a.parent
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        ));
        for src in &a.sources {
            s.push_str(&format!(
                "  source {:?} repo={} path={} chart={} local={}\n",
                src.source_type,
                src.repo_url,
                src.path,
                src.chart.as_deref().unwrap_or("-"),
                src.local_dir
                    .as_deref()
                    .map(|d| out.relative_path(d))
                    .unwrap_or_else(|| "-".into())
            ));
        }
        for n in &a.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
    }
    for e in &out.errors {
        s.push_str(&format!("error: {e}\n"));
    }
    s
}

#[test]
fn argo_app_of_apps() {
    let root = fixture("argo");
    let options = krust_flux::argo::ArgoOptions {
        entry: root.join("argocd"),
        root,
        repo_urls: vec!["https://github.com/example/gitops.git".into()],
        sources: Vec::new(),
    };
    let out = krust_flux::argo::render_argo(&options, &KustomizeEngine::new());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    insta::assert_snapshot!("argo_summary", argo_summary(&out));
    insta::assert_snapshot!("argo_build", out.to_yaml(None));
}

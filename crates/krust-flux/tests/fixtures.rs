//! Golden tests: the fixture repositories under `tests/fixtures/flux` rendered end to end.

use std::path::{Path, PathBuf};

use krust_flux::decrypt::NoKeys;
use krust_flux::render::{KsStatus, RenderOptions, RenderedRepo};
use krust_flux::{render, KustomizeEngine};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn render_flux(cluster: &str, strict: bool) -> RenderedRepo {
    let root = fixture("flux");
    let options = RenderOptions {
        entry: root.join("clusters").join(cluster),
        root,
        strict_substitution: strict,
        ..RenderOptions::default()
    };
    render(&options, &KustomizeEngine::new(), &NoKeys)
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
    out
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
fn flux_production() {
    let repo = render_flux("production", true);
    assert!(repo.errors.is_empty(), "{:?}", repo.errors);
    insta::assert_snapshot!("flux_production_summary", summary(&repo));
    insta::assert_snapshot!("flux_production_build", repo.to_yaml(None));
}

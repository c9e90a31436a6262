//! Differential tests: krust's output must equal `kubectl.1.33 kustomize` (kustomize v5.6.0) on
//! the fixtures under `tests/fixtures/kustomize/` at the repository root.
//!
//! Skipped, with a printed reason, when `kubectl.1.33` is not installed. kubectl's default order
//! is legacy, so krust builds with the default [`BuildOptions`] (legacy order) too.

use std::path::{Path, PathBuf};
use std::process::Command;

use krust_kustomize::{build_to_string, BuildOptions, Workspace};

const PEER: &str = "kubectl.1.33";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/kustomize")
}

fn peer_available() -> bool {
    Command::new(PEER)
        .arg("version")
        .arg("--client")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn compare(dir: &str) {
    if !peer_available() {
        eprintln!("skipping differential test {dir}: {PEER} is not installed");
        return;
    }
    let path = fixtures().join(dir);
    let out = Command::new(PEER)
        .arg("kustomize")
        .arg(&path)
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "{PEER} kustomize {dir} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = String::from_utf8_lossy(&out.stdout).to_string();
    let ws = Workspace::new();
    let got = build_to_string(&ws, &path, &BuildOptions::default())
        .unwrap_or_else(|e| panic!("krust failed on {dir}: {e}"));
    if got != want {
        let first = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{dir}: output differs from {PEER} at line {}\n--- want\n{want}\n--- got\n{got}",
            first + 1
        );
    }
}

#[test]
fn overlay_with_generators_prefix_labels_images_replicas_patches() {
    compare("overlay-generators/overlay");
}

#[test]
fn components_and_replacements() {
    compare("components-replacements/app");
}

#[test]
fn crd_patch_with_custom_openapi_list_flattening_and_sort_options() {
    compare("crd-openapi");
}

#[test]
fn builtin_plugin_configs_and_vars() {
    compare("plugins-vars");
}

#[test]
fn bundled_base_reordered_as_kustomize() {
    compare("overlay-generators/base");
}

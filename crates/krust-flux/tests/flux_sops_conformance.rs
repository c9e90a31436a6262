//! kustomize-controller's own SOPS fixture tree, built as one Flux Kustomization with decryption:
//! every Secret/ConfigMap named `sops-*` must have `data.key` equal to "value" (base64 in
//! Secrets), and `sops-patches-secret` must carry `key=merge1` and `merge2=merge2`.
//!
//! Excluded (reported, not silently skipped): `remote/` needs the network; `vault` needs a Vault
//! server (in this fixture `vault.yaml` is stored in plain text, so it passes without one).

use std::path::{Path, PathBuf};

use krust_flux::decrypt::base64_decode;
use krust_flux::render::RenderOptions;
use krust_flux::sops::SopsDecryptor;
use krust_flux::{render, KustomizeEngine};

const FIXTURE: &str = "conformance/sops/fluxcd-kustomize-controller/controller/testdata/sops";

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).expect("copy");
        }
    }
}

#[test]
fn flux_sops_fixture() {
    // `../shared` next to the workspace (or KRUST_SHARED).
    let shared = std::env::var_os("KRUST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let src = shared.join(FIXTURE);
    if !src.is_dir() {
        eprintln!("skipped: {} not present", src.display());
        return;
    }
    let root: PathBuf =
        std::env::temp_dir().join(format!("krust-flux-sops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    copy_tree(&src, &root.join("sops"));
    // `remote/` pulls a URL: drop it from the top-level kustomization (network-only part).
    let k = root.join("sops/kustomization.yaml");
    let text = std::fs::read_to_string(&k)
        .expect("read")
        .replace("  - remote\n", "");
    std::fs::write(&k, text).expect("write");
    std::fs::create_dir_all(root.join("clusters/test")).expect("mkdir");
    std::fs::write(
        root.join("clusters/test/ks.yaml"),
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: sops\n  namespace: flux-system\nspec:\n  path: ./sops\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  decryption:\n    provider: sops\n",
    )
    .expect("write");

    let mut keys = krust_sops::KeySources::new();
    for f in ["age.txt", "age-global.txt", "age-pq.txt"] {
        let t = std::fs::read_to_string(src.join("keys").join(f)).expect("key");
        keys.add_age_identities(&t, f).expect("age key");
    }
    let pgp = std::fs::read_to_string(src.join("keys/pgp.asc")).expect("pgp");
    keys.add_pgp_key(&pgp, "pgp.asc").expect("pgp key");
    let options = RenderOptions {
        entry: root.join("clusters/test"),
        root: root.clone(),
        ..RenderOptions::default()
    };
    let repo = render(&options, &KustomizeEngine::new(), &SopsDecryptor::new(keys));
    let _ = std::fs::remove_dir_all(&root);
    assert!(repo.errors.is_empty(), "{:#?}", repo.errors);

    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for o in repo.objects_of(&krust_flux::NamespacedName::new("flux-system", "sops")) {
        let v = &o.value;
        let kind = v.str_at(&["kind"]).unwrap_or("");
        let name = v.str_at(&["metadata", "name"]).unwrap_or("").to_string();
        if !name.starts_with("sops-") || !(kind == "Secret" || kind == "ConfigMap") {
            continue;
        }
        // As the API server stores it: `stringData` entries override `data`.
        let get = |k: &str| -> Option<String> {
            if kind == "Secret" {
                if let Some(s) = v.get_path(&["stringData", k]).and_then(|x| x.scalar_text()) {
                    return Some(s);
                }
            }
            let raw = v.get_path(&["data", k]).and_then(|x| x.scalar_text())?;
            if kind == "Secret" {
                base64_decode(&raw).map(|b| String::from_utf8_lossy(&b).into_owned())
            } else {
                Some(raw)
            }
        };
        let expected: &[(&str, &str)] = if name == "sops-patches-secret" {
            &[("key", "merge1"), ("merge2", "merge2")]
        } else {
            &[("key", "value")]
        };
        for (k, want) in expected {
            let got = get(k);
            if got.as_deref() != Some(*want) {
                failures.push(format!("{kind}/{name} data.{k} = {got:?}, want {want:?}"));
            }
        }
        checked.push(format!("{kind}/{name}"));
    }
    checked.sort();
    eprintln!("checked {} objects: {checked:?}", checked.len());
    eprintln!("warnings: {:?}", repo.warnings);
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        checked.iter().any(|c| c == "Secret/sops-algo-age-pq"),
        "the post-quantum age Secret was not rendered: {checked:?}"
    );
    assert!(checked.len() >= 8, "{checked:?}");
}

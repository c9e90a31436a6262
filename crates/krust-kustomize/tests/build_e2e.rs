//! End-to-end builds of small file trees: happy paths, and bad input that must give a clear
//! error (never a panic).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use krust_kustomize::{
    build_to_string, BuildOptions, DefaultOrder, ErrorKind, LoadRestrictor, Workspace,
};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory with the given files (`path` → content).
fn tree(files: &[(&str, &[u8])]) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let root = std::env::temp_dir().join(format!("krust-e2e-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (p, content) in files {
        let full = root.join(p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    std::fs::create_dir_all(&root).unwrap();
    root
}

fn fifo() -> BuildOptions {
    BuildOptions {
        default_order: DefaultOrder::Fifo,
        ..BuildOptions::default()
    }
}

fn build(root: &Path, dir: &str) -> Result<String, krust_kustomize::Error> {
    let ws = Workspace::with_virtual_root(root);
    build_to_string(&ws, Path::new(dir), &fifo())
}

const CM: &[u8] = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n";

#[test]
fn resources_and_generated_hash() {
    let root = tree(&[
        (
            "kustomization.yaml",
            b"resources:\n- cm.yaml\nconfigMapGenerator:\n- name: x\n  literals: [a=1]\n",
        ),
        ("cm.yaml", CM),
    ]);
    let out = build(&root, ".").unwrap();
    assert!(out.contains("name: cm\n"), "{out}");
    // Checked with kubectl.1.33 kustomize.
    assert!(out.contains("name: x-h29d89cmmt\n"), "{out}");
}

#[test]
fn legacy_order_puts_namespaces_first() {
    let root = tree(&[
        ("kustomization.yaml", b"resources:\n- all.yaml\n"),
        (
            "all.yaml",
            b"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n",
        ),
    ]);
    let ws = Workspace::with_virtual_root(&root);
    let out = build_to_string(&ws, Path::new("."), &BuildOptions::default()).unwrap();
    assert!(out.starts_with("apiVersion: v1\nkind: Namespace"), "{out}");
}

#[test]
fn missing_and_multiple_kustomization_files() {
    let root = tree(&[("x.yaml", CM)]);
    let e = build(&root, ".").unwrap_err();
    assert_eq!(e.kind, ErrorKind::MissingKustomizationFile);
    let root = tree(&[
        ("kustomization.yaml", b"resources: []\n"),
        ("kustomization.yml", b"resources: []\n"),
    ]);
    let e = build(&root, ".").unwrap_err();
    assert!(
        e.message.contains("Found multiple kustomization files"),
        "{e}"
    );
}

#[test]
fn malformed_yaml_names_the_file() {
    let root = tree(&[
        ("kustomization.yaml", b"resources:\n- bad.yaml\n"),
        ("bad.yaml", b"apiVersion: v1\nkind: [unclosed\n"),
    ]);
    let e = build(&root, ".").unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedYaml);
    assert!(e.message.contains("/bad.yaml"), "{e}");
}

#[test]
fn binary_garbage_is_an_error_not_a_panic() {
    let garbage: Vec<u8> = (0..2048u32).map(|i| (i * 7919 % 251) as u8).collect();
    let root = tree(&[
        ("kustomization.yaml", b"resources:\n- blob.bin\n"),
        ("blob.bin", &garbage),
    ]);
    assert!(build(&root, ".").is_err());
    let root = tree(&[("kustomization.yaml", &garbage)]);
    assert!(build(&root, ".").is_err());
}

#[test]
fn missing_resource_and_unknown_field() {
    let root = tree(&[("kustomization.yaml", b"resources:\n- nope.yaml\n")]);
    let e = build(&root, ".").unwrap_err();
    assert!(e.message.starts_with("accumulating resources"), "{e}");
    let root = tree(&[("kustomization.yaml", b"resourcs:\n- a.yaml\n")]);
    let e = build(&root, ".").unwrap_err();
    assert_eq!(
        e.message,
        "invalid Kustomization: json: unknown field \"resourcs\""
    );
}

#[test]
fn base_cycles_are_detected() {
    let root = tree(&[
        ("a/kustomization.yaml", b"resources:\n- ../b\n"),
        ("b/kustomization.yaml", b"resources:\n- ../a\n"),
    ]);
    let e = build(&root, "a").unwrap_err();
    assert!(e.message.contains("cycle detected"), "{e}");
}

#[test]
fn load_restrictor() {
    let files: &[(&str, &[u8])] = &[
        (
            "shared/p.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: c\n",
        ),
        ("app/cm.yaml", CM),
        (
            "app/kustomization.yaml",
            b"resources:\n- cm.yaml\npatchesStrategicMerge:\n- ../shared/p.yaml\n",
        ),
    ];
    let root = tree(files);
    let e = build(&root, "app").unwrap_err();
    assert!(
        e.message
            .contains("security; file '/shared/p.yaml' is not in or below '/app'"),
        "{e}"
    );
    let ws = Workspace::with_virtual_root(&root);
    let opts = BuildOptions {
        load_restrictor: LoadRestrictor::None,
        ..fifo()
    };
    let out = build_to_string(&ws, Path::new("app"), &opts).unwrap();
    assert!(out.contains("a: c"), "{out}");
}

#[test]
fn duplicate_ids_are_rejected() {
    let root = tree(&[
        ("kustomization.yaml", b"resources:\n- a.yaml\n- b.yaml\n"),
        ("a.yaml", CM),
        ("b.yaml", CM),
    ]);
    let e = build(&root, ".").unwrap_err();
    assert!(
        e.message.contains(
            "may not add resource with an already registered id: ConfigMap.v1.[noGrp]/cm.[noNs]"
        ),
        "{e}"
    );
}

#[test]
fn components_must_be_components() {
    let root = tree(&[
        (
            "kustomization.yaml",
            b"resources:\n- cm.yaml\ncomponents:\n- base\n",
        ),
        ("cm.yaml", CM),
        ("base/kustomization.yaml", b"namePrefix: p-\n"),
    ]);
    let e = build(&root, ".").unwrap_err();
    assert!(
        e.message
            .contains("expected kind 'Component' for path '/base' but got 'Kustomization'"),
        "{e}"
    );
}

#[test]
fn list_kinds_are_flattened_and_empty_documents_skipped() {
    let root = tree(&[
        ("kustomization.yaml", b"resources:\n- l.yaml\n"),
        (
            "l.yaml",
            b"---\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: one\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: two\n",
        ),
    ]);
    let out = build(&root, ".").unwrap();
    assert!(
        out.contains("name: one") && out.contains("name: two"),
        "{out}"
    );
    assert!(!out.contains("List"), "{out}");
}

#[test]
fn workspace_reuses_parsed_files() {
    let root = tree(&[
        ("base/kustomization.yaml", b"resources:\n- cm.yaml\n"),
        ("base/cm.yaml", CM),
        (
            "a/kustomization.yaml",
            b"resources:\n- ../base\nnamePrefix: a-\n",
        ),
        (
            "b/kustomization.yaml",
            b"resources:\n- ../base\nnamePrefix: b-\n",
        ),
    ]);
    let ws = Workspace::with_virtual_root(&root);
    let a = build_to_string(&ws, Path::new("a"), &fifo()).unwrap();
    let cached = ws.cached_files();
    let b = build_to_string(&ws, Path::new("b"), &fifo()).unwrap();
    assert_eq!(ws.cached_files(), cached, "second build parsed nothing new");
    assert!(a.contains("name: a-cm") && b.contains("name: b-cm"));
}

#[test]
fn unsupported_plugins_fail_by_name() {
    let root = tree(&[(
        "kustomization.yaml",
        b"transformers:\n- |-\n  apiVersion: someteam.example.com/v1\n  kind: Sed\n  metadata:\n    name: s\n",
    )]);
    let e = build(&root, ".").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("someteam.example.com/v1/Sed"), "{e}");
}

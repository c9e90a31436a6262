//! Findings about a field point at the line of that field: in the manifest file itself, or, for
//! kustomize-built objects, in the origin file of the resource (the closest existing ancestor
//! when a patch added the field; the document line when nothing of the path is there).

use std::path::{Path, PathBuf};

use krust_check::{check, input, Config, Finding, Options};

struct TempTree(PathBuf);

impl TempTree {
    fn new(name: &str, files: &[(&str, &str)]) -> TempTree {
        let dir = std::env::temp_dir().join(format!("krust-check-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (p, text) in files {
            let p = dir.join(p);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        TempTree(dir)
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn findings(path: &Path, code: &str) -> Vec<Finding> {
    let input = input::load(path).expect("load");
    let report = check(&input, &Config::default(), &Options::default()).expect("check");
    report
        .findings
        .into_iter()
        .filter(|f| f.code == code)
        .collect()
}

const DEPLOYMENT: &str = "\
# A comment, so that the document does not start on line 1.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:latest
          securityContext:
            privileged: true
";

#[test]
fn a_manifest_file_reports_the_field_line() {
    let tree = TempTree::new("file-lines", &[("deploy.yaml", DEPLOYMENT)]);
    let file = tree.0.join("deploy.yaml");
    let img = findings(&file, "KR-IMG-001");
    assert_eq!(img.len(), 1);
    assert_eq!(img[0].line, 16);
    assert_eq!(
        img[0].field.as_deref(),
        Some("spec.template.spec.containers[0].image")
    );
    let privileged = findings(&file, "KR-POL-001");
    assert_eq!(privileged[0].line, 18);
    // A finding about the object (no field) stays at the document's first line.
    let ns = findings(&file, "KR-ORD-006");
    assert_eq!(ns[0].line, 2);
}

#[test]
fn kustomize_output_points_into_the_origin_file() {
    let tree = TempTree::new(
        "built-lines",
        &[
            ("base/deploy.yaml", DEPLOYMENT),
            (
                "base/kustomization.yaml",
                "resources:\n  - deploy.yaml\n",
            ),
            (
                "overlay/kustomization.yaml",
                "resources:\n  - ../base\nnamePrefix: prod-\npatches:\n  - path: sidecar.yaml\n",
            ),
            (
                "overlay/sidecar.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: sidecar\n          image: busybox\n",
            ),
        ],
    );
    let mut img = findings(&tree.0.join("overlay"), "KR-IMG-001");
    img.sort_by_key(|f| f.field.clone());
    assert_eq!(img.len(), 2, "{img:#?}");
    // containers[0] is in the base file (outside the checked directory: an absolute path): the
    // line of its image.
    assert!(img[0].file.ends_with("base/deploy.yaml"), "{img:#?}");
    assert_eq!(
        img[0].field.as_deref(),
        Some("spec.template.spec.containers[0].image")
    );
    assert_eq!(img[0].line, 16);
    // The sidecar comes from the patch: the base's `containers:` is the closest line known.
    assert_eq!(
        img[1].field.as_deref(),
        Some("spec.template.spec.containers[1].image")
    );
    assert_eq!(img[1].line, 14);
}

//! Every expected output of the kustomize conformance corpus is already in kustomize's canonical
//! form, so parsing and re-emitting it must give the same bytes. Skipped when the corpus is absent.

use std::path::Path;

#[test]
fn conformance_expected_outputs_roundtrip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/kustomize");
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!("skipped: {} not found", root.display());
        return;
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in entries.flatten() {
        let path = entry.path().join("expected.yaml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        checked += 1;
        let docs = match krust_yaml::parse_documents(&text) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{}: parse error {e}", path.display()));
                continue;
            }
        };
        let values: Vec<_> = docs
            .iter()
            .map(|d| &d.value)
            .filter(|v| !v.is_null())
            .collect();
        let out = krust_yaml::documents_to_string(values);
        if out != text {
            failures.push(format!("{}", path.display()));
        }
    }
    assert!(checked > 0);
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

//! Differential tests of the YAML layer against kustomize.
//!
//! Every directory under `tests/fixtures/yaml/` is a plain kustomization (`resources: [input.yaml]`)
//! whose output kustomize computes as "parse each document, print it": for such a kustomization
//! `kustomize build DIR` must equal krust-yaml's parse → emit of `input.yaml`, document by document
//! (kustomize reorders resources, so documents are compared as a sorted list; `kind: List`
//! documents are flattened into their items as kustomize does).
//!
//! Each case holds kustomize's answer as a golden file: `expected.yaml` (its output) or
//! `expected-error.txt` (its error; krust must fail too, at parse time or when checking that the
//! tree can be printed). The goldens are checked on every run. When `kubectl.1.33` is found (on
//! `PATH`, in `$KRUST_KUBECTL`, or in the Google Cloud SDK's bin directory) the goldens are also
//! compared with a fresh `kubectl.1.33 kustomize DIR`; set `KRUST_BLESS=1` to rewrite them from it.

use std::path::{Path, PathBuf};
use std::process::Command;

use krust_yaml::{check_printable, parse_bytes_with, ParseOptions, Value};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/yaml")
}

/// Finds `kubectl.1.33`, or explains why it is not used.
fn find_kubectl() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("KRUST_KUBECTL") {
        return Ok(PathBuf::from(p));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push(PathBuf::from("/usr/lib/google-cloud-sdk/bin"));
    dirs.into_iter()
        .map(|d| d.join("kubectl.1.33"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "kubectl.1.33 not found on PATH (set KRUST_KUBECTL to use another path)".into()
        })
}

/// Splits kustomize output into its documents (a line `---` separates them; go-yaml never
/// writes such a line inside a document's block content).
fn split_docs(text: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut cur = String::new();
    for line in text.split_inclusive('\n') {
        if line == "---\n" {
            docs.push(std::mem::take(&mut cur));
        } else {
            cur.push_str(line);
        }
    }
    if !cur.is_empty() {
        docs.push(cur);
    }
    docs
}

/// What krust makes of a case: its printed documents, or an error message.
fn krust_output(input: &[u8]) -> Result<Vec<String>, String> {
    let docs = parse_bytes_with(
        input,
        ParseOptions {
            resource_keys: true,
        },
    )
    .map_err(|e| format!("parse: {e}"))?;
    let mut out = Vec::new();
    for doc in docs {
        let items = match doc.value {
            Value::Null => continue,
            Value::Map(ref m) if m.get("kind").and_then(Value::as_str) == Some("List") => {
                match m.get("items") {
                    Some(Value::Seq(items)) => items.clone(),
                    _ => Vec::new(),
                }
            }
            other => vec![other],
        };
        for item in items {
            check_printable(&item).map_err(|e| format!("print: {e}"))?;
            out.push(krust_yaml::to_string(&item));
        }
    }
    out.sort();
    Ok(out)
}

/// Makes an error text independent of where the fixtures live.
fn sanitize(err: &str, dir: &Path) -> String {
    let abs = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    err.replace(&abs.display().to_string(), "<case>")
}

#[test]
fn fixtures_match_kustomize() {
    let root = fixtures_root();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/fixtures/yaml exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("input.yaml").is_file())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());

    let kubectl = match find_kubectl() {
        Ok(k) => Some(k),
        Err(why) => {
            eprintln!("live comparison skipped: {why}; checking committed goldens only");
            None
        }
    };
    let bless = std::env::var_os("KRUST_BLESS").is_some();

    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let expected_path = dir.join("expected.yaml");
        let error_path = dir.join("expected-error.txt");

        if let Some(kubectl) = &kubectl {
            let live = Command::new(kubectl)
                .arg("kustomize")
                .arg(dir)
                .output()
                .expect("run kubectl");
            let (path, text, other) = if live.status.success() {
                (
                    &expected_path,
                    String::from_utf8_lossy(&live.stdout).into_owned(),
                    &error_path,
                )
            } else {
                let err = sanitize(&String::from_utf8_lossy(&live.stderr), dir);
                (&error_path, err, &expected_path)
            };
            if bless {
                std::fs::write(path, &text).expect("write golden");
                let _ = std::fs::remove_file(other);
            } else if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
                failures.push(format!(
                    "{name}: golden {} is stale (rerun with KRUST_BLESS=1)",
                    path.display()
                ));
            }
        }

        let input = std::fs::read(dir.join("input.yaml")).expect("read input");
        let ours = krust_output(&input);
        if let Ok(expected) = std::fs::read_to_string(&expected_path) {
            let mut want = split_docs(&expected);
            want.sort();
            match ours {
                Ok(got) if got == want => {}
                Ok(got) => {
                    let mut detail = String::new();
                    for (g, w) in got.iter().zip(want.iter()) {
                        for (gl, wl) in g.lines().zip(w.lines()) {
                            if gl != wl {
                                detail = format!("\n    kustomize: {wl:?}\n    krust:     {gl:?}");
                                break;
                            }
                        }
                        if !detail.is_empty() {
                            break;
                        }
                    }
                    if detail.is_empty() {
                        detail = format!(
                            " ({} vs {} documents or trailing lines)",
                            got.len(),
                            want.len()
                        );
                    }
                    failures.push(format!("{name}: output differs{detail}"));
                }
                Err(e) => failures.push(format!("{name}: kustomize succeeds, krust fails: {e}")),
            }
        } else if let Ok(expected) = std::fs::read_to_string(&error_path) {
            match ours {
                Ok(_) => failures.push(format!(
                    "{name}: kustomize fails ({}), krust succeeds",
                    expected.trim()
                )),
                Err(e) => eprintln!(
                    "{name}:\n  kustomize: {}\n  krust:     {e}",
                    expected.trim()
                ),
            }
        } else {
            failures.push(format!(
                "{name}: no golden (run with KRUST_BLESS=1 and kubectl.1.33)"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

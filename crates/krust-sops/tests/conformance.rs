//! Decrypts every `status: ok` file of the shared SOPS conformance corpus and compares the
//! result with `expected/<name>.decrypted.json`. Prints `sops: N passed, M failed`.

mod support {
    pub mod corpus;
}

use krust_sops::{decrypt, DecryptOptions, Format, Value};
use std::path::{Path, PathBuf};
use support::corpus::{all_keys, check_tree};

pub fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("SOPS_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/sops")
        });
    p.join("expected").is_dir().then_some(p)
}

#[test]
fn conformance() {
    let Some(root) = corpus() else {
        println!("sops conformance corpus not found; skipped (set SOPS_CONFORMANCE_DIR)");
        return;
    };
    let keys = all_keys(&root).expect("corpus keys load");
    let mut names: Vec<PathBuf> = std::fs::read_dir(root.join("expected"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let (mut pass, mut fail) = (0, 0);
    let mut failures = Vec::new();
    for p in names {
        let exp = krust_sops::stores::json::parse(&std::fs::read(&p).unwrap()).unwrap();
        let exp = Value::Map(exp);
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if exp.get("status").and_then(|v| v.as_str()) != Some("ok") {
            continue;
        }
        match check_tree(&root, &exp, &keys) {
            Ok(()) => pass += 1,
            Err(e) => {
                fail += 1;
                failures.push(format!("FAIL {name}: {e}"));
            }
        }
    }
    for f in &failures {
        println!("{f}");
    }
    // no_mac.yaml: refused, then accepted with ignore_mac.
    let no_mac = root.join("getsops-sops/functional-tests/res/no_mac.yaml");
    let bytes = std::fs::read(&no_mac).unwrap();
    match decrypt(&bytes, Format::Yaml, &keys) {
        Err(krust_sops::Error::MacMismatch { .. }) => pass += 1,
        other => {
            fail += 1;
            println!(
                "FAIL no_mac.yaml should be refused: {:?}",
                other.map(|_| ())
            );
        }
    }
    let opts = DecryptOptions {
        ignore_mac: true,
        ..Default::default()
    };
    match krust_sops::decrypt_with(&bytes, Format::Yaml, &keys, &opts) {
        Ok(d) if !d.mac_ok => pass += 1,
        other => {
            fail += 1;
            println!(
                "FAIL no_mac.yaml with ignore_mac: {:?}",
                other.map(|d| d.mac_ok)
            );
        }
    }
    println!("sops: {pass} passed, {fail} failed");
    assert_eq!(fail, 0, "conformance failures");
}

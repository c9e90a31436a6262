//! Decrypts every `status: ok` file of the shared SOPS conformance corpus and compares the
//! result with `expected/<name>.decrypted.json`. Prints `sops: N passed, M failed`.

use krust_sops::{decrypt, DecryptOptions, Format, Item, KeySources, Value};
use std::path::{Path, PathBuf};

pub fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("SOPS_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/sops")
        });
    p.join("expected").is_dir().then_some(p)
}

fn all_keys(root: &Path) -> KeySources {
    let mut ks = KeySources::new();
    for f in [
        "gibbz00-rops/age-test-key.txt",
        "fluxcd-kustomize-controller/controller/testdata/sops/keys/age.txt",
        "fluxcd-kustomize-controller/controller/testdata/sops/keys/age-global.txt",
    ] {
        let t = std::fs::read_to_string(root.join(f)).unwrap();
        ks.add_age_identities(&t, f).unwrap();
    }
    for f in [
        "fluxcd-kustomize-controller/controller/testdata/sops/keys/pgp.asc",
        "getsops-sops/pgp/sops_functional_tests_key.asc",
    ] {
        let t = std::fs::read_to_string(root.join(f)).unwrap();
        ks.add_pgp_key(&t, f).unwrap();
    }
    ks
}

/// Drops comments so the tree compares with the expected JSON.
fn strip(v: &Value) -> Value {
    match v {
        Value::Map(b) => Value::Map(
            b.iter()
                .filter_map(|i| match i {
                    Item::Pair(k, v) => Some(Item::Pair(k.clone(), strip(v))),
                    Item::Comment(_) => None,
                })
                .collect(),
        ),
        Value::Seq(s) => Value::Seq(
            s.iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .map(strip)
                .collect(),
        ),
        Value::Int(i) => Value::Float(*i as f64),
        v => v.clone(),
    }
}

fn file_of(root: &Path, expected_json: &Value) -> PathBuf {
    root.join(
        expected_json
            .get("file")
            .and_then(|v| v.as_str())
            .unwrap_or(""),
    )
}

fn check_one(root: &Path, exp: &Value, keys: &KeySources) -> Result<(), String> {
    let path = file_of(root, exp);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let ty = exp.get("type").and_then(|v| v.as_str()).unwrap_or("");
    let format = match ty {
        "binary" => Format::Binary,
        t => Format::from_name(t).unwrap_or_else(|| Format::from_path(&path)),
    };
    let d = decrypt(&bytes, format, keys).map_err(|e| e.to_string())?;
    let got = if d.branches.len() == 1 {
        strip(&Value::Map(d.branches[0].clone()))
    } else {
        Value::Seq(
            d.branches
                .iter()
                .map(|b| strip(&Value::Map(b.clone())))
                .collect(),
        )
    };
    let want = strip(exp.get("decrypted").ok_or("no `decrypted` in expected")?);
    if got != want {
        return Err(format!("tree differs:\n got  {got:?}\n want {want:?}"));
    }
    let dk: String = d.data_key.iter().map(|b| format!("{b:02x}")).collect();
    if Some(dk.as_str()) != exp.get("data_key_hex").and_then(|v| v.as_str()) {
        return Err("data key differs".into());
    }
    Ok(())
}

#[test]
fn conformance() {
    let Some(root) = corpus() else {
        println!("sops conformance corpus not found; skipped (set SOPS_CONFORMANCE_DIR)");
        return;
    };
    let keys = all_keys(&root);
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
        match check_one(&root, &exp, &keys) {
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

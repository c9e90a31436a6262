//! Shared by the conformance test (`tests/conformance.rs`) and the conformance runner
//! (`examples/sops_conformance.rs`, used by `scripts/conformance-sops`): the corpus keys, and the
//! check that one `expected/*.decrypted.json` entry decrypts to its tree and data key.

use krust_sops::{decrypt, Format, Item, KeySources, Value};
use std::path::Path;

/// Every private key the corpus ships (age and PGP).
pub fn all_keys(root: &Path) -> Result<KeySources, String> {
    let mut ks = KeySources::new();
    for f in [
        "gibbz00-rops/age-test-key.txt",
        "fluxcd-kustomize-controller/controller/testdata/sops/keys/age.txt",
        "fluxcd-kustomize-controller/controller/testdata/sops/keys/age-global.txt",
    ] {
        let t = std::fs::read_to_string(root.join(f)).map_err(|e| format!("{f}: {e}"))?;
        ks.add_age_identities(&t, f).map_err(|e| e.to_string())?;
    }
    for f in [
        "fluxcd-kustomize-controller/controller/testdata/sops/keys/pgp.asc",
        "getsops-sops/pgp/sops_functional_tests_key.asc",
    ] {
        let t = std::fs::read_to_string(root.join(f)).map_err(|e| format!("{f}: {e}"))?;
        ks.add_pgp_key(&t, f).map_err(|e| e.to_string())?;
    }
    Ok(ks)
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

/// Decrypts the file `exp` describes and compares its tree and data key with `exp`.
pub fn check_tree(root: &Path, exp: &Value, keys: &KeySources) -> Result<(), String> {
    let path = root.join(exp.get("file").and_then(Value::as_str).unwrap_or(""));
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let format = match exp.get("type").and_then(Value::as_str) {
        Some("binary") => Format::Binary,
        Some(t) => Format::from_name(t).unwrap_or_else(|| Format::from_path(&path)),
        None => Format::from_path(&path),
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
        return Err(format!("tree differs:\n  got  {got:?}\n  want {want:?}"));
    }
    let dk: String = d.data_key.iter().map(|b| format!("{b:02x}")).collect();
    if Some(dk.as_str()) != exp.get("data_key_hex").and_then(Value::as_str) {
        return Err("recovered data key differs".into());
    }
    Ok(())
}

//! SOPS conformance runner: decrypts the shared corpus and prints `sops: N passed, M failed`.
//!
//! Usage: `conformance CORPUS_DIR [--baseline FILE] [-v]`. Exits 1 when the pass count is below
//! the baseline (a number in FILE).

#[path = "../tests/support/corpus.rs"]
mod corpus;

use corpus::{all_keys, check_tree};
use krust_sops::{decrypt, decrypt_with, DecryptOptions, Format, Value};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut corpus: Option<PathBuf> = None;
    let mut baseline: Option<PathBuf> = None;
    let mut verbose = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--baseline" => baseline = args.next().map(PathBuf::from),
            "-v" => verbose = true,
            _ => corpus = Some(PathBuf::from(a)),
        }
    }
    let Some(root) = corpus else {
        eprintln!("usage: conformance CORPUS_DIR [--baseline FILE] [-v]");
        return ExitCode::from(2);
    };
    let keys = match all_keys(&root) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("conformance: cannot load keys: {e}");
            return ExitCode::from(1);
        }
    };
    let mut results: Vec<(String, Result<(), String>)> = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(root.join("expected"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    for p in names {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let exp = match std::fs::read(&p)
            .map_err(|e| e.to_string())
            .and_then(|b| krust_sops::stores::json::parse(&b).map_err(|e| e.to_string()))
        {
            Ok(b) => Value::Map(b),
            Err(e) => {
                results.push((name, Err(e)));
                continue;
            }
        };
        if exp.get("status").and_then(Value::as_str) != Some("ok") {
            continue;
        }
        results.push((format!("tree {name}"), check_tree(&root, &exp, &keys)));
    }
    // MAC refusal.
    let no_mac = root.join("getsops-sops/functional-tests/res/no_mac.yaml");
    let bytes = std::fs::read(&no_mac).unwrap_or_default();
    results.push((
        "no_mac.yaml refused".into(),
        match decrypt(&bytes, Format::Yaml, &keys) {
            Err(krust_sops::Error::MacMismatch { .. }) => Ok(()),
            Err(e) => Err(format!("wrong error: {e}")),
            Ok(_) => Err("decrypted despite the MAC mismatch".into()),
        },
    ));
    let opts = DecryptOptions {
        ignore_mac: true,
        ..Default::default()
    };
    results.push((
        "no_mac.yaml with --ignore-mac".into(),
        match decrypt_with(&bytes, Format::Yaml, &keys, &opts) {
            Ok(d) if !d.mac_ok => Ok(()),
            Ok(_) => Err("MAC unexpectedly matched".into()),
            Err(e) => Err(e.to_string()),
        },
    ));
    // Exact output bytes asserted by sops' functional tests.
    for (file, format, want) in [
        ("format.enc.yaml", Format::Yaml, "foo: bar\n"),
        (
            "format.enc.json",
            Format::Json,
            "{\n\t\"foo\": \"bar\"\n}\n",
        ),
        ("format.enc.env", Format::Dotenv, "foo = bar\n"),
        ("format.enc.ini", Format::Ini, "[foo]\nbar = baz\n"),
        ("format-2.enc.ini", Format::Ini, "[foo]\nbar = baz\n"),
    ] {
        let p = root.join("getsops-sops/functional-tests/res").join(file);
        let r = std::fs::read(&p)
            .map_err(|e| e.to_string())
            .and_then(|b| decrypt(&b, format, &keys).map_err(|e| e.to_string()))
            .and_then(|d| {
                if d.plaintext == want.as_bytes() {
                    Ok(())
                } else {
                    Err(format!(
                        "output {:?}, want {want:?}",
                        String::from_utf8_lossy(&d.plaintext)
                    ))
                }
            });
        results.push((format!("output bytes {file}"), r));
    }
    // Flux: a plain Secret whose `data.key` is the base64 of a whole SOPS JSON document.
    let inside =
        root.join("fluxcd-kustomize-controller/controller/testdata/sops/inside/secret.yaml");
    let r = (|| -> Result<(), String> {
        let bytes = std::fs::read(&inside).map_err(|e| e.to_string())?;
        let docs = krust_sops::load_plain(&bytes, Format::Yaml).map_err(|e| e.to_string())?;
        let doc = Value::Map(docs.into_iter().next().ok_or("no document")?);
        let b64 = doc
            .get("data")
            .and_then(|d| d.get("key"))
            .and_then(Value::as_str)
            .ok_or("no data.key")?;
        use base64::Engine;
        let inner = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| e.to_string())?;
        let d = decrypt(&inner, Format::Json, &keys).map_err(|e| e.to_string())?;
        if d.plaintext == b"{\n\t\"data\": \"value\"\n}\n" {
            Ok(())
        } else {
            Err(format!(
                "inner document {:?}",
                String::from_utf8_lossy(&d.plaintext)
            ))
        }
    })();
    results.push((
        "flux inside/secret.yaml (SOPS JSON inside a Secret)".into(),
        r,
    ));
    let passed = results.iter().filter(|r| r.1.is_ok()).count();
    let failed = results.len() - passed;
    for (name, r) in &results {
        match r {
            Ok(()) if verbose => println!("ok   {name}"),
            Ok(()) => {}
            Err(e) => println!("FAIL {name}: {e}"),
        }
    }
    println!("sops: {passed} passed, {failed} failed");
    if let Some(b) = baseline {
        let want: usize = std::fs::read_to_string(&b)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        if passed < want {
            println!("sops: below the baseline of {want} in {}", b.display());
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

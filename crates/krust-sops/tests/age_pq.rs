//! age post-quantum hybrid keys (`age1pq1…` / `AGE-SECRET-KEY-PQ-1…`, stanza `mlkem768x25519`):
//! the Flux fixture written by real sops, the C2SP age testkit vectors, key encodings, a SOPS
//! round trip, and the failures (wrong identity, malformed keys) that must stay clean.
//!
//! The HPKE/KEM known-answer test is a unit test in `src/age_pq.rs` (it needs the deterministic
//! internals); the vectors used here are described in `tests/fixtures/age-pq/SOURCE.md`.

use krust_sops::age_pq::{HybridIdentity, HybridKeyError, HybridRecipient};
use krust_sops::Item;
use krust_sops::{decrypt, encrypt, AgeKey, EncryptOptions, Error, Format, KeyGroup, KeySources};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/age-pq")
}

/// The shared SOPS corpus (`../shared/conformance/sops` next to the workspace, or
/// `SOPS_CONFORMANCE_DIR`), as `tests/conformance.rs` finds it.
fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("SOPS_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/sops")
        });
    p.is_dir().then_some(p)
}

/// The `# public key: …` comment and the identity line of an age key file.
fn key_file_parts(text: &str) -> (String, String) {
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("public key comment")
        .trim()
        .to_string();
    let secret = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-PQ-1"))
        .expect("identity line")
        .to_string();
    (public, secret)
}

fn one_group(recipient: String) -> EncryptOptions {
    EncryptOptions {
        key_groups: vec![KeyGroup {
            age: vec![AgeKey {
                recipient,
                enc: String::new(),
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn string_at<'a>(branch: &'a krust_sops::Branch, path: &[&str]) -> Option<&'a str> {
    let mut v = branch.iter().find_map(|i| match i {
        Item::Pair(k, v) if k == path[0] => Some(v),
        _ => None,
    })?;
    for k in &path[1..] {
        v = v.get(k)?;
    }
    v.as_str()
}

/// The file real sops 3.12 encrypted for an `age1pq1…` recipient in Flux's test data decrypts
/// to "value" with its MAC verified.
#[test]
fn flux_fixture_decrypts() {
    let Some(root) = corpus() else {
        println!("sops conformance corpus not found; skipped (set SOPS_CONFORMANCE_DIR)");
        return;
    };
    let dir = root.join("fluxcd-kustomize-controller/controller/testdata/sops");
    let key = std::fs::read_to_string(dir.join("keys/age-pq.txt")).unwrap();
    let file = std::fs::read(dir.join("algorithms/age-pq.yaml")).unwrap();

    // The identity's derived recipient is the one age-keygen printed and sops encrypted to.
    let (public, secret) = key_file_parts(&key);
    let id = HybridIdentity::from_str(&secret).unwrap();
    assert_eq!(id.recipient().to_string(), public);
    assert!(String::from_utf8_lossy(&file).contains(&format!("recipient: {public}")));

    let mut ks = KeySources::new();
    assert_eq!(ks.add_age_identities(&key, "age-pq.txt").unwrap(), 1);
    let d = decrypt(&file, Format::Yaml, &ks).unwrap();
    assert!(d.mac_ok);
    assert_eq!(d.branches.len(), 1);
    assert_eq!(
        string_at(&d.branches[0], &["stringData", "key"]),
        Some("value")
    );
    assert_eq!(
        string_at(&d.branches[0], &["metadata", "name"]),
        Some("age-pq")
    );

    // The X25519 keys of the same fixture do not open it, and say so.
    let mut other = KeySources::new();
    let x = std::fs::read_to_string(dir.join("keys/age.txt")).unwrap();
    other.add_age_identities(&x, "age.txt").unwrap();
    match decrypt(&file, Format::Yaml, &other) {
        Err(Error::NoKey(a)) => {
            assert!(a.to_string().contains("no matching identity"), "{a}")
        }
        other => panic!("expected NoKey, got {:?}", other.map(|d| d.plaintext)),
    }
}

/// The sops unit-test PQ identity and the specification's example pair parse, and the identity
/// gives the published recipient.
#[test]
fn published_key_pairs() {
    let text = std::fs::read_to_string(fixtures().join("spec-example-key.txt")).unwrap();
    let (public, secret) = key_file_parts(&text);
    let id = HybridIdentity::from_str(&secret).unwrap();
    assert_eq!(id.recipient().to_string(), public);
    assert_eq!(id.to_secret_string().as_str(), secret);
    let r = HybridRecipient::from_str(&public).unwrap();
    assert_eq!(r.to_string(), public);
    assert_eq!(r.to_bytes().len(), krust_sops::age_pq::PUBLIC_KEY_LEN);
    // Lower case is the same key (Bech32 is case-insensitive, mixed case is not allowed).
    let lower = HybridIdentity::from_str(&secret.to_ascii_lowercase()).unwrap();
    assert_eq!(lower.recipient().to_string(), public);

    if let Some(root) = corpus() {
        let t = std::fs::read_to_string(
            root.join("getsops-sops/age-unit-vectors/identity-pq-hybrid.txt"),
        )
        .unwrap();
        let id = HybridIdentity::from_str(t.trim()).unwrap();
        assert_eq!(id.to_secret_string().as_str(), t.trim());
    }
}

/// One C2SP testkit vector: header fields and the age file.
struct Vector {
    name: String,
    expect: String,
    payload: Option<String>,
    identities: Vec<String>,
    file: Vec<u8>,
}

fn read_vector(path: &Path) -> Vector {
    let bytes = std::fs::read(path).unwrap();
    let split = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("header/body separator");
    let header = std::str::from_utf8(&bytes[..split]).unwrap();
    let mut v = Vector {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        expect: String::new(),
        payload: None,
        identities: Vec::new(),
        file: bytes[split + 2..].to_vec(),
    };
    for line in header.lines() {
        let (k, val) = line.split_once(": ").expect("key: value");
        match k {
            "expect" => v.expect = val.to_string(),
            "payload" => v.payload = Some(val.to_string()),
            "identity" => v.identities.push(val.to_string()),
            "armored" | "compressed" | "passphrase" => {
                panic!("{}: vectors with `{k}` are not included", v.name)
            }
            _ => {}
        }
    }
    v
}

/// What decrypting a vector gave, in the testkit's terms.
fn run_vector(v: &Vector) -> Result<Vec<u8>, &'static str> {
    let ids: Vec<Box<dyn age::Identity>> = v
        .identities
        .iter()
        .map(|s| -> Box<dyn age::Identity> {
            if s.starts_with("AGE-SECRET-KEY-PQ-") {
                Box::new(HybridIdentity::from_str(s).unwrap())
            } else {
                Box::new(age::x25519::Identity::from_str(s).unwrap())
            }
        })
        .collect();
    let dec = age::Decryptor::new(&v.file[..]).map_err(|_| "header failure")?;
    let mut r = dec
        .decrypt(ids.iter().map(|i| i.as_ref()))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => "no match",
            age::DecryptError::InvalidMac => "HMAC failure",
            _ => "header failure",
        })?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|_| "payload failure")?;
    Ok(out)
}

/// Every uncompressed `hybrid*` vector of the C2SP age testkit (CCTV) gives its expected result.
#[test]
fn cctv_testkit_vectors() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures().join("cctv"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 17, "{paths:?}");
    let mut seen = std::collections::BTreeSet::new();
    for p in &paths {
        let v = read_vector(p);
        let got = run_vector(&v);
        match (&got, v.expect.as_str()) {
            (Ok(plain), "success") => {
                let hash: String = Sha256::digest(plain)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(Some(hash), v.payload, "{}: payload", v.name);
            }
            (Err(e), want) => assert_eq!(*e, want, "{}", v.name),
            (Ok(_), want) => panic!("{}: decrypted, expected {want}", v.name),
        }
        seen.insert(v.expect);
    }
    // The set covers success, wrong keys and malformed stanzas.
    for want in ["success", "no match", "header failure"] {
        assert!(seen.contains(want), "no `{want}` vector");
    }
}

/// encrypt → decrypt through SOPS with a freshly generated PQ key; the data key is wrapped in
/// one `mlkem768x25519` stanza, and another PQ identity cannot open it.
#[test]
fn sops_roundtrip_and_wrong_identity() {
    let id = HybridIdentity::generate();
    let recipient = id.recipient().to_string();
    assert!(recipient.starts_with("age1pq1"));
    let mut ks = KeySources::new();
    ks.add_age_identities(
        &format!("# public key: {recipient}\n{}\n", *id.to_secret_string()),
        "generated",
    )
    .unwrap();
    let input = b"a: hello\nb:\n    c: 1\n";
    let enc = encrypt(input, Format::Yaml, &one_group(recipient.clone()), &ks).unwrap();
    let d = decrypt(&enc, Format::Yaml, &ks).unwrap();
    assert!(d.mac_ok);
    assert_eq!(d.plaintext, input);

    // The stored data key is an armored age file with exactly one mlkem768x25519 stanza (the
    // age crate adds a random `*-grease` stanza too).
    let age_key = &d.metadata.key_groups[0].age[0];
    assert_eq!(age_key.recipient, recipient);
    let mut raw = Vec::new();
    age::armor::ArmoredReader::new(age_key.enc.as_bytes())
        .read_to_end(&mut raw)
        .unwrap();
    let text = String::from_utf8_lossy(&raw);
    let stanzas: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("-> ") && !l.contains("-grease"))
        .collect();
    assert_eq!(stanzas.len(), 1, "{stanzas:?}");
    let args: Vec<&str> = stanzas[0].split(' ').collect();
    assert_eq!(args[1], "mlkem768x25519");
    assert_eq!(args.len(), 3);

    // A different PQ identity fails cleanly with the reason.
    let mut wrong = KeySources::new();
    wrong
        .add_age_identities(&HybridIdentity::generate().to_secret_string(), "wrong")
        .unwrap();
    match decrypt(&enc, Format::Yaml, &wrong) {
        Err(Error::NoKey(a)) => {
            assert_eq!(a.0.len(), 1);
            assert_eq!(a.0[0].key, format!("age:{recipient}"));
            assert!(a.0[0].reason.contains("no matching identity"), "{a}");
            assert!(a.0[0].reason.contains("wrong"), "{a}");
        }
        other => panic!("expected NoKey, got {:?}", other.map(|d| d.plaintext)),
    }
}

/// age refuses to mix a post-quantum recipient with a classical one in one file (the label
/// HybridRecipient carries); a single PQ recipient works through the age API directly.
#[test]
fn age_api_labels_and_roundtrip() {
    let id = HybridIdentity::generate();
    let pq = id.recipient();
    let x = age::x25519::Identity::generate().to_public();
    let mixed: [&dyn age::Recipient; 2] = [&pq, &x];
    assert!(matches!(
        age::Encryptor::with_recipients(mixed.into_iter()),
        Err(age::EncryptError::IncompatibleRecipients { .. })
    ));
    let enc = age::encrypt(&pq, b"payload").unwrap();
    assert_eq!(age::decrypt(&id, &enc).unwrap(), b"payload");
    let other = HybridIdentity::generate();
    assert!(matches!(
        age::decrypt(&other, &enc),
        Err(age::DecryptError::NoMatchingKeys)
    ));
}

/// Bech32 without the length limit, as age uses it.
fn bech32(hrp: &str, data: &[u8]) -> String {
    age_core::primitives::bech32_encode(bech32::Hrp::parse(hrp).unwrap(), data)
}

/// Malformed identities and recipients give their specific error, naming where they came from.
#[test]
fn malformed_keys() {
    let good = HybridIdentity::from_seed([42; 32]);
    let secret = good.to_secret_string().to_string();

    // Broken checksum: one character changed.
    let mut bad = secret.clone().into_bytes();
    let last = bad.len() - 1;
    bad[last] = if bad[last] == b'Q' { b'P' } else { b'Q' };
    let bad = String::from_utf8(bad).unwrap();
    assert!(matches!(
        HybridIdentity::from_str(&bad),
        Err(HybridKeyError::Bech32(_))
    ));
    let mut ks = KeySources::new();
    match ks.add_age_identities(&format!("# comment\n{bad}\n"), "keys.txt") {
        Err(Error::InvalidHybridKey { key, reason }) => {
            assert_eq!(key, "keys.txt line 2");
            assert!(matches!(reason, HybridKeyError::Bech32(_)));
        }
        other => panic!("expected InvalidHybridKey, got {other:?}"),
    }
    assert!(ks.is_empty());

    // Valid Bech32, wrong seed length.
    let short = bech32("age-secret-key-pq-", &[1; 31]).to_ascii_uppercase();
    assert_eq!(
        HybridIdentity::from_str(&short).unwrap_err(),
        HybridKeyError::Length {
            got: 31,
            expected: 32
        }
    );
    let err = KeySources::new()
        .add_age_identities(&short, "SOPS_AGE_KEY")
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidHybridKey {
            reason: HybridKeyError::Length { got: 31, .. },
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "invalid post-quantum age key SOPS_AGE_KEY line 1: the key holds 31 bytes, expected 32"
    );

    // Mixed case is not Bech32.
    let mut mixed = secret.clone();
    mixed.replace_range(20..21, &secret[20..21].to_ascii_lowercase());
    assert!(matches!(
        HybridIdentity::from_str(&mixed),
        Err(HybridKeyError::Bech32(_))
    ));

    // A recipient string where an identity is expected, and the reverse.
    let public = good.recipient().to_string();
    assert!(matches!(
        HybridIdentity::from_str(&public),
        Err(HybridKeyError::WrongType { .. })
    ));
    assert!(matches!(
        HybridRecipient::from_str(&secret),
        Err(HybridKeyError::WrongType { .. })
    ));

    // Recipients: truncated key, and encryption reports the recipient.
    let truncated = bech32("age1pq", &good.recipient().to_bytes()[..1000]);
    assert_eq!(
        HybridRecipient::from_str(&truncated).unwrap_err(),
        HybridKeyError::Length {
            got: 1000,
            expected: 1216
        }
    );
    match encrypt(
        b"a: b\n",
        Format::Yaml,
        &one_group(truncated.clone()),
        &KeySources::new(),
    ) {
        Err(Error::InvalidHybridKey { key, reason }) => {
            assert_eq!(key, format!("age:{truncated}"));
            assert!(matches!(reason, HybridKeyError::Length { got: 1000, .. }));
        }
        other => panic!("expected InvalidHybridKey, got {:?}", other.map(|_| ())),
    }
    // Not Bech32 at all.
    assert!(matches!(
        HybridRecipient::from_str("age1pq1notbech32!"),
        Err(HybridKeyError::Bech32(_))
    ));
}

#[test]
fn value_helper_sanity() {
    // string_at walks maps only; guard it so the fixture test cannot pass vacuously.
    let b = krust_sops::load_plain(b"a:\n  b: x\n", Format::Yaml).unwrap();
    assert_eq!(string_at(&b[0], &["a", "b"]), Some("x"));
    assert_eq!(string_at(&b[0], &["a", "c"]), None);
}

//! encrypt → decrypt gives the input back byte for byte, for every format and creation-rule
//! option; plus error cases (tampering, wrong key, garbage) that must fail cleanly.

use age::secrecy::ExposeSecret;
use krust_sops::{
    decrypt, encrypt, AgeKey, EncryptOptions, Error, Format, KeyGroup, KeySources, PgpKey,
    Selectors,
};

const YAML: &str = "# top comment\na: hello\nb:\n    c: 1\n    d: 1.5\n    e: true\n    f: \"\"\n    g: null\n    # foot of b\nlist:\n    - x\n    - z\n    - 'quoted: yes'\nsecret_unencrypted: clear\nmulti: |\n    line1\n    line2\nlist_of_maps:\n    - name: one\n      value: \"1\"\n    - name: two\n      value: \"2024-01-01T00:00:00Z\"\n";
const YAML_MULTI: &str = "a: 1\n---\nb: two\n";
const JSON: &str = "{\n\t\"a\": \"b\",\n\t\"n\": 1,\n\t\"f\": 2.5,\n\t\"o\": {\n\t\t\"x\": [\n\t\t\t1,\n\t\t\ttrue,\n\t\t\tnull\n\t\t],\n\t\t\"e\": {}\n\t},\n\t\"html\": \"\\u003cb\\u003e \\u0026\"\n}\n";
const DOTENV: &str = "# a comment\nFOO=bar\nEMPTY=\nMULTI=a\\nb\nexport X=1\n";
const INI: &str = "[sec]\nkey   = value\nother = x y\n\n[more]\nk2 = v2\n";
const BINARY: &[u8] = b"Welcome to SOPS!\nbinary-ish \x01 content\n";

struct Env {
    recipients: Vec<String>,
    keys: KeySources,
}

fn env(n: usize) -> Env {
    let mut keys = KeySources::new();
    let mut recipients = Vec::new();
    for i in 0..n {
        let id = age::x25519::Identity::generate();
        recipients.push(id.to_public().to_string());
        keys.add_age_identities(id.to_string().expose_secret(), &format!("test{i}"))
            .unwrap();
    }
    Env { recipients, keys }
}

fn group(recipients: &[String]) -> KeyGroup {
    KeyGroup {
        age: recipients
            .iter()
            .map(|r| AgeKey {
                recipient: r.clone(),
                enc: String::new(),
            })
            .collect(),
        ..Default::default()
    }
}

fn opts(e: &Env) -> EncryptOptions {
    EncryptOptions {
        key_groups: vec![group(&e.recipients)],
        ..Default::default()
    }
}

fn roundtrip(input: &[u8], format: Format, o: &EncryptOptions, keys: &KeySources) -> Vec<u8> {
    let enc = encrypt(input, format, o, keys).unwrap();
    let d = decrypt(&enc, format, keys).unwrap();
    assert!(d.mac_ok);
    assert_eq!(
        String::from_utf8_lossy(&d.plaintext),
        String::from_utf8_lossy(input),
        "round trip of {format:?}"
    );
    enc
}

#[test]
fn all_formats_roundtrip() {
    let e = env(1);
    let o = opts(&e);
    let enc = roundtrip(YAML.as_bytes(), Format::Yaml, &o, &e.keys);
    let s = String::from_utf8(enc).unwrap();
    assert!(s.contains("secret_unencrypted: clear"), "{s}");
    assert!(s.contains("f: \"\""), "empty strings stay clear: {s}");
    assert!(s.contains("g: null"));
    assert!(
        s.contains("#ENC[AES256_GCM,"),
        "comments are encrypted: {s}"
    );
    assert!(s.contains("    unencrypted_suffix: _unencrypted\n"));
    roundtrip(YAML_MULTI.as_bytes(), Format::Yaml, &o, &e.keys);
    roundtrip(JSON.as_bytes(), Format::Json, &o, &e.keys);
    let enc = roundtrip(DOTENV.as_bytes(), Format::Dotenv, &o, &e.keys);
    assert!(String::from_utf8(enc)
        .unwrap()
        .contains("sops_age__list_0__map_recipient="));
    let enc = roundtrip(INI.as_bytes(), Format::Ini, &o, &e.keys);
    assert!(String::from_utf8(enc).unwrap().contains("[sops]\n"));
    let enc = roundtrip(BINARY, Format::Binary, &o, &e.keys);
    assert!(String::from_utf8(enc)
        .unwrap()
        .starts_with("{\n\t\"data\": \"ENC["));
}

#[test]
fn selectors_roundtrip() {
    let e = env(1);
    let cases: Vec<(Selectors, &str, &str)> = vec![
        (
            Selectors {
                encrypted_regex: Some("^(a|list)$".into()),
                ..Default::default()
            },
            "    c: 1\n",
            "a: ENC[",
        ),
        (
            Selectors {
                unencrypted_regex: Some("^b$".into()),
                ..Default::default()
            },
            "    c: 1\n",
            "a: ENC[",
        ),
        (
            Selectors {
                encrypted_suffix: Some("ulti".into()),
                ..Default::default()
            },
            "a: hello\n",
            "multi: ENC[",
        ),
        (
            Selectors {
                unencrypted_suffix: Some("st".into()),
                ..Default::default()
            },
            "    - x\n",
            "a: ENC[",
        ),
        (
            Selectors {
                encrypted_comment_regex: Some("top comment".into()),
                ..Default::default()
            },
            "# top comment\na: ENC[",
            "a: ENC[",
        ),
        (
            Selectors {
                unencrypted_comment_regex: Some("foot".into()),
                ..Default::default()
            },
            "a: ENC[",
            "a: ENC[",
        ),
    ];
    for (sel, clear, encrypted) in cases {
        let o = EncryptOptions {
            selectors: sel.clone(),
            ..opts(&e)
        };
        let enc = roundtrip(YAML.as_bytes(), Format::Yaml, &o, &e.keys);
        let s = String::from_utf8(enc).unwrap();
        assert!(s.contains(clear), "{sel:?}: expected {clear:?} in\n{s}");
        assert!(
            s.contains(encrypted),
            "{sel:?}: expected {encrypted:?} in\n{s}"
        );
        roundtrip(JSON.as_bytes(), Format::Json, &o, &e.keys);
        roundtrip(DOTENV.as_bytes(), Format::Dotenv, &o, &e.keys);
        roundtrip(INI.as_bytes(), Format::Ini, &o, &e.keys);
    }
}

#[test]
fn mac_only_encrypted_roundtrip() {
    let e = env(1);
    let o = EncryptOptions {
        mac_only_encrypted: true,
        selectors: Selectors {
            encrypted_regex: Some("^a$".into()),
            ..Default::default()
        },
        ..opts(&e)
    };
    let enc = roundtrip(YAML.as_bytes(), Format::Yaml, &o, &e.keys);
    let s = String::from_utf8(enc).unwrap();
    assert!(s.contains("mac_only_encrypted: true"));
    // Changing a clear value does not break the MAC with mac_only_encrypted.
    let changed = s.replace("    c: 1\n", "    c: 2\n");
    assert!(decrypt(changed.as_bytes(), Format::Yaml, &e.keys).is_ok());
    // Without it, it does.
    let o2 = EncryptOptions {
        mac_only_encrypted: false,
        ..o
    };
    let enc = roundtrip(YAML.as_bytes(), Format::Yaml, &o2, &e.keys);
    let changed = String::from_utf8(enc)
        .unwrap()
        .replace("    c: 1\n", "    c: 2\n");
    assert!(matches!(
        decrypt(changed.as_bytes(), Format::Yaml, &e.keys),
        Err(Error::MacMismatch { .. })
    ));
}

#[test]
fn shamir_key_groups() {
    let e = env(3);
    let o = EncryptOptions {
        key_groups: e
            .recipients
            .iter()
            .map(|r| group(std::slice::from_ref(r)))
            .collect(),
        grouped: true,
        shamir_threshold: 2,
        ..Default::default()
    };
    let enc = roundtrip(YAML.as_bytes(), Format::Yaml, &o, &e.keys);
    let s = String::from_utf8(enc.clone()).unwrap();
    assert!(s.contains("key_groups:") && s.contains("shamir_threshold: 2"));
    // Two of three identities suffice.
    let mut two = KeySources::new();
    let e2 = env(0);
    drop(e2);
    let ids: Vec<age::x25519::Identity> =
        (0..3).map(|_| age::x25519::Identity::generate()).collect();
    let o3 = EncryptOptions {
        key_groups: ids
            .iter()
            .map(|i| group(&[i.to_public().to_string()]))
            .collect(),
        grouped: true,
        shamir_threshold: 2,
        ..Default::default()
    };
    let enc = encrypt(YAML.as_bytes(), Format::Yaml, &o3, &KeySources::new()).unwrap();
    for i in &ids[1..] {
        two.add_age_identities(i.to_string().expose_secret(), "two")
            .unwrap();
    }
    assert_eq!(
        decrypt(&enc, Format::Yaml, &two).unwrap().plaintext,
        YAML.as_bytes()
    );
    let mut one = KeySources::new();
    one.add_age_identities(ids[0].to_string().expose_secret(), "one")
        .unwrap();
    assert!(matches!(
        decrypt(&enc, Format::Yaml, &one),
        Err(Error::NotEnoughShares {
            got: 1,
            needed: 2,
            ..
        })
    ));
}

fn pgp_key() -> Option<String> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/sops/getsops-sops/pgp/sops_functional_tests_key.asc");
    std::fs::read_to_string(p).ok()
}

#[test]
fn pgp_roundtrip() {
    let Some(k) = pgp_key() else {
        println!("skipped: PGP test key not found");
        return;
    };
    let mut ks = KeySources::new();
    ks.add_pgp_key(&k, "functional-tests key").unwrap();
    let o = EncryptOptions {
        key_groups: vec![KeyGroup {
            pgp: vec![PgpKey {
                fp: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4".into(),
                enc: String::new(),
                created_at: String::new(),
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let enc = roundtrip(YAML.as_bytes(), Format::Yaml, &o, &ks);
    let s = String::from_utf8(enc).unwrap();
    assert!(s.contains("-----BEGIN PGP MESSAGE-----"));
    roundtrip(JSON.as_bytes(), Format::Json, &o, &ks);
}

#[test]
fn rotate_and_updatekeys() {
    let e = env(2);
    let o = EncryptOptions {
        key_groups: vec![group(&e.recipients[..1])],
        ..Default::default()
    };
    let enc = encrypt(YAML.as_bytes(), Format::Yaml, &o, &e.keys).unwrap();
    let store = krust_sops::StoreOptions::default();
    let rotated = krust_sops::rotate(&enc, Format::Yaml, &e.keys, &store).unwrap();
    let d1 = decrypt(&enc, Format::Yaml, &e.keys).unwrap();
    let d2 = decrypt(&rotated, Format::Yaml, &e.keys).unwrap();
    assert_ne!(d1.data_key, d2.data_key);
    assert_eq!(d2.plaintext, YAML.as_bytes());
    let updated = krust_sops::update_keys(
        &enc,
        Format::Yaml,
        &e.keys,
        vec![group(&e.recipients[1..])],
        false,
        0,
        &store,
    )
    .unwrap();
    let mut only_second = KeySources::new();
    let _ = &mut only_second;
    let d3 = decrypt(&updated, Format::Yaml, &e.keys).unwrap();
    assert_eq!(d3.data_key, d1.data_key);
    assert_eq!(d3.plaintext, YAML.as_bytes());
    let s = String::from_utf8(updated).unwrap();
    assert!(s.contains(&e.recipients[1]) && !s.contains(&e.recipients[0]));
}

#[test]
fn errors_are_distinct() {
    let e = env(1);
    let enc =
        String::from_utf8(encrypt(YAML.as_bytes(), Format::Yaml, &opts(&e), &e.keys).unwrap())
            .unwrap();
    // Tampered value.
    let i = enc.find("a: ENC[AES256_GCM,data:").unwrap() + "a: ENC[AES256_GCM,data:".len();
    let mut t = enc.clone();
    let c = if &t[i..i + 1] == "A" { "B" } else { "A" };
    t.replace_range(i..i + 1, c);
    assert!(matches!(
        decrypt(t.as_bytes(), Format::Yaml, &e.keys),
        Err(Error::Value { .. })
    ));
    // Tampered MAC.
    let i = enc.find("mac: ENC[AES256_GCM,data:").unwrap() + "mac: ENC[AES256_GCM,data:".len();
    let mut t = enc.clone();
    let c = if &t[i..i + 1] == "A" { "B" } else { "A" };
    t.replace_range(i..i + 1, c);
    assert!(matches!(
        decrypt(t.as_bytes(), Format::Yaml, &e.keys),
        Err(Error::MacDecrypt(_))
    ));
    // Moved value (AAD mismatch) is a value error too; reordered values break the MAC.
    // Truncated.
    let t = &enc[..enc.len() / 2];
    assert!(decrypt(t.as_bytes(), Format::Yaml, &e.keys).is_err());
    // Wrong key.
    let other = env(1);
    assert!(matches!(
        decrypt(enc.as_bytes(), Format::Yaml, &other.keys),
        Err(Error::NoKey(_))
    ));
    // Garbage.
    for g in [
        &b"\x00\x01\xff garbage"[..],
        b"{{{{",
        b"- a\n- b\n",
        b"",
        b"key: [unclosed",
    ] {
        for f in [
            Format::Yaml,
            Format::Json,
            Format::Dotenv,
            Format::Ini,
            Format::Binary,
        ] {
            assert!(decrypt(g, f, &e.keys).is_err());
        }
    }
}

#[test]
fn age_unit_vectors() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/sops/getsops-sops/age-unit-vectors");
    if !root.is_dir() {
        println!("skipped: age unit vectors not found");
        return;
    }
    let read = |n: &str| std::fs::read_to_string(root.join(n)).unwrap();
    let md_for = |enc: String, recipient: String| krust_sops::Metadata {
        key_groups: vec![KeyGroup {
            age: vec![AgeKey { recipient, enc }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let plain = read("encrypted-key.plain");
    let mut ks = KeySources::new();
    ks.add_age_identities(&read("identity.txt"), "identity.txt")
        .unwrap();
    let md = md_for(
        read("encrypted-key.age"),
        read("recipient.txt").trim().to_string(),
    );
    let got = data_key_any(&ks, &md);
    assert_eq!(got.as_deref(), Ok(plain.trim_end().as_bytes()));
    // The other identity fails cleanly.
    let mut other = KeySources::new();
    other
        .add_age_identities(&read("other-identity.txt"), "other")
        .unwrap();
    assert!(data_key_any(&other, &md).is_err());
    // SSH ed25519 identity.
    let mut ssh = KeySources::new();
    ssh.add_age_identities(&read("ssh-identity"), "ssh-identity")
        .unwrap();
    let md = md_for(
        read("encrypted-key-ssh.age"),
        read("ssh-recipient.pub").trim().to_string(),
    );
    assert_eq!(
        data_key_any(&ssh, &md).as_deref(),
        Ok(plain.trim_end().as_bytes())
    );
    // The post-quantum hybrid identity loads (tests/age_pq.rs decrypts with such keys).
    let mut pq = KeySources::new();
    assert_eq!(
        pq.add_age_identities(&read("identity-pq-hybrid.txt"), "pq")
            .unwrap(),
        1
    );
    assert!(pq.notes().is_empty(), "{:?}", pq.notes());
}

/// The unit vectors wrap a short text, not a 32-byte key: unwrap it through the group API.
fn data_key_any(ks: &KeySources, md: &krust_sops::Metadata) -> Result<Vec<u8>, String> {
    match ks.data_key(md) {
        Ok(k) => Ok(k.to_vec()),
        Err(Error::Metadata(m)) if m.contains("expected 32") => ks
            .unwrap_group(&md.key_groups[0])
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// sops functional test `test_yaml_time`: YAML dates become `time` values.
#[test]
fn yaml_time_values() {
    let e = env(1);
    let input = b"a: 2024-01-01\nb: 2006-01-02T15:04:05+07:06";
    let enc = encrypt(input, Format::Yaml, &opts(&e), &e.keys).unwrap();
    assert!(String::from_utf8_lossy(&enc).contains("type:time]"));
    let d = decrypt(&enc, Format::Yaml, &e.keys).unwrap();
    assert_eq!(
        String::from_utf8(d.plaintext).unwrap(),
        "a: 2024-01-01T00:00:00Z\nb: 2006-01-02T15:04:05+07:06\n"
    );
}

/// sops functional test `test_ini_values_as_strings`: YAML decrypted to INI.
#[test]
fn ini_values_as_strings() {
    let e = env(1);
    let input = b"the_section:\n  int: 123\n  float: 1.23\n  bool: true\n  date: 2025-01-02\n  timestamp: 2025-01-02 03:04:05\n  utc_timestamp: 2025-01-02T03:04:05Z\n  string: this is a string";
    let enc = encrypt(input, Format::Yaml, &opts(&e), &e.keys).unwrap();
    let o = krust_sops::DecryptOptions {
        output: Some(Format::Ini),
        ..Default::default()
    };
    let d = krust_sops::decrypt_with(&enc, Format::Yaml, &e.keys, &o).unwrap();
    assert_eq!(
        String::from_utf8(d.plaintext).unwrap(),
        "[the_section]\nint           = 123\nfloat         = 1.23\nbool          = true\ndate          = 2025-01-02T00:00:00Z\ntimestamp     = 2025-01-02T03:04:05Z\nutc_timestamp = 2025-01-02T03:04:05Z\nstring        = this is a string\n"
    );
}

/// sops functional test `roundtrip_binary`.
#[test]
fn binary_with_json_like_content() {
    let e = env(1);
    let data = b"\"\"{}this_is_binary_data";
    roundtrip(data, Format::Binary, &opts(&e), &e.keys);
}

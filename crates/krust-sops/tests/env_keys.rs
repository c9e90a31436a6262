//! Key sources read from the environment, as sops reads them. One test only: it changes the
//! process environment.

use age::secrecy::ExposeSecret;
use krust_sops::age_pq::HybridIdentity;
use krust_sops::{decrypt, encrypt, AgeKey, EncryptOptions, Format, KeyGroup, KeySources};

fn encrypt_to(recipient: String) -> Vec<u8> {
    let o = EncryptOptions {
        key_groups: vec![KeyGroup {
            age: vec![AgeKey {
                recipient,
                enc: String::new(),
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    encrypt(b"a: b\n", Format::Yaml, &o, &KeySources::new()).unwrap()
}

#[test]
fn env_key_sources() {
    let dir = std::env::temp_dir().join(format!("krust-sops-env-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("xdg/sops/age")).unwrap();
    let ids: Vec<age::x25519::Identity> =
        (0..5).map(|_| age::x25519::Identity::generate()).collect();
    let secret = |i: usize| ids[i].to_string().expose_secret().to_string();
    let files: Vec<Vec<u8>> = ids
        .iter()
        .map(|i| encrypt_to(i.to_public().to_string()))
        .collect();
    std::fs::write(dir.join("keys.txt"), format!("# comment\n{}\n", secret(1))).unwrap();
    std::fs::write(dir.join("cmd.txt"), secret(2)).unwrap();
    std::fs::write(dir.join("xdg/sops/age/keys.txt"), secret(3)).unwrap();
    for k in [
        "SOPS_AGE_KEY",
        "SOPS_AGE_KEY_FILE",
        "SOPS_AGE_KEY_CMD",
        "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
        "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
    ] {
        std::env::remove_var(k);
    }
    // SOPS_AGE_KEY may hold several keys on one line.
    std::env::set_var("SOPS_AGE_KEY", format!("{} {}", secret(0), secret(4)));
    std::env::set_var("SOPS_AGE_KEY_FILE", dir.join("keys.txt"));
    std::env::set_var(
        "SOPS_AGE_KEY_CMD",
        format!("cat '{}'", dir.join("cmd.txt").display()),
    );
    std::env::set_var("XDG_CONFIG_HOME", dir.join("xdg"));
    std::env::set_var("HOME", &dir);
    let ks = KeySources::from_env();
    assert!(ks.notes().is_empty(), "{:?}", ks.notes());
    assert_eq!(ks.len(), 5);
    for (i, f) in files.iter().enumerate() {
        let d = decrypt(f, Format::Yaml, &ks).unwrap_or_else(|e| panic!("key {i}: {e}"));
        assert_eq!(d.plaintext, b"a: b\n");
    }
    // An SSH key file.
    let ssh = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/sops/getsops-sops/age-unit-vectors/ssh-identity");
    if ssh.is_file() {
        std::env::set_var("SOPS_AGE_SSH_PRIVATE_KEY_FILE", &ssh);
        let ks = KeySources::from_env();
        assert_eq!(ks.len(), 6, "{:?}", ks.notes());
    }
    // SOPS_AGE_KEY_CMD is also run per recipient with SOPS_AGE_RECIPIENT set.
    let late = age::x25519::Identity::generate();
    let late_file = encrypt_to(late.to_public().to_string());
    std::fs::write(dir.join("late.txt"), late.to_string().expose_secret()).unwrap();
    std::env::remove_var("SOPS_AGE_KEY");
    std::env::remove_var("SOPS_AGE_KEY_FILE");
    std::env::set_var(
        "SOPS_AGE_KEY_CMD",
        format!(
            "if [ \"$SOPS_AGE_RECIPIENT\" = \"{}\" ]; then cat '{}'; fi",
            late.to_public(),
            dir.join("late.txt").display()
        ),
    );
    let ks = KeySources::from_env();
    assert!(
        ks.notes().iter().all(|n| !n.contains("failed")),
        "{:?}",
        ks.notes()
    );
    let d = decrypt(&late_file, Format::Yaml, &ks).unwrap();
    assert_eq!(d.plaintext, b"a: b\n");
    // A failing command is reported, not fatal.
    std::env::set_var("SOPS_AGE_KEY_CMD", "exit 3");
    let ks = KeySources::from_env();
    assert!(ks
        .notes()
        .iter()
        .any(|n| n.contains("SOPS_AGE_KEY_CMD failed")));
    // Post-quantum hybrid identities come from the same places.
    let pq: Vec<HybridIdentity> = (0..4).map(|_| HybridIdentity::generate()).collect();
    let pq_secret = |i: usize| pq[i].to_secret_string().to_string();
    let pq_files: Vec<Vec<u8>> = pq
        .iter()
        .map(|i| encrypt_to(i.recipient().to_string()))
        .collect();
    std::fs::write(dir.join("pq.txt"), format!("# pq\n{}\n", pq_secret(1))).unwrap();
    std::fs::write(dir.join("pq-late.txt"), pq_secret(3)).unwrap();
    std::env::set_var("SOPS_AGE_KEY", format!("{} {}", pq_secret(0), secret(0)));
    std::env::set_var("SOPS_AGE_KEY_FILE", dir.join("pq.txt"));
    std::env::set_var(
        "SOPS_AGE_KEY_CMD",
        format!(
            "if [ -z \"$SOPS_AGE_RECIPIENT\" ]; then cat '{}'; \
             elif [ \"$SOPS_AGE_RECIPIENT\" = \"{}\" ]; then cat '{}'; fi",
            dir.join("cmd.txt").display(),
            pq[3].recipient(),
            dir.join("pq-late.txt").display()
        ),
    );
    std::env::remove_var("SOPS_AGE_SSH_PRIVATE_KEY_FILE");
    let ks = KeySources::from_env();
    assert!(ks.notes().is_empty(), "{:?}", ks.notes());
    // SOPS_AGE_KEY (2), SOPS_AGE_KEY_FILE (1), SOPS_AGE_KEY_CMD without recipient (1), XDG (1).
    assert_eq!(ks.len(), 5);
    for i in [0, 1, 3] {
        let d = decrypt(&pq_files[i], Format::Yaml, &ks).unwrap_or_else(|e| panic!("pq {i}: {e}"));
        assert_eq!(d.plaintext, b"a: b\n");
    }
    assert!(decrypt(&pq_files[2], Format::Yaml, &ks).is_err());
    // A malformed post-quantum key in a key file is reported with the file and line.
    std::fs::write(
        dir.join("pq.txt"),
        format!("# pq\n{}\n", &pq_secret(1)[..40]),
    )
    .unwrap();
    std::env::remove_var("SOPS_AGE_KEY_CMD");
    let ks = KeySources::from_env();
    assert!(
        ks.notes().iter().any(|n| n.contains("SOPS_AGE_KEY_FILE=")
            && n.contains("pq.txt line 2")
            && n.contains("invalid post-quantum age key")),
        "{:?}",
        ks.notes()
    );
    std::fs::remove_dir_all(&dir).ok();
}

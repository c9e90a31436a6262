//! Cross-checks with GnuPG: a data key krust wraps for a PGP key decrypts with `gpg`, and a
//! message `gpg` encrypts decrypts with krust's pure-Rust OpenPGP. Skipped (with a printed
//! reason) when `gpg` or the test key is absent.

use krust_sops::{KeyGroup, KeySources, Metadata, PgpKey};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const FP: &str = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";

fn gpg(home: &Path, args: &[&str], input: &[u8]) -> Option<Vec<u8>> {
    let mut child = Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--quiet", "--yes"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(input).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status.success().then_some(out.stdout)
}

#[test]
fn gpg_roundtrips() {
    let key_file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/sops/getsops-sops/pgp/sops_functional_tests_key.asc");
    let Ok(armored) = std::fs::read_to_string(&key_file) else {
        println!("skipped: PGP test key not found");
        return;
    };
    if Command::new("gpg").arg("--version").output().is_err() {
        println!("skipped: gpg is not installed");
        return;
    }
    let home = std::env::temp_dir().join(format!("krust-sops-gpg-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let result = std::panic::catch_unwind(|| {
        assert!(
            gpg(&home, &["--import"], armored.as_bytes()).is_some(),
            "gpg --import failed"
        );
        let mut ks = KeySources::new();
        ks.add_pgp_key(&armored, "test key").unwrap();
        // krust wraps, gpg unwraps.
        let secret = [0x5au8; 32];
        let enc = ks.pgp_encrypt(FP, &secret).unwrap();
        let plain = gpg(&home, &["--decrypt"], enc.as_bytes()).expect("gpg --decrypt failed");
        assert_eq!(plain, secret);
        // gpg wraps, krust unwraps.
        let enc = gpg(
            &home,
            &["--armor", "--trust-model", "always", "--encrypt", "-r", FP],
            &secret,
        )
        .expect("gpg --encrypt failed");
        let md = Metadata {
            key_groups: vec![KeyGroup {
                pgp: vec![PgpKey {
                    fp: FP.into(),
                    enc: String::from_utf8(enc).unwrap(),
                    created_at: String::new(),
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(ks.data_key(&md).unwrap(), secret);
    });
    let _ = Command::new("gpgconf")
        .env("GNUPGHOME", &home)
        .args(["--kill", "gpg-agent"])
        .output();
    std::fs::remove_dir_all(&home).ok();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

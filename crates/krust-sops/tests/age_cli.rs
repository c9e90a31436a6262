//! Cross-checks with the `age` CLI: data keys krust wraps decrypt with `age -d`, and files
//! `age -a -e` writes unwrap with krust. Skipped (with a printed reason) when `age` is absent.

use age::secrecy::ExposeSecret;
use krust_sops::{AgeKey, KeyGroup, KeySources, Metadata};
use std::io::Write;
use std::process::{Command, Stdio};

fn age_cli() -> bool {
    match Command::new("age").arg("--version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            println!("skipped: the `age` CLI is not installed (apt-get install age)");
            false
        }
    }
}

#[test]
fn krust_wrapped_key_decrypts_with_age_cli() {
    if !age_cli() {
        return;
    }
    let id = age::x25519::Identity::generate();
    let dir = std::env::temp_dir().join(format!("krust-sops-agecli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("key.txt");
    std::fs::write(&key_file, format!("{}\n", id.to_string().expose_secret())).unwrap();
    let secret = [0x42u8; 32];
    let armored = krust_sops::keys::age_encrypt(&id.to_public().to_string(), &secret).unwrap();
    assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
    let mut child = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(armored.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success());
    assert_eq!(out.stdout, secret);
}

#[test]
fn age_cli_output_unwraps_with_krust() {
    if !age_cli() {
        return;
    }
    let id = age::x25519::Identity::generate();
    let recipient = id.to_public().to_string();
    let secret = [7u8; 32];
    let mut child = Command::new("age")
        .args(["-a", "-e", "-r", &recipient])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&secret).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let md = Metadata {
        key_groups: vec![KeyGroup {
            age: vec![AgeKey {
                recipient,
                enc: String::from_utf8(out.stdout).unwrap(),
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut ks = KeySources::new();
    ks.add_age_identities(id.to_string().expose_secret(), "test")
        .unwrap();
    assert_eq!(ks.data_key(&md).unwrap(), secret);
}

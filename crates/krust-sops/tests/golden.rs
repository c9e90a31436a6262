//! Files encrypted by an earlier krust (tests/fixtures/sops/enc.*) must keep decrypting to
//! exactly their plaintext (tests/fixtures/sops/plain.*), in every format.

use krust_sops::{decrypt, Format, KeySources};
use std::path::Path;

#[test]
fn golden_files_decrypt() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sops");
    let mut keys = KeySources::new();
    keys.add_age_identities(
        &std::fs::read_to_string(dir.join("age-key.txt")).unwrap(),
        "age-key.txt",
    )
    .unwrap();
    for (ext, format) in [
        ("yaml", Format::Yaml),
        ("json", Format::Json),
        ("env", Format::Dotenv),
        ("ini", Format::Ini),
        ("txt", Format::Binary),
    ] {
        let enc = std::fs::read(dir.join(format!("enc.{ext}"))).unwrap();
        let plain = std::fs::read(dir.join(format!("plain.{ext}"))).unwrap();
        let d = decrypt(&enc, format, &keys).unwrap_or_else(|e| panic!("enc.{ext}: {e}"));
        assert!(d.mac_ok);
        assert_eq!(
            String::from_utf8_lossy(&d.plaintext),
            String::from_utf8_lossy(&plain),
            "enc.{ext}"
        );
    }
    let yaml = std::fs::read_to_string(dir.join("enc.yaml")).unwrap();
    for t in [
        "type:int]",
        "type:float]",
        "type:bool]",
        "type:time]",
        "type:comment]",
    ] {
        assert!(yaml.contains(t), "enc.yaml has no {t}");
    }
    assert!(yaml.contains("note_unencrypted: stays clear"));
}

#[test]
fn decrypt_file_picks_format_by_extension() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sops");
    let mut keys = KeySources::new();
    keys.add_age_identities(
        &std::fs::read_to_string(dir.join("age-key.txt")).unwrap(),
        "age-key.txt",
    )
    .unwrap();
    for ext in ["yaml", "json", "env", "ini", "txt"] {
        let d = krust_sops::decrypt_file(&dir.join(format!("enc.{ext}")), &keys).unwrap();
        assert_eq!(
            d.plaintext,
            std::fs::read(dir.join(format!("plain.{ext}"))).unwrap()
        );
    }
    assert!(matches!(
        krust_sops::decrypt_file(&dir.join("missing.yaml"), &keys),
        Err(krust_sops::Error::Io { .. })
    ));
}

//! Cross-check with the `rops` CLI (crates.io `rops-cli`, a Rust SOPS implementation): files
//! krust encrypts (YAML and JSON, age) must decrypt with `rops decrypt` to the same tree.
//! Skipped with a printed reason when `rops` is not on PATH.

use age::secrecy::ExposeSecret;
use krust_sops::{encrypt, load_plain, AgeKey, EncryptOptions, Format, KeyGroup, KeySources};
use std::process::Command;

const YAML: &str = "a: hello\nb:\n    c: 1\n    d: 1.5\n    e: true\nlist:\n    - x\n    - z\n";
const JSON: &str = "{\n\t\"a\": \"b\",\n\t\"n\": 1,\n\t\"o\": {\n\t\t\"x\": [\n\t\t\t\"one\",\n\t\t\ttrue\n\t\t]\n\t}\n}\n";

#[test]
fn rops_decrypts_krust_files() {
    // rops-cli has no --version flag; --help tells whether it runs.
    if !matches!(Command::new("rops").arg("--help").output(), Ok(o) if o.status.success()) {
        println!("skipped: the `rops` CLI is not installed (cargo install rops-cli)");
        return;
    }
    let id = age::x25519::Identity::generate();
    let o = EncryptOptions {
        key_groups: vec![KeyGroup {
            age: vec![AgeKey {
                recipient: id.to_public().to_string(),
                enc: String::new(),
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let dir = std::env::temp_dir().join(format!("krust-sops-rops-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text, format) in [
        ("s.yaml", YAML, Format::Yaml),
        ("s.json", JSON, Format::Json),
    ] {
        let enc = encrypt(text.as_bytes(), format, &o, &KeySources::new()).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, &enc).unwrap();
        // rops reads stdin whenever it is not a terminal, so the file goes in through stdin.
        let ext = if format == Format::Yaml {
            "yaml"
        } else {
            "json"
        };
        let out = Command::new("rops")
            .args(["decrypt", "--format", ext])
            .stdin(std::fs::File::open(&path).unwrap())
            .current_dir(&dir)
            .env("ROPS_AGE", id.to_string().expose_secret())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "rops decrypt {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = load_plain(&out.stdout, format).unwrap();
        let want = load_plain(text.as_bytes(), format).unwrap();
        assert_eq!(
            got,
            want,
            "rops output for {name}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

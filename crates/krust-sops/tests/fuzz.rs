//! Parsers and the decryptor must never panic on arbitrary input.

use krust_sops::{decrypt, load_plain, Format, KeySources};
use proptest::prelude::*;

const FORMATS: [Format; 5] = [
    Format::Yaml,
    Format::Json,
    Format::Dotenv,
    Format::Ini,
    Format::Binary,
];

fn mutate_seed() -> impl Strategy<Value = Vec<u8>> {
    let seed: &[u8] = b"a: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\nb:\n    - 1\n    # c\nsops:\n    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n    age:\n        - recipient: age1se5ghfycr4n8kcwc3qwf234ymvmr2lex2a99wh8gpfx97glwt9hqch4569\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdl\n            -----END AGE ENCRYPTED FILE-----\n    version: 3.9.0\n";
    (
        proptest::collection::vec((0usize..400, any::<u8>()), 0..8),
        0usize..400,
    )
        .prop_map(move |(edits, cut)| {
            let mut v = seed.to_vec();
            for (i, b) in edits {
                if !v.is_empty() {
                    let i = i % v.len();
                    v[i] = b;
                }
            }
            v.truncate(cut.max(1).min(v.len()));
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let keys = KeySources::new();
        for f in FORMATS {
            let _ = load_plain(&bytes, f);
            let _ = decrypt(&bytes, f, &keys);
        }
    }

    #[test]
    fn random_text_never_panics(s in "[ -~\n\t#:\\-\\[\\]{}'\"|>&*!%@`]{0,300}") {
        let keys = KeySources::new();
        for f in FORMATS {
            let _ = load_plain(s.as_bytes(), f);
            let _ = decrypt(s.as_bytes(), f, &keys);
        }
    }

    #[test]
    fn mutated_sops_file_never_panics(bytes in mutate_seed()) {
        let keys = KeySources::new();
        let _ = decrypt(&bytes, Format::Yaml, &keys);
    }

    #[test]
    fn yaml_reemits_what_it_parses(s in "[a-z]{1,5}: [a-z0-9 ]{0,10}(\n[a-z]{1,5}: [a-z0-9]{0,5}){0,4}\n") {
        if let Ok(docs) = load_plain(s.as_bytes(), Format::Yaml) {
            let out = krust_sops::emit_plain(&docs, Format::Yaml, &Default::default()).unwrap();
            // Emitting is a fixed point after one pass (go-yaml may retype e.g. `08` once).
            let again = load_plain(&out, Format::Yaml).unwrap();
            let out2 = krust_sops::emit_plain(&again, Format::Yaml, &Default::default()).unwrap();
            prop_assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&out2));
        }
    }
}

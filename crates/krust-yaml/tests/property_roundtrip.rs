//! Property test (stable Rust, runs with `cargo test`): for random value trees whose strings mix
//! YAML indicators, quotes, line breaks, control and non-ASCII characters and number- or
//! boolean-like words, the emitter's output parses back to a tree that prints identically
//! (`emit(parse(emit(v))) == emit(v)`), and `parse_bytes` never panics on random bytes.
//! The nightly `cargo fuzz` targets in `fuzz/` explore the same properties coverage-guided.

use krust_yaml::{check_printable, parse_bytes, parse_one, to_string, Mapping, Value};
use proptest::prelude::*;

/// Strings built from pieces that trigger go-yaml's quoting and folding rules.
fn tricky_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("yes".to_string()),
        Just("no".to_string()),
        Just("on".to_string()),
        Just("~".to_string()),
        Just("null".to_string()),
        Just("0777".to_string()),
        Just("1e3".to_string()),
        Just(".5".to_string()),
        Just("1:20".to_string()),
        Just("2001-12-14".to_string()),
        Just("<<".to_string()),
        Just("- ".to_string()),
        Just(": ".to_string()),
        Just(" #".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("\t".to_string()),
        Just(" ".to_string()),
        Just("  ".to_string()),
        Just("\r".to_string()),
        Just("\u{85}".to_string()),
        Just("\u{a0}".to_string()),
        Just("\u{feff}".to_string()),
        Just("é".to_string()),
        Just("😀".to_string()),
        Just("---".to_string()),
        Just("word ".repeat(20)),
        "[a-z]{1,12}",
        "[ -~]{0,10}",
        "[0-9._+-]{1,6}",
    ];
    prop::collection::vec(piece, 0..6).prop_map(|parts| parts.concat())
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        (-1e6f64..1e6).prop_map(Value::Float),
        tricky_string().prop_map(Value::String),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Seq),
            prop::collection::vec((tricky_string(), inner), 0..5)
                .prop_map(|entries| Value::Map(entries.into_iter().collect::<Mapping>())),
        ]
    })
}

/// Quirks of go-yaml v2 that krust reproduces byte for byte and that do not read back: line and
/// paragraph separators written raw (see the fuzz target), a `<<` key written plain (it reads
/// back as a merge key), and keys that fold into one another.
fn has_line_separator(v: &Value) -> bool {
    let odd = |s: &str| s.contains(['\u{2028}', '\u{2029}']);
    if let Value::Map(m) = v {
        if m.contains_key("<<") {
            return true;
        }
        // A key with a NEL can read back equal to a sibling (the NEL and the spaces around it
        // fold), and a duplicate key is an error, as it is for go-yaml.
        if m.len() > 1 && m.keys().any(|k| k.contains('\u{85}')) {
            return true;
        }
    }
    match v {
        Value::String(s) => odd(s),
        Value::Seq(items) => items.iter().any(has_line_separator),
        Value::Map(m) => m.iter().any(|(k, v)| odd(k) || has_line_separator(v)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    #[test]
    fn emit_is_a_fixed_point(v in tree()) {
        // Documents are mappings in practice; wrap scalars and sequences.
        let doc = match v {
            Value::Map(_) => v,
            other => Value::Map([("root".to_string(), other)].into_iter().collect()),
        };
        prop_assume!(check_printable(&doc).is_ok() && !has_line_separator(&doc));
        let once = to_string(&doc);
        let back = parse_one(&once).map_err(|e| TestCaseError::fail(format!("{e}\n{once}")))?;
        prop_assert_eq!(to_string(&back), once);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(docs) = parse_bytes(&bytes) {
            for d in docs {
                let _ = to_string(&d.value);
            }
        }
    }

    #[test]
    fn yaml_shaped_noise_never_panics(text in "[-:#&*!|>'\"%@`{}\\[\\], ?\n\ta-z0-9.~<]{0,200}") {
        if let Ok(docs) = krust_yaml::parse_documents(&text) {
            for d in docs {
                let _ = to_string(&d.value);
            }
        }
    }
}

//! Emitting is a fixed point: for every stream that parses, `emit(parse(emit(v))) == emit(v)` for
//! each document `v` kustomize could print — the emitter writes only YAML that reads back as the
//! same tree.
//!
//! Excluded: text with U+2028/U+2029 (go-yaml v2 writes them raw inside quoted and literal
//! scalars followed by indentation, which YAML 1.2 readers keep as content) and `<<` keys
//! (written plain, they read back as merge keys). kustomize output has the same quirks and krust
//! reproduces them byte for byte.
#![no_main]

use krust_yaml::Value;
use libfuzzer_sys::fuzz_target;

fn has_line_separator(v: &Value) -> bool {
    let odd = |s: &str| s.contains(['\u{2028}', '\u{2029}']);
    match v {
        Value::String(s) => odd(s),
        Value::Seq(items) => items.iter().any(has_line_separator),
        Value::Map(m) => m.iter().any(|(k, v)| odd(k) || k == "<<" || has_line_separator(v)),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(docs) = krust_yaml::parse_bytes(data) else {
        return;
    };
    for doc in docs {
        if krust_yaml::check_printable(&doc.value).is_err() || has_line_separator(&doc.value) {
            continue;
        }
        let once = krust_yaml::to_string(&doc.value);
        let reparsed = match krust_yaml::parse_one(&once) {
            Ok(v) => v,
            Err(e) => panic!("emitted YAML does not parse: {e}\n--- emitted:\n{once}"),
        };
        let twice = krust_yaml::to_string(&reparsed);
        assert_eq!(once, twice, "emit is not a fixed point");
    }
});

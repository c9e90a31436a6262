//! The content-hash name suffix of generated ConfigMaps and Secrets.
//!
//! kustomize hashes a small JSON document made of the object's kind, name and data (plus `type`
//! for Secrets and `binaryData` / `stringData` when present), encoded the way Go's
//! `encoding/json` encodes a `map[string]interface{}` (keys sorted, HTML characters escaped),
//! takes the SHA-256 hex digest, keeps its first 10 characters and replaces a few of them so the
//! suffix never looks like a number or a word with vowels.

use krust_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

/// The 10-character suffix kustomize appends (after `-`) to a generated object's name.
pub fn name_hash(object: &Value) -> String {
    let kind = object.str_at(&["kind"]).unwrap_or("");
    let encoded = match kind {
        "ConfigMap" => {
            let mut m = Mapping::default();
            m.insert("kind".into(), Value::from("ConfigMap"));
            m.insert("name".into(), name_for_hash());
            m.insert("data".into(), field_for_hash(object, &["data"]));
            if let Some(b @ Value::Map(_)) = object.get("binaryData") {
                m.insert("binaryData".into(), b.clone());
            }
            go_json(&Value::Map(m))
        }
        "Secret" => {
            let mut m = Mapping::default();
            m.insert("kind".into(), Value::from("Secret"));
            m.insert("type".into(), field_for_hash(object, &["type"]));
            m.insert("name".into(), name_for_hash());
            m.insert("data".into(), field_for_hash(object, &["data"]));
            if let Some(s @ Value::Map(_)) = object.get("stringData") {
                m.insert("stringData".into(), s.clone());
            }
            go_json(&Value::Map(m))
        }
        _ => go_json(object),
    };
    encode_digest(&hex_sha256(&encoded))
}

/// kustomize's `SortArrayAndComputeHash`: sorts the strings, encodes them as a JSON array and
/// hashes that.
pub fn sorted_strings_hash(items: &[String]) -> String {
    let mut sorted = items.to_vec();
    sorted.sort();
    let json = go_json(&Value::Seq(sorted.into_iter().map(Value::String).collect()));
    encode_digest(&hex_sha256(&json))
}

/// kustomize looks the name up as a single field literally called `metadata/name`, which never
/// exists, so the name it hashes is always empty: renaming an object never changes its suffix.
fn name_for_hash() -> Value {
    Value::String(String::new())
}

/// A field's value as kustomize feeds it to the hash: missing is `""`, scalars are their text,
/// collections are kept as they are.
fn field_for_hash(object: &Value, path: &[&str]) -> Value {
    match object.get_path(path) {
        None | Some(Value::Null) => Value::String(String::new()),
        Some(v @ (Value::Map(_) | Value::Seq(_))) => v.clone(),
        Some(v) => Value::String(v.scalar_text().unwrap_or_default()),
    }
}

fn hex_sha256(data: &str) -> String {
    let digest = Sha256::digest(data.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Keeps 10 hex characters and swaps `0 1 3 a e` for `g h k m t`.
fn encode_digest(hex: &str) -> String {
    hex.chars()
        .take(10)
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            other => other,
        })
        .collect()
}

/// Encodes a value as Go's `encoding/json` encodes the equivalent `interface{}`.
pub fn go_json(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&go_float(*f)),
        Value::String(s) => write_json_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                if let Some(val) = m.get(k) {
                    write_json(val, out);
                }
            }
            out.push('}');
        }
    }
}

fn go_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        let s = format!("{f}");
        s.replace("e", "e+").replace("e+-", "e-")
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(yaml: &str) -> String {
        name_hash(&krust_yaml::parse_one(yaml).unwrap())
    }

    #[test]
    fn matches_kustomize_hashes() {
        // Values from kustomize's hasher tests.
        assert_eq!(h("apiVersion: v1\nkind: ConfigMap"), "6ct58987ht");
        assert_eq!(
            h("apiVersion: v1\nkind: ConfigMap\ndata:\n  one: \"\""),
            "9g67k2htb6"
        );
        assert_eq!(
            h("apiVersion: v1\nkind: ConfigMap\ndata:\n  two: 2\n  one: \"\"\n  three: 3"),
            "7757f9kkct"
        );
        assert_eq!(
            h("apiVersion: v1\nkind: ConfigMap\nbinaryData:\n  one: \"\""),
            "6mtk2m274t"
        );
    }

    #[test]
    fn go_json_escapes_html() {
        assert_eq!(
            go_json(&Value::from("<a&b>")),
            "\"\\u003ca\\u0026b\\u003e\""
        );
    }
}

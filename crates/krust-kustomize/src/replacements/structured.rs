//! Replacement targets inside JSON held in a string field (kustomize ≥ 5.8), e.g.
//! `data.config\.json.database.host` where `data["config.json"]` is a JSON document.
//!
//! Before walking a target path normally, kustomize looks for the first prefix of the path
//! that ends on a scalar whose text parses as YAML; when the rest of the path can be found (or
//! created) in that parsed document, the value is written there and the document is
//! re-serialised into the scalar: as JSON when the text starts with `{` or `[` (indented by two
//! spaces when the original had newlines and indentation, compact otherwise, keys sorted as Go's
//! `encoding/json` writes them). Anything else falls back to the normal walk, which then fails
//! on the scalar as kustomize 5.6 does.
//!
//! kustomize also re-serialises embedded YAML (keeping its key order); krust refuses that case
//! with [`ReplacementError::EmbeddedYaml`] rather than print a reordered document.

use krust_yaml::Value;

use super::path::{self, CreateKind, Located};
use super::ReplacementError;

/// What [`edit_embedded`] did.
pub(super) enum Outcome {
    /// The value was written inside an embedded document.
    Done,
    /// The path does not lead into an embedded document: walk it normally.
    NotApplicable,
}

/// Tries to write through a scalar holding a JSON document; `write` sets one found node
/// (its arguments: the node, and whether the walk created it).
pub(super) fn edit_embedded(
    root: &mut Value,
    field_path: &str,
    create: Option<CreateKind>,
    write: &mut dyn FnMut(&mut Value, bool) -> Result<(), ReplacementError>,
) -> Result<Outcome, ReplacementError> {
    let parts = path::split_path(field_path);
    if parts.len() < 2 {
        return Ok(Outcome::NotApplicable);
    }
    // The first prefix ending on a scalar whose text parses.
    let mut found = None;
    for i in 1..parts.len() {
        let Ok(Some(steps)) = path::lookup_steps(root, &parts[..i]) else {
            continue;
        };
        let Some(Value::String(text)) = path::node_at(root, &steps) else {
            continue;
        };
        if let Ok(doc) = krust_yaml::parse_one(text) {
            found = Some((steps, text.clone(), doc, i));
            break;
        }
    }
    let Some((steps, original, mut doc, i)) = found else {
        return Ok(Outcome::NotApplicable);
    };
    if !matches!(doc, Value::Map(_)) {
        return Ok(Outcome::NotApplicable);
    }
    let targets: Vec<Located> = match path::find_targets(&mut doc, &parts[i..], create) {
        Ok(t) if !t.is_empty() => t,
        _ => return Ok(Outcome::NotApplicable),
    };
    for loc in targets.iter().filter(|l| !l.detached) {
        let Some(node) = path::node_at_mut(&mut doc, &loc.steps) else {
            continue;
        };
        if write(node, loc.created).is_err() {
            return Ok(Outcome::NotApplicable);
        }
    }
    let trimmed = original.trim_start();
    let serialized = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let pretty = original.contains('\n') && original.contains("  ");
        let mut out = String::new();
        write_json(&doc, pretty.then_some(0), &mut out);
        out
    } else {
        return Err(ReplacementError::EmbeddedYaml(field_path.to_string()));
    };
    if let Some(node) = path::node_at_mut(root, &steps) {
        *node = Value::String(serialized);
    }
    Ok(Outcome::Done)
}

/// Writes `v` as Go's `encoding/json` does (`Marshal`, or `MarshalIndent(v, "", "  ")` when
/// `indent` is the current depth): sorted keys, HTML-safe escapes, Go's float format.
fn write_json(v: &Value, indent: Option<usize>, out: &mut String) {
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)),
        Value::String(s) => json_string(s, out),
        Value::Seq(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                if let Some(d) = indent {
                    newline(out, d + 1);
                }
                write_json(item, indent.map(|d| d + 1), out);
            }
            if let Some(d) = indent {
                newline(out, d);
            }
            out.push(']');
        }
        Value::Map(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (n, k) in keys.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                if let Some(d) = indent {
                    newline(out, d + 1);
                }
                json_string(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                if let Some(item) = m.get(k.as_str()) {
                    write_json(item, indent.map(|d| d + 1), out);
                }
            }
            if let Some(d) = indent {
                newline(out, d);
            }
            out.push('}');
        }
    }
}

/// Go's JSON number format for a float64: plain digits, exponent form below 1e-6 and from
/// 1e21 up (`1e+21`, `1e-7`).
fn json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{f}")
    }
}

/// A JSON string with Go's escapes (`<`, `>`, `&`, U+2028 and U+2029 escaped too).
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str, pretty: bool) -> String {
        let v = krust_yaml::parse_one(text).expect("yaml");
        let mut out = String::new();
        write_json(&v, pretty.then_some(0), &mut out);
        out
    }

    #[test]
    fn go_json_format() {
        assert_eq!(
            json("{b: [1, 2.5, x], a: {}, c: [], d: null, e: '<&>'}", false),
            r#"{"a":{},"b":[1,2.5,"x"],"c":[],"d":null,"e":"\u003c\u0026\u003e"}"#
        );
        assert_eq!(
            json("{b: [1, true], a: {x: 1e21, y: 0.0000001}}", true),
            "{\n  \"a\": {\n    \"x\": 1e+21,\n    \"y\": 1e-7\n  },\n  \"b\": [\n    1,\n    true\n  ]\n}"
        );
    }
}

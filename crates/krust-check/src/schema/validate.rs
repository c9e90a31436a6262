//! A validator for the Kubernetes structural-schema subset of JSON Schema, over YAML values.

use std::collections::HashMap;
use std::sync::RwLock;

use krust_yaml::Value;
use serde_json::Value as J;

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// Dotted path of the offending field (`spec.template.spec.containers[0].ports[0]`).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// True when the problem is a field the schema does not declare.
    pub unknown_field: bool,
}

static PATTERNS: RwLock<Option<HashMap<String, Option<regex::Regex>>>> = RwLock::new(None);

fn pattern_matches(pattern: &str, s: &str) -> bool {
    if let Ok(guard) = PATTERNS.read() {
        if let Some(Some(re)) = guard.as_ref().and_then(|m| m.get(pattern)) {
            return re.is_match(s);
        } else if let Some(None) = guard.as_ref().and_then(|m| m.get(pattern)) {
            return true;
        }
    }
    let re = regex::Regex::new(pattern).ok();
    let ok = re.as_ref().is_none_or(|r| r.is_match(s));
    if let Ok(mut guard) = PATTERNS.write() {
        guard
            .get_or_insert_with(HashMap::new)
            .insert(pattern.to_string(), re);
    }
    ok
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match (t, v) {
        (_, Value::Null) => true,
        ("object", Value::Map(_)) => true,
        ("array", Value::Seq(_)) => true,
        ("string", Value::String(_)) => true,
        ("boolean", Value::Bool(_)) => true,
        ("integer", Value::Int(_)) => true,
        ("integer", Value::Float(f)) => f.fract() == 0.0,
        ("number", Value::Int(_) | Value::Float(_)) => true,
        _ => false,
    }
}

fn scalar_eq(j: &J, v: &Value) -> bool {
    match (j, v) {
        (J::String(a), Value::String(b)) => a == b,
        (J::Bool(a), Value::Bool(b)) => a == b,
        (J::Number(n), Value::Int(i)) => n.as_i64() == Some(*i),
        (J::Number(n), Value::Float(f)) => n.as_f64() == Some(*f),
        (J::Null, Value::Null) => true,
        _ => false,
    }
}

fn push(errs: &mut Vec<SchemaError>, path: &str, message: String, unknown: bool) {
    errs.push(SchemaError {
        path: if path.is_empty() {
            "(root)".to_string()
        } else {
            path.to_string()
        },
        message,
        unknown_field: unknown,
    });
}

fn base64_ok(s: &str) -> bool {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    s.len() % 4 == 0
        && s.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphanumeric()
                || b == b'+'
                || b == b'/'
                || (b == b'=' && i >= s.len().saturating_sub(2))
        })
}

/// Validates `v` against `schema` (with `$ref`s resolved in `defs`), appending problems.
/// With `strict`, fields not declared by an object schema with `properties` are reported.
pub fn validate(
    schema: &J,
    defs: &serde_json::Map<String, J>,
    v: &Value,
    path: &mut String,
    strict: bool,
    errs: &mut Vec<SchemaError>,
) {
    validate_depth(schema, defs, v, path, strict, errs, 0)
}

#[allow(clippy::too_many_lines)]
fn validate_depth(
    schema: &J,
    defs: &serde_json::Map<String, J>,
    v: &Value,
    path: &mut String,
    strict: bool,
    errs: &mut Vec<SchemaError>,
    depth: usize,
) {
    let Some(s) = schema.as_object() else {
        return;
    };
    if depth > 64 {
        return;
    }
    if let Some(r) = s.get("$ref").and_then(J::as_str) {
        if let Some(target) = defs.get(r) {
            validate_depth(target, defs, v, path, strict, errs, depth + 1);
        }
        return;
    }
    if v.is_null() {
        return;
    }
    let int_or_string = s.get("x-kubernetes-int-or-string") == Some(&J::Bool(true));
    if int_or_string {
        if !matches!(v, Value::Int(_) | Value::String(_)) {
            push(
                errs,
                path,
                format!("expected integer or string, got {}", type_name(v)),
                false,
            );
        }
        return;
    }
    // `${VAR}` is replaced by Flux's postBuild substitution before the apply: its type is not
    // known yet.
    if matches!(v, Value::String(st) if st.contains("${")) {
        return;
    }
    if let Some(t) = s.get("type") {
        let ok = match t {
            J::String(t) => type_ok(t, v),
            J::Array(ts) => ts.iter().filter_map(J::as_str).any(|t| type_ok(t, v)),
            _ => true,
        };
        if !ok {
            let want = match t {
                J::String(t) => t.clone(),
                J::Array(ts) => ts
                    .iter()
                    .filter_map(J::as_str)
                    .filter(|t| *t != "null")
                    .collect::<Vec<_>>()
                    .join(" or "),
                _ => String::new(),
            };
            push(
                errs,
                path,
                format!("expected {want}, got {}", type_name(v)),
                false,
            );
            return;
        }
    }
    if let Some(J::Array(options)) = s.get("enum") {
        if !options.iter().any(|o| scalar_eq(o, v)) {
            let allowed: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            let shown = v.scalar_text().unwrap_or_else(|| type_name(v).to_string());
            push(
                errs,
                path,
                format!("value \"{shown}\" is not one of {}", allowed.join(", ")),
                false,
            );
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(J::Array(branches)) = s.get(key) {
            let mut best: Option<Vec<SchemaError>> = None;
            for b in branches {
                let mut e = Vec::new();
                validate_depth(b, defs, v, path, strict, &mut e, depth + 1);
                if e.is_empty() {
                    best = None;
                    break;
                }
                if best.as_ref().is_none_or(|x| e.len() < x.len()) {
                    best = Some(e);
                }
            }
            if let Some(e) = best {
                errs.extend(e);
            }
        }
    }
    if let Some(J::Array(all)) = s.get("allOf") {
        for b in all {
            validate_depth(b, defs, v, path, strict, errs, depth + 1);
        }
    }
    match v {
        Value::Map(m) => {
            if let Some(J::Array(req)) = s.get("required") {
                for r in req.iter().filter_map(J::as_str) {
                    if !m.contains_key(r) {
                        push(errs, path, format!("missing required field \"{r}\""), false);
                    }
                }
            }
            let props = s.get("properties").and_then(J::as_object);
            let additional = s.get("additionalProperties");
            let preserve = s.get("x-kubernetes-preserve-unknown-fields") == Some(&J::Bool(true));
            // Embedded resources and the root of every object (CRD schemas rarely declare them)
            // always accept apiVersion/kind/metadata.
            let embedded =
                s.get("x-kubernetes-embedded-resource") == Some(&J::Bool(true)) || path.is_empty();
            for (k, child) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                if let Some(ps) = props.and_then(|p| p.get(k)) {
                    validate_depth(ps, defs, child, path, strict, errs, depth + 1);
                } else if let Some(a @ J::Object(_)) = additional {
                    validate_depth(a, defs, child, path, strict, errs, depth + 1);
                } else if props.is_some()
                    && strict
                    && !preserve
                    && additional != Some(&J::Bool(true))
                    && !(embedded && matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))
                {
                    let p = path.clone();
                    path.truncate(len);
                    push(
                        errs,
                        &p,
                        format!(
                            "field \"{k}\" is not declared in the schema{}",
                            if path.is_empty() {
                                String::new()
                            } else {
                                format!(" of {path}")
                            }
                        ),
                        true,
                    );
                    continue;
                }
                path.truncate(len);
            }
        }
        Value::Seq(items) => {
            if let Some(n) = s.get("minItems").and_then(J::as_u64) {
                if (items.len() as u64) < n {
                    push(errs, path, format!("expected at least {n} items"), false);
                }
            }
            if let Some(n) = s.get("maxItems").and_then(J::as_u64) {
                if (items.len() as u64) > n {
                    push(errs, path, format!("expected at most {n} items"), false);
                }
            }
            if let Some(item_schema) = s.get("items") {
                for (i, child) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    validate_depth(item_schema, defs, child, path, strict, errs, depth + 1);
                    path.truncate(len);
                }
            }
        }
        Value::String(st) => {
            if s.get("format").and_then(J::as_str) == Some("byte") && !base64_ok(st) {
                push(
                    errs,
                    path,
                    "expected base64-encoded data".to_string(),
                    false,
                );
            }
            if let Some(p) = s.get("pattern").and_then(J::as_str) {
                if !pattern_matches(p, st) {
                    push(
                        errs,
                        path,
                        format!("value \"{st}\" does not match pattern {p}"),
                        false,
                    );
                }
            }
            let n = st.chars().count() as u64;
            if let Some(min) = s.get("minLength").and_then(J::as_u64) {
                if n < min {
                    push(
                        errs,
                        path,
                        format!("expected at least {min} characters"),
                        false,
                    );
                }
            }
            if let Some(max) = s.get("maxLength").and_then(J::as_u64) {
                if n > max {
                    push(
                        errs,
                        path,
                        format!("expected at most {max} characters"),
                        false,
                    );
                }
            }
        }
        Value::Int(_) | Value::Float(_) => {
            let x = match v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => 0.0,
            };
            if let Some(min) = s.get("minimum").and_then(J::as_f64) {
                if x < min {
                    push(errs, path, format!("must be at least {min}"), false);
                }
            }
            if let Some(max) = s.get("maximum").and_then(J::as_f64) {
                if x > max {
                    push(errs, path, format!("must be at most {max}"), false);
                }
            }
        }
        _ => {}
    }
}

//! `$(NAME)` expansion in the varReference fields.

use std::collections::{BTreeMap, HashMap};

use krust_yaml::Value;

use super::VarError;
use crate::resource::ResMap;
use crate::transformers::fieldspec::{split_path, FieldSpec};

/// A var's value, typed as kustomize reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum VarValue {
    /// A string (also null and other untyped scalars, as their text).
    String(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list or mapping: never substituted (`$(NAME)` is left as is).
    Complex(Value),
}

impl VarValue {
    pub(super) fn from_value(v: &Value) -> VarValue {
        match v {
            Value::String(s) => VarValue::String(s.clone()),
            Value::Int(i) => VarValue::Int(*i),
            Value::Float(f) => VarValue::Float(*f),
            Value::Bool(b) => VarValue::Bool(*b),
            Value::Null => VarValue::String(String::new()),
            Value::Seq(_) | Value::Map(_) => VarValue::Complex(v.clone()),
        }
    }

    /// The value a field takes when it is exactly `$(NAME)`.
    fn as_field(&self) -> Value {
        match self {
            VarValue::String(s) => Value::String(s.clone()),
            VarValue::Int(i) => Value::Int(*i),
            VarValue::Float(f) => Value::Float(*f),
            VarValue::Bool(b) => Value::Bool(*b),
            VarValue::Complex(v) => v.clone(),
        }
    }

    /// The text spliced into a longer string (Go's `%v`).
    fn as_text(&self) -> String {
        match self {
            VarValue::String(s) => s.clone(),
            VarValue::Int(i) => i.to_string(),
            VarValue::Float(f) => go_float_v(*f),
            VarValue::Bool(b) => b.to_string(),
            VarValue::Complex(_) => String::new(),
        }
    }
}

/// Go's `%v` for a float64: shortest digits, exponent form below 1e-4 and from 1e6 up.
pub(super) fn go_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let exp = f.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        let s = format!("{f:e}");
        let (mantissa, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", e.abs())
    } else {
        format!("{f}")
    }
}

/// Expands `$(NAME)` references in one string (kustomize's rules): `$$` is a literal `$`,
/// unknown names and list/map values stay as `$(NAME)`, an unterminated `$(` is kept, and a
/// string that is exactly `$(NAME)` takes the value's own type.
pub(super) fn expand(
    input: &str,
    values: &BTreeMap<String, VarValue>,
    counts: &mut HashMap<String, usize>,
) -> Value {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(close) => {
                        let name = &rest[1..1 + close];
                        let hit = values
                            .get(name)
                            .filter(|v| !matches!(v, VarValue::Complex(_)));
                        if let Some(v) = hit {
                            *counts.entry(name.to_string()).or_default() += 1;
                            if input.len() == name.len() + 3 && cursor == 0 {
                                return v.as_field();
                            }
                            out.push_str(&v.as_text());
                        } else {
                            if input.len() == name.len() + 3 && cursor == 0 {
                                return Value::String(input.to_string());
                            }
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                        close + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // `$` followed by another character: keep both.
                    let c = rest.chars().next().unwrap_or_default();
                    out.push('$');
                    out.push(c);
                    c.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < input.len() {
        out.push_str(&input[checkpoint..]);
    }
    Value::String(out)
}

/// Walks one field spec (kustomize's field-spec filter without creation), calling `set` on each
/// node it designates; errors are kustomize's texts (without the `considering field` prefix).
fn walk_spec(
    node: &mut Value,
    path: &[String],
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    let Some(first) = path.first() else {
        return set(node);
    };
    match node {
        Value::Null => Ok(()),
        Value::Seq(items) => {
            for item in items.iter_mut() {
                walk_spec(item, path, set)
                    .map_err(|e| format!("visit traversal on path: [{}]: {e}", path.join(" ")))?;
            }
            Ok(())
        }
        Value::Map(m) => {
            let name = first.strip_suffix("[]").unwrap_or(first);
            if name.is_empty() {
                return Err("cannot set or create an empty field name".into());
            }
            match m.get_mut(name) {
                Some(child) => walk_spec(child, &path[1..], set),
                None => Ok(()),
            }
        }
        _ => Err("expected sequence or mapping node".into()),
    }
}

/// Substitutes in one node a field spec designates: a string, the string values of a mapping,
/// or a list of strings (a non-string item is an error).
fn substitute(
    node: &mut Value,
    values: &BTreeMap<String, VarValue>,
    counts: &mut HashMap<String, usize>,
) -> Result<(), String> {
    match node {
        Value::String(s) => {
            if s.contains('$') {
                *node = expand(s, values, counts);
            }
            Ok(())
        }
        Value::Map(m) => {
            for v in m.values_mut() {
                if let Value::String(s) = v {
                    if s.contains('$') {
                        *v = expand(s, values, counts);
                    }
                }
            }
            Ok(())
        }
        Value::Seq(items) => {
            for item in items.iter_mut() {
                match item {
                    Value::String(s) => {
                        if s.contains('$') {
                            *item = expand(s, values, counts);
                        }
                    }
                    _ => return Err("invalid value type expect a string".into()),
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Replaces `$(NAME)` in the `field_specs` fields (the varReference specs of the merged
/// transformer config) of every resource. Returns the names of vars never substituted,
/// sorted. Call with the result of [`VarSet::resolve`](super::VarSet::resolve);
/// [`resolve_vars`](super::resolve_vars) does both.
pub fn expand_vars(
    resources: &mut ResMap,
    values: &BTreeMap<String, VarValue>,
    field_specs: &[FieldSpec],
) -> Result<Vec<String>, VarError> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let split: Vec<Vec<String>> = field_specs.iter().map(|fs| split_path(&fs.path)).collect();
    // Spec positions per kind (kind-less specs included), in the specs' order, so that each
    // resource only looks at the specs that can apply to it.
    let any_kind: Vec<usize> = (0..field_specs.len())
        .filter(|&i| field_specs[i].kind.is_empty())
        .collect();
    let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, fs) in field_specs.iter().enumerate() {
        if !fs.kind.is_empty() {
            by_kind
                .entry(fs.kind.as_str())
                .or_insert_with(|| any_kind.clone())
                .push(i);
        }
    }
    for list in by_kind.values_mut() {
        list.sort_unstable();
    }
    for r in resources.resources_mut() {
        let kind = r.kind().to_string();
        let applicable = by_kind.get(kind.as_str()).unwrap_or(&any_kind);
        for &i in applicable {
            let (fs, path) = (&field_specs[i], &split[i]);
            if !fs.matches_object(&r.value) {
                continue;
            }
            let mut set = |n: &mut Value| substitute(n, values, &mut counts);
            walk_spec(&mut r.value, path, &mut set).map_err(|reason| VarError::Field {
                path: fs.path.clone(),
                object: crate::replacements::format_res_id(&r.id()),
                reason,
            })?;
        }
    }
    Ok(values
        .keys()
        .filter(|k| !counts.contains_key(*k))
        .cloned()
        .collect())
}

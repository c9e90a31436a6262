//! Reading replacements from a kustomization's `replacements:` list and from `path:` files.
//!
//! kustomize decodes these through JSON: field names match case-insensitively and a field of the
//! wrong type is an error. Unknown fields are an error in a kustomization's inline entries (the
//! kustomization is decoded strictly) and ignored in `path:` files and `ReplacementTransformer`
//! configs.

use std::fmt;

use krust_yaml::{Mapping, Value};

use super::{
    FieldOptions, IdSelector, Replacement, ReplacementError, ReplacementField, Selector,
    SourceSelector, TargetSelector,
};

fn field<'a>(m: &'a Mapping, name: &str) -> Option<&'a Value> {
    m.get(name).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Rejects keys outside `known` (compared case-insensitively) when `strict`.
fn check_keys(m: &Mapping, known: &[&str], strict: bool) -> Result<(), ReplacementError> {
    if !strict {
        return Ok(());
    }
    match m
        .keys()
        .find(|k| !known.iter().any(|n| n.eq_ignore_ascii_case(k)))
    {
        Some(k) => Err(ReplacementError::UnknownField(k.clone())),
        None => Ok(()),
    }
}

const ID_FIELDS: [&str; 5] = ["group", "version", "kind", "name", "namespace"];

fn as_mapping<'a>(v: &'a Value, what: &str) -> Result<Option<&'a Mapping>, ReplacementError> {
    match v {
        Value::Null => Ok(None),
        Value::Map(m) => Ok(Some(m)),
        other => Err(ReplacementError::Invalid(format!(
            "`{what}` must be a mapping, found a {}",
            other.kind_name()
        ))),
    }
}

fn string_field(m: &Mapping, name: &str) -> Result<String, ReplacementError> {
    match field(m, name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(ReplacementError::Invalid(format!(
            "`{name}` must be a string, found a {}",
            other.kind_name()
        ))),
    }
}

fn id_selector(m: &Mapping) -> Result<IdSelector, ReplacementError> {
    Ok(IdSelector {
        group: string_field(m, "group")?,
        version: string_field(m, "version")?,
        kind: string_field(m, "kind")?,
        name: string_field(m, "name")?,
        namespace: string_field(m, "namespace")?,
    })
}

fn options(m: &Mapping, strict: bool) -> Result<Option<FieldOptions>, ReplacementError> {
    let Some(v) = field(m, "options") else {
        return Ok(None);
    };
    let Some(o) = as_mapping(v, "options")? else {
        return Ok(None);
    };
    check_keys(o, &["delimiter", "index", "encoding", "create"], strict)?;
    let index = match field(o, "index") {
        None | Some(Value::Null) => 0,
        Some(Value::Int(i)) => *i,
        Some(other) => {
            return Err(ReplacementError::Invalid(format!(
                "`options.index` must be an integer, found a {}",
                other.kind_name()
            )))
        }
    };
    let create = match field(o, "create") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        // kustomize reads its configuration as YAML 1.1, where these are booleans too.
        Some(Value::String(s)) if yaml11_bool(s).is_some() => yaml11_bool(s).unwrap_or(false),
        Some(other) => {
            return Err(ReplacementError::Invalid(format!(
                "`options.create` must be a boolean, found a {}",
                other.kind_name()
            )))
        }
    };
    Ok(Some(FieldOptions {
        delimiter: string_field(o, "delimiter")?,
        index,
        encoding: string_field(o, "encoding")?,
        create,
    }))
}

/// YAML 1.1 booleans that YAML 1.2 reads as strings.
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn selector(v: &Value, what: &str, strict: bool) -> Result<Option<Selector>, ReplacementError> {
    let Some(m) = as_mapping(v, what)? else {
        return Ok(None);
    };
    let mut known = ID_FIELDS.to_vec();
    known.extend(["annotationSelector", "labelSelector"]);
    check_keys(m, &known, strict)?;
    Ok(Some(Selector {
        id: id_selector(m)?,
        annotation_selector: string_field(m, "annotationSelector")?,
        label_selector: string_field(m, "labelSelector")?,
    }))
}

fn list<'a>(v: Option<&'a Value>, what: &str) -> Result<Option<&'a [Value]>, ReplacementError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Seq(s)) => Ok(Some(s)),
        Some(other) => Err(ReplacementError::Invalid(format!(
            "`{what}` must be a list, found a {}",
            other.kind_name()
        ))),
    }
}

fn target(v: &Value, strict: bool) -> Result<TargetSelector, ReplacementError> {
    let m = as_mapping(v, "targets[]")?.cloned().unwrap_or_default();
    check_keys(&m, &["select", "reject", "fieldPaths", "options"], strict)?;
    let select = match field(&m, "select") {
        Some(v) => selector(v, "select", strict)?,
        None => None,
    };
    let mut reject = Vec::new();
    for r in list(field(&m, "reject"), "reject")?.unwrap_or_default() {
        reject.push(selector(r, "reject[]", strict)?.unwrap_or_default());
    }
    let mut field_paths = Vec::new();
    for p in list(field(&m, "fieldPaths"), "fieldPaths")?.unwrap_or_default() {
        match p {
            Value::String(s) => field_paths.push(s.clone()),
            Value::Null => field_paths.push(String::new()),
            other => {
                return Err(ReplacementError::Invalid(format!(
                    "`fieldPaths` entries must be strings, found a {}",
                    other.kind_name()
                )))
            }
        }
    }
    Ok(TargetSelector {
        select,
        reject,
        field_paths,
        options: options(&m, strict)?,
    })
}

/// Parses one replacement (a mapping with `source` or `sourceValue`, and `targets`), ignoring
/// unknown fields as kustomize does in `path:` files.
pub fn parse_replacement(value: &Value) -> Result<Replacement, ReplacementError> {
    parse_replacement_with(value, &[], false)
}

/// `extra` names fields the caller handles (`path`).
fn parse_replacement_with(
    value: &Value,
    extra: &[&str],
    strict: bool,
) -> Result<Replacement, ReplacementError> {
    let m = as_mapping(value, "replacement")?
        .cloned()
        .unwrap_or_default();
    let mut known = vec!["source", "targets", "sourceValue"];
    known.extend_from_slice(extra);
    check_keys(&m, &known, strict)?;
    let source = match field(&m, "source") {
        Some(v) => match as_mapping(v, "source")? {
            Some(s) => {
                let mut known = ID_FIELDS.to_vec();
                known.extend(["fieldPath", "options"]);
                check_keys(s, &known, strict)?;
                Some(SourceSelector {
                    id: id_selector(s)?,
                    field_path: string_field(s, "fieldPath")?,
                    options: options(s, strict)?,
                })
            }
            None => None,
        },
        None => None,
    };
    let source_value = match field(&m, "sourceValue") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(ReplacementError::Invalid(format!(
                "`sourceValue` must be a string, found a {}",
                other.kind_name()
            )))
        }
    };
    let targets = match list(field(&m, "targets"), "targets")? {
        None => None,
        Some(items) => Some(
            items
                .iter()
                .map(|t| target(t, strict))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok(Replacement {
        source,
        source_value,
        targets,
    })
}

/// Parses a kustomization's `replacements:` list into inline replacements and `path:` entries.
/// Unknown fields in inline entries are errors, as in kustomize's strict kustomization decoding.
pub fn parse_replacement_fields(value: &Value) -> Result<Vec<ReplacementField>, ReplacementError> {
    parse_fields(value, true)
}

fn parse_fields(value: &Value, strict: bool) -> Result<Vec<ReplacementField>, ReplacementError> {
    let mut out = Vec::new();
    for item in list(Some(value), "replacements")?.unwrap_or_default() {
        let path = match item.as_map() {
            Some(m) => string_field(m, "path")?,
            None => String::new(),
        };
        let r = parse_replacement_with(item, &["path"], strict)?;
        if path.is_empty() {
            out.push(ReplacementField::Inline(Box::new(r)));
        } else if r.source.is_some() || r.targets.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(ReplacementError::PathAndInline);
        } else {
            out.push(ReplacementField::Path(path));
        }
    }
    Ok(out)
}

/// Parses the content of a `path:` replacement file: one replacement or a list of them.
pub fn parse_replacement_file(text: &str) -> Result<Vec<Replacement>, ReplacementError> {
    let value =
        krust_yaml::parse_one(text).map_err(|e| ReplacementError::Invalid(e.to_string()))?;
    match &value {
        Value::Seq(items) => items.iter().map(parse_replacement).collect(),
        Value::Map(_) => Ok(vec![parse_replacement(&value)?]),
        Value::Null => Ok(Vec::new()),
        other => Err(ReplacementError::UnsupportedFileContent(
            match other {
                Value::String(_) => "string",
                Value::Bool(_) => "bool",
                Value::Int(_) => "int",
                _ => "float64",
            }
            .to_string(),
        )),
    }
}

/// Reads a kustomization's `replacements:` list, loading `path:` entries with `load` (which is
/// given the path as written and returns the file's text), in kustomize's order. Inline entries
/// are decoded strictly (unknown fields are errors), as kustomize decodes a kustomization.
pub fn load_replacements<E: fmt::Display>(
    value: &Value,
    load: impl FnMut(&str) -> Result<String, E>,
) -> Result<Vec<Replacement>, ReplacementError> {
    load_with(value, load, true)
}

/// Like [`load_replacements`] for the `replacements:` of a `ReplacementTransformer` config in
/// `transformers:`, which kustomize decodes leniently (unknown fields ignored).
pub fn load_replacements_lenient<E: fmt::Display>(
    value: &Value,
    load: impl FnMut(&str) -> Result<String, E>,
) -> Result<Vec<Replacement>, ReplacementError> {
    load_with(value, load, false)
}

fn load_with<E: fmt::Display>(
    value: &Value,
    mut load: impl FnMut(&str) -> Result<String, E>,
    strict: bool,
) -> Result<Vec<Replacement>, ReplacementError> {
    let mut out = Vec::new();
    for f in parse_fields(value, strict)? {
        match f {
            ReplacementField::Inline(r) => out.push(*r),
            ReplacementField::Path(p) => {
                let text = load(&p).map_err(|e| ReplacementError::Load {
                    path: p.clone(),
                    message: e.to_string(),
                })?;
                out.extend(parse_replacement_file(&text)?);
            }
        }
    }
    Ok(out)
}

//! HelmRelease values: `valuesFrom` ConfigMaps/Secrets merged in order, then `values` on top, as
//! helm-controller computes them. Rendering charts is not done here (a later issue).

use krust_yaml::{Mapping, Value};

use crate::model::{HelmRelease, ValuesReference};
use crate::render::ObjectIndex;

/// Deep merge: mappings merge key by key, anything else in `over` replaces `base`.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Map(b), Value::Map(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing)
                        if matches!(existing, Value::Map(_)) && matches!(v, Value::Map(_)) =>
                    {
                        merge(existing, v)
                    }
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Sets `value` at a Helm `--set`-style dotted path (`a.b.c`, `list[0].x`; `\.` escapes a dot).
fn set_path(root: &mut Value, path: &str, value: Value) {
    let mut segments: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                cur.push('.');
                chars.next();
            }
            '.' => segments.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    segments.push(cur);
    let mut node = root;
    for (i, seg) in segments.iter().enumerate() {
        if !matches!(node, Value::Map(_)) {
            *node = Value::Map(Mapping::default());
        }
        let Value::Map(m) = node else { return };
        if i + 1 == segments.len() {
            m.insert(seg.clone(), value);
            return;
        }
        node = m
            .entry(seg.clone())
            .or_insert_with(|| Value::Map(Mapping::default()));
    }
}

/// Why a release's values could not be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValuesError {
    /// A `valuesFrom` ConfigMap/Secret is not among the rendered objects. It may well exist in
    /// the cluster (created by another controller, e.g. a cert-manager Certificate), so this is
    /// not an error of the repository.
    #[error("{0}")]
    NotRendered(String),
    /// A value source exists but is unusable (missing key, invalid YAML).
    #[error("{0}")]
    Invalid(String),
}

/// Computes the merged values of a release from the objects of the rendered repository.
pub fn merged_values(hr: &HelmRelease, index: &ObjectIndex) -> Result<Value, ValuesError> {
    let mut result = Value::Map(Mapping::default());
    for r in &hr.values_from {
        let Some(text) = lookup(r, &hr.name.namespace, index)? else {
            continue;
        };
        match &r.target_path {
            Some(path) if !path.is_empty() => {
                set_path(&mut result, path, Value::String(text));
            }
            _ => {
                let v = krust_yaml::parse_one(&text).map_err(|e| {
                    ValuesError::Invalid(format!(
                        "unable to read values from key '{}' in {} '{}/{}': {e}",
                        key_of(r),
                        r.kind,
                        hr.name.namespace,
                        r.name
                    ))
                })?;
                merge(&mut result, &v);
            }
        }
    }
    if !hr.values.is_null() {
        merge(&mut result, &hr.values);
    }
    Ok(result)
}

fn key_of(r: &ValuesReference) -> &str {
    r.values_key.as_deref().unwrap_or("values.yaml")
}

fn lookup(
    r: &ValuesReference,
    ns: &str,
    index: &ObjectIndex,
) -> Result<Option<String>, ValuesError> {
    let key = key_of(r);
    let Some(data) = index.data(&r.kind, ns, &r.name) else {
        if r.optional {
            return Ok(None);
        }
        return Err(ValuesError::NotRendered(format!(
            "could not find {} '{ns}/{}' in the rendered repository",
            r.kind, r.name
        )));
    };
    match data.iter().find(|(k, _)| k == key) {
        Some((_, v)) => Ok(Some(v.clone())),
        None if r.optional => Ok(None),
        None => Err(ValuesError::Invalid(format!(
            "missing key '{key}' in {} '{ns}/{}'",
            r.kind, r.name
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_merge_and_paths() {
        let mut a = krust_yaml::parse_one("a: {b: 1, c: [1]}\nd: x\n").expect("yaml");
        let b = krust_yaml::parse_one("a: {c: [2], e: 3}\n").expect("yaml");
        merge(&mut a, &b);
        assert_eq!(
            krust_yaml::to_string(&a),
            "a:\n  b: 1\n  c:\n  - 2\n  e: 3\nd: x\n"
        );
        let mut v = Value::Map(Mapping::default());
        set_path(&mut v, "x.y\\.z", Value::String("s".into()));
        assert_eq!(krust_yaml::to_string(&v), "x:\n  y.z: s\n");
    }
}

//! JSON patch (RFC 6902) with the semantics of the Go library kustomize uses
//! (`gopkg.in/evanphx/json-patch.v4`), including its deviations from the RFC:
//! - negative array indices count from the end;
//! - `replace` of a missing key of an object adds it;
//! - an operation without `value` adds `null`;
//! - error texts are the library's (kustomize prints them unchanged).

use krust_yaml::Value;
use thiserror::Error;

/// One operation of a JSON patch.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonOp {
    /// `add`, `remove`, `replace`, `move`, `copy` or `test` (anything else fails when applied).
    pub op: String,
    /// The `path` pointer (`None` when the field is missing).
    pub path: Option<String>,
    /// The `from` pointer of `move` and `copy`.
    pub from: Option<String>,
    /// The `value` (`None` when missing: `add`/`replace` then write `null`).
    pub value: Option<Value>,
}

/// Errors decoding or applying a JSON patch. The texts are evanphx/json-patch's.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum JsonPatchError {
    /// The patch is not a list of operation objects.
    #[error("json: cannot unmarshal {found} into Go value of type jsonpatch.Patch")]
    NotAList {
        /// What was found instead (`object`, `string`, …).
        found: &'static str,
    },
    /// An element of the list is not an object.
    #[error("json: cannot unmarshal {found} into Go value of type jsonpatch.Operation")]
    NotAnObject {
        /// What was found instead.
        found: &'static str,
    },
    /// A failure while applying an operation.
    #[error("{0}")]
    Apply(String),
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    }
}

/// Decodes a list of operations from a parsed YAML/JSON value.
pub fn decode_ops(v: &Value) -> Result<Vec<JsonOp>, JsonPatchError> {
    let list = match v {
        Value::Seq(s) => s,
        Value::Null => return Ok(Vec::new()),
        other => {
            return Err(JsonPatchError::NotAList {
                found: json_kind(other),
            })
        }
    };
    let mut ops = Vec::with_capacity(list.len());
    for item in list {
        let m = match item {
            Value::Map(m) => m,
            Value::Null => {
                ops.push(JsonOp {
                    op: "unknown".into(),
                    path: None,
                    from: None,
                    value: None,
                });
                continue;
            }
            other => {
                return Err(JsonPatchError::NotAnObject {
                    found: json_kind(other),
                })
            }
        };
        let text = |k: &str| match m.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        ops.push(JsonOp {
            op: text("op").unwrap_or_else(|| "unknown".into()),
            path: text("path"),
            from: text("from"),
            value: m.get("value").cloned(),
        });
    }
    Ok(ops)
}

const MISSING: &str = "missing value";
const INVALID_INDEX: &str = "invalid index referenced";
const TEST_FAILED: &str = "test failed";

fn err(msg: String) -> JsonPatchError {
    JsonPatchError::Apply(msg)
}

fn decode_key(k: &str) -> String {
    let mut out = String::with_capacity(k.len());
    let mut chars = k.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.peek() {
                Some('1') => {
                    chars.next();
                    out.push('/');
                    continue;
                }
                Some('0') => {
                    chars.next();
                    out.push('~');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Go's `strconv.Atoi`.
fn atoi(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Resolves a (possibly negative) index into `0..len`.
fn resolve_index(idx: i64, len: usize) -> Option<usize> {
    let len_i = len as i64;
    let idx = if idx < 0 { idx + len_i } else { idx };
    (0..len_i).contains(&idx).then_some(idx as usize)
}

/// Follows all but the last segment of `path`; returns the container and the decoded last key.
fn find_container<'a>(doc: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let split: Vec<&str> = path.split('/').collect();
    if split.len() < 2 {
        return None;
    }
    let mut cur = doc;
    for part in &split[1..split.len() - 1] {
        let key = decode_key(part);
        cur = match cur {
            Value::Map(m) => m.get_mut(&key)?,
            Value::Seq(s) => {
                let i = resolve_index(atoi(&key)?, s.len())?;
                &mut s[i]
            }
            _ => return None,
        };
        if !matches!(cur, Value::Map(_) | Value::Seq(_)) {
            return None;
        }
    }
    let last = decode_key(split[split.len() - 1]);
    Some((cur, last))
}

fn container_get(con: &Value, key: &str) -> Result<Option<Value>, String> {
    match con {
        Value::Map(m) => Ok(m.get(key).cloned()),
        Value::Seq(s) => {
            let idx = atoi(key)
                .ok_or_else(|| format!("strconv.Atoi: parsing \"{key}\": invalid syntax"))?;
            match resolve_index(idx, s.len()) {
                Some(i) => Ok(Some(s[i].clone())),
                None => Err(format!(
                    "Unable to access invalid index: {idx}: {INVALID_INDEX}"
                )),
            }
        }
        _ => Ok(None),
    }
}

fn container_add(con: &mut Value, key: &str, val: Value) -> Result<(), String> {
    match con {
        Value::Map(m) => {
            m.insert(key.to_string(), val);
            Ok(())
        }
        Value::Seq(s) => {
            if key == "-" {
                s.push(val);
                return Ok(());
            }
            let idx = atoi(key).ok_or_else(|| {
                format!("value was not a proper array index: '{key}': strconv.Atoi: parsing \"{key}\": invalid syntax")
            })?;
            let size = s.len() as i64 + 1;
            if idx >= size || idx < -size {
                return Err(format!(
                    "Unable to access invalid index: {idx}: {INVALID_INDEX}"
                ));
            }
            let at = if idx < 0 { idx + size } else { idx } as usize;
            s.insert(at, val);
            Ok(())
        }
        _ => Ok(()),
    }
}

fn container_remove(con: &mut Value, key: &str) -> Result<Value, String> {
    match con {
        Value::Map(m) => m
            .shift_remove(key)
            .ok_or_else(|| format!("Unable to remove nonexistent key: {key}: {MISSING}")),
        Value::Seq(s) => {
            let idx = atoi(key)
                .ok_or_else(|| format!("strconv.Atoi: parsing \"{key}\": invalid syntax"))?;
            match resolve_index(idx, s.len()) {
                Some(i) => Ok(s.remove(i)),
                None => Err(format!(
                    "Unable to access invalid index: {idx}: {INVALID_INDEX}"
                )),
            }
        }
        _ => Err(format!(
            "Unable to remove nonexistent key: {key}: {MISSING}"
        )),
    }
}

fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Applies the operations to `doc` in order. On error `doc` may be partly modified (kustomize
/// aborts the build then).
pub fn apply_ops(doc: &mut Value, ops: &[JsonOp]) -> Result<(), JsonPatchError> {
    for op in ops {
        apply_one(doc, op).map_err(err)?;
    }
    Ok(())
}

fn path_of(op: &JsonOp) -> Result<&str, String> {
    op.path
        .as_deref()
        .ok_or_else(|| format!("operation missing path field: {MISSING}"))
}

fn apply_one(doc: &mut Value, op: &JsonOp) -> Result<(), String> {
    let value = || op.value.clone().unwrap_or(Value::Null);
    match op.op.as_str() {
        "add" => {
            let path = path_of(op)
                .map_err(|_| format!("add operation failed to decode path: {MISSING}"))?;
            let (con, key) = find_container(doc, path).ok_or_else(|| {
                format!("add operation does not apply: doc is missing path: \"{path}\": {MISSING}")
            })?;
            container_add(con, &key, value())
                .map_err(|e| format!("error in add for path: '{path}': {e}"))
        }
        "remove" => {
            let path = path_of(op)
                .map_err(|_| format!("remove operation failed to decode path: {MISSING}"))?;
            let (con, key) = find_container(doc, path).ok_or_else(|| {
                format!(
                    "remove operation does not apply: doc is missing path: \"{path}\": {MISSING}"
                )
            })?;
            container_remove(con, &key)
                .map(|_| ())
                .map_err(|e| format!("error in remove for path: '{path}': {e}"))
        }
        "replace" => {
            let path =
                path_of(op).map_err(|e| format!("replace operation failed to decode path: {e}"))?;
            if path.is_empty() {
                let v = value();
                if !matches!(v, Value::Map(_) | Value::Seq(_)) {
                    return Err(
                        "replace operation value must be object or array: %!w(<nil>)".into(),
                    );
                }
                *doc = v;
                return Ok(());
            }
            let (con, key) = find_container(doc, path).ok_or_else(|| {
                format!("replace operation does not apply: doc is missing path: {path}: {MISSING}")
            })?;
            if container_get(con, &key).is_err() {
                return Err(format!(
                    "replace operation does not apply: doc is missing key: {path}: {MISSING}"
                ));
            }
            match con {
                Value::Map(m) => {
                    m.insert(key, value());
                }
                Value::Seq(s) => {
                    let idx = atoi(&key).and_then(|i| resolve_index(i, s.len()));
                    match idx {
                        Some(i) => s[i] = value(),
                        None => return Err(format!("error in remove for path: '{path}'")),
                    }
                }
                _ => {}
            }
            Ok(())
        }
        "move" => {
            let from = op
                .from
                .as_deref()
                .ok_or_else(|| format!("move operation failed to decode from: operation, missing from field: {MISSING}"))?;
            let (con, key) = find_container(doc, from).ok_or_else(|| {
                format!(
                    "move operation does not apply: doc is missing from path: {from}: {MISSING}"
                )
            })?;
            container_get(con, &key)
                .map_err(|e| format!("error in move for path: '{key}': {e}"))?;
            let val = container_remove(con, &key)
                .map_err(|e| format!("error in move for path: '{key}': {e}"))?;
            let path =
                path_of(op).map_err(|e| format!("move operation failed to decode path: {e}"))?;
            let (con, key) = find_container(doc, path).ok_or_else(|| {
                format!("move operation does not apply: doc is missing destination path: {path}: {MISSING}")
            })?;
            container_add(con, &key, val)
                .map_err(|e| format!("error in move for path: '{path}': {e}"))
        }
        "copy" => {
            let from = op
                .from
                .as_deref()
                .ok_or_else(|| format!("copy operation failed to decode from: operation, missing from field: {MISSING}"))?;
            let (con, key) = find_container(doc, from).ok_or_else(|| {
                format!(
                    "copy operation does not apply: doc is missing from path: {from}: {MISSING}"
                )
            })?;
            let val = container_get(con, &key)
                .map_err(|e| format!("error in copy for from: '{from}': {e}"))?
                .unwrap_or(Value::Null);
            let path = path_of(op)
                .map_err(|_| format!("copy operation failed to decode path: {MISSING}"))?;
            let (con, key) = find_container(doc, path).ok_or_else(|| {
                format!("copy operation does not apply: doc is missing destination path: {path}: {MISSING}")
            })?;
            container_add(con, &key, val)
                .map_err(|e| format!("error while adding value during copy: {e}"))
        }
        "test" => {
            let path =
                path_of(op).map_err(|e| format!("test operation failed to decode path: {e}"))?;
            let failed = || format!("testing value {path} failed: {TEST_FAILED}");
            if path.is_empty() {
                return match &op.value {
                    Some(v) if json_equal(doc, v) => Ok(()),
                    _ => Err(failed()),
                };
            }
            let (con, key) = find_container(doc, path).ok_or_else(|| {
                format!("test operation does not apply: is missing path: {path}: {MISSING}")
            })?;
            let got = container_get(con, &key)
                .map_err(|e| format!("error in test for path: '{path}': {e}"))?;
            match (got, &op.value) {
                (None, None) | (None, Some(Value::Null)) => Ok(()),
                (Some(g), Some(v)) if json_equal(&g, v) => Ok(()),
                _ => Err(failed()),
            }
        }
        other => Err(format!("Unexpected kind: {other}")),
    }
}

/// Builds an operation list from `(op, path, value)` triples; a convenience for tests and for
/// callers that synthesise patches.
pub fn op(op: &str, path: &str, value: Option<Value>) -> JsonOp {
    JsonOp {
        op: op.to_string(),
        path: Some(path.to_string()),
        from: None,
        value,
    }
}

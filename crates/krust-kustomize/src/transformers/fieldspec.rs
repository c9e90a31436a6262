//! Field specs: which field of which kinds a transformer edits, and the walker that visits
//! the fields a spec selects in one object.
//!
//! A field spec names a group/version/kind selector (each part optional, empty matches
//! anything) and a slash-separated path such as `spec/template/metadata/labels`. A path
//! element ending in `[]` names a sequence; a sequence met on the way is traversed element by
//! element whether or not the element is marked. `\/` escapes a slash inside a key (used for
//! annotation keys such as `nginx.ingress.kubernetes.io\/auth-secret`).

use krust_yaml::Value;

use crate::resource::Gvk;

use super::TransformError;

/// One field spec: a kind selector, a path, and whether missing fields are created.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct FieldSpec {
    /// API group selector (`""` matches any group).
    pub group: String,
    /// API version selector (`""` matches any version).
    pub version: String,
    /// Kind selector (`""` matches any kind).
    pub kind: String,
    /// Slash-separated path, e.g. `spec/template/metadata/labels`.
    pub path: String,
    /// Create the field (and missing parent mappings) when it does not exist.
    pub create: bool,
}

impl FieldSpec {
    /// A spec for `path` on every kind, without creation.
    pub fn new(path: &str) -> FieldSpec {
        FieldSpec {
            path: path.to_string(),
            ..FieldSpec::default()
        }
    }

    /// A spec for `path` on `kind` (any group and version).
    pub fn for_kind(kind: &str, path: &str, create: bool) -> FieldSpec {
        FieldSpec {
            kind: kind.to_string(),
            path: path.to_string(),
            create,
            ..FieldSpec::default()
        }
    }

    /// True when this spec's selector accepts `gvk` (empty selector parts are wildcards), as
    /// kustomize's `Gvk.IsSelected`.
    pub fn selects(&self, gvk: &Gvk) -> bool {
        gvk_selected(gvk, &self.group, &self.version, &self.kind)
    }

    /// True when the selector accepts the object's own `apiVersion` and `kind` (the api version is
    /// split at its first `/`).
    pub fn matches_object(&self, obj: &Value) -> bool {
        let kind = obj.str_at(&["kind"]).unwrap_or("");
        if !self.kind.is_empty() && self.kind != kind {
            return false;
        }
        let (group, version) = split_api_version(obj.str_at(&["apiVersion"]).unwrap_or(""));
        if !self.group.is_empty() && self.group != group {
            return false;
        }
        if !self.version.is_empty() && self.version != version {
            return false;
        }
        true
    }

    /// The path split into keys, honouring `\/` escapes (borrowed from the spec unless an
    /// escape had to be resolved: this runs once per object and spec).
    pub fn path_segments(&self) -> Vec<std::borrow::Cow<'_, str>> {
        if self.path.contains('\\') {
            return split_path(&self.path)
                .into_iter()
                .map(std::borrow::Cow::Owned)
                .collect();
        }
        let mut parts = self.path.split('/');
        let first = parts.next().unwrap_or("");
        // A leading `/` gives one empty element, which is dropped (as in `split_path`).
        let lead = if first.is_empty() && self.path.contains('/') {
            None
        } else {
            Some(first)
        };
        lead.into_iter()
            .chain(parts)
            .map(std::borrow::Cow::Borrowed)
            .collect()
    }

    /// kustomize's notion of "the same spec" when merging lists: `other`'s selector accepts this
    /// spec's gvk and the paths are equal.
    fn effectively_equals(&self, other: &FieldSpec) -> bool {
        let gvk = Gvk {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
        };
        other.selects(&gvk) && self.path == other.path
    }

    /// Parses one field spec mapping (`group`, `version`, `kind`, `path`, `create`); unknown keys
    /// are rejected as kustomize's strict unmarshalling does.
    pub fn from_value(v: &Value) -> Result<FieldSpec, TransformError> {
        FieldSpec::parse(v, true)
    }

    /// Like [`FieldSpec::from_value`] but ignores unknown keys, as kustomize does when it reads a
    /// builtin plugin's config (e.g. a `name:` key some configs carry).
    pub fn from_value_lenient(v: &Value) -> Result<FieldSpec, TransformError> {
        FieldSpec::parse(v, false)
    }

    fn parse(v: &Value, strict: bool) -> Result<FieldSpec, TransformError> {
        let map = match v {
            Value::Map(m) => m,
            Value::Null => return Ok(FieldSpec::default()),
            other => {
                return Err(TransformError::Config(format!(
                    "a field spec must be a mapping, found a {}",
                    other.kind_name()
                )))
            }
        };
        let mut fs = FieldSpec::default();
        for (k, val) in map {
            match k.as_str() {
                "group" => fs.group = config_string(k, val)?,
                "version" => fs.version = config_string(k, val)?,
                "kind" => fs.kind = config_string(k, val)?,
                "path" => fs.path = config_string(k, val)?,
                "create" => {
                    fs.create = match val {
                        Value::Bool(b) => *b,
                        Value::Null => false,
                        other => {
                            return Err(TransformError::Config(format!(
                                "field spec key 'create' must be a boolean, found a {}",
                                other.kind_name()
                            )))
                        }
                    }
                }
                other if strict => {
                    return Err(TransformError::Config(format!(
                        "unknown field \"{other}\" in a field spec"
                    )))
                }
                _ => {}
            }
        }
        Ok(fs)
    }

    /// Parses a sequence of field specs (`null` is an empty list).
    pub fn list_from_value(v: &Value) -> Result<Vec<FieldSpec>, TransformError> {
        FieldSpec::list(v, true)
    }

    /// Parses a sequence of field specs, ignoring unknown keys.
    pub fn list_from_value_lenient(v: &Value) -> Result<Vec<FieldSpec>, TransformError> {
        FieldSpec::list(v, false)
    }

    fn list(v: &Value, strict: bool) -> Result<Vec<FieldSpec>, TransformError> {
        match v {
            Value::Null => Ok(Vec::new()),
            Value::Seq(items) => items.iter().map(|i| FieldSpec::parse(i, strict)).collect(),
            other => Err(TransformError::Config(format!(
                "a field spec list must be a sequence, found a {}",
                other.kind_name()
            ))),
        }
    }
}

/// Reads a scalar config value as a string (null is empty).
pub(crate) fn config_string(key: &str, v: &Value) -> Result<String, TransformError> {
    match v {
        Value::Null => Ok(String::new()),
        Value::Seq(_) | Value::Map(_) => Err(TransformError::Config(format!(
            "key '{key}' must be a string, found a {}",
            v.kind_name()
        ))),
        other => Ok(other.scalar_text().unwrap_or_default()),
    }
}

/// True when the selector parts (empty = wildcard) accept `gvk`.
pub(crate) fn gvk_selected(gvk: &Gvk, group: &str, version: &str, kind: &str) -> bool {
    (group.is_empty() || gvk.group == group)
        && (version.is_empty() || gvk.version == version)
        && (kind.is_empty() || gvk.kind == kind)
}

/// Splits an `apiVersion` at its first `/` into group and version.
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.find('/') {
        Some(i) => (&api_version[..i], &api_version[i + 1..]),
        None => ("", api_version),
    }
}

/// Splits a field-spec path at `/`, dropping one leading empty element and joining elements
/// whose text ends in a backslash with the next one (`a\/b` is the single key `a/b`).
pub fn split_path(path: &str) -> Vec<String> {
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 1 && parts[0].is_empty() {
        parts.remove(0);
    }
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    for p in parts {
        match out.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(p);
            }
            _ => out.push(p.to_string()),
        }
    }
    out
}

/// Adds `fs` unless an effectively equal spec is present; equal specs that disagree on `create`
/// are an error (kustomize's `FsSlice.MergeOne`).
pub fn merge_one(list: &mut Vec<FieldSpec>, fs: FieldSpec) -> Result<(), TransformError> {
    if let Some(existing) = list.iter().find(|x| x.effectively_equals(&fs)) {
        if existing.create != fs.create {
            return Err(TransformError::ConflictingFieldSpecs {
                path: fs.path.clone(),
            });
        }
        return Ok(());
    }
    list.push(fs);
    Ok(())
}

/// Merges every spec of `incoming` into `list` with [`merge_one`].
pub fn merge_all(
    list: &mut Vec<FieldSpec>,
    incoming: impl IntoIterator<Item = FieldSpec>,
) -> Result<(), TransformError> {
    for fs in incoming {
        merge_one(list, fs)?;
    }
    Ok(())
}

/// kustomize's legacy ordering rank of a kind (used to sort field-spec lists): negative for the
/// kinds the legacy order puts first, positive for those it puts last, 0 otherwise.
pub(crate) fn kind_rank(kind: &str) -> i32 {
    use crate::sort::{DEFAULT_ORDER_FIRST, DEFAULT_ORDER_LAST};
    if let Some(i) = DEFAULT_ORDER_FIRST.iter().position(|k| *k == kind) {
        return i as i32 - DEFAULT_ORDER_FIRST.len() as i32;
    }
    if let Some(i) = DEFAULT_ORDER_LAST.iter().position(|k| *k == kind) {
        return 1 + i as i32;
    }
    0
}

/// The key kustomize sorts field specs by: kind rank, then `group_version_kind` with
/// placeholders for empty parts.
pub(crate) fn gvk_sort_key(group: &str, version: &str, kind: &str) -> (i32, String) {
    let g = if group.is_empty() { "~G" } else { group };
    let v = if version.is_empty() { "~V" } else { version };
    let k = if kind.is_empty() { "~K" } else { kind };
    (kind_rank(kind), format!("{g}_{v}_{k}"))
}

/// Sorts specs as kustomize does after loading or merging a configuration (stable).
pub fn sort_field_specs(list: &mut [FieldSpec]) {
    list.sort_by_cached_key(|fs| gvk_sort_key(&fs.group, &fs.version, &fs.kind));
}

/// What the walker creates for a missing last path element when the spec says `create: true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateKind {
    /// Never create anything (the transformer ignores `create`).
    Never,
    /// Create a scalar (names, namespaces, replicas).
    Scalar,
    /// Create a mapping (labels, annotations).
    Map,
}

/// A structural problem met while walking a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    /// A scalar was found where the path continues.
    #[error("expected sequence or mapping node")]
    ExpectedSeqOrMap,
    /// The path has an empty element.
    #[error("cannot set or create an empty field name")]
    EmptyFieldName,
}

/// Applies `set` to every node `fs` selects in `obj`, when `fs` selects the object's kind.
///
/// Semantics follow kustomize's field-spec filter:
/// - a missing field ends the walk silently unless `fs.create` and `create` allow creating it
///   (intermediate elements become mappings, the last one a `create` node);
/// - an existing `null` is walked past silently, or replaced by the created kind when creating;
/// - an element marked `[]` whose value is `null` becomes an empty sequence;
/// - sequences are traversed element by element, with the same remaining path;
/// - a scalar where the path continues is an error.
pub fn apply_field_spec<F>(
    obj: &mut Value,
    fs: &FieldSpec,
    create: CreateKind,
    set: &mut F,
) -> Result<(), TransformError>
where
    F: FnMut(&mut Value) -> Result<(), TransformError>,
{
    if !fs.matches_object(obj) {
        return Ok(());
    }
    apply_path(obj, fs, create, set)
}

/// Like [`apply_field_spec`] but ignores the spec's kind selector.
pub fn apply_path<F>(
    obj: &mut Value,
    fs: &FieldSpec,
    create: CreateKind,
    set: &mut F,
) -> Result<(), TransformError>
where
    F: FnMut(&mut Value) -> Result<(), TransformError>,
{
    let path = fs.path_segments();
    let create = if fs.create { create } else { CreateKind::Never };
    walk(obj, &path, create, set).map_err(|e| match e {
        WalkOrSet::Walk(w) => TransformError::Field {
            path: fs.path.clone(),
            object: describe_object(obj),
            reason: w.to_string(),
        },
        WalkOrSet::Set(t) => t,
    })
}

enum WalkOrSet {
    Walk(WalkError),
    Set(TransformError),
}

fn walk<F>(
    node: &mut Value,
    path: &[std::borrow::Cow<'_, str>],
    create: CreateKind,
    set: &mut F,
) -> Result<(), WalkOrSet>
where
    F: FnMut(&mut Value) -> Result<(), TransformError>,
{
    let Some((first, rest)) = path.split_first() else {
        return set(node).map_err(WalkOrSet::Set);
    };
    match node {
        Value::Null => Ok(()),
        Value::Seq(items) => {
            for item in items.iter_mut() {
                walk(item, path, create, set)?;
            }
            Ok(())
        }
        Value::Map(map) => {
            let (name, is_seq) = match first.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (first.as_ref(), false),
            };
            if name.is_empty() {
                return Err(WalkOrSet::Walk(WalkError::EmptyFieldName));
            }
            if create == CreateKind::Never || is_seq {
                let Some(field) = map.get_mut(name) else {
                    return Ok(());
                };
                if is_seq && field.is_null() {
                    *field = Value::Seq(Vec::new());
                }
                return walk(field, rest, create, set);
            }
            let make = |last: bool| -> Value {
                if last && create == CreateKind::Scalar {
                    Value::String(String::new())
                } else {
                    Value::new_map()
                }
            };
            let last = rest.is_empty();
            let field = map.entry(name.to_string()).or_insert_with(|| make(last));
            if field.is_null() {
                *field = make(last);
            }
            walk(field, rest, create, set)
        }
        _ => Err(WalkOrSet::Walk(WalkError::ExpectedSeqOrMap)),
    }
}

/// kustomize's `ResId.String()` form of an object: `Kind.version.group/name.namespace` with
/// `[noGrp]`, `[noVer]`, `[noKind]`, `[noName]`, `[noNs]` placeholders.
pub(crate) fn describe_object(obj: &Value) -> String {
    let (group, version) = split_api_version(obj.str_at(&["apiVersion"]).unwrap_or(""));
    let kind = obj.str_at(&["kind"]).unwrap_or("");
    let name = obj.str_at(&["metadata", "name"]).unwrap_or("");
    let ns = obj.str_at(&["metadata", "namespace"]).unwrap_or("");
    kustomize_id_string(group, version, kind, name, ns)
}

/// Formats an id as kustomize's `ResId.String()`.
pub(crate) fn kustomize_id_string(
    group: &str,
    version: &str,
    kind: &str,
    name: &str,
    ns: &str,
) -> String {
    let or = |s: &str, d: &str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}.{}.{}/{}.{}",
        or(kind, "[noKind]"),
        or(version, "[noVer]"),
        or(group, "[noGrp]"),
        or(name, "[noName]"),
        or(ns, "[noNs]")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use krust_yaml::parse_one;

    #[test]
    fn path_splitting_honours_escapes() {
        assert_eq!(split_path("a/b/c"), vec!["a", "b", "c"]);
        for p in [
            "a/b/c",
            "/a/b",
            "",
            "/",
            "a",
            "a//b",
            r"x/a\/b/c",
            "metadata/labels[]/x",
        ] {
            let segments: Vec<String> = FieldSpec::new(p)
                .path_segments()
                .into_iter()
                .map(|s| s.into_owned())
                .collect();
            assert_eq!(segments, split_path(p), "{p}");
        }
        assert_eq!(split_path("/a/b"), vec!["a", "b"]);
        assert_eq!(
            split_path(r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret"),
            vec![
                "metadata",
                "annotations",
                "nginx.ingress.kubernetes.io/auth-secret"
            ]
        );
        assert_eq!(split_path(""), vec![""]);
    }

    fn collect(obj: &mut Value, fs: &FieldSpec, create: CreateKind) -> Vec<Value> {
        let mut seen = Vec::new();
        apply_field_spec(obj, fs, create, &mut |v: &mut Value| {
            seen.push(v.clone());
            Ok(())
        })
        .unwrap();
        seen
    }

    #[test]
    fn walks_sequences_implicitly_and_with_brackets() {
        let mut obj = parse_one(
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - image: a\n      - image: b\n      - name: c\n",
        )
        .unwrap();
        for p in [
            "spec/template/spec/containers/image",
            "spec/template/spec/containers[]/image",
        ] {
            let fs = FieldSpec::for_kind("Deployment", p, true);
            let seen = collect(&mut obj, &fs, CreateKind::Never);
            assert_eq!(seen, vec![Value::from("a"), Value::from("b")]);
        }
        // kind selector rejects.
        let fs = FieldSpec::for_kind("StatefulSet", "spec/template/spec/containers/image", false);
        assert!(collect(&mut obj, &fs, CreateKind::Never).is_empty());
    }

    #[test]
    fn creates_missing_maps_only_when_asked() {
        let mut obj = parse_one("apiVersion: v1\nkind: Service\nspec: {}\n").unwrap();
        let fs = FieldSpec::for_kind("Service", "spec/selector", false);
        assert!(collect(&mut obj, &fs, CreateKind::Map).is_empty());
        let fs = FieldSpec::for_kind("Service", "spec/selector", true);
        assert_eq!(
            collect(&mut obj, &fs, CreateKind::Map),
            vec![Value::new_map()]
        );
        assert!(obj.get_path(&["spec", "selector"]).is_some());
    }

    #[test]
    fn scalar_in_the_way_is_an_error() {
        let mut obj = parse_one("apiVersion: v1\nkind: Pod\nspec: 3\n").unwrap();
        let fs = FieldSpec::new("spec/containers/image");
        let err = apply_field_spec(
            &mut obj,
            &fs,
            CreateKind::Never,
            &mut |_: &mut Value| Ok(()),
        )
        .unwrap_err();
        assert!(err
            .to_string()
            .contains("expected sequence or mapping node"));
        assert!(err.to_string().contains("Pod.v1.[noGrp]/[noName].[noNs]"));
    }

    #[test]
    fn null_bracket_sequence_becomes_empty() {
        let mut obj = parse_one("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n").unwrap();
        let fs = FieldSpec::new("spec/containers[]/image");
        assert!(collect(&mut obj, &fs, CreateKind::Never).is_empty());
        assert_eq!(
            obj.get_path(&["spec", "containers"]),
            Some(&Value::Seq(vec![]))
        );
    }

    #[test]
    fn merge_detects_conflicts_and_duplicates() {
        let mut list = vec![FieldSpec::for_kind("Deployment", "spec/x", true)];
        merge_one(&mut list, FieldSpec::for_kind("Deployment", "spec/x", true)).unwrap();
        assert_eq!(list.len(), 1);
        // A kind-less incoming spec selects the existing one: same spec.
        merge_one(&mut list, FieldSpec::new("spec/x")).unwrap_err();
        merge_one(&mut list, FieldSpec::for_kind("Pod", "spec/x", false)).unwrap();
        assert_eq!(list.len(), 2);
    }
}

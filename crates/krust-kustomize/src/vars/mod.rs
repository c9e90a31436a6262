//! Legacy `vars:` and `$(VAR)` substitution.
//!
//! A var names an object (`objref`) and one of its fields (`fieldref.fieldPath`, default
//! `metadata.name`). At the end of the build, every `$(NAME)` in the varReference fields
//! (container `command`/`args`/`env.value`, volume mount paths, ingress hosts, … and any
//! `configurations:` additions) is replaced by that field's final value.
//!
//! # Where it runs (kustomize's order)
//! 1. Each kustomization, after its transformers and validators, binds its own `vars:` to the
//!    resources accumulated so far: [`VarSet::merge_vars`] (an objref that matches two
//!    resources is an error; one that matches none is only an error at the end).
//! 2. A kustomization that includes a base (a directory in `resources:`) merges the base's var
//!    set into its own with [`VarSet::merge_set`]; the same var name arriving twice (two bases,
//!    or one base reached through two overlays) is an error. Components share their parent's set.
//! 3. Once, at the top, after the hash suffixes and the name-reference fix-up:
//!    [`resolve_vars`] (= [`VarSet::resolve`] + [`expand_vars`]), before dropping local-config
//!    objects and sorting. It returns the vars that were never used (kustomize logs them as
//!    `well-defined vars that were never replaced: A,B`).
//!
//! # How a var stays attached to its object
//! kustomize remembers on the matched object the names of the vars bound to it. Here the
//! [`VarSet`] records the object's id history (`previous_ids` then the current id) when the var
//! is bound; at resolution the first resource whose history starts with that record is the
//! object, so renames by prefix/suffix/namespace/hash transformers (which call
//! `Resource::remember_id`) are followed.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use krust_yaml::{Mapping, Value};

use crate::replacements::path::{lookup, split_var_path};
use crate::resource::{ResId, ResMap, Resource};
use crate::transformers::fieldspec::FieldSpec;

/// The field a var reads when its `fieldref` names none.
pub const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// What can go wrong with vars. Texts are kustomize's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VarError {
    /// A `vars:` entry has the wrong shape.
    #[error("invalid var: {0}")]
    Invalid(String),
    /// Two vars with the same name met.
    #[error("var '{0}' already encountered")]
    AlreadyEncountered(String),
    /// An objref matches several resources. kustomize's caller prefixes
    /// `merging vars {describe_vars(..)}: ` (see [`describe_vars`]).
    #[error("found {count} resId matches for var {var} (unable to disambiguate)")]
    Ambiguous {
        /// How many resources matched.
        count: usize,
        /// The var as kustomize prints it.
        var: String,
    },
    /// No resource was bound to the var.
    #[error("var '{0}' cannot be mapped to a field in the set of known resources")]
    Unmapped(String),
    /// The bound resource lacks the field.
    #[error("field specified in var '{0}' not found in corresponding resource")]
    FieldNotFound(String),
    /// A varReference field has a shape substitution cannot handle.
    #[error("considering field '{path}' of object {object}: {reason}")]
    Field {
        /// The field spec path.
        path: String,
        /// The object, kustomize-formatted.
        object: String,
        /// What was wrong.
        reason: String,
    },
}

/// The object a var reads (`objref`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjRef {
    /// `apiVersion`, overriding `group`/`version` when set.
    pub api_version: String,
    /// API group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (empty: any namespace).
    pub namespace: String,
}

impl ObjRef {
    /// Group and version, from `apiVersion` when it is set (kustomize's `Target.GVK`).
    pub fn group_version(&self) -> (String, String) {
        if self.api_version.is_empty() {
            return (self.group.clone(), self.version.clone());
        }
        let parts: Vec<&str> = self.api_version.split('/').collect();
        match parts.as_slice() {
            [g, v] => ((*g).to_string(), (*v).to_string()),
            [v] => (self.group.clone(), (*v).to_string()),
            _ => (self.group.clone(), self.version.clone()),
        }
    }

    fn gvk_string(&self, defaulted: bool) -> String {
        let (g, v) = if defaulted {
            self.group_version()
        } else {
            (self.group.clone(), self.version.clone())
        };
        let or = |s: String, d: &str| if s.is_empty() { d.to_string() } else { s };
        format!(
            "{}.{}.{}",
            or(self.kind.clone(), "[noKind]"),
            or(v, "[noVer]"),
            or(g, "[noGrp]")
        )
    }
}

/// One `vars:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Var {
    /// The name used as `$(NAME)`.
    pub name: String,
    /// The object.
    pub objref: ObjRef,
    /// The field path as written (empty: `metadata.name`).
    pub field_path: String,
}

impl Var {
    /// The field path, defaulted.
    pub fn effective_field_path(&self) -> &str {
        if self.field_path.is_empty() {
            DEFAULT_FIELD_PATH
        } else {
            &self.field_path
        }
    }

    /// kustomize's `%v` rendering after defaulting, e.g. `{NAME Pod.v1.[noGrp] {metadata.name}}`.
    fn describe(&self) -> String {
        format!(
            "{{{} {} {{{}}}}}",
            self.name,
            self.objref.gvk_string(true),
            self.effective_field_path()
        )
    }

    /// The same before defaulting (as kustomize prints a kustomization's raw `vars`).
    fn describe_raw(&self) -> String {
        format!(
            "{{{} {} {{{}}}}}",
            self.name,
            self.objref.gvk_string(false),
            self.field_path
        )
    }
}

fn field<'a>(m: &'a Mapping, name: &str) -> Option<&'a Value> {
    m.get(name).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn string_field(m: &Mapping, name: &str, what: &str) -> Result<String, VarError> {
    match field(m, name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(VarError::Invalid(format!(
            "`{what}{name}` must be a string, found a {}",
            other.kind_name()
        ))),
    }
}

fn mapping<'a>(v: Option<&'a Value>, what: &str) -> Result<Option<&'a Mapping>, VarError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Map(m)) => Ok(Some(m)),
        Some(other) => Err(VarError::Invalid(format!(
            "`{what}` must be a mapping, found a {}",
            other.kind_name()
        ))),
    }
}

/// A kustomization's `vars:` as kustomize prints them in the `merging vars [...]` prefix it puts
/// on errors of [`VarSet::merge_vars`], e.g. `[{NAME Service.[noVer].[noGrp] {metadata.name}}]`.
pub fn describe_vars(vars: &[Var]) -> String {
    format!(
        "[{}]",
        vars.iter()
            .map(Var::describe_raw)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// Parses one `vars:` entry (keys match case-insensitively, as kustomize's JSON decoding does:
/// `fieldpath` is `fieldPath`).
pub fn parse_var(value: &Value) -> Result<Var, VarError> {
    let m = mapping(Some(value), "vars[]")?.cloned().unwrap_or_default();
    let objref = match mapping(field(&m, "objref"), "objref")? {
        Some(o) => ObjRef {
            api_version: string_field(o, "apiVersion", "objref.")?,
            group: string_field(o, "group", "objref.")?,
            version: string_field(o, "version", "objref.")?,
            kind: string_field(o, "kind", "objref.")?,
            name: string_field(o, "name", "objref.")?,
            namespace: string_field(o, "namespace", "objref.")?,
        },
        None => ObjRef::default(),
    };
    let field_path = match mapping(field(&m, "fieldref"), "fieldref")? {
        Some(f) => string_field(f, "fieldPath", "fieldref.")?,
        None => String::new(),
    };
    Ok(Var {
        name: string_field(&m, "name", "")?,
        objref,
        field_path,
    })
}

/// Parses a kustomization's `vars:` list (or a slice of its raw entries via [`parse_var`]).
pub fn parse_vars(value: &Value) -> Result<Vec<Var>, VarError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => items.iter().map(parse_var).collect(),
        other => Err(VarError::Invalid(format!(
            "`vars` must be a list, found a {}",
            other.kind_name()
        ))),
    }
}

/// An id history with consecutive repeats collapsed.
fn history(r: &Resource) -> Vec<ResId> {
    let mut h: Vec<ResId> = Vec::with_capacity(r.previous_ids.len() + 1);
    for id in r.previous_ids.iter().chain(std::iter::once(&r.id())) {
        if h.last() != Some(id) {
            h.push(id.clone());
        }
    }
    h
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    var: Var,
    /// The bound object's id history when the var was bound (`None`: nothing matched).
    bound_to: Option<Vec<ResId>>,
}

/// The vars a kustomization has accumulated (its own and its bases'), with the objects they
/// are bound to. See the module docs for when to call each method.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VarSet {
    entries: BTreeMap<String, Entry>,
}

impl VarSet {
    /// An empty set.
    pub fn new() -> VarSet {
        VarSet::default()
    }

    /// Number of vars.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no vars.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The vars, sorted by name.
    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.entries.values().map(|e| &e.var)
    }

    /// Binds a kustomization's own `vars:` to `resources` (its accumulated resources, after its
    /// transformers) and adds them (kustomize's `MergeVars`, end of `accumulateTarget`).
    /// kustomize prefixes its errors with `merging vars {describe_vars(incoming)}: `.
    ///
    /// An objref is compared with every id a resource has had; without a namespace it matches
    /// any namespace. Two matches is an error; no match is left for [`VarSet::resolve`] to report.
    pub fn merge_vars(&mut self, resources: &ResMap, incoming: &[Var]) -> Result<(), VarError> {
        if incoming.is_empty() {
            return Ok(());
        }
        // Index resources by every name they have had, so each var looks at few candidates.
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in resources.resources().iter().enumerate() {
            for p in &r.previous_ids {
                let e = by_name.entry(p.name.as_str()).or_default();
                if e.last() != Some(&i) {
                    e.push(i);
                }
            }
        }
        let current: Vec<ResId> = resources.resources().iter().map(Resource::id).collect();
        for (i, id) in current.iter().enumerate() {
            let e = by_name.entry(id.name.as_str()).or_default();
            if !e.contains(&i) {
                e.push(i);
                e.sort_unstable();
            }
        }
        let mut bindings = Vec::with_capacity(incoming.len());
        for v in incoming {
            let (group, version) = v.objref.group_version();
            let with_ns = !v.objref.namespace.is_empty();
            let id_matches = |id: &ResId, cluster_scoped: bool| {
                id.name == v.objref.name
                    && id.gvk.group == group
                    && id.gvk.version == version
                    && id.gvk.kind == v.objref.kind
                    && (!with_ns || {
                        let eff = if cluster_scoped {
                            "_non_namespaceable_"
                        } else if id.namespace.is_empty() {
                            "default"
                        } else {
                            id.namespace.as_str()
                        };
                        let want = if v.objref.namespace == "default" {
                            "default"
                        } else {
                            v.objref.namespace.as_str()
                        };
                        eff == want
                    })
            };
            let mut matched = Vec::new();
            for &i in by_name
                .get(v.objref.name.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                let r = &resources.resources()[i];
                if r.value.is_null() || r.value.as_map().is_some_and(Mapping::is_empty) {
                    continue;
                }
                let cur = &current[i];
                if id_matches(cur, cur.gvk.is_cluster_scoped())
                    || r.previous_ids.iter().any(|p| id_matches(p, false))
                {
                    matched.push(i);
                }
            }
            if matched.len() > 1 {
                return Err(VarError::Ambiguous {
                    count: matched.len(),
                    var: v.describe(),
                });
            }
            bindings.push(matched.first().map(|&i| history(&resources.resources()[i])));
        }
        // Names are checked once every var is bound, as kustomize does.
        for (v, bound_to) in incoming.iter().zip(bindings) {
            if self.entries.contains_key(&v.name) {
                return Err(VarError::AlreadyEncountered(v.name.clone()));
            }
            self.entries.insert(
                v.name.clone(),
                Entry {
                    var: v.clone(),
                    bound_to,
                },
            );
        }
        Ok(())
    }

    /// Adds a base's vars (kustomize's `MergeAccumulator`): any name already present is an error.
    pub fn merge_set(&mut self, other: VarSet) -> Result<(), VarError> {
        for (name, entry) in other.entries {
            if self.entries.contains_key(&name) {
                return Err(VarError::AlreadyEncountered(name));
            }
            self.entries.insert(name, entry);
        }
        Ok(())
    }

    /// Computes every var's value from the final resources (kustomize's
    /// `makeVarReplacementMap`). Call after hash suffixes and name-reference fix-up.
    pub fn resolve(&self, resources: &ResMap) -> Result<BTreeMap<String, VarValue>, VarError> {
        if self.entries.is_empty() {
            return Ok(BTreeMap::new());
        }
        // Resources by the first id of their history, to find a bound object without a scan.
        let mut by_origin: HashMap<ResId, Vec<usize>> = HashMap::new();
        let histories: Vec<Vec<ResId>> = resources.resources().iter().map(history).collect();
        for (i, h) in histories.iter().enumerate() {
            if let Some(first) = h.first() {
                by_origin.entry(first.clone()).or_default().push(i);
            }
        }
        let mut out = BTreeMap::new();
        for entry in self.entries.values() {
            let var = &entry.var;
            let unmapped = || VarError::Unmapped(var.describe());
            let bound = entry.bound_to.as_ref().ok_or_else(unmapped)?;
            let first = bound.first().ok_or_else(unmapped)?;
            let candidates = by_origin.get(first).map(Vec::as_slice).unwrap_or(&[]);
            let pos = candidates
                .iter()
                .copied()
                .find(|&i| histories[i].starts_with(bound))
                .or_else(|| candidates.first().copied())
                .ok_or_else(unmapped)?;
            let parts = split_var_path(var.effective_field_path());
            let value = lookup(&resources.resources()[pos].value, &parts)
                .ok()
                .flatten()
                .ok_or_else(|| VarError::FieldNotFound(var.describe()))?;
            out.insert(var.name.clone(), VarValue::from_value(value));
        }
        Ok(out)
    }
}

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
    fn from_value(v: &Value) -> VarValue {
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
fn go_float_v(f: f64) -> String {
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
fn expand(
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
/// sorted. Call with the result of [`VarSet::resolve`]; [`resolve_vars`] does both.
pub fn expand_vars(
    resources: &mut ResMap,
    values: &BTreeMap<String, VarValue>,
    field_specs: &[FieldSpec],
) -> Result<Vec<String>, VarError> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let split: Vec<Vec<String>> = field_specs.iter().map(FieldSpec::path_segments).collect();
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

/// Resolves the accumulated vars against the final resources and substitutes them
/// (kustomize's `ResolveVars`). Call once at the top of the build, after hash suffixes and
/// the name-reference fix-up, before dropping local-config objects. Returns the unused var
/// names (kustomize logs `well-defined vars that were never replaced: A,B` when not empty).
pub fn resolve_vars(
    resources: &mut ResMap,
    vars: &VarSet,
    field_specs: &[FieldSpec],
) -> Result<Vec<String>, VarError> {
    let values = vars.resolve(resources)?;
    if values.is_empty() {
        return Ok(Vec::new());
    }
    expand_vars(resources, &values, field_specs)
}

impl fmt::Display for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests;

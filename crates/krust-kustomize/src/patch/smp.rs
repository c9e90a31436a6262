//! Strategic merge patch, as kustomize's `kyaml/yaml/merge2` performs it.
//!
//! This reproduces kustomize's own merge (not the apimachinery one `kubectl patch` uses), with
//! its visible quirks, because the goal is byte-identical output:
//! - maps merge recursively; a `null` in the patch deletes the key; `$patch: delete` deletes the
//!   object, `$patch: replace` replaces it (both keys are removed from the result);
//! - a list is merged element by element only when the schema gives it the `merge` patch
//!   strategy; its keys are the `x-kubernetes-list-map-keys` or else the patch merge key. Lists
//!   of unknown kinds (CRDs) and lists without that strategy are replaced by the patch's list;
//! - merged lists come out in kustomize's order: the patch's elements first (in patch order),
//!   then the target's other elements (in their order), with the multi-key (`ports`) matching
//!   rules of kyaml, including its oddities (an element without its merge key removes the
//!   target elements that have one);
//! - `$setElementOrder/…`, `$retainKeys` and `$deleteFromPrimitiveList/…` are *not* interpreted
//!   by kustomize: they are ordinary keys that end up in the output, and so they do here;
//! - a target field that is `null` and absent from the patch is kept as `null`.
//!
//! Everything below the patch (the new values it adds) is "merged with itself" as kyaml does,
//! which removes `null` values and `$patch` directives inside added subtrees.

use std::collections::{HashMap, HashSet};

use krust_yaml::parse::resolve_plain;
use krust_yaml::{Mapping, Value};
use thiserror::Error;

use super::schema::{FieldSchema, MergeSchema, SchemaRef};

/// Errors raised while merging.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SmpError {
    /// A `$patch` directive with a value other than `delete`, `replace` or `merge`.
    #[error("unknown patch strategy '{0}'")]
    UnknownStrategy(String),
    /// The patch and the target disagree on the kind of a node (map vs list vs scalar).
    #[error("wrong node kind: expected {expected} but got {got}: node contents:\n{contents}")]
    WrongNodeKind {
        /// kyaml's name of the expected node kind (`MappingNode`, …).
        expected: &'static str,
        /// kyaml's name of the node kind found.
        got: &'static str,
        /// The offending node as YAML.
        contents: String,
    },
}

/// What happened to the target of a strategic merge patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmpOutcome {
    /// The target was patched and still exists.
    Patched,
    /// The patch deleted the whole object (`$patch: delete` at the top, or an empty result):
    /// the caller must drop the resource.
    Deleted,
}

/// Applies one strategic merge patch document to one object, in place.
///
/// `patch` is consumed (kustomize mutates its copy of the patch while merging). The schema of
/// the object comes from its own `apiVersion`/`kind` in `schema`; use [`MergeSchema::builtin`]
/// for the built-in kinds. This is the raw merge: it does not restore the target's name, kind
/// or namespace (see [`super::apply_sm_patch_to_resource`] for kustomize's resource-level rules).
pub fn apply_strategic_merge(
    target: &mut Value,
    patch: Value,
    schema: &MergeSchema,
) -> Result<SmpOutcome, SmpError> {
    let merger = Merger { schema, fast: true };
    let mut patch = patch;
    let outcome = merger.walk(Some(target), Some(&mut patch), None)?;
    match outcome {
        Walked::Dest => {}
        Walked::New(v) => *target = v,
        Walked::Clear => {
            *target = Value::Null;
            return Ok(SmpOutcome::Deleted);
        }
    }
    let empty = match target {
        Value::Null => true,
        Value::Map(m) => m.is_empty(),
        _ => false,
    };
    Ok(if empty {
        SmpOutcome::Deleted
    } else {
        SmpOutcome::Patched
    })
}

const DIRECTIVE: &str = "$patch";

/// The result of walking one node.
enum Walked {
    /// The result is the destination node itself, merged in place.
    Dest,
    /// The result is a new node (taken from the patch); the destination is left untouched.
    New(Value),
    /// The node is removed.
    Clear,
}

/// A `$patch` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

fn is_null_or_missing(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

fn node_kind_name(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "MappingNode",
        Value::Seq(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Map,
    Seq,
    Scalar,
}

fn kind_of(v: &Value) -> NodeKind {
    match v {
        Value::Map(_) => NodeKind::Map,
        Value::Seq(_) => NodeKind::Seq,
        _ => NodeKind::Scalar,
    }
}

fn check_kind(kind: NodeKind, nodes: &[Option<&Value>]) -> Result<(), SmpError> {
    for v in nodes.iter().flatten() {
        if v.is_null() {
            continue;
        }
        if kind_of(v) != kind {
            let expected = match kind {
                NodeKind::Map => "MappingNode",
                NodeKind::Seq => "SequenceNode",
                NodeKind::Scalar => "ScalarNode",
            };
            return Err(SmpError::WrongNodeKind {
                expected,
                got: node_kind_name(v),
                contents: krust_yaml::to_string(v),
            });
        }
    }
    Ok(())
}

/// The text kyaml compares when matching list elements by key: the scalar as written (we
/// only have its resolved value, rendered canonically); empty for collections.
fn node_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Seq(_) | Value::Map(_) => String::new(),
        other => other.scalar_text().unwrap_or_default(),
    }
}

/// The value of `key` in a list element as kyaml's `ElementValuesList` reads it: empty when
/// missing, null or an empty collection.
fn key_text(elem: &Value, key: &str) -> String {
    match elem.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::Map(m)) if m.is_empty() => String::new(),
        Some(Value::Seq(s)) if s.is_empty() => String::new(),
        Some(v) => node_text(v),
    }
}

/// Reads (and removes, when valid) the `$patch` directive of a mapping.
fn map_directive(m: &mut Mapping, strict: bool) -> Result<Directive, SmpError> {
    let Some(v) = m.get(DIRECTIVE) else {
        return Ok(Directive::Merge);
    };
    let d = match node_text(v).as_str() {
        "delete" => Directive::Delete,
        "replace" => Directive::Replace,
        "merge" => Directive::Merge,
        other => {
            if strict {
                return Err(SmpError::UnknownStrategy(other.to_string()));
            }
            return Ok(Directive::Merge);
        }
    };
    m.shift_remove(DIRECTIVE);
    Ok(d)
}

/// Reads (and removes, when valid) the `$patch` directive element of a list.
fn seq_directive(list: &mut Vec<Value>) -> Result<Directive, SmpError> {
    let Some(elem) = list
        .iter()
        .find(|e| e.as_map().is_some_and(|m| m.contains_key(DIRECTIVE)))
    else {
        return Ok(Directive::Merge);
    };
    let Some(m) = elem.as_map() else {
        return Ok(Directive::Merge);
    };
    if m.len() > 1 {
        return Ok(Directive::Merge);
    }
    let text = m.get(DIRECTIVE).map(node_text).unwrap_or_default();
    let d = match text.as_str() {
        "delete" => Directive::Delete,
        "replace" => Directive::Replace,
        "merge" => Directive::Merge,
        other => return Err(SmpError::UnknownStrategy(other.to_string())),
    };
    // kyaml removes the matching elements with an element setter, which also drops null and
    // empty-map elements.
    let keys = [DIRECTIVE.to_string()];
    let values = [text];
    let mut items: Vec<Value> = std::mem::take(list);
    let mut out = Vec::with_capacity(items.len());
    for e in items.drain(..) {
        if e.is_null() || e.as_map().is_some_and(Mapping::is_empty) {
            continue;
        }
        if !matches!(e, Value::Map(_)) {
            out.push(e);
            continue;
        }
        if field_matches(&e, &keys, &values)? {
            continue;
        }
        out.push(e);
    }
    *list = out;
    Ok(d)
}

/// kyaml's `FieldMatcher` chain inside `ElementSetter`: every key (that has a value to compare)
/// must be present, with that value when the value is non-empty.
fn field_matches(elem: &Value, keys: &[String], values: &[String]) -> Result<bool, SmpError> {
    let mut found = false;
    for (j, key) in keys.iter().enumerate() {
        if j < values.len() {
            let want = &values[j];
            found = if key.is_empty() {
                if matches!(elem, Value::Map(_) | Value::Seq(_)) {
                    return Err(SmpError::WrongNodeKind {
                        expected: "ScalarNode",
                        got: node_kind_name(elem),
                        contents: krust_yaml::to_string(elem),
                    });
                }
                node_text(elem) == *want
            } else {
                let Value::Map(m) = elem else {
                    if elem.is_null() {
                        return Ok(false);
                    }
                    return Err(SmpError::WrongNodeKind {
                        expected: "MappingNode",
                        got: node_kind_name(elem),
                        contents: krust_yaml::to_string(elem),
                    });
                };
                match m.get(key) {
                    None => false,
                    Some(v) => want.is_empty() || node_text(v) == *want,
                }
            };
        }
        if !found {
            return Ok(false);
        }
    }
    Ok(found)
}

/// kyaml's `ElementMatcher` (first element whose keys all have exactly these values).
fn element_matches(elem: &Value, keys: &[String], values: &[String]) -> bool {
    if keys.is_empty() || keys[0].is_empty() {
        let want = values.first().map(String::as_str).unwrap_or("");
        return node_text(elem) == want;
    }
    let Value::Map(m) = elem else {
        return false;
    };
    if keys.len() != values.len() {
        return false;
    }
    keys.iter()
        .zip(values)
        .all(|(k, v)| m.get(k).is_some_and(|f| node_text(f) == *v))
}

/// `validateKeys`: keep the keys that have a value somewhere in `all`.
fn validate_keys(
    all: &[Vec<String>],
    values: &[String],
    keys: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut valid = vec![false; keys.len()];
    let mut any = false;
    for vals in all {
        for (i, v) in vals.iter().enumerate() {
            if !v.is_empty() && i < keys.len() {
                valid[i] = true;
                any = true;
            }
        }
    }
    if !any {
        return (keys.to_vec(), values.to_vec());
    }
    let mut vk = Vec::new();
    let mut vv = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        if valid[i] {
            vk.push(k.clone());
        }
    }
    for (i, v) in values.iter().enumerate() {
        if !v.is_empty() || (i < keys.len() && valid[i]) {
            vv.push(v.clone());
        }
    }
    (vk, vv)
}

/// `mergeValues` for multi-key lists: tuples that agree where both have values are unified.
fn merge_values(list: &mut [Vec<String>]) {
    if !list.iter().any(|v| v.iter().any(String::is_empty)) {
        // Distinct fully-specified tuples never unify: nothing to do.
        return;
    }
    let n = list.len();
    for i in 0..n {
        for j in 0..n {
            if let Some(m) = unify(&list[i], &list[j]) {
                list[i] = m.clone();
                list[j] = m;
            }
        }
    }
}

fn unify(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut out = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            out.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else if !x.is_empty() {
            out.push(x.clone());
        } else {
            out.push(y.clone());
        }
    }
    common.then_some(out)
}

/// An entry of the list being assembled: a target element (merged in place) or a new one.
#[derive(Clone)]
enum Item {
    Dest(usize),
    New(Value),
}

/// The target list while it is being merged: elements stay at their index (items refer to
/// them) and removal only marks them dead.
struct DestList {
    elems: Vec<Value>,
    alive: Vec<bool>,
}

impl DestList {
    fn alive_indices(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.elems.len()).filter(|&i| self.alive[i])
    }

    /// `ElementSetter` without an element: removes matching elements (and null/empty ones).
    fn remove_matching(&mut self, keys: &[String], values: &[String]) -> Result<(), SmpError> {
        let mapping_setter = is_mapping_setter(keys, values);
        for i in 0..self.elems.len() {
            if !self.alive[i] {
                continue;
            }
            let e = &self.elems[i];
            if e.is_null() || e.as_map().is_some_and(Mapping::is_empty) {
                self.alive[i] = false;
                continue;
            }
            if !matches!(e, Value::Map(_)) && mapping_setter {
                continue;
            }
            let found = field_matches(e, keys, values)?;
            if found || values.is_empty() {
                self.alive[i] = false;
            }
        }
        Ok(())
    }
}

fn is_mapping_setter(keys: &[String], values: &[String]) -> bool {
    !keys.is_empty() && !keys[0].is_empty() && !values.is_empty() && !values[0].is_empty()
}

struct Merger<'s> {
    schema: &'s MergeSchema,
    /// Use the indexed single-key path where it gives the same result (off only in tests that
    /// compare it with the general algorithm).
    fast: bool,
}

impl<'s> Merger<'s> {
    /// kyaml's `GetSchema` fallback: a node with its own `apiVersion` and `kind`.
    fn schema_from_meta(&self, nodes: &[Option<&Value>]) -> Option<SchemaRef<'s>> {
        for v in nodes.iter().flatten() {
            if let Value::Map(m) = v {
                let api = m.get("apiVersion").and_then(Value::as_str).unwrap_or("");
                let kind = m.get("kind").and_then(Value::as_str).unwrap_or("");
                if api.is_empty() || kind.is_empty() {
                    continue;
                }
                if let Some(s) = self.schema.for_type(api, kind) {
                    return Some(s);
                }
            }
        }
        None
    }

    fn child_schema(&self, schema: Option<SchemaRef<'s>>, key: &str) -> Option<SchemaRef<'s>> {
        schema.and_then(|s| self.schema.field(s, key))
    }

    /// Merges `origin` (the patch) into `dest` (the target).
    fn walk(
        &self,
        dest: Option<&mut Value>,
        origin: Option<&mut Value>,
        schema: Option<SchemaRef<'s>>,
    ) -> Result<Walked, SmpError> {
        let schema = match schema {
            Some(s) => Some(s),
            None => self.schema_from_meta(&[dest.as_deref(), origin.as_deref()]),
        };
        let kind = match (dest.as_deref(), origin.as_deref()) {
            (Some(d), _) if !d.is_null() => Some(kind_of(d)),
            (_, Some(o)) if !o.is_null() => Some(kind_of(o)),
            _ => None,
        };
        match kind {
            None | Some(NodeKind::Map) => {
                check_kind(NodeKind::Map, &[dest.as_deref(), origin.as_deref()])?;
                self.walk_map(dest, origin, schema)
            }
            Some(NodeKind::Seq) => {
                check_kind(NodeKind::Seq, &[dest.as_deref(), origin.as_deref()])?;
                let strategy = schema.and_then(|s| self.schema.list_strategy(s));
                match strategy {
                    Some(f) => {
                        let elems = schema.and_then(|s| self.schema.elements(s));
                        self.walk_assoc(dest, origin, f, elems)
                    }
                    None => Ok(match origin {
                        Some(o) => Walked::New(o.clone()),
                        None => Walked::Dest,
                    }),
                }
            }
            Some(NodeKind::Scalar) => {
                check_kind(NodeKind::Scalar, &[dest.as_deref(), origin.as_deref()])?;
                Ok(match origin {
                    Some(o) => Walked::New(o.clone()),
                    None => Walked::Dest,
                })
            }
        }
    }

    fn walk_map(
        &self,
        dest: Option<&mut Value>,
        mut origin: Option<&mut Value>,
        schema: Option<SchemaRef<'s>>,
    ) -> Result<Walked, SmpError> {
        if is_null_or_missing(dest.as_deref()) {
            if let Some(Value::Map(o)) = origin.as_deref_mut() {
                if map_directive(o, false)? == Directive::Delete {
                    return Ok(Walked::Clear);
                }
            }
            let Some(o) = origin else {
                // A null the patch does not mention stays (kyaml's "persistent null").
                return Ok(if dest.is_some() {
                    Walked::Dest
                } else {
                    Walked::Clear
                });
            };
            let mut v = o.clone();
            if let Value::Map(m) = &mut v {
                self.self_map_fields(m, schema)?;
            }
            return Ok(Walked::New(v));
        }
        let Some(Value::Map(d)) = dest else {
            return Ok(Walked::Dest);
        };
        let mut o = match origin {
            None => None,
            Some(Value::Null) => return Ok(Walked::Clear),
            Some(Value::Map(o)) => Some(o),
            Some(_) => None,
        };
        let directive = match o {
            Some(ref mut o) => map_directive(o, true)?,
            None => Directive::Merge,
        };
        match directive {
            Directive::Delete => Ok(Walked::Clear),
            Directive::Replace => {
                let mut v = o.cloned().unwrap_or_default();
                self.self_map_fields(&mut v, schema)?;
                Ok(Walked::New(Value::Map(v)))
            }
            Directive::Merge => {
                self.merge_map_fields(d, o, schema)?;
                Ok(Walked::Dest)
            }
        }
    }

    /// Merges the fields of `origin` into `dest`, in kyaml's (sorted) field order.
    fn merge_map_fields(
        &self,
        dest: &mut Mapping,
        mut origin: Option<&mut Mapping>,
        schema: Option<SchemaRef<'s>>,
    ) -> Result<(), SmpError> {
        let mut keys: Vec<String> = dest.keys().cloned().collect();
        if let Some(o) = origin.as_deref() {
            keys.extend(o.keys().filter(|k| !dest.contains_key(*k)).cloned());
        }
        keys.sort();
        for key in keys {
            let child_schema = self.child_schema(schema, &key);
            let o_child = origin.as_deref_mut().and_then(|o| o.get_mut(&key));
            let result = self.walk(dest.get_mut(&key), o_child, child_schema)?;
            match result {
                Walked::Dest => {}
                Walked::New(Value::Null) | Walked::Clear => {
                    dest.shift_remove(&key);
                }
                Walked::New(v) => {
                    dest.insert(key, v);
                }
            }
        }
        Ok(())
    }

    /// Merges a node with itself (what kyaml does to the values a patch adds or replaces).
    /// Returns false when the node must be removed.
    fn walk_self(&self, v: &mut Value, schema: Option<SchemaRef<'s>>) -> Result<bool, SmpError> {
        let schema = match schema {
            Some(s) => Some(s),
            None => self.schema_from_meta(&[Some(v)]),
        };
        match v {
            Value::Null => Ok(false),
            Value::Map(m) => {
                if map_directive(m, true)? == Directive::Delete {
                    return Ok(false);
                }
                self.self_map_fields(m, schema)?;
                Ok(true)
            }
            Value::Seq(list) => {
                let strategy = schema.and_then(|s| self.schema.list_strategy(s));
                let Some(f) = strategy else {
                    return Ok(true);
                };
                if seq_directive(list)? == Directive::Delete {
                    return Ok(false);
                }
                let elems = schema.and_then(|s| self.schema.elements(s));
                self.assoc_merge(list, None, f, elems)?;
                Ok(true)
            }
            _ => Ok(true),
        }
    }

    fn self_map_fields(
        &self,
        m: &mut Mapping,
        schema: Option<SchemaRef<'s>>,
    ) -> Result<(), SmpError> {
        let mut keys: Vec<String> = m.keys().cloned().collect();
        keys.sort();
        for key in keys {
            let child_schema = self.child_schema(schema, &key);
            let keep = match m.get_mut(&key) {
                Some(child) => self.walk_self(child, child_schema)?,
                None => true,
            };
            if !keep {
                m.shift_remove(&key);
            }
        }
        Ok(())
    }

    fn walk_assoc(
        &self,
        dest: Option<&mut Value>,
        origin: Option<&mut Value>,
        field: &FieldSchema,
        elems: Option<SchemaRef<'s>>,
    ) -> Result<Walked, SmpError> {
        if is_null_or_missing(dest.as_deref()) {
            let Some(o) = origin else {
                return Ok(Walked::Clear);
            };
            let mut v = o.clone();
            if let Value::Seq(list) = &mut v {
                self.assoc_merge(list, None, field, elems)?;
            }
            return Ok(Walked::New(v));
        }
        let Some(Value::Seq(d)) = dest else {
            return Ok(Walked::Dest);
        };
        let mut o = match origin {
            None => None,
            Some(Value::Null) => return Ok(Walked::Clear),
            Some(Value::Seq(o)) => Some(o),
            Some(_) => None,
        };
        let directive = match o {
            Some(ref mut o) => seq_directive(o)?,
            None => Directive::Merge,
        };
        match directive {
            Directive::Delete => Ok(Walked::Clear),
            Directive::Replace => {
                let mut v = o.cloned().unwrap_or_default();
                self.assoc_merge(&mut v, None, field, elems)?;
                Ok(Walked::New(Value::Seq(v)))
            }
            Directive::Merge => {
                self.assoc_merge(d, o, field, elems)?;
                Ok(Walked::Dest)
            }
        }
    }

    /// kyaml's associative-list merge (`walkAssociativeSequence` with the "prepend" list
    /// direction kustomize's patch filter uses). `origin == None` merges `dest` with itself.
    fn assoc_merge(
        &self,
        dest: &mut Vec<Value>,
        origin: Option<&mut Vec<Value>>,
        field: &FieldSchema,
        elems: Option<SchemaRef<'s>>,
    ) -> Result<(), SmpError> {
        if self.fast && field.keys.len() == 1 {
            if let Some(plan) = FastPlan::new(dest, origin.as_deref(), &field.keys[0]) {
                return self.assoc_fast(dest, origin, plan, elems);
            }
        }
        let keys: Vec<String> = field.keys.clone();
        // Key tuples of the patch's elements, then of the target's (unique, in order).
        let mut values: Vec<Vec<String>> = Vec::new();
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        {
            let sources: [&[Value]; 2] = match origin.as_deref() {
                Some(o) => [o.as_slice(), dest.as_slice()],
                None => [dest.as_slice(), dest.as_slice()],
            };
            for src in sources {
                for e in src {
                    let tuple: Vec<String> = keys.iter().map(|k| key_text(e, k)).collect();
                    if tuple.is_empty() || seen.contains(&tuple) {
                        continue;
                    }
                    seen.insert(tuple.clone());
                    values.push(tuple);
                }
            }
        }
        let keys = if values.is_empty() && keys.is_empty() {
            // A list of scalars merged as a set.
            let sources: [&[Value]; 2] = match origin.as_deref() {
                Some(o) => [o.as_slice(), dest.as_slice()],
                None => [dest.as_slice(), dest.as_slice()],
            };
            let mut seen: HashSet<String> = HashSet::new();
            for src in sources {
                for e in src {
                    let t = node_text(e);
                    let t = if matches!(e, Value::Null) {
                        String::new()
                    } else {
                        t
                    };
                    if seen.insert(t.clone()) {
                        values.push(vec![t]);
                    }
                }
            }
            vec![String::new()]
        } else {
            keys
        };
        self.set_elements(dest, origin, values, &keys, elems)
    }

    /// The single-key case where every element of both lists has a distinct, non-empty key:
    /// kyaml's algorithm then reduces to "patch keys first, then the target's other keys; each
    /// element merged; an element the patch deletes is dropped; where the target still has the
    /// element, the target's (merged in place) node wins". Linear time with hashed keys.
    fn assoc_fast(
        &self,
        dest: &mut Vec<Value>,
        mut origin: Option<&mut Vec<Value>>,
        plan: FastPlan,
        elems: Option<SchemaRef<'s>>,
    ) -> Result<(), SmpError> {
        let mut d_elems: Vec<Option<Value>> = std::mem::take(dest).into_iter().map(Some).collect();
        let mut out: Vec<Value> = Vec::with_capacity(plan.order.len());
        for (d_idx, o_idx) in plan.order {
            let result = match (&mut origin, d_idx) {
                (None, Some(d)) => match d_elems[d].as_mut() {
                    Some(v) => {
                        if self.walk_self(v, elems)? {
                            Walked::Dest
                        } else {
                            Walked::Clear
                        }
                    }
                    None => Walked::Clear,
                },
                (None, None) => Walked::Clear,
                (Some(o), _) => {
                    let o_elem = o_idx.and_then(|j| o.get_mut(j));
                    let d_elem = d_idx.and_then(|d| d_elems[d].as_mut());
                    self.walk(d_elem, o_elem, elems)?
                }
            };
            let val = match result {
                Walked::Dest => d_idx.and_then(|d| d_elems[d].take()),
                Walked::New(v) => {
                    // The target's own element, if it has one, takes the place of the new node.
                    match d_idx.and_then(|d| d_elems[d].take()) {
                        Some(d) if !is_empty_node(&v) => Some(d),
                        _ => Some(v),
                    }
                }
                Walked::Clear => None,
            };
            match val {
                Some(v) if !is_empty_node(&v) => out.push(v),
                _ => {}
            }
        }
        *dest = out;
        Ok(())
    }

    /// kyaml's `setAssociativeSequenceElements` followed by `appendListNode`.
    fn set_elements(
        &self,
        dest: &mut Vec<Value>,
        mut origin: Option<&mut Vec<Value>>,
        mut values_list: Vec<Vec<String>>,
        keys: &[String],
        elems: Option<SchemaRef<'s>>,
    ) -> Result<(), SmpError> {
        let self_merge = origin.is_none();
        let mut dl = DestList {
            alive: vec![true; dest.len()],
            elems: std::mem::take(dest),
        };
        let mut items: Vec<Item> = Vec::new();
        if keys.len() > 1 {
            merge_values(&mut values_list);
        }
        let mut last_valid_keys: Vec<String> = Vec::new();
        for idx in 0..values_list.len() {
            let values = values_list[idx].clone();
            if values.is_empty() {
                continue;
            }
            let (vk, vv) = validate_keys(&values_list, &values, keys);
            last_valid_keys = vk.clone();
            let (mk, mv) = validate_keys(std::slice::from_ref(&vv), &vv, &vk);
            let d_idx = dl
                .alive_indices()
                .find(|&i| element_matches(&dl.elems[i], &mk, &mv));
            // The element's merge result.
            let mut val: Option<Item> = if self_merge {
                match d_idx {
                    Some(i) => {
                        if self.walk_self(&mut dl.elems[i], elems)? {
                            Some(Item::Dest(i))
                        } else {
                            None
                        }
                    }
                    None => None,
                }
            } else {
                let o_list = origin.as_deref_mut();
                let o_elem =
                    o_list.and_then(|o| o.iter_mut().find(|e| element_matches(e, &mk, &mv)));
                let d_elem = d_idx.map(|i| &mut dl.elems[i]);
                match self.walk(d_elem, o_elem, elems)? {
                    Walked::Dest => d_idx.map(Item::Dest),
                    Walked::New(v) => Some(Item::New(v)),
                    Walked::Clear => None,
                }
            };
            let val_is_empty = match &val {
                None => true,
                Some(Item::Dest(i)) => is_empty_node(&dl.elems[*i]),
                Some(Item::New(v)) => is_empty_node(v),
            };
            if val_is_empty {
                dl.remove_matching(&vk, &vv)?;
                continue;
            }
            for (i, key) in vk.iter().enumerate() {
                let want = vv.get(i).cloned().unwrap_or_default();
                if want.is_empty() || key.is_empty() {
                    // (The scalar case rewrites the element with the same text: no change.)
                    continue;
                }
                let node = match &mut val {
                    Some(Item::Dest(i)) => &mut dl.elems[*i],
                    Some(Item::New(v)) => v,
                    None => continue,
                };
                if let Value::Map(m) = node {
                    if !m.contains_key(key) {
                        m.insert(key.clone(), resolve_plain(&want));
                    }
                }
            }
            if let Some(item) = val {
                set_item(&mut items, &dl, Some(item), &vk, &vv)?;
            }
        }
        if !values_list.is_empty() {
            // appendListNode(items, dest, keys): the target's elements replace the items with
            // the same keys, or are appended.
            let alive: Vec<usize> = dl.alive_indices().collect();
            for i in alive {
                let elem = &dl.elems[i];
                if last_valid_keys.first().is_none_or(String::is_empty) {
                    let text = node_text(elem);
                    set_item(
                        &mut items,
                        &dl,
                        Some(Item::Dest(i)),
                        &[String::new()],
                        &[text],
                    )?;
                    continue;
                }
                let Value::Map(m) = elem else {
                    return Err(SmpError::WrongNodeKind {
                        expected: "MappingNode",
                        got: node_kind_name(elem),
                        contents: krust_yaml::to_string(elem),
                    });
                };
                let mut v: Vec<String> = Vec::new();
                for key in &last_valid_keys {
                    match m.get(key) {
                        None => items.push(Item::Dest(i)),
                        Some(f) => v.push(node_text(f)),
                    }
                }
                if last_valid_keys.len() > 1 {
                    set_item(&mut items, &dl, None, &last_valid_keys, &v)?;
                }
                set_item(&mut items, &dl, Some(Item::Dest(i)), &last_valid_keys, &v)?;
            }
        } else {
            items = dl.alive_indices().map(Item::Dest).collect();
        }
        *dest = materialize(items, dl.elems);
        Ok(())
    }
}

fn is_empty_node(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

fn item_value<'a>(item: &'a Item, dl: &'a DestList) -> &'a Value {
    match item {
        Item::Dest(i) => &dl.elems[*i],
        Item::New(v) => v,
    }
}

/// kyaml's `ElementSetter` on the list being assembled: items matching `keys`/`values` are
/// replaced by `element` (or removed when there is none); `element` is appended when nothing
/// matched. Null and empty-map items are dropped on the way.
fn set_item(
    items: &mut Vec<Item>,
    dl: &DestList,
    element: Option<Item>,
    keys: &[String],
    values: &[String],
) -> Result<(), SmpError> {
    let keys: Vec<String> = if keys.is_empty() {
        vec![String::new()]
    } else {
        keys.to_vec()
    };
    let mapping_setter = is_mapping_setter(&keys, values);
    let mut out: Vec<Item> = Vec::with_capacity(items.len() + 1);
    let mut matched = false;
    for item in items.drain(..) {
        let v = item_value(&item, dl);
        if is_empty_node(v) {
            continue;
        }
        if !matches!(v, Value::Map(_)) && mapping_setter {
            out.push(item);
            continue;
        }
        if !field_matches(v, &keys, values)? {
            if !values.is_empty() {
                out.push(item);
            }
            continue;
        }
        matched = true;
        if let Some(e) = &element {
            out.push(e.clone());
        }
    }
    *items = out;
    let Some(e) = element else {
        return Ok(());
    };
    if is_empty_node(item_value(&e, dl)) {
        return Ok(());
    }
    if !matched {
        items.push(e);
    }
    Ok(())
}

/// Turns the assembled items into values, moving target elements out where possible.
fn materialize(items: Vec<Item>, elems: Vec<Value>) -> Vec<Value> {
    let mut remaining = vec![0usize; elems.len()];
    for it in &items {
        if let Item::Dest(i) = it {
            remaining[*i] += 1;
        }
    }
    let mut elems: Vec<Option<Value>> = elems.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        match it {
            Item::New(v) => out.push(v),
            Item::Dest(i) => {
                remaining[i] -= 1;
                let v = if remaining[i] == 0 {
                    elems[i].take()
                } else {
                    elems[i].clone()
                };
                if let Some(v) = v {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// Order and pairing of elements for [`Merger::assoc_fast`]: `(target index, patch index)` per
/// key, patch keys first.
struct FastPlan {
    order: Vec<(Option<usize>, Option<usize>)>,
}

impl FastPlan {
    /// `None` when some element lacks the key, has an empty one, is not a mapping, or shares
    /// its key with another element of the same list (the general algorithm handles those).
    fn new(dest: &[Value], origin: Option<&Vec<Value>>, key: &str) -> Option<FastPlan> {
        fn keys_of(list: &[Value], key: &str) -> Option<Vec<String>> {
            let mut out = Vec::with_capacity(list.len());
            for e in list {
                let Value::Map(m) = e else { return None };
                let k = match m.get(key) {
                    Some(Value::Map(_) | Value::Seq(_) | Value::Null) | None => return None,
                    Some(v) => node_text(v),
                };
                if k.is_empty() {
                    return None;
                }
                out.push(k);
            }
            Some(out)
        }
        let dkeys = keys_of(dest, key)?;
        let mut dmap: HashMap<&str, usize> = HashMap::with_capacity(dkeys.len());
        for (i, k) in dkeys.iter().enumerate() {
            if dmap.insert(k.as_str(), i).is_some() {
                return None;
            }
        }
        let mut order = Vec::with_capacity(dkeys.len());
        match origin {
            None => order.extend((0..dkeys.len()).map(|i| (Some(i), Some(i)))),
            Some(o) => {
                let okeys = keys_of(o, key)?;
                let mut omap: HashMap<&str, usize> = HashMap::with_capacity(okeys.len());
                for (j, k) in okeys.iter().enumerate() {
                    if omap.insert(k.as_str(), j).is_some() {
                        return None;
                    }
                    order.push((dmap.get(k.as_str()).copied(), Some(j)));
                }
                for (i, k) in dkeys.iter().enumerate() {
                    if !omap.contains_key(k.as_str()) {
                        order.push((Some(i), None));
                    }
                }
            }
        }
        Some(FastPlan { order })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use krust_yaml::parse_one;

    /// A tiny deterministic generator (no external crates).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn container(rng: &mut Lcg, name: &str, patch: bool) -> String {
        let mut s = format!("{{name: {name}");
        if rng.next(2) == 0 {
            s.push_str(&format!(", image: img{}", rng.next(3)));
        }
        if patch {
            match rng.next(8) {
                0 => s.push_str(", $patch: delete"),
                1 => s.push_str(", $patch: replace"),
                2 => s.push_str(", command: null"),
                _ => {}
            }
        }
        if rng.next(2) == 0 {
            let n = rng.next(4);
            let envs: Vec<String> = (0..n)
                .map(|i| {
                    format!(
                        "{{name: E{}, value: v{}}}",
                        (i * 7 + rng.next(5)) % 6,
                        rng.next(3)
                    )
                })
                .collect();
            // Env names may repeat: those lists take the general path in both runs.
            s.push_str(&format!(", env: [{}]", envs.join(", ")));
        }
        s.push('}');
        s
    }

    fn list(rng: &mut Lcg, patch: bool) -> String {
        let names = ["a", "b", "c", "d", "e"];
        let n = rng.next(5) as usize;
        let mut used = Vec::new();
        let mut items = Vec::new();
        for _ in 0..n {
            let nm = names[rng.next(5) as usize];
            if used.contains(&nm) {
                continue;
            }
            used.push(nm);
            items.push(container(rng, nm, patch));
        }
        format!("[{}]", items.join(", "))
    }

    #[test]
    fn indexed_path_matches_general_algorithm() {
        let schema = MergeSchema::builtin();
        let mut rng = Lcg(7);
        for _ in 0..400 {
            let target = format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: x}}\nspec: {{template: {{spec: {{containers: {}}}}}}}\n",
                list(&mut rng, false)
            );
            let patch = format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: x}}\nspec: {{template: {{spec: {{containers: {}}}}}}}\n",
                list(&mut rng, true)
            );
            let run = |fast: bool| {
                let m = Merger { schema, fast };
                let mut t = parse_one(&target).expect("target");
                let mut p = parse_one(&patch).expect("patch");
                let r = m.walk(Some(&mut t), Some(&mut p), None).map(|w| match w {
                    Walked::Dest => t,
                    Walked::New(v) => v,
                    Walked::Clear => Value::Null,
                });
                r.map(|v| krust_yaml::to_string(&v))
            };
            assert_eq!(run(true), run(false), "target:\n{target}\npatch:\n{patch}");
        }
    }
}

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
//! `Resource::remember_id`) are followed. A rename that records no previous id (a patch that
//! edits `metadata.name`) breaks that chain; the var then falls back to the first resource with
//! the same original id, or is reported as unmapped.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use krust_yaml::{Mapping, Value};

use crate::replacements::path::{lookup, split_var_path};
use crate::resource::{ResId, ResMap, Resource};
use crate::transformers::fieldspec::FieldSpec;

mod expand;

pub use expand::{expand_vars, VarValue};

/// The field a var reads when its `fieldref` names none.
pub const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// What can go wrong with vars. Texts are kustomize's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VarError {
    /// A `vars:` entry has the wrong shape.
    #[error("invalid var: {0}")]
    Invalid(String),
    /// A `vars:` entry has a field kustomize does not know.
    #[error("invalid Kustomization: json: unknown field {0:?}")]
    UnknownField(String),
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

/// Rejects keys outside `known` (compared case-insensitively), as kustomize's strict decoding
/// of a kustomization does.
fn check_keys(m: &Mapping, known: &[&str]) -> Result<(), VarError> {
    match m
        .keys()
        .find(|k| !known.iter().any(|n| n.eq_ignore_ascii_case(k)))
    {
        Some(k) => Err(VarError::UnknownField(k.clone())),
        None => Ok(()),
    }
}

/// Parses one `vars:` entry. Keys match case-insensitively, as kustomize's JSON decoding does
/// (`fieldpath` is `fieldPath`); unknown keys are errors, as in kustomize's strict decoding of
/// a kustomization (a misspelt `fieldref` key must not silently fall back to `metadata.name`).
pub fn parse_var(value: &Value) -> Result<Var, VarError> {
    let m = mapping(Some(value), "vars[]")?.cloned().unwrap_or_default();
    check_keys(&m, &["name", "objref", "fieldref"])?;
    let objref = match mapping(field(&m, "objref"), "objref")? {
        Some(o) => {
            check_keys(
                o,
                &[
                    "apiVersion",
                    "group",
                    "version",
                    "kind",
                    "name",
                    "namespace",
                ],
            )?;
            ObjRef {
                api_version: string_field(o, "apiVersion", "objref.")?,
                group: string_field(o, "group", "objref.")?,
                version: string_field(o, "version", "objref.")?,
                kind: string_field(o, "kind", "objref.")?,
                name: string_field(o, "name", "objref.")?,
                namespace: string_field(o, "namespace", "objref.")?,
            }
        }
        None => ObjRef::default(),
    };
    let field_path = match mapping(field(&m, "fieldref"), "fieldref")? {
        Some(f) => {
            check_keys(f, &["fieldPath"])?;
            string_field(f, "fieldPath", "fieldref.")?
        }
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

//! Applying replacements to a resource list.

use std::collections::HashMap;

use krust_yaml::Value;

use super::path::{self, CreateKind};
use super::structured::{edit_embedded, Outcome};
use super::{
    format_res_id, FieldOptions, IdSelector, Replacement, ReplacementError, Selector,
    TargetSelector, DEFAULT_FIELD_PATH,
};
use crate::patch::regex::Regex;
use crate::patch::selector::LabelSelector;
use crate::resource::{ResId, ResMap, Resource};

/// Every id a resource answers to: its current one, then the ones it had before renames.
fn all_ids(r: &Resource) -> Vec<ResId> {
    let mut ids = Vec::with_capacity(1 + r.previous_ids.len());
    ids.push(r.id());
    for p in &r.previous_ids {
        if !ids.contains(p) {
            ids.push(p.clone());
        }
    }
    ids
}

/// kustomize's namespace comparison for selectors (ids built here are never cluster-scoped).
fn ns_norm(ns: &str) -> &str {
    if ns.is_empty() {
        "default"
    } else {
        ns
    }
}

/// Exact selection (sources): kustomize's `ResId.IsSelectedBy`.
fn id_selected_exactly(id: &ResId, sel: &IdSelector) -> bool {
    (sel.name.is_empty() || sel.name == id.name)
        && (sel.namespace.is_empty() || ns_norm(&sel.namespace) == ns_norm(&id.namespace))
        && (sel.group.is_empty() || sel.group == id.gvk.group)
        && (sel.version.is_empty() || sel.version == id.gvk.version)
        && (sel.kind.is_empty() || sel.kind == id.gvk.kind)
}

/// Positions of resources by every name they have had, so that selectors naming a resource do
/// not scan the whole list.
struct NameIndex {
    by_name: HashMap<String, Vec<usize>>,
    /// Every id of each resource ([`all_ids`]), computed once per index.
    ids: Vec<Vec<ResId>>,
    len: usize,
}

impl NameIndex {
    fn build(resources: &[Resource]) -> NameIndex {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let ids: Vec<Vec<ResId>> = resources.iter().map(all_ids).collect();
        for (i, list) in ids.iter().enumerate() {
            for id in list {
                let e = by_name.entry(id.name.clone()).or_default();
                if e.last() != Some(&i) {
                    e.push(i);
                }
            }
        }
        NameIndex {
            by_name,
            ids,
            len: resources.len(),
        }
    }

    /// The ids of the resource at `pos`.
    fn ids_of(&self, pos: usize) -> &[ResId] {
        self.ids.get(pos).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Candidate positions (ascending) for a literal name, or every position.
    fn candidates(&self, literal_name: Option<&str>) -> Vec<usize> {
        match literal_name {
            Some(n) => self.by_name.get(n).cloned().unwrap_or_default(),
            None => (0..self.len).collect(),
        }
    }
}

/// True when a regular expression can only match itself (no metacharacters).
fn is_literal(p: &str) -> bool {
    !p.chars().any(|c| "\\.+*?()|[]{}^$".contains(c))
}

/// A selector's id fields compiled to anchored patterns.
struct CompiledIdSelector {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
}

fn anchored(p: &str) -> Result<Option<Regex>, ReplacementError> {
    if p.is_empty() {
        return Ok(None);
    }
    Regex::anchored(p)
        .map(Some)
        .map_err(ReplacementError::SelectorRegex)
}

impl CompiledIdSelector {
    fn new(s: &IdSelector) -> Result<CompiledIdSelector, ReplacementError> {
        Ok(CompiledIdSelector {
            group: anchored(&s.group)?,
            version: anchored(&s.version)?,
            kind: anchored(&s.kind)?,
            name: anchored(&s.name)?,
            namespace: anchored(&s.namespace)?,
        })
    }

    fn matches(&self, id: &ResId) -> bool {
        let ok = |p: &Option<Regex>, s: &str| p.as_ref().is_none_or(|p| p.is_match(s));
        ok(&self.group, &id.gvk.group)
            && ok(&self.version, &id.gvk.version)
            && ok(&self.kind, &id.gvk.kind)
            && ok(&self.name, &id.name)
            && ok(&self.namespace, &id.namespace)
    }
}

struct CompiledMeta {
    labels: LabelSelector,
    annotations: LabelSelector,
}

impl CompiledMeta {
    fn new(s: &Selector) -> Result<CompiledMeta, ReplacementError> {
        Ok(CompiledMeta {
            labels: LabelSelector::parse(&s.label_selector)?,
            annotations: LabelSelector::parse(&s.annotation_selector)?,
        })
    }

    fn matches(&self, r: &Resource) -> bool {
        self.annotations.matches(r.annotations()) && self.labels.matches(r.labels())
    }
}

/// A target selector ready to test resources.
struct CompiledTarget {
    select: CompiledIdSelector,
    select_meta: CompiledMeta,
    /// Rejects by id (selectors with an empty id are skipped, as in kustomize).
    reject_ids: Vec<CompiledIdSelector>,
    /// Rejects by labels/annotations (selectors with neither are skipped).
    reject_meta: Vec<CompiledMeta>,
    literal_name: Option<String>,
}

impl CompiledTarget {
    fn new(select: &Selector, rejects: &[Selector]) -> Result<CompiledTarget, ReplacementError> {
        let mut reject_ids = Vec::new();
        let mut reject_meta = Vec::new();
        for r in rejects {
            if !r.id.is_empty() {
                reject_ids.push(CompiledIdSelector::new(&r.id)?);
            }
            if !r.annotation_selector.is_empty() || !r.label_selector.is_empty() {
                reject_meta.push(CompiledMeta::new(r)?);
            }
        }
        let literal_name = (!select.id.name.is_empty() && is_literal(&select.id.name))
            .then(|| select.id.name.clone());
        Ok(CompiledTarget {
            select: CompiledIdSelector::new(&select.id)?,
            select_meta: CompiledMeta::new(select)?,
            reject_ids,
            reject_meta,
            literal_name,
        })
    }

    fn selects(&self, r: &Resource, ids: &[ResId]) -> bool {
        if !self.select_meta.matches(r) || self.reject_meta.iter().any(|m| m.matches(r)) {
            return false;
        }
        if self
            .reject_ids
            .iter()
            .any(|rej| ids.iter().any(|id| rej.matches(id)))
        {
            return false;
        }
        ids.iter().any(|id| self.select.matches(id))
    }
}

/// The value a replacement writes.
#[derive(Debug, Clone)]
struct ReplValue {
    node: Value,
    /// A `sourceValue` literal: a scalar without a type, resolved where it lands.
    untagged: bool,
}

impl ReplValue {
    fn text(&self) -> String {
        self.node.scalar_text().unwrap_or_default()
    }

    fn create_kind(&self) -> CreateKind {
        match self.node {
            Value::Map(_) => CreateKind::Map,
            Value::Seq(_) => CreateKind::Seq,
            _ => CreateKind::Scalar,
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Map(_) | Value::Seq(_))
}

fn tag_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::String(_) => "str",
        Value::Seq(_) => "seq",
        Value::Map(_) => "map",
    }
}

/// The value a typed scalar takes when its text is replaced (its YAML tag is kept, so the new
/// text must fit the type, with ints widening to floats).
fn retype(typed_like: &Value, text: &str, resource: &str) -> Result<Value, ReplacementError> {
    if let Value::String(_) = typed_like {
        return Ok(Value::String(text.to_string()));
    }
    let resolved = krust_yaml::parse::resolve_plain(text);
    match (typed_like, resolved) {
        (Value::Int(_), v @ Value::Int(_)) => Ok(v),
        (Value::Float(_), Value::Int(i)) => Ok(Value::Float(i as f64)),
        (Value::Float(_), v @ Value::Float(_)) => Ok(v),
        (Value::Bool(_), v @ Value::Bool(_)) => Ok(v),
        (Value::Null, v @ Value::Null) => Ok(v),
        (expected, found) => Err(ReplacementError::TypeMismatch {
            found: tag_name(&found),
            value: text.to_string(),
            expected: tag_name(expected),
            resource: resource.to_string(),
        }),
    }
}

fn source_value(
    resources: &[Resource],
    index: &NameIndex,
    r: &Replacement,
) -> Result<ReplValue, ReplacementError> {
    if r.source_value.is_some() && r.source.is_some() {
        return Err(ReplacementError::ValueAndSource);
    }
    if let Some(v) = &r.source_value {
        return Ok(ReplValue {
            node: Value::String(v.clone()),
            untagged: true,
        });
    }
    let Some(sel) = &r.source else {
        return Err(ReplacementError::MissingSourceOrTargets);
    };
    let mut found: Option<usize> = None;
    let literal = (!sel.id.name.is_empty()).then_some(sel.id.name.as_str());
    for pos in index.candidates(literal) {
        if index
            .ids_of(pos)
            .iter()
            .any(|id| id_selected_exactly(id, &sel.id))
        {
            if found.is_some() {
                return Err(ReplacementError::MultipleMatches(sel.to_string()));
            }
            found = Some(pos);
        }
    }
    let Some(pos) = found else {
        return Err(ReplacementError::NothingSelected(sel.to_string()));
    };
    let field_path = if sel.field_path.is_empty() {
        DEFAULT_FIELD_PATH
    } else {
        &sel.field_path
    };
    let node = path::lookup(&resources[pos].value, &path::split_path(field_path))
        .map_err(ReplacementError::SourceLookup)?;
    let node = match node {
        None | Some(Value::Null) => None,
        Some(Value::Map(m)) if m.is_empty() => None,
        Some(Value::Seq(s)) if s.is_empty() => None,
        Some(v) => Some(v),
    };
    let Some(node) = node else {
        return Err(ReplacementError::SourceFieldMissing {
            field_path: field_path.to_string(),
            source_id: sel.id.to_string(),
        });
    };
    let resource = format_res_id(&resources[pos].id());
    let refined = match &sel.options {
        Some(o) if !o.delimiter.is_empty() => {
            if !is_scalar(node) {
                return Err(ReplacementError::DelimiterOnNonScalar);
            }
            let text = node.scalar_text().unwrap_or_default();
            let parts: Vec<&str> = text.split(o.delimiter.as_str()).collect();
            let part = usize::try_from(o.index)
                .ok()
                .and_then(|i| parts.get(i))
                .ok_or_else(|| ReplacementError::IndexOutOfBounds {
                    index: o.index,
                    value: text.clone(),
                })?;
            retype(node, part, &resource)?
        }
        _ => node.clone(),
    };
    Ok(ReplValue {
        node: refined,
        untagged: false,
    })
}

/// Writes `value` into one target field (kustomize's `setFieldValue`).
fn set_field(
    target: &mut Value,
    created: bool,
    value: &ReplValue,
    options: Option<&FieldOptions>,
    resource: &str,
) -> Result<(), ReplacementError> {
    let mut text = value.text();
    if let Some(o) = options.filter(|o| !o.delimiter.is_empty()) {
        if !is_scalar(target) {
            return Err(ReplacementError::DelimiterOnNonScalar);
        }
        let current = if created {
            String::new()
        } else {
            target.scalar_text().unwrap_or_default()
        };
        let mut parts: Vec<String> = current
            .split(o.delimiter.as_str())
            .map(str::to_string)
            .collect();
        match usize::try_from(o.index) {
            Err(_) => parts.insert(0, text.clone()),
            Ok(i) if i >= parts.len() => parts.push(text.clone()),
            Ok(i) => parts[i] = text.clone(),
        }
        text = parts.join(&o.delimiter);
    }
    if is_scalar(target) {
        // Only the text is copied; the field keeps its type (a created field has none yet).
        *target = if created {
            krust_yaml::parse::resolve_plain(&text)
        } else {
            retype(target, &text, resource)?
        };
    } else if is_scalar(&value.node) {
        *target = if value.untagged {
            krust_yaml::parse::resolve_plain(&text)
        } else {
            retype(&value.node, &text, resource)?
        };
    } else {
        *target = value.node.clone();
    }
    Ok(())
}

fn field_retrieval_error(field_path: &str, create: bool) -> String {
    if create {
        format!("unable to find or create field {field_path:?} in replacement target")
    } else {
        format!("unable to find field {field_path:?} in replacement target")
    }
}

/// Writes the value into every field path of one selected resource.
fn copy_to_target(
    res: &mut Resource,
    value: &ReplValue,
    target: &TargetSelector,
) -> Result<(), ReplacementError> {
    let options = target.options.as_ref();
    let create = options
        .is_some_and(|o| o.create)
        .then(|| value.create_kind());
    let resource = format_res_id(&res.id());
    let defaults = [DEFAULT_FIELD_PATH.to_string()];
    let field_paths: &[String] = if target.field_paths.is_empty() {
        &defaults
    } else {
        &target.field_paths
    };
    for fp in field_paths {
        let mut write =
            |node: &mut Value, created: bool| set_field(node, created, value, options, &resource);
        if let Outcome::Done = edit_embedded(&mut res.value, fp, create, &mut write)? {
            continue;
        }
        let parts = path::split_path(fp);
        let found = path::find_targets(&mut res.value, &parts, create).map_err(|e| {
            ReplacementError::TargetField {
                message: format!("{}: {e}", field_retrieval_error(fp, create.is_some())),
                resource: resource.clone(),
            }
        })?;
        if found.is_empty() {
            return Err(ReplacementError::TargetField {
                message: field_retrieval_error(fp, create.is_some()),
                resource,
            });
        }
        for loc in found.into_iter().filter(|l| !l.detached) {
            if let Some(node) = path::node_at_mut(&mut res.value, &loc.steps) {
                set_field(node, loc.created, value, options, &resource)?;
            }
        }
    }
    Ok(())
}

/// True when writing to this field path may change a resource's id.
fn touches_identity(fp: &str) -> bool {
    let parts = path::split_path(fp);
    match parts.first().map(String::as_str) {
        Some("metadata") => matches!(
            parts.get(1).map(String::as_str),
            None | Some("name" | "namespace")
        ),
        Some("apiVersion" | "kind") => true,
        _ => false,
    }
}

/// Applies replacements in order to the resources of a kustomization level.
///
/// Call it as the last builtin transformer of each kustomization (after images, before
/// `transformers:` plugins), on the accumulated resources of that level; see the module docs.
/// Each replacement sees the result of the previous ones. Resources are matched by every id
/// they have had, so `previous_ids` must be kept up to date by the renaming transformers.
/// The resource list's id index is rebuilt when a replacement writes names or namespaces.
pub fn apply_replacements(
    resmap: &mut ResMap,
    replacements: &[Replacement],
) -> Result<(), ReplacementError> {
    if replacements.is_empty() {
        return Ok(());
    }
    let mut index = NameIndex::build(resmap.resources());
    for r in replacements {
        if r.source_value.is_none() && r.source.is_none() {
            return Err(ReplacementError::MissingSourceOrTargets);
        }
        let Some(targets) = &r.targets else {
            return Err(ReplacementError::MissingSourceOrTargets);
        };
        let value = source_value(resmap.resources(), &index, r)?;
        for t in targets {
            let Some(select) = &t.select else {
                return Err(ReplacementError::TargetWithoutSelect);
            };
            let compiled = CompiledTarget::new(select, &t.reject)?;
            let mut renamed = false;
            for pos in index.candidates(compiled.literal_name.as_deref()) {
                let Some(res) = resmap.resources_mut().get_mut(pos) else {
                    continue;
                };
                if !compiled.selects(res, index.ids_of(pos)) {
                    continue;
                }
                copy_to_target(res, &value, t)?;
                renamed |=
                    t.field_paths.is_empty() || t.field_paths.iter().any(|fp| touches_identity(fp));
            }
            if renamed {
                resmap.reindex();
                index = NameIndex::build(resmap.resources());
            }
        }
    }
    Ok(())
}

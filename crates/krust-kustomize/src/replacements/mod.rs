//! The replacements transformer (`replacements:` in a kustomization, or a
//! `ReplacementTransformer` config): copy a field of one resource into fields of others.
//!
//! # Where it runs
//! kustomize runs the replacements of a kustomization as the **last builtin transformer** of that
//! kustomization (after patches, namespace, prefix/suffix, labels, annotations, replicas and
//! images; before the `transformers:` plugins and validators), once per kustomization level, on the
//! resources accumulated so far (bases included, after the kustomization's own generators and
//! components). It runs before the final hash-suffixing and name-reference fix-up of the build.
//! Selection sees every id a resource has had (its current id and the ids recorded in
//! [`Resource::previous_ids`](crate::Resource)), so a selector may name the original name.
//!
//! # Usage
//! ```
//! use krust_kustomize::replacements::{apply_replacements, parse_replacement_file};
//! # use krust_kustomize::{ResMap, Resource, Origin};
//! let reps = parse_replacement_file(
//!     "source: {kind: ConfigMap, name: a, fieldPath: data.x}\n\
//!      targets: [{select: {kind: ConfigMap, name: b}, fieldPaths: [data.y]}]\n",
//! ).unwrap();
//! # let mut resmap = ResMap::new();
//! # for doc in ["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n",
//! #             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {y: '0'}\n"] {
//! #     resmap.push(Resource::new(krust_yaml::parse_one(doc).unwrap(), Origin::default()));
//! # }
//! apply_replacements(&mut resmap, &reps).unwrap();
//! # assert_eq!(resmap.resources()[1].value.str_at(&["data", "y"]), Some("1"));
//! ```

pub mod path;

use std::collections::HashMap;
use std::fmt;

use krust_yaml::{Mapping, Value};

use crate::patch::regex::{Regex, RegexError};
use crate::patch::selector::{LabelSelector, SelectorError};
use crate::resource::{ResId, ResMap, Resource};
use path::{CreateKind, PathError};

/// The field path used when a source or target names none.
pub const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// Everything that can go wrong while reading or applying replacements. The texts are
/// kustomize's where kustomize has one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplacementError {
    /// A replacement field has the wrong type or shape.
    #[error("invalid replacement: {0}")]
    Invalid(String),
    /// A `replacements:` entry has both `path` and an inline replacement.
    #[error("cannot specify both path and inline replacement")]
    PathAndInline,
    /// A replacement file holds neither a list nor a mapping.
    #[error("unsupported replacement type encountered within replacement path: {0}")]
    UnsupportedFileContent(String),
    /// A replacement file could not be read or parsed.
    #[error("{path}: {message}")]
    Load {
        /// The `path:` of the entry.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Neither a source nor a source value, or no `targets`.
    #[error("replacements must specify a source and at least one target")]
    MissingSourceOrTargets,
    /// Both `source` and `sourceValue`.
    #[error("value and resource selectors are mutually exclusive")]
    ValueAndSource,
    /// The source selector matches no resource.
    #[error("nothing selected by {0}")]
    NothingSelected(String),
    /// The source selector matches several resources.
    #[error("multiple matches for selector {0}")]
    MultipleMatches(String),
    /// The source field path cannot be walked.
    #[error("error looking up replacement source: {0}")]
    SourceLookup(PathError),
    /// The source field is absent, null or empty.
    #[error("fieldPath `{field_path}` is missing for replacement source {source_id}")]
    SourceFieldMissing {
        /// The source field path.
        field_path: String,
        /// The source selector's id, kustomize-formatted.
        source_id: String,
    },
    /// `delimiter` used on a list or mapping.
    #[error("delimiter option can only be used with scalar nodes")]
    DelimiterOnNonScalar,
    /// `options.index` outside the split source value.
    #[error("options.index {index} is out of bounds for value {value}")]
    IndexOutOfBounds {
        /// The index.
        index: i64,
        /// The source value.
        value: String,
    },
    /// A target without `select`.
    #[error("target must specify resources to select")]
    TargetWithoutSelect,
    /// A selector field that is not a valid regular expression.
    #[error("error creating target selector: {0}")]
    SelectorRegex(RegexError),
    /// A `labelSelector` or `annotationSelector` that does not parse.
    #[error(transparent)]
    LabelSelector(#[from] SelectorError),
    /// A target field could not be found, created or walked.
    #[error("{message}")]
    TargetField {
        /// kustomize's message.
        message: String,
        /// The target resource (kustomize-formatted id).
        resource: String,
    },
    /// A value written into a typed scalar does not fit its type (kustomize fails when it
    /// re-reads the object).
    #[error("yaml: cannot decode !!{found} `{value}` as a !!{expected} (in {resource})")]
    TypeMismatch {
        /// The type the new text resolves to.
        found: &'static str,
        /// The new text.
        value: String,
        /// The field's type.
        expected: &'static str,
        /// The target resource.
        resource: String,
    },
}

/// A resource id pattern: every set field must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdSelector {
    /// API group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
}

impl IdSelector {
    fn is_empty(&self) -> bool {
        self == &IdSelector::default()
    }
}

impl fmt::Display for IdSelector {
    /// kustomize's `ResId.String()`: `Kind.version.group/name.namespace` with placeholders.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn or<'a>(s: &'a str, d: &'a str) -> &'a str {
            if s.is_empty() {
                d
            } else {
                s
            }
        }
        write!(
            f,
            "{}.{}.{}/{}.{}",
            or(&self.kind, "[noKind]"),
            or(&self.version, "[noVer]"),
            or(&self.group, "[noGrp]"),
            or(&self.name, "[noName]"),
            or(&self.namespace, "[noNs]")
        )
    }
}

/// Formats a resource id the way kustomize prints one.
pub fn format_res_id(id: &ResId) -> String {
    IdSelector {
        group: id.gvk.group.clone(),
        version: id.gvk.version.clone(),
        kind: id.gvk.kind.clone(),
        name: id.name.clone(),
        namespace: id.namespace.clone(),
    }
    .to_string()
}

/// Options refining how a field is read or written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldOptions {
    /// Split (source) or splice (target) the scalar on this delimiter.
    pub delimiter: String,
    /// Which part of the split to take or replace (`< 0` prepends, `>= len` appends on targets).
    pub index: i64,
    /// Accepted and ignored, as in kustomize.
    pub encoding: String,
    /// Create missing target fields.
    pub create: bool,
}

impl fmt::Display for FieldOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.delimiter.is_empty() && !self.create {
            return Ok(());
        }
        write!(
            f,
            "{}({}), create={}",
            self.delimiter, self.index, self.create
        )
    }
}

/// Where a replacement reads its value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceSelector {
    /// The resource (must match exactly one).
    pub id: IdSelector,
    /// The field (default `metadata.name`).
    pub field_path: String,
    /// Delimiter/index refinement.
    pub options: Option<FieldOptions>,
}

impl fmt::Display for SourceSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if !self.field_path.is_empty() {
            write!(f, ":{}", self.field_path)?;
        }
        if let Some(o) = &self.options {
            let s = o.to_string();
            if !s.is_empty() {
                write!(f, ":{s}")?;
            }
        }
        Ok(())
    }
}

/// Selects resources by id (regular expressions, anchored), labels and annotations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    /// Id fields; each non-empty one is an anchored regular expression.
    pub id: IdSelector,
    /// Label-selector syntax matched against annotations.
    pub annotation_selector: String,
    /// Label-selector syntax matched against labels.
    pub label_selector: String,
}

/// Where a replacement writes its value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetSelector {
    /// Resources to write to (required).
    pub select: Option<Selector>,
    /// Resources to leave alone.
    pub reject: Vec<Selector>,
    /// Fields to write (default `metadata.name`).
    pub field_paths: Vec<String>,
    /// Delimiter/index splicing and `create`.
    pub options: Option<FieldOptions>,
}

/// One replacement: a source (or a literal value) and its targets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Replacement {
    /// The resource field to copy.
    pub source: Option<SourceSelector>,
    /// A literal value instead of a source.
    pub source_value: Option<String>,
    /// Where to write (`None` when the key is absent, which is an error when applied).
    pub targets: Option<Vec<TargetSelector>>,
}

/// An entry of a kustomization's `replacements:` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplacementField {
    /// An inline replacement.
    Inline(Box<Replacement>),
    /// `path:` naming a file with one replacement or a list of them.
    Path(String),
}

// ---------------------------------------------------------------------------------------------
// Parsing (kustomize decodes these through JSON: field names match case-insensitively, unknown
// fields are ignored, and a field of the wrong type is an error).

fn field<'a>(m: &'a Mapping, name: &str) -> Option<&'a Value> {
    m.get(name).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

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

fn options(m: &Mapping) -> Result<Option<FieldOptions>, ReplacementError> {
    let Some(v) = field(m, "options") else {
        return Ok(None);
    };
    let Some(o) = as_mapping(v, "options")? else {
        return Ok(None);
    };
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

fn selector(v: &Value, what: &str) -> Result<Option<Selector>, ReplacementError> {
    let Some(m) = as_mapping(v, what)? else {
        return Ok(None);
    };
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

fn target(v: &Value) -> Result<TargetSelector, ReplacementError> {
    let m = as_mapping(v, "targets[]")?.cloned().unwrap_or_default();
    let select = match field(&m, "select") {
        Some(v) => selector(v, "select")?,
        None => None,
    };
    let mut reject = Vec::new();
    for r in list(field(&m, "reject"), "reject")?.unwrap_or_default() {
        reject.push(selector(r, "reject[]")?.unwrap_or_default());
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
        options: options(&m)?,
    })
}

/// Parses one replacement (a mapping with `source` or `sourceValue`, and `targets`).
pub fn parse_replacement(value: &Value) -> Result<Replacement, ReplacementError> {
    let m = as_mapping(value, "replacement")?
        .cloned()
        .unwrap_or_default();
    let source = match field(&m, "source") {
        Some(v) => match as_mapping(v, "source")? {
            Some(s) => Some(SourceSelector {
                id: id_selector(s)?,
                field_path: string_field(s, "fieldPath")?,
                options: options(s)?,
            }),
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
        Some(items) => Some(items.iter().map(target).collect::<Result<Vec<_>, _>>()?),
    };
    Ok(Replacement {
        source,
        source_value,
        targets,
    })
}

/// Parses a kustomization's `replacements:` list into inline replacements and `path:` entries.
pub fn parse_replacement_fields(value: &Value) -> Result<Vec<ReplacementField>, ReplacementError> {
    let mut out = Vec::new();
    for item in list(Some(value), "replacements")?.unwrap_or_default() {
        let path = match item.as_map() {
            Some(m) => string_field(m, "path")?,
            None => String::new(),
        };
        let r = parse_replacement(item)?;
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
/// given the path as written and returns the file's text), in kustomize's order.
pub fn load_replacements<E: fmt::Display>(
    value: &Value,
    mut load: impl FnMut(&str) -> Result<String, E>,
) -> Result<Vec<Replacement>, ReplacementError> {
    let mut out = Vec::new();
    for f in parse_replacement_fields(value)? {
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

// ---------------------------------------------------------------------------------------------
// Applying.

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
    len: usize,
}

impl NameIndex {
    fn build(resources: &[Resource]) -> NameIndex {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in resources.iter().enumerate() {
            for id in all_ids(r) {
                let e = by_name.entry(id.name).or_default();
                if e.last() != Some(&i) {
                    e.push(i);
                }
            }
        }
        NameIndex {
            by_name,
            len: resources.len(),
        }
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

    fn selects(&self, r: &Resource) -> bool {
        if !self.select_meta.matches(r) || self.reject_meta.iter().any(|m| m.matches(r)) {
            return false;
        }
        let ids = all_ids(r);
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
        let Some(res) = resources.get(pos) else {
            continue;
        };
        if all_ids(res)
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
                if !compiled.selects(res) {
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

#[cfg(test)]
mod tests;

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
//! # Which kustomize
//! Behaviour follows kustomize 5.6 (`kubectl kustomize` 1.33) where the versions agree, plus
//! what later versions added and the conformance corpus exercises: target `select`/`reject` id
//! fields are anchored regular expressions matched against the raw fields (so `namespace:
//! default` does not select an object without a namespace), `sourceValue` literals, and targets
//! inside JSON held in a string field (5.8, see `structured`).
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

mod apply;
mod parse;
pub mod path;
mod structured;

pub use apply::apply_replacements;
pub use parse::{
    load_replacements, load_replacements_lenient, parse_replacement, parse_replacement_fields,
    parse_replacement_file,
};

use std::fmt;

use crate::patch::regex::RegexError;
use crate::patch::selector::SelectorError;
use crate::resource::ResId;
use path::PathError;

/// The field path used when a source or target names none.
pub const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// Everything that can go wrong while reading or applying replacements. The texts are
/// kustomize's where kustomize has one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplacementError {
    /// A replacement field has the wrong type or shape.
    #[error("invalid replacement: {0}")]
    Invalid(String),
    /// An inline replacement of a kustomization has a field kustomize does not know.
    #[error("invalid Kustomization: json: unknown field {0:?}")]
    UnknownField(String),
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
    /// A target field could not be found, created or walked (kustomize's message, then the
    /// object krust was working on).
    #[error("{message} (in {resource})")]
    TargetField {
        /// kustomize's message.
        message: String,
        /// The target resource (kustomize-formatted id).
        resource: String,
    },
    /// A target path leads into YAML text held in a string field, which kustomize ≥ 5.8 edits
    /// and re-serialises in its original key order; krust does not reproduce that yet.
    #[error("replacement target {0:?} is inside YAML text held in a string field, which krust does not support yet (JSON text is supported)")]
    EmbeddedYaml(String),
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

#[cfg(test)]
mod tests;

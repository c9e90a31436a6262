//! Patch targets: kustomize's `Selector` (`api/types/selector.go`) and its matching rules
//! (`resWrangler.Select`).
//!
//! - `group`, `version`, `kind`, `name` and `namespace` are regular expressions anchored as
//!   `^(?:…)$`; an empty field matches anything.
//! - `name` matches the resource's current name *or* its original name (before prefixes,
//!   suffixes and renames); `namespace` likewise, on the effective namespace (`default` when
//!   unset, `_non_namespaceable_` for cluster-scoped kinds).
//! - group/version/kind are matched against the current values only.
//! - `labelSelector` / `annotationSelector` use Kubernetes label-selector syntax
//!   (`a=b,c!=d,e in (x,y),f notin (z),g,!h`), on current labels / annotations.

use std::borrow::Cow;
use std::fmt;

use krust_yaml::{Mapping, Value};
use thiserror::Error;

use super::regex::{Regex, RegexError};
use crate::resource::{is_cluster_scoped_kind, ResId, Resource};

/// kustomize's effective namespace of cluster-scoped objects.
pub const NOT_A_NAMESPACE: &str = "_non_namespaceable_";

/// Errors building or evaluating a selector.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SelectorError {
    /// A field is not a valid regular expression.
    #[error(transparent)]
    Regex(#[from] RegexError),
    /// A label or annotation selector does not parse.
    #[error("unable to parse requirement: {0}")]
    LabelSelector(String),
    /// The selector mapping has an unknown field or a non-string value.
    #[error("invalid selector: {0}")]
    Invalid(String),
}

/// A patch target (`patches[].target`, `patchesJson6902[].target`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// API group regex.
    pub group: String,
    /// API version regex.
    pub version: String,
    /// Kind regex.
    pub kind: String,
    /// Name regex.
    pub name: String,
    /// Namespace regex.
    pub namespace: String,
    /// Kubernetes label selector.
    pub label_selector: String,
    /// Label-selector syntax applied to annotations.
    pub annotation_selector: String,
}

impl Selector {
    /// Reads a selector mapping (`group`, `version`, `kind`, `name`, `namespace`,
    /// `labelSelector`, `annotationSelector`). Unknown fields are rejected, as kustomize's strict
    /// decoding of kustomization files does.
    pub fn from_value(v: &Value) -> Result<Selector, SelectorError> {
        let m = match v {
            Value::Map(m) => m,
            Value::Null => return Ok(Selector::default()),
            other => {
                return Err(SelectorError::Invalid(format!(
                    "expected a mapping, got a {}",
                    other.kind_name()
                )))
            }
        };
        let mut s = Selector::default();
        for (k, val) in m {
            let text = match val {
                Value::Null => String::new(),
                Value::Map(_) | Value::Seq(_) => {
                    return Err(SelectorError::Invalid(format!(
                        "field {k} must be a string"
                    )))
                }
                other => other.scalar_text().unwrap_or_default(),
            };
            match k.as_str() {
                "group" => s.group = text,
                "version" => s.version = text,
                "kind" => s.kind = text,
                "name" => s.name = text,
                "namespace" => s.namespace = text,
                "labelSelector" => s.label_selector = text,
                "annotationSelector" => s.annotation_selector = text,
                other => return Err(SelectorError::Invalid(format!("unknown field \"{other}\""))),
            }
        }
        Ok(s)
    }

    /// Compiles the regular expressions and the label/annotation selectors.
    pub fn compile(&self) -> Result<CompiledSelector, SelectorError> {
        let re = |p: &str| -> Result<Option<Regex>, SelectorError> {
            if p.is_empty() {
                Ok(None)
            } else {
                Ok(Some(Regex::anchored(p)?))
            }
        };
        Ok(CompiledSelector {
            group: re(&self.group)?,
            version: re(&self.version)?,
            kind: re(&self.kind)?,
            name: re(&self.name)?,
            namespace: re(&self.namespace)?,
            labels: LabelSelector::parse(&self.label_selector)?,
            annotations: LabelSelector::parse(&self.annotation_selector)?,
        })
    }
}

impl fmt::Display for Selector {
    /// kustomize's `Selector.String()`: `<ResId>:a=<annotationSelector>:l=<labelSelector>`,
    /// with the id in `Kind.version.group/name.namespace` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.kind.is_empty() {
            "[noKind]"
        } else {
            &self.kind
        };
        let mut gvk = kind.to_string();
        if !self.version.is_empty() {
            gvk.push('.');
            gvk.push_str(&self.version);
        }
        if !self.group.is_empty() {
            gvk.push('.');
            gvk.push_str(&self.group);
        }
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        write!(
            f,
            "{gvk}/{}.{ns}:a={}:l={}",
            self.name, self.annotation_selector, self.label_selector
        )
    }
}

/// A selector ready for matching.
#[derive(Debug, Clone)]
pub struct CompiledSelector {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: LabelSelector,
    annotations: LabelSelector,
}

/// kustomize's effective namespace of an id.
pub fn effective_namespace(id: &ResId) -> &str {
    effective_ns(&id.gvk.kind, &id.namespace)
}

fn effective_ns<'a>(kind: &str, namespace: &'a str) -> &'a str {
    if is_cluster_scoped_kind(kind) {
        NOT_A_NAMESPACE
    } else if namespace.is_empty() {
        "default"
    } else {
        namespace
    }
}

fn matches(re: &Option<Regex>, text: &str) -> bool {
    re.as_ref().is_none_or(|r| r.is_match(text))
}

impl CompiledSelector {
    /// True when `res` is selected (kustomize's `resWrangler.Select` test for one resource).
    /// Fields the selector leaves empty are not even read.
    pub fn matches(&self, res: &Resource) -> bool {
        if let Some(re) = &self.kind {
            if !re.is_match(res.kind()) {
                return false;
            }
        }
        if let Some(re) = &self.name {
            let org = res.previous_ids.first().map(|id| id.name.as_str());
            let cur = res.name();
            if !re.is_match(org.unwrap_or(cur)) && !re.is_match(cur) {
                return false;
            }
        }
        if let Some(re) = &self.namespace {
            let cur = effective_ns(res.kind(), res.namespace());
            let org = res.previous_ids.first().map(effective_namespace);
            if !re.is_match(org.unwrap_or(cur)) && !re.is_match(cur) {
                return false;
            }
        }
        if self.group.is_some() || self.version.is_some() {
            let (group, version) = match res.api_version().rsplit_once('/') {
                Some((g, v)) => (g, v),
                None => ("", res.api_version()),
            };
            if !matches(&self.group, group) || !matches(&self.version, version) {
                return false;
            }
        }
        (self.labels.is_empty() || self.labels.matches(res.labels()))
            && (self.annotations.is_empty() || self.annotations.matches(res.annotations()))
    }

    /// [`CompiledSelector::matches`] on a [`ResMeta`] snapshot (labels and annotations are read
    /// from the snapshot when it holds them, else from `res`).
    pub fn matches_meta(&self, m: &ResMeta, res: &Resource) -> bool {
        if let Some(re) = &self.kind {
            if !re.is_match(&m.kind) {
                return false;
            }
        }
        if let Some(re) = &self.name {
            let org = m.org_name.as_deref().unwrap_or(&m.name);
            if !re.is_match(org) && !re.is_match(&m.name) {
                return false;
            }
        }
        if let Some(re) = &self.namespace {
            let cur = effective_ns(&m.kind, &m.namespace);
            let org = m.org_namespace.as_deref().unwrap_or(cur);
            if !re.is_match(org) && !re.is_match(cur) {
                return false;
            }
        }
        if self.group.is_some() || self.version.is_some() {
            let (group, version) = match m.api_version.rsplit_once('/') {
                Some((g, v)) => (g, v),
                None => ("", m.api_version.as_str()),
            };
            if !matches(&self.group, group) || !matches(&self.version, version) {
                return false;
            }
        }
        let labels_ok = self.labels.is_empty()
            || match &m.labels {
                Some(l) => self.labels.matches_pairs(l),
                None => self.labels.matches(res.labels()),
            };
        labels_ok
            && (self.annotations.is_empty()
                || match &m.annotations {
                    Some(a) => self.annotations.matches_pairs(a),
                    None => self.annotations.matches(res.annotations()),
                })
    }

    /// True when the selector reads labels.
    pub fn uses_labels(&self) -> bool {
        !self.labels.is_empty()
    }

    /// True when the selector reads annotations.
    pub fn uses_annotations(&self) -> bool {
        !self.annotations.is_empty()
    }

    /// Positions of the selected resources, in order.
    pub fn select(&self, resources: &[Resource]) -> Vec<usize> {
        resources
            .iter()
            .enumerate()
            .filter(|(_, r)| self.matches(r))
            .map(|(i, _)| i)
            .collect()
    }
}

/// The fields selection reads, copied out of a resource so that scanning many resources
/// does not chase pointers through each object tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResMeta {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` as written.
    pub namespace: String,
    /// Name of the original id, when the resource has previous ids.
    pub org_name: Option<String>,
    /// Effective namespace of the original id, when the resource has previous ids.
    pub org_namespace: Option<String>,
    /// Labels as text pairs, when captured.
    pub labels: Option<Vec<(String, String)>>,
    /// Annotations as text pairs, when captured.
    pub annotations: Option<Vec<(String, String)>>,
}

fn pairs(m: Option<&Mapping>) -> Vec<(String, String)> {
    m.map(|m| {
        m.iter()
            .map(|(k, v)| (k.clone(), v.scalar_text().unwrap_or_default()))
            .collect()
    })
    .unwrap_or_default()
}

impl ResMeta {
    /// Captures `res`; labels and annotations only when asked for.
    pub fn of(res: &Resource, labels: bool, annotations: bool) -> ResMeta {
        let org = res.previous_ids.first();
        ResMeta {
            api_version: res.api_version().to_string(),
            kind: res.kind().to_string(),
            name: res.name().to_string(),
            namespace: res.namespace().to_string(),
            org_name: org.map(|id| id.name.clone()),
            org_namespace: org.map(|id| effective_namespace(id).to_string()),
            labels: labels.then(|| pairs(res.labels())),
            annotations: annotations.then(|| pairs(res.annotations())),
        }
    }

    /// The current id.
    pub fn id(&self) -> ResId {
        ResId {
            gvk: crate::resource::Gvk::from_api_version(&self.api_version, &self.kind),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
    Gt(String, i64),
    Lt(String, i64),
}

/// A parsed Kubernetes label selector (`k8s.io/apimachinery/pkg/labels.Parse`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    reqs: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Not,
    NotEq,
    Eq,
    DoubleEq,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
    In,
    NotIn,
}

fn lex(s: &str) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let special =
        |c: char| matches!(c, '!' | '=' | '(' | ')' | ',' | '<' | '>') || c.is_whitespace();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let tok = match two.as_str() {
            "!=" => Some((Tok::NotEq, 2)),
            "==" => Some((Tok::DoubleEq, 2)),
            _ => match c {
                '!' => Some((Tok::Not, 1)),
                '=' => Some((Tok::Eq, 1)),
                '>' => Some((Tok::Gt, 1)),
                '<' => Some((Tok::Lt, 1)),
                '(' => Some((Tok::Open, 1)),
                ')' => Some((Tok::Close, 1)),
                ',' => Some((Tok::Comma, 1)),
                _ => None,
            },
        };
        if let Some((t, n)) = tok {
            out.push(t);
            i += n;
            continue;
        }
        let start = i;
        while i < chars.len() && !special(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        out.push(match word.as_str() {
            "in" => Tok::In,
            "notin" => Tok::NotIn,
            _ => Tok::Ident(word),
        });
    }
    out
}

fn valid_label_value(v: &str) -> bool {
    if v.is_empty() {
        return true;
    }
    let b = v.as_bytes();
    v.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn valid_label_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix {
        if p.is_empty()
            || p.len() > 253
            || !p
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
        {
            return false;
        }
    }
    !name.is_empty() && valid_label_value(name)
}

impl LabelSelector {
    /// Parses a selector; the empty string selects everything.
    pub fn parse(s: &str) -> Result<LabelSelector, SelectorError> {
        let toks = lex(s);
        let mut reqs = Vec::new();
        let mut i = 0;
        let bad = |m: String| SelectorError::LabelSelector(m);
        while i < toks.len() {
            let negated = toks[i] == Tok::Not;
            if negated {
                i += 1;
            }
            let key = match toks.get(i) {
                Some(Tok::Ident(k)) => k.clone(),
                other => {
                    return Err(bad(format!(
                        "found '{}', expected: identifier",
                        tok_text(other)
                    )))
                }
            };
            if !valid_label_key(&key) {
                return Err(bad(format!("invalid label key \"{key}\"")));
            }
            i += 1;
            if negated {
                reqs.push(Requirement::NotExists(key));
            } else {
                match toks.get(i) {
                    None | Some(Tok::Comma) => reqs.push(Requirement::Exists(key)),
                    Some(Tok::Eq | Tok::DoubleEq | Tok::NotEq) => {
                        let op = toks[i].clone();
                        i += 1;
                        let value = match toks.get(i) {
                            Some(Tok::Ident(v)) => {
                                i += 1;
                                v.clone()
                            }
                            None | Some(Tok::Comma) => String::new(),
                            other => {
                                return Err(bad(format!(
                                    "found '{}', expected: identifier",
                                    tok_text(other)
                                )))
                            }
                        };
                        if !valid_label_value(&value) {
                            return Err(bad(format!("invalid label value: \"{value}\"")));
                        }
                        reqs.push(if op == Tok::NotEq {
                            Requirement::NotIn(key, vec![value])
                        } else {
                            Requirement::In(key, vec![value])
                        });
                    }
                    Some(Tok::Gt | Tok::Lt) => {
                        let gt = toks[i] == Tok::Gt;
                        i += 1;
                        let n = match toks.get(i) {
                            Some(Tok::Ident(v)) => v.parse::<i64>().map_err(|_| {
                                bad(format!(
                                    "for 'Gt', 'Lt' operators, the value must be an integer: {v}"
                                ))
                            })?,
                            other => {
                                return Err(bad(format!(
                                    "found '{}', expected: identifier",
                                    tok_text(other)
                                )))
                            }
                        };
                        i += 1;
                        reqs.push(if gt {
                            Requirement::Gt(key, n)
                        } else {
                            Requirement::Lt(key, n)
                        });
                    }
                    Some(Tok::In | Tok::NotIn) => {
                        let is_in = toks[i] == Tok::In;
                        i += 1;
                        if toks.get(i) != Some(&Tok::Open) {
                            return Err(bad(format!(
                                "found '{}', expected: '('",
                                tok_text(toks.get(i))
                            )));
                        }
                        i += 1;
                        let mut values = Vec::new();
                        loop {
                            match toks.get(i) {
                                Some(Tok::Ident(v)) => {
                                    if !valid_label_value(v) {
                                        return Err(bad(format!("invalid label value: \"{v}\"")));
                                    }
                                    values.push(v.clone());
                                    i += 1;
                                }
                                Some(Tok::Comma) => {
                                    i += 1;
                                    if matches!(toks.get(i), Some(Tok::Comma | Tok::Close)) {
                                        values.push(String::new());
                                    }
                                }
                                Some(Tok::Close) => {
                                    i += 1;
                                    break;
                                }
                                other => {
                                    return Err(bad(format!(
                                        "found '{}', expected: ',', ')' or identifier",
                                        tok_text(other)
                                    )))
                                }
                            }
                        }
                        if values.is_empty() {
                            return Err(bad(
                                "for 'in', 'notin' operators, values set can't be empty".into(),
                            ));
                        }
                        reqs.push(if is_in {
                            Requirement::In(key, values)
                        } else {
                            Requirement::NotIn(key, values)
                        });
                    }
                    other => {
                        return Err(bad(format!(
                            "found '{}', expected: in, notin, =, ==, !=, gt, lt",
                            tok_text(other)
                        )))
                    }
                }
            }
            match toks.get(i) {
                None => break,
                Some(Tok::Comma) => {
                    i += 1;
                    if i >= toks.len() {
                        return Err(bad("found '', expected: identifier after ','".into()));
                    }
                }
                other => {
                    return Err(bad(format!(
                        "found '{}', expected: ',' or 'end of string'",
                        tok_text(other)
                    )))
                }
            }
        }
        Ok(LabelSelector { reqs })
    }

    /// True when every requirement holds for `labels` (absent map = no labels).
    pub fn matches(&self, labels: Option<&Mapping>) -> bool {
        self.matches_with(|k| {
            labels.and_then(|m| m.get(k)).map(|v| match v {
                Value::String(s) => Cow::Borrowed(s.as_str()),
                other => Cow::Owned(other.scalar_text().unwrap_or_default()),
            })
        })
    }

    /// [`LabelSelector::matches`] on text pairs.
    pub fn matches_pairs(&self, labels: &[(String, String)]) -> bool {
        self.matches_with(|k| {
            labels
                .iter()
                .find(|(lk, _)| lk == k)
                .map(|(_, v)| Cow::Borrowed(v.as_str()))
        })
    }

    fn matches_with<'v>(&self, get: impl Fn(&str) -> Option<Cow<'v, str>>) -> bool {
        self.reqs.iter().all(|r| match r {
            Requirement::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| *x == *v)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| *x == *v)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
            Requirement::Gt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Requirement::Lt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        })
    }

    /// True when the selector has no requirements.
    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }
}

fn tok_text(t: Option<&Tok>) -> String {
    match t {
        None => String::new(),
        Some(Tok::Ident(s)) => s.clone(),
        Some(Tok::Not) => "!".into(),
        Some(Tok::NotEq) => "!=".into(),
        Some(Tok::Eq) => "=".into(),
        Some(Tok::DoubleEq) => "==".into(),
        Some(Tok::Gt) => ">".into(),
        Some(Tok::Lt) => "<".into(),
        Some(Tok::Open) => "(".into(),
        Some(Tok::Close) => ")".into(),
        Some(Tok::Comma) => ",".into(),
        Some(Tok::In) => "in".into(),
        Some(Tok::NotIn) => "notin".into(),
    }
}

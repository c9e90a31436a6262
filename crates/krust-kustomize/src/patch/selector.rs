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

use std::fmt;

use krust_yaml::{Mapping, Value};
use thiserror::Error;

use super::regex::{Regex, RegexError};
use crate::resource::{ResId, Resource};

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
    if id.gvk.is_cluster_scoped() {
        NOT_A_NAMESPACE
    } else if id.namespace.is_empty() {
        "default"
    } else {
        &id.namespace
    }
}

fn matches(re: &Option<Regex>, text: &str) -> bool {
    re.as_ref().is_none_or(|r| r.is_match(text))
}

impl CompiledSelector {
    /// True when `res` is selected (kustomize's `resWrangler.Select` test for one resource).
    pub fn matches(&self, res: &Resource) -> bool {
        let cur = res.id();
        let org = res.original_id();
        if !matches(&self.namespace, effective_namespace(&org))
            && !matches(&self.namespace, effective_namespace(&cur))
        {
            return false;
        }
        if !matches(&self.name, &org.name) && !matches(&self.name, &cur.name) {
            return false;
        }
        if !matches(&self.group, &cur.gvk.group)
            || !matches(&self.version, &cur.gvk.version)
            || !matches(&self.kind, &cur.gvk.kind)
        {
            return false;
        }
        self.labels.matches(res.labels()) && self.annotations.matches(res.annotations())
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
        let get = |k: &str| -> Option<String> {
            labels
                .and_then(|m| m.get(k))
                .map(|v| v.scalar_text().unwrap_or_default())
        };
        self.reqs.iter().all(|r| match r {
            Requirement::In(k, vs) => get(k).is_some_and(|v| vs.contains(&v)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|v| !vs.contains(&v)),
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

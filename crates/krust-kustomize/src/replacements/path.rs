//! Field paths as kustomize's replacements and vars read them.
//!
//! A path is a dotted string (`spec.template.spec.containers.[name=nginx].image`):
//! - `\.` escapes a dot inside a key; a leading `.` is ignored;
//! - `[a.b.c]` (brackets without `=`) is one map key containing dots;
//! - `[name=value]` selects list elements whose `name` field matches, `[=value]` selects
//!   scalar list elements;
//! - a non-negative integer indexes a list; `*` (targets only) visits every list element;
//!   `-` (sources only) is the last element.
//!
//! Two walkers mirror kyaml's: [`lookup`] (kyaml's `PathGetter`, used for replacement sources
//! and var field refs: exact `[k=v]` matches, no wildcards) and [`find_targets`] (kyaml's
//! `PathMatcher`, used for replacement targets: `[k=v]` values are unanchored regular
//! expressions, `*` wildcards, optional creation of missing fields).

use krust_yaml::Value;

use crate::patch::regex::{Regex, RegexError};

/// An error while walking a path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PathError {
    /// A node had another kind than the path needs.
    #[error("wrong node kind: expected {expected} but got {actual}")]
    WrongKind {
        /// The kind the path needs (`MappingNode`, `SequenceNode`).
        expected: &'static str,
        /// The kind found.
        actual: &'static str,
    },
    /// A list index beyond the end (targets).
    #[error("index {index} specified but only {len} elements found")]
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// The list length.
        len: usize,
    },
    /// A negative list index (sources).
    #[error("array index {0} cannot be negative")]
    NegativeIndex(i64),
    /// `*` in a source path.
    #[error("wildcard is not supported in PathGetter")]
    Wildcard,
    /// `[x]` without `=`.
    #[error("list path element must contain fieldName=fieldValue for element to match")]
    BadListElement,
    /// A `[k=v]` value that is not a valid regular expression.
    #[error(transparent)]
    Pattern(#[from] RegexError),
}

/// Splits a dotted path as kustomize's `SmarterPathSplitter` does.
pub fn split_path(path: &str) -> Vec<String> {
    let mut parts: Vec<&str> = path.split('.').collect();
    if parts.len() > 1 && parts[0].is_empty() {
        parts.remove(0);
    }
    // Rejoin parts whose predecessor ends in a backslash (escaped dot).
    let mut joined: Vec<String> = Vec::with_capacity(parts.len());
    for part in parts {
        match joined.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(part);
            }
            _ => joined.push(part.to_string()),
        }
    }
    // Keep bracketed elements together.
    let mut result = Vec::with_capacity(joined.len());
    let mut i = 0;
    while i < joined.len() {
        let elem = &joined[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut bracketed = vec![elem.clone()];
            while i < joined.len() - 1 {
                i += 1;
                bracketed.push(joined[i].clone());
                if joined[i].ends_with(']') {
                    break;
                }
            }
            let s = bracketed.join(".");
            if s.contains('=') {
                result.push(s);
            } else {
                result.push(s.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            result.push(elem.clone());
        }
        i += 1;
    }
    result
}

/// Splits a var field path: like [`split_path`], and `name[3]` also becomes `name`, `3`.
pub fn split_var_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in split_path(path) {
        if let Some(body) = part.strip_suffix(']') {
            if let Some(open) = body.rfind('[') {
                let digits = &body[open + 1..];
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    if open > 0 {
                        out.push(body[..open].to_string());
                    }
                    out.push(digits.to_string());
                    continue;
                }
            }
        }
        out.push(part);
    }
    out
}

/// kyaml's name for the kind of a node, for error messages.
pub fn node_kind(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "MappingNode",
        Value::Seq(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

fn is_list_index(p: &str) -> bool {
    p.starts_with('[') && p.ends_with(']')
}

/// Go's `strconv.Atoi` for the path parts that matter (optional sign, ASCII digits).
fn parse_int(p: &str) -> Option<i64> {
    let digits = p.strip_prefix(['+', '-']).unwrap_or(p);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

fn split_index_name_value(p: &str) -> Result<(&str, &str), PathError> {
    let inner = p.strip_suffix(']').unwrap_or(p);
    let inner = inner.strip_prefix('[').unwrap_or(inner);
    inner.split_once('=').ok_or(PathError::BadListElement)
}

/// The text kyaml compares a scalar against (`[k=v]` matches).
fn match_text(v: &Value) -> String {
    match v.scalar_text() {
        Some(s) => s,
        None => krust_yaml::to_string(v).trim().to_string(),
    }
}

/// Looks up a path without creating anything (kyaml's `Lookup`). `Ok(None)` when missing.
pub fn lookup<'a>(root: &'a Value, parts: &[String]) -> Result<Option<&'a Value>, PathError> {
    Ok(lookup_steps(root, parts)?.and_then(|steps| node_at(root, &steps)))
}

/// Like [`lookup`], but returns the steps from the root to the node.
pub fn lookup_steps(root: &Value, parts: &[String]) -> Result<Option<Vec<Step>>, PathError> {
    let mut cur = root;
    let mut steps = Vec::with_capacity(parts.len());
    for raw in parts {
        let part = raw.trim();
        if part.is_empty() {
            continue;
        }
        let next: Option<(Step, &Value)> = if let Some(i) = parse_int(part) {
            if i < 0 {
                return Err(PathError::NegativeIndex(i));
            }
            match cur {
                Value::Null => None,
                Value::Seq(items) => usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i).map(|v| (Step::Index(i), v))),
                other => return Err(wrong_kind("SequenceNode", other)),
            }
        } else if part == "-" {
            match cur {
                Value::Null => None,
                Value::Seq(items) => items.last().map(|v| (Step::Index(items.len() - 1), v)),
                other => return Err(wrong_kind("SequenceNode", other)),
            }
        } else if part == "*" {
            return Err(PathError::Wildcard);
        } else if is_list_index(part) {
            let (key, value) = split_index_name_value(part)?;
            match cur {
                Value::Null => None,
                Value::Seq(items) => items
                    .iter()
                    .position(|item| {
                        if key.is_empty() {
                            item.scalar_text().unwrap_or_default() == value
                        } else {
                            item.get(key).is_some_and(|f| {
                                !f.is_null() && f.scalar_text().unwrap_or_default() == value
                            })
                        }
                    })
                    .map(|i| (Step::Index(i), &items[i])),
                other => return Err(wrong_kind("SequenceNode", other)),
            }
        } else {
            match cur {
                Value::Null => None,
                Value::Map(m) => m.get(part).map(|v| (Step::Key(part.to_string()), v)),
                other => return Err(wrong_kind("MappingNode", other)),
            }
        };
        match next {
            Some((step, v)) => {
                steps.push(step);
                cur = v;
            }
            None => return Ok(None),
        }
    }
    Ok(Some(steps))
}

/// The node at `steps`.
pub fn node_at<'a>(root: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    let mut cur = root;
    for step in steps {
        cur = match (step, cur) {
            (Step::Key(k), Value::Map(m)) => m.get(k.as_str())?,
            (Step::Index(i), Value::Seq(s)) => s.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn wrong_kind(expected: &'static str, actual: &Value) -> PathError {
    PathError::WrongKind {
        expected,
        actual: node_kind(actual),
    }
}

/// One step from a node to a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A mapping key.
    Key(String),
    /// A list position.
    Index(usize),
}

/// A node found by [`find_targets`].
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// Steps from the root.
    pub steps: Vec<Step>,
    /// True when the walk created this (leaf) node, so it has no type yet.
    pub created: bool,
    /// True for a node kyaml "finds" below an explicit null: it counts as found, but writing
    /// to it changes nothing.
    pub detached: bool,
}

/// What to create for a missing leaf (the kind of the value that will be written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateKind {
    /// A scalar.
    Scalar,
    /// A list.
    Seq,
    /// A mapping.
    Map,
}

impl CreateKind {
    fn empty(self) -> Value {
        match self {
            CreateKind::Scalar => Value::Null,
            CreateKind::Seq => Value::Seq(Vec::new()),
            CreateKind::Map => Value::new_map(),
        }
    }
}

/// The kind an intermediate node needs so that `next` can be applied to it.
fn part_kind(next: Option<&String>, leaf: CreateKind) -> CreateKind {
    match next {
        None => leaf,
        Some(n) if is_list_index(n) || parse_int(n).is_some_and(|i| i >= 0) => CreateKind::Seq,
        Some(_) => CreateKind::Map,
    }
}

/// Finds every node a target path designates (kyaml's `PathMatcher`), creating missing fields
/// when `create` is set. Matching nodes are returned as step lists in document order.
pub fn find_targets(
    root: &mut Value,
    parts: &[String],
    create: Option<CreateKind>,
) -> Result<Vec<Located>, PathError> {
    let mut out = Vec::new();
    let mut steps = Vec::new();
    walk(root, parts, create, &mut steps, false, &mut out)?;
    Ok(out)
}

fn walk(
    node: &mut Value,
    parts: &[String],
    create: Option<CreateKind>,
    steps: &mut Vec<Step>,
    created: bool,
    out: &mut Vec<Located>,
) -> Result<(), PathError> {
    let Some(part) = parts.first() else {
        out.push(Located {
            steps: steps.clone(),
            created,
            detached: false,
        });
        return Ok(());
    };
    let rest = &parts[1..];
    let index = parse_int(part)
        .filter(|i| *i >= 0)
        .map(|i| usize::try_from(i).unwrap_or(usize::MAX));
    if node.is_null() {
        // kyaml treats an explicit null as an empty node: nothing is found below it, and what
        // it "creates" there is attached to the null and never reaches the output.
        return match (create, index) {
            _ if part == "*" => Ok(()),
            (Some(_), Some(index)) if index != 0 => {
                Err(PathError::IndexOutOfRange { index, len: 0 })
            }
            (Some(_), _) => {
                out.push(Located {
                    steps: steps.clone(),
                    created: false,
                    detached: true,
                });
                Ok(())
            }
            (None, Some(index)) => Err(PathError::IndexOutOfRange { index, len: 0 }),
            (None, None) => Ok(()),
        };
    }
    if let Some(index) = index {
        let items = match node {
            Value::Seq(items) => items,
            other => return Err(wrong_kind("SequenceNode", other)),
        };
        let mut child_created = false;
        if let Some(kind) = create {
            if items.len() == index {
                items.push(part_kind(rest.first(), kind).empty());
                child_created = rest.is_empty();
            }
        }
        let len = items.len();
        let Some(child) = items.get_mut(index) else {
            return Err(PathError::IndexOutOfRange { index, len });
        };
        steps.push(Step::Index(index));
        let r = walk(child, rest, create, steps, child_created, out);
        steps.pop();
        return r;
    }
    if is_list_index(part) {
        return walk_list_match(node, part, rest, create, steps, out);
    }
    if part == "*" {
        return match node {
            Value::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    steps.push(Step::Index(i));
                    let r = walk(item, rest, create, steps, false, out);
                    steps.pop();
                    r?;
                }
                Ok(())
            }
            other => Err(wrong_kind("SequenceNode", other)),
        };
    }
    // A mapping field.
    let map = match node {
        Value::Map(m) => m,
        other => return Err(wrong_kind("MappingNode", other)),
    };
    let mut child_created = false;
    if !map.contains_key(part.as_str()) {
        let Some(kind) = create else {
            return Ok(());
        };
        map.insert(part.clone(), part_kind(rest.first(), kind).empty());
        child_created = rest.is_empty();
    }
    let Some(child) = map.get_mut(part.as_str()) else {
        return Ok(());
    };
    steps.push(Step::Key(part.clone()));
    let r = walk(child, rest, create, steps, child_created, out);
    steps.pop();
    r
}

fn walk_list_match(
    node: &mut Value,
    part: &str,
    rest: &[String],
    create: Option<CreateKind>,
    steps: &mut Vec<Step>,
    out: &mut Vec<Located>,
) -> Result<(), PathError> {
    let (key, value) = split_index_name_value(part)?;
    let pattern = unanchored(value)?;
    let items = match node {
        Value::Seq(items) => items,
        other => return Err(wrong_kind("SequenceNode", other)),
    };
    let before = out.len();
    for (i, item) in items.iter_mut().enumerate() {
        if key.is_empty() {
            // A scalar element: kyaml returns the element itself, ignoring the rest of the path.
            if pattern.is_match(&match_text(item)) {
                steps.push(Step::Index(i));
                out.push(Located {
                    steps: steps.clone(),
                    created: false,
                    detached: false,
                });
                steps.pop();
            }
            continue;
        }
        let Some(field) = item.as_map().and_then(|m| m.get(key)) else {
            continue;
        };
        if !pattern.is_match(&match_text(field)) {
            continue;
        }
        steps.push(Step::Index(i));
        let r = walk(item, rest, create, steps, false, out);
        steps.pop();
        r?;
    }
    if out.len() > before || create.is_none() {
        return Ok(());
    }
    // Nothing matched: append an element carrying the key, then search again.
    let element = if key.is_empty() {
        Value::String(value.to_string())
    } else {
        let mut m = krust_yaml::Mapping::default();
        m.insert(key.to_string(), Value::String(value.to_string()));
        Value::Map(m)
    };
    items.push(element);
    let i = items.len() - 1;
    if key.is_empty() {
        steps.push(Step::Index(i));
        out.push(Located {
            steps: steps.clone(),
            created: false,
            detached: false,
        });
        steps.pop();
        return Ok(());
    }
    steps.push(Step::Index(i));
    let r = walk(&mut items[i], rest, create, steps, false, out);
    steps.pop();
    r
}

/// Go's `regexp.MatchString`: a match anywhere in the text.
enum Unanchored {
    /// A pattern without metacharacters matches where it occurs as a substring.
    Substring(String),
    /// Otherwise the crate's anchored engine, with the pattern wrapped in "anything".
    Regex(Regex),
}

impl Unanchored {
    fn is_match(&self, text: &str) -> bool {
        match self {
            Unanchored::Substring(s) => text.contains(s.as_str()),
            Unanchored::Regex(r) => r.is_match(text),
        }
    }
}

fn unanchored(pattern: &str) -> Result<Unanchored, PathError> {
    if !pattern.contains(|c: char| "\\.+*?()|[]{}^$".contains(c)) {
        return Ok(Unanchored::Substring(pattern.to_string()));
    }
    // Validate the pattern on its own first so that errors quote what the user wrote.
    Regex::anchored(pattern)?;
    Ok(Unanchored::Regex(Regex::anchored(&format!(
        r"[\s\S]*(?:{pattern})[\s\S]*"
    ))?))
}

/// The node at `steps`, mutably.
pub fn node_at_mut<'a>(root: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    let mut cur = root;
    for step in steps {
        cur = match (step, cur) {
            (Step::Key(k), Value::Map(m)) => m.get_mut(k.as_str())?,
            (Step::Index(i), Value::Seq(s)) => s.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        krust_yaml::parse_one(s).expect("valid yaml")
    }

    #[test]
    fn splitting() {
        assert_eq!(
            split_path("spec.template.spec.containers.[name=com.foo.app].image"),
            vec![
                "spec",
                "template",
                "spec",
                "containers",
                "[name=com.foo.app]",
                "image"
            ]
        );
        assert_eq!(
            split_path("metadata.annotations.[a.b.c]"),
            vec!["metadata", "annotations", "a.b.c"]
        );
        assert_eq!(
            split_path(r"metadata.labels.app\.kubernetes\.io/name"),
            vec!["metadata", "labels", "app.kubernetes.io/name"]
        );
        assert_eq!(split_path(".a.b"), vec!["a", "b"]);
        assert_eq!(
            split_var_path("spec.ports[0].protocol"),
            vec!["spec", "ports", "0", "protocol"]
        );
    }

    #[test]
    fn lookups() {
        let doc = v("a:\n  l:\n  - name: x\n    v: 1\n  - name: y\n    v: 2\n  s: [p, q]\n");
        let get = |p: &str| lookup(&doc, &split_path(p)).expect("no error").cloned();
        assert_eq!(get("a.l.[name=y].v"), Some(Value::Int(2)));
        assert_eq!(get("a.l.1.v"), Some(Value::Int(2)));
        assert_eq!(get("a.l.-.name"), Some(Value::from("y")));
        assert_eq!(get("a.s.[=q]"), Some(Value::from("q")));
        assert_eq!(get("a.missing.x"), None);
        assert!(lookup(&doc, &split_path("a.l.*")).is_err());
        assert!(lookup(&doc, &split_path("a.s.x")).is_err());
    }

    #[test]
    fn targets_with_wildcards_and_create() {
        let mut doc = v("c:\n- name: app\n  env:\n  - name: A\n    value: x\n- name: side\n  env:\n  - name: B\n");
        let found =
            find_targets(&mut doc, &split_path("c.*.env.[name=A].value"), None).expect("ok");
        assert_eq!(found.len(), 1);
        let found = find_targets(
            &mut doc,
            &split_path("c.*.env.[name=A].value"),
            Some(CreateKind::Scalar),
        )
        .expect("ok");
        assert_eq!(found.len(), 2);
        assert!(found[1].created);
        let found =
            find_targets(&mut doc, &split_path("x.y.0"), Some(CreateKind::Scalar)).expect("ok");
        assert_eq!(found.len(), 1);
        assert!(find_targets(&mut doc, &split_path("c.5"), None).is_err());
        // `[k=v]` values are unanchored regular expressions (Go's `MatchString`).
        let found = find_targets(&mut doc, &split_path("c.[name=^si].name"), None).expect("ok");
        assert_eq!(found.len(), 1);
        let found = find_targets(&mut doc, &split_path("c.[name=p|d]"), None).expect("ok");
        assert_eq!(found.len(), 2);
        let err = find_targets(&mut doc, &split_path("c.[name=(]"), None).expect_err("bad regex");
        assert!(err.to_string().contains("`(`"), "{err}");
    }
}

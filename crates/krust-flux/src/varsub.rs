//! `postBuild` variable substitution on one rendered object, as kustomize-controller does it.
//!
//! The controller prints the object as kustomize prints it, runs [`crate::envsubst`] over that
//! text, and reads the result back with `sigs.k8s.io/yaml`, which resolves plain scalars with
//! go-yaml **v2** rules: `yes`, `no`, `on`, `off`, `y`, `n` (any case variant go-yaml knows) become
//! booleans. krust mirrors this: `${ENABLED}` with `ENABLED=yes` yields `true`, not `"yes"`.

use std::collections::BTreeMap;

use krust_yaml::{Mapping, Value};
use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::envsubst::{self, EnvsubstError};

/// The label/annotation that opts an object out of substitution.
pub const SUBSTITUTE_KEY: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// The regular expression Flux validates variable names with (in its error message).
pub const VAR_NAME_REGEX: &str = "^[_[:alpha:]][_[:alpha:][:digit:]]*$";

/// How substitution behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubstituteOptions {
    /// Fail on variables that are referenced without a default but not defined (Flux's
    /// `--feature-gates=StrictPostBuildSubstitutions`, the default from Flux 2.9).
    pub strict: bool,
    /// Substitute even when no variable is defined (`substituteStrategy: Always`), so that
    /// `${X:=default}` expressions are expanded.
    pub always: bool,
}

/// Why substitution failed; the text follows the controller's messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VarsubError {
    /// A variable name does not match [`VAR_NAME_REGEX`].
    #[error("'{0}' var name is invalid, must match '{VAR_NAME_REGEX}'")]
    InvalidName(String),
    /// The envsubst parser or strict mode rejected the text.
    #[error("envsubst error: variable substitution failed: {0}")]
    Envsubst(#[from] EnvsubstError),
    /// The substituted text is not a YAML object any more.
    #[error("YAMLToJSON: {0}")]
    Yaml(String),
}

/// True when the object opts out with `kustomize.toolkit.fluxcd.io/substitute: disabled` as a
/// label or an annotation.
pub fn is_disabled(obj: &Value) -> bool {
    ["labels", "annotations"]
        .iter()
        .any(|f| obj.str_at(&["metadata", f, SUBSTITUTE_KEY]) == Some("disabled"))
}

/// Checks every variable name like the controller does (ASCII letters, digits, `_`; no leading
/// digit). The first invalid name in sorted order is reported.
pub fn validate_names<'a>(names: impl IntoIterator<Item = &'a String>) -> Result<(), VarsubError> {
    for name in names {
        let mut bytes = name.bytes();
        let ok = match bytes.next() {
            Some(b) if b == b'_' || b.is_ascii_alphabetic() => {
                bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
            }
            _ => false,
        };
        if !ok {
            return Err(VarsubError::InvalidName(name.clone()));
        }
    }
    Ok(())
}

/// Substitutes `vars` into `obj`. Returns `Ok(None)` when the object is left untouched (opted out,
/// or no variables and not `always`).
pub fn substitute(
    obj: &Value,
    vars: &BTreeMap<String, String>,
    options: SubstituteOptions,
) -> Result<Option<Value>, VarsubError> {
    if is_disabled(obj) {
        return Ok(None);
    }
    if vars.is_empty() && !options.always {
        return Ok(None);
    }
    validate_names(vars.keys())?;
    let lookup = |name: &str| -> Option<String> {
        match vars.get(name) {
            Some(v) => Some(v.clone()),
            None if options.strict => None,
            None => Some(String::new()),
        }
    };
    // Objects without a `$` (re-reading the emitter's own output gives the same object back)
    // and objects whose `$`s are all in plain one-line values skip the text round trip.
    if let Some(value) = substitute_in_tree(obj, &lookup) {
        return Ok(Some(value));
    }
    substitute_text(obj, &lookup)
}

/// The controller's route: emit the object, expand the text, read it back.
fn substitute_text(
    obj: &Value,
    lookup: &dyn envsubst::Lookup,
) -> Result<Option<Value>, VarsubError> {
    let text = krust_yaml::to_string(obj);
    let out = envsubst::eval(&text, lookup)?;
    if out == text {
        return Ok(Some(obj.clone()));
    }
    read_back(&out).map(Some)
}

/// The fast path of [`substitute`]: when every `$` of the object sits in a string value that
/// is emitted plain on one line, and every substituted value is emitted the same way, then
/// substituting the emitted text and reading it back gives exactly the object with those values
/// substituted one by one (each value is a whole line's tail, so no reference can span two
/// values). Returns `None` whenever that cannot be shown (keys with `$`, quoted or block
/// strings, a value that would change type or shape, an expansion error): the caller then takes
/// the text route, which is authoritative, errors included.
fn substitute_in_tree(obj: &Value, lookup: &dyn envsubst::Lookup) -> Option<Value> {
    fn walk(v: &mut Value, lookup: &dyn envsubst::Lookup) -> Option<()> {
        match v {
            Value::String(s) if s.contains('$') => {
                if !krust_yaml::emits_plain_on_one_line(s) {
                    return None;
                }
                let out = envsubst::eval(s, lookup).ok()?;
                if !krust_yaml::emits_plain_on_one_line(&out) {
                    return None;
                }
                *s = out;
                Some(())
            }
            Value::Seq(items) => items.iter_mut().try_for_each(|i| walk(i, lookup)),
            Value::Map(m) => m.iter_mut().try_for_each(|(k, v)| {
                if k.contains('$') {
                    return None;
                }
                walk(v, lookup)
            }),
            _ => Some(()),
        }
    }
    let mut value = obj.clone();
    walk(&mut value, lookup)?;
    Some(value)
}

/// Reads substituted text back as `sigs.k8s.io/yaml` would (first document, v2 booleans).
pub fn read_back(text: &str) -> Result<Value, VarsubError> {
    let docs = krust_yaml::parse_documents(text).map_err(|e| VarsubError::Yaml(e.to_string()))?;
    let mut value = docs
        .into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Value::Null);
    if !matches!(value, Value::Map(_)) {
        return Err(VarsubError::Yaml(format!(
            "the substituted object is a {}, not a mapping",
            value.kind_name()
        )));
    }
    apply_v2_booleans(text, &mut value);
    Ok(value)
}

/// A plain scalar that go-yaml v2 reads as a boolean while v3 reads it as a string.
fn v2_only_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// Finds, in document order, the plain scalars of the first document that v2 turns into booleans,
/// then rewrites the matching nodes of `value` (traversed in the same order). When the shapes
/// disagree (aliases, merge keys) nothing is changed.
fn apply_v2_booleans(text: &str, value: &mut Value) {
    if !might_have_v2_bool(text) {
        return;
    }
    let mut flags: Vec<Option<bool>> = Vec::new();
    let mut any = false;
    let mut started = false;
    for item in Parser::new_from_str(text) {
        let Ok((event, _)) = item else { return };
        match event {
            Event::DocumentStart(_) => {
                if started {
                    break;
                }
                started = true;
            }
            Event::DocumentEnd => break,
            Event::Alias(_) => return,
            Event::Scalar(s, style, _, tag) => {
                let flag = if style == ScalarStyle::Plain && tag.is_none() {
                    v2_only_bool(&s)
                } else {
                    None
                };
                any |= flag.is_some();
                flags.push(flag);
            }
            _ => {}
        }
    }
    if !any {
        return;
    }
    let mut count = 0;
    count_scalars(value, &mut count);
    if count != flags.len() {
        return;
    }
    let mut idx = 0;
    rewrite(value, &flags, &mut idx);
}

/// Cheap pre-check: does any token of the text spell a v2-only boolean?
fn might_have_v2_bool(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '[' | ']' | '{' | '}' | ','))
        .any(|t| v2_only_bool(t).is_some())
}

fn count_scalars(v: &Value, n: &mut usize) {
    match v {
        Value::Map(m) => {
            for (_, v) in m {
                *n += 1;
                count_scalars(v, n);
            }
        }
        Value::Seq(s) => s.iter().for_each(|v| count_scalars(v, n)),
        _ => *n += 1,
    }
}

fn rewrite(v: &mut Value, flags: &[Option<bool>], idx: &mut usize) {
    match v {
        Value::Map(m) => {
            let needs_key_change = {
                let mut i = *idx;
                let mut change = false;
                for (_, v) in m.iter() {
                    change |= flags.get(i).copied().flatten().is_some();
                    i += 1;
                    let mut n = 0;
                    count_scalars(v, &mut n);
                    i += n;
                }
                change
            };
            if needs_key_change {
                let old = std::mem::take(m);
                let mut new = Mapping::with_capacity_and_hasher(old.len(), Default::default());
                for (k, mut val) in old {
                    let key = match flags.get(*idx).copied().flatten() {
                        Some(b) => b.to_string(),
                        None => k,
                    };
                    *idx += 1;
                    rewrite(&mut val, flags, idx);
                    new.insert(key, val);
                }
                *m = new;
            } else {
                for (_, val) in m.iter_mut() {
                    *idx += 1;
                    rewrite(val, flags, idx);
                }
            }
        }
        Value::Seq(s) => s.iter_mut().for_each(|v| rewrite(v, flags, idx)),
        scalar => {
            if let Some(b) = flags.get(*idx).copied().flatten() {
                *scalar = Value::Bool(b);
            }
            *idx += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(text: &str) -> Value {
        krust_yaml::parse_one(text).expect("valid yaml")
    }

    /// The tree fast path, wherever it answers, gives what the text route gives.
    #[test]
    fn tree_fast_path_agrees_with_the_text_route() {
        let objects = [
            "kind: ConfigMap\ndata:\n  host: app.${DOMAIN}\n  plain: x\n",
            "kind: ConfigMap\ndata:\n  port: ${PORT}\n",
            "kind: ConfigMap\ndata:\n  flag: ${FLAG}\n",
            "kind: ConfigMap\ndata:\n  s: \"quoted ${DOMAIN}\"\n",
            "kind: ConfigMap\ndata:\n  s: |\n    line ${DOMAIN}\n    two\n",
            "kind: ConfigMap\ndata:\n  ${KEY}: v\n",
            "kind: ConfigMap\ndata:\n  d: ${MISSING:=fallback}-x\n",
            "kind: ConfigMap\ndata:\n  e: $$ESCAPED\n  f: a$DOMAIN\n",
            "kind: ConfigMap\ndata:\n  list:\n  - ${DOMAIN}\n  - ${SPACE}\n  - ${COLON}\n",
            "kind: ConfigMap\ndata:\n  n: ${EMPTY}\n  m: pre${HASH}\n",
            "kind: ConfigMap\ndata:\n  open: a${DOMAIN\n",
        ];
        let vars = vars(&[
            ("DOMAIN", "example.com"),
            ("PORT", "8080"),
            ("FLAG", "yes"),
            ("KEY", "k"),
            ("SPACE", "a b"),
            ("COLON", "a: b"),
            ("EMPTY", ""),
            ("HASH", " #c"),
        ]);
        let mut fast = Vec::new();
        for strict in [false, true] {
            let lookup = |name: &str| -> Option<String> {
                match vars.get(name) {
                    Some(v) => Some(v.clone()),
                    None if strict => None,
                    None => Some(String::new()),
                }
            };
            for (i, text) in objects.iter().enumerate() {
                let o = obj(text);
                let Some(tree) = substitute_in_tree(&o, &lookup) else {
                    continue;
                };
                fast.push((strict, i));
                let route = substitute_text(&o, &lookup)
                    .unwrap_or_else(|e| panic!("{text}: text route failed: {e}"))
                    .unwrap_or_else(|| o.clone());
                assert_eq!(tree, route, "{text} (strict: {strict})");
            }
        }
        // Plain values take the fast path; values that would turn into numbers, booleans, empty
        // or spaced text, quoted and block strings, keys and unclosed references do not.
        let expected = [
            (false, 0),
            (false, 6),
            (false, 7),
            (true, 0),
            (true, 6),
            (true, 7),
        ];
        assert_eq!(fast, expected);
    }

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn substitutes_and_resolves_like_go_yaml_v2() {
        let o = obj("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: ${A}\n  b: \"${B:=x}\"\n  c: $${LIT}\nspec:\n  enabled: ${ON}\n  replicas: ${N}\n");
        let out = substitute(
            &o,
            &vars(&[("A", "hello"), ("ON", "yes"), ("N", "3")]),
            SubstituteOptions::default(),
        )
        .expect("ok")
        .expect("changed");
        assert_eq!(out.str_at(&["data", "a"]), Some("hello"));
        assert_eq!(out.str_at(&["data", "b"]), Some("x"));
        assert_eq!(out.str_at(&["data", "c"]), Some("${LIT}"));
        assert_eq!(out.get_path(&["spec", "enabled"]), Some(&Value::Bool(true)));
        assert_eq!(out.get_path(&["spec", "replicas"]), Some(&Value::Int(3)));
    }

    #[test]
    fn opt_out_and_no_vars() {
        let o = obj("kind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  a: ${A}\n");
        assert_eq!(
            substitute(&o, &vars(&[("A", "x")]), SubstituteOptions::default()),
            Ok(None)
        );
        let o = obj("kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: ${A:=d}\n");
        assert_eq!(
            substitute(&o, &vars(&[]), SubstituteOptions::default()),
            Ok(None)
        );
        let always = SubstituteOptions {
            strict: false,
            always: true,
        };
        let out = substitute(&o, &vars(&[]), always)
            .expect("ok")
            .expect("changed");
        assert_eq!(out.str_at(&["data", "a"]), Some("d"));
    }

    #[test]
    fn strict_and_names() {
        let o = obj("kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: ${MISSING}\n");
        let strict = SubstituteOptions {
            strict: true,
            always: false,
        };
        let err = substitute(&o, &vars(&[("A", "x")]), strict).expect_err("strict");
        assert_eq!(
            err.to_string(),
            "envsubst error: variable substitution failed: variable not set (strict mode): \"MISSING\""
        );
        let lenient = substitute(&o, &vars(&[("A", "x")]), SubstituteOptions::default())
            .expect("ok")
            .expect("changed");
        assert_eq!(lenient.get_path(&["data", "a"]), Some(&Value::Null));
        let err = substitute(&o, &vars(&[("1BAD", "x")]), strict).expect_err("name");
        assert_eq!(
            err.to_string(),
            "'1BAD' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'"
        );
    }
}

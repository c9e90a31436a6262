//! `KR-SUB`: Flux `postBuild` substitution.

pub mod dollar_eaten;
pub mod substitute_from_missing;
pub mod undefined_variable;

use std::collections::BTreeSet;

use krust_yaml::Value;

use crate::context::{Context, FluxKs};
use crate::util;
use crate::CheckedObject;

/// One `${…}` or `$$` occurrence in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dollar {
    /// The text of the expression (`${NAME:-x}` or `$$`).
    pub text: String,
    /// The variable name (empty for `$$` or when there is no valid name).
    pub name: String,
    /// The expression has a default (`:-`, `:=`, `=`, `-`).
    pub has_default: bool,
}

/// Scans a string the way Flux's envsubst does: `$$` escapes, `${…}` expressions.
pub fn dollars(s: &str) -> Vec<Dollar> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'$') {
            // `$${` is the documented escape; a bare `$$` is eaten too (becomes `$`).
            if b.get(i + 2) != Some(&b'{') {
                out.push(Dollar {
                    text: "$$".into(),
                    name: String::new(),
                    has_default: false,
                });
            }
            i += 2;
            if b.get(i) == Some(&b'{') {
                // Skip the escaped expression.
                while i < b.len() && b[i] != b'}' {
                    i += 1;
                }
            }
            continue;
        }
        if b.get(i + 1) == Some(&b'{') {
            let start = i;
            let mut depth = 0;
            let mut j = i + 1;
            while j < b.len() {
                match b[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let closed = j < b.len();
            let end = if closed { j + 1 } else { b.len() };
            let text = s[start..end].to_string();
            // `{` and `}` are ASCII, so these offsets are character boundaries.
            let inner = if closed {
                &s[start + 2..j]
            } else {
                &s[start + 2..]
            };
            let inner = inner.trim_start_matches('#');
            let name: String = inner
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let rest = &inner[name.len().min(inner.len())..];
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            out.push(Dollar {
                text,
                name: if valid { name } else { String::new() },
                has_default: rest.starts_with(":-")
                    || rest.starts_with(":=")
                    || rest.starts_with('='),
            });
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// The Flux Kustomization with `postBuild` that substitutes this object, if any.
pub fn substituting_ks<'a>(ctx: &'a Context<'a>, o: &CheckedObject) -> Option<&'a FluxKs<'a>> {
    let ks = ctx.flux_ks(o.origin.as_deref()?)?;
    let pb = ks.object.value.get_path(&["spec", "postBuild"])?;
    if pb.is_null() {
        return None;
    }
    let disabled = util::annotation(&o.value, "kustomize.toolkit.fluxcd.io/substitute")
        .is_some_and(|v| v.eq_ignore_ascii_case("disabled"))
        || util::label(&o.value, "kustomize.toolkit.fluxcd.io/substitute")
            .is_some_and(|v| v.eq_ignore_ascii_case("disabled"));
    (!disabled).then_some(ks)
}

/// The variables a Kustomization provides: `substitute` keys and the data keys of its
/// `substituteFrom` ConfigMaps/Secrets found in the repository. The bool is false when some
/// `substituteFrom` object could not be found or is encrypted (its keys are unknown).
pub fn provided_vars(ctx: &Context<'_>, ks: &FluxKs<'_>) -> (BTreeSet<String>, bool) {
    let mut vars = BTreeSet::new();
    let mut complete = true;
    let pb = ks.object.value.get_path(&["spec", "postBuild"]);
    if let Some(m) = pb.and_then(|p| p.get("substitute")).and_then(Value::as_map) {
        vars.extend(m.keys().cloned());
    }
    let ns = match util::namespace(&ks.object.value) {
        "" => "flux-system",
        n => n,
    };
    for r in pb
        .and_then(|p| p.get("substituteFrom"))
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
    {
        let kind = r.str_at(&["kind"]).unwrap_or("");
        let name = r.str_at(&["name"]).unwrap_or("");
        let found = ctx.find(kind, ns, name);
        if found.is_empty() {
            complete = false;
        }
        for o in found {
            if crate::rules::secrets::is_sops_object(&o.value) {
                complete = false;
            }
            for field in ["data", "stringData"] {
                if let Some(m) = o.value.get(field).and_then(Value::as_map) {
                    vars.extend(m.keys().cloned());
                }
            }
        }
    }
    (vars, complete)
}

#[cfg(test)]
mod tests {
    use super::dollars;

    #[test]
    fn scans_like_flux() {
        let d = dollars("a ${A} $${B} $$ ${c:=1} ${é");
        let texts: Vec<_> = d.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(texts, ["${A}", "$$", "${c:=1}", "${é"]);
        assert_eq!(d[0].name, "A");
        assert!(d[2].has_default);
        assert_eq!(d[3].name, "");
        assert!(dollars("${").iter().all(|x| x.name.is_empty()));
    }
}

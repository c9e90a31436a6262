//! Kubernetes label-selector strings (`app=web,tier!=db,env in (a,b),!legacy`), used by
//! replacement targets' `labelSelector` and `annotationSelector`.
//!
//! TODO: unify with the selector of `patch/` once it exists; this is a private copy so that
//! replacements do not wait for it.

use krust_yaml::Mapping;

/// A selector string that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to parse requirement: {0}")]
pub struct LabelSelectorError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Exists,
    NotExists,
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
}

/// A parsed selector: all requirements must hold. An empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabelSelector {
    requirements: Vec<(String, Op)>,
}

/// Splits on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn parse_set(s: &str) -> Result<Vec<String>, LabelSelectorError> {
    let s = s.trim();
    let inner = s
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| LabelSelectorError(format!("expected a parenthesised set, found {s:?}")))?;
    Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
}

impl LabelSelector {
    /// Parses a selector string.
    pub fn parse(s: &str) -> Result<LabelSelector, LabelSelectorError> {
        let mut requirements = Vec::new();
        if s.trim().is_empty() {
            return Ok(LabelSelector { requirements });
        }
        for raw in split_top(s) {
            let req = raw.trim();
            if req.is_empty() {
                return Err(LabelSelectorError(format!("empty requirement in {s:?}")));
            }
            if let Some(key) = req.strip_prefix('!') {
                requirements.push((key.trim().to_string(), Op::NotExists));
            } else if let Some((k, v)) = req.split_once("!=") {
                requirements.push((k.trim().to_string(), Op::NotEquals(v.trim().to_string())));
            } else if let Some((k, v)) = req.split_once("==") {
                requirements.push((k.trim().to_string(), Op::Equals(v.trim().to_string())));
            } else if let Some((k, v)) = req.split_once('=') {
                requirements.push((k.trim().to_string(), Op::Equals(v.trim().to_string())));
            } else if let Some((k, v)) = req.split_once(" notin ") {
                requirements.push((k.trim().to_string(), Op::NotIn(parse_set(v)?)));
            } else if let Some((k, v)) = req.split_once(" in ") {
                requirements.push((k.trim().to_string(), Op::In(parse_set(v)?)));
            } else if req.contains(char::is_whitespace) || req.contains(['<', '>', '(', ')']) {
                return Err(LabelSelectorError(format!(
                    "unsupported requirement {req:?}"
                )));
            } else {
                requirements.push((req.to_string(), Op::Exists));
            }
        }
        for (key, _) in &requirements {
            if key.is_empty() {
                return Err(LabelSelectorError(format!("empty key in {s:?}")));
            }
        }
        Ok(LabelSelector { requirements })
    }

    /// True when `labels` satisfy every requirement.
    pub fn matches(&self, labels: Option<&Mapping>) -> bool {
        let get = |k: &str| {
            labels
                .and_then(|m| m.get(k))
                .map(|v| v.scalar_text().unwrap_or_default())
        };
        self.requirements.iter().all(|(key, op)| {
            let value = get(key);
            match op {
                Op::Exists => value.is_some(),
                Op::NotExists => value.is_none(),
                Op::Equals(v) => value.as_deref() == Some(v.as_str()),
                Op::NotEquals(v) => value.as_deref() != Some(v.as_str()),
                Op::In(set) => value.is_some_and(|x| set.contains(&x)),
                Op::NotIn(set) => value.is_none_or(|x| !set.contains(&x)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use krust_yaml::Value;

    #[test]
    fn selectors() {
        let mut m = Mapping::new();
        m.insert("app".into(), Value::from("web"));
        m.insert("tier".into(), Value::from("front"));
        let sel = |s: &str| LabelSelector::parse(s).expect("parses").matches(Some(&m));
        assert!(sel(""));
        assert!(sel("app=web"));
        assert!(sel("app==web,tier!=db"));
        assert!(sel("tier in (front, back)"));
        assert!(!sel("tier notin (front)"));
        assert!(sel("!legacy,app"));
        assert!(!sel("app=db"));
        assert!(LabelSelector::parse("a in b").is_err());
    }
}

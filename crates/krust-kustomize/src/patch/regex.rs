//! Anchored regular expressions for selectors, image names and replacement paths.
//!
//! kustomize compiles these patterns with Go's RE2 (`regexp.Compile`) and anchors them as
//! `^(?:pattern)$`. The `regex` crate implements the same RE2 syntax family with the same
//! linear-time guarantee, so this module is a thin wrapper that keeps kustomize's anchoring, its
//! error wording (`error parsing regexp: …`), and a fast path for plain names (the common case).

use thiserror::Error;

/// A pattern that failed to compile.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("error parsing regexp: {message}: `{pattern}`")]
pub struct RegexError {
    /// What is wrong.
    pub message: String,
    /// The offending pattern.
    pub pattern: String,
}

/// A compiled pattern that must match the whole text.
#[derive(Debug, Clone)]
pub struct Regex {
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    /// The pattern has no metacharacters: plain string equality.
    Literal(String),
    Compiled(regex::Regex),
}

/// Characters that make a pattern more than a literal string.
const META: &str = "\\.+*?()|[]{}^$";

impl Regex {
    /// Compiles `pattern` anchored at both ends (kustomize's `^(?:pattern)$`).
    pub fn anchored(pattern: &str) -> Result<Regex, RegexError> {
        if !pattern.contains(|c: char| META.contains(c)) {
            return Ok(Regex {
                matcher: Matcher::Literal(pattern.to_string()),
            });
        }
        if let Some(op) = nested_repetition(pattern) {
            return Err(RegexError {
                message: format!("invalid nested repetition operator: `{op}`"),
                pattern: pattern.to_string(),
            });
        }
        let compiled = regex::Regex::new(&format!("^(?:{})$", go_literal_braces(pattern)))
            .map_err(|e| RegexError {
                message: match e {
                    regex::Error::Syntax(text) => text
                        .lines()
                        .last()
                        .unwrap_or("invalid pattern")
                        .trim_start_matches("error: ")
                        .to_string(),
                    regex::Error::CompiledTooBig(_) => "expression too large".to_string(),
                    _ => "invalid pattern".to_string(),
                },
                pattern: pattern.to_string(),
            })?;
        Ok(Regex {
            matcher: Matcher::Compiled(compiled),
        })
    }

    /// True when the whole of `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        match &self.matcher {
            Matcher::Literal(lit) => lit == text,
            Matcher::Compiled(re) => re.is_match(text),
        }
    }
}

/// RE2 reads a `{` that does not start a valid repetition (`{n}`, `{n,}`, `{n,m}`) as a literal
/// brace, where the `regex` crate reports an error or reads `{,m}` as a repetition: escape those.
fn go_literal_braces(pattern: &str) -> String {
    let bytes = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\\' && i + 1 < bytes.len() {
            // Copy the escape and the (possibly multi-byte) character it escapes.
            let next_len = pattern[i + 1..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&pattern[i..i + 1 + next_len]);
            i += 1 + next_len;
            continue;
        }
        match c {
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'{' if !in_class && !is_repetition(&pattern[i..]) => {
                out.push_str("\\{");
                i += 1;
                continue;
            }
            _ => {}
        }
        let ch_len = pattern[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&pattern[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// RE2 rejects a repetition applied to a repetition (`a**`, `a+*`, `a{2}{3}`; the lazy `a*?` is
/// fine), which the `regex` crate accepts. Returns the offending operator pair.
fn nested_repetition(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    // The operator text of a repetition that just ended (with its lazy `?`), if any.
    let mut last_repeat: Option<String> = None;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            i += 2;
            last_repeat = None;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            i += 1;
            continue;
        }
        let op_len = match c {
            '*' | '+' | '?' => 1,
            '{' => {
                let rest: String = chars[i..].iter().collect();
                if is_repetition(&rest) {
                    rest.find('}').map_or(1, |e| rest[..=e].chars().count())
                } else {
                    0
                }
            }
            _ => 0,
        };
        if op_len == 0 {
            last_repeat = None;
            if c == '[' {
                in_class = true;
            }
            i += 1;
            continue;
        }
        let mut op: String = chars[i..i + op_len].iter().collect();
        if let Some(prev) = &last_repeat {
            return Some(format!("{prev}{op}"));
        }
        i += op_len;
        if chars.get(i) == Some(&'?') {
            op.push('?');
            i += 1;
        }
        last_repeat = Some(op);
    }
    None
}

/// `{n}`, `{n,}` or `{n,m}` at the start of `s`.
fn is_repetition(s: &str) -> bool {
    let Some(end) = s.find('}') else { return false };
    let body = &s[1..end];
    let (min, max) = match body.split_once(',') {
        Some((a, b)) => (a, Some(b)),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(min) && max.is_none_or(|m| m.is_empty() || digits(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Regex::anchored(p).expect("compiles").is_match(t)
    }

    #[test]
    fn matches_like_re2_anchored() {
        assert!(m("", ""));
        assert!(!m("", "x"));
        assert!(m("app", "app"));
        assert!(!m("app", "app2"));
        assert!(!m("app", "my-app"));
        assert!(m("app.*", "app-1"));
        assert!(m(".*-app", "x-app"));
        assert!(m("foo|bar", "bar"));
        assert!(!m("foo|bar", "foobar"));
        assert!(m("v1(beta1)?", "v1"));
        assert!(m("v1(beta1)?", "v1beta1"));
        assert!(m("(?:a|b)+c", "abbac"));
        assert!(m("[a-c]{2,3}", "abc"));
        assert!(!m("[a-c]{2,3}", "abca"));
        assert!(m("[^x]+", "abc"));
        assert!(!m("[^x]+", "axc"));
        assert!(m(r"\d+\.\d+", "10.25"));
        assert!(m("^name$", "name"));
        assert!(m("a{,2}", "a{,2}"));
        assert!(m("x*?y", "xxy"));
        assert!(m("Deployment|StatefulSet", "StatefulSet"));
        assert!(m("(a*)*b", "aab"));
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(Regex::anchored("(").is_err());
        assert!(Regex::anchored("a)").is_err());
        assert!(Regex::anchored("*a").is_err());
        assert!(Regex::anchored("[a").is_err());
        assert!(Regex::anchored("a**").is_err());
    }
}

//! `krust.toml`: which rules run, at which severity, with which options, on which files.
//!
//! ```toml
//! select = ["KR"]                 # codes or prefixes; default: every default-enabled rule
//! extend-select = ["KR-NET-007"]  # add opt-in rules to the selection
//! ignore = ["KR-POL-004"]         # codes or prefixes to switch off
//! exclude = ["vendor/**", "**/*.generated.yaml"]
//! kube-version = "1.33"
//! fail-on = "warning"             # error | warning | info
//!
//! [severity]
//! "KR-IMG-001" = "error"          # code or prefix → error | warning | info
//!
//! [schema]
//! strict = true                   # unknown fields are findings (KR-SCH-002)
//!
//! [rules.KR-IMG-002]
//! allowed-registries = ["ghcr.io", "docker.io"]
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use crate::finding::Severity;
use crate::registry::RuleMeta;

/// An error in `krust.toml` or in a selection flag.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{path}: {message}")]
    Toml {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// A value has the wrong type or an unknown name.
    #[error("{path}: {message}")]
    Invalid {
        /// The file (or `command line`).
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// The configuration of a check run.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Codes or prefixes selected (empty: the default-enabled rules).
    pub select: Vec<String>,
    /// Codes or prefixes added to the selection.
    pub extend_select: Vec<String>,
    /// Codes or prefixes switched off.
    pub ignore: Vec<String>,
    /// Severity overrides by code or prefix (the longest matching key wins).
    pub severity: BTreeMap<String, Severity>,
    /// Per-rule options, by code.
    pub options: BTreeMap<String, toml::Table>,
    /// Globs (relative to the root) of files whose objects are not checked.
    pub exclude: Vec<String>,
    /// Target Kubernetes version (`1.33`).
    pub kube_version: Option<String>,
    /// Lowest severity that makes the run fail.
    pub fail_on: Option<Severity>,
    /// Report unknown fields (KR-SCH-002). Default true.
    pub strict: Option<bool>,
}

fn strings(path: &str, key: &str, v: &toml::Value) -> Result<Vec<String>, ConfigError> {
    let invalid = || ConfigError::Invalid {
        path: path.to_string(),
        message: format!("`{key}` must be a list of strings"),
    };
    match v {
        toml::Value::String(s) => Ok(vec![s.clone()]),
        toml::Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(invalid))
            .collect(),
        _ => Err(invalid()),
    }
}

impl Config {
    /// Reads `krust.toml` from `dir` (or its ancestors up to the filesystem root); default config
    /// when there is none.
    pub fn discover(dir: &Path) -> Result<(Config, Option<std::path::PathBuf>), ConfigError> {
        let mut cur = Some(dir);
        while let Some(d) = cur {
            let candidate = d.join("krust.toml");
            if candidate.is_file() {
                return Ok((Config::from_file(&candidate)?, Some(candidate)));
            }
            cur = d.parent();
        }
        Ok((Config::default(), None))
    }

    /// Reads one config file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Parses config text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Toml {
                path: origin.to_string(),
                message: e.to_string().trim().replace('\n', " "),
            })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: origin.to_string(),
            message,
        };
        let mut cfg = Config::default();
        for (key, value) in &table {
            match key.as_str() {
                "select" => cfg.select = strings(origin, key, value)?,
                "extend-select" => cfg.extend_select = strings(origin, key, value)?,
                "ignore" => cfg.ignore = strings(origin, key, value)?,
                "exclude" => cfg.exclude = strings(origin, key, value)?,
                "kube-version" => {
                    cfg.kube_version = Some(
                        value
                            .as_str()
                            .ok_or_else(|| invalid("`kube-version` must be a string".into()))?
                            .to_string(),
                    )
                }
                "fail-on" => {
                    let s = value.as_str().unwrap_or("");
                    cfg.fail_on = Some(Severity::parse(s).ok_or_else(|| {
                        invalid(format!(
                            "`fail-on` must be error, warning or info, not `{s}`"
                        ))
                    })?)
                }
                "severity" => {
                    let t = value
                        .as_table()
                        .ok_or_else(|| invalid("`[severity]` must be a table".into()))?;
                    for (code, sev) in t {
                        let s = sev.as_str().unwrap_or("");
                        let sev = Severity::parse(s).ok_or_else(|| {
                            invalid(format!("severity of {code} must be error, warning or info"))
                        })?;
                        cfg.severity.insert(code.to_ascii_uppercase(), sev);
                    }
                }
                "schema" => {
                    let t = value
                        .as_table()
                        .ok_or_else(|| invalid("`[schema]` must be a table".into()))?;
                    for (k, v) in t {
                        match k.as_str() {
                            "strict" => {
                                cfg.strict = Some(v.as_bool().ok_or_else(|| {
                                    invalid("`schema.strict` must be true or false".into())
                                })?)
                            }
                            other => return Err(invalid(format!("unknown key `schema.{other}`"))),
                        }
                    }
                }
                "rules" => {
                    let t = value
                        .as_table()
                        .ok_or_else(|| invalid("`[rules]` must be a table".into()))?;
                    for (code, opts) in t {
                        let opts = opts
                            .as_table()
                            .ok_or_else(|| invalid(format!("`[rules.{code}]` must be a table")))?;
                        cfg.options.insert(code.to_ascii_uppercase(), opts.clone());
                    }
                }
                other => return Err(invalid(format!("unknown key `{other}`"))),
            }
        }
        Ok(cfg)
    }

    /// Whether `rule` runs under this configuration.
    ///
    /// A prefix (`KR-SEC`, `KR`, `ALL`) selects the default-enabled rules under it; opt-in rules
    /// need their exact code. An exact code in `select`/`extend-select` beats an ignored prefix.
    pub fn is_enabled(&self, rule: &RuleMeta) -> bool {
        let exact = |list: &[String]| list.iter().any(|s| s.eq_ignore_ascii_case(rule.code));
        let prefix = |list: &[String]| list.iter().any(|s| matches_prefix(s, rule.code));
        if exact(&self.select) || exact(&self.extend_select) {
            return true;
        }
        if exact(&self.ignore) || prefix(&self.ignore) {
            return false;
        }
        let selected = if self.select.is_empty() {
            true
        } else {
            prefix(&self.select)
        };
        (selected || prefix(&self.extend_select)) && rule.default_enabled
    }

    /// The severity of `rule` after overrides (longest matching code or prefix wins).
    pub fn severity_of(&self, rule: &RuleMeta) -> Severity {
        self.severity
            .iter()
            .filter(|(k, _)| matches_prefix(k, rule.code))
            .max_by_key(|(k, _)| k.len())
            .map(|(_, s)| *s)
            .unwrap_or(rule.severity)
    }

    /// Option `key` of rule `code`.
    pub fn option(&self, code: &str, key: &str) -> Option<&toml::Value> {
        self.options.get(code).and_then(|t| t.get(key))
    }

    /// Option `key` of rule `code` as a list of strings (empty when unset).
    pub fn option_strings(&self, code: &str, key: &str) -> Vec<String> {
        match self.option(code, key) {
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Option `key` of rule `code` as a bool.
    pub fn option_bool(&self, code: &str, key: &str) -> Option<bool> {
        self.option(code, key).and_then(toml::Value::as_bool)
    }

    /// Checks that every code or prefix named in the config exists.
    pub fn validate(&self, rules: &[&RuleMeta], origin: &str) -> Result<(), ConfigError> {
        let names = self
            .select
            .iter()
            .chain(&self.extend_select)
            .chain(&self.ignore)
            .chain(self.severity.keys())
            .chain(self.options.keys());
        for name in names {
            if !rules.iter().any(|r| matches_prefix(name, r.code)) {
                return Err(ConfigError::Invalid {
                    path: origin.to_string(),
                    message: format!(
                        "`{name}` is not a rule code or prefix (see `krust check --list-rules`)"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// True when `selector` (a code, a prefix such as `KR-SEC` or `KR-SEC-00`, or `ALL`) covers
/// `code`.
pub fn matches_prefix(selector: &str, code: &str) -> bool {
    let s = selector.trim();
    if s.eq_ignore_ascii_case("ALL") {
        return true;
    }
    code.len() >= s.len() && code[..s.len()].eq_ignore_ascii_case(s)
}

/// Matches a path (with `/` separators, relative to the root) against a glob: `*` and `?` stay
/// within one path segment, `**` spans segments; a pattern without `/` matches at any depth;
/// a pattern matching a directory matches everything below it.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    glob_regex(pattern).is_some_and(|re| re.is_match(path))
}

/// Compiles a glob (see [`glob_matches`]) into a regex.
pub fn glob_regex(pattern: &str) -> Option<regex::Regex> {
    let pat = pattern.trim().trim_start_matches("./");
    let anchored = pat.contains('/');
    let pat = pat.trim_start_matches('/').trim_end_matches('/');
    let mut re = String::from("^");
    if !anchored {
        re.push_str("(?:.*/)?");
    }
    let chars: Vec<char> = pat.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '*' && chars.get(i + 1) == Some(&'*') {
            if chars.get(i + 2) == Some(&'/') {
                re.push_str("(?:.*/)?");
                i += 3;
            } else {
                re.push_str(".*");
                i += 2;
            }
            continue;
        }
        match c {
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            _ => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push_str("(?:/.*)?$");
    regex::Regex::new(&re).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("vendor/**", "vendor/a/b.yaml"));
        assert!(glob_matches("*.gen.yaml", "apps/x.gen.yaml"));
        assert!(!glob_matches("apps/*.yaml", "apps/x/y.yaml"));
        assert!(glob_matches("apps", "apps/x/y.yaml"));
        assert!(glob_matches("**/secret.yaml", "a/b/secret.yaml"));
        assert!(glob_matches("**/secret.yaml", "secret.yaml"));
    }

    #[test]
    fn prefixes() {
        assert!(matches_prefix("KR-SEC", "KR-SEC-001"));
        assert!(matches_prefix("kr-sec-00", "KR-SEC-001"));
        assert!(!matches_prefix("KR-SEC-002", "KR-SEC-001"));
        assert!(matches_prefix("ALL", "KR-SEC-001"));
    }
}

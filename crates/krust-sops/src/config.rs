//! `.sops.yaml`: lookup (walking up from the working directory) and `creation_rules`.

use crate::error::{Error, Result};
use crate::metadata::{AgeKey, KeyGroup, PgpKey, Selectors};
use crate::{EncryptOptions, StoreOptions};
use krust_yaml::Value as Y;
use std::path::{Path, PathBuf};

/// How many parent directories are searched for `.sops.yaml`.
const MAX_DEPTH: usize = 100;

/// Finds `.sops.yaml` in `start` or its parents (like sops: from the working directory).
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start.to_path_buf());
    for _ in 0..MAX_DEPTH {
        let d = dir?;
        let p = d.join(".sops.yaml");
        if p.is_file() {
            return Some(p);
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    None
}

/// A parsed `.sops.yaml`.
#[derive(Debug, Clone)]
pub struct Config {
    path: PathBuf,
    root: Y,
}

fn cerr(path: &Path, m: impl Into<String>) -> Error {
    Error::Config {
        path: path.display().to_string(),
        message: m.into(),
    }
}

fn key_list(v: Option<&Y>) -> Vec<String> {
    match v {
        Some(Y::String(s)) => s
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Y::Seq(items)) => items
            .iter()
            .filter_map(|i| i.as_str())
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

const UNSUPPORTED: [&str; 6] = [
    "kms",
    "gcp_kms",
    "azure_keyvault",
    "hc_vault_transit_uri",
    "hckms",
    "hc_vault",
];

fn group_from(v: &Y, path: &Path) -> Result<KeyGroup> {
    let mut g = KeyGroup::default();
    for r in key_list(v.get("age")) {
        g.age.push(AgeKey {
            recipient: r,
            enc: String::new(),
        });
    }
    for fp in key_list(v.get("pgp")) {
        g.pgp.push(PgpKey {
            fp: fp.replace(' ', ""),
            enc: String::new(),
            created_at: String::new(),
        });
    }
    for kind in UNSUPPORTED {
        let present = match v.get(kind) {
            Some(Y::Seq(s)) => !s.is_empty(),
            Some(Y::String(s)) => !s.is_empty(),
            Some(Y::Null) | None => false,
            Some(_) => true,
        };
        if present {
            return Err(cerr(
                path,
                format!("key type `{kind}` is not supported by krust (only age and pgp)"),
            ));
        }
    }
    Ok(g)
}

fn scalar(v: Option<&Y>) -> Option<String> {
    match v? {
        Y::String(s) => Some(s.clone()),
        Y::Int(i) => Some(i.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        Y::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

impl Config {
    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text (for `path`).
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let root = krust_yaml::parse_one(text).map_err(|e| cerr(path, e.to_string()))?;
        Ok(Config {
            path: path.to_path_buf(),
            root,
        })
    }

    /// The path of the config file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `stores:` output style.
    pub fn store_options(&self) -> StoreOptions {
        let mut o = StoreOptions::default();
        if let Some(Y::Int(i)) = self.root.get_path(&["stores", "yaml", "indent"]) {
            if *i > 0 {
                o.yaml_indent = *i as usize;
            }
        }
        if let Some(Y::Int(i)) = self.root.get_path(&["stores", "json", "indent"]) {
            if *i >= 0 {
                o.json_indent = " ".repeat(*i as usize);
            }
        }
        o
    }

    /// Resolves the first creation rule matching `file` (a path; made relative to the
    /// directory of the config file before matching `path_regex`).
    pub fn rule_for(&self, file: &Path) -> Result<EncryptOptions> {
        let p = &self.path;
        let Some(Y::Seq(rules)) = self.root.get("creation_rules") else {
            return Err(cerr(p, "no creation_rules found"));
        };
        let cfg_dir = std::path::absolute(p.parent().unwrap_or(Path::new(".")))
            .unwrap_or_else(|_| PathBuf::from("."));
        let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        let abs_s = abs.to_string_lossy().to_string();
        let prefix = format!("{}{}", cfg_dir.display(), std::path::MAIN_SEPARATOR);
        let rel = abs_s.strip_prefix(&prefix).unwrap_or(&abs_s).to_string();
        let mut chosen = None;
        for r in rules {
            match r.get("path_regex").and_then(|v| v.as_str()) {
                None | Some("") => {
                    chosen = Some(r);
                    break;
                }
                Some(re) => {
                    let re = regex::Regex::new(re)
                        .map_err(|e| cerr(p, format!("cannot compile path_regex {re:?}: {e}")))?;
                    if re.is_match(&rel) {
                        chosen = Some(r);
                        break;
                    }
                }
            }
        }
        let r = chosen.ok_or_else(|| cerr(p, "no matching creation rules found"))?;
        let mut opts = EncryptOptions {
            store: self.store_options(),
            ..Default::default()
        };
        match r.get("key_groups") {
            Some(Y::Seq(groups)) if !groups.is_empty() => {
                for g in groups {
                    opts.key_groups.push(group_from(g, p)?);
                }
                opts.grouped = true;
            }
            _ => opts.key_groups.push(group_from(r, p)?),
        }
        if let Some(t) = scalar(r.get("shamir_threshold")) {
            opts.shamir_threshold = t
                .parse()
                .map_err(|_| cerr(p, format!("shamir_threshold is not a number: {t}")))?;
        }
        let sel = |k: &str| scalar(r.get(k)).filter(|s| !s.is_empty());
        opts.selectors = Selectors {
            unencrypted_suffix: sel("unencrypted_suffix"),
            encrypted_suffix: sel("encrypted_suffix"),
            unencrypted_regex: sel("unencrypted_regex"),
            encrypted_regex: sel("encrypted_regex"),
            unencrypted_comment_regex: sel("unencrypted_comment_regex"),
            encrypted_comment_regex: sel("encrypted_comment_regex"),
        };
        if opts.selectors.count() > 1 {
            return Err(cerr(
                p,
                "only one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, \
                 encrypted_regex, unencrypted_comment_regex, encrypted_comment_regex may be set",
            ));
        }
        opts.mac_only_encrypted = matches!(r.get("mac_only_encrypted"), Some(Y::Bool(true)));
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flux_rules() {
        let text = r#"
creation_rules:
  - path_regex: (inside|pgp)\.yaml$
    encrypted_regex: &encrypted_regex ^(data|stringData)$
    pgp: &pgp 35C1A64CD7FC0AB6EB66756B2445463C3234ECE1
  - path_regex: \.yaml$
    encrypted_regex: *encrypted_regex
    age: age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29, age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph
  - key_groups:
      - age:
          - age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29
      - pgp:
          - *pgp
    shamir_threshold: 2
"#;
        let c = Config::parse(text, Path::new("/repo/.sops.yaml")).unwrap();
        let r = c.rule_for(Path::new("/repo/x/pgp.yaml")).unwrap();
        assert_eq!(r.key_groups[0].pgp.len(), 1);
        let r = c.rule_for(Path::new("/repo/x/a.yaml")).unwrap();
        assert_eq!(r.key_groups[0].age.len(), 2);
        assert_eq!(
            r.selectors.encrypted_regex.as_deref(),
            Some("^(data|stringData)$")
        );
        let r = c.rule_for(Path::new("/repo/x/a.env")).unwrap();
        assert_eq!(r.key_groups.len(), 2);
        assert_eq!(r.shamir_threshold, 2);
    }
}

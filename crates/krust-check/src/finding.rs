//! Findings: what a rule reports, and how severe it is.

use std::fmt;
use std::path::PathBuf;

/// How severe a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Inventory and hints; never fails a run unless `--fail-on info`.
    Info,
    /// Likely to hurt (security, reproducibility), but the cluster still reconciles.
    Warning,
    /// The cluster will not reconcile as written (or a secret is exposed).
    Error,
}

impl Severity {
    /// The lower-case name used in config files, flags and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parses `info`, `warning` (or `warn`) and `error`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" | "note" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The object a finding concerns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace` (empty when unset or cluster-scoped).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One problem found by a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's stable code, e.g. `KR-SEC-001`.
    pub code: &'static str,
    /// Severity after config overrides.
    pub severity: Severity,
    /// One line saying what is wrong (and, where short, how to fix it).
    pub message: String,
    /// The file, relative to the checked root when possible.
    pub file: PathBuf,
    /// 1-based line of the object's document (0 when unknown, e.g. generated objects).
    pub line: usize,
    /// The object concerned, if any.
    pub object: Option<ObjectRef>,
    /// The Flux Kustomization (`namespace/name`) or Argo CD Application applying the object.
    pub origin: Option<String>,
    /// The field concerned, as a path (`spec.template.spec.containers[0].image`).
    pub field: Option<String>,
    /// Suppressed by the object's `krust.dev/ignore` annotation (dropped from reports).
    pub suppressed: bool,
}

impl Finding {
    /// A key that orders findings by file, line, code, then message.
    pub fn sort_key(&self) -> (PathBuf, usize, &'static str, String, String) {
        (
            self.file.clone(),
            self.line,
            self.code,
            self.object
                .as_ref()
                .map(|o| o.to_string())
                .unwrap_or_default(),
            self.message.clone(),
        )
    }
}

//! krust-check: one offline pass over a GitOps repository that finds what wedges a cluster —
//! schema errors, exposed secrets, floating images, broken ordering, substitution traps, workload
//! policy, network mistakes and removed APIs.
//!
//! The shape follows ruff: one rule per file under `rules/<family>/`, each declared with
//! [`declare_rule!`] so that its doc comment is the text `krust check --explain CODE` prints;
//! stable codes (`KR-SEC-001`); selection by code or prefix in `krust.toml` ([`config`]); output
//! as human text, JSON, SARIF 2.1.0 or GitHub annotations ([`output`]).
//!
//! ```no_run
//! use krust_check::{check, config::Config, input};
//! let input = input::load("clusters/prod".as_ref())?;
//! let report = check(&input, &Config::default(), &Default::default())?;
//! for f in &report.findings {
//!     println!("{}:{} {} {}", f.file.display(), f.line, f.code, f.message);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod config;
pub mod context;
pub mod finding;
pub mod input;
pub mod location;
pub mod output;
pub mod registry;
pub mod rules;
pub mod schema;
pub mod util;

use rayon::prelude::*;

pub use config::Config;
pub use context::Context;
pub use finding::{Finding, ObjectRef, Severity};
pub use input::{CheckInput, CheckedObject, InputKind};
pub use registry::{all_rules, Rule, RuleMeta};

/// Run-time options that are not part of `krust.toml` (they override it when set).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Target Kubernetes version (`1.33`); default: the config's, else 1.33.
    pub kube_version: Option<String>,
    /// Strict schema validation; default: the config's, else true.
    pub strict: Option<bool>,
}

/// Why a run could not happen.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The schema bundle for the version is missing.
    #[error(transparent)]
    Schema(#[from] schema::BundleError),
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Findings, sorted by file, line and code; suppressed and excluded ones removed.
    pub findings: Vec<Finding>,
    /// Number of findings suppressed by annotations.
    pub suppressed: usize,
    /// Number of rules that ran.
    pub rules_run: usize,
    /// Number of objects checked.
    pub objects: usize,
    /// The Kubernetes version validated against.
    pub kube_version: String,
}

impl Report {
    /// Whether some finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }

    /// Counts of findings per severity: (errors, warnings, infos).
    pub fn counts(&self) -> (usize, usize, usize) {
        let c = |s| self.findings.iter().filter(|f| f.severity == s).count();
        (c(Severity::Error), c(Severity::Warning), c(Severity::Info))
    }
}

/// Runs every enabled rule over `input`, in parallel.
pub fn check(input: &CheckInput, config: &Config, options: &Options) -> Result<Report, CheckError> {
    let version = options
        .kube_version
        .clone()
        .or_else(|| config.kube_version.clone())
        .unwrap_or_else(|| schema::DEFAULT_KUBE_VERSION.to_string());
    let strict = options.strict.or(config.strict).unwrap_or(true);
    let schemas = schema::SchemaSet::load(&version, input.objects.iter().map(|o| &o.value))?;
    let ctx = Context::new(input, config, &schemas, strict);
    let rules: Vec<Box<dyn Rule>> = all_rules()
        .into_iter()
        .filter(|r| config.is_enabled(r.meta()))
        .collect();
    let mut findings: Vec<Finding> = rules
        .par_iter()
        .flat_map_iter(|r| {
            let mut out = Vec::new();
            r.check(&ctx, &mut out);
            out
        })
        .collect();
    let excludes: Vec<regex::Regex> = config
        .exclude
        .iter()
        .filter_map(|g| config::glob_regex(g))
        .collect();
    findings.retain(|f| {
        let p = f.file.to_string_lossy().replace('\\', "/");
        !excludes.iter().any(|re| re.is_match(&p))
    });
    let before = findings.len();
    findings.retain(|f| !f.suppressed);
    let suppressed = before - findings.len();
    // The key allocates: compute it once per finding, not once per comparison.
    findings.sort_by_cached_key(Finding::sort_key);
    findings.dedup();
    Ok(Report {
        findings,
        suppressed,
        rules_run: rules.len(),
        objects: input.objects.len(),
        kube_version: schemas.version.clone(),
    })
}

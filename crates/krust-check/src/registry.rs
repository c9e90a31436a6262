//! The rule registry: every rule's stable code, default severity and explanation.
//!
//! Rules are declared with [`declare_rule!`]: the doc comment on the rule's struct *is* the
//! text `krust check --explain CODE` prints, so code and documentation cannot drift apart.

use crate::context::Context;
use crate::finding::{Finding, Severity};

/// The family a rule belongs to (the middle part of its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// `KR-SCH`: schema validation.
    Schema,
    /// `KR-SEC`: secrets.
    Secrets,
    /// `KR-IMG`: images and versions.
    Images,
    /// `KR-ORD`: reconciliation ordering.
    Ordering,
    /// `KR-SUB`: Flux postBuild substitution.
    Substitution,
    /// `KR-POL`: workload policy.
    Policy,
    /// `KR-NET`: network.
    Network,
    /// `KR-API`: deprecated and removed APIs.
    Api,
}

impl Family {
    /// The human name of the family.
    pub fn title(self) -> &'static str {
        match self {
            Family::Schema => "schema",
            Family::Secrets => "secrets",
            Family::Images => "images and versions",
            Family::Ordering => "ordering",
            Family::Substitution => "substitution",
            Family::Policy => "workload policy",
            Family::Network => "network",
            Family::Api => "deprecated and removed APIs",
        }
    }
}

/// Static facts about a rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// Stable code, e.g. `KR-SEC-001`. Never reused for another meaning.
    pub code: &'static str,
    /// Short kebab-case name, e.g. `plain-secret`.
    pub name: &'static str,
    /// The family.
    pub family: Family,
    /// Severity unless the config overrides it.
    pub severity: Severity,
    /// Whether the rule runs without being selected explicitly.
    pub default_enabled: bool,
    /// The rule's documentation (its doc comment): what it does, why, example, fix.
    pub doc: &'static str,
}

impl RuleMeta {
    /// The first sentence of the documentation (used by `--list-rules`).
    pub fn summary(&self) -> String {
        let text = self.explanation();
        let body = text
            .lines()
            .skip_while(|l| l.trim().is_empty() || l.starts_with('#'))
            .take_while(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        // The first sentence: a period followed by a space and a capital letter (so `e.g.`
        // and `1.25` do not end it).
        let bytes = body.as_bytes();
        for i in 0..bytes.len().saturating_sub(2) {
            if bytes[i] == b'.' && bytes[i + 1] == b' ' && bytes[i + 2].is_ascii_uppercase() {
                return body[..=i].to_string();
            }
        }
        body
    }

    /// The documentation with the one leading space of each doc line removed.
    pub fn explanation(&self) -> String {
        let mut out = String::new();
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string() + "\n"
    }
}

/// A check over the whole input. Rules are read-only and run in parallel.
pub trait Rule: Send + Sync {
    /// The rule's static facts.
    fn meta(&self) -> &'static RuleMeta;
    /// Runs the rule, pushing findings (built with [`Context::finding`] and friends).
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Declares a rule struct whose doc comment becomes its `--explain` text.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            code: $code:literal,
            name: $rname:literal,
            family: $family:ident,
            severity: $sev:ident,
            enabled: $en:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $name;

        impl $name {
            /// The rule's static facts.
            pub const META: $crate::registry::RuleMeta = $crate::registry::RuleMeta {
                code: $code,
                name: $rname,
                family: $crate::registry::Family::$family,
                severity: $crate::finding::Severity::$sev,
                default_enabled: $en,
                doc: concat!($($doc, "\n"),*),
            };
        }
    };
}

/// Every rule, in code order.
pub fn all_rules() -> Vec<Box<dyn Rule>> {
    let mut rules = crate::rules::all();
    rules.sort_by_key(|r| r.meta().code);
    rules
}

/// The metadata of every rule, sorted by code (built once).
pub fn all_metas() -> &'static [&'static RuleMeta] {
    static METAS: std::sync::OnceLock<Vec<&'static RuleMeta>> = std::sync::OnceLock::new();
    METAS.get_or_init(|| all_rules().iter().map(|r| r.meta()).collect())
}

/// Looks a rule up by code (case-insensitive) or name.
pub fn find_rule(code: &str) -> Option<&'static RuleMeta> {
    all_metas()
        .iter()
        .copied()
        .find(|m| m.code.eq_ignore_ascii_case(code) || m.name == code)
}

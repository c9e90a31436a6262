use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports `.sops.yaml` creation rules whose `path_regex` matches no file in the
    /// repository (the regex is matched, unanchored, against paths relative to the
    /// `.sops.yaml`'s directory).
    ///
    /// ## Why is this bad?
    /// A rule that matches nothing is usually a typo (`secrets/.*\.yml` when the files end in
    /// `.yaml`) — and then a *later* rule, or none, decides which keys encrypt new files, so
    /// secrets end up encrypted for the wrong recipients or not encryptable at all.
    ///
    /// ## Example
    /// ```yaml
    /// creation_rules:
    ///   - path_regex: cluster/.*\.sops\.yaml$   # the directory is `clusters/`
    /// ```
    ///
    /// ## Use instead
    /// Fix the regex so that it matches the files it is meant for, or delete the rule.
    pub struct SopsRuleUnused {
        code: "KR-SEC-005",
        name: "sops-rule-matches-nothing",
        family: Secrets,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for SopsRuleUnused {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in ctx.input.files.iter().filter(|f| {
            f.path
                .file_name()
                .is_some_and(|n| n == ".sops.yaml" || n == ".sops.yml")
        }) {
            let dir = cfg.path.parent().unwrap_or(std::path::Path::new(""));
            let Some(doc) = cfg.documents.first() else {
                continue;
            };
            for (i, re) in super::creation_rules(&doc.value) {
                let Some(re) = re else { continue };
                let Ok(rx) = regex::Regex::new(&re) else {
                    out.push(ctx.file_finding(
                        &Self::META,
                        &cfg.path,
                        doc.line,
                        format!("creation_rules[{i}].path_regex `{re}` is not a valid regex"),
                    ));
                    continue;
                };
                let matched = ctx.input.files.iter().any(|f| {
                    f.path
                        .strip_prefix(dir)
                        .is_ok_and(|p| rx.is_match(&p.to_string_lossy()))
                        && f.path != cfg.path
                });
                if !matched {
                    out.push(ctx.file_finding(
                        &Self::META,
                        &cfg.path,
                        doc.line,
                        format!("creation_rules[{i}].path_regex `{re}` matches no file in the repository"),
                    ));
                }
            }
        }
    }
}

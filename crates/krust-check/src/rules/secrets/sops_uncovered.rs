use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports SOPS-encrypted files that no `.sops.yaml` creation rule covers (no rule's
    /// `path_regex` matches the path and there is no catch-all rule), when the repository has
    /// a `.sops.yaml`.
    ///
    /// ## Why is this bad?
    /// `sops updatekeys` and re-encryption after a key rotation skip such files (or fail with
    /// `no matching creation rules found`), so they keep the old recipients; editing them
    /// needs the exact original command line.
    ///
    /// ## Example
    /// A file `apps/db/secret.enc.yaml` with `creation_rules: [{path_regex: \.sops\.yaml$}]`.
    ///
    /// ## Use instead
    /// Rename the file to match the convention (`secret.sops.yaml`) or add a rule for it.
    pub struct SopsUncovered {
        code: "KR-SEC-006",
        name: "sops-file-not-covered",
        family: Secrets,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for SopsUncovered {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let configs: Vec<_> = ctx
            .input
            .files
            .iter()
            .filter(|f| {
                f.path
                    .file_name()
                    .is_some_and(|n| n == ".sops.yaml" || n == ".sops.yml")
            })
            .collect();
        if configs.is_empty() {
            return;
        }
        for f in ctx.input.files.iter().filter(|f| f.sops) {
            // The nearest .sops.yaml above the file decides, as sops looks upwards.
            let Some(cfg) = configs
                .iter()
                .filter(|c| {
                    f.path
                        .starts_with(c.path.parent().unwrap_or(std::path::Path::new("")))
                })
                .max_by_key(|c| c.path.components().count())
            else {
                continue;
            };
            let dir = cfg.path.parent().unwrap_or(std::path::Path::new(""));
            let rel = f
                .path
                .strip_prefix(dir)
                .unwrap_or(&f.path)
                .to_string_lossy();
            let Some(doc) = cfg.documents.first() else {
                continue;
            };
            let covered = super::creation_rules(&doc.value)
                .iter()
                .any(|(_, re)| match re {
                    None => true,
                    Some(re) => regex::Regex::new(re).is_ok_and(|rx| rx.is_match(&rel)),
                });
            if !covered {
                out.push(ctx.file_finding(
                    &Self::META,
                    &f.path,
                    0,
                    format!(
                        "SOPS-encrypted file matches no creation rule of {}",
                        cfg.path.display()
                    ),
                ));
            }
        }
    }
}

use std::path::Path;

use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports `secretGenerator` entries in kustomization files that take their values from
    /// `literals`, or from `files`/`envs` that are not SOPS-encrypted.
    ///
    /// ## Why is this bad?
    /// The generated Secret's content sits in plain text in the repository; the generator only
    /// base64-encodes it at build time.
    ///
    /// ## Example
    /// ```yaml
    /// secretGenerator:
    ///   - name: grafana-admin
    ///     literals:
    ///       - admin-password=changeme
    /// ```
    ///
    /// ## Use instead
    /// Point the generator at a SOPS-encrypted file (`envs: [admin.sops.env]`; Flux decrypts
    /// generator sources when the Kustomization has `spec.decryption`), or use an
    /// ExternalSecret.
    pub struct SecretGeneratorLiteral {
        code: "KR-SEC-003",
        name: "secret-generator-literal",
        family: Secrets,
        severity: Error,
        enabled: true,
    }
}

impl Rule for SecretGeneratorLiteral {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for f in &ctx.input.files {
            let name = f.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !matches!(
                name,
                "kustomization.yaml" | "kustomization.yml" | "Kustomization"
            ) {
                continue;
            }
            let dir = f.path.parent().unwrap_or(Path::new(""));
            for doc in &f.documents {
                for g in doc
                    .value
                    .get("secretGenerator")
                    .and_then(Value::as_seq)
                    .into_iter()
                    .flatten()
                {
                    let gname = g.str_at(&["name"]).unwrap_or("?");
                    let literals: Vec<String> = g
                        .get("literals")
                        .and_then(Value::as_seq)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .filter(|l| {
                            let v = l.split_once('=').map(|(_, v)| v).unwrap_or("");
                            !v.is_empty() && !v.contains("${")
                        })
                        .map(|l| l.split_once('=').map(|(k, _)| k).unwrap_or(l).to_string())
                        .collect();
                    if !literals.is_empty() {
                        out.push(ctx.file_finding(
                            &Self::META,
                            &f.path,
                            doc.line,
                            format!(
                                "secretGenerator `{gname}` has plain-text literals ({})",
                                literals.join(", ")
                            ),
                        ));
                    }
                    for key in ["files", "envs", "env"] {
                        let items: Vec<&str> = match g.get(key) {
                            Some(Value::String(s)) => vec![s.as_str()],
                            Some(Value::Seq(s)) => s.iter().filter_map(Value::as_str).collect(),
                            _ => Vec::new(),
                        };
                        for item in items {
                            let file = item.split_once('=').map(|(_, p)| p).unwrap_or(item);
                            let p = dir.join(file);
                            let sops = ctx
                                .input
                                .files
                                .iter()
                                .find(|sf| sf.path == p)
                                .map(|sf| sf.sops)
                                .or_else(|| {
                                    std::fs::read_to_string(ctx.input.root.join(&p))
                                        .ok()
                                        .map(|t| t.contains("ENC[") && t.contains("sops"))
                                });
                            if sops == Some(false) {
                                out.push(ctx.file_finding(
                                    &Self::META,
                                    &f.path,
                                    doc.line,
                                    format!(
                                        "secretGenerator `{gname}` reads {} which is not SOPS-encrypted",
                                        p.display()
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
}

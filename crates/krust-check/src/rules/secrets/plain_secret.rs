use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports Secrets that carry `data` or `stringData` and are not SOPS-encrypted (no `sops`
    /// block with a MAC, values not `ENC[…]`).
    ///
    /// ## Why is this bad?
    /// Everything in a GitOps repository is readable by whoever can clone it, forever (Git
    /// history keeps it after you delete the file). base64 is an encoding, not encryption.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db}
    /// stringData:
    ///   password: hunter2
    /// ```
    ///
    /// ## Use instead
    /// Encrypt the file (`krust sops encrypt -i secret.yaml` or `sops -e -i`, with a
    /// `.sops.yaml` rule and `spec.decryption` on the Flux Kustomization), or replace it by an
    /// ExternalSecret / SealedSecret. Rotate the exposed credential.
    pub struct PlainSecret {
        code: "KR-SEC-001",
        name: "plain-secret",
        family: Secrets,
        severity: Error,
        enabled: true,
    }
}

impl Rule for PlainSecret {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for o in ctx.of_kind("Secret") {
            if util::api_version(&o.value) != "v1" || super::is_sops_object(&o.value) {
                continue;
            }
            let mut plain = Vec::new();
            for field in ["data", "stringData"] {
                if let Some(m) = o.value.get(field).and_then(Value::as_map) {
                    for (k, v) in m {
                        let text = v.scalar_text().unwrap_or_default();
                        if !text.is_empty() && !super::is_encrypted_value(&text) {
                            plain.push(k.as_str());
                        }
                    }
                }
            }
            if plain.is_empty() {
                continue;
            }
            plain.sort_unstable();
            out.push(ctx.finding(
                &Self::META,
                o,
                format!(
                    "Secret is committed unencrypted ({}); encrypt it with SOPS or use an ExternalSecret/SealedSecret",
                    plain.join(", ")
                ),
            ));
        }
    }
}

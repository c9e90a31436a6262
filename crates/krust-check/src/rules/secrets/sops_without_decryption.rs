use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports SOPS-encrypted objects applied by a Flux Kustomization that has no
    /// `spec.decryption` (provider `sops`).
    ///
    /// ## Why is this bad?
    /// Without decryption, kustomize-controller applies the encrypted document as is: the
    /// `sops` block is not a Secret field, so the apply fails (or, with a loose schema, the
    /// workload receives `ENC[AES256_GCM,…]` as its password).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// spec:
    ///   path: ./apps/db      # contains an encrypted secret.sops.yaml
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   decryption:
    ///     provider: sops
    ///     secretRef:
    ///       name: sops-age
    /// ```
    pub struct SopsWithoutDecryption {
        code: "KR-SEC-002",
        name: "sops-without-decryption",
        family: Secrets,
        severity: Error,
        enabled: true,
    }
}

impl Rule for SopsWithoutDecryption {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            if !super::is_sops_object(&o.value) {
                continue;
            }
            let Some(ks) = o.origin.as_deref().and_then(|id| ctx.flux_ks(id)) else {
                continue;
            };
            let provider = ks.object.value.str_at(&["spec", "decryption", "provider"]);
            if provider == Some("sops") {
                continue;
            }
            if util::annotation(&o.value, "kustomize.toolkit.fluxcd.io/decrypt")
                .is_some_and(|v| v.eq_ignore_ascii_case("disabled"))
            {
                continue;
            }
            out.push(ctx.finding(
                &Self::META,
                o,
                format!(
                    "SOPS-encrypted object is applied by Kustomization {} which has no `spec.decryption` (provider: sops)",
                    ks.id
                ),
            ));
        }
    }
}

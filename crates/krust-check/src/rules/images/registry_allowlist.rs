use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util::ImageRef;

declare_rule! {
    /// ## What it does
    /// When `[rules.KR-IMG-002] allowed-registries` is set, reports container images from any
    /// other registry. Entries are prefixes of `registry/repository`
    /// (`ghcr.io`, `docker.io/library`, `registry.example.com/team/`). Without the option the
    /// rule does nothing.
    ///
    /// ## Why is this bad?
    /// Images from arbitrary registries bypass whatever scanning, mirroring and signing policy
    /// the cluster relies on, and a registry outage or rate limit (Docker Hub) stops rollouts.
    ///
    /// ## Example
    /// ```toml
    /// [rules.KR-IMG-002]
    /// allowed-registries = ["ghcr.io", "registry.k8s.io"]
    /// ```
    /// then `image: docker.io/bitnami/redis:7.2` is reported.
    ///
    /// ## Use instead
    /// Pull through an allowed registry or mirror, or extend the allowlist.
    pub struct RegistryAllowlist {
        code: "KR-IMG-002",
        name: "registry-not-allowed",
        family: Images,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for RegistryAllowlist {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let allowed = ctx
            .config
            .option_strings(Self::META.code, "allowed-registries");
        if allowed.is_empty() {
            return;
        }
        for o in super::each_object(ctx) {
            for (field, cname, _, image) in super::images(o) {
                if image.contains('$') {
                    continue;
                }
                let r = ImageRef::parse(image);
                let full = format!("{}/{}", r.registry, r.repository);
                if !allowed.iter().any(|a| full.starts_with(a.as_str())) {
                    out.push(ctx.field_finding(
                        &Self::META,
                        o,
                        field,
                        format!(
                            "image `{image}` of container `{cname}` comes from {}, which is not an allowed registry",
                            r.registry
                        ),
                    ));
                }
            }
        }
    }
}

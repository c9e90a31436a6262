use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util::ImageRef;

declare_rule! {
    /// ## What it does
    /// Reports container images with no tag or the `latest` tag (and no digest).
    ///
    /// ## Why is this bad?
    /// The image that runs depends on when a node last pulled it: two replicas can run
    /// different code, a rollback does not roll anything back, and a reschedule after a
    /// breaking upstream release takes the workload down without any change in Git.
    ///
    /// ## Example
    /// ```yaml
    /// image: ghcr.io/example/app:latest
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// image: ghcr.io/example/app:1.4.2   # or @sha256:…; let Renovate/Flux image automation bump it
    /// ```
    pub struct ImageLatest {
        code: "KR-IMG-001",
        name: "image-not-pinned",
        family: Images,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for ImageLatest {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for o in super::each_object(ctx) {
            for (field, cname, _, image) in super::images(o) {
                if image.contains('$') {
                    continue;
                }
                let r = ImageRef::parse(image);
                if r.is_floating() {
                    let why = if r.tag.is_none() {
                        "has no tag"
                    } else {
                        "uses `latest`"
                    };
                    out.push(ctx.field_finding(
                        &Self::META,
                        o,
                        field,
                        format!(
                            "image `{image}` of container `{cname}` {why}; pin a version or digest"
                        ),
                    ));
                }
            }
        }
    }
}

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util::ImageRef;

declare_rule! {
    /// ## What it does
    /// Reports containers with `imagePullPolicy: Always` whose image has a mutable tag (none,
    /// `latest`, `main`, `master`, `stable`, `edge`, `dev`, `nightly`) and no digest.
    ///
    /// ## Why is this bad?
    /// Every restart, eviction or node drain silently deploys whatever the tag points to now:
    /// the cluster changes without a commit, and a registry outage keeps pods from starting.
    ///
    /// ## Example
    /// ```yaml
    /// image: ghcr.io/example/app:main
    /// imagePullPolicy: Always
    /// ```
    ///
    /// ## Use instead
    /// Pin an immutable tag or digest (then `IfNotPresent` is enough) and let image automation
    /// commit the bumps.
    pub struct PullAlwaysMutable {
        code: "KR-IMG-004",
        name: "pull-always-mutable-tag",
        family: Images,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for PullAlwaysMutable {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for o in super::each_object(ctx) {
            for (field, cname, c, image) in super::images(o) {
                if c.str_at(&["imagePullPolicy"]) != Some("Always") || image.contains('$') {
                    continue;
                }
                if ImageRef::parse(image).is_mutable() {
                    out.push(ctx.field_finding(
                        &Self::META,
                        o,
                        field.replace(".image", ".imagePullPolicy"),
                        format!(
                            "container `{cname}` pulls mutable image `{image}` with imagePullPolicy: Always"
                        ),
                    ));
                }
            }
        }
    }
}

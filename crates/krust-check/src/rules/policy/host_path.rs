use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports pod volumes of type `hostPath`.
    ///
    /// ## Why is this bad?
    /// A hostPath volume ties the pod to one node's filesystem (data is lost or diverges when
    /// it is rescheduled) and exposes host files to the container. Kyverno's
    /// `disallow-host-path` rejects it.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: data
    ///     hostPath: {path: /srv/data}
    /// ```
    ///
    /// ## Use instead
    /// A PersistentVolumeClaim (k3s ships the `local-path` storage class), or an explicit
    /// exemption with `krust.dev/ignore: KR-POL-002` for node agents.
    pub struct HostPath {
        code: "KR-POL-002",
        name: "host-path-volume",
        family: Policy,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for HostPath {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            let Some((spec, base)) = util::pod_spec(&o.value) else {
                continue;
            };
            for (i, vol) in spec
                .get("volumes")
                .and_then(Value::as_seq)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(hp) = vol.get("hostPath").filter(|h| !h.is_null()) {
                    out.push(ctx.field_finding(
                        &Self::META,
                        o,
                        format!("{base}.volumes[{i}].hostPath"),
                        format!(
                            "volume `{}` mounts host path {}",
                            vol.str_at(&["name"]).unwrap_or("?"),
                            hp.str_at(&["path"]).unwrap_or("?")
                        ),
                    ));
                }
            }
        }
    }
}

use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Lists what is exposed on the nodes themselves: Services of type `NodePort` or
    /// `LoadBalancer` (with their node ports), pods with `hostNetwork: true`, and containers
    /// with a `hostPort`. Opt-in (`--extend-select KR-NET-007`), severity `info`.
    ///
    /// ## Why is this bad?
    /// It is not necessarily bad; it is the inventory to review: each entry is reachable from
    /// outside the cluster network (on k3s, ServiceLB turns LoadBalancers into host ports on
    /// every node) and bypasses the ingress controller's TLS and auth.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   type: NodePort
    ///   ports: [{port: 80, nodePort: 30080}]
    /// ```
    ///
    /// ## Use instead
    /// Route through the ingress controller where possible; keep the rest deliberate.
    pub struct ExposureInventory {
        code: "KR-NET-007",
        name: "node-exposure-inventory",
        family: Network,
        severity: Info,
        enabled: false,
    }
}

impl Rule for ExposureInventory {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            let v = &o.value;
            if util::kind(v) == "Service" {
                let ty = v.str_at(&["spec", "type"]).unwrap_or("ClusterIP");
                if ty == "NodePort" || ty == "LoadBalancer" {
                    let ports: Vec<String> = v
                        .get_path(&["spec", "ports"])
                        .and_then(Value::as_seq)
                        .into_iter()
                        .flatten()
                        .map(|p| {
                            let port = p
                                .get("port")
                                .and_then(Value::scalar_text)
                                .unwrap_or_default();
                            match p.get("nodePort").and_then(Value::scalar_text) {
                                Some(np) => format!("{port}→node:{np}"),
                                None => port,
                            }
                        })
                        .collect();
                    out.push(ctx.finding(
                        &Self::META,
                        o,
                        format!("{ty} Service exposes {}", ports.join(", ")),
                    ));
                }
            }
            if let Some((spec, base)) = util::pod_spec(v) {
                if spec.get("hostNetwork") == Some(&Value::Bool(true)) {
                    out.push(ctx.field_finding(
                        &Self::META,
                        o,
                        format!("{base}.hostNetwork"),
                        "pod uses the host network",
                    ));
                }
                for (list, i, c) in util::containers(spec) {
                    for p in c.get("ports").and_then(Value::as_seq).into_iter().flatten() {
                        if let Some(hp) = p.get("hostPort").and_then(Value::scalar_text) {
                            out.push(ctx.field_finding(
                                &Self::META,
                                o,
                                format!("{base}.{list}[{i}].ports"),
                                format!(
                                    "container `{}` binds host port {hp}",
                                    c.str_at(&["name"]).unwrap_or("?")
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
}

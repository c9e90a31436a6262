use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports Traefik IngressRoute / IngressRouteTCP services (`spec.routes[].services[]`,
    /// `traefik.io` and the old `traefik.containo.us` group) naming a Kubernetes Service that
    /// does not exist, or a port it does not expose. `TraefikService` references and
    /// namespaces where Helm charts create Services krust cannot see are skipped.
    ///
    /// ## Why is this bad?
    /// Traefik drops the whole router (`the service "x" does not exist`) and the host answers
    /// 404 — k3s ships Traefik, so this is the most common ingress in the seeds.
    ///
    /// ## Example
    /// ```yaml
    /// routes:
    ///   - match: Host(`grafana.example.com`)
    ///     services:
    ///       - name: grafana
    ///         port: 80          # the Service listens on 3000
    /// ```
    ///
    /// ## Use instead
    /// Name the Service and one of its ports (number or name).
    pub struct IngressRouteBackendMissing {
        code: "KR-NET-005",
        name: "ingressroute-backend-missing",
        family: Network,
        severity: Error,
        enabled: true,
    }
}

impl Rule for IngressRouteBackendMissing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let opaque = super::opaque_namespaces(ctx);
        for kind in ["IngressRoute", "IngressRouteTCP"] {
            for o in ctx.of_kind(kind) {
                let group = util::group(util::api_version(&o.value));
                if group != "traefik.io" && group != "traefik.containo.us" {
                    continue;
                }
                let own_ns = ctx.effective_namespace(o);
                for (i, r) in o
                    .value
                    .get_path(&["spec", "routes"])
                    .and_then(Value::as_seq)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    for (j, s) in r
                        .get("services")
                        .and_then(Value::as_seq)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        if s.str_at(&["kind"]).is_some_and(|k| k != "Service") {
                            continue;
                        }
                        let name = s.str_at(&["name"]).unwrap_or("");
                        let ns = s
                            .str_at(&["namespace"])
                            .map(str::to_string)
                            .unwrap_or_else(|| own_ns.clone());
                        let port = s.get("port").unwrap_or(&Value::Null);
                        let field = format!("spec.routes[{i}].services[{j}]");
                        match super::service_has_port(ctx, &ns, name, port) {
                            super::PortLookup::NoService if !opaque.contains(&ns) => {
                                out.push(ctx.field_finding(
                                    &Self::META,
                                    o,
                                    field,
                                    format!("service `{ns}/{name}` does not exist"),
                                ))
                            }
                            super::PortLookup::NoPort => out.push(ctx.field_finding(
                                &Self::META,
                                o,
                                field,
                                format!(
                                    "service `{ns}/{name}` has no port {}",
                                    port.scalar_text().unwrap_or_default()
                                ),
                            )),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}

use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports Ingress backends (`spec.rules[].http.paths[].backend.service`,
    /// `spec.defaultBackend.service`) naming a Service that does not exist in the Ingress's
    /// namespace, or a port (number or name) the Service does not expose. Namespaces where
    /// Helm charts create Services krust cannot see are skipped for missing Services.
    ///
    /// ## Why is this bad?
    /// The ingress controller answers 404/503 for that host and path; Traefik logs
    /// `service not found` and nothing in Flux turns red.
    ///
    /// ## Example
    /// ```yaml
    /// backend:
    ///   service:
    ///     name: grafana
    ///     port: {number: 80}      # the Service listens on 3000
    /// ```
    ///
    /// ## Use instead
    /// Name the Service and one of its `spec.ports` (by `number` or `name`).
    pub struct BackendMissing {
        code: "KR-NET-004",
        name: "ingress-backend-missing",
        family: Network,
        severity: Error,
        enabled: true,
    }
}

impl Rule for BackendMissing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let opaque = super::opaque_namespaces(ctx);
        for o in ctx.of_kind("Ingress") {
            if util::api_version(&o.value) != "networking.k8s.io/v1" {
                continue;
            }
            let ns = ctx.effective_namespace(o);
            let mut backends: Vec<(String, &Value)> = Vec::new();
            if let Some(b) = o.value.get_path(&["spec", "defaultBackend", "service"]) {
                backends.push(("spec.defaultBackend.service".into(), b));
            }
            for (i, r) in o
                .value
                .get_path(&["spec", "rules"])
                .and_then(Value::as_seq)
                .into_iter()
                .flatten()
                .enumerate()
            {
                for (j, p) in r
                    .get_path(&["http", "paths"])
                    .and_then(Value::as_seq)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if let Some(b) = p.get_path(&["backend", "service"]) {
                        backends.push((
                            format!("spec.rules[{i}].http.paths[{j}].backend.service"),
                            b,
                        ));
                    }
                }
            }
            for (field, b) in backends {
                let name = b.str_at(&["name"]).unwrap_or("");
                let port = b
                    .get_path(&["port", "number"])
                    .or_else(|| b.get_path(&["port", "name"]))
                    .unwrap_or(&Value::Null);
                match super::service_has_port(ctx, &ns, name, port) {
                    super::PortLookup::NoService if !opaque.contains(&ns) => {
                        out.push(ctx.field_finding(
                            &Self::META,
                            o,
                            field,
                            format!("backend Service `{ns}/{name}` does not exist"),
                        ))
                    }
                    super::PortLookup::NoPort => out.push(ctx.field_finding(
                        &Self::META,
                        o,
                        field,
                        format!(
                            "backend Service `{ns}/{name}` has no port {}",
                            port.scalar_text().unwrap_or_default()
                        ),
                    )),
                    _ => {}
                }
            }
        }
    }
}

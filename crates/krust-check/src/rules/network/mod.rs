//! `KR-NET`: network policies, services, ingresses.

pub mod backend_missing;
pub mod default_deny_dns;
pub mod exposure_inventory;
pub mod ingressroute_backend_missing;
pub mod linkerd_port;
pub mod policy_selects_nothing;
pub mod service_selects_nothing;

use std::collections::BTreeSet;

use krust_yaml::{Mapping, Value};

use crate::context::Context;
use crate::util;
use crate::CheckedObject;

/// Pod labels of every workload, by namespace (computed once per rule).
pub fn pods_by_namespace<'a>(
    ctx: &'a Context<'a>,
) -> std::collections::HashMap<String, Vec<Option<&'a Mapping>>> {
    let mut out: std::collections::HashMap<String, Vec<Option<&'a Mapping>>> =
        std::collections::HashMap::new();
    for (_, o) in ctx.objects() {
        if util::pod_spec(&o.value).is_some() {
            out.entry(ctx.effective_namespace(o))
                .or_default()
                .push(util::pod_labels(&o.value));
        }
    }
    out
}

/// Namespaces where something krust cannot render creates pods and services (Helm charts,
/// Argo CD Applications): selectors there may match objects krust does not see.
pub fn opaque_namespaces(ctx: &Context<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for kind in ["HelmRelease", "HelmChart", "Application"] {
        for o in ctx.of_kind(kind) {
            let target = o
                .value
                .str_at(&["spec", "targetNamespace"])
                .or_else(|| o.value.str_at(&["spec", "destination", "namespace"]))
                .map(str::to_string)
                .unwrap_or_else(|| ctx.effective_namespace(o));
            out.insert(target);
        }
    }
    out
}

/// True for a selector that selects every pod (`{}` or absent).
pub fn selects_all(sel: Option<&Value>) -> bool {
    match sel {
        None | Some(Value::Null) => true,
        Some(v) => {
            v.get("matchLabels")
                .and_then(Value::as_map)
                .is_none_or(|m| m.is_empty())
                && v.get("matchExpressions")
                    .and_then(Value::as_seq)
                    .is_none_or(|m| m.is_empty())
        }
    }
}

/// Whether the policy declares the direction (`Ingress`/`Egress`) in `policyTypes` (or, when
/// absent, has rules for it; Ingress is always implied).
pub fn has_type(np: &Value, dir: &str) -> bool {
    match np
        .get_path(&["spec", "policyTypes"])
        .and_then(Value::as_seq)
    {
        Some(types) => types.iter().any(|t| t.as_str() == Some(dir)),
        None => dir == "Ingress" || np.get_path(&["spec", "egress"]).is_some(),
    }
}

/// The rules of one direction (`ingress`/`egress`).
pub fn rules<'a>(np: &'a Value, key: &str) -> &'a [Value] {
    np.get_path(&["spec", key])
        .and_then(Value::as_seq)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A policy that selects every pod, declares `dir` and has no rule for it: default deny.
pub fn is_default_deny(np: &Value, dir: &str) -> bool {
    let key = if dir == "Egress" { "egress" } else { "ingress" };
    selects_all(np.get_path(&["spec", "podSelector"]))
        && has_type(np, dir)
        && rules(np, key).is_empty()
}

/// Whether a rule's `ports` allow `port`/`proto` (a rule without ports allows every port).
pub fn rule_allows_port(rule: &Value, port: i64, names: &[&str], proto: &str) -> bool {
    let Some(ports) = rule.get("ports").and_then(Value::as_seq) else {
        return true;
    };
    if ports.is_empty() {
        return true;
    }
    ports.iter().any(|p| {
        let pr = p.str_at(&["protocol"]).unwrap_or("TCP");
        if pr != proto {
            return false;
        }
        match p.get("port") {
            None | Some(Value::Null) => true,
            Some(Value::Int(n)) => {
                let end = match p.get("endPort") {
                    Some(Value::Int(e)) => *e,
                    _ => *n,
                };
                *n <= port && port <= end
            }
            Some(Value::String(s)) => names.contains(&s.as_str()) || s == &port.to_string(),
            _ => false,
        }
    })
}

/// The NetworkPolicies of a namespace.
pub fn policies_in<'a>(ctx: &'a Context<'a>, ns: &str) -> Vec<&'a CheckedObject> {
    ctx.of_kind("NetworkPolicy")
        .filter(|o| {
            util::group(util::api_version(&o.value)) == "networking.k8s.io"
                && ctx.effective_namespace(o) == ns
        })
        .collect()
}

/// The outcome of looking up a Service port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortLookup {
    /// The Service exposes the port.
    Found,
    /// The Service exists but has no such port.
    NoPort,
    /// No such Service.
    NoService,
}

/// Looks up a Service port by number or name.
pub fn service_has_port(ctx: &Context<'_>, ns: &str, name: &str, port: &Value) -> PortLookup {
    let svcs = ctx.find("Service", ns, name);
    let Some(svc) = svcs.first() else {
        return PortLookup::NoService;
    };
    let ports = svc
        .value
        .get_path(&["spec", "ports"])
        .and_then(Value::as_seq);
    let found = ports.into_iter().flatten().any(|p| match port {
        Value::Int(n) => p.get("port") == Some(&Value::Int(*n)),
        Value::String(s) => {
            p.str_at(&["name"]) == Some(s.as_str())
                || p.get("port").and_then(Value::scalar_text).as_deref() == Some(s.as_str())
        }
        Value::Null => true,
        _ => false,
    });
    if found {
        PortLookup::Found
    } else {
        PortLookup::NoPort
    }
}

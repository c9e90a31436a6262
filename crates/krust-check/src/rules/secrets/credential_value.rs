use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports credential-shaped values outside Secrets: keys named like a password, token,
    /// API key, client secret or private key with a literal value, and PEM private-key blocks —
    /// in ConfigMap data, container `env` values, Flux HelmRelease `spec.values`, Argo CD
    /// Application Helm values and k3s HelmChart `valuesContent`.
    ///
    /// ## Why is this bad?
    /// These values are stored in plain text in Git and in the cluster (ConfigMaps and Helm
    /// values are readable by far more people and tools than Secrets). Grafana admin passwords
    /// in HelmRelease values are the classic case.
    ///
    /// ## Example
    /// ```yaml
    /// kind: HelmRelease
    /// spec:
    ///   values:
    ///     adminPassword: changeme
    /// ```
    ///
    /// ## Use instead
    /// Keep the value in a SOPS-encrypted Secret and reference it: `valuesFrom` (Flux),
    /// `existingSecret`-style chart options, or `env[].valueFrom.secretKeyRef`.
    pub struct CredentialValue {
        code: "KR-SEC-004",
        name: "credential-in-plain-value",
        family: Secrets,
        severity: Error,
        enabled: true,
    }
}

fn scan(
    ctx: &Context<'_>,
    meta: &'static RuleMeta,
    o: &crate::CheckedObject,
    root: &Value,
    prefix: &str,
    out: &mut Vec<Finding>,
) {
    let mut path = prefix.to_string();
    let mut hits: Vec<(String, String)> = Vec::new();
    util::walk_strings(root, &mut path, &mut |p, s| {
        let key = p
            .rsplit('.')
            .next()
            .unwrap_or(p)
            .split('[')
            .next()
            .unwrap_or("");
        if super::has_private_key(s) {
            hits.push((p.to_string(), "contains a private key".into()));
        } else if super::is_credential_name(key) && super::is_credential_value(s) {
            hits.push((p.to_string(), "holds a plain-text credential".to_string()));
        }
    });
    for (p, what) in hits {
        out.push(ctx.field_finding(meta, o, p.clone(), format!("`{p}` {what}")));
    }
}

impl Rule for CredentialValue {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            let v = &o.value;
            let kind = util::kind(v);
            let group = util::group(util::api_version(v));
            match (kind, group) {
                ("ConfigMap", "") => {
                    if let Some(data) = v.get("data") {
                        scan(ctx, &Self::META, o, data, "data", out);
                    }
                }
                ("HelmRelease", "helm.toolkit.fluxcd.io") => {
                    if let Some(values) = v.get_path(&["spec", "values"]) {
                        scan(ctx, &Self::META, o, values, "spec.values", out);
                    }
                }
                ("HelmChart" | "HelmChartConfig", "helm.cattle.io") => {
                    if let Some(text) = v.str_at(&["spec", "valuesContent"]) {
                        if let Ok(values) = krust_yaml::parse_one(text) {
                            scan(ctx, &Self::META, o, &values, "spec.valuesContent", out);
                        }
                    }
                }
                ("Application", "argoproj.io") => {
                    if let Some(values) = v.get_path(&["spec", "source", "helm", "valuesObject"]) {
                        scan(
                            ctx,
                            &Self::META,
                            o,
                            values,
                            "spec.source.helm.valuesObject",
                            out,
                        );
                    }
                    if let Some(text) = v.str_at(&["spec", "source", "helm", "values"]) {
                        if let Ok(values) = krust_yaml::parse_one(text) {
                            scan(ctx, &Self::META, o, &values, "spec.source.helm.values", out);
                        }
                    }
                }
                _ => {}
            }
            if let Some((spec, base)) = util::pod_spec(v) {
                for (list, i, c) in util::containers(spec) {
                    for (j, e) in c
                        .get("env")
                        .and_then(Value::as_seq)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let name = e.str_at(&["name"]).unwrap_or("");
                        let Some(value) = e.get("value").and_then(Value::scalar_text) else {
                            continue;
                        };
                        if super::has_private_key(&value)
                            || (super::is_credential_name(name)
                                && super::is_credential_value(&value))
                        {
                            let field = format!("{base}.{list}[{i}].env[{j}].value");
                            out.push(ctx.field_finding(
                                &Self::META,
                                o,
                                field,
                                format!(
                                    "env {name} of container `{}` holds a plain-text credential; use valueFrom.secretKeyRef",
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

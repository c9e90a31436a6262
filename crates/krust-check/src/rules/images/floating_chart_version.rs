use krust_yaml::Value;

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// Reports chart versions that float: Flux HelmRelease `spec.chart.spec.version`, k3s
    /// HelmChart `spec.version`, and Argo CD Application `targetRevision` of Helm sources, when
    /// empty or a range/wildcard (`*`, `1.16.x`, `>=3.3.0`, `^2.0`, `2024.x`).
    ///
    /// ## Why is this bad?
    /// The render is not reproducible: the same commit installs a different chart whenever a
    /// new release appears, including major versions with breaking values changes. Nobody
    /// reviewed the upgrade, and a rollback in Git does not roll the chart back.
    ///
    /// ## Example
    /// ```yaml
    /// chart:
    ///   spec:
    ///     chart: cert-manager
    ///     version: "1.16.x"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     version: "1.16.2"   # Renovate can bump it in a reviewed PR
    /// ```
    pub struct FloatingChartVersion {
        code: "KR-IMG-003",
        name: "floating-chart-version",
        family: Images,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for FloatingChartVersion {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for (_, o) in ctx.objects() {
            let v = &o.value;
            match (util::kind(v), util::group(util::api_version(v))) {
                ("HelmRelease", "helm.toolkit.fluxcd.io") => {
                    let Some(spec) = v.get_path(&["spec", "chart", "spec"]) else {
                        continue;
                    };
                    let version = spec
                        .get("version")
                        .and_then(Value::scalar_text)
                        .unwrap_or_default();
                    let chart = spec.str_at(&["chart"]).unwrap_or("?");
                    // Charts from a GitRepository/Bucket take the version from Chart.yaml.
                    let from_helm_repo =
                        spec.str_at(&["sourceRef", "kind"]) == Some("HelmRepository");
                    if from_helm_repo && super::is_floating_version(&version) {
                        out.push(ctx.field_finding(
                            &Self::META,
                            o,
                            "spec.chart.spec.version",
                            if version.is_empty() {
                                format!("chart `{chart}` has no version: every new release is installed")
                            } else {
                                format!("chart `{chart}` version `{version}` floats; pin an exact version")
                            },
                        ));
                    }
                }
                ("HelmChart", "helm.cattle.io") => {
                    let version = v
                        .get_path(&["spec", "version"])
                        .and_then(Value::scalar_text)
                        .unwrap_or_default();
                    if v.str_at(&["spec", "chartContent"]).is_none()
                        && super::is_floating_version(&version)
                    {
                        out.push(ctx.field_finding(
                            &Self::META,
                            o,
                            "spec.version",
                            format!(
                                "HelmChart `{}` version `{version}` floats; pin an exact version",
                                v.str_at(&["spec", "chart"]).unwrap_or("?")
                            ),
                        ));
                    }
                }
                ("Application", "argoproj.io") => {
                    let mut sources: Vec<(String, &Value)> = Vec::new();
                    if let Some(s) = v.get_path(&["spec", "source"]) {
                        sources.push(("spec.source".into(), s));
                    }
                    for (i, s) in v
                        .get_path(&["spec", "sources"])
                        .and_then(Value::as_seq)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        sources.push((format!("spec.sources[{i}]"), s));
                    }
                    for (path, s) in sources {
                        let rev = s
                            .get("targetRevision")
                            .and_then(Value::scalar_text)
                            .unwrap_or_default();
                        let is_chart = s.str_at(&["chart"]).is_some();
                        let floating = if is_chart {
                            super::is_floating_version(&rev)
                        } else {
                            !rev.is_empty() && rev.contains(['*', '^', '~', '>', '<'])
                        };
                        if floating {
                            out.push(ctx.field_finding(
                                &Self::META,
                                o,
                                format!("{path}.targetRevision"),
                                format!("targetRevision `{rev}` floats; pin an exact version"),
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

use crate::context::Context;
use crate::declare_rule;
use crate::finding::Finding;
use crate::registry::{Rule, RuleMeta};
use crate::util;

declare_rule! {
    /// ## What it does
    /// When `[rules.KR-POL-005] labels` is set (e.g. `["app.kubernetes.io/name"]`), reports
    /// workloads (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, Pods) missing one of
    /// these labels on the object or its pod template. `kinds = [...]` widens it to other
    /// kinds. Without the option the rule does nothing.
    ///
    /// ## Why is this bad?
    /// Dashboards, NetworkPolicies, cost reports and Kyverno's `require-labels` policy rely on
    /// them; a workload without them is invisible or rejected.
    ///
    /// ## Example
    /// ```toml
    /// [rules.KR-POL-005]
    /// labels = ["app.kubernetes.io/name"]
    /// ```
    ///
    /// ## Use instead
    /// Add the labels (kustomize `labels:` with `includeTemplates: true` does it for a whole
    /// directory).
    pub struct RequiredLabels {
        code: "KR-POL-005",
        name: "missing-required-labels",
        family: Policy,
        severity: Warning,
        enabled: true,
    }
}

impl Rule for RequiredLabels {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let labels = ctx.config.option_strings(Self::META.code, "labels");
        if labels.is_empty() {
            return;
        }
        let kinds = ctx.config.option_strings(Self::META.code, "kinds");
        for (_, o) in ctx.objects() {
            let kind = util::kind(&o.value);
            let is_workload = util::pod_spec_path(kind).is_some();
            if !is_workload && !kinds.iter().any(|k| k == kind) {
                continue;
            }
            let tmpl = if is_workload && kind != "Pod" {
                util::pod_labels(&o.value)
            } else {
                None
            };
            let check_tmpl = is_workload && kind != "Pod";
            let missing: Vec<String> = labels
                .iter()
                .filter_map(|l| {
                    let on_obj = util::label(&o.value, l).is_some();
                    let on_tmpl = !check_tmpl || tmpl.and_then(|t| t.get(l.as_str())).is_some();
                    match (on_obj, on_tmpl) {
                        (true, true) => None,
                        (false, true) => Some(l.clone()),
                        (true, false) => Some(format!("{l} (on the pod template)")),
                        (false, false) => Some(format!("{l} (on the object and its pod template)")),
                    }
                })
                .collect();
            if !missing.is_empty() {
                out.push(ctx.finding(
                    &Self::META,
                    o,
                    format!("missing required label(s) {}", missing.join(", ")),
                ));
            }
        }
    }
}

//! The JSON format.

use serde_json::{json, Value};

use super::RunInfo;
use crate::Report;

/// One finding as JSON.
pub fn finding_json(f: &crate::Finding) -> Value {
    let name = crate::registry::find_rule(f.code)
        .map(|m| m.name)
        .unwrap_or("");
    json!({
        "code": f.code,
        "name": name,
        "severity": f.severity.as_str(),
        "message": f.message,
        "file": f.file.to_string_lossy().replace('\\', "/"),
        "line": f.line,
        "object": f.object.as_ref().map(|o| json!({
            "apiVersion": o.api_version,
            "kind": o.kind,
            "namespace": o.namespace,
            "name": o.name,
        })),
        "field": f.field,
        "origin": f.origin,
    })
}

/// Renders the report as a JSON document (pretty-printed, stable key order).
pub fn json(report: &Report, info: &RunInfo) -> String {
    let (e, w, i) = report.counts();
    let doc = json!({
        "input": info.input_kind,
        "kubeVersion": report.kube_version,
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "summary": {
            "objects": report.objects,
            "rules": report.rules_run,
            "errors": e,
            "warnings": w,
            "info": i,
            "suppressed": report.suppressed,
        },
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

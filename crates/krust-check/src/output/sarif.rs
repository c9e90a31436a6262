//! SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.

use serde_json::{json, Value};

use super::RunInfo;
use crate::registry::all_rules;
use crate::{Report, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Renders the report as a SARIF 2.1.0 log with one run; every rule is described in
/// `tool.driver.rules` (its explanation as help text).
pub fn sarif(report: &Report, info: &RunInfo) -> String {
    let rules = all_rules();
    let metas: Vec<_> = rules.iter().map(|r| r.meta()).collect();
    let rule_docs: Vec<Value> = metas
        .iter()
        .map(|m| {
            json!({
                "id": m.code,
                "name": m.name,
                "shortDescription": { "text": m.summary() },
                "fullDescription": { "text": m.summary() },
                "help": { "text": m.explanation(), "markdown": m.explanation() },
                "defaultConfiguration": { "level": level(m.severity), "enabled": m.default_enabled },
                "properties": { "tags": [m.family.title()] },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let idx = metas.iter().position(|m| m.code == f.code).unwrap_or(0);
            let mut physical = json!({
                "artifactLocation": {
                    "uri": f.file.to_string_lossy().replace('\\', "/"),
                    "uriBaseId": "%SRCROOT%",
                },
            });
            if f.line > 0 {
                physical["region"] = json!({ "startLine": f.line });
            }
            let mut location = json!({ "physicalLocation": physical });
            if let Some(o) = &f.object {
                location["logicalLocations"] = json!([{
                    "fullyQualifiedName": o.to_string(),
                    "kind": "object",
                }]);
            }
            let mut message = f.message.clone();
            if let Some(o) = &f.object {
                message.push_str(&format!(" [{o}]"));
            }
            json!({
                "ruleId": f.code,
                "ruleIndex": idx,
                "level": level(f.severity),
                "message": { "text": message },
                "locations": [location],
            })
        })
        .collect();
    let mut root = info.root.to_string_lossy().replace('\\', "/");
    if !root.ends_with('/') {
        root.push('/');
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "krust",
                    "version": info.tool_version,
                    "informationUri": "https://example.invalid/krust",
                    "rules": rule_docs,
                },
            },
            "originalUriBaseIds": { "%SRCROOT%": { "uri": format!("file://{root}") } },
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

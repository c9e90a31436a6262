//! The human format: `file:line: CODE severity: message [object]`, then a summary.

use std::fmt::Write;

use super::{location, RunInfo};
use crate::Report;

/// Renders findings one per line, with the object, field and origin, and a summary line.
pub fn human(report: &Report, info: &RunInfo) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = write!(
            out,
            "{}: {} {}: {}",
            location(f),
            f.code,
            f.severity,
            f.message
        );
        let mut extra = Vec::new();
        if let Some(o) = &f.object {
            extra.push(o.to_string());
        }
        if let Some(field) = &f.field {
            extra.push(field.clone());
        }
        if let Some(origin) = &f.origin {
            extra.push(format!("via {origin}"));
        }
        if !extra.is_empty() {
            let _ = write!(out, " [{}]", extra.join(", "));
        }
        out.push('\n');
    }
    let (e, w, i) = report.counts();
    let n = report.findings.len();
    if n > 0 {
        out.push('\n');
    }
    let _ = write!(
        out,
        "{} {} ({e} error{}, {w} warning{}, {i} info) in {} object{} of a {}; {} rules, Kubernetes {}",
        if n == 0 { "No".to_string() } else { n.to_string() },
        if n == 1 { "finding" } else { "findings" },
        if e == 1 { "" } else { "s" },
        if w == 1 { "" } else { "s" },
        report.objects,
        if report.objects == 1 { "" } else { "s" },
        if info.input_kind.is_empty() { "input" } else { &info.input_kind },
        report.rules_run,
        report.kube_version,
    );
    if report.suppressed > 0 {
        let _ = write!(out, "; {} suppressed by annotation", report.suppressed);
    }
    out.push('\n');
    if n > 0 {
        out.push_str(
            "Run `krust check --explain CODE` for what a rule checks and how to fix it.\n",
        );
    }
    out
}

//! GitHub Actions workflow commands: `::error file=…,line=…,title=…::message`.

use crate::{Report, Severity};

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation per finding (`error`, `warning` or `notice`).
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = vec![format!(
            "file={}",
            escape_property(&f.file.to_string_lossy().replace('\\', "/"))
        )];
        if f.line > 0 {
            props.push(format!("line={}", f.line));
        }
        props.push(format!("title={}", escape_property(f.code)));
        let mut msg = f.message.clone();
        if let Some(o) = &f.object {
            msg.push_str(&format!(" [{o}]"));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            escape_data(&msg)
        ));
    }
    out
}

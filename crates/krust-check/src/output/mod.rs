//! Report formats: human text, JSON, SARIF 2.1.0 and GitHub Actions annotations.

mod github;
mod human;
mod json;
mod sarif;

pub use github::github;
pub use human::human;
pub use json::json;
pub use sarif::sarif;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per finding and a summary.
    Human,
    /// A JSON document.
    Json,
    /// SARIF 2.1.0 (code scanning).
    Sarif,
    /// `::error file=…,line=…::…` workflow commands.
    Github,
}

impl Format {
    /// Parses `human`, `json`, `sarif` or `github`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "human" | "text" => Some(Format::Human),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "github" => Some(Format::Github),
            _ => None,
        }
    }
}

/// Where the report came from, for summaries and SARIF.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// What was checked (`GitOps repository`, …).
    pub input_kind: String,
    /// The checked root, absolute (SARIF `%SRCROOT%`).
    pub root: std::path::PathBuf,
    /// krust's version.
    pub tool_version: String,
}

/// Renders a report in `format`.
pub fn render(format: Format, report: &crate::Report, info: &RunInfo) -> String {
    match format {
        Format::Human => human(report, info),
        Format::Json => json(report, info),
        Format::Sarif => sarif(report, info),
        Format::Github => github(report),
    }
}

pub(crate) fn location(f: &crate::Finding) -> String {
    if f.line > 0 {
        format!("{}:{}", f.file.display(), f.line)
    } else {
        f.file.display().to_string()
    }
}

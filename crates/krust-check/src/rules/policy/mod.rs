//! `KR-POL`: workload policy (the seeds' Kyverno set, configurable).

pub mod host_namespaces;
pub mod host_path;
pub mod missing_resources;
pub mod privileged;
pub mod required_labels;
pub mod run_as_non_root;

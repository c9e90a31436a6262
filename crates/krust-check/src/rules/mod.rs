//! The rules, one file each, grouped by family (`KR-SCH`, `KR-SEC`, …).

pub mod api;
pub mod schema;

use crate::registry::Rule;

/// Every rule (unsorted; see [`crate::registry::all_rules`]).
pub fn all() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(schema::schema_violation::SchemaViolation),
        Box::new(schema::unknown_field::UnknownField),
        Box::new(schema::unknown_kind::UnknownKind),
        Box::new(schema::invalid_yaml::InvalidYaml),
        Box::new(schema::build_failed::BuildFailed),
        Box::new(api::removed_api::RemovedApi),
        Box::new(api::deprecated_api::DeprecatedApi),
        Box::new(api::flux_api::FluxApi),
    ]
}

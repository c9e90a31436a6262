//! `KR-SCH`: schema validation.

pub mod build_failed;
pub mod invalid_yaml;
pub mod schema_violation;
pub mod unknown_field;
pub mod unknown_kind;

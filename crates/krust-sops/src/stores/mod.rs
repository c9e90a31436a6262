//! File formats ("stores"): YAML, JSON, dotenv, INI and binary.

pub mod dotenv;
pub mod ini;
pub mod json;
pub mod yaml;

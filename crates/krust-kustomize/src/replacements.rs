//! The replacements transformer (`replacements:`).

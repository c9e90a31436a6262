//! krust-yaml: the YAML layer of krust.
//!
//! - [`parse_documents`] (or [`parse_bytes`] for raw file contents) reads a multi-document stream
//!   into [`Value`] trees, resolving scalars the way kustomize's YAML library does and reporting
//!   errors with line and column.
//! - [`emit::to_string`] prints a value byte-for-byte as `kustomize build` prints a resource;
//!   [`check_printable`] tells whether kustomize could print it at all.
//! - [`position::parse_positions`] (opt-in) gives the line and column of every key and item, for
//!   tools that point at a field.

pub mod emit;
pub mod parse;
pub mod position;
mod resolve;
pub mod timestamp;
pub mod value;

pub use emit::{
    check_printable, documents_to_string, emits_plain_on_one_line, to_string, write_document,
    EmitError,
};
pub use parse::{
    decode_text, parse_bytes, parse_bytes_with, parse_documents, parse_documents_with, parse_one,
    Document, ParseError, ParseOptions,
};
pub use value::{MapHasher, Mapping, Value};

/// Base64 as Go's `encoding/base64.StdEncoding` decodes it: standard alphabet, padding required,
/// non-zero bits in the last character tolerated (the `base64` crate rejects those by default).
pub const GO_STD_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical),
);

//! krust-yaml: the YAML layer of krust.
//!
//! - [`parse_documents`] (or [`parse_bytes`] for raw file contents) reads a multi-document stream
//!   into [`Value`] trees, resolving scalars the way kustomize's YAML library does and reporting
//!   errors with line and column.
//! - [`emit::to_string`] prints a value byte-for-byte as `kustomize build` prints a resource;
//!   [`check_printable`] tells whether kustomize could print it at all.

pub mod emit;
pub mod parse;
mod resolve;
pub mod timestamp;
pub mod value;

pub use emit::{check_printable, documents_to_string, to_string, write_document, EmitError};
pub use parse::{
    decode_text, parse_bytes, parse_bytes_with, parse_documents, parse_documents_with, parse_one,
    Document, ParseError, ParseOptions,
};
pub use value::{Mapping, Value};

//! krust-yaml: the YAML layer of krust.
//!
//! - [`parse_documents`] reads a multi-document stream into [`Value`] trees, resolving scalars the
//!   way kustomize's YAML library does and reporting errors with line and column.
//! - [`emit::to_string`] prints a value byte-for-byte as `kustomize build` prints a resource.

pub mod emit;
pub mod parse;
pub mod value;

pub use emit::{documents_to_string, to_string};
pub use parse::{parse_documents, parse_one, Document, ParseError};
pub use value::{Mapping, Value};

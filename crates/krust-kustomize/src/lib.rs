//! krust-kustomize: a native kustomize engine.
//!
//! Layout mirrors kustomize's own split so a kustomize user finds their way around:
//! - [`resource`]: resources, ids and the indexed resource list;
//! - `transformers/`: one module per builtin transformer (namespace, prefix/suffix, labels, …) and
//!   the field specs that say which fields each one edits;
//! - `patch/`: strategic merge patch, JSON 6902 patch and patch target selection;
//! - the build pipeline that loads kustomizations and runs generators, transformers and patches.

pub mod resource;

pub use resource::{Gvk, Origin, ResId, ResMap, Resource};
pub mod patch;
pub mod replacements;
pub mod transformers;
pub mod vars;

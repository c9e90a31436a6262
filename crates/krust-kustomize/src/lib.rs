//! krust-kustomize: a native kustomize engine.
//!
//! Layout mirrors kustomize's own split so a kustomize user finds their way around:
//! - [`resource`]: resources, ids and the indexed resource list;
//! - [`kustomization`]: the kustomization file, typed;
//! - [`loader`]: file access, load restrictor, base-cycle detection, parsed-file cache
//!   ([`Workspace`]);
//! - [`generators`] and [`hash`]: configMapGenerator / secretGenerator and the name-hash suffix;
//! - [`build`]: the pipeline (kustomize's `KustTarget`): resources, bases, components,
//!   generators, the builtin transformers in kustomize's order, builtin plugin configs in
//!   `generators:` / `transformers:`, vars, name-reference fix-up, `buildMetadata`;
//! - [`sort`]: output order; [`openapi`]: custom merge schemas; [`crds`]: field specs from
//!   CRD definitions;
//! - `transformers/`: one module per builtin transformer (namespace, prefix/suffix, labels, …) and
//!   the field specs that say which fields each one edits;
//! - `patch/`: strategic merge patch, JSON 6902 patch and patch target selection.
//!
//! Build many kustomizations of one repository with one [`Workspace`]: parsed files are cached
//! by path, so shared bases are read and parsed once.
//!
//! ```no_run
//! use krust_kustomize::{build_to_string, BuildOptions, Workspace};
//! let ws = Workspace::new();
//! let yaml = build_to_string(&ws, "overlays/prod".as_ref(), &BuildOptions::default())?;
//! print!("{yaml}");
//! # Ok::<(), krust_kustomize::Error>(())
//! ```

pub mod build;
mod builtins;
pub mod crds;
pub mod error;
pub mod generators;
pub mod hash;
pub mod kustomization;
pub mod loader;
pub mod openapi;
mod plugins;
pub mod remote;
pub mod resource;
pub mod sort;

pub use build::{build, build_to_string, build_with_overlay, render, BuildOptions, DefaultOrder};
pub use error::{Error, ErrorKind};
pub use kustomization::Kustomization;
pub use loader::{FileOverlay, HideFilter, LoadRestrictor, Loader, Workspace};
pub use resource::{Gvk, Origin, ResId, ResMap, Resource};
pub mod patch;
pub mod replacements;
pub mod transformers;
pub mod vars;

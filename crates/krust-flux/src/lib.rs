//! krust-flux: discover a GitOps repository's Flux and Argo CD objects and render them offline,
//! the way kustomize-controller (and Argo CD) would.
//!
//! - [`render::render`] walks a repository from an entry path and returns a [`RenderedRepo`]:
//!   every object with the Flux Kustomization it comes from, its file and line, plus the
//!   Kustomizations, sources and HelmReleases found, in `dependsOn` order.
//! - [`envsubst`] and [`varsub`] reproduce `postBuild` substitution exactly;
//!   [`generate`] reproduces the controller's kustomization generator; [`decrypt`] decides what
//!   SOPS data is decrypted (the cryptography is supplied through [`decrypt::Decryptor`]);
//!   [`graph`] orders `dependsOn`; [`helm`] merges HelmRelease values; [`argo`] handles Argo CD
//!   Applications.

pub mod argo;
pub mod decrypt;
pub mod engine;
pub mod envsubst;
pub mod generate;
pub mod graph;
pub mod helm;
pub mod json;
pub mod model;
pub mod render;
pub mod sops;
pub mod varsub;

pub use engine::{Engine, KustomizeEngine};
pub use model::NamespacedName;
pub use render::{render, RenderOptions, RenderedObject, RenderedRepo};

//! krust-flux: discover a GitOps repository's Flux and Argo CD objects and render them offline,
//! the way kustomize-controller would.

pub mod envsubst;

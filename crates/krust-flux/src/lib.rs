//! krust-flux: Flux and Argo CD discovery and offline rendering (work in progress).

//! krust-init: scaffold a GitOps k3s repository from `cluster.toml` (work in progress).

//! krust-sops (work in progress).

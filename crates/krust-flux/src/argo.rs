//! Argo CD Applications (work in progress).

//! The error type of a build.
//!
//! kustomize reports failures as a chain of prefixes ("accumulating resources: accumulation
//! err='…': …"). krust keeps the same text so users (and the conformance corpus) see the same
//! message, and adds a machine-readable [`ErrorKind`] plus the file the error concerns.

use std::path::PathBuf;

/// What went wrong, coarsely; the message carries the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A directory has no `kustomization.yaml` / `.yml` / `Kustomization`.
    MissingKustomizationFile,
    /// A directory has more than one kustomization file.
    MultipleKustomizationFiles,
    /// A file is not valid YAML, or a document is not a usable object.
    MalformedYaml,
    /// The kustomization file has unknown fields, a bad kind/apiVersion, or is empty.
    InvalidKustomization,
    /// A file or directory could not be read, or does not exist.
    Io,
    /// The load restrictor refused a path, or a base would create a cycle.
    Restricted,
    /// Two resources with the same id were added.
    DuplicateId,
    /// A configMapGenerator / secretGenerator failed.
    Generator,
    /// A transformer, patch, replacement or var failed.
    Transform,
    /// A remote server answered with an error status, or the build runs offline: the reference
    /// is not tried as a git base.
    RemoteHttp,
    /// A remote file could not be fetched or a repository could not be cloned.
    Remote,
    /// The kustomization uses something krust does not support (yet).
    Unsupported,
}

/// A build error: kustomize-compatible message, kind, and the file it concerns.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// Coarse classification.
    pub kind: ErrorKind,
    /// The full message, with kustomize's prefixes.
    pub message: String,
    /// The file (or directory) the error concerns, when known.
    pub path: Option<PathBuf>,
}

impl Error {
    /// A new error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            path: None,
        }
    }

    /// Attaches the file the error concerns (keeps an already attached, more precise one).
    pub fn at(mut self, path: impl Into<PathBuf>) -> Error {
        if self.path.is_none() {
            self.path = Some(path.into());
        }
        self
    }

    /// Prefixes the message the way kustomize's `errors.WrapPrefixf` does (`prefix: message`).
    pub fn wrap(mut self, prefix: impl AsRef<str>) -> Error {
        self.message = format!("{}: {}", prefix.as_ref(), self.message);
        self
    }

    /// An error for a kustomization feature krust does not implement (yet).
    pub fn unsupported(feature: impl AsRef<str>) -> Error {
        Error::new(
            ErrorKind::Unsupported,
            format!("{} is not supported by krust yet", feature.as_ref()),
        )
    }

    /// An error for a transformer whose implementation is not connected to the pipeline yet.
    pub fn not_wired(feature: impl AsRef<str>) -> Error {
        Error::new(
            ErrorKind::Unsupported,
            format!("transformer {} not wired yet", feature.as_ref()),
        )
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

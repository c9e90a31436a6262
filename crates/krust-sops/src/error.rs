//! Typed errors of krust-sops.

use std::fmt;

/// One master key that was tried while recovering the data key, and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttempt {
    /// The key as named in the metadata (`age:age1…`, `pgp:FINGERPRINT`, `kms:arn…`).
    pub key: String,
    /// Why this key could not be used.
    pub reason: String,
}

/// The attempts of one key group, formatted one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempts(pub Vec<KeyAttempt>);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return write!(f, "the file lists no master keys");
        }
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  - {}: {}", a.key, a.reason)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong while reading, decrypting or writing a SOPS file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be parsed in the given format.
    #[error("cannot parse {format} input: {message}")]
    Parse {
        /// The format that was expected.
        format: &'static str,
        /// What went wrong (with a position where known).
        message: String,
    },
    /// The input has no `sops` metadata.
    #[error("the file is not encrypted with SOPS (or is truncated): no `sops` metadata found")]
    NotEncrypted,
    /// The `sops` metadata is malformed.
    #[error("invalid SOPS metadata (truncated or hand-edited file?): {0}")]
    Metadata(String),
    /// No master key could recover the data key.
    #[error("could not recover the data key; keys tried:\n{0}")]
    NoKey(Attempts),
    /// Too few key groups could be decrypted for Shamir recovery.
    #[error("could not recover the data key: {got} of {needed} key groups decrypted; keys tried:\n{attempts}")]
    NotEnoughShares {
        /// Groups decrypted.
        got: usize,
        /// Groups needed (`shamir_threshold`).
        needed: usize,
        /// The keys tried.
        attempts: Attempts,
    },
    /// A value could not be decrypted (tampered ciphertext, wrong data key or wrong path).
    #[error("cannot decrypt the value at `{path}`: {reason}")]
    Value {
        /// The value's path (`a:b:c:`).
        path: String,
        /// What failed.
        reason: String,
    },
    /// The stored MAC could not be decrypted (tampered `mac` or `lastmodified`).
    #[error("cannot decrypt the stored MAC (tampered or truncated `sops.mac`, or changed `sops.lastmodified`): {0}")]
    MacDecrypt(String),
    /// The MAC does not match the content.
    #[error("MAC mismatch: the file content does not match its MAC (tampered file?); stored {stored}, computed {computed}")]
    MacMismatch {
        /// The stored MAC.
        stored: String,
        /// The MAC computed from the decrypted values.
        computed: String,
    },
    /// The file uses a key type krust cannot use.
    #[error("unsupported key type: {0}")]
    UnsupportedKey(String),
    /// A key (identity, recipient or PGP key) could not be read.
    #[error("invalid key {key}: {reason}")]
    InvalidKey {
        /// The key or its source.
        key: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A post-quantum hybrid age key (`AGE-SECRET-KEY-PQ-1…` identity or `age1pq1…`
    /// recipient) is malformed.
    #[error("invalid post-quantum age key {key}: {reason}")]
    InvalidHybridKey {
        /// Where the key came from (file and line, environment variable) or the recipient.
        key: String,
        /// What is wrong with it.
        #[source]
        reason: crate::age_pq::HybridKeyError,
    },
    /// Encryption failed.
    #[error("encryption failed: {0}")]
    Encrypt(String),
    /// The input uses a reserved key or is already encrypted.
    #[error("{0}")]
    Input(String),
    /// `.sops.yaml` problem.
    #[error("config {path}: {message}")]
    Config {
        /// The config file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// I/O error.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn parse(format: &'static str, message: impl Into<String>) -> Self {
        Error::Parse {
            format,
            message: message.into(),
        }
    }
}

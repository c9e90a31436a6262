//! krust-init: generate a complete, verified GitOps repository for a k3s cluster from one
//! `cluster.toml`.
//!
//! The pipeline is [`parse`] → [`validate::validate`] → [`render::render`] → [`plan`] →
//! [`apply`]. Rendering is pure and deterministic; the writer encrypts Secrets with krust's own
//! SOPS code and records the hash of every generated file in `.krust-init.json`, so a re-run
//! updates generated files and leaves files the user edited alone (unless forced).

pub mod config;
pub mod render;
pub mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use config::{Config, EXAMPLE};
pub use render::{render, Rendered, SecretKind, SecretSpec, SecretValue};
pub use validate::{validate, ConfigError};

/// Name of the manifest of generated files.
pub const MANIFEST: &str = ".krust-init.json";

/// Errors of `krust init`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `cluster.toml` is not valid TOML or has unknown/mistyped keys.
    #[error(
        "cluster.toml: {0}\nfix: correct the key or value named above (see `krust init --example`)"
    )]
    Parse(String),
    /// A field is invalid.
    #[error("cluster.toml: {0}")]
    Config(#[from] ConfigError),
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The age key file is unusable.
    #[error("age key {path}: {msg}; fix: point --age-key at an age identity file (AGE-SECRET-KEY-1…) or a path where a new one may be created")]
    AgeKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// The age key would be inside the generated repository.
    #[error("age key {0} is inside the output repository; fix: keep it outside, e.g. ~/.config/sops/age/<cluster>.agekey")]
    KeyInRepo(PathBuf),
    /// A secret's source variable is unset.
    #[error("environment variable {var} (for Secret {secret}) is not set; fix: export it before running krust init")]
    MissingEnv {
        /// The variable.
        var: String,
        /// The secret's file.
        secret: String,
    },
    /// Encryption failed.
    #[error("encrypting {path}: {msg}")]
    Sops {
        /// The secret's file.
        path: String,
        /// The cause.
        msg: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Parses `cluster.toml` text (unknown keys are errors).
pub fn parse(text: &str) -> Result<Config, Error> {
    toml::from_str(text).map_err(|e| Error::Parse(e.to_string().trim_end().to_string()))
}

/// Parses and validates.
pub fn load(text: &str) -> Result<Config, Error> {
    let cfg = parse(text)?;
    validate(&cfg)?;
    Ok(cfg)
}

/// Reads the age identity at `path`, creating one (mode 0600) when the file does not exist.
/// Returns the identity file text and the recipient, and whether it was created.
pub fn ensure_age_key(path: &Path, repo: &Path) -> Result<(String, String, bool), Error> {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    if abs(path).starts_with(abs(repo)) {
        return Err(Error::KeyInRepo(path.to_path_buf()));
    }
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .ok_or_else(|| Error::AgeKey {
                path: path.into(),
                msg: "no AGE-SECRET-KEY-1 line".into(),
            })?;
        let id: age::x25519::Identity = line.parse().map_err(|e: &str| Error::AgeKey {
            path: path.into(),
            msg: e.to_string(),
        })?;
        return Ok((text, id.to_public().to_string(), false));
    }
    let id = age::x25519::Identity::generate();
    let recipient = id.to_public().to_string();
    let secret = age::secrecy::ExposeSecret::expose_secret(&id.to_string()).to_string();
    let text = format!("# created by krust init\n# public key: {recipient}\n{secret}\n");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    write_private(path, text.as_bytes())?;
    Ok((text, recipient, true))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(io(path))
}

/// Hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// New file.
    Create,
    /// Generated file whose content changes.
    Update,
    /// Already up to date.
    Unchanged,
    /// The user edited it and the generated content differs: kept (overwritten with `force`).
    KeepUserEdit,
    /// The user edited it; overwritten because of `force`.
    Overwrite,
    /// An existing encrypted Secret, kept (its values are not regenerated).
    KeepSecret,
}

impl Action {
    /// Short label.
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::KeepUserEdit => "kept (edited by you; --force overwrites)",
            Action::Overwrite => "overwrite (edited by you; --force)",
            Action::KeepSecret => "kept (existing encrypted secret)",
        }
    }
}

/// The plan of one run.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Path → action, for every generated file and secret.
    pub actions: BTreeMap<String, Action>,
}

impl Plan {
    /// Paths with an action other than `Unchanged`.
    pub fn changes(&self) -> impl Iterator<Item = (&String, &Action)> {
        self.actions
            .iter()
            .filter(|(_, a)| **a != Action::Unchanged)
    }
}

fn read_manifest(out: &Path) -> BTreeMap<String, String> {
    std::fs::read(out.join(MANIFEST))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("files").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Decides what a run would do in `out`, without writing.
pub fn plan(rendered: &Rendered, out: &Path, force: bool) -> Plan {
    let manifest = read_manifest(out);
    let mut p = Plan::default();
    for (path, content) in &rendered.files {
        let a = match std::fs::read(out.join(path)) {
            Err(_) => Action::Create,
            Ok(disk) => {
                let disk_hash = sha256(&disk);
                if disk == content.as_bytes() {
                    Action::Unchanged
                } else if manifest.get(path) == Some(&disk_hash) {
                    Action::Update
                } else if force {
                    Action::Overwrite
                } else {
                    Action::KeepUserEdit
                }
            }
        };
        p.actions.insert(path.clone(), a);
    }
    for s in &rendered.secrets {
        let a = if out.join(&s.path).exists() {
            Action::KeepSecret
        } else {
            Action::Create
        };
        p.actions.insert(s.path.clone(), a);
    }
    p
}

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..32)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// Plaintext manifest of a spec (values resolved through `env`): a Secret, or a SopsSecret whose
/// one template is that Secret. Keys are in sorted order, the order the API server and kustomize
/// give them back in.
fn secret_plaintext(s: &SecretSpec, env: &dyn Fn(&str) -> Option<String>) -> Result<String, Error> {
    let mut entries = Vec::new();
    for (k, v) in &s.entries {
        let val = match v {
            SecretValue::Random => random_password(),
            SecretValue::Literal(l) => l.clone(),
            SecretValue::Env(var) => env(var).ok_or_else(|| Error::MissingEnv {
                var: var.clone(),
                secret: s.path.clone(),
            })?,
        };
        entries.push((k.as_str(), serde_json::to_string(&val).unwrap_or_default()));
    }
    entries.sort();
    let mut y = match s.kind {
        SecretKind::Secret => format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n    name: {}\n    namespace: {}\nstringData:\n",
            s.name, s.namespace
        ),
        // Argo CD: the SopsSecret's CRD arrives with the operator (wave -2), so the dry run of
        // the first sync must skip it; wave -1 puts the Secret before its consumers (wave 0).
        // krust check has no schema for the CRD (the operator's chart installs it, and charts
        // are not rendered offline): KR-SCH-003 is silenced on this object only.
        SecretKind::SopsSecret => format!(
            "apiVersion: isindir.github.com/v1alpha3\nkind: SopsSecret\nmetadata:\n    annotations:\n        argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true\n        argocd.argoproj.io/sync-wave: \"-1\"\n        krust.dev/ignore: KR-SCH-003\n    name: {}\n    namespace: {}\nspec:\n    secretTemplates:\n        - name: {}\n          stringData:\n",
            s.name, s.namespace, s.name
        ),
    };
    let pad = match s.kind {
        SecretKind::Secret => "    ",
        SecretKind::SopsSecret => "            ",
    };
    for (k, v) in entries {
        y.push_str(&format!("{pad}{k}: {v}\n"));
    }
    if s.kind == SecretKind::Secret {
        y.push_str("type: Opaque\n");
    }
    Ok(y)
}

/// Encrypts a Secret or SopsSecret manifest for `recipient` with `encrypted_regex: ^(data|stringData)$`.
pub fn encrypt_secret(plain: &str, recipient: &str, path: &str) -> Result<String, Error> {
    let opts = krust_sops::EncryptOptions {
        key_groups: vec![krust_sops::KeyGroup {
            age: vec![krust_sops::AgeKey {
                recipient: recipient.to_string(),
                enc: String::new(),
            }],
            pgp: vec![],
            other: vec![],
            other_raw: vec![],
        }],
        selectors: krust_sops::Selectors {
            encrypted_regex: Some("^(data|stringData)$".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let out = krust_sops::encrypt(
        plain.as_bytes(),
        krust_sops::Format::Yaml,
        &opts,
        &krust_sops::KeySources::new(),
    )
    .map_err(|e| Error::Sops {
        path: path.to_string(),
        msg: e.to_string(),
    })?;
    String::from_utf8(out).map_err(|e| Error::Sops {
        path: path.to_string(),
        msg: e.to_string(),
    })
}

/// Carries out `plan` in `out`: writes created/updated/overwritten files, creates and encrypts
/// new Secrets, and rewrites the manifest.
pub fn apply(
    rendered: &Rendered,
    plan: &Plan,
    out: &Path,
    recipient: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Error> {
    let mut manifest = read_manifest(out);
    let write = |path: &str, bytes: &[u8]| -> Result<(), Error> {
        let p = out.join(path);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).map_err(io(d))?;
        }
        std::fs::write(&p, bytes).map_err(io(&p))
    };
    // Resolve and encrypt every new Secret first: a missing variable must not leave a
    // half-written repository behind.
    let mut secrets = Vec::new();
    for s in &rendered.secrets {
        if plan.actions.get(&s.path) == Some(&Action::Create) {
            let plain = secret_plaintext(s, env)?;
            secrets.push((s.path.clone(), encrypt_secret(&plain, recipient, &s.path)?));
        }
    }
    for (path, content) in &rendered.files {
        match plan.actions.get(path) {
            Some(Action::Create | Action::Update | Action::Overwrite) => {
                write(path, content.as_bytes())?;
                manifest.insert(path.clone(), sha256(content.as_bytes()));
            }
            Some(Action::Unchanged) => {
                manifest.insert(path.clone(), sha256(content.as_bytes()));
            }
            _ => {}
        }
    }
    for (path, enc) in &secrets {
        write(path, enc.as_bytes())?;
        manifest.insert(path.clone(), sha256(enc.as_bytes()));
    }
    // A struct (not a json! map) so the key order does not depend on serde_json features.
    #[derive(serde::Serialize)]
    struct Manifest<'a> {
        generator: &'a str,
        files: &'a BTreeMap<String, String>,
    }
    let m = Manifest {
        generator: "krust init",
        files: &manifest,
    };
    let mut text = serde_json::to_string_pretty(&m).unwrap_or_default();
    text.push('\n');
    write(MANIFEST, text.as_bytes())
}

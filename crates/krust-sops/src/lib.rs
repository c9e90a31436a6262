//! krust-sops: a native implementation of the SOPS v3 file format.
//!
//! Decrypts and encrypts YAML, JSON, dotenv, INI and binary SOPS files with age (X25519, SSH and
//! post-quantum hybrid `age1pq1…` keys) and PGP master keys, Shamir key groups, AES-256-GCM
//! value encryption and MAC verification, byte-compatible with getsops/sops v3.
//!
//! ```no_run
//! use krust_sops::{decrypt, Format, KeySources};
//! let keys = KeySources::from_env();
//! let bytes = std::fs::read("secret.enc.yaml").unwrap();
//! let out = decrypt(&bytes, Format::Yaml, &keys).unwrap();
//! print!("{}", String::from_utf8_lossy(&out.plaintext));
//! ```

#![warn(missing_docs)]

pub mod age_pq;
pub mod cipher;
pub mod config;
pub mod error;
pub mod keys;
pub mod metadata;
pub mod shamir;
pub mod stores;
pub mod timestamp;
pub mod tree;

pub use error::{Error, KeyAttempt, Result};
pub use keys::KeySources;
pub use metadata::{AgeKey, KeyGroup, Metadata, PgpKey, Selectors};
pub use tree::{Branch, Comment, Item, Value};

use cipher::{decrypt_value, leaf_bytes, Encrypter};
use regex::Regex;
use sha2::{Digest, Sha512};
use std::path::Path;

/// The SOPS version written into the metadata of files krust encrypts (the format version
/// krust follows).
pub const SOPS_VERSION: &str = "3.13.2";

/// Bytes fed to the MAC first when `mac_only_encrypted` is set.
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// A SOPS file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (multi-document).
    Yaml,
    /// JSON.
    Json,
    /// dotenv (`KEY=VALUE`).
    Dotenv,
    /// INI.
    Ini,
    /// Any file, stored as `{"data": "..."}` JSON when encrypted.
    Binary,
}

impl Format {
    /// The format sops picks for a path (by extension; binary otherwise).
    pub fn from_path(p: &Path) -> Format {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let ext = name.rsplit('.').next().unwrap_or("");
        match ext {
            "yaml" | "yml" => Format::Yaml,
            "json" => Format::Json,
            "env" => Format::Dotenv,
            "ini" => Format::Ini,
            _ if name.ends_with(".env") || name == ".env" => Format::Dotenv,
            _ => Format::Binary,
        }
    }

    /// Parses `yaml`, `json`, `dotenv`, `ini`, `binary`.
    pub fn from_name(s: &str) -> Option<Format> {
        Some(match s {
            "yaml" | "yml" => Format::Yaml,
            "json" => Format::Json,
            "dotenv" | "env" => Format::Dotenv,
            "ini" => Format::Ini,
            "binary" => Format::Binary,
            _ => return None,
        })
    }
}

/// Output style options of the stores (`.sops.yaml` `stores:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// YAML indentation (sops default 4).
    pub yaml_indent: usize,
    /// JSON indentation string (sops default a tab).
    pub json_indent: String,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            yaml_indent: 4,
            json_indent: "\t".into(),
        }
    }
}

/// Parses a plaintext file into branches (one per YAML document).
pub fn load_plain(input: &[u8], format: Format) -> Result<Vec<Branch>> {
    Ok(match format {
        Format::Yaml => stores::yaml::parse(input)?,
        Format::Json => vec![stores::json::parse(input)?],
        Format::Dotenv => vec![stores::dotenv::parse(input)?],
        Format::Ini => vec![stores::ini::parse(input)?],
        Format::Binary => {
            let v = match std::str::from_utf8(input) {
                Ok(s) => Value::Str(s.to_string()),
                Err(_) => Value::Bytes(input.to_vec()),
            };
            vec![vec![Item::Pair("data".into(), v)]]
        }
    })
}

/// Emits plaintext branches in a format.
pub fn emit_plain(branches: &[Branch], format: Format, opts: &StoreOptions) -> Result<Vec<u8>> {
    let first = || {
        branches
            .first()
            .ok_or_else(|| Error::Input("nothing to write: no document".into()))
    };
    Ok(match format {
        Format::Yaml => stores::yaml::emit(branches, opts.yaml_indent).into_bytes(),
        Format::Json => stores::json::emit(first()?, &opts.json_indent).into_bytes(),
        Format::Dotenv => stores::dotenv::emit(first()?)?.into_bytes(),
        Format::Ini => stores::ini::emit(first()?)?.into_bytes(),
        Format::Binary => match tree::branch_get(first()?, "data") {
            Some(Value::Str(s)) => s.clone().into_bytes(),
            Some(Value::Bytes(b)) => b.clone(),
            Some(_) => {
                return Err(Error::Input(
                    "binary store: `data` key does not have a string value".into(),
                ))
            }
            None => return Err(Error::Input("binary store: no `data` key found".into())),
        },
    })
}

fn unescape_newlines(items: Vec<(String, Value)>) -> Vec<(String, Value)> {
    items
        .into_iter()
        .map(|(k, v)| match v {
            Value::Str(s) => (k, Value::Str(s.replace("\\n", "\n"))),
            v => (k, v),
        })
        .collect()
}

/// Parses an encrypted file: its branches (without metadata) and its metadata.
pub fn load_encrypted(input: &[u8], format: Format) -> Result<(Vec<Branch>, Metadata)> {
    let format = if format == Format::Binary {
        Format::Json
    } else {
        format
    };
    let mut branches = load_plain(input, format)?;
    let md_tree: Option<Branch> = match format {
        Format::Dotenv => {
            let b = branches.first_mut().ok_or(Error::NotEncrypted)?;
            let mut items = Vec::new();
            b.retain(|i| match i {
                Item::Pair(k, v) if k.starts_with("sops_") => {
                    items.push((k["sops_".len()..].to_string(), v.clone()));
                    false
                }
                _ => true,
            });
            if items.is_empty() {
                None
            } else {
                Some(metadata::unflatten(items)?)
            }
        }
        _ => {
            let mut found: Option<Value> = None;
            for (bi, b) in branches.iter_mut().enumerate() {
                let mut idx = None;
                for (i, it) in b.iter().enumerate() {
                    if matches!(it, Item::Pair(k, _) if k == "sops") {
                        if idx.is_some() {
                            return Err(Error::Metadata("found duplicate `sops` entry".into()));
                        }
                        idx = Some(i);
                    }
                }
                if let Some(i) = idx {
                    if let Item::Pair(_, v) = b.remove(i) {
                        if bi == 0 {
                            found = Some(v);
                        }
                    }
                }
            }
            match found {
                None => None,
                Some(Value::Map(m)) => Some(if format == Format::Ini {
                    let items = m
                        .into_iter()
                        .filter_map(|i| match i {
                            Item::Pair(k, v) => Some((k, v)),
                            Item::Comment(_) => None,
                        })
                        .collect();
                    metadata::unflatten(unescape_newlines(items))?
                } else {
                    m
                }),
                Some(_) => {
                    return Err(Error::Metadata(
                        "found `sops` entry that is not a mapping".into(),
                    ))
                }
            }
        }
    };
    let md_tree = md_tree.ok_or(Error::NotEncrypted)?;
    Ok((branches, metadata::from_branch(&md_tree)?))
}

/// Emits branches plus metadata as an encrypted file.
pub fn emit_encrypted(
    branches: &[Branch],
    md: &Metadata,
    format: Format,
    opts: &StoreOptions,
) -> Result<Vec<u8>> {
    let mdb = metadata::to_branch(md);
    let mut branches = branches.to_vec();
    match format {
        Format::Dotenv => {
            let mut flat = Vec::new();
            metadata::flatten(&mdb, "sops_", &mut flat);
            let b = branches
                .first_mut()
                .ok_or_else(|| Error::Input("no document".into()))?;
            for (k, v) in flat {
                b.push(Item::Pair(k, v));
            }
            Ok(stores::dotenv::emit(b)?.into_bytes())
        }
        Format::Ini => {
            let mut flat = Vec::new();
            metadata::flatten(&mdb, "", &mut flat);
            let items = flat
                .into_iter()
                .map(|(k, v)| match v {
                    Value::Str(s) => Item::Pair(k, Value::Str(s.replace('\n', "\\n"))),
                    v => Item::Pair(k, v),
                })
                .collect();
            let b = branches
                .first_mut()
                .ok_or_else(|| Error::Input("no document".into()))?;
            b.push(Item::Pair("sops".into(), Value::Map(items)));
            Ok(stores::ini::emit(b)?.into_bytes())
        }
        Format::Yaml => {
            for b in &mut branches {
                b.push(Item::Pair("sops".into(), Value::Map(mdb.clone())));
            }
            Ok(stores::yaml::emit(&branches, opts.yaml_indent).into_bytes())
        }
        Format::Json | Format::Binary => {
            let b = branches
                .first_mut()
                .ok_or_else(|| Error::Input("no document".into()))?;
            b.push(Item::Pair("sops".into(), Value::Map(mdb)));
            Ok(stores::json::emit(b, &opts.json_indent).into_bytes())
        }
    }
}

/// Compiled encryption selectors.
struct Rules {
    unencrypted_suffix: Option<String>,
    encrypted_suffix: Option<String>,
    unencrypted_regex: Option<Regex>,
    encrypted_regex: Option<Regex>,
    unencrypted_comment_regex: Option<Regex>,
    encrypted_comment_regex: Option<Regex>,
}

fn compile(s: &Option<String>, name: &str) -> Result<Option<Regex>> {
    s.as_deref()
        .map(|r| Regex::new(r).map_err(|e| Error::Metadata(format!("invalid {name} {r:?}: {e}"))))
        .transpose()
}

impl Rules {
    fn new(s: &Selectors) -> Result<Rules> {
        Ok(Rules {
            unencrypted_suffix: s.unencrypted_suffix.clone(),
            encrypted_suffix: s.encrypted_suffix.clone(),
            unencrypted_regex: compile(&s.unencrypted_regex, "unencrypted_regex")?,
            encrypted_regex: compile(&s.encrypted_regex, "encrypted_regex")?,
            unencrypted_comment_regex: compile(
                &s.unencrypted_comment_regex,
                "unencrypted_comment_regex",
            )?,
            encrypted_comment_regex: compile(
                &s.encrypted_comment_regex,
                "encrypted_comment_regex",
            )?,
        })
    }

    fn should_encrypt(&self, path: &[String], stack: &[Vec<String>], is_comment: bool) -> bool {
        let mut enc = true;
        if let Some(s) = &self.unencrypted_suffix {
            if path.iter().any(|p| p.ends_with(s.as_str())) {
                enc = false;
            }
        }
        if let Some(s) = &self.encrypted_suffix {
            enc = path.iter().any(|p| p.ends_with(s.as_str()));
        }
        if let Some(r) = &self.unencrypted_regex {
            if path.iter().any(|p| r.is_match(p)) {
                enc = false;
            }
        }
        if let Some(r) = &self.encrypted_regex {
            enc = path.iter().any(|p| r.is_match(p));
        }
        if let Some(r) = &self.unencrypted_comment_regex {
            if stack.iter().flatten().any(|c| r.is_match(c)) {
                enc = false;
            }
        }
        if let Some(r) = &self.encrypted_comment_regex {
            enc = false;
            let last_i = stack.len().saturating_sub(1);
            let last_j = stack.last().map_or(0, |l| l.len().saturating_sub(1));
            'outer: for (i, cs) in stack.iter().enumerate() {
                for (j, c) in cs.iter().enumerate() {
                    if is_comment && i == last_i && j == last_j {
                        continue;
                    }
                    if r.is_match(c) {
                        enc = true;
                        break 'outer;
                    }
                }
            }
        }
        enc
    }
}

type LeafFn<'a> = dyn FnMut(&mut Value, &[String], &[Vec<String>], bool) -> Result<()> + 'a;

fn walk_value(
    v: &mut Value,
    path: &mut Vec<String>,
    stack: &mut Vec<Vec<String>>,
    f: &mut LeafFn<'_>,
) -> Result<()> {
    match v {
        Value::Null => Ok(()),
        Value::Map(b) => walk_branch(b, path, stack, f),
        Value::Seq(items) => {
            stack.push(Vec::new());
            for it in items.iter_mut() {
                let is_comment = if let Value::Comment(c) = it {
                    if let Some(top) = stack.last_mut() {
                        top.push(c.text.clone());
                    }
                    true
                } else {
                    false
                };
                walk_value(it, path, stack, f)?;
                if !is_comment {
                    if let Some(top) = stack.last_mut() {
                        top.clear();
                    }
                }
            }
            stack.pop();
            Ok(())
        }
        Value::Comment(_) => f(v, path, stack, true),
        _ => f(v, path, stack, false),
    }
}

fn walk_branch(
    b: &mut Branch,
    path: &mut Vec<String>,
    stack: &mut Vec<Vec<String>>,
    f: &mut LeafFn<'_>,
) -> Result<()> {
    stack.push(Vec::new());
    for item in b.iter_mut() {
        match item {
            Item::Comment(c) => {
                if let Some(top) = stack.last_mut() {
                    top.push(c.text.clone());
                }
                let inline = c.inline;
                let mut v = Value::Comment(c.clone());
                f(&mut v, path, stack, true)?;
                if let Value::Comment(mut nc) = v {
                    nc.inline = inline;
                    *c = nc;
                }
            }
            Item::Pair(k, v) => {
                path.push(k.clone());
                let r = walk_value(v, path, stack, f);
                path.pop();
                r?;
                if let Some(top) = stack.last_mut() {
                    top.clear();
                }
            }
        }
    }
    stack.pop();
    Ok(())
}

fn walk(branches: &mut [Branch], f: &mut LeafFn<'_>) -> Result<()> {
    for b in branches {
        walk_branch(b, &mut Vec::new(), &mut Vec::new(), f)?;
    }
    Ok(())
}

fn aad(path: &[String]) -> String {
    let mut s = path.join(":");
    s.push(':');
    s
}

fn new_hasher(md: &Metadata) -> Sha512 {
    let mut h = Sha512::new();
    if md.mac_only_encrypted {
        h.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    h
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Decrypts every value of `branches` in place with `key`; returns the computed MAC.
pub fn decrypt_tree(
    branches: &mut [Branch],
    md: &Metadata,
    key: &[u8; 32],
    mut remember: Option<&mut Encrypter>,
) -> Result<String> {
    let rules = Rules::new(&md.selectors)?;
    let mut h = new_hasher(md);
    walk(branches, &mut |v, path, stack, is_comment| {
        let enc = rules.should_encrypt(path, stack, is_comment);
        if enc {
            let a = aad(path);
            match v {
                Value::Comment(c) => {
                    // Comments that do not decrypt are assumed to be clear text (older sops).
                    if let Ok(Value::Comment(d)) = decrypt_value(&c.text, key, &a) {
                        c.text = d.text;
                    }
                }
                Value::Str(s) => {
                    let d = decrypt_value(s, key, &a).map_err(|reason| Error::Value {
                        path: a.clone(),
                        reason,
                    })?;
                    if let Some(r) = remember.as_deref_mut() {
                        r.remember(s, &d, &a);
                    }
                    *v = d;
                }
                other => {
                    return Err(Error::Value {
                        path: a,
                        reason: format!(
                            "expected an encrypted value (string), found {}",
                            type_name(other)
                        ),
                    })
                }
            }
        }
        if (!md.mac_only_encrypted || enc) && !is_comment {
            if let Some((bytes, _)) = leaf_bytes(v) {
                h.update(&bytes);
            }
        }
        Ok(())
    })?;
    Ok(hex_upper(&h.finalize()))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Str(_) => "a string",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Bool(_) => "a boolean",
        Value::Bytes(_) => "bytes",
        Value::Time(_) => "a timestamp",
        Value::Map(_) => "a mapping",
        Value::Seq(_) => "a list",
        Value::Comment(_) => "a comment",
    }
}

/// Encrypts every selected value of `branches` in place; returns the MAC of the plaintext.
pub fn encrypt_tree(
    branches: &mut [Branch],
    md: &Metadata,
    key: &[u8; 32],
    enc: &Encrypter,
) -> Result<String> {
    let rules = Rules::new(&md.selectors)?;
    let mut h = new_hasher(md);
    walk(branches, &mut |v, path, stack, is_comment| {
        let e = rules.should_encrypt(path, stack, is_comment);
        if (!md.mac_only_encrypted || e) && !is_comment {
            if let Some((bytes, _)) = leaf_bytes(v) {
                h.update(&bytes);
            }
        }
        if e {
            let a = aad(path);
            let s = enc.encrypt(v, key, &a)?;
            if let Value::Comment(c) = v {
                if let Some(r) = &rules.unencrypted_comment_regex {
                    if r.is_match(&s) {
                        return Err(Error::Encrypt(format!(
                            "encrypted comment {s:?} matches unencrypted_comment_regex"
                        )));
                    }
                }
                c.text = s;
            } else {
                *v = Value::Str(s);
            }
        }
        Ok(())
    })?;
    Ok(hex_upper(&h.finalize()))
}

/// Options of [`decrypt_with`].
#[derive(Debug, Clone, Default)]
pub struct DecryptOptions {
    /// Do not fail on a MAC mismatch.
    pub ignore_mac: bool,
    /// The format of `plaintext` (default: the input format).
    pub output: Option<Format>,
    /// Output style.
    pub store: StoreOptions,
}

/// The result of decrypting a file.
#[derive(Debug, Clone)]
pub struct Decrypted {
    /// The decrypted documents (comments and key order kept, metadata removed).
    pub branches: Vec<Branch>,
    /// The file's metadata.
    pub metadata: Metadata,
    /// The plaintext file in the output format.
    pub plaintext: Vec<u8>,
    /// Whether the MAC matched (false only with `ignore_mac`).
    pub mac_ok: bool,
    /// The recovered data key.
    pub data_key: [u8; 32],
}

/// Decrypts a SOPS file (verifying the MAC) with the given keys.
pub fn decrypt(input: &[u8], format: Format, keys: &KeySources) -> Result<Decrypted> {
    decrypt_with(input, format, keys, &DecryptOptions::default())
}

/// Reads and decrypts a file, choosing the format from its extension (like sops).
pub fn decrypt_file(path: &Path, keys: &KeySources) -> Result<Decrypted> {
    let bytes = std::fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    decrypt(&bytes, Format::from_path(path), keys)
}

/// Verifies the MAC of decrypted content against the stored (encrypted) MAC.
fn check_mac(md: &Metadata, key: &[u8; 32], computed: &str) -> Result<bool> {
    let stored = match decrypt_value(&md.mac, key, &md.last_modified) {
        Ok(Value::Str(s)) => s,
        Ok(_) => return Err(Error::MacDecrypt("the stored MAC is not a string".into())),
        Err(e) => return Err(Error::MacDecrypt(e)),
    };
    if stored == computed {
        Ok(true)
    } else {
        Err(Error::MacMismatch {
            stored,
            computed: computed.to_string(),
        })
    }
}

/// Decrypts a SOPS file with options.
pub fn decrypt_with(
    input: &[u8],
    format: Format,
    keys: &KeySources,
    opts: &DecryptOptions,
) -> Result<Decrypted> {
    let (mut branches, md) = load_encrypted(input, format)?;
    let key = keys.data_key(&md)?;
    let computed = decrypt_tree(&mut branches, &md, &key, None)?;
    let mac_ok = match check_mac(&md, &key, &computed) {
        Ok(ok) => ok,
        Err(_) if opts.ignore_mac => false,
        Err(e) => return Err(e),
    };
    let out = opts.output.unwrap_or(format);
    let plaintext = emit_plain(&branches, out, &opts.store)?;
    Ok(Decrypted {
        branches,
        metadata: md,
        plaintext,
        mac_ok,
        data_key: key,
    })
}

/// What to encrypt with: the master keys and the selection rules (a resolved creation rule).
#[derive(Debug, Clone, Default)]
pub struct EncryptOptions {
    /// Key groups (only recipients / fingerprints are needed).
    pub key_groups: Vec<KeyGroup>,
    /// Whether to write the `key_groups` form.
    pub grouped: bool,
    /// `shamir_threshold` (0 = number of groups).
    pub shamir_threshold: usize,
    /// Value selection (none set = `unencrypted_suffix: _unencrypted`).
    pub selectors: Selectors,
    /// MAC only over encrypted values.
    pub mac_only_encrypted: bool,
    /// Output style.
    pub store: StoreOptions,
}

/// Current time as RFC 3339 UTC seconds (`2024-11-12T13:33:42Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Civil from days (Howard Hinnant).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn check_reserved(branches: &[Branch], format: Format) -> Result<()> {
    for b in branches {
        for it in b {
            if let Item::Pair(k, _) = it {
                if k == "sops" || (format == Format::Dotenv && k.starts_with("sops_")) {
                    return Err(Error::Input(format!(
                        "the file is already encrypted or uses the reserved key `{k}`"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Encrypts a plaintext file.
pub fn encrypt(
    input: &[u8],
    format: Format,
    opts: &EncryptOptions,
    keys: &KeySources,
) -> Result<Vec<u8>> {
    let mut branches = load_plain(input, format)?;
    if branches.is_empty() {
        return Err(Error::Input(
            "the file cannot be completely empty: it must contain at least one document".into(),
        ));
    }
    check_reserved(&branches, format)?;
    if opts
        .key_groups
        .iter()
        .all(|g| g.age.is_empty() && g.pgp.is_empty() && g.other.is_empty())
    {
        return Err(Error::Encrypt(
            "no master keys given (use --age, --pgp or a .sops.yaml creation rule)".into(),
        ));
    }
    if opts.selectors.count() > 1 {
        return Err(Error::Encrypt(
            "only one of the (un)encrypted_suffix/regex/comment_regex options may be set".into(),
        ));
    }
    let mut selectors = opts.selectors.clone();
    if selectors.count() == 0 {
        selectors.unencrypted_suffix = Some("_unencrypted".into());
    }
    let mut md = Metadata {
        key_groups: opts.key_groups.clone(),
        grouped: opts.grouped,
        shamir_threshold: if opts.key_groups.len() > 1 {
            opts.shamir_threshold
        } else {
            0
        },
        last_modified: now_rfc3339(),
        mac: String::new(),
        selectors,
        mac_only_encrypted: opts.mac_only_encrypted,
        version: SOPS_VERSION.into(),
    };
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    keys::wrap_data_key(&mut md, &key, keys)?;
    let enc = Encrypter::default();
    let mac = encrypt_tree(&mut branches, &md, &key, &enc)?;
    md.mac = enc.encrypt(&Value::Str(mac), &key, &md.last_modified)?;
    let fmt = if format == Format::Binary {
        Format::Json
    } else {
        format
    };
    emit_encrypted(&branches, &md, fmt, &opts.store)
}

/// Re-encrypts a decrypted tree with its (possibly updated) metadata and data key, reusing IVs
/// of unchanged values.
fn reencrypt(
    mut branches: Vec<Branch>,
    mut md: Metadata,
    key: &[u8; 32],
    enc: &Encrypter,
    format: Format,
    store: &StoreOptions,
) -> Result<Vec<u8>> {
    md.last_modified = now_rfc3339();
    let mac = encrypt_tree(&mut branches, &md, key, enc)?;
    md.mac = enc.encrypt(&Value::Str(mac), key, &md.last_modified)?;
    let fmt = if format == Format::Binary {
        Format::Json
    } else {
        format
    };
    emit_encrypted(&branches, &md, fmt, store)
}

/// Generates a new data key and re-encrypts the whole file with it (`sops rotate`).
/// `add`/`remove` optionally change the master keys of the first group.
pub fn rotate(
    input: &[u8],
    format: Format,
    keys: &KeySources,
    store: &StoreOptions,
) -> Result<Vec<u8>> {
    let (mut branches, mut md) = load_encrypted(input, format)?;
    let key = keys.data_key(&md)?;
    let computed = decrypt_tree(&mut branches, &md, &key, None)?;
    check_mac(&md, &key, &computed)?;
    let mut new_key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut new_key);
    keys::wrap_data_key(&mut md, &new_key, keys)?;
    reencrypt(branches, md, &new_key, &Encrypter::default(), format, store)
}

/// Re-wraps the data key for new master keys (`sops updatekeys`): the values, the MAC and
/// `lastmodified` stay as they are; the file's MAC is verified first.
pub fn update_keys(
    input: &[u8],
    format: Format,
    keys: &KeySources,
    new_groups: Vec<KeyGroup>,
    grouped: bool,
    shamir_threshold: usize,
    store: &StoreOptions,
) -> Result<Vec<u8>> {
    let (encrypted, mut md) = load_encrypted(input, format)?;
    let key = keys.data_key(&md)?;
    let mut plain = encrypted.clone();
    let computed = decrypt_tree(&mut plain, &md, &key, None)?;
    check_mac(&md, &key, &computed)?;
    md.key_groups = new_groups;
    md.grouped = grouped;
    md.shamir_threshold = if md.key_groups.len() > 1 {
        shamir_threshold
    } else {
        0
    };
    keys::wrap_data_key(&mut md, &key, keys)?;
    let fmt = if format == Format::Binary {
        Format::Json
    } else {
        format
    };
    emit_encrypted(&encrypted, &md, fmt, store)
}

/// Whether a file is SOPS-encrypted (has readable metadata).
pub fn is_encrypted(input: &[u8], format: Format) -> bool {
    load_encrypted(input, format).is_ok()
}

//! Master keys: where identities come from (environment, files, flags) and how the data key is
//! unwrapped (age, PGP, Shamir key groups) and wrapped again.

use crate::age_pq::{HybridIdentity, HybridRecipient, IDENTITY_HRP};
use crate::error::{Attempts, Error, KeyAttempt, Result};
use crate::metadata::{AgeKey, KeyGroup, Metadata, PgpKey};
use crate::shamir;
use pgp::composed::{Deserializable, Message, SignedPublicKey, SignedSecretKey};
use pgp::types::{KeyDetails, Password};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

type AgeIdentity = Box<dyn age::Identity + Send + Sync>;

/// The private keys available for decryption (and public PGP keys for encryption).
#[derive(Default)]
pub struct KeySources {
    age: Vec<(String, AgeIdentity)>,
    pgp_secret: Vec<(String, SignedSecretKey)>,
    pgp_public: Vec<(String, SignedPublicKey)>,
    /// `SOPS_AGE_KEY_CMD`, run again per recipient with `SOPS_AGE_RECIPIENT` set.
    age_key_cmd: Option<String>,
    /// Fall back to `gpg --decrypt` for PGP keys.
    use_gpg: bool,
    /// Identities `SOPS_AGE_KEY_CMD` printed for each recipient.
    cmd_cache: std::sync::Mutex<std::collections::HashMap<String, Vec<AgeIdentity>>>,
    /// Problems met while loading keys (reported when no key works).
    notes: Vec<String>,
}

impl std::fmt::Debug for KeySources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySources")
            .field("age", &self.age.iter().map(|a| &a.0).collect::<Vec<_>>())
            .field(
                "pgp",
                &self.pgp_secret.iter().map(|a| &a.0).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl KeySources {
    /// No keys at all.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of usable identities loaded.
    pub fn len(&self) -> usize {
        self.age.len() + self.pgp_secret.len()
    }

    /// Whether no identity is loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Problems met while loading keys.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Adds the identities of an age identity file (`AGE-SECRET-KEY-1…` and post-quantum
    /// `AGE-SECRET-KEY-PQ-1…` lines, `#` comments) or an SSH private key (ed25519 or RSA,
    /// unencrypted). Returns how many were added; a malformed line is an error naming `source`
    /// and the line.
    pub fn add_age_identities(&mut self, text: &str, source: &str) -> Result<usize> {
        if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
            return self.add_ssh_identity(text.as_bytes(), source).map(|_| 1);
        }
        let mut n = 0;
        for (lineno, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let upper = line.get(..IDENTITY_HRP.len()).map(str::to_ascii_uppercase);
            if upper.as_deref() == Some(IDENTITY_HRP) {
                let id =
                    HybridIdentity::from_str(line).map_err(|reason| Error::InvalidHybridKey {
                        key: format!("{source} line {}", lineno + 1),
                        reason,
                    })?;
                self.age.push((source.to_string(), Box::new(id)));
                n += 1;
                continue;
            }
            if line.starts_with("AGE-PLUGIN-") {
                self.notes
                    .push(format!("{source}: age plugin identities are not supported"));
                continue;
            }
            match age::x25519::Identity::from_str(line) {
                Ok(id) => {
                    self.age.push((source.to_string(), Box::new(id)));
                    n += 1;
                }
                Err(e) => {
                    return Err(Error::InvalidKey {
                        key: format!("{source} line {}", lineno + 1),
                        reason: format!("not an age identity: {e}"),
                    })
                }
            }
        }
        Ok(n)
    }

    /// Adds an SSH private key (ed25519 or RSA) as an age identity.
    pub fn add_ssh_identity(&mut self, bytes: &[u8], source: &str) -> Result<()> {
        let id = age::ssh::Identity::from_buffer(bytes, Some(source.to_string())).map_err(|e| {
            Error::InvalidKey {
                key: source.to_string(),
                reason: format!("not an SSH private key: {e}"),
            }
        })?;
        match id {
            age::ssh::Identity::Unencrypted(_) => {
                self.age.push((source.to_string(), Box::new(id)));
                Ok(())
            }
            age::ssh::Identity::Encrypted(_) => Err(Error::InvalidKey {
                key: source.to_string(),
                reason: "passphrase-protected SSH keys are not supported".into(),
            }),
            age::ssh::Identity::Unsupported(_) => Err(Error::InvalidKey {
                key: source.to_string(),
                reason: "unsupported SSH key type (only ssh-ed25519 and ssh-rsa)".into(),
            }),
        }
    }

    /// Adds an armored OpenPGP key: a secret key (used to decrypt, and its public part to
    /// encrypt) or a public key (used to encrypt only). Several keys in one file are accepted.
    pub fn add_pgp_key(&mut self, armored: &str, source: &str) -> Result<()> {
        if armored.contains("PRIVATE KEY BLOCK") {
            let keys = SignedSecretKey::from_armor_many(armored.as_bytes())
                .map_err(|e| Error::InvalidKey {
                    key: source.to_string(),
                    reason: format!("not an armored OpenPGP secret key: {e}"),
                })?
                .0;
            let mut n = 0;
            for k in keys {
                let k = k.map_err(|e| Error::InvalidKey {
                    key: source.to_string(),
                    reason: format!("invalid OpenPGP secret key: {e}"),
                })?;
                self.pgp_public
                    .push((source.to_string(), SignedPublicKey::from(k.clone())));
                self.pgp_secret.push((source.to_string(), k));
                n += 1;
            }
            if n == 0 {
                return Err(Error::InvalidKey {
                    key: source.to_string(),
                    reason: "no OpenPGP key found".into(),
                });
            }
        } else {
            let keys = SignedPublicKey::from_armor_many(armored.as_bytes())
                .map_err(|e| Error::InvalidKey {
                    key: source.to_string(),
                    reason: format!("not an armored OpenPGP key: {e}"),
                })?
                .0;
            for k in keys {
                let k = k.map_err(|e| Error::InvalidKey {
                    key: source.to_string(),
                    reason: format!("invalid OpenPGP public key: {e}"),
                })?;
                self.pgp_public.push((source.to_string(), k));
            }
        }
        Ok(())
    }

    /// Loads identities the way sops does: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`,
    /// `SOPS_AGE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE` (else
    /// `~/.ssh/id_ed25519` and `~/.ssh/id_rsa`), and `$XDG_CONFIG_HOME/sops/age/keys.txt` (else the user config dir).
    /// Sources that cannot be read are noted, not fatal.
    pub fn from_env() -> Self {
        let mut ks = Self::new();
        ks.load_env();
        ks.use_gpg = true;
        ks
    }

    /// Adds the identities from the environment (see [`KeySources::from_env`]).
    pub fn load_env(&mut self) {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(v) = env("SOPS_AGE_KEY") {
            // Several keys may share a line here (sops allows it for this variable only).
            let v: String = v
                .lines()
                .flat_map(|l| {
                    if l.trim_start().starts_with('#') {
                        vec![l.to_string()]
                    } else {
                        l.split_whitespace().map(str::to_string).collect()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            self.note_err(|s| s.add_age_identities(&v, "SOPS_AGE_KEY").map(|_| ()));
        }
        if let Some(p) = env("SOPS_AGE_KEY_FILE") {
            self.add_file(Path::new(&p), "SOPS_AGE_KEY_FILE", false);
        }
        if let Some(cmd) = env("SOPS_AGE_KEY_CMD") {
            self.age_key_cmd = Some(cmd.clone());
            match std::process::Command::new("sh")
                .arg("-c")
                .arg(&cmd)
                .output()
            {
                Ok(o) if o.status.success() => {
                    let text = String::from_utf8_lossy(&o.stdout).into_owned();
                    self.note_err(|s| s.add_age_identities(&text, "SOPS_AGE_KEY_CMD").map(|_| ()));
                }
                Ok(o) => self.notes.push(format!(
                    "SOPS_AGE_KEY_CMD failed ({}): {}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr).trim()
                )),
                Err(e) => self.notes.push(format!("SOPS_AGE_KEY_CMD: {e}")),
            }
        }
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(cmd) = env("SOPS_AGE_SSH_PRIVATE_KEY_CMD") {
            match std::process::Command::new("sh")
                .arg("-c")
                .arg(&cmd)
                .output()
            {
                Ok(o) if o.status.success() => {
                    let out = o.stdout;
                    self.note_err(|s| s.add_ssh_identity(&out, "SOPS_AGE_SSH_PRIVATE_KEY_CMD"));
                }
                Ok(o) => self.notes.push(format!(
                    "SOPS_AGE_SSH_PRIVATE_KEY_CMD failed ({}): {}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr).trim()
                )),
                Err(e) => self
                    .notes
                    .push(format!("SOPS_AGE_SSH_PRIVATE_KEY_CMD: {e}")),
            }
        }
        if let Some(p) = env("SOPS_AGE_SSH_PRIVATE_KEY_FILE") {
            self.add_file(Path::new(&p), "SOPS_AGE_SSH_PRIVATE_KEY_FILE", true);
        } else if let Some(h) = &home {
            for name in ["id_ed25519", "id_rsa"] {
                let p = h.join(".ssh").join(name);
                if p.is_file() {
                    self.add_file(&p, &p.display().to_string(), true);
                }
            }
        }
        let config_dir = env("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".config")));
        if let Some(dir) = config_dir {
            let p = dir.join("sops").join("age").join("keys.txt");
            if p.is_file() {
                self.add_file(&p, &p.display().to_string(), false);
            }
        }
    }

    fn note_err(&mut self, f: impl FnOnce(&mut Self) -> Result<()>) {
        if let Err(e) = f(self) {
            self.notes.push(e.to_string());
        }
    }

    fn add_file(&mut self, p: &Path, label: &str, ssh: bool) {
        match std::fs::read(p) {
            Ok(b) => {
                let label = if label == p.display().to_string() {
                    label.to_string()
                } else {
                    format!("{label}={}", p.display())
                };
                if ssh {
                    self.note_err(|s| s.add_ssh_identity(&b, &label));
                } else {
                    let text = String::from_utf8_lossy(&b).into_owned();
                    self.note_err(|s| s.add_age_identities(&text, &label).map(|_| ()));
                }
            }
            Err(e) => self
                .notes
                .push(format!("{label}: cannot read {}: {e}", p.display())),
        }
    }

    fn age_decrypt(&self, recipient: &str, enc: &str) -> std::result::Result<Vec<u8>, String> {
        // sops runs SOPS_AGE_KEY_CMD once per recipient, with SOPS_AGE_RECIPIENT set; the
        // identities it prints are cached per recipient.
        let mut cache = self
            .cmd_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cmd) = &self.age_key_cmd {
            if !cache.contains_key(recipient) {
                let mut found: Vec<AgeIdentity> = Vec::new();
                if let Ok(o) = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .env("SOPS_AGE_RECIPIENT", recipient)
                    .output()
                {
                    if o.status.success() {
                        let mut tmp = KeySources::new();
                        let text = String::from_utf8_lossy(&o.stdout).into_owned();
                        if tmp.add_age_identities(&text, "SOPS_AGE_KEY_CMD").is_ok() {
                            found.extend(tmp.age.into_iter().map(|(_, i)| i));
                        }
                    }
                }
                cache.insert(recipient.to_string(), found);
            }
        }
        let extra: &[AgeIdentity] = cache.get(recipient).map_or(&[], Vec::as_slice);
        if self.age.is_empty() && extra.is_empty() {
            return Err(
                "no age identity available (set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY or \
                        pass --age-key)"
                    .into(),
            );
        }
        let reader = age::armor::ArmoredReader::new(enc.trim_start().as_bytes());
        let dec = age::Decryptor::new(reader).map_err(|e| format!("invalid age file: {e}"))?;
        if dec.is_scrypt() {
            return Err("passphrase-encrypted age data keys are not supported".into());
        }
        let ids = self
            .age
            .iter()
            .map(|(_, i)| i.as_ref() as &dyn age::Identity)
            .chain(extra.iter().map(|i| i.as_ref() as &dyn age::Identity));
        let mut r = dec.decrypt(ids).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => format!(
                "no matching identity among {} age identities ({})",
                self.age.len() + extra.len(),
                self.age
                    .iter()
                    .map(|a| a.0.as_str())
                    .chain((!extra.is_empty()).then_some("SOPS_AGE_KEY_CMD"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            e => format!("age decryption failed: {e}"),
        })?;
        let mut out = Vec::new();
        r.read_to_end(&mut out)
            .map_err(|e| format!("age payload is corrupt: {e}"))?;
        Ok(out)
    }

    fn pgp_decrypt(&self, enc: &str) -> std::result::Result<Vec<u8>, String> {
        let native = self.pgp_decrypt_native(enc);
        match native {
            Ok(v) => Ok(v),
            Err(e) if self.use_gpg => match gpg_decrypt(enc) {
                Ok(v) => Ok(v),
                Err(g) => Err(format!("{e}; gpg: {g}")),
            },
            Err(e) => Err(e),
        }
    }

    fn pgp_decrypt_native(&self, enc: &str) -> std::result::Result<Vec<u8>, String> {
        if self.pgp_secret.is_empty() {
            return Err("no OpenPGP secret key loaded (pass --pgp-key FILE)".into());
        }
        let mut last = String::new();
        for (src, key) in &self.pgp_secret {
            let msg = match Message::from_string(enc) {
                Ok((m, _)) => m,
                Err(e) => return Err(format!("invalid PGP message: {e}")),
            };
            match msg.decrypt(&Password::empty(), key) {
                Ok(m) => {
                    let mut m = if m.is_compressed() {
                        m.decompress()
                            .map_err(|e| format!("decompression failed: {e}"))?
                    } else {
                        m
                    };
                    return m
                        .as_data_vec()
                        .map_err(|e| format!("PGP payload is corrupt: {e}"));
                }
                Err(e) => last = format!("{src}: {e}"),
            }
        }
        Err(format!(
            "none of the {} OpenPGP secret keys could decrypt it (last error: {last})",
            self.pgp_secret.len()
        ))
    }

    /// Also try the GnuPG keyring (`gpg --decrypt`, like sops) when the loaded PGP keys fail.
    /// On by default in [`KeySources::from_env`]; `SOPS_GPG_EXEC` names the binary.
    pub fn set_use_gpg(&mut self, on: bool) {
        self.use_gpg = on;
    }

    fn decrypt_group(&self, g: &KeyGroup, attempts: &mut Vec<KeyAttempt>) -> Option<Vec<u8>> {
        for k in &g.age {
            match self.age_decrypt(&k.recipient, &k.enc) {
                Ok(v) => return Some(v),
                Err(reason) => attempts.push(KeyAttempt {
                    key: format!("age:{}", k.recipient),
                    reason,
                }),
            }
        }
        for k in &g.pgp {
            match self.pgp_decrypt(&k.enc) {
                Ok(v) => return Some(v),
                Err(reason) => attempts.push(KeyAttempt {
                    key: format!("pgp:{}", k.fp),
                    reason,
                }),
            }
        }
        for (kind, id) in &g.other {
            attempts.push(KeyAttempt {
                key: format!("{kind}:{id}"),
                reason: format!("unsupported key type `{kind}` (only age and PGP are supported)"),
            });
        }
        None
    }

    /// Unwraps the secret (data key or Shamir share) of one key group.
    pub fn unwrap_group(&self, g: &KeyGroup) -> Result<Vec<u8>> {
        let mut attempts = Vec::new();
        self.decrypt_group(g, &mut attempts)
            .ok_or(Error::NoKey(Attempts(attempts)))
    }

    /// Recovers the 32-byte data key from the metadata's key groups.
    pub fn data_key(&self, md: &Metadata) -> Result<[u8; 32]> {
        let mut attempts = Vec::new();
        let notes = |attempts: &mut Vec<KeyAttempt>| {
            for n in &self.notes {
                attempts.push(KeyAttempt {
                    key: "key source".into(),
                    reason: n.clone(),
                });
            }
        };
        let key = if md.key_groups.len() <= 1 {
            let Some(g) = md.key_groups.first() else {
                return Err(Error::NoKey(Attempts(vec![])));
            };
            match self.decrypt_group(g, &mut attempts) {
                Some(k) => k,
                None => {
                    notes(&mut attempts);
                    return Err(Error::NoKey(Attempts(attempts)));
                }
            }
        } else {
            let needed = md.threshold();
            let mut shares = Vec::new();
            for g in &md.key_groups {
                if let Some(s) = self.decrypt_group(g, &mut attempts) {
                    shares.push(s);
                    if shares.len() >= needed {
                        break;
                    }
                }
            }
            if shares.len() < needed {
                notes(&mut attempts);
                return Err(Error::NotEnoughShares {
                    got: shares.len(),
                    needed,
                    attempts: Attempts(attempts),
                });
            }
            shamir::combine(&shares)
                .map_err(|e| Error::Metadata(format!("cannot combine Shamir shares: {e}")))?
        };
        key.as_slice().try_into().map_err(|_| {
            Error::Metadata(format!(
                "the recovered data key has {} bytes, expected 32",
                key.len()
            ))
        })
    }

    fn find_pgp_public(&self, fp: &str) -> Option<&SignedPublicKey> {
        let want = fp.replace(' ', "").to_ascii_uppercase();
        self.pgp_public.iter().map(|(_, k)| k).find(|k| {
            let main = format!("{:X}", k.fingerprint());
            main.ends_with(&want)
                || k.public_subkeys
                    .iter()
                    .any(|s| format!("{:X}", s.key.fingerprint()).ends_with(&want))
        })
    }

    /// Encrypts `secret` to one PGP key given by fingerprint (public key must be loaded).
    pub fn pgp_encrypt(&self, fp: &str, secret: &[u8]) -> Result<String> {
        use pgp::composed::{ArmorOptions, MessageBuilder};
        use pgp::crypto::sym::SymmetricKeyAlgorithm;
        let exported;
        let key = match self.find_pgp_public(fp) {
            Some(k) => k,
            None => {
                let missing = || Error::InvalidKey {
                    key: format!("pgp:{fp}"),
                    reason: "no OpenPGP public key with this fingerprint was loaded (pass \
                             --pgp-key FILE) or found in the GnuPG keyring"
                        .into(),
                };
                if !self.use_gpg {
                    return Err(missing());
                }
                let mut tmp = KeySources::new();
                let armored = gpg_export(fp).ok_or_else(missing)?;
                tmp.add_pgp_key(&armored, "gpg --export")
                    .map_err(|_| missing())?;
                exported = tmp;
                exported.find_pgp_public(fp).ok_or_else(missing)?
            }
        };
        let mut rng = rand::rngs::OsRng;
        let err =
            |e: pgp::errors::Error| Error::Encrypt(format!("OpenPGP encryption to {fp}: {e}"));
        let mut b = MessageBuilder::from_bytes("", secret.to_vec())
            .seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
        let sub = key
            .public_subkeys
            .iter()
            .find(|s| s.key.algorithm().can_encrypt());
        match sub {
            Some(s) => b.encrypt_to_key(&mut rng, &s.key).map_err(err)?,
            None => b.encrypt_to_key(&mut rng, &key.primary_key).map_err(err)?,
        };
        b.to_armored_string(rng, ArmorOptions::default())
            .map_err(err)
    }
}

/// Encrypts `secret` to one age recipient (X25519 `age1…`, post-quantum hybrid `age1pq1…` or an
/// SSH public key), armored.
pub fn age_encrypt(recipient: &str, secret: &[u8]) -> Result<String> {
    let recipient = recipient.trim();
    let bad = |reason: String| Error::InvalidKey {
        key: format!("age:{recipient}"),
        reason,
    };
    let r: Box<dyn age::Recipient> = if recipient.starts_with("age1pq1") {
        Box::new(HybridRecipient::from_str(recipient).map_err(|reason| {
            Error::InvalidHybridKey {
                key: format!("age:{recipient}"),
                reason,
            }
        })?)
    } else if recipient.starts_with("ssh-") {
        Box::new(age::ssh::Recipient::from_str(recipient).map_err(|e| bad(format!("{e:?}")))?)
    } else {
        Box::new(age::x25519::Recipient::from_str(recipient).map_err(|e| bad(e.to_string()))?)
    };
    let enc = age::Encryptor::with_recipients(std::iter::once(r.as_ref()))
        .map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    let mut w = enc
        .wrap_output(armor)
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    w.write_all(secret)
        .map_err(|e| Error::Encrypt(e.to_string()))?;
    let armor = w.finish().map_err(|e| Error::Encrypt(e.to_string()))?;
    armor.finish().map_err(|e| Error::Encrypt(e.to_string()))?;
    let mut s = String::from_utf8(out).map_err(|e| Error::Encrypt(e.to_string()))?;
    if !s.ends_with('\n') {
        s.push('\n');
    }
    Ok(s)
}

/// Wraps the data key for every key group of `md` (Shamir-splitting it across groups when
/// there are several), filling the `enc` fields.
pub fn wrap_data_key(md: &mut Metadata, key: &[u8; 32], ks: &KeySources) -> Result<()> {
    let n = md.key_groups.len();
    let shares: Vec<Vec<u8>> = if n <= 1 {
        vec![key.to_vec()]
    } else {
        shamir::split(key, n, md.threshold()).map_err(Error::Encrypt)?
    };
    for (g, share) in md.key_groups.iter_mut().zip(shares) {
        for a in &mut g.age {
            *a = AgeKey {
                recipient: a.recipient.clone(),
                enc: age_encrypt(&a.recipient, &share)?,
            };
        }
        for p in &mut g.pgp {
            *p = PgpKey {
                fp: p.fp.clone(),
                created_at: crate::now_rfc3339(),
                enc: ks.pgp_encrypt(&p.fp, &share)?,
            };
        }
        if let Some((kind, id)) = g.other.first() {
            return Err(Error::UnsupportedKey(format!(
                "{kind}:{id} (only age and PGP keys can be used to encrypt)"
            )));
        }
    }
    Ok(())
}

/// Decrypts an armored PGP message with the local GnuPG (its agent handles passphrases).
fn gpg_decrypt(enc: &str) -> std::result::Result<Vec<u8>, String> {
    let exe = std::env::var("SOPS_GPG_EXEC")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "gpg".into());
    let mut child = std::process::Command::new(&exe)
        .args(["--batch", "--use-agent", "--quiet", "--decrypt"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {exe}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(enc.as_bytes())
            .map_err(|e| format!("writing to {exe}: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{exe}: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("failed").trim();
        Err(last.strip_prefix("gpg: ").unwrap_or(last).to_string())
    }
}

/// The armored public key `gpg --export` gives for a fingerprint, if any.
fn gpg_export(fp: &str) -> Option<String> {
    let exe = std::env::var("SOPS_GPG_EXEC")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "gpg".into());
    let out = std::process::Command::new(exe)
        .args(["--batch", "--quiet", "--armor", "--export", fp])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && text.contains("PUBLIC KEY BLOCK")).then_some(text)
}

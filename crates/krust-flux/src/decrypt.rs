//! SOPS decryption as kustomize-controller applies it (`spec.decryption.provider: sops`).
//!
//! What the controller decrypts, and so what krust decrypts:
//! - before the build, files a kustomization's `secretGenerator` reads (`files`, `envs`) and
//!   `patches[].path` files, when they contain SOPS metadata;
//! - after the build, every object carrying a `sops` block with a `mac` (whatever its kind);
//! - in `Secret`s, each `data` value that base64-decodes to a SOPS document (YAML, JSON, dotenv,
//!   INI or binary envelope), re-encoded in the format its key's extension names.
//!
//! An object annotated `kustomize.toolkit.fluxcd.io/decrypt: disabled` is left alone. The actual
//! cryptography is behind [`Decryptor`], implemented with krust-sops by the caller.

use krust_yaml::Value;

/// The SOPS stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SopsFormat {
    /// YAML document.
    Yaml,
    /// JSON document.
    Json,
    /// `KEY=value` lines.
    Dotenv,
    /// INI file.
    Ini,
    /// Any other file, stored as a JSON envelope `{"data": …, "sops": …}`.
    Binary,
}

/// What a decryption attempt gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Decrypted<T> {
    /// The plaintext.
    Plain(T),
    /// No key able to open this document is available; keep it encrypted.
    NoKey,
}

/// SOPS decryption, provided by the caller (krust-sops with age/PGP keys).
pub trait Decryptor {
    /// Decrypts an encrypted object tree (with its `sops` block); the result has no `sops` block.
    fn decrypt_tree(&self, doc: &Value) -> Result<Decrypted<Value>, String>;
    /// Decrypts a file's content, read in `input` format and written back in `output` format.
    fn decrypt_bytes(
        &self,
        data: &[u8],
        input: SopsFormat,
        output: SopsFormat,
    ) -> Result<Decrypted<Vec<u8>>, String>;
}

/// A decryptor with no keys: every document stays encrypted.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoKeys;

impl Decryptor for NoKeys {
    fn decrypt_tree(&self, _doc: &Value) -> Result<Decrypted<Value>, String> {
        Ok(Decrypted::NoKey)
    }
    fn decrypt_bytes(
        &self,
        _data: &[u8],
        _input: SopsFormat,
        _output: SopsFormat,
    ) -> Result<Decrypted<Vec<u8>>, String> {
        Ok(Decrypted::NoKey)
    }
}

/// The store SOPS picks for a file name (`.dockerconfigjson` counts as JSON, as in Flux).
pub fn format_for_path(path: &str) -> SopsFormat {
    if path.ends_with(".dockerconfigjson") || path.ends_with(".json") {
        SopsFormat::Json
    } else if path.ends_with(".yaml") || path.ends_with(".yml") {
        SopsFormat::Yaml
    } else if path.ends_with(".env") {
        SopsFormat::Dotenv
    } else if path.ends_with(".ini") {
        SopsFormat::Ini
    } else {
        SopsFormat::Binary
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Detects a SOPS document by the marker of its MAC, as the controller does. JSON and the binary
/// envelope share a marker; a JSON document whose only other top-level key is `data` is treated
/// as the binary envelope.
pub fn detect_format(data: &[u8]) -> Option<SopsFormat> {
    if contains(data, b"\"mac\": \"ENC[") {
        let is_envelope = std::str::from_utf8(data)
            .ok()
            .and_then(|t| krust_yaml::parse_one(t).ok())
            .and_then(|v| v.as_map().map(|m| m.len() == 2 && m.contains_key("data")))
            .unwrap_or(false);
        return Some(if is_envelope {
            SopsFormat::Binary
        } else {
            SopsFormat::Json
        });
    }
    if contains(data, b"sops_mac=ENC[") {
        return Some(SopsFormat::Dotenv);
    }
    if contains(data, b"[sops]") {
        return Some(SopsFormat::Ini);
    }
    if contains(data, b"mac: ENC[") {
        return Some(SopsFormat::Yaml);
    }
    None
}

/// True when the object has a `sops` block with a non-empty `mac`.
pub fn is_sops_object(obj: &Value) -> bool {
    obj.get_path(&["sops", "mac"])
        .is_some_and(|m| !m.is_null() && m.as_str() != Some(""))
}

/// True when the object opts out of decryption.
pub fn decryption_disabled(obj: &Value) -> bool {
    obj.str_at(&[
        "metadata",
        "annotations",
        "kustomize.toolkit.fluxcd.io/decrypt",
    ])
    .is_some_and(|v| v.eq_ignore_ascii_case("disabled"))
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecryptOutcome {
    /// Something was decrypted.
    pub decrypted: bool,
    /// Something stayed encrypted because no key was available.
    pub kept_encrypted: bool,
}

/// Decrypts one rendered object in place.
pub fn decrypt_object(obj: &mut Value, dec: &dyn Decryptor) -> Result<DecryptOutcome, String> {
    let mut outcome = DecryptOutcome::default();
    if decryption_disabled(obj) {
        return Ok(outcome);
    }
    if is_sops_object(obj) {
        match dec.decrypt_tree(obj)? {
            Decrypted::Plain(v) => {
                *obj = v;
                outcome.decrypted = true;
            }
            Decrypted::NoKey => outcome.kept_encrypted = true,
        }
        return Ok(outcome);
    }
    if obj.str_at(&["kind"]) != Some("Secret") {
        return Ok(outcome);
    }
    let Some(Value::Map(data)) = obj.get_mut("data") else {
        return Ok(outcome);
    };
    for (key, value) in data.iter_mut() {
        let Some(text) = value.as_str() else { continue };
        let Some(bytes) = base64_decode(text) else {
            continue;
        };
        let Some(input) = detect_format(&bytes) else {
            continue;
        };
        match dec
            .decrypt_bytes(&bytes, input, format_for_path(key))
            .map_err(|e| format!("Secret field '{key}': {e}"))?
        {
            Decrypted::Plain(out) => {
                *value = Value::String(base64_encode(&out));
                outcome.decrypted = true;
            }
            Decrypted::NoKey => outcome.kept_encrypted = true,
        }
    }
    Ok(outcome)
}

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Standard base64 decoding (padding required, as Go's `StdEncoding`); `None` when invalid.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    krust_yaml::GO_STD_BASE64.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in ["", "a", "ab", "abc", "abcd", "value"] {
            assert_eq!(
                base64_decode(&base64_encode(s.as_bytes())).as_deref(),
                Some(s.as_bytes())
            );
        }
        assert_eq!(base64_encode(b"value"), "dmFsdWU=");
        assert_eq!(base64_decode("dmFsdWU"), None);
    }

    #[test]
    fn formats() {
        assert_eq!(
            detect_format(b"a: 1\nsops:\n  mac: ENC[AES]"),
            Some(SopsFormat::Yaml)
        );
        assert_eq!(
            detect_format(b"A=1\nsops_mac=ENC[AES]"),
            Some(SopsFormat::Dotenv)
        );
        assert_eq!(
            detect_format(b"{\"data\": \"ENC[x]\", \"sops\": {\"mac\": \"ENC[AES]\"}}"),
            Some(SopsFormat::Binary)
        );
        assert_eq!(format_for_path(".dockerconfigjson"), SopsFormat::Json);
        assert_eq!(format_for_path("secret.env"), SopsFormat::Dotenv);
    }
}

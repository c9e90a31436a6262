//! AES-256-GCM value encryption in the SOPS `ENC[AES256_GCM,…]` format.

use crate::error::{Error, Result};
use crate::tree::{go_float_f, Comment, Value};
use aes_gcm::aead::consts::{U12, U16, U32};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use std::collections::HashMap;

/// The plaintext bytes SOPS uses for a leaf (for AES and for the MAC), plus its type tag.
pub fn leaf_bytes(v: &Value) -> Option<(Vec<u8>, &'static str)> {
    Some(match v {
        Value::Str(s) => (s.as_bytes().to_vec(), "str"),
        Value::Int(i) => (i.to_string().into_bytes(), "int"),
        Value::Float(f) => (go_float_f(*f).into_bytes(), "float"),
        Value::Bool(b) => (
            (if *b { "True" } else { "False" }).as_bytes().to_vec(),
            "bool",
        ),
        Value::Bytes(b) => (b.clone(), "bytes"),
        Value::Time(t) => (t.as_bytes().to_vec(), "time"),
        Value::Comment(c) => (c.text.as_bytes().to_vec(), "comment"),
        Value::Null | Value::Map(_) | Value::Seq(_) => return None,
    })
}

/// A parsed `ENC[…]` string.
struct Parsed {
    data: Vec<u8>,
    iv: Vec<u8>,
    tag: Vec<u8>,
    ty: String,
}

fn parse(s: &str) -> std::result::Result<Parsed, String> {
    let inner = s
        .strip_prefix("ENC[AES256_GCM,data:")
        .ok_or("not in SOPS `ENC[AES256_GCM,…]` format")?;
    let end = inner.rfind(']').ok_or("missing closing `]`")?;
    let inner = &inner[..end];
    let (data, rest) = inner.split_once(",iv:").ok_or("missing `iv`")?;
    let (iv, rest) = rest.split_once(",tag:").ok_or("missing `tag`")?;
    let (tag, ty) = rest.split_once(",type:").ok_or("missing `type`")?;
    let dec = |name: &str, v: &str| {
        B64.decode(v)
            .map_err(|e| format!("invalid base64 in `{name}`: {e}"))
    };
    Ok(Parsed {
        data: dec("data", data)?,
        iv: dec("iv", iv)?,
        tag: dec("tag", tag)?,
        ty: ty.to_string(),
    })
}

/// Whether a string looks like a SOPS-encrypted value.
pub fn is_encrypted(s: &str) -> bool {
    s.starts_with("ENC[AES256_GCM,")
}

fn gcm_open(
    key: &[u8; 32],
    iv: &[u8],
    ct: &[u8],
    aad: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    let payload = Payload { msg: ct, aad };
    let err =
        |_| "authentication failed (wrong data key, wrong path or tampered value)".to_string();
    match iv.len() {
        32 => AesGcm::<Aes256, U32>::new(key.into())
            .decrypt(Nonce::<U32>::from_slice(iv), payload)
            .map_err(err),
        12 => AesGcm::<Aes256, U12>::new(key.into())
            .decrypt(Nonce::<U12>::from_slice(iv), payload)
            .map_err(err),
        16 => AesGcm::<Aes256, U16>::new(key.into())
            .decrypt(Nonce::<U16>::from_slice(iv), payload)
            .map_err(err),
        n => Err(format!("unsupported IV length {n}")),
    }
}

/// Decrypts one `ENC[…]` string with the data key and additional data `aad`.
pub fn decrypt_value(s: &str, key: &[u8; 32], aad: &str) -> std::result::Result<Value, String> {
    if s.is_empty() {
        return Ok(Value::Str(String::new()));
    }
    let p = parse(s)?;
    let mut ct = p.data;
    ct.extend_from_slice(&p.tag);
    let plain = gcm_open(key, &p.iv, &ct, aad.as_bytes())?;
    let text =
        || String::from_utf8(plain.clone()).map_err(|_| "plaintext is not UTF-8".to_string());
    Ok(match p.ty.as_str() {
        "str" => Value::Str(text()?),
        "int" => Value::Int(text()?.parse().map_err(|e| format!("bad int: {e}"))?),
        "float" => Value::Float(text()?.parse().map_err(|e| format!("bad float: {e}"))?),
        "bool" => Value::Bool(parse_go_bool(&text()?).ok_or("bad bool")?),
        "bytes" => Value::Bytes(plain),
        "time" => Value::Time(text()?),
        "comment" => Value::Comment(Comment {
            text: text()?,
            inline: false,
        }),
        t => return Err(format!("unknown value type `{t}`")),
    })
}

fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Encrypts values, reusing the IV of values that were decrypted unchanged (like sops).
#[derive(Default)]
pub struct Encrypter {
    stash: HashMap<(Vec<u8>, &'static str, String), Vec<u8>>,
}

impl Encrypter {
    /// Remembers the IV of a decrypted value so re-encryption gives the same ciphertext.
    pub fn remember(&mut self, s: &str, plain: &Value, aad: &str) {
        if let (Ok(p), Some((bytes, ty))) = (parse(s), leaf_bytes(plain)) {
            if p.iv.len() == 32 {
                self.stash.insert((bytes, ty, aad.to_string()), p.iv);
            }
        }
    }

    /// Encrypts a leaf; empty strings stay empty.
    pub fn encrypt(&self, v: &Value, key: &[u8; 32], aad: &str) -> Result<String> {
        let (bytes, ty) =
            leaf_bytes(v).ok_or_else(|| Error::Encrypt("cannot encrypt a non-scalar".into()))?;
        if bytes.is_empty() && matches!(v, Value::Str(_) | Value::Bytes(_) | Value::Comment(_)) {
            return Ok(String::new());
        }
        let iv = match self.stash.get(&(bytes.clone(), ty, aad.to_string())) {
            Some(iv) => iv.clone(),
            None => {
                let mut iv = vec![0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut iv);
                iv
            }
        };
        let out = AesGcm::<Aes256, U32>::new(key.into())
            .encrypt(
                Nonce::<U32>::from_slice(&iv),
                Payload {
                    msg: &bytes,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| Error::Encrypt("AES-GCM failed".into()))?;
        let (data, tag) = out.split_at(out.len() - 16);
        Ok(format!(
            "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{}]",
            B64.encode(data),
            B64.encode(&iv),
            B64.encode(tag),
            ty
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let key = [7u8; 32];
        let e = Encrypter::default();
        for v in [
            Value::Str("hello".into()),
            Value::Int(-42),
            Value::Float(1234.5),
            Value::Bool(true),
        ] {
            let s = e.encrypt(&v, &key, "a:b:").unwrap();
            assert_eq!(decrypt_value(&s, &key, "a:b:").unwrap(), v);
            assert!(decrypt_value(&s, &key, "a:c:").is_err());
        }
        assert_eq!(
            e.encrypt(&Value::Str(String::new()), &key, "a:").unwrap(),
            ""
        );
    }
}

//! [`Decryptor`] backed by krust-sops, with the controller's choices: the MAC is not verified
//! (kustomize-controller only checks it in its own tests, and kustomize transforms such as
//! `namePrefix` change values the MAC covers), objects are decrypted as JSON documents.

use krust_sops::{decrypt_with, DecryptOptions, Error as SopsError, Format, KeySources};
use krust_yaml::Value;

use crate::decrypt::{Decrypted, Decryptor, SopsFormat};
use crate::json::to_json;

/// Decrypts with the age/PGP identities of a [`KeySources`].
pub struct SopsDecryptor {
    keys: KeySources,
}

impl SopsDecryptor {
    /// Wraps loaded keys.
    pub fn new(keys: KeySources) -> Self {
        SopsDecryptor { keys }
    }

    /// Number of usable identities.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    fn run(
        &self,
        data: &[u8],
        input: Format,
        output: Format,
    ) -> Result<Decrypted<Vec<u8>>, String> {
        let opts = DecryptOptions {
            ignore_mac: true,
            output: Some(output),
            ..DecryptOptions::default()
        };
        match decrypt_with(data, input, &self.keys, &opts) {
            Ok(d) => Ok(Decrypted::Plain(d.plaintext)),
            Err(SopsError::NoKey(_)) | Err(SopsError::NotEnoughShares { .. }) => {
                Ok(Decrypted::NoKey)
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

fn format(f: SopsFormat) -> Format {
    match f {
        SopsFormat::Yaml => Format::Yaml,
        SopsFormat::Json => Format::Json,
        SopsFormat::Dotenv => Format::Dotenv,
        SopsFormat::Ini => Format::Ini,
        SopsFormat::Binary => Format::Binary,
    }
}

impl Decryptor for SopsDecryptor {
    fn decrypt_tree(&self, doc: &Value) -> Result<Decrypted<Value>, String> {
        let json = to_json(doc);
        match self.run(json.as_bytes(), Format::Json, Format::Json)? {
            Decrypted::Plain(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                krust_yaml::parse_one(&text)
                    .map(Decrypted::Plain)
                    .map_err(|e| format!("reading the decrypted document: {e}"))
            }
            Decrypted::NoKey => Ok(Decrypted::NoKey),
        }
    }

    fn decrypt_bytes(
        &self,
        data: &[u8],
        input: SopsFormat,
        output: SopsFormat,
    ) -> Result<Decrypted<Vec<u8>>, String> {
        self.run(data, format(input), format(output))
    }
}

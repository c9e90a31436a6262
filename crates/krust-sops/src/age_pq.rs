//! age's native post-quantum hybrid keys (age ≥ 1.3): `AGE-SECRET-KEY-PQ-1…` identities,
//! `age1pq1…` recipients and the `mlkem768x25519` stanzas they unwrap and produce.
//!
//! The age crate only ships the tagged `mlkem768p256tag` type, so this module implements the
//! hybrid type from its specifications (C2SP `age.md`, section "The MLKEM768-X25519 hybrid
//! post-quantum recipient type", and `filippo.io/hpke-pq` for the KEM):
//!
//! * an identity is a 32-byte seed, Bech32 with HRP `AGE-SECRET-KEY-PQ-`;
//! * SHAKE256 stretches the seed to 96 bytes: the first 64 are the ML-KEM-768 key generation
//!   seed `d ‖ z`, the last 32 are the X25519 secret scalar;
//! * the recipient is the ML-KEM-768 encapsulation key (1184 bytes) followed by the X25519 public
//!   key (32 bytes), Bech32 with HRP `age1pq` (without the usual 90-character limit);
//! * the 16-byte file key is sealed with HPKE base mode (RFC 9180): KEM MLKEM768-X25519 (id
//!   0x647a, the X-Wing combiner `SHA3-256(ss_mlkem ‖ ss_x25519 ‖ ct_x25519 ‖ pk_x25519 ‖
//!   "\.//^\")`), KDF HKDF-SHA256, AEAD ChaCha20-Poly1305, `info =
//!   "age-encryption.org/mlkem768x25519"`, empty AAD;
//! * the stanza is `-> mlkem768x25519 <base64 of the 1120-byte enc>` with the 32-byte HPKE
//!   ciphertext as its body.
//!
//! [`HybridIdentity`] and [`HybridRecipient`] implement the age crate's [`age::Identity`] and
//! [`age::Recipient`] traits, so the age crate still parses and writes the file format.

use age_core::format::{FileKey, Stanza};
use age_core::secrecy::ExposeSecret;
use base64::prelude::{Engine, BASE64_STANDARD_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use kem::Decapsulate;
use ml_kem::{EncapsulateDeterministic, EncodedSizeUser, KemCore, MlKem768};
use rand::RngCore;
use sha2::Sha256;
use sha3::digest::{ExtendableOutput, Update, XofReader};
use sha3::{Digest, Sha3_256, Shake256};
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use zeroize::{Zeroize, Zeroizing};

/// The stanza type (first stanza argument) of the hybrid recipient type.
pub const STANZA_TAG: &str = "mlkem768x25519";
/// Bech32 HRP of a hybrid recipient (`age1pq1…`).
pub const RECIPIENT_HRP: &str = "age1pq";
/// Bech32 HRP of a hybrid identity (`AGE-SECRET-KEY-PQ-1…`).
pub const IDENTITY_HRP: &str = "AGE-SECRET-KEY-PQ-";
/// The label age attaches to post-quantum recipients: the age encryptor refuses to mix them
/// with recipients lacking it (which would void the post-quantum protection).
pub const POSTQUANTUM_LABEL: &str = "postquantum";

/// HPKE `info` of the age stanza.
const INFO: &[u8] = b"age-encryption.org/mlkem768x25519";
/// HPKE algorithm identifiers: KEM MLKEM768-X25519, KDF HKDF-SHA256, AEAD ChaCha20-Poly1305.
const KEM_ID: u16 = 0x647a;
const KDF_ID: u16 = 0x0001;
const AEAD_ID: u16 = 0x0003;
/// The X-Wing combiner label, the six ASCII bytes `\.//^\`.
const COMBINER_LABEL: &[u8] = &[0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c];

const SEED_LEN: usize = 32;
const MLKEM_EK_LEN: usize = 1184;
const MLKEM_CT_LEN: usize = 1088;
const X25519_LEN: usize = 32;
/// Encoded recipient: ML-KEM-768 encapsulation key ‖ X25519 public key.
pub const PUBLIC_KEY_LEN: usize = MLKEM_EK_LEN + X25519_LEN;
/// Encapsulated key `enc`: ML-KEM-768 ciphertext ‖ ephemeral X25519 public key.
pub const ENC_LEN: usize = MLKEM_CT_LEN + X25519_LEN;
const FILE_KEY_LEN: usize = 16;
const TAG_LEN: usize = 16;
const AEAD_KEY_LEN: usize = 32;
const AEAD_NONCE_LEN: usize = 12;
/// Randomness one encapsulation consumes: the ML-KEM message, then the ephemeral X25519 scalar.
const ENCAPS_RANDOM_LEN: usize = 64;

type DecapsulationKey = <MlKem768 as KemCore>::DecapsulationKey;
type EncapsulationKey = <MlKem768 as KemCore>::EncapsulationKey;

/// Why a hybrid identity or recipient string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HybridKeyError {
    /// Not a well-formed Bech32 string (bad character, checksum or mixed case).
    #[error("not valid Bech32: {0}")]
    Bech32(String),
    /// Bech32, but for another key type.
    #[error("wrong key type `{found}` (expected `{expected}1…`)")]
    WrongType {
        /// The HRP found.
        found: String,
        /// The HRP wanted.
        expected: &'static str,
    },
    /// The decoded key has the wrong size.
    #[error("the key holds {got} bytes, expected {expected}")]
    Length {
        /// Bytes decoded.
        got: usize,
        /// Bytes required.
        expected: usize,
    },
    /// The ML-KEM-768 part of a recipient has a coefficient outside `0..3329` (FIPS 203 input
    /// check).
    #[error("the ML-KEM-768 encapsulation key is not canonically encoded")]
    NonCanonicalMlKem,
}

/// Decodes a Bech32 string (no length limit, either case) with HRP `hrp` into bytes.
fn bech32_bytes(s: &str, hrp: &'static str) -> Result<Vec<u8>, HybridKeyError> {
    age_core::primitives::bech32_decode(
        s,
        |e| HybridKeyError::Bech32(e.to_string()),
        |found| {
            if found == bech32::Hrp::parse_unchecked(hrp) {
                Ok(())
            } else {
                Err(HybridKeyError::WrongType {
                    found: found.to_string(),
                    expected: hrp,
                })
            }
        },
        |_, bytes| Ok(bytes.collect()),
    )
}

/// FIPS 203 modulus check: every 12-bit coefficient of the encoded `t̂` must be below q = 3329.
fn mlkem_ek_is_canonical(ek: &[u8]) -> bool {
    const Q: u16 = 3329;
    // The last 32 bytes are the matrix seed ρ, not coefficients.
    ek[..ek.len() - 32].chunks_exact(3).all(|b| {
        let lo = u16::from(b[0]) | (u16::from(b[1] & 0x0f) << 8);
        let hi = u16::from(b[1] >> 4) | (u16::from(b[2]) << 4);
        lo < Q && hi < Q
    })
}

/// An `age1pq1…` recipient: files encrypted to it open with the matching [`HybridIdentity`].
#[derive(Clone)]
pub struct HybridRecipient {
    ek_pq: EncapsulationKey,
    ek_t: x25519_dalek::PublicKey,
}

impl HybridRecipient {
    /// Reads an encoded recipient (ML-KEM-768 encapsulation key ‖ X25519 public key).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HybridKeyError> {
        if bytes.len() != PUBLIC_KEY_LEN {
            return Err(HybridKeyError::Length {
                got: bytes.len(),
                expected: PUBLIC_KEY_LEN,
            });
        }
        let (pq, t) = bytes.split_at(MLKEM_EK_LEN);
        if !mlkem_ek_is_canonical(pq) {
            return Err(HybridKeyError::NonCanonicalMlKem);
        }
        let pq = ml_kem::Encoded::<EncapsulationKey>::try_from(pq).map_err(|_| {
            HybridKeyError::Length {
                got: bytes.len(),
                expected: PUBLIC_KEY_LEN,
            }
        })?;
        let mut t_bytes = [0u8; X25519_LEN];
        t_bytes.copy_from_slice(t);
        Ok(Self {
            ek_pq: EncapsulationKey::from_bytes(&pq),
            ek_t: x25519_dalek::PublicKey::from(t_bytes),
        })
    }

    /// The encoded recipient (1216 bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.ek_pq.as_bytes().to_vec();
        out.extend_from_slice(self.ek_t.as_bytes());
        out
    }

    /// X-Wing encapsulation with caller-provided randomness: returns the shared secret and `enc`.
    /// Fails only when the recipient's X25519 key yields an all-zero shared secret (a low-order
    /// point, which a genuine key never is).
    fn encapsulate_with(
        &self,
        randomness: &[u8; ENCAPS_RANDOM_LEN],
    ) -> Result<(Zeroizing<[u8; 32]>, Vec<u8>), &'static str> {
        let mut m = ml_kem::B32::default();
        m.copy_from_slice(&randomness[..32]);
        let (ct_pq, mut ss_pq) = self
            .ek_pq
            .encapsulate_deterministic(&m)
            .map_err(|()| "ML-KEM-768 encapsulation failed")?;
        m.zeroize();
        let mut e = [0u8; 32];
        e.copy_from_slice(&randomness[32..]);
        let sk_e = x25519_dalek::StaticSecret::from(e);
        e.zeroize();
        let ct_t = x25519_dalek::PublicKey::from(&sk_e);
        let ss_t = sk_e.diffie_hellman(&self.ek_t);
        if !ss_t.was_contributory() {
            return Err("the recipient's X25519 key is a low-order point");
        }
        let ss = combine(
            &ss_pq,
            ss_t.as_bytes(),
            ct_t.as_bytes(),
            self.ek_t.as_bytes(),
        );
        ss_pq.zeroize();
        let mut enc = ct_pq.to_vec();
        enc.extend_from_slice(ct_t.as_bytes());
        Ok((ss, enc))
    }

    /// Builds the `mlkem768x25519` stanza for `file_key` from the given randomness.
    fn stanza_with(
        &self,
        file_key: &[u8; FILE_KEY_LEN],
        randomness: &[u8; ENCAPS_RANDOM_LEN],
    ) -> Result<Stanza, &'static str> {
        let (ss, enc) = self.encapsulate_with(randomness)?;
        let body = KeySchedule::new(&ss[..], INFO)?.seal(0, b"", file_key)?;
        Ok(Stanza {
            tag: STANZA_TAG.to_string(),
            args: vec![BASE64_STANDARD_NO_PAD.encode(&enc)],
            body,
        })
    }
}

impl FromStr for HybridRecipient {
    type Err = HybridKeyError;

    /// Parses an `age1pq1…` string.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_bytes(&bech32_bytes(s.trim(), RECIPIENT_HRP)?)
    }
}

impl fmt::Display for HybridRecipient {
    /// The `age1pq1…` encoding.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        age_core::primitives::bech32_encode_to_fmt(
            f,
            bech32::Hrp::parse_unchecked(RECIPIENT_HRP),
            &self.to_bytes(),
        )
    }
}

impl fmt::Debug for HybridRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HybridRecipient({self})")
    }
}

impl age::Recipient for HybridRecipient {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        let mut randomness = Zeroizing::new([0u8; ENCAPS_RANDOM_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut randomness[..]);
        let stanza = self
            .stanza_with(file_key.expose_secret(), &randomness)
            .map_err(|e| age::EncryptError::Io(std::io::Error::other(e)))?;
        Ok((vec![stanza], HashSet::from([POSTQUANTUM_LABEL.to_string()])))
    }
}

/// An `AGE-SECRET-KEY-PQ-1…` identity: unwraps `mlkem768x25519` stanzas.
pub struct HybridIdentity {
    seed: Zeroizing<[u8; SEED_LEN]>,
    dk_pq: DecapsulationKey,
    sk_t: x25519_dalek::StaticSecret,
    public: HybridRecipient,
}

impl HybridIdentity {
    /// Expands a 32-byte seed into the key pair (`expandKey` of the hybrid KEM).
    pub fn from_seed(seed: [u8; SEED_LEN]) -> Self {
        let seed = Zeroizing::new(seed);
        let mut xof = Shake256::default();
        xof.update(&seed[..]);
        let mut reader = xof.finalize_xof();
        let mut d = ml_kem::B32::default();
        let mut z = ml_kem::B32::default();
        let mut t = [0u8; 32];
        reader.read(&mut d);
        reader.read(&mut z);
        reader.read(&mut t);
        let (dk_pq, ek_pq) = MlKem768::generate_deterministic(&d, &z);
        d.zeroize();
        z.zeroize();
        // X25519 accepts every 32-byte string as a scalar (clamped when used), so the first 32
        // bytes are always the key.
        let sk_t = x25519_dalek::StaticSecret::from(t);
        t.zeroize();
        let ek_t = x25519_dalek::PublicKey::from(&sk_t);
        Self {
            seed,
            dk_pq,
            sk_t,
            public: HybridRecipient { ek_pq, ek_t },
        }
    }

    /// A new random identity.
    pub fn generate() -> Self {
        let mut seed = [0u8; SEED_LEN];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let id = Self::from_seed(seed);
        seed.zeroize();
        id
    }

    /// The matching `age1pq1…` recipient.
    pub fn recipient(&self) -> HybridRecipient {
        self.public.clone()
    }

    /// The secret `AGE-SECRET-KEY-PQ-1…` encoding (handle like the key itself).
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        let lower = Zeroizing::new(age_core::primitives::bech32_encode(
            bech32::Hrp::parse_unchecked(IDENTITY_HRP),
            &self.seed[..],
        ));
        Zeroizing::new(lower.to_ascii_uppercase())
    }

    /// X-Wing decapsulation. Fails (rather than returning an unusable secret) when the X25519
    /// half yields the all-zero shared secret, as the specification demands.
    fn decapsulate(&self, enc: &[u8; ENC_LEN]) -> Result<Zeroizing<[u8; 32]>, &'static str> {
        let (ct_pq, ct_t) = enc.split_at(MLKEM_CT_LEN);
        let ct_pq = ml_kem::Ciphertext::<MlKem768>::try_from(ct_pq)
            .map_err(|_| "ML-KEM-768 ciphertext has the wrong size")?;
        // ML-KEM decapsulation never fails: a wrong key gives an unrelated secret (implicit
        // rejection) and the AEAD then refuses to open.
        let mut ss_pq = self
            .dk_pq
            .decapsulate(&ct_pq)
            .map_err(|()| "ML-KEM-768 decapsulation failed")?;
        let mut t = [0u8; X25519_LEN];
        t.copy_from_slice(ct_t);
        let ss_t = self.sk_t.diffie_hellman(&x25519_dalek::PublicKey::from(t));
        if !ss_t.was_contributory() {
            return Err("the X25519 share is a low-order point");
        }
        let ss = combine(&ss_pq, ss_t.as_bytes(), &t, self.public.ek_t.as_bytes());
        ss_pq.zeroize();
        Ok(ss)
    }
}

impl FromStr for HybridIdentity {
    type Err = HybridKeyError;

    /// Parses an `AGE-SECRET-KEY-PQ-1…` string.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = Zeroizing::new(bech32_bytes(s.trim(), IDENTITY_HRP)?);
        let seed: [u8; SEED_LEN] =
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| HybridKeyError::Length {
                    got: bytes.len(),
                    expected: SEED_LEN,
                })?;
        Ok(Self::from_seed(seed))
    }
}

impl fmt::Debug for HybridIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HybridIdentity(recipient {})", self.public)
    }
}

impl age::Identity for HybridIdentity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        // Other stanza types (including a differently cased tag) are not ours.
        if stanza.tag != STANZA_TAG {
            return None;
        }
        let invalid = || Some(Err(age::DecryptError::InvalidHeader));
        let [arg] = stanza.args.as_slice() else {
            return invalid();
        };
        // Canonical unpadded base64 of exactly ENC_LEN bytes.
        let Ok(enc) = BASE64_STANDARD_NO_PAD.decode(arg) else {
            return invalid();
        };
        let Ok(enc) = <[u8; ENC_LEN]>::try_from(enc.as_slice()) else {
            return invalid();
        };
        // Checked before decrypting (partitioning-oracle mitigation in the specification).
        if stanza.body.len() != FILE_KEY_LEN + TAG_LEN {
            return invalid();
        }
        let Ok(ss) = self.decapsulate(&enc) else {
            return invalid();
        };
        let Ok(schedule) = KeySchedule::new(&ss[..], INFO) else {
            return invalid();
        };
        // A failed open means the stanza is for another recipient.
        let plain = Zeroizing::new(schedule.open(0, b"", &stanza.body).ok()?);
        if plain.len() != FILE_KEY_LEN {
            return invalid();
        }
        Some(Ok(FileKey::init_with_mut(|k| k.copy_from_slice(&plain))))
    }
}

/// The X-Wing combiner: `SHA3-256(ss_pq ‖ ss_t ‖ ct_t ‖ pk_t ‖ label)`.
fn combine(ss_pq: &[u8], ss_t: &[u8], ct_t: &[u8], pk_t: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut h = Sha3_256::new();
    Digest::update(&mut h, ss_pq);
    Digest::update(&mut h, ss_t);
    Digest::update(&mut h, ct_t);
    Digest::update(&mut h, pk_t);
    Digest::update(&mut h, COMBINER_LABEL);
    Zeroizing::new(h.finalize().into())
}

/// HPKE `suite_id` = "HPKE" ‖ kem_id ‖ kdf_id ‖ aead_id.
fn suite_id() -> [u8; 10] {
    let mut s = [0u8; 10];
    s[..4].copy_from_slice(b"HPKE");
    s[4..6].copy_from_slice(&KEM_ID.to_be_bytes());
    s[6..8].copy_from_slice(&KDF_ID.to_be_bytes());
    s[8..10].copy_from_slice(&AEAD_ID.to_be_bytes());
    s
}

/// RFC 9180 `LabeledExtract(salt, label, ikm)` with HKDF-SHA256; returns the PRK.
fn labeled_extract(salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut input = Zeroizing::new(Vec::with_capacity(7 + 10 + label.len() + ikm.len()));
    input.extend_from_slice(b"HPKE-v1");
    input.extend_from_slice(&suite_id());
    input.extend_from_slice(label);
    input.extend_from_slice(ikm);
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), &input);
    Zeroizing::new(prk.to_vec())
}

/// RFC 9180 `LabeledExpand(prk, label, info, L)` with HKDF-SHA256. The errors cannot happen
/// with the lengths used here (a 32-byte PRK, L ≤ 32), but are passed on rather than hidden.
fn labeled_expand<const L: usize>(
    prk: &[u8],
    label: &[u8],
    info: &[u8],
) -> Result<Zeroizing<[u8; L]>, &'static str> {
    let mut out = Zeroizing::new([0u8; L]);
    let length = u16::try_from(L)
        .map_err(|_| "HKDF output too long")?
        .to_be_bytes();
    Hkdf::<Sha256>::from_prk(prk)
        .map_err(|_| "HKDF pseudorandom key too short")?
        .expand_multi_info(
            &[&length, b"HPKE-v1", &suite_id(), label, info],
            &mut out[..],
        )
        .map_err(|_| "HKDF output too long")?;
    Ok(out)
}

/// The base-mode HPKE context: AEAD key and base nonce derived from the KEM shared secret.
struct KeySchedule {
    key: Zeroizing<[u8; AEAD_KEY_LEN]>,
    base_nonce: [u8; AEAD_NONCE_LEN],
}

impl KeySchedule {
    /// `KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "")`.
    fn new(shared_secret: &[u8], info: &[u8]) -> Result<Self, &'static str> {
        let psk_id_hash = labeled_extract(b"", b"psk_id_hash", b"");
        let info_hash = labeled_extract(b"", b"info_hash", info);
        let mut context = Vec::with_capacity(1 + psk_id_hash.len() + info_hash.len());
        context.push(0x00);
        context.extend_from_slice(&psk_id_hash);
        context.extend_from_slice(&info_hash);
        let secret = labeled_extract(shared_secret, b"secret", b"");
        let key = labeled_expand::<AEAD_KEY_LEN>(&secret, b"key", &context)?;
        let base_nonce = *labeled_expand::<AEAD_NONCE_LEN>(&secret, b"base_nonce", &context)?;
        Ok(Self { key, base_nonce })
    }

    /// The nonce of message number `seq`: base nonce XOR big-endian `seq`.
    fn nonce(&self, seq: u64) -> [u8; AEAD_NONCE_LEN] {
        let mut n = self.base_nonce;
        for (b, s) in n[AEAD_NONCE_LEN - 8..].iter_mut().zip(seq.to_be_bytes()) {
            *b ^= s;
        }
        n
    }

    fn seal(&self, seq: u64, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, &'static str> {
        let aead = ChaCha20Poly1305::new((&*self.key).into());
        aead.encrypt(
            (&self.nonce(seq)).into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| "ChaCha20-Poly1305 encryption failed")
    }

    fn open(&self, seq: u64, aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, &'static str> {
        let aead = ChaCha20Poly1305::new((&*self.key).into());
        aead.decrypt(
            (&self.nonce(seq)).into(),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| "ChaCha20-Poly1305 authentication failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::json;
    use crate::Value;

    fn hex(s: &str) -> Vec<u8> {
        assert!(s.len() % 2 == 0, "odd hex length");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
            .collect()
    }

    fn field(v: &Value, k: &str) -> Vec<u8> {
        hex(v
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{k}")))
    }

    /// `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", 32)` of the hybrid KEM, only used to
    /// check the vector's `ikmR → skRm` step.
    fn derive_seed(ikm: &[u8]) -> [u8; 32] {
        let mut xof = Shake256::default();
        xof.update(ikm);
        xof.update(b"HPKE-v1");
        xof.update(b"KEM");
        xof.update(&KEM_ID.to_be_bytes());
        xof.update(&13u16.to_be_bytes());
        xof.update(b"DeriveKeyPair");
        xof.update(&32u16.to_be_bytes());
        let mut out = [0u8; 32];
        xof.finalize_xof().read(&mut out);
        out
    }

    /// The HPKE known-answer vector for exactly age's profile (MLKEM768-X25519, HKDF-SHA256,
    /// ChaCha20-Poly1305, base mode); see the fixture's `_source`.
    #[test]
    fn hpke_known_answer() {
        let text = include_str!(
            "../tests/fixtures/age-pq/hpke-mlkem768x25519-hkdfsha256-chacha20poly1305.json"
        );
        let v = Value::Map(json::parse(text.as_bytes()).expect("fixture parses"));
        let id_of = |k: &str| match v.get(k) {
            Some(Value::Int(i)) => Some(*i),
            Some(Value::Float(f)) => Some(*f as i64),
            _ => None,
        };
        assert_eq!(id_of("mode"), Some(0), "base mode");
        assert_eq!(id_of("kem_id"), Some(i64::from(KEM_ID)));
        assert_eq!(id_of("kdf_id"), Some(i64::from(KDF_ID)));
        assert_eq!(id_of("aead_id"), Some(i64::from(AEAD_ID)));
        assert_eq!(field(&v, "suite_id"), suite_id());

        let sk = field(&v, "skRm");
        assert_eq!(derive_seed(&field(&v, "ikmR")).to_vec(), sk);
        let id = HybridIdentity::from_seed(sk.as_slice().try_into().unwrap());
        assert_eq!(
            id.recipient().to_bytes(),
            field(&v, "pkRm"),
            "key expansion"
        );

        let randomness: [u8; 64] = field(&v, "ikmE").as_slice().try_into().unwrap();
        let (ss, enc) = id.recipient().encapsulate_with(&randomness).unwrap();
        assert_eq!(enc, field(&v, "enc"), "encapsulation");
        assert_eq!(ss.to_vec(), field(&v, "shared_secret"), "combiner");
        let enc: [u8; ENC_LEN] = enc.as_slice().try_into().unwrap();
        assert_eq!(
            id.decapsulate(&enc).unwrap().to_vec(),
            ss.to_vec(),
            "decapsulation"
        );

        let ks = KeySchedule::new(&ss[..], &field(&v, "info")).unwrap();
        assert_eq!(ks.key.to_vec(), field(&v, "key"));
        assert_eq!(ks.base_nonce.to_vec(), field(&v, "base_nonce"));
        let Some(Value::Seq(encryptions)) = v.get("encryptions") else {
            panic!("no encryptions");
        };
        assert!(!encryptions.is_empty());
        for (seq, e) in encryptions.iter().enumerate() {
            assert_eq!(ks.nonce(seq as u64).to_vec(), field(e, "nonce"));
            let ct = ks
                .seal(seq as u64, &field(e, "aad"), &field(e, "pt"))
                .unwrap();
            assert_eq!(ct, field(e, "ct"), "encryption {seq}");
            let pt = ks.open(seq as u64, &field(e, "aad"), &ct).unwrap();
            assert_eq!(pt, field(e, "pt"));
        }
    }

    #[test]
    fn rejects_non_canonical_mlkem_key() {
        let id = HybridIdentity::from_seed([7; 32]);
        let mut bytes = id.recipient().to_bytes();
        // First coefficient = 0xfff ≥ 3329.
        bytes[0] = 0xff;
        bytes[1] |= 0x0f;
        assert_eq!(
            HybridRecipient::from_bytes(&bytes).unwrap_err(),
            HybridKeyError::NonCanonicalMlKem
        );
    }

    #[test]
    fn low_order_recipient_cannot_be_encrypted_to() {
        let id = HybridIdentity::from_seed([9; 32]);
        let mut bytes = id.recipient().to_bytes();
        bytes[MLKEM_EK_LEN..].fill(0);
        let r = HybridRecipient::from_bytes(&bytes).unwrap();
        assert!(r.stanza_with(&[1; 16], &[2; 64]).is_err());
    }
}

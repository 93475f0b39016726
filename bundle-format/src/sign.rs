//! Ed25519 signatures over bundles and executable payloads, and the key files that
//! make and check them (`semac --keygen`, `--sign`; `semarun --verify-key`).
//!
//! A signature block follows the bytes it signs (a bundle's header and payload, or an
//! executable payload container) and covers all of them, the header's flags included,
//! so neither the code, the constants, the baked-in run options nor the assets can be
//! changed without the signature failing. Layout (104 bytes):
//!
//! ```text
//! offset size field
//!      0    8 key id      the first 8 bytes of SHA-512 of the public key
//!      8   32 public key  Ed25519, of the key that signed
//!     40   64 signature   Ed25519 over every byte before the block
//! ```
//!
//! Key files are text, after minisign and signify: an `untrusted comment:` line, then
//! one line of base64 holding a two-letter tag, the key id and the key.

use std::fmt;

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

/// Size of the signature block.
pub const SIGNATURE_LEN: usize = 104;

const SECRET_TAG: &[u8; 2] = b"Sk";
const PUBLIC_TAG: &[u8; 2] = b"Pk";

/// A key id: eight bytes naming a key pair, derived from the public key (so a block
/// cannot name one key and carry another).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    pub fn of(public_key: &[u8; 32]) -> KeyId {
        use sha2::Digest;
        let hash = sha2::Sha512::digest(public_key);
        let mut id = [0u8; 8];
        id.copy_from_slice(&hash[..8]);
        KeyId(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

/// A public key that may be trusted (`semarun --verify-key`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub id: KeyId,
    key: [u8; 32],
}

/// A secret key (`semac --sign`).
pub struct SecretKey {
    pub id: KeyId,
    key: SigningKey,
}

/// Why a signature or a key file is not usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignError {
    /// The block is shorter than a signature block.
    Truncated,
    /// The signature does not match the bytes (they, or it, were changed).
    Invalid { key: KeyId },
    /// The bytes carry no signature where one is required.
    Unsigned,
    /// Signed, and the signature is valid, but by a key not among those trusted.
    UntrustedKey { key: KeyId },
    /// A key file that cannot be read as one.
    BadKeyFile(String),
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::Truncated => write!(f, "the signature block is truncated"),
            SignError::Invalid { key } => write!(
                f,
                "the signature by key {key} does not match: the program was changed after it was signed"
            ),
            SignError::Unsigned => write!(f, "the program is not signed, and a signature is required"),
            SignError::UntrustedKey { key } => {
                write!(f, "the program is signed by key {key}, which is not among the trusted keys (--verify-key)")
            }
            SignError::BadKeyFile(problem) => write!(f, "{problem}"),
        }
    }
}

impl std::error::Error for SignError {}

impl SecretKey {
    /// A new key pair from 32 random bytes.
    pub fn generate(seed: [u8; 32]) -> SecretKey {
        let key = SigningKey::from_bytes(&seed);
        SecretKey { id: KeyId::of(&key.verifying_key().to_bytes()), key }
    }

    pub fn public(&self) -> PublicKey {
        PublicKey { id: self.id, key: self.key.verifying_key().to_bytes() }
    }

    /// The signature block for `signed`.
    pub fn sign(&self, signed: &[u8]) -> [u8; SIGNATURE_LEN] {
        let mut block = [0u8; SIGNATURE_LEN];
        block[..8].copy_from_slice(&self.id.0);
        block[8..40].copy_from_slice(&self.key.verifying_key().to_bytes());
        block[40..].copy_from_slice(&self.key.sign(signed).to_bytes());
        block
    }

    /// The secret key file's text.
    pub fn to_file(&self) -> String {
        let mut raw = SECRET_TAG.to_vec();
        raw.extend_from_slice(&self.id.0);
        raw.extend_from_slice(&self.key.to_bytes());
        key_file_text(&format!("sema secret key {}", self.id), &raw)
    }

    pub fn from_file(text: &str) -> Result<SecretKey, SignError> {
        let raw = key_file_bytes(text, SECRET_TAG, 42, "a sema secret key file (made by semac --keygen)")?;
        let seed: [u8; 32] = raw[10..42].try_into().map_err(|_| SignError::BadKeyFile("bad secret key".into()))?;
        let key = SecretKey::generate(seed);
        if key.id != key_id(&raw) {
            return Err(SignError::BadKeyFile("the secret key file is damaged (its key id does not match its key)".into()));
        }
        Ok(key)
    }
}

impl PublicKey {
    /// The public key file's text.
    pub fn to_file(&self) -> String {
        let mut raw = PUBLIC_TAG.to_vec();
        raw.extend_from_slice(&self.id.0);
        raw.extend_from_slice(&self.key);
        key_file_text(&format!("sema public key {}", self.id), &raw)
    }

    pub fn from_file(text: &str) -> Result<PublicKey, SignError> {
        let raw = key_file_bytes(text, PUBLIC_TAG, 42, "a sema public key file (made by semac --keygen)")?;
        let key: [u8; 32] = raw[10..42].try_into().map_err(|_| SignError::BadKeyFile("bad public key".into()))?;
        VerifyingKey::from_bytes(&key).map_err(|_| SignError::BadKeyFile("not a valid Ed25519 public key".into()))?;
        if KeyId::of(&key) != key_id(&raw) {
            return Err(SignError::BadKeyFile("the public key file is damaged (its key id does not match its key)".into()));
        }
        Ok(PublicKey { id: key_id(&raw), key })
    }
}

/// Checks the signature block `block` over `signed`; the key that signed, if valid.
pub fn verify(signed: &[u8], block: &[u8]) -> Result<PublicKey, SignError> {
    let block: &[u8; SIGNATURE_LEN] = block.try_into().map_err(|_| SignError::Truncated)?;
    let id = KeyId(block[..8].try_into().map_err(|_| SignError::Truncated)?);
    let key: [u8; 32] = block[8..40].try_into().map_err(|_| SignError::Truncated)?;
    let signature: [u8; 64] = block[40..].try_into().map_err(|_| SignError::Truncated)?;
    if KeyId::of(&key) != id {
        return Err(SignError::Invalid { key: id });
    }
    let verifying = VerifyingKey::from_bytes(&key).map_err(|_| SignError::Invalid { key: id })?;
    verifying
        .verify_strict(signed, &ed25519_dalek::Signature::from_bytes(&signature))
        .map_err(|_| SignError::Invalid { key: id })?;
    Ok(PublicKey { id, key })
}

/// The key named in a signature block, without checking the signature (for a block
/// whose signature was checked when the bytes were read).
pub fn signing_key(block: &[u8]) -> Option<PublicKey> {
    let block: &[u8; SIGNATURE_LEN] = block.try_into().ok()?;
    Some(PublicKey { id: KeyId(block[..8].try_into().ok()?), key: block[8..40].try_into().ok()? })
}

/// What a run requires of signatures (`semarun --verify-key`, `--require-signature`).
/// A signature that is present is always checked.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// When not empty, a signature by one of these keys is required.
    pub keys: Vec<PublicKey>,
    /// A signature is required (by any key, unless `keys` names some).
    pub require_signature: bool,
}

impl Trust {
    /// Checks what was found: `signer` is the key whose signature verified, if any.
    pub fn accept(&self, signer: Option<&PublicKey>) -> Result<(), SignError> {
        match signer {
            None if self.require_signature || !self.keys.is_empty() => Err(SignError::Unsigned),
            Some(key) if !self.keys.is_empty() && !self.keys.contains(key) => Err(SignError::UntrustedKey { key: key.id }),
            _ => Ok(()),
        }
    }
}

fn key_id(raw: &[u8]) -> KeyId {
    let mut id = [0u8; 8];
    id.copy_from_slice(&raw[2..10]);
    KeyId(id)
}

fn key_file_text(comment: &str, raw: &[u8]) -> String {
    format!("untrusted comment: {comment}\n{}\n", base64::engine::general_purpose::STANDARD.encode(raw))
}

fn key_file_bytes(text: &str, tag: &[u8; 2], len: usize, what: &str) -> Result<Vec<u8>, SignError> {
    let not_one = || SignError::BadKeyFile(format!("not {what}"));
    let mut lines = text.lines();
    if !lines.next().is_some_and(|l| l.starts_with("untrusted comment:")) {
        return Err(not_one());
    }
    let line = lines.next().ok_or_else(not_one)?;
    let raw = base64::engine::general_purpose::STANDARD.decode(line.trim()).map_err(|_| not_one())?;
    if raw.len() != len || raw[..2] != tag[..] {
        return Err(not_one());
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SecretKey {
        SecretKey::generate([n; 32])
    }

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let secret = key(1);
        let message = b"header and payload".to_vec();
        let block = secret.sign(&message);
        assert_eq!(verify(&message, &block), Ok(secret.public()));
        for i in 0..message.len() {
            let mut changed = message.clone();
            changed[i] ^= 0x20;
            assert_eq!(verify(&changed, &block), Err(SignError::Invalid { key: secret.id }));
        }
        for i in 0..SIGNATURE_LEN {
            let mut changed = block;
            changed[i] ^= 1;
            assert!(verify(&message, &changed).is_err(), "byte {i} of the block");
        }
        assert_eq!(verify(&message, &block[..10]), Err(SignError::Truncated));
    }

    #[test]
    fn key_files_round_trip_and_refuse_each_other() {
        let secret = key(2);
        let public = secret.public();
        let read_secret = SecretKey::from_file(&secret.to_file()).unwrap();
        assert_eq!(read_secret.public(), public);
        assert_eq!(PublicKey::from_file(&public.to_file()), Ok(public.clone()));
        assert!(PublicKey::from_file(&secret.to_file()).is_err());
        assert!(SecretKey::from_file(&public.to_file()).is_err());
        assert!(PublicKey::from_file("hello\n").is_err());
        assert!(public.to_file().starts_with(&format!("untrusted comment: sema public key {}\n", public.id)));
    }

    #[test]
    fn trust_requires_what_it_names() {
        let (a, b) = (key(3).public(), key(4).public());
        assert_eq!(Trust::default().accept(None), Ok(()));
        assert_eq!(Trust { keys: vec![], require_signature: true }.accept(None), Err(SignError::Unsigned));
        let only_a = Trust { keys: vec![a.clone()], require_signature: false };
        assert_eq!(only_a.accept(Some(&a)), Ok(()));
        assert_eq!(only_a.accept(Some(&b)), Err(SignError::UntrustedKey { key: b.id }));
        assert_eq!(only_a.accept(None), Err(SignError::Unsigned));
    }
}

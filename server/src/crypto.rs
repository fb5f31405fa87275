//! Encryption of secrets at rest: XChaCha20-Poly1305 with a key from configuration
//! (`secrets.key`, 32 random bytes in base64). Each value gets a fresh random 24-byte
//! nonce, and the caller's associated data (the secret's scope) is authenticated, so
//! a ciphertext moved to another row or scope no longer decrypts.
//!
//! The same key also keys the audit log's chain: [`AuditKey`] is an HMAC key derived
//! from it, so nobody without `secrets.key` can write rows the chain accepts.
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use thiserror::Error;

use crate::domain::Secret;

/// Why a key could not be used or a value not be opened.
#[derive(Debug, Error)]
pub enum CryptoError {
    /// The configured key is not 32 bytes of base64.
    #[error("secrets.key must be 32 random bytes in base64 (generate one with `gantry secrets generate-key`)")]
    BadKey,
    /// The ciphertext was altered, moved, or sealed under another key.
    #[error("a stored secret could not be decrypted: wrong secrets.key, or the row was altered")]
    Unreadable,
}

/// Seals and opens values with the configured key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// Builds from a base64 key.
    ///
    /// # Errors
    /// [`CryptoError::BadKey`] when the key is not 32 bytes of base64.
    pub fn from_key(key: &Secret) -> Result<Self, CryptoError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.expose().trim())
            .map_err(|_| CryptoError::BadKey)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| CryptoError::BadKey)?;
        Ok(Self { cipher })
    }

    /// A fresh random key, base64.
    #[must_use]
    pub fn generate_key() -> String {
        base64::engine::general_purpose::STANDARD
            .encode(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// Encrypts `plaintext`, binding `aad`; returns `(nonce, ciphertext)`.
    ///
    /// # Errors
    /// Only if the cipher fails, which it does not for inputs under 256 GiB.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| CryptoError::Unreadable)?;
        Ok((nonce.to_vec(), ciphertext))
    }

    /// Decrypts what [`SecretBox::seal`] produced with the same `aad`.
    ///
    /// # Errors
    /// [`CryptoError::Unreadable`] when anything differs.
    pub fn open(
        &self,
        nonce: &[u8],
        ciphertext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        if nonce.len() != 24 {
            return Err(CryptoError::Unreadable);
        }
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| CryptoError::Unreadable)
    }
}

/// The key of the audit log's chain: HMAC-SHA256 under a key derived from
/// `secrets.key` (an HMAC of a fixed label under it, so the chain never uses the
/// encryption key itself). Without `secrets.key` the chain is plain SHA-256, which
/// finds changes made by mistake but not by someone who can write the database.
#[derive(Clone, Default)]
pub struct AuditKey(Option<[u8; 32]>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "AuditKey(***)"
        } else {
            "AuditKey(none)"
        })
    }
}

impl AuditKey {
    /// The label the chain key is derived under.
    const LABEL: &'static [u8] = b"gantry audit chain v1";

    /// The chain key for `secrets.key`; unkeyed when there is none.
    ///
    /// # Errors
    /// [`CryptoError::BadKey`] when the key is not 32 bytes of base64.
    pub fn derive(key: Option<&Secret>) -> Result<Self, CryptoError> {
        let Some(key) = key else {
            return Ok(Self(None));
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.expose().trim())
            .map_err(|_| CryptoError::BadKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self(Some(hmac_sha256(&bytes, Self::LABEL))))
    }

    /// Whether the chain is keyed.
    #[must_use]
    pub fn is_keyed(&self) -> bool {
        self.0.is_some()
    }

    /// The hex digest of `content`: HMAC under the key, or plain SHA-256 without one.
    #[must_use]
    pub fn digest(&self, content: &[u8]) -> String {
        match &self.0 {
            Some(key) => hex::encode(hmac_sha256(key, content)),
            None => Self::unkeyed(content),
        }
    }

    /// The plain SHA-256 of `content`, hex: how rows were chained before keys (and
    /// are without one).
    #[must_use]
    pub fn unkeyed(content: &[u8]) -> String {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(content))
    }
}

/// HMAC-SHA256 with a 32-byte key. The key is zero-padded to SHA-256's 64-byte
/// block, exactly as HMAC pads any short key, so this is the standard HMAC and has
/// no failure path.
fn hmac_sha256(key: &[u8; 32], content: &[u8]) -> [u8; 32] {
    use hmac::digest::generic_array::GenericArray;
    use hmac::digest::KeyInit;
    use hmac::{Hmac, Mac as _};
    let mut block = [0_u8; 64];
    block[..32].copy_from_slice(key);
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new(GenericArray::from_slice(&block));
    mac.update(content);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> SecretBox {
        SecretBox::from_key(&Secret::new(SecretBox::generate_key())).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_with_the_same_key_and_associated_data() {
        let b = sealer();
        let (nonce, ct) = b.seal(b"hunter2", b"repo:o/r").unwrap();
        assert!(!ct.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(b.open(&nonce, &ct, b"repo:o/r").unwrap(), b"hunter2");
        assert!(b.open(&nonce, &ct, b"global:").is_err());
        assert!(sealer().open(&nonce, &ct, b"repo:o/r").is_err());
        let mut flipped = ct.clone();
        flipped[0] ^= 1;
        assert!(b.open(&nonce, &flipped, b"repo:o/r").is_err());
    }

    #[test]
    fn the_audit_key_is_derived_not_reused_and_unkeyed_is_plain_sha256() {
        let raw = SecretBox::generate_key();
        let key = AuditKey::derive(Some(&Secret::new(raw.clone()))).unwrap();
        assert!(key.is_keyed());
        let other = AuditKey::derive(Some(&Secret::new(SecretBox::generate_key()))).unwrap();
        assert_ne!(key.digest(b"row"), other.digest(b"row"));
        assert_ne!(key.digest(b"row"), AuditKey::unkeyed(b"row"));
        let none = AuditKey::derive(None).unwrap();
        assert!(!none.is_keyed());
        assert_eq!(none.digest(b"row"), AuditKey::unkeyed(b"row"));
        assert!(AuditKey::derive(Some(&Secret::new("short"))).is_err());
        assert!(!format!("{key:?}").contains(&raw));
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(SecretBox::from_key(&Secret::new("short")).is_err());
        assert!(SecretBox::from_key(&Secret::new("not base64!")).is_err());
    }
}

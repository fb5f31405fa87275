//! Encryption of secrets at rest: XChaCha20-Poly1305 with a key from configuration
//! (`secrets.key`, 32 random bytes in base64). Each value gets a fresh random 24-byte
//! nonce, and the caller's associated data (the secret's scope) is authenticated, so
//! a ciphertext moved to another row or scope no longer decrypts.
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
    fn keys_must_be_32_bytes_of_base64() {
        assert!(SecretBox::from_key(&Secret::new("short")).is_err());
        assert!(SecretBox::from_key(&Secret::new("not base64!")).is_err());
    }
}

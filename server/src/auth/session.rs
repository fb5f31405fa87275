//! Session tokens: HS256 JWTs (issuer `gantry`, audience `gantry-dashboard`, expiry
//! required, 30 s leeway) whose `sid` names a server-side session row, so signing
//! out and role changes take effect at once. Also the cookie names and the
//! session's CSRF token (an HMAC of the session id under a key derived from the
//! signing key).
//!
//! The signing key comes from `web.session_key`, else from the database, where it is
//! stored sealed with `secrets.key` (made at first start); without either, a random
//! key lives as long as the process.
use anyhow::Context;
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::db::sessions as store;

/// The JWT issuer.
pub const ISSUER: &str = "gantry";
/// The JWT audience.
pub const AUDIENCE: &str = "gantry-dashboard";
/// Clock skew allowed on `exp`, in seconds.
pub const LEEWAY_SECS: u64 = 30;
/// The session cookie's name over TLS.
pub const SECURE_COOKIE: &str = "__Host-gantry_session";
/// The session cookie's name over plain HTTP.
pub const PLAIN_COOKIE: &str = "gantry_session";
const SEALED_KEY_NAME: &str = "session-signing-key";

/// A session token's claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user's id.
    pub sub: String,
    /// The session row's id.
    pub sid: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
}

/// The keys sessions are signed with.
#[derive(Clone)]
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    csrf: Vec<u8>,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(***)")
    }
}

impl SessionKeys {
    /// Keys from raw secret bytes.
    #[must_use]
    pub fn from_bytes(key: &[u8]) -> Self {
        let csrf = hmac_sha256(key, b"gantry-csrf-key");
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            csrf,
        }
    }

    /// Loads the keys as the module header describes.
    ///
    /// # Errors
    /// When `web.session_key` is too short, or the stored key cannot be read or
    /// unsealed (a wrong `secrets.key`).
    pub async fn load(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<Self> {
        if let Some(key) = &settings.web.session_key {
            anyhow::ensure!(
                key.expose().len() >= 32,
                "web.session_key must be at least 32 characters"
            );
            return Ok(Self::from_bytes(key.expose().as_bytes()));
        }
        let Some(secret) = &settings.secrets.key else {
            tracing::warn!("neither web.session_key nor secrets.key is set: sessions are signed with a key that ends with this process (everyone signs in again after a restart, and replicas do not share sessions)");
            return Ok(Self::from_bytes(&random_bytes::<32>()));
        };
        let sealer = SecretBox::from_key(secret)?;
        let aad = format!("gantry-sealed-key:{SEALED_KEY_NAME}");
        if store::sealed_key(db, SEALED_KEY_NAME).await?.is_none() {
            let (nonce, ciphertext) = sealer.seal(&random_bytes::<32>(), aad.as_bytes())?;
            store::insert_sealed_key(db, SEALED_KEY_NAME, nonce, ciphertext).await?;
        }
        // Read back: another replica may have stored its key first.
        let row = store::sealed_key(db, SEALED_KEY_NAME)
            .await?
            .context("the session key vanished after it was stored")?;
        let key = sealer
            .open(&row.nonce, &row.ciphertext, aad.as_bytes())
            .context("unsealing the session signing key")?;
        Ok(Self::from_bytes(&key))
    }

    /// A signed token for session `sid` of `user_id`, valid for `ttl_secs`.
    ///
    /// # Errors
    /// When signing fails (it does not with an HMAC key).
    pub fn issue(
        &self,
        sid: &str,
        user_id: i64,
        ttl_secs: u64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.to_string(),
            sid: sid.to_owned(),
            iat: now,
            exp: now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX)),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The claims of a token this server signed that is still valid: HS256 only,
    /// issuer, audience and expiry checked.
    #[must_use]
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The CSRF token of session `sid`.
    #[must_use]
    pub fn csrf_token(&self, sid: &str) -> String {
        hex::encode(hmac_sha256(&self.csrf, sid.as_bytes()))
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail; if it ever did, the
    // result would be a fresh random value that matches nothing.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return random_bytes::<32>().to_vec();
    };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// `N` random bytes from the OS generator.
#[must_use]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// A fresh session id: 128 random bits, hex.
#[must_use]
pub fn new_session_id() -> String {
    hex::encode(random_bytes::<16>())
}

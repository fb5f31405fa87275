//! Webhook secrets by scope: adding, listing and removing stored (encrypted) ones,
//! and deciding whether a delivery's signature is acceptable.
//!
//! The rule: a signature is checked against every known secret (the configured
//! global ones and every stored one) on the raw bytes, before anything is parsed.
//! Only a body that some secret verifies is parsed, to find its repository; then
//! the most specific scope that has secrets decides (the repository's, else its
//! owner's, else the global ones; installation events always the global ones), and
//! one of that scope's secrets must be among those that verified. A stored secret that cannot be decrypted still claims
//! its scope but verifies nothing, so a wrong key fails closed.
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use thiserror::Error;
use tokio::sync::RwLock;

use crate::config::Settings;
use crate::crypto::{CryptoError, SecretBox};
use crate::db::secrets::{self, NewSealedSecret};
use crate::domain::{EventMeta, Secret, SecretScope};
use crate::github::signature;

/// Why managing a stored secret failed.
#[derive(Debug, Error)]
pub enum SecretError {
    /// No `secrets.key` is configured, so nothing can be stored.
    #[error("set secrets.key (GANTRY_SECRETS__KEY) to store secrets; `gantry secrets generate-key` makes one")]
    NoKey,
    /// The key or a value is unusable.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The secret is too short to resist guessing, or too long.
    #[error("a webhook secret must be 32 to 1024 bytes (make one with `openssl rand -hex 32`)")]
    Invalid,
    /// The database failed.
    #[error("the database failed")]
    Database(#[from] DbErr),
}

impl crate::db::audit::ChainConflict for SecretError {
    fn is_chain_conflict(&self) -> bool {
        matches!(self, SecretError::Database(e) if e.is_chain_conflict())
    }
}

/// A stored secret as operators see it: never its value.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SecretInfo {
    /// Row id, for removal.
    pub id: i64,
    /// Where it applies.
    pub scope: String,
    /// The operator's note.
    pub label: Option<String>,
    /// When it was added.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn aad(scope: &SecretScope) -> Vec<u8> {
    format!("gantry-webhook-secret:{scope}").into_bytes()
}

/// Encrypts and stores a secret for `scope`; returns its id.
///
/// # Errors
/// See [`SecretError`].
pub async fn add(
    db: &impl ConnectionTrait,
    key: Option<&Secret>,
    scope: &SecretScope,
    label: Option<String>,
    value: &str,
) -> Result<i64, SecretError> {
    if value.len() < crate::domain::MIN_WEBHOOK_SECRET_BYTES || value.len() > 1024 {
        return Err(SecretError::Invalid);
    }
    let sealer = SecretBox::from_key(key.ok_or(SecretError::NoKey)?)?;
    let (nonce, ciphertext) = sealer.seal(value.as_bytes(), &aad(scope))?;
    let new = NewSealedSecret {
        scope: scope.kind().into(),
        scope_name: scope.name().into(),
        label,
        nonce,
        ciphertext,
    };
    Ok(secrets::insert(db, new).await?)
}

/// Every stored secret, without values.
///
/// # Errors
/// When the database fails.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<SecretInfo>, DbErr> {
    Ok(secrets::all(db)
        .await?
        .into_iter()
        .map(|r| SecretInfo {
            id: r.id,
            scope: SecretScope::from_stored(&r.scope, &r.scope_name)
                .map_or_else(|| r.scope.clone(), |s| s.to_string()),
            label: r.label,
            created_at: r.created_at,
        })
        .collect())
}

/// Whether any webhook secret is stored, for the production checks: a database
/// that cannot be read (or has no tables yet) is `Unknown`, with the reason.
pub async fn stored(db: &DatabaseConnection) -> crate::config::production::StoredSecrets {
    use crate::config::production::StoredSecrets;
    match secrets::all(db).await {
        Ok(rows) if rows.is_empty() => StoredSecrets::None,
        Ok(_) => StoredSecrets::Some,
        Err(err) => StoredSecrets::Unknown(err.to_string()),
    }
}

/// Removes a stored secret; returns whether it existed.
///
/// # Errors
/// When the database fails.
pub async fn remove(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    secrets::delete(db, id).await
}

/// One known secret: its scope, and its value when it could be read.
type Entry = (SecretScope, Option<Secret>);

/// The secrets intake checks signatures against, read from the database at most
/// once per `webhook.secret_cache_ms`.
#[derive(Debug)]
pub struct WebhookSecrets {
    configured: Vec<Secret>,
    sealer: Option<SecretBox>,
    ttl: Duration,
    cache: RwLock<Option<(Instant, Arc<Vec<Entry>>)>>,
}

/// The outcome of checking a signature.
#[derive(Debug)]
pub struct Verified {
    scopes: HashSet<SecretScope>,
    entries: Arc<Vec<Entry>>,
}

impl WebhookSecrets {
    /// Prepares the checker from settings.
    ///
    /// # Errors
    /// When `secrets.key` is set but unusable.
    pub fn new(settings: &Settings) -> Result<Self, CryptoError> {
        Ok(Self {
            configured: settings.webhook.secrets.clone(),
            sealer: settings
                .secrets
                .key
                .as_ref()
                .map(SecretBox::from_key)
                .transpose()?,
            ttl: Duration::from_millis(settings.webhook.secret_cache_ms),
            cache: RwLock::new(None),
        })
    }

    async fn entries(&self, db: &DatabaseConnection) -> Result<Arc<Vec<Entry>>, DbErr> {
        if let Some((at, entries)) = self.cache.read().await.as_ref() {
            if at.elapsed() < self.ttl {
                return Ok(entries.clone());
            }
        }
        let mut entries: Vec<Entry> = self
            .configured
            .iter()
            .map(|s| (SecretScope::Global, Some(s.clone())))
            .collect();
        for row in secrets::all(db).await? {
            let Some(scope) = SecretScope::from_stored(&row.scope, &row.scope_name) else {
                continue;
            };
            let value = match &self.sealer {
                Some(sealer) => sealer
                    .open(&row.nonce, &row.ciphertext, &aad(&scope))
                    .ok()
                    .and_then(|v| String::from_utf8(v).ok()),
                None => None,
            };
            if value.is_none() {
                tracing::error!(secret = row.id, %scope, "a stored webhook secret cannot be decrypted; deliveries in its scope are refused");
            }
            entries.push((scope, value.map(Secret::new)));
        }
        let entries = Arc::new(entries);
        *self.cache.write().await = Some((Instant::now(), entries.clone()));
        Ok(entries)
    }

    /// Whether any secret is known at all.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn any(&self, db: &DatabaseConnection) -> Result<bool, DbErr> {
        Ok(!self.entries(db).await?.is_empty())
    }

    /// Checks `signature_hex` against every known secret on the raw `body`. Returns
    /// `None` when none verifies. The HMACs (one per known secret, over up to the
    /// whole body cap) run on a blocking thread, never on the async workers that
    /// answer other requests.
    ///
    /// # Errors
    /// When the secrets cannot be read from the database.
    pub async fn verify(
        &self,
        db: &DatabaseConnection,
        body: bytes::Bytes,
        signature_hex: &str,
    ) -> Result<Option<Verified>, DbErr> {
        let entries = self.entries(db).await?;
        let signature_hex = signature_hex.to_owned();
        let checked = entries.clone();
        let scopes = tokio::task::spawn_blocking(move || {
            let mut scopes = HashSet::new();
            for (scope, secret) in checked.iter() {
                if let Some(secret) = secret {
                    if signature::verify(std::slice::from_ref(secret), &body, &signature_hex) {
                        scopes.insert(scope.clone());
                    }
                }
            }
            scopes
        })
        .await
        .map_err(|e| DbErr::Custom(format!("the signature check did not finish: {e}")))?;
        Ok((!scopes.is_empty()).then_some(Verified { scopes, entries }))
    }
}

/// Events about the App's installations: only GitHub's App webhook sends them, so
/// only a global secret may sign them (a tenant's scoped secret must not suspend,
/// delete or rewrite an installation, whatever repository the body names).
pub const APP_EVENTS: &[&str] = &[
    "installation",
    "installation_repositories",
    "installation_target",
    "github_app_authorization",
];

impl Verified {
    /// The most specific scope with secrets for this event: the repository's, else
    /// its owner's (organisation or user), else global. The body's `organization`
    /// counts only when there is no repository: it is a field of the same body, and a
    /// tenant could otherwise name its own organisation on another's repository.
    /// Installation events are always decided by the global secrets.
    #[must_use]
    pub fn decisive_scope(&self, event: &str, meta: &EventMeta) -> SecretScope {
        if APP_EVENTS.contains(&event) {
            return SecretScope::Global;
        }
        let has = |scope: &SecretScope| self.entries.iter().any(|(s, _)| s == scope);
        if let Some(repo) = &meta.repository {
            let scope = SecretScope::Repo(repo.full_name().to_ascii_lowercase());
            if has(&scope) {
                return scope;
            }
        }
        let owner = match &meta.repository {
            Some(repo) => Some(&repo.owner),
            None => meta.organization.as_ref(),
        };
        if let Some(owner) = owner {
            let scope = SecretScope::Org(owner.to_ascii_lowercase());
            if has(&scope) {
                return scope;
            }
        }
        SecretScope::Global
    }

    /// Whether a secret of the decisive scope verified the signature.
    #[must_use]
    pub fn accepts(&self, event: &str, meta: &EventMeta) -> bool {
        self.scopes.contains(&self.decisive_scope(event, meta))
    }
}

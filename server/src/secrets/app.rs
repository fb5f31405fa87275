//! The GitHub App registered from the dashboard (`services::app_setup`): its id,
//! slug, page and private key, sealed with `secrets.key` in `sealed_keys` under one
//! name, and read at start when the settings name no App and no token. The App's
//! webhook secret is stored as a global webhook secret (`webhook`).
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use crate::crypto::{CryptoError, SecretBox};
use crate::db::entities::sealed_keys;
use crate::domain::Secret;

/// The row's name in `sealed_keys`, also the sealing's associated data.
const NAME: &str = "github-app";

/// A registered App. `Debug` leaves the key out.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredApp {
    /// The App's id.
    pub app_id: u64,
    /// Its slug (`my-gantry`); the bot is `{slug}[bot]`.
    pub slug: String,
    /// Its page on GitHub (where it is installed from).
    pub html_url: String,
    /// The private key GitHub generated, PEM.
    pub pem: String,
}

impl std::fmt::Debug for StoredApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredApp")
            .field("app_id", &self.app_id)
            .field("slug", &self.slug)
            .field("html_url", &self.html_url)
            .finish_non_exhaustive()
    }
}

/// Why the App could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum StoredAppError {
    /// No `secrets.key` to seal with.
    #[error("secrets.key is needed to store the App's private key sealed: set it (`gantry secrets generate-key`)")]
    NoKey,
    /// Sealing or opening failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Stores `app` sealed, replacing an earlier one.
///
/// # Errors
/// Without `secrets.key`, or when the database fails.
pub async fn store(
    db: &impl ConnectionTrait,
    key: Option<&Secret>,
    app: &StoredApp,
) -> Result<(), StoredAppError> {
    let sealer = SecretBox::from_key(key.ok_or(StoredAppError::NoKey)?)?;
    let plain = serde_json::to_vec(app).map_err(|e| DbErr::Custom(e.to_string()))?;
    let (nonce, ciphertext) = sealer.seal(&plain, NAME.as_bytes())?;
    let row = sealed_keys::ActiveModel {
        name: Set(NAME.to_owned()),
        nonce: Set(nonce),
        ciphertext: Set(ciphertext),
        created_at: Set(Utc::now()),
    };
    sealed_keys::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sealed_keys::Column::Name)
                .update_columns([
                    sealed_keys::Column::Nonce,
                    sealed_keys::Column::Ciphertext,
                    sealed_keys::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The stored App, if one was registered.
///
/// # Errors
/// When one is stored but `secrets.key` is missing or another, or the database fails.
pub async fn load(
    db: &impl ConnectionTrait,
    key: Option<&Secret>,
) -> Result<Option<StoredApp>, StoredAppError> {
    let Some(row) = sealed_keys::Entity::find_by_id(NAME.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let sealer = SecretBox::from_key(key.ok_or(StoredAppError::NoKey)?)?;
    let plain = sealer.open(&row.nonce, &row.ciphertext, NAME.as_bytes())?;
    let app = serde_json::from_slice(&plain).map_err(|_| CryptoError::Unreadable)?;
    Ok(Some(app))
}

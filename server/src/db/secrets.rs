//! Queries on `webhook_secrets`. Values arrive and leave sealed; this module never
//! sees a plaintext secret.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryOrder,
};

use super::entities::webhook_secrets;

/// A sealed secret to store.
#[derive(Debug)]
pub struct NewSealedSecret {
    /// `global`, `org` or `repo`.
    pub scope: String,
    /// Empty, the organisation, or `owner/name` (lower case).
    pub scope_name: String,
    /// A note for operators (not secret).
    pub label: Option<String>,
    /// The nonce.
    pub nonce: Vec<u8>,
    /// The ciphertext.
    pub ciphertext: Vec<u8>,
}

/// Stores a sealed secret; returns its id.
///
/// # Errors
/// When the database fails.
pub async fn insert(db: &impl ConnectionTrait, new: NewSealedSecret) -> Result<i64, DbErr> {
    let row = webhook_secrets::ActiveModel {
        scope: Set(new.scope),
        scope_name: Set(new.scope_name),
        label: Set(new.label),
        nonce: Set(new.nonce),
        ciphertext: Set(new.ciphertext),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Every stored secret, oldest first.
///
/// # Errors
/// When the database fails.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<webhook_secrets::Model>, DbErr> {
    webhook_secrets::Entity::find()
        .order_by_asc(webhook_secrets::Column::Id)
        .all(db)
        .await
}

/// Deletes a secret; returns whether it existed.
///
/// # Errors
/// When the database fails.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(webhook_secrets::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

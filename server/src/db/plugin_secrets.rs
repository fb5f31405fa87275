//! Queries on `plugin_secrets`. Values arrive and leave sealed; this module never
//! sees a plaintext secret.
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::plugin_secrets;

/// Stores (or replaces) the sealed secret `name` for `scope` (`*` or `owner/name`).
///
/// # Errors
/// When the database fails.
pub async fn put(
    db: &DatabaseConnection,
    scope: &str,
    name: &str,
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
) -> Result<(), DbErr> {
    let row = plugin_secrets::ActiveModel {
        scope: Set(scope.to_owned()),
        name: Set(name.to_owned()),
        nonce: Set(nonce),
        ciphertext: Set(ciphertext),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    plugin_secrets::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([plugin_secrets::Column::Scope, plugin_secrets::Column::Name])
                .update_columns([
                    plugin_secrets::Column::Nonce,
                    plugin_secrets::Column::Ciphertext,
                    plugin_secrets::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The secret `name` for the repository `project`, else the global one.
///
/// # Errors
/// When the database fails.
pub async fn find(
    db: &DatabaseConnection,
    project: &str,
    name: &str,
) -> Result<Option<plugin_secrets::Model>, DbErr> {
    let rows = plugin_secrets::Entity::find()
        .filter(plugin_secrets::Column::Name.eq(name))
        .filter(plugin_secrets::Column::Scope.is_in([project, "*"]))
        .all(db)
        .await?;
    let specific = rows.iter().find(|r| r.scope == project).cloned();
    Ok(specific.or_else(|| rows.into_iter().find(|r| r.scope == "*")))
}

/// Every stored secret (sealed), by scope and name.
///
/// # Errors
/// When the database fails.
pub async fn all(db: &DatabaseConnection) -> Result<Vec<plugin_secrets::Model>, DbErr> {
    plugin_secrets::Entity::find()
        .order_by_asc(plugin_secrets::Column::Scope)
        .order_by_asc(plugin_secrets::Column::Name)
        .all(db)
        .await
}

/// Removes the secret `name` of `scope`; returns whether it existed.
///
/// # Errors
/// When the database fails.
pub async fn delete(db: &DatabaseConnection, scope: &str, name: &str) -> Result<bool, DbErr> {
    let done = plugin_secrets::Entity::delete_many()
        .filter(plugin_secrets::Column::Scope.eq(scope))
        .filter(plugin_secrets::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

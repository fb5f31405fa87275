//! Queries on `plugin_seeds`: what seeding from `plugins.dir` installed last, by
//! plugin name.
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use super::entities::plugin_seeds;

/// The digest seeding installed last for `plugin`, when it ever installed it.
///
/// # Errors
/// When the database fails.
pub async fn find(db: &impl ConnectionTrait, plugin: &str) -> Result<Option<String>, DbErr> {
    Ok(plugin_seeds::Entity::find_by_id(plugin.to_owned())
        .one(db)
        .await?
        .map(|r| r.digest))
}

/// Records that seeding installed `digest` of `plugin` (or found it installed).
///
/// # Errors
/// When the database fails.
pub async fn record(db: &impl ConnectionTrait, plugin: &str, digest: &str) -> Result<(), DbErr> {
    let row = plugin_seeds::ActiveModel {
        plugin: Set(plugin.to_owned()),
        digest: Set(digest.to_owned()),
        seeded_at: Set(Utc::now()),
    };
    plugin_seeds::Entity::insert(row)
        .on_conflict(
            OnConflict::column(plugin_seeds::Column::Plugin)
                .update_columns([plugin_seeds::Column::Digest, plugin_seeds::Column::SeededAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

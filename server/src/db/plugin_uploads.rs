//! Components uploaded in the dashboard and waiting for the admin's confirmation,
//! kept in the database by SHA-256 digest so any replica can finish the install.
use chrono::{Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::plugin_uploads;

/// How long an unconfirmed upload is kept.
const KEEP: Duration = Duration::days(1);

/// Keeps `component` under `digest` (replacing an earlier upload of the same bytes)
/// and drops uploads older than a day.
///
/// # Errors
/// When the database fails.
pub async fn keep(
    db: &impl ConnectionTrait,
    digest: &str,
    component: Vec<u8>,
    uploaded_by: &str,
) -> Result<(), DbErr> {
    let now = Utc::now();
    plugin_uploads::Entity::delete_many()
        .filter(plugin_uploads::Column::CreatedAt.lt(now - KEEP))
        .exec(db)
        .await?;
    let row = plugin_uploads::ActiveModel {
        digest: Set(digest.to_owned()),
        component: Set(component),
        uploaded_by: Set(uploaded_by.to_owned()),
        created_at: Set(now),
    };
    plugin_uploads::Entity::insert(row)
        .on_conflict(
            OnConflict::column(plugin_uploads::Column::Digest)
                .update_columns([
                    plugin_uploads::Column::UploadedBy,
                    plugin_uploads::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The component uploaded under `digest`, if it is still kept.
///
/// # Errors
/// When the database fails.
pub async fn find(db: &impl ConnectionTrait, digest: &str) -> Result<Option<Vec<u8>>, DbErr> {
    Ok(plugin_uploads::Entity::find_by_id(digest.to_owned())
        .one(db)
        .await?
        .map(|row| row.component))
}

/// Forgets the upload under `digest` (once installed).
///
/// # Errors
/// When the database fails.
pub async fn forget(db: &impl ConnectionTrait, digest: &str) -> Result<(), DbErr> {
    plugin_uploads::Entity::delete_by_id(digest.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

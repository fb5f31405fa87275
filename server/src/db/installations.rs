//! Queries on `installations`: upserts from webhooks, suspension, removal, the last
//! credentials error, and listing for operators.
use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::installations;

/// Records an installation (new or changed): its account, its selected repositories
/// (`None` for all) and whether it is suspended.
///
/// # Errors
/// When the database fails.
pub async fn upsert(
    db: &impl ConnectionTrait,
    id: i64,
    account: &str,
    repositories: Option<Vec<String>>,
    suspended: bool,
) -> Result<(), DbErr> {
    let row = installations::ActiveModel {
        id: Set(id),
        account: Set(account.to_owned()),
        repositories: Set(repositories.map(|r| serde_json::Value::from(r).to_string())),
        suspended: Set(suspended),
        last_error: Set(None),
        updated_at: Set(Utc::now()),
    };
    installations::Entity::insert(row)
        .on_conflict(
            OnConflict::column(installations::Column::Id)
                .update_columns([
                    installations::Column::Account,
                    installations::Column::Repositories,
                    installations::Column::Suspended,
                    installations::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Adds and removes selected repositories of a known installation.
///
/// # Errors
/// When the database fails.
pub async fn change_repositories(
    db: &impl ConnectionTrait,
    id: i64,
    added: &[String],
    removed: &[String],
) -> Result<(), DbErr> {
    let Some(row) = find(db, id).await? else {
        return Ok(());
    };
    let Some(current) = row.repositories.as_deref() else {
        return Ok(());
    };
    let mut list: Vec<String> = serde_json::from_str(current).unwrap_or_default();
    list.retain(|r| !removed.contains(r));
    for r in added {
        if !list.contains(r) {
            list.push(r.clone());
        }
    }
    installations::Entity::update_many()
        .col_expr(
            installations::Column::Repositories,
            Expr::value(serde_json::Value::from(list).to_string()),
        )
        .col_expr(installations::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(installations::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// One installation.
///
/// # Errors
/// When the database fails.
pub async fn find(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<installations::Model>, DbErr> {
    installations::Entity::find_by_id(id).one(db).await
}

/// Removes an installation; returns whether it was known.
///
/// # Errors
/// When the database fails.
pub async fn remove(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(installations::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Records the last credentials error of an installation (`None` clears it).
///
/// # Errors
/// When the database fails.
pub async fn set_error(
    db: &impl ConnectionTrait,
    id: i64,
    error: Option<&str>,
) -> Result<(), DbErr> {
    installations::Entity::update_many()
        .col_expr(
            installations::Column::LastError,
            Expr::value(error.map(str::to_owned)),
        )
        .col_expr(installations::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(installations::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every known installation, by id.
///
/// # Errors
/// When the database fails.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<installations::Model>, DbErr> {
    installations::Entity::find()
        .order_by_asc(installations::Column::Id)
        .all(db)
        .await
}

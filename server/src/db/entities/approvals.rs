//! `approvals`: actions held by an `ask` decision, with exactly what would run, who
//! caused them, the pull request head they were held for, and their quorum.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approvals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub public_id: String,
    pub delivery_id: String,
    pub plugin: String,
    pub capability: String,
    pub repository: String,
    pub action: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub result: Option<String>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub notified_at: Option<DateTimeUtc>,
    pub requested_by: Option<String>,
    pub pull_number: Option<i64>,
    pub head_sha: Option<String>,
    pub decided_on: Option<String>,
    pub approvals_required: i32,
    pub votes: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

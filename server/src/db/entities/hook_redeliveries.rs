//! `hook_redeliveries`: events the missed-delivery sweep asked GitHub to redeliver.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hook_redeliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub guid: String,
    pub github_delivery_id: i64,
    pub event: String,
    pub attempts: i32,
    pub first_requested_at: DateTimeUtc,
    pub last_requested_at: DateTimeUtc,
    pub arrived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

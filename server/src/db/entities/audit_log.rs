//! `audit_log`: append-only, hash-chained record of decisions and actions.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor: String,
    pub actor_kind: String,
    pub action: String,
    pub project: Option<String>,
    pub capability: Option<String>,
    pub decision: Option<String>,
    pub outcome: Option<String>,
    pub delivery_id: Option<String>,
    pub details: Option<String>,
    #[sea_orm(unique)]
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

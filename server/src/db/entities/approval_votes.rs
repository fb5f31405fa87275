//! `approval_votes`: who approved a held action, one row per person and approval.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_votes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub approval_id: i64,
    pub person: String,
    pub actor: String,
    pub actor_kind: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `policy_rules`: the operator's permission rules.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub scope: String,
    pub scope_name: String,
    pub plugin: Option<String>,
    pub capability: String,
    pub effect: String,
    pub branch: Option<String>,
    pub event_branch: Option<String>,
    pub min_permission: Option<String>,
    pub enforced: bool,
    pub approvals: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

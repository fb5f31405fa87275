//! `model_budget_counters`: tokens and micro-dollars used and reserved, and
//! invocations counted, per scope (`overall`, `organisation`, `repository`,
//! `invocation`, `person`), subject and period.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_budget_counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    pub tokens_used: i64,
    pub tokens_reserved: i64,
    pub cost_used: i64,
    pub cost_reserved: i64,
    pub invocations: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

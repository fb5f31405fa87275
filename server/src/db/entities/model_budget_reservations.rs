//! `model_budget_reservations`: one model call's estimate, held on its counters
//! between the reservation and the settlement (or release, or expiry).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_budget_reservations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub invocation: String,
    pub repo: String,
    pub org: String,
    pub person: Option<String>,
    pub provider: String,
    pub model: String,
    pub day: String,
    pub month: String,
    pub tokens: i64,
    pub cost: i64,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

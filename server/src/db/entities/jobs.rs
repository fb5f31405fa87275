//! `jobs`: the work queue. One job per delivery; leased by a worker, retried with
//! backoff, dead-lettered after too many attempts, or cancelled by a person.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub delivery_pk: i64,
    pub generation: i32,
    pub status: String,
    pub attempts: i32,
    pub run_after: DateTimeUtc,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub target_key: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The W3C `traceparent` of the request that accepted the delivery, if traced.
    pub trace_parent: Option<String>,
    /// When someone asked a running job to stop (job control); its worker stops it
    /// at the plugin's next host call.
    pub cancel_requested_at: Option<DateTimeUtc>,
    /// Who cancelled it, as the audit log names actors.
    pub cancelled_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! The audit log: append-only rows, each holding the SHA-256 of its own content and
//! of the row before it, so a changed, removed or reordered row breaks the chain.
//!
//! Appending reads the chain's tip and inserts a row naming it; `prev_hash` is
//! unique, so of two writers (in any process) chaining to the same tip, one fails
//! and retries on the new tip. There is no update and no delete here, and the
//! database refuses both (triggers in migration 4).
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::entities::audit_log;

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One thing to record.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditEntry {
    /// Who: a user, a plugin name, `system`, `api`.
    pub actor: String,
    /// `user`, `plugin`, `system` or `api`.
    pub actor_kind: String,
    /// What, such as `policy.decision`, `approval.approved`, `action.executed`.
    pub action: String,
    /// The repository concerned.
    pub project: Option<String>,
    /// The capability concerned.
    pub capability: Option<String>,
    /// `allow`, `ask` or `deny`, for decisions.
    pub decision: Option<String>,
    /// How it ended.
    pub outcome: Option<String>,
    /// The delivery that caused it.
    pub delivery_id: Option<String>,
    /// Anything else, as JSON.
    pub details: Option<String>,
}

impl From<&audit_log::Model> for AuditEntry {
    fn from(row: &audit_log::Model) -> Self {
        Self {
            actor: row.actor.clone(),
            actor_kind: row.actor_kind.clone(),
            action: row.action.clone(),
            project: row.project.clone(),
            capability: row.capability.clone(),
            decision: row.decision.clone(),
            outcome: row.outcome.clone(),
            delivery_id: row.delivery_id.clone(),
            details: row.details.clone(),
        }
    }
}

/// The hash of a row: SHA-256 over a JSON array of its fields and the previous hash.
fn hash(entry: &AuditEntry, at: &DateTime<Utc>, prev: &str) -> String {
    let canonical = serde_json::json!([
        at.timestamp_micros(),
        entry.actor,
        entry.actor_kind,
        entry.action,
        entry.project,
        entry.capability,
        entry.decision,
        entry.outcome,
        entry.delivery_id,
        entry.details,
        prev
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Appends a row; returns its id.
///
/// # Errors
/// When the database fails, or the chain is contended beyond all retries.
pub async fn append(db: &DatabaseConnection, entry: AuditEntry) -> Result<i64, DbErr> {
    for _ in 0..50 {
        let tip = audit_log::Entity::find()
            .order_by_desc(audit_log::Column::Id)
            .one(db)
            .await?;
        let prev = tip.map_or_else(|| GENESIS.to_owned(), |t| t.hash);
        let at = Utc::now().trunc_subsecs(6);
        let row = audit_log::ActiveModel {
            at: Set(at),
            actor: Set(entry.actor.clone()),
            actor_kind: Set(entry.actor_kind.clone()),
            action: Set(entry.action.clone()),
            project: Set(entry.project.clone()),
            capability: Set(entry.capability.clone()),
            decision: Set(entry.decision.clone()),
            outcome: Set(entry.outcome.clone()),
            delivery_id: Set(entry.delivery_id.clone()),
            details: Set(entry.details.clone()),
            hash: Set(hash(&entry, &at, &prev)),
            prev_hash: Set(prev),
            ..Default::default()
        };
        match row.insert(db).await {
            Ok(row) => return Ok(row.id),
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                continue
            }
            Err(err) => return Err(err),
        }
    }
    Err(DbErr::Custom(
        "the audit chain stayed contended through 50 attempts".into(),
    ))
}

/// The first row that breaks the chain, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The row's id.
    pub id: i64,
    /// What is wrong with it.
    pub problem: String,
}

/// Walks the whole chain in id order. Returns the number of rows checked, or the
/// first broken row.
///
/// # Errors
/// When the database fails.
pub async fn verify(db: &DatabaseConnection) -> Result<Result<u64, Break>, DbErr> {
    let mut prev = GENESIS.to_owned();
    let mut after = 0_i64;
    let mut checked = 0_u64;
    loop {
        let page = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(after))
            .order_by_asc(audit_log::Column::Id)
            .limit(1000)
            .all(db)
            .await?;
        let Some(last) = page.last() else {
            return Ok(Ok(checked));
        };
        after = last.id;
        for row in page {
            if row.prev_hash != prev {
                return Ok(Err(Break {
                    id: row.id,
                    problem:
                        "does not follow the row before it (a row was removed, added or reordered)"
                            .into(),
                }));
            }
            if hash(&AuditEntry::from(&row), &row.at, &row.prev_hash) != row.hash {
                return Ok(Err(Break {
                    id: row.id,
                    problem: "its content does not match its hash (the row was changed)".into(),
                }));
            }
            prev = row.hash;
            checked += 1;
        }
    }
}

/// Rows for an action, oldest first (for tests and the dashboard).
///
/// # Errors
/// When the database fails.
pub async fn with_action(
    db: &DatabaseConnection,
    action: &str,
) -> Result<Vec<audit_log::Model>, DbErr> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await
}

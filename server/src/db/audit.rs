//! The audit log: append-only rows, each holding a digest of its own content and of
//! the row before it, so a changed, removed or reordered row breaks the chain. The
//! digest is an HMAC under [`AuditKey`] (derived from `secrets.key`), so a row only
//! Gantry's key could have made cannot be forged or recomputed by someone who can
//! merely write the database; without `secrets.key` it is plain SHA-256.
//!
//! A row is written by [`append`] on the caller's connection, which is the caller's
//! transaction whenever the row records a change: the change and its row commit
//! together or not at all. Appending reads the chain's tip and inserts a row naming
//! it; `prev_hash` is unique, so of two transactions chaining to the same tip one
//! fails ([`ChainConflict`]) and [`retrying`] runs it again whole. On PostgreSQL a
//! transaction-scoped advisory lock makes appenders queue instead. There is no update
//! and no delete here, and the database refuses both (triggers in migration 4, and a
//! `TRUNCATE` guard on PostgreSQL).
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};
use serde::Serialize;

use super::entities::audit_log;
use crate::crypto::AuditKey;
use crate::domain::{Actor, AuditAction};

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How often a transaction is run again when another one took the chain's tip.
const ATTEMPTS: usize = 50;

/// The error [`append`] returns when another writer chained to the same tip first.
const CHAIN_MOVED: &str = "the audit chain's tip moved";

/// The advisory lock appenders queue on, on PostgreSQL (an arbitrary constant).
const PG_CHAIN_LOCK: i64 = 0x6761_6e74_7279;

/// One thing to record.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
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
    /// Anything else, often JSON.
    pub details: Option<String>,
}

impl AuditEntry {
    /// An entry with only its actor and action.
    #[must_use]
    pub fn new(actor: Actor, action: AuditAction) -> Self {
        Self {
            actor,
            action,
            project: None,
            capability: None,
            decision: None,
            outcome: None,
            delivery_id: None,
            details: None,
        }
    }

    /// With the repository concerned.
    #[must_use]
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// With the capability concerned.
    #[must_use]
    pub fn capability(mut self, capability: impl Into<String>) -> Self {
        self.capability = Some(capability.into());
        self
    }

    /// With the policy's decision.
    #[must_use]
    pub fn decision(mut self, decision: impl Into<String>) -> Self {
        self.decision = Some(decision.into());
        self
    }

    /// With how it ended.
    #[must_use]
    pub fn outcome(mut self, outcome: impl Into<String>) -> Self {
        self.outcome = Some(outcome.into());
        self
    }

    /// With the delivery that caused it.
    #[must_use]
    pub fn delivery(mut self, delivery_id: impl Into<String>) -> Self {
        self.delivery_id = Some(delivery_id.into());
        self
    }

    /// With details.
    #[must_use]
    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }
}

/// A row's content as stored, which its digest covers.
struct Content<'a> {
    at: &'a DateTime<Utc>,
    actor: &'a str,
    actor_kind: &'a str,
    action: &'a str,
    project: Option<&'a str>,
    capability: Option<&'a str>,
    decision: Option<&'a str>,
    outcome: Option<&'a str>,
    delivery_id: Option<&'a str>,
    details: Option<&'a str>,
    prev: &'a str,
}

impl Content<'_> {
    /// The bytes digested: a JSON array of every field and the previous hash.
    fn canonical(&self) -> Vec<u8> {
        serde_json::json!([
            self.at.timestamp_micros(),
            self.actor,
            self.actor_kind,
            self.action,
            self.project,
            self.capability,
            self.decision,
            self.outcome,
            self.delivery_id,
            self.details,
            self.prev
        ])
        .to_string()
        .into_bytes()
    }

    fn of(row: &audit_log::Model) -> Content<'_> {
        Content {
            at: &row.at,
            actor: &row.actor,
            actor_kind: &row.actor_kind,
            action: &row.action,
            project: row.project.as_deref(),
            capability: row.capability.as_deref(),
            decision: row.decision.as_deref(),
            outcome: row.outcome.as_deref(),
            delivery_id: row.delivery_id.as_deref(),
            details: row.details.as_deref(),
            prev: &row.prev_hash,
        }
    }
}

/// Appends a row on `conn` (the caller's transaction, when the row records a change
/// made in it); returns its id.
///
/// # Errors
/// When the database fails; a [`ChainConflict`] when another writer chained to the
/// same tip first (run the whole transaction again: [`retrying`]).
pub async fn append<C: ConnectionTrait>(
    conn: &C,
    key: &AuditKey,
    entry: &AuditEntry,
) -> Result<i64, DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        // Held until the transaction ends: appenders queue here, and the tip read
        // after it is the latest committed one.
        conn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({PG_CHAIN_LOCK})"))
            .await?;
    }
    let tip = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .one(conn)
        .await?;
    if let Some(tip) = &tip {
        chains_onto(key, tip)?;
    }
    let prev = tip.map_or_else(|| GENESIS.to_owned(), |t| t.hash);
    let at = Utc::now().trunc_subsecs(6);
    let actor: String = entry.actor.name().chars().take(Actor::MAX_NAME).collect();
    let content = Content {
        at: &at,
        actor: &actor,
        actor_kind: entry.actor.kind().as_str(),
        action: entry.action.as_str(),
        project: entry.project.as_deref(),
        capability: entry.capability.as_deref(),
        decision: entry.decision.as_deref(),
        outcome: entry.outcome.as_deref(),
        delivery_id: entry.delivery_id.as_deref(),
        details: entry.details.as_deref(),
        prev: &prev,
    };
    let hash = key.digest(&content.canonical());
    let row = audit_log::ActiveModel {
        at: Set(at),
        actor: Set(actor.clone()),
        actor_kind: Set(entry.actor.kind().as_str().to_owned()),
        action: Set(entry.action.as_str().to_owned()),
        project: Set(entry.project.clone()),
        capability: Set(entry.capability.clone()),
        decision: Set(entry.decision.clone()),
        outcome: Set(entry.outcome.clone()),
        delivery_id: Set(entry.delivery_id.clone()),
        details: Set(entry.details.clone()),
        hash: Set(hash),
        prev_hash: Set(prev),
        ..Default::default()
    };
    match row.insert(conn).await {
        Ok(row) => Ok(row.id),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(DbErr::Custom(CHAIN_MOVED.into()))
        }
        Err(err) => Err(err),
    }
}

/// Refuses to chain onto `tip` unless this process could have written it: with a
/// key, a row under that key or an unkeyed one (written before keys); without a key,
/// an unkeyed row. A process started with another `secrets.key`, or none, would
/// otherwise append rows that break the chain for everyone; it fails loudly instead,
/// and so does every change it would have audited.
fn chains_onto(key: &AuditKey, tip: &audit_log::Model) -> Result<(), DbErr> {
    let canonical = Content::of(tip).canonical();
    let ours = (key.is_keyed() && key.digest(&canonical) == tip.hash)
        || AuditKey::unkeyed(&canonical) == tip.hash;
    if ours {
        return Ok(());
    }
    Err(DbErr::Custom(format!(
        "the audit log's last row ({}) was not written under this process's secrets.key{}: \
         audited changes are refused until it runs with the key the log is chained under \
         (or the log is checked with `gantry audit verify`)",
        tip.id,
        if key.is_keyed() { "" } else { " (it has none)" }
    )))
}

/// Records something that changes nothing else (a decision, a refusal, a sign-in):
/// one row in a transaction of its own, retried when the chain's tip moved.
///
/// # Errors
/// When the database fails.
pub async fn record(
    db: &DatabaseConnection,
    key: &AuditKey,
    entry: AuditEntry,
) -> Result<i64, DbErr> {
    retrying(|| async {
        let txn = db.begin().await?;
        let id = append(&txn, key, &entry).await?;
        txn.commit().await?;
        Ok(id)
    })
    .await
}

/// An error that may say another writer took the audit chain's tip, in which case
/// the whole transaction is worth running again.
pub trait ChainConflict {
    /// Whether this error is that.
    fn is_chain_conflict(&self) -> bool;
}

impl ChainConflict for DbErr {
    fn is_chain_conflict(&self) -> bool {
        matches!(self, DbErr::Custom(m) if m == CHAIN_MOVED)
    }
}

/// Runs `attempt` (one whole transaction: begin, change, [`append`], commit) until
/// it does not fail with a [`ChainConflict`], at most 50 times. A failed attempt's
/// transaction is dropped, which rolls it back.
///
/// # Errors
/// The attempt's error; a conflict on every attempt returns the last one.
pub async fn retrying<T, E, F, Fut>(mut attempt: F) -> Result<T, E>
where
    E: ChainConflict,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(err) if err.is_chain_conflict() && tries < ATTEMPTS => {
                tries += 1;
                tokio::task::yield_now().await;
            }
            other => return other,
        }
    }
}

/// The last row of the chain, to keep somewhere else and check later
/// (`gantry audit head`, `gantry audit verify --expect-head`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Head {
    /// The row's id.
    pub id: i64,
    /// Its digest.
    pub hash: String,
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.id, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("`{s}` is not a head: expected ID:HASH, as `gantry audit head` prints");
        let (id, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let id = id.parse().map_err(|_| bad())?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Self {
            id,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// The chain's last row, `None` while the log is empty.
///
/// # Errors
/// When the database fails.
pub async fn head<C: ConnectionTrait>(conn: &C) -> Result<Option<Head>, DbErr> {
    Ok(audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .one(conn)
        .await?
        .map(|row| Head {
            id: row.id,
            hash: row.hash,
        }))
}

/// The first row that breaks the chain, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The row's id.
    pub id: i64,
    /// What is wrong with it.
    pub problem: String,
}

/// What a walk of an intact chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Rows checked.
    pub rows: u64,
    /// How many of them are keyed (the rest were written without `secrets.key`,
    /// before any keyed row).
    pub keyed_rows: u64,
    /// The last row.
    pub head: Option<Head>,
}

/// Walks the whole chain in id order under `key`, and checks that `expect` (a head
/// kept earlier) is still part of it. Rows written without a key are accepted only
/// before the first keyed row.
///
/// # Errors
/// When the database fails.
pub async fn verify(
    db: &impl ConnectionTrait,
    key: &AuditKey,
    expect: Option<&Head>,
) -> Result<Result<Verified, Break>, DbErr> {
    let mut prev = GENESIS.to_owned();
    let mut after = 0_i64;
    let mut rows = 0_u64;
    let mut keyed_rows = 0_u64;
    let mut expected_seen = false;
    loop {
        let page = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(after))
            .order_by_asc(audit_log::Column::Id)
            .limit(1000)
            .all(db)
            .await?;
        let Some(last) = page.last() else {
            break;
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
            let canonical = Content::of(&row).canonical();
            if key.is_keyed() && key.digest(&canonical) == row.hash {
                keyed_rows += 1;
            } else if AuditKey::unkeyed(&canonical) == row.hash {
                if keyed_rows > 0 {
                    return Ok(Err(Break {
                        id: row.id,
                        problem: "is not keyed, though rows before it are (it was written without secrets.key, or forged)".into(),
                    }));
                }
            } else {
                let problem = if key.is_keyed() {
                    "its content does not match its hash (the row was changed, or written under another secrets.key)"
                } else {
                    "its content does not match its hash (the row was changed; if the log is keyed, verify with its secrets.key)"
                };
                return Ok(Err(Break {
                    id: row.id,
                    problem: problem.into(),
                }));
            }
            if let Some(expect) = expect.filter(|e| e.id == row.id) {
                if expect.hash != row.hash {
                    return Ok(Err(Break {
                        id: row.id,
                        problem: format!(
                            "has hash {}, not the expected {} (the log was rewritten from here)",
                            row.hash, expect.hash
                        ),
                    }));
                }
                expected_seen = true;
            }
            prev = row.hash;
            rows += 1;
        }
    }
    let head = head(db).await?;
    if let Some(expect) = expect.filter(|_| !expected_seen) {
        let end = head.as_ref().map_or_else(
            || "is empty".to_owned(),
            |h| format!("ends at row {}", h.id),
        );
        return Ok(Err(Break {
            id: expect.id,
            problem: format!(
                "the expected head row is missing: the log {end} (rows were removed from its end)"
            ),
        }));
    }
    Ok(Ok(Verified {
        rows,
        keyed_rows,
        head,
    }))
}

/// Rows for an action, oldest first (for tests and the dashboard).
///
/// # Errors
/// When the database fails.
pub async fn with_action<C: ConnectionTrait>(
    conn: &C,
    action: &str,
) -> Result<Vec<audit_log::Model>, DbErr> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .order_by_asc(audit_log::Column::Id)
        .all(conn)
        .await
}

//! Queries on `deliveries`: store a delivery and its job in one transaction, read one
//! back for processing.
use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement, TransactionTrait,
};

use super::entities::{deliveries, jobs};
use crate::domain::EventMeta;

/// A verified delivery, ready to store.
#[derive(Debug)]
pub struct NewDelivery<'a> {
    /// `X-GitHub-Delivery`.
    pub delivery_id: &'a str,
    /// `X-GitHub-Event`.
    pub event: &'a str,
    /// What routing needs from the payload.
    pub meta: &'a EventMeta,
    /// The raw body exactly as received.
    pub payload: &'a [u8],
    /// The W3C `traceparent` of the span that accepted it, kept on the job.
    pub trace_parent: Option<String>,
    /// The body's digest when replays are refused (`webhook.replay_window_secs`):
    /// the same body accepted within the window is a duplicate, whatever its id.
    pub replay: Option<super::delivery_digests::Replay>,
}

/// What storing a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new delivery and its job were stored.
    New {
        /// The delivery's row id.
        delivery_pk: i64,
        /// The job's id.
        job_id: i64,
    },
    /// A delivery with this id, or the same body within the replay window, was
    /// already stored; nothing changed.
    Duplicate,
}

/// Stores a delivery and enqueues its job in one transaction. A delivery id seen
/// before changes nothing and reports [`Stored::Duplicate`].
///
/// # Errors
/// When the database fails; then nothing was stored.
pub async fn store_with_job(
    db: &DatabaseConnection,
    new: NewDelivery<'_>,
) -> Result<Stored, DbErr> {
    let mut stored = store_batch(db, std::slice::from_ref(&new)).await?;
    stored
        .pop()
        .ok_or_else(|| DbErr::Custom("a batch of one stored nothing".into()))
}

/// Stores several deliveries, each with its job, in one transaction (one commit for
/// all of them: intake's group commit, `services::delivery_writer`). Answers one
/// [`Stored`] per delivery, in order; a delivery id seen before, or earlier in the
/// same batch, is a duplicate.
///
/// # Errors
/// When the database fails; then none of them was stored.
pub async fn store_batch(
    db: &DatabaseConnection,
    batch: &[NewDelivery<'_>],
) -> Result<Vec<Stored>, DbErr> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    if postgres && batch.len() == 1 && batch[0].replay.is_none() {
        // One statement is atomic on its own: no BEGIN and COMMIT round trips.
        return Ok(vec![store_postgres(db, &batch[0]).await?]);
    }
    let txn = db.begin().await?;
    let mut stored = vec![Stored::Duplicate; batch.len()];
    let mut fresh = Vec::with_capacity(batch.len());
    for (i, new) in batch.iter().enumerate() {
        if let Some(replay) = &new.replay {
            if !super::delivery_digests::claim(&txn, replay).await? {
                continue;
            }
        }
        fresh.push(i);
    }
    super::deliveries_many::store(&txn, batch, &fresh, &mut stored).await?;
    txn.commit().await?;
    Ok(stored)
}

/// PostgreSQL: the delivery and its job in one statement (a data-modifying CTE), one
/// round trip instead of four. A conflicting delivery id inserts nothing, so no job,
/// and no row comes back.
const STORE_SQL_POSTGRES: &str = r#"
WITH d AS (
    INSERT INTO deliveries (delivery_id, event, action, repository, installation_id, payload, received_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (delivery_id) DO NOTHING
    RETURNING id)
INSERT INTO jobs (delivery_pk, generation, status, attempts, run_after, target_key, created_at, updated_at, trace_parent)
SELECT id, 0, 'queued', 0, $7, $8, $7, $7, $9 FROM d
RETURNING id, delivery_pk"#;

async fn store_postgres(
    conn: &impl ConnectionTrait,
    new: &NewDelivery<'_>,
) -> Result<Stored, DbErr> {
    let values: [sea_orm::Value; 9] = [
        new.delivery_id.into(),
        new.event.into(),
        new.meta.action.clone().into(),
        new.meta.repository.as_ref().map(|r| r.full_name()).into(),
        new.meta.installation_id.into(),
        new.payload.to_vec().into(),
        Utc::now().into(),
        target_key(new.meta).into(),
        new.trace_parent.clone().into(),
    ];
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            STORE_SQL_POSTGRES,
            values,
        ))
        .await?;
    match row {
        Some(row) => Ok(Stored::New {
            delivery_pk: row.try_get("", "delivery_pk")?,
            job_id: row.try_get("", "id")?,
        }),
        None => Ok(Stored::Duplicate),
    }
}

/// The key jobs are serialised on: one job at a time per issue or pull request, or
/// per repository when the event is about no single one.
pub(super) fn target_key(meta: &EventMeta) -> Option<String> {
    let repo = meta.repository.as_ref()?.full_name();
    Some(match meta.number {
        Some(n) => format!("{repo}#{n}"),
        None => repo,
    })
}

/// Reads a delivery by its row id.
///
/// # Errors
/// When the database fails.
pub async fn find(
    db: &impl ConnectionTrait,
    delivery_pk: i64,
) -> Result<Option<deliveries::Model>, DbErr> {
    deliveries::Entity::find_by_id(delivery_pk).one(db).await
}

/// Reads a delivery by GitHub's delivery id.
///
/// # Errors
/// When the database fails.
pub async fn find_by_delivery_id(
    db: &impl ConnectionTrait,
    delivery_id: &str,
) -> Result<Option<deliveries::Model>, DbErr> {
    deliveries::Entity::find()
        .filter(deliveries::Column::DeliveryId.eq(delivery_id))
        .one(db)
        .await
}

/// One row of a delivery listing: the delivery without its payload, and its latest
/// job.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeliverySummary {
    /// Row id.
    pub id: i64,
    /// GitHub's delivery id.
    pub delivery_id: String,
    /// Event name.
    pub event: String,
    /// The payload's action.
    pub action: Option<String>,
    /// `owner/name`.
    pub repository: Option<String>,
    /// When Gantry accepted it.
    pub received_at: chrono::DateTime<Utc>,
    /// Its latest job.
    pub job: Option<JobSummary>,
}

/// The state of a job, for listings.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct JobSummary {
    /// Job id.
    pub id: i64,
    /// `queued`, `running`, `done` or `dead`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// 0 for the original job, one more per replay.
    pub generation: i32,
    /// The last failure.
    pub last_error: Option<String>,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct DeliveryRow {
    id: i64,
    delivery_id: String,
    event: String,
    action: Option<String>,
    repository: Option<String>,
    received_at: chrono::DateTime<Utc>,
}

/// Which deliveries a listing shows (every field optional).
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// `X-GitHub-Event`.
    pub event: Option<String>,
    /// `owner/name`, as stored.
    pub repository: Option<String>,
    /// Only deliveries with a job in this status.
    pub status: Option<String>,
    /// Only deliveries of these lower-cased `owner/name` (compared
    /// case-insensitively; an empty list matches none); `None`: every repository,
    /// and deliveries that name none.
    pub projects: Option<Vec<String>>,
}

/// Lists deliveries, newest first, without their payloads: all of them, or those
/// with a job in `status`. `before` continues a listing after that row id.
///
/// # Errors
/// When the database fails.
pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<&str>,
    limit: u64,
    before: Option<i64>,
) -> Result<Vec<DeliverySummary>, DbErr> {
    page(
        db,
        &DeliveryFilter {
            status: status.map(str::to_owned),
            ..DeliveryFilter::default()
        },
        limit,
        before,
    )
    .await
}

/// One keyset page of deliveries matching `filter`, newest first, without their
/// payloads, each with its latest job. `before` continues after that row id.
///
/// # Errors
/// When the database fails.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &DeliveryFilter,
    limit: u64,
    before: Option<i64>,
) -> Result<Vec<DeliverySummary>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect, QueryTrait};
    let mut query = deliveries::Entity::find()
        .select_only()
        .columns(SUMMARY_COLUMNS)
        .order_by_desc(deliveries::Column::Id)
        .limit(limit);
    if let Some(before) = before {
        query = query.filter(deliveries::Column::Id.lt(before));
    }
    if let Some(event) = &filter.event {
        query = query.filter(deliveries::Column::Event.eq(event.as_str()));
    }
    if let Some(repository) = &filter.repository {
        query = query.filter(deliveries::Column::Repository.eq(repository.as_str()));
    }
    if let Some(projects) = &filter.projects {
        query = query.filter(super::visibility::in_projects(
            deliveries::Column::Repository,
            projects,
        ));
    }
    if let Some(status) = &filter.status {
        let with_status = jobs::Entity::find()
            .select_only()
            .column(jobs::Column::DeliveryPk)
            .filter(jobs::Column::Status.eq(status.as_str()))
            .into_query();
        query = query.filter(deliveries::Column::Id.in_subquery(with_status));
    }
    let rows: Vec<DeliveryRow> = query.into_model().all(db).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let all_jobs = jobs::Entity::find()
        .filter(jobs::Column::DeliveryPk.is_in(ids))
        .order_by_asc(jobs::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let job = all_jobs
                .iter()
                .rev()
                .find(|j| j.delivery_pk == r.id)
                .map(|j| JobSummary {
                    id: j.id,
                    status: j.status.clone(),
                    attempts: j.attempts,
                    generation: j.generation,
                    last_error: j.last_error.clone(),
                });
            DeliverySummary {
                id: r.id,
                delivery_id: r.delivery_id,
                event: r.event,
                action: r.action,
                repository: r.repository,
                received_at: r.received_at,
                job,
            }
        })
        .collect())
}

/// The columns of a delivery a listing reads (not the payload).
pub(crate) const SUMMARY_COLUMNS: [deliveries::Column; 6] = [
    deliveries::Column::Id,
    deliveries::Column::DeliveryId,
    deliveries::Column::Event,
    deliveries::Column::Action,
    deliveries::Column::Repository,
    deliveries::Column::ReceivedAt,
];

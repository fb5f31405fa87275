//! Read-only queries behind the dashboard's pages: the overview's counters, filtered
//! listings of the audit log, deliveries and dead letters paginated by id (keyset:
//! `id < :before ORDER BY id DESC`, never OFFSET, so page 10,000 costs what page 1
//! does; migration 10 indexes each filter with `id`), decided approvals, and the
//! repositories Gantry knows of.
use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};

use super::deliveries::DeliverySummary;
use super::entities::{approvals, audit_log, deliveries, installations, jobs};

/// The largest page any listing returns.
pub const MAX_PAGE: u64 = 500;

/// Deliveries received in each minute of the last hour, oldest first.
#[derive(Debug, Clone)]
pub struct MinuteCount {
    /// The minute's start.
    pub minute: DateTime<Utc>,
    /// Deliveries received in it.
    pub count: i64,
}

/// Counts deliveries per minute over the last `minutes` whole minutes (the current
/// one included) in one statement over the `received_at` index.
///
/// # Errors
/// When the database fails.
pub async fn deliveries_per_minute(db: &DatabaseConnection, now: DateTime<Utc>, minutes: u32) -> Result<Vec<MinuteCount>, DbErr> {
    let minutes = minutes.clamp(1, 240);
    let current = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
    let starts: Vec<DateTime<Utc>> = (0..minutes).rev().map(|back| current - Duration::minutes(i64::from(back))).collect();
    let backend = db.get_database_backend();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let param = |v: DateTime<Utc>, values: &mut Vec<sea_orm::Value>| {
        values.push(v.into());
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_owned(),
        }
    };
    let mut columns = Vec::new();
    for (i, start) in starts.iter().enumerate() {
        let lo = param(*start, &mut values);
        let hi = param(*start + Duration::minutes(1), &mut values);
        columns.push(format!("COALESCE(SUM(CASE WHEN received_at >= {lo} AND received_at < {hi} THEN 1 ELSE 0 END), 0) AS m{i}"));
    }
    let from = param(starts[0], &mut values);
    let sql = format!("SELECT {} FROM deliveries WHERE received_at >= {from}", columns.join(", "));
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut out = Vec::with_capacity(starts.len());
    for (i, minute) in starts.into_iter().enumerate() {
        let count = match &row {
            Some(row) => row.try_get::<i64>("", &format!("m{i}")).unwrap_or(0),
            None => 0,
        };
        out.push(MinuteCount { minute, count });
    }
    Ok(out)
}

/// Filters of the audit log page (each optional; text filters match exactly).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Who.
    pub actor: Option<String>,
    /// What (`policy.decision`, `approval.approved`, ...).
    pub action: Option<String>,
    /// Which repository.
    pub project: Option<String>,
    /// How it ended.
    pub outcome: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

/// One page of audit rows, newest first, with ids below `before`. Returns up to
/// `limit` rows; the caller continues with the last row's id.
///
/// # Errors
/// When the database fails.
pub async fn audit_page(db: &impl ConnectionTrait, filter: &AuditFilter, before: Option<i64>, limit: u64) -> Result<Vec<audit_log::Model>, DbErr> {
    let mut query = audit_log::Entity::find().order_by_desc(audit_log::Column::Id).limit(limit.clamp(1, MAX_PAGE));
    if let Some(before) = before {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::Column::Actor.eq(actor.as_str()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(project) = &filter.project {
        query = query.filter(audit_log::Column::Project.eq(project.as_str()));
    }
    if let Some(outcome) = &filter.outcome {
        query = query.filter(audit_log::Column::Outcome.eq(outcome.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::Column::At.lt(to));
    }
    query.all(db).await
}

pub use super::deliveries::DeliveryFilter;

/// One page of deliveries (without payloads), newest first, each with its latest job.
///
/// # Errors
/// When the database fails.
pub async fn deliveries_page(db: &DatabaseConnection, filter: &DeliveryFilter, before: Option<i64>, limit: u64) -> Result<Vec<DeliverySummary>, DbErr> {
    super::deliveries::page(db, filter, limit.clamp(1, MAX_PAGE), before).await
}

#[derive(Debug, FromQueryResult)]
struct DeliveryRow {
    id: i64,
    delivery_id: String,
    event: String,
    repository: Option<String>,
}

/// A dead-lettered job with what it was for.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// The job.
    pub job: jobs::Model,
    /// GitHub's delivery id.
    pub delivery_id: String,
    /// Its event.
    pub event: String,
    /// Its repository.
    pub repository: Option<String>,
}

/// One page of dead jobs, newest first, with ids below `before`.
///
/// # Errors
/// When the database fails.
pub async fn dead_letters(db: &DatabaseConnection, before: Option<i64>, limit: u64) -> Result<Vec<DeadLetter>, DbErr> {
    let mut query = jobs::Entity::find().filter(jobs::Column::Status.eq("dead")).order_by_desc(jobs::Column::Id).limit(limit.clamp(1, MAX_PAGE));
    if let Some(before) = before {
        query = query.filter(jobs::Column::Id.lt(before));
    }
    let dead = query.all(db).await?;
    let pks: Vec<i64> = dead.iter().map(|j| j.delivery_pk).collect();
    let found = deliveries::Entity::find()
        .select_only()
        .columns([deliveries::Column::Id, deliveries::Column::DeliveryId, deliveries::Column::Event, deliveries::Column::Repository])
        .filter(deliveries::Column::Id.is_in(pks))
        .into_model::<DeliveryRow>()
        .all(db)
        .await?;
    Ok(dead
        .into_iter()
        .filter_map(|job| {
            let d = found.iter().find(|d| d.id == job.delivery_pk)?;
            Some(DeadLetter { delivery_id: d.delivery_id.clone(), event: d.event.clone(), repository: d.repository.clone(), job })
        })
        .collect())
}

/// Decided approvals (anything but pending), newest first, at most `limit`.
///
/// # Errors
/// When the database fails.
pub async fn decided_approvals(db: &DatabaseConnection, limit: u64) -> Result<Vec<approvals::Model>, DbErr> {
    approvals::Entity::find()
        .filter(approvals::Column::Status.ne("pending"))
        .order_by_desc(approvals::Column::Id)
        .limit(limit.clamp(1, MAX_PAGE))
        .all(db)
        .await
}

/// Pending approvals, oldest first (the queue), at most `limit`.
///
/// # Errors
/// When the database fails.
pub async fn pending_approvals(db: &DatabaseConnection, limit: u64) -> Result<Vec<approvals::Model>, DbErr> {
    approvals::Entity::find()
        .filter(approvals::Column::Status.eq("pending"))
        .order_by_asc(approvals::Column::Id)
        .limit(limit.clamp(1, MAX_PAGE))
        .all(db)
        .await
}

/// Where Gantry has seen a repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KnownRepository {
    /// `owner/name`.
    pub name: String,
    /// The installation that lists it, if any.
    pub installation: Option<i64>,
    /// Whether a delivery named it.
    pub seen_in_deliveries: bool,
}

const DISTINCT_REPOSITORIES: &str = "WITH RECURSIVE r(repository) AS ( \
    SELECT MIN(repository) FROM deliveries \
    UNION ALL \
    SELECT (SELECT MIN(d.repository) FROM deliveries d WHERE d.repository > r.repository) FROM r WHERE r.repository IS NOT NULL) \
    SELECT repository FROM r WHERE repository IS NOT NULL";

/// Every repository an installation lists or a delivery named, by name
/// (case-insensitively merged).
///
/// # Errors
/// When the database fails.
pub async fn known_repositories(db: &DatabaseConnection) -> Result<Vec<KnownRepository>, DbErr> {
    let mut all: std::collections::BTreeMap<String, KnownRepository> = std::collections::BTreeMap::new();
    for installation in installations::Entity::find().all(db).await? {
        let names: Vec<String> = installation.repositories.as_deref().and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default();
        for name in names {
            all.entry(name.to_ascii_lowercase())
                .or_insert(KnownRepository { name, installation: Some(installation.id), seen_in_deliveries: false });
        }
    }
    // The distinct repositories by a skip scan of the `(repository, id)` index: one
    // probe per repository, however many deliveries each has (a plain DISTINCT
    // reads every row).
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(Statement::from_string(backend, DISTINCT_REPOSITORIES)).await?;
    let seen: Vec<String> = rows.iter().filter_map(|r| r.try_get::<Option<String>>("", "repository").ok().flatten()).collect();
    for name in seen {
        all.entry(name.to_ascii_lowercase()).or_insert(KnownRepository { name, installation: None, seen_in_deliveries: true }).seen_in_deliveries = true;
    }
    Ok(all.into_values().collect())
}

//! Read-only queries behind the dashboard's pages: the overview's counters, filtered
//! listings of the audit log, deliveries and dead letters paginated by id (keyset:
//! `id < :before ORDER BY id DESC`, never OFFSET, so page 10,000 costs what page 1
//! does; migration 10 indexes each filter with `id`), decided approvals, and the
//! repositories Gantry knows of. Every listing and counter takes the reader's
//! `Visibility` (`domain`): a reader whose only roles come from teams sees only rows of
//! those projects, compared case-insensitively (`LOWER(column) IN (...)`; the
//! projects are lower-cased `owner/repo`, the columns hold names as GitHub sent
//! them), and never rows that name no project.
use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::deliveries::DeliverySummary;
use super::entities::{approvals, audit_log, deliveries, installations, jobs};
use super::jobs::JobStatus;
use super::visibility::in_projects;
use crate::domain::{ApprovalStatus, Visibility};

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
pub async fn deliveries_per_minute(
    db: &impl ConnectionTrait,
    visible: &Visibility,
    now: DateTime<Utc>,
    minutes: u32,
) -> Result<Vec<MinuteCount>, DbErr> {
    let minutes = minutes.clamp(1, 240);
    let current = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
    let starts: Vec<DateTime<Utc>> = (0..minutes)
        .rev()
        .map(|back| current - Duration::minutes(i64::from(back)))
        .collect();
    let backend = db.get_database_backend();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let param = |v: sea_orm::Value, values: &mut Vec<sea_orm::Value>| {
        values.push(v);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_owned(),
        }
    };
    let mut columns = Vec::new();
    for (i, start) in starts.iter().enumerate() {
        let lo = param((*start).into(), &mut values);
        let hi = param((*start + Duration::minutes(1)).into(), &mut values);
        columns.push(format!("COALESCE(SUM(CASE WHEN received_at >= {lo} AND received_at < {hi} THEN 1 ELSE 0 END), 0) AS m{i}"));
    }
    let from = param(starts[0].into(), &mut values);
    let only = match visible.projects() {
        None => String::new(),
        Some([]) => " AND 1 = 0".to_owned(),
        Some(projects) => {
            let list: Vec<String> = projects
                .iter()
                .map(|p| param(p.to_ascii_lowercase().into(), &mut values))
                .collect();
            format!(" AND LOWER(repository) IN ({})", list.join(", "))
        }
    };
    let sql = format!(
        "SELECT {} FROM deliveries WHERE received_at >= {from}{only}",
        columns.join(", ")
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
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

/// One page of the audit rows `visible` shows, newest first, with ids below
/// `before`. Returns up to `limit` rows; the caller continues with the last row's id.
///
/// # Errors
/// When the database fails.
pub async fn audit_page(
    db: &impl ConnectionTrait,
    visible: &Visibility,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<audit_log::Model>, DbErr> {
    let mut query = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .limit(limit.clamp(1, MAX_PAGE));
    if let Some(projects) = visible.projects() {
        query = query.filter(in_projects(audit_log::Column::Project, projects));
    }
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

/// One page of the deliveries `visible` shows (without payloads), newest first,
/// each with its latest job.
///
/// # Errors
/// When the database fails.
pub async fn deliveries_page(
    db: &impl ConnectionTrait,
    visible: &Visibility,
    filter: &DeliveryFilter,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<DeliverySummary>, DbErr> {
    let filter = DeliveryFilter {
        projects: visible.projects().map(<[String]>::to_vec),
        ..filter.clone()
    };
    super::deliveries::page(db, &filter, limit.clamp(1, MAX_PAGE), before).await
}

/// Whether `visible` shows the delivery with GitHub's id `delivery_id` (false when
/// there is none), in one indexed lookup.
///
/// # Errors
/// When the database fails.
pub async fn delivery_visible(
    db: &impl ConnectionTrait,
    visible: &Visibility,
    delivery_id: &str,
) -> Result<bool, DbErr> {
    let mut query =
        deliveries::Entity::find().filter(deliveries::Column::DeliveryId.eq(delivery_id));
    if let Some(projects) = visible.projects() {
        query = query.filter(in_projects(deliveries::Column::Repository, projects));
    }
    Ok(query.count(db).await? > 0)
}

/// The ids of the deliveries of `projects`, as a subquery.
fn deliveries_of(projects: &[String]) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::QueryTrait;
    deliveries::Entity::find()
        .select_only()
        .column(deliveries::Column::Id)
        .filter(in_projects(deliveries::Column::Repository, projects))
        .into_query()
}

/// Jobs queued and running, and when the oldest queued one was created, counting
/// only deliveries `visible` shows.
///
/// # Errors
/// When the database fails.
pub async fn queue(
    db: &impl ConnectionTrait,
    visible: &Visibility,
) -> Result<(u64, u64, Option<DateTime<Utc>>), DbErr> {
    let Some(projects) = visible.projects() else {
        let (queued, running) = super::jobs::pending_counts(db).await?;
        return Ok((queued, running, super::jobs::oldest_queued(db).await?));
    };
    let mine = |status: JobStatus| {
        jobs::Entity::find()
            .filter(jobs::Column::Status.eq(status.as_str()))
            .filter(jobs::Column::DeliveryPk.in_subquery(deliveries_of(projects)))
    };
    let queued = mine(JobStatus::Queued).count(db).await?;
    let running = mine(JobStatus::Running).count(db).await?;
    let oldest = mine(JobStatus::Queued)
        .order_by_asc(jobs::Column::Id)
        .one(db)
        .await?
        .map(|j| j.created_at);
    Ok((queued, running, oldest))
}

/// Pending approvals `visible` shows.
///
/// # Errors
/// When the database fails.
pub async fn pending_approval_count(
    db: &impl ConnectionTrait,
    visible: &Visibility,
) -> Result<u64, DbErr> {
    let mut query = approvals::Entity::find()
        .filter(approvals::Column::Status.eq(ApprovalStatus::Pending.as_str()));
    if let Some(projects) = visible.projects() {
        query = query.filter(in_projects(approvals::Column::Repository, projects));
    }
    query.count(db).await
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

/// One page of the dead jobs `visible` shows, newest first, with ids below `before`.
///
/// # Errors
/// When the database fails.
pub async fn dead_letters(
    db: &impl ConnectionTrait,
    visible: &Visibility,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<DeadLetter>, DbErr> {
    let mut query = jobs::Entity::find()
        .filter(jobs::Column::Status.eq(JobStatus::Dead.as_str()))
        .order_by_desc(jobs::Column::Id)
        .limit(limit.clamp(1, MAX_PAGE));
    if let Some(projects) = visible.projects() {
        query = query.filter(jobs::Column::DeliveryPk.in_subquery(deliveries_of(projects)));
    }
    if let Some(before) = before {
        query = query.filter(jobs::Column::Id.lt(before));
    }
    let dead = query.all(db).await?;
    let pks: Vec<i64> = dead.iter().map(|j| j.delivery_pk).collect();
    let found = deliveries::Entity::find()
        .select_only()
        .columns([
            deliveries::Column::Id,
            deliveries::Column::DeliveryId,
            deliveries::Column::Event,
            deliveries::Column::Repository,
        ])
        .filter(deliveries::Column::Id.is_in(pks))
        .into_model::<DeliveryRow>()
        .all(db)
        .await?;
    Ok(dead
        .into_iter()
        .filter_map(|job| {
            let d = found.iter().find(|d| d.id == job.delivery_pk)?;
            Some(DeadLetter {
                delivery_id: d.delivery_id.clone(),
                event: d.event.clone(),
                repository: d.repository.clone(),
                job,
            })
        })
        .collect())
}

/// The approvals `visible` shows.
fn visible_approvals(visible: &Visibility) -> sea_orm::Select<approvals::Entity> {
    let query = approvals::Entity::find();
    match visible.projects() {
        Some(projects) => query.filter(in_projects(approvals::Column::Repository, projects)),
        None => query,
    }
}

/// Decided approvals (anything but pending) `visible` shows, newest first, at most
/// `limit`.
///
/// # Errors
/// When the database fails.
pub async fn decided_approvals(
    db: &impl ConnectionTrait,
    visible: &Visibility,
    limit: u64,
) -> Result<Vec<approvals::Model>, DbErr> {
    visible_approvals(visible)
        .filter(approvals::Column::Status.ne(ApprovalStatus::Pending.as_str()))
        .order_by_desc(approvals::Column::Id)
        .limit(limit.clamp(1, MAX_PAGE))
        .all(db)
        .await
}

/// Pending approvals `visible` shows, oldest first (the queue), at most `limit`.
///
/// # Errors
/// When the database fails.
pub async fn pending_approvals(
    db: &impl ConnectionTrait,
    visible: &Visibility,
    limit: u64,
) -> Result<Vec<approvals::Model>, DbErr> {
    visible_approvals(visible)
        .filter(approvals::Column::Status.eq(ApprovalStatus::Pending.as_str()))
        .order_by_asc(approvals::Column::Id)
        .limit(limit.clamp(1, MAX_PAGE))
        .all(db)
        .await
}

/// Approvals `visible` shows in `status` (all when `None`), newest first, with
/// ids below `before`, at most `limit` (the JSON API's listing, keyset-paged).
///
/// # Errors
/// When the database fails.
pub async fn approvals(
    db: &impl ConnectionTrait,
    visible: &Visibility,
    status: Option<&str>,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<approvals::Model>, DbErr> {
    let mut query = visible_approvals(visible)
        .order_by_desc(approvals::Column::Id)
        .limit(limit.clamp(1, MAX_PAGE));
    if let Some(status) = status {
        query = query.filter(approvals::Column::Status.eq(status));
    }
    if let Some(before) = before {
        query = query.filter(approvals::Column::Id.lt(before));
    }
    query.all(db).await
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
/// (case-insensitively merged), that `visible` shows.
///
/// # Errors
/// When the database fails.
pub async fn known_repositories(
    db: &impl ConnectionTrait,
    visible: &Visibility,
) -> Result<Vec<KnownRepository>, DbErr> {
    let mut all: std::collections::BTreeMap<String, KnownRepository> =
        std::collections::BTreeMap::new();
    for installation in installations::Entity::find().all(db).await? {
        let names: Vec<String> = installation
            .repositories
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default();
        for name in names {
            all.entry(name.to_ascii_lowercase())
                .or_insert(KnownRepository {
                    name,
                    installation: Some(installation.id),
                    seen_in_deliveries: false,
                });
        }
    }
    // The distinct repositories by a skip scan of the `(repository, id)` index: one
    // probe per repository, however many deliveries each has (a plain DISTINCT
    // reads every row).
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, DISTINCT_REPOSITORIES))
        .await?;
    let seen: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<Option<String>>("", "repository").ok().flatten())
        .collect();
    for name in seen {
        all.entry(name.to_ascii_lowercase())
            .or_insert(KnownRepository {
                name,
                installation: None,
                seen_in_deliveries: true,
            })
            .seen_in_deliveries = true;
    }
    Ok(all
        .into_values()
        .filter(|r| visible.shows(Some(&r.name)))
        .collect())
}

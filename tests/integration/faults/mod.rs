//! Storage faults under load (issue 16): the database full, locked, or cut off while
//! signed `issues.opened` deliveries arrive, each for its own issue, and the hooks
//! plugin labels each one. Every scenario asserts Gantry's promise: a delivery
//! answered 202 is stored (read back after a restart), every refusal comes fast,
//! and no label reaches the simulator twice.
//!
//! This file holds what the scenarios share: the load, its record, and the checks.
mod deadline;
mod killed;
mod postgres_restarted;
mod postgres_terminated;
mod sqlite_full;
mod write_lock;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::helpers::{corpus_payload, delivery_id, TestApp};

/// The repository of the corpus `issues.opened` payload.
pub const REPO: (&str, &str) = ("Codertocat", "Hello-World");

/// One delivery sent and how it was answered.
#[derive(Debug, Clone)]
pub struct Sent {
    pub delivery: String,
    pub issue: u64,
    /// The HTTP status, or `None` when no answer came (connection error).
    pub status: Option<u16>,
    pub took: Duration,
}

/// Says why a test did not run (seen with `--nocapture`).
#[allow(clippy::print_stderr)] // a skipped test must say why
pub fn skip(reason: &str) {
    eprintln!("skipped: {reason}");
}

/// Whether the suite runs on SQLite (the default) rather than PostgreSQL.
pub fn on_sqlite() -> bool {
    std::env::var("GANTRY_TEST_DATABASE").as_deref() != Ok("postgres")
}

/// The corpus `issues.opened` for issue `number`.
pub fn issue_opened(number: u64) -> Vec<u8> {
    let mut payload: serde_json::Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["issue"]["number"] = number.into();
    serde_json::to_vec(&payload).unwrap()
}

/// Sends `issues.opened` for each issue in `issues`, `concurrency` at a time, each
/// once (a refused delivery is not sent again: the test checks what was answered),
/// on a task of its own so a fault can start and end while it runs.
pub fn deliver(
    app: &TestApp,
    issues: std::ops::Range<u64>,
    concurrency: usize,
) -> tokio::task::JoinHandle<Vec<Sent>> {
    let app = Arc::new((app.address.clone(), app.http.clone()));
    tokio::spawn(async move { send_all(app, issues, concurrency).await })
}

/// Sends `issues.opened` for each issue in `issues` at `per_second`, each at its
/// time whatever the answers before it (as GitHub does), on a task of its own.
pub fn deliver_at_rate(
    app: &TestApp,
    issues: std::ops::Range<u64>,
    per_second: u32,
) -> tokio::task::JoinHandle<Vec<Sent>> {
    deliver_at_rate_to(app.address.clone(), app.http.clone(), issues, per_second)
}

/// [`deliver_at_rate`] to the server at `address` (another process, say).
pub fn deliver_at_rate_to(
    address: String,
    http: reqwest::Client,
    issues: std::ops::Range<u64>,
    per_second: u32,
) -> tokio::task::JoinHandle<Vec<Sent>> {
    let app = Arc::new((address, http));
    tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let gap = Duration::from_secs(1) / per_second;
        let mut sends = Vec::new();
        for (i, issue) in issues.enumerate() {
            let app = app.clone();
            let at = start + gap * u32::try_from(i).unwrap();
            sends.push(tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                send_one(&app, issue).await
            }));
        }
        let mut sent = Vec::new();
        for send in sends {
            sent.push(send.await.unwrap());
        }
        sent
    })
}

async fn send_all(
    app: Arc<(String, reqwest::Client)>,
    issues: std::ops::Range<u64>,
    concurrency: usize,
) -> Vec<Sent> {
    futures::stream::iter(issues)
        .map(|issue| {
            let app = app.clone();
            async move { send_one(&app, issue).await }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await
}

/// Sends one signed `issues.opened` and records how it was answered.
async fn send_one(app: &(String, reqwest::Client), issue: u64) -> Sent {
    let (address, http) = app;
    let delivery = delivery_id();
    let body = issue_opened(issue);
    let start = Instant::now();
    let answer = http
        .post(format!("{address}/webhooks/github"))
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", &delivery)
        .header(
            "x-hub-signature-256",
            gantry_server::github::signature::sign(crate::helpers::SECRET.as_bytes(), &body),
        )
        .timeout(Duration::from_secs(30))
        .body(body)
        .send()
        .await;
    Sent {
        delivery,
        issue,
        status: answer.ok().map(|a| a.status().as_u16()),
        took: start.elapsed(),
    }
}

/// The `n` column of a `SELECT count(*) AS n ...`.
pub async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// The label calls the simulator saw for `issue`.
pub fn label_calls(app: &TestApp, issue: u64) -> u64 {
    app.sim.request_count(
        "POST",
        &format!("/repos/{}/{}/issues/{issue}/labels", REPO.0, REPO.1),
    )
}

/// The first half of the promise, checked on a restarted app: every delivery
/// answered 202 is stored.
pub async fn assert_nothing_lost(app: &TestApp, sent: &[Sent]) {
    let mut lost = Vec::new();
    for s in sent {
        let stored = gantry_server::db::deliveries::find_by_delivery_id(&app.state.db, &s.delivery)
            .await
            .unwrap()
            .is_some();
        if s.status == Some(202) && !stored {
            lost.push(s.issue);
        }
    }
    let accepted = sent.iter().filter(|s| s.status == Some(202)).count();
    assert!(
        lost.is_empty(),
        "{} of {accepted} deliveries answered 202 are not stored after the restart: issues {lost:?}",
        lost.len()
    );
}

/// The second half, once the queue is idle: every delivery answered 202 was
/// labelled exactly once, and none was labelled twice.
pub fn assert_nothing_twice(app: &TestApp, sent: &[Sent]) {
    let mut twice = Vec::new();
    for s in sent {
        let labelled = label_calls(app, s.issue);
        if labelled > 1 || (s.status == Some(202) && labelled != 1) {
            twice.push((s.issue, labelled));
        }
    }
    assert!(
        twice.is_empty(),
        "issues whose label call did not reach the simulator exactly once (issue, calls): {twice:?}"
    );
}

/// Every answer, 202 or refusal, came within `limit`.
pub fn assert_answered_within(sent: &[Sent], limit: Duration) {
    let slow: Vec<(u64, Option<u16>, Duration)> = sent
        .iter()
        .filter(|s| s.took > limit)
        .map(|s| (s.issue, s.status, s.took))
        .collect();
    assert!(
        slow.is_empty(),
        "answers slower than {limit:?} (issue, status, took): {slow:?}"
    );
}

/// Another connection holding the write lock deliveries need: SQLite's database
/// lock (`BEGIN IMMEDIATE`), or on PostgreSQL exclusive locks on the tables intake
/// and readiness write (`deliveries`, `jobs`, `storage_probe`).
pub struct WriteLock {
    db: sea_orm::DatabaseConnection,
}

impl WriteLock {
    /// Takes the lock on a connection of its own.
    pub async fn take(app: &TestApp) -> Self {
        use sea_orm::ConnectionTrait;
        let db = gantry_server::db::connect(&app.state.settings.database_url(), 1)
            .await
            .unwrap();
        if on_sqlite() {
            db.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
        } else {
            db.execute_unprepared("BEGIN").await.unwrap();
            db.execute_unprepared("LOCK TABLE deliveries, jobs, storage_probe IN EXCLUSIVE MODE")
                .await
                .unwrap();
        }
        Self { db }
    }

    /// Gives the lock back.
    pub async fn release(self) {
        use sea_orm::ConnectionTrait;
        self.db.execute_unprepared("ROLLBACK").await.unwrap();
        self.db.close().await.unwrap();
    }
}

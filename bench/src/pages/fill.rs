//! The database the pages benchmark reads (on Gantry started by the intake bench's
//! `start_gantry`, without plugins): audit rows, deliveries with their jobs,
//! approvals and policy rules inserted in bulk (multi-row inserts in transactions),
//! planner statistics gathered (`ANALYZE`), and an admin with a session.
//!
//! The audit rows carry unique placeholder hashes, not a real chain: pages never
//! verify the chain (the *Verify* button does, and it is not measured here).
use chrono::{Duration, Utc};
use gantry_server::db::entities::{approvals, audit_log, deliveries, jobs};
use gantry_server::AppState;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait,
};

/// Rows per insert statement.
const BATCH: usize = 500;

/// Values the measured filters and detail pages use.
#[derive(Debug)]
pub struct Sample {
    /// A repository with deliveries.
    pub repository: String,
    /// A stored delivery id.
    pub delivery_id: String,
    /// An actor with audit rows.
    pub actor: String,
    /// An action with audit rows.
    pub action: String,
}

const ACTIONS: [&str; 8] = [
    "policy.decision",
    "approval.requested",
    "approval.approved",
    "action.executed",
    "plugin.configured",
    "login.succeeded",
    "login.failed",
    "team.granted",
];

/// Inserts `audit_rows` audit rows and `delivery_rows` deliveries with a job each,
/// spread over the last 30 days, plus 100 pending and 1,000 decided approvals.
///
/// # Errors
/// When the database fails.
pub async fn fill(
    db: &DatabaseConnection,
    audit_rows: u64,
    delivery_rows: u64,
) -> anyhow::Result<Sample> {
    let now = Utc::now();
    let span = Duration::days(30).num_seconds();
    let at = |i: u64, n: u64| {
        now - Duration::seconds(
            span - span * i64::try_from(i).unwrap_or(0) / i64::try_from(n.max(1)).unwrap_or(1),
        )
    };
    let repo = |i: u64| format!("org-{}/repo-{}", i % 20, i % 100);
    let mut i = 0;
    while i < audit_rows {
        let end = (i + BATCH as u64).min(audit_rows);
        let rows = (i..end).map(|k| audit_log::ActiveModel {
            at: Set(at(k, audit_rows)),
            actor: Set(format!("user-{}", k % 50)),
            actor_kind: Set("user".into()),
            action: Set(ACTIONS[(k % 8) as usize].into()),
            project: Set(Some(repo(k))),
            capability: Set(Some("issues:write".into())),
            decision: Set(Some("allow".into())),
            outcome: Set(Some(if k % 17 == 0 { "failed" } else { "ok" }.into())),
            delivery_id: Set(Some(format!("bench-{}", k % delivery_rows.max(1)))),
            details: Set(Some(format!("{{\"n\":{k}}}"))),
            prev_hash: Set(format!("{k:064x}")),
            hash: Set(format!("{:064x}", k + 1)),
            ..Default::default()
        });
        let txn = db.begin().await?;
        audit_log::Entity::insert_many(rows).exec(&txn).await?;
        txn.commit().await?;
        i = end;
    }
    let payload = |k: u64| {
        serde_json::json!({"action": "opened", "issue": {"number": k % 500 + 1, "title": format!("Issue {k}")}, "repository": {"full_name": repo(k)}, "sender": {"login": format!("user-{}", k % 50)}}).to_string()
    };
    let mut i = 0;
    while i < delivery_rows {
        let end = (i + BATCH as u64).min(delivery_rows);
        let rows = (i..end).map(|k| deliveries::ActiveModel {
            delivery_id: Set(format!("bench-{k}")),
            event: Set(if k % 3 == 0 { "pull_request" } else { "issues" }.into()),
            action: Set(Some("opened".into())),
            repository: Set(Some(repo(k))),
            installation_id: Set(None),
            payload: Set(payload(k).into_bytes()),
            received_at: Set(at(k, delivery_rows)),
            ..Default::default()
        });
        let txn = db.begin().await?;
        deliveries::Entity::insert_many(rows).exec(&txn).await?;
        txn.commit().await?;
        i = end;
    }
    // A fresh database numbers deliveries 1..=N in insertion order.
    let mut i = 0;
    while i < delivery_rows {
        let end = (i + BATCH as u64).min(delivery_rows);
        let rows = (i..end).map(|k| {
            let when = at(k, delivery_rows);
            let dead = k % 200 == 0;
            jobs::ActiveModel {
                delivery_pk: Set(i64::try_from(k + 1).unwrap_or(i64::MAX)),
                generation: Set(0),
                status: Set(if dead { "dead" } else { "done" }.into()),
                attempts: Set(if dead { 5 } else { 1 }),
                run_after: Set(when),
                target_key: Set(Some(repo(k))),
                last_error: Set(dead.then(|| "GitHub answered 502 five times".to_owned())),
                created_at: Set(when),
                updated_at: Set(when),
                ..Default::default()
            }
        });
        let txn = db.begin().await?;
        jobs::Entity::insert_many(rows).exec(&txn).await?;
        txn.commit().await?;
        i = end;
    }
    let approvals_rows = (0..1_100_u64).map(|k| approvals::ActiveModel {
        public_id: Set(format!("ap_bench_{k}")),
        delivery_id: Set(format!("bench-{k}")),
        plugin: Set("hooks".into()),
        capability: Set("issues:write".into()),
        repository: Set(repo(k)),
        action: Set(serde_json::json!({"kind": "add_labels", "owner": "org", "repo": "repo", "number": k, "labels": ["triage"]}).to_string()),
        status: Set(if k < 100 { "pending" } else { "executed" }.into()),
        decided_by: Set((k >= 100).then(|| "user-1".to_owned())),
        reason: Set(None),
        result: Set(None),
        created_at: Set(now),
        decided_at: Set((k >= 100).then_some(now)),
        // Decided long ago: the approvals sweep has nothing to tell plugins.
        notified_at: Set((k >= 100).then_some(now)),
        ..Default::default()
    });
    for chunk in approvals_rows.collect::<Vec<_>>().chunks(BATCH) {
        approvals::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    // Planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite)
    // would gather them on a database that grew over time rather than in seconds.
    db.execute_unprepared("ANALYZE").await?;
    Ok(Sample {
        repository: repo(7),
        delivery_id: format!("bench-{}", delivery_rows / 2),
        actor: "user-7".into(),
        action: "approval.approved".into(),
    })
}

/// Creates an admin with a session; returns the `Cookie` header value.
///
/// # Errors
/// When the database fails.
pub async fn admin_session(state: &AppState) -> anyhow::Result<String> {
    use gantry_server::db::{accounts, sessions};
    let user = accounts::create_user(
        &state.db,
        accounts::NewUser {
            login: "bench-admin".into(),
            password_hash: None,
            admin: true,
            base_role: None,
        },
    )
    .await?;
    let sid = gantry_server::auth::session::new_session_id();
    sessions::insert_session(&state.db, &sid, user.id, Utc::now() + Duration::hours(2)).await?;
    let token = state.session_keys.issue(&sid, user.id, 7200)?;
    Ok(format!(
        "{}={token}",
        gantry_server::auth::session::PLAIN_COOKIE
    ))
}

//! Missed-delivery recovery. GitHub does not retry a webhook delivery by itself: one
//! made while Gantry was down, unreachable or refusing (503 while its database was
//! out), or dropped by a proxy, is lost unless someone asks for it again. With a
//! GitHub App, the sweep does: every `recovery.interval_secs`, one replica at a time
//! (a lease on `recovery_sweep`), it reads the App's delivery log (`GET
//! /app/hook/deliveries`, newest first, paged by cursor, back to where the last sweep
//! reached or `recovery.lookback_hours`; the first sweep only notes where the log
//! stands), leaves alone attempts younger than
//! `recovery.grace_secs` (they may be being stored now), and for each event Gantry
//! never stored asks GitHub to deliver it again (`POST
//! /app/hook/deliveries/{id}/attempts`). A redelivery keeps its delivery id, so
//! intake's deduplication makes every step safe to repeat; the ask itself is claimed
//! in `hook_redeliveries` first, so two replicas never ask twice, and asked again
//! (up to `recovery.max_attempts`, an interval apart) while it has not arrived. A
//! redelivery intake refuses (its database still out) is such a miss; it may also be
//! the write that closes intake's storage breaker again. Each ask is audited and
//! counted (`gantry_deliveries_redelivered_total`).
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::db::audit::{self, AuditEntry};
use crate::db::recovery;
use crate::domain::{Actor, AuditAction};
use crate::github::app::Installations;
use crate::github::{GitHubAccess, GitHubError};
use crate::services::AppState;

/// How long a sweep may hold the lease before another replica may take over.
const LEASE: Duration = Duration::minutes(10);

/// Pages read per sweep at most (100 attempts each).
const MAX_PAGES: usize = 50;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// Attempts in the log examined (settled, newer than where the last sweep reached).
    pub examined: usize,
    /// Events among them Gantry never stored.
    pub missing: usize,
    /// Redeliveries asked for (first asks and asks again).
    pub asked: usize,
    /// Asks GitHub refused or that failed; asked again by a later sweep.
    pub failed: usize,
}

/// One attempt of GitHub's delivery log, the fields the sweep reads.
#[derive(Debug, Clone, Deserialize)]
struct Attempt {
    id: i64,
    guid: String,
    delivered_at: DateTime<Utc>,
    status_code: i64,
    event: String,
}

/// Runs one sweep as `holder` when it is due and no other replica sweeps now; `None`
/// when it is not this replica's turn or Gantry does not run as a GitHub App.
///
/// # Errors
/// When the database fails or GitHub's log cannot be read; the lease is given back.
pub async fn sweep(state: &AppState, holder: &str) -> anyhow::Result<Option<Swept>> {
    let settings = &state.settings.recovery;
    let GitHubAccess::App(app) = &state.github else {
        return Ok(None);
    };
    if !settings.enabled {
        return Ok(None);
    }
    let now = Utc::now();
    let every = seconds(settings.interval_secs);
    let Some(reached) = recovery::lease(&state.db, holder, now, now + LEASE, now - every).await?
    else {
        return Ok(None);
    };
    let outcome = run(state, app, reached, now).await;
    let moved = outcome.as_ref().ok().and_then(|(_, reached)| *reached);
    recovery::finish(&state.db, holder, Utc::now(), moved).await?;
    let result = if outcome.is_ok() { "done" } else { "failed" };
    state
        .metrics
        .recovery_sweeps
        .with_label_values(&[result])
        .inc();
    let (swept, _) = outcome?;
    if swept.asked > 0 || swept.failed > 0 {
        tracing::info!(
            examined = swept.examined,
            missing = swept.missing,
            asked = swept.asked,
            failed = swept.failed,
            "missed-delivery sweep asked GitHub for redeliveries"
        );
    }
    Ok(Some(swept))
}

/// The sweep's work once leased; what it did and the newest attempt id examined.
async fn run(
    state: &AppState,
    app: &Arc<Installations>,
    reached: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<(Swept, Option<i64>)> {
    let settings = &state.settings.recovery;
    let Some(reached) = reached else {
        return Ok((Swept::default(), Some(first_mark(app).await?)));
    };
    let settled_before = now - seconds(settings.grace_secs);
    let oldest = now - Duration::hours(i64::try_from(settings.lookback_hours).unwrap_or(72));
    let attempts = read_log(app, reached, oldest).await?;
    // Events with an attempt still in its grace period wait for the next sweep.
    let unsettled: std::collections::HashSet<&str> = attempts
        .iter()
        .filter(|a| a.delivered_at > settled_before)
        .map(|a| a.guid.as_str())
        .collect();
    let settled: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| a.delivered_at <= settled_before)
        .collect();
    let newest_settled = settled.iter().map(|a| a.id).max();
    // Per event, its newest settled attempt.
    let mut events: BTreeMap<&str, &Attempt> = BTreeMap::new();
    for attempt in &settled {
        if unsettled.contains(attempt.guid.as_str()) {
            continue;
        }
        let newest = events.entry(attempt.guid.as_str()).or_insert(attempt);
        if attempt.id > newest.id {
            *newest = attempt;
        }
    }
    let guids: Vec<String> = events.keys().map(|g| (*g).to_owned()).collect();
    let stored = recovery::stored(&state.db, &guids).await?;
    let mut swept = Swept {
        examined: settled.len(),
        ..Swept::default()
    };
    for (guid, attempt) in &events {
        if stored.contains(*guid) {
            continue;
        }
        swept.missing += 1;
        if recovery::claim(&state.db, guid, attempt.id, &attempt.event, now).await? {
            ask(
                state,
                app,
                attempt.id,
                guid,
                &attempt.event,
                1,
                attempt.status_code,
                &mut swept,
            )
            .await?;
        }
    }
    again(state, app, now, &mut swept).await?;
    Ok((swept, Some(newest_settled.unwrap_or(reached))))
}

/// Where the log stands at the first sweep (its newest attempt id, 0 when empty):
/// what GitHub delivered before Gantry's first sweep is not Gantry's to recover
/// (another bot may have handled it), so the first sweep asks for nothing.
async fn first_mark(app: &Arc<Installations>) -> Result<i64, GitHubError> {
    let (page, _) = app.app_page("/app/hook/deliveries?per_page=1").await?;
    let page: Vec<Attempt> = serde_json::from_value(page).map_err(|e| not_documented(&e))?;
    Ok(page.first().map_or(0, |a| a.id))
}

fn not_documented(err: &serde_json::Error) -> GitHubError {
    GitHubError::Rejected {
        status: 200,
        message: format!("GitHub's delivery log is not as documented: {err}"),
    }
}

/// Asks again for redeliveries that have not arrived since the last ask.
async fn again(
    state: &AppState,
    app: &Arc<Installations>,
    now: DateTime<Utc>,
    swept: &mut Swept,
) -> anyhow::Result<()> {
    let settings = &state.settings.recovery;
    let before = now - seconds(settings.interval_secs);
    let due = recovery::due_again(&state.db, before, settings.max_attempts).await?;
    let guids: Vec<String> = due.iter().map(|r| r.guid.clone()).collect();
    let stored = recovery::stored(&state.db, &guids).await?;
    for row in due {
        if stored.contains(&row.guid) {
            recovery::arrived(&state.db, &row.guid, now).await?;
            continue;
        }
        if recovery::claim_again(&state.db, &row, now).await? {
            let attempts = row.attempts + 1;
            let id = row.github_delivery_id;
            ask(state, app, id, &row.guid, &row.event, attempts, 0, swept).await?;
        }
    }
    Ok(())
}

/// Reads the App's delivery log newest first, down to `reached` (exclusive) or
/// `oldest`, at most [`MAX_PAGES`] pages.
async fn read_log(
    app: &Arc<Installations>,
    reached: i64,
    oldest: DateTime<Utc>,
) -> Result<Vec<Attempt>, GitHubError> {
    let mut attempts = Vec::new();
    let mut path = Some("/app/hook/deliveries?per_page=100".to_owned());
    let mut pages = 0;
    while let Some(page_path) = path.take() {
        let (page, next) = app.app_page(&page_path).await?;
        let page: Vec<Attempt> = serde_json::from_value(page).map_err(|e| not_documented(&e))?;
        pages += 1;
        let mut done = page.is_empty() || pages >= MAX_PAGES;
        for attempt in page {
            if attempt.id <= reached || attempt.delivered_at < oldest {
                done = true;
                continue;
            }
            attempts.push(attempt);
        }
        if !done {
            path = next;
        }
    }
    Ok(attempts)
}

/// Asks GitHub to redeliver attempt `id` of event `guid`, audits and counts it; a
/// refusal is counted in `swept.failed` and left for a later sweep.
#[allow(clippy::too_many_arguments)]
async fn ask(
    state: &AppState,
    app: &Arc<Installations>,
    id: i64,
    guid: &str,
    event: &str,
    attempts: i32,
    status_code: i64,
    swept: &mut Swept,
) -> anyhow::Result<()> {
    let outcome = app
        .app_post(&format!("/app/hook/deliveries/{id}/attempts"))
        .await;
    let details = serde_json::json!({
        "github_delivery_id": id,
        "event": event,
        "ask": attempts,
        "last_status_code": status_code,
    });
    let mut entry = AuditEntry::new(Actor::system(), AuditAction::DeliveryRedeliveryRequested);
    entry.delivery_id = Some(guid.to_owned());
    entry.details = Some(details.to_string());
    match outcome {
        Ok(_) => {
            swept.asked += 1;
            state.metrics.deliveries_redelivered.inc();
            entry.outcome = Some("asked".into());
        }
        Err(err) => {
            swept.failed += 1;
            tracing::warn!(guid, github_delivery_id = id, error = %err, "GitHub refused to redeliver; a later sweep asks again");
            entry.outcome = Some(format!("failed: {err}"));
        }
    }
    audit::record(&state.db, state.audit_key(), entry).await?;
    Ok(())
}

fn seconds(secs: u64) -> Duration {
    Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2_000))
}

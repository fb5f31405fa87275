//! Scheduled ticks for plugins: a plugin subscribed to the `gantry_schedule` event
//! gets one `tick` delivery per `schedule.interval_secs` for each repository it is
//! enabled on by name (a `*` enablement names no repository, so it gets none). A
//! plugin reads its own configuration (a cron expression, say) to decide whether a
//! tick is its time; the sync plugin does.
//!
//! Ticks are ordinary deliveries and jobs, with the delivery id
//! `gantry-schedule:{owner/name}:{slot}`: several replicas ticking at once store one
//! delivery per slot (deliveries are unique by id), and a tick is retried, replayed
//! and audited like any webhook. GitHub never sends this event; intake refuses it.
use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};

use crate::db::deliveries::{self, NewDelivery, Stored};
use crate::db::{installations, plugins as queries};
use crate::domain::{EventMeta, RepoRef};
use crate::services::installed::active;
use crate::services::AppState;

/// The event name of scheduled ticks.
pub const EVENT: &str = "gantry_schedule";

/// How every tick's delivery id starts; reserved, so intake refuses it.
pub const DELIVERY_PREFIX: &str = "gantry-schedule:";

/// The start of the slot `now` falls in.
#[must_use]
pub fn slot(now: DateTime<Utc>, interval_secs: u64) -> DateTime<Utc> {
    let every = i64::try_from(interval_secs.max(1)).unwrap_or(60);
    let start = now.timestamp() - now.timestamp().rem_euclid(every);
    Utc.timestamp_opt(start, 0).single().unwrap_or(now)
}

/// Stores this slot's ticks; returns how many were new.
///
/// # Errors
/// When the database fails.
pub async fn tick(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let slot = slot(now, state.settings.schedule.interval_secs);
    let mut projects = BTreeSet::new();
    for head in queries::heads(&state.db)
        .await?
        .into_iter()
        .filter(|h| h.enabled)
    {
        for row in queries::projects(&state.db, &head.name).await? {
            if row.project != "*" && row.enabled != Some(false) {
                projects.insert(row.project);
            }
        }
    }
    if projects.is_empty() {
        return Ok(0);
    }
    let installations = installations::all(&state.db).await?;
    let mut stored = 0;
    for project in projects {
        let Some((owner, name)) = project.split_once('/') else {
            continue;
        };
        let repo = RepoRef {
            owner: owner.to_owned(),
            name: name.to_owned(),
        };
        let active = active::for_repository(&state.db, &state.plugins, Some(&repo)).await?;
        if active.subscribers(EVENT, Some("tick")).next().is_none() {
            continue;
        }
        let installation = installations
            .iter()
            .find(|i| {
                !i.suspended
                    && i.account.eq_ignore_ascii_case(owner)
                    && i.repositories
                        .as_deref()
                        .is_none_or(|r| r.contains(&format!("\"{project}\"")))
            })
            .map(|i| i.id);
        let payload = serde_json::json!({
            "action": "tick",
            "scheduled_at": slot.to_rfc3339(),
            "repository": { "name": name, "full_name": project, "owner": { "login": owner } },
            "installation": installation.map(|id| serde_json::json!({ "id": id })),
        });
        let bytes = serde_json::to_vec(&payload)?;
        let meta = EventMeta::from_json(&bytes)?;
        let delivery_id = format!("{DELIVERY_PREFIX}{project}:{}", slot.timestamp());
        let new = NewDelivery {
            delivery_id: &delivery_id,
            event: EVENT,
            meta: &meta,
            payload: &bytes,
            trace_parent: None,
            replay: None,
        };
        if matches!(
            deliveries::store_with_job(&state.db, new).await?,
            Stored::New { .. }
        ) {
            stored += 1;
            state.wake_workers();
        }
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_start_on_multiples_of_the_interval() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 4, 17, 42).unwrap();
        assert_eq!(
            slot(t, 60),
            Utc.with_ymd_and_hms(2026, 11, 21, 4, 17, 0).unwrap()
        );
        assert_eq!(
            slot(t, 3600),
            Utc.with_ymd_and_hms(2026, 11, 21, 4, 0, 0).unwrap()
        );
        assert_eq!(slot(t, 0), t, "an interval of 0 counts as one second");
    }
}

//! Once across retries: every plugin write to GitHub carries an idempotency record
//! (`db::host_writes`) written before the call and completed with GitHub's answer
//! after it. A job run again, because recording its earlier run failed, answers a
//! write that was done from the record instead of sending it twice. A write that
//! was started but never completed (the process died in between) is sent again:
//! whether it reached GitHub cannot be known from here, and the writes plugins make
//! through this path (labels, assignees, statuses, check runs...) are ones GitHub
//! applies idempotently or that replace what they set. Comments have their own
//! marker search (`create_comment_once`), which can see an earlier one on GitHub.
//! Opening a pull request twice is refused by GitHub (422, one open pull request
//! per head and base). Opening an issue (`create-issue`) is the exception: an
//! attempt that died between sending and recording may open it a second time.
use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use super::super::bindings::HostError;
use super::CallState;
use crate::db::host_writes::{self, Earlier};

/// How long completing a record is retried through a storage fault.
const FINISH_BUDGET: Duration = Duration::from_secs(10);

impl CallState {
    /// A storage failure of [`CallState::once`]: the job is retried whatever the
    /// plugin makes of the error.
    pub(super) fn storage_failed(&mut self, err: HostError) -> HostError {
        if let HostError::Unavailable(m) = &err {
            self.transient_failure = Some(m.clone());
        }
        err
    }

    /// Sends the write `key` through `send` unless an earlier attempt of this job
    /// did it, or started it and `applied` finds its effect on GitHub (GitHub's
    /// answer, read back); then records it as done. The outer error is a storage
    /// failure (nothing was sent: the job is retried); the inner result is the
    /// write's own.
    pub(super) async fn once<E, F, Fut, A, AFut>(
        &self,
        key: &str,
        send: F,
        applied: A,
    ) -> Result<Result<Value, E>, HostError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Value, E>>,
        A: FnOnce() -> AFut,
        AFut: Future<Output = Option<Value>>,
    {
        let db = &self.env.db;
        let unavailable = |err: sea_orm::DbErr| {
            tracing::warn!(key, error = %err, "the idempotency record of a write could not be read or written; the write is not sent");
            HostError::Unavailable("Gantry's database failed; the job is retried".into())
        };
        if self.idempotency.look_first {
            match host_writes::find(db, key).await.map_err(unavailable)? {
                Earlier::Done(response) => {
                    tracing::info!(key, plugin = %self.plugin, "write done by an earlier attempt; not sent again");
                    return Ok(Ok(serde_json::from_str(&response).unwrap_or(Value::Null)));
                }
                Earlier::Started => {
                    if let Some(found) = applied().await {
                        self.finish(key, &found).await;
                        return Ok(Ok(found));
                    }
                    tracing::warn!(key, plugin = %self.plugin, "an earlier attempt started this write and may have sent it; it is sent again");
                }
                Earlier::None => {}
            }
        }
        host_writes::start(db, key, &self.plugin, &self.idempotency.delivery_id)
            .await
            .map_err(unavailable)?;
        let result = send().await;
        if let Ok(value) = &result {
            self.finish(key, value).await;
        }
        Ok(result)
    }

    /// Records the write `key` as done with GitHub's answer, retried through a
    /// storage fault for a while.
    async fn finish(&self, key: &str, value: &Value) {
        let response = value.to_string();
        let finished = crate::db::persist::persistently(
            "completing a write's idempotency record",
            FINISH_BUDGET,
            || host_writes::finish(&self.env.db, key, &response),
        )
        .await;
        if let Err(err) = finished {
            tracing::error!(key, error = %err, "a write was sent but its idempotency record could not be completed; a retry of this job may send it again");
        }
    }
}

//! Bookkeeping that must not be lost to a passing storage fault: a write retried,
//! each time on whatever connection the pool hands out (a broken one is closed
//! and replaced, see `db::connect`), until it succeeds or a time budget runs out.
//!
//! Used for what records that a side effect already happened (a plugin's run, a
//! job's completion): losing that record means the job runs again after its lease,
//! and its writes reach GitHub twice.
use std::future::Future;
use std::time::{Duration, Instant};

use sea_orm::{DbErr, SqlErr};

/// The first pause between attempts; each next one doubles, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(25);
/// The longest pause between attempts.
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// Runs `write` until it succeeds, for at most `budget`, pausing between attempts.
/// A refusal that another attempt cannot change (a constraint violation, a missing
/// row) is returned at once. Each failure is logged once with its cause.
///
/// The write must be safe to run twice: a commit whose answer was lost may have
/// happened.
///
/// # Errors
/// The last error when the budget ran out, or a refusal at once.
pub async fn persistently<T, F, Fut>(what: &str, budget: Duration, mut write: F) -> Result<T, DbErr>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbErr>>,
{
    let start = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1_u32;
    loop {
        match write().await {
            Ok(value) => {
                if attempt > 1 {
                    tracing::info!(what, attempt, "a storage write went through after a retry");
                }
                return Ok(value);
            }
            Err(err) if is_final(&err) || start.elapsed() + pause > budget => return Err(err),
            Err(err) => {
                tracing::warn!(what, attempt, error = %err, "a storage write failed; retrying on a fresh connection");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
                attempt += 1;
            }
        }
    }
}

/// Whether another attempt cannot help: the database refused the write itself.
fn is_final(err: &DbErr) -> bool {
    matches!(err, DbErr::RecordNotFound(_) | DbErr::RecordNotInserted)
        || matches!(
            err.sql_err(),
            Some(SqlErr::UniqueConstraintViolation(_) | SqlErr::ForeignKeyConstraintViolation(_))
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_that_fails_twice_is_retried_until_it_goes_through() {
        let mut calls = 0;
        let result = persistently("test", Duration::from_secs(5), || {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err(DbErr::Conn(sea_orm::RuntimeErr::Internal("gone".into())))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(result.ok(), Some(3));
    }

    #[tokio::test]
    async fn a_write_is_given_up_when_its_budget_runs_out() {
        let start = Instant::now();
        let result: Result<(), DbErr> =
            persistently("test", Duration::from_millis(200), || async {
                Err(DbErr::Conn(sea_orm::RuntimeErr::Internal("gone".into())))
            })
            .await;
        assert!(result.is_err());
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}

//! The webhook deadline and the storage breaker: a write lock held longer than the
//! deadline makes deliveries 503 with `Retry-After` within the deadline, then, the
//! breaker open, at once; readiness answers within a second and says not ready;
//! with the lock gone, readiness's probe write closes the breaker and deliveries
//! are accepted again. Both databases.
use std::time::{Duration, Instant};

use super::{assert_nothing_lost, deliver, Sent, WriteLock};
use crate::helpers::{spawn_app, AppOptions};

fn short_deadline(settings: &mut gantry_server::Settings) {
    settings.webhook.deadline_ms = 500;
}

async fn ready(app: &crate::helpers::TestApp) -> (u16, Duration) {
    let start = Instant::now();
    let status = app
        .http
        .get(format!("{}/health/ready", app.address))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (status, start.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_that_cannot_be_stored_in_time_get_a_fast_503_and_the_breaker_opens_then_closes()
{
    let app = spawn_app(AppOptions {
        tweak: Some(short_deadline),
        ..AppOptions::default()
    })
    .await;
    let deadline = app.state.settings.webhook.deadline();
    let lock = WriteLock::take(&app).await;

    // One at a time: each waits out the deadline, until the breaker opens.
    let mut sent: Vec<Sent> = Vec::new();
    for issue in 1..=8 {
        sent.extend(deliver(&app, issue..issue + 1, 1).await.unwrap());
    }
    assert!(
        sent.iter().all(|s| s.status == Some(503)),
        "nothing can be stored: {sent:?}"
    );
    let margin = Duration::from_millis(400);
    assert!(
        sent.iter().all(|s| s.took < deadline + margin),
        "every refusal within the deadline: {sent:?}"
    );
    let opened =
        &sent[gantry_server::services::storage_breaker::StorageBreaker::THRESHOLD as usize..];
    assert!(
        opened.iter().all(|s| s.took < Duration::from_millis(200)),
        "once the breaker is open, refusals are immediate: {opened:?}"
    );
    let refused = app
        .http
        .post(format!("{}/webhooks/github", app.address))
        .header("x-github-event", "issues")
        .header("x-github-delivery", crate::helpers::delivery_id())
        .header("x-hub-signature-256", "sha256=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().get("retry-after").is_some());
    let (status, took) = ready(&app).await;
    assert_eq!(status, 503, "not ready while writes fail");
    assert!(took < Duration::from_secs(1), "readiness took {took:?}");
    // Read from the process: a scrape also reads the queue from the database.
    assert!(app.state.metrics.storage_failures.get() >= 5);
    assert_eq!(app.state.metrics.storage_breaker_state.get(), 1);

    lock.release().await;
    crate::helpers::wait_until(
        Duration::from_secs(20),
        "readiness after the lock",
        || async { ready(&app).await.0 == 200 },
    )
    .await;
    assert_eq!(app.metric("gantry_storage_breaker_state").await, 0.0);
    assert!(app.metric("gantry_storage_failures_total").await >= 5.0);
    let after = deliver(&app, 100..105, 2).await.unwrap();
    assert!(after.iter().all(|s| s.status == Some(202)), "{after:?}");
    sent.extend(after);
    let app = app.restart().await;
    assert_nothing_lost(&app, &sent).await;
}

//! Another connection holds the write lock deliveries need for a while (SQLite's
//! database lock, as a backup tool or an operator's `sqlite3` shell would take it;
//! on PostgreSQL exclusive locks on the tables intake writes), shorter than the webhook
//! deadline, while deliveries arrive.
use std::time::Duration;

use super::{
    assert_answered_within, assert_nothing_lost, assert_nothing_twice, deliver, deliver_at_rate,
    WriteLock,
};
use crate::helpers::{spawn_app, AppOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_while_another_connection_holds_the_write_lock_are_stored_once() {
    let app = spawn_app(AppOptions::default()).await;
    let load = deliver_at_rate(&app, 1..101, 50);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let lock = WriteLock::take(&app).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    lock.release().await;
    let mut sent = load.await.unwrap();
    sent.extend(deliver(&app, 101..106, 2).await.unwrap());

    assert!(
        sent.iter().all(|s| s.status == Some(202)),
        "a lock shorter than the deadline refuses nothing"
    );
    assert_answered_within(&sent, app.state.settings.webhook.deadline());
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    let app = app.restart().await;
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    assert_nothing_lost(&app, &sent).await;
    assert_nothing_twice(&app, &sent);
}

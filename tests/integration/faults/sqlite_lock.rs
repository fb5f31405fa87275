//! Another connection holds SQLite's write lock for a while, as a backup tool or
//! an operator's `sqlite3` shell would, while deliveries arrive.
use std::time::Duration;

use sea_orm::ConnectionTrait;

use super::{
    assert_answered_within, assert_nothing_lost, assert_nothing_twice, deliver, deliver_at_rate,
    on_sqlite,
};
use crate::helpers::{spawn_app, AppOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_while_another_connection_holds_the_sqlite_write_lock_are_stored_once() {
    if !on_sqlite() {
        eprintln!("skipped: SQLite's write lock has no PostgreSQL counterpart here");
        return;
    }
    let app = spawn_app(AppOptions::default()).await;
    let load = deliver_at_rate(&app, 1..101, 50);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let other = gantry_server::db::connect(&app.state.settings.database_url(), 1)
        .await
        .unwrap();
    other.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    other.execute_unprepared("ROLLBACK").await.unwrap();
    other.close().await.unwrap();
    let mut sent = load.await.unwrap();
    sent.extend(deliver(&app, 101..106, 2).await.unwrap());

    assert_answered_within(&sent, app.state.settings.webhook.deadline() * 2);
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    let app = app.restart().await;
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    assert_nothing_lost(&app, &sent).await;
    assert_nothing_twice(&app, &sent);
}

//! PostgreSQL's backends for the test's database terminated again and again
//! (`pg_terminate_backend`, as a failover or an operator's cleanup does) while
//! deliveries arrive and plugins run.
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};

use super::{
    assert_answered_within, assert_nothing_lost, assert_nothing_twice, deliver, deliver_at_rate,
    on_sqlite,
};
use crate::helpers::{spawn_app, AppOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_while_postgres_backends_are_terminated_in_a_loop_are_stored_and_labelled_once()
{
    if on_sqlite() {
        super::skip("runs with GANTRY_TEST_DATABASE=postgres");
        return;
    }
    let app = spawn_app(AppOptions::default()).await;
    let url = app.state.settings.database_url();
    let (server, name) = url.rsplit_once('/').unwrap();
    let admin = Database::connect(format!("{server}/postgres"))
        .await
        .unwrap();
    let load = deliver_at_rate(&app, 1..151, 50);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kill = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    );
    for _ in 0..12 {
        admin.execute_unprepared(&kill).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    admin.close().await.unwrap();
    let mut sent = load.await.unwrap();
    sent.extend(deliver(&app, 151..156, 2).await.unwrap());

    assert_answered_within(&sent, app.state.settings.webhook.deadline() * 2);
    app.wait_for_idle_queue(Duration::from_secs(120)).await;
    let app = app.restart().await;
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    assert_nothing_lost(&app, &sent).await;
    assert_nothing_twice(&app, &sent);
}

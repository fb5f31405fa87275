//! Killed mid-work: the process dies (SIGKILL) while a storage fault holds deliveries
//! up, and a plugin's write that reached GitHub but was never recorded is not sent
//! again by the attempt that takes the job over.
use std::time::Duration;

use gantry_simulator::{Simulator, SimulatorOptions};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use super::{issue_opened, on_sqlite, REPO};
use crate::helpers::{delivery_id, fresh_database_url, spawn_app, wait_until, AppOptions};
use crate::process::{free_port, ServerProcess};

async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.unwrap();
}

/// The state a SIGKILL leaves between a plugin's label call reaching GitHub and
/// anything after it being recorded: the write's idempotency record started but
/// not done, no run recorded, the job still leased by a worker that is gone.
async fn as_if_killed_after_the_write(db: &DatabaseConnection) {
    execute(db, "UPDATE host_writes SET done_at = NULL, response = NULL").await;
    execute(db, "DELETE FROM plugin_runs").await;
    use gantry_server::db::entities::jobs;
    use sea_orm::sea_query::Expr;
    use sea_orm::EntityTrait;
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Status, Expr::value("running"))
        .col_expr(jobs::Column::LeaseOwner, Expr::value("gone"))
        .col_expr(jobs::Column::LeaseExpiresAt, Expr::value(past))
        .exec(db)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_sent_by_a_killed_attempt_and_never_recorded_is_not_sent_again() {
    let app = spawn_app(AppOptions::default()).await;
    let labels = format!("/repos/{}/{}/issues/7/labels", REPO.0, REPO.1);
    let answer = app
        .post_webhook("issues", &delivery_id(), &issue_opened(7))
        .await;
    assert_eq!(answer.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(app.sim.request_count("POST", &labels), 1);
    let db = app.state.db.clone();
    let started = super::count(&db, "SELECT count(*) AS n FROM host_writes").await;
    assert!(started > 0, "the label call kept no idempotency record");

    as_if_killed_after_the_write(&db).await;
    app.wait_for_idle_queue(Duration::from_secs(30)).await;

    let runs = super::count(
        &db,
        "SELECT count(*) AS n FROM plugin_runs WHERE outcome = 'ok'",
    )
    .await;
    assert!(runs > 0, "the job was not taken over and run again");
    assert_eq!(
        app.sim.request_count("POST", &labels),
        1,
        "the label already on the issue was sent again"
    );
    let undone = super::count(
        &db,
        "SELECT count(*) AS n FROM host_writes WHERE done_at IS NULL",
    )
    .await;
    assert_eq!(undone, 0, "the write found on GitHub is recorded as done");
}

/// Holds the write lock deliveries need on a connection of its own, on a database
/// the test only knows by URL (a server in another process uses it).
async fn take_write_lock(url: &str) -> DatabaseConnection {
    // One connection: the lock is held by a transaction on it.
    let db = gantry_server::db::connect(url, 1).await.unwrap();
    if on_sqlite() {
        execute(&db, "BEGIN IMMEDIATE").await;
    } else {
        execute(&db, "BEGIN").await;
        execute(&db, "LOCK TABLE deliveries, jobs IN EXCLUSIVE MODE").await;
    }
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_while_the_write_lock_holds_deliveries_up_loses_no_202_and_labels_once() {
    gantry_server::telemetry::init(false);
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::new(SimulatorOptions {
        allow_anonymous: false,
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sim_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.serve(listener).unwrap());
    let issues = 1..201u64;
    for n in issues.clone() {
        sim.learn("issues", &serde_json::from_slice(&issue_opened(n)).unwrap());
    }
    let database = fresh_database_url(&dir).await;
    let plugins = ServerProcess::plugin_dir(dir.path(), &["hooks"]);
    let mut server =
        ServerProcess::start(free_port(), &database.url, &sim_url, dir.path(), &plugins).await;

    // 50 deliveries a second for 4 s; from 1 s the write lock is held, at 1.5 s the
    // server is killed with deliveries waiting on the lock, which is given back at 1.8 s;
    // the server is started again at 2 s.
    let load = super::deliver_at_rate_to(
        format!("http://127.0.0.1:{}", server.port),
        reqwest::Client::new(),
        issues.clone(),
        50,
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let lock = take_write_lock(&database.url).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    execute(&lock, "ROLLBACK").await;
    lock.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.restart().await;
    let sent = load.await.unwrap();

    let accepted: Vec<&super::Sent> = sent.iter().filter(|s| s.status == Some(202)).collect();
    let not_answered = sent.iter().filter(|s| s.status.is_none()).count();
    assert!(
        not_answered > 0,
        "no delivery met the killed server: the kill proved nothing"
    );
    let db = Database::connect(&database.url).await.unwrap();
    wait_until(Duration::from_secs(60), "every job to finish", || {
        let db = db.clone();
        async move {
            super::count(&db, "SELECT count(*) AS n FROM jobs WHERE status <> 'done'").await == 0
        }
    })
    .await;
    let mut lost = Vec::new();
    let mut twice = Vec::new();
    for s in &accepted {
        let stored = super::count(
            &db,
            &format!(
                "SELECT count(*) AS n FROM deliveries WHERE delivery_id = '{}'",
                s.delivery
            ),
        )
        .await;
        if stored != 1 {
            lost.push(s.issue);
        }
    }
    for s in &sent {
        let calls = sim.request_count(
            "POST",
            &format!("/repos/{}/{}/issues/{}/labels", REPO.0, REPO.1, s.issue),
        );
        if calls > 1 || (s.status == Some(202) && calls != 1) {
            twice.push((s.issue, calls));
        }
    }
    assert!(
        lost.is_empty(),
        "answered 202 but not stored: issues {lost:?}"
    );
    assert!(
        twice.is_empty(),
        "label calls not exactly once (issue, calls): {twice:?}"
    );
    drop(server);
}

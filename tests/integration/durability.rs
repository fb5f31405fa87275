//! Crash durability with real processes: SIGKILL at random moments (J1), two servers
//! sharing one database with one killed mid-run, and three replicas under load with
//! one stopped gracefully and one killed. Afterwards every accepted delivery is
//! processed and no side effect is doubled.
use std::collections::HashSet;

use futures::FutureExt;
use std::sync::Arc;
use std::time::Duration;

use gantry_server::github::signature;
use gantry_simulator::{Simulator, SimulatorOptions};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::helpers::{delivery_id, fresh_database_url, pull_request, wait_until, SECRET};
use crate::process::{free_port, ServerProcess};

/// Sends each payload until one of `urls` answers 202, like GitHub's redelivery of a
/// failed delivery, each worker pausing `pace` after each success; returns the
/// delivery ids that were accepted and how many sends
/// failed (refused connections, resets, non-202 answers).
async fn deliver_all(
    urls: Vec<String>,
    payloads: Vec<(String, Vec<u8>)>,
    concurrency: usize,
    pace: Duration,
) -> (Vec<String>, usize) {
    let queue = Arc::new(Mutex::new(payloads));
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (queue, accepted, client, urls, failures) = (
            queue.clone(),
            accepted.clone(),
            client.clone(),
            urls.clone(),
            failures.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((id, body)) = queue.lock().await.pop() else {
                    return;
                };
                for attempt in 0.. {
                    let url = &urls[(worker + attempt) % urls.len()];
                    let sent = client
                        .post(url)
                        .header("x-github-event", "pull_request")
                        .header("x-github-delivery", &id)
                        .header(
                            "x-hub-signature-256",
                            signature::sign(SECRET.as_bytes(), &body),
                        )
                        .body(body.clone())
                        .send()
                        .await;
                    if sent.is_ok_and(|r| r.status() == 202) {
                        accepted.lock().await.push(id.clone());
                        tokio::time::sleep(pace).await;
                        break;
                    }
                    failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    assert!(attempt < 2000, "delivery {id} never accepted");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    (
        Arc::try_unwrap(accepted).unwrap().into_inner(),
        failures.load(std::sync::atomic::Ordering::Relaxed),
    )
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

struct Setup {
    sim: Simulator,
    sim_url: String,
    /// Kept for the test's length: its PostgreSQL database is dropped with it.
    _database: crate::helpers::TestDatabase,
    database_url: String,
    dir: tempfile::TempDir,
    payloads: Vec<(String, Vec<u8>)>,
}

async fn setup(deliveries: u64) -> Setup {
    gantry_server::telemetry::init(false);
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::new(SimulatorOptions {
        allow_anonymous: false,
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sim_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.serve(listener).unwrap());
    let payloads: Vec<(String, Vec<u8>)> = (1..=deliveries)
        .map(|n| (delivery_id(), pull_request(n, "opened")))
        .collect();
    // The servers run without the in-process observer, so the simulator learns the
    // pull requests up front, as GitHub would already know them.
    for (_, body) in &payloads {
        sim.learn("pull_request", &serde_json::from_slice(body).unwrap());
    }
    let database = fresh_database_url(&dir).await;
    let database_url = database.url.clone();
    Setup {
        sim,
        sim_url,
        _database: database,
        database_url,
        dir,
        payloads,
    }
}

/// Every accepted delivery has a finished job with one successful run per plugin,
/// and every pull request has exactly one comment.
async fn assert_processed_once(setup: &Setup, accepted: &[String], deliveries: u64, plugins: u64) {
    let db = Database::connect(&setup.database_url).await.unwrap();
    let unique: HashSet<&String> = accepted.iter().collect();
    assert_eq!(
        unique.len() as u64,
        deliveries,
        "every delivery was eventually accepted"
    );
    wait_until(Duration::from_secs(120), "every job to finish", || {
        let db = db.clone();
        async move { count(&db, "SELECT count(*) AS n FROM jobs WHERE status <> 'done'").await == 0 }
    })
    .await;
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM deliveries").await as u64,
        deliveries
    );
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM jobs").await as u64,
        deliveries,
        "one job per delivery"
    );
    let ok_runs = count(
        &db,
        "SELECT count(*) AS n FROM plugin_runs WHERE outcome = 'ok'",
    )
    .await;
    assert_eq!(
        ok_runs as u64,
        deliveries * plugins,
        "one successful run per plugin and delivery"
    );
    for n in 1..=deliveries {
        let comments = setup
            .sim
            .issue_comments("Codertocat", "Hello-World", n)
            .unwrap();
        assert_eq!(comments.len(), 1, "PR {n} has {} comments", comments.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deliveries_survive_twenty_sigkills_with_no_loss_and_no_duplicates() {
    const DELIVERIES: u64 = 1000;
    let setup = setup(DELIVERIES).await;
    let plugins = ServerProcess::plugin_dir(setup.dir.path(), &["hooks"]);
    let mut server = ServerProcess::start(
        free_port(),
        &setup.database_url,
        &setup.sim_url,
        setup.dir.path(),
        &plugins,
    )
    .await;
    // About 130 deliveries a second, so sending spans all twenty kills.
    let sender = tokio::spawn(deliver_all(
        vec![server.webhook_url()],
        setup.payloads.clone(),
        8,
        Duration::from_millis(60),
    ));
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(150 + rand_ms(450))).await;
        server.restart().await;
    }
    let (accepted, failed_sends) = sender.await.unwrap();
    assert!(
        failed_sends > 0,
        "the kills never interrupted intake, so this test proved nothing"
    );
    assert_processed_once(&setup, &accepted, DELIVERIES, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_share_one_database_and_a_killed_ones_jobs_are_finished_by_the_other() {
    const DELIVERIES: u64 = 100;
    let setup = setup(DELIVERIES).await;
    // The sleeper fixture makes every job take 300 ms, so the killed server is sure
    // to die holding leases that the survivor must take over.
    let plugins = ServerProcess::plugin_dir(setup.dir.path(), &["hooks", "sleeper"]);
    let (db_url, sim_url, dir) = (&setup.database_url, &setup.sim_url, setup.dir.path());
    let mut first = ServerProcess::start(free_port(), db_url, sim_url, dir, &plugins).await;
    let second = ServerProcess::start(free_port(), db_url, sim_url, dir, &plugins).await;
    let urls = vec![first.webhook_url(), second.webhook_url()];
    let db = Database::connect(&setup.database_url).await.unwrap();
    let sender = tokio::spawn(deliver_all(urls, setup.payloads.clone(), 8, Duration::ZERO));
    // Killed while jobs are running (both servers lease from the one queue), not
    // after a fixed time: with many jobs in flight the whole queue can drain in
    // under a second, and a server killed then holds no lease to take over.
    wait_until(
        Duration::from_secs(20),
        "jobs running on the servers",
        || {
            let db = &db;
            async move {
                count(
                    db,
                    "SELECT count(*) AS n FROM jobs WHERE status = 'running'",
                )
                .await
                    >= 4
            }
        },
    )
    .await;
    first.kill();
    let (accepted, _) = sender.await.unwrap();
    assert_processed_once(&setup, &accepted, DELIVERIES, 2).await;
    let taken_over = count(&db, "SELECT count(*) AS n FROM jobs WHERE attempts > 1").await;
    assert!(
        taken_over > 0,
        "the killed server held no lease, so no takeover was tested"
    );
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_under_load_one_stopped_gracefully_one_killed_process_everything_once() {
    const DELIVERIES: u64 = 120;
    let setup = setup(DELIVERIES).await;
    let plugins = ServerProcess::plugin_dir(setup.dir.path(), &["hooks", "sleeper"]);
    let (db_url, sim_url, dir) = (&setup.database_url, &setup.sim_url, setup.dir.path());
    let mut stopped = ServerProcess::start(free_port(), db_url, sim_url, dir, &plugins).await;
    let mut killed = ServerProcess::start(free_port(), db_url, sim_url, dir, &plugins).await;
    let survivor = ServerProcess::start(free_port(), db_url, sim_url, dir, &plugins).await;
    let urls = vec![
        stopped.webhook_url(),
        killed.webhook_url(),
        survivor.webhook_url(),
    ];
    let sender = tokio::spawn(deliver_all(urls, setup.payloads.clone(), 9, Duration::ZERO));
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // SIGTERM: it stops taking work and finishes the jobs it holds (300 ms each).
    assert!(
        stopped.terminate(Duration::from_secs(15)).await,
        "the replica did not stop gracefully and successfully"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    killed.kill();
    let (accepted, _) = sender.await.unwrap();
    assert_processed_once(&setup, &accepted, DELIVERIES, 2).await;
    drop(survivor);
}

fn rand_ms(max: u64) -> u64 {
    u64::from(uuid::Uuid::new_v4().as_bytes()[0]) * max / 255
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_sandbox_started_again_on_the_same_data_dir_goes_on_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    // The sleeper makes each job take 300 ms and two run at once, so jobs are still
    // queued at the kill.
    let plugins = ServerProcess::plugin_dir(dir.path(), &["hooks", "sleeper"]);
    let (port, sim_port) = (free_port(), free_port());
    let sim = format!("http://127.0.0.1:{sim_port}/repos/Codertocat/Hello-World");
    let http = reqwest::Client::new();
    let mut sandbox = ServerProcess::sandbox(
        port,
        sim_port,
        &data,
        &plugins,
        &[("GANTRY_WORKER__IN_FLIGHT", "2")],
    )
    .await;

    // Seed the simulator through GitHub's own endpoint, without credentials.
    let put = http
        .put(format!("{sim}/collaborators/octocat"))
        .json(&serde_json::json!({"permission": "push"}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let payloads: Vec<(String, Vec<u8>)> = (1..=10)
        .map(|n| (delivery_id(), pull_request(n, "opened")))
        .collect();
    let (accepted, _) = deliver_all(vec![sandbox.webhook_url()], payloads, 2, Duration::ZERO).await;
    assert_eq!(accepted.len(), 10);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sandbox.kill();

    let commented = |http: reqwest::Client, sim: String| async move {
        let mut done = 0;
        for n in 1..=10 {
            let comments: Vec<Value> =
                match http.get(format!("{sim}/issues/{n}/comments")).send().await {
                    Ok(r) if r.status() == 200 => r.json().await.unwrap_or_default(),
                    _ => Vec::new(),
                };
            assert!(
                comments.len() <= 1,
                "PR {n} has {} comments",
                comments.len()
            );
            done += comments.len();
        }
        done
    };
    sandbox.restart().await;
    let before = commented(http.clone(), sim.clone()).await;
    assert!(
        before < 10,
        "every job had finished before the kill ({before}); the restart proved nothing"
    );
    wait_until(
        Duration::from_secs(60),
        "every pull request to be greeted after the restart",
        || commented(http.clone(), sim.clone()).then(|n| async move { n == 10 }),
    )
    .await;
    let permission: Value = http
        .get(format!("{sim}/collaborators/octocat/permission"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        permission["role_name"], "write",
        "the simulator kept its state: {permission}"
    );
}

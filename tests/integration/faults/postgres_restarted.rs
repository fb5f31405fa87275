//! PostgreSQL stopped while deliveries arrive, then started again: an instance of
//! the test's own (`initdb` in a temporary folder, its own port), so no other test
//! is disturbed. Skipped, saying so, where `initdb` and `pg_ctl` are missing.
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::{
    assert_answered_within, assert_nothing_lost, assert_nothing_twice, deliver, deliver_at_rate,
};
use crate::helpers::{spawn_app, AppOptions};
use crate::process::free_port;

/// A PostgreSQL instance in a temporary folder, stopped when dropped.
struct OwnPostgres {
    dir: tempfile::TempDir,
    port: u16,
    /// Commands run as this user (initdb refuses root).
    as_user: Option<&'static str>,
}

impl OwnPostgres {
    /// Initialises and starts one, or `None` when PostgreSQL's tools are missing.
    fn start() -> Option<Self> {
        let found = |tool: &str| {
            Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !found("initdb") || !found("pg_ctl") {
            return None;
        }
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let this = Self {
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
            as_user: root.then_some("postgres"),
        };
        if root {
            run(
                &this,
                "chown",
                &["-R", "postgres", &this.path().display().to_string()],
            );
        }
        let data = this.data();
        run(
            &this,
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "--no-sync"],
        );
        this.pg_ctl_start();
        Some(this)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn data(&self) -> String {
        self.path().join("data").display().to_string()
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.path().display()
        );
        let log = self.path().join("log").display().to_string();
        run(
            self,
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    fn pg_ctl_stop(&self) {
        run(
            self,
            "pg_ctl",
            &["-D", &self.data(), "-m", "fast", "-w", "stop"],
        );
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = command(
            self,
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "stop"],
        )
        .output();
    }
}

fn command(pg: &OwnPostgres, tool: &str, args: &[&str]) -> Command {
    match pg.as_user {
        Some(user) if tool != "chown" => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--", tool]).args(args);
            c
        }
        _ => {
            let mut c = Command::new(tool);
            c.args(args);
            c
        }
    }
}

fn run(pg: &OwnPostgres, tool: &str, args: &[&str]) {
    let out = command(pg, tool, args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_while_postgres_is_stopped_and_started_are_stored_or_refused_fast_and_labelled_once(
) {
    if super::on_sqlite() {
        super::skip("runs with GANTRY_TEST_DATABASE=postgres");
        return;
    }
    let Some(pg) = OwnPostgres::start() else {
        super::skip("initdb and pg_ctl are not on PATH (PostgreSQL's server tools)");
        return;
    };
    let admin = sea_orm::Database::connect(pg.url("postgres"))
        .await
        .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&admin, "CREATE DATABASE gantry")
        .await
        .unwrap();
    admin.close().await.unwrap();
    let app = spawn_app(AppOptions {
        database_url: Some(pg.url("gantry")),
        // Shorter than the 1.5 s outage below, so a delivery that arrives while the
        // database is down is refused within it: with the default 5 s, the database
        // can be back (a fast machine restarts it in well under a second) before any
        // delivery gives up, and the test could not tell that the fault happened.
        tweak: Some(|s| s.webhook.deadline_ms = 1_000),
        ..AppOptions::default()
    })
    .await;

    let load = deliver_at_rate(&app, 1..151, 50);
    tokio::time::sleep(Duration::from_millis(500)).await;
    pg.pg_ctl_stop();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pg.pg_ctl_start();
    let mut sent = load.await.unwrap();
    crate::helpers::wait_until(
        Duration::from_secs(30),
        "readiness after the restart",
        || {
            let app = &app;
            async move {
                app.http
                    .get(format!("{}/health/ready", app.address))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        },
    )
    .await;
    let after = deliver(&app, 151..156, 2).await.unwrap();
    assert!(after.iter().all(|s| s.status == Some(202)), "{after:?}");
    sent.extend(after);

    let refused = sent.iter().filter(|s| s.status != Some(202)).count();
    assert!(
        refused > 0,
        "the stop refused nothing: the fault did not happen"
    );
    assert_answered_within(
        &sent,
        app.state.settings.webhook.deadline() + Duration::from_millis(500),
    );
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    let app = app.restart().await;
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    assert_nothing_lost(&app, &sent).await;
    assert_nothing_twice(&app, &sent);
    drop(app);
}

//! Work keeps flowing under bursts (issue 19 item 4): while deliveries arrive back to
//! back on many connections, jobs go on finishing at a fair share of the rate they
//! finish at once intake is quiet, and every accepted delivery is done once.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gantry_server::github::signature;
use gantry_server::Settings;

use crate::faults::issue_opened;
use crate::helpers::{delivery_id, spawn_app, wait_until, AppOptions, TestApp, SECRET};

/// Connections sending back to back.
const CONNECTIONS: usize = 32;
/// How long they send.
const BURST: Duration = Duration::from_secs(6);
/// The longest the quiet rate is measured over.
const QUIET: Duration = Duration::from_secs(4);
/// Deliveries go to this many issues in turn, as in `gantry-bench e2e`'s burst.
const ISSUES: u64 = 1000;
/// The share of the quiet rate jobs must keep while intake runs. The issue asks for
/// half on a release build; this is a debug build on a shared machine, with the
/// load generator in the same process, so the bound is generous. Before the change
/// that brought this test, jobs kept 2 to 5% on SQLite (docs/performance.md).
const MIN_SHARE: f64 = 0.1;

/// Settings as deployed where they matter here: secrets cached for their default
/// time (the tests' default reads them on every delivery), the default poll interval
/// and room for GitHub calls.
fn as_deployed(settings: &mut Settings) {
    let defaults = Settings::default();
    settings.webhook.secret_cache_ms = defaults.webhook.secret_cache_ms;
    settings.worker.poll_interval_ms = defaults.worker.poll_interval_ms;
    settings.github.max_concurrent_calls = 64;
}

fn done(app: &TestApp) -> u64 {
    app.state
        .metrics
        .jobs_finished
        .with_label_values(&["done"])
        .get()
}

/// Sends `issues.opened` on [`CONNECTIONS`] connections until `stop`; returns how
/// many were accepted.
async fn burst(app: &TestApp, stop: Arc<AtomicBool>) -> u64 {
    let accepted = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new((1..=ISSUES).map(issue_opened).collect());
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (http, address) = (app.http.clone(), app.address.clone());
        let (stop, accepted, next, bodies) =
            (stop.clone(), accepted.clone(), next.clone(), bodies.clone());
        senders.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let body = &bodies[usize::try_from(n % ISSUES).unwrap()];
                let answer = http
                    .post(format!("{address}/webhooks/github"))
                    .header("content-type", "application/json")
                    .header("x-github-event", "issues")
                    .header("x-github-delivery", delivery_id())
                    .header(
                        "x-hub-signature-256",
                        signature::sign(SECRET.as_bytes(), body),
                    )
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert!(answer.status().is_success(), "{}", answer.status());
                accepted.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while senders.join_next().await.is_some() {}
    accepted.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jobs_keep_finishing_while_intake_runs_at_full_speed() {
    let app = spawn_app(AppOptions {
        workers: Settings::default().worker.in_flight,
        tweak: Some(as_deployed),
        ..AppOptions::default()
    })
    .await;
    // A fast intake accepts several thousand deliveries in the burst, each a label
    // request: more than the stand-in's default 5000 requests an hour, after which
    // Gantry rightly waits out the window. The limit is not what this test measures.
    app.sim.set_rate_limit(1_000_000);
    // One event first: what is read once per process is read.
    app.post_webhook("issues", &delivery_id(), &issue_opened(ISSUES + 1))
        .await;
    wait_until(Duration::from_secs(30), "the first job done", || async {
        done(&app) == 1
    })
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let sending = {
        let stop = stop.clone();
        async move {
            tokio::time::sleep(BURST).await;
            stop.store(true, Ordering::Relaxed);
        }
    };
    let (accepted, ()) = tokio::join!(burst(&app, stop), sending);
    let burst_secs = started.elapsed().as_secs_f64();
    let during = done(&app) - 1;

    // Intake quiet: the rate jobs finish at, up to the backlog's end.
    let quiet_started = Instant::now();
    let before = done(&app);
    let mut last_done_at = quiet_started;
    let mut now_done = before;
    while quiet_started.elapsed() < QUIET && now_done < accepted + 1 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let seen = done(&app);
        if seen > now_done {
            now_done = seen;
            last_done_at = Instant::now();
        }
    }
    let quiet_rate = (now_done - before) as f64
        / last_done_at
            .duration_since(quiet_started)
            .as_secs_f64()
            .max(0.001);
    let burst_rate = during as f64 / burst_secs;
    let figures = format!(
        "{accepted} accepted in {burst_secs:.1} s ({:.0}/s); jobs done {during} during the burst ({burst_rate:.0}/s), {:.0}/s once quiet",
        accepted as f64 / burst_secs,
        quiet_rate
    );
    report(&figures);
    assert!(accepted > 100, "intake did not run at speed: {figures}");
    // Jobs that kept up with intake left no backlog to measure a quiet rate on.
    let kept_up = during + 1 >= accepted;
    assert!(
        kept_up || burst_rate >= MIN_SHARE * quiet_rate,
        "jobs nearly stopped while intake ran: {figures}"
    );

    // Nothing lost, nothing done twice.
    wait_until(
        Duration::from_secs(180),
        "every accepted job done",
        || async { done(&app) > accepted },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(done(&app), accepted + 1, "each job done once");
}

/// Prints the figures docs/performance.md quotes (seen with `--nocapture`).
#[allow(clippy::print_stderr)]
fn report(figures: &str) {
    eprintln!("{figures}");
}

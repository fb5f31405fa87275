//! The unauthenticated webhook endpoint under abuse (security review M5): a body that
//! trickles in past the deadline gets 408, a saturated intake answers 503 with
//! `Retry-After` at once, and the per-secret HMACs over a large body never hold up
//! the threads that answer other requests. (That a declared `Content-Length` reserves
//! nothing is a unit test of `routes::webhooks`.)
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use gantry_server::config::Settings;
use gantry_server::domain::{Secret, SecretScope};
use gantry_server::secrets::webhook as secrets;

use crate::helpers::{delivery_id, spawn_app, AppOptions, Plugins, TEST_KEY};

/// Opens a connection, sends the headers of a webhook POST declaring `length` bytes
/// and then only `sent` of them, and keeps the connection open.
fn trickle(addr: &str, length: usize, sent: usize) -> std::net::TcpStream {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: issues\r\nX-GitHub-Delivery: {}\r\n\
         X-Hub-Signature-256: sha256=00\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n",
        delivery_id()
    )
    .unwrap();
    stream.write_all(&vec![b' '; sent]).unwrap();
    stream
}

fn reply_of(stream: &mut std::net::TcpStream) -> String {
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn short_body_deadline(settings: &mut Settings) {
    settings.webhook.body_timeout_ms = 500;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_that_misses_the_deadline_gets_408_and_frees_the_connection() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        tweak: Some(short_body_deadline),
        ..AppOptions::default()
    })
    .await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let (reply, took) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut stream = trickle(&addr, 1000, 10);
        (reply_of(&mut stream), started.elapsed())
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("body_timeout"), "{reply}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(app.delivery_count().await, 0);
}

fn one_delivery_at_a_time(settings: &mut Settings) {
    settings.webhook.max_in_flight = 1;
    settings.webhook.body_timeout_ms = 5_000;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saturated_intake_answers_503_with_retry_after_at_once() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        tweak: Some(one_delivery_at_a_time),
        ..AppOptions::default()
    })
    .await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    // A slow client holds the only place.
    let held = tokio::task::spawn_blocking(move || trickle(&addr, 1000, 10))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let body = br#"{"action":"opened"}"#;
    let answer = app.post_webhook("issues", &delivery_id(), body).await;
    assert_eq!(answer.status(), 503);
    assert_eq!(
        answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    let error: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(error["error"], "intake_saturated");
    drop(held);
    // Once the slow client is gone, deliveries are taken again.
    crate::helpers::wait_until(
        Duration::from_secs(10),
        "intake to free its place",
        || async {
            app.post_webhook("issues", &delivery_id(), body)
                .await
                .status()
                == 202
        },
    )
    .await;
}

fn one_http_worker(settings: &mut Settings) {
    settings.server.http_workers = 1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hmacs_over_large_bodies_for_many_secrets_do_not_stall_other_requests() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        tweak: Some(one_http_worker),
        ..AppOptions::default()
    })
    .await;
    for n in 0..100 {
        let scope = SecretScope::parse(&format!("repo:tenant/repo-{n}")).unwrap();
        let value = format!("tenant-secret-{n:03}-that-is-long-enough-for-32");
        secrets::add(
            &app.state.db,
            Some(&Secret::new(TEST_KEY)),
            &scope,
            None,
            &value,
        )
        .await
        .unwrap();
    }
    // Three 8 MiB bodies with a bad signature: 101 HMACs over each.
    let body = vec![b' '; 8 * 1024 * 1024];
    let mut posts = Vec::new();
    for _ in 0..3 {
        let http = app.http.clone();
        let url = format!("{}/webhooks/github", app.address);
        let body = body.clone();
        posts.push(tokio::spawn(async move {
            http.post(url)
                .header("x-github-event", "issues")
                .header("x-github-delivery", delivery_id())
                .header("x-hub-signature-256", format!("sha256={}", "0".repeat(64)))
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let health = app
        .http
        .get(format!("{}/health/live", app.address))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(health.status(), 200);
    for post in posts {
        assert_eq!(post.await.unwrap(), 401);
    }
    assert!(
        took < Duration::from_millis(500),
        "/health/live waited {took:?} behind signature checks"
    );
}

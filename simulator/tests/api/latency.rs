//! Answer latency: a route's answers held back by the delay set for it, over the
//! control route and from Rust, while other routes answer at once.

use std::time::{Duration, Instant};

use actix_web::test::TestRequest;
use gantry_simulator::Latency;
use serde_json::json;

use crate::helpers::{get, repo_path, send, with_issue};

#[actix_web::test]
async fn a_route_with_a_latency_answers_that_late_and_the_others_at_once() {
    let sim = with_issue();
    let set = TestRequest::post()
        .uri("/_simulator/latency")
        .set_json(json!({"method": "GET", "path": "/repos/*/*/issues/*", "ms": 300}));
    let reply = send(&sim, set).await;
    assert_eq!(reply.status, 201, "{:?}", reply.json);
    assert_eq!(reply.json["ms"], 300);

    let started = Instant::now();
    let issue = send(&sim, get(&repo_path("/issues/1"))).await;
    let late = started.elapsed();
    assert_eq!(issue.status, 200);
    assert!(late >= Duration::from_millis(300), "{late:?}");

    let started = Instant::now();
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "another route is not delayed: {:?}",
        started.elapsed()
    );

    let listed = send(&sim, TestRequest::get().uri("/_simulator/latency")).await;
    assert_eq!(listed.json.as_array().map(Vec::len), Some(1));
    let cleared = send(&sim, TestRequest::delete().uri("/_simulator/latency")).await;
    assert_eq!(cleared.status, 204);
    assert!(sim.latencies().is_empty());
    let started = Instant::now();
    send(&sim, get(&repo_path("/issues/1"))).await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[actix_web::test]
async fn delayed_requests_wait_side_by_side_not_one_after_another() {
    let sim = with_issue();
    sim.set_latency(Latency::everywhere(300));
    let started = Instant::now();
    let replies =
        futures::future::join_all((0..10).map(|_| send(&sim, get(&repo_path("/issues/1"))))).await;
    let elapsed = started.elapsed();
    assert!(replies.iter().all(|r| r.status == 200));
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(1500),
        "10 requests 300 ms late each took {elapsed:?}: they waited in turn"
    );
}

#[actix_web::test]
async fn a_malformed_latency_is_refused() {
    let sim = with_issue();
    for body in [
        json!({"path": "repos/*", "ms": 10}),
        json!({"path": "/**/labels", "ms": 10}),
        json!({"path": "/**", "ms": gantry_simulator::MAX_LATENCY_MS + 1}),
    ] {
        let reply = send(
            &sim,
            TestRequest::post()
                .uri("/_simulator/latency")
                .set_json(body),
        )
        .await;
        assert_eq!(reply.status, 422, "{:?}", reply.json);
    }
    let reply = send(
        &sim,
        TestRequest::post()
            .uri("/_simulator/latency")
            .set_json(json!({"path": "/**"})),
    )
    .await;
    assert_eq!(reply.status, 422, "a missing ms: {:?}", reply.json);
    assert!(sim.latencies().is_empty());
}

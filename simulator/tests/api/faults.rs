//! Fault injection through the Rust API and the `/_simulator/faults` routes: every
//! fault kind's answer, countdowns, path patterns and method filters, and the request
//! log tests use to assert on retries.

use actix_web::test::TestRequest;
use gantry_simulator::{Fault, FaultKind};
use serde_json::{json, Value};

use crate::helpers::{get, post, repo_path, send, with_issue, OWNER, REPO};

/// A fault on `path` for `method` (any when `None`).
fn fault(method: Option<&str>, path: &str, kind: FaultKind, times: Option<u32>) -> Fault {
    Fault {
        method: method.map(str::to_owned),
        path: path.to_owned(),
        kind,
        times,
    }
}

const COMMENTS: &str = "/repos/*/*/issues/*/comments";

fn comment() -> TestRequest {
    post(&repo_path("/issues/1/comments"), json!({"body": "hi"}))
}

fn no_comments() -> Vec<String> {
    Vec::new()
}

#[actix_web::test]
async fn a_502_fault_answers_githubs_error_body_and_writes_nothing() {
    let sim = with_issue();
    sim.inject(fault(
        Some("POST"),
        COMMENTS,
        FaultKind::Status(502),
        Some(1),
    ));
    let reply = send(&sim, comment()).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json["message"], "Bad Gateway");
    assert!(reply.json["documentation_url"].is_string());
    assert_eq!(sim.issue_comments(OWNER, REPO, 1).unwrap(), no_comments());
    assert_eq!(sim.write_count(), 0);
}

#[actix_web::test]
async fn a_502_after_apply_creates_the_comment_but_answers_502() {
    let sim = with_issue();
    sim.inject(fault(
        Some("POST"),
        COMMENTS,
        FaultKind::StatusAfterApply(502),
        Some(1),
    ));
    let reply = send(&sim, comment()).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json["message"], "Bad Gateway");
    assert_eq!(sim.issue_comments(OWNER, REPO, 1).unwrap(), ["hi"]);
    assert_eq!(sim.write_count(), 1, "the write happened and counts");
}

#[actix_web::test]
async fn a_retry_after_fault_answers_429_with_the_header_and_no_rate_limit_headers() {
    let sim = with_issue();
    sim.inject(fault(None, COMMENTS, FaultKind::RetryAfter(3), None));
    let reply = send(&sim, comment()).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after").as_deref(), Some("3"));
    assert!(reply.header("x-ratelimit-remaining").is_none());
    assert!(reply.json["message"].is_string());
    assert_eq!(sim.write_count(), 0);
}

#[actix_web::test]
async fn a_primary_rate_limit_answers_403_with_remaining_zero_and_the_reset_time() {
    let sim = with_issue();
    sim.inject(fault(
        None,
        COMMENTS,
        FaultKind::RateLimited { reset_in_secs: 60 },
        None,
    ));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reply = send(&sim, comment()).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.header("x-ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(reply.header("x-ratelimit-limit").as_deref(), Some("5000"));
    let reset: u64 = reply.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!((now + 59..=now + 61).contains(&reset), "{reset} vs {now}");
    assert_eq!(
        reply.json["message"],
        "API rate limit exceeded for installation ID 1."
    );
    assert_eq!(
        reply.json["documentation_url"],
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    );
    assert_eq!(sim.issue_comments(OWNER, REPO, 1).unwrap(), no_comments());
}

#[actix_web::test]
async fn a_secondary_rate_limit_answers_403_without_rate_limit_headers() {
    let sim = with_issue();
    sim.inject(fault(None, COMMENTS, FaultKind::SecondaryRateLimit, None));
    let reply = send(&sim, comment()).await;
    assert_eq!(reply.status, 403);
    assert!(reply.header("x-ratelimit-remaining").is_none());
    assert!(reply.header("x-ratelimit-reset").is_none());
    assert!(reply.header("retry-after").is_none());
    assert_eq!(
        reply.json["message"],
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    );
    assert_eq!(
        reply.json["documentation_url"],
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
    );
}

#[actix_web::test]
async fn times_counts_down_and_then_requests_pass() {
    let sim = with_issue();
    sim.inject(fault(None, COMMENTS, FaultKind::Status(503), Some(2)));
    assert_eq!(send(&sim, comment()).await.status, 503);
    assert_eq!(sim.faults()[0].times, Some(1));
    assert_eq!(send(&sim, comment()).await.status, 503);
    assert!(sim.faults().is_empty(), "a used-up fault is removed");
    assert_eq!(send(&sim, comment()).await.status, 201);
    assert_eq!(sim.issue_comments(OWNER, REPO, 1).unwrap(), ["hi"]);
    assert_eq!(sim.write_count(), 1);
    let path = repo_path("/issues/1/comments");
    assert_eq!(sim.request_count("POST", &path), 3);
}

#[actix_web::test]
async fn a_fault_without_times_applies_until_cleared() {
    let sim = with_issue();
    sim.inject(fault(None, "/repos/*/*", FaultKind::Status(500), None));
    for _ in 0..3 {
        let reply = send(&sim, get(&repo_path(""))).await;
        assert_eq!(reply.status, 500);
        assert_eq!(reply.json["message"], "Server Error");
    }
    sim.clear_faults();
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 200);
}

#[actix_web::test]
async fn a_fault_applies_only_to_its_method() {
    let sim = with_issue();
    sim.inject(fault(Some("get"), COMMENTS, FaultKind::Status(502), None));
    assert_eq!(send(&sim, comment()).await.status, 201);
    let listed = send(&sim, get(&repo_path("/issues/1/comments"))).await;
    assert_eq!(listed.status, 502);
}

#[actix_web::test]
async fn a_star_matches_one_segment_and_a_trailing_double_star_the_rest() {
    let sim = with_issue();
    sim.inject(fault(
        None,
        "/repos/*/*/issues/*",
        FaultKind::Status(502),
        None,
    ));
    assert_eq!(send(&sim, get(&repo_path("/issues/1"))).await.status, 502);
    assert_eq!(send(&sim, comment()).await.status, 201, "one segment only");
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 200);

    sim.clear_faults();
    sim.inject(fault(
        None,
        "/repos/codertocat/**",
        FaultKind::Status(500),
        None,
    ));
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 500);
    assert_eq!(send(&sim, comment()).await.status, 500);
    assert_eq!(send(&sim, get("/repos/other/repo")).await.status, 404);
}

#[actix_web::test]
async fn the_first_matching_fault_applies_and_later_ones_wait_their_turn() {
    let sim = with_issue();
    sim.inject(fault(None, "/**", FaultKind::Status(502), Some(1)));
    sim.inject(fault(None, "/repos/*/*", FaultKind::Status(503), Some(1)));
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 502);
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 503);
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 200);
}

#[actix_web::test]
async fn an_unauthenticated_request_is_refused_before_faults_and_uses_none() {
    let sim = with_issue();
    sim.inject(fault(None, "/**", FaultKind::Status(502), Some(1)));
    let anonymous = TestRequest::get().uri(&repo_path(""));
    assert_eq!(send(&sim, anonymous).await.status, 401);
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 502);
    assert_eq!(sim.request_count("GET", &repo_path("")), 2);
}

#[actix_web::test]
async fn every_request_is_counted_and_timed_in_order() {
    let sim = with_issue();
    sim.inject(fault(None, COMMENTS, FaultKind::Status(502), Some(1)));
    let path = repo_path("/issues/1/comments");
    assert_eq!(sim.request_count("POST", &path), 0);
    assert!(sim.request_times("POST", &path).is_empty());
    send(&sim, comment()).await;
    send(&sim, comment()).await;
    send(&sim, get(&path)).await;
    assert_eq!(sim.request_count("POST", &path), 2);
    assert_eq!(sim.request_count("post", &path), 2, "methods ignore case");
    assert_eq!(sim.request_count("GET", &path), 1);
    let times = sim.request_times("POST", &path);
    assert_eq!(times.len(), 2);
    assert!(times[0] <= times[1]);
    assert_eq!(sim.request_count("POST", "/repos/x/y/issues/1/comments"), 0);
}

#[test]
fn fault_kinds_are_written_externally_tagged_in_snake_case() {
    let cases = [
        (FaultKind::Status(502), json!({"status": 502})),
        (
            FaultKind::StatusAfterApply(502),
            json!({"status_after_apply": 502}),
        ),
        (FaultKind::RetryAfter(3), json!({"retry_after": 3})),
        (
            FaultKind::RateLimited { reset_in_secs: 5 },
            json!({"rate_limited": {"reset_in_secs": 5}}),
        ),
        (FaultKind::SecondaryRateLimit, json!("secondary_rate_limit")),
        (
            FaultKind::PrimaryRateLimit {
                status: 429,
                reset_in_secs: 5,
            },
            json!({"primary_rate_limit": {"status": 429, "reset_in_secs": 5}}),
        ),
        (
            FaultKind::SecondaryRateLimitRetryAfter { secs: 60 },
            json!({"secondary_rate_limit_retry_after": {"secs": 60}}),
        ),
        (FaultKind::Hang { secs: 30 }, json!({"hang": {"secs": 30}})),
    ];
    for (kind, written) in cases {
        assert_eq!(serde_json::to_value(&kind).unwrap(), written);
        assert_eq!(serde_json::from_value::<FaultKind>(written).unwrap(), kind);
    }
}

#[actix_web::test]
async fn faults_can_be_injected_listed_and_cleared_over_http_without_auth() {
    let sim = with_issue();
    let body = json!({
        "method": "POST",
        "path": COMMENTS,
        "kind": {"status": 502},
        "times": 2,
    });
    let created = send(
        &sim,
        TestRequest::post()
            .uri("/_simulator/faults")
            .set_json(&body),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json, body);
    let minimal = json!({"path": "/repos/**", "kind": "secondary_rate_limit"});
    let created = send(
        &sim,
        TestRequest::post()
            .uri("/_simulator/faults")
            .set_json(minimal),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        sim.faults()[1],
        fault(None, "/repos/**", FaultKind::SecondaryRateLimit, None)
    );

    assert_eq!(send(&sim, comment()).await.status, 502);
    let listed = send(&sim, TestRequest::get().uri("/_simulator/faults")).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json[0]["times"], 1, "the listing shows uses left");
    assert_eq!(listed.json[1]["kind"], "secondary_rate_limit");
    assert_eq!(listed.json[1]["method"], Value::Null);

    let cleared = send(&sim, TestRequest::delete().uri("/_simulator/faults")).await;
    assert_eq!(cleared.status, 204);
    let listed = send(&sim, TestRequest::get().uri("/_simulator/faults")).await;
    assert_eq!(listed.json, json!([]));
    assert_eq!(send(&sim, comment()).await.status, 201);
    assert_eq!(sim.write_count(), 1, "control requests are not writes");
    assert_eq!(sim.request_count("POST", "/_simulator/faults"), 0);
}

#[actix_web::test]
async fn a_malformed_fault_is_refused_over_http() {
    let sim = with_issue();
    let raw = TestRequest::post()
        .uri("/_simulator/faults")
        .insert_header(("content-type", "application/json"))
        .set_payload("{not json");
    assert_eq!(send(&sim, raw).await.status, 400);
    for (body, field) in [
        (json!({"path": "/x", "kind": {"explode": 1}}), "fault"),
        (json!({"path": "/x", "kind": "hang"}), "fault"),
        (
            json!({"path": "/x", "kind": {"status": 502}, "tims": 1}),
            "fault",
        ),
        (json!({"path": "x/*", "kind": {"status": 502}}), "path"),
        (json!({"path": "/**/x", "kind": {"status": 502}}), "path"),
        (json!({"path": "/x", "kind": {"status": 1000}}), "kind"),
        (
            json!({"path": "/x", "kind": {"primary_rate_limit": {"status": 500, "reset_in_secs": 1}}}),
            "kind",
        ),
    ] {
        let reply = send(
            &sim,
            TestRequest::post()
                .uri("/_simulator/faults")
                .set_json(&body),
        )
        .await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(reply.json["errors"][0]["field"], field, "{body}");
    }
    assert!(sim.faults().is_empty());
    let unknown = send(&sim, TestRequest::get().uri("/_simulator/nothing")).await;
    assert_eq!(unknown.status, 404);
}

#[actix_web::test]
async fn a_primary_rate_limit_can_answer_429_on_a_new_route() {
    let sim = crate::helpers::with_pull();
    sim.inject(fault(
        Some("POST"),
        "/repos/*/*/check-runs",
        FaultKind::PrimaryRateLimit {
            status: 429,
            reset_in_secs: 30,
        },
        Some(1),
    ));
    let body = json!({"name": "ci", "head_sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"});
    let limited = send(&sim, post(&repo_path("/check-runs"), body.clone())).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.header("x-ratelimit-remaining").as_deref(),
        Some("0")
    );
    assert!(limited.header("x-ratelimit-reset").is_some());
    assert_eq!(
        limited.json["message"],
        "API rate limit exceeded for installation ID 1."
    );
    assert_eq!(sim.write_count(), 0);
    assert_eq!(
        send(&sim, post(&repo_path("/check-runs"), body))
            .await
            .status,
        201
    );
}

#[actix_web::test]
async fn a_secondary_rate_limit_with_retry_after_answers_403_and_the_header() {
    let sim = with_issue();
    sim.inject(fault(
        None,
        "/repos/*/*/contents/**",
        FaultKind::SecondaryRateLimitRetryAfter { secs: 60 },
        None,
    ));
    let reply = send(&sim, get(&repo_path("/contents/README.md"))).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.header("retry-after").as_deref(), Some("60"));
    assert!(reply.header("x-ratelimit-remaining").is_none());
    assert!(reply.json["message"]
        .as_str()
        .unwrap()
        .starts_with("You have exceeded a secondary rate limit"));
}

#[actix_web::test]
async fn a_fault_on_a_new_route_reaches_octocrab_and_the_write_does_not_happen() {
    let served = crate::helpers::serve(crate::helpers::with_pull());
    served
        .sim
        .add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    served.sim.inject(fault(
        Some("POST"),
        "/repos/*/*/actions/workflows/*/dispatches",
        FaultKind::Status(502),
        Some(1),
    ));
    let actions = served.octo.actions();
    let error = actions
        .create_workflow_dispatch(OWNER, REPO, "ci.yml", "master")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        crate::helpers::github_error(error),
        (502, "Bad Gateway".to_owned())
    );
    let runs = served
        .octo
        .workflows(OWNER, REPO)
        .list_all_runs()
        .send()
        .await
        .unwrap();
    assert!(runs.items.is_empty());
    actions
        .create_workflow_dispatch(OWNER, REPO, "ci.yml", "master")
        .send()
        .await
        .unwrap();
    let path = format!("/repos/{OWNER}/{REPO}/actions/workflows/ci.yml/dispatches");
    assert_eq!(served.sim.request_count("POST", &path), 2);
    assert_eq!(served.sim.write_count(), 1);
    served.stop().await;
}

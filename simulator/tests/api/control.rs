//! The simulator's own seeding controls under `/_simulator`: workflows, runs, pull
//! request files and mergeability, and the rate limit, driven over HTTP the way
//! external scripts and the sandbox page do.

use actix_web::test::TestRequest;
use octocrab::models::workflows::{Run, WorkFlow};
use serde_json::{json, Value};

use crate::helpers::{get, repo_path, send, with_pull, OWNER, REPO};

fn control(method: &str, path: &str, body: Value) -> TestRequest {
    let req = match method {
        "PUT" => TestRequest::put(),
        _ => TestRequest::post(),
    };
    req.uri(&format!("/_simulator/repos/{OWNER}/{REPO}{path}"))
        .set_json(body)
}

#[actix_web::test]
async fn ci_is_driven_over_http_without_authentication_or_counting_writes() {
    let sim = with_pull();
    let body = json!({"path": ".github/workflows/ci.yml", "name": "CI"});
    let added = send(&sim, control("POST", "/workflows", body)).await;
    assert_eq!(added.status, 201);
    let workflow: WorkFlow = serde_json::from_value(added.json).unwrap();
    assert_eq!(workflow.name, "CI");

    let body = json!({"workflow": "ci.yml", "event": "pull_request", "ref": "changes"});
    let triggered = send(&sim, control("POST", "/actions/runs", body)).await;
    assert_eq!(triggered.status, 201);
    let run: Run = serde_json::from_value(triggered.json).unwrap();
    assert_eq!(
        (run.status.as_str(), run.head_branch.as_str()),
        ("queued", "changes")
    );

    let started = send(
        &sim,
        control(
            "POST",
            &format!("/actions/runs/{}/start", run.id),
            json!({}),
        ),
    )
    .await;
    assert_eq!(started.json["status"], "in_progress");
    let outcome = json!({
        "conclusion": "failure",
        "jobs": [{"name": "test", "conclusion": "failure"}],
        "artifacts": [{"name": "logs", "size_in_bytes": 10}],
    });
    let done = send(
        &sim,
        control(
            "POST",
            &format!("/actions/runs/{}/complete", run.id),
            outcome,
        ),
    )
    .await;
    assert_eq!(done.status, 200);
    let run: Run = serde_json::from_value(done.json).unwrap();
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    let jobs = send(
        &sim,
        get(&repo_path(&format!("/actions/runs/{}/jobs", run.id))),
    )
    .await;
    assert_eq!(jobs.json["jobs"][0]["conclusion"], "failure");
    assert_eq!(sim.write_count(), 0, "control requests are not writes");
    assert_eq!(
        sim.request_count(
            "POST",
            "/_simulator/repos/Codertocat/Hello-World/actions/runs"
        ),
        0
    );
}

#[actix_web::test]
async fn bad_control_requests_are_refused_like_github_refuses() {
    let sim = with_pull();
    let unknown = json!({"workflow": "nope.yml", "ref": "master"});
    assert_eq!(
        send(&sim, control("POST", "/actions/runs", unknown))
            .await
            .status,
        404
    );
    send(
        &sim,
        control(
            "POST",
            "/workflows",
            json!({"path": "ci.yml", "name": "CI"}),
        ),
    )
    .await;
    let body = json!({"workflow": "ci.yml", "ref": "master"});
    let run = send(&sim, control("POST", "/actions/runs", body)).await;
    let id = run.json["id"].as_u64().unwrap();
    let bad = send(
        &sim,
        control(
            "POST",
            &format!("/actions/runs/{id}/complete"),
            json!({"conclusion": "great"}),
        ),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json["errors"][0]["field"], "conclusion");
    let typo = send(
        &sim,
        control("POST", "/workflows", json!({"path": "x.yml"})),
    )
    .await;
    assert_eq!(typo.status, 422);
    let missing = send(
        &sim,
        control(
            "POST",
            "/actions/runs/1/complete",
            json!({"conclusion": "success"}),
        ),
    )
    .await;
    assert_eq!(missing.status, 404);
}

#[actix_web::test]
async fn pull_request_files_mergeability_and_the_rate_limit_are_set_over_http() {
    let sim = with_pull();
    let files = json!([{"filename": "src/lib.rs", "additions": 5}]);
    assert_eq!(
        send(&sim, control("PUT", "/pulls/2/files", files))
            .await
            .status,
        204
    );
    let listed = send(&sim, get(&repo_path("/pulls/2/files"))).await;
    assert_eq!(listed.json[0]["status"], "modified");
    assert_eq!(listed.json[0]["changes"], 5);

    let off = send(
        &sim,
        control("PUT", "/pulls/2/mergeable", json!({"mergeable": false})),
    )
    .await;
    assert_eq!(off.status, 204);
    let pull = send(&sim, get(&repo_path("/pulls/2"))).await;
    assert_eq!(pull.json["mergeable"], false);
    assert_eq!(pull.json["mergeable_state"], "dirty");
    let nowhere = send(
        &sim,
        control("PUT", "/pulls/9/mergeable", json!({"mergeable": null})),
    )
    .await;
    assert_eq!(nowhere.status, 404);

    // Two GitHub requests so far: a limit of 3 leaves room for one more.
    let limit = TestRequest::put()
        .uri("/_simulator/rate_limit")
        .set_json(json!({"limit": 3}));
    assert_eq!(send(&sim, limit).await.status, 204);
    let last = send(&sim, get(&repo_path(""))).await;
    assert_eq!(last.header("x-ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 403);
}

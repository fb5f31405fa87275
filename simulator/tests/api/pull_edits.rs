//! Changing a pull request (`PATCH /repos/{o}/{r}/pulls/{n}`): what it changes and
//! what GitHub refuses with a 422 (an unknown base branch, moving the base of a
//! closed pull request, reopening a merged one) or a 404 (an issue).

use serde_json::json;

use crate::helpers::{get, patch, put, repo_path, send, with_issue, with_pull};

const BASE_SHA: &str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";

#[actix_web::test]
async fn title_body_base_and_state_change_and_the_pull_request_is_answered() {
    let sim = with_pull();
    let branch = json!({"ref": "refs/heads/develop", "sha": BASE_SHA});
    let made = send(&sim, crate::helpers::post(&repo_path("/git/refs"), branch)).await;
    assert_eq!(made.status.as_u16(), 201, "{}", made.json);
    let changes = json!({"title": "New title", "body": "New body", "base": "develop"});
    let reply = send(&sim, patch(&repo_path("/pulls/2"), changes)).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.json);
    assert_eq!(reply.json["title"], "New title");
    assert_eq!(reply.json["body"], "New body");
    assert_eq!(reply.json["base"]["ref"], "develop");
    assert_eq!(reply.json["base"]["sha"], BASE_SHA);

    let closed = send(
        &sim,
        patch(&repo_path("/pulls/2"), json!({"state": "closed"})),
    )
    .await;
    assert_eq!(closed.json["state"], "closed");
    assert!(closed.json["closed_at"].is_string());
    let read = send(&sim, get(&repo_path("/pulls/2"))).await;
    assert_eq!(read.json["state"], "closed");
    let reopened = send(
        &sim,
        patch(&repo_path("/pulls/2"), json!({"state": "open"})),
    )
    .await;
    assert_eq!(reopened.json["state"], "open");
    assert!(reopened.json["closed_at"].is_null());
}

#[actix_web::test]
async fn an_unknown_base_or_a_bad_state_is_a_422_that_changes_nothing() {
    let sim = with_pull();
    let reply = send(
        &sim,
        patch(
            &repo_path("/pulls/2"),
            json!({"title": "Not applied", "base": "nowhere"}),
        ),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.json);
    assert_eq!(reply.json["errors"][0]["field"], "base");
    let bad = send(
        &sim,
        patch(&repo_path("/pulls/2"), json!({"state": "merged"})),
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.json);
    let read = send(&sim, get(&repo_path("/pulls/2"))).await;
    assert_ne!(read.json["title"], "Not applied");
    assert_eq!(read.json["base"]["ref"], "master");
    assert_eq!(sim.write_count(), 0);
}

#[actix_web::test]
async fn a_closed_pull_requests_base_stays_and_a_merged_one_cannot_be_reopened() {
    let sim = with_pull();
    send(
        &sim,
        patch(&repo_path("/pulls/2"), json!({"state": "closed"})),
    )
    .await;
    let moved = send(
        &sim,
        patch(&repo_path("/pulls/2"), json!({"base": "master2"})),
    )
    .await;
    assert_eq!(moved.status.as_u16(), 422, "{}", moved.json);
    assert_eq!(
        moved.json["errors"][0]["message"],
        "Cannot change the base branch of a closed pull request."
    );
    send(
        &sim,
        patch(&repo_path("/pulls/2"), json!({"state": "open"})),
    )
    .await;
    let merged = send(&sim, put(&repo_path("/pulls/2/merge"), json!({}))).await;
    assert_eq!(merged.status.as_u16(), 200, "{}", merged.json);
    let reopened = send(
        &sim,
        patch(&repo_path("/pulls/2"), json!({"state": "open"})),
    )
    .await;
    assert_eq!(reopened.status.as_u16(), 422, "{}", reopened.json);
    assert_eq!(reopened.json["errors"][0]["field"], "state");
}

#[actix_web::test]
async fn an_issue_is_not_a_pull_request_to_edit() {
    let sim = with_issue();
    let reply = send(&sim, patch(&repo_path("/pulls/1"), json!({"title": "x"}))).await;
    assert_eq!(reply.status.as_u16(), 404);
}

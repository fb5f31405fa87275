//! Repositories, issues and pull requests as learned from payloads.

use octocrab::models::{self, issues::Issue, pulls::PullRequest};
use serde_json::json;

use crate::helpers::{get, learned, payload, post, repo_path, send, with_issue, OWNER, REPO};

#[actix_web::test]
async fn an_unknown_repository_is_a_404_with_githubs_body() {
    let sim = with_issue();
    let reply = send(&sim, get("/repos/nobody/nothing")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
    );
}

#[actix_web::test]
async fn an_unknown_path_is_a_404_with_githubs_body() {
    let sim = with_issue();
    let reply = send(&sim, get("/definitely/not/github")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json["message"], "Not Found");
}

#[actix_web::test]
async fn a_learned_repository_is_served_with_its_owner_and_default_branch() {
    let sim = with_issue();
    let reply = send(&sim, get("/repos/codertocat/hello-world")).await;
    assert_eq!(reply.status, 200, "names match without case, as on GitHub");
    let repo: models::Repository = serde_json::from_value(reply.json).unwrap();
    assert_eq!(repo.id.0, 186_853_002);
    assert_eq!(repo.full_name.as_deref(), Some("Codertocat/Hello-World"));
    assert_eq!(repo.default_branch.as_deref(), Some("master"));
    assert_eq!(repo.owner.unwrap().login, OWNER);
}

#[actix_web::test]
async fn a_learned_issue_is_served_with_its_payload_fields() {
    let sim = with_issue();
    let reply = send(&sim, get(&repo_path("/issues/1"))).await;
    let issue: Issue = serde_json::from_value(reply.json).unwrap();
    assert_eq!(issue.title, "Spelling error in the README file");
    assert_eq!(issue.user.login, OWNER);
    assert_eq!(issue.labels.len(), 1);
    assert!(issue.pull_request.is_none());
    assert_eq!(send(&sim, get(&repo_path("/issues/2"))).await.status, 404);
    assert_eq!(send(&sim, get(&repo_path("/issues/abc"))).await.status, 404);
}

#[actix_web::test]
async fn a_learned_pull_request_is_an_issue_with_a_pull_request_key_and_a_pull() {
    let sim = learned("pull_request", "pull_request/opened.payload.json");
    let reply = send(&sim, get(&repo_path("/issues/2"))).await;
    let issue: Issue = serde_json::from_value(reply.json).unwrap();
    assert!(issue.pull_request.is_some());

    let reply = send(&sim, get(&repo_path("/pulls/2"))).await;
    let pull: PullRequest = serde_json::from_value(reply.json).unwrap();
    assert_eq!(pull.head.ref_field, "changes");
    assert_eq!(pull.base.ref_field, "master");
    assert_eq!(send(&sim, get(&repo_path("/pulls/1"))).await.status, 404);
}

#[actix_web::test]
async fn a_pull_request_with_a_null_body_is_learned() {
    let sim = learned("pull_request", "pull_request/opened.with-null-body.json");
    let reply = send(&sim, get(&repo_path("/issues/2"))).await;
    assert_eq!(reply.status, 200);
    assert!(reply.json["body"].is_null());
}

#[actix_web::test]
async fn learning_an_issue_again_updates_title_and_state_but_keeps_api_labels_and_comments() {
    let sim = with_issue();
    send(
        &sim,
        post(
            &repo_path("/issues/1/labels"),
            json!({"labels": ["triaged"]}),
        ),
    )
    .await;
    send(
        &sim,
        post(&repo_path("/issues/1/comments"), json!({"body": "hi"})),
    )
    .await;

    let mut edited = payload("issues/opened.payload.json");
    edited["issue"]["title"] = json!("A new title");
    edited["issue"]["state"] = json!("closed");
    edited["issue"]["labels"] = json!([]);
    sim.learn("issues", &edited);

    let reply = send(&sim, get(&repo_path("/issues/1"))).await;
    assert_eq!(reply.json["title"], "A new title");
    assert_eq!(reply.json["state"], "closed");
    assert_eq!(reply.json["comments"], 1);
    assert_eq!(
        sim.issue_labels(OWNER, REPO, 1).unwrap(),
        ["bug", "triaged"]
    );
    assert_eq!(sim.issue_comments(OWNER, REPO, 1).unwrap(), ["hi"]);
}

#[actix_web::test]
async fn urls_in_answers_point_back_at_the_host_the_request_came_to() {
    let sim = with_issue();
    let reply = send(
        &sim,
        get(&repo_path("/issues/1")).insert_header(("host", "sim.test:9000")),
    )
    .await;
    assert_eq!(
        reply.json["url"],
        "http://sim.test:9000/repos/Codertocat/Hello-World/issues/1"
    );
}

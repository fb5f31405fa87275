//! Opening issues and pull requests over HTTP, with GitHub's 201 answers and its
//! 422 refusals; a review's line comment GitHub could not place is refused too.

use serde_json::json;

use crate::helpers::{post, repo_path, send, with_pull};

#[actix_web::test]
async fn an_issue_opens_numbered_after_the_last_with_its_labels_and_a_title_is_required() {
    let sim = with_pull();
    let reply = send(
        &sim,
        post(
            &repo_path("/issues"),
            json!({"title": "CI failed on main", "body": "See run 7.", "labels": ["ci"]}),
        ),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    assert_eq!(reply.json["number"], 3, "after pull request #2");
    assert_eq!(reply.json["title"], "CI failed on main");
    assert_eq!(reply.json["labels"][0]["name"], "ci");
    assert_eq!(reply.json["state"], "open");

    let missing = send(
        &sim,
        post(&repo_path("/issues"), json!({"body": "no title"})),
    )
    .await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.json["errors"][0]["code"], "missing_field");
    assert_eq!(missing.json["errors"][0]["field"], "title");
}

#[actix_web::test]
async fn a_pull_request_opens_from_an_existing_branch_and_github_refusals_are_422() {
    let sim = with_pull();
    let pull = send(&sim, crate::helpers::get(&repo_path("/pulls/2")))
        .await
        .json;
    let (head_sha, base) = (pull["head"]["sha"].clone(), pull["base"]["ref"].clone());
    let branch = json!({"ref": "refs/heads/topic", "sha": head_sha});
    assert_eq!(
        send(&sim, post(&repo_path("/git/refs"), branch))
            .await
            .status,
        201
    );

    let opened = send(
        &sim,
        post(
            &repo_path("/pulls"),
            json!({"title": "Topic", "head": "topic", "base": base, "draft": true}),
        ),
    )
    .await;
    assert_eq!(opened.status, 201, "{}", opened.json);
    assert_eq!(opened.json["number"], 3);
    assert_eq!(opened.json["draft"], true);
    assert_eq!(opened.json["head"]["ref"], "topic");
    assert_eq!(opened.json["head"]["sha"], head_sha);

    let again = send(
        &sim,
        post(
            &repo_path("/pulls"),
            json!({"title": "Again", "head": "topic", "base": base}),
        ),
    )
    .await;
    assert_eq!(again.status, 422);
    assert!(again.json["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("A pull request already exists for"));

    let nowhere = send(
        &sim,
        post(
            &repo_path("/pulls"),
            json!({"title": "Nowhere", "head": "no-such-branch", "base": base}),
        ),
    )
    .await;
    assert_eq!(nowhere.status, 422);
    assert_eq!(nowhere.json["errors"][0]["field"], "head");
}

#[actix_web::test]
async fn a_review_line_comment_without_a_line_is_refused_and_nothing_is_stored() {
    let sim = with_pull();
    let review = json!({"event": "COMMENT", "body": "See below.",
        "comments": [{"path": "src/a.rs", "body": "Where?"}]});
    let refused = send(&sim, post(&repo_path("/pulls/2/reviews"), review)).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.json["errors"][0], "Line could not be resolved");
    let listed = send(&sim, crate::helpers::get(&repo_path("/pulls/2/comments"))).await;
    assert_eq!(listed.json, json!([]));
}

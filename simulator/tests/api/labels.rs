//! Issue labels and repository labels.

use octocrab::models::Label;
use serde_json::json;

use crate::helpers::{delete, get, post, put, repo_path, send, with_issue, OWNER, REPO};

#[actix_web::test]
async fn labels_posted_to_a_learned_issue_are_read_back_with_get() {
    let sim = with_issue();
    let added = send(
        &sim,
        post(
            &repo_path("/issues/1/labels"),
            json!({"labels": ["needs triage", "bug"]}),
        ),
    )
    .await;
    assert_eq!(added.status, 200);
    assert_eq!(added.names(), ["bug", "needs triage"]);

    let listed = send(&sim, get(&repo_path("/issues/1/labels"))).await;
    assert_eq!(listed.status, 200);
    let labels: Vec<Label> = serde_json::from_value(listed.json).unwrap();
    let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["bug", "needs triage"]);
    assert_eq!(
        labels[0].color, "d73a4a",
        "the learned label keeps its color"
    );
    assert_eq!(
        sim.issue_labels(OWNER, REPO, 1).unwrap(),
        ["bug", "needs triage"]
    );
    assert_eq!(sim.write_count(), 1);
}

#[actix_web::test]
async fn a_label_added_twice_is_on_the_issue_once() {
    let sim = with_issue();
    send(
        &sim,
        post(&repo_path("/issues/1/labels"), json!({"labels": ["x"]})),
    )
    .await;
    let again = send(
        &sim,
        post(
            &repo_path("/issues/1/labels"),
            json!({"labels": ["x", "X"]}),
        ),
    )
    .await;
    assert_eq!(again.names(), ["bug", "x"]);
    assert_eq!(sim.write_count(), 2);
}

#[actix_web::test]
async fn labels_are_given_as_an_object_as_githubs_description_has_them() {
    let sim = with_issue();
    // GitHub's description takes `{"labels": [...]}` only; a bare array is refused.
    let bare = send(
        &sim,
        post(&repo_path("/issues/1/labels"), json!(["one", "two"])),
    )
    .await;
    assert_eq!(bare.status, 422, "{}", bare.json);
    let added = send(
        &sim,
        post(
            &repo_path("/issues/1/labels"),
            json!({"labels": ["one", {"name": "two"}]}),
        ),
    )
    .await;
    assert_eq!(added.status, 200);
    assert_eq!(added.names(), ["bug", "one", "two"]);
}

#[actix_web::test]
async fn a_label_new_to_the_repository_is_created_there_with_color_ededed() {
    let sim = with_issue();
    send(
        &sim,
        post(
            &repo_path("/issues/1/labels"),
            json!({"labels": ["good first issue"]}),
        ),
    )
    .await;
    let label = send(&sim, get(&repo_path("/labels/good%20first%20issue"))).await;
    assert_eq!(label.status, 200);
    assert_eq!(label.json["color"], "ededed");
    let all = send(&sim, get(&repo_path("/labels"))).await;
    assert_eq!(all.names(), ["bug", "good first issue"]);
}

#[actix_web::test]
async fn put_replaces_every_label_of_the_issue() {
    let sim = with_issue();
    let replaced = send(
        &sim,
        put(
            &repo_path("/issues/1/labels"),
            json!({"labels": ["a", "b"]}),
        ),
    )
    .await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.names(), ["a", "b"]);
    assert_eq!(sim.issue_labels(OWNER, REPO, 1).unwrap(), ["a", "b"]);
}

#[actix_web::test]
async fn deleting_a_label_answers_with_the_remaining_ones() {
    let sim = with_issue();
    send(
        &sim,
        post(
            &repo_path("/issues/1/labels"),
            json!({"labels": ["area/server", "keep"]}),
        ),
    )
    .await;
    let removed = send(&sim, delete(&repo_path("/issues/1/labels/area%2Fserver"))).await;
    assert_eq!(removed.status, 200);
    assert_eq!(removed.names(), ["bug", "keep"]);
    assert_eq!(sim.write_count(), 2);
}

#[actix_web::test]
async fn deleting_a_label_the_issue_does_not_have_is_a_404_and_not_a_write() {
    let sim = with_issue();
    let missing = send(&sim, delete(&repo_path("/issues/1/labels/nope"))).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json["message"], "Not Found");
    assert_eq!(sim.write_count(), 0);
}

#[actix_web::test]
async fn labels_of_an_unknown_issue_are_a_404() {
    let sim = with_issue();
    assert_eq!(
        send(&sim, get(&repo_path("/issues/99/labels")))
            .await
            .status,
        404
    );
    let post = send(
        &sim,
        post(&repo_path("/issues/99/labels"), json!({"labels": ["x"]})),
    )
    .await;
    assert_eq!(post.status, 404);
    assert_eq!(sim.write_count(), 0);
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_a_400_problems_parsing_json() {
    let sim = with_issue();
    let req = crate::helpers::authed(
        actix_web::test::TestRequest::post().uri(&repo_path("/issues/1/labels")),
    )
    .set_payload("{not json");
    let reply = send(&sim, req).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["message"], "Problems parsing JSON");
}

#[actix_web::test]
async fn labels_that_are_not_names_are_a_422_validation_failure() {
    let sim = with_issue();
    let reply = send(
        &sim,
        post(&repo_path("/issues/1/labels"), json!({"labels": [1, 2]})),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json["message"], "Validation Failed");
    assert!(reply.json["errors"].is_array());
}

#[actix_web::test]
async fn a_repository_label_is_created_with_201_and_a_duplicate_name_is_a_422() {
    let sim = with_issue();
    let body = json!({"name": "Urgent", "color": "#FF0000", "description": "now"});
    let created = send(&sim, post(&repo_path("/labels"), body)).await;
    assert_eq!(created.status, 201);
    let label: Label = serde_json::from_value(created.json).unwrap();
    assert_eq!(
        (label.name.as_str(), label.color.as_str()),
        ("Urgent", "ff0000")
    );
    assert_eq!(label.description.as_deref(), Some("now"));

    let duplicate = send(&sim, post(&repo_path("/labels"), json!({"name": "urgent"}))).await;
    assert_eq!(duplicate.status, 422);
    assert_eq!(duplicate.json["errors"][0]["code"], "already_exists");
    assert_eq!(sim.write_count(), 1);
}

#[actix_web::test]
async fn a_repository_label_without_a_name_or_with_a_bad_color_is_a_422() {
    let sim = with_issue();
    assert_eq!(
        send(
            &sim,
            post(&repo_path("/labels"), json!({"color": "ffffff"}))
        )
        .await
        .status,
        422
    );
    let bad = send(
        &sim,
        post(&repo_path("/labels"), json!({"name": "x", "color": "red"})),
    )
    .await;
    assert_eq!(bad.status, 422);
}

#[actix_web::test]
async fn repository_labels_are_listed_created_read_renamed_and_deleted_through_octocrab() {
    let served = crate::helpers::serve(with_issue());
    let issues = served.octo.issues(OWNER, REPO);
    let created = issues
        .create_label("needs review", "fbca04", "waiting for eyes")
        .await
        .unwrap();
    assert_eq!(created.color, "fbca04");
    issues
        .add_labels(1, &["needs review".to_owned()])
        .await
        .unwrap();

    let renamed = issues
        .update_label("needs review", "review", "0e8a16", "ready")
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.color.as_str()),
        ("review", "0e8a16")
    );
    assert_eq!(
        served.sim.issue_labels(OWNER, REPO, 1).unwrap(),
        ["bug", "review"],
        "a rename follows onto the issues"
    );
    let read = issues.get_label("review").await.unwrap();
    assert_eq!(read.description.as_deref(), Some("ready"));

    let all = issues.list_labels_for_repo().send().await.unwrap();
    let names: Vec<&str> = all.items.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["bug", "review"]);

    issues.delete_label("review").await.unwrap();
    assert_eq!(served.sim.issue_labels(OWNER, REPO, 1).unwrap(), ["bug"]);
    let gone = issues.get_label("review").await.unwrap_err();
    assert_eq!(crate::helpers::github_error(gone).0, 404);
    served.stop().await;
}

#[actix_web::test]
async fn renaming_a_label_onto_another_is_a_422_and_an_unknown_label_a_404() {
    let sim = with_issue();
    send(&sim, post(&repo_path("/labels"), json!({"name": "other"}))).await;
    let clash = send(
        &sim,
        crate::helpers::patch(&repo_path("/labels/bug"), json!({"new_name": "Other"})),
    )
    .await;
    assert_eq!(clash.status, 422);
    assert_eq!(clash.json["errors"][0]["code"], "already_exists");
    let missing = send(
        &sim,
        crate::helpers::patch(&repo_path("/labels/nope"), json!({"color": "ffffff"})),
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        send(&sim, delete(&repo_path("/labels/nope"))).await.status,
        404
    );
}

#[actix_web::test]
async fn issue_labels_are_replaced_and_removed_through_octocrab() {
    let served = crate::helpers::serve(with_issue());
    let issues = served.octo.issues(OWNER, REPO);
    let replaced = issues
        .replace_all_labels(1, &["a".to_owned(), "b".to_owned()])
        .await
        .unwrap();
    assert_eq!(replaced.len(), 2);
    let left = issues.remove_label(1, "a").await.unwrap();
    assert_eq!(left[0].name, "b");
    let error = issues.remove_label(1, "a").await.unwrap_err();
    assert_eq!(crate::helpers::github_error(error).0, 404);
    assert_eq!(served.sim.issue_labels(OWNER, REPO, 1).unwrap(), ["b"]);
    served.stop().await;
}

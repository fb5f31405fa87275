//! Issue comments: creation, listing with pagination, editing and deleting.

use octocrab::models::issues::Comment;
use serde_json::json;

use crate::helpers::{delete, get, patch, post, repo_path, send, with_issue, OWNER, REPO};

#[actix_web::test]
async fn a_comment_is_created_as_the_bot_with_201_and_listed_back() {
    let sim = with_issue();
    let created = send(
        &sim,
        post(&repo_path("/issues/1/comments"), json!({"body": "Thanks!"})),
    )
    .await;
    assert_eq!(created.status, 201);
    let comment: Comment = serde_json::from_value(created.json).unwrap();
    assert_eq!(comment.user.login, "gantry[bot]");
    assert_eq!(comment.user.r#type, "Bot");

    let listed = send(&sim, get(&repo_path("/issues/1/comments"))).await;
    let comments: Vec<Comment> = serde_json::from_value(listed.json).unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].body.as_deref(), Some("Thanks!"));
    assert_eq!(comments[0].id, comment.id);
    assert_eq!(sim.issue_comments(OWNER, REPO, 1).unwrap(), ["Thanks!"]);
    assert_eq!(sim.write_count(), 1);
}

#[actix_web::test]
async fn the_x_sim_user_header_sets_the_comment_author() {
    let sim = with_issue();
    let req = post(
        &repo_path("/issues/1/comments"),
        json!({"body": "/label bug"}),
    )
    .insert_header(("x-sim-user", "Codertocat"));
    let created = send(&sim, req).await;
    assert_eq!(created.json["user"]["login"], "Codertocat");
    assert_eq!(created.json["user"]["type"], "User");
    assert_eq!(created.json["author_association"], "OWNER");
}

#[actix_web::test]
async fn comment_listing_is_paginated_with_a_github_link_header() {
    let sim = with_issue();
    for n in 1..=5 {
        send(
            &sim,
            post(
                &repo_path("/issues/1/comments"),
                json!({"body": format!("c{n}")}),
            ),
        )
        .await;
    }
    let first = send(&sim, get(&repo_path("/issues/1/comments?per_page=2"))).await;
    assert_eq!(first.json.as_array().unwrap().len(), 2);
    let link = first.header("link").unwrap();
    assert!(
        link.contains(
            "/repos/Codertocat/Hello-World/issues/1/comments?per_page=2&page=2>; rel=\"next\""
        ),
        "{link}"
    );
    assert!(link.contains("per_page=2&page=3>; rel=\"last\""), "{link}");

    let last = send(
        &sim,
        get(&repo_path("/issues/1/comments?per_page=2&page=3")),
    )
    .await;
    assert_eq!(last.json[0]["body"], "c5");
    let link = last.header("link").unwrap();
    assert!(!link.contains("rel=\"next\""), "{link}");
    assert!(link.contains("page=2>; rel=\"prev\""), "{link}");

    let all = send(&sim, get(&repo_path("/issues/1/comments"))).await;
    assert_eq!(all.json.as_array().unwrap().len(), 5);
    assert!(all.header("link").is_none());
}

#[actix_web::test]
async fn a_comment_without_a_body_is_a_422_and_not_stored() {
    let sim = with_issue();
    let reply = send(
        &sim,
        post(&repo_path("/issues/1/comments"), json!({"text": "x"})),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json["errors"][0]["field"], "body");
    assert_eq!(
        sim.issue_comments(OWNER, REPO, 1).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(sim.write_count(), 0);
}

#[actix_web::test]
async fn a_comment_can_be_read_edited_and_deleted_by_id() {
    let sim = with_issue();
    let created = send(
        &sim,
        post(&repo_path("/issues/1/comments"), json!({"body": "draft"})),
    )
    .await;
    let path = repo_path(&format!("/issues/comments/{}", created.json["id"]));
    assert_eq!(send(&sim, get(&path)).await.json["body"], "draft");
    let edited = send(&sim, patch(&path, json!({"body": "final"}))).await;
    assert_eq!(edited.status, 200);
    assert_eq!(sim.issue_comments(OWNER, REPO, 1).unwrap(), ["final"]);
    assert_eq!(send(&sim, delete(&path)).await.status, 204);
    assert_eq!(send(&sim, get(&path)).await.status, 404);
    assert_eq!(sim.write_count(), 3);
}

#[actix_web::test]
async fn comments_on_an_unknown_issue_are_a_404() {
    let sim = with_issue();
    let reply = send(
        &sim,
        post(&repo_path("/issues/42/comments"), json!({"body": "x"})),
    )
    .await;
    assert_eq!(reply.status, 404);
    assert_eq!(sim.write_count(), 0);
}

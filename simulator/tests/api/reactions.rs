//! Reactions to issue comments and the single-comment routes, through octocrab.

use octocrab::models::{issues::Comment, reactions::ReactionContent};
use serde_json::json;

use crate::helpers::{github_error, repo_path, send, serve, with_issue, OWNER, REPO};

#[actix_web::test]
async fn a_comment_is_read_and_edited_by_id() {
    let served = serve(with_issue());
    let issues = served.octo.issues(OWNER, REPO);
    let created = issues.create_comment(1, "first draft").await.unwrap();

    let read = issues.get_comment(created.id).await.unwrap();
    assert_eq!(read.body.as_deref(), Some("first draft"));
    // GitHub edits a comment with PATCH (octocrab's `update_comment` sends POST,
    // which GitHub's description does not have, and neither has the simulator).
    let url = repo_path(&format!("/issues/comments/{}", created.id));
    let edited: Comment = served
        .octo
        .patch(&url, Some(&json!({"body": "final words"})))
        .await
        .unwrap();
    assert_eq!(edited.body.as_deref(), Some("final words"));
    let post = issues
        .update_comment(created.id, "by POST")
        .await
        .unwrap_err();
    assert_eq!(github_error(post).0, 404);
    assert_eq!(
        served.sim.issue_comments(OWNER, REPO, 1).unwrap(),
        ["final words"]
    );
    served.stop().await;
}

#[actix_web::test]
async fn a_reaction_is_created_once_per_user_and_content() {
    let served = serve(with_issue());
    let issues = served.octo.issues(OWNER, REPO);
    let comment = issues.create_comment(1, "ship it?").await.unwrap();
    let url = repo_path(&format!("/issues/comments/{}/reactions", comment.id));

    let first = issues
        .create_comment_reaction(comment.id, ReactionContent::Rocket)
        .await
        .unwrap();
    assert_eq!(first.content, ReactionContent::Rocket);
    assert_eq!(first.user.login, "gantry[bot]");
    let again = send(
        &served.sim,
        crate::helpers::post(&url, json!({"content": "rocket"})),
    )
    .await;
    assert_eq!(again.status, 200, "the same reaction again answers 200");
    assert_eq!(again.json["id"], first.id.0);
    let fresh = send(
        &served.sim,
        crate::helpers::post(&url, json!({"content": "+1"})),
    )
    .await;
    assert_eq!(fresh.status, 201);

    let listed = issues
        .list_comment_reactions(comment.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 2);
    let shown: Comment = served
        .octo
        .get(
            repo_path(&format!("/issues/comments/{}", comment.id)),
            None::<&()>,
        )
        .await
        .unwrap();
    assert_eq!(shown.id, comment.id);
    let rollup = send(
        &served.sim,
        crate::helpers::get(&repo_path(&format!("/issues/comments/{}", comment.id))),
    )
    .await;
    assert_eq!(rollup.json["reactions"]["total_count"], 2);
    assert_eq!(rollup.json["reactions"]["rocket"], 1);

    issues
        .delete_comment_reaction(comment.id, first.id)
        .await
        .unwrap();
    let listed = issues
        .list_comment_reactions(comment.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.items[0].content, ReactionContent::PlusOne);
    served.stop().await;
}

#[actix_web::test]
async fn an_unknown_reaction_is_a_422_and_an_unknown_comment_a_404() {
    let served = serve(with_issue());
    let comment = served
        .octo
        .issues(OWNER, REPO)
        .create_comment(1, "hi")
        .await
        .unwrap();
    let url = repo_path(&format!("/issues/comments/{}/reactions", comment.id));
    let bad = send(
        &served.sim,
        crate::helpers::post(&url, json!({"content": "tada"})),
    )
    .await;
    assert_eq!(bad.status, 422);
    let error = served
        .octo
        .issues(OWNER, REPO)
        .create_comment_reaction(1u64, ReactionContent::Heart)
        .await
        .unwrap_err();
    assert_eq!(github_error(error).0, 404);
    served.stop().await;
}

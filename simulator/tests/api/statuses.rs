//! Commit statuses and the combined status, through octocrab.

use octocrab::{models::StatusState, params::repos::Reference};
use serde_json::json;

use crate::helpers::{github_error, post, repo_path, send, serve, with_pull, OWNER, REPO};

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

#[actix_web::test]
async fn statuses_are_created_listed_newest_first_and_combined_per_context() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let first = repos
        .create_status(HEAD.to_owned(), StatusState::Pending)
        .context("ci/test".to_owned())
        .description("running".to_owned())
        .target("https://ci.example/1".to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(first.state, StatusState::Pending);
    assert_eq!(first.context.as_deref(), Some("ci/test"));
    assert_eq!(first.creator.unwrap().login, "gantry[bot]");
    repos
        .create_status(HEAD.to_owned(), StatusState::Success)
        .context("ci/test".to_owned())
        .send()
        .await
        .unwrap();
    repos
        .create_status(HEAD.to_owned(), StatusState::Success)
        .context("ci/lint".to_owned())
        .send()
        .await
        .unwrap();

    let listed = repos.list_statuses(HEAD.to_owned()).send().await.unwrap();
    assert_eq!(listed.items.len(), 3);
    assert_eq!(listed.items[0].context.as_deref(), Some("ci/lint"));

    let combined = repos
        .combined_status_for_ref(&Reference::Branch("changes".to_owned()))
        .await
        .unwrap();
    assert_eq!(combined.state, StatusState::Success);
    assert_eq!(combined.sha, HEAD);
    assert_eq!(combined.total_count, 2, "the latest status per context");

    repos
        .create_status(HEAD.to_owned(), StatusState::Error)
        .context("ci/lint".to_owned())
        .send()
        .await
        .unwrap();
    let combined = repos
        .combined_status_for_ref(&Reference::Branch("changes".to_owned()))
        .await
        .unwrap();
    assert_eq!(combined.state, StatusState::Failure);
    served.stop().await;
}

#[actix_web::test]
async fn a_commit_without_statuses_is_pending_and_an_unknown_ref_is_a_422() {
    let served = serve(with_pull());
    let repos = served.octo.repos(OWNER, REPO);
    let combined = repos
        .combined_status_for_ref(&Reference::Branch("master".to_owned()))
        .await
        .unwrap();
    assert_eq!(combined.state, StatusState::Pending);
    assert_eq!(combined.total_count, 0);
    let error = repos
        .combined_status_for_ref(&Reference::Branch("nope".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(github_error(error).0, 422);
    let bad = send(
        &served.sim,
        post(
            &repo_path(&format!("/statuses/{HEAD}")),
            json!({"state": "done"}),
        ),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json["errors"][0]["field"], "state");
    served.stop().await;
}

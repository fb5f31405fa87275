//! Pull requests through octocrab: reading one, its files, requested reviewers,
//! reviews and merging.

use gantry_simulator::PullFile;
use octocrab::{
    models::{
        pulls::{PullRequest, Review, ReviewAction, ReviewState},
        repos::DiffEntryStatus,
        IssueState,
    },
    params::pulls::MergeMethod,
};
use serde_json::json;

use crate::helpers::{github_error, repo_path, serve, with_pull, OWNER, REPO};

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

#[actix_web::test]
async fn a_learned_pull_request_is_mergeable_and_lists_its_requested_reviewers() {
    let served = serve(with_pull());
    let pull = served.octo.pulls(OWNER, REPO).get(2).await.unwrap();
    assert_eq!(pull.mergeable, Some(true));
    assert_eq!(pull.merged, Some(false));
    let reviewers: Vec<String> = pull
        .requested_reviewers
        .unwrap()
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert_eq!(reviewers, ["octocat"]);
    served.stop().await;
}

#[actix_web::test]
async fn a_learned_pull_request_counts_its_payloads_lines_until_files_are_seeded() {
    let served = serve(with_pull());
    let pull: serde_json::Value = served
        .octo
        .get(repo_path("/pulls/2"), None::<&()>)
        .await
        .unwrap();
    // GitHub's example payload: one file, one line added and one deleted.
    assert_eq!(
        (
            &pull["additions"],
            &pull["deletions"],
            &pull["changed_files"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert!(served.sim.set_pull_files(
        OWNER,
        REPO,
        2,
        &[
            PullFile::modified("a.rs", 30, 5),
            PullFile::modified("b.rs", 2, 0)
        ]
    ));
    let pull = served.octo.pulls(OWNER, REPO).get(2).await.unwrap();
    assert_eq!(
        (pull.additions, pull.deletions, pull.changed_files),
        (Some(32), Some(5), Some(2))
    );
    served.stop().await;
}

#[actix_web::test]
async fn seeded_files_are_listed_as_diff_entries() {
    let served = serve(with_pull());
    let mut renamed = PullFile::modified("src/new.rs", 0, 0);
    renamed.status = "renamed".to_owned();
    renamed.previous_filename = Some("src/old.rs".to_owned());
    assert!(served.sim.set_pull_files(
        OWNER,
        REPO,
        2,
        &[PullFile::modified("README.md", 3, 1), renamed]
    ));
    assert!(!served.sim.set_pull_files(OWNER, REPO, 9, &[]));

    let files = served.octo.pulls(OWNER, REPO).list_files(2).await.unwrap();
    assert_eq!(files.items.len(), 2);
    let readme = &files.items[0];
    assert_eq!(readme.filename, "README.md");
    assert_eq!(readme.status, DiffEntryStatus::Modified);
    assert_eq!(
        (readme.additions, readme.deletions, readme.changes),
        (3, 1, 4)
    );
    assert!(readme
        .contents_url
        .as_str()
        .ends_with(&format!("?ref={HEAD}")));
    assert_eq!(
        files.items[1].previous_filename.as_deref(),
        Some("src/old.rs")
    );
    served.stop().await;
}

#[actix_web::test]
async fn reviewers_are_requested_from_collaborators_only_and_removed_again() {
    let served = serve(with_pull());
    let octo = &served.octo;
    octo.repos(OWNER, REPO)
        .add_collaborator("alice")
        .send()
        .await
        .unwrap();
    let url = repo_path("/pulls/2/requested_reviewers");

    let pull: PullRequest = octo
        .post(&url, Some(&json!({"reviewers": ["alice"]})))
        .await
        .unwrap();
    let names: Vec<String> = pull
        .requested_reviewers
        .unwrap()
        .into_iter()
        .map(|u| u.login)
        .collect();
    assert_eq!(names, ["octocat", "alice"]);

    let error = octo
        .post::<_, PullRequest>(&url, Some(&json!({"reviewers": ["stranger"]})))
        .await
        .unwrap_err();
    let (status, message) = github_error(error);
    assert_eq!(status, 422);
    assert!(message.starts_with("Reviews may only be requested from collaborators"));
    let error = octo
        .post::<_, PullRequest>(&url, Some(&json!({"reviewers": ["Codertocat"]})))
        .await
        .unwrap_err();
    assert_eq!(
        github_error(error),
        (
            422,
            "Review cannot be requested from pull request author.".to_owned()
        )
    );

    let pull: PullRequest = octo
        .delete(&url, Some(&json!({"reviewers": ["octocat", "alice"]})))
        .await
        .unwrap();
    assert!(pull.requested_reviewers.unwrap().is_empty());
    served.stop().await;
}

#[actix_web::test]
async fn a_review_is_submitted_listed_and_takes_the_reviewer_off_the_request() {
    let served = serve(with_pull());
    served
        .octo
        .repos(OWNER, REPO)
        .add_collaborator("octocat")
        .send()
        .await
        .unwrap();
    let octocat = served.as_user("octocat");
    let review: Review = octocat
        .post(
            repo_path("/pulls/2/reviews"),
            Some(&json!({"commit_id": HEAD, "body": "Looks good", "event": ReviewAction::Approve})),
        )
        .await
        .unwrap();
    assert_eq!(review.state, Some(ReviewState::Approved));
    assert_eq!(review.user.unwrap().login, "octocat");
    assert_eq!(review.commit_id.as_deref(), Some(HEAD));

    let reviews = served
        .octo
        .pulls(OWNER, REPO)
        .list_reviews(2)
        .send()
        .await
        .unwrap();
    assert_eq!(reviews.items.len(), 1);
    let pull = served.octo.pulls(OWNER, REPO).get(2).await.unwrap();
    assert!(pull.requested_reviewers.unwrap().is_empty());
    served.stop().await;
}

#[actix_web::test]
async fn approving_ones_own_pull_request_or_requesting_changes_without_a_body_is_a_422() {
    let served = serve(with_pull());
    let author = served.as_user("Codertocat");
    let url = repo_path("/pulls/2/reviews");
    let error = author
        .post::<_, Review>(&url, Some(&json!({"body": "mine", "event": "APPROVE"})))
        .await
        .unwrap_err();
    // GitHub words a refused review as "Unprocessable Entity" with the reason as a
    // sentence in `errors`.
    match error {
        octocrab::Error::GitHub { source, .. } => {
            assert_eq!(source.status_code.as_u16(), 422);
            assert_eq!(source.message, "Unprocessable Entity");
            assert_eq!(
                source.errors,
                Some(vec![json!("Can not approve your own pull request")])
            );
        }
        other => panic!("not a GitHub error: {other}"),
    }
    let error = served
        .octo
        .post::<_, Review>(&url, Some(&json!({"event": "REQUEST_CHANGES"})))
        .await
        .unwrap_err();
    assert_eq!(github_error(error).0, 422);
    served.stop().await;
}

#[actix_web::test]
async fn merging_closes_the_pull_request_and_moves_the_base_branch() {
    let served = serve(with_pull());
    let pulls = served.octo.pulls(OWNER, REPO);
    let merge = pulls
        .merge(2)
        .title("Ship the changes")
        .sha(HEAD)
        .method(MergeMethod::Squash)
        .send()
        .await
        .unwrap();
    assert!(merge.merged);
    let sha = merge.sha.unwrap();
    assert_eq!(
        served.sim.branch_head(OWNER, REPO, "master").as_deref(),
        Some(sha.as_str())
    );

    let pull = pulls.get(2).await.unwrap();
    assert_eq!(pull.merged, Some(true));
    assert_eq!(pull.state, Some(IssueState::Closed));
    assert_eq!(pull.merge_commit_sha.as_deref(), Some(sha.as_str()));
    assert!(pull.merged_at.is_some());
    let commit = served.octo.commits(OWNER, REPO).get(&sha).await.unwrap();
    assert_eq!(commit.commit.message, "Ship the changes");

    let again = pulls.merge(2).send().await.unwrap_err();
    assert_eq!(
        github_error(again),
        (405, "Pull Request is not mergeable".to_owned())
    );
    served.stop().await;
}

#[actix_web::test]
async fn a_stale_sha_is_a_409_and_an_unmergeable_pull_request_a_405() {
    let served = serve(with_pull());
    let pulls = served.octo.pulls(OWNER, REPO);
    let stale = pulls.merge(2).sha("0".repeat(40)).send().await.unwrap_err();
    assert_eq!(github_error(stale).0, 409);
    assert!(served.sim.set_mergeable(OWNER, REPO, 2, Some(false)));
    assert_eq!(pulls.get(2).await.unwrap().mergeable, Some(false));
    let blocked = pulls.merge(2).send().await.unwrap_err();
    assert_eq!(github_error(blocked).0, 405);
    assert_eq!(served.sim.write_count(), 0);
    served.stop().await;
}

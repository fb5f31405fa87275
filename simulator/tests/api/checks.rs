//! Check runs through octocrab's `checks()` handler.

use octocrab::{
    models::checks::CheckRun,
    params::{
        checks::{CheckRunConclusion, CheckRunOutput, CheckRunStatus},
        repos::Commitish,
    },
};
use serde_json::json;

use crate::helpers::{github_error, post, repo_path, send, serve, with_pull, OWNER, REPO};

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

#[actix_web::test]
async fn a_check_run_is_created_updated_and_listed_for_its_commit() {
    let served = serve(with_pull());
    let checks = served.octo.checks(OWNER, REPO);
    let created = checks
        .create_check_run("lint", HEAD)
        .external_id("job-42")
        .details_url("https://ci.example/42")
        .status(CheckRunStatus::InProgress)
        .send()
        .await
        .unwrap();
    assert_eq!(created.head_sha, HEAD);
    assert!(created.conclusion.is_none());
    assert_eq!(
        created.pull_requests.len(),
        1,
        "the open pull request with this head"
    );
    assert_eq!(created.pull_requests[0].number, 2);

    let done = checks
        .update_check_run(created.id)
        .conclusion(CheckRunConclusion::Failure)
        .output(CheckRunOutput {
            title: "2 problems".to_owned(),
            summary: "see the annotations".to_owned(),
            text: None,
            annotations: Vec::new(),
            images: Vec::new(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(done.conclusion.as_deref(), Some("failure"));
    assert!(done.completed_at.is_some());
    assert_eq!(done.output.title.as_deref(), Some("2 problems"));

    let read = checks.get_check_run(created.id).send().await.unwrap();
    assert_eq!(read.conclusion.as_deref(), Some("failure"));
    let requeued = checks
        .update_check_run(created.id)
        .status(CheckRunStatus::Queued)
        .send()
        .await
        .unwrap();
    assert!(requeued.conclusion.is_none() && requeued.completed_at.is_none());
    checks
        .update_check_run(created.id)
        .conclusion(CheckRunConclusion::Failure)
        .send()
        .await
        .unwrap();
    let raw = send(
        &served.sim,
        crate::helpers::get(&repo_path(&format!("/check-runs/{}", created.id))),
    )
    .await;
    assert_eq!(raw.json["external_id"], "job-42");
    assert_eq!(raw.json["status"], "completed");

    let listed = checks
        .list_check_runs_for_git_ref(Commitish("changes".to_owned()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.total_count, 1,
        "the branch resolves to the head commit"
    );
    assert_eq!(listed.check_runs[0].id, created.id);
    served.stop().await;
}

#[actix_web::test]
async fn the_list_keeps_the_latest_run_per_name_unless_asked_for_all() {
    let served = serve(with_pull());
    let checks = served.octo.checks(OWNER, REPO);
    for _ in 0..2 {
        checks.create_check_run("test", HEAD).send().await.unwrap();
    }
    let other = checks
        .create_check_run("build", HEAD)
        .status(CheckRunStatus::Completed)
        .conclusion(CheckRunConclusion::Success)
        .send()
        .await
        .unwrap();
    let latest = checks
        .list_check_runs_for_git_ref(Commitish(HEAD.to_owned()))
        .send()
        .await
        .unwrap();
    assert_eq!(latest.total_count, 2);
    assert_eq!(latest.check_runs[0].id, other.id, "newest first");
    let all: octocrab::models::checks::ListCheckRuns = served
        .octo
        .get(
            repo_path(&format!("/commits/{HEAD}/check-runs?filter=all")),
            None::<&()>,
        )
        .await
        .unwrap();
    assert_eq!(all.total_count, 3);
    let named: octocrab::models::checks::ListCheckRuns = served
        .octo
        .get(
            repo_path(&format!(
                "/commits/{HEAD}/check-runs?check_name=build&status=completed"
            )),
            None::<&()>,
        )
        .await
        .unwrap();
    assert_eq!(named.total_count, 1);
    served.stop().await;
}

#[actix_web::test]
async fn a_check_run_needs_a_name_a_known_commit_and_a_conclusion_when_completed() {
    let served = serve(with_pull());
    let missing = send(
        &served.sim,
        post(&repo_path("/check-runs"), json!({"head_sha": HEAD})),
    )
    .await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.json["errors"][0]["field"], "name");
    let error = served
        .octo
        .checks(OWNER, REPO)
        .create_check_run("x", "no-such-branch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        github_error(error),
        (422, "No commit found for SHA: no-such-branch".to_owned())
    );
    let body = json!({"name": "x", "head_sha": HEAD, "status": "completed"});
    let incomplete = send(&served.sim, post(&repo_path("/check-runs"), body)).await;
    assert_eq!(incomplete.json["errors"][0]["field"], "conclusion");
    let unknown: Result<CheckRun, _> = served
        .octo
        .get(repo_path("/check-runs/12345"), None::<&()>)
        .await;
    assert_eq!(github_error(unknown.unwrap_err()).0, 404);
    assert_eq!(served.sim.write_count(), 0);
    served.stop().await;
}

#[actix_web::test]
async fn a_full_sha_the_simulator_never_saw_is_adopted_as_a_commit() {
    let served = serve(with_pull());
    let sha = "1234567890abcdef1234567890abcdef12345678";
    served
        .octo
        .checks(OWNER, REPO)
        .create_check_run("ci", sha)
        .send()
        .await
        .unwrap();
    let commit = served.octo.commits(OWNER, REPO).get(sha).await.unwrap();
    assert_eq!(commit.sha, sha);
    served.stop().await;
}

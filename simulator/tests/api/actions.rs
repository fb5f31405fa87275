//! Actions: workflows seeded through the Rust API, dispatch, runs with their filters,
//! completion with per-job conclusions, re-runs, jobs and artifacts — all read back
//! through octocrab's `workflows()` and `actions()` handlers.

use gantry_simulator::RunOutcome;
use octocrab::models::{workflows::Conclusion, RunId};

use crate::helpers::{github_error, serve, with_pull, OWNER, REPO};

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const BASE: &str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";

#[actix_web::test]
async fn a_dispatched_workflow_queues_a_run_on_the_refs_head() {
    let served = serve(with_pull());
    let id = served
        .sim
        .add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let workflows = served.octo.workflows(OWNER, REPO);
    let listed = workflows.list().send().await.unwrap();
    assert_eq!(listed.total_count, Some(1));
    assert_eq!(listed.items[0].name, "CI");
    assert_eq!(listed.items[0].id.0, id);
    let by_file = workflows.get_workflow("ci.yml").await.unwrap();
    assert_eq!(by_file.path, ".github/workflows/ci.yml");

    served
        .octo
        .actions()
        .create_workflow_dispatch(OWNER, REPO, "ci.yml", "master")
        .send()
        .await
        .unwrap();

    let runs = workflows
        .list_all_runs()
        .event("workflow_dispatch")
        .status("queued")
        .send()
        .await
        .unwrap();
    assert_eq!(runs.items.len(), 1);
    let run = &runs.items[0];
    assert_eq!(
        (run.status.as_str(), run.event.as_str()),
        ("queued", "workflow_dispatch")
    );
    assert_eq!(run.head_branch, "master");
    assert_eq!(
        run.head_sha, BASE,
        "master is where the pull request's base was"
    );
    assert_eq!(run.workflow_id.0, id);
    assert_eq!(run.run_number, 1);
    let again = workflows.get(run.id).await.unwrap();
    assert_eq!(again.id, run.id);
    let per_workflow = workflows.list_runs(id.to_string()).send().await.unwrap();
    assert_eq!(per_workflow.items.len(), 1);
    served.stop().await;
}

#[actix_web::test]
async fn dispatching_an_unknown_workflow_is_a_404_and_an_unknown_ref_a_422() {
    let served = serve(with_pull());
    let id = served
        .sim
        .add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let actions = served.octo.actions();
    let error = actions
        .create_workflow_dispatch(OWNER, REPO, "nope.yml", "master")
        .send()
        .await
        .unwrap_err();
    assert_eq!(github_error(error).0, 404);
    for bad_ref in ["nope", HEAD] {
        let error = actions
            .create_workflow_dispatch(OWNER, REPO, "ci.yml", bad_ref)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            github_error(error),
            (422, format!("No ref found for: {bad_ref}"))
        );
    }
    assert!(served.sim.set_workflow_dispatch(OWNER, REPO, id, false));
    let error = actions
        .create_workflow_dispatch(OWNER, REPO, "ci.yml", "refs/heads/master")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        github_error(error),
        (
            422,
            "Workflow does not have 'workflow_dispatch' trigger".to_owned()
        )
    );
    assert_eq!(served.sim.write_count(), 0);
    served.stop().await;
}

#[actix_web::test]
async fn runs_are_filtered_by_head_sha_branch_event_and_conclusion() {
    let served = serve(with_pull());
    let sim = &served.sim;
    sim.add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let push = sim
        .trigger_workflow(OWNER, REPO, "ci.yml", "push", "master")
        .unwrap();
    let pull = sim
        .trigger_workflow(OWNER, REPO, "ci.yml", "pull_request", HEAD)
        .unwrap();
    assert!(sim
        .trigger_workflow(OWNER, REPO, "missing.yml", "push", "master")
        .is_none());
    assert!(sim.complete_run(OWNER, REPO, push, &RunOutcome::new("success")));

    let workflows = served.octo.workflows(OWNER, REPO);
    let by_sha = workflows
        .list_all_runs()
        .head_sha(HEAD)
        .send()
        .await
        .unwrap();
    assert_eq!(by_sha.items.len(), 1);
    assert_eq!(by_sha.items[0].id.0, pull);
    assert_eq!(by_sha.items[0].head_branch, "changes");
    let by_branch = workflows
        .list_all_runs()
        .branch("master")
        .send()
        .await
        .unwrap();
    assert_eq!(by_branch.items[0].id.0, push);
    let succeeded = workflows
        .list_all_runs()
        .status("success")
        .send()
        .await
        .unwrap();
    assert_eq!(succeeded.items.len(), 1);
    let newest_first = workflows.list_all_runs().send().await.unwrap();
    let ids: Vec<u64> = newest_first.items.iter().map(|r| r.id.0).collect();
    assert_eq!(ids, [pull, push]);
    served.stop().await;
}

#[actix_web::test]
async fn a_completed_run_reports_its_jobs_and_artifacts() {
    let served = serve(with_pull());
    let sim = &served.sim;
    sim.add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let run = sim
        .trigger_workflow(OWNER, REPO, "ci.yml", "push", "master")
        .unwrap();
    assert!(sim.start_run(OWNER, REPO, run));
    let outcome = RunOutcome::new("failure")
        .job("build", "success")
        .job("test", "failure")
        .artifact("coverage", 2048);
    assert!(sim.complete_run(OWNER, REPO, run, &outcome));
    assert!(!sim.complete_run(OWNER, REPO, run, &RunOutcome::new("exploded")));
    assert!(!sim.complete_run(OWNER, REPO, 1, &RunOutcome::new("success")));

    let workflows = served.octo.workflows(OWNER, REPO);
    let read = workflows.get(RunId(run)).await.unwrap();
    assert_eq!(read.status, "completed");
    assert_eq!(read.conclusion.as_deref(), Some("failure"));
    let jobs = workflows.list_jobs(RunId(run)).send().await.unwrap();
    let outcomes: Vec<(String, Option<Conclusion>)> = jobs
        .items
        .iter()
        .map(|j| (j.name.clone(), j.conclusion.clone()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("build".to_owned(), Some(Conclusion::Success)),
            ("test".to_owned(), Some(Conclusion::Failure)),
        ]
    );
    let artifacts = served
        .octo
        .actions()
        .list_workflow_run_artifacts(OWNER, REPO, RunId(run))
        .send()
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(artifacts.items.len(), 1);
    assert_eq!(artifacts.items[0].name, "coverage");
    assert_eq!(artifacts.items[0].size_in_bytes, 2048);
    served.stop().await;
}

#[actix_web::test]
async fn a_running_run_cannot_be_rerun_and_a_failed_one_reruns_only_its_failed_jobs() {
    let served = serve(with_pull());
    let sim = &served.sim;
    sim.add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let run = sim
        .trigger_workflow(OWNER, REPO, "ci.yml", "push", "master")
        .unwrap();
    let workflows = served.octo.workflows(OWNER, REPO);
    let error = workflows.rerun_run(RunId(run)).await.unwrap_err();
    assert_eq!(
        github_error(error),
        (403, "This workflow is already running".to_owned())
    );
    let outcome = RunOutcome::new("failure")
        .job("build", "success")
        .job("test", "failure");
    sim.complete_run(OWNER, REPO, run, &outcome);
    let writes = sim.write_count();

    workflows.rerun_failed_jobs(RunId(run)).await.unwrap();
    assert_eq!(sim.write_count(), writes + 1);
    let again = workflows.get(RunId(run)).await.unwrap();
    assert_eq!(again.status, "queued");
    assert!(again.conclusion.is_none());
    let jobs = workflows.list_jobs(RunId(run)).send().await.unwrap();
    let states: Vec<(&str, u32)> = jobs
        .items
        .iter()
        .map(|j| (j.name.as_str(), j.run_attempt))
        .collect();
    assert_eq!(states, [("build", 1), ("test", 2)]);

    sim.complete_run(OWNER, REPO, run, &RunOutcome::new("success"));
    let error = workflows.rerun_failed_jobs(RunId(run)).await.unwrap_err();
    assert_eq!(github_error(error).0, 403);
    workflows.rerun_run(RunId(run)).await.unwrap();
    let jobs = workflows.list_jobs(RunId(run)).send().await.unwrap();
    assert!(jobs
        .items
        .iter()
        .all(|j| j.run_attempt == 3 && j.conclusion.is_none()));
    served.stop().await;
}

#[actix_web::test]
async fn a_jobs_log_download_redirects_to_storage_with_the_seeded_text() {
    use crate::helpers::{get, post, repo_path, send};
    use actix_web::test::{call_and_read_body, init_service, TestRequest};
    let sim = with_pull();
    sim.add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let run = sim
        .trigger_workflow(OWNER, REPO, "ci.yml", "push", "master")
        .unwrap();
    let outcome = RunOutcome::new("failure")
        .job_with_log("test", "failure", "compiling\nerror: it broke\n")
        .job("build", "success");
    assert!(sim.complete_run(OWNER, REPO, run, &outcome));
    let jobs = send(&sim, get(&repo_path(&format!("/actions/runs/{run}/jobs"))))
        .await
        .json;
    let app = init_service(actix_web::App::new().configure(|cfg| sim.configure(cfg))).await;
    let mut logs = Vec::new();
    for job in jobs["jobs"].as_array().unwrap() {
        let id = job["id"].as_u64().unwrap();
        let found = send(&sim, get(&repo_path(&format!("/actions/jobs/{id}/logs")))).await;
        assert_eq!(found.status.as_u16(), 302, "{}", found.json);
        let location = found.header("location").unwrap();
        let path = location
            .split_once("/_log-storage")
            .map(|(_, rest)| format!("/_log-storage{rest}"))
            .unwrap();
        assert_eq!(path, format!("/_log-storage/{OWNER}/{REPO}/{id}"));
        let body = call_and_read_body(&app, TestRequest::get().uri(&path).to_request()).await;
        logs.push(String::from_utf8(body.to_vec()).unwrap());
    }
    assert_eq!(logs[0], "compiling\nerror: it broke\n");
    assert!(logs[1].starts_with('\u{feff}'), "{:?}", logs[1]);
    assert!(
        logs[1].ends_with("Job build finished: success\n"),
        "{:?}",
        logs[1]
    );
    assert!(sim.storage_requests().iter().all(|r| !r.authorization));

    let unknown = send(&sim, get(&repo_path("/actions/jobs/999999/logs"))).await;
    assert_eq!(unknown.status.as_u16(), 404);
    // A re-run queues the jobs again: a queued job has no log yet.
    let rerun = send(
        &sim,
        post(
            &repo_path(&format!("/actions/runs/{run}/rerun")),
            serde_json::json!({}),
        ),
    )
    .await;
    assert_eq!(rerun.status.as_u16(), 201, "{}", rerun.json);
    let jobs = send(&sim, get(&repo_path(&format!("/actions/runs/{run}/jobs"))))
        .await
        .json;
    let id = jobs["jobs"][0]["id"].as_u64().unwrap();
    let queued = send(&sim, get(&repo_path(&format!("/actions/jobs/{id}/logs")))).await;
    assert_eq!(queued.status.as_u16(), 404);
}

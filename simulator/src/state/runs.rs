//! Workflow runs over time, shared by the REST routes and the seeding API: creating a
//! run (a dispatch, or a trigger the seeding API simulates), starting it, completing
//! it with per-job conclusions and artifacts, and re-running it.

use chrono::Utc;

use super::{Artifact, Job, State, WorkflowRun};

/// Conclusions a run or job can end with (those octocrab's `Conclusion` knows).
pub(crate) const CONCLUSIONS: [&str; 7] = [
    "success",
    "failure",
    "neutral",
    "cancelled",
    "skipped",
    "timed_out",
    "action_required",
];

/// What a new run is for.
#[derive(Debug)]
pub(crate) struct NewRun {
    pub workflow_id: u64,
    pub event: String,
    pub head_branch: String,
    pub head_sha: String,
    pub actor: String,
}

/// Why a run cannot be re-run.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RerunError {
    /// The repository or run is unknown.
    NotFound,
    /// The run has not completed.
    Running,
    /// `rerun-failed-jobs` on a run without failed jobs.
    NothingFailed,
}

/// Adds a queued run of `new.workflow_id` and returns its id; `None` when the
/// repository is unknown.
pub(crate) fn create(state: &mut State, owner: &str, repo: &str, new: NewRun) -> Option<u64> {
    state.repo(owner, repo)?;
    let id = state.next_id();
    let kind = if new.actor.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    state.ensure_user(&new.actor, kind);
    let repo = state.repo_mut(owner, repo)?;
    let earlier = repo
        .runs
        .iter()
        .filter(|r| r.workflow_id == new.workflow_id)
        .count();
    let now = Utc::now();
    repo.runs.push(WorkflowRun {
        id,
        node_id: format!("WFR_sim{id}"),
        workflow_id: new.workflow_id,
        run_number: u64::try_from(earlier).unwrap_or(u64::MAX).saturating_add(1),
        run_attempt: 1,
        event: new.event,
        status: "queued".to_owned(),
        conclusion: None,
        head_branch: new.head_branch,
        head_sha: new.head_sha,
        actor: new.actor,
        created_at: now,
        updated_at: now,
        run_started_at: now,
        jobs: Vec::new(),
        artifacts: Vec::new(),
    });
    Some(id)
}

/// Moves a run and its unfinished jobs to `in_progress`; `false` when unknown.
pub(crate) fn start(state: &mut State, owner: &str, repo: &str, run_id: u64) -> bool {
    let Some(run) = run_mut(state, owner, repo, run_id) else {
        return false;
    };
    let now = Utc::now();
    run.status = "in_progress".to_owned();
    run.conclusion = None;
    run.updated_at = now;
    for job in run.jobs.iter_mut().filter(|j| j.completed_at.is_none()) {
        job.status = "in_progress".to_owned();
    }
    true
}

/// Completes a run with `conclusion`. Each `(name, conclusion, log)` in `jobs`
/// completes the job of that name with that log (`None`: a generated one), adding
/// it if new; jobs not named that are still unfinished
/// take the run's conclusion. `artifacts` (`(name, size)`) are added. `false` when the
/// repository or run is unknown. Conclusions are not checked here.
pub(crate) fn complete(
    state: &mut State,
    owner: &str,
    repo: &str,
    run_id: u64,
    conclusion: &str,
    jobs: &[(String, String, Option<String>)],
    artifacts: &[(String, u64)],
) -> bool {
    if run_mut(state, owner, repo, run_id).is_none() {
        return false;
    }
    let job_ids: Vec<u64> = jobs.iter().map(|_| state.next_id()).collect();
    let artifact_ids: Vec<u64> = artifacts.iter().map(|_| state.next_id()).collect();
    let Some(run) = run_mut(state, owner, repo, run_id) else {
        return false;
    };
    let now = Utc::now();
    for ((name, job_conclusion, log), id) in jobs.iter().zip(job_ids) {
        let attempt = run.run_attempt;
        let job = match run.jobs.iter().position(|j| &j.name == name) {
            Some(index) => run.jobs.get_mut(index),
            None => {
                run.jobs.push(Job {
                    id,
                    node_id: format!("CR_sim{id}"),
                    name: name.clone(),
                    status: "queued".to_owned(),
                    conclusion: None,
                    run_attempt: attempt,
                    started_at: now,
                    completed_at: None,
                    log: None,
                });
                run.jobs.last_mut()
            }
        };
        if let Some(job) = job {
            job.status = "completed".to_owned();
            job.conclusion = Some(job_conclusion.clone());
            job.completed_at = Some(now);
            job.log.clone_from(log);
        }
    }
    for job in run.jobs.iter_mut().filter(|j| j.completed_at.is_none()) {
        job.status = "completed".to_owned();
        job.conclusion = Some(conclusion.to_owned());
        job.completed_at = Some(now);
    }
    for ((name, size), id) in artifacts.iter().zip(artifact_ids) {
        run.artifacts.push(Artifact {
            id,
            node_id: format!("MDg6QXJ0aWZhY3Q{id}"),
            name: name.clone(),
            size_in_bytes: *size,
            created_at: now,
            expired: false,
        });
    }
    run.status = "completed".to_owned();
    run.conclusion = Some(conclusion.to_owned());
    run.updated_at = now;
    true
}

/// Starts another attempt of a completed run: every job again, or only the failed
/// ones (`failed_only`), each as a new queued job; the run is queued again.
pub(crate) fn rerun(
    state: &mut State,
    owner: &str,
    repo: &str,
    run_id: u64,
    failed_only: bool,
) -> Result<(), RerunError> {
    let run = run_mut(state, owner, repo, run_id).ok_or(RerunError::NotFound)?;
    if !run.is_completed() {
        return Err(RerunError::Running);
    }
    let again: Vec<usize> = run
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| !failed_only || j.failed())
        .map(|(i, _)| i)
        .collect();
    let nothing_failed = failed_only && !run.jobs.is_empty() && again.is_empty();
    let only_success = failed_only && run.conclusion.as_deref() == Some("success");
    if nothing_failed || only_success {
        return Err(RerunError::NothingFailed);
    }
    let ids: Vec<u64> = again.iter().map(|_| state.next_id()).collect();
    let run = run_mut(state, owner, repo, run_id).ok_or(RerunError::NotFound)?;
    let now = Utc::now();
    run.run_attempt = run.run_attempt.saturating_add(1);
    for (index, id) in again.into_iter().zip(ids) {
        if let Some(job) = run.jobs.get_mut(index) {
            *job = Job {
                id,
                node_id: format!("CR_sim{id}"),
                name: job.name.clone(),
                status: "queued".to_owned(),
                conclusion: None,
                run_attempt: run.run_attempt,
                started_at: now,
                completed_at: None,
                log: None,
            };
        }
    }
    run.status = "queued".to_owned();
    run.conclusion = None;
    run.updated_at = now;
    run.run_started_at = now;
    Ok(())
}

/// Run `run_id` of a repository, for changing it.
fn run_mut<'a>(
    state: &'a mut State,
    owner: &str,
    repo: &str,
    run_id: u64,
) -> Option<&'a mut WorkflowRun> {
    state
        .repo_mut(owner, repo)?
        .runs
        .iter_mut()
        .find(|r| r.id == run_id)
}

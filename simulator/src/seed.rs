//! The Rust API for seeding and driving the simulator from tests and the sandbox:
//! Actions workflows and their runs (so tests can play CI: trigger, start, complete
//! with per-job conclusions), a pull request's changed files and mergeability, and
//! the rate limit. The same operations are served under `/_simulator` (see
//! `routes::control`). Every change is saved like learning is.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::{
    state::{
        runs::{self, NewRun, CONCLUSIONS},
        PullFileDef, State, Workflow,
    },
    Simulator,
};

/// How a workflow run ends, for [`Simulator::complete_run`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOutcome {
    /// `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out` or
    /// `action_required`.
    pub conclusion: String,
    /// Jobs and how each ended; jobs not named that are still unfinished take the
    /// run's conclusion.
    #[serde(default)]
    pub jobs: Vec<JobOutcome>,
    /// Artifacts the run uploaded.
    #[serde(default)]
    pub artifacts: Vec<RunArtifact>,
}

/// One job of a [`RunOutcome`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobOutcome {
    /// The job's name, e.g. `test`.
    pub name: String,
    /// One of the conclusions [`RunOutcome::conclusion`] accepts.
    pub conclusion: String,
    /// Its plain-text log, served through `GET .../actions/jobs/{id}/logs`; a
    /// short generated one when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

/// One artifact of a [`RunOutcome`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunArtifact {
    /// The artifact's name, e.g. `coverage`.
    pub name: String,
    /// Its size.
    #[serde(default)]
    pub size_in_bytes: u64,
}

impl RunOutcome {
    /// A run that ended with `conclusion`, with no jobs or artifacts named yet.
    pub fn new(conclusion: &str) -> Self {
        Self {
            conclusion: conclusion.to_owned(),
            ..Self::default()
        }
    }

    /// Adds a job that ended with `conclusion`.
    #[must_use]
    pub fn job(mut self, name: &str, conclusion: &str) -> Self {
        self.jobs.push(JobOutcome {
            name: name.to_owned(),
            conclusion: conclusion.to_owned(),
            log: None,
        });
        self
    }

    /// Adds a job that ended with `conclusion` and wrote `log`.
    #[must_use]
    pub fn job_with_log(mut self, name: &str, conclusion: &str, log: &str) -> Self {
        self.jobs.push(JobOutcome {
            name: name.to_owned(),
            conclusion: conclusion.to_owned(),
            log: Some(log.to_owned()),
        });
        self
    }

    /// Adds an artifact.
    #[must_use]
    pub fn artifact(mut self, name: &str, size_in_bytes: u64) -> Self {
        self.artifacts.push(RunArtifact {
            name: name.to_owned(),
            size_in_bytes,
        });
        self
    }

    /// The first field holding a conclusion GitHub does not use, if any.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        let known = |c: &str| CONCLUSIONS.contains(&c);
        if !known(&self.conclusion) {
            Some("conclusion")
        } else if self.jobs.iter().any(|j| !known(&j.conclusion)) {
            Some("jobs")
        } else {
            None
        }
    }
}

/// One changed file of a pull request, for [`Simulator::set_pull_files`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullFile {
    /// Path of the file, e.g. `src/lib.rs`.
    pub filename: String,
    /// `added`, `removed`, `modified` (the default), `renamed`, `copied`, `changed`
    /// or `unchanged`.
    #[serde(default = "modified")]
    pub status: String,
    /// Lines added.
    #[serde(default)]
    pub additions: u64,
    /// Lines deleted.
    #[serde(default)]
    pub deletions: u64,
    /// The unified diff of the file, if any.
    #[serde(default)]
    pub patch: Option<String>,
    /// The old path of a renamed file.
    #[serde(default)]
    pub previous_filename: Option<String>,
}

fn modified() -> String {
    "modified".to_owned()
}

impl PullFile {
    /// A modified file with these line counts.
    pub fn modified(filename: &str, additions: u64, deletions: u64) -> Self {
        Self {
            filename: filename.to_owned(),
            status: modified(),
            additions,
            deletions,
            patch: None,
            previous_filename: None,
        }
    }
}

impl Simulator {
    /// Runs `change` on the state and saves it when it reports a change.
    fn change<T>(&self, change: impl FnOnce(&mut State) -> T, changed: impl Fn(&T) -> bool) -> T {
        let out = change(&mut self.lock());
        if changed(&out) {
            self.save();
        }
        out
    }

    /// Adds an Actions workflow file (with a `workflow_dispatch` trigger declaring no
    /// inputs: [`Simulator::set_workflow_inputs`]) at `path`,
    /// e.g. `.github/workflows/ci.yml`, creating the repository if it is unknown. A
    /// workflow already at `path` keeps its id and takes the new name. Returns the id.
    pub fn add_workflow(&self, owner: &str, repo: &str, path: &str, name: &str) -> u64 {
        self.change(
            |state| {
                if state.repo(owner, repo).is_none() {
                    crate::learn::ensure_repo(state, owner, repo);
                }
                let id = state.next_id();
                let Some(known) = state.repo_mut(owner, repo) else {
                    return id;
                };
                let now = Utc::now();
                if let Some(existing) = known.workflows.iter_mut().find(|w| w.path == path) {
                    existing.name = name.to_owned();
                    existing.updated_at = now;
                    return existing.id;
                }
                known.workflows.push(Workflow {
                    id,
                    node_id: format!("W_sim{id}"),
                    name: name.to_owned(),
                    path: path.to_owned(),
                    dispatchable: true,
                    inputs: Vec::new(),
                    created_at: now,
                    updated_at: now,
                });
                id
            },
            |_| true,
        )
    }

    /// Gives a workflow a `workflow_dispatch` trigger or takes it away (dispatching it
    /// is then a 422); `false` when the repository or workflow is unknown.
    pub fn set_workflow_dispatch(
        &self,
        owner: &str,
        repo: &str,
        workflow_id: u64,
        enabled: bool,
    ) -> bool {
        self.change(
            |state| {
                let Some(w) = state
                    .repo_mut(owner, repo)
                    .and_then(|r| r.workflows.iter_mut().find(|w| w.id == workflow_id))
                else {
                    return false;
                };
                w.dispatchable = enabled;
                true
            },
            |changed| *changed,
        )
    }

    /// Declares the inputs of a workflow's `workflow_dispatch` trigger (none by
    /// default): a dispatch giving any other input is refused with GitHub's 422
    /// `Unexpected inputs provided: [...]`. `false` when the repository or workflow
    /// is unknown.
    pub fn set_workflow_inputs(
        &self,
        owner: &str,
        repo: &str,
        workflow_id: u64,
        inputs: &[&str],
    ) -> bool {
        self.change(
            |state| {
                let Some(w) = state
                    .repo_mut(owner, repo)
                    .and_then(|r| r.workflows.iter_mut().find(|w| w.id == workflow_id))
                else {
                    return false;
                };
                w.inputs = inputs.iter().map(|i| (*i).to_owned()).collect();
                true
            },
            |changed| *changed,
        )
    }

    /// Queues a run of `workflow` (an id or a file name such as `ci.yml`) as GitHub
    /// would for `event` (`push`, `pull_request`, ...) at `git_ref`: a branch, a tag
    /// or a commit SHA (a pull request's head SHA runs on its head branch). Returns the
    /// run's id; `None` when the repository, workflow or ref is unknown.
    pub fn trigger_workflow(
        &self,
        owner: &str,
        repo: &str,
        workflow: &str,
        event: &str,
        git_ref: &str,
    ) -> Option<u64> {
        self.change(
            |state| {
                let known = state.repo_mut(owner, repo)?;
                let workflow_id = known.workflows.iter().find(|w| w.is_named(workflow))?.id;
                let actor = known.owner.clone();
                let (head_branch, head_sha) = run_target(known, git_ref)?;
                let new = NewRun {
                    workflow_id,
                    event: event.to_owned(),
                    head_branch,
                    head_sha,
                    actor,
                };
                runs::create(state, owner, repo, new)
            },
            Option::is_some,
        )
    }

    /// Moves a queued run to `in_progress`; `false` when it is unknown.
    pub fn start_run(&self, owner: &str, repo: &str, run_id: u64) -> bool {
        self.change(|state| runs::start(state, owner, repo, run_id), |c| *c)
    }

    /// Completes a run as `outcome` says (see [`RunOutcome`]); `false` when the
    /// repository or run is unknown or a conclusion is not one GitHub uses.
    pub fn complete_run(&self, owner: &str, repo: &str, run_id: u64, outcome: &RunOutcome) -> bool {
        if outcome.problem().is_some() {
            return false;
        }
        let jobs: Vec<(String, String, Option<String>)> = outcome
            .jobs
            .iter()
            .map(|j| (j.name.clone(), j.conclusion.clone(), j.log.clone()))
            .collect();
        let artifacts: Vec<(String, u64)> = outcome
            .artifacts
            .iter()
            .map(|a| (a.name.clone(), a.size_in_bytes))
            .collect();
        self.change(
            |state| {
                runs::complete(
                    state,
                    owner,
                    repo,
                    run_id,
                    &outcome.conclusion,
                    &jobs,
                    &artifacts,
                )
            },
            |c| *c,
        )
    }

    /// Sets the changed files `GET /pulls/{n}/files` lists; `false` when the pull
    /// request is unknown.
    pub fn set_pull_files(&self, owner: &str, repo: &str, number: u64, files: &[PullFile]) -> bool {
        self.change(
            |state| {
                let Some(pull) = state
                    .repo_mut(owner, repo)
                    .and_then(|r| r.issues.get_mut(&number))
                    .and_then(|i| i.pull.as_mut())
                else {
                    return false;
                };
                pull.files = files
                    .iter()
                    .map(|f| PullFileDef {
                        filename: f.filename.clone(),
                        status: f.status.clone(),
                        additions: f.additions,
                        deletions: f.deletions,
                        patch: f.patch.clone(),
                        previous_filename: f.previous_filename.clone(),
                    })
                    .collect();
                true
            },
            |c| *c,
        )
    }

    /// Marks a pull request mergeable or not (`None`: mergeable while open, the
    /// default); `false` when it is unknown.
    pub fn set_mergeable(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        mergeable: Option<bool>,
    ) -> bool {
        self.change(
            |state| {
                let Some(pull) = state
                    .repo_mut(owner, repo)
                    .and_then(|r| r.issues.get_mut(&number))
                    .and_then(|i| i.pull.as_mut())
                else {
                    return false;
                };
                pull.mergeable = mergeable;
                true
            },
            |c| *c,
        )
    }

    /// Changes how many requests an hour-long window allows (5000 by default); once
    /// they are used up, requests get GitHub's primary rate-limit 403 until the window
    /// resets. Not saved.
    pub fn set_rate_limit(&self, limit: u64) {
        self.control().set_rate_limit(limit);
    }

    /// The commit a branch points at; `None` when the repository or branch is unknown.
    pub fn branch_head(&self, owner: &str, repo: &str, branch: &str) -> Option<String> {
        let mut state = self.lock();
        let git = state.repo_mut(owner, repo)?.git_mut();
        git.branch(branch).map(str::to_owned)
    }
}

/// The branch (or tag) name and commit a run at `git_ref` is for.
fn run_target(repo: &mut crate::state::Repo, git_ref: &str) -> Option<(String, String)> {
    let by_pull = repo.issues.values().find_map(|i| {
        i.pull
            .as_ref()
            .filter(|p| p.head_sha.eq_ignore_ascii_case(git_ref))
            .map(|p| p.head_ref.clone())
    });
    let default = repo.default_branch.clone();
    let git = repo.git_mut();
    let short = git_ref
        .strip_prefix("refs/heads/")
        .or_else(|| git_ref.strip_prefix("refs/tags/"))
        .unwrap_or(git_ref);
    if git.branch(short).is_some() || git.refs.contains_key(&format!("refs/tags/{short}")) {
        return Some((short.to_owned(), git.resolve(git_ref)?));
    }
    let sha = git.commit_for_write(git_ref, Utc::now())?;
    let on_branch = git
        .refs
        .iter()
        .find(|(name, head)| name.starts_with("refs/heads/") && **head == sha)
        .and_then(|(name, _)| name.strip_prefix("refs/heads/"))
        .map(str::to_owned);
    Some((by_pull.or(on_branch).unwrap_or(default), sha))
}

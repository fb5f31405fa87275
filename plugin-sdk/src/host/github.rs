//! Typed GitHub calls on the event's repository (WIT interface `github`).
//!
//! Every call returns the SDK's [`Error`]; every write returns [`crate::Written`], which
//! says whether it was done or held for a maintainer's approval (not an error). The
//! records and enums these calls take and give are re-exported from the generated
//! bindings, and so is every WIT function this module does not wrap yet: a call
//! added to `wit/v0.2/github.wit` is reachable here as generated, answering
//! `Result<_, HostError>`, which `?` turns into [`Error`].
//!
//! Each function names the capability it needs; see `wit/v0.2/github.wit`.
use crate::bindings::gantry::plugin::github as wit;
pub use crate::bindings::gantry::plugin::github::*;
use crate::Error;

/// Calls `wit::$f` through the host seam (see `host::call`), recording the
/// arguments by name under the WIT function's name.
macro_rules! host_call {
    ($name:literal, $f:ident($($arg:ident),*)) => {
        super::call($name, || super::args(&[$((stringify!($arg), super::arg(&$arg))),*]), || {
            wit::$f($($arg),*)
        })
    };
}

fn read<T>(answer: Result<T, HostError>) -> Result<T, Error> {
    answer.map_err(Error::from)
}

fn write<W: Into<crate::Written<T>>, T>(
    answer: Result<W, HostError>,
) -> Result<crate::Written<T>, Error> {
    answer.map(Into::into).map_err(Error::from)
}

/// Reads an issue or pull request. Needs `issues:read`.
///
/// # Errors
/// The host's refusal or GitHub's (`not-found` when there is no such issue).
pub fn get_issue(repo: &Repo, number: u64) -> Result<Issue, Error> {
    read(host_call!("get-issue", get_issue(repo, number)))
}

/// Reads a pull request. Needs `pull_requests:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn get_pull_request(repo: &Repo, number: u64) -> Result<PullRequest, Error> {
    read(host_call!(
        "get-pull-request",
        get_pull_request(repo, number)
    ))
}

/// The files a pull request changes, with their status, line counts and patch,
/// every page (GitHub lists at most 3,000). Needs `pull_requests:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn list_pull_request_files(repo: &Repo, number: u64) -> Result<Vec<PullRequestFile>, Error> {
    read(host_call!(
        "list-pull-request-files",
        list_pull_request_files(repo, number)
    ))
}

/// The owners of each of `paths`, in order, by the ownership files on the
/// repository's default branch (never a pull request's): Prow's `OWNERS` where one
/// covers the path, else `CODEOWNERS`, whose owners are approvers and reviewers
/// both. Without such files every path has no owners (empty lists, empty
/// `decided_by`). Needs `contents:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn get_owners(repo: &Repo, paths: &[String]) -> Result<Vec<PathOwners>, Error> {
    read(host_call!("get-owners", get_owners(repo, paths)))
}

/// A user's permission on the repository. Needs `issues:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn get_permission(repo: &Repo, user: &str) -> Result<Permission, Error> {
    read(host_call!("get-permission", get_permission(repo, user)))
}

/// Comments on an issue or pull request; done with the comment's id. Needs
/// `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn create_comment(repo: &Repo, number: u64, body: &str) -> Result<crate::Written<u64>, Error> {
    write(host_call!(
        "create-comment",
        create_comment(repo, number, body)
    ))
}

/// Replaces a comment's body. Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's (`not-found` when the comment is gone).
pub fn update_comment(
    repo: &Repo,
    comment_id: u64,
    body: &str,
) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "update-comment",
        update_comment(repo, comment_id, body)
    ))
}

/// Reacts to a comment (`+1`, `-1`, `laugh`, `confused`, `heart`, `hooray`,
/// `rocket`, `eyes`). Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn add_reaction(
    repo: &Repo,
    comment_id: u64,
    content: &str,
) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "add-reaction",
        add_reaction(repo, comment_id, content)
    ))
}

/// Adds labels; done with every label afterwards. Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn add_labels(
    repo: &Repo,
    number: u64,
    labels: &[String],
) -> Result<crate::Written<Vec<String>>, Error> {
    write(host_call!("add-labels", add_labels(repo, number, labels)))
}

/// Removes one label (one that is not there is not an error). Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn remove_label(repo: &Repo, number: u64, label: &str) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "remove-label",
        remove_label(repo, number, label)
    ))
}

/// Adds assignees; done with the assignees afterwards. Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn add_assignees(
    repo: &Repo,
    number: u64,
    users: &[String],
) -> Result<crate::Written<Vec<String>>, Error> {
    write(host_call!(
        "add-assignees",
        add_assignees(repo, number, users)
    ))
}

/// Removes assignees; done with the assignees afterwards. Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn remove_assignees(
    repo: &Repo,
    number: u64,
    users: &[String],
) -> Result<crate::Written<Vec<String>>, Error> {
    write(host_call!(
        "remove-assignees",
        remove_assignees(repo, number, users)
    ))
}

/// Opens or closes an issue or pull request. Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn set_state(repo: &Repo, number: u64, state: IssueState) -> Result<crate::Written<()>, Error> {
    write(host_call!("set-state", set_state(repo, number, state)))
}

/// Changes a title. Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn set_title(repo: &Repo, number: u64, title: &str) -> Result<crate::Written<()>, Error> {
    write(host_call!("set-title", set_title(repo, number, title)))
}

/// Sets or clears (`None`) the milestone, by its number. Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn set_milestone(
    repo: &Repo,
    number: u64,
    milestone: Option<u64>,
) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "set-milestone",
        set_milestone(repo, number, milestone)
    ))
}

/// The milestones in `state` (`open`, `closed` or `all`). Needs `issues:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn list_milestones(repo: &Repo, state: &str) -> Result<Vec<Milestone>, Error> {
    read(host_call!("list-milestones", list_milestones(repo, state)))
}

/// Requests reviews. Needs `pull_requests:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn request_reviewers(
    repo: &Repo,
    number: u64,
    users: &[String],
) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "request-reviewers",
        request_reviewers(repo, number, users)
    ))
}

/// Withdraws review requests. Needs `pull_requests:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn remove_reviewers(
    repo: &Repo,
    number: u64,
    users: &[String],
) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "remove-reviewers",
        remove_reviewers(repo, number, users)
    ))
}

/// Creates a check run; done with its id. Needs `checks:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn create_check_run(repo: &Repo, run: &CheckRun) -> Result<crate::Written<u64>, Error> {
    write(host_call!("create-check-run", create_check_run(repo, run)))
}

/// Changes a check run. Needs `checks:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn update_check_run(repo: &Repo, id: u64, run: &CheckRun) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "update-check-run",
        update_check_run(repo, id, run)
    ))
}

/// Sets a commit status under `context`. Needs `statuses:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn create_status(
    repo: &Repo,
    sha: &str,
    state: StatusState,
    context: &str,
    description: &str,
    target_url: Option<&str>,
) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "create-status",
        create_status(repo, sha, state, context, description, target_url)
    ))
}

/// Starts a `workflow_dispatch` workflow on a branch or tag, with inputs as a JSON
/// object. Needs `actions:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn dispatch_workflow(
    repo: &Repo,
    workflow: &str,
    git_ref: &str,
    inputs: &str,
) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "dispatch-workflow",
        dispatch_workflow(repo, workflow, git_ref, inputs)
    ))
}

/// Workflow runs on a commit, newest first. Needs `actions:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn list_workflow_runs(repo: &Repo, head_sha: &str) -> Result<Vec<WorkflowRun>, Error> {
    read(host_call!(
        "list-workflow-runs",
        list_workflow_runs(repo, head_sha)
    ))
}

/// Re-runs a whole workflow run. Needs `actions:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn rerun_workflow(repo: &Repo, run_id: u64) -> Result<crate::Written<()>, Error> {
    write(host_call!("rerun-workflow", rerun_workflow(repo, run_id)))
}

/// Re-runs the failed jobs of a workflow run. Needs `actions:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn rerun_failed_jobs(repo: &Repo, run_id: u64) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "rerun-failed-jobs",
        rerun_failed_jobs(repo, run_id)
    ))
}

/// Creates a release. Needs `contents:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn create_release(repo: &Repo, release: &NewRelease) -> Result<crate::Written<Release>, Error> {
    write(host_call!("create-release", create_release(repo, release)))
}

/// Publishes a draft release. Needs `contents:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn publish_release(repo: &Repo, release_id: u64) -> Result<crate::Written<Release>, Error> {
    write(host_call!(
        "publish-release",
        publish_release(repo, release_id)
    ))
}

/// The release of a tag, if there is one. Needs `contents:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn get_release_by_tag(repo: &Repo, tag: &str) -> Result<Option<Release>, Error> {
    read(host_call!(
        "get-release-by-tag",
        get_release_by_tag(repo, tag)
    ))
}

/// Uploads a release asset; done with the asset's id. Needs `contents:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn upload_release_asset(
    repo: &Repo,
    release_id: u64,
    name: &str,
    content_type: &str,
    data: &[u8],
) -> Result<crate::Written<u64>, Error> {
    write(host_call!(
        "upload-release-asset",
        upload_release_asset(repo, release_id, name, content_type, data)
    ))
}

/// The artifacts a workflow run uploaded. Needs `actions:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn list_run_artifacts(repo: &Repo, run_id: u64) -> Result<Vec<Artifact>, Error> {
    read(host_call!(
        "list-run-artifacts",
        list_run_artifacts(repo, run_id)
    ))
}

/// Copies a workflow run's artifact into a release as the asset `name`; done with
/// the asset's id. Needs `contents:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn copy_artifact_to_release(
    repo: &Repo,
    artifact_id: u64,
    release_id: u64,
    name: &str,
) -> Result<crate::Written<u64>, Error> {
    write(host_call!(
        "copy-artifact-to-release",
        copy_artifact_to_release(repo, artifact_id, release_id, name)
    ))
}

/// Reads a file at a branch, tag or commit (the default branch when `None`);
/// `None` when it does not exist. Needs `contents:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn get_file(repo: &Repo, path: &str, at: Option<&str>) -> Result<Option<File>, Error> {
    read(host_call!("get-file", get_file(repo, path, at)))
}

/// Creates or updates a file on a branch with a commit (`sha`: the blob replaced,
/// `None` to create); done with the commit's SHA. Needs `contents:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn put_file(
    repo: &Repo,
    path: &str,
    branch: &str,
    message: &str,
    content: &[u8],
    sha: Option<&str>,
) -> Result<crate::Written<String>, Error> {
    write(host_call!(
        "put-file",
        put_file(repo, path, branch, message, content, sha)
    ))
}

/// The commit a ref (`heads/main`, `tags/v1.0.0`) points at; `None` when it does
/// not exist. Needs `contents:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn get_ref(repo: &Repo, git_ref: &str) -> Result<Option<String>, Error> {
    read(host_call!("get-ref", get_ref(repo, git_ref)))
}

/// Creates a ref (`refs/heads/x`, `refs/tags/v1`) at a commit. Needs
/// `contents:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn create_ref(repo: &Repo, git_ref: &str, sha: &str) -> Result<crate::Written<()>, Error> {
    write(host_call!("create-ref", create_ref(repo, git_ref, sha)))
}

/// Moves a ref to a commit (`force` for a move that is not a fast-forward). Needs
/// `contents:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn update_ref(
    repo: &Repo,
    git_ref: &str,
    sha: &str,
    force: bool,
) -> Result<crate::Written<()>, Error> {
    write(host_call!(
        "update-ref",
        update_ref(repo, git_ref, sha, force)
    ))
}

/// Opens an issue; done with the issue. Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn create_issue(repo: &Repo, issue: &NewIssue) -> Result<crate::Written<Issue>, Error> {
    write(host_call!("create-issue", create_issue(repo, issue)))
}

/// Changes an issue or pull request; done with it afterwards. Needs `issues:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn update_issue(
    repo: &Repo,
    number: u64,
    update: &IssueUpdate,
) -> Result<crate::Written<Issue>, Error> {
    write(host_call!(
        "update-issue",
        update_issue(repo, number, update)
    ))
}

/// Opens a pull request from a branch of the event's repository; done with it.
/// Needs `pull_requests:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn create_pull_request(
    repo: &Repo,
    pull: &NewPullRequest,
) -> Result<crate::Written<PullRequest>, Error> {
    write(host_call!(
        "create-pull-request",
        create_pull_request(repo, pull)
    ))
}

/// Merges a pull request if its head is still `merge.sha`; done with the merge
/// commit's SHA. Needs `pull_requests:merge` (held for approval by default).
///
/// # Errors
/// The host's refusal or GitHub's (`rejected` when the head moved or it cannot be
/// merged).
pub fn merge_pull_request(
    repo: &Repo,
    number: u64,
    merge: &MergeRequest,
) -> Result<crate::Written<String>, Error> {
    write(host_call!(
        "merge-pull-request",
        merge_pull_request(repo, number, merge)
    ))
}

/// Submits a review with line comments; done with its id. Needs
/// `pull_requests:write`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn create_review(
    repo: &Repo,
    number: u64,
    review: &NewReview,
) -> Result<crate::Written<u64>, Error> {
    write(host_call!(
        "create-review",
        create_review(repo, number, review)
    ))
}

/// Changes a pull request's title, body, base or state; done with it afterwards.
/// Needs `pull_requests:write`. Draft cannot be changed (GitHub's REST API cannot).
///
/// # Errors
/// The host's refusal or GitHub's (`rejected` for an unknown base).
pub fn update_pull_request(
    repo: &Repo,
    number: u64,
    update: &PullRequestUpdate,
) -> Result<crate::Written<PullRequest>, Error> {
    write(host_call!(
        "update-pull-request",
        update_pull_request(repo, number, update)
    ))
}

/// A pull request's commits, oldest first (at most 250). Needs `pull_requests:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn list_pull_request_commits(repo: &Repo, number: u64) -> Result<Vec<CommitSummary>, Error> {
    read(host_call!(
        "list-pull-request-commits",
        list_pull_request_commits(repo, number)
    ))
}

/// The commits and files `head` adds to `base` (branches, tags or commits). Needs
/// `contents:read`.
///
/// # Errors
/// The host's refusal or GitHub's (`not-found` when either does not exist).
pub fn compare(repo: &Repo, base: &str, head: &str) -> Result<Comparison, Error> {
    read(host_call!("compare", compare(repo, base, head)))
}

/// The line comments of a pull request's reviews, oldest first. Needs
/// `pull_requests:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn list_review_comments(repo: &Repo, number: u64) -> Result<Vec<ReviewComment>, Error> {
    read(host_call!(
        "list-review-comments",
        list_review_comments(repo, number)
    ))
}

/// Searches the event's repository's issues and pull requests (GitHub's search
/// syntax; the host adds `repo:OWNER/NAME`). Needs `issues:read`.
///
/// # Errors
/// The host's refusal (`invalid` for a query naming another scope) or GitHub's.
pub fn search_issues(repo: &Repo, query: &str) -> Result<SearchResult, Error> {
    read(host_call!("search-issues", search_issues(repo, query)))
}

/// The combined status of a branch, tag or commit. Needs `statuses:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn get_combined_status(repo: &Repo, git_ref: &str) -> Result<CombinedStatus, Error> {
    read(host_call!(
        "get-combined-status",
        get_combined_status(repo, git_ref)
    ))
}

/// The check runs on a branch, tag or commit. Needs `checks:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn list_check_runs(repo: &Repo, git_ref: &str) -> Result<Vec<CheckRunInfo>, Error> {
    read(host_call!(
        "list-check-runs",
        list_check_runs(repo, git_ref)
    ))
}

/// One workflow run by its id; `None` when there is none. Needs `actions:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn get_workflow_run(repo: &Repo, run_id: u64) -> Result<Option<WorkflowRun>, Error> {
    read(host_call!(
        "get-workflow-run",
        get_workflow_run(repo, run_id)
    ))
}

/// The jobs of a workflow run's latest attempt, each with the last `max_bytes`
/// bytes of its log (cut to start at a line); `None` when there is no such run.
/// The host bounds the cap per job and for all logs together (failed jobs are
/// read first) and sets `truncated` where a log was cut or left out. Needs
/// `actions:read`.
///
/// # Errors
/// The host's refusal or GitHub's.
pub fn get_workflow_run_logs(
    repo: &Repo,
    run_id: u64,
    max_bytes: u64,
) -> Result<Option<WorkflowRunLogs>, Error> {
    read(host_call!(
        "get-workflow-run-logs",
        get_workflow_run_logs(repo, run_id, max_bytes)
    ))
}

/// Creates branch `name` at commit `sha`. Needs `contents:write`; the policy's
/// branch conditions see `name`.
///
/// # Errors
/// The host's refusal or GitHub's (`rejected` when it exists).
pub fn create_branch(repo: &Repo, name: &str, sha: &str) -> Result<crate::Written<()>, Error> {
    write(host_call!("create-branch", create_branch(repo, name, sha)))
}

/// Deletes branch `name`. Needs `contents:write`; the policy's branch conditions
/// see `name`.
///
/// # Errors
/// The host's refusal or GitHub's (`rejected` when it does not exist).
pub fn delete_branch(repo: &Repo, name: &str) -> Result<crate::Written<()>, Error> {
    write(host_call!("delete-branch", delete_branch(repo, name)))
}

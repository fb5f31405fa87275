//! The current `github` interface as plugins see it. Reads answer as the calls in
//! `github.rs` do. Every write answers a `written` value that says whether it was
//! done or is held for a maintainer's approval: being held is not an error (see
//! `host::written`). The calls new in v0.2 are in `issues`, `pulls`,
//! `branches`, `diffs`, `reads`, `logs` and `owners`.
use super::super::super::bindings::gantry::plugin::github::{
    Artifact, CheckRun, CheckRunInfo, CombinedStatus, CommitSummary, Comparison, File, Host, Issue,
    IssueState, IssueUpdate, MergeRequest, Milestone, NewIssue, NewPullRequest, NewRelease,
    NewReview, PathOwners, PullRequest, PullRequestFile, PullRequestUpdate, Release, ReviewComment,
    SearchResult, StatusState, WorkflowRun, WorkflowRunLogs, WrittenIssue, WrittenPullRequest,
    WrittenRelease,
};
use super::super::super::bindings::gantry::plugin::types::{
    Permission, Written, WrittenId, WrittenNames, WrittenSha,
};
use super::super::super::bindings::Repo;
use super::super::CallData;
use super::HostResult;

/// Reads, answered by the calls in `github.rs`.
macro_rules! reads {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        async fn $name(&mut self, $($arg: $ty),*) -> HostResult<$ret> {
            CallData::$name(self, $($arg),*).await
        }
    )*};
}

/// Writes, done by the calls in `github.rs` and answered done or held (`host::written`).
macro_rules! writes {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) -> $written:ty;)*) => {$(
        async fn $name(&mut self, $($arg: $ty),*) -> HostResult<$written> {
            self.start_write();
            let answer = CallData::$name(self, $($arg),*).await;
            self.written(answer)
        }
    )*};
}

impl Host for CallData {
    reads! {
        fn get_issue(repo: Repo, number: u64) -> Issue;
        fn get_pull_request(repo: Repo, number: u64) -> PullRequest;
        fn list_pull_request_files(repo: Repo, number: u64) -> Vec<PullRequestFile>;
        fn list_pull_request_commits(repo: Repo, number: u64) -> Vec<CommitSummary>;
        fn compare(repo: Repo, base: String, head: String) -> Comparison;
        fn list_review_comments(repo: Repo, number: u64) -> Vec<ReviewComment>;
        fn get_combined_status(repo: Repo, at: String) -> CombinedStatus;
        fn list_check_runs(repo: Repo, at: String) -> Vec<CheckRunInfo>;
        fn search_issues(repo: Repo, query: String) -> SearchResult;
        fn get_workflow_run(repo: Repo, run_id: u64) -> Option<WorkflowRun>;
        fn get_workflow_run_logs(repo: Repo, run_id: u64, max_bytes: u64) -> Option<WorkflowRunLogs>;
        fn get_permission(repo: Repo, user: String) -> Permission;
        fn list_milestones(repo: Repo, state: String) -> Vec<Milestone>;
        fn list_workflow_runs(repo: Repo, head_sha: String) -> Vec<WorkflowRun>;
        fn get_release_by_tag(repo: Repo, tag: String) -> Option<Release>;
        fn list_run_artifacts(repo: Repo, run_id: u64) -> Vec<Artifact>;
        fn get_file(repo: Repo, path: String, at: Option<String>) -> Option<File>;
        fn get_owners(repo: Repo, paths: Vec<String>) -> Vec<PathOwners>;
        fn get_ref(repo: Repo, name: String) -> Option<String>;
    }

    writes! {
        fn create_comment(repo: Repo, number: u64, body: String) -> WrittenId;
        fn update_comment(repo: Repo, comment_id: u64, body: String) -> Written;
        fn add_reaction(repo: Repo, comment_id: u64, content: String) -> Written;
        fn add_labels(repo: Repo, number: u64, labels: Vec<String>) -> WrittenNames;
        fn remove_label(repo: Repo, number: u64, label: String) -> Written;
        fn add_assignees(repo: Repo, number: u64, users: Vec<String>) -> WrittenNames;
        fn remove_assignees(repo: Repo, number: u64, users: Vec<String>) -> WrittenNames;
        fn set_state(repo: Repo, number: u64, state: IssueState) -> Written;
        fn set_title(repo: Repo, number: u64, title: String) -> Written;
        fn set_milestone(repo: Repo, number: u64, milestone: Option<u64>) -> Written;
        fn request_reviewers(repo: Repo, number: u64, users: Vec<String>) -> Written;
        fn remove_reviewers(repo: Repo, number: u64, users: Vec<String>) -> Written;
        fn create_check_run(repo: Repo, run: CheckRun) -> WrittenId;
        fn update_check_run(repo: Repo, id: u64, run: CheckRun) -> Written;
        fn create_status(
            repo: Repo,
            sha: String,
            state: StatusState,
            context: String,
            description: String,
            target_url: Option<String>
        ) -> Written;
        fn dispatch_workflow(repo: Repo, workflow: String, at: String, inputs: String) -> Written;
        fn rerun_workflow(repo: Repo, run_id: u64) -> Written;
        fn rerun_failed_jobs(repo: Repo, run_id: u64) -> Written;
        fn create_release(repo: Repo, release: NewRelease) -> WrittenRelease;
        fn publish_release(repo: Repo, release_id: u64) -> WrittenRelease;
        fn upload_release_asset(
            repo: Repo,
            release_id: u64,
            name: String,
            content_type: String,
            data: Vec<u8>
        ) -> WrittenId;
        fn copy_artifact_to_release(
            repo: Repo,
            artifact_id: u64,
            release_id: u64,
            name: String
        ) -> WrittenId;
        fn put_file(
            repo: Repo,
            path: String,
            branch: String,
            message: String,
            content: Vec<u8>,
            sha: Option<String>
        ) -> WrittenSha;
        fn create_ref(repo: Repo, name: String, sha: String) -> Written;
        fn update_ref(repo: Repo, name: String, sha: String, force: bool) -> Written;
        fn create_issue(repo: Repo, issue: NewIssue) -> WrittenIssue;
        fn update_issue(repo: Repo, number: u64, update: IssueUpdate) -> WrittenIssue;
        fn create_pull_request(repo: Repo, pull: NewPullRequest) -> WrittenPullRequest;
        fn update_pull_request(
            repo: Repo,
            number: u64,
            update: PullRequestUpdate
        ) -> WrittenPullRequest;
        fn create_branch(repo: Repo, name: String, sha: String) -> Written;
        fn delete_branch(repo: Repo, name: String) -> Written;
        fn merge_pull_request(repo: Repo, number: u64, merge: MergeRequest) -> WrittenSha;
        fn create_review(repo: Repo, number: u64, review: NewReview) -> WrittenId;
    }
}

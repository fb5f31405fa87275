//! The v0.1 `github` interface, each call delegated to the current host
//! implementation: the same target, budget, policy, idempotency and audit, and the
//! answer converted back; a held write is v0.1's `pending(approval id)` error.
use super::bindings::gantry::plugin::github::{
    Artifact, CheckRun, File, Host, Issue, IssueState, Milestone, NewRelease, PullRequest, Release,
    StatusState, WorkflowRun,
};
use super::bindings::gantry::plugin::types::{HostError, Permission, Repo};
use super::convert::{Newer, Older, Settle};
use crate::wasm_host::bindings::gantry::plugin::github::Host as Current;
use crate::wasm_host::host::CallData;

/// A v0.1 method that converts its arguments, calls the current `$trait`'s method of
/// the same name and converts the answer back.
macro_rules! delegate {
    ($trait:path => $(fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        async fn $name(&mut self, $($arg: $ty),*) -> wasmtime::Result<$ret> {
            Ok(<CallData as $trait>::$name(self, $($arg.newer()),*).await?.older())
        }
    )*};
}
pub(super) use delegate;

/// A v0.1 write: as [`delegate`], with the current `written` answer settled into
/// v0.1's value or its `pending(approval id)` error.
macro_rules! delegate_writes {
    ($trait:path => $(fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        async fn $name(&mut self, $($arg: $ty),*) -> wasmtime::Result<$ret> {
            Ok(<CallData as $trait>::$name(self, $($arg.newer()),*).await?.settle())
        }
    )*};
}
pub(super) use delegate_writes;

type Answer<T> = Result<T, HostError>;

impl Host for CallData {
    delegate! { Current =>
        fn get_issue(repo: Repo, number: u64) -> Answer<Issue>;
        fn get_pull_request(repo: Repo, number: u64) -> Answer<PullRequest>;
        fn list_pull_request_files(repo: Repo, number: u64) -> Answer<Vec<String>>;
        fn get_permission(repo: Repo, user: String) -> Answer<Permission>;
        fn list_milestones(repo: Repo, state: String) -> Answer<Vec<Milestone>>;
        fn list_workflow_runs(repo: Repo, head_sha: String) -> Answer<Vec<WorkflowRun>>;
        fn get_release_by_tag(repo: Repo, tag: String) -> Answer<Option<Release>>;
        fn list_run_artifacts(repo: Repo, run_id: u64) -> Answer<Vec<Artifact>>;
        fn get_file(repo: Repo, path: String, at: Option<String>) -> Answer<Option<File>>;
        fn get_ref(repo: Repo, name: String) -> Answer<Option<String>>;
    }

    delegate_writes! { Current =>
        fn create_comment(repo: Repo, number: u64, body: String) -> Answer<u64>;
        fn update_comment(repo: Repo, comment_id: u64, body: String) -> Answer<()>;
        fn add_reaction(repo: Repo, comment_id: u64, content: String) -> Answer<()>;
        fn add_labels(repo: Repo, number: u64, labels: Vec<String>) -> Answer<Vec<String>>;
        fn remove_label(repo: Repo, number: u64, label: String) -> Answer<()>;
        fn add_assignees(repo: Repo, number: u64, users: Vec<String>) -> Answer<Vec<String>>;
        fn remove_assignees(repo: Repo, number: u64, users: Vec<String>) -> Answer<Vec<String>>;
        fn set_state(repo: Repo, number: u64, state: IssueState) -> Answer<()>;
        fn set_title(repo: Repo, number: u64, title: String) -> Answer<()>;
        fn set_milestone(repo: Repo, number: u64, milestone: Option<u64>) -> Answer<()>;
        fn request_reviewers(repo: Repo, number: u64, users: Vec<String>) -> Answer<()>;
        fn remove_reviewers(repo: Repo, number: u64, users: Vec<String>) -> Answer<()>;
        fn create_check_run(repo: Repo, run: CheckRun) -> Answer<u64>;
        fn update_check_run(repo: Repo, id: u64, run: CheckRun) -> Answer<()>;
        fn create_status(
            repo: Repo,
            sha: String,
            state: StatusState,
            context: String,
            description: String,
            target_url: Option<String>
        ) -> Answer<()>;
        fn dispatch_workflow(repo: Repo, workflow: String, at: String, inputs: String) -> Answer<()>;
        fn rerun_workflow(repo: Repo, run_id: u64) -> Answer<()>;
        fn rerun_failed_jobs(repo: Repo, run_id: u64) -> Answer<()>;
        fn create_release(repo: Repo, release: NewRelease) -> Answer<Release>;
        fn publish_release(repo: Repo, release_id: u64) -> Answer<Release>;
        fn upload_release_asset(
            repo: Repo,
            release_id: u64,
            name: String,
            content_type: String,
            data: Vec<u8>
        ) -> Answer<u64>;
        fn copy_artifact_to_release(
            repo: Repo,
            artifact_id: u64,
            release_id: u64,
            name: String
        ) -> Answer<u64>;
        fn put_file(
            repo: Repo,
            path: String,
            branch: String,
            message: String,
            content: Vec<u8>,
            sha: Option<String>
        ) -> Answer<String>;
        fn create_ref(repo: Repo, name: String, sha: String) -> Answer<()>;
        fn update_ref(repo: Repo, name: String, sha: String, force: bool) -> Answer<()>;
    }
}

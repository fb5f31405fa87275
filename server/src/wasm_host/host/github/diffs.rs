//! What a pull request or a comparison changes (v0.2): a pull request's files
//! with their line counts and patches and its commits, read page by page under
//! `pull_requests:read`, and comparing two refs under `contents:read`. Reads only:
//! no gate can hold them, and each page counts against the invocation's budget of
//! calls.
use serde_json::Value;

use super::super::super::bindings::gantry::plugin::github::{
    CommitSummary, Comparison, PullRequestFile,
};
use super::super::super::bindings::{HostError, Repo};
use super::super::CallData;
use super::pages::Listing;
use super::{segments, text, HostResult};
use crate::domain::Capability;

/// GitHub lists at most 3,000 files of a pull request: 30 pages of 100.
const FILE_PAGES: u32 = 30;
/// GitHub lists at most 250 commits of a pull request: 3 pages of 100.
const COMMIT_PAGES: u32 = 3;

fn commit_from(v: &Value) -> CommitSummary {
    CommitSummary {
        sha: text(v, "sha"),
        message: text(&v["commit"], "message"),
        author: v["author"]["login"].as_str().map(str::to_owned),
    }
}

fn list<T>(v: &Value, item: fn(&Value) -> T) -> Vec<T> {
    v.as_array()
        .map(|a| a.iter().map(item).collect())
        .unwrap_or_default()
}

/// A side of a comparison: a branch, tag or SHA, checked and encoded as path
/// segments. `..` cannot be in a git ref, and would blur `base...head`.
fn side(name: &str) -> Result<String, HostError> {
    if name.trim().is_empty() || name.contains("..") || name.chars().any(char::is_whitespace) {
        return Err(HostError::Invalid(
            "base and head are branch or tag names or commit SHAs".into(),
        ));
    }
    segments(name)
}

fn file_from(v: &Value) -> PullRequestFile {
    let additions = v["additions"].as_u64().unwrap_or_default();
    let deletions = v["deletions"].as_u64().unwrap_or_default();
    PullRequestFile {
        filename: text(v, "filename"),
        status: text(v, "status"),
        additions,
        deletions,
        changes: v["changes"]
            .as_u64()
            .unwrap_or_else(|| additions.saturating_add(deletions)),
        patch: v["patch"].as_str().map(str::to_owned),
        previous_filename: v["previous_filename"].as_str().map(str::to_owned),
    }
}

impl CallData {
    pub(super) async fn list_pull_request_files(
        &mut self,
        repo: Repo,
        number: u64,
    ) -> HostResult<Vec<PullRequestFile>> {
        self.read_pages(
            &repo,
            Listing {
                route: &format!("/pulls/{number}/files"),
                capability: &Capability::PULL_REQUESTS_READ,
                field: None,
                pages: FILE_PAGES,
                item: file_from,
            },
        )
        .await
    }

    pub(super) async fn list_pull_request_commits(
        &mut self,
        repo: Repo,
        number: u64,
    ) -> HostResult<Vec<CommitSummary>> {
        self.read_pages(
            &repo,
            Listing {
                route: &format!("/pulls/{number}/commits"),
                capability: &Capability::PULL_REQUESTS_READ,
                field: None,
                pages: COMMIT_PAGES,
                item: commit_from,
            },
        )
        .await
    }

    pub(super) async fn compare(
        &mut self,
        repo: Repo,
        base: String,
        head: String,
    ) -> HostResult<Comparison> {
        let (base, head) = match (side(&base), side(&head)) {
            (Ok(base), Ok(head)) => (base, head),
            (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
        };
        let route = format!("/compare/{base}...{head}");
        let answer = self
            .invocation
            .call(&repo, &Capability::CONTENTS_READ, "GET", &route, None)
            .await;
        Ok(answer.map(|v| Comparison {
            status: text(&v, "status"),
            ahead_by: v["ahead_by"].as_u64().unwrap_or_default(),
            behind_by: v["behind_by"].as_u64().unwrap_or_default(),
            commits: list(&v["commits"], commit_from),
            files: list(&v["files"], file_from),
        }))
    }
}

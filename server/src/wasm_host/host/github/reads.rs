//! Reads new in v0.2 that are not about a diff: a pull request's review
//! comments (`pull_requests:read`), a ref's combined status (`statuses:read`), its
//! check runs (`checks:read`), one workflow run (`actions:read`) and searching the repository's issues and pull
//! requests (`issues:read`, the search kept to the repository). Reads only: no
//! gate can hold them, and each page counts against the invocation's budget of
//! calls.
use serde_json::Value;

use super::super::super::bindings::gantry::plugin::github::{
    CheckRunInfo, CombinedStatus, CommitStatus, DiffSide, ReviewComment, SearchResult, WorkflowRun,
};
use super::super::super::bindings::{HostError, Repo};
use super::super::CallData;
use super::pages::{Listing, PER_PAGE};
use super::{invalid, issue_from, segments, text, workflow_run_from, HostResult};
use crate::domain::Capability;
use crate::github::client::url_escape;
use crate::policy::Target;

/// `list-review-comments` reads at most this many pages.
const REVIEW_COMMENT_PAGES: u32 = 10;
/// `list-check-runs` reads at most this many pages.
const CHECK_RUN_PAGES: u32 = 10;

/// GitHub's limit on a search query's length, in characters.
const MAX_QUERY_CHARS: usize = 256;

/// Qualifiers that would widen a search beyond the event's repository: GitHub
/// joins several `repo:` qualifiers with OR.
const SCOPES: &[&str] = &["repo:", "org:", "user:"];

/// Whether `query` names a scope of its own (`repo:x/y`, `-org:x`, `"user:x"`).
fn names_a_scope(query: &str) -> bool {
    query.split_whitespace().any(|word| {
        let word = word
            .trim_start_matches(['-', '"', '('])
            .to_ascii_lowercase();
        SCOPES.iter().any(|s| word.starts_with(s))
    })
}

/// A string field that may be missing or `null`.
fn maybe(v: &Value, key: &str) -> Option<String> {
    v[key].as_str().map(str::to_owned)
}

/// A ref from plugin input (`main`, `v1.0`, a SHA, `heads/x`), checked and encoded.
fn commit_ref(name: &str) -> Result<String, HostError> {
    if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
        return Err(HostError::Invalid(
            "a ref is a branch or tag name or a commit SHA".into(),
        ));
    }
    segments(name.trim_start_matches("refs/"))
}

fn check_run_from(v: &Value) -> CheckRunInfo {
    CheckRunInfo {
        id: v["id"].as_u64().unwrap_or_default(),
        name: text(v, "name"),
        head_sha: text(v, "head_sha"),
        status: text(v, "status"),
        conclusion: maybe(v, "conclusion"),
        app: maybe(&v["app"], "slug"),
        details_url: maybe(v, "details_url"),
    }
}

fn combined_from(v: &Value) -> CombinedStatus {
    let statuses = v["statuses"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| CommitStatus {
                    context: text(s, "context"),
                    state: text(s, "state"),
                    description: maybe(s, "description"),
                    target_url: maybe(s, "target_url"),
                })
                .collect()
        })
        .unwrap_or_default();
    CombinedStatus {
        state: text(v, "state"),
        sha: text(v, "sha"),
        statuses,
        total_count: v["total_count"].as_u64().unwrap_or_default(),
    }
}

fn review_comment_from(v: &Value) -> ReviewComment {
    ReviewComment {
        id: v["id"].as_u64().unwrap_or_default(),
        path: text(v, "path"),
        line: v["line"].as_u64().and_then(|l| u32::try_from(l).ok()),
        side: match v["side"].as_str() {
            Some("LEFT") => Some(DiffSide::Left),
            Some("RIGHT") => Some(DiffSide::Right),
            _ => None,
        },
        body: text(v, "body"),
        author: text(&v["user"], "login"),
        in_reply_to: v["in_reply_to_id"].as_u64(),
    }
}

impl CallData {
    pub(super) async fn list_review_comments(
        &mut self,
        repo: Repo,
        number: u64,
    ) -> HostResult<Vec<ReviewComment>> {
        self.read_pages(
            &repo,
            Listing {
                route: &format!("/pulls/{number}/comments"),
                capability: &Capability::PULL_REQUESTS_READ,
                field: None,
                pages: REVIEW_COMMENT_PAGES,
                item: review_comment_from,
            },
        )
        .await
    }

    pub(super) async fn get_combined_status(
        &mut self,
        repo: Repo,
        git_ref: String,
    ) -> HostResult<CombinedStatus> {
        let route = match commit_ref(&git_ref) {
            Ok(r) => format!("/commits/{r}/status?per_page=100"),
            Err(e) => return Ok(Err(e)),
        };
        let answer = self
            .invocation
            .call(&repo, &Capability::STATUSES_READ, "GET", &route, None)
            .await;
        Ok(answer.map(|v| combined_from(&v)))
    }

    pub(super) async fn list_check_runs(
        &mut self,
        repo: Repo,
        git_ref: String,
    ) -> HostResult<Vec<CheckRunInfo>> {
        let base = match commit_ref(&git_ref) {
            Ok(r) => format!("/commits/{r}/check-runs"),
            Err(e) => return Ok(Err(e)),
        };
        self.read_pages(
            &repo,
            Listing {
                route: &base,
                capability: &Capability::CHECKS_READ,
                field: Some("check_runs"),
                pages: CHECK_RUN_PAGES,
                item: check_run_from,
            },
        )
        .await
    }

    pub(super) async fn search_issues(
        &mut self,
        repo: Repo,
        query: String,
    ) -> HostResult<SearchResult> {
        if query.trim().is_empty() || query.chars().count() > MAX_QUERY_CHARS {
            return invalid(format!(
                "a search query is 1 to {MAX_QUERY_CHARS} characters"
            ));
        }
        if names_a_scope(&query) {
            return invalid(
                "a search covers the event's repository only: leave out repo:, org: and user:",
            );
        }
        let inv = &mut self.invocation;
        let target = match inv.authorise(&repo) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        // The whole query is encoded once, the repository's name with it.
        let q = format!("{} repo:{}/{}", query.trim(), target.owner, target.name);
        let path = format!("/search/issues?q={}&per_page={PER_PAGE}", url_escape(&q));
        let answer = inv
            .send_for(
                &target,
                &Capability::ISSUES_READ,
                "GET",
                &path,
                None,
                Target::Nothing,
            )
            .await;
        Ok(answer.map(|v| SearchResult {
            total_count: v["total_count"].as_u64().unwrap_or_default(),
            incomplete: v["incomplete_results"].as_bool().unwrap_or_default(),
            items: v["items"]
                .as_array()
                .map(|a| a.iter().map(issue_from).collect())
                .unwrap_or_default(),
        }))
    }

    pub(super) async fn get_workflow_run(
        &mut self,
        repo: Repo,
        run_id: u64,
    ) -> HostResult<Option<WorkflowRun>> {
        let found = self
            .invocation
            .find(
                &repo,
                &Capability::ACTIONS_READ,
                &format!("/actions/runs/{run_id}"),
            )
            .await;
        Ok(found.map(|v| v.as_ref().map(workflow_run_from)))
    }
}

//! `create-pull-request`, `update-pull-request`, `merge-pull-request` and
//! `create-review` (v0.2): one REST call each on the event's repository, gated, made once across retries and audited
//! like every write (`CallState::call`). Merging has a capability of its own,
//! `pull_requests:merge`, which the built-in policy holds for approval: allowing
//! pull request writes does not allow merging.
use serde_json::{json, Value};

use super::super::super::bindings::gantry::plugin::github::{
    DiffSide, IssueState, MergeMethod, MergeRequest, NewPullRequest, NewReview, PullRequest,
    PullRequestUpdate, ReviewEvent,
};
use super::super::super::bindings::Repo;
use super::super::{CallData, MAX_COMMENT_CHARS};
use super::{invalid, pull_request_from, HostResult};
use crate::domain::Capability;
use crate::policy::Target;

/// GitHub's limit on a pull request's title, in characters.
const MAX_TITLE_CHARS: usize = 256;
/// The most line comments one review may carry here.
const MAX_LINE_COMMENTS: usize = 100;

fn branch_ok(name: &str) -> bool {
    !name.trim().is_empty() && name.len() <= 255 && !name.chars().any(char::is_whitespace)
}

fn sha_ok(sha: &str) -> bool {
    (7..=40).contains(&sha.len()) && sha.bytes().all(|b| b.is_ascii_hexdigit())
}

fn merge_method(method: MergeMethod) -> &'static str {
    match method {
        MergeMethod::Merge => "merge",
        MergeMethod::Squash => "squash",
        MergeMethod::Rebase => "rebase",
    }
}

fn review_event(event: ReviewEvent) -> &'static str {
    match event {
        ReviewEvent::Comment => "COMMENT",
        ReviewEvent::Approve => "APPROVE",
        ReviewEvent::RequestChanges => "REQUEST_CHANGES",
    }
}

fn side(side: DiffSide) -> &'static str {
    match side {
        DiffSide::Left => "LEFT",
        DiffSide::Right => "RIGHT",
    }
}

impl CallData {
    pub(super) async fn create_pull_request(
        &mut self,
        repo: Repo,
        pull: NewPullRequest,
    ) -> HostResult<PullRequest> {
        if pull.title.trim().is_empty() || pull.title.chars().count() > MAX_TITLE_CHARS {
            return invalid(format!("a title must be 1 to {MAX_TITLE_CHARS} characters"));
        }
        if pull.body.chars().count() > MAX_COMMENT_CHARS {
            return invalid(format!(
                "a body must be at most {MAX_COMMENT_CHARS} characters"
            ));
        }
        if !branch_ok(&pull.head) || !branch_ok(&pull.base) {
            return invalid("head and base are branch names of this repository");
        }
        let mut body = json!({
            "title": pull.title,
            "head": pull.head,
            "base": pull.base,
            "draft": pull.draft,
        });
        let text = self.invocation.mark_body(&pull.body);
        if !text.is_empty() {
            body["body"] = json!(text);
        }
        let answer = self
            .invocation
            .call(
                &repo,
                &Capability::PULL_REQUESTS_WRITE,
                "POST",
                "/pulls",
                Some(body),
            )
            .await;
        Ok(answer.map(|v| pull_request_from(&v)))
    }

    pub(super) async fn update_pull_request(
        &mut self,
        repo: Repo,
        number: u64,
        update: PullRequestUpdate,
    ) -> HostResult<PullRequest> {
        let mut body = serde_json::Map::new();
        if let Some(title) = update.title {
            if title.trim().is_empty() || title.chars().count() > MAX_TITLE_CHARS {
                return invalid(format!("a title must be 1 to {MAX_TITLE_CHARS} characters"));
            }
            body.insert("title".into(), json!(title));
        }
        if let Some(text) = update.body {
            if text.chars().count() > MAX_COMMENT_CHARS {
                return invalid(format!(
                    "a body must be at most {MAX_COMMENT_CHARS} characters"
                ));
            }
            body.insert("body".into(), json!(self.invocation.mark_body(&text)));
        }
        if let Some(base) = update.base {
            if !branch_ok(&base) {
                return invalid("base is a branch name of this repository");
            }
            body.insert("base".into(), json!(base));
        }
        if let Some(state) = update.state {
            let state = match state {
                IssueState::Open => "open",
                IssueState::Closed => "closed",
            };
            body.insert("state".into(), json!(state));
        }
        if body.is_empty() {
            return invalid("an update changes at least one field");
        }
        let answer = self
            .invocation
            .call(
                &repo,
                &Capability::PULL_REQUESTS_WRITE,
                "PATCH",
                &format!("/pulls/{number}"),
                Some(Value::Object(body)),
            )
            .await;
        Ok(answer.map(|v| pull_request_from(&v)))
    }

    pub(super) async fn merge_pull_request(
        &mut self,
        repo: Repo,
        number: u64,
        merge: MergeRequest,
    ) -> HostResult<String> {
        if !sha_ok(&merge.sha) {
            return invalid("sha is the head commit the pull request must be at (hex)");
        }
        let mut body = json!({
            "merge_method": merge_method(merge.method),
            "sha": merge.sha,
        });
        if let Some(title) = merge.commit_title {
            body["commit_title"] = json!(title);
        }
        if let Some(message) = merge.commit_message {
            body["commit_message"] = json!(message);
        }
        // The base branch is not known without a read, so branch conditions of
        // the policy see a write to an unnamed ref.
        let answer = self
            .invocation
            .call_to(
                &repo,
                &Capability::PULL_REQUESTS_MERGE,
                "PUT",
                &format!("/pulls/{number}/merge"),
                Some(body),
                Target::Unknown,
            )
            .await;
        Ok(answer.map(|v| v["sha"].as_str().unwrap_or_default().to_owned()))
    }

    pub(super) async fn create_review(
        &mut self,
        repo: Repo,
        number: u64,
        review: NewReview,
    ) -> HostResult<u64> {
        let needs_body = !matches!(review.event, ReviewEvent::Approve);
        if needs_body && review.body.trim().is_empty() {
            return invalid("a review that comments or requests changes needs a body");
        }
        if review.body.chars().count() > MAX_COMMENT_CHARS {
            return invalid(format!(
                "a body must be at most {MAX_COMMENT_CHARS} characters"
            ));
        }
        if review.comments.len() > MAX_LINE_COMMENTS {
            return invalid(format!(
                "at most {MAX_LINE_COMMENTS} line comments per review"
            ));
        }
        let mut comments = Vec::with_capacity(review.comments.len());
        for c in &review.comments {
            if c.path.trim().is_empty() || c.line == 0 || c.body.trim().is_empty() {
                return invalid("a line comment needs a path, a line from 1 and a body");
            }
            if c.body.chars().count() > MAX_COMMENT_CHARS {
                return invalid(format!(
                    "a line comment must be at most {MAX_COMMENT_CHARS} characters"
                ));
            }
            comments.push(json!({
                "path": c.path,
                "line": c.line,
                "side": side(c.side),
                "body": c.body,
            }));
        }
        let mut body = json!({ "event": review_event(review.event) });
        let text = self.invocation.mark_body(&review.body);
        if !text.is_empty() {
            body["body"] = json!(text);
        }
        if !comments.is_empty() {
            body["comments"] = json!(comments);
        }
        let answer = self
            .invocation
            .call(
                &repo,
                &Capability::PULL_REQUESTS_WRITE,
                "POST",
                &format!("/pulls/{number}/reviews"),
                Some(body),
            )
            .await;
        Ok(answer.map(|v| v["id"].as_u64().unwrap_or_default()))
    }
}

//! `create-issue` and `update-issue` (v0.2): one REST call each on the event's
//! repository, under `issues:write`, gated, made once across retries and audited
//! like every write (`CallState::call`).
use serde_json::{json, Value};

use super::super::super::bindings::gantry::plugin::github::{
    Issue, IssueState, IssueUpdate, NewIssue,
};
use super::super::super::bindings::Repo;
use super::super::{CallData, MAX_COMMENT_CHARS};
use super::{invalid, issue_from, users_ok, HostResult, MAX_LABEL_CHARS};
use crate::domain::Capability;

/// GitHub's limit on an issue's title, in characters.
const MAX_TITLE_CHARS: usize = 256;

fn title_ok(title: &str) -> bool {
    !title.trim().is_empty() && title.chars().count() <= MAX_TITLE_CHARS
}

fn labels_ok(labels: &[String]) -> bool {
    labels
        .iter()
        .all(|l| !l.trim().is_empty() && l.chars().count() <= MAX_LABEL_CHARS)
}

/// Why the fields of a new or changed issue are refused, if they are.
fn refusal(
    title: Option<&str>,
    body: Option<&str>,
    labels: Option<&[String]>,
    assignees: Option<&[String]>,
) -> Option<String> {
    if title.is_some_and(|t| !title_ok(t)) {
        return Some(format!("a title must be 1 to {MAX_TITLE_CHARS} characters"));
    }
    if body.is_some_and(|b| b.chars().count() > MAX_COMMENT_CHARS) {
        return Some(format!(
            "a body must be at most {MAX_COMMENT_CHARS} characters"
        ));
    }
    if labels.is_some_and(|l| !labels_ok(l)) {
        return Some(format!(
            "labels must be 1 to {MAX_LABEL_CHARS} characters (GitHub's limit) and not blank"
        ));
    }
    if assignees.is_some_and(|a| !a.is_empty() && !users_ok(a)) {
        return Some("user names must be 1 to 39 characters".into());
    }
    None
}

fn state_name(state: IssueState) -> &'static str {
    match state {
        IssueState::Open => "open",
        IssueState::Closed => "closed",
    }
}

impl CallData {
    pub(super) async fn create_issue(&mut self, repo: Repo, issue: NewIssue) -> HostResult<Issue> {
        if let Some(why) = refusal(
            Some(&issue.title),
            Some(&issue.body),
            Some(&issue.labels),
            Some(&issue.assignees),
        ) {
            return invalid(why);
        }
        let mut body = json!({ "title": issue.title });
        let text = self.invocation.mark_body(&issue.body);
        if !text.is_empty() {
            body["body"] = json!(text);
        }
        if !issue.labels.is_empty() {
            body["labels"] = json!(issue.labels);
        }
        if !issue.assignees.is_empty() {
            body["assignees"] = json!(issue.assignees);
        }
        if let Some(milestone) = issue.milestone {
            body["milestone"] = json!(milestone);
        }
        let answer = self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "POST",
                "/issues",
                Some(body),
            )
            .await;
        Ok(answer.map(|v| issue_from(&v)))
    }

    pub(super) async fn update_issue(
        &mut self,
        repo: Repo,
        number: u64,
        update: IssueUpdate,
    ) -> HostResult<Issue> {
        if let Some(why) = refusal(
            update.title.as_deref(),
            update.body.as_deref(),
            update.labels.as_deref(),
            update.assignees.as_deref(),
        ) {
            return invalid(why);
        }
        let mut body = serde_json::Map::new();
        if let Some(title) = update.title {
            body.insert("title".into(), json!(title));
        }
        if let Some(text) = update.body {
            body.insert("body".into(), json!(self.invocation.mark_body(&text)));
        }
        if let Some(state) = update.state {
            body.insert("state".into(), json!(state_name(state)));
        }
        if let Some(labels) = update.labels {
            body.insert("labels".into(), json!(labels));
        }
        if let Some(assignees) = update.assignees {
            body.insert("assignees".into(), json!(assignees));
        }
        if body.is_empty() {
            return invalid("an update changes at least one field");
        }
        let answer = self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "PATCH",
                &format!("/issues/{number}"),
                Some(Value::Object(body)),
            )
            .await;
        Ok(answer.map(|v| issue_from(&v)))
    }
}

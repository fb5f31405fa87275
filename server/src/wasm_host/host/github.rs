//! The `github` host interface: each typed call becomes one REST request on the
//! event's repository, checked (target, budget), passed through the policy gate
//! (reads may be allowed or denied; writes may also be held for approval) and then
//! sent. Answers are turned into the WIT records here; `current` answers the
//! interface (writes say done or held), `issues`, `pulls`, `branches`, `diffs`,
//! `reads`, `logs` and `owners` hold the calls new in v0.2.
use serde_json::{json, Value};

use super::super::bindings::gantry::plugin::github::{
    Artifact, CheckRun, CheckStatus, Conclusion, File, Issue, IssueState, Milestone, NewRelease,
    PullRequest, Release, StatusState, WorkflowRun,
};
use super::super::bindings::gantry::plugin::types::Permission;
use super::super::bindings::{HostError, Repo};
use super::{CallData, CallState, MAX_COMMENT_CHARS};
use crate::domain::Capability;
use crate::policy::HeldAction;
use crate::policy::Target;

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

mod branches;
mod current;
mod diffs;
mod issues;
mod logs;
mod owners;
mod pages;
mod pulls;
mod reads;

// Query values are only encoded; path segments are checked too (`github::path`).
use crate::github::client::url_escape;
use crate::github::path::{self, PathError};

/// One path segment from plugin input, checked and encoded (`github::path`).
fn segment(text: &str) -> Result<String, HostError> {
    path::segment(text).map_err(refused_path)
}

/// A path of several segments from plugin input (a file path, a ref), each checked
/// and encoded, `/` kept.
fn segments(text: &str) -> Result<String, HostError> {
    path::segments(text).map_err(refused_path)
}

fn refused_path(err: PathError) -> HostError {
    HostError::Invalid(err.to_string())
}

fn invalid<T>(message: impl Into<String>) -> HostResult<T> {
    Ok(Err(HostError::Invalid(message.into())))
}

impl CallState {
    /// Sends one REST call on `repo` (path relative to `/repos/{owner}/{name}`) that
    /// changes no ref, after the target, budget and policy checks. `GET` calls are
    /// reads.
    async fn call(
        &mut self,
        repo: &Repo,
        capability: &Capability,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, HostError> {
        self.call_to(repo, capability, method, path, body, Target::Nothing)
            .await
    }

    /// [`CallState::call`] for a call that changes `refs`: the policy's branch
    /// conditions are decided on them.
    async fn call_to(
        &mut self,
        repo: &Repo,
        capability: &Capability,
        method: &str,
        path: &str,
        body: Option<Value>,
        refs: Target,
    ) -> Result<Value, HostError> {
        let target = self.authorise(repo)?;
        let path = format!(
            "/repos/{}/{}{path}",
            segment(&target.owner)?,
            segment(&target.name)?
        );
        self.send_for(&target, capability, method, &path, body, refs)
            .await
    }

    /// Sends one REST call at `path` (from the API's root) on behalf of `target`,
    /// the repository [`CallState::authorise`] allowed, after the budget and policy
    /// checks: for a call whose path is not under `/repos/{owner}/{name}`
    /// (a search limited to the repository).
    async fn send_for(
        &mut self,
        target: &crate::domain::RepoRef,
        capability: &Capability,
        method: &str,
        path: &str,
        body: Option<Value>,
        refs: Target,
    ) -> Result<Value, HostError> {
        // The last gate: whatever built `path`, no dot segment leaves the host.
        path::check(path).map_err(refused_path)?;
        let verb = crate::github::method(method).map_err(|e| self.host_error(e))?;
        let read_only = verb == http::Method::GET;
        let key = if read_only {
            String::new()
        } else {
            let seq = self.next_write();
            self.idempotency.key(&self.plugin, seq)
        };
        // A read cannot be held; a write is held as exactly this call.
        let action = (!read_only).then(|| HeldAction::Rest {
            method: method.to_owned(),
            path: path.to_owned(),
            body: body.clone(),
        });
        if let Some(done) = self.gate(capability, target, &refs, &key, action).await? {
            return Ok(done);
        }
        let result = if read_only {
            self.env.github.rest(verb, path, body.as_ref()).await
        } else {
            let github = &self.env.github;
            self.once(
                &key,
                || github.rest(verb.clone(), path, body.as_ref()),
                || crate::github::reconcile::applied(github, method, path, body.as_ref()),
            )
            .await
            .map_err(|e| self.storage_failed(e))?
        };
        result.map_err(|e| self.host_error(e))
    }

    /// A write that is not a plain REST call: checked, gated (held as `action` on
    /// ask) and run through [`HeldAction::run`], so approval runs exactly the same.
    async fn held_write(
        &mut self,
        repo: &Repo,
        capability: &Capability,
        action: impl FnOnce(&crate::domain::RepoRef) -> HeldAction,
    ) -> Result<Value, HostError> {
        let target = self.authorise(repo)?;
        let seq = self.next_write();
        let key = self.idempotency.key(&self.plugin, seq);
        let action = action(&target);
        if let Some(done) = self
            .gate(
                capability,
                &target,
                &Target::Nothing,
                &key,
                Some(action.clone()),
            )
            .await?
        {
            return Ok(done);
        }
        let github = &self.env.github;
        let result = self
            .once(
                &key,
                || action.run(github, false),
                || action.applied(github),
            )
            .await
            .map_err(|e| self.storage_failed(e))?;
        result.map_err(|e| self.host_error(e))
    }

    /// A read whose 404 means "there is none" rather than an error.
    async fn find(
        &mut self,
        repo: &Repo,
        capability: &Capability,
        path: &str,
    ) -> Result<Option<Value>, HostError> {
        match self.call(repo, capability, "GET", path, None).await {
            Ok(v) => Ok(Some(v)),
            Err(HostError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn logins(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["login"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn issue_from(v: &Value) -> Issue {
    Issue {
        number: v["number"].as_u64().unwrap_or_default(),
        title: text(v, "title"),
        body: text(v, "body"),
        state: text(v, "state"),
        author: text(&v["user"], "login"),
        labels: v["labels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        assignees: logins(&v["assignees"]),
        milestone: v["milestone"]["number"].as_u64(),
        is_pull_request: v.get("pull_request").is_some_and(|p| !p.is_null()),
    }
}

fn pull_request_from(v: &Value) -> PullRequest {
    PullRequest {
        number: v["number"].as_u64().unwrap_or_default(),
        title: text(v, "title"),
        state: text(v, "state"),
        author: text(&v["user"], "login"),
        draft: v["draft"].as_bool().unwrap_or_default(),
        merged: v["merged"].as_bool().unwrap_or_default(),
        head_sha: text(&v["head"], "sha"),
        head_ref: text(&v["head"], "ref"),
        base_ref: text(&v["base"], "ref"),
        from_fork: v["head"]["repo"]["full_name"] != v["base"]["repo"]["full_name"],
        requested_reviewers: logins(&v["requested_reviewers"]),
        additions: v["additions"].as_u64().unwrap_or_default(),
        deletions: v["deletions"].as_u64().unwrap_or_default(),
        changed_files: v["changed_files"].as_u64().unwrap_or_default(),
        commits: v["commits"].as_u64().unwrap_or_default(),
        base_sha: text(&v["base"], "sha"),
        mergeable_state: v["mergeable_state"]
            .as_str()
            .filter(|s| !s.is_empty() && *s != "unknown")
            .map(str::to_owned),
    }
}

fn workflow_run_from(r: &Value) -> WorkflowRun {
    WorkflowRun {
        id: r["id"].as_u64().unwrap_or_default(),
        name: text(r, "name"),
        path: text(r, "path"),
        workflow_id: r["workflow_id"].as_u64().unwrap_or_default(),
        event: text(r, "event"),
        head_branch: text(r, "head_branch"),
        status: text(r, "status"),
        conclusion: r["conclusion"].as_str().map(str::to_owned),
        head_sha: text(r, "head_sha"),
        html_url: text(r, "html_url"),
    }
}

/// `list-milestones` reads at most this many pages of 100.
const MILESTONE_PAGES: u32 = 10;

fn milestone_from(v: &Value) -> Milestone {
    Milestone {
        number: v["number"].as_u64().unwrap_or_default(),
        title: text(v, "title"),
        state: text(v, "state"),
    }
}

fn release_from(v: &Value) -> Release {
    Release {
        id: v["id"].as_u64().unwrap_or_default(),
        tag: text(v, "tag_name"),
        name: text(v, "name"),
        draft: v["draft"].as_bool().unwrap_or_default(),
        html_url: text(v, "html_url"),
    }
}

fn check_status(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Queued => "queued",
        CheckStatus::InProgress => "in_progress",
        CheckStatus::Completed => "completed",
    }
}

fn conclusion(c: Conclusion) -> &'static str {
    match c {
        Conclusion::Success => "success",
        Conclusion::Failure => "failure",
        Conclusion::Neutral => "neutral",
        Conclusion::Cancelled => "cancelled",
        Conclusion::Skipped => "skipped",
        Conclusion::TimedOut => "timed_out",
        Conclusion::ActionRequired => "action_required",
    }
}

/// The JSON body of a check run, leaving out what is not set.
fn check_run_body(run: &CheckRun, creating: bool) -> Value {
    let mut body = json!({ "name": run.name, "status": check_status(run.status) });
    if creating {
        body["head_sha"] = json!(run.head_sha);
    }
    if let Some(c) = run.conclusion {
        body["conclusion"] = json!(conclusion(c));
    }
    if let Some(url) = &run.details_url {
        body["details_url"] = json!(url);
    }
    if run.title.is_some() || run.summary.is_some() {
        body["output"] = json!({
            "title": run.title.clone().unwrap_or_else(|| run.name.clone()),
            "summary": within_output_limit(run.summary.as_deref().unwrap_or_default()),
        });
    }
    body
}

/// GitHub's limit on a label's name, in characters.
pub const MAX_LABEL_CHARS: usize = 50;

/// GitHub's limit on a check run's output `summary` and `text`, in characters.
pub const MAX_CHECK_OUTPUT_CHARS: usize = 65_535;

/// `text` as GitHub takes it in a check run's output: whole when it fits
/// [`MAX_CHECK_OUTPUT_CHARS`], otherwise cut so that it fits with a visible marker
/// saying how long it was.
#[must_use]
pub fn within_output_limit(text: &str) -> String {
    let length = text.chars().count();
    if length <= MAX_CHECK_OUTPUT_CHARS {
        return text.to_owned();
    }
    let marker = format!(
        "\n\n… (cut by Gantry: {length} characters, GitHub keeps {MAX_CHECK_OUTPUT_CHARS})"
    );
    let keep = MAX_CHECK_OUTPUT_CHARS.saturating_sub(marker.chars().count());
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(&marker);
    out
}

fn users_ok(users: &[String]) -> bool {
    !users.is_empty() && users.iter().all(|u| !u.trim().is_empty() && u.len() <= 39)
}

impl CallData {
    async fn get_issue(&mut self, repo: Repo, number: u64) -> HostResult<Issue> {
        let v = self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_READ,
                "GET",
                &format!("/issues/{number}"),
                None,
            )
            .await;
        Ok(v.map(|v| issue_from(&v)))
    }

    async fn get_pull_request(&mut self, repo: Repo, number: u64) -> HostResult<PullRequest> {
        let v = self
            .invocation
            .call(
                &repo,
                &Capability::PULL_REQUESTS_READ,
                "GET",
                &format!("/pulls/{number}"),
                None,
            )
            .await;
        Ok(v.map(|v| pull_request_from(&v)))
    }

    async fn get_permission(&mut self, repo: Repo, user: String) -> HostResult<Permission> {
        if !users_ok(std::slice::from_ref(&user)) {
            return invalid("a user name must be 1 to 39 characters");
        }
        let user = match segment(&user) {
            Ok(user) => user,
            Err(e) => return Ok(Err(e)),
        };
        let path = format!("/collaborators/{user}/permission");
        Ok(
            match self
                .invocation
                .find(&repo, &Capability::ISSUES_READ, &path)
                .await
            {
                Ok(Some(v)) => Ok(crate::policy::Permission::of_answer(&v).into()),
                Ok(None) => Ok(Permission::None),
                Err(e) => Err(e),
            },
        )
    }

    async fn create_comment(&mut self, repo: Repo, number: u64, body: String) -> HostResult<u64> {
        let inv = &mut self.invocation;
        let target = match inv.authorise(&repo) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        // GitHub refuses comments over 65,536 characters; the marker needs some.
        if body.trim().is_empty() || body.chars().count() > MAX_COMMENT_CHARS {
            return invalid(format!(
                "a comment body must be 1 to {MAX_COMMENT_CHARS} characters"
            ));
        }
        let body = inv.mark_body(&body);
        let seq = inv.next_write();
        let key = inv.idempotency.key(&inv.plugin, seq);
        let marker = format!("<!-- gantry: plugin={} key={key} -->", inv.plugin);
        let action = HeldAction::CreateComment {
            owner: target.owner.clone(),
            repo: target.name.clone(),
            number,
            body: body.clone(),
            marker: marker.clone(),
        };
        match inv
            .gate(
                &Capability::ISSUES_WRITE,
                &target,
                &Target::Nothing,
                &key,
                Some(action),
            )
            .await
        {
            Err(e) => return Ok(Err(e)),
            Ok(Some(done)) => return Ok(Ok(done["comment_id"].as_u64().unwrap_or_default())),
            Ok(None) => {}
        }
        let result = inv
            .env
            .github
            .create_comment_once(&target, number, &body, &marker, inv.idempotency.look_first)
            .await;
        Ok(result.map_err(|e| inv.host_error(e)))
    }

    async fn update_comment(
        &mut self,
        repo: Repo,
        comment_id: u64,
        body: String,
    ) -> HostResult<()> {
        if body.trim().is_empty() || body.chars().count() > MAX_COMMENT_CHARS {
            return invalid(format!(
                "a comment body must be 1 to {MAX_COMMENT_CHARS} characters"
            ));
        }
        let body = self.invocation.mark_body(&body);
        let v = self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "PATCH",
                &format!("/issues/comments/{comment_id}"),
                Some(json!({ "body": body })),
            )
            .await;
        Ok(v.map(drop))
    }

    async fn add_reaction(
        &mut self,
        repo: Repo,
        comment_id: u64,
        content: String,
    ) -> HostResult<()> {
        const REACTIONS: &[&str] = &[
            "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
        ];
        if !REACTIONS.contains(&content.as_str()) {
            return invalid(format!("a reaction is one of {}", REACTIONS.join(", ")));
        }
        let path = format!("/issues/comments/{comment_id}/reactions");
        Ok(self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "POST",
                &path,
                Some(json!({ "content": content })),
            )
            .await
            .map(drop))
    }

    async fn add_labels(
        &mut self,
        repo: Repo,
        number: u64,
        labels: Vec<String>,
    ) -> HostResult<Vec<String>> {
        if labels.is_empty()
            || labels
                .iter()
                .any(|l| l.trim().is_empty() || l.chars().count() > MAX_LABEL_CHARS)
        {
            return invalid(format!(
                "labels must be 1 to {MAX_LABEL_CHARS} characters (GitHub's limit) and not blank"
            ));
        }
        let v = self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "POST",
                &format!("/issues/{number}/labels"),
                Some(json!({ "labels": labels })),
            )
            .await;
        Ok(v.map(|v| {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|l| l["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        }))
    }

    async fn remove_label(&mut self, repo: Repo, number: u64, label: String) -> HostResult<()> {
        if label.trim().is_empty() || label.len() > 100 {
            return invalid("a label must be 1 to 100 characters and not blank");
        }
        let label = match segment(&label) {
            Ok(label) => label,
            Err(e) => return Ok(Err(e)),
        };
        let path = format!("/issues/{number}/labels/{label}");
        Ok(
            match self
                .invocation
                .call(&repo, &Capability::ISSUES_WRITE, "DELETE", &path, None)
                .await
            {
                Ok(_) | Err(HostError::NotFound(_)) => Ok(()),
                Err(e) => Err(e),
            },
        )
    }

    async fn add_assignees(
        &mut self,
        repo: Repo,
        number: u64,
        users: Vec<String>,
    ) -> HostResult<Vec<String>> {
        if !users_ok(&users) {
            return invalid("user names must be 1 to 39 characters");
        }
        let v = self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "POST",
                &format!("/issues/{number}/assignees"),
                Some(json!({ "assignees": users })),
            )
            .await;
        Ok(v.map(|v| logins(&v["assignees"])))
    }

    async fn remove_assignees(
        &mut self,
        repo: Repo,
        number: u64,
        users: Vec<String>,
    ) -> HostResult<Vec<String>> {
        if !users_ok(&users) {
            return invalid("user names must be 1 to 39 characters");
        }
        let v = self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "DELETE",
                &format!("/issues/{number}/assignees"),
                Some(json!({ "assignees": users })),
            )
            .await;
        Ok(v.map(|v| logins(&v["assignees"])))
    }

    async fn set_state(&mut self, repo: Repo, number: u64, state: IssueState) -> HostResult<()> {
        let state = if state == IssueState::Open {
            "open"
        } else {
            "closed"
        };
        Ok(self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "PATCH",
                &format!("/issues/{number}"),
                Some(json!({ "state": state })),
            )
            .await
            .map(drop))
    }

    async fn set_title(&mut self, repo: Repo, number: u64, title: String) -> HostResult<()> {
        if title.trim().is_empty() || title.chars().count() > 256 {
            return invalid("a title must be 1 to 256 characters");
        }
        Ok(self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "PATCH",
                &format!("/issues/{number}"),
                Some(json!({ "title": title })),
            )
            .await
            .map(drop))
    }

    async fn set_milestone(
        &mut self,
        repo: Repo,
        number: u64,
        milestone: Option<u64>,
    ) -> HostResult<()> {
        let body = json!({ "milestone": milestone });
        Ok(self
            .invocation
            .call(
                &repo,
                &Capability::ISSUES_WRITE,
                "PATCH",
                &format!("/issues/{number}"),
                Some(body),
            )
            .await
            .map(drop))
    }

    async fn list_milestones(&mut self, repo: Repo, state: String) -> HostResult<Vec<Milestone>> {
        if !["open", "closed", "all"].contains(&state.as_str()) {
            return invalid("a milestone state is open, closed or all");
        }
        self.read_pages(
            &repo,
            pages::Listing {
                route: &format!("/milestones?state={state}"),
                capability: &Capability::ISSUES_READ,
                field: None,
                pages: MILESTONE_PAGES,
                item: milestone_from,
            },
        )
        .await
    }

    async fn request_reviewers(
        &mut self,
        repo: Repo,
        number: u64,
        users: Vec<String>,
    ) -> HostResult<()> {
        if !users_ok(&users) {
            return invalid("user names must be 1 to 39 characters");
        }
        let path = format!("/pulls/{number}/requested_reviewers");
        Ok(self
            .invocation
            .call(
                &repo,
                &Capability::PULL_REQUESTS_WRITE,
                "POST",
                &path,
                Some(json!({ "reviewers": users })),
            )
            .await
            .map(drop))
    }

    async fn remove_reviewers(
        &mut self,
        repo: Repo,
        number: u64,
        users: Vec<String>,
    ) -> HostResult<()> {
        if !users_ok(&users) {
            return invalid("user names must be 1 to 39 characters");
        }
        let path = format!("/pulls/{number}/requested_reviewers");
        Ok(self
            .invocation
            .call(
                &repo,
                &Capability::PULL_REQUESTS_WRITE,
                "DELETE",
                &path,
                Some(json!({ "reviewers": users })),
            )
            .await
            .map(drop))
    }

    async fn create_check_run(&mut self, repo: Repo, run: CheckRun) -> HostResult<u64> {
        if run.name.trim().is_empty() || run.head_sha.len() != 40 {
            return invalid("a check run needs a name and a 40-character head SHA");
        }
        let v = self
            .invocation
            .call(
                &repo,
                &Capability::CHECKS_WRITE,
                "POST",
                "/check-runs",
                Some(check_run_body(&run, true)),
            )
            .await;
        Ok(v.map(|v| v["id"].as_u64().unwrap_or_default()))
    }

    async fn update_check_run(&mut self, repo: Repo, id: u64, run: CheckRun) -> HostResult<()> {
        let v = self
            .invocation
            .call(
                &repo,
                &Capability::CHECKS_WRITE,
                "PATCH",
                &format!("/check-runs/{id}"),
                Some(check_run_body(&run, false)),
            )
            .await;
        Ok(v.map(drop))
    }

    async fn create_status(
        &mut self,
        repo: Repo,
        sha: String,
        state: StatusState,
        context: String,
        description: String,
        target_url: Option<String>,
    ) -> HostResult<()> {
        if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return invalid("a commit status needs a 40-character SHA");
        }
        let state = match state {
            StatusState::Pending => "pending",
            StatusState::Success => "success",
            StatusState::Failure => "failure",
            StatusState::Error => "error",
        };
        let body = json!({ "state": state, "context": context, "description": description, "target_url": target_url });
        Ok(self
            .invocation
            .call(
                &repo,
                &Capability::STATUSES_WRITE,
                "POST",
                &format!("/statuses/{sha}"),
                Some(body),
            )
            .await
            .map(drop))
    }

    async fn dispatch_workflow(
        &mut self,
        repo: Repo,
        workflow: String,
        git_ref: String,
        inputs: String,
    ) -> HostResult<()> {
        let inputs: Value = match serde_json::from_str(if inputs.trim().is_empty() {
            "{}"
        } else {
            &inputs
        }) {
            Ok(v @ Value::Object(_)) => v,
            _ => return invalid("workflow inputs must be a JSON object"),
        };
        let path = match segment(&workflow) {
            Ok(workflow) => format!("/actions/workflows/{workflow}/dispatches"),
            Err(e) => return Ok(Err(e)),
        };
        // The workflow runs as the ref has it, with the secrets of that branch.
        let refs = Target::of_ref(&git_ref);
        Ok(self
            .invocation
            .call_to(
                &repo,
                &Capability::ACTIONS_WRITE,
                "POST",
                &path,
                Some(json!({ "ref": git_ref, "inputs": inputs })),
                refs,
            )
            .await
            .map(drop))
    }

    async fn list_workflow_runs(
        &mut self,
        repo: Repo,
        head_sha: String,
    ) -> HostResult<Vec<WorkflowRun>> {
        let path = format!(
            "/actions/runs?head_sha={}&per_page=100",
            url_escape(&head_sha)
        );
        let v = self
            .invocation
            .call(&repo, &Capability::ACTIONS_READ, "GET", &path, None)
            .await;
        Ok(v.map(|v| {
            v["workflow_runs"]
                .as_array()
                .map(|runs| runs.iter().map(workflow_run_from).collect())
                .unwrap_or_default()
        }))
    }

    async fn rerun_workflow(&mut self, repo: Repo, run_id: u64) -> HostResult<()> {
        Ok(self
            .invocation
            .call(
                &repo,
                &Capability::ACTIONS_WRITE,
                "POST",
                &format!("/actions/runs/{run_id}/rerun"),
                None,
            )
            .await
            .map(drop))
    }

    async fn rerun_failed_jobs(&mut self, repo: Repo, run_id: u64) -> HostResult<()> {
        let path = format!("/actions/runs/{run_id}/rerun-failed-jobs");
        Ok(self
            .invocation
            .call(&repo, &Capability::ACTIONS_WRITE, "POST", &path, None)
            .await
            .map(drop))
    }

    async fn create_release(&mut self, repo: Repo, release: NewRelease) -> HostResult<Release> {
        if release.tag.trim().is_empty() {
            return invalid("a release needs a tag");
        }
        let refs = self
            .invocation
            .release_target(&release.tag, release.target.as_deref());
        let mut body = json!({
            "tag_name": release.tag,
            "name": release.name,
            "body": release.body,
            "draft": release.draft,
            "prerelease": release.prerelease,
        });
        // No target is GitHub's default (the default branch): the key is left out,
        // as GitHub refuses `"target_commitish": null` (422).
        if let Some(target) = &release.target {
            body["target_commitish"] = json!(target);
        }
        Ok(self
            .invocation
            .call_to(
                &repo,
                &Capability::CONTENTS_WRITE,
                "POST",
                "/releases",
                Some(body),
                refs,
            )
            .await
            .map(|v| release_from(&v)))
    }

    async fn publish_release(&mut self, repo: Repo, release_id: u64) -> HostResult<Release> {
        let refs = self.invocation.published_target(&repo, release_id).await;
        let v = self
            .invocation
            .call_to(
                &repo,
                &Capability::CONTENTS_WRITE,
                "PATCH",
                &format!("/releases/{release_id}"),
                Some(json!({ "draft": false })),
                refs,
            )
            .await;
        Ok(v.map(|v| release_from(&v)))
    }

    async fn get_release_by_tag(&mut self, repo: Repo, tag: String) -> HostResult<Option<Release>> {
        let tag = match segment(&tag) {
            Ok(tag) => tag,
            Err(e) => return Ok(Err(e)),
        };
        let v = self
            .invocation
            .find(
                &repo,
                &Capability::CONTENTS_READ,
                &format!("/releases/tags/{tag}"),
            )
            .await;
        Ok(v.map(|v| v.map(|v| release_from(&v))))
    }

    async fn upload_release_asset(
        &mut self,
        repo: Repo,
        release_id: u64,
        name: String,
        content_type: String,
        data: Vec<u8>,
    ) -> HostResult<u64> {
        use base64::Engine as _;
        if name.trim().is_empty() || name.contains('/') {
            return invalid("an asset name must be a plain file name");
        }
        let data = base64::engine::general_purpose::STANDARD.encode(&data);
        let done = self
            .invocation
            .held_write(&repo, &Capability::CONTENTS_WRITE, |t| {
                HeldAction::UploadAsset {
                    owner: t.owner.clone(),
                    repo: t.name.clone(),
                    release_id,
                    name,
                    content_type,
                    data,
                }
            })
            .await;
        Ok(done.map(|v| v["id"].as_u64().unwrap_or_default()))
    }

    async fn list_run_artifacts(&mut self, repo: Repo, run_id: u64) -> HostResult<Vec<Artifact>> {
        let v = self
            .invocation
            .call(
                &repo,
                &Capability::ACTIONS_READ,
                "GET",
                &format!("/actions/runs/{run_id}/artifacts?per_page=100"),
                None,
            )
            .await;
        Ok(v.map(|v| {
            v["artifacts"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| Artifact {
                            id: x["id"].as_u64().unwrap_or_default(),
                            name: text(x, "name"),
                            size: x["size_in_bytes"].as_u64().unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        }))
    }

    async fn copy_artifact_to_release(
        &mut self,
        repo: Repo,
        artifact_id: u64,
        release_id: u64,
        name: String,
    ) -> HostResult<u64> {
        if name.trim().is_empty() || name.contains('/') {
            return invalid("an asset name must be a plain file name");
        }
        let done = self
            .invocation
            .held_write(&repo, &Capability::CONTENTS_WRITE, |t| {
                HeldAction::CopyArtifact {
                    owner: t.owner.clone(),
                    repo: t.name.clone(),
                    artifact_id,
                    release_id,
                    name,
                }
            })
            .await;
        Ok(done.map(|v| v["id"].as_u64().unwrap_or_default()))
    }

    async fn get_file(
        &mut self,
        repo: Repo,
        path: String,
        at: Option<String>,
    ) -> HostResult<Option<File>> {
        use base64::Engine as _;
        let mut route = match segments(path.trim_start_matches('/')) {
            Ok(path) => format!("/contents/{path}"),
            Err(e) => return Ok(Err(e)),
        };
        if let Some(at) = at {
            route.push_str(&format!("?ref={}", url_escape(&at)));
        }
        Ok(
            match self
                .invocation
                .find(&repo, &Capability::CONTENTS_READ, &route)
                .await
            {
                Ok(Some(v)) if v.is_object() => {
                    let encoded: String = text(&v, "content").split_whitespace().collect();
                    match base64::engine::general_purpose::STANDARD.decode(encoded) {
                        Ok(content) => Ok(Some(File {
                            sha: text(&v, "sha"),
                            content,
                        })),
                        Err(e) => Err(HostError::Rejected(format!(
                            "GitHub sent undecodable content: {e}"
                        ))),
                    }
                }
                Ok(Some(_)) => Err(HostError::Invalid(format!("{path} is a directory"))),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            },
        )
    }

    async fn put_file(
        &mut self,
        repo: Repo,
        path: String,
        branch: String,
        message: String,
        content: Vec<u8>,
        sha: Option<String>,
    ) -> HostResult<String> {
        use base64::Engine as _;
        if path.trim_matches('/').is_empty() || message.trim().is_empty() {
            return invalid("a file needs a path and a commit message");
        }
        let mut body = json!({
            "message": self.invocation.mark_commit(&message),
            "content": base64::engine::general_purpose::STANDARD.encode(&content),
        });
        // A new file has no `sha`: the key is left out, as GitHub refuses `null`.
        if let Some(sha) = &sha {
            body["sha"] = json!(sha);
        }
        // An empty branch is the repository's default branch, as GitHub takes it.
        if !branch.trim().is_empty() {
            body["branch"] = json!(branch);
        }
        let route = match segments(path.trim_start_matches('/')) {
            Ok(path) => format!("/contents/{path}"),
            Err(e) => return Ok(Err(e)),
        };
        let refs = self.invocation.branch_or_default(&branch);
        Ok(self
            .invocation
            .call_to(
                &repo,
                &Capability::CONTENTS_WRITE,
                "PUT",
                &route,
                Some(body),
                refs,
            )
            .await
            .map(|v| text(&v["commit"], "sha")))
    }

    async fn get_ref(&mut self, repo: Repo, git_ref: String) -> HostResult<Option<String>> {
        let route = match segments(git_ref.trim_start_matches("refs/")) {
            Ok(name) => format!("/git/ref/{name}"),
            Err(e) => return Ok(Err(e)),
        };
        Ok(self
            .invocation
            .find(&repo, &Capability::CONTENTS_READ, &route)
            .await
            .map(|v| v.map(|v| text(&v["object"], "sha"))))
    }

    async fn create_ref(&mut self, repo: Repo, git_ref: String, sha: String) -> HostResult<()> {
        if !git_ref.starts_with("refs/") {
            return invalid("a ref to create is written in full, like refs/tags/v1.0.0");
        }
        let refs = Target::of_ref(&git_ref);
        Ok(self
            .invocation
            .call_to(
                &repo,
                &Capability::CONTENTS_WRITE,
                "POST",
                "/git/refs",
                Some(json!({ "ref": git_ref, "sha": sha })),
                refs,
            )
            .await
            .map(drop))
    }

    async fn update_ref(
        &mut self,
        repo: Repo,
        git_ref: String,
        sha: String,
        force: bool,
    ) -> HostResult<()> {
        let route = match segments(git_ref.trim_start_matches("refs/")) {
            Ok(name) => format!("/git/refs/{name}"),
            Err(e) => return Ok(Err(e)),
        };
        let refs = Target::of_ref(&git_ref);
        Ok(self
            .invocation
            .call_to(
                &repo,
                &Capability::CONTENTS_WRITE,
                "PATCH",
                &route,
                Some(json!({ "sha": sha, "force": force })),
                refs,
            )
            .await
            .map(drop))
    }
}

#[cfg(test)]
mod tests {
    use super::{within_output_limit, MAX_CHECK_OUTPUT_CHARS};

    #[test]
    fn a_check_output_over_githubs_limit_is_cut_with_a_visible_marker() {
        let fits = "é".repeat(MAX_CHECK_OUTPUT_CHARS);
        assert_eq!(within_output_limit(&fits), fits);
        let long = "é".repeat(MAX_CHECK_OUTPUT_CHARS + 1);
        let cut = within_output_limit(&long);
        assert_eq!(cut.chars().count(), MAX_CHECK_OUTPUT_CHARS);
        assert!(cut.starts_with("éé"));
        assert!(cut.ends_with(&format!(
            "cut by Gantry: {} characters, GitHub keeps 65535)",
            MAX_CHECK_OUTPUT_CHARS + 1
        )));
    }
}

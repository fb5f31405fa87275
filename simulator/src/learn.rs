//! Learning state from webhook payloads: repositories, issues, pull requests, labels,
//! collaborators and users, as GitHub would have them when it sent the event.
//!
//! Payloads come from outside, so every field is optional here: anything missing or of
//! an unexpected type is skipped, and nothing in this module can panic.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::state::{repo_key, Collaborator, Issue, LabelDef, PullInfo, Repo, Role, State};

/// Applies one webhook delivery (`event` is the `X-GitHub-Event` header) to `state`.
pub(crate) fn learn(state: &mut State, event: &str, payload: &Value) {
    for key in ["sender", "member", "assignee", "requested_reviewer"] {
        remember_user(state, payload.get(key));
    }
    let Some(key) = learn_repository(state, payload.get("repository")) else {
        return;
    };
    let action = str_at(payload, "action").unwrap_or_default();
    if let Some(issue) = payload.get("issue").filter(|v| v.is_object()) {
        if event == "issues" && action == "deleted" {
            if let (Some(number), Some(repo)) = (u64_at(issue, "number"), state.repos.get_mut(&key))
            {
                repo.issues.remove(&number);
            }
        } else {
            learn_issue(state, &key, issue, false);
        }
    }
    if let Some(pull) = payload.get("pull_request").filter(|v| v.is_object()) {
        learn_issue(state, &key, pull, true);
        learn_pull_commits(state, &key, pull);
    }
    match event {
        "label" => learn_label_event(state, &key, action, payload),
        "member" => learn_member_event(state, &key, action, payload),
        "push" => learn_push(state, &key, payload),
        _ => {
            // A `label` key also comes with `issues.labeled` and friends: remember its
            // definition so the repository knows the label.
            if let Some(label) = payload.get("label") {
                upsert_label(state, &key, label, false);
            }
        }
    }
}

/// Remembers a user object (`login`, `id`, `type`, `site_admin`) and returns its login.
fn remember_user(state: &mut State, user: Option<&Value>) -> Option<String> {
    let user = user?;
    let login = str_at(user, "login")?.to_owned();
    let kind = str_at(user, "type").unwrap_or("User");
    let known = state.ensure_user(&login, kind);
    if let Some(stored) = state.users.get_mut(&login.to_lowercase()) {
        if let Some(id) = u64_at(user, "id") {
            stored.id = id;
        }
        stored.kind = kind.to_owned();
        stored.site_admin = bool_at(user, "site_admin").unwrap_or(known.site_admin);
    }
    Some(login)
}

/// Upserts the payload's repository and returns its map key. A repository seen before
/// under another name (same id) is moved, which covers renames and transfers.
fn learn_repository(state: &mut State, repo: Option<&Value>) -> Option<String> {
    let repo = repo.filter(|v| v.is_object())?;
    let name = str_at(repo, "name")?.to_owned();
    let owner_value = repo.get("owner");
    let owner = remember_user(state, owner_value)
        .or_else(|| {
            owner_value
                .and_then(|o| str_at(o, "name"))
                .map(str::to_owned)
        })
        .or_else(|| {
            str_at(repo, "full_name")
                .and_then(|f| f.split_once('/'))
                .map(|(o, _)| o.to_owned())
        })?;
    let key = repo_key(&owner, &name);
    let id = u64_at(repo, "id");
    if let Some(id) = id {
        let old_key = state
            .repos
            .iter()
            .find(|(k, r)| r.id == id && **k != key)
            .map(|(k, _)| k.clone());
        if let Some(moved) = old_key.and_then(|k| state.repos.remove(&k)) {
            state.repos.insert(key.clone(), moved);
        }
    }
    if !state.repos.contains_key(&key) {
        let new_id = match id {
            Some(id) => id,
            None => state.next_id(),
        };
        let created_at = time_at(repo, "created_at").unwrap_or_else(Utc::now);
        state
            .repos
            .insert(key.clone(), Repo::new(new_id, &owner, &name, created_at));
    }
    let stored = state.repos.get_mut(&key)?;
    stored.owner = owner;
    stored.name = name;
    if let Some(id) = id {
        stored.id = id;
    }
    if let Some(node_id) = str_at(repo, "node_id") {
        stored.node_id = node_id.to_owned();
    }
    if let Some(private) = bool_at(repo, "private") {
        stored.private = private;
    }
    if let Some(branch) = str_at(repo, "default_branch").or_else(|| str_at(repo, "master_branch")) {
        stored.default_branch = branch.to_owned();
    }
    if let Some(description) = repo.get("description") {
        stored.description = description.as_str().map(str::to_owned);
    }
    Some(key)
}

/// Inserts an issue or pull request, or updates title, body and state of a known one
/// (labels and comments written through the API are kept).
fn learn_issue(state: &mut State, key: &str, v: &Value, from_pull_payload: bool) {
    let Some(number) = u64_at(v, "number") else {
        return;
    };
    let is_pull = from_pull_payload || v.get("pull_request").is_some_and(|p| !p.is_null());
    let author = remember_user(state, v.get("user")).unwrap_or_else(|| "ghost".to_owned());
    let mut assignees = Vec::new();
    for a in v
        .get("assignees")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(login) = remember_user(state, Some(a)) {
            assignees.push(login);
        }
    }
    let mut labels = Vec::new();
    for label in v
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = upsert_label(state, key, label, false) {
            labels.push(name);
        }
    }
    let title = str_at(v, "title").unwrap_or_default().to_owned();
    let body = str_at(v, "body").map(str::to_owned);
    let open = str_at(v, "state") != Some("closed");
    let now = Utc::now();
    let updated_at = time_at(v, "updated_at").unwrap_or(now);
    let closed_at = time_at(v, "closed_at");
    let pull = is_pull.then(|| pull_info(v, from_pull_payload));
    let generated_id = state.next_id();
    let Some(repo) = state.repos.get_mut(key) else {
        return;
    };
    if let Some(issue) = repo.issues.get_mut(&number) {
        issue.title = title;
        issue.body = body;
        issue.open = open;
        issue.updated_at = updated_at;
        issue.closed_at = closed_at;
        if let Some(reason) = v.get("state_reason") {
            issue.state_reason = reason.as_str().map(str::to_owned);
        }
        // Only a pull request payload knows head and base; an issue payload only says
        // that the issue is a pull request.
        if from_pull_payload || issue.pull.is_none() {
            if let Some(mut pull) = pull {
                // Reviews, files, requested reviewers and mergeability written
                // through the API stay, as labels and comments do.
                if let Some(old) = issue.pull.take() {
                    pull.requested_reviewers = old.requested_reviewers;
                    pull.reviews = old.reviews;
                    pull.files = old.files;
                    pull.mergeable = old.mergeable;
                    pull.merged_by = old.merged_by;
                    if pull.reported.is_none() {
                        pull.reported = old.reported;
                    }
                    if pull.id == 0 {
                        pull.id = old.id;
                    }
                }
                issue.pull = Some(pull);
            }
        }
        return;
    }
    // A pull request payload's `id` is the pull request's, not the issue's.
    let id = if from_pull_payload {
        generated_id
    } else {
        u64_at(v, "id").unwrap_or(generated_id)
    };
    let mut issue = Issue {
        id,
        node_id: str_at(v, "node_id")
            .filter(|_| !from_pull_payload)
            .map_or_else(|| format!("I_sim{id}"), str::to_owned),
        number,
        title,
        body,
        user: author,
        open,
        locked: bool_at(v, "locked").unwrap_or(false),
        labels: Vec::new(),
        assignees,
        comments: Vec::new(),
        pull,
        created_at: time_at(v, "created_at").unwrap_or(now),
        updated_at,
        closed_at,
        state_reason: str_at(v, "state_reason").map(str::to_owned),
        milestone: None,
    };
    for name in &labels {
        issue.add_label(name);
    }
    repo.issues.insert(number, issue);
}

/// Records a pull request's head and base commits, and points its branches in this
/// repository at them when the branches are unknown or only hold a placeholder commit
/// (a fork's head branch is not created here).
fn learn_pull_commits(state: &mut State, key: &str, pull: &Value) {
    let Some(repo) = state.repos.get_mut(key) else {
        return;
    };
    let full_name = format!("{}/{}", repo.owner, repo.name);
    for side in ["base", "head"] {
        let Some(v) = pull.get(side) else { continue };
        let (Some(branch), Some(sha)) = (str_at(v, "ref"), str_at(v, "sha")) else {
            continue;
        };
        let sha = sha.to_ascii_lowercase();
        repo.git.adopt(&sha, Utc::now());
        let same_repo = v
            .get("repo")
            .and_then(|r| str_at(r, "full_name"))
            .is_none_or(|name| name.eq_ignore_ascii_case(&full_name));
        let name = format!("refs/heads/{branch}");
        let replaceable = repo
            .git
            .refs
            .get(&name)
            .is_none_or(|old| repo.git.is_placeholder(old));
        if same_repo && replaceable && repo.git.commits.contains_key(&sha) {
            repo.git.refs.insert(name, sha);
        }
    }
}

/// `push` events: the ref moves to `after`, or is deleted.
fn learn_push(state: &mut State, key: &str, payload: &Value) {
    let (Some(name), Some(after)) = (str_at(payload, "ref"), str_at(payload, "after")) else {
        return;
    };
    let Some(repo) = state.repos.get_mut(key) else {
        return;
    };
    if bool_at(payload, "deleted") == Some(true) {
        repo.git.refs.remove(name);
        return;
    }
    let after = after.to_ascii_lowercase();
    repo.git.adopt(&after, Utc::now());
    if let Some(message) = payload
        .get("head_commit")
        .and_then(|c| str_at(c, "message"))
    {
        if let Some(commit) = repo.git.commits.get_mut(&after) {
            if commit.message.is_empty() {
                commit.message = message.to_owned();
            }
        }
    }
    if repo.git.commits.contains_key(&after) && name.starts_with("refs/") {
        repo.git.refs.insert(name.to_owned(), after);
    }
}

/// Head, base and flags of a pull request object (defaults when absent).
fn pull_info(v: &Value, from_pull_payload: bool) -> PullInfo {
    let side = |name: &str, field: &str| {
        v.get(name)
            .and_then(|s| str_at(s, field))
            .unwrap_or_default()
            .to_owned()
    };
    PullInfo {
        id: if from_pull_payload {
            u64_at(v, "id").unwrap_or(0)
        } else {
            0
        },
        head_ref: side("head", "ref"),
        head_sha: side("head", "sha"),
        base_ref: side("base", "ref"),
        base_sha: side("base", "sha"),
        draft: bool_at(v, "draft").unwrap_or(false),
        merged: bool_at(v, "merged").unwrap_or(false),
        requested_reviewers: v
            .get("requested_reviewers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|u| str_at(u, "login").map(str::to_owned))
            .collect(),
        merged_at: time_at(v, "merged_at"),
        merge_commit_sha: str_at(v, "merge_commit_sha").map(str::to_owned),
        reported: match (
            u64_at(v, "additions"),
            u64_at(v, "deletions"),
            u64_at(v, "changed_files"),
        ) {
            (Some(a), Some(d), files) if from_pull_payload => Some((a, d, files.unwrap_or(0))),
            _ => None,
        },
        ..PullInfo::default()
    }
}

/// Adds a payload label object to the repository's labels (updating it when
/// `overwrite`), returning the label's name.
fn upsert_label(state: &mut State, key: &str, label: &Value, overwrite: bool) -> Option<String> {
    let name = str_at(label, "name")?.to_owned();
    let generated_id = state.next_id();
    let repo = state.repos.get_mut(key)?;
    let color = str_at(label, "color").unwrap_or("ededed").to_owned();
    let description = str_at(label, "description").map(str::to_owned);
    if let Some(existing) = repo
        .labels
        .iter_mut()
        .find(|l| l.name.eq_ignore_ascii_case(&name))
    {
        if overwrite {
            existing.name.clone_from(&name);
            existing.color = color;
            existing.description = description;
        }
        return Some(existing.name.clone());
    }
    let id = u64_at(label, "id").unwrap_or(generated_id);
    repo.labels.push(LabelDef {
        id,
        node_id: str_at(label, "node_id").map_or_else(|| format!("LA_sim{id}"), str::to_owned),
        name: name.clone(),
        color,
        description,
        default: bool_at(label, "default").unwrap_or(false),
    });
    Some(name)
}

/// `label` events: created, edited (possibly renamed) and deleted labels.
fn learn_label_event(state: &mut State, key: &str, action: &str, payload: &Value) {
    let Some(label) = payload.get("label") else {
        return;
    };
    let Some(name) = str_at(label, "name") else {
        return;
    };
    match action {
        "deleted" => {
            if let Some(repo) = state.repos.get_mut(key) {
                repo.labels.retain(|l| !l.name.eq_ignore_ascii_case(name));
                for issue in repo.issues.values_mut() {
                    issue.remove_label(name);
                }
            }
        }
        "edited" => {
            let old = payload
                .pointer("/changes/name/from")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_owned();
            if let Some(repo) = state.repos.get_mut(key) {
                if let Some(def) = repo
                    .labels
                    .iter_mut()
                    .find(|l| l.name.eq_ignore_ascii_case(&old))
                {
                    def.name = name.to_owned();
                }
                for issue in repo.issues.values_mut() {
                    for l in issue
                        .labels
                        .iter_mut()
                        .filter(|l| l.eq_ignore_ascii_case(&old))
                    {
                        *l = name.to_owned();
                    }
                }
            }
            upsert_label(state, key, label, true);
        }
        _ => {
            upsert_label(state, key, label, true);
        }
    }
}

/// `member` events: a collaborator added (with `changes.permission.to` when given) or removed.
fn learn_member_event(state: &mut State, key: &str, action: &str, payload: &Value) {
    let Some(login) = payload.get("member").and_then(|m| str_at(m, "login")) else {
        return;
    };
    let role = payload
        .pointer("/changes/permission/to")
        .and_then(Value::as_str)
        .and_then(Role::parse)
        .unwrap_or(Role::Write);
    let Some(repo) = state.repos.get_mut(key) else {
        return;
    };
    match action {
        "added" | "edited" => {
            repo.collaborators.insert(
                login.to_lowercase(),
                Collaborator {
                    login: login.to_owned(),
                    role,
                },
            );
        }
        "removed" => {
            repo.collaborators.remove(&login.to_lowercase());
        }
        _ => {}
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn u64_at(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

fn bool_at(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

/// A timestamp written as RFC 3339 text or, as in `push` payloads, as Unix seconds.
fn time_at(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    match v.get(key)? {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        Value::Number(n) => n
            .as_i64()
            .and_then(|secs| Utc.timestamp_opt(secs, 0).single()),
        _ => None,
    }
}

/// Makes sure a repository exists, as if a payload had named it: for seeding the
/// sandbox's simulator through GitHub's own write endpoints before any event.
pub(crate) fn ensure_repo(state: &mut State, owner: &str, name: &str) {
    let repo = serde_json::json!({"name": name, "owner": {"login": owner, "type": "User"}});
    learn_repository(state, Some(&repo));
}

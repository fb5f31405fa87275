//! GitHub-shaped JSON for the simulator's objects: one function per object kind, each
//! emitting every field octocrab's models require. URLs are built on `base`, the
//! scheme and host the request came to, so links lead back to the simulator.
//!
//! This module holds the core kinds (user, label, comment, issue, pull request,
//! repository, collaborator, permission); the later areas have their own files:
//! `issues` (milestones, reactions), `pulls` (reviews, files), `checks` (check runs,
//! statuses), `actions` (workflows, runs, jobs, artifacts), `releases`, `git`
//! (refs, commits, tags, branches, contents) and `apps` (apps, installations, tokens).

pub(crate) mod actions;
pub(crate) mod apps;
pub(crate) mod checks;
pub(crate) mod git;
pub(crate) mod issues;
pub(crate) mod pulls;
pub(crate) mod releases;

use serde_json::{json, Value};

use crate::state::{Comment, Issue, LabelDef, Repo, Role, State, User, REACTIONS};

#[cfg(test)]
mod tests;

/// Percent-encodes one URL path segment (login, repository or label name).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The API URL of a repository: `{base}/repos/{owner}/{name}`.
pub(crate) fn repo_url(base: &str, repo: &Repo) -> String {
    format!("{base}/repos/{}/{}", seg(&repo.owner), seg(&repo.name))
}

/// The web URL of a repository: `{base}/{owner}/{name}`.
pub(crate) fn repo_html_url(base: &str, repo: &Repo) -> String {
    format!("{base}/{}/{}", seg(&repo.owner), seg(&repo.name))
}

/// The user object for `login`, known or not.
pub(crate) fn login(base: &str, state: &State, login: &str) -> Value {
    user(base, &state.user_or_placeholder(login))
}

/// A user object (`models::Author`).
pub(crate) fn user(base: &str, user: &User) -> Value {
    let url = format!("{base}/users/{}", seg(&user.login));
    let html_url = match user.login.strip_suffix("[bot]") {
        Some(app) if user.kind == "Bot" => format!("{base}/apps/{}", seg(app)),
        _ => format!("{base}/{}", seg(&user.login)),
    };
    json!({
        "login": user.login,
        "id": user.id,
        "node_id": format!("U_sim{}", user.id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", user.id),
        "gravatar_id": "",
        "url": url,
        "html_url": html_url,
        "followers_url": format!("{url}/followers"),
        "following_url": format!("{url}/following{{/other_user}}"),
        "gists_url": format!("{url}/gists{{/gist_id}}"),
        "starred_url": format!("{url}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{url}/subscriptions"),
        "organizations_url": format!("{url}/orgs"),
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events{{/privacy}}"),
        "received_events_url": format!("{url}/received_events"),
        "type": user.kind,
        "site_admin": user.site_admin,
    })
}

/// A user as `GET /user` answers (GitHub's public user): the user object plus the
/// profile fields, empty (`null` or 0) as the simulator keeps no profiles.
pub(crate) fn public_user(base: &str, who: &User) -> Value {
    let mut out = user(base, who);
    if let Some(map) = out.as_object_mut() {
        for key in [
            "name", "company", "blog", "location", "email", "hireable", "bio",
        ] {
            map.insert(key.to_owned(), Value::Null);
        }
        for key in ["public_repos", "public_gists", "followers", "following"] {
            map.insert(key.to_owned(), json!(0));
        }
        let epoch = "2008-01-14T04:33:35Z";
        map.insert("created_at".to_owned(), json!(epoch));
        map.insert("updated_at".to_owned(), json!(epoch));
    }
    out
}

/// A label object (`models::Label`).
pub(crate) fn label(base: &str, repo: &Repo, label: &LabelDef) -> Value {
    json!({
        "id": label.id,
        "node_id": label.node_id,
        "url": format!("{}/labels/{}", repo_url(base, repo), seg(&label.name)),
        "name": label.name,
        "color": label.color,
        "default": label.default,
        "description": label.description,
    })
}

/// The label objects for the names on an issue; a name the repository lost is shown
/// with GitHub's default color rather than dropped.
pub(crate) fn issue_labels(base: &str, repo: &Repo, issue: &Issue) -> Vec<Value> {
    issue
        .labels
        .iter()
        .map(|name| match repo.label(name) {
            Some(def) => label(base, repo, def),
            None => label(
                base,
                repo,
                &LabelDef {
                    id: 0,
                    node_id: String::new(),
                    name: name.clone(),
                    color: "ededed".to_owned(),
                    description: None,
                    default: false,
                },
            ),
        })
        .collect()
}

/// An issue comment object (`models::issues::Comment`).
pub(crate) fn comment(
    base: &str,
    state: &State,
    repo: &Repo,
    number: u64,
    comment: &Comment,
) -> Value {
    let author = state.user_or_placeholder(&comment.user);
    let url = format!("{}/issues/comments/{}", repo_url(base, repo), comment.id);
    let mut reactions = json!({
        "url": format!("{url}/reactions"),
        "total_count": comment.reactions.len(),
    });
    if let Some(map) = reactions.as_object_mut() {
        for content in REACTIONS {
            let count = comment
                .reactions
                .iter()
                .filter(|r| r.content == content)
                .count();
            map.insert(content.to_owned(), json!(count));
        }
    }
    json!({
        "id": comment.id,
        "node_id": comment.node_id,
        "url": url,
        "html_url": format!("{}/issues/{number}#issuecomment-{}", repo_html_url(base, repo), comment.id),
        "issue_url": format!("{}/issues/{number}", repo_url(base, repo)),
        "body": comment.body,
        "user": user(base, &author),
        "created_at": comment.created_at.to_rfc3339(),
        "updated_at": comment.updated_at.to_rfc3339(),
        "author_association": repo.author_association(&comment.user),
        "reactions": reactions,
    })
}

/// An issue object (`models::issues::Issue`); a pull request gets the `pull_request`
/// key, as GitHub does.
pub(crate) fn issue(base: &str, state: &State, repo: &Repo, issue: &Issue) -> Value {
    let api = format!("{}/issues/{}", repo_url(base, repo), issue.number);
    let kind = if issue.pull.is_some() {
        "pull"
    } else {
        "issues"
    };
    let html = format!("{}/{kind}/{}", repo_html_url(base, repo), issue.number);
    let assignees: Vec<Value> = issue
        .assignees
        .iter()
        .map(|login| user(base, &state.user_or_placeholder(login)))
        .collect();
    let mut out = json!({
        "id": issue.id,
        "node_id": issue.node_id,
        "url": api,
        "repository_url": repo_url(base, repo),
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "timeline_url": format!("{api}/timeline"),
        "html_url": html,
        "number": issue.number,
        "state": if issue.open { "open" } else { "closed" },
        "state_reason": issue.state_reason,
        "title": issue.title,
        "body": issue.body,
        "user": user(base, &state.user_or_placeholder(&issue.user)),
        "labels": issue_labels(base, repo, issue),
        "assignee": assignees.first().cloned(),
        "assignees": assignees,
        "milestone": issue
            .milestone
            .and_then(|n| repo.milestone(n))
            .map(|m| issues::milestone(base, state, repo, m)),
        "locked": issue.locked,
        "active_lock_reason": null,
        "comments": issue.comments.len(),
        "closed_at": issue.closed_at.map(|t| t.to_rfc3339()),
        "created_at": issue.created_at.to_rfc3339(),
        "updated_at": issue.updated_at.to_rfc3339(),
        "author_association": repo.author_association(&issue.user),
    });
    if let (Some(pull), Some(map)) = (&issue.pull, out.as_object_mut()) {
        let pulls = format!("{}/pulls/{}", repo_url(base, repo), issue.number);
        map.insert("draft".to_owned(), json!(pull.draft));
        map.insert(
            "pull_request".to_owned(),
            json!({
                "url": pulls,
                "html_url": html,
                "diff_url": format!("{html}.diff"),
                "patch_url": format!("{html}.patch"),
                "merged_at": pull.merged_at.map(|t| t.to_rfc3339()),
            }),
        );
    }
    out
}

/// A pull request object (`models::pulls::PullRequest`) for an issue that is one.
pub(crate) fn pull_request(base: &str, state: &State, repo: &Repo, issue: &Issue) -> Option<Value> {
    let pull = issue.pull.as_ref()?;
    let api = format!("{}/pulls/{}", repo_url(base, repo), issue.number);
    let issue_api = format!("{}/issues/{}", repo_url(base, repo), issue.number);
    let html = format!("{}/pull/{}", repo_html_url(base, repo), issue.number);
    let owner = user(base, &state.user_or_placeholder(&repo.owner));
    let repo_json = repository(base, state, repo);
    let side = |r: &str, sha: &str| {
        json!({
            "label": format!("{}:{r}", repo.owner),
            "ref": r,
            "sha": sha,
            "user": owner,
            "repo": repo_json,
        })
    };
    let as_issue = self::issue(base, state, repo, issue);
    let mut out = json!({
        "id": pull.id,
        "node_id": format!("PR_sim{}", pull.id),
        "number": issue.number,
        "url": api,
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": issue_api,
        "commits_url": format!("{api}/commits"),
        "review_comments_url": format!("{api}/comments"),
        "review_comment_url": format!("{}/pulls/comments{{/number}}", repo_url(base, repo)),
        "comments_url": format!("{issue_api}/comments"),
        "statuses_url": format!("{}/statuses/{}", repo_url(base, repo), pull.head_sha),
        "state": as_issue["state"],
        "locked": issue.locked,
        "title": issue.title,
        "user": as_issue["user"],
        "body": issue.body,
        "labels": as_issue["labels"],
        "milestone": as_issue["milestone"],
        "active_lock_reason": null,
        "created_at": as_issue["created_at"],
        "updated_at": as_issue["updated_at"],
        "closed_at": as_issue["closed_at"],
        "merged_at": pull.merged_at.map(|t| t.to_rfc3339()),
        "merge_commit_sha": pull.merge_commit_sha,
        "merged_by": pull.merged_by.as_deref().map(|l| login(base, state, l)),
        "assignee": as_issue["assignee"],
        "assignees": as_issue["assignees"],
        "requested_reviewers": pull
            .requested_reviewers
            .iter()
            .map(|l| login(base, state, l))
            .collect::<Vec<_>>(),
        "requested_teams": [],
        "head": side(&pull.head_ref, &pull.head_sha),
        "base": side(&pull.base_ref, &pull.base_sha),
        "author_association": as_issue["author_association"],
        "draft": pull.draft,
        "merged": pull.merged,
        "mergeable": issue.is_mergeable(),
        "mergeable_state": issue.mergeable_state(),
        "comments": issue.comments.len(),
        "review_comments": 0,
        "maintainer_can_modify": false,
    });
    if let Some(map) = out.as_object_mut() {
        let repo_api = repo_url(base, repo);
        map.insert("auto_merge".to_owned(), Value::Null);
        // The commits are those on the head its base has not (`/pulls/{n}/commits`),
        // one for a head the simulator only heard of.
        let (head, base) = (
            pull.head_sha.to_ascii_lowercase(),
            pull.base_sha.to_ascii_lowercase(),
        );
        let commits = if repo.git.commits.contains_key(&head) {
            repo.git.commits_between(&base, &head).len()
        } else {
            1
        };
        map.insert("commits".to_owned(), json!(commits));
        // Without seeded files, the counts of the last payload learned.
        let (additions, deletions, changed) = match pull.reported {
            Some(counts) if pull.files.is_empty() => counts,
            _ => (
                pull.files.iter().map(|f| f.additions).sum(),
                pull.files.iter().map(|f| f.deletions).sum(),
                pull.files.len() as u64,
            ),
        };
        map.insert("additions".to_owned(), json!(additions));
        map.insert("deletions".to_owned(), json!(deletions));
        map.insert("changed_files".to_owned(), json!(changed));
        let links = json!({
            "self": {"href": api},
            "html": {"href": html},
            "issue": {"href": issue_api},
            "comments": {"href": format!("{issue_api}/comments")},
            "review_comments": {"href": format!("{api}/comments")},
            "review_comment": {"href": format!("{repo_api}/pulls/comments{{/number}}")},
            "commits": {"href": format!("{api}/commits")},
            "statuses": {"href": format!("{repo_api}/statuses/{}", pull.head_sha)},
        });
        map.insert("_links".to_owned(), links);
    }
    Some(out)
}

/// A repository object (`models::Repository`).
pub(crate) fn repository(base: &str, state: &State, repo: &Repo) -> Value {
    let url = repo_url(base, repo);
    let html = repo_html_url(base, repo);
    let open_issues = repo.issues.values().filter(|i| i.open).count();
    let owner = state.user_or_placeholder(&repo.owner);
    let created = repo.created_at.to_rfc3339();
    let mut out = json!({
        "id": repo.id,
        "node_id": repo.node_id,
        "name": repo.name,
        "full_name": format!("{}/{}", repo.owner, repo.name),
        "private": repo.private,
        "owner": user(base, &owner),
        "html_url": html,
        "description": repo.description,
        "fork": false,
        "url": url,
        "created_at": created,
        "updated_at": created,
        "pushed_at": created,
        "git_url": format!("{html}.git"),
        "ssh_url": format!("git@simulator:{}/{}.git", repo.owner, repo.name),
        "clone_url": format!("{html}.git"),
        "svn_url": html,
        "homepage": null,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": null,
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": true,
        "has_pages": false,
        "forks_count": 0,
        "mirror_url": null,
        "archived": false,
        "disabled": false,
        "open_issues_count": open_issues,
        "license": null,
        "allow_forking": true,
        "is_template": false,
        "topics": [],
        "visibility": if repo.private { "private" } else { "public" },
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
        "default_branch": repo.default_branch,
    });
    if let Some(map) = out.as_object_mut() {
        map.insert("has_discussions".to_owned(), json!(false));
        map.insert("network_count".to_owned(), json!(0));
        map.insert("subscribers_count".to_owned(), json!(0));
        for (key, suffix) in [
            ("forks_url", "/forks"),
            ("keys_url", "/keys{/key_id}"),
            ("collaborators_url", "/collaborators{/collaborator}"),
            ("teams_url", "/teams"),
            ("hooks_url", "/hooks"),
            ("issue_events_url", "/issues/events{/number}"),
            ("events_url", "/events"),
            ("assignees_url", "/assignees{/user}"),
            ("branches_url", "/branches{/branch}"),
            ("tags_url", "/tags"),
            ("blobs_url", "/git/blobs{/sha}"),
            ("git_tags_url", "/git/tags{/sha}"),
            ("git_refs_url", "/git/refs{/sha}"),
            ("trees_url", "/git/trees{/sha}"),
            ("statuses_url", "/statuses/{sha}"),
            ("languages_url", "/languages"),
            ("stargazers_url", "/stargazers"),
            ("contributors_url", "/contributors"),
            ("subscribers_url", "/subscribers"),
            ("subscription_url", "/subscription"),
            ("commits_url", "/commits{/sha}"),
            ("git_commits_url", "/git/commits{/sha}"),
            ("comments_url", "/comments{/number}"),
            ("issue_comment_url", "/issues/comments{/number}"),
            ("contents_url", "/contents/{+path}"),
            ("compare_url", "/compare/{base}...{head}"),
            ("merges_url", "/merges"),
            ("archive_url", "/{archive_format}{/ref}"),
            ("downloads_url", "/downloads"),
            ("issues_url", "/issues{/number}"),
            ("pulls_url", "/pulls{/number}"),
            ("milestones_url", "/milestones{/number}"),
            (
                "notifications_url",
                "/notifications{?since,all,participating}",
            ),
            ("labels_url", "/labels{/name}"),
            ("releases_url", "/releases{/id}"),
            ("deployments_url", "/deployments"),
        ] {
            map.insert(key.to_owned(), Value::String(format!("{url}{suffix}")));
        }
    }
    out
}

/// The `permissions` object of a collaborator holding `role`.
fn permissions(role: Option<Role>) -> Value {
    let at_least = |r: Role| role.is_some_and(|have| have >= r);
    json!({
        "admin": at_least(Role::Admin),
        "maintain": at_least(Role::Maintain),
        "push": at_least(Role::Write),
        "triage": at_least(Role::Triage),
        "pull": at_least(Role::Read),
    })
}

/// A collaborator object (`models::Collaborator`): a user with `permissions` and `role_name`.
pub(crate) fn collaborator(base: &str, who: &User, role: Option<Role>) -> Value {
    let mut out = user(base, who);
    if let Some(map) = out.as_object_mut() {
        map.insert("permissions".to_owned(), permissions(role));
        map.insert(
            "role_name".to_owned(),
            json!(role.map_or("none", Role::role_name)),
        );
    }
    out
}

/// The answer of `GET /collaborators/{u}/permission`.
pub(crate) fn permission(base: &str, who: &User, role: Option<Role>) -> Value {
    json!({
        "permission": role.map_or("none", Role::legacy_permission),
        "role_name": role.map_or("none", Role::role_name),
        "user": collaborator(base, who, role),
    })
}

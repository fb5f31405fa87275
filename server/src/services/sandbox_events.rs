//! The events the dashboard's sandbox page sends (`routes/dashboard/sandbox.rs`):
//! realistic GitHub payloads for a repository, sender, number and title. Pull
//! request events start from the fixture corpus's full payload (additions,
//! deletions, changed files, commits, mergeable state, head and base), so plugins
//! reading any field GitHub sends work in the sandbox; a command can be sent as a
//! comment on an issue or on a pull request (GitHub marks the latter with
//! `issue.pull_request`), so `pull_requests_only` commands can be tried too.
use serde_json::{json, Value};

/// The events offered: `(template, label)`.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("issue-opened", "Issue opened"),
    ("pr-opened", "Pull request opened"),
    ("comment-command", "Issue comment with a command"),
    ("pr-comment-command", "Pull request comment with a command"),
    ("push", "Push to the default branch"),
];

/// GitHub's `pull_request.opened` payload from the fixture corpus.
pub(crate) const PR_OPENED: &str =
    include_str!("../../../tests/fixtures/webhooks/pull_request/opened.payload.json");

/// The repository, people and numbers an event is about.
#[derive(Debug)]
pub struct Names<'a> {
    pub owner: &'a str,
    pub name: &'a str,
    pub sender: &'a str,
    pub number: u64,
    pub title: &'a str,
    pub comment: &'a str,
}

/// A template the page does not offer.
#[derive(Debug, thiserror::Error)]
#[error("unknown event template `{0}`")]
pub struct UnknownTemplate(pub String);

/// The event name and payload of `template`.
///
/// # Errors
/// [`UnknownTemplate`] for a template not in [`TEMPLATES`].
pub fn event(template: &str, n: &Names<'_>) -> Result<(&'static str, Value), UnknownTemplate> {
    let full = n.full_name();
    Ok(match template {
        "issue-opened" => (
            "issues",
            json!({ "action": "opened", "issue": issue(n), "repository": repository(n), "sender": account(n.sender) }),
        ),
        "pr-opened" => (
            "pull_request",
            json!({ "action": "opened", "number": n.number, "pull_request": pull_request(n), "repository": repository(n), "sender": account(n.sender) }),
        ),
        "comment-command" | "pr-comment-command" => {
            let mut on = issue(n);
            if template == "pr-comment-command" {
                on["pull_request"] = json!({ "url": format!("https://api.github.com/repos/{full}/pulls/{}", n.number),
                                             "html_url": format!("https://github.com/{full}/pull/{}", n.number),
                                             "diff_url": format!("https://github.com/{full}/pull/{}.diff", n.number),
                                             "patch_url": format!("https://github.com/{full}/pull/{}.patch", n.number), "merged_at": null });
            }
            let comment = json!({ "id": 7_000_000 + n.number, "node_id": "IC_sandbox", "body": n.comment, "user": account(n.sender), "author_association": "OWNER",
                                  "created_at": now(), "updated_at": now(), "html_url": format!("https://github.com/{full}/issues/{}#issuecomment-1", n.number) });
            (
                "issue_comment",
                json!({ "action": "created", "issue": on, "comment": comment, "repository": repository(n), "sender": account(n.sender) }),
            )
        }
        "push" => {
            let after = hex::encode(uuid::Uuid::new_v4().as_bytes()) + "00000000";
            let commit = json!({ "id": after, "message": n.title, "timestamp": now(), "author": { "name": n.sender, "email": format!("{}@example.invalid", n.sender), "username": n.sender },
                                 "added": [], "removed": [], "modified": ["README.md"] });
            (
                "push",
                json!({ "ref": "refs/heads/main", "before": "0".repeat(40), "after": after, "created": false, "deleted": false, "forced": false,
                        "commits": [commit.clone()], "head_commit": commit, "pusher": { "name": n.sender, "email": format!("{}@example.invalid", n.sender) },
                        "repository": repository(n), "sender": account(n.sender) }),
            )
        }
        other => return Err(UnknownTemplate(other.to_owned())),
    })
}

impl Names<'_> {
    fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

fn account(login: &str) -> Value {
    json!({ "login": login, "id": 1000 + login.len(), "node_id": format!("U_{login}"), "type": "User", "site_admin": false,
            "html_url": format!("https://github.com/{login}"), "url": format!("https://api.github.com/users/{login}") })
}

fn repository(n: &Names<'_>) -> Value {
    let full = n.full_name();
    json!({ "id": 500_000 + full.len(), "node_id": format!("R_{full}"), "name": n.name, "full_name": full, "private": false,
            "owner": account(n.owner), "html_url": format!("https://github.com/{full}"), "url": format!("https://api.github.com/repos/{full}"),
            "clone_url": format!("https://github.com/{full}.git"), "default_branch": "main", "fork": false, "archived": false })
}

fn issue(n: &Names<'_>) -> Value {
    let full = n.full_name();
    json!({ "id": 9_000_000 + n.number, "node_id": format!("I_{}", n.number), "number": n.number, "title": n.title, "body": "Sent from the sandbox page.",
            "state": "open", "locked": false, "user": account(n.sender), "labels": [], "assignees": [], "comments": 0,
            "author_association": "OWNER", "created_at": now(), "updated_at": now(),
            "html_url": format!("https://github.com/{full}/issues/{}", n.number), "url": format!("https://api.github.com/repos/{full}/issues/{}", n.number) })
}

/// The corpus's pull request moved to this repository, number, title and author;
/// every other field (sizes, commits, mergeable state, links) as GitHub sent it.
fn pull_request(n: &Names<'_>) -> Value {
    let full = n.full_name();
    let corpus: Value = serde_json::from_str(PR_OPENED).unwrap_or(Value::Null);
    let corpus_repo = corpus["repository"]["full_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let corpus_number = corpus["number"].as_u64().unwrap_or_default();
    let mut pr = corpus["pull_request"].clone();
    // Links name the corpus's repository and number: point them at this one.
    rewrite_strings(&mut pr, &|s| {
        let s = if corpus_repo.is_empty() {
            s.to_owned()
        } else {
            s.replace(&corpus_repo, &full)
        };
        s.replace(
            &format!("/pulls/{corpus_number}"),
            &format!("/pulls/{}", n.number),
        )
        .replace(
            &format!("/pull/{corpus_number}"),
            &format!("/pull/{}", n.number),
        )
        .replace(
            &format!("/issues/{corpus_number}"),
            &format!("/issues/{}", n.number),
        )
    });
    // A head commit of its own per repository and number, as a new pull request has.
    let sha = hex::encode(sha2::Digest::finalize(
        <sha2::Sha256 as sha2::Digest>::new_with_prefix(format!("{full}#{}", n.number)),
    ))[..40]
        .to_owned();
    for (side, branch, sha) in [("head", "feature", sha.as_str()), ("base", "main", "")] {
        let part = &mut pr[side];
        part["ref"] = branch.into();
        part["label"] = format!("{}:{branch}", n.owner).into();
        part["repo"] = repository(n);
        part["user"] = account(n.owner);
        if !sha.is_empty() {
            part["sha"] = sha.into();
        }
    }
    pr["id"] = (8_000_000 + n.number).into();
    pr["node_id"] = format!("PR_{}", n.number).into();
    pr["number"] = n.number.into();
    pr["title"] = n.title.into();
    pr["body"] = "Sent from the sandbox page.".into();
    pr["user"] = account(n.sender);
    pr["labels"] = json!([]);
    pr["created_at"] = now().into();
    pr["updated_at"] = now().into();
    pr
}

fn rewrite_strings(value: &mut Value, f: &dyn Fn(&str) -> String) {
    match value {
        Value::String(s) => *s = f(s),
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_strings(v, f)),
        Value::Object(map) => map.values_mut().for_each(|v| rewrite_strings(v, f)),
        _ => {}
    }
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names<'static> {
        Names {
            owner: "acme",
            name: "app",
            sender: "mia",
            number: 42,
            title: "Try it",
            comment: "/hold",
        }
    }

    #[test]
    fn a_sandbox_pull_request_carries_every_field_github_sends_moved_to_its_repository() {
        let (event, payload) = event("pr-opened", &names()).unwrap();
        assert_eq!(event, "pull_request");
        let pr = &payload["pull_request"];
        for key in [
            "additions",
            "deletions",
            "changed_files",
            "commits",
            "mergeable_state",
            "draft",
            "_links",
        ] {
            assert!(pr.get(key).is_some(), "{key} is missing");
        }
        assert_eq!(pr["number"], 42);
        assert_eq!(pr["base"]["repo"]["full_name"], "acme/app");
        assert_eq!(pr["url"], "https://api.github.com/repos/acme/app/pulls/42");
        assert_eq!(pr["head"]["sha"].as_str().map(str::len), Some(40));
        assert!(!serde_json::to_string(&payload)
            .unwrap()
            .contains("Hello-World"));
    }

    #[test]
    fn a_command_on_a_pull_request_is_marked_as_github_marks_it_and_on_an_issue_is_not() {
        let (_, on_pr) = event("pr-comment-command", &names()).unwrap();
        assert_eq!(
            on_pr["issue"]["pull_request"]["url"],
            "https://api.github.com/repos/acme/app/pulls/42"
        );
        assert_eq!(on_pr["comment"]["body"], "/hold");
        let (_, on_issue) = event("comment-command", &names()).unwrap();
        assert!(on_issue["issue"].get("pull_request").is_none());
        assert!(event("nothing", &names()).is_err());
    }
}

//! The events `gantry plugin test --comment TEXT --on TARGET` builds: the payload of
//! what the comment is on (`pull_request/opened` or `issues/opened` from the
//! fixture corpus, or a payload file), and an `issue_comment.created` carrying the
//! comment on that pull request or issue, shaped as GitHub sends it (a comment on a
//! pull request is an issue comment whose issue has `pull_request`).
use serde_json::{json, Value};

/// GitHub's `pull_request.opened` payload from the fixture corpus.
const PR_OPENED: &str = crate::services::sandbox_events::PR_OPENED;
/// GitHub's `issues.opened` payload from the fixture corpus.
const ISSUE_OPENED: &str =
    include_str!("../../../../tests/fixtures/webhooks/issues/opened.payload.json");

/// The targets `--on` names without a file.
pub const BUILT_IN: &[&str] = &["pull_request/opened", "issues/opened"];

/// A webhook event: its name (`X-GitHub-Event`) and payload.
#[derive(Debug, Clone)]
pub struct TestEvent {
    /// `pull_request`, `issue_comment`, ...
    pub name: String,
    /// The payload.
    pub payload: Value,
}

/// The built-in payload `target` names (`pull_request/opened`, `issues/opened`),
/// if it names one.
#[must_use]
pub fn built_in(target: &str) -> Option<TestEvent> {
    let (name, text) = match target {
        "pull_request/opened" => ("pull_request", PR_OPENED),
        "issues/opened" => ("issues", ISSUE_OPENED),
        _ => return None,
    };
    let payload = serde_json::from_str(text).ok()?;
    Some(TestEvent {
        name: name.to_owned(),
        payload,
    })
}

/// The event a payload file holds, named by what it is about: `pull_request` when
/// it carries a pull request, else `issues` when it carries an issue.
///
/// # Errors
/// A message with the fix when it carries neither, or no repository.
pub fn target_of(payload: Value) -> Result<TestEvent, String> {
    if payload["repository"]["full_name"].as_str().is_none() {
        return Err("the --on payload names no repository (`repository.full_name`): give a webhook payload such as tests/fixtures/webhooks/pull_request/opened.payload.json".into());
    }
    let name = if payload["pull_request"].is_object() {
        "pull_request"
    } else if payload["issue"].is_object() {
        "issues"
    } else {
        return Err(format!(
            "the --on payload carries no `pull_request` or `issue` to comment on: give a pull request or issue event, or one of {}",
            BUILT_IN.join(", ")
        ));
    };
    Ok(TestEvent {
        name: name.to_owned(),
        payload,
    })
}

/// `issue_comment.created`: `login` commented `body` on the pull request or issue
/// of `on` (see [`target_of`]); `id` is the comment's id.
#[must_use]
pub fn on(on: &TestEvent, body: &str, login: &str, id: u64) -> TestEvent {
    let p = &on.payload;
    let issue = if on.name == "pull_request" {
        let pull = &p["pull_request"];
        let number = pull["number"].as_u64().unwrap_or_default();
        let mut issue = json!({
            "number": number,
            "title": pull["title"],
            "body": pull["body"],
            "state": pull["state"],
            "user": pull["user"],
            "labels": pull["labels"],
            "html_url": pull["html_url"],
            "url": pull["issue_url"],
            "pull_request": {
                "url": pull["url"],
                "html_url": pull["html_url"],
                "diff_url": pull["diff_url"],
                "patch_url": pull["patch_url"],
                "merged_at": pull["merged_at"],
            },
        });
        if issue["labels"].is_null() {
            issue["labels"] = json!([]);
        }
        issue
    } else {
        p["issue"].clone()
    };
    let html = issue["html_url"].as_str().unwrap_or_default().to_owned();
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let user = json!({"login": login, "id": 1_000 + id, "type": "User"});
    TestEvent {
        name: "issue_comment".into(),
        payload: json!({
            "action": "created",
            "issue": issue,
            "comment": {
                "id": id,
                "body": body,
                "user": user,
                "created_at": now,
                "updated_at": now,
                "html_url": format!("{html}#issuecomment-{id}"),
            },
            "repository": p["repository"],
            "sender": user,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::commands::CommentContext;

    #[test]
    fn a_comment_on_a_pull_request_is_read_by_the_server_as_one() {
        let pull = built_in("pull_request/opened").unwrap();
        let event = on(&pull, "/size", "ann", 77);
        let c = CommentContext::of(&event.name, Some("created"), &event.payload).unwrap();
        assert_eq!(
            (c.author.as_str(), c.number, c.is_pull_request, c.comment_id),
            ("ann", 2, true, 77)
        );
        assert_eq!(c.body, "/size");
        let issue = built_in("issues/opened").unwrap();
        let event = on(&issue, "/size", "ann", 78);
        let c = CommentContext::of(&event.name, Some("created"), &event.payload).unwrap();
        assert!(!c.is_pull_request);
        assert_eq!(c.number, 1);
    }

    #[test]
    fn a_target_without_a_pull_request_or_issue_is_refused_with_the_fix() {
        let err = target_of(json!({"repository": {"full_name": "o/r"}})).unwrap_err();
        assert!(err.contains("pull_request/opened"), "{err}");
        assert!(target_of(json!({"pull_request": {}})).is_err());
        assert_eq!(
            target_of(json!({"repository": {"full_name": "o/r"}, "issue": {}}))
                .unwrap()
                .name,
            "issues"
        );
        assert!(built_in("push").is_none());
    }
}

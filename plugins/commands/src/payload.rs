//! What the plugin reads from the payload a command came in (`issue_comment`, or a
//! pull request review or review line comment): the issue's or pull request's
//! author, assignees and labels, and whether the comment is one the plugin must
//! leave alone (the host already skips edits and bots; the plugin checks again
//! rather than trust every caller). Pure: no host calls.
use serde_json::Value;

/// The issue or pull request a command is about, as the payload shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Item {
    /// Its author's login.
    pub author: String,
    /// Its assignees' logins.
    pub assignees: Vec<String>,
    /// Its labels.
    pub labels: Vec<String>,
}

fn logins(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["login"].as_str().map(str::to_owned))
        .collect()
}

/// The payload's `issue` (a comment) or `pull_request` (a review or line comment),
/// when it names its author.
#[must_use]
pub fn item(payload: &Value) -> Option<Item> {
    let issue = payload
        .get("issue")
        .or_else(|| payload.get("pull_request"))?;
    Some(Item {
        author: issue["user"]["login"].as_str()?.to_owned(),
        assignees: logins(&issue["assignees"]),
        labels: issue["labels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["name"].as_str().map(str::to_owned))
            .collect(),
    })
}

/// Why a command from this payload must be ignored, if it must: a comment that was
/// edited or deleted rather than created (a review: submitted), or one written by a
/// bot.
#[must_use]
pub fn ignore_reason(payload: &Value) -> Option<&'static str> {
    let review = payload.get("review").is_some();
    let fresh = if review { "submitted" } else { "created" };
    if payload
        .get("action")
        .and_then(Value::as_str)
        .is_some_and(|a| a != fresh)
    {
        return Some("the comment was not just created");
    }
    let user = &payload[if review { "review" } else { "comment" }]["user"];
    let bot = user["type"].as_str() == Some("Bot")
        || user["login"].as_str().is_some_and(|l| l.ends_with("[bot]"));
    bot.then_some("the comment is a bot's")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_item_comes_from_the_payloads_issue() {
        let payload = json!({
            "action": "created",
            "issue": {"user": {"login": "alice"}, "assignees": [{"login": "bob"}], "labels": [{"name": "bug"}, {"name": "lifecycle/stale"}]},
            "comment": {"user": {"login": "carol", "type": "User"}},
        });
        let item = item(&payload).unwrap_or_default();
        assert_eq!(item.author, "alice");
        assert_eq!(item.assignees, ["bob"]);
        assert_eq!(item.labels, ["bug", "lifecycle/stale"]);
        assert_eq!(ignore_reason(&payload), None);
        assert_eq!(super::item(&json!({})), None, "no issue, no item");
    }

    #[test]
    fn edits_deletions_and_bots_are_ignored() {
        let by = |action: &str, login: &str, kind: &str| json!({"action": action, "comment": {"user": {"login": login, "type": kind}}});
        assert!(ignore_reason(&by("edited", "carol", "User")).is_some());
        assert!(ignore_reason(&by("deleted", "carol", "User")).is_some());
        assert!(ignore_reason(&by("created", "gantry[bot]", "Bot")).is_some());
        assert!(ignore_reason(&by("created", "renovate[bot]", "User")).is_some());
        assert!(ignore_reason(&by("created", "carol", "User")).is_none());
        assert!(
            ignore_reason(&json!({})).is_none(),
            "a bare payload is not refused"
        );
    }

    #[test]
    fn a_review_or_line_comment_is_read_with_its_pull_request() {
        let review = |action: &str, kind: &str| {
            json!({
                "action": action,
                "review": {"user": {"login": "carol", "type": kind}},
                "pull_request": {"user": {"login": "alice"}, "assignees": [], "labels": [{"name": "lgtm"}]},
            })
        };
        assert_eq!(ignore_reason(&review("submitted", "User")), None);
        assert!(ignore_reason(&review("edited", "User")).is_some());
        assert!(ignore_reason(&review("submitted", "Bot")).is_some());
        let item = item(&review("submitted", "User")).unwrap_or_default();
        assert_eq!(
            (item.author.as_str(), item.labels.as_slice()),
            ("alice", &["lgtm".to_owned()][..])
        );
        let line = json!({"action": "created", "comment": {"user": {"login": "carol", "type": "User"}}, "pull_request": {}});
        assert_eq!(ignore_reason(&line), None);
    }
}

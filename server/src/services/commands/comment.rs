//! The comment a delivery may carry commands in, normalised into one shape as Prow
//! does: an `issue_comment`, a pull request review's body or a review line comment,
//! created or (for commands whose manifest opts in with `edited = true`) edited. An
//! edit carries the body before it (`changes.body.from`), so only the command lines
//! it adds are read: an edit that keeps a command line does not run it again.
use gantry_commands::Command;
use serde_json::Value;

/// How every comment Gantry and its plugins make begins its idempotency marker.
pub const GANTRY_MARKER: &str = "<!-- gantry: ";

/// A comment that may carry commands.
#[derive(Debug)]
pub struct CommentContext {
    /// Who wrote the text: the commenter, or for an edit the person who edited it
    /// (`sender`), whose permission the commands then run with.
    pub author: String,
    /// The issue or pull request number.
    pub number: u64,
    /// Whether it is a pull request.
    pub is_pull_request: bool,
    /// The comment's id (a review's id for a review body).
    pub comment_id: u64,
    /// The comment's body.
    pub body: String,
    /// For an edit, the body before it (the body itself when the edit left the
    /// body alone); `None` for a new comment.
    pub previous: Option<String>,
}

/// Where comment commands are read from: the event, the action that created the
/// text, and the object in the payload that holds the text and its author. Each
/// is also read on its `edited` action.
const SOURCES: &[(&str, &str, &str)] = &[
    ("issue_comment", "created", "comment"),
    ("pull_request_review", "submitted", "review"),
    ("pull_request_review_comment", "created", "comment"),
];

/// Whether `user` is a bot account.
fn is_bot(user: &Value, login: &str) -> bool {
    user["type"].as_str() == Some("Bot") || login.ends_with("[bot]")
}

impl CommentContext {
    /// The comment of an `issue_comment.created`, `pull_request_review.submitted`
    /// (the review's body) or `pull_request_review_comment.created` (a line
    /// comment), or of the `edited` action of any of them, by a person; `None`
    /// for any other event, a deletion, a comment or edit by a bot, or a comment
    /// carrying Gantry's idempotency marker (Gantry or a plugin made it). Reviews
    /// and their line comments are always on a pull request.
    #[must_use]
    pub fn of(event: &str, action: Option<&str>, payload: &Value) -> Option<Self> {
        let edited = action == Some("edited");
        let (_, _, field) = SOURCES
            .iter()
            .find(|(e, a, _)| *e == event && (edited || action == Some(*a)))?;
        let comment = &payload[*field];
        let user = &comment["user"];
        let login = user["login"].as_str()?;
        if is_bot(user, login) {
            return None;
        }
        let body = comment["body"].as_str().unwrap_or_default().to_owned();
        let (author, previous) = if edited {
            let editor = &payload["sender"];
            let editor_login = editor["login"].as_str()?;
            if is_bot(editor, editor_login) {
                return None;
            }
            let before = payload["changes"]["body"]["from"]
                .as_str()
                .map_or_else(|| body.clone(), str::to_owned);
            (editor_login.to_owned(), Some(before))
        } else {
            (login.to_owned(), None)
        };
        if body.contains(GANTRY_MARKER) {
            tracing::info!(%author, "a comment carrying Gantry's marker is not read for commands");
            return None;
        }
        let (number, is_pull_request) = if event == "issue_comment" {
            let issue = &payload["issue"];
            (
                issue["number"].as_u64()?,
                issue.get("pull_request").is_some_and(|p| !p.is_null()),
            )
        } else {
            (payload["pull_request"]["number"].as_u64()?, true)
        };
        Some(Self {
            author,
            number,
            is_pull_request,
            comment_id: comment["id"].as_u64()?,
            body,
            previous,
        })
    }

    /// Whether the comment was edited rather than created.
    #[must_use]
    pub fn is_edit(&self) -> bool {
        self.previous.is_some()
    }
}

/// The commands of `now` that `before` did not have: each command line of
/// `before` cancels one equal line of `now` (same verb, arguments and form), so a
/// line kept through an edit is not new, and a line written once more is.
#[must_use]
pub fn added(now: Vec<Command>, before: &[Command]) -> Vec<Command> {
    let mut left: Vec<&Command> = before.iter().collect();
    now.into_iter()
        .filter(|c| match left.iter().position(|b| *b == c) {
            Some(i) => {
                left.swap_remove(i);
                false
            }
            None => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_commands::parse;
    use serde_json::json;

    fn by(user: &str) -> Value {
        json!({"login": user, "type": "User"})
    }

    #[test]
    fn reviews_and_line_comments_are_read_as_comments_on_their_pull_request() {
        let review = json!({
            "action": "submitted",
            "review": {"id": 7, "body": "/poke", "user": by("ann")},
            "pull_request": {"number": 2},
        });
        let c = CommentContext::of("pull_request_review", Some("submitted"), &review).unwrap();
        assert_eq!(
            (c.author.as_str(), c.number, c.is_pull_request, c.comment_id),
            ("ann", 2, true, 7)
        );
        assert_eq!(c.body, "/poke");
        assert!(!c.is_edit());
        let line = json!({
            "action": "created",
            "comment": {"id": 9, "body": "/poke", "user": by("bob")},
            "pull_request": {"number": 3},
        });
        let c = CommentContext::of("pull_request_review_comment", Some("created"), &line).unwrap();
        assert_eq!((c.author.as_str(), c.number, c.comment_id), ("bob", 3, 9));
        assert!(c.is_pull_request);
    }

    #[test]
    fn an_edit_is_read_with_the_body_before_it_as_the_editors() {
        let edit = json!({
            "action": "edited",
            "changes": {"body": {"from": "looks good"}},
            "comment": {"id": 9, "body": "looks good\n/poke", "user": by("bob")},
            "issue": {"number": 3},
            "sender": by("carol"),
        });
        let c = CommentContext::of("issue_comment", Some("edited"), &edit).unwrap();
        assert_eq!(c.author, "carol", "the editor's permission decides");
        assert_eq!(c.previous.as_deref(), Some("looks good"));
        assert!(c.is_edit() && !c.is_pull_request);
        // An edit GitHub reports without a body change changed nothing to read.
        let mut same = edit.clone();
        same["changes"] = json!({});
        let c = CommentContext::of("issue_comment", Some("edited"), &same).unwrap();
        assert_eq!(c.previous.as_deref(), Some("looks good\n/poke"));
        // A bot's edit is not read.
        let mut by_bot = edit;
        by_bot["sender"] = json!({"login": "ci[bot]", "type": "Bot"});
        assert!(CommentContext::of("issue_comment", Some("edited"), &by_bot).is_none());
    }

    #[test]
    fn deletions_dismissals_bots_and_empty_reviews_carry_no_commands() {
        let line = json!({
            "comment": {"id": 9, "body": "/poke", "user": by("bob")},
            "pull_request": {"number": 3},
        });
        assert!(
            CommentContext::of("pull_request_review_comment", Some("deleted"), &line).is_none()
        );
        let review = json!({
            "review": {"id": 7, "body": "/poke", "user": by("ann")},
            "pull_request": {"number": 2},
        });
        assert!(CommentContext::of("pull_request_review", Some("dismissed"), &review).is_none());
        let bot = json!({
            "review": {"id": 7, "body": "/poke", "user": {"login": "ci[bot]", "type": "Bot"}},
            "pull_request": {"number": 2},
        });
        assert!(CommentContext::of("pull_request_review", Some("submitted"), &bot).is_none());
        // GitHub sends `"body": null` for a review without a body.
        let empty = json!({
            "review": {"id": 7, "body": null, "user": by("ann")},
            "pull_request": {"number": 2},
        });
        let c = CommentContext::of("pull_request_review", Some("submitted"), &empty).unwrap();
        assert!(c.body.is_empty());
    }

    #[test]
    fn only_command_lines_an_edit_adds_are_new() {
        let before = parse("/retest\n/label bug", None);
        let now = parse(
            "typo fixed\n/retest\n/label bug\n/label docs\n/retest",
            None,
        );
        let new: Vec<String> = added(now, &before)
            .iter()
            .map(|c| format!("{} {}", c.name, c.rest))
            .collect();
        assert_eq!(new, ["label docs", "retest "]);
        assert!(added(parse("/retest", None), &parse("/retest", None)).is_empty());
    }
}

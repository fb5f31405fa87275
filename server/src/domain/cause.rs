//! Who and what caused a plugin's writes, read from the event that led to them: the
//! people (GitHub logins) who may therefore not approve what is held, and the pull
//! request, with its head commit, that a held write is bound to.
use serde_json::Value;

/// A pull request and the head commit an event saw it at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullHead {
    /// Its number.
    pub number: u64,
    /// Its head commit, when the event says (a comment's payload does not).
    pub head_sha: Option<String>,
}

/// What caused an invocation: people and, when there is one, a pull request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cause {
    /// GitHub logins, lower case, without repeats: the event's sender (whoever
    /// pushed, opened, commented...), a comment's or review's author, a pull
    /// request's author.
    pub people: Vec<String>,
    /// The pull request the event is about.
    pub pull_request: Option<PullHead>,
}

impl Cause {
    /// The cause of an `event` delivery with `payload`.
    #[must_use]
    pub fn of(event: &str, payload: &Value) -> Self {
        let mut people = Vec::new();
        let mut add = |login: &Value| {
            if let Some(login) = login.as_str().filter(|l| !l.is_empty()) {
                let login = login.to_ascii_lowercase();
                if !people.contains(&login) {
                    people.push(login);
                }
            }
        };
        add(&payload["sender"]["login"]);
        match event {
            "issue_comment" | "pull_request_review_comment" => {
                add(&payload["comment"]["user"]["login"]);
            }
            "pull_request_review" => add(&payload["review"]["user"]["login"]),
            _ => {}
        }
        let pr = &payload["pull_request"];
        if pr.is_object() {
            add(&pr["user"]["login"]);
        }
        let pull_request = if let Some(number) = pr["number"].as_u64() {
            Some(PullHead {
                number,
                head_sha: pr["head"]["sha"].as_str().map(str::to_owned),
            })
        } else if payload["issue"]["pull_request"].is_object() {
            payload["issue"]["number"].as_u64().map(|number| PullHead {
                number,
                head_sha: None,
            })
        } else {
            None
        };
        Self {
            people,
            pull_request,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_the_commenter_and_the_pull_request_author_caused_it() {
        let comment = serde_json::json!({
            "sender": {"login": "Ann"},
            "comment": {"user": {"login": "bob"}},
            "issue": {"number": 4, "pull_request": {"url": "x"}},
        });
        let cause = Cause::of("issue_comment", &comment);
        assert_eq!(cause.people, vec!["ann", "bob"]);
        assert_eq!(
            cause.pull_request,
            Some(PullHead {
                number: 4,
                head_sha: None
            })
        );
        let push = serde_json::json!({
            "action": "synchronize",
            "sender": {"login": "carol"},
            "pull_request": {"number": 9, "user": {"login": "dave"}, "head": {"sha": "abc"}},
        });
        let cause = Cause::of("pull_request", &push);
        assert_eq!(cause.people, vec!["carol", "dave"]);
        assert_eq!(cause.pull_request.unwrap().head_sha.as_deref(), Some("abc"));
        let issue = serde_json::json!({"sender": {"login": "x"}, "issue": {"number": 1}});
        assert_eq!(Cause::of("issues", &issue).pull_request, None);
    }

    #[test]
    fn a_reviews_author_and_a_line_comments_author_caused_it() {
        let review = serde_json::json!({
            "sender": {"login": "ann"},
            "review": {"user": {"login": "Eve"}},
            "pull_request": {"number": 2, "user": {"login": "dave"}, "head": {"sha": "abc"}},
        });
        assert_eq!(
            Cause::of("pull_request_review", &review).people,
            vec!["ann", "eve", "dave"]
        );
        let line = serde_json::json!({
            "sender": {"login": "ann"},
            "comment": {"user": {"login": "Frank"}},
            "pull_request": {"number": 2, "user": {"login": "dave"}},
        });
        assert_eq!(
            Cause::of("pull_request_review_comment", &line).people,
            vec!["ann", "frank", "dave"]
        );
    }
}

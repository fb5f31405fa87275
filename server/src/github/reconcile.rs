//! Whether a write that an earlier attempt started, and may have sent before its
//! process died, is already applied on GitHub. A plugin write's idempotency record
//! (`wasm_host::host::once`) asks this before sending such a
//! write again: GitHub's own state answers for the writes whose effect can be read
//! back exactly (labels and assignees added to or removed from an issue or pull
//! request), so they reach GitHub once even across a SIGKILL between the call and its
//! record. Every other write started but not recorded is sent again (see
//! `docs/reliability.md`).
use serde_json::Value;

use super::GitHubClient;

/// A write whose effect on an issue can be read back.
#[derive(Debug, PartialEq, Eq)]
enum Effect<'a> {
    /// `POST .../issues/{n}/labels`: these labels are on the issue.
    LabelsAdded { issue: &'a str, names: Vec<String> },
    /// `DELETE .../issues/{n}/labels/{name}`: this label is not.
    LabelRemoved { issue: &'a str, name: String },
    /// `POST .../issues/{n}/assignees`: these people are assigned.
    Assigned { issue: &'a str, logins: Vec<String> },
    /// `DELETE .../issues/{n}/assignees`: these people are not.
    Unassigned { issue: &'a str, logins: Vec<String> },
}

/// Splits `/repos/{o}/{r}/issues/{n}/rest` into the issue's path and `rest`.
fn issue_path(path: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = path.splitn(7, '/').collect();
    // ["", "repos", o, r, "issues", n, rest]
    if parts.len() != 7 || parts[1] != "repos" || parts[4] != "issues" {
        return None;
    }
    parts[5].parse::<u64>().ok()?;
    let end = path.len() - parts[6].len() - 1;
    Some((&path[..end], parts[6]))
}

fn strings(body: Option<&Value>, key: &str) -> Option<Vec<String>> {
    let items = body?.get(key)?.as_array()?;
    let names: Option<Vec<String>> = items
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect();
    names.filter(|n| !n.is_empty())
}

fn effect<'a>(method: &str, path: &'a str, body: Option<&Value>) -> Option<Effect<'a>> {
    let (issue, rest) = issue_path(path)?;
    match (method, rest) {
        ("POST", "labels") => Some(Effect::LabelsAdded {
            issue,
            names: strings(body, "labels")?,
        }),
        ("DELETE", rest) if rest.starts_with("labels/") && rest.len() > "labels/".len() => {
            let name = super::client::url_unescape(&rest["labels/".len()..])?;
            Some(Effect::LabelRemoved { issue, name })
        }
        ("POST", "assignees") => Some(Effect::Assigned {
            issue,
            logins: strings(body, "assignees")?,
        }),
        ("DELETE", "assignees") => Some(Effect::Unassigned {
            issue,
            logins: strings(body, "assignees")?,
        }),
        _ => None,
    }
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v[key].as_str().map(str::to_lowercase))
                .collect()
        })
        .unwrap_or_default()
}

/// GitHub's answer to the write, read back, when the write is already applied;
/// `None` when it is not, when it cannot be read back, or when reading fails (the
/// write is then sent again).
pub async fn applied(
    github: &GitHubClient,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Option<Value> {
    let effect = effect(method, path, body)?;
    let has_all =
        |have: &[String], want: &[String]| want.iter().all(|w| have.contains(&w.to_lowercase()));
    let has_none =
        |have: &[String], want: &[String]| !want.iter().any(|w| have.contains(&w.to_lowercase()));
    let done = match &effect {
        Effect::LabelsAdded { issue, names: want } => {
            let labels = github
                .rest(
                    http::Method::GET,
                    &format!("{issue}/labels?per_page=100"),
                    None,
                )
                .await
                .ok()?;
            has_all(&names(&labels, "name"), want).then_some(labels)
        }
        Effect::LabelRemoved { issue, name } => {
            let labels = github
                .rest(
                    http::Method::GET,
                    &format!("{issue}/labels?per_page=100"),
                    None,
                )
                .await
                .ok()?;
            has_none(&names(&labels, "name"), std::slice::from_ref(name)).then_some(labels)
        }
        Effect::Assigned { issue, logins } | Effect::Unassigned { issue, logins } => {
            let found = github.rest(http::Method::GET, issue, None).await.ok()?;
            let have = names(&found["assignees"], "login");
            let done = if matches!(effect, Effect::Assigned { .. }) {
                has_all(&have, logins)
            } else {
                has_none(&have, logins)
            };
            done.then_some(found)
        }
    };
    if done.is_some() {
        tracing::info!(
            method,
            path,
            "an earlier attempt's write is already applied on GitHub; not sent again"
        );
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_and_assignee_writes_are_recognised_and_others_are_not() {
        let labels = json!({ "labels": ["bug", "needs triage"] });
        assert_eq!(
            effect("POST", "/repos/o/r/issues/7/labels", Some(&labels)),
            Some(Effect::LabelsAdded {
                issue: "/repos/o/r/issues/7",
                names: vec!["bug".into(), "needs triage".into()]
            })
        );
        assert_eq!(
            effect("DELETE", "/repos/o/r/issues/7/labels/needs%20triage", None),
            Some(Effect::LabelRemoved {
                issue: "/repos/o/r/issues/7",
                name: "needs triage".into()
            })
        );
        let users = json!({ "assignees": ["octocat"] });
        assert!(matches!(
            effect("DELETE", "/repos/o/r/issues/7/assignees", Some(&users)),
            Some(Effect::Unassigned { .. })
        ));
        // Not read back: other writes, a body without names, a path not an issue's.
        assert_eq!(
            effect("POST", "/repos/o/r/issues/7/comments", Some(&labels)),
            None
        );
        assert_eq!(
            effect("POST", "/repos/o/r/issues/7/labels", Some(&json!({}))),
            None
        );
        assert_eq!(
            effect("POST", "/repos/o/r/issues/x/labels", Some(&labels)),
            None
        );
        assert_eq!(
            effect("PUT", "/repos/o/r/issues/7/labels", Some(&labels)),
            None
        );
        assert_eq!(effect("DELETE", "/repos/o/r/issues/7/labels/", None), None);
    }

    #[test]
    fn an_escaped_label_name_reads_back_as_it_was() {
        use crate::github::client::{url_escape, url_unescape};
        for name in ["needs triage", "a/b%c", "größe ✓"] {
            assert_eq!(url_unescape(&url_escape(name)).as_deref(), Some(name));
        }
        assert_eq!(url_unescape("bad%2"), None);
        assert_eq!(url_unescape("%FF"), None);
    }
}

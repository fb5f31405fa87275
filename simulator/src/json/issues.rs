//! JSON for what hangs off issues: milestones (`models::Milestone`) and reactions
//! (`models::reactions::Reaction`).

use serde_json::{json, Value};

use super::{login, repo_html_url, repo_url};
use crate::state::{Milestone, Reaction, Repo, State};

/// A milestone object, with its open and closed issue counts.
pub(crate) fn milestone(base: &str, state: &State, repo: &Repo, m: &Milestone) -> Value {
    let url = format!("{}/milestones/{}", repo_url(base, repo), m.number);
    let in_it = repo
        .issues
        .values()
        .filter(|i| i.milestone == Some(m.number));
    let (open, closed) = in_it.fold((0u64, 0u64), |(o, c), i| {
        if i.open {
            (o.saturating_add(1), c)
        } else {
            (o, c.saturating_add(1))
        }
    });
    json!({
        "url": url,
        "html_url": format!("{}/milestone/{}", repo_html_url(base, repo), m.number),
        "labels_url": format!("{url}/labels"),
        "id": m.id,
        "node_id": m.node_id,
        "number": m.number,
        "state": if m.open { "open" } else { "closed" },
        "title": m.title,
        "description": m.description,
        "creator": login(base, state, &m.creator),
        "open_issues": open,
        "closed_issues": closed,
        "created_at": m.created_at.to_rfc3339(),
        "updated_at": m.updated_at.to_rfc3339(),
        "closed_at": m.closed_at.map(|t| t.to_rfc3339()),
        "due_on": m.due_on.map(|t| t.to_rfc3339()),
    })
}

/// A reaction object.
pub(crate) fn reaction(base: &str, state: &State, r: &Reaction) -> Value {
    json!({
        "id": r.id,
        "node_id": r.node_id,
        "user": login(base, state, &r.user),
        "content": r.content,
        "created_at": r.created_at.to_rfc3339(),
    })
}

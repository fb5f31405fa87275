//! The sandbox page (`/dashboard/sandbox`), shown when the server runs beside the
//! GitHub simulator (`gantry sandbox`): it builds a realistic event (issue opened,
//! pull request opened, an issue comment with a command, a push), signs it with the
//! configured webhook secret and posts it to this server's own
//! `/webhooks/github`, exactly as GitHub would, then shows the delivery it made.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::{json, Value};

use super::access::{require, User};
use super::view::{render, see_other, DashError, Nav};
use crate::auth::Role;
use crate::services::AppState;

/// Whether the sandbox page is offered: the server was started as a sandbox
/// (`gantry sandbox` and the test harness say so; `gantry serve` never does) and has
/// a webhook secret to sign events with.
#[must_use]
pub fn enabled(state: &AppState) -> bool {
    state.sandbox && !state.settings.webhook.secrets.is_empty()
}

/// The events the page can send: `(value, label)`.
const TEMPLATES: &[(&str, &str)] = &[
    ("issue-opened", "Issue opened"),
    ("pr-opened", "Pull request opened"),
    ("comment-command", "Issue comment with a command"),
    ("push", "Push to the default branch"),
];

/// `pages/sandbox/show.html`.
#[derive(Template)]
#[template(path = "pages/sandbox/show.html", blocks = ["content"])]
pub struct SandboxPage {
    nav: Nav,
    templates: &'static [(&'static str, &'static str)],
    can_send: bool,
}

/// `GET /dashboard/sandbox`.
pub async fn show_sandbox(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    if !enabled(&state) {
        return Err(DashError::NotFound(
            "the sandbox page exists only in `gantry sandbox`".into(),
        ));
    }
    let page = SandboxPage {
        nav: Nav::new(&user.0, "sandbox", true),
        templates: TEMPLATES,
        can_send: user.0.require(Role::Maintainer, None).is_ok(),
    };
    render(&req, &page, |p| p.as_content().render())
}

/// The send form.
#[derive(Debug, Deserialize)]
pub struct SendForm {
    template: String,
    repository: String,
    #[serde(default)]
    sender: String,
    #[serde(default)]
    number: Option<u64>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    comment: String,
}

/// `POST /dashboard/sandbox/send`: signs the event and posts it to this server
/// (maintainers of the repository named), then shows the delivery.
#[tracing::instrument(skip_all, fields(template = %form.template))]
pub async fn send_event(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SendForm>,
) -> Result<HttpResponse, DashError> {
    if !enabled(&state) {
        return Err(DashError::NotFound(
            "the sandbox page exists only in `gantry sandbox`".into(),
        ));
    }
    let form = form.into_inner();
    let (owner, name) = form
        .repository
        .trim()
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        .ok_or_else(|| DashError::BadRequest("the repository is owner/name".into()))?;
    require(&user.0, Role::Maintainer, Some(&format!("{owner}/{name}")))?;
    let sender = Some(form.sender.trim())
        .filter(|s| !s.is_empty())
        .unwrap_or(&user.0.login)
        .to_owned();
    let number = form.number.unwrap_or(1).max(1);
    let title = Some(form.title.trim())
        .filter(|t| !t.is_empty())
        .unwrap_or("Something to look at")
        .to_owned();
    let comment = Some(form.comment.trim())
        .filter(|c| !c.is_empty())
        .unwrap_or("/help")
        .to_owned();
    let (event, payload) = event(
        &form.template,
        &Names {
            owner,
            name,
            sender: &sender,
            number,
            title: &title,
            comment: &comment,
        },
    )?;
    let body = serde_json::to_vec(&payload).map_err(|e| DashError::bug(&e))?;
    let secret = state
        .settings
        .webhook
        .secrets
        .first()
        .ok_or_else(|| DashError::NotFound("no webhook secret is configured".into()))?;
    let delivery = uuid::Uuid::new_v4().to_string();
    let mut addr = req.app_config().local_addr();
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/webhooks/github"))
        .header("X-GitHub-Event", event)
        .header("X-GitHub-Delivery", &delivery)
        .header(
            "X-Hub-Signature-256",
            crate::github::signature::sign(secret.expose().as_bytes(), &body),
        )
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| {
            DashError::Upstream(format!(
                "posting to this server's webhook endpoint failed: {e}"
            ))
        })?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        return Err(DashError::Upstream(format!(
            "the webhook endpoint answered {status}: {text}"
        )));
    }
    Ok(see_other(
        &req,
        &format!("/dashboard/deliveries/{delivery}"),
    ))
}

struct Names<'a> {
    owner: &'a str,
    name: &'a str,
    sender: &'a str,
    number: u64,
    title: &'a str,
    comment: &'a str,
}

fn account(login: &str) -> Value {
    json!({ "login": login, "id": 1000 + login.len(), "node_id": format!("U_{login}"), "type": "User", "site_admin": false,
            "html_url": format!("https://github.com/{login}"), "url": format!("https://api.github.com/users/{login}") })
}

fn repository(n: &Names<'_>) -> Value {
    let full = format!("{}/{}", n.owner, n.name);
    json!({ "id": 500_000 + full.len(), "node_id": format!("R_{full}"), "name": n.name, "full_name": full, "private": false,
            "owner": account(n.owner), "html_url": format!("https://github.com/{full}"), "url": format!("https://api.github.com/repos/{full}"),
            "clone_url": format!("https://github.com/{full}.git"), "default_branch": "main", "fork": false, "archived": false })
}

fn issue(n: &Names<'_>) -> Value {
    let full = format!("{}/{}", n.owner, n.name);
    json!({ "id": 9_000_000 + n.number, "node_id": format!("I_{}", n.number), "number": n.number, "title": n.title, "body": "Sent from the sandbox page.",
            "state": "open", "locked": false, "user": account(n.sender), "labels": [], "assignees": [], "comments": 0,
            "author_association": "OWNER", "created_at": now(), "updated_at": now(),
            "html_url": format!("https://github.com/{full}/issues/{}", n.number), "url": format!("https://api.github.com/repos/{full}/issues/{}", n.number) })
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The event name and payload of `template`.
fn event(template: &str, n: &Names<'_>) -> Result<(&'static str, Value), DashError> {
    let full = format!("{}/{}", n.owner, n.name);
    Ok(match template {
        "issue-opened" => (
            "issues",
            json!({ "action": "opened", "issue": issue(n), "repository": repository(n), "sender": account(n.sender) }),
        ),
        "pr-opened" => {
            let sha = hex::encode(sha2::Digest::finalize(
                <sha2::Sha256 as sha2::Digest>::new_with_prefix(format!("{full}#{}", n.number)),
            ))[..40]
                .to_owned();
            let side = |branch: &str| json!({ "ref": branch, "sha": sha, "label": format!("{}:{branch}", n.owner), "repo": repository(n), "user": account(n.owner) });
            let pr = json!({ "id": 8_000_000 + n.number, "node_id": format!("PR_{}", n.number), "number": n.number, "title": n.title, "body": "Sent from the sandbox page.",
                             "state": "open", "draft": false, "merged": false, "user": account(n.sender), "labels": [], "head": side("feature"), "base": side("main"),
                             "author_association": "OWNER", "created_at": now(), "updated_at": now(),
                             "html_url": format!("https://github.com/{full}/pull/{}", n.number), "url": format!("https://api.github.com/repos/{full}/pulls/{}", n.number) });
            (
                "pull_request",
                json!({ "action": "opened", "number": n.number, "pull_request": pr, "repository": repository(n), "sender": account(n.sender) }),
            )
        }
        "comment-command" => {
            let comment = json!({ "id": 7_000_000 + n.number, "node_id": "IC_sandbox", "body": n.comment, "user": account(n.sender), "author_association": "OWNER",
                                  "created_at": now(), "updated_at": now(), "html_url": format!("https://github.com/{full}/issues/{}#issuecomment-1", n.number) });
            (
                "issue_comment",
                json!({ "action": "created", "issue": issue(n), "comment": comment, "repository": repository(n), "sender": account(n.sender) }),
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
        other => {
            return Err(DashError::BadRequest(format!(
                "unknown event template `{other}`"
            )))
        }
    })
}

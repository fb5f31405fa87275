//! The sandbox page (`/dashboard/sandbox`), shown when the server runs beside the
//! GitHub simulator (`gantry sandbox`): it builds a realistic event
//! (`services::sandbox_events`: an issue or pull request opened, a command commented
//! on an issue or a pull request, a push), signs it with the
//! configured webhook secret and posts it to this server's own
//! `/webhooks/github`, exactly as GitHub would, then shows the delivery it made.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::{require, User};
use super::view::{render, see_other, DashError, Nav};
use crate::auth::Role;
use crate::services::sandbox_events::{event, Names, TEMPLATES};
use crate::services::AppState;

/// Whether the sandbox page is offered: the server was started as a sandbox
/// (`gantry sandbox` and the test harness say so; `gantry serve` never does) and has
/// a webhook secret to sign events with.
#[must_use]
pub fn enabled(state: &AppState) -> bool {
    state.sandbox && !state.settings.webhook.secrets.is_empty()
}

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
    )
    .map_err(|e| DashError::BadRequest(e.to_string()))?;
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

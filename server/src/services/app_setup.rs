//! One-click GitHub App registration, as Probot's "Register GitHub App": the App
//! manifest built from what the installed plugins declare (the permissions their
//! capabilities need and the events they subscribe to, nothing more, plus what Gantry
//! itself needs for comment commands), where to post it (GitHub.com or a GitHub
//! Enterprise Server, a user's or an organisation's), the `state` that ties GitHub's
//! redirect to the admin's session, and the conversion of the code GitHub returns
//! (`POST /app-manifests/{code}/conversions`) into the App's id and private key
//! (stored sealed, `secrets::app`) and webhook secret (a global webhook secret),
//! audited. Also which permissions the installed plugins need that the running App
//! lacks.
use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::crypto::AuditKey;
use crate::db::audit::{self, AuditEntry};
use crate::domain::{Actor, AuditAction, SecretScope};
use crate::github::{GitHubAccess, GitHubClient, Method};
use crate::secrets::app::{self as stored, StoredApp};
use crate::services::AppState;
use crate::wasm_host::manifest::Manifest;

/// What an App must be granted: permissions (`issues` → `write`) and webhook events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needed {
    /// GitHub App permission → `read` or `write`.
    pub permissions: BTreeMap<String, String>,
    /// Webhook events to subscribe to.
    pub events: BTreeSet<String>,
}

impl Needed {
    fn grant(&mut self, permission: &str, level: &str) {
        let entry = self
            .permissions
            .entry(permission.to_owned())
            .or_insert_with(|| level.to_owned());
        if level == "write" {
            "write".clone_into(entry);
        }
    }
}

/// The App permission a capability needs; `None` for capabilities outside GitHub
/// (`kv`, `http:...`, `secret:...`).
fn permission_of(capability: &str) -> Option<(&'static str, &'static str)> {
    Some(match capability {
        "issues:read" => ("issues", "read"),
        "issues:write" => ("issues", "write"),
        "pull_requests:read" => ("pull_requests", "read"),
        "pull_requests:write" => ("pull_requests", "write"),
        // Merging writes the base branch.
        "pull_requests:merge" | "contents:write" | "git:push" => ("contents", "write"),
        "contents:read" | "git:clone" => ("contents", "read"),
        "checks:read" => ("checks", "read"),
        "checks:write" => ("checks", "write"),
        "actions:read" => ("actions", "read"),
        "actions:write" => ("actions", "write"),
        "statuses:read" => ("statuses", "read"),
        "statuses:write" => ("statuses", "write"),
        _ => return None,
    })
}

/// The permission GitHub requires to subscribe an App to `event`; `None` for
/// Gantry's own events and those every App gets (`installation`, ...).
fn event_permission(event: &str) -> Option<&'static str> {
    Some(match event {
        "issues" | "issue_comment" | "label" | "milestone" => "issues",
        "pull_request"
        | "pull_request_review"
        | "pull_request_review_comment"
        | "pull_request_review_thread" => "pull_requests",
        "push" | "create" | "delete" | "release" | "commit_comment" | "gollum" => "contents",
        "check_run" | "check_suite" => "checks",
        "status" => "statuses",
        "workflow_run" | "workflow_job" | "workflow_dispatch" => "actions",
        _ => return None,
    })
}

/// What the plugins in `manifests` need of an App. Comment commands need the
/// comment events (issue and pull request comments, reviews and review comments)
/// with read access to issues and pull requests.
#[must_use]
pub fn needed<'a>(manifests: impl IntoIterator<Item = &'a Manifest>) -> Needed {
    let mut needed = Needed::default();
    needed.grant("metadata", "read");
    for manifest in manifests {
        for capability in &manifest.capabilities {
            if let Some((permission, level)) = permission_of(capability) {
                needed.grant(permission, level);
            }
        }
        let mut events: Vec<&str> = manifest
            .events
            .iter()
            .map(|e| e.split('.').next().unwrap_or(e))
            .collect();
        if !manifest.commands.is_empty() {
            events.extend([
                "issue_comment",
                "pull_request_review",
                "pull_request_review_comment",
            ]);
        }
        for event in events {
            if let Some(permission) = event_permission(event) {
                needed.grant(permission, "read");
                needed.events.insert(event.to_owned());
            }
        }
    }
    needed
}

/// What the installed plugins (enabled or not: enabling one needs no new App) need.
///
/// # Errors
/// When the database fails or a stored manifest does not parse.
pub async fn installed_needs(db: &DatabaseConnection) -> anyhow::Result<Needed> {
    let mut manifests = Vec::new();
    for plugin in crate::db::plugins::list(db).await? {
        let manifest: Manifest = toml::from_str(&plugin.manifest)
            .with_context(|| format!("the stored manifest of {}", plugin.name))?;
        manifests.push(manifest);
    }
    Ok(needed(&manifests))
}

/// The App manifest GitHub's registration page takes: `base_url` is where GitHub
/// reaches this Gantry (`https://gantry.example.com`).
#[must_use]
pub fn app_manifest(needed: &Needed, base_url: &str, name: &str) -> Value {
    let base = base_url.trim_end_matches('/');
    json!({
        "name": name,
        "url": base,
        "hook_attributes": { "url": format!("{base}/webhooks/github"), "active": true },
        "redirect_url": format!("{base}/dashboard/app/callback"),
        "public": false,
        "default_permissions": needed.permissions,
        "default_events": needed.events,
    })
}

/// Where the manifest is posted: `github` is `https://github.com` or a GitHub
/// Enterprise Server's address; `org` an organisation's login (the App is then the
/// organisation's), else the signed-in GitHub user's.
///
/// # Errors
/// When `github` is not an http(s) URL or `org` is not a login.
pub fn registration_url(github: &str, org: Option<&str>, state: &str) -> anyhow::Result<String> {
    let base = github.trim().trim_end_matches('/');
    let parsed = url::Url::parse(base).context("the GitHub address is not a URL")?;
    anyhow::ensure!(
        matches!(parsed.scheme(), "https" | "http") && parsed.host().is_some(),
        "the GitHub address must be https://HOST (GitHub.com or your GitHub Enterprise Server)"
    );
    let path = match org.map(str::trim).filter(|o| !o.is_empty()) {
        Some(org) => {
            anyhow::ensure!(
                org.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "`{org}` is not an organisation login"
            );
            format!("/organizations/{org}/settings/apps/new")
        }
        None => "/settings/apps/new".to_owned(),
    };
    Ok(format!("{base}{path}?state={state}"))
}

/// The `state` for a registration started in the session whose CSRF token is
/// `csrf`: GitHub hands it back on the redirect, so a code minted for someone
/// else's App cannot be slipped into this admin's session.
#[must_use]
pub fn state_for(csrf: &str) -> String {
    hex::encode(Sha256::digest(
        format!("gantry-app-manifest:{csrf}").as_bytes(),
    ))
}

/// Whether `state` came back from a registration started in this session.
#[must_use]
pub fn state_matches(csrf: &str, state: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    let expected = state_for(csrf);
    !csrf.is_empty() && bool::from(expected.as_bytes().ct_eq(state.as_bytes()))
}

/// Converts `code` into the App GitHub registered, stores its key sealed and its
/// webhook secret as a global secret, and audits it. The App is used from the next
/// start (when the settings name no other App or token). The dashboard's callback
/// and `gantry app convert` both end here.
///
/// # Errors
/// When GitHub refuses the code (used, expired, unknown), `secrets.key` is missing,
/// or the database fails.
pub async fn convert(
    db: &DatabaseConnection,
    settings: &Settings,
    audit_key: &AuditKey,
    code: &str,
    actor: Actor,
) -> anyhow::Result<StoredApp> {
    anyhow::ensure!(
        !code.is_empty()
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "GitHub's code is malformed"
    );
    anyhow::ensure!(
        settings.secrets.key.is_some(),
        "secrets.key is needed to store the App's private key sealed: set it (`gantry secrets generate-key`) and register again"
    );
    let mut github = settings.github.clone();
    github.token = None;
    let client = GitHubClient::new(&github)?;
    let answer = client
        .rest(
            Method::POST,
            &format!("/app-manifests/{code}/conversions"),
            None,
        )
        .await
        .map_err(|e| {
            anyhow::anyhow!("GitHub did not convert the code (it is good once, for an hour): {e}")
        })?;
    let field = |name: &str| {
        answer[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("GitHub's answer has no {name}"))
    };
    let app = StoredApp {
        app_id: answer["id"].as_u64().context("GitHub's answer has no id")?,
        slug: field("slug")?,
        html_url: field("html_url")?,
        pem: field("pem")?,
    };
    stored::store(db, settings.secrets.key.as_ref(), &app).await?;
    if let Ok(secret) = field("webhook_secret") {
        crate::secrets::webhook::add(
            db,
            settings.secrets.key.as_ref(),
            &SecretScope::Global,
            Some(format!("GitHub App {}", app.slug)),
            &secret,
        )
        .await
        .context("storing the App's webhook secret")?;
    }
    let mut entry = AuditEntry::new(actor, AuditAction::AppRegistered);
    entry.details = Some(
        json!({ "app_id": app.app_id, "slug": app.slug, "html_url": app.html_url }).to_string(),
    );
    audit::record(db, audit_key, entry).await?;
    Ok(app)
}

/// The permissions the installed plugins need that the running App lacks
/// (`issues: write`); `None` when Gantry does not run as an App.
///
/// # Errors
/// When GitHub cannot be asked or the database fails.
pub async fn missing_permissions(state: &AppState) -> anyhow::Result<Option<Vec<String>>> {
    let GitHubAccess::App(app) = &state.github else {
        return Ok(None);
    };
    let (answer, _) = app.app_page("/app").await?;
    let needed = installed_needs(&state.db).await?;
    let granted = &answer["permissions"];
    let missing = needed
        .permissions
        .iter()
        .filter(
            |(permission, level)| match granted[permission.as_str()].as_str() {
                Some("write") => false,
                Some("read") => level.as_str() == "write",
                _ => true,
            },
        )
        .map(|(permission, level)| format!("{permission}: {level}"))
        .collect();
    Ok(Some(missing))
}

#[cfg(test)]
#[path = "app_setup_tests.rs"]
mod tests;

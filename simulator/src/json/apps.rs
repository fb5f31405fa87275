//! JSON for GitHub Apps: the app (`models::apps::App`), an installation
//! (`models::Installation`) and an installation token (`models::InstallationToken`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::{login, repository, seg};
use crate::state::{App, Installation, IssuedToken, State, EVENTS, PERMISSIONS};

/// A time as GitHub writes it in these objects: `2024-01-02T03:04:05Z`.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The permissions every simulated app has unless its manifest said otherwise.
fn permissions() -> Value {
    PERMISSIONS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect::<Map<String, Value>>()
        .into()
}

/// `app`'s permissions and events: its manifest's, or every simulated app's.
fn granted(app: Option<&App>) -> (Value, Value) {
    match app.and_then(|a| a.granted.as_ref()) {
        Some(g) => (json!(g.permissions), json!(g.events)),
        None => (permissions(), json!(EVENTS)),
    }
}

/// The app, as `GET /app` shows it.
pub(crate) fn app(base: &str, state: &State, app: &App) -> Value {
    let installations = state
        .apps
        .installations
        .values()
        .filter(|i| i.app_id == app.id)
        .count();
    json!({
        "id": app.id,
        "slug": app.slug,
        "node_id": format!("A_sim{}", app.id),
        "client_id": format!("Iv1.sim{}", app.id),
        "owner": login(base, state, &app.owner),
        "name": app.name,
        "description": "",
        "external_url": base,
        "html_url": format!("{base}/apps/{}", seg(&app.slug)),
        "created_at": time(app.created_at),
        "updated_at": time(app.created_at),
        "permissions": granted(Some(app)).0,
        "events": granted(Some(app)).1,
        "installations_count": installations,
    })
}

/// An installation.
pub(crate) fn installation(base: &str, state: &State, installation: &Installation) -> Value {
    let account = state.user_or_placeholder(&installation.account);
    let slug = state
        .apps
        .apps
        .get(&installation.app_id)
        .map(|a| a.slug.clone());
    json!({
        "id": installation.id,
        "account": login(base, state, &installation.account),
        "access_tokens_url": format!("{base}/app/installations/{}/access_tokens", installation.id),
        "repositories_url": format!("{base}/installation/repositories"),
        "html_url": format!("{base}/settings/installations/{}", installation.id),
        "app_id": installation.app_id,
        "app_slug": slug,
        "target_id": account.id,
        "target_type": account.kind,
        "permissions": granted(state.apps.apps.get(&installation.app_id)).0,
        "events": granted(state.apps.apps.get(&installation.app_id)).1,
        "single_file_name": null,
        "has_multiple_single_files": false,
        "single_file_paths": [],
        "repository_selection": installation.selection(),
        "created_at": time(installation.created_at),
        "updated_at": time(installation.updated_at),
        "suspended_at": installation.suspended_at.map(time),
        "suspended_by": null,
    })
}

/// The answer to a token request: the token, when it expires, what it grants, and
/// the repositories it is limited to (those the simulator knows).
pub(crate) fn token(base: &str, state: &State, token: &str, issued: &IssuedToken) -> Value {
    let mut out = json!({
        "token": token,
        "expires_at": time(issued.expires_at),
        "permissions": issued.permissions,
        "repository_selection": if issued.repositories.is_some() { "selected" } else { "all" },
    });
    let account = state
        .apps
        .installations
        .get(&issued.installation_id)
        .map(|i| i.account.clone())
        .unwrap_or_default();
    if let (Some(names), Some(map)) = (&issued.repositories, out.as_object_mut()) {
        let repositories: Vec<Value> = names
            .iter()
            .filter_map(|name| state.repo(&account, name))
            .map(|repo| repository(base, state, repo))
            .collect();
        map.insert("repositories".to_owned(), Value::Array(repositories));
    }
    out
}

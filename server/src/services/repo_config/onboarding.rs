//! Onboarding: when a repository with no `.github/gantry.yml` is added to an
//! installation (`installation.created`, `installation_repositories.added`), Gantry
//! proposes one in a pull request from the branch [`BRANCH`], listing every option
//! of each plugin enabled there (that the file may configure) as comments, with
//! its description and default from the plugin's config schema.
//!
//! Off by default (`repository_config.onboarding`, which needs `enabled`). The
//! branch, its commit and the pull request are one write of Gantry's own
//! (`HeldAction::ProposeFile`, capability `contents:write` on the branch), decided
//! by the policy under the name `gantry` (`policy::HOST`) like any plugin's write:
//! held for approval by Gantry's built-in defaults, run at once where a rule
//! allows it, never where one denies it; audited as `repo_config.onboarding`.
//!
//! Never twice for a repository: the first delivery to claim it in
//! `repo_onboardings` owns it for good (a retry of that delivery's job goes on
//! where it stopped; any other event finds it taken), and the write's idempotency
//! key is the repository's, so a retried job finds its approval instead of asking
//! again. A closed onboarding pull request is never reopened. When GitHub fails
//! before anything was proposed, the claim is given up so a later event may try.
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::github;
use crate::config::RepositoryConfigSettings;
use crate::db::audit::{self, AuditEntry};
use crate::db::repo_onboardings;
use crate::domain::{Actor, AuditAction, Capability, Cause, Project, RepoRef};
use crate::policy::{self, GateVerdict, HeldAction, Target, Write};
use crate::services::AppState;
use crate::wasm_host::Manifest;

/// The branch the proposal is pushed to.
pub const BRANCH: &str = "gantry/onboarding";

/// The proposal's commit message and pull request title.
pub const TITLE: &str = "Configure Gantry with .github/gantry.yml";

/// The outcome of a claim nothing was done for yet.
const CLAIMED: &str = "claimed";

/// Proposes the file to every repository an installation event adds, when
/// onboarding is on; other events are ignored.
///
/// # Errors
/// When the database fails (GitHub failing is logged and audited per repository).
pub async fn on_installation(
    state: &AppState,
    delivery_id: &str,
    event: &str,
    action: Option<&str>,
    installation: Option<i64>,
    payload: &Value,
) -> anyhow::Result<()> {
    let settings = &state.settings.repository_config;
    if !(settings.enabled && settings.onboarding) {
        return Ok(());
    }
    let added = match (event, action) {
        ("installation", Some("created")) => &payload["repositories"],
        ("installation_repositories", Some("added")) => &payload["repositories_added"],
        _ => return Ok(()),
    };
    let cause = Cause::of(event, payload);
    for full_name in added
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["full_name"].as_str())
    {
        let Some((owner, name)) = full_name.split_once('/') else {
            continue;
        };
        let repo = RepoRef {
            owner: owner.to_owned(),
            name: name.to_owned(),
        };
        onboard(state, delivery_id, installation, &repo, &cause).await?;
    }
    Ok(())
}

/// Proposes the file to `repo` unless it has one or was onboarded before.
async fn onboard(
    state: &AppState,
    delivery_id: &str,
    installation: Option<i64>,
    repo: &RepoRef,
    cause: &Cause,
) -> anyhow::Result<()> {
    let project = Project::of_repo(repo);
    let claim = repo_onboardings::claim(&state.db, project.as_str(), delivery_id).await?;
    if claim.delivery_id != delivery_id || claim.outcome != CLAIMED {
        tracing::debug!(repository = %repo.full_name(), outcome = %claim.outcome, "onboarding already claimed; not proposed again");
        return Ok(());
    }
    let full = repo.full_name();
    let github = match state.github.client(installation, Some(repo)).await {
        Ok(github) => github,
        Err(err) => return given_up(state, delivery_id, repo, &err.to_string()).await,
    };
    let base = match github::default_branch(&github, &full).await {
        Ok(branch) => branch,
        Err(err) => return given_up(state, delivery_id, repo, &err.to_string()).await,
    };
    match github::read_file(&github, &full, &base).await {
        Ok(None) => {}
        Ok(Some(_)) => {
            return finished(
                state,
                delivery_id,
                repo,
                "not needed",
                "the repository has a file",
            )
            .await
        }
        Err(err) => return given_up(state, delivery_id, repo, &err.to_string()).await,
    }
    let active =
        crate::services::installed::active::for_repository(&state.db, &state.plugins, Some(repo))
            .await?;
    let settings = &state.settings.repository_config;
    let manifests: Vec<&Manifest> = active
        .all()
        .iter()
        .map(|p| &p.plugin.manifest)
        .filter(|m| settings.may_configure(&m.name))
        .collect();
    if manifests.is_empty() {
        // Nothing to propose yet: a later event may, once a plugin is enabled.
        repo_onboardings::release(&state.db, project.as_str()).await?;
        return Ok(());
    }
    let action = HeldAction::ProposeFile {
        owner: repo.owner.clone(),
        repo: repo.name.clone(),
        base,
        branch: BRANCH.to_owned(),
        path: super::file::PATH.to_owned(),
        content: proposal(&manifests, settings),
        message: TITLE.to_owned(),
        body: body(&manifests),
    };
    let rules = policy::store::all(&state.db).await?;
    let key = key_of(&project);
    let target = Target::of_ref(&format!("refs/heads/{BRANCH}"));
    let verdict = policy::gate(
        &state.db,
        state.audit_key(),
        &rules,
        Write {
            plugin: policy::HOST,
            declared: true,
            capability: &Capability::CONTENTS_WRITE,
            repository: repo,
            target: &target,
            event_branch: None,
            actor_permission: None,
            delivery_id,
            key: &key,
            action: Some(action.clone()),
            cause,
            model: None,
        },
    )
    .await?;
    let (kind, detail) = match verdict {
        GateVerdict::Proceed => match action.run(&github, true).await {
            Ok(pull) => ("opened", opened(&pull)),
            Err(err) => return given_up(state, delivery_id, repo, &err.to_string()).await,
        },
        GateVerdict::AlreadyDone(pull) => ("opened", opened(&pull)),
        GateVerdict::Held(id) => ("held", id),
        GateVerdict::Denied(reason) => ("denied", reason),
    };
    finished(state, delivery_id, repo, kind, &detail).await
}

/// How an opened pull request is recorded.
fn opened(pull: &Value) -> String {
    pull["number"]
        .as_u64()
        .map_or_else(|| pull.to_string(), |number| format!("#{number}"))
}

/// The write's idempotency key: the repository's, whichever event proposes it.
fn key_of(project: &Project) -> String {
    let digest = Sha256::digest(format!("onboarding:{}", project.as_str()));
    format!("onboarding-{}", &hex::encode(digest)[..24])
}

/// Records and audits what became of `repo`'s onboarding: `kind` (`held`,
/// `opened`, `denied`, `not needed`) as the audit row's outcome, `detail` (the
/// approval, the pull request, the reason) as its details.
async fn finished(
    state: &AppState,
    delivery_id: &str,
    repo: &RepoRef,
    kind: &str,
    detail: &str,
) -> anyhow::Result<()> {
    let project = Project::of_repo(repo);
    let outcome = format!("{kind}: {detail}");
    repo_onboardings::set_outcome(&state.db, project.as_str(), &outcome).await?;
    tracing::info!(repository = %repo.full_name(), %outcome, "onboarding");
    let entry = AuditEntry::new(Actor::system(), AuditAction::RepoConfigOnboarding)
        .project(project.as_str())
        .delivery(delivery_id)
        .outcome(kind)
        .details(detail);
    audit::record(&state.db, state.audit_key(), entry).await?;
    Ok(())
}

/// GitHub failed before anything was proposed: audited, and the claim given up so
/// that a later event may try again.
async fn given_up(
    state: &AppState,
    delivery_id: &str,
    repo: &RepoRef,
    error: &str,
) -> anyhow::Result<()> {
    let project = Project::of_repo(repo);
    tracing::warn!(repository = %repo.full_name(), %error, "could not propose .github/gantry.yml");
    repo_onboardings::release(&state.db, project.as_str()).await?;
    let entry = AuditEntry::new(Actor::system(), AuditAction::RepoConfigOnboarding)
        .project(project.as_str())
        .delivery(delivery_id)
        .outcome("failed")
        .details(error);
    audit::record(&state.db, state.audit_key(), entry).await?;
    Ok(())
}

/// The pull request's body.
fn body(manifests: &[&Manifest]) -> String {
    let names = manifests
        .iter()
        .map(|m| format!("`{}`", m.name))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "Gantry runs {names} on this repository. This pull request proposes `{}`, \
         where the repository's team can keep their configuration and review changes \
         to it like any other change.\n\nEvery option is listed commented out, with \
         its description and default: uncomment what this repository should change. \
         Once merged, the default branch's file applies from the next event; the \
         `gantry/config` check run on a pull request changing it says what would \
         change. Closing this pull request is fine: Gantry does not propose it again.",
        super::file::PATH
    )
}

/// The proposed file: a header, then each plugin's options commented out, with
/// their descriptions and defaults (the schema's, else the plugin's default
/// configuration's). Keys only the admin sets are named, not offered.
#[must_use]
pub fn proposal(manifests: &[&Manifest], settings: &RepositoryConfigSettings) -> String {
    let mut out = String::from(
        "# .github/gantry.yml: this repository's configuration of the Gantry plugins that\n\
         # run on it. Only the default branch's file counts; once merged, it applies from\n\
         # the next event. Each plugin's options are listed commented out, with their\n\
         # descriptions and defaults: uncomment what this repository should change.\n\
         # A pull request changing this file gets a `gantry/config` check run saying\n\
         # what would change.\n",
    );
    for manifest in manifests {
        out.push('\n');
        if !manifest.description.is_empty() {
            comment(
                &mut out,
                "# ",
                &format!("{}: {}", manifest.name, manifest.description),
            );
        }
        out.push_str(&format!("# {}:\n", manifest.name));
        let admin: Vec<String> = settings
            .admin_keys(&manifest.name)
            .iter()
            .map(String::as_str)
            .map(pointer)
            .collect();
        let schema = manifest.config_schema.as_ref().unwrap_or(&Value::Null);
        let defaults = manifest.default_config.as_ref();
        let before = out.len();
        options(&mut out, schema, defaults, "", 1, &admin);
        if out.len() == before {
            out.push_str("#   (the plugin documents no options)\n");
        }
    }
    out
}

/// An admin key as a JSON pointer (`rules` is `/rules`).
fn pointer(key: &str) -> String {
    if key.starts_with('/') {
        key.to_owned()
    } else {
        format!("/{key}")
    }
}

/// The options of `schema` at `path`, `depth` levels in, commented out.
fn options(
    out: &mut String,
    schema: &Value,
    defaults: Option<&Value>,
    path: &str,
    depth: usize,
    admin: &[String],
) {
    let Some(properties) = schema["properties"].as_object() else {
        return;
    };
    // `# ` then the option's own indentation: removing `# ` leaves valid YAML.
    let pad = format!("# {}", "  ".repeat(depth));
    for (key, property) in properties {
        let here = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
        if let Some(description) = property["description"].as_str() {
            comment(out, &format!("{pad}# "), description);
        }
        if admin.contains(&here) {
            out.push_str(&format!("{pad}# {key}: set by Gantry's admin only\n"));
            continue;
        }
        let default = property
            .get("default")
            .or_else(|| defaults.and_then(|d| d.get(key)));
        let nested = property["properties"].is_object() && default.is_none_or(Value::is_object);
        if nested {
            out.push_str(&format!("{pad}{key}:\n"));
            options(out, property, default, &here, depth + 1, admin);
            continue;
        }
        let shown = match default {
            Some(value) => flow(value),
            None => format!(
                "  # {}, no default",
                property["type"].as_str().unwrap_or("any value")
            ),
        };
        let gap = if default.is_some() { " " } else { "" };
        out.push_str(&format!("{pad}{key}:{gap}{shown}\n"));
    }
}

/// A value on one line, as YAML reads it (JSON is YAML's flow style).
fn flow(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// `text` as comment lines, each after `prefix`, wrapped near 88 columns.
fn comment(out: &mut String, prefix: &str, text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && prefix.len() + line.len() + word.len() + 1 > 88 {
            out.push_str(&format!("{prefix}{line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!("{prefix}{line}\n"));
    }
}

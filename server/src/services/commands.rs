//! Comment commands: for an `issue_comment` that was created (not edited) by a
//! person (not a bot), the commands in its body are found by Prow's rules
//! (`gantry_plugin_sdk::commands::parse`: line start, quotes, HTML comments and code
//! ignored) as `/verb args` or `@bot verb args`, and each goes to the enabled
//! plugins whose manifest declares the verb, once the commenter's permission on the
//! repository is at least the command's `who` (PR-only verbs are ignored on issues).
//!
//! The host answers three verbs itself: `help` (the commands enabled on the
//! repository, from the manifests), and `@bot approve ID` / `@bot deny ID` by a
//! maintainer, which decide a held action as the API does. Its replies carry an
//! idempotency marker like plugins' comments, so a retried job does not repeat them.
use gantry_plugin_sdk::commands::{parse, Command};
use serde_json::Value;

use super::approvals;
use super::plugins::active::{ActivePlugin, ActivePlugins};
use crate::db::audit::{self, AuditEntry};
use crate::domain::RepoRef;
use crate::github::{GitHubClient, GitHubError};
use crate::plugins::{PluginCommand, PluginEvent};
use crate::policy::Permission;
use crate::state::AppState;

/// A comment that may carry commands.
#[derive(Debug)]
pub struct CommentContext {
    /// The commenter's login.
    pub author: String,
    /// The issue or pull request number.
    pub number: u64,
    /// Whether it is a pull request.
    pub is_pull_request: bool,
    /// The comment's id.
    pub comment_id: u64,
    /// The comment's body.
    pub body: String,
}

impl CommentContext {
    /// The comment of an `issue_comment.created` event by a person; `None` for any
    /// other event, an edit or a deletion, or a bot's comment.
    #[must_use]
    pub fn of(event: &str, action: Option<&str>, payload: &Value) -> Option<Self> {
        if event != "issue_comment" || action != Some("created") {
            return None;
        }
        let comment = &payload["comment"];
        let user = &comment["user"];
        let author = user["login"].as_str()?.to_owned();
        if user["type"].as_str() == Some("Bot") || author.ends_with("[bot]") {
            return None;
        }
        Some(Self {
            author,
            number: payload["issue"]["number"].as_u64()?,
            is_pull_request: payload["issue"]
                .get("pull_request")
                .is_some_and(|p| !p.is_null()),
            comment_id: comment["id"].as_u64()?,
            body: comment["body"].as_str().unwrap_or_default().to_owned(),
        })
    }
}

/// One command for one plugin.
#[derive(Debug)]
pub struct Routed {
    /// The plugin that declares the verb, with its configuration.
    pub plugin: ActivePlugin,
    /// What it receives.
    pub command: PluginCommand,
}

/// The commenter's permission on the repository, from GitHub (`role_name`, else the
/// classic `permission`); `none` for no access.
async fn permission_of(
    github: &GitHubClient,
    repo: &RepoRef,
    user: &str,
) -> Result<Permission, GitHubError> {
    use crate::github::client::url_escape;
    let path = format!(
        "/repos/{}/{}/collaborators/{}/permission",
        url_escape(&repo.owner),
        url_escape(&repo.name),
        url_escape(user)
    );
    let answer = match github.rest("GET", &path, None).await {
        Ok(v) => v,
        Err(GitHubError::NotFound(_)) => return Ok(Permission::None),
        Err(e) => return Err(e),
    };
    Ok(Permission::of_answer(&answer))
}

/// The commands of a comment for the plugins that declare them. Host commands
/// (`help`, `approve`, `deny`) are answered here and not returned.
///
/// # Errors
/// When GitHub fails to say the commenter's permission (the job is retried), or the
/// database fails.
pub async fn route(
    state: &AppState,
    github: &GitHubClient,
    event: &PluginEvent,
    comment: &CommentContext,
    active: &ActivePlugins,
) -> anyhow::Result<Vec<Routed>> {
    let Some(repo) = event.repository.clone() else {
        return Ok(Vec::new());
    };
    let bot = state.settings.commands.bot_name.as_str();
    let commands = parse(&comment.body, Some(bot));
    if commands.is_empty() {
        return Ok(Vec::new());
    }
    let permission = permission_of(github, &repo, &comment.author).await?;
    let mut routed = Vec::new();
    for (seq, command) in commands.iter().enumerate() {
        match command.name.as_str() {
            "help" => {
                reply(
                    github,
                    &repo,
                    comment,
                    &format!("help-{seq}"),
                    &event.delivery_id,
                    &help_text(active, bot),
                )
                .await?
            }
            "approve" | "deny"
                if command.mention
                    && command.args.first().is_some_and(|a| a.starts_with("ap_")) =>
            {
                let text = decide(state, github, &repo, comment, command, permission).await?;
                reply(
                    github,
                    &repo,
                    comment,
                    &format!("decide-{seq}"),
                    &event.delivery_id,
                    &text,
                )
                .await?;
            }
            verb => {
                for candidate in active.all() {
                    let Some(spec) = candidate
                        .plugin
                        .manifest
                        .commands
                        .iter()
                        .find(|c| c.verb == verb)
                    else {
                        continue;
                    };
                    if spec.pull_requests_only && !comment.is_pull_request {
                        tracing::debug!(verb, plugin = %candidate.plugin.manifest.name, "a pull-request command on an issue: ignored");
                        continue;
                    }
                    let needed = Permission::parse(&spec.who).unwrap_or(Permission::Write);
                    if permission < needed {
                        tracing::info!(verb, author = %comment.author, needed = %spec.who, "the commenter may not use this command: ignored");
                        audit_refusal(
                            state,
                            &repo,
                            comment,
                            verb,
                            &candidate.plugin.manifest.name,
                            &spec.who,
                            &event.delivery_id,
                        )
                        .await?;
                        continue;
                    }
                    routed.push(Routed {
                        plugin: candidate.clone(),
                        command: PluginCommand {
                            event: PluginEvent {
                                config: Some(candidate.config.clone()),
                                ..event.clone()
                            },
                            verb: verb.to_owned(),
                            args: command.rest.clone(),
                            author: comment.author.clone(),
                            author_permission: permission,
                            number: comment.number,
                            is_pull_request: comment.is_pull_request,
                            comment_id: comment.comment_id,
                        },
                    });
                }
            }
        }
    }
    Ok(routed)
}

/// The commands enabled on the repository, from the manifests of the active plugins.
fn help_text(active: &ActivePlugins, bot: &str) -> String {
    let mut out = format!("Commands on this repository (as `/verb` or `@{bot} verb`):\n\n| command | what it does | who |\n|---|---|---|\n");
    let mut any = false;
    for p in active.all() {
        for c in &p.plugin.manifest.commands {
            any = true;
            let usage = if c.usage.is_empty() {
                format!("/{}", c.verb)
            } else {
                c.usage.clone()
            };
            out.push_str(&format!(
                "| `{usage}` | {} ({}) | {}{} |\n",
                c.description,
                p.plugin.manifest.name,
                c.who,
                if c.pull_requests_only {
                    ", pull requests only"
                } else {
                    ""
                }
            ));
        }
    }
    out.push_str(&format!("| `@{bot} approve ID`, `@{bot} deny ID` | decide an action held for approval | maintain |\n"));
    if !any {
        out.push_str("\nNo plugin with commands is enabled here.\n");
    }
    out
}

/// Decides a held action for a maintainer; returns the reply.
async fn decide(
    state: &AppState,
    github: &GitHubClient,
    repo: &RepoRef,
    comment: &CommentContext,
    command: &Command,
    permission: Permission,
) -> anyhow::Result<String> {
    let id = command.args.first().cloned().unwrap_or_default();
    if permission < Permission::Maintain {
        return Ok(format!(
            "@{} only maintainers can decide held actions.",
            comment.author
        ));
    }
    let held = crate::db::approvals::find(&state.db, &id).await?;
    if held
        .as_ref()
        .is_none_or(|h| !h.repository.eq_ignore_ascii_case(&repo.full_name()))
    {
        return Ok(format!("No held action `{id}` on this repository."));
    }
    let reason = Some(format!(
        "comment {} by {}",
        comment.comment_id, comment.author
    ));
    let by = comment.author.as_str();
    Ok(if command.name == "approve" {
        match approvals::approve(&state.db, github, &id, by, reason.as_deref()).await {
            Ok(_) => format!("Approved `{id}`; it ran."),
            Err(e) => format!("Could not approve `{id}`: {e}"),
        }
    } else {
        match approvals::deny(&state.db, &id, by, reason.as_deref()).await {
            Ok(()) => format!("Denied `{id}`; it will not run."),
            Err(e) => format!("Could not deny `{id}`: {e}"),
        }
    })
}

/// Replies on the issue as the platform, once per delivery and key.
async fn reply(
    github: &GitHubClient,
    repo: &RepoRef,
    comment: &CommentContext,
    key: &str,
    delivery: &str,
    text: &str,
) -> anyhow::Result<()> {
    let marker = format!("<!-- gantry: host key={delivery}:{key} -->");
    github
        .create_comment_once(repo, comment.number, text, &marker, true)
        .await?;
    Ok(())
}

async fn audit_refusal(
    state: &AppState,
    repo: &RepoRef,
    comment: &CommentContext,
    verb: &str,
    plugin: &str,
    who: &str,
    delivery: &str,
) -> anyhow::Result<()> {
    let entry = AuditEntry {
        actor: comment.author.clone(),
        actor_kind: "user".into(),
        action: "command.refused".into(),
        project: Some(repo.full_name()),
        outcome: Some("refused".into()),
        delivery_id: Some(delivery.to_owned()),
        details: Some(format!("/{verb} of {plugin} needs {who}")),
        ..AuditEntry::default()
    };
    audit::append(&state.db, entry).await?;
    Ok(())
}

//! Comment commands: for an `issue_comment` that was created, a pull request review
//! that was submitted (its body) or a review line comment that was created by a
//! person (not a bot, not Gantry's own identity, and without Gantry's idempotency
//! marker; see `comment`), the commands in its body are found by Prow's rules
//! (`gantry_commands::parse`: line start, quotes, HTML comments and code
//! ignored) as `/verb args` or `@bot verb args`, and each goes to the enabled
//! plugins whose manifest declares the verb, once the commenter's permission on the
//! repository is at least the command's `who` (PR-only verbs are ignored on issues).
//!
//! An edit of any of these runs only the command lines it adds (`comment::added`),
//! and only for commands whose manifest says `edited = true`; the editor's
//! permission decides. The host's own verbs never run from edits.
//!
//! The host answers three verbs itself: `help` (the commands enabled on the
//! repository, from the manifests), and `@bot approve ID` / `@bot deny ID` by a
//! maintainer, which decide a held action through `approvals::decide`, as the API
//! and the dashboard do. Its replies carry an idempotency marker like plugins'
//! comments, so a retried job does not repeat them.
//!
//! With a personal token, every comment Gantry makes (its own and its plugins') is
//! authored by the token's owner, usually an admin of the repository: were those
//! comments read as the owner's, a plugin could approve its own held writes or run
//! other plugins' commands by commenting. So comments by Gantry's own login (`GET
//! /user`, asked once) and comments carrying the marker Gantry puts on every
//! comment it makes are never read for commands.
use gantry_commands::{parse, Command};

use super::approvals::{self, Decided, Decider, Decision, Right};
use super::installed::active::{ActivePlugin, ActivePlugins};
use crate::db::audit::{self, AuditEntry};
use crate::domain::{Actor, AuditAction, RepoRef};
use crate::github::{GitHubClient, GitHubError};
use crate::policy::Permission;
use crate::services::AppState;
use crate::wasm_host::{PluginCommand, PluginEvent};

mod comment;
pub use comment::{added, CommentContext, GANTRY_MARKER};

/// One command for one plugin.
#[derive(Debug)]
pub struct Routed {
    /// The plugin that declares the verb, with its configuration.
    pub plugin: ActivePlugin,
    /// What it receives.
    pub command: PluginCommand,
}

/// A command that reached no plugin, or a plugin that did not get it, and why; kept
/// with the job (`plugin_skips`) and shown on the delivery's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrouted {
    /// `/verb` when no plugin got it, `plugin /verb` for one plugin that did not.
    pub subject: String,
    /// Why.
    pub reason: String,
}

/// What the commands of one comment came to.
#[derive(Debug, Default)]
pub struct Routing {
    /// The commands for the plugins that run them.
    pub routed: Vec<Routed>,
    /// The commands, or plugins, that did not run, and why.
    pub unrouted: Vec<Unrouted>,
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
    let answer = match github.rest(http::Method::GET, &path, None).await {
        Ok(v) => v,
        Err(GitHubError::NotFound(_)) => return Ok(Permission::None),
        Err(e) => return Err(e),
    };
    Ok(Permission::of_answer(&answer))
}

/// The commenter's permission, asked of GitHub on first need and kept in `known`.
async fn known_permission(
    known: &mut Option<Permission>,
    github: &GitHubClient,
    repo: &RepoRef,
    user: &str,
) -> Result<Permission, GitHubError> {
    if let Some(p) = *known {
        return Ok(p);
    }
    let p = permission_of(github, repo, user).await?;
    *known = Some(p);
    Ok(p)
}

/// The commands of a comment for the plugins that declare them, and why others did
/// not run (not a pull request, the commenter's permission, no enabled plugin
/// declares the verb). Host commands (`help`, `approve`, `deny`) are answered here
/// and not returned.
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
) -> anyhow::Result<Routing> {
    let mut routing = Routing::default();
    let Some(repo) = event.repository.clone() else {
        return Ok(routing);
    };
    let bot = state.settings.commands.bot_name.as_str();
    let mut commands = parse(&comment.body, Some(bot));
    if let Some(before) = &comment.previous {
        commands = added(commands, &parse(before, Some(bot)));
    }
    if commands.is_empty() {
        return Ok(routing);
    }
    if by_gantry(state, &comment.author).await? {
        tracing::warn!(author = %comment.author, "a comment by Gantry's own GitHub identity is not read for commands");
        routing.unrouted.push(Unrouted {
            subject: "comment".into(),
            reason: format!(
                "written by Gantry's own GitHub identity ({}): never read for commands",
                comment.author
            ),
        });
        return Ok(routing);
    }
    // Asked of GitHub once, and only when a command needs it.
    let mut known: Option<Permission> = None;
    let Routing { routed, unrouted } = &mut routing;
    for (seq, command) in commands.iter().enumerate() {
        if comment.is_edit() && is_host_command(command) {
            unrouted.push(Unrouted {
                subject: format!("/{}", command.name),
                reason: format!(
                    "edited: the host's /{} runs from new comments only",
                    command.name
                ),
            });
            continue;
        }
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
            "approve" | "deny" if is_host_command(command) => {
                let permission =
                    known_permission(&mut known, github, &repo, &comment.author).await?;
                let text = decide(state, &repo, comment, command, permission).await?;
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
                let mut declared = false;
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
                    declared = true;
                    let name = &candidate.plugin.manifest.name;
                    let subject = format!("{name} /{verb}");
                    if spec.pull_requests_only && !comment.is_pull_request {
                        tracing::debug!(verb, plugin = %name, "a pull-request command on an issue: ignored");
                        unrouted.push(Unrouted {
                            subject,
                            reason: format!(
                                "not a pull request: /{verb} of {name} is for pull requests only"
                            ),
                        });
                        continue;
                    }
                    if comment.is_edit() && !spec.edited {
                        tracing::debug!(verb, plugin = %name, "a command added by an edit, not opted in: ignored");
                        unrouted.push(Unrouted {
                            subject,
                            reason: format!(
                                "edited: /{verb} of {name} runs from new comments only (its manifest does not set `edited = true`)"
                            ),
                        });
                        continue;
                    }
                    let permission =
                        known_permission(&mut known, github, &repo, &comment.author).await?;
                    let needed = Permission::parse(&spec.who).unwrap_or(Permission::Write);
                    if permission < needed {
                        tracing::info!(verb, author = %comment.author, needed = %spec.who, "the commenter may not use this command: ignored");
                        unrouted.push(Unrouted {
                            subject,
                            reason: format!(
                                "permission: {} has {} on the repository; /{verb} of {name} needs {} or more",
                                comment.author,
                                permission_name(permission),
                                spec.who
                            ),
                        });
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
                if !declared {
                    unrouted.push(Unrouted {
                        subject: format!("/{verb}"),
                        reason: not_declared(state, &repo, verb).await?,
                    });
                }
            }
        }
    }
    Ok(routing)
}

/// Whether the host answers `command` itself: `help`, and `@bot approve ID` or
/// `@bot deny ID` naming a held action (a plain `/approve` is a plugin's verb).
fn is_host_command(command: &Command) -> bool {
    match command.name.as_str() {
        "help" => true,
        "approve" | "deny" => {
            command.mention && command.args.first().is_some_and(|a| a.starts_with("ap_"))
        }
        _ => false,
    }
}

/// GitHub's name of a permission.
fn permission_name(permission: Permission) -> &'static str {
    match permission {
        Permission::None => "no access",
        Permission::Read => "read",
        Permission::Triage => "triage",
        Permission::Write => "write",
        Permission::Maintain => "maintain",
        Permission::Admin => "admin",
    }
}

/// Why no enabled plugin got `/verb` on `repo`: an installed plugin declares it but
/// is switched off, or is not enabled on the repository, or none declares it.
async fn not_declared(state: &AppState, repo: &RepoRef, verb: &str) -> anyhow::Result<String> {
    let mut off = Vec::new();
    let mut elsewhere = Vec::new();
    for plugin in crate::db::plugins::list(&state.db).await? {
        let Ok(manifest) = toml::from_str::<crate::wasm_host::Manifest>(&plugin.manifest) else {
            continue;
        };
        if manifest.commands.iter().any(|c| c.verb == verb) {
            if plugin.enabled {
                elsewhere.push(plugin.name);
            } else {
                off.push(plugin.name);
            }
        }
    }
    Ok(if !off.is_empty() {
        format!(
            "disabled: /{verb} is declared by {}, which is switched off",
            off.join(", ")
        )
    } else if !elsewhere.is_empty() {
        format!(
            "not enabled here: /{verb} is declared by {}, which is not enabled on {}",
            elsewhere.join(", "),
            repo.full_name()
        )
    } else {
        format!("not installed: no installed plugin declares /{verb}")
    })
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
                "| `{usage}` | {} ({}) | {}{}{} |\n",
                c.description,
                p.plugin.manifest.name,
                c.who,
                if c.pull_requests_only {
                    ", pull requests only"
                } else {
                    ""
                },
                if c.edited {
                    ", also when edited in"
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

/// Whether `author` is Gantry's own GitHub identity (with a personal token, the
/// token's owner). When GitHub cannot say, the job is retried rather than the
/// comment read as a person's.
async fn by_gantry(state: &AppState, author: &str) -> anyhow::Result<bool> {
    let own = state
        .own_login()
        .await
        .map_err(|e| anyhow::anyhow!("asking GitHub who Gantry is: {e}"))?;
    Ok(own.is_some_and(|own| own.eq_ignore_ascii_case(author)))
}

/// Decides a held action for the commenter (`approvals::decide`, with their
/// permission on the repository as their right); returns the reply.
async fn decide(
    state: &AppState,
    repo: &RepoRef,
    comment: &CommentContext,
    command: &Command,
    permission: Permission,
) -> anyhow::Result<String> {
    let id = command.args.first().cloned().unwrap_or_default();
    let decider = Decider {
        actor: Actor::github(&comment.author),
        right: Right::GitHub {
            repository: repo,
            permission,
        },
    };
    let decision = if command.name == "approve" {
        Decision::Approve
    } else {
        Decision::Deny
    };
    let reason = format!("comment {} by {}", comment.comment_id, comment.author);
    let who = &comment.author;
    Ok(
        match approvals::decide(state, &decider, &id, decision, Some(&reason)).await {
            Ok(Decided::Executed(_)) => format!("Approved `{id}`; it ran."),
            Ok(Decided::Denied) => format!("Denied `{id}`; it will not run."),
            Ok(Decided::Waiting { votes, required }) => format!(
                "Approval {votes} of {required} for `{id}`; it runs once {} more distinct people approve.",
                required - votes
            ),
            Err(approvals::ApprovalError::NotFound(_)) => {
                format!("No held action `{id}` on this repository.")
            }
            Err(approvals::ApprovalError::Forbidden(why)) => format!("@{who} {why}."),
            Err(approvals::ApprovalError::Database(e)) => return Err(e.into()),
            Err(e) => format!("Could not decide `{id}`: {e}"),
        },
    )
}

/// Replies on the issue or pull request's conversation as the platform, once per delivery and key.
async fn reply(
    github: &GitHubClient,
    repo: &RepoRef,
    comment: &CommentContext,
    key: &str,
    delivery: &str,
    text: &str,
) -> anyhow::Result<()> {
    let marker = format!("{GANTRY_MARKER}host key={delivery}:{key} -->");
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
    let entry = AuditEntry::new(Actor::github(&comment.author), AuditAction::CommandRefused)
        .project(repo.full_name())
        .outcome("refused")
        .delivery(delivery)
        .details(format!("/{verb} of {plugin} needs {who}"));
    audit::record(&state.db, state.audit_key(), entry).await?;
    Ok(())
}

//! `gantry policy` (rules and explanations) and `gantry audit verify` / `head`,
//! straight against the configured database.
use anyhow::bail;
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use crate::crypto::AuditKey;
use crate::db::audit;
use crate::domain::Actor;
use crate::domain::Visibility;
use crate::policy::store as rules;
use crate::policy::Permission;
use crate::services::policies::{self, RuleForm};

/// What to do with policy rules.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Add a rule.
    Add {
        /// `global`, `org:NAME` or `repo:OWNER/NAME`.
        #[arg(long)]
        scope: String,
        /// A plugin name (any plugin when absent).
        #[arg(long)]
        plugin: Option<String>,
        /// A capability, `family:*` or `*`.
        #[arg(long)]
        capability: String,
        /// `allow`, `ask` or `deny`.
        #[arg(long)]
        effect: String,
        /// Only for writes to branches matching this glob: the branch the write
        /// changes (a push's destination, a file's branch, a ref, a release's
        /// target), not the event's. A deny or ask applies when that branch is not
        /// known.
        #[arg(long)]
        branch: Option<String>,
        /// Only for events on branches matching this glob (a pull request's base,
        /// the pushed branch).
        #[arg(long)]
        event_branch: Option<String>,
        /// Only when the acting person (the commenter of a command, the event's
        /// sender) has at least this permission. A deny or ask applies when it is
        /// not known.
        #[arg(long)]
        min_permission: Option<String>,
        /// A global rule that narrower rules may not loosen.
        #[arg(long)]
        enforced: bool,
        /// For `ask`: how many distinct people must approve a held write.
        #[arg(long)]
        approvals: Option<u32>,
    },
    /// List the rules.
    List,
    /// Remove a rule by id.
    Remove {
        /// The id from `gantry policy list`.
        id: i64,
    },
    /// Say what would happen, and why, if a plugin used a capability on a repository.
    Explain {
        /// The plugin.
        #[arg(long)]
        plugin: String,
        /// The capability.
        #[arg(long)]
        capability: String,
        /// `owner/name`.
        #[arg(long)]
        repository: String,
        /// The branch the write changes (none when absent).
        #[arg(long)]
        branch: Option<String>,
        /// The event's branch.
        #[arg(long)]
        event_branch: Option<String>,
        /// The actor's permission (not known when absent).
        #[arg(long)]
        permission: Option<String>,
    },
}

/// Runs a `gantry policy` command.
///
/// # Errors
/// When a rule is invalid or the database fails.
pub async fn run(
    db: &DatabaseConnection,
    key: &AuditKey,
    command: PolicyCommand,
) -> anyhow::Result<()> {
    let actor = Actor::cli();
    match command {
        PolicyCommand::Add {
            scope,
            plugin,
            capability,
            effect,
            branch,
            event_branch,
            min_permission,
            enforced,
            approvals,
        } => {
            let form = RuleForm {
                scope,
                plugin,
                capability,
                effect,
                branch,
                event_branch,
                min_permission,
                enforced,
                approvals,
            };
            let id = policies::add(db, key, &actor, form).await?;
            println!("added rule {id}");
        }
        PolicyCommand::List => {
            let all = rules::all(db).await?;
            println!(
                "{:>5}  {:<30}  {:<16}  {:<22}  {:<6}  CONDITIONS",
                "ID", "SCOPE", "PLUGIN", "CAPABILITY", "EFFECT"
            );
            for r in &all {
                let conditions = serde_json::to_string(&r.conditions)?;
                let enforced = if r.enforced { " enforced" } else { "" };
                let quorum = if r.approvals > 1 {
                    format!(" approvals={}", r.approvals)
                } else {
                    String::new()
                };
                println!(
                    "{:>5}  {:<30}  {:<16}  {:<22}  {:<6}  {conditions}{enforced}{quorum}",
                    r.id,
                    r.scope.to_string(),
                    r.plugin.as_deref().unwrap_or("*"),
                    r.capability.as_str(),
                    r.effect.as_str()
                );
            }
            if all.is_empty() {
                println!("(no rules: Gantry's built-in defaults decide)");
            }
        }
        PolicyCommand::Remove { id } => {
            policies::remove(db, key, &actor, id).await?;
            println!("removed rule {id}");
        }
        PolicyCommand::Explain {
            plugin,
            capability,
            repository,
            branch,
            event_branch,
            permission,
        } => {
            let permission = match permission.as_deref().map(Permission::parse) {
                Some(None) => bail!("--permission must be read, triage, write, maintain or admin"),
                Some(Some(p)) => Some(p),
                None => None,
            };
            let decision = policies::explain(
                db,
                &Visibility::All,
                &policies::Hypothesis {
                    plugin: &plugin,
                    capability: &capability,
                    declared: true,
                    repository: &repository,
                    branch: branch.as_deref(),
                    event_branch: event_branch.as_deref(),
                    actor_permission: permission,
                },
            )
            .await?;
            println!("{}: {}", decision.effect.as_str(), decision.reason);
            for c in &decision.considered {
                let label = if c.rule.id == 0 {
                    "builtin".to_owned()
                } else {
                    format!("rule {}", c.rule.id)
                };
                match &c.skipped_because {
                    None => println!(
                        "  matched  {label}: {} {} -> {}{}",
                        c.rule.scope,
                        c.rule.capability.as_str(),
                        c.rule.effect.as_str(),
                        c.applied_because
                            .as_deref()
                            .map(|why| format!(" ({why})"))
                            .unwrap_or_default()
                    ),
                    Some(why) => println!("  skipped  {label}: {why}"),
                }
            }
        }
    }
    Ok(())
}

/// `gantry audit verify`: walks the chain under the key from `secrets.key`; fails
/// naming the first broken row, or when `expect_head` (from `gantry audit head`) is
/// no longer part of the log.
///
/// # Errors
/// When the chain is broken, the head is missing or changed, or the database fails.
pub async fn verify_audit(
    db: &DatabaseConnection,
    key: &AuditKey,
    expect_head: Option<&str>,
) -> anyhow::Result<()> {
    let expect = expect_head
        .map(str::parse::<audit::Head>)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    match audit::verify(db, key, expect.as_ref()).await? {
        Ok(verified) => {
            let keyed = if key.is_keyed() {
                format!("{} keyed", verified.keyed_rows)
            } else {
                "unkeyed: no secrets.key".to_owned()
            };
            let head = verified
                .head
                .map_or_else(|| "empty".to_owned(), |h| h.to_string());
            println!(
                "audit log intact: {} rows verified ({keyed}); head {head}",
                verified.rows
            );
            Ok(())
        }
        Err(broken) => bail!("audit log broken at row {}: {}", broken.id, broken.problem),
    }
}

/// `gantry audit head`: prints the last row as `ID:HASH`.
///
/// # Errors
/// When the database fails.
pub async fn audit_head(db: &DatabaseConnection) -> anyhow::Result<()> {
    match audit::head(db).await? {
        Some(head) => println!("{head}"),
        None => println!("(the audit log is empty)"),
    }
    Ok(())
}

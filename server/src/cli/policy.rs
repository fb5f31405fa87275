//! `gantry policy` (rules and explanations) and `gantry audit verify`, straight
//! against the configured database.
use anyhow::bail;
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use crate::db::{audit, policies as rules};
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
        /// Only for events on branches matching this glob.
        #[arg(long)]
        branch: Option<String>,
        /// Only when the actor has at least this permission.
        #[arg(long)]
        min_permission: Option<String>,
        /// A global rule that narrower rules may not loosen.
        #[arg(long)]
        enforced: bool,
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
        /// The event's branch.
        #[arg(long)]
        branch: Option<String>,
        /// The actor's permission.
        #[arg(long)]
        permission: Option<String>,
    },
}

/// Runs a `gantry policy` command.
///
/// # Errors
/// When a rule is invalid or the database fails.
pub async fn run(db: &DatabaseConnection, command: PolicyCommand) -> anyhow::Result<()> {
    let actor = "cli";
    match command {
        PolicyCommand::Add {
            scope,
            plugin,
            capability,
            effect,
            branch,
            min_permission,
            enforced,
        } => {
            let id = policies::add(
                db,
                RuleForm {
                    scope,
                    plugin,
                    capability,
                    effect,
                    branch,
                    min_permission,
                    enforced,
                },
                actor,
            )
            .await?;
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
                println!(
                    "{:>5}  {:<30}  {:<16}  {:<22}  {:<6}  {conditions}{enforced}",
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
            policies::remove(db, id, actor).await?;
            println!("removed rule {id}");
        }
        PolicyCommand::Explain {
            plugin,
            capability,
            repository,
            branch,
            permission,
        } => {
            let permission = match permission.as_deref().map(Permission::parse) {
                Some(None) => bail!("--permission must be read, triage, write, maintain or admin"),
                Some(Some(p)) => Some(p),
                None => None,
            };
            let decision = policies::explain(
                db,
                &plugin,
                &capability,
                true,
                &repository,
                branch.as_deref(),
                permission,
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
                        "  matched  {label}: {} {} -> {}",
                        c.rule.scope,
                        c.rule.capability.as_str(),
                        c.rule.effect.as_str()
                    ),
                    Some(why) => println!("  skipped  {label}: {why}"),
                }
            }
        }
    }
    Ok(())
}

/// `gantry audit verify`: walks the hash chain; fails naming the first broken row.
///
/// # Errors
/// When the chain is broken or the database fails.
pub async fn verify_audit(db: &DatabaseConnection) -> anyhow::Result<()> {
    match audit::verify(db).await? {
        Ok(rows) => {
            println!("audit log intact: {rows} rows verified");
            Ok(())
        }
        Err(broken) => bail!("audit log broken at row {}: {}", broken.id, broken.problem),
    }
}

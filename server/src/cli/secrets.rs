//! `gantry secrets`: webhook secrets by scope, and named secrets for plugins, both
//! stored encrypted. Values are read from standard input (never from the command
//! line, where `ps` would show them) and are never printed back. Every change is
//! audited (as `cli`; the scope and name, never the value).
use std::io::Read;

use anyhow::{bail, Context};
use clap::Subcommand;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::config::Settings;
use crate::crypto::{AuditKey, SecretBox};
use crate::db::audit::{self, AuditEntry};
use crate::domain::{Actor, AuditAction, SecretScope};
use crate::secrets::plugin::{self as plugin_secrets, Binding, SecretId};
use crate::secrets::webhook as secrets;
use crate::secrets::SecretError;

/// What to do with webhook secrets.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Store a webhook secret read from standard input.
    Add {
        /// `global`, `org:NAME` or `repo:OWNER/NAME`. The most specific scope that has
        /// secrets decides for a delivery.
        #[arg(long)]
        scope: String,
        /// A note for operators, such as where the secret is configured.
        #[arg(long)]
        label: Option<String>,
    },
    /// List stored secrets (scopes and labels, never values).
    List,
    /// Remove a stored secret by id (after adding its replacement, for rotation).
    Remove {
        /// The id shown by `gantry secrets list`.
        id: i64,
    },
    /// Print a fresh random key for `secrets.key`.
    GenerateKey,
    /// Store a named secret for one plugin (value from standard input): that
    /// plugin, with the capability `secrets:NAME`, can send it without seeing it,
    /// only to the `--host`s given, only in the `--header`s given.
    PluginSet {
        /// The secret's name.
        name: String,
        /// The plugin that may use it (no other plugin finds it).
        #[arg(long)]
        plugin: String,
        /// `*` for every repository, or `OWNER/NAME`; a repository's own secret wins.
        #[arg(long, default_value = "*")]
        scope: String,
        /// A host the secret may be sent to, as in `http:HOST`; at least one.
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// A header name the secret may be sent in (`authorization` when none).
        #[arg(long = "header")]
        headers: Vec<String>,
    },
    /// Bind a plugin secret stored before secrets were bound to plugins (listed
    /// with an empty plugin, used by no plugin) to one plugin and its hosts, without
    /// typing its value again.
    PluginBind {
        /// The secret's name.
        name: String,
        /// The plugin that may use it.
        #[arg(long)]
        plugin: String,
        /// Its scope.
        #[arg(long, default_value = "*")]
        scope: String,
        /// A host the secret may be sent to; at least one.
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// A header name the secret may be sent in (`authorization` when none).
        #[arg(long = "header")]
        headers: Vec<String>,
    },
    /// List plugin secrets (plugins, scopes, names and bindings, never values).
    PluginList,
    /// Remove a plugin secret.
    PluginRemove {
        /// The secret's name.
        name: String,
        /// The plugin it is stored for (leave out for one stored before secrets
        /// were bound to plugins).
        #[arg(long)]
        plugin: Option<String>,
        /// Its scope.
        #[arg(long, default_value = "*")]
        scope: String,
    },
}

/// Reads a secret value from standard input, without its trailing newline.
fn read_value(example: &str) -> anyhow::Result<String> {
    let mut value = String::new();
    std::io::stdin()
        .read_to_string(&mut value)
        .context("reading the secret from standard input")?;
    let value = value.trim_end_matches(['\n', '\r']).to_owned();
    if value.is_empty() {
        bail!("no secret on standard input (for example: printf %s \"$SECRET\" | gantry secrets {example})");
    }
    Ok(value)
}

/// Runs a `gantry secrets` command.
///
/// # Errors
/// When the scope, key, value or database is not right.
pub async fn run(
    settings: &Settings,
    connect: impl std::future::Future<Output = anyhow::Result<DatabaseConnection>>,
    command: SecretsCommand,
) -> anyhow::Result<()> {
    if let SecretsCommand::GenerateKey = command {
        println!("{}", SecretBox::generate_key());
        return Ok(());
    }
    let db = connect.await?;
    let key = AuditKey::derive(settings.secrets.key.as_ref())?;
    let record = |action: AuditAction, details: serde_json::Value| {
        AuditEntry::new(Actor::cli(), action)
            .outcome("ok")
            .details(details.to_string())
    };
    match command {
        SecretsCommand::Add { scope, label } => {
            let scope = SecretScope::parse(&scope).map_err(anyhow::Error::msg)?;
            let value = read_value("add --scope ...")?;
            let id = audited(&db, &key, async |txn| {
                let id = secrets::add(
                    txn,
                    settings.secrets.key.as_ref(),
                    &scope,
                    label.clone(),
                    &value,
                )
                .await?;
                let details = serde_json::json!({ "id": id, "scope": scope.to_string() });
                Ok((id, Some(record(AuditAction::SecretAdded, details))))
            })
            .await?;
            println!("stored secret {id} for {scope}");
        }
        SecretsCommand::List => {
            let items = secrets::list(&db).await?;
            println!(
                "{:>6}  {:<40}  {:<20}  {:<30}",
                "ID", "SCOPE", "ADDED", "LABEL"
            );
            for s in &items {
                println!(
                    "{:>6}  {:<40}  {:<20}  {:<30}",
                    s.id,
                    s.scope,
                    s.created_at.format("%Y-%m-%d %H:%M:%S"),
                    s.label.as_deref().unwrap_or("")
                );
            }
            if items.is_empty() {
                println!(
                    "(no stored secrets; configured ones: {})",
                    settings.webhook.secrets.len()
                );
            }
        }
        SecretsCommand::Remove { id } => {
            let removed = audited(&db, &key, async |txn| {
                let removed = secrets::remove(txn, id).await?;
                let details = serde_json::json!({ "id": id });
                Ok((
                    removed,
                    removed.then(|| record(AuditAction::SecretRemoved, details)),
                ))
            })
            .await?;
            if !removed {
                bail!("no stored secret with id {id}");
            }
            println!("removed secret {id}");
        }
        SecretsCommand::PluginSet {
            name,
            plugin,
            scope,
            hosts,
            headers,
        } => {
            let binding = Binding::new(&hosts, &headers).map_err(anyhow::Error::msg)?;
            let value = read_value("plugin-set NAME --plugin P --host H ...")?;
            let id = SecretId {
                plugin: &plugin,
                scope: &scope,
                name: &name,
            };
            let details = serde_json::json!({
                "name": name, "plugin": plugin, "scope": scope,
                "hosts": binding.hosts, "headers": binding.headers,
            });
            audited(&db, &key, async |txn| {
                plugin_secrets::set(txn, settings.secrets.key.as_ref(), id, &binding, &value).await?;
                Ok(((), Some(record(AuditAction::PluginSecretSet, details.clone()))))
            })
            .await
            .with_context(|| format!("storing plugin secret {name} of plugin {plugin} for {scope} (names are letters, digits, -, _ and .; scopes `*` or OWNER/NAME)"))?;
            println!(
                "stored plugin secret {name} of plugin {plugin} for {scope}, sent only to {} in {}",
                binding.hosts.join(", "),
                binding.headers.join(", ")
            );
        }
        SecretsCommand::PluginBind {
            name,
            plugin,
            scope,
            hosts,
            headers,
        } => {
            let binding = Binding::new(&hosts, &headers).map_err(anyhow::Error::msg)?;
            let id = SecretId {
                plugin: &plugin,
                scope: &scope,
                name: &name,
            };
            let details = serde_json::json!({
                "name": name, "plugin": plugin, "scope": scope,
                "hosts": binding.hosts, "headers": binding.headers,
            });
            let bound = audited(&db, &key, async |txn| {
                let bound =
                    plugin_secrets::bind_unbound(txn, settings.secrets.key.as_ref(), id, &binding)
                        .await?;
                let entry = record(AuditAction::PluginSecretBound, details.clone());
                Ok((bound, bound.then_some(entry)))
            })
            .await
            .with_context(|| format!("binding plugin secret {name} for {scope}"))?;
            if !bound {
                bail!("no unbound plugin secret {name} for {scope}");
            }
            println!(
                "bound plugin secret {name} for {scope} to plugin {plugin}, sent only to {} in {}",
                binding.hosts.join(", "),
                binding.headers.join(", ")
            );
        }
        SecretsCommand::PluginList => {
            println!(
                "{:<20}  {:<30}  {:<24}  {:<30}  {:<20}",
                "PLUGIN", "SCOPE", "NAME", "HOSTS (HEADERS)", "STORED"
            );
            for s in plugin_secrets::list(&db).await? {
                let plugin = if s.plugin.is_empty() {
                    "(unbound: none)"
                } else {
                    s.plugin.as_str()
                };
                println!(
                    "{plugin:<20}  {:<30}  {:<24}  {:<30}  {:<20}",
                    s.scope,
                    s.name,
                    format!(
                        "{} ({})",
                        s.binding.hosts.join(","),
                        s.binding.headers.join(",")
                    ),
                    s.created_at.format("%Y-%m-%d %H:%M:%S")
                );
            }
        }
        SecretsCommand::PluginRemove {
            name,
            plugin,
            scope,
        } => {
            let id = SecretId {
                plugin: plugin.as_deref().unwrap_or_default(),
                scope: &scope,
                name: &name,
            };
            let details = serde_json::json!({ "name": name, "plugin": plugin, "scope": scope });
            let removed = audited(&db, &key, async |txn| {
                let removed = plugin_secrets::remove(txn, id).await?;
                let entry = record(AuditAction::PluginSecretRemoved, details.clone());
                Ok((removed, removed.then_some(entry)))
            })
            .await?;
            if !removed {
                bail!("no plugin secret {name} for {scope}");
            }
            println!("removed plugin secret {name} for {scope}");
        }
        SecretsCommand::GenerateKey => {}
    }
    Ok(())
}

/// Runs `change` and the audit row it returns in one transaction, run again when
/// another writer took the audit chain's tip: a change is never stored without its
/// row, nor a row without its change. `change` returns no row when it changed nothing.
async fn audited<T>(
    db: &DatabaseConnection,
    key: &AuditKey,
    change: impl AsyncFn(&DatabaseTransaction) -> Result<(T, Option<AuditEntry>), SecretError>,
) -> Result<T, SecretError> {
    audit::retrying(|| async {
        let txn = db.begin().await?;
        let (out, entry) = change(&txn).await?;
        if let Some(entry) = entry {
            audit::append(&txn, key, &entry).await?;
        }
        txn.commit().await?;
        Ok(out)
    })
    .await
}

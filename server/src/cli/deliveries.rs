//! `gantry deliveries`: list, show, replay and cancel stored deliveries, straight
//! against the configured database (the same operations as `/api/v1/deliveries`).
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use crate::services::deliveries;

/// What to do with deliveries.
#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// List deliveries, newest first.
    List {
        /// Only those whose job is queued, running, done, dead or cancelled.
        #[arg(long)]
        status: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u64,
        /// Continue after this row id.
        #[arg(long)]
        before: Option<i64>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show a delivery with its jobs and plugin runs (JSON).
    Show {
        /// GitHub's delivery id (X-GitHub-Delivery).
        delivery_id: String,
    },
    /// Replay a delivery: requeue its dead job, or run it again as a new generation.
    Replay {
        /// GitHub's delivery id (X-GitHub-Delivery).
        delivery_id: String,
    },
    /// Cancel a delivery's job: a queued one will not run; a running one stops at
    /// its plugin's next host call (its worker sees the cancel when it next renews
    /// the job's lease, within a third of `worker.lease_secs`).
    Cancel {
        /// GitHub's delivery id (X-GitHub-Delivery).
        delivery_id: String,
    },
}

/// Runs a `gantry deliveries` command.
///
/// # Errors
/// When the database fails or the delivery does not exist.
pub async fn run(
    db: &DatabaseConnection,
    key: &crate::crypto::AuditKey,
    command: DeliveriesCommand,
) -> anyhow::Result<()> {
    match command {
        DeliveriesCommand::List {
            status,
            limit,
            before,
            json,
        } => {
            let items = deliveries::list(db, status.as_deref(), limit, before).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&items)?);
                return Ok(());
            }
            println!(
                "{:>8}  {:<36}  {:<28}  {:<24}  {:<7}  {:>3}  {:<19}",
                "ROW", "DELIVERY", "EVENT", "REPOSITORY", "STATUS", "TRY", "RECEIVED"
            );
            for d in &items {
                let event = match &d.action {
                    Some(a) => format!("{}.{a}", d.event),
                    None => d.event.clone(),
                };
                let (status, attempts) = d
                    .job
                    .as_ref()
                    .map_or(("-".to_owned(), 0), |j| (j.status.clone(), j.attempts));
                println!(
                    "{:>8}  {:<36}  {:<28}  {:<24}  {:<7}  {:>3}  {}",
                    d.id,
                    d.delivery_id,
                    event,
                    d.repository.as_deref().unwrap_or("-"),
                    status,
                    attempts,
                    d.received_at.format("%Y-%m-%d %H:%M:%S")
                );
            }
            if items.is_empty() {
                println!("(no deliveries)");
            }
        }
        DeliveriesCommand::Show { delivery_id } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&deliveries::show(db, &delivery_id).await?)?
            );
        }
        DeliveriesCommand::Replay { delivery_id } => {
            let cli = crate::domain::Actor::cli();
            let replay = deliveries::replay(db, key, &cli, &delivery_id).await?;
            println!("{}", serde_json::to_string(&replay)?);
        }
        DeliveriesCommand::Cancel { delivery_id } => {
            let cli = crate::domain::Actor::cli();
            let cancel = deliveries::cancel(db, key, &cli, &delivery_id, None).await?;
            println!("{}", serde_json::to_string(&cancel)?);
        }
    }
    Ok(())
}

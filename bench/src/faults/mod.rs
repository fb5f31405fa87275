//! `faults` (issue 16): Gantry's promise under storage faults, at load. A real
//! `gantry serve` with the bundled `hooks` plugin gets signed `issues.opened`
//! deliveries at a fixed rate (50/s for 60 s by default, each for its own issue, each
//! labelled by the plugin); from second 15 a fault happens (for 15 s where it lasts).
//! When the load ends the server is killed (SIGKILL) at once, started again on the
//! same database to finish the queue, and stopped cleanly (SIGTERM). Then each
//! fault's row says: answered 202, not 202, 202 but not stored (what the database
//! holds after the kill, the restart and the clean stop), labelled more than once
//! (the simulator counts the calls), and the slowest answer.
mod inject;
mod own_postgres;
mod report;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use sea_orm::{ConnectionTrait, Statement};

pub use self::inject::Fault;
use self::inject::{SmallFs, Targets};
use self::own_postgres::OwnPostgres;
use self::report::Row;
use crate::common::markdown;
use crate::rig::sender::{self, Counters, Sent};
use crate::rig::{store, Backend, Rig, RigArgs};

/// Options of `gantry-bench faults`.
#[derive(Debug, Clone, clap::Args)]
pub struct FaultsArgs {
    /// Deliveries per second.
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Seconds of load per fault.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// The second of the load the fault starts at.
    #[arg(long, default_value_t = 15)]
    pub fault_at: u64,
    /// How long a lasting fault lasts, seconds.
    #[arg(long, default_value_t = 15)]
    pub fault_for: u64,
    /// Only these faults (all by default), in this order.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub faults: Vec<Fault>,
    /// Size of the tmpfs SQLite's file is on for the disk-full fault, MiB.
    #[arg(long, default_value_t = 256)]
    pub small_fs_mib: u64,
    /// Markdown file whose `## Measured on a release build` section is written.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub rig: RigArgs,
}

/// Runs every fault, prints the table and writes `--out`.
///
/// # Errors
/// When a part does not start or a fault cannot be caused. A broken promise (a 202
/// not stored, a label sent twice, an answer of 10 s or more) makes the command
/// fail after the table is written.
pub fn run(args: &FaultsArgs) -> anyhow::Result<()> {
    if args.rate <= 0.0 || args.fault_at + args.fault_for >= args.seconds {
        bail!("--rate must be positive and the fault must end before the load does");
    }
    let faults = if args.faults.is_empty() {
        Fault::ALL.to_vec()
    } else {
        args.faults.clone()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench-client")
        .build()
        .context("starting a runtime")?;
    let started = chrono::Utc::now();
    let mut rows = Vec::new();
    for fault in faults {
        tracing::info!(?fault, "fault run");
        let row = runtime.block_on(run_one(args, fault))?;
        tracing::info!(
            ?fault,
            accepted = row.accepted,
            lost = row.lost,
            twice = row.twice,
            "done"
        );
        rows.push(row);
    }
    runtime.shutdown_timeout(Duration::from_secs(5));
    let section = report::section(args, &args.rig.binary()?, started, &rows);
    println!("{section}");
    if let Some(out) = &args.out {
        markdown::write_section(out, report::HEADING, &section)?;
    }
    let broken: Vec<String> = rows.iter().filter_map(Row::broken).collect();
    if !broken.is_empty() {
        bail!("the promise broke: {}", broken.join("; "));
    }
    Ok(())
}

async fn run_one(args: &FaultsArgs, fault: Fault) -> anyhow::Result<Row> {
    let postgres = match fault.backend() {
        Backend::Postgres => Some(OwnPostgres::start()?),
        Backend::Sqlite => None,
    };
    let small_fs = match fault {
        Fault::SqliteDiskFull => Some(SmallFs::mount(args.small_fs_mib)?),
        _ => None,
    };
    let mut rig_args = args.rig.clone();
    if let Some(pg) = &postgres {
        rig_args.postgres_url = pg.admin_url();
    }
    let mut rig = Rig::start_with_sqlite_in(
        &rig_args,
        fault.backend(),
        small_fs.as_ref().map(SmallFs::path),
    )
    .await?;
    let result = drive(args, fault, &mut rig, postgres.as_ref(), small_fs.as_ref()).await;
    rig.cleanup().await;
    drop(small_fs);
    result
}

async fn drive(
    args: &FaultsArgs,
    fault: Fault,
    rig: &mut Rig,
    postgres: Option<&OwnPostgres>,
    small_fs: Option<&SmallFs>,
) -> anyhow::Result<Row> {
    let url = format!("{}/webhooks/github", rig.gantry()?.address);
    let counters = Arc::new(Counters::default());
    let load = {
        let (events, sim) = (rig.events.clone(), rig.sim.clone());
        let (rate, seconds) = (args.rate, Duration::from_secs(args.seconds));
        let counters = Arc::clone(&counters);
        tokio::spawn(async move {
            sender::send_at_rate(&url, &events, &sim, rate, seconds, 1, &counters).await
        })
    };
    let targets = Targets {
        postgres,
        database_url: &rig.database_url,
        small_fs,
    };
    tokio::time::sleep(Duration::from_secs(args.fault_at)).await;
    let running = inject::start(fault, &targets).await?;
    if fault.lasts() {
        tokio::time::sleep(Duration::from_secs(args.fault_for)).await;
    }
    running.end(&targets).await?;
    let sending = load.await.context("the sender")??;

    // SIGKILL as the load ends, then a new process finishes the queue and stops cleanly.
    rig.kill_gantry();
    rig.start_gantry_again().await?;
    let drained = drain(&rig.database_url, Duration::from_secs(180)).await?;
    let clean = rig.stop_gantry().await?;
    let stored = stored_deliveries(&rig.database_url).await?;
    let matched = sender::match_calls(&rig.sim, &rig.events, &sending.events);
    Ok(Row::new(
        fault,
        args.fault_for,
        &sending.events,
        &stored,
        &rig.sim,
        &rig.events,
        matched.extra_calls,
        drained && clean,
    ))
}

/// Waits until no job is left to run; false when `timeout` passed first.
async fn drain(url: &str, timeout: Duration) -> anyhow::Result<bool> {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        let counts = store::count(url).await?;
        if counts.jobs("queued") + counts.jobs("running") == 0 {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(false)
}

async fn stored_deliveries(url: &str) -> anyhow::Result<HashSet<String>> {
    let db = gantry_server::db::connect(url, 1).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT delivery_id FROM deliveries",
        ))
        .await?;
    db.close().await?;
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).map_err(Into::into))
        .collect()
}

/// The deliveries answered 202 that the database does not hold.
fn not_stored<'a>(sent: &'a [Sent], stored: &HashSet<String>) -> Vec<&'a Sent> {
    sent.iter()
        .filter(|s| s.ack_us.is_some() && !stored.contains(&s.delivery))
        .collect()
}

//! `intake` (TESTPLAN P1): the same load of signed webhook deliveries against each
//! target in turn, Gantry on SQLite, Gantry on PostgreSQL and a bare actix-web server,
//! then a check that Gantry stored every accepted delivery exactly once.
//!
//! Everything runs in this process, each part on its own runtime so its threads can be
//! told apart and stopped: the load generator on `bench-client`, each server on a
//! runtime of its own that is shut down after its run (Gantry's job workers live there;
//! actix's HTTP workers are threads of their own).
mod analysis;
pub(crate) mod load;
mod payload;
mod report;
pub(crate) mod targets;
mod verdicts;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use anyhow::{bail, Context};
use gantry_server::github::signature;
use tokio::runtime::Runtime;

use self::load::LoadPlan;
use self::report::{Run, Summary};
use self::targets::{GantryServer, SECRET};
use crate::common::verdict::Verdict;
use crate::common::{machine, markdown, postgres, DEFAULT_CORPUS};
use crate::limits::InsertOutcome;

/// A server to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Gantry with its default SQLite database, in a temporary directory.
    Sqlite,
    /// Gantry on a fresh PostgreSQL database, dropped afterwards.
    Postgres,
    /// A bare actix-web server that reads the body and answers 202.
    Bare,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Bare => "bare",
        }
    }
}

/// Options of `gantry-bench intake`.
#[derive(Debug, clap::Args)]
pub struct IntakeArgs {
    /// Seconds of load per target.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Concurrent keep-alive connections, one task each.
    #[arg(long, default_value_t = 50)]
    pub concurrency: usize,
    /// Exact size of every delivery body.
    #[arg(long, default_value_t = 9216)]
    pub body_bytes: usize,
    /// Targets, run in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,postgres,bare"
    )]
    pub targets: Vec<Target>,
    /// A PostgreSQL database to connect to for creating (and dropping) the run's own database.
    #[arg(long, env = "GANTRY_TEST_POSTGRES_URL", hide_env_values = true, default_value = postgres::DEFAULT_URL)]
    pub postgres_url: String,
    /// Markdown file whose `## Intake (TESTPLAN P1)` section is written (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Afterwards, run each target again with one connection for this many seconds, for
    /// the unloaded per-request cost; 0 skips it.
    #[arg(long, default_value_t = 10)]
    pub unloaded_secs: u64,
    /// The webhook corpus; the body starts from `webhooks/issues/opened.payload.json`.
    #[arg(long, default_value = DEFAULT_CORPUS)]
    pub corpus: PathBuf,
    /// Deliveries are spread over this many issue numbers of one repository (Gantry runs
    /// one job at a time per issue); 1 puts every delivery on the same issue.
    #[arg(long, default_value_t = 1000)]
    pub issues: usize,
    /// Longest wait, in seconds, for Gantry's job workers to finish the queue after a
    /// run; what is left is reported, not an error.
    #[arg(long, default_value_t = 60)]
    pub drain_timeout: u64,
}

/// Bodies and their signatures, taken in turn by every connection.
type Requests = Arc<Vec<(Bytes, String)>>;

/// What a run measured, as the section of `docs/performance.md` and its verdicts.
#[derive(Debug, Clone)]
pub struct IntakeOutcome {
    /// The `## Intake (TESTPLAN P1)` section.
    pub section: String,
    /// The aims against the figures.
    pub verdicts: Vec<Verdict>,
    /// Whether every Gantry run stored every accepted delivery exactly once.
    pub durable: bool,
}

/// Runs the benchmark, prints the section and writes `--out`.
///
/// # Errors
/// When the corpus, a server, the database or the output file fails, or a delivery
/// was not stored exactly once (after the section is written).
pub fn run(args: &IntakeArgs) -> anyhow::Result<()> {
    let outcome = measure(args, true, None)?;
    println!("{}", outcome.section);
    if let Some(out) = &args.out {
        markdown::write_section(out, report::HEADING, &outcome.section)?;
        tracing::info!(file = %out.display(), "wrote the results");
    }
    if !outcome.durable {
        bail!("the durability check failed: see the table");
    }
    Ok(())
}

/// One P1 body: the corpus payload at `path` padded to `size` bytes.
///
/// # Errors
/// As [`payload::from_corpus_file`].
pub fn body(path: &std::path::Path, size: usize) -> anyhow::Result<Arc<Vec<u8>>> {
    let mut bodies = payload::from_corpus_file(path, "opened", size, 1)?;
    Ok(Arc::new(bodies.pop().context("no body was built")?))
}

/// Loads every target in turn and builds the section. `standalone` puts the machine
/// in it (the full report states it once at the top); `limits`, the database's own
/// insert rate measured in the same run, joins the reasons when an aim is missed.
///
/// # Errors
/// When the corpus, a server or the database fails.
pub fn measure(
    args: &IntakeArgs,
    standalone: bool,
    limits: Option<&InsertOutcome>,
) -> anyhow::Result<IntakeOutcome> {
    if args.concurrency == 0 || args.duration == 0 || args.issues == 0 || args.targets.is_empty() {
        bail!("--concurrency, --duration, --issues and --targets must not be zero or empty");
    }
    let corpus_file = args.corpus.join("webhooks/issues/opened.payload.json");
    let bodies = payload::from_corpus_file(&corpus_file, "opened", args.body_bytes, args.issues)?;
    let requests: Requests = Arc::new(
        bodies
            .into_iter()
            .map(|body| {
                let signature = signature::sign(SECRET.as_bytes(), &body);
                (Bytes::from(body), signature)
            })
            .collect(),
    );
    let client = runtime("bench-client")?;
    let started = chrono::Utc::now();
    let idle = machine::sample();
    std::thread::sleep(Duration::from_secs(2));
    let busy_before = machine::usage(&idle, &machine::sample()).machine_busy;
    if busy_before > 0.2 {
        tracing::warn!(
            busy = format!("{:.0}%", busy_before * 100.0),
            "the machine is already busy; results will be lower and noisier"
        );
    }

    let mut plans: Vec<(Target, usize, u64)> = args
        .targets
        .iter()
        .map(|t| (*t, args.concurrency, args.duration))
        .collect();
    if args.unloaded_secs > 0 && args.concurrency > 1 {
        plans.extend(args.targets.iter().map(|t| (*t, 1, args.unloaded_secs)));
    }
    let mut runs = Vec::new();
    let mut postgres_facts = None;
    for (target, conns, secs) in plans {
        tracing::info!(target = target.name(), conns, secs, "loading");
        let (run, facts) = run_target(
            args,
            &client,
            target,
            conns,
            Duration::from_secs(secs),
            &requests,
        )?;
        let s = &run.summary;
        tracing::info!(
            target = target.name(),
            conns,
            accepted = s.accepted,
            errors = s.errors.len(),
            per_second = s.per_second as u64,
            p99_us = s.p99,
            "done"
        );
        postgres_facts = postgres_facts.or(facts);
        runs.push(run);
    }
    client.shutdown_timeout(Duration::from_secs(5));

    let notes = analysis::notes(&runs, args.concurrency);
    let verdicts = verdicts::verdicts(&runs, args.concurrency, limits);
    let context = report_context(
        args,
        postgres_facts.as_deref(),
        started,
        busy_before,
        standalone,
    );
    let section = report::section(&context, &runs, &notes, &verdicts);
    let durable = !runs
        .iter()
        .any(|r| r.durability.as_ref().is_some_and(|d| !d.holds()));
    Ok(IntakeOutcome {
        section,
        verdicts,
        durable,
    })
}

fn runtime(name: &str) -> anyhow::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(name)
        .build()
        .with_context(|| format!("starting the {name} runtime"))
}

/// One target under one load, with its own database (for PostgreSQL) and runtime.
/// Returns the run and, for PostgreSQL, the server's settings.
fn run_target(
    args: &IntakeArgs,
    client: &Runtime,
    target: Target,
    conns: usize,
    duration: Duration,
    requests: &Requests,
) -> anyhow::Result<(Run, Option<String>)> {
    let database = match target {
        Target::Postgres => Some(client.block_on(postgres::create_database(&args.postgres_url))?),
        Target::Sqlite | Target::Bare => None,
    };
    let result = serve_and_load(
        args,
        client,
        target,
        database.as_ref().map(|d| d.url.clone()),
        conns,
        duration,
        requests,
    );
    if let Some(database) = &database {
        client.block_on(postgres::drop_quietly(&args.postgres_url, &database.name));
    }
    Ok((result?, database.map(|d| d.server)))
}

fn serve_and_load(
    args: &IntakeArgs,
    client: &Runtime,
    target: Target,
    database_url: Option<String>,
    conns: usize,
    duration: Duration,
    requests: &Requests,
) -> anyhow::Result<Run> {
    // Declared before the runtime so that, on an early return, the runtime (and the
    // server on it) stops before the data directory is removed.
    let mut gantry: Option<GantryServer> = None;
    let server = runtime(if target == Target::Bare {
        "bare-rt"
    } else {
        "gantry-rt"
    })?;
    let address = match target {
        Target::Bare => server.block_on(async { targets::start_bare() })?,
        Target::Sqlite | Target::Postgres => {
            let started = server.block_on(targets::start_gantry(database_url))?;
            let address = started.address.clone();
            gantry = Some(started);
            address
        }
    };
    let plan = LoadPlan {
        url: format!("{address}/webhooks/github"),
        requests: Arc::clone(requests),
        concurrency: conns,
        duration,
    };
    let before = machine::sample();
    let load = client.block_on(load::run(&plan))?;
    let cpu = machine::usage(&before, &machine::sample());
    let durability = match &gantry {
        Some(g) => Some(server.block_on(targets::check_durability(
            &g.state,
            load.accepted,
            Duration::from_secs(args.drain_timeout),
        ))?),
        None => None,
    };
    server.shutdown_timeout(Duration::from_secs(10));
    drop(gantry);
    Ok(Run {
        target: target.name(),
        concurrency: conns,
        summary: Summary::of(load),
        cpu,
        durability,
    })
}

fn report_context(
    args: &IntakeArgs,
    postgres: Option<&str>,
    started: chrono::DateTime<chrono::Utc>,
    busy_before: f64,
    standalone: bool,
) -> report::Context {
    let command = crate::common::command_line();
    let targets = args
        .targets
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ");
    let mut load = format!(
        "{}-byte signed `issues`/`opened` deliveries (the corpus payload, compacted and padded), each with a new delivery id, \
         spread over {} issue numbers of one repository; {} keep-alive HTTP/1.1 connections for {} s per target, in the order {targets}",
        args.body_bytes, args.issues, args.concurrency, args.duration
    );
    if args.unloaded_secs > 0 && args.concurrency > 1 {
        load.push_str(&format!(
            "; then each target again with 1 connection for {} s",
            args.unloaded_secs
        ));
    }
    load.push_str(
        ". Gantry runs with its default settings (2 HTTP workers, 2 job workers, 20 database connections) and no plugins; \
         the load generator runs in the same process, on the same cores",
    );
    let mut databases = "SQLite in WAL mode with `synchronous=NORMAL` (Gantry's settings), in a temporary directory".to_owned();
    if let Some(facts) = postgres {
        databases.push_str(&format!(
            "; PostgreSQL on the same machine over loopback ({facts})"
        ));
    }
    report::Context {
        command,
        date: started.format("%Y-%m-%d %H:%M UTC").to_string(),
        machine: standalone.then(|| {
            format!(
                "{}; bench built with the {}",
                machine::description(),
                crate::common::build_profile()
            )
        }),
        busy_before,
        load,
        databases,
    }
}

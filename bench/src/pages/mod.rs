//! `gantry-bench pages`: the dashboard's pages against a full database. Fills a
//! fresh database with a million audit rows and a hundred thousand deliveries (with
//! their jobs) in bulk (`fill`), signs an admin in, then requests every page N times
//! one after another and reports p50 and p99 of each (the aim: every page's p99
//! under 50 ms).
mod fill;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};

use crate::common::{self, machine, markdown};

/// Options of `gantry-bench pages`.
#[derive(Debug, clap::Args)]
pub struct PagesArgs {
    /// Audit rows to insert.
    #[arg(long, default_value_t = 1_000_000)]
    pub audit_rows: u64,
    /// Deliveries to insert (each with one finished job; one in 200 dead).
    #[arg(long, default_value_t = 100_000)]
    pub deliveries: u64,
    /// Timed requests per page.
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    /// A PostgreSQL URL for a fresh, empty database; SQLite in a temporary directory
    /// when absent.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Markdown file whose `## Dashboard pages (SQLite)` or `(PostgreSQL)` section is
    /// written (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the benchmark, prints the table and writes `--out`.
///
/// # Errors
/// When the server or the fill fails, or any page answers other than 200.
pub fn run(args: &PagesArgs) -> anyhow::Result<()> {
    if args.requests == 0 {
        bail!("--requests must not be zero");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    let load_before = load_average();
    let (rows, filled_in) = runtime.block_on(measure(args))?;
    let load_after = load_average();
    let backend = if args.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    // One section per database, so a run on one leaves the other's results.
    let heading = format!("## Dashboard pages ({backend})");
    let mut table = String::from("| page | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|\n");
    for (page, p50, p99, max) in &rows {
        table.push_str(&format!(
            "| `{page}` | {:.1} | {:.1} | {:.1} |\n",
            ms(*p50),
            ms(*p99),
            ms(*max)
        ));
    }
    println!("{table}");
    let worst = rows.iter().map(|r| r.2).max().unwrap_or(0);
    let section = format!(
        "{heading}\n\nEvery dashboard page requested {} times in a row by a signed-in admin (one connection, whole pages as a browser gets them), \
         Gantry on {backend}, with {} audit rows and {} deliveries (each with a finished job, one in 200 dead) inserted in bulk first, then `ANALYZE` ({:.0} s). \
         Aim: p99 under 50 ms on every page; the slowest p99 here is {:.1} ms. \
         The machine's 1-minute load average was {load_before} before and {load_after} after (other work on the machine shows in p99 and max).\n\n{table}\nMachine: {}.\nRun: `{}`.\n",
        args.requests,
        args.audit_rows,
        args.deliveries,
        filled_in,
        ms(worst),
        machine::description(),
        common::command_line(),
    );
    if let Some(out) = &args.out {
        markdown::write_section(out, &heading, &section)?;
    }
    Ok(())
}

/// The 1-minute load average (`/proc/loadavg`), or `unknown`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// `(page, p50, p99, max)` in microseconds for each page, and the fill's seconds.
async fn measure(args: &PagesArgs) -> anyhow::Result<(Vec<(String, u64, u64, u64)>, f64)> {
    let server = crate::intake::targets::start_gantry(args.database_url.clone()).await?;
    let started = Instant::now();
    let sample = fill::fill(&server.state.db, args.audit_rows, args.deliveries).await?;
    let filled_in = started.elapsed().as_secs_f64();
    let cookie = fill::admin_session(&server.state).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let deep = (args.audit_rows / 2).max(1);
    let pages = [
        "/dashboard".to_owned(),
        "/dashboard/overview/live".into(),
        "/dashboard/projects".into(),
        "/dashboard/plugins".into(),
        "/dashboard/policies".into(),
        "/dashboard/approvals".into(),
        "/dashboard/deliveries".into(),
        format!("/dashboard/deliveries?repository={}", sample.repository),
        format!(
            "/dashboard/deliveries?status=dead&before={}",
            args.deliveries / 2
        ),
        format!("/dashboard/deliveries/{}", sample.delivery_id),
        "/dashboard/dead-letters".into(),
        "/dashboard/audit".into(),
        format!("/dashboard/audit?before={deep}"),
        format!("/dashboard/audit?actor={}", sample.actor),
        format!("/dashboard/audit?action={}&before={deep}", sample.action),
        "/dashboard/commands".into(),
        "/dashboard/users".into(),
    ];
    let mut rows = Vec::new();
    for page in pages {
        let url = format!("{}{page}", server.address);
        // One untimed request warms caches and checks the page answers.
        let first = http.get(&url).header("Cookie", &cookie).send().await?;
        if first.status() != 200 {
            bail!("{page} answered {}", first.status());
        }
        first.bytes().await?;
        let mut times = Vec::with_capacity(args.requests);
        for _ in 0..args.requests {
            let t = Instant::now();
            let response = http.get(&url).header("Cookie", &cookie).send().await?;
            let status = response.status();
            response.bytes().await?;
            times.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
            if status != 200 {
                bail!("{page} answered {status}");
            }
        }
        times.sort_unstable();
        rows.push((
            page,
            common::percentile(&times, 50.0),
            common::percentile(&times, 99.0),
            times.last().copied().unwrap_or(0),
        ));
    }
    Ok((rows, filled_in))
}

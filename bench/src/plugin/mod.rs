//! `plugin` (TESTPLAN P2): the cost of one plugin invocation, a fresh instance plus
//! one `handle-event` call, through Gantry's `PluginRuntime::invoke` and through bare
//! wasmtime, on a plugin that does nothing (`tests/plugins/noop`), with a tiny
//! payload and a 15 KiB real one.
//!
//! Between the bare floor and Gantry sit intermediate steps, each adding one thing
//! `invoke` does (see [`bare::Step`]), so the report can say where the difference
//! goes. Everything runs on one thread of a current-thread tokio runtime, in this
//! process; the iterations are split into rounds and every series runs once per
//! round, so drift on a shared machine spreads over all of them alike.
mod bare;
mod gantry;
mod report;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use gantry_server::config::Limits;

use self::bare::{Bare, Step};
use self::gantry::{BenchEvent, Gantry};
use self::report::{Series, Stats};
use crate::common::{machine, markdown, payload, DEFAULT_CORPUS};

/// The fixture `scripts/build-plugins.sh` builds from `tests/plugins/noop`.
pub const DEFAULT_WASM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../target/test-plugins/noop.wasm"
);

/// The small payload: just the fields Gantry routes on.
const TINY_PAYLOAD: &str = r#"{"action":"opened","number":1,"repository":{"name":"Hello-World","owner":{"login":"Codertocat"}}}"#;

/// Options of `gantry-bench plugin`.
#[derive(Debug, clap::Args)]
pub struct PluginArgs {
    /// Timed calls per series (each step on each payload).
    #[arg(long, default_value_t = 50_000)]
    pub iterations: usize,
    /// Untimed calls per series before timing starts.
    #[arg(long, default_value_t = 1_000)]
    pub warmup: usize,
    /// Rounds the timed calls are split into; each round runs every series in turn.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Exact size of the real payload.
    #[arg(long, default_value_t = 15_360)]
    pub payload_bytes: usize,
    /// The plugin component (built by `scripts/build-plugins.sh`).
    #[arg(long, default_value = DEFAULT_WASM)]
    pub wasm: PathBuf,
    /// The webhook corpus; the real payload is `webhooks/pull_request/opened.payload.json`.
    #[arg(long, default_value = DEFAULT_CORPUS)]
    pub corpus: PathBuf,
    /// Markdown file whose `## Plugin invocation (TESTPLAN P2)` section is written (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// What a run measured, as the section of `docs/performance.md` and its verdicts.
#[derive(Debug, Clone)]
pub struct PluginOutcome {
    /// The `## Plugin invocation (TESTPLAN P2)` section.
    pub section: String,
    /// The aim against the figures.
    pub verdicts: Vec<crate::common::verdict::Verdict>,
}

/// Runs the benchmark, prints the section and writes `--out`.
///
/// # Errors
/// When the plugin or the corpus is missing, a set-up step fails, any call does not
/// end `ok`, or the output file cannot be written.
pub fn run(args: &PluginArgs) -> anyhow::Result<()> {
    let outcome = measure(args, true)?;
    println!("{}", outcome.section);
    if let Some(out) = &args.out {
        markdown::write_section(out, report::HEADING, &outcome.section)?;
        tracing::info!(file = %out.display(), "wrote the results");
    }
    Ok(())
}

/// Times every series and builds the section. `standalone` puts the machine in it
/// (the full report states it once at the top).
///
/// # Errors
/// As [`run`], but writes nothing.
pub fn measure(args: &PluginArgs, standalone: bool) -> anyhow::Result<PluginOutcome> {
    if args.iterations == 0 || args.rounds == 0 {
        bail!("--iterations and --rounds must not be zero");
    }
    let wasm = match std::fs::read(&args.wasm) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "{} is missing: build the test plugins first with scripts/build-plugins.sh",
                args.wasm.display()
            )
        }
        Err(err) => return Err(err).with_context(|| format!("reading {}", args.wasm.display())),
    };
    let corpus_file = args
        .corpus
        .join("webhooks/pull_request/opened.payload.json");
    let text = std::fs::read(&corpus_file)
        .with_context(|| format!("reading the corpus payload {}", corpus_file.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("parsing {}", corpus_file.display()))?;
    let compact = serde_json::to_vec(&value)?.len();
    let real = payload::padded_body(value, "opened", args.payload_bytes)?;
    let events = [
        BenchEvent::pull_request("tiny", TINY_PAYLOAD.as_bytes().to_vec())?,
        BenchEvent::pull_request("15 KiB", real)?,
    ];

    let started = chrono::Utc::now();
    let idle = machine::sample();
    std::thread::sleep(Duration::from_secs(2));
    let busy_before = machine::usage(&idle, &machine::sample()).machine_busy;
    if busy_before > 0.2 {
        tracing::warn!(
            busy = format!("{:.0}%", busy_before * 100.0),
            "the machine is already busy; results will be slower and noisier"
        );
    }

    let limits = Limits::default();
    let bare = Bare::new(limits.clone(), &wasm)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let (samples, floor_used_wasi, (cpu, kernel), name) = runtime.block_on(async {
        let gantry = Gantry::new(limits.clone(), &wasm).await?;
        let (before, times_before) = (machine::sample(), machine::process_times());
        let (samples, used) = time_all(&gantry, &bare, &events, args).await?;
        let cpu = machine::usage(&before, &machine::sample());
        let kernel = kernel_share(times_before, machine::process_times());
        anyhow::Ok((
            samples,
            used,
            (cpu, kernel),
            gantry.plugin_name().to_owned(),
        ))
    })?;
    let rounds = split(args.iterations, args.rounds);
    let series: Vec<Series> = samples
        .into_iter()
        .map(|((step, e), nanos)| Series {
            step,
            event: events[e].label,
            bytes: events[e].bytes,
            stats: Stats::of(nanos, &rounds),
        })
        .collect();

    let notes = notes(floor_used_wasi, &cpu, kernel);
    let context = report::Context {
        command: crate::common::command_line(),
        date: started.format("%Y-%m-%d %H:%M UTC").to_string(),
        busy_before,
        machine: standalone.then(machine::description),
        method: method(args, &name, wasm.len(), &events, compact),
    };
    let others = cpu.cores.get("other processes").copied().unwrap_or(0.0);
    let shared = (others > 0.2).then(|| {
        format!(
            "other processes kept {others:.2} cores busy while timing (the machine was {:.0}% busy), so every series is slower and noisier \
             than on an idle machine",
            cpu.machine_busy * 100.0
        )
    });
    let verdicts = report::verdicts(&series, shared.as_deref());
    Ok(PluginOutcome {
        section: report::section(&context, &series, &notes, &verdicts),
        verdicts,
    })
}

/// Notes derived from the run: whether the guest needed WASI, how busy the machine
/// was, and the kernel's share of the CPU.
fn notes(floor_used_wasi: bool, cpu: &machine::CpuUsage, kernel: Option<f64>) -> String {
    let ours: f64 = cpu
        .cores
        .iter()
        .filter(|(g, _)| **g != "other processes")
        .map(|(_, c)| c)
        .sum();
    let others = cpu.cores.get("other processes").copied().unwrap_or(0.0);
    let mut notes = format!(
        "- At the floor the guest {} a WASI context{}.\n- While timing, this process kept {ours:.2} cores busy and other processes \
         {others:.2}; the machine was {:.0}% busy{}.\n",
        if floor_used_wasi { "asked for" } else { "never asked for" },
        if floor_used_wasi { ", so the floor builds one too (on first use)" } else { ": the floor builds none, Gantry builds one for every call" },
        cpu.machine_busy * 100.0,
        if others > 0.2 { ": other work shared the cores, so these figures are slower and noisier than on an idle machine" } else { "" }
    );
    if let Some(kernel) = kernel {
        let _ = writeln!(
            notes,
            "- {:.0}% of this process's CPU while timing was spent in the kernel (resetting the pooled instance's memory and stack \
             between calls is part of the floor itself).",
            kernel * 100.0
        );
    }
    notes.push_str("- Events/s per core is the inverse of the mean cost of one call on one thread; it leaves out the database and queue work a job does around the call.\n");
    notes
}

/// Timed nanoseconds per (step, event index), in the order they were taken.
type Samples = Vec<((Step, usize), Vec<u64>)>;

async fn time_all(
    gantry: &Gantry,
    bare: &Bare,
    events: &[BenchEvent],
    args: &PluginArgs,
) -> anyhow::Result<(Samples, bool)> {
    let mut samples: Samples = (0..events.len())
        .flat_map(|e| Step::ALL.map(|step| ((step, e), Vec::with_capacity(args.iterations))))
        .collect();
    let mut used_wasi = false;
    for ((step, e), _) in &samples {
        for _ in 0..args.warmup.max(1) {
            used_wasi |= call(gantry, bare, *step, &events[*e]).await?;
        }
    }
    tracing::info!(
        series = samples.len(),
        iterations = args.iterations,
        rounds = args.rounds,
        "timing"
    );
    for (round, per_round) in split(args.iterations, args.rounds).into_iter().enumerate() {
        for ((step, e), nanos) in &mut samples {
            for _ in 0..per_round {
                let start = Instant::now();
                call(gantry, bare, *step, &events[*e]).await?;
                nanos.push(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
            }
        }
        tracing::debug!(round, "round done");
    }
    Ok((samples, used_wasi))
}

/// One call of `step` on `event`; true when the guest asked the floor for WASI.
async fn call(
    gantry: &Gantry,
    bare: &Bare,
    step: Step,
    event: &BenchEvent,
) -> anyhow::Result<bool> {
    match step {
        Step::Gantry => gantry.call(&event.gantry).await.map(|()| false),
        _ => bare.call(step, &event.wit).await,
    }
}

/// The kernel's share of the CPU time between two `(user, system)` readings.
fn kernel_share(before: Option<(f64, f64)>, after: Option<(f64, f64)>) -> Option<f64> {
    let ((u0, s0), (u1, s1)) = (before?, after?);
    let (user, system) = (u1 - u0, s1 - s0);
    (user + system > 0.0).then(|| system / (user + system))
}

/// `total` split into `rounds` near-equal parts, the larger ones first.
fn split(total: usize, rounds: usize) -> Vec<usize> {
    let rounds = rounds.max(1);
    (0..rounds)
        .map(|r| total / rounds + usize::from(r < total % rounds))
        .collect()
}

fn method(
    args: &PluginArgs,
    plugin: &str,
    wasm_bytes: usize,
    events: &[BenchEvent],
    compact: usize,
) -> String {
    let sizes: Vec<String> = events
        .iter()
        .map(|e| format!("{} ({} B)", e.label, report::thousands(e.bytes as f64, 0)))
        .collect();
    let fitted = if compact > args.payload_bytes {
        format!("compacted ({} B) then cut to size by dropping `*_url` links, longest first, and padding with a string field", report::thousands(compact as f64, 0))
    } else {
        format!(
            "compacted ({} B) and padded with a string field",
            report::thousands(compact as f64, 0)
        )
    };
    format!(
        "plugin `{plugin}` (`tests/plugins/noop`: returns `Ok(())` at once; a {} B component), loaded once. `pull_request`/`opened` \
         events with payloads {}: the tiny one carries only the routing fields, the other is the corpus's \
         `pull_request/opened.payload.json`, {fitted}. Per series {} untimed calls, then {} timed ones in {} rounds. \
         Gantry: `PluginRuntime::new(Limits::default())` (64 MiB memory cap, 10 s deadline, epoch ticker every 10 ms), the plugin loaded \
         with `PluginRuntime::load`, and a `JobEnv` with a GitHub client pointed at a closed port, a migrated SQLite database in a \
         temporary directory and no policy rules. Bare: an engine from the same `wasm_host::engine::build` (so the same compiled code, \
         epoch checks included, and its pooling allocator) without the ticker, a linker with WASI p2 and the \
         generated bindings over a trivial host, `instantiate_pre` once. {}",
        report::thousands(wasm_bytes as f64, 0),
        sizes.join(" and "),
        report::thousands(args.warmup.max(1) as f64, 0),
        report::thousands(args.iterations as f64, 0),
        args.rounds,
        if cfg!(debug_assertions) {
            "Built with the dev profile (`cargo run`): wasmtime and the other dependencies at opt-level 2, the code of \
             `gantry-server` and of the bench (both sides' glue) unoptimised."
        } else {
            "Built with `--release`."
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterations_split_evenly_over_rounds() {
        assert_eq!(split(10, 3), vec![4, 3, 3]);
        assert_eq!(split(9, 3), vec![3, 3, 3]);
        assert_eq!(split(2, 4), vec![1, 1, 0, 0]);
        assert_eq!(split(5, 0), vec![5]);
        assert_eq!(split(10_000, 20).iter().sum::<usize>(), 10_000);
    }

    #[test]
    fn the_kernel_share_is_system_over_all_time() {
        assert_eq!(kernel_share(Some((1.0, 1.0)), Some((4.0, 2.0))), Some(0.25));
        assert_eq!(kernel_share(Some((1.0, 1.0)), Some((1.0, 1.0))), None);
        assert_eq!(kernel_share(None, Some((1.0, 1.0))), None);
    }

    #[test]
    fn notes_say_when_other_work_shared_the_machine() {
        let cores =
            std::collections::BTreeMap::from([("other threads", 1.0), ("other processes", 0.5)]);
        let busy = machine::CpuUsage {
            cores,
            machine_busy: 0.75,
        };
        let text = notes(false, &busy, Some(0.5));
        assert!(text.contains("never asked for a WASI context"), "{text}");
        assert!(text.contains("kept 1.00 cores busy and other processes 0.50; the machine was 75% busy: other work"), "{text}");
        assert!(text.contains("- 50% of this process's CPU"), "{text}");
        let quiet = notes(
            true,
            &machine::CpuUsage {
                cores: std::collections::BTreeMap::new(),
                machine_busy: 0.5,
            },
            None,
        );
        assert!(
            quiet.contains("asked for a WASI context, so the floor builds one too")
                && !quiet.contains("kernel"),
            "{quiet}"
        );
    }

    #[test]
    fn the_tiny_payload_is_routable() {
        assert!(payload::keeps_routing_fields(TINY_PAYLOAD.as_bytes()));
    }

    #[test]
    fn the_real_payload_is_cut_to_fifteen_kibibytes_and_stays_routable() {
        let path =
            std::path::Path::new(DEFAULT_CORPUS).join("webhooks/pull_request/opened.payload.json");
        let Ok(text) = std::fs::read(&path) else {
            return;
        }; // the shared corpus sits beside the repository
        let body =
            payload::padded_body(serde_json::from_slice(&text).unwrap(), "opened", 15_360).unwrap();
        assert_eq!(body.len(), 15_360);
        let event = BenchEvent::pull_request("15 KiB", body).unwrap();
        assert_eq!(event.gantry.action.as_deref(), Some("opened"));
        assert!(event.gantry.repository.is_some() && event.wit.repository.is_some());
        assert_eq!(event.wit.payload.len(), 15_360);
    }
}

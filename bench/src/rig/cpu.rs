//! Where the CPU went while a rig ran: the `gantry` process, this process (the
//! sender and the simulator), every `postgres` process, and the rest of the machine.
use std::time::Instant;

use crate::common::machine;

/// Cumulative ticks at one moment.
#[derive(Debug, Clone)]
pub struct Sample {
    at: Instant,
    gantry: u64,
    bench: u64,
    postgres: u64,
    machine_busy: u64,
    machine_total: u64,
}

/// Cores busy on average between two samples (1.0 is one core all the time).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// The `gantry serve` process.
    pub gantry: f64,
    /// This process: the sender and the simulator.
    pub bench: f64,
    /// PostgreSQL's processes.
    pub postgres: f64,
    /// Busy time none of the above explains (other people's work on a shared machine).
    pub other: f64,
    /// Share of all cores busy, 0 to 1.
    pub machine_busy: f64,
}

/// Reads the counters now; a process that is gone counts as zero.
#[must_use]
pub fn sample(gantry_pid: u32) -> Sample {
    let (machine_busy, machine_total) = machine::machine_ticks().unwrap_or((0, 0));
    Sample {
        at: Instant::now(),
        gantry: machine::process_ticks(gantry_pid).unwrap_or(0),
        bench: machine::process_ticks(std::process::id()).unwrap_or(0),
        postgres: machine::postgres_ticks(),
        machine_busy,
        machine_total,
    }
}

/// What was used from `before` to `after`.
#[must_use]
pub fn usage(before: &Sample, after: &Sample) -> Usage {
    let seconds = after
        .at
        .duration_since(before.at)
        .as_secs_f64()
        .max(f64::EPSILON);
    let cores = |a: u64, b: u64| machine::ticks_to_seconds(b.saturating_sub(a)) / seconds;
    let gantry = cores(before.gantry, after.gantry);
    let bench = cores(before.bench, after.bench);
    let postgres = cores(before.postgres, after.postgres);
    let busy = cores(before.machine_busy, after.machine_busy);
    let total = after.machine_total.saturating_sub(before.machine_total);
    let busy_ticks = after.machine_busy.saturating_sub(before.machine_busy);
    Usage {
        gantry,
        bench,
        postgres,
        other: (busy - gantry - bench - postgres).max(0.0),
        machine_busy: if total == 0 {
            0.0
        } else {
            busy_ticks as f64 / total as f64
        },
    }
}

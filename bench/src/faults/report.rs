//! The `faults` run's table, as `docs/reliability.md`'s section `## Measured on a
//! release build` shows it: one row per fault, the set-up and the command above it.
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use gantry_simulator::Simulator;

use super::inject::Fault;
use super::FaultsArgs;
use crate::common::{build_profile, command_line, machine, ms};
use crate::rig::events::IssueEvents;
use crate::rig::process::profile_of;
use crate::rig::sender::Sent;

/// The heading of the section this run owns.
pub const HEADING: &str = "## Measured on a release build";

/// GitHub gives up on a delivery after this long.
const GITHUB_TIMEOUT_US: u64 = 10_000_000;

/// One fault's figures.
#[derive(Debug, Clone)]
pub struct Row {
    fault: Fault,
    fault_for: u64,
    /// Answered 202.
    pub accepted: u64,
    /// Answered otherwise, or not at all.
    refused: u64,
    /// Refusals by status (`None`: no answer).
    refusals: Vec<(String, u64)>,
    /// Answered 202 but not in the database at the end.
    pub lost: u64,
    /// Issues labelled more than once.
    pub twice: u64,
    /// Label calls beyond the first, in all.
    extra_calls: u64,
    /// Answered 202 but never labelled.
    unlabelled: u64,
    /// The slowest answer, µs.
    slowest_us: u64,
    /// Answers that took 10 s or more.
    slow: u64,
    /// The queue was finished and the last stop was clean.
    finished: bool,
}

impl Row {
    /// The row of one run.
    #[allow(clippy::too_many_arguments)] // the figures of one run, gathered once
    #[must_use]
    pub fn new(
        fault: Fault,
        fault_for: u64,
        sent: &[Sent],
        stored: &HashSet<String>,
        sim: &Simulator,
        events: &IssueEvents,
        extra_calls: u64,
        finished: bool,
    ) -> Self {
        let accepted = sent.iter().filter(|s| s.ack_us.is_some()).count() as u64;
        let mut refusals = std::collections::BTreeMap::<String, u64>::new();
        for s in sent.iter().filter(|s| s.ack_us.is_none()) {
            let reason = s.failure.clone().unwrap_or_default();
            let reason = reason
                .strip_prefix("status ")
                .map_or_else(|| "no answer".to_owned(), str::to_owned);
            *refusals.entry(reason).or_default() += 1;
        }
        let calls = |s: &Sent| sim.request_times("POST", &events.call_path(s.number)).len();
        Self {
            fault,
            fault_for,
            accepted,
            refused: sent.len() as u64 - accepted,
            refusals: refusals.into_iter().collect(),
            lost: super::not_stored(sent, stored).len() as u64,
            twice: sent.iter().filter(|s| calls(s) > 1).count() as u64,
            extra_calls,
            unlabelled: sent
                .iter()
                .filter(|s| s.ack_us.is_some() && calls(s) == 0)
                .count() as u64,
            slowest_us: sent.iter().map(|s| s.took_us).max().unwrap_or(0),
            slow: sent
                .iter()
                .filter(|s| s.took_us >= GITHUB_TIMEOUT_US)
                .count() as u64,
            finished,
        }
    }

    /// What broke of the promise, if anything.
    #[must_use]
    pub fn broken(&self) -> Option<String> {
        let mut broken = Vec::new();
        if self.lost > 0 {
            broken.push(format!("{} answered 202 but not stored", self.lost));
        }
        if self.twice > 0 {
            broken.push(format!("{} labelled more than once", self.twice));
        }
        if self.unlabelled > 0 {
            broken.push(format!(
                "{} answered 202 but never labelled",
                self.unlabelled
            ));
        }
        if self.slow > 0 {
            broken.push(format!("{} answers took 10 s or more", self.slow));
        }
        if !self.finished {
            broken.push("the queue did not finish or the stop was not clean".to_owned());
        }
        (!broken.is_empty()).then(|| {
            format!(
                "{}: {}",
                self.fault.describe(self.fault_for),
                broken.join(", ")
            )
        })
    }

    fn line(&self) -> String {
        let refusals = self
            .refusals
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect::<Vec<_>>()
            .join(", ");
        let refused = if refusals.is_empty() {
            "0".to_owned()
        } else {
            format!("{} ({refusals})", self.refused)
        };
        format!(
            "| {} | {} | {refused} | {} | {} | {} ({} extra calls) | {} ms | {} | {} |",
            self.fault.describe(self.fault_for),
            self.accepted,
            self.lost,
            self.unlabelled,
            self.twice,
            self.extra_calls,
            ms(self.slowest_us),
            self.slow,
            if self.finished { "yes" } else { "**no**" },
        )
    }
}

/// The whole section.
#[must_use]
pub fn section(
    args: &FaultsArgs,
    binary: &Path,
    started: chrono::DateTime<chrono::Utc>,
    rows: &[Row],
) -> String {
    let mut out = format!("{HEADING}\n\n");
    let _ = writeln!(out, "```sh\n{}\n```\n", command_line());
    let _ = writeln!(
        out,
        "- Date: {} (start)\n- Machine: {}\n- Build: bench {}; server `{}` ({})",
        started.format("%Y-%m-%d %H:%M UTC"),
        machine::description(),
        build_profile(),
        crate::common::binary_name(binary),
        profile_of(binary),
    );
    let _ = writeln!(
        out,
        "- Load: {} signed `issues.opened` a second for {} s, each for its own issue, the \
         `hooks` plugin labelling each; the fault from second {} (for {} s where it lasts). \
         As the load ends the server is killed (SIGKILL), started again on the same database \
         until its queue is empty, then stopped with SIGTERM; \"not stored\" is counted \
         after that. PostgreSQL faults run on an instance of the run's own (`initdb`, fsync \
         on); SQLite's disk is a tmpfs of {} MiB filled by a file.\n",
        args.rate, args.seconds, args.fault_at, args.fault_for, args.small_fs_mib
    );
    out.push_str(
        "| fault | answered 202 | not 202 | 202 but not stored | 202 never labelled | labelled more than once | slowest answer | answers ≥ 10 s | queue finished, clean stop |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|:-:|\n",
    );
    for row in rows {
        out.push_str(&row.line());
        out.push('\n');
    }
    out
}

//! The machine a run happened on, and where its CPU went during a run: every thread
//! of this process grouped by name, every `postgres` process, and the whole machine,
//! read from `/proc` before and after the measured part.
//!
//! Thread names identify the parts of `intake`: the load generator's runtime
//! (`bench-client`), actix's HTTP workers and acceptor (`actix-server …`), the runtime
//! that runs Gantry's job workers (`gantry-rt`), and sqlx's SQLite threads
//! (`sqlx-sqlite-…`). Other benchmarks' threads count as "other threads"; busy time
//! outside this process and PostgreSQL is "other processes".
use std::collections::BTreeMap;
use std::time::Instant;

/// Linux reports process times in `USER_HZ`, which is 100 on every supported platform.
const TICKS_PER_SECOND: f64 = 100.0;

/// The CPU groups, in the order reports show them.
/// "other processes" is the machine's busy time that none of the others explains
/// (on a shared machine, other people's builds show up there).
pub const GROUPS: [&str; 7] = [
    "load generator",
    "HTTP workers",
    "Gantry runtime",
    "SQLite threads",
    "PostgreSQL",
    "other threads",
    "other processes",
];

/// Cumulative CPU ticks at one moment.
#[derive(Debug, Clone)]
pub struct CpuSample {
    at: Instant,
    groups: BTreeMap<&'static str, u64>,
    machine_busy: u64,
    machine_total: u64,
}

/// CPU used between two samples.
#[derive(Debug, Clone, Default)]
pub struct CpuUsage {
    /// Cores busy on average, by group (1.0 is one core for the whole interval).
    pub cores: BTreeMap<&'static str, f64>,
    /// Share of all the machine's cores that were busy, 0 to 1.
    pub machine_busy: f64,
}

/// Reads the current counters; missing `/proc` entries count as zero.
#[must_use]
pub fn sample() -> CpuSample {
    let mut groups: BTreeMap<&'static str, u64> = BTreeMap::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Some((comm, ticks)) = read_stat(&task.path().join("stat")) {
                *groups.entry(group_of(&comm)).or_default() += ticks;
            }
        }
    }
    *groups.entry("PostgreSQL").or_default() += postgres_ticks();
    let (machine_busy, machine_total) = machine_ticks().unwrap_or((0, 0));
    CpuSample {
        at: Instant::now(),
        groups,
        machine_busy,
        machine_total,
    }
}

/// What was used from `before` to `after`.
#[must_use]
pub fn usage(before: &CpuSample, after: &CpuSample) -> CpuUsage {
    let seconds = after
        .at
        .duration_since(before.at)
        .as_secs_f64()
        .max(f64::EPSILON);
    let mut cores: BTreeMap<&'static str, f64> = GROUPS
        .iter()
        .map(|group| {
            let ticks = after
                .groups
                .get(group)
                .copied()
                .unwrap_or(0)
                .saturating_sub(before.groups.get(group).copied().unwrap_or(0));
            (*group, ticks as f64 / TICKS_PER_SECOND / seconds)
        })
        .collect();
    let total = after.machine_total.saturating_sub(before.machine_total);
    let busy = after.machine_busy.saturating_sub(before.machine_busy);
    let explained: f64 = cores.values().sum();
    let busy_cores = busy as f64 / TICKS_PER_SECOND / seconds;
    cores.insert("other processes", (busy_cores - explained).max(0.0));
    CpuUsage {
        cores,
        machine_busy: if total == 0 {
            0.0
        } else {
            busy as f64 / total as f64
        },
    }
}

fn group_of(comm: &str) -> &'static str {
    if comm.starts_with("bench-client") {
        "load generator"
    } else if comm.starts_with("actix-server") {
        "HTTP workers"
    } else if comm.starts_with("gantry-rt") {
        "Gantry runtime"
    } else if comm.starts_with("sqlx-sqlite") {
        "SQLite threads"
    } else {
        "other threads"
    }
}

/// `(comm, utime + stime)` from a `stat` file. The name sits in parentheses and may
/// itself contain spaces or parentheses, so fields are counted after the last `)`.
fn read_stat(path: &std::path::Path) -> Option<(String, u64)> {
    parse_stat(&std::fs::read_to_string(path).ok()?)
}

fn parse_stat(text: &str) -> Option<(String, u64)> {
    let (comm, utime, stime) = parse_stat_times(text)?;
    Some((comm, utime + stime))
}

/// `(comm, utime, stime)` from a `stat` file.
fn parse_stat_times(text: &str) -> Option<(String, u64, u64)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // After the name: state is field 3 of stat(5), utime 14 and stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime, stime))
}

/// CPU seconds this whole process has spent in user space and in the kernel so far.
#[must_use]
pub fn process_times() -> Option<(f64, f64)> {
    let (_, utime, stime) = parse_stat_times(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    Some((
        utime as f64 / TICKS_PER_SECOND,
        stime as f64 / TICKS_PER_SECOND,
    ))
}

/// CPU ticks (`utime + stime`) every `postgres` process on the machine has used so far.
#[must_use]
pub fn postgres_ticks() -> u64 {
    let mut total = 0;
    if let Ok(processes) = std::fs::read_dir("/proc") {
        for process in processes.flatten() {
            let is_pid = process
                .file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
            if !is_pid {
                continue;
            }
            if let Some((comm, ticks)) = read_stat(&process.path().join("stat")) {
                if comm == "postgres" {
                    total += ticks;
                }
            }
        }
    }
    total
}

/// CPU ticks (`utime + stime`) process `pid` has used so far; `None` once it is gone.
#[must_use]
pub fn process_ticks(pid: u32) -> Option<u64> {
    read_stat(
        &std::path::Path::new("/proc")
            .join(pid.to_string())
            .join("stat"),
    )
    .map(|(_, ticks)| ticks)
}

/// Ticks to seconds.
#[must_use]
pub fn ticks_to_seconds(ticks: u64) -> f64 {
    ticks as f64 / TICKS_PER_SECOND
}

/// `(busy, total)` ticks of all cores from `/proc/stat`; idle and iowait are not busy.
pub fn machine_ticks() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// `nproc`, memory, CPU model and compiler, one line for the report.
#[must_use]
pub fn description() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "?".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or_else(
            || "?".into(),
            |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0),
        );
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "rustc ?".into(), |v| v.trim().to_owned());
    format!("{cores} cores (`nproc`), {memory} RAM, CPU \"{model}\", {rustc}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_spaces_and_parentheses_in_the_name_parse() {
        let line = "4242 (actix-server wo) S 1 2 3 4 5 6 7 8 9 10 250 30 0 0 20 0 1 0";
        assert_eq!(parse_stat(line), Some(("actix-server wo".into(), 280)));
        let odd = "7 (a) b) R 1 2 3 4 5 6 7 8 9 10 1 2 0 0";
        assert_eq!(parse_stat(odd), Some(("a) b".into(), 3)));
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(
            parse_stat_times(line),
            Some(("actix-server wo".into(), 250, 30))
        );
    }

    #[test]
    fn threads_are_grouped_by_name() {
        assert_eq!(group_of("actix-server ac"), "HTTP workers");
        assert_eq!(group_of("sqlx-sqlite-wor"), "SQLite threads");
        assert_eq!(group_of("bench-client"), "load generator");
        assert_eq!(group_of("gantry-bench"), "other threads");
    }
}

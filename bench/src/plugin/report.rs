//! Turning timings into markdown: per-series statistics, the results table, the
//! Gantry/bare ratios against the aim (as verdicts), the table of steps from the floor to Gantry,
//! and the `## Plugin invocation (TESTPLAN P2)` section of `docs/performance.md`.
use std::fmt::Write as _;

use super::bare::Step;
use crate::common::percentile;
use crate::common::verdict::{self, Verdict};

/// The heading of the section this benchmark owns.
pub const HEADING: &str = "## Plugin invocation (TESTPLAN P2)";

/// The issue's aim: Gantry's mean cost per call at most this many times bare wasmtime's.
pub const RATIO_AIM: f64 = 1.5;

/// Count, mean and percentiles of one series of calls.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Calls timed.
    pub iterations: usize,
    /// Mean, µs.
    pub mean_us: f64,
    /// Two standard errors of the mean, from how the rounds' means spread, µs; 0
    /// with fewer than two rounds.
    pub margin_us: f64,
    /// Median, µs.
    pub p50_us: f64,
    /// 99th percentile (nearest rank), µs.
    pub p99_us: f64,
}

impl Stats {
    /// Summarises call durations in nanoseconds, in the order they were taken, the
    /// first `rounds[0]` in the first round and so on; sorts them.
    #[must_use]
    pub fn of(mut nanos: Vec<u64>, rounds: &[usize]) -> Self {
        let mut round_means = Vec::with_capacity(rounds.len());
        let mut rest = nanos.as_slice();
        for &size in rounds {
            let (round, after) = rest.split_at(size.min(rest.len()));
            rest = after;
            if let Some(mean) = mean(round) {
                round_means.push(mean);
            }
        }
        let margin = match round_means.len() {
            0 | 1 => 0.0,
            k => {
                let m = round_means.iter().sum::<f64>() / k as f64;
                let variance =
                    round_means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (k - 1) as f64;
                2.0 * (variance / k as f64).sqrt()
            }
        };
        nanos.sort_unstable();
        Self {
            iterations: nanos.len(),
            mean_us: mean(&nanos).unwrap_or(0.0) / 1000.0,
            margin_us: margin / 1000.0,
            p50_us: percentile(&nanos, 50.0) as f64 / 1000.0,
            p99_us: percentile(&nanos, 99.0) as f64 / 1000.0,
        }
    }

    /// Calls per second one core sustains at the mean cost.
    #[must_use]
    pub fn per_core(&self) -> f64 {
        if self.mean_us > 0.0 {
            1e6 / self.mean_us
        } else {
            0.0
        }
    }
}

fn mean(nanos: &[u64]) -> Option<f64> {
    let total: u128 = nanos.iter().map(|&n| u128::from(n)).sum();
    (!nanos.is_empty()).then(|| total as f64 / nanos.len() as f64)
}

/// One step of the ladder on one event.
#[derive(Debug, Clone)]
pub struct Series {
    /// What the call sets up.
    pub step: Step,
    /// The event's label, e.g. `tiny`.
    pub event: &'static str,
    /// The payload's size in bytes.
    pub bytes: usize,
    /// The timings.
    pub stats: Stats,
}

fn find<'a>(series: &'a [Series], step: Step, event: &str) -> Option<&'a Series> {
    series.iter().find(|s| s.step == step && s.event == event)
}

/// The events in the order they first appear.
fn events(series: &[Series]) -> Vec<(&'static str, usize)> {
    let mut out: Vec<(&'static str, usize)> = Vec::new();
    for s in series {
        if !out.iter().any(|(e, _)| *e == s.event) {
            out.push((s.event, s.bytes));
        }
    }
    out
}

/// `12345` as `12,345`, `1234.5` as `1,234.5`.
#[must_use]
pub fn thousands(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(frac) => format!("{sign}{grouped}.{frac}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `x` to one decimal with its sign, never `-0.0`.
#[must_use]
pub fn signed(x: f64) -> String {
    // Adding +0.0 turns a rounded -0.0 into +0.0.
    format!("{:+.1}", (x * 10.0).round() / 10.0 + 0.0)
}

/// The main table: Gantry and the bare floor on each event.
#[must_use]
pub fn results_table(series: &[Series]) -> String {
    let mut out = String::from("| case | payload | iterations | mean µs | p50 µs | p99 µs | events/s per core |\n|---|---|--:|--:|--:|--:|--:|\n");
    for (event, bytes) in events(series) {
        for step in [Step::Gantry, Step::Floor] {
            let Some(s) = find(series, step, event) else {
                continue;
            };
            let st = &s.stats;
            let _ = writeln!(
                out,
                "| {} | {event}, {} B | {} | {:.1} ± {:.1} | {:.1} | {:.1} | {} |",
                step.label(),
                thousands(bytes as f64, 0),
                thousands(st.iterations as f64, 0),
                st.mean_us,
                st.margin_us,
                st.p50_us,
                st.p99_us,
                thousands(st.per_core(), 0)
            );
        }
    }
    out
}

/// The aim per payload: Gantry/bare on the mean (the percentiles beside it). When it
/// is missed, the reasons are what each step adds (from the steps table) and
/// `shared`, a note on other work sharing the machine, if there was any.
#[must_use]
pub fn verdicts(series: &[Series], shared: Option<&str>) -> Vec<Verdict> {
    let gaps = gap_lines(series);
    let mut out = Vec::new();
    for (event, bytes) in events(series) {
        let (Some(g), Some(b)) = (
            find(series, Step::Gantry, event),
            find(series, Step::Floor, event),
        ) else {
            continue;
        };
        let (g, b) = (&g.stats, &b.stats);
        let ratio = g.mean_us / b.mean_us.max(f64::EPSILON);
        let met = ratio <= RATIO_AIM;
        let mut because = Vec::new();
        if !met {
            let prefix = format!("- {event}: ");
            because.extend(
                gaps.lines()
                    .filter_map(|l| l.strip_prefix(&prefix))
                    .map(|l| l.trim_end_matches('.').to_owned()),
            );
            because.extend(shared.map(str::to_owned));
        }
        out.push(Verdict {
            row: "P2",
            case: format!("{event} payload ({} B)", thousands(bytes as f64, 0)),
            aim: format!("Gantry's invocation at most {RATIO_AIM}× bare wasmtime"),
            figure: format!(
                "**{ratio:.2}×** on the mean ({:.1} µs vs {:.1} µs; p50 {:.2}×, p99 {:.2}×; {} events/s per core)",
                g.mean_us,
                b.mean_us,
                g.p50_us / b.p50_us.max(f64::EPSILON),
                g.p99_us / b.p99_us.max(f64::EPSILON),
                thousands(g.per_core(), 0)
            ),
            met: Some(met),
            because,
        });
    }
    out
}

/// Mean and p99 of every step on every event, with what each step adds to the mean
/// of the one before it.
#[must_use]
pub fn steps_table(series: &[Series]) -> String {
    let events = events(series);
    let mut out = String::from("| step | adds |");
    let mut rule = String::from("|---|---|");
    for (event, _) in &events {
        let _ = write!(out, " {event}: mean µs | added | p99 µs |");
        rule.push_str("--:|--:|--:|");
    }
    out.push('\n');
    out.push_str(&rule);
    out.push('\n');
    for (i, step) in Step::ALL.iter().enumerate() {
        let _ = write!(out, "| {} | {} |", step.label(), step.adds());
        for (event, _) in &events {
            let here = find(series, *step, event).map(|s| s.stats);
            let before = i
                .checked_sub(1)
                .and_then(|j| find(series, Step::ALL[j], event))
                .map(|s| s.stats.mean_us);
            let added = match (here, before) {
                (Some(h), Some(b)) => signed(h.mean_us - b),
                _ => "–".to_owned(),
            };
            match here {
                Some(h) => {
                    let _ = write!(out, " {:.1} | {added} | {:.1} |", h.mean_us, h.p99_us);
                }
                None => out.push_str(" – | – | – |"),
            }
        }
        out.push('\n');
    }
    out
}

/// Per event: the gap between Gantry and the floor, and each step's share of it.
#[must_use]
pub fn gap_lines(series: &[Series]) -> String {
    let mut out = String::new();
    for (event, _) in events(series) {
        let means: Vec<Option<f64>> = Step::ALL
            .iter()
            .map(|s| find(series, *s, event).map(|s| s.stats.mean_us))
            .collect();
        let (Some(Some(floor)), Some(Some(gantry))) = (means.first(), means.last()) else {
            continue;
        };
        let gap = gantry - floor;
        let parts: Vec<String> = means
            .windows(2)
            .zip(Step::ALL.iter().skip(1))
            .filter_map(|(pair, step)| {
                let added = pair[1]? - pair[0]?;
                let share = if gap.abs() > f64::EPSILON {
                    format!(" ({:.0}%)", (added / gap * 100.0).round() + 0.0)
                } else {
                    String::new()
                };
                Some(format!("{} {} µs{share}", step.short(), signed(added)))
            })
            .collect();
        let _ = writeln!(
            out,
            "- {event}: Gantry costs {} µs over the floor: {}.",
            signed(gap),
            parts.join("; ")
        );
    }
    out
}

/// What the section is built from besides the series.
#[derive(Debug, Clone)]
pub struct Context {
    /// The command line as run.
    pub command: String,
    /// When the run started, UTC.
    pub date: String,
    /// Share of the machine busy in the 2 s before the run.
    pub busy_before: f64,
    /// [`crate::common::machine::description`], when the section stands alone.
    pub machine: Option<String>,
    /// The plugin, the payloads and the method, in words.
    pub method: String,
}

/// The whole section, heading included.
#[must_use]
pub fn section(ctx: &Context, series: &[Series], notes: &str, verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{HEADING}\n");
    let _ = writeln!(out, "```sh\n{}\n```\n", ctx.command);
    let _ = writeln!(
        out,
        "- Date: {} (start); the machine was {:.0}% busy in the 2 s before the run",
        ctx.date,
        ctx.busy_before * 100.0
    );
    if let Some(machine) = &ctx.machine {
        let _ = writeln!(out, "- Machine: {machine}");
    }
    let _ = writeln!(out, "- Method: {}\n", ctx.method);
    let _ = writeln!(out, "{}", results_table(series));
    let _ = writeln!(
        out,
        "Each figure is one fresh store and instance plus one `handle-event` call, from before the store is built to after it \
         is dropped; events/s per core is 10⁶ / mean µs. The ± is two standard errors of the mean, from how the means of the \
         rounds spread: a step that adds less than its margins is within the noise.\n"
    );
    let _ = writeln!(out, "### Where the difference goes\n\nEach step adds one thing `PluginRuntime::invoke` does to the one above it:\n");
    let _ = writeln!(out, "{}", steps_table(series));
    out.push_str(&gap_lines(series));
    out.push_str(notes.trim_end());
    let _ = write!(
        out,
        "\n\n### Against the aim\n\n{}",
        verdict::lines(verdicts)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(step: Step, event: &'static str, mean_us: f64) -> Series {
        let stats = Stats {
            iterations: 1000,
            mean_us,
            margin_us: 0.25,
            p50_us: mean_us - 1.0,
            p99_us: mean_us * 2.0,
        };
        Series {
            step,
            event,
            bytes: if event == "tiny" { 31 } else { 15_360 },
            stats,
        }
    }

    fn ladder(event: &'static str, means: [f64; 5]) -> Vec<Series> {
        Step::ALL
            .iter()
            .zip(means)
            .map(|(step, mean)| series(*step, event, mean))
            .collect()
    }

    #[test]
    fn stats_take_the_mean_and_nearest_rank_percentiles_in_microseconds() {
        let nanos: Vec<u64> = (1..=100).rev().map(|n| n * 1000).collect();
        let s = Stats::of(nanos, &[100]);
        assert_eq!(
            (s.iterations, s.p50_us, s.p99_us, s.margin_us),
            (100, 50.0, 99.0, 0.0)
        );
        assert!((s.mean_us - 50.5).abs() < 1e-9);
        assert!((s.per_core() - 1e6 / 50.5).abs() < 1e-6);
        assert_eq!(Stats::of(vec![], &[]).per_core(), 0.0);
    }

    #[test]
    fn the_margin_comes_from_the_spread_of_round_means() {
        // Rounds with means 10, 20 and 30 µs: sd 10 µs, standard error 10/√3 µs.
        let nanos = vec![9_000, 11_000, 20_000, 20_000, 30_000, 30_000];
        let s = Stats::of(nanos.clone(), &[2, 2, 2]);
        assert!(
            (s.margin_us - 2.0 * 10.0 / 3f64.sqrt()).abs() < 1e-9,
            "{s:?}"
        );
        assert!((s.mean_us - 20.0).abs() < 1e-9);
        assert_eq!(
            Stats::of(nanos.clone(), &[6]).margin_us,
            0.0,
            "one round gives no spread"
        );
        assert_eq!(
            Stats::of(nanos, &[2, 2, 2, 5]).iterations,
            6,
            "sizes past the end are ignored"
        );
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(thousands(15_360.0, 0), "15,360");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(1_234_567.891, 1), "1,234,567.9");
        assert_eq!(thousands(-1234.0, 0), "-1,234");
        assert_eq!(thousands(-0.01, 1), "0.0");
    }

    #[test]
    fn signed_values_never_show_minus_zero() {
        assert_eq!(signed(2.04), "+2.0");
        assert_eq!(signed(-0.7), "-0.7");
        assert_eq!(signed(-0.02), "+0.0");
        assert_eq!(signed(0.0), "+0.0");
    }

    #[test]
    fn the_table_shows_gantry_then_bare_per_event() {
        let mut all = ladder("tiny", [40.0, 42.0, 43.0, 44.0, 50.0]);
        all.extend(ladder("15 KiB", [45.0, 47.0, 48.0, 49.0, 80.0]));
        let table = results_table(&all);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 6, "{table}");
        assert_eq!(lines[2], "| Gantry `PluginRuntime::invoke` | tiny, 31 B | 1,000 | 50.0 ± 0.2 | 49.0 | 100.0 | 20,000 |");
        assert_eq!(
            lines[3],
            "| bare wasmtime (floor) | tiny, 31 B | 1,000 | 40.0 ± 0.2 | 39.0 | 80.0 | 25,000 |"
        );
        assert!(lines[4].contains("15 KiB, 15,360 B"), "{table}");
        let verdicts = verdicts(&all, Some("other work shared the cores"));
        let lines = verdict::lines(&verdicts);
        assert!(
            lines.contains("- tiny payload (31 B): **1.25×** on the mean (50.0 µs vs 40.0 µs"),
            "{lines}"
        );
        assert_eq!(verdicts[0].met, Some(true));
        assert!(verdicts[0].because.is_empty());
        assert!(
            lines.contains("- 15 KiB payload (15,360 B): **1.78×**")
                && lines.contains("**not met**"),
            "{lines}"
        );
        assert!(
            verdicts[1].because[0]
                .starts_with("Gantry costs +35.0 µs over the floor: WASI context +2.0 µs"),
            "{:?}",
            verdicts[1].because
        );
        assert_eq!(verdicts[1].because[1], "other work shared the cores");
    }

    #[test]
    fn steps_show_what_each_adds_and_its_share_of_the_gap() {
        let flat = gap_lines(&ladder("tiny", [40.0, 42.0, 41.99, 44.0, 50.0]));
        assert!(flat.contains("store limits +0.0 µs (0%)"), "{flat}");
        let all = ladder("tiny", [40.0, 42.0, 43.0, 44.0, 50.0]);
        let table = steps_table(&all);
        assert!(
            table.contains(" if the guest asks for one | 40.0 | – | 80.0 |"),
            "{table}"
        );
        assert!(table.contains("| + WASI context | a `WasiCtx` built for every call as Gantry builds it (no network) | 42.0 | +2.0 | 84.0 |"), "{table}");
        assert!(
            table.contains("| Gantry `PluginRuntime::invoke` | the `CallState`"),
            "{table}"
        );
        assert!(
            table.contains("epoch ticker | 50.0 | +6.0 | 100.0 |"),
            "{table}"
        );
        let gaps = gap_lines(&all);
        assert!(gaps.contains("tiny: Gantry costs +10.0 µs over the floor: WASI context +2.0 µs (20%); store limits +1.0 µs (10%)"), "{gaps}");
        assert!(
            gaps.contains("the rest of `invoke` +6.0 µs (60%)."),
            "{gaps}"
        );
    }

    #[test]
    fn the_section_starts_with_its_heading() {
        let ctx = Context {
            command: "cargo run -p gantry-bench -- plugin".into(),
            date: "d".into(),
            busy_before: 0.0,
            machine: Some("m".into()),
            method: "x".into(),
        };
        let series = ladder("tiny", [1.0, 2.0, 3.0, 4.0, 5.0]);
        let text = section(&ctx, &series, "- a note\n", &verdicts(&series, None));
        assert!(
            text.starts_with(&format!("{HEADING}\n\n```sh\ncargo run")),
            "{text}"
        );
        assert!(
            text.contains("- a note\n\n### Against the aim\n\n- tiny payload"),
            "the aim ends the section: {text}"
        );
    }
}

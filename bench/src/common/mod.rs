//! What more than one benchmark needs: where the shared corpus is, percentiles, the
//! command line as run, the build profile, and the submodules for the machine's CPU
//! (`machine`), exact-size webhook bodies (`payload`), a fresh PostgreSQL database per
//! run (`postgres`), aims checked against figures (`verdict`) and the sections of
//! `docs/performance.md` (`markdown`).
pub mod machine;
pub mod markdown;
pub mod payload;
pub mod postgres;
pub mod verdict;

/// The fixture corpus in the repository (`tests/fixtures`: `webhooks/` and the HMAC vectors).
pub const DEFAULT_CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

/// The nearest-rank percentile of sorted values; 0 for none.
#[must_use]
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Microseconds as milliseconds with two decimals, for tables.
#[must_use]
pub fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// The build profile this bench was compiled with, in words for reports.
#[must_use]
pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "dev profile (`cargo run`): dependencies (wasmtime, sqlx, actix, ...) at opt-level 2, Gantry's and the bench's own code unoptimised"
    } else {
        "release profile (`--release`)"
    }
}

/// This process's command line as `cargo run -p gantry-bench -- …`, arguments with
/// spaces quoted, for the report.
#[must_use]
pub fn command_line() -> String {
    quoted_command(std::env::args().skip(1))
}

fn quoted_command(args: impl Iterator<Item = String>) -> String {
    std::iter::once("cargo run -p gantry-bench --".to_owned())
        .chain(args.map(|a| if a.contains(' ') { format!("'{a}'") } else { a }))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), 50);
        assert_eq!(percentile(&values, 90.0), 90);
        assert_eq!(percentile(&values, 99.0), 99);
        assert_eq!(percentile(&values, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(percentile(&[1, 2, 3], 0.0), 1);
    }

    #[test]
    fn the_command_line_quotes_arguments_with_spaces() {
        let args = ["plugin", "--out", "my docs/performance.md"].map(String::from);
        assert_eq!(
            quoted_command(args.into_iter()),
            "cargo run -p gantry-bench -- plugin --out 'my docs/performance.md'"
        );
    }
}

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

/// A binary named for a report: its path inside the clone, or its file name when it
/// lies elsewhere on this machine (no report holds a path of one machine).
#[must_use]
pub fn binary_name(path: &std::path::Path) -> String {
    let root = std::fs::canonicalize(REPO_ROOT).unwrap_or_else(|_| REPO_ROOT.into());
    match portable_path(&path.display().to_string(), &root) {
        Some(PathWord::Inside(relative)) => relative,
        _ => path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    }
}

/// The repository root this bench was built from.
const REPO_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// This process's command line as `cargo run -p gantry-bench -- …`, for the report,
/// written so anyone can run it from a clone: arguments with spaces quoted, paths inside
/// the clone made relative to its root, and options given a path of this one machine
/// left out (their defaults point into the clone) and named after the command.
#[must_use]
pub fn command_line() -> String {
    let root = std::fs::canonicalize(REPO_ROOT).unwrap_or_else(|_| REPO_ROOT.into());
    portable_command(std::env::args().skip(1), &root)
}

fn portable_command(args: impl Iterator<Item = String>, root: &std::path::Path) -> String {
    let mut words = vec!["cargo run -p gantry-bench --".to_owned()];
    let mut left_out = Vec::new();
    let args: Vec<String> = args.collect();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let (option, value, step) = match arg.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (Some(o.to_owned()), v.to_owned(), 1),
            _ if arg.starts_with("--") && i + 1 < args.len() && !args[i + 1].starts_with("--") => {
                (Some(arg.clone()), args[i + 1].clone(), 2)
            }
            _ => (None, arg.clone(), 1),
        };
        let value = match portable_path(&value, root) {
            Some(PathWord::Inside(relative)) => relative,
            Some(PathWord::Outside) => {
                left_out.push(option.clone().unwrap_or_else(|| "a path".to_owned()));
                i += step;
                continue;
            }
            None => value,
        };
        if let Some(option) = option {
            words.push(option);
        }
        words.push(if value.contains(' ') {
            format!("'{value}'")
        } else {
            value
        });
        i += step;
    }
    let mut line = words.join(" ");
    if !left_out.is_empty() {
        line.push_str(&format!(
            " (this run also gave {} paths of its machine)",
            left_out.join(", ")
        ));
    }
    line
}

enum PathWord {
    Inside(String),
    Outside,
}

fn portable_path(value: &str, root: &std::path::Path) -> Option<PathWord> {
    let path = std::path::Path::new(value);
    if !path.is_absolute() {
        return None;
    }
    Some(match path.strip_prefix(root) {
        Ok(relative) if relative.as_os_str().is_empty() => PathWord::Inside(".".to_owned()),
        Ok(relative) => PathWord::Inside(relative.display().to_string()),
        Err(_) => PathWord::Outside,
    })
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
            portable_command(args.into_iter(), std::path::Path::new("/src/gantry")),
            "cargo run -p gantry-bench -- plugin --out 'my docs/performance.md'"
        );
    }

    #[test]
    fn the_command_line_holds_no_path_of_this_machine() {
        let args = [
            "report",
            "--out",
            "/src/gantry/docs/performance.md",
            "--gantry-bin",
            "/elsewhere/bin/gantry",
            "--corpus=/elsewhere/corpus",
            "--seconds",
            "60",
        ]
        .map(String::from);
        assert_eq!(
            portable_command(args.into_iter(), std::path::Path::new("/src/gantry")),
            "cargo run -p gantry-bench -- report --out docs/performance.md --seconds 60 \
             (this run also gave --gantry-bin, --corpus paths of its machine)"
        );
    }
}

//! One aim of the issue against one measured figure: met or not, and when not, what
//! the same run's figures say holds it back. Every section ends with these lines,
//! and the full report gathers them in its summary table.
use std::fmt::Write as _;

/// An aim checked against a figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The TESTPLAN row: `P1` ... `P4`.
    pub row: &'static str,
    /// What was measured where: `sqlite, 50 connections`.
    pub case: String,
    /// The aim in words: `p99 time to 202 < 10 ms`.
    pub aim: String,
    /// The figure: `p99 20.57 ms`.
    pub figure: String,
    /// `Some(true)` met, `Some(false)` not met, `None` not measured by this run (a
    /// soak shorter than the aim's hour).
    pub met: Option<bool>,
    /// When not met (or not measured), why, from the run's own figures.
    pub because: Vec<String>,
}

impl Verdict {
    /// `met`, `**not met**` or `not measured`.
    #[must_use]
    pub fn word(&self) -> &'static str {
        match self.met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "not measured",
        }
    }

    /// The bullet for a section's "Against the aims".
    #[must_use]
    pub fn line(&self) -> String {
        let mut out = format!(
            "- {}: {} (aim: {}): {}",
            self.case,
            self.figure,
            self.aim,
            self.word()
        );
        if !self.because.is_empty() {
            out.push_str(if self.met.is_none() {
                ". Why:"
            } else {
                ". What holds it back:"
            });
            for reason in &self.because {
                let _ = write!(out, "\n  - {reason}");
            }
        }
        out.push('\n');
        out
    }
}

/// The lines of `verdicts`, one bullet each.
#[must_use]
pub fn lines(verdicts: &[Verdict]) -> String {
    verdicts.iter().map(Verdict::line).collect()
}

/// The summary table of the full report.
#[must_use]
pub fn table(verdicts: &[Verdict]) -> String {
    let mut out =
        String::from("| row | case | aim | measured | verdict |\n|---|---|---|---|---|\n");
    for v in verdicts {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            v.row,
            v.case,
            v.aim,
            v.figure,
            v.word()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(met: Option<bool>, because: &[&str]) -> Verdict {
        Verdict {
            row: "P1",
            case: "sqlite, 50 connections".into(),
            aim: "p99 < 10 ms".into(),
            figure: "p99 20.57 ms".into(),
            met,
            because: because.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_verdict_reads_as_a_sentence_with_its_reasons() {
        assert_eq!(
            verdict(Some(true), &[]).line(),
            "- sqlite, 50 connections: p99 20.57 ms (aim: p99 < 10 ms): met\n"
        );
        let not = verdict(Some(false), &["the database", "the cores"]).line();
        assert_eq!(
            not,
            "- sqlite, 50 connections: p99 20.57 ms (aim: p99 < 10 ms): **not met**. What holds it back:\n  - the database\n  - the cores\n"
        );
        assert!(verdict(None, &[]).line().ends_with("not measured\n"));
        assert!(verdict(None, &["too short"])
            .line()
            .ends_with("not measured. Why:\n  - too short\n"));
        let table = table(&[verdict(Some(false), &[])]);
        assert!(
            table.ends_with(
                "| P1 | sqlite, 50 connections | p99 < 10 ms | p99 20.57 ms | **not met** |\n"
            ),
            "{table}"
        );
    }
}

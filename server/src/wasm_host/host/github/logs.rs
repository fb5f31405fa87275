//! `get-workflow-run-logs` (`actions:read`): the jobs of a workflow run's latest
//! attempt (`/actions/runs/{id}/jobs`, paged) and the end of each job's plain-text
//! log (`/actions/jobs/{id}/logs`, which GitHub answers with a 302 to its storage).
//! Each log is read through once and only its tail is kept; the tail is cut to
//! start at a line. The plugin's cap per job is bounded by the host's output limit,
//! and so are all logs together: failed jobs are read first, so a cap that runs out
//! leaves out the logs least likely to matter. Every page and every log is one gated
//! (so audited) read counted against the invocation's budget; logs past the budget
//! are left out, marked truncated, rather than failing the whole call.
use serde_json::Value;

use super::super::super::bindings::gantry::plugin::github::{JobLog, WorkflowRunLogs};
use super::super::super::bindings::{HostError, Repo};
use super::super::{CallData, CallState};
use super::pages::Listing;
use super::{segment, text, HostResult};
use crate::domain::Capability;
use crate::github::client::Tail;
use crate::github::GitHubError;
use crate::policy::Target;

/// The job list is read for at most this many pages (GitHub runs at most 256 jobs
/// from one matrix).
const JOB_PAGES: u32 = 3;

/// Conclusions whose logs are read first.
const FAILED: &[&str] = &["failure", "timed_out", "cancelled", "action_required"];

fn job_from(v: &Value) -> JobLog {
    JobLog {
        id: v["id"].as_u64().unwrap_or_default(),
        name: text(v, "name"),
        status: text(v, "status"),
        conclusion: v["conclusion"].as_str().map(str::to_owned),
        log: String::new(),
        truncated: false,
    }
}

/// The last `keep` bytes of a body `total` bytes long, as text: a UTF-8 byte-order
/// mark dropped, and when bytes were cut, started at the first whole line (or, in a
/// single long line, at the first whole character). Invalid UTF-8 is replaced.
/// Returns the text and whether it is less than the whole body.
#[must_use]
pub fn tail_text(tail: &Tail, keep: usize) -> (String, bool) {
    let mut bytes = tail.last(keep);
    let cut = u64::try_from(bytes.len()).unwrap_or(u64::MAX) < tail.total;
    if cut {
        match bytes.iter().position(|b| *b == b'\n') {
            Some(end) if end + 1 < bytes.len() => bytes = &bytes[end + 1..],
            _ => {
                let start = bytes
                    .iter()
                    .position(|b| b & 0b1100_0000 != 0b1000_0000)
                    .unwrap_or(bytes.len());
                bytes = &bytes[start..];
            }
        }
    } else {
        bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    }
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    // Replacement characters can make the text longer than the bytes were.
    while text.len() > keep {
        let mut start = text.len() - keep;
        while !text.is_char_boundary(start) {
            start += 1;
        }
        text.drain(..start);
    }
    (text, cut)
}

impl CallState {
    /// The tail of one job's log, after the target, budget and policy checks;
    /// `None` when GitHub keeps no log for it (404, or 410 once expired).
    async fn job_log_tail(
        &mut self,
        repo: &Repo,
        job_id: u64,
        keep: usize,
    ) -> Result<Option<Tail>, HostError> {
        let target = self.authorise(repo)?;
        let path = format!(
            "/repos/{}/{}/actions/jobs/{job_id}/logs",
            segment(&target.owner)?,
            segment(&target.name)?
        );
        // A read has no idempotency key, so no earlier answer stands in for it.
        self.gate(
            &Capability::ACTIONS_READ,
            &target,
            &Target::Nothing,
            "",
            None,
        )
        .await?;
        match self.env.github.download_tail(&path, keep).await {
            Ok(tail) => Ok(Some(tail)),
            Err(GitHubError::NotFound(_) | GitHubError::Rejected { status: 410, .. }) => Ok(None),
            Err(e) => Err(self.host_error(e)),
        }
    }
}

impl CallData {
    pub(super) async fn get_workflow_run_logs(
        &mut self,
        repo: Repo,
        run_id: u64,
        max_bytes: u64,
    ) -> HostResult<Option<WorkflowRunLogs>> {
        let listed = self
            .read_pages(
                &repo,
                Listing {
                    route: &format!("/actions/runs/{run_id}/jobs"),
                    capability: &Capability::ACTIONS_READ,
                    field: Some("jobs"),
                    pages: JOB_PAGES,
                    item: job_from,
                },
            )
            .await?;
        let mut jobs = match listed {
            Ok(jobs) => jobs,
            Err(HostError::NotFound(_)) => return Ok(Ok(None)),
            Err(e) => return Ok(Err(e)),
        };
        let inv = &mut self.invocation;
        let limit = inv.max_output_bytes;
        let per_job = usize::try_from(max_bytes).unwrap_or(usize::MAX).min(limit);
        let mut left = limit;
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&i| {
            let failed = jobs[i]
                .conclusion
                .as_deref()
                .is_some_and(|c| FAILED.contains(&c));
            !failed
        });
        for i in order {
            let keep = per_job.min(left);
            if keep == 0 || inv.github_calls >= inv.github_budget {
                jobs[i].truncated = true;
                continue;
            }
            let tail = match inv.job_log_tail(&repo, jobs[i].id, keep).await {
                Ok(Some(tail)) => tail,
                Ok(None) => continue,
                Err(e) => return Ok(Err(e)),
            };
            let (log, cut) = tail_text(&tail, keep);
            left -= log.len().min(left);
            jobs[i].log = log;
            jobs[i].truncated = cut;
        }
        let truncated = jobs.iter().any(|j| j.truncated);
        Ok(Ok(Some(WorkflowRunLogs { jobs, truncated })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(body: &[u8], keep: usize) -> Tail {
        let mut t = Tail::default();
        for chunk in body.chunks(7) {
            t.push(chunk, keep);
        }
        t
    }

    #[test]
    fn a_log_shorter_than_the_cap_is_whole_without_its_byte_order_mark() {
        let body = "\u{feff}line one\nline two\n".as_bytes();
        let (text, cut) = tail_text(&tail(body, 100), 100);
        assert_eq!(text, "line one\nline two\n");
        assert!(!cut);
    }

    #[test]
    fn a_cut_log_keeps_its_last_whole_lines() {
        let body: String = (1..=500).map(|n| format!("step {n}\n")).collect();
        let (text, cut) = tail_text(&tail(body.as_bytes(), 30), 30);
        assert!(cut);
        assert!(text.len() <= 30, "{text:?}");
        assert!(text.starts_with("step "), "{text:?}");
        assert!(text.ends_with("step 500\n"), "{text:?}");
    }

    #[test]
    fn a_cut_single_line_starts_at_a_whole_character() {
        let body = "é".repeat(100);
        let (text, cut) = tail_text(&tail(body.as_bytes(), 9), 9);
        assert!(cut);
        assert_eq!(text, "éééé");
    }

    #[test]
    fn a_tail_of_a_long_body_holds_no_more_than_its_batches() {
        let mut t = Tail::default();
        for _ in 0..10_000 {
            t.push(&[b'x'; 100], 10);
        }
        assert_eq!(t.total, 1_000_000);
        assert!(t.bytes.len() <= 64 * 1024 + 100);
        assert_eq!(t.last(10), b"xxxxxxxxxx");
    }
}

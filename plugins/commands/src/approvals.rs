//! `/approve` with ownership files, as Prow's approve plugin does it: when the
//! repository has `OWNERS` or `CODEOWNERS` on its default branch (the host's
//! `get-owners`), an approval counts only for the changed files its author is an
//! approver of, and the pull request is `approved` once every changed file is
//! covered by some approver's `/approve`. Approvals are remembered per pull request
//! (`approvals/<number>` in KV); `/approve cancel` withdraws one. The status
//! comment lists the files still waiting and whom to ask. Pure: no host calls.
use gantry_plugin_sdk::github::PathOwners;

/// The KV key of a pull request's approvals.
#[must_use]
pub fn key(number: u64) -> String {
    format!("approvals/{number}")
}

/// Files listed in the status comment at most.
pub const MAX_LISTED_FILES: usize = 30;
/// Approvers suggested per group of waiting files at most.
pub const MAX_SUGGESTED: usize = 5;

/// Whether the repository has ownership files for these paths: some path is
/// decided by one. Without them `/approve` works as without owners.
#[must_use]
pub fn has_owners(owners: &[PathOwners]) -> bool {
    owners.iter().any(|o| !o.decided_by.is_empty())
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether `login` may approve `file`.
fn approves(file: &PathOwners, login: &str) -> bool {
    file.approvers.iter().any(|a| same(a, login))
}

/// Whether `login` is an approver of any of `files`.
#[must_use]
pub fn is_approver(files: &[PathOwners], login: &str) -> bool {
    files.iter().any(|f| approves(f, login))
}

/// The approvals after `login` approves (`withdraw`: cancels), lower case, in
/// order, each once.
#[must_use]
pub fn update(mut approved: Vec<String>, login: &str, withdraw: bool) -> Vec<String> {
    let login = login.to_ascii_lowercase();
    approved.retain(|a| !same(a, &login));
    if !withdraw {
        approved.push(login);
    }
    approved
}

/// Whether `file` is covered by `approved`: one of its approvers approved, or it
/// has no approvers and anyone (with the command's permission) approved.
fn covered(file: &PathOwners, approved: &[String]) -> bool {
    if file.approvers.is_empty() {
        !approved.is_empty()
    } else {
        approved.iter().any(|a| approves(file, a))
    }
}

/// Where a pull request stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The approvals that cover some file, in order.
    pub counted: Vec<String>,
    /// The files no approval covers yet.
    pub waiting: Vec<PathOwners>,
}

impl Status {
    /// Whether every file is covered.
    #[must_use]
    pub fn approved(&self) -> bool {
        self.waiting.is_empty() && !self.counted.is_empty()
    }
}

/// Where the pull request changing `files` stands with `approved`.
#[must_use]
pub fn status(files: &[PathOwners], approved: &[String]) -> Status {
    let counted = approved
        .iter()
        .filter(|a| {
            files
                .iter()
                .any(|f| approves(f, a) || f.approvers.is_empty())
        })
        .cloned()
        .collect();
    let waiting = files
        .iter()
        .filter(|f| !covered(f, approved))
        .cloned()
        .collect();
    Status { counted, waiting }
}

fn people(logins: &[String]) -> String {
    logins
        .iter()
        .map(|l| {
            if l.contains('@') {
                format!("`{l}`")
            } else {
                format!("@{l}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The status comment (Prow's approve plugin's, in Gantry's words): who approved,
/// and the files still waiting grouped by whom to ask; `note` first when the
/// command itself needs a word (an approval that does not count).
#[must_use]
pub fn comment(status: &Status, note: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(note) = note {
        out.push_str(note);
        out.push_str("\n\n");
    }
    if status.approved() {
        out.push_str(
            "This pull request is **APPROVED**: every changed file has an approver's `/approve`.",
        );
    } else {
        out.push_str("This pull request is **NOT APPROVED** yet.");
    }
    if !status.counted.is_empty() {
        out.push_str(&format!("\n\nApproved by: {}.", people(&status.counted)));
    }
    if !status.waiting.is_empty() {
        out.push_str("\n\nFiles still waiting for an approver's `/approve`:\n");
        // Files with the same approvers together, in the order first met.
        let mut groups: Vec<(&[String], Vec<&PathOwners>)> = Vec::new();
        for file in &status.waiting {
            match groups
                .iter_mut()
                .find(|(a, _)| *a == file.approvers.as_slice())
            {
                Some((_, files)) => files.push(file),
                None => groups.push((&file.approvers, vec![file])),
            }
        }
        let mut listed = 0;
        for (approvers, files) in &groups {
            let shown: Vec<String> = files
                .iter()
                .take(MAX_LISTED_FILES.saturating_sub(listed))
                .map(|f| format!("`{}`", f.path))
                .collect();
            if shown.is_empty() {
                break;
            }
            listed += shown.len();
            let more = files.len() - shown.len();
            let files_text = if more > 0 {
                format!("{} and {more} more", shown.join(", "))
            } else {
                shown.join(", ")
            };
            let ask = if approvers.is_empty() {
                "no owners: anyone with write permission".to_owned()
            } else {
                let suggested: Vec<String> =
                    approvers.iter().take(MAX_SUGGESTED).cloned().collect();
                let from = files[0]
                    .decided_by
                    .first()
                    .map_or(String::new(), |f| format!(" (`{f}`)"));
                format!("ask {}{from}", people(&suggested))
            };
            out.push_str(&format!("- {files_text}: {ask}\n"));
        }
        if status.waiting.len() > listed {
            out.push_str(&format!(
                "- and {} more files\n",
                status.waiting.len() - listed
            ));
        }
    }
    out.push_str(
        "\n\nApprovers are named by the `OWNERS` and `CODEOWNERS` files of the default branch. `/approve cancel` withdraws an approval.",
    );
    out
}

/// The reviewers to request on a new pull request by `author` changing `files`:
/// the files' reviewers (logins only, not teams or emails; not the author), those
/// reviewing the most files first, at most `max`.
#[must_use]
pub fn reviewers_for(files: &[PathOwners], author: &str, max: usize) -> Vec<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for file in files {
        for reviewer in &file.reviewers {
            if reviewer.contains('/') || reviewer.contains('@') || same(reviewer, author) {
                continue;
            }
            match counts.iter_mut().find(|(r, _)| same(r, reviewer)) {
                Some((_, n)) => *n += 1,
                None => counts.push((reviewer.clone(), 1)),
            }
        }
    }
    // Stable: ties keep the order first met.
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts.into_iter().take(max).map(|(r, _)| r).collect()
}

#[cfg(test)]
#[path = "approvals_tests.rs"]
mod tests;

//! `create-branch` and `delete-branch` (v0.2): one REST call each on the event's
//! repository's refs under `contents:write`, gated with the branch as the policy's
//! target (so a rule's `--branch` condition decides on it), made once across
//! retries and audited like every write (`CallState::call_to`).
use serde_json::json;

use super::super::super::bindings::Repo;
use super::super::CallData;
use super::{invalid, segments, HostResult};
use crate::domain::Capability;
use crate::policy::Target;

/// A branch name as git allows it, roughly: not empty, no spaces, no `..`, not a
/// full ref (`refs/heads/x` is written `x` here), at most 255 bytes.
fn branch_ok(name: &str) -> bool {
    !name.trim().is_empty()
        && name.len() <= 255
        && !name.starts_with("refs/")
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.contains("..")
        && !name
            .chars()
            .any(|c| c.is_whitespace() || "~^:?*[\\".contains(c))
}

fn full_sha(sha: &str) -> bool {
    sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit())
}

impl CallData {
    pub(super) async fn create_branch(
        &mut self,
        repo: Repo,
        name: String,
        sha: String,
    ) -> HostResult<()> {
        if !branch_ok(&name) {
            return invalid("a branch name is like `fix/readme`: no spaces, `..` or `refs/`");
        }
        if !full_sha(&sha) {
            return invalid("a branch starts at a full commit SHA (40 hex digits)");
        }
        let git_ref = format!("refs/heads/{name}");
        let refs = Target::of_ref(&git_ref);
        Ok(self
            .invocation
            .call_to(
                &repo,
                &Capability::CONTENTS_WRITE,
                "POST",
                "/git/refs",
                Some(json!({ "ref": git_ref, "sha": sha })),
                refs,
            )
            .await
            .map(drop))
    }

    pub(super) async fn delete_branch(&mut self, repo: Repo, name: String) -> HostResult<()> {
        if !branch_ok(&name) {
            return invalid("a branch name is like `fix/readme`: no spaces, `..` or `refs/`");
        }
        let route = match segments(&name) {
            Ok(name) => format!("/git/refs/heads/{name}"),
            Err(e) => return Ok(Err(e)),
        };
        let refs = Target::of_ref(&format!("refs/heads/{name}"));
        Ok(self
            .invocation
            .call_to(
                &repo,
                &Capability::CONTENTS_WRITE,
                "DELETE",
                &route,
                None,
                refs,
            )
            .await
            .map(drop))
    }
}

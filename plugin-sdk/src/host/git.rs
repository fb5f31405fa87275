//! git working copies that live in the host (WIT interface `git`): [`Workspace`]
//! wraps the generated resource so that every method answers the SDK's [`Error`],
//! and the pushes answer [`Written`] (a push held for approval is not an error).
//! Cloning needs `git:clone`; pushing needs `git:push`. With the `fake-host` feature
//! (natively) a workspace is the fake host's: each method is a call `workspace.NAME`.
use serde_json::Value;

use super::{arg, args, call};
use crate::bindings::gantry::plugin::git as wit;
pub use crate::bindings::gantry::plugin::git::{CommitInfo, Signature};
use crate::{Error, HostError, Repo, Written};

/// A working copy of the event's repository, deleted when dropped.
#[derive(Debug)]
pub struct Workspace(Option<wit::Workspace>);

impl Workspace {
    /// Runs `f` on the host's workspace (there is none in the fake host, which never
    /// calls it).
    fn with<T>(
        &self,
        f: impl FnOnce(&wit::Workspace) -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        match &self.0 {
            Some(workspace) => f(workspace),
            None => Err(HostError::Invalid("the workspace is gone".into())),
        }
    }

    /// Clones `repo` at `branch` (the default branch when `None`).
    ///
    /// # Errors
    /// The host's refusal (capability, policy, target) or the clone's failure.
    pub fn clone(repo: &Repo, branch: Option<&str>) -> Result<Self, Error> {
        let named = || args(&[("repo", arg(repo)), ("branch", arg(&branch))]);
        let mut cloned = None;
        call::<Value>("workspace.clone", named, || {
            cloned = Some(wit::Workspace::clone(repo, branch)?);
            Ok(Value::Null)
        })?;
        Ok(Self(cloned))
    }

    /// The SHA of the checked-out commit.
    ///
    /// # Errors
    /// When the host cannot read it.
    pub fn head(&self) -> Result<String, Error> {
        Ok(call(
            "workspace.head",
            || Value::Null,
            || self.with(wit::Workspace::head),
        )?)
    }

    /// Reads a file; `None` when it does not exist.
    ///
    /// # Errors
    /// An invalid path or a host failure.
    pub fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        let named = || args(&[("path", arg(path))]);
        Ok(call("workspace.read-file", named, || {
            self.with(|w| w.read_file(path))
        })?)
    }

    /// Writes a file, creating directories as needed.
    ///
    /// # Errors
    /// An invalid path, the disk cap or a host failure.
    pub fn write_file(&self, path: &str, content: &[u8]) -> Result<(), Error> {
        let text = String::from_utf8_lossy(content);
        let named = || args(&[("path", arg(path)), ("content", arg(&text))]);
        Ok(call("workspace.write-file", named, || {
            self.with(|w| w.write_file(path, content))
        })?)
    }

    /// Deletes a file; whether it existed.
    ///
    /// # Errors
    /// An invalid path or a host failure.
    pub fn remove_file(&self, path: &str) -> Result<bool, Error> {
        let named = || args(&[("path", arg(path))]);
        Ok(call("workspace.remove-file", named, || {
            self.with(|w| w.remove_file(path))
        })?)
    }

    /// Creates a branch at the checked-out commit and checks it out.
    ///
    /// # Errors
    /// An invalid or existing name, or a host failure.
    pub fn create_branch(&self, name: &str) -> Result<(), Error> {
        let named = || args(&[("name", arg(name))]);
        Ok(call("workspace.create-branch", named, || {
            self.with(|w| w.create_branch(name))
        })?)
    }

    /// Commits every change; the new SHA.
    ///
    /// # Errors
    /// Nothing to commit, or a host failure.
    pub fn commit(&self, message: &str, author: Option<&Signature>) -> Result<String, Error> {
        let named = || args(&[("message", arg(message)), ("author", arg(&author))]);
        Ok(call("workspace.commit", named, || {
            self.with(|w| w.commit(message, author))
        })?)
    }

    /// Creates an annotated tag at the checked-out commit.
    ///
    /// # Errors
    /// An invalid or existing name, or a host failure.
    pub fn tag(&self, name: &str, message: &str) -> Result<(), Error> {
        let named = || args(&[("name", arg(name)), ("message", arg(message))]);
        Ok(call("workspace.tag", named, || {
            self.with(|w| w.tag(name, message))
        })?)
    }

    /// Commits reachable from the head, newest first, back to `since` or at most
    /// `limit` of them.
    ///
    /// # Errors
    /// An unknown `since`, or a host failure.
    pub fn log(&self, since: Option<&str>, limit: u32) -> Result<Vec<CommitInfo>, Error> {
        let named = || args(&[("since", arg(&since)), ("limit", arg(&limit))]);
        Ok(call("workspace.log", named, || {
            self.with(|w| w.log(since, limit))
        })?)
    }

    /// The tags, by name.
    ///
    /// # Errors
    /// A host failure.
    pub fn tags(&self) -> Result<Vec<String>, Error> {
        Ok(call(
            "workspace.tags",
            || Value::Null,
            || self.with(wit::Workspace::tags),
        )?)
    }

    /// The branches as the clone saw them, with the commit each points at.
    ///
    /// # Errors
    /// A host failure.
    pub fn branches(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(call(
            "workspace.branches",
            || Value::Null,
            || self.with(wit::Workspace::branches),
        )?)
    }

    /// Pushes the checked-out branch and `tags`. Needs `git:push`.
    ///
    /// # Errors
    /// The host's refusal, or GitHub refusing the push.
    pub fn push(&self, tags: &[String]) -> Result<Written<()>, Error> {
        let named = || args(&[("tags", arg(tags))]);
        let pushed = call("workspace.push", named, || self.with(|w| w.push(tags)))?;
        Ok(Written::from(pushed))
    }

    /// Pushes `branches` (and every tag when `tags`) to `destination`, a mirror.
    /// Needs `git:push`, decided for the destination.
    ///
    /// # Errors
    /// The host's refusal, or the destination refusing the push.
    pub fn mirror_to(
        &self,
        destination: &Repo,
        branches: &[String],
        tags: bool,
        force: bool,
    ) -> Result<Written<()>, Error> {
        let named = || {
            args(&[
                ("destination", arg(destination)),
                ("branches", arg(branches)),
                ("tags", arg(&tags)),
                ("force", arg(&force)),
            ])
        };
        let pushed = call("workspace.mirror-to", named, || {
            self.with(|w| w.mirror_to(destination, branches, tags, force))
        })?;
        Ok(Written::from(pushed))
    }
}

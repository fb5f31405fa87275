//! The `git` host interface: workspaces are [`crate::git::Workspace`]s in the
//! resource table, each behind a mutex so the blocking git2 work runs off the async
//! threads. Cloning needs `git:clone` and the event's own repository; pushing needs
//! `git:push` and passes the policy gate like a GitHub write: when it is held for
//! approval, what the push needs (its refs and a pack of the objects the remote
//! lacks) goes into the held action in the database, so any replica can push it
//! once a maintainer approves, and the workspace goes when the invocation ends, as
//! for any push. A pack over `approvals.max_held_push_bytes` is refused, not held.
use std::sync::{Arc, Mutex};

use wasmtime::component::Resource;

use super::super::bindings::gantry::plugin::git::{CommitInfo, Host, HostWorkspace, Signature};
use super::super::bindings::gantry::plugin::types::Written;
use super::super::bindings::{HostError, Repo};
use super::{CallData, CallState};
use crate::db::audit::{self, AuditEntry};
use crate::domain::RepoRef;
use crate::domain::{Actor, AuditAction, Capability};
use crate::git::{GitError, Leave, Remote, Workspace};
use crate::policy::{decide, Effect, Request, Target};
use crate::policy::{HeldAction, HeldPack};

/// A plugin's workspace handle.
#[derive(Debug)]
pub struct GitWorkspace {
    inner: Arc<Mutex<Workspace>>,
    repo: RepoRef,
}

/// Workspaces one invocation may hold at once.
const MAX_WORKSPACES: usize = 2;

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

impl CallState {
    fn git_error(&mut self, err: GitError) -> HostError {
        match err {
            GitError::NotFound(m) => HostError::NotFound(m),
            GitError::Rejected(m) => HostError::Rejected(m),
            GitError::Invalid(m) => HostError::Invalid(m),
            GitError::TooLarge(m) => HostError::LimitExceeded(m),
            GitError::Unavailable(m) | GitError::Io(m) => {
                self.transient_failure = Some(format!("git: {m}"));
                HostError::Unavailable(m)
            }
        }
    }

    fn remote(&self, repo: &RepoRef) -> Remote {
        Remote {
            url: format!(
                "{}/{}/{}.git",
                self.env.services.git.base_url, repo.owner, repo.name
            ),
            token: self.env.github.git_token(),
        }
    }
}

impl CallData {
    /// Runs `op` on the workspace off the async threads, within the deadline.
    async fn on_workspace<T: Send + 'static>(
        &mut self,
        handle: &Resource<GitWorkspace>,
        op: impl FnOnce(&Workspace) -> Result<T, GitError> + Send + 'static,
    ) -> HostResult<T> {
        let inner = self.table.get(handle)?.inner.clone();
        let remaining = self.invocation.remaining();
        let work = tokio::task::spawn_blocking(move || {
            let guard = inner
                .lock()
                .map_err(|_| GitError::Io("the workspace is unusable after a failure".into()))?;
            op(&guard)
        });
        Ok(match tokio::time::timeout(remaining, work).await {
            Err(_) => Err(HostError::Unavailable(
                "the git operation ran out of time".into(),
            )),
            Ok(Err(join)) => Err(HostError::Unavailable(format!(
                "the git operation failed: {join}"
            ))),
            Ok(Ok(result)) => result.map_err(|e| self.invocation.git_error(e)),
        })
    }
}

impl CallState {
    /// Whether the policy would hold `capability` on `target` changing `refs` for
    /// approval: the same decision `gate` takes next, asked first so that only a
    /// push that will be held pays for packing its objects.
    async fn would_ask(
        &mut self,
        capability: &Capability,
        target: &RepoRef,
        refs: &Target,
    ) -> Result<bool, HostError> {
        let actor_permission = self.actor_permission(target).await?;
        let repository = target.full_name();
        let request = Request {
            plugin: &self.plugin,
            capability,
            declared: capability.is_declared_in(self.capabilities.iter()),
            repository: Some(&repository),
            target: refs,
            event_branch: self.event_branch.as_deref(),
            actor_permission,
        };
        Ok(decide(&self.env.rules, &request).effect == Effect::Ask)
    }

    /// Refuses a push whose pack is over the cap for held pushes, audited, with what
    /// the operator can do about it.
    async fn refuse_held_push(&mut self, target: &RepoRef, why: &str) -> HostError {
        let message = format!(
            "the push cannot be held for approval: {why} (`approvals.max_held_push_bytes`); allow `git:push` for plugin `{}` on {} or raise the cap",
            self.plugin,
            target.full_name()
        );
        tracing::warn!(plugin = %self.plugin, repository = %target.full_name(), %message, "a held push was refused");
        let entry = AuditEntry::new(Actor::plugin(&self.plugin), AuditAction::ApprovalRefused)
            .project(target.full_name())
            .capability(Capability::GIT_PUSH.as_str())
            .decision("ask")
            .outcome("too_large")
            .delivery(self.idempotency.delivery_id.clone())
            .details(message.clone());
        if let Err(e) = audit::record(&self.env.db, &self.env.services.audit_key, entry).await {
            self.transient_failure = Some(format!("audit failed: {e}"));
            return HostError::Unavailable("the refusal could not be audited".into());
        }
        HostError::LimitExceeded(message)
    }
}

impl CallData {
    /// A push of `refspecs` that passes the policy for `target` like a GitHub
    /// write. Held: the refs and their objects, less what `leave` says the remote
    /// has, are packed into `held_action(pack)`, so no directory outlives the
    /// invocation and any replica can push once approved. Allowed: `run` pushes now.
    async fn gated_push(
        &mut self,
        ws: &Resource<GitWorkspace>,
        target: RepoRef,
        refspecs: Vec<String>,
        leave: Leave,
        held_action: impl FnOnce(HeldPack) -> HeldAction,
        run: impl FnOnce(&Workspace) -> Result<(), GitError> + Send + 'static,
    ) -> HostResult<()> {
        let seq = self.invocation.next_write();
        let key = self
            .invocation
            .idempotency
            .key(&self.invocation.plugin, seq);
        // Branch conditions are decided on the refs the push writes.
        let refs = Target::refs(refspecs.iter().map(|r| destination(r)));
        // Only a held push stores its action: an allowed or denied one packs nothing.
        let mut pack = HeldPack::default();
        let ask = match self
            .invocation
            .would_ask(&Capability::GIT_PUSH, &target, &refs)
            .await
        {
            Ok(ask) => ask,
            Err(e) => return Ok(Err(e)),
        };
        if ask {
            let max = self.invocation.env.services.git.max_held_push_bytes;
            // Packing can only be refused for size: `pack`'s one `TooLarge`.
            pack = match self
                .on_workspace(ws, move |w| w.pack(&refspecs, leave, max))
                .await?
            {
                Ok(packed) => HeldPack::from(packed),
                Err(HostError::LimitExceeded(why)) => {
                    return Ok(Err(self.invocation.refuse_held_push(&target, &why).await))
                }
                Err(e) => return Ok(Err(e)),
            };
        }
        match self
            .invocation
            .gate(
                &Capability::GIT_PUSH,
                &target,
                &refs,
                &key,
                Some(held_action(pack)),
            )
            .await
        {
            Ok(Some(_done)) => Ok(Ok(())),
            Err(e) => Ok(Err(e)),
            Ok(None) => self.on_workspace(ws, run).await,
        }
    }
}

impl CallData {
    /// Pushes the workspace's branch and `tags` back to its repository (`push`).
    async fn push_now(&mut self, ws: Resource<GitWorkspace>, tags: Vec<String>) -> HostResult<()> {
        let repo = self.table.get(&ws)?.repo.clone();
        let branch = match self.on_workspace(&ws, Workspace::branch).await? {
            Ok(b) => b,
            Err(e) => return Ok(Err(e)),
        };
        let url = self.invocation.remote(&repo).url;
        let refspecs = crate::git::branch_refspecs(&branch, &tags);
        let held = tags.clone();
        self.gated_push(
            &ws,
            repo,
            refspecs,
            Leave::Origin,
            move |pack| HeldAction::GitPushPack {
                url,
                branch,
                tags: held,
                pack,
            },
            move |w| w.push(&tags),
        )
        .await
    }

    /// Mirrors `branches` (and every tag) to `destination` (`mirror-to`).
    async fn mirror_now(
        &mut self,
        ws: Resource<GitWorkspace>,
        destination: Repo,
        branches: Vec<String>,
        tags: bool,
        force: bool,
    ) -> HostResult<()> {
        let target = RepoRef {
            owner: destination.owner,
            name: destination.name,
        };
        if let Err(refused) = self.invocation.mirror_accepted(&target).await {
            return Ok(Err(refused));
        }
        let known = match self.on_workspace(&ws, Workspace::branches).await? {
            Ok(b) => b,
            Err(e) => return Ok(Err(e)),
        };
        if let Some(missing) = branches
            .iter()
            .find(|b| !known.iter().any(|(name, _)| name == *b))
        {
            return Ok(Err(HostError::Invalid(format!(
                "the clone has no branch {missing}"
            ))));
        }
        let plus = if force { "+" } else { "" };
        let mut refspecs: Vec<String> = branches
            .iter()
            .map(|b| format!("{plus}refs/remotes/origin/{b}:refs/heads/{b}"))
            .collect();
        if tags {
            // libgit2 pushes no globs: every tag is named.
            let names = match self.on_workspace(&ws, Workspace::tags).await? {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            };
            refspecs.extend(
                names
                    .iter()
                    .map(|t| format!("{plus}refs/tags/{t}:refs/tags/{t}")),
            );
        }
        if refspecs.is_empty() {
            return Ok(Ok(()));
        }
        let remote = self.invocation.remote(&target);
        let url = remote.url.clone();
        let held = refspecs.clone();
        self.gated_push(
            &ws,
            target,
            refspecs.clone(),
            Leave::Nothing,
            move |pack| HeldAction::GitMirrorPack {
                url,
                refspecs: held,
                pack,
            },
            move |w| w.push_to(&remote, &refspecs),
        )
        .await
    }
}

/// The key of a plugin's configuration on a mirror destination that lists the
/// repositories it accepts mirrors from.
pub const ACCEPT_MIRRORS_FROM: &str = "accept_mirrors_from";

impl CallState {
    /// Whether `destination` accepts mirror pushes from this event's repository: the
    /// plugin is enabled on it by name, and its configuration there (which only its
    /// maintainers and admins can set) lists the source under
    /// `accept_mirrors_from`. A maintainer of the source alone cannot write into
    /// another repository.
    async fn mirror_accepted(&self, destination: &RepoRef) -> Result<(), HostError> {
        let source = self.project()?;
        let wanted = destination.full_name();
        let rows = crate::db::plugins::projects(&self.env.db, &self.plugin)
            .await
            .map_err(|e| HostError::Unavailable(format!("the database failed: {e}")))?;
        let Some(row) = rows
            .iter()
            .find(|r| r.project.eq_ignore_ascii_case(&wanted) && r.enabled != Some(false))
        else {
            return Err(HostError::Denied(format!(
                "plugin `{}` is not enabled on {wanted}, so it may not push there",
                self.plugin
            )));
        };
        let config: serde_json::Value =
            serde_json::from_str(&row.effective_config).unwrap_or_default();
        let accepted = config[ACCEPT_MIRRORS_FROM]
            .as_array()
            .is_some_and(|sources| {
                sources
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .any(|s| s.eq_ignore_ascii_case(&source))
            });
        if accepted {
            Ok(())
        } else {
            Err(HostError::Denied(format!(
                "{wanted} does not accept mirrors from {source}: its own configuration of plugin `{}` must list {source} in `{ACCEPT_MIRRORS_FROM}`",
                self.plugin
            )))
        }
    }
}

/// The ref a refspec (`[+]src:dst`, or just `ref`) writes on the remote.
fn destination(refspec: &str) -> &str {
    let spec = refspec.trim_start_matches('+');
    spec.split_once(':').map_or(spec, |(_, dst)| dst)
}

impl Host for CallData {}

impl HostWorkspace for CallData {
    async fn clone(
        &mut self,
        repo: Repo,
        branch: Option<String>,
    ) -> HostResult<Resource<GitWorkspace>> {
        let inv = &mut self.invocation;
        let target = RepoRef {
            owner: repo.owner.clone(),
            name: repo.name.clone(),
        };
        if inv.repository.as_ref() != Some(&target) {
            return Ok(Err(HostError::Denied(format!(
                "plugin `{}` may only clone the repository of the event",
                inv.plugin
            ))));
        }
        if inv.open_workspaces >= MAX_WORKSPACES {
            return Ok(Err(HostError::LimitExceeded(format!(
                "at most {MAX_WORKSPACES} workspaces at once"
            ))));
        }
        if let Err(e) = inv.check(&Capability::GIT_CLONE).await {
            return Ok(Err(e));
        }
        let root = inv.env.services.git.workspaces.clone();
        let remote = inv.remote(&target);
        let max_bytes = inv.max_workspace_bytes;
        let work = tokio::task::spawn_blocking(move || {
            Workspace::clone(&root, remote, branch.as_deref(), max_bytes)
        });
        let workspace = match tokio::time::timeout(inv.remaining(), work).await {
            Err(_) => {
                return Ok(Err(HostError::Unavailable(
                    "the clone ran out of time".into(),
                )))
            }
            Ok(Err(join)) => {
                return Ok(Err(HostError::Unavailable(format!(
                    "the clone failed: {join}"
                ))))
            }
            Ok(Ok(Err(e))) => return Ok(Err(inv.git_error(e))),
            Ok(Ok(Ok(w))) => w,
        };
        inv.open_workspaces += 1;
        Ok(Ok(self.table.push(GitWorkspace {
            inner: Arc::new(Mutex::new(workspace)),
            repo: target,
        })?))
    }

    async fn head(&mut self, ws: Resource<GitWorkspace>) -> HostResult<String> {
        self.on_workspace(&ws, Workspace::head).await
    }

    async fn read_file(
        &mut self,
        ws: Resource<GitWorkspace>,
        path: String,
    ) -> HostResult<Option<Vec<u8>>> {
        let max = self.invocation.max_output_bytes;
        self.on_workspace(&ws, move |w| w.read_file(&path, max))
            .await
    }

    async fn write_file(
        &mut self,
        ws: Resource<GitWorkspace>,
        path: String,
        content: Vec<u8>,
    ) -> HostResult<()> {
        self.on_workspace(&ws, move |w| w.write_file(&path, &content))
            .await
    }

    async fn remove_file(&mut self, ws: Resource<GitWorkspace>, path: String) -> HostResult<bool> {
        self.on_workspace(&ws, move |w| w.remove_file(&path)).await
    }

    async fn create_branch(&mut self, ws: Resource<GitWorkspace>, name: String) -> HostResult<()> {
        self.on_workspace(&ws, move |w| w.create_branch(&name))
            .await
    }

    async fn commit(
        &mut self,
        ws: Resource<GitWorkspace>,
        message: String,
        author: Option<Signature>,
    ) -> HostResult<String> {
        let message = self.invocation.mark_commit(&message);
        self.on_workspace(&ws, move |w| {
            w.commit(
                &message,
                author.as_ref().map(|a| (a.name.as_str(), a.email.as_str())),
            )
        })
        .await
    }

    async fn tag(
        &mut self,
        ws: Resource<GitWorkspace>,
        name: String,
        message: String,
    ) -> HostResult<()> {
        self.on_workspace(&ws, move |w| w.tag(&name, &message))
            .await
    }

    async fn log(
        &mut self,
        ws: Resource<GitWorkspace>,
        since: Option<String>,
        limit: u32,
    ) -> HostResult<Vec<CommitInfo>> {
        let limit = usize::try_from(limit.min(1000)).unwrap_or(1000);
        let result = self
            .on_workspace(&ws, move |w| w.log(since.as_deref(), limit))
            .await?;
        Ok(result.map(|commits| {
            commits
                .into_iter()
                .map(|(sha, message, author)| CommitInfo {
                    sha,
                    message,
                    author,
                })
                .collect()
        }))
    }

    async fn tags(&mut self, ws: Resource<GitWorkspace>) -> HostResult<Vec<String>> {
        self.on_workspace(&ws, Workspace::tags).await
    }

    async fn push(&mut self, ws: Resource<GitWorkspace>, tags: Vec<String>) -> HostResult<Written> {
        self.start_write();
        let answer = self.push_now(ws, tags).await;
        self.written(answer)
    }

    async fn branches(&mut self, ws: Resource<GitWorkspace>) -> HostResult<Vec<(String, String)>> {
        self.on_workspace(&ws, Workspace::branches).await
    }

    async fn mirror_to(
        &mut self,
        ws: Resource<GitWorkspace>,
        destination: Repo,
        branches: Vec<String>,
        tags: bool,
        force: bool,
    ) -> HostResult<Written> {
        self.start_write();
        let answer = self
            .mirror_now(ws, destination, branches, tags, force)
            .await;
        self.written(answer)
    }

    async fn drop(&mut self, ws: Resource<GitWorkspace>) -> wasmtime::Result<()> {
        self.table.delete(ws)?;
        self.invocation.open_workspaces = self.invocation.open_workspaces.saturating_sub(1);
        Ok(())
    }
}

//! The simulator's data model: repositories, issues (pull requests included), labels,
//! comments, users and collaborator roles, with the small operations the routes and
//! the payload learner share. Nothing here knows HTTP or JSON rendering; the types
//! derive serde only so `persist` can save and reload the whole state.
//!
//! This module holds the core (users, repositories, issues, labels, comments,
//! collaborators); the areas added later live beside it: `issues` (milestones,
//! reactions), `pulls` (reviews, changed files), `git` (commits, trees, refs, tags),
//! `ci` (check runs, commit statuses, workflows and their runs), `runs` (a workflow
//! run's life: created, started, completed, re-run), `releases`, and `apps` (GitHub
//! Apps, their installations and the tokens handed out). Fields
//! added after the first state files were written are `#[serde(default)]`, so older
//! files still load.

mod apps;
mod ci;
pub(crate) mod diff;
mod git;
mod history;
mod issues;
mod pulls;
mod releases;
pub(crate) mod runs;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(crate) use self::{
    apps::{App, Apps, Granted, Installation, IssuedToken, PublicKey, EVENTS, PERMISSIONS},
    ci::{Artifact, CheckOutput, CheckRun, CommitStatus, Job, Workflow, WorkflowRun},
    git::{Git, GitCommit, GitTagObject, Signature},
    issues::{Milestone, Reaction, REACTIONS},
    pulls::{LineComment, PullFileDef, Review},
    releases::{Asset, Release},
};

/// First id handed out to objects the simulator creates itself; far above the ids in
/// the webhook corpus so created and learned objects never collide in practice.
const FIRST_GENERATED_ID: u64 = 10_000_000_000;

/// Everything the simulator knows, behind one mutex in [`crate::Simulator`].
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct State {
    /// Repositories keyed by lower-cased `owner/name` (GitHub matches names without case).
    pub repos: BTreeMap<String, Repo>,
    /// Users keyed by lower-cased login.
    pub users: BTreeMap<String, User>,
    /// Write requests served successfully.
    pub writes: u64,
    next_id: u64,
    /// GitHub Apps, their installations and the tokens handed out.
    #[serde(default)]
    pub apps: Apps,
    /// Set when an id was handed out since the last save. Reads can do that (a
    /// permission check registers an unknown user), and a persistent simulator must
    /// save then too, or ids seen by clients could be handed out again after a restart.
    #[serde(skip)]
    pub unsaved_ids: bool,
}

impl Default for State {
    fn default() -> Self {
        Self {
            repos: BTreeMap::new(),
            users: BTreeMap::new(),
            writes: 0,
            next_id: FIRST_GENERATED_ID,
            apps: Apps::default(),
            unsaved_ids: false,
        }
    }
}

/// A GitHub account (user, bot or organisation).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct User {
    pub login: String,
    pub id: u64,
    /// GitHub's `type`: `User`, `Bot` or `Organization`.
    pub kind: String,
    pub site_admin: bool,
}

/// A repository and everything in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Repo {
    pub id: u64,
    pub node_id: String,
    /// Login of the owning account; that account is an admin of the repository.
    pub owner: String,
    pub name: String,
    pub private: bool,
    pub default_branch: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub labels: Vec<LabelDef>,
    /// Issues and pull requests share one number space, as on GitHub.
    pub issues: BTreeMap<u64, Issue>,
    /// Collaborators keyed by lower-cased login.
    pub collaborators: BTreeMap<String, Collaborator>,
    /// Milestones, in the order they were created (numbers count up from 1).
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    /// Commits, trees, blobs, refs and tag objects.
    #[serde(default)]
    pub git: Git,
    /// Check runs, oldest first.
    #[serde(default)]
    pub check_runs: Vec<CheckRun>,
    /// Commit statuses, oldest first.
    #[serde(default)]
    pub statuses: Vec<CommitStatus>,
    /// Actions workflows, as seeded through the Rust API or the control routes.
    #[serde(default)]
    pub workflows: Vec<Workflow>,
    /// Workflow runs, oldest first.
    #[serde(default)]
    pub runs: Vec<WorkflowRun>,
    /// Releases, oldest first.
    #[serde(default)]
    pub releases: Vec<Release>,
}

/// A label defined in a repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LabelDef {
    pub id: u64,
    pub node_id: String,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub default: bool,
}

/// An issue or a pull request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Issue {
    pub id: u64,
    pub node_id: String,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    /// Login of the author.
    pub user: String,
    pub open: bool,
    pub locked: bool,
    /// Names of the labels on the issue, in the order they were added.
    pub labels: Vec<String>,
    /// Logins of the assignees.
    pub assignees: Vec<String>,
    pub comments: Vec<Comment>,
    /// Present when the issue is a pull request.
    pub pull: Option<PullInfo>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// GitHub's `state_reason`: `completed`, `not_planned`, `duplicate` or `reopened`.
    #[serde(default)]
    pub state_reason: Option<String>,
    /// Number of the milestone the issue belongs to.
    #[serde(default)]
    pub milestone: Option<u64>,
}

/// The pull-request half of an issue.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct PullInfo {
    pub id: u64,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub draft: bool,
    pub merged: bool,
    /// Logins whose review is requested, in the order they were asked.
    #[serde(default)]
    pub requested_reviewers: Vec<String>,
    /// Submitted (and pending) reviews, oldest first.
    #[serde(default)]
    pub reviews: Vec<Review>,
    /// The changed files, as seeded through the Rust API or the control routes.
    #[serde(default)]
    pub files: Vec<PullFileDef>,
    /// Whether the pull request can be merged; `None` means "yes while open".
    #[serde(default)]
    pub mergeable: Option<bool>,
    #[serde(default)]
    pub merged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    /// Login of whoever merged it.
    #[serde(default)]
    pub merged_by: Option<String>,
    /// The line counts of the last pull request payload learned (`additions`,
    /// `deletions`, `changed_files`): answered while no files are seeded.
    #[serde(default)]
    pub reported: Option<(u64, u64, u64)>,
}

/// A comment on an issue or pull request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Comment {
    pub id: u64,
    pub node_id: String,
    pub body: String,
    /// Login of the author.
    pub user: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Reactions to the comment, oldest first.
    #[serde(default)]
    pub reactions: Vec<Reaction>,
}

/// A collaborator's login as GitHub spells it and their role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Collaborator {
    pub login: String,
    pub role: Role,
}

/// Repository roles from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Role {
    /// Parses the `permission` of `PUT /collaborators/{u}` (`pull`, `triage`, `push`,
    /// `maintain`, `admin`), also accepting the role names `read` and `write`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "pull" | "read" => Some(Self::Read),
            "triage" => Some(Self::Triage),
            "push" | "write" => Some(Self::Write),
            "maintain" => Some(Self::Maintain),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// The fine-grained `role_name` GitHub reports.
    pub fn role_name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Triage => "triage",
            Self::Write => "write",
            Self::Maintain => "maintain",
            Self::Admin => "admin",
        }
    }

    /// The legacy `permission` field: maintain maps to write, triage to read.
    pub fn legacy_permission(self) -> &'static str {
        match self {
            Self::Read | Self::Triage => "read",
            Self::Write | Self::Maintain => "write",
            Self::Admin => "admin",
        }
    }
}

/// The map key for a repository.
pub(crate) fn repo_key(owner: &str, name: &str) -> String {
    format!("{}/{}", owner.to_lowercase(), name.to_lowercase())
}

impl State {
    /// Hands out a fresh id for an object the simulator creates.
    pub fn next_id(&mut self) -> u64 {
        self.next_id = self.next_id.saturating_add(1);
        self.unsaved_ids = true;
        self.next_id
    }

    /// Finds a repository by owner and name, ignoring case.
    pub fn repo(&self, owner: &str, name: &str) -> Option<&Repo> {
        self.repos.get(&repo_key(owner, name))
    }

    /// Finds a repository for changing it, ignoring case.
    pub fn repo_mut(&mut self, owner: &str, name: &str) -> Option<&mut Repo> {
        self.repos.get_mut(&repo_key(owner, name))
    }

    /// Returns the user with `login`, creating one with a fresh id if unknown.
    pub fn ensure_user(&mut self, login: &str, kind: &str) -> User {
        let key = login.to_lowercase();
        if let Some(user) = self.users.get(&key) {
            return user.clone();
        }
        let user = User {
            login: login.to_owned(),
            id: self.next_id(),
            kind: kind.to_owned(),
            site_admin: false,
        };
        self.users.insert(key, user.clone());
        user
    }

    /// The user with `login`, or a stand-in (id 0) when it was never seen; rendering
    /// never fails because of a user the simulator forgot.
    pub fn user_or_placeholder(&self, login: &str) -> User {
        self.users
            .get(&login.to_lowercase())
            .cloned()
            .unwrap_or_else(|| User {
                login: login.to_owned(),
                id: 0,
                kind: if login.ends_with("[bot]") {
                    "Bot"
                } else {
                    "User"
                }
                .to_owned(),
                site_admin: false,
            })
    }
}

impl Repo {
    /// An empty repository: no issues, labels, collaborators or history yet.
    pub fn new(id: u64, owner: &str, name: &str, created_at: DateTime<Utc>) -> Self {
        Self {
            id,
            node_id: format!("R_sim{id}"),
            owner: owner.to_owned(),
            name: name.to_owned(),
            private: false,
            default_branch: "main".to_owned(),
            description: None,
            created_at,
            labels: Vec::new(),
            issues: BTreeMap::new(),
            collaborators: BTreeMap::new(),
            milestones: Vec::new(),
            git: Git::default(),
            check_runs: Vec::new(),
            statuses: Vec::new(),
            workflows: Vec::new(),
            runs: Vec::new(),
            releases: Vec::new(),
        }
    }

    /// The git data with the default branch in place: a repository whose branch was
    /// never seen gets a deterministic, empty "Initial commit" there, so reads can
    /// create it without a save and still agree after a restart.
    pub fn git_mut(&mut self) -> &mut Git {
        let branch = self.default_branch.clone();
        let seed = format!(
            "{}/{}@{}",
            self.owner,
            self.name,
            self.created_at.to_rfc3339()
        );
        self.git.ensure_branch(&branch, &seed, self.created_at);
        &mut self.git
    }

    /// Whether `login` may be assigned to issues: the owner and every collaborator.
    pub fn can_be_assigned(&self, login: &str) -> bool {
        self.role_of(login).is_some()
    }

    /// The milestone with `number`.
    pub fn milestone(&self, number: u64) -> Option<&Milestone> {
        self.milestones.iter().find(|m| m.number == number)
    }

    /// The role `login` holds: the owner is admin, collaborators have their role.
    pub fn role_of(&self, login: &str) -> Option<Role> {
        if self.owner.eq_ignore_ascii_case(login) {
            return Some(Role::Admin);
        }
        self.collaborators
            .get(&login.to_lowercase())
            .map(|c| c.role)
    }

    /// The repository label called `name`, ignoring case like GitHub.
    pub fn label(&self, name: &str) -> Option<&LabelDef> {
        self.labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// `OWNER`, `COLLABORATOR` or `NONE`, GitHub's `author_association` for `login`.
    pub fn author_association(&self, login: &str) -> &'static str {
        if self.owner.eq_ignore_ascii_case(login) {
            "OWNER"
        } else if self.collaborators.contains_key(&login.to_lowercase()) {
            "COLLABORATOR"
        } else {
            "NONE"
        }
    }
}

/// Adds `name` to the repository's labels (color `ededed`) unless it is already there,
/// and returns the name as the repository spells it.
pub(crate) fn ensure_repo_label(state: &mut State, owner: &str, repo: &str, name: &str) -> String {
    if let Some(existing) = state.repo(owner, repo).and_then(|r| r.label(name)) {
        return existing.name.clone();
    }
    let id = state.next_id();
    if let Some(r) = state.repo_mut(owner, repo) {
        r.labels.push(LabelDef {
            id,
            node_id: format!("LA_sim{id}"),
            name: name.to_owned(),
            color: "ededed".to_owned(),
            description: None,
            default: false,
        });
    }
    name.to_owned()
}

impl Issue {
    /// Whether the pull request can be merged now: open, not a draft, not merged, and
    /// not marked unmergeable. `false` for plain issues.
    pub fn is_mergeable(&self) -> bool {
        self.pull.as_ref().is_some_and(|pull| {
            self.open && !pull.draft && !pull.merged && pull.mergeable.unwrap_or(true)
        })
    }

    /// GitHub's `mergeable_state`: `draft`, `dirty` (cannot merge) or `clean`.
    pub fn mergeable_state(&self) -> &'static str {
        match &self.pull {
            Some(pull) if pull.draft => "draft",
            _ if self.is_mergeable() => "clean",
            _ => "dirty",
        }
    }

    /// Adds a label name unless the issue has it already (ignoring case).
    pub fn add_label(&mut self, name: &str) {
        if !self.labels.iter().any(|l| l.eq_ignore_ascii_case(name)) {
            self.labels.push(name.to_owned());
        }
    }

    /// Removes a label name; returns whether it was there.
    pub fn remove_label(&mut self, name: &str) -> bool {
        let before = self.labels.len();
        self.labels.retain(|l| !l.eq_ignore_ascii_case(name));
        self.labels.len() != before
    }
}
